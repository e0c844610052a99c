//! The store: the only code that touches sled. Typed trees with a versioned encoding (one version
//! byte, then postcard), a schema version in `meta`, and atomic multi-key updates.
//!
//! Trees:
//! - `tracks`:   TrackId → [`TrackRecord`]
//! - `vectors`:  ModelId ‖ TrackId → [`VectorRecord`] (so a new model never mixes with old vectors)
//! - `failures`: ModelId ‖ TrackId → [`FailureRecord`] (not retried until the file changes)
//! - `models`:   ModelId → [`ModelRecord`]
//! - `playlists`: name → [`PlaylistRecord`]
//! - `meta`:     `schema_version`, `active_model`, `library_root`, …

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sled::Transactional;

use crate::library::{TrackId, TrackRecord};
use crate::model::ModelId;
use crate::model::config::TrainMetrics;

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

const RECORD_VERSION: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database at {} was written by a newer genreplay (schema {found}, this build knows {SCHEMA_VERSION}); \
         upgrade genreplay, use another --data-dir, or run `genreplay db reset` to start over",
        path.display()
    )]
    NewerSchema { path: PathBuf, found: u32 },
    #[error(
        "the database at {} cannot be opened ({reason}); use another --data-dir, or run `genreplay db reset` to start over",
        path.display()
    )]
    Open { path: PathBuf, reason: String },
    #[error(
        "the database at {} is in use by another genreplay process{}; wait for it or quit it, \
         or use another --data-dir",
        path.display(),
        holder.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    InUse { path: PathBuf, holder: Option<u32> },
    #[error("database error: {0}")]
    Sled(#[from] sled::Error),
    #[error("database record {what} is unreadable: {reason}")]
    Decode { what: String, reason: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A track's genre vector for one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorRecord {
    /// Probability per label of the model, in its label order.
    pub vector: Vec<f32>,
    pub segments: u32,
    /// A richer per-track embedding when the model has one (e.g. a pretrained trunk's tags).
    pub style: Option<Vec<f32>>,
    pub computed_unix: u64,
}

/// Why a track could not be classified by a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureRecord {
    pub reason: String,
    /// The file's size and mtime when it failed: a changed file is retried.
    pub size: u64,
    pub mtime_ns: i64,
    pub at_unix: u64,
}

/// Where a model's files are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ModelLocation {
    Embedded,
    /// A model folder (raw path bytes).
    Dir(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRecord {
    pub id: String,
    pub name: String,
    pub labels: Vec<String>,
    pub created_unix: u64,
    pub source: Option<String>,
    pub metrics: Option<TrainMetrics>,
    pub location: ModelLocation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaylistRecord {
    pub name: String,
    pub tracks: Vec<TrackId>,
    pub updated_unix: u64,
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = vec![RECORD_VERSION];
    // Serialising plain data structs to a Vec cannot fail; keep the version byte alone if it did.
    if let Ok(body) = postcard::to_stdvec(v) {
        out.extend(body);
    }
    out
}

fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    match bytes.split_first() {
        Some((&RECORD_VERSION, body)) => {
            postcard::from_bytes(body).map_err(|e| StoreError::Decode {
                what: what.to_string(),
                reason: e.to_string(),
            })
        }
        Some((v, _)) => Err(StoreError::Decode {
            what: what.to_string(),
            reason: format!("record version {v} is unknown"),
        }),
        None => Err(StoreError::Decode {
            what: what.to_string(),
            reason: "empty record".into(),
        }),
    }
}

/// Keys in `vectors` and in `failures`.
type DerivedKeys = (Vec<Vec<u8>>, Vec<Vec<u8>>);

fn model_track_key(model: &ModelId, track: TrackId) -> Vec<u8> {
    let mut k = Vec::with_capacity(model.0.len() + 1 + 8);
    k.extend_from_slice(model.0.as_bytes());
    k.push(b'/');
    k.extend_from_slice(&track.to_bytes());
    k
}

fn model_prefix(model: &ModelId) -> Vec<u8> {
    let mut k = model.0.as_bytes().to_vec();
    k.push(b'/');
    k
}

pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The open database. Cheap to clone (sled handles are reference-counted); share it between
/// threads.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    path: PathBuf,
    tracks: sled::Tree,
    vectors: sled::Tree,
    failures: sled::Tree,
    models: sled::Tree,
    playlists: sled::Tree,
    meta: sled::Tree,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (or creates) the database in folder `path`.
    pub fn open(path: &Path) -> Result<Self> {
        std::fs::create_dir_all(path).map_err(|e| StoreError::Open {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let db = sled::Config::new()
            .path(path)
            .flush_every_ms(Some(500))
            // sled's default page cache is 1 GiB; a music library needs far less.
            .cache_capacity(32 * 1024 * 1024)
            .open()
            .map_err(|e| {
                // sled words a held lock as an I/O error; another process has it, nothing is
                // broken (and nothing should be reset).
                if in_use(path) {
                    StoreError::InUse {
                        path: path.to_path_buf(),
                        holder: lock_holder(path),
                    }
                } else {
                    StoreError::Open {
                        path: path.to_path_buf(),
                        reason: e.to_string(),
                    }
                }
            })?;
        let open = |name: &str| {
            db.open_tree(name).map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })
        };
        let store = Store {
            tracks: open("tracks")?,
            vectors: open("vectors")?,
            failures: open("failures")?,
            models: open("models")?,
            playlists: open("playlists")?,
            meta: open("meta")?,
            path: path.to_path_buf(),
            db,
        };
        match store.schema_version()? {
            Some(v) if v > SCHEMA_VERSION => {
                return Err(StoreError::NewerSchema {
                    path: path.to_path_buf(),
                    found: v,
                });
            }
            Some(_) => {}
            None => {
                store
                    .meta
                    .insert("schema_version", &SCHEMA_VERSION.to_le_bytes())?;
                store.db.flush()?;
            }
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn schema_version(&self) -> Result<Option<u32>> {
        Ok(self.meta.get("schema_version")?.and_then(|v| {
            let arr: [u8; 4] = v.as_ref().try_into().ok()?;
            Some(u32::from_le_bytes(arr))
        }))
    }

    /// Writes everything to disk now.
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    // ---- meta

    pub fn meta_get(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .meta
            .get(key)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn meta_set(&self, key: &str, value: &str) -> Result<()> {
        self.meta.insert(key, value.as_bytes())?;
        Ok(())
    }

    // ---- tracks

    pub fn track(&self, id: TrackId) -> Result<Option<TrackRecord>> {
        self.tracks
            .get(id.to_bytes())?
            .map(|v| decode(&v, &format!("track {id}")))
            .transpose()
    }

    pub fn track_count(&self) -> usize {
        self.tracks.len()
    }

    /// Every track, in key order. Unreadable records are logged and skipped.
    pub fn tracks(&self) -> Result<Vec<(TrackId, TrackRecord)>> {
        let mut out = Vec::with_capacity(self.tracks.len());
        for item in self.tracks.iter() {
            let (k, v) = item?;
            let Some(id) = TrackId::from_bytes(&k) else {
                continue;
            };
            match decode::<TrackRecord>(&v, &format!("track {id}")) {
                Ok(r) => out.push((id, r)),
                Err(e) => tracing::warn!("{e}"),
            }
        }
        Ok(out)
    }

    /// Inserts or replaces tracks in one atomic batch. Replaced tracks whose file changed
    /// should have their vectors dropped first with [`Store::invalidate_tracks`].
    pub fn put_tracks(&self, records: &[TrackRecord]) -> Result<()> {
        let mut batch = sled::Batch::default();
        for r in records {
            batch.insert(&r.id().to_bytes(), encode(r));
        }
        self.tracks.apply_batch(batch)?;
        Ok(())
    }

    /// Removes tracks and everything computed for them, atomically across trees.
    pub fn remove_tracks(&self, ids: &[TrackId]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let derived = self.derived_keys(ids)?;
        (&self.tracks, &self.vectors, &self.failures)
            .transaction(|(t, v, f)| {
                for id in ids {
                    t.remove(&id.to_bytes())?;
                }
                for k in &derived.0 {
                    v.remove(k.as_slice())?;
                }
                for k in &derived.1 {
                    f.remove(k.as_slice())?;
                }
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(transaction_error)?;
        Ok(())
    }

    /// Drops vectors and failures of `ids` for every model (their files changed).
    pub fn invalidate_tracks(&self, ids: &[TrackId]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let (vkeys, fkeys) = self.derived_keys(ids)?;
        (&self.vectors, &self.failures)
            .transaction(|(v, f)| {
                for k in &vkeys {
                    v.remove(k.as_slice())?;
                }
                for k in &fkeys {
                    f.remove(k.as_slice())?;
                }
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(transaction_error)?;
        Ok(())
    }

    /// Copies what was computed for each `from` track (vectors and failures, every model) to
    /// its `to` track: the same file under a new path. The `from` entries stay until the
    /// track is removed.
    pub fn carry_derived(&self, moves: &[(TrackId, TrackId)]) -> Result<()> {
        if moves.is_empty() {
            return Ok(());
        }
        let to: std::collections::HashMap<[u8; 8], [u8; 8]> = moves
            .iter()
            .map(|(a, b)| (a.to_bytes(), b.to_bytes()))
            .collect();
        for tree in [&self.vectors, &self.failures] {
            let mut batch = sled::Batch::default();
            for item in tree.iter() {
                let (k, v) = item?;
                if k.len() < 8 {
                    continue;
                }
                let (prefix, tail) = k.split_at(k.len() - 8);
                let tail: [u8; 8] = tail.try_into().unwrap_or([0; 8]);
                if let Some(new) = to.get(&tail) {
                    let mut key = prefix.to_vec();
                    key.extend_from_slice(new);
                    batch.insert(key, v);
                }
            }
            tree.apply_batch(batch)?;
        }
        Ok(())
    }

    /// Keys in `vectors` and `failures` that belong to `ids` (any model).
    fn derived_keys(&self, ids: &[TrackId]) -> Result<DerivedKeys> {
        let wanted: std::collections::HashSet<[u8; 8]> = ids.iter().map(|i| i.to_bytes()).collect();
        let collect = |tree: &sled::Tree| -> Result<Vec<Vec<u8>>> {
            let mut keys = Vec::new();
            for item in tree.iter().keys() {
                let k = item?;
                if k.len() >= 8 {
                    let tail: [u8; 8] = k[k.len() - 8..].try_into().unwrap_or([0; 8]);
                    if wanted.contains(&tail) {
                        keys.push(k.to_vec());
                    }
                }
            }
            Ok(keys)
        };
        Ok((collect(&self.vectors)?, collect(&self.failures)?))
    }

    // ---- vectors and failures

    /// Stores a track's vector for `model` (and clears a recorded failure), atomically.
    pub fn put_vector(&self, model: &ModelId, track: TrackId, rec: &VectorRecord) -> Result<()> {
        let key = model_track_key(model, track);
        let value = encode(rec);
        (&self.vectors, &self.failures)
            .transaction(|(v, f)| {
                v.insert(key.as_slice(), value.as_slice())?;
                f.remove(key.as_slice())?;
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(transaction_error)?;
        Ok(())
    }

    pub fn vector(&self, model: &ModelId, track: TrackId) -> Result<Option<VectorRecord>> {
        self.vectors
            .get(model_track_key(model, track))?
            .map(|v| decode(&v, &format!("vector {model}/{track}")))
            .transpose()
    }

    pub fn has_vector(&self, model: &ModelId, track: TrackId) -> Result<bool> {
        Ok(self.vectors.contains_key(model_track_key(model, track))?)
    }

    /// Every vector of `model`.
    pub fn vectors_for(&self, model: &ModelId) -> Result<Vec<(TrackId, VectorRecord)>> {
        let mut out = Vec::new();
        for item in self.vectors.scan_prefix(model_prefix(model)) {
            let (k, v) = item?;
            let Some(id) = TrackId::from_bytes(&k[k.len().saturating_sub(8)..]) else {
                continue;
            };
            match decode::<VectorRecord>(&v, &format!("vector {model}/{id}")) {
                Ok(r) => out.push((id, r)),
                Err(e) => tracing::warn!("{e}"),
            }
        }
        Ok(out)
    }

    pub fn vector_count(&self, model: &ModelId) -> usize {
        self.vectors.scan_prefix(model_prefix(model)).count()
    }

    /// Models that have vectors in the store, with their counts.
    pub fn vector_models(&self) -> Result<Vec<(ModelId, usize)>> {
        let mut out: Vec<(ModelId, usize)> = Vec::new();
        for item in self.vectors.iter().keys() {
            let k = item?;
            let Some(slash) = k.iter().position(|&b| b == b'/') else {
                continue;
            };
            let id = ModelId(String::from_utf8_lossy(&k[..slash]).into_owned());
            match out.last_mut() {
                Some((m, n)) if *m == id => *n += 1,
                _ => out.push((id, 1)),
            }
        }
        Ok(out)
    }

    /// Removes every vector and failure of `model`.
    pub fn drop_model_vectors(&self, model: &ModelId) -> Result<()> {
        for tree in [&self.vectors, &self.failures] {
            let mut batch = sled::Batch::default();
            for k in tree.scan_prefix(model_prefix(model)).keys() {
                batch.remove(k?);
            }
            tree.apply_batch(batch)?;
        }
        Ok(())
    }

    pub fn put_failure(&self, model: &ModelId, track: TrackId, rec: &FailureRecord) -> Result<()> {
        self.failures
            .insert(model_track_key(model, track), encode(rec))?;
        Ok(())
    }

    pub fn failure(&self, model: &ModelId, track: TrackId) -> Result<Option<FailureRecord>> {
        self.failures
            .get(model_track_key(model, track))?
            .map(|v| decode(&v, &format!("failure {model}/{track}")))
            .transpose()
    }

    pub fn failures_for(&self, model: &ModelId) -> Result<Vec<(TrackId, FailureRecord)>> {
        let mut out = Vec::new();
        for item in self.failures.scan_prefix(model_prefix(model)) {
            let (k, v) = item?;
            let Some(id) = TrackId::from_bytes(&k[k.len().saturating_sub(8)..]) else {
                continue;
            };
            match decode::<FailureRecord>(&v, &format!("failure {model}/{id}")) {
                Ok(r) => out.push((id, r)),
                Err(e) => tracing::warn!("{e}"),
            }
        }
        Ok(out)
    }

    // ---- models

    pub fn put_model(&self, rec: &ModelRecord) -> Result<()> {
        self.models.insert(rec.id.as_bytes(), encode(rec))?;
        Ok(())
    }

    pub fn model(&self, id: &str) -> Result<Option<ModelRecord>> {
        self.models
            .get(id.as_bytes())?
            .map(|v| decode(&v, &format!("model {id}")))
            .transpose()
    }

    pub fn models(&self) -> Result<Vec<ModelRecord>> {
        let mut out = Vec::new();
        for item in self.models.iter() {
            let (_, v) = item?;
            match decode::<ModelRecord>(&v, "model") {
                Ok(r) => out.push(r),
                Err(e) => tracing::warn!("{e}"),
            }
        }
        Ok(out)
    }

    pub fn remove_model(&self, id: &str) -> Result<()> {
        self.models.remove(id.as_bytes())?;
        Ok(())
    }

    // ---- playlists

    pub fn put_playlist(&self, rec: &PlaylistRecord) -> Result<()> {
        self.playlists.insert(rec.name.as_bytes(), encode(rec))?;
        Ok(())
    }

    pub fn playlists(&self) -> Result<Vec<PlaylistRecord>> {
        let mut out = Vec::new();
        for item in self.playlists.iter() {
            let (_, v) = item?;
            match decode::<PlaylistRecord>(&v, "playlist") {
                Ok(r) => out.push(r),
                Err(e) => tracing::warn!("{e}"),
            }
        }
        Ok(out)
    }

    pub fn remove_playlist(&self, name: &str) -> Result<()> {
        self.playlists.remove(name.as_bytes())?;
        Ok(())
    }
}

fn transaction_error(e: sled::transaction::TransactionError<()>) -> StoreError {
    match e {
        sled::transaction::TransactionError::Storage(s) => StoreError::Sled(s),
        sled::transaction::TransactionError::Abort(()) => StoreError::Decode {
            what: "transaction".into(),
            reason: "aborted".into(),
        },
    }
}

/// The file sled locks while a process has the database in folder `path` open.
fn lock_file(path: &Path) -> PathBuf {
    path.join("db")
}

/// Whether another open handle (this process or another) holds the database in `path`.
pub fn in_use(path: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(f) = std::fs::OpenOptions::new().read(true).open(lock_file(path)) else {
        return false;
    };
    // SAFETY: flock on a file descriptor we own; the lock (if taken) goes with the file.
    let free = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    !free
}

/// The process holding the database's lock, where the system says (Linux: /proc/locks).
pub fn lock_holder(path: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let ino = std::fs::metadata(lock_file(path)).ok()?.ino();
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
    locks.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let (kind, pid, dev_ino) = (f.get(1)?, f.get(4)?, f.get(5)?);
        let lock_ino: u64 = dev_ino.rsplit(':').next()?.parse().ok()?;
        (*kind == "FLOCK" && lock_ino == ino)
            .then(|| pid.parse().ok())
            .flatten()
    })
}

/// Deletes the database folder (for `genreplay db reset`).
pub fn destroy(path: &Path) -> std::io::Result<()> {
    if path.exists() {
        std::fs::remove_dir_all(path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::tags::Tags;
    use std::os::unix::ffi::OsStrExt;

    fn track(path: &str) -> TrackRecord {
        TrackRecord {
            path: Path::new(path).as_os_str().as_bytes().to_vec(),
            size: 10,
            mtime_ns: 20,
            tags: Tags {
                artist: Some("A".into()),
                title: Some("T".into()),
                duration_ms: Some(1234),
                ..Tags::default()
            },
            tag_error: None,
            added_unix: 5,
        }
    }

    fn vector(v: f32) -> VectorRecord {
        VectorRecord {
            vector: vec![v, 1.0 - v],
            segments: 3,
            style: Some(vec![0.5; 4]),
            computed_unix: 9,
        }
    }

    #[test]
    fn round_trips_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let m1 = ModelId("aaaaaaaaaaaaaaaa".into());
        let m2 = ModelId("bbbbbbbbbbbbbbbb".into());
        let a = track("/m/a.flac");
        let b = track("/m/b.flac");
        {
            let s = Store::open(dir.path()).unwrap();
            s.put_tracks(&[a.clone(), b.clone()]).unwrap();
            s.put_vector(&m1, a.id(), &vector(0.25)).unwrap();
            s.put_vector(&m2, a.id(), &vector(0.75)).unwrap();
            s.put_failure(
                &m1,
                b.id(),
                &FailureRecord {
                    reason: "bad".into(),
                    size: 1,
                    mtime_ns: 2,
                    at_unix: 3,
                },
            )
            .unwrap();
            s.put_model(&ModelRecord {
                id: m1.0.clone(),
                name: "n".into(),
                labels: vec!["x".into(), "y".into()],
                created_unix: 1,
                source: None,
                metrics: None,
                location: ModelLocation::Embedded,
            })
            .unwrap();
            s.meta_set("active_model", &m1.0).unwrap();
            s.flush().unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.schema_version().unwrap(), Some(SCHEMA_VERSION));
        assert_eq!(s.track(a.id()).unwrap(), Some(a.clone()));
        assert_eq!(s.tracks().unwrap().len(), 2);
        assert_eq!(s.vector(&m1, a.id()).unwrap(), Some(vector(0.25)));
        assert_eq!(s.vector(&m2, a.id()).unwrap(), Some(vector(0.75)));
        assert_eq!(s.vectors_for(&m1).unwrap().len(), 1);
        assert_eq!(s.vector_models().unwrap().len(), 2);
        assert_eq!(s.failures_for(&m1).unwrap()[0].1.reason, "bad");
        assert_eq!(s.models().unwrap()[0].labels, vec!["x", "y"]);
        assert_eq!(
            s.meta_get("active_model").unwrap().as_deref(),
            Some(m1.0.as_str())
        );

        // A vector for a failed track clears the failure.
        s.put_vector(&m1, b.id(), &vector(0.5)).unwrap();
        assert!(s.failure(&m1, b.id()).unwrap().is_none());
        // Removing a track removes its vectors for every model.
        s.remove_tracks(&[a.id()]).unwrap();
        assert!(s.track(a.id()).unwrap().is_none());
        assert!(s.vector(&m1, a.id()).unwrap().is_none());
        assert!(s.vector(&m2, a.id()).unwrap().is_none());
        assert!(s.vector(&m1, b.id()).unwrap().is_some());
        s.drop_model_vectors(&m1).unwrap();
        assert_eq!(s.vector_count(&m1), 0);
    }

    #[test]
    fn newer_schema_is_refused_with_a_way_out() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path()).unwrap();
            s.meta
                .insert("schema_version", &(SCHEMA_VERSION + 1).to_le_bytes())
                .unwrap();
            s.flush().unwrap();
        }
        let err = Store::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("newer genreplay"), "{err}");
        assert!(
            err.contains("--data-dir") && err.contains("db reset"),
            "{err}"
        );
    }

    #[test]
    fn a_database_in_use_says_so_and_never_suggests_a_reset() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!in_use(dir.path()), "no database yet");
        let held = Store::open(dir.path()).unwrap();
        assert!(in_use(dir.path()));
        // The lock is this process's own (a second handle is refused like another process).
        assert_eq!(lock_holder(dir.path()), Some(std::process::id()));
        let err = Store::open(dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::InUse { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains(&format!(
                "is in use by another genreplay process (pid {})",
                std::process::id()
            )),
            "{text}"
        );
        assert!(!text.contains("reset"), "{text}");
        drop(held);
        assert!(!in_use(dir.path()));
        Store::open(dir.path()).unwrap();
    }

    #[test]
    fn unknown_record_versions_are_errors_not_panics() {
        let err = decode::<VectorRecord>(&[99, 1, 2], "x").unwrap_err();
        assert!(err.to_string().contains("version 99"));
        assert!(decode::<VectorRecord>(&[], "x").is_err());
        assert!(decode::<VectorRecord>(&[RECORD_VERSION, 0xff], "x").is_err());
    }
}
