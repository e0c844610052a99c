//! The store's side of surviving a damaged database: the move-aside of a database sled
//! cannot use (kept, never deleted) with the user state put back from its plain-file copy
//! (`user_state`), the copy written on every change of the user's state, and the playlists
//! of earlier builds handed out once to be written as files.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::error::{Result, StoreError};
use super::tree::decode_record;
use super::user_state::{
    LEGACY_PLAYLISTS, PLAYLISTS_WRITTEN, PlaylistRecord, Recovery, USER_STATE_FILE, UserPlaylist,
    UserState, is_user_key, merge_playlists, read_user_state,
};
use super::{Check, OpenFailure, Store};
use crate::util::time::now_unix;

impl Store {
    pub(super) fn recover(path: &Path, reason: String) -> Result<Self> {
        tracing::error!(path = %path.display(), %reason, "the database is damaged; recovering");
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "db".into());
        let parent = path.parent().unwrap_or(Path::new("."));
        let mut aside = parent.join(format!("{name}.corrupt-{}", now_unix()));
        let mut n = 2;
        while aside.exists() {
            aside = parent.join(format!("{name}.corrupt-{}-{n}", now_unix()));
            n += 1;
        }
        std::fs::rename(path, &aside).map_err(|e| StoreError::Open {
            path: path.to_path_buf(),
            reason: format!(
                "{reason}; moving it aside to {} failed: {e}",
                aside.display()
            ),
        })?;
        let state = read_user_state(&aside.join(USER_STATE_FILE));
        let mut store = match Self::try_open(path, Check::Everything) {
            Ok(s) => s,
            Err(OpenFailure::Other(e)) => return Err(e),
            Err(OpenFailure::Damaged(r)) => {
                return Err(StoreError::Open {
                    path: path.to_path_buf(),
                    reason: format!("a fresh database cannot be made either: {r}"),
                });
            }
        };
        let mut restored_meta = Vec::new();
        let mut restored_playlists = 0;
        if let Some(state) = &state {
            for (k, v) in &state.meta {
                if is_user_key(k) {
                    store.meta.insert(k.as_bytes(), v.as_bytes())?;
                    restored_meta.push(k.clone());
                }
            }
            restored_playlists = state.playlists.len();
        }
        let restored_history = store.restore_history_from(&aside);
        let restored_listens = store.restore_listens_from(&aside, true);
        // The fresh folder's copy of the log (the old one stays with the moved-aside database).
        store.rewrite_listens_file();
        store.flush()?;
        // The moved-aside database keeps its playlists tree; the fresh copy carries them on.
        store.write_user_state_carrying(state.map(|s| s.playlists).unwrap_or_default());
        let rec = Recovery {
            reason,
            moved_to: aside,
            restored_playlists,
            restored_meta,
            restored_history,
            restored_listens,
        };
        tracing::warn!("{}", rec.describe());
        store.recovery = Some(Arc::new(rec));
        Ok(store)
    }

    /// Puts back user `meta` keys the plain-file copy has and the database lacks (sled can
    /// silently lose the last writes of a crash), and the history likewise; writes the copy
    /// when there is none yet.
    pub(super) fn reconcile_user_state(&self) {
        if self.restore_history_from(&self.path) + self.restore_listens_from(&self.path, false) > 0
        {
            let _ = self.db.flush();
        }
        let file = self.path.join(USER_STATE_FILE);
        let Some(state) = read_user_state(&file) else {
            self.write_user_state();
            return;
        };
        let mut changed = false;
        for (k, v) in &state.meta {
            if is_user_key(k) && matches!(self.meta.get(k.as_bytes()), Ok(None)) {
                changed |= self.meta.insert(k.as_bytes(), v.as_bytes()).is_ok();
            }
        }
        if changed {
            tracing::warn!(path = %self.path.display(), "restored user state the database had lost");
            let _ = self.db.flush();
        }
    }

    /// The playlists of the old `playlists` tree, where this database has one, with those of
    /// the plain-file copy (the newer of two with one name). Unreadable records are logged and
    /// left out (and left where they are).
    fn legacy_playlists(&self) -> Result<Vec<UserPlaylist>> {
        let mut out = Vec::new();
        if self
            .db
            .tree_names()
            .iter()
            .any(|n| n.as_ref() == LEGACY_PLAYLISTS.as_bytes())
        {
            for item in self.db.open_tree(LEGACY_PLAYLISTS)?.iter() {
                let (_, v) = item?;
                match decode_record::<PlaylistRecord>(&v, "playlist") {
                    Ok(r) => out.push(UserPlaylist::of_record(r)),
                    Err(e) => tracing::warn!("{e}"),
                }
            }
        }
        if let Some(state) = read_user_state(&self.path.join(USER_STATE_FILE)) {
            merge_playlists(&mut out, state.playlists);
        }
        Ok(out)
    }

    /// The playlists an earlier build kept in the database, until they were handed out once
    /// to be written as playlist files ([`Store::mark_playlists_written`]); empty after that.
    /// The tree and the plain-file copy keep them either way.
    pub fn unwritten_playlists(&self) -> Result<Vec<PlaylistRecord>> {
        if self.meta.get(PLAYLISTS_WRITTEN)?.is_some() {
            return Ok(Vec::new());
        }
        Ok(self
            .legacy_playlists()?
            .iter()
            .map(UserPlaylist::to_record)
            .collect())
    }

    /// Notes that [`Store::unwritten_playlists`] were written as playlist files.
    pub fn mark_playlists_written(&self) -> Result<()> {
        self.meta.insert(PLAYLISTS_WRITTEN, &b"1"[..])?;
        Ok(())
    }

    /// The user state as the database has it, with the old playlists `carried` from a
    /// moved-aside database.
    fn user_state(&self, carried: Vec<UserPlaylist>) -> Result<UserState> {
        let mut meta = BTreeMap::new();
        for item in self.meta.iter() {
            let (k, v) = item?;
            let k = String::from_utf8_lossy(&k).into_owned();
            if is_user_key(&k) {
                meta.insert(k, String::from_utf8_lossy(&v).into_owned());
            }
        }
        let mut playlists = self.legacy_playlists()?;
        merge_playlists(&mut playlists, carried);
        Ok(UserState {
            version: 1,
            written_unix: now_unix(),
            meta,
            playlists,
        })
    }

    /// Writes the plain-file copy of the user state (atomically: temporary file, then rename).
    /// A failure is logged: the database itself holds the state too.
    pub(super) fn write_user_state(&self) {
        self.write_user_state_carrying(Vec::new());
    }

    fn write_user_state_carrying(&self, carried: Vec<UserPlaylist>) {
        let write = || -> std::result::Result<(), Box<dyn std::error::Error>> {
            let state = self.user_state(carried)?;
            let json = serde_json::to_vec_pretty(&state)?;
            crate::util::private::replace(&self.path.join(USER_STATE_FILE), &json)?;
            Ok(())
        };
        if let Err(e) = write() {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot write the user state copy");
        }
    }
}
