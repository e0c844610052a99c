//! The store: the only code that touches sled. Typed trees with a versioned encoding (one version
//! byte, then postcard), a schema version in `meta`, and atomic multi-key updates.
//!
//! Trees:
//! - `tracks`:   TrackId → [`TrackRecord`]
//! - `vectors`:  ModelId ‖ TrackId → [`VectorRecord`] (so a new model never mixes with old vectors)
//! - `failures`: ModelId ‖ TrackId → [`FailureRecord`] (not retried until the file changes)
//! - `damage`:   TrackId → [`DamageRecord`] (a "partial" track: analysed from what decoded)
//! - `loudness`: TrackId → [`LoudnessRecord`] (the analysis clip's loudness: the ReplayGain
//!   estimate of tracks without gain tags)
//! - `models`:   ModelId → [`ModelRecord`]
//! - `playlists`: name → [`PlaylistRecord`]
//! - `meta`:     `schema_version`, `active_model`, `library_root`, …
//! - `history`:  TrackId → [`history::HistoryRecord`] (plays, skips, last played, rating; its
//!   plain-file copy is [`history::HISTORY_FILE`])
//!
//! Data safety:
//! - What the user made that the library cannot rebuild (playlists, the active model, the
//!   library folder, `settings.*` keys) is also written to a small plain file,
//!   [`USER_STATE_FILE`], on every change.
//! - A database sled cannot open (or that lost its contents) is moved aside, not deleted
//!   (`db.corrupt-<time>`), a fresh one is made and the user state restored from the plain
//!   file; [`Store::recovery`] says what happened. Tracks come back with the next scan, genre
//!   vectors quickly from the feature cache, models from the models folder
//!   ([`crate::model::active::sync_models`]).
//! - The process holding the database writes its pid to [`PID_FILE`], so a second one can say
//!   "genreplay is already running (pid N)".
//! - A full disk or a read-only file system is named as such, with what to do about it, and
//!   never answered with advice that deletes data.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sled::Transactional;

use crate::library::{TrackId, TrackRecord};
use crate::model::ModelId;
use crate::model::config::TrainMetrics;

pub mod history;
mod listens;

use history::HistoryTree;

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

const RECORD_VERSION: u8 = 1;

/// The plain-file copy of the user's state, inside the database folder.
pub const USER_STATE_FILE: &str = "user-state.json";
/// The pid of the process that has the database open, inside the database folder.
pub const PID_FILE: &str = "genreplay.pid";

/// `meta` keys that are the user's (copied to [`USER_STATE_FILE`]); keys starting with
/// `settings.` are too.
pub const USER_META_KEYS: &[&str] = &["active_model", "library_root"];

fn is_user_key(key: &str) -> bool {
    USER_META_KEYS.contains(&key) || key.starts_with("settings.")
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database at {} was written by a newer genreplay (schema {found}, this build knows {SCHEMA_VERSION}); \
         upgrade genreplay, use another --data-dir, or run `genreplay db reset` to start over",
        path.display()
    )]
    NewerSchema { path: PathBuf, found: u32 },
    #[error("{}", locked_message(path, *pid))]
    Locked { path: PathBuf, pid: Option<u32> },
    #[error(
        "the database at {} cannot be written ({reason}); nothing was changed. \
         Make the folder writable, or use a writable --data-dir",
        path.display()
    )]
    ReadOnly { path: PathBuf, reason: String },
    #[error("{}", no_space_message(path.as_deref(), *free_bytes, *needed_bytes))]
    NoSpace {
        path: Option<PathBuf>,
        free_bytes: Option<u64>,
        needed_bytes: Option<u64>,
    },
    #[error(
        "the database at {} cannot be opened ({reason}); your data is unchanged; use another --data-dir to work meanwhile",
        path.display()
    )]
    Open { path: PathBuf, reason: String },
    #[error("database error: {0}")]
    Sled(sled::Error),
    #[error("database record {what} is unreadable: {reason}")]
    Decode { what: String, reason: String },
    #[error("refusing to store {what}: it holds NaN or infinite values")]
    NonFinite { what: String },
}

fn locked_message(path: &Path, pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!(
            "genreplay is already running (pid {pid}) and has the database at {} open; \
             quit it first, or use another --data-dir",
            path.display()
        ),
        None => format!(
            "the database at {} is in use by another process (it is locked); \
             quit the other genreplay first, or use another --data-dir",
            path.display()
        ),
    }
}

/// Bytes as "12.3 MB".
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn no_space_message(path: Option<&Path>, free: Option<u64>, needed: Option<u64>) -> String {
    let mut m = match path {
        Some(p) => format!("the disk holding {} is full", p.display()),
        None => "the disk holding the database is full".to_string(),
    };
    if let Some(f) = free {
        m.push_str(&format!(" ({} free)", human_bytes(f)));
    }
    match needed {
        Some(n) => m.push_str(&format!(
            "; free at least {} and run the command again (nothing stored so far is lost)",
            human_bytes(n)
        )),
        None => m.push_str(
            "; free some space and run the command again (nothing stored so far is lost)",
        ),
    }
    m
}

/// What kind of I/O failure an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoKind {
    NoSpace,
    ReadOnly(&'static str),
}

/// Recognises a full disk or a read-only file system in an I/O error.
pub fn io_kind(e: &std::io::Error) -> Option<IoKind> {
    match e.raw_os_error() {
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => return Some(IoKind::NoSpace),
        Some(libc::EROFS) => return Some(IoKind::ReadOnly("read-only file system")),
        Some(libc::EACCES) | Some(libc::EPERM) => {
            return Some(IoKind::ReadOnly("permission denied"));
        }
        _ => {}
    }
    match e.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            Some(IoKind::NoSpace)
        }
        std::io::ErrorKind::ReadOnlyFilesystem => Some(IoKind::ReadOnly("read-only file system")),
        std::io::ErrorKind::PermissionDenied => Some(IoKind::ReadOnly("permission denied")),
        _ => {
            let text = e.to_string();
            if text.contains("No space left") || text.contains("os error 28") {
                Some(IoKind::NoSpace)
            } else if text.contains("Read-only file system") || text.contains("os error 30") {
                Some(IoKind::ReadOnly("read-only file system"))
            } else {
                None
            }
        }
    }
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        if let sled::Error::Io(io) = &e {
            match io_kind(io) {
                Some(IoKind::NoSpace) => {
                    return StoreError::NoSpace {
                        path: None,
                        free_bytes: None,
                        needed_bytes: None,
                    };
                }
                Some(IoKind::ReadOnly(reason)) => {
                    return StoreError::ReadOnly {
                        path: PathBuf::from("(the data folder)"),
                        reason: reason.to_string(),
                    };
                }
                None => {}
            }
        }
        StoreError::Sled(e)
    }
}

impl StoreError {
    /// True for a full disk: work that writes must stop, not go on file by file.
    pub fn is_no_space(&self) -> bool {
        matches!(self, StoreError::NoSpace { .. })
    }

    /// True when no further write can succeed (full disk, read-only): stop at once.
    pub fn is_fatal_write(&self) -> bool {
        matches!(
            self,
            StoreError::NoSpace { .. } | StoreError::ReadOnly { .. } | StoreError::Locked { .. }
        )
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl From<history::TreeError> for StoreError {
    fn from(e: history::TreeError) -> Self {
        match e {
            history::TreeError::Sled(e) => StoreError::Sled(e),
            history::TreeError::Decode { what, reason } => StoreError::Decode { what, reason },
        }
    }
}

/// A track's genre vector for one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorRecord {
    /// Probability per label of the model, in its label order.
    pub vector: Vec<f32>,
    pub segments: u32,
    /// A richer per-track embedding when the model has one (e.g. a pretrained trunk's tags).
    pub style: Option<Vec<f32>>,
    pub computed_unix: u64,
    /// The open-set verdict (a genre or unsure) when the model has an open-set rule; `None`
    /// for models without one and for records written before the rule existed.
    pub open_set: Option<OpenSetRecord>,
}

/// A track's open-set verdict as the model's rule gave it when the track was classified.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OpenSetRecord {
    /// True when the track is one of the model's genres; false = unsure.
    pub known: bool,
    /// The temperature-scaled probability of the top genre.
    pub confidence: f32,
    /// How far the track's pooled trunk embedding lies from the training tracks' (the
    /// out-of-distribution score; the rule's threshold is in the model's config).
    pub distance: f32,
}

/// A vector record as builds before the open-set rule wrote it.
#[derive(Deserialize)]
struct VectorRecordV1 {
    vector: Vec<f32>,
    segments: u32,
    style: Option<Vec<f32>>,
    computed_unix: u64,
}

/// Decodes a vector record of this build or of an earlier one (no open-set verdict).
fn decode_vector(bytes: &[u8], what: impl std::fmt::Display) -> Result<VectorRecord> {
    decode::<VectorRecord>(bytes, &what).or_else(|e| match decode::<VectorRecordV1>(bytes, &what) {
        Ok(old) => Ok(VectorRecord {
            vector: old.vector,
            segments: old.segments,
            style: old.style,
            computed_unix: old.computed_unix,
            open_set: None,
        }),
        Err(_) => Err(e),
    })
}

/// A track record as builds before ReplayGain wrote it (its tags without the gain values).
#[derive(Deserialize)]
struct TrackRecordV1 {
    path: Vec<u8>,
    size: u64,
    mtime_ns: i64,
    tags: TagsV1,
    tag_error: Option<String>,
    added_unix: u64,
}

#[derive(Deserialize)]
struct TagsV1 {
    artist: Option<String>,
    album: Option<String>,
    album_artist: Option<String>,
    title: Option<String>,
    track_no: Option<u32>,
    year: Option<u16>,
    genre: Option<String>,
    duration_ms: Option<u64>,
}

/// Track records carry their own version byte: 2 since the tags hold ReplayGain values (1:
/// [`TrackRecordV1`]). A distinct byte keeps the two layouts from being mistaken for each other.
const TRACK_RECORD_VERSION: u8 = 2;

fn encode_track(r: &TrackRecord) -> Vec<u8> {
    let mut out = vec![TRACK_RECORD_VERSION];
    if let Ok(body) = postcard::to_stdvec(r) {
        out.extend(body);
    }
    out
}

/// Decodes a track record of this build or of an earlier one (whose gain tags are unknown:
/// `replaygain` is `None`, so the next scan reads its tags again).
fn decode_track(bytes: &[u8], what: impl std::fmt::Display) -> Result<TrackRecord> {
    if let Some((&TRACK_RECORD_VERSION, body)) = bytes.split_first() {
        return postcard::from_bytes(body).map_err(|e| StoreError::Decode {
            what: what.to_string(),
            reason: e.to_string(),
        });
    }
    match decode::<TrackRecordV1>(bytes, &what) {
        Ok(old) => Ok(TrackRecord {
            path: old.path,
            size: old.size,
            mtime_ns: old.mtime_ns,
            tags: crate::library::tags::Tags {
                artist: old.tags.artist,
                album: old.tags.album,
                album_artist: old.tags.album_artist,
                title: old.tags.title,
                track_no: old.tags.track_no,
                year: old.tags.year,
                genre: old.tags.genre,
                duration_ms: old.tags.duration_ms,
                replaygain: None,
            },
            tag_error: old.tag_error,
            added_unix: old.added_unix,
        }),
        Err(e) => Err(e),
    }
}

impl VectorRecord {
    /// True when the vector and the style hold only finite numbers.
    pub fn is_finite(&self) -> bool {
        self.vector.iter().all(|v| v.is_finite())
            && self
                .style
                .as_ref()
                .is_none_or(|s| s.iter().all(|v| v.is_finite()))
    }
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

/// A "partial" track: it was analysed from what could be decoded of a damaged file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DamageRecord {
    /// What is wrong with the file, in words ("truncated: 12.0 s of the declared 180.0 s …").
    pub reason: String,
    /// The file's size and mtime when this was found.
    pub size: u64,
    pub mtime_ns: i64,
    pub at_unix: u64,
}

/// The loudness of a track's analysis clip (EBU R128), kept until the file changes: its
/// ReplayGain estimate when it has no gain tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoudnessRecord {
    pub loudness: crate::audio::loudness::Loudness,
    /// The file's size and mtime when it was measured.
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

/// The plain-file copy of what the user made ([`USER_STATE_FILE`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserState {
    pub version: u32,
    pub written_unix: u64,
    /// User `meta` keys (see [`USER_META_KEYS`]).
    pub meta: BTreeMap<String, String>,
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
    /// Playlists and user settings restored from the plain-file copy.
    pub restored_playlists: usize,
    pub restored_meta: Vec<String>,
    /// Tracks whose history and rating came back from their plain file.
    pub restored_history: usize,
}

impl Recovery {
    /// One paragraph for the user.
    pub fn describe(&self) -> String {
        format!(
            "the database was damaged ({}); it was moved to {} (kept, not deleted) and a fresh one was made; \
             restored from the plain-file copies: {} playlist{}, {} and the history of {} track{}. \
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
            if self.restored_history == 1 { "" } else { "s" }
        )
    }
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = vec![RECORD_VERSION];
    // Serialising plain data structs to a Vec cannot fail; keep the version byte alone if it did.
    if let Ok(body) = postcard::to_stdvec(v) {
        out.extend(body);
    }
    out
}

/// Every record of a tree keyed by track id; unreadable ones are logged and skipped. (No
/// capacity from `Tree::len`: in sled that is a second full read of the tree.)
fn per_track<T: DeserializeOwned>(tree: &sled::Tree, what: &str) -> Result<Vec<(TrackId, T)>> {
    let mut out = Vec::new();
    for item in tree.iter() {
        let (k, v) = item?;
        let Some(id) = TrackId::from_bytes(&k) else {
            continue;
        };
        match decode::<T>(&v, format_args!("{what} {id}")) {
            Ok(r) => out.push((id, r)),
            Err(e) => tracing::warn!("{e}"),
        }
    }
    Ok(out)
}

/// `what` names the record in an error; it is only formatted when decoding fails.
fn decode<T: DeserializeOwned>(bytes: &[u8], what: impl std::fmt::Display) -> Result<T> {
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

pub use crate::util::time::now_unix;

/// Free bytes on the file system holding `path` (the nearest existing ancestor).
pub fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let mut p = path;
    while !p.exists() {
        p = p.parent()?;
    }
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a valid NUL-terminated path and `st` a properly sized, zeroed struct.
    unsafe {
        let mut st: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(c.as_ptr(), &mut st) == 0 {
            Some(st.f_bavail as u64 * st.f_frsize as u64)
        } else {
            None
        }
    }
}

/// Bytes of all files under `path`.
pub fn dir_size(path: &Path) -> u64 {
    walkdir::WalkDir::new(path)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// Whether process `pid` exists.
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The pid file of an open database; removed when the last handle goes.
#[derive(Debug)]
struct PidFile {
    path: PathBuf,
}

impl PidFile {
    fn write(dir: &Path) -> Option<Self> {
        let path = dir.join(PID_FILE);
        let tmp = dir.join(format!(".{PID_FILE}.tmp-{}", std::process::id()));
        let ok = std::fs::write(&tmp, format!("{}\n", std::process::id()))
            .and_then(|_| std::fs::rename(&tmp, &path));
        match ok {
            Ok(()) => Some(PidFile { path }),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                tracing::warn!(path = %path.display(), error = %e, "cannot write the pid file");
                None
            }
        }
    }

    fn read(dir: &Path) -> Option<u32> {
        std::fs::read_to_string(dir.join(PID_FILE))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if PidFile::read(self.path.parent().unwrap_or(Path::new("."))) == Some(std::process::id()) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The open database. Cheap to clone (sled handles are reference-counted); share it between
/// threads. Every method may be called from any thread, [`Store::flush`] included (e.g. from a
/// signal-handling thread before the process exits).
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    path: PathBuf,
    tracks: sled::Tree,
    vectors: sled::Tree,
    failures: sled::Tree,
    damage: sled::Tree,
    loudness: sled::Tree,
    models: sled::Tree,
    playlists: sled::Tree,
    meta: sled::Tree,
    history: HistoryTree,
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
            let open = |name: &str| db.open_tree(name);
            let trees = (
                open("tracks")?,
                open("vectors")?,
                open("failures")?,
                open("damage")?,
                open("models")?,
                open("playlists")?,
                open("meta")?,
                open("loudness")?,
                HistoryTree::open(&db, "history", history::HISTORY_VERSION)?,
            );
            // Read every tree once: damage sled only finds when it loads a page shows now,
            // not in the middle of some later command.
            let catalog = [&trees.0, &trees.1];
            let rest = [
                &trees.2,
                &trees.3,
                &trees.4,
                &trees.5,
                &trees.6,
                &trees.7,
                trees.8.raw(),
            ];
            let read: &[&sled::Tree] = match check {
                Check::Everything => &[catalog.as_slice(), rest.as_slice()].concat(),
                Check::AllButCatalog => &rest,
            };
            for t in read {
                for item in t.iter() {
                    item?;
                }
            }
            Ok::<_, sled::Error>((db, trees))
        });
        let (db, (tracks, vectors, failures, damage, models, playlists, meta, loudness, history)) =
            match opened {
                Ok(Ok(x)) => x,
                Ok(Err(e)) => return Err(Self::open_error(path, e)),
                Err(panic) => return Err(OpenFailure::Damaged(format!("sled: {panic}"))),
            };
        let store = Store {
            tracks,
            vectors,
            failures,
            damage,
            loudness,
            models,
            playlists,
            meta,
            history,
            path: path.to_path_buf(),
            db,
            recovery: None,
            _pid: None,
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

    /// Moves the damaged database at `path` aside, opens a fresh one and restores the user
    /// state from the plain-file copy.
    fn recover(path: &Path, reason: String) -> Result<Self> {
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
            for p in &state.playlists {
                store
                    .playlists
                    .insert(p.name.as_bytes(), encode(&p.to_record()))?;
                restored_playlists += 1;
            }
        }
        let restored_history = store.restore_history_from(&aside);
        store.flush()?;
        store.write_user_state();
        let rec = Recovery {
            reason,
            moved_to: aside,
            restored_playlists,
            restored_meta,
            restored_history,
        };
        tracing::warn!("{}", rec.describe());
        store.recovery = Some(Arc::new(rec));
        Ok(store)
    }

    /// Restores user state the plain-file copy has and the database lacks (sled can silently
    /// lose the last writes of a crash); writes the copy when there is none yet.
    fn reconcile_user_state(&self) {
        if self.restore_history_from(&self.path) > 0 {
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
        for p in &state.playlists {
            let newer = match self.playlists.get(p.name.as_bytes()) {
                Ok(None) => true,
                Ok(Some(v)) => decode::<PlaylistRecord>(&v, "playlist")
                    .map(|r| r.updated_unix < p.updated_unix)
                    .unwrap_or(true),
                Err(_) => false,
            };
            if newer {
                changed |= self
                    .playlists
                    .insert(p.name.as_bytes(), encode(&p.to_record()))
                    .is_ok();
            }
        }
        if changed {
            tracing::warn!(path = %self.path.display(), "restored user state the database had lost");
            let _ = self.db.flush();
        }
    }

    /// The user state as the database has it.
    pub fn user_state(&self) -> Result<UserState> {
        let mut meta = BTreeMap::new();
        for item in self.meta.iter() {
            let (k, v) = item?;
            let k = String::from_utf8_lossy(&k).into_owned();
            if is_user_key(&k) {
                meta.insert(k, String::from_utf8_lossy(&v).into_owned());
            }
        }
        let playlists = self
            .playlists()?
            .into_iter()
            .map(|p| UserPlaylist {
                name: p.name,
                tracks: p.tracks.iter().map(|t| t.hex()).collect(),
                updated_unix: p.updated_unix,
            })
            .collect();
        Ok(UserState {
            version: 1,
            written_unix: now_unix(),
            meta,
            playlists,
        })
    }

    /// Writes the plain-file copy of the user state (atomically: temporary file, then rename).
    /// A failure is logged: the database itself holds the state too.
    fn write_user_state(&self) {
        let write = || -> anyhow::Result<()> {
            let state = self.user_state()?;
            let file = self.path.join(USER_STATE_FILE);
            let tmp = self
                .path
                .join(format!(".{USER_STATE_FILE}.tmp-{}", std::process::id()));
            let mut f = std::fs::File::create(&tmp)?;
            std::io::Write::write_all(&mut f, &serde_json::to_vec_pretty(&state)?)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &file)?;
            Ok(())
        };
        if let Err(e) = write() {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot write the user state copy");
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What opening did to a damaged database, when it had to.
    pub fn recovery(&self) -> Option<&Recovery> {
        self.recovery.as_deref()
    }

    pub fn schema_version(&self) -> Result<Option<u32>> {
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
        self.tracks
            .get(id.to_bytes())?
            .map(|v| decode_track(&v, format_args!("track {id}")))
            .transpose()
    }

    pub fn track_count(&self) -> usize {
        self.tracks.len()
    }

    /// Every track, in key order. Unreadable records are logged and skipped.
    pub fn tracks(&self) -> Result<Vec<(TrackId, TrackRecord)>> {
        let mut out = Vec::new();
        self.for_each_track(|id, r| out.push((id, r)))?;
        Ok(out)
    }

    /// Every track, one decoded record at a time (what a 50,000-track library needs: the
    /// caller keeps only what it uses, never all the records at once). Undecodable records
    /// are logged and skipped.
    pub fn for_each_track(&self, mut f: impl FnMut(TrackId, TrackRecord)) -> Result<()> {
        for item in self.tracks.iter() {
            let (k, v) = item?;
            let Some(id) = TrackId::from_bytes(&k) else {
                continue;
            };
            match decode_track(&v, format_args!("track {id}")) {
                Ok(r) => f(id, r),
                Err(e) => tracing::warn!("{e}"),
            }
        }
        Ok(())
    }

    /// Inserts or replaces tracks in one atomic batch. Replaced tracks whose file changed
    /// should have their vectors dropped first with [`Store::invalidate_tracks`].
    pub fn put_tracks(&self, records: &[TrackRecord]) -> Result<()> {
        let mut batch = sled::Batch::default();
        for r in records {
            batch.insert(&r.id().to_bytes(), encode_track(r));
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
        (
            &self.tracks,
            &self.vectors,
            &self.failures,
            &self.damage,
            &self.loudness,
        )
            .transaction(|(t, v, f, d, l)| {
                for id in ids {
                    t.remove(&id.to_bytes())?;
                    d.remove(&id.to_bytes())?;
                    l.remove(&id.to_bytes())?;
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

    /// Drops vectors, failures and damage notes of `ids` for every model (their files changed).
    pub fn invalidate_tracks(&self, ids: &[TrackId]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let (vkeys, fkeys) = self.derived_keys(ids)?;
        (&self.vectors, &self.failures, &self.damage, &self.loudness)
            .transaction(|(v, f, d, l)| {
                for k in &vkeys {
                    v.remove(k.as_slice())?;
                }
                for k in &fkeys {
                    f.remove(k.as_slice())?;
                }
                for id in ids {
                    d.remove(&id.to_bytes())?;
                    l.remove(&id.to_bytes())?;
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

    /// Stores a track's vector for `model` (and clears a recorded failure), atomically. A
    /// vector or style with NaN or infinite values is refused.
    pub fn put_vector(&self, model: &ModelId, track: TrackId, rec: &VectorRecord) -> Result<()> {
        if !rec.is_finite() || rec.vector.is_empty() {
            return Err(StoreError::NonFinite {
                what: format!("the genre vector of track {track} for model {model}"),
            });
        }
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

    /// A track's vector for `model`; one stored with NaN/Inf by an older build counts as none
    /// (the track is classified again).
    pub fn vector(&self, model: &ModelId, track: TrackId) -> Result<Option<VectorRecord>> {
        Ok(self
            .vectors
            .get(model_track_key(model, track))?
            .map(|v| decode_vector(&v, format_args!("vector {model}/{track}")))
            .transpose()?
            .filter(VectorRecord::is_finite))
    }

    pub fn has_vector(&self, model: &ModelId, track: TrackId) -> Result<bool> {
        Ok(self.vector(model, track)?.is_some())
    }

    /// Every vector of `model` (non-finite ones from older builds left out).
    pub fn vectors_for(&self, model: &ModelId) -> Result<Vec<(TrackId, VectorRecord)>> {
        let mut out = Vec::new();
        for item in self.vectors.scan_prefix(model_prefix(model)) {
            let (k, v) = item?;
            let Some(id) = TrackId::from_bytes(&k[k.len().saturating_sub(8)..]) else {
                continue;
            };
            match decode_vector(&v, format_args!("vector {model}/{id}")) {
                Ok(r) if r.is_finite() => out.push((id, r)),
                Ok(_) => tracing::warn!("vector {model}/{id} holds NaN/Inf; ignored"),
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
            .map(|v| decode(&v, format_args!("failure {model}/{track}")))
            .transpose()
    }

    pub fn failures_for(&self, model: &ModelId) -> Result<Vec<(TrackId, FailureRecord)>> {
        let mut out = Vec::new();
        for item in self.failures.scan_prefix(model_prefix(model)) {
            let (k, v) = item?;
            let Some(id) = TrackId::from_bytes(&k[k.len().saturating_sub(8)..]) else {
                continue;
            };
            match decode::<FailureRecord>(&v, format_args!("failure {model}/{id}")) {
                Ok(r) => out.push((id, r)),
                Err(e) => tracing::warn!("{e}"),
            }
        }
        Ok(out)
    }

    // ---- damage ("partial" tracks)

    /// Notes that `track` was analysed from a damaged file (kept until the file changes).
    pub fn put_damage(&self, track: TrackId, rec: &DamageRecord) -> Result<()> {
        self.damage.insert(track.to_bytes(), encode(rec))?;
        Ok(())
    }

    /// Why `track` is partial, if it is.
    pub fn damage(&self, track: TrackId) -> Result<Option<DamageRecord>> {
        self.damage
            .get(track.to_bytes())?
            .map(|v| decode(&v, format_args!("damage {track}")))
            .transpose()
    }

    /// Every partial track with its reason.
    pub fn damaged_tracks(&self) -> Result<Vec<(TrackId, DamageRecord)>> {
        per_track(&self.damage, "damage")
    }

    // ---- loudness (the ReplayGain estimate)

    /// Keeps the loudness measured on `track`'s analysis clip (until the file changes).
    pub fn put_loudness(&self, track: TrackId, rec: &LoudnessRecord) -> Result<()> {
        if !(rec.loudness.lufs.is_finite() && rec.loudness.peak.is_finite()) {
            return Err(StoreError::NonFinite {
                what: format!("the loudness of track {track}"),
            });
        }
        self.loudness.insert(track.to_bytes(), encode(rec))?;
        Ok(())
    }

    /// The loudness measured on `track`'s clip, if any.
    pub fn loudness(&self, track: TrackId) -> Result<Option<LoudnessRecord>> {
        self.loudness
            .get(track.to_bytes())?
            .map(|v| decode(&v, format_args!("loudness {track}")))
            .transpose()
    }

    /// Every measured loudness. Unreadable records are logged and skipped.
    pub fn loudness_all(&self) -> Result<Vec<(TrackId, LoudnessRecord)>> {
        per_track(&self.loudness, "loudness")
    }

    // ---- models

    pub fn put_model(&self, rec: &ModelRecord) -> Result<()> {
        self.models.insert(rec.id.as_bytes(), encode(rec))?;
        Ok(())
    }

    pub fn model(&self, id: &str) -> Result<Option<ModelRecord>> {
        self.models
            .get(id.as_bytes())?
            .map(|v| decode(&v, format_args!("model {id}")))
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

    /// Stores a playlist (and the plain-file copy of the user state).
    pub fn put_playlist(&self, rec: &PlaylistRecord) -> Result<()> {
        self.playlists.insert(rec.name.as_bytes(), encode(rec))?;
        self.write_user_state();
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

    /// Removes a playlist (and from the plain-file copy).
    pub fn remove_playlist(&self, name: &str) -> Result<()> {
        self.playlists.remove(name.as_bytes())?;
        self.write_user_state();
        Ok(())
    }
}

impl UserPlaylist {
    fn to_record(&self) -> PlaylistRecord {
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

impl StoreError {
    /// The error with the database's folder filled in (and for a full disk, the free space).
    pub fn with_path(self, path: &Path) -> StoreError {
        match self {
            StoreError::NoSpace {
                path: None,
                needed_bytes,
                ..
            } => StoreError::NoSpace {
                free_bytes: free_bytes(path),
                path: Some(path.to_path_buf()),
                needed_bytes,
            },
            StoreError::ReadOnly { reason, .. } => StoreError::ReadOnly {
                path: path.to_path_buf(),
                reason,
            },
            other => other,
        }
    }

    /// A full disk, saying how much space is needed.
    pub fn needing(self, bytes: u64) -> StoreError {
        match self {
            StoreError::NoSpace {
                path, free_bytes, ..
            } => StoreError::NoSpace {
                path,
                free_bytes,
                needed_bytes: Some(bytes),
            },
            other => other,
        }
    }
}

fn transaction_error(e: sled::transaction::TransactionError<()>) -> StoreError {
    match e {
        sled::transaction::TransactionError::Storage(s) => StoreError::from(s),
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
            open_set: Some(OpenSetRecord {
                known: v > 0.5,
                confidence: v,
                distance: 1.0 - v,
            }),
        }
    }

    #[test]
    fn vector_records_of_earlier_builds_still_read() {
        #[derive(Serialize)]
        struct Old {
            vector: Vec<f32>,
            segments: u32,
            style: Option<Vec<f32>>,
            computed_unix: u64,
        }
        let bytes = encode(&Old {
            vector: vec![0.25, 0.75],
            segments: 2,
            style: None,
            computed_unix: 7,
        });
        let r = decode_vector(&bytes, "old").unwrap();
        assert_eq!(r.vector, vec![0.25, 0.75]);
        assert_eq!(r.open_set, None);
        let new = vector(0.75);
        assert_eq!(decode_vector(&encode(&new), "new").unwrap(), new);
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
        assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains(&format!(
                "genreplay is already running (pid {})",
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
    fn track_records_of_earlier_builds_read_without_gain_tags() {
        #[derive(Serialize)]
        struct OldTags {
            artist: Option<String>,
            album: Option<String>,
            album_artist: Option<String>,
            title: Option<String>,
            track_no: Option<u32>,
            year: Option<u16>,
            genre: Option<String>,
            duration_ms: Option<u64>,
        }
        #[derive(Serialize)]
        struct Old {
            path: Vec<u8>,
            size: u64,
            mtime_ns: i64,
            tags: OldTags,
            tag_error: Option<String>,
            added_unix: u64,
        }
        let bytes = encode(&Old {
            path: b"/m/a.flac".to_vec(),
            size: 10,
            mtime_ns: 20,
            tags: OldTags {
                artist: Some("A".into()),
                album: None,
                album_artist: None,
                title: Some("T".into()),
                track_no: Some(1),
                year: None,
                genre: None,
                duration_ms: Some(1000),
            },
            tag_error: Some("x".into()),
            added_unix: 1_700_000_000,
        });
        let r = decode_track(&bytes, "old").unwrap();
        assert_eq!(r.tags.artist.as_deref(), Some("A"));
        assert_eq!(r.tags.replaygain, None);
        assert_eq!(r.tag_error.as_deref(), Some("x"));
        assert_eq!(r.added_unix, 1_700_000_000);
        let mut new = track("/m/b.flac");
        new.tags.replaygain = Some(crate::audio::gain::ReplayGainTags {
            track_gain_db: Some(-6.5),
            ..Default::default()
        });
        assert_eq!(decode_track(&encode_track(&new), "new").unwrap(), new);
    }

    #[test]
    fn loudness_is_kept_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("db")).unwrap();
        let t = track("/m/a.flac");
        let id = t.id();
        s.put_tracks(&[t]).unwrap();
        let rec = LoudnessRecord {
            loudness: crate::audio::loudness::Loudness {
                lufs: -14.5,
                peak: 0.9,
                secs: 60.0,
            },
            size: 1,
            mtime_ns: 2,
            at_unix: 3,
        };
        s.put_loudness(id, &rec).unwrap();
        assert_eq!(s.loudness(id).unwrap(), Some(rec.clone()));
        assert_eq!(s.loudness_all().unwrap().len(), 1);
        let bad = LoudnessRecord {
            loudness: crate::audio::loudness::Loudness {
                lufs: f32::NAN,
                ..rec.loudness
            },
            ..rec.clone()
        };
        assert!(s.put_loudness(id, &bad).is_err());
        s.invalidate_tracks(&[id]).unwrap();
        assert_eq!(s.loudness(id).unwrap(), None);
        s.put_loudness(id, &rec).unwrap();
        s.remove_tracks(&[id]).unwrap();
        assert_eq!(s.loudness(id).unwrap(), None);
    }

    #[test]
    fn unknown_record_versions_are_errors_not_panics() {
        let err = decode::<VectorRecord>(&[99, 1, 2], "x").unwrap_err();
        assert!(err.to_string().contains("version 99"));
        assert!(decode::<VectorRecord>(&[], "x").is_err());
        assert!(decode::<VectorRecord>(&[RECORD_VERSION, 0xff], "x").is_err());
    }
}
