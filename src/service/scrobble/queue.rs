//! The listens waiting for the server: `queue.json` in the data folder's `scrobble/`. A listen
//! is written here (whole, synced, renamed into place) before anything tries to send it, and
//! leaves only when the server has accepted it, so a `kill -9` at any moment loses none. The
//! file is read as hostile input: at most [`MAX_FILE_BYTES`], [`MAX_LISTENS`] listens, each
//! field checked; a damaged file is moved aside under a name of its own (never deleted) and
//! the queue starts again empty. Every change is made under `queue.lock` (an advisory lock),
//! so the player and `genreplay scrobble flush` never lose each other's changes.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::ScrobbleError;
use crate::util::private::{private_dir, rename_new, replace};

/// Listens the queue holds at most: more than a month of listening without the server. When
/// it is full a new listen is refused (and the log says so); the queued ones are kept.
pub const MAX_LISTENS: usize = 10_000;
/// Bytes of one text field (artist, title, album) at most; longer ones are cut on a character
/// boundary when the listen is made.
pub const MAX_TEXT: usize = 512;
/// The queue file's size at most (10,000 listens of the longest fields fit).
pub const MAX_FILE_BYTES: u64 = 32 << 20;
/// Listens set aside because the server refused them as invalid, at most.
pub const MAX_REJECTED: usize = 1_000;
/// ListenBrainz refuses listens from before this (2002-10-01, its `LISTEN_MINIMUM_TS`).
pub const MIN_LISTENED_AT: u64 = 1_033_430_400;

const FILE_VERSION: u32 = 1;

/// One listen: when it started and what was played.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueuedListen {
    /// When the track started, Unix seconds.
    pub listened_at: u64,
    pub artist: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub album: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_number: Option<u32>,
}

impl QueuedListen {
    /// A listen of `title` by `artist`, its text cleaned (control characters out, cut to
    /// [`MAX_TEXT`] bytes); `None` when artist or title is empty.
    pub fn new(
        listened_at: u64,
        artist: &str,
        title: &str,
        album: Option<&str>,
        duration_ms: Option<u64>,
        track_number: Option<u32>,
    ) -> Option<Self> {
        let (artist, title) = (clean(artist), clean(title));
        if artist.is_empty() || title.is_empty() {
            return None;
        }
        Some(QueuedListen {
            listened_at,
            artist,
            title,
            album: album.map(clean).filter(|a| !a.is_empty()),
            duration_ms,
            track_number,
        })
    }

    /// What a hostile file may not hold: empty or oversized text, control characters, a time
    /// before ListenBrainz's first or more than a day ahead.
    fn check(&self, now: u64) -> Result<(), String> {
        let texts = [Some(&self.artist), Some(&self.title), self.album.as_ref()];
        for t in texts.into_iter().flatten() {
            if t.len() > MAX_TEXT || t.chars().any(char::is_control) {
                return Err("a listen with text too long or with control characters".into());
            }
        }
        if self.artist.is_empty() || self.title.is_empty() {
            return Err("a listen without artist or title".into());
        }
        if self.listened_at < MIN_LISTENED_AT || self.listened_at > now + 86_400 {
            return Err(format!(
                "a listen at an impossible time ({})",
                self.listened_at
            ));
        }
        Ok(())
    }
}

/// Control characters out, whitespace trimmed, at most [`MAX_TEXT`] bytes.
fn clean(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).collect();
    let trimmed = out.trim();
    if trimmed.len() != out.len() {
        out = trimmed.to_string();
    }
    if out.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
    }
    out
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueFile {
    version: u32,
    #[serde(deserialize_with = "crate::util::bounded::vec::<_, _, MAX_LISTENS>")]
    listens: Vec<QueuedListen>,
}

/// An advisory lock on a file, released when dropped.
#[derive(Debug)]
pub struct FileLock {
    /// Closing the file releases the lock.
    _file: File,
}

/// Opens (creating, 0600) and locks `path`; `wait`: block until it is free, else `None` when
/// another holds it.
pub fn lock_file(path: &Path, wait: bool) -> Result<Option<FileLock>, ScrobbleError> {
    let io = |source| ScrobbleError::Io {
        path: path.to_path_buf(),
        source,
    };
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(io)?;
    if wait {
        f.lock().map_err(io)?;
        return Ok(Some(FileLock { _file: f }));
    }
    match f.try_lock() {
        Ok(()) => Ok(Some(FileLock { _file: f })),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
    }
}

/// What adding listens did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pushed {
    /// Listens now queued in all.
    pub queued: usize,
    /// Listens refused because the queue was full.
    pub refused: usize,
}

/// The queue in its folder (`<data>/scrobble`).
#[derive(Debug, Clone)]
pub struct ListenQueue {
    dir: PathBuf,
}

impl ListenQueue {
    /// The queue in `dir`, made (0700) when missing.
    pub fn open(dir: &Path) -> Result<Self, ScrobbleError> {
        private_dir(dir).map_err(|e| ScrobbleError::Folder {
            path: dir.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(ListenQueue {
            dir: dir.to_path_buf(),
        })
    }

    /// The queue in `dir` as it is, for reading (nothing is made).
    pub fn at(dir: &Path) -> Self {
        ListenQueue {
            dir: dir.to_path_buf(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn file(&self) -> PathBuf {
        self.dir.join("queue.json")
    }

    fn rejected_file(&self) -> PathBuf {
        self.dir.join("rejected.json")
    }

    fn lock(&self) -> Result<FileLock, ScrobbleError> {
        let path = self.dir.join("queue.lock");
        lock_file(&path, true)?.ok_or(ScrobbleError::Io {
            path,
            source: std::io::ErrorKind::WouldBlock.into(),
        })
    }

    /// The queued listens, oldest first. A damaged file is moved aside (the error names both
    /// files) and the queue is empty from then on.
    pub fn load(&self) -> Result<Vec<QueuedListen>, ScrobbleError> {
        read_listens(&self.file(), MAX_LISTENS)
    }

    /// How many listens wait (0 for a missing file; `Unreadable` for a damaged one, left as it
    /// is).
    pub fn count(&self) -> Result<usize, ScrobbleError> {
        read_bounded(&self.file(), MAX_LISTENS).map(|l| l.len())
    }

    /// Adds `listens` at the end, written before this returns; what does not fit under
    /// [`MAX_LISTENS`] is refused. A damaged file is moved aside first, and its error comes
    /// back with the listens written: `(pushed, damage)`.
    pub fn push(
        &self,
        listens: &[QueuedListen],
    ) -> Result<(Pushed, Option<ScrobbleError>), ScrobbleError> {
        let _lock = self.lock()?;
        let (mut all, damage) = match self.load() {
            Ok(a) => (a, None),
            Err(e @ ScrobbleError::Damaged { .. }) => (Vec::new(), Some(e)),
            Err(e) => return Err(e),
        };
        let room = MAX_LISTENS.saturating_sub(all.len());
        let take = listens.len().min(room);
        all.extend_from_slice(&listens[..take]);
        if take > 0 {
            write_listens(&self.file(), &all)?;
        }
        let pushed = Pushed {
            queued: all.len(),
            refused: listens.len() - take,
        };
        Ok((pushed, damage))
    }

    /// Takes out the listens the server accepted (each once, wherever it now is); returns how
    /// many are left.
    pub fn remove(&self, sent: &[QueuedListen]) -> Result<usize, ScrobbleError> {
        let _lock = self.lock()?;
        let mut all = self.load()?;
        let before = all.len();
        for s in sent {
            if let Some(i) = all.iter().position(|l| l == s) {
                all.remove(i);
            }
        }
        if all.len() != before {
            write_listens(&self.file(), &all)?;
        }
        Ok(all.len())
    }

    /// Moves a listen the server refused as invalid out of the queue into `rejected.json`
    /// (kept for the user, at most [`MAX_REJECTED`]: beyond that the oldest go).
    pub fn set_aside(&self, listen: &QueuedListen) -> Result<(), ScrobbleError> {
        let _lock = self.lock()?;
        let path = self.rejected_file();
        let mut kept = read_listens(&path, MAX_REJECTED).unwrap_or_default();
        kept.push(listen.clone());
        if kept.len() > MAX_REJECTED {
            kept.drain(..kept.len() - MAX_REJECTED);
        }
        write_listens(&path, &kept)?;
        drop(_lock);
        self.remove(std::slice::from_ref(listen)).map(|_| ())
    }
}

/// Reads `path` (missing: empty), moving a damaged file aside.
fn read_listens(path: &Path, max: usize) -> Result<Vec<QueuedListen>, ScrobbleError> {
    match read_bounded(path, max) {
        Err(ScrobbleError::Unreadable { path, reason }) => {
            let kept = move_aside(&path)?;
            tracing::warn!(
                "{}: damaged ({reason}); kept as {}, the queue starts again",
                path.display(),
                kept.display()
            );
            Err(ScrobbleError::Damaged { path, reason, kept })
        }
        other => other,
    }
}

/// Reads and checks `path` without changing anything (damage: `Unreadable`).
fn read_bounded(path: &Path, max: usize) -> Result<Vec<QueuedListen>, ScrobbleError> {
    let damaged = |reason: String| ScrobbleError::Unreadable {
        path: path.to_path_buf(),
        reason,
    };
    let f = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ScrobbleError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let meta = f.metadata().map_err(|source| ScrobbleError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_file() {
        return Err(damaged("not a regular file".into()));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(damaged(format!(
            "{} bytes, more than {MAX_FILE_BYTES}",
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| ScrobbleError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(damaged(format!("more than {MAX_FILE_BYTES} bytes")));
    }
    let file: QueueFile = serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?;
    if file.version != FILE_VERSION {
        return Err(damaged(format!("unknown version {}", file.version)));
    }
    if file.listens.len() > max {
        return Err(damaged(format!("more than {max} listens")));
    }
    let now = crate::util::time::now_unix();
    for l in &file.listens {
        l.check(now).map_err(damaged)?;
    }
    Ok(file.listens)
}

fn write_listens(path: &Path, listens: &[QueuedListen]) -> Result<(), ScrobbleError> {
    let file = QueueFile {
        version: FILE_VERSION,
        listens: listens.to_vec(),
    };
    let bytes = serde_json::to_vec(&file).map_err(|e| ScrobbleError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    replace(path, &bytes).map_err(|source| ScrobbleError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Renames a damaged `path` to `<name>.damaged-<unix>[-n]` beside it, never over a file.
fn move_aside(path: &Path) -> Result<PathBuf, ScrobbleError> {
    let now = crate::util::time::now_unix();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for n in 0..100u32 {
        let suffix = if n == 0 {
            format!("{name}.damaged-{now}")
        } else {
            format!("{name}.damaged-{now}-{n}")
        };
        let to = path.with_file_name(suffix);
        match rename_new(path, &to) {
            Ok(()) => return Ok(to),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(source) => {
                return Err(ScrobbleError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }
    Err(ScrobbleError::Io {
        path: path.to_path_buf(),
        source: std::io::ErrorKind::AlreadyExists.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listen(n: u64) -> QueuedListen {
        QueuedListen::new(
            1_700_000_000 + n,
            "Artist",
            &format!("Song {n}"),
            Some("Album"),
            Some(1000),
            Some(1),
        )
        .unwrap()
    }

    #[test]
    fn listens_survive_a_reopen_and_leave_only_when_sent() {
        let t = tempfile::tempdir().unwrap();
        let q = ListenQueue::open(&t.path().join("scrobble")).unwrap();
        let (p, d) = q.push(&[listen(1), listen(2), listen(3)]).unwrap();
        assert_eq!((p.queued, p.refused, d.is_none()), (3, 0, true));
        let q2 = ListenQueue::open(&t.path().join("scrobble")).unwrap();
        assert_eq!(q2.load().unwrap(), vec![listen(1), listen(2), listen(3)]);
        assert_eq!(q2.remove(&[listen(2), listen(9)]).unwrap(), 2);
        assert_eq!(q.load().unwrap(), vec![listen(1), listen(3)]);
    }

    #[test]
    fn a_full_queue_refuses_new_listens_and_keeps_the_old() {
        let t = tempfile::tempdir().unwrap();
        let q = ListenQueue::open(t.path()).unwrap();
        let many: Vec<QueuedListen> = (0..MAX_LISTENS as u64 - 1).map(listen).collect();
        q.push(&many).unwrap();
        let (p, _) = q.push(&[listen(100_000), listen(100_001)]).unwrap();
        assert_eq!((p.queued, p.refused), (MAX_LISTENS, 1));
        let all = q.load().unwrap();
        assert_eq!(all.first(), Some(&listen(0)));
        assert_eq!(all.last(), Some(&listen(100_000)));
    }

    #[test]
    fn text_is_cleaned_and_cut_and_empty_names_are_refused() {
        let l = QueuedListen::new(
            MIN_LISTENED_AT,
            " A\u{1b}[31m ",
            &"é".repeat(400),
            None,
            None,
            None,
        )
        .unwrap();
        assert_eq!(l.artist, "A[31m");
        assert!(l.title.len() <= MAX_TEXT && l.title.chars().all(|c| c == 'é'));
        assert!(QueuedListen::new(MIN_LISTENED_AT, "", "t", None, None, None).is_none());
        assert!(QueuedListen::new(MIN_LISTENED_AT, "a", " \t", None, None, None).is_none());
    }

    #[test]
    fn a_damaged_file_is_named_and_kept_aside_never_deleted() {
        let t = tempfile::tempdir().unwrap();
        let q = ListenQueue::open(t.path()).unwrap();
        let junk =
            b"{\"version\":1,\"listens\":[{\"listened_at\":5,\"artist\":\"a\",\"title\":\"b\"}]}";
        let bad: [&[u8]; 4] = [
            b"{not json",
            b"{\"version\":9,\"listens\":[]}",
            junk,
            b"\xff\xfe",
        ];
        for bytes in bad {
            std::fs::write(q.file(), bytes).unwrap();
            assert!(matches!(q.count(), Err(ScrobbleError::Unreadable { .. })));
            assert!(q.file().exists());
            let e = q.load().unwrap_err();
            let ScrobbleError::Damaged { path, kept, .. } = &e else {
                panic!("{e}")
            };
            assert_eq!(path, &q.file());
            assert!(e.to_string().contains("queue.json"), "{e}");
            assert_eq!(std::fs::read(kept).unwrap(), bytes, "{e}");
            assert!(!q.file().exists());
            std::fs::remove_file(kept).unwrap();
        }
        // A push over a damaged file keeps the file aside and queues the new listen.
        std::fs::write(q.file(), b"[[[").unwrap();
        let (p, damage) = q.push(&[listen(1)]).unwrap();
        assert_eq!(p.queued, 1);
        let Some(ScrobbleError::Damaged { kept, .. }) = damage else {
            panic!("no damage reported")
        };
        assert_eq!(std::fs::read(kept).unwrap(), b"[[[");
    }

    #[test]
    fn an_oversized_or_overlong_file_is_refused_before_it_is_parsed() {
        let t = tempfile::tempdir().unwrap();
        let q = ListenQueue::open(t.path()).unwrap();
        let f = std::fs::File::create(q.file()).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        let e = q.count().unwrap_err();
        assert!(e.to_string().contains("bytes"), "{e}");
        std::fs::remove_file(q.file()).unwrap();
        let over: Vec<QueuedListen> = (0..MAX_LISTENS as u64 + 1).map(listen).collect();
        let text = serde_json::to_vec(&serde_json::json!({"version": 1, "listens": over})).unwrap();
        std::fs::write(q.file(), text).unwrap();
        let e = q.count().unwrap_err();
        assert!(e.to_string().contains("10000"), "{e}");
    }

    #[test]
    fn a_refused_listen_is_set_aside_not_lost() {
        let t = tempfile::tempdir().unwrap();
        let q = ListenQueue::open(t.path()).unwrap();
        q.push(&[listen(1), listen(2)]).unwrap();
        q.set_aside(&listen(1)).unwrap();
        assert_eq!(q.load().unwrap(), vec![listen(2)]);
        assert_eq!(
            read_bounded(&q.rejected_file(), MAX_REJECTED).unwrap(),
            vec![listen(1)]
        );
    }
}
