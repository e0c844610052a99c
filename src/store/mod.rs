//! The store: the only code that touches sled. Every tree is a [`TypedTree`] (`tree`): a key
//! codec, a record type with its version byte (one byte, then postcard), the records in
//! `records`; a schema version in `meta`, and atomic multi-key updates across trees.
//!
//! Trees:
//! - `tracks`:   TrackId → [`TrackRecord`]
//! - `vectors`:  ModelId ‖ TrackId → [`VectorRecord`] (so a new model never mixes with old vectors)
//! - `failures`: ModelId ‖ TrackId → [`FailureRecord`] (not retried until the file changes)
//! - `damage`:   TrackId → [`DamageRecord`] (a "partial" track: analysed from what decoded)
//! - `loudness`: TrackId → [`LoudnessRecord`] (the analysis clip's loudness: the ReplayGain
//!   estimate of tracks without gain tags)
//! - `models`:   ModelId → [`ModelRecord`]
//! - `meta`:     `schema_version`, `active_model`, `library_root`, … (plain text values, not
//!   records: a raw sled tree)
//! - `history`:  TrackId → [`history::HistoryRecord`] (plays, skips, last played, rating; its
//!   plain-file copy is [`history::HISTORY_FILE`])
//! - `listens`:  started ‖ TrackId → [`listen_log::ListenEntry`] (the listen log: one entry
//!   per counted listen, time-ordered; its plain-file copy is [`listen_log::LISTENS_FILE`])
//! - `playlists` (earlier builds only): never opened for writing; see `recovery`.
//!
//! A new per-track record: its type and `impl Record` (a version byte) in `records`, a
//! `TypedTree<TrackId, NewRecord>` field opened in [`Store::with_trees`] and listed in
//! `raw_trees`, and the few methods its users need (as `listens` does for the history).
//!
//! Data safety (`recovery`, `lock`, `error`):
//! - What the user made that the library cannot rebuild (the active model, the library folder,
//!   `settings.*` keys) is also written to a small plain file, [`USER_STATE_FILE`], on every
//!   change; the listening history to its own ([`history::HISTORY_FILE`]).
//! - A database sled cannot open (or that lost its contents) is moved aside, not deleted
//!   (`db.corrupt-<time>`), a fresh one is made and the user state restored from the plain
//!   file; [`Store::recovery`] says what happened. Tracks come back with the next scan, genre
//!   vectors quickly from the feature cache, models from the models folder
//!   (`model::active::sync_models`).
//! - The process holding the database writes its pid to [`PID_FILE`], so a second one can say
//!   "genreplay is already running (pid N)".
//! - A full disk or a read-only file system is named as such, with what to do about it, and
//!   never answered with advice that deletes data.

use std::path::{Path, PathBuf};
use std::sync::Arc;

mod derived;
mod error;
pub mod history;
pub mod listen_log;
mod listens;
mod lock;
pub mod records;
mod recovery;
pub mod tree;
mod user_state;

pub use crate::util::time::now_unix;
pub use error::{IoKind, Result, SCHEMA_VERSION, StoreError, free_bytes, human_bytes, io_kind};
pub use lock::{PID_FILE, in_use, lock_holder};
pub use records::{
    DamageRecord, FailureRecord, LoudnessRecord, ModelId, ModelLocation, ModelRecord,
    OpenSetRecord, TrackId, TrackRecord, VectorRecord,
};
pub use user_state::{
    PlaylistRecord, Recovery, USER_META_KEYS, USER_STATE_FILE, UserPlaylist, UserState,
    read_user_state,
};

use history::HistoryTree;
use lock::{PidFile, process_alive};
use records::ModelTrack;
use tree::TypedTree;
use user_state::is_user_key;

/// The open database. Cheap to clone (sled handles are reference-counted); share it between
/// threads. Every method may be called from any thread, [`Store::flush`] included (e.g. from a
/// signal-handling thread before the process exits).
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    path: PathBuf,
    tracks: TypedTree<TrackId, TrackRecord>,
    vectors: TypedTree<ModelTrack, VectorRecord>,
    failures: TypedTree<ModelTrack, FailureRecord>,
    damage: TypedTree<TrackId, DamageRecord>,
    loudness: TypedTree<TrackId, LoudnessRecord>,
    models: TypedTree<String, ModelRecord>,
    meta: sled::Tree,
    history: HistoryTree,
    listens: listen_log::ListenTree,
    recovery: Option<Arc<Recovery>>,
    _pid: Option<Arc<PidFile>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Why opening failed: the database is damaged (recover) or something else (report).
enum OpenFailure {
    Damaged(String),
    Other(StoreError),
}

/// What [`Store::try_open`] reads whole before it hands the store out.
#[derive(Clone, Copy)]
enum Check {
    Everything,
    /// All but the `tracks` and `vectors` trees (see [`Store::open_for_catalog`]).
    AllButCatalog,
}

impl Store {
    /// The store over `db`'s trees (opened, or made when new).
    fn with_trees(db: sled::Db, path: &Path) -> sled::Result<Self> {
        Ok(Store {
            tracks: TypedTree::open(&db, "tracks")?,
            vectors: TypedTree::open(&db, "vectors")?,
            failures: TypedTree::open(&db, "failures")?,
            damage: TypedTree::open(&db, "damage")?,
            loudness: TypedTree::open(&db, "loudness")?,
            models: TypedTree::open(&db, "models")?,
            meta: db.open_tree("meta")?,
            history: TypedTree::open(&db, "history")?,
            listens: TypedTree::open(&db, "listens")?,
            path: path.to_path_buf(),
            db,
            recovery: None,
            _pid: None,
        })
    }

    /// The trees the open-time check reads whole.
    fn raw_trees(&self, check: Check) -> Vec<&sled::Tree> {
        let mut out = vec![
            self.failures.raw(),
            self.damage.raw(),
            self.loudness.raw(),
            self.models.raw(),
            &self.meta,
            self.history.raw(),
            self.listens.raw(),
        ];
        if let Check::Everything = check {
            out.extend([self.tracks.raw(), self.vectors.raw()]);
        }
        out
    }

    /// Opens (or creates) the database in folder `path`. A damaged database is moved aside and
    /// replaced by a fresh one holding the user state from the plain-file copy (see
    /// [`Store::recovery`]); a locked one, a read-only or full disk are errors that say so.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_checking(path, Check::Everything)
    }

    /// [`Store::open`] for a caller that reads the `tracks` and `vectors` trees whole right
    /// away (the player loading its catalog): those two are not read a first time here, which
    /// at 50,000 tracks is a third of the start. When that read fails, the caller drops this
    /// store and opens it again with [`Store::open`], which checks everything and recovers a
    /// damaged database.
    pub fn open_for_catalog(path: &Path) -> Result<Self> {
        Self::open_checking(path, Check::AllButCatalog)
    }

    fn open_checking(path: &Path, check: Check) -> Result<Self> {
        match Self::try_open(path, check) {
            Ok(store) => {
                store.reconcile_user_state();
                Ok(store)
            }
            Err(OpenFailure::Other(e)) => Err(e),
            Err(OpenFailure::Damaged(reason)) => Self::recover(path, reason),
        }
    }

    fn open_error(path: &Path, e: sled::Error) -> OpenFailure {
        let text = e.to_string();
        match &e {
            sled::Error::Io(_) if text.contains("could not acquire lock") => {
                let pid =
                    lock_holder(path).or_else(|| PidFile::read(path).filter(|&p| process_alive(p)));
                OpenFailure::Other(StoreError::Locked {
                    path: path.to_path_buf(),
                    pid,
                })
            }
            sled::Error::Io(io) => match io_kind(io) {
                Some(IoKind::NoSpace) => OpenFailure::Other(StoreError::NoSpace {
                    path: Some(path.to_path_buf()),
                    free_bytes: free_bytes(path),
                    needed_bytes: Some(8 * 1024 * 1024),
                }),
                Some(IoKind::ReadOnly(reason)) => OpenFailure::Other(StoreError::ReadOnly {
                    path: path.to_path_buf(),
                    reason: reason.to_string(),
                }),
                None => match io.kind() {
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::Interrupted => {
                        OpenFailure::Other(StoreError::Open {
                            path: path.to_path_buf(),
                            reason: text,
                        })
                    }
                    // Short reads, bad lengths, garbage: the files are damaged.
                    _ => OpenFailure::Damaged(text),
                },
            },
            sled::Error::Corruption { .. }
            | sled::Error::ReportableBug(_)
            | sled::Error::Unsupported(_)
            | sled::Error::CollectionNotFound(_) => OpenFailure::Damaged(text),
        }
    }

    fn try_open(path: &Path, check: Check) -> std::result::Result<Self, OpenFailure> {
        if let Err(e) = std::fs::create_dir_all(path) {
            return Err(OpenFailure::Other(match io_kind(&e) {
                Some(IoKind::NoSpace) => StoreError::NoSpace {
                    path: Some(path.to_path_buf()),
                    free_bytes: free_bytes(path),
                    needed_bytes: Some(8 * 1024 * 1024),
                },
                Some(IoKind::ReadOnly(reason)) => StoreError::ReadOnly {
                    path: path.to_path_buf(),
                    reason: reason.to_string(),
                },
                None => StoreError::Open {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                },
            }));
        }
        let had_state = path.join(USER_STATE_FILE).exists();
        let opened = crate::audio::guard::catch(|| {
            let db = sled::Config::new()
                .path(path)
                .flush_every_ms(Some(500))
                // sled's default page cache is 1 GiB; a music library needs far less.
                .cache_capacity(32 * 1024 * 1024)
                .open()?;
            let store = Store::with_trees(db, path)?;
            // Read every tree once: damage sled only finds when it loads a page shows now,
            // not in the middle of some later command.
            for t in store.raw_trees(check) {
                for item in t.iter() {
                    item?;
                }
            }
            Ok::<_, sled::Error>(store)
        });
        let store = match opened {
            Ok(Ok(x)) => x,
            Ok(Err(e)) => return Err(Self::open_error(path, e)),
            Err(panic) => return Err(OpenFailure::Damaged(format!("sled: {panic}"))),
        };
        let version = match store.meta.get("schema_version") {
            Ok(v) => v,
            Err(e) => return Err(Self::open_error(path, e)),
        };
        match version {
            Some(v) => {
                let Ok(arr) = <[u8; 4]>::try_from(v.as_ref()) else {
                    return Err(OpenFailure::Damaged(
                        "the schema version is unreadable".into(),
                    ));
                };
                let v = u32::from_le_bytes(arr);
                if v > SCHEMA_VERSION {
                    return Err(OpenFailure::Other(StoreError::NewerSchema {
                        path: path.to_path_buf(),
                        found: v,
                    }));
                }
            }
            None if had_state => {
                // The folder was in use (it has the plain-file copy) but the database is empty:
                // sled dropped what it could not read.
                return Err(OpenFailure::Damaged(
                    "the database files hold no readable data".into(),
                ));
            }
            None => {
                let r = store
                    .meta
                    .insert("schema_version", &SCHEMA_VERSION.to_le_bytes())
                    .and_then(|_| store.db.flush());
                if let Err(e) = r {
                    return Err(OpenFailure::Other(StoreError::from(e).with_path(path)));
                }
            }
        }
        let pid = PidFile::write(path).map(Arc::new);
        Ok(Store { _pid: pid, ..store })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What opening did to a damaged database, when it had to.
    pub fn recovery(&self) -> Option<&Recovery> {
        self.recovery.as_deref()
    }

    #[cfg(test)]
    fn schema_version(&self) -> Result<Option<u32>> {
        Ok(self.meta.get("schema_version")?.and_then(|v| {
            let arr: [u8; 4] = v.as_ref().try_into().ok()?;
            Some(u32::from_le_bytes(arr))
        }))
    }

    /// Writes everything to disk now. Safe from any thread, at any time.
    pub fn flush(&self) -> Result<()> {
        self.db
            .flush()
            .map_err(|e| StoreError::from(e).with_path(&self.path))?;
        Ok(())
    }

    /// Bytes the database folder takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        dir_size(&self.path)
    }

    /// Fills in where and how much for an error (a full disk: the free space).
    pub fn explain(&self, e: StoreError) -> StoreError {
        e.with_path(&self.path)
    }

    // ---- meta

    pub fn meta_get(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .meta
            .get(key)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Sets a `meta` key; user keys (see [`USER_META_KEYS`]) are copied to the plain file too.
    pub fn meta_set(&self, key: &str, value: &str) -> Result<()> {
        let old = self.meta.insert(key, value.as_bytes())?;
        if is_user_key(key) && old.as_deref() != Some(value.as_bytes()) {
            self.write_user_state();
        }
        Ok(())
    }

    // ---- tracks

    pub fn track(&self, id: TrackId) -> Result<Option<TrackRecord>> {
        Ok(self.tracks.get(&id)?)
    }

    pub fn track_count(&self) -> usize {
        self.tracks.len()
    }

    /// Every track, in key order. Unreadable records are logged and skipped.
    pub fn tracks(&self) -> Result<Vec<(TrackId, TrackRecord)>> {
        Ok(self.tracks.all()?)
    }

    /// Every track, one decoded record at a time (what a 50,000-track library needs: the
    /// caller keeps only what it uses, never all the records at once). Undecodable records
    /// are logged and skipped.
    pub fn for_each_track(&self, f: impl FnMut(TrackId, TrackRecord)) -> Result<()> {
        Ok(self.tracks.for_each_in(&[], f)?)
    }

    /// Inserts or replaces tracks in one atomic batch. Replaced tracks whose file changed
    /// should have their vectors dropped first with [`Store::invalidate_tracks`].
    pub fn put_tracks(&self, records: &[TrackRecord]) -> Result<()> {
        Ok(self.tracks.put_all(records.iter().map(|r| (r.id(), r)))?)
    }

    // ---- models

    pub fn put_model(&self, rec: &ModelRecord) -> Result<()> {
        Ok(self.models.put(&rec.id, rec)?)
    }

    pub fn model(&self, id: &str) -> Result<Option<ModelRecord>> {
        Ok(self.models.get(&id.to_string())?)
    }

    pub fn models(&self) -> Result<Vec<ModelRecord>> {
        Ok(self.models.all()?.into_iter().map(|(_, r)| r).collect())
    }

    pub fn remove_model(&self, id: &str) -> Result<()> {
        Ok(self.models.remove(&id.to_string())?)
    }
}

/// Deletes the database folder (for `genreplay db reset`).
pub fn destroy(path: &Path) -> std::io::Result<()> {
    if path.exists() {
        std::fs::remove_dir_all(path)?;
    }
    Ok(())
}

/// Bytes of all files under `path`.
fn dir_size(path: &Path) -> u64 {
    walkdir::WalkDir::new(path)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

#[cfg(test)]
mod tests;
