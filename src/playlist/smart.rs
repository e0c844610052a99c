//! Smart playlist files: `NAME.smart` in the playlist folder holds a rule (the search
//! language and the history's filters); the player works out its tracks. The file is text:
//! `#` lines are comments, the other lines together are the rule. Read hostile-safe: a
//! regular file of at most [`MAX_SMART_BYTES`], UTF-8, no control characters.

use std::path::Path;

use super::format::{PlaylistError, read_within};

/// A smart playlist file's extension.
pub const SMART_EXT: &str = "smart";
/// The largest smart playlist file read.
pub const MAX_SMART_BYTES: u64 = 16 * 1024;

/// The rule in the smart playlist file at `path`.
pub fn read_rule(path: &Path) -> Result<String, PlaylistError> {
    let bad = |why| PlaylistError::BadRule {
        path: path.to_path_buf(),
        why,
    };
    let bytes = read_within(path, MAX_SMART_BYTES).map_err(|e| match e {
        PlaylistError::TooLarge(_) => bad("larger than 16 KB"),
        e => e,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| bad("not UTF-8 text"))?;
    let mut rule = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line
            .chars()
            .any(|c| c.is_control() || crate::util::text::is_layout_control(c))
        {
            return Err(bad("control characters in the rule"));
        }
        if !rule.is_empty() {
            rule.push(' ');
        }
        rule.push_str(line);
    }
    if rule.is_empty() {
        return Err(bad("no rule in it"));
    }
    Ok(rule)
}

/// A smart playlist file's text for `rule` (a comment, then the rule on one line; line
/// breaks and control characters in `rule` become spaces).
pub fn rule_text(rule: &str) -> Vec<u8> {
    let one_line: String = rule
        .trim()
        .chars()
        .map(|c| {
            if c.is_control() || crate::util::text::is_layout_control(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    format!(
        "# A genreplay smart playlist: its tracks are those the rule below matches, worked out\n\
         # again as the library and the listening history change (README: Smart playlists).\n\
         {one_line}\n"
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_reads_back_and_hostile_files_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("week.smart");
        std::fs::write(&f, rule_text("rating:like\nplayed:<7d")).unwrap();
        assert_eq!(read_rule(&f).unwrap(), "rating:like played:<7d");
        let cases: [(&str, &[u8]); 4] = [
            ("big.smart", &[b'a'; 20_000]),
            ("bin.smart", b"rating:like \xff\xfe"),
            ("esc.smart", b"rating:like \x1b]0;owned\x07"),
            ("empty.smart", b"# only a comment\n\n"),
        ];
        for (name, bytes) in cases {
            let p = d.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            assert!(
                matches!(read_rule(&p), Err(PlaylistError::BadRule { .. })),
                "{name}"
            );
        }
        let fifo = d.path().join("fifo.smart");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid C string; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(read_rule(&fifo), Err(PlaylistError::NotAFile(_))));
        assert!(matches!(
            read_rule(&d.path().join("none.smart")),
            Err(PlaylistError::Io { .. })
        ));
    }
}
