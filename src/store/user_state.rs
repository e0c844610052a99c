//! The plain-file copy of the user's state ([`USER_STATE_FILE`]: the user's `meta` keys, and
//! the playlists of the old `playlists` tree) and what opening did to a damaged database
//! ([`Recovery`]). The store's side (writing the copy, the move-aside) is in `recovery`.
//!
//! Playlists are files now (the `playlist` room). A database of an earlier build may still hold
//! playlists in its `playlists` tree or in the plain-file copy: that tree is never opened for
//! writing again and never deleted, the copy keeps listing them, and
//! `Store::unwritten_playlists` hands them out once to be written as playlist files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::records::TrackId;
use super::tree::Record;

/// The plain-file copy of the user's state, inside the database folder.
pub const USER_STATE_FILE: &str = "user-state.json";

/// `meta` keys that are the user's (copied to [`USER_STATE_FILE`]); keys starting with
/// `settings.` are too.
pub const USER_META_KEYS: &[&str] = &["active_model", "library_root"];

/// The old playlists tree (read only).
pub(super) const LEGACY_PLAYLISTS: &str = "playlists";
/// Set in `meta` once the old playlists were handed out to be written as files.
pub(super) const PLAYLISTS_WRITTEN: &str = "legacy_playlists_written";

pub(super) fn is_user_key(key: &str) -> bool {
    USER_META_KEYS.contains(&key) || key.starts_with("settings.")
}

/// A playlist as the store kept it before playlists were files (the `playlists` tree, name →
/// this record): only read now, to write it as a playlist file once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaylistRecord {
    pub name: String,
    pub tracks: Vec<TrackId>,
    pub updated_unix: u64,
}

/// The plain-file copy of what the user made ([`USER_STATE_FILE`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserState {
    pub version: u32,
    pub written_unix: u64,
    /// User `meta` keys (see [`USER_META_KEYS`]).
    pub meta: BTreeMap<String, String>,
    /// The playlists of the old `playlists` tree (kept, never dropped: see
    /// [`Store::unwritten_playlists`]).
    #[serde(default)]
    pub playlists: Vec<UserPlaylist>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPlaylist {
    pub name: String,
    /// Track ids as 16 hex digits (a track's id is the hash of its path, so they match again
    /// after a rescan).
    pub tracks: Vec<String>,
    pub updated_unix: u64,
}

/// What [`Store::open`] did to a database it could not use.
#[derive(Debug, Clone, PartialEq)]
pub struct Recovery {
    /// Why the old database was unusable.
    pub reason: String,
    /// Where it was moved (kept, not deleted).
    pub moved_to: PathBuf,
    /// Old store playlists carried over and user settings restored from the plain-file copy.
    pub restored_playlists: usize,
    pub restored_meta: Vec<String>,
    /// Tracks whose history and rating came back from their plain file.
    pub restored_history: usize,
    /// Listens of the listen log that came back from its plain file.
    pub restored_listens: usize,
}

impl Recovery {
    /// One paragraph for the user.
    pub fn describe(&self) -> String {
        format!(
            "the database was damaged ({}); it was moved to {} (kept, not deleted) and a fresh one was made; \
             restored from the plain-file copies: {} playlist{}, {} and the history of {} track{} ({} listen{}). \
             Tracks come back with the next scan, genres quickly from the feature cache, models from the models folder",
            self.reason,
            self.moved_to.display(),
            self.restored_playlists,
            if self.restored_playlists == 1 {
                ""
            } else {
                "s"
            },
            if self.restored_meta.is_empty() {
                "no settings".to_string()
            } else {
                self.restored_meta.join(", ")
            },
            self.restored_history,
            if self.restored_history == 1 { "" } else { "s" },
            self.restored_listens,
            if self.restored_listens == 1 { "" } else { "s" }
        )
    }
}

impl Record for PlaylistRecord {
    const VERSION: u8 = 1;
}

impl UserPlaylist {
    pub(super) fn to_record(&self) -> PlaylistRecord {
        PlaylistRecord {
            name: self.name.clone(),
            tracks: self
                .tracks
                .iter()
                .filter_map(|h| TrackId::parse_hex(h))
                .collect(),
            updated_unix: self.updated_unix,
        }
    }

    pub(super) fn of_record(p: PlaylistRecord) -> Self {
        UserPlaylist {
            name: p.name,
            tracks: p.tracks.iter().map(|t| t.hex()).collect(),
            updated_unix: p.updated_unix,
        }
    }
}

/// Reads a plain-file copy of the user state; `None` when absent or unreadable.
pub fn read_user_state(file: &Path) -> Option<UserState> {
    let bytes = std::fs::read(file).ok()?;
    match serde_json::from_slice(&bytes) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(path = %file.display(), error = %e, "the user state copy is unreadable");
            None
        }
    }
}

/// `a` with `b`'s playlists added, the newer one where both have a name.
pub(super) fn merge_playlists(a: &mut Vec<UserPlaylist>, b: Vec<UserPlaylist>) {
    for p in b {
        match a.iter_mut().find(|q| q.name == p.name) {
            Some(q) if q.updated_unix < p.updated_unix => *q = p,
            Some(_) => {}
            None => a.push(p),
        }
    }
}
