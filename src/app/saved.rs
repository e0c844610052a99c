//! The two state files' shapes, as JSON (`session.json`, `queue.json`): what `Effect::SaveState`
//! carries to the writer and `state.rs` restores from. Paths that are not UTF-8 are kept as
//! bytes; every list is bounded while it is read.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::app::play_queue::{MAX_CONTEXT, MAX_UP_NEXT, Reason};
use crate::util::bounded::{self, BoundedSeq};

/// The format version written; a newer file is ignored rather than misread.
pub const STATE_VERSION: u32 = 1;

/// The largest `queue.json` read (a full up next and a 100,000-track context of ordinary
/// paths take ≈ 25 MB); a larger file is not a state file this player wrote.
pub const MAX_QUEUE_FILE: u64 = 64 * 1024 * 1024;
/// The largest `session.json` read.
pub const MAX_SESSION_FILE: u64 = 1024 * 1024;
/// Open groups remembered (each a path of at most [`MAX_GROUP_DEPTH`] names).
pub const MAX_EXPANDED: usize = 10_000;
pub const MAX_GROUP_DEPTH: usize = 16;

/// `expanded`: a bounded list of bounded lists.
fn expanded<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Vec<String>>, D::Error> {
    bounded::vec::<D, BoundedSeq<String, MAX_GROUP_DEPTH>, MAX_EXPANDED>(d)
        .map(|v| v.into_iter().map(|g| g.0).collect())
}

/// A group's path in the selected row.
fn group_path<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    bounded::vec::<D, String, MAX_GROUP_DEPTH>(d)
}

/// A path as JSON: a string when it is UTF-8, else its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SavedPath {
    Text(String),
    Bytes {
        #[serde(deserialize_with = "bounded::vec::<_, _, 4096>")]
        bytes: Vec<u8>,
    },
}

impl SavedPath {
    pub fn of(p: &Path) -> Self {
        match p.to_str() {
            Some(s) => SavedPath::Text(s.to_string()),
            None => SavedPath::Bytes {
                bytes: p.as_os_str().as_bytes().to_vec(),
            },
        }
    }

    pub fn path(&self) -> PathBuf {
        match self {
            SavedPath::Text(s) => PathBuf::from(s),
            SavedPath::Bytes { bytes } => PathBuf::from(OsStr::from_bytes(bytes)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SavedReason {
    Added,
    From {
        what: String,
    },
    /// A station's pick, with its reason.
    Station {
        why: String,
    },
    Similar {
        seed: String,
        genre: String,
        similarity: f32,
    },
    /// A pick the listener's feedback moved ("toward" or "away").
    Learned {
        seed: String,
        genre: String,
        similarity: f32,
        toward: bool,
    },
}

fn finite(x: f32) -> f32 {
    if x.is_finite() { x } else { 0.0 }
}

impl SavedReason {
    pub(super) fn of(r: &Reason) -> Self {
        match r {
            Reason::Added => SavedReason::Added,
            Reason::From(w) => SavedReason::From { what: w.clone() },
            Reason::Station(w) => SavedReason::Station { why: w.clone() },
            Reason::Similar {
                seed,
                genre,
                similarity,
            } => SavedReason::Similar {
                seed: seed.clone(),
                genre: genre.clone(),
                similarity: *similarity,
            },
            Reason::Learned {
                seed,
                genre,
                similarity,
                moved,
            } => SavedReason::Learned {
                seed: seed.clone(),
                genre: genre.clone(),
                similarity: *similarity,
                toward: *moved == super::play_queue::Moved::Toward,
            },
        }
    }

    pub(super) fn reason(&self) -> Reason {
        match self {
            SavedReason::Added => Reason::Added,
            SavedReason::From { what } => Reason::From(what.clone()),
            SavedReason::Station { why } => Reason::Station(why.clone()),
            SavedReason::Similar {
                seed,
                genre,
                similarity,
            } => Reason::Similar {
                seed: seed.clone(),
                genre: genre.clone(),
                similarity: finite(*similarity),
            },
            SavedReason::Learned {
                seed,
                genre,
                similarity,
                toward,
            } => Reason::Learned {
                seed: seed.clone(),
                genre: genre.clone(),
                similarity: finite(*similarity),
                moved: if *toward {
                    super::play_queue::Moved::Toward
                } else {
                    super::play_queue::Moved::Away
                },
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedEntry {
    pub path: SavedPath,
    pub reason: SavedReason,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedContext {
    pub label: String,
    /// Shared with the app's copy made for the last save: a context's paths are made once,
    /// not on every save (the place in it changes on every track; its list seldom does).
    #[serde(serialize_with = "shared_tracks", deserialize_with = "context_tracks")]
    pub tracks: std::sync::Arc<Vec<SavedPath>>,
    #[serde(deserialize_with = "bounded::vec::<_, _, MAX_CONTEXT>")]
    pub order: Vec<usize>,
    pub pos: Option<usize>,
}

fn shared_tracks<S: serde::Serializer>(
    tracks: &std::sync::Arc<Vec<SavedPath>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    tracks.as_slice().serialize(s)
}

fn context_tracks<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<std::sync::Arc<Vec<SavedPath>>, D::Error> {
    bounded::vec::<D, SavedPath, MAX_CONTEXT>(d).map(std::sync::Arc::new)
}

/// The queue file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SavedQueue {
    pub version: u32,
    #[serde(deserialize_with = "bounded::vec::<_, _, MAX_UP_NEXT>")]
    pub up_next: Vec<SavedEntry>,
    pub context: Option<SavedContext>,
    /// The playing track, and whether it came from the context.
    pub current: Option<SavedEntry>,
    pub current_from_context: bool,
}

/// The selected library row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SavedRow {
    Group {
        #[serde(deserialize_with = "group_path")]
        path: Vec<String>,
    },
    Track {
        path: SavedPath,
    },
}

/// The session file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SavedSession {
    pub version: u32,
    pub position_secs: f64,
    pub volume: u8,
    pub muted: bool,
    pub shuffle: bool,
    pub repeat: String,
    pub auto_dj: bool,
    pub view: String,
    pub browse: String,
    /// The Library's sort order (`SortKey::name`; absent in earlier files: the tree's own).
    #[serde(default)]
    pub sort: String,
    #[serde(deserialize_with = "expanded")]
    pub expanded: Vec<Vec<String>>,
    pub selected: Option<SavedRow>,
    pub retrain_folder: Option<SavedPath>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip_as_text_or_bytes() {
        let p = PathBuf::from(OsStr::from_bytes(b"/m/\xff\nx.mp3"));
        let j = serde_json::to_string(&SavedPath::of(&p)).unwrap();
        let back: SavedPath = serde_json::from_str(&j).unwrap();
        assert_eq!(back.path(), p);
        let q = PathBuf::from("/m/ok.mp3");
        assert_eq!(
            serde_json::to_string(&SavedPath::of(&q)).unwrap(),
            "\"/m/ok.mp3\""
        );
    }
}
