//! The listening history and the likes: per track how often it was played and skipped, when it
//! was last played, and the listener's rating. The user made them, so besides their tree in the
//! database they are kept in a plain file beside it ([`HISTORY_FILE`]), written after every
//! change, read back when the database lost them (a crash, a damaged database rebuilt).
//!
//! The tree is a [`TypedTree`] (`store::tree`) of [`HistoryRecord`]s; the store's methods for
//! it are in `listens`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::records::TrackId;
use super::tree::{Record, TreeError, TypedTree};

type Result<T> = std::result::Result<T, TreeError>;

/// The plain-file copy of the history and likes, in the database folder.
pub const HISTORY_FILE: &str = "history.json";
/// The largest history file read back (about 200 bytes a track: a million tracks).
pub const MAX_HISTORY_FILE: u64 = 256 * 1024 * 1024;
/// The most tracks the history file may list.
pub const MAX_HISTORY_TRACKS: usize = 1_000_000;

/// The listener's verdict on a track.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    #[default]
    None,
    Like,
    Dislike,
}

impl Rating {
    /// `"like"`, `"dislike"`, or `None` (for JSON: null).
    pub fn name(self) -> Option<&'static str> {
        match self {
            Rating::None => None,
            Rating::Like => Some("like"),
            Rating::Dislike => Some("dislike"),
        }
    }
}

/// One track's history and rating.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryRecord {
    pub plays: u32,
    pub skips: u32,
    /// When it last counted as played (Unix seconds, UTC).
    pub last_played_unix: Option<u64>,
    /// When it was last skipped.
    pub last_skipped_unix: Option<u64>,
    pub rating: Rating,
    /// When this record last changed (the newer of the database's and the file's wins).
    pub updated_unix: u64,
}

/// What one listen counted as (the rules are `app::listening`'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Listen {
    Play,
    Skip,
}

impl HistoryRecord {
    /// The record after `listen` at `at` (Unix seconds).
    pub fn with_listen(mut self, listen: Listen, at: u64) -> Self {
        match listen {
            Listen::Play => {
                self.plays = self.plays.saturating_add(1);
                self.last_played_unix = Some(at);
            }
            Listen::Skip => {
                self.skips = self.skips.saturating_add(1);
                self.last_skipped_unix = Some(at);
            }
        }
        self.updated_unix = self.updated_unix.max(at);
        self
    }

    pub fn with_rating(mut self, rating: Rating, at: u64) -> Self {
        self.rating = rating;
        self.updated_unix = self.updated_unix.max(at);
        self
    }

    /// One track's record with another's put in (a file moved where the listener had had
    /// another file): the counts added, the later times kept, a like kept (then a dislike).
    pub fn merged(self, other: HistoryRecord) -> Self {
        let later = |a: Option<u64>, b: Option<u64>| a.max(b);
        let rating = match (self.rating, other.rating) {
            (Rating::Like, _) | (_, Rating::Like) => Rating::Like,
            (Rating::Dislike, _) | (_, Rating::Dislike) => Rating::Dislike,
            _ => Rating::None,
        };
        HistoryRecord {
            plays: self.plays.saturating_add(other.plays),
            skips: self.skips.saturating_add(other.skips),
            last_played_unix: later(self.last_played_unix, other.last_played_unix),
            last_skipped_unix: later(self.last_skipped_unix, other.last_skipped_unix),
            rating,
            updated_unix: self.updated_unix.max(other.updated_unix),
        }
    }

    /// Nothing to keep.
    pub fn is_empty(&self) -> bool {
        self.plays == 0
            && self.skips == 0
            && self.rating == Rating::None
            && self.last_played_unix.is_none()
    }
}

impl Record for HistoryRecord {
    const VERSION: u8 = 1;
}

/// The history tree.
pub type HistoryTree = TypedTree<TrackId, HistoryRecord>;

/// The plain file's contents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryFile {
    pub version: u32,
    pub written_unix: u64,
    #[serde(deserialize_with = "crate::util::bounded::vec::<_, _, MAX_HISTORY_TRACKS>")]
    pub tracks: Vec<HistoryEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The track's id as 16 hex digits (the hash of its path: it matches again after a rescan).
    pub track: String,
    #[serde(flatten)]
    pub record: HistoryRecord,
}

/// Why the history file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryFileError {
    #[error("the history file {} cannot be read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the history file {} is {size} bytes, over the {MAX_HISTORY_FILE} a history file may have; it was left as it is",
        path.display()
    )]
    TooLarge { path: PathBuf, size: u64 },
    #[error("the history file {} is not a history this genreplay wrote: {reason}; it was left as it is", path.display())]
    Invalid { path: PathBuf, reason: String },
}

/// Reads the history file in `dir` (`Ok(None)` when there is none). Bounded: a file over
/// [`MAX_HISTORY_FILE`] or listing over [`MAX_HISTORY_TRACKS`] tracks is refused unread.
pub fn read_history_file(dir: &Path) -> std::result::Result<Option<HistoryFile>, HistoryFileError> {
    use std::io::Read;
    let path = dir.join(HISTORY_FILE);
    let io = |source| HistoryFileError::Io {
        path: path.clone(),
        source,
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(HistoryFileError::Invalid {
            path,
            reason: "it is not a regular file".into(),
        });
    }
    if meta.len() > MAX_HISTORY_FILE {
        return Err(HistoryFileError::TooLarge {
            path,
            size: meta.len(),
        });
    }
    let mut bytes = Vec::new();
    // The file may grow while it is read: never more than the bound.
    file.take(MAX_HISTORY_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_HISTORY_FILE {
        return Err(HistoryFileError::TooLarge {
            path,
            size: bytes.len() as u64,
        });
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| HistoryFileError::Invalid {
            path,
            reason: e.to_string(),
        })
}

/// The file's text for `records`.
fn history_json(records: &[(TrackId, HistoryRecord)]) -> serde_json::Result<Vec<u8>> {
    let file = HistoryFile {
        version: 1,
        written_unix: crate::util::time::now_unix(),
        tracks: records
            .iter()
            .map(|(id, r)| HistoryEntry {
                track: id.hex(),
                record: *r,
            })
            .collect(),
    };
    serde_json::to_vec(&file)
}

/// Writes the history file in `dir` whole (a temporary file renamed over it).
pub fn write_history_file(dir: &Path, records: &[(TrackId, HistoryRecord)]) -> std::io::Result<()> {
    let json = history_json(records).map_err(std::io::Error::other)?;
    crate::util::private::replace(&dir.join(HISTORY_FILE), &json)
}

/// Puts the file's records into `tree` where the tree has none or an older one; returns how
/// many were put. Nothing the tree has that is newer is touched.
pub fn restore_into(tree: &HistoryTree, file: &HistoryFile) -> Result<usize> {
    let mut n = 0;
    for e in &file.tracks {
        let Some(id) = TrackId::parse_hex(&e.track) else {
            continue;
        };
        let older = match tree.get(&id) {
            Ok(Some(r)) => r.updated_unix < e.record.updated_unix,
            Ok(None) | Err(TreeError::Decode { .. }) => true,
            Err(e) => return Err(e),
        };
        if older {
            tree.put(&id, &e.record)?;
            n += 1;
        }
    }
    Ok(n)
}

/// Every track's record, as a map (what the player keeps in memory).
pub fn as_map(records: Vec<(TrackId, HistoryRecord)>) -> HashMap<TrackId, HistoryRecord> {
    records.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tree::KeyCodec;

    fn tree() -> (tempfile::TempDir, sled::Db, HistoryTree) {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().temporary(true).open().unwrap();
        let t = HistoryTree::open(&db, "history").unwrap();
        (dir, db, t)
    }

    #[test]
    fn records_count_and_keep_their_version() {
        let (_d, _db, t) = tree();
        let id = TrackId(7);
        t.update(&id, |r| {
            r.unwrap_or_default().with_listen(Listen::Play, 100)
        })
        .unwrap();
        t.update(&id, |r| {
            r.unwrap_or_default().with_listen(Listen::Skip, 200)
        })
        .unwrap();
        t.update(&id, |r| {
            r.unwrap_or_default().with_rating(Rating::Like, 300)
        })
        .unwrap();
        let r = t.get(&id).unwrap().unwrap();
        assert_eq!((r.plays, r.skips, r.rating), (1, 1, Rating::Like));
        assert_eq!(r.last_played_unix, Some(100));
        assert_eq!(r.updated_unix, 300);
        // Another version byte is an error naming the tree, not a panic.
        t.raw().insert(id.encode_key(), vec![9, 1, 2]).unwrap();
        let e = t.get(&id).unwrap_err().to_string();
        assert!(e.contains("history") && e.contains("version 9"), "{e}");
        assert!(t.all().unwrap().is_empty());
    }

    #[test]
    fn merging_adds_the_counts_keeps_the_later_times_and_a_like() {
        let a = HistoryRecord::default()
            .with_listen(Listen::Play, 100)
            .with_listen(Listen::Skip, 500)
            .with_rating(Rating::Like, 510);
        let b = HistoryRecord::default()
            .with_listen(Listen::Play, 300)
            .with_listen(Listen::Play, 320)
            .with_rating(Rating::Dislike, 330);
        for m in [a.merged(b), b.merged(a)] {
            assert_eq!((m.plays, m.skips, m.rating), (3, 1, Rating::Like));
            assert_eq!(m.last_played_unix, Some(320));
            assert_eq!(m.last_skipped_unix, Some(500));
            assert_eq!(m.updated_unix, 510);
        }
        let none = HistoryRecord::default();
        assert_eq!(b.merged(none).rating, Rating::Dislike);
        assert_eq!(none.merged(none), none);
        let full = HistoryRecord {
            plays: u32::MAX,
            ..none
        };
        assert_eq!(full.merged(a).plays, u32::MAX);
    }

    #[test]
    fn the_file_round_trips_and_restores_only_what_is_newer() {
        let (dir, _db, t) = tree();
        let a = HistoryRecord::default().with_listen(Listen::Play, 50);
        let b = HistoryRecord::default().with_rating(Rating::Dislike, 60);
        write_history_file(dir.path(), &[(TrackId(1), a), (TrackId(2), b)]).unwrap();
        let file = read_history_file(dir.path()).unwrap().unwrap();
        assert_eq!(file.tracks.len(), 2);
        // The tree has a newer record of track 1: it stays.
        let newer = HistoryRecord::default().with_listen(Listen::Skip, 90);
        t.put(&TrackId(1), &newer).unwrap();
        assert_eq!(restore_into(&t, &file).unwrap(), 1);
        assert_eq!(t.get(&TrackId(1)).unwrap(), Some(newer));
        assert_eq!(t.get(&TrackId(2)).unwrap(), Some(b));
    }

    #[test]
    fn hostile_files_are_refused_with_their_name() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_history_file(dir.path()).unwrap().is_none());
        std::fs::write(dir.path().join(HISTORY_FILE), b"{\"version\":1,").unwrap();
        let e = read_history_file(dir.path()).unwrap_err().to_string();
        assert!(e.contains(HISTORY_FILE), "{e}");
        // Over the size bound: refused before it is read.
        let f = std::fs::File::create(dir.path().join(HISTORY_FILE)).unwrap();
        f.set_len(MAX_HISTORY_FILE + 1).unwrap();
        let e = read_history_file(dir.path()).unwrap_err();
        assert!(matches!(e, HistoryFileError::TooLarge { .. }), "{e}");
    }
}
