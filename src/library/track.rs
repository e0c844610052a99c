//! Tracks: a stable [`TrackId`] from the file's path, and the record the store keeps.

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::tags::Tags;

/// A track's identity: a hash of its absolute path's bytes (non-UTF-8 names work). A moved or
/// renamed file is a new track, so nothing computed for the old path lingers.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct TrackId(pub u64);

impl TrackId {
    pub fn of_path(path: &Path) -> Self {
        let h = blake3::hash(path.as_os_str().as_bytes());
        let mut b = [0u8; 8];
        b.copy_from_slice(&h.as_bytes()[..8]);
        TrackId(u64::from_be_bytes(b))
    }

    pub fn to_bytes(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }

    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let arr: [u8; 8] = b.get(..8)?.try_into().ok()?;
        Some(TrackId(u64::from_be_bytes(arr)))
    }

    /// 16 hex digits.
    pub fn hex(self) -> String {
        format!("{:016x}", self.0)
    }

    pub fn parse_hex(s: &str) -> Option<Self> {
        u64::from_str_radix(s, 16).ok().map(TrackId)
    }
}

impl fmt::Display for TrackId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// What a track without an artist tag shows.
pub const UNKNOWN_ARTIST: &str = "Unknown artist";
/// What a track without an album tag shows.
pub const UNKNOWN_ALBUM: &str = "Unknown album";

/// What the library knows about a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackRecord {
    /// The absolute path's raw bytes.
    pub path: Vec<u8>,
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i64,
    pub tags: Tags,
    /// Why the tags could not be read (the track is kept; the player falls back to the name).
    pub tag_error: Option<String>,
    pub added_unix: u64,
}

impl TrackRecord {
    pub fn path(&self) -> PathBuf {
        PathBuf::from(OsStr::from_bytes(&self.path))
    }

    pub fn id(&self) -> TrackId {
        TrackId::of_path(&self.path())
    }

    /// Title tag, else the file name without extension.
    pub fn display_title(&self) -> String {
        self.tags.title.clone().unwrap_or_else(|| {
            self.path()
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
    }

    /// Artist tag (album artist as a fallback), else "Unknown artist".
    pub fn display_artist(&self) -> String {
        self.tags
            .artist
            .clone()
            .or_else(|| self.tags.album_artist.clone())
            .unwrap_or_else(|| UNKNOWN_ARTIST.into())
    }

    pub fn display_album(&self) -> String {
        self.tags
            .album
            .clone()
            .unwrap_or_else(|| UNKNOWN_ALBUM.into())
    }

    pub fn duration_secs(&self) -> Option<f64> {
        self.tags.duration_ms.map(|ms| ms as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = TrackId::of_path(Path::new("/music/a.mp3"));
        assert_eq!(a, TrackId::of_path(Path::new("/music/a.mp3")));
        assert_ne!(a, TrackId::of_path(Path::new("/music/b.mp3")));
        assert_eq!(TrackId::from_bytes(&a.to_bytes()), Some(a));
        assert_eq!(TrackId::parse_hex(&a.hex()), Some(a));
    }

    #[test]
    fn non_utf8_paths_round_trip() {
        let p = PathBuf::from(OsStr::from_bytes(b"/music/caf\xe9.flac"));
        let rec = TrackRecord {
            path: p.as_os_str().as_bytes().to_vec(),
            size: 1,
            mtime_ns: 2,
            tags: Tags::default(),
            tag_error: None,
            added_unix: 0,
        };
        assert_eq!(rec.path(), p);
        assert_eq!(rec.id(), TrackId::of_path(&p));
        assert_eq!(rec.display_title(), "caf\u{fffd}");
    }
}
