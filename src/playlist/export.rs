//! What an exported playlist is an export of: a genre, a style, the queue or a smart
//! playlist's tracks now. The file says so in a header line of its own,
//! `#GENREPLAY-EXPORT:genre=metal`, so the next export of the same genre updates that file —
//! and only a file that says so: a playlist the user made with the same name is never written
//! over (the export then takes the first free name, `metal (2)`, and updates that one later).

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The header line's start.
pub const MARKER_PREFIX: &str = "#GENREPLAY-EXPORT:";
/// How much of a file's start is read to find the line.
const MARKER_SCAN_BYTES: u64 = 4096;
/// The longest name a marker carries (bytes; longer names are cut at a character boundary).
const MAX_MARKED_NAME: usize = 200;

/// What an export writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportSource {
    /// A genre playlist of the Genres view.
    Genre(String),
    /// A style playlist of the Genres view.
    Style(String),
    /// The queue (up next, then the context).
    Queue,
    /// A smart playlist's tracks now (a snapshot: the rule itself stays in its `.smart` file).
    Smart(String),
}

impl ExportSource {
    /// The playlist's name (its file's stem): `metal`, `style - rock`, `queue`,
    /// `road (snapshot)` — a smart playlist's snapshot never takes the smart playlist's own
    /// name, so the Playlists view never lists two playlists of one name.
    pub fn name(&self) -> String {
        match self {
            ExportSource::Genre(g) => g.clone(),
            ExportSource::Style(s) => format!("style - {s}"),
            ExportSource::Queue => "queue".into(),
            ExportSource::Smart(n) => format!("{n} (snapshot)"),
        }
    }

    /// The header line that says which export a file is.
    pub fn marker(&self) -> String {
        let (kind, name) = match self {
            ExportSource::Genre(g) => ("genre", g.as_str()),
            ExportSource::Style(s) => ("style", s.as_str()),
            ExportSource::Queue => ("queue", ""),
            ExportSource::Smart(n) => ("smart", n.as_str()),
        };
        let mut name: String = name
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if name.len() > MAX_MARKED_NAME {
            let mut cut = MAX_MARKED_NAME;
            while !name.is_char_boundary(cut) {
                cut -= 1;
            }
            name.truncate(cut);
        }
        format!("{MARKER_PREFIX}{kind}={}", name.trim())
    }

    /// Whether the file at `path` is this export (its header holds this marker). A file that
    /// is not regular, cannot be read or says otherwise is not: it is never written over.
    pub fn wrote(&self, path: &Path) -> bool {
        let marker = self.marker();
        let Some(head) = read_head(path) else {
            return false;
        };
        let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&head);
        for line in head.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line == marker.as_bytes() {
                return true;
            }
            // The header ends at the first entry.
            if !line.is_empty() && !line.starts_with(b"#") {
                break;
            }
        }
        false
    }
}

/// The first few KB of the regular file at `path` (opened without blocking: a FIFO is refused).
fn read_head(path: &Path) -> Option<Vec<u8>> {
    if !std::fs::symlink_metadata(path).ok()?.is_file() {
        return None;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MARKER_SCAN_BYTES).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_an_export_only_when_its_header_says_so() {
        let d = tempfile::tempdir().unwrap();
        let metal = ExportSource::Genre("metal".into());
        assert_eq!(metal.marker(), "#GENREPLAY-EXPORT:genre=metal");
        let f = d.path().join("metal.m3u8");
        std::fs::write(&f, "#EXTM3U\r\n#GENREPLAY-EXPORT:genre=metal\r\n/a.flac\n").unwrap();
        assert!(metal.wrote(&f));
        assert!(!ExportSource::Style("metal".into()).wrote(&f));
        assert!(!ExportSource::Genre("meta".into()).wrote(&f));
        // The user's own file, and one whose marker comes after an entry (not the header).
        std::fs::write(&f, "#EXTM3U\n/a.flac\n#GENREPLAY-EXPORT:genre=metal\n").unwrap();
        assert!(!metal.wrote(&f));
        std::fs::write(&f, "#EXTM3U\n#GENREPLAY-EXPORT:genre=metal and more\n").unwrap();
        assert!(!metal.wrote(&f));
        assert!(!metal.wrote(&d.path().join("missing.m3u8")));
        assert!(!metal.wrote(d.path()), "a folder is not an export");
        // Hostile names: no line breaks in the marker, bounded.
        let odd = ExportSource::Smart("a\nb\u{7}".repeat(200));
        let m = odd.marker();
        assert!(!m.contains('\n') && m.len() <= MARKER_PREFIX.len() + 6 + MAX_MARKED_NAME);
        assert_eq!(ExportSource::Smart("road".into()).name(), "road (snapshot)");
        assert_eq!(ExportSource::Queue.marker(), "#GENREPLAY-EXPORT:queue=");
    }
}
