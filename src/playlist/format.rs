//! Reading playlist files: M3U and extended M3U/M3U8 (plain paths, relative to the playlist,
//! or `file://` URIs with percent-encoding) and PLS (`FileN=`). Hostile files are bounded:
//! at most [`MAX_BYTES`] are read and [`MAX_ENTRIES`] entries kept.

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The largest playlist file read.
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;
/// The most entries kept from one file.
pub const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum PlaylistError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a regular file", .0.display())]
    NotAFile(PathBuf),
    #[error("{}: larger than {} MB; not a playlist", .0.display(), MAX_BYTES / 1024 / 1024)]
    TooLarge(PathBuf),
    #[error("{}: no entries (not an M3U, M3U8 or PLS playlist?)", .0.display())]
    Empty(PathBuf),
}

/// Reads the entries of the playlist at `path`, in order, as absolute paths (relative ones are
/// taken from the playlist's folder). The format is told by the content (`[playlist]` starts a
/// PLS file), else by the extension.
pub fn read_playlist(path: &Path) -> Result<Vec<PathBuf>, PlaylistError> {
    let io = |source| PlaylistError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(PlaylistError::NotAFile(path.to_path_buf()));
    }
    if meta.len() > MAX_BYTES {
        return Err(PlaylistError::TooLarge(path.to_path_buf()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(PlaylistError::TooLarge(path.to_path_buf()));
    }
    let base = path.parent().unwrap_or(Path::new("/"));
    let base = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let is_pls = first_line(text).eq_ignore_ascii_case(b"[playlist]")
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("pls"));
    let entries = if is_pls {
        parse_pls(text, &base)
    } else {
        parse_m3u(text, &base)
    };
    if entries.is_empty() {
        return Err(PlaylistError::Empty(path.to_path_buf()));
    }
    Ok(entries)
}

fn first_line(text: &[u8]) -> &[u8] {
    text.split(|&b| b == b'\n')
        .map(trim)
        .find(|l| !l.is_empty())
        .unwrap_or(&[])
}

fn trim(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &line[start..end.max(start)]
}

/// M3U: one entry per line; `#` lines are comments (and `#EXTINF` information).
pub fn parse_m3u(text: &[u8], base: &Path) -> Vec<PathBuf> {
    text.split(|&b| b == b'\n')
        .map(trim)
        .filter(|l| !l.is_empty() && !l.starts_with(b"#"))
        .filter_map(|l| entry_path(l, base))
        .take(MAX_ENTRIES)
        .collect()
}

/// PLS: `FileN=…` lines in the order of N.
pub fn parse_pls(text: &[u8], base: &Path) -> Vec<PathBuf> {
    let mut files: Vec<(u32, PathBuf)> = text
        .split(|&b| b == b'\n')
        .map(trim)
        .filter_map(|l| {
            let eq = l.iter().position(|&b| b == b'=')?;
            let (key, value) = (&l[..eq], trim(&l[eq + 1..]));
            let n = key
                .strip_prefix(b"File")
                .or_else(|| key.strip_prefix(b"file"))?;
            let n: u32 = std::str::from_utf8(n).ok()?.trim().parse().ok()?;
            Some((n, entry_path(value, base)?))
        })
        .take(MAX_ENTRIES)
        .collect();
    files.sort_by_key(|(n, _)| *n);
    files.into_iter().map(|(_, p)| p).collect()
}

/// One entry: a `file://` URI (percent-decoded), an absolute path, or a path relative to the
/// playlist. Other URLs (http…) are not files: `None`.
fn entry_path(raw: &[u8], base: &Path) -> Option<PathBuf> {
    if raw.is_empty() || raw.contains(&0) {
        return None;
    }
    let lower: Vec<u8> = raw.iter().take(8).map(u8::to_ascii_lowercase).collect();
    if lower.starts_with(b"file://") {
        let rest = &raw[7..];
        // file:///abs/path or file://localhost/abs/path
        let rest = rest.strip_prefix(b"localhost").unwrap_or(rest);
        return Some(PathBuf::from(OsStr::from_bytes(&percent_decode(rest))));
    }
    if raw.windows(3).any(|w| w == b"://") {
        return None;
    }
    let p = Path::new(OsStr::from_bytes(raw));
    Some(if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    })
}

/// Decodes `%XX` escapes; a malformed escape is kept as it is.
pub fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%'
            && i + 2 < s.len()
            && let (Some(h), Some(l)) = (hex(s[i + 1]), hex(s[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m3u_with_comments_relative_paths_and_uris() {
        let text = b"#EXTM3U\r\n#EXTINF:61,Beta - Rain\r\nBeta/01 Rain.flac\r\n\r\n/abs/x.mp3\nfile:///music/a%20b%0Ac.ogg\nhttp://radio/stream\nfile://localhost/m/%FF.wav\n";
        let got = parse_m3u(text, Path::new("/lists"));
        assert_eq!(
            got,
            vec![
                PathBuf::from("/lists/Beta/01 Rain.flac"),
                PathBuf::from("/abs/x.mp3"),
                PathBuf::from("/music/a b\nc.ogg"),
                PathBuf::from(OsStr::from_bytes(b"/m/\xff.wav")),
            ]
        );
    }

    #[test]
    fn pls_in_file_number_order() {
        let text =
            b"[playlist]\nFile2=/b.mp3\nTitle2=B\nFile1=a.mp3\nNumberOfEntries=2\nFileX=/bad\n";
        assert_eq!(
            parse_pls(text, Path::new("/p")),
            vec![PathBuf::from("/p/a.mp3"), PathBuf::from("/b.mp3")]
        );
    }

    #[test]
    fn hostile_input_is_bounded_and_never_panics() {
        assert_eq!(percent_decode(b"%"), b"%");
        assert_eq!(percent_decode(b"%4"), b"%4");
        assert_eq!(percent_decode(b"%zz%41"), b"%zzA");
        let garbage: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 256) as u8).collect();
        let _ = parse_m3u(&garbage, Path::new("/"));
        let _ = parse_pls(&garbage, Path::new("/"));
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_playlist(dir.path()),
            Err(PlaylistError::NotAFile(_))
        ));
        let empty = dir.path().join("e.m3u");
        std::fs::write(&empty, "#EXTM3U\n").unwrap();
        assert!(matches!(
            read_playlist(&empty),
            Err(PlaylistError::Empty(_))
        ));
        let many = dir.path().join("many.m3u");
        std::fs::write(&many, "x.mp3\n".repeat(MAX_ENTRIES + 10)).unwrap();
        assert_eq!(read_playlist(&many).unwrap().len(), MAX_ENTRIES);
    }
}
