//! The listen log: one entry per counted listen (when it started, the track, the seconds heard,
//! play or skip), keyed by its start so a week or a month is one range read. Kept to the newest
//! [`MAX_LISTENS`]: past it the oldest are pruned (down to [`PRUNE_TO`], so pruning is rare).
//!
//! The user made it, so like the history it has a plain-file copy beside the database,
//! [`LISTENS_FILE`]: one line per listen, appended as listens are counted (never rewritten
//! but by a prune), read back within [`MAX_LISTENS_FILE`] bytes and [`MAX_LISTENS`] lines.
//! An opened database gets back what the file's last lines have and it lost (sled can lose the
//! last writes of a crash); a rebuilt one gets the whole file back (`recovery`).
//!
//! A file that moved takes its listens along (`Store::carry_listens`): a `moved OLD NEW`
//! line is appended (the file stays append-only; a reader renames the lines above it), then
//! the tree's entries are rewritten. One concern at ~600 lines, a third of them tests.

use std::fmt;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::history::Listen;
use super::records::TrackId;
use super::tree::{KeyCodec, Record, TypedTree};
use super::{Result, Store};

/// The plain-file copy of the listen log, in the database folder.
pub const LISTENS_FILE: &str = "listens.log";
/// The most listens kept (in the tree and in the file).
pub const MAX_LISTENS: usize = 1_000_000;
/// A prune keeps this many (the newest).
pub const PRUNE_TO: usize = MAX_LISTENS - 10_000;
/// The most of the file read back (a line is at most 51 bytes: a million lines fit); of a
/// larger file only its end is read.
pub const MAX_LISTENS_FILE: u64 = 64 * 1024 * 1024;
/// What an opened (not rebuilt) database reads of the file's end: the last writes a crash lost.
const TAIL_BYTES: u64 = 256 * 1024;
const HEADER: &str = "# genreplay listens 1: started_unix track heard_secs play|skip\n";

/// A listen's key: when it started, then the track (16 bytes, big-endian: time order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ListenKey {
    pub started: u64,
    pub track: TrackId,
}

impl fmt::Display for ListenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.started, self.track.hex())
    }
}

impl KeyCodec for ListenKey {
    fn encode_key(&self) -> Vec<u8> {
        let mut k = self.started.to_be_bytes().to_vec();
        k.extend(self.track.to_bytes());
        k
    }
    fn decode_key(bytes: &[u8]) -> Option<Self> {
        let started = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
        let track = TrackId::from_bytes(bytes.get(8..)?)?;
        Some(ListenKey { started, track })
    }
}

/// What a listen was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenEntry {
    pub heard_secs: u32,
    pub listen: Listen,
}

impl Record for ListenEntry {
    const VERSION: u8 = 1;
}

pub type ListenTree = TypedTree<ListenKey, ListenEntry>;

/// One counted listen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedListen {
    pub track: TrackId,
    /// When it started (Unix seconds).
    pub started: u64,
    pub heard_secs: u32,
    pub listen: Listen,
}

impl LoggedListen {
    fn key(&self) -> ListenKey {
        ListenKey {
            started: self.started,
            track: self.track,
        }
    }

    fn of(k: ListenKey, e: ListenEntry) -> Self {
        LoggedListen {
            track: k.track,
            started: k.started,
            heard_secs: e.heard_secs,
            listen: e.listen,
        }
    }

    /// Its line in the file (without the newline).
    fn line(&self) -> String {
        let kind = match self.listen {
            Listen::Play => "play",
            Listen::Skip => "skip",
        };
        format!(
            "{} {} {} {kind}",
            self.started,
            self.track.hex(),
            self.heard_secs
        )
    }

    /// A line of the file; `None` for anything else (a comment, a torn last line).
    fn parse(line: &str) -> Option<Self> {
        let mut w = line.split(' ');
        let started = w.next()?.parse().ok()?;
        let track = w.next().filter(|t| t.len() == 16)?;
        let track = TrackId::parse_hex(track)?;
        let heard_secs = w.next()?.parse().ok()?;
        let listen = match w.next()? {
            "play" => Listen::Play,
            "skip" => Listen::Skip,
            _ => return None,
        };
        w.next().is_none().then_some(LoggedListen {
            track,
            started,
            heard_secs,
            listen,
        })
    }
}

/// Why the listen log's file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ListenFileError {
    #[error("the listen log {} cannot be read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the listen log {} is not a regular file; it was left as it is", path.display())]
    NotAFile { path: PathBuf },
}

/// Reads the listen log in `dir` (`Ok(None)`: there is none): its last `within` bytes (at most
/// [`MAX_LISTENS_FILE`]), the newest [`MAX_LISTENS`] lines of them, oldest first. Lines that are
/// not listens (the header, a line torn by a crash) are left out.
pub fn read_listens_file(
    dir: &Path,
    within: u64,
) -> std::result::Result<Option<Vec<LoggedListen>>, ListenFileError> {
    let path = dir.join(LISTENS_FILE);
    let io = |source| ListenFileError::Io {
        path: path.clone(),
        source,
    };
    let mut file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ListenFileError::NotAFile { path });
    }
    let within = within.min(MAX_LISTENS_FILE);
    let start = meta.len().saturating_sub(within);
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(within).read_to_end(&mut bytes).map_err(io)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut lines = text.split('\n');
    if start > 0 {
        // Read from the middle of a line: that line is not whole.
        lines.next();
    }
    let mut out: Vec<LoggedListen> = Vec::new();
    let mut moves = Moves::default();
    for line in lines {
        if let Some(l) = LoggedListen::parse(line) {
            moves.add(l.track, out.len());
            out.push(l);
        } else if let Some((from, to)) = parse_move(line) {
            // A file moved: its listens before this line are the new track's.
            for i in moves.apply(from, to) {
                out[i].track = to;
            }
        }
    }
    if out.len() > MAX_LISTENS {
        out.drain(..out.len() - MAX_LISTENS);
    }
    Ok(Some(out))
}

/// Which listens (by their place in a list) each track has, so that moves applied one after
/// the other cost what they move, not the whole list each.
#[derive(Default)]
struct Moves {
    of: std::collections::HashMap<TrackId, Vec<usize>>,
}

impl Moves {
    fn add(&mut self, track: TrackId, at: usize) {
        self.of.entry(track).or_default().push(at);
    }

    /// `from`'s listens become `to`'s; returns their places (the ones to rename).
    fn apply(&mut self, from: TrackId, to: TrackId) -> Vec<usize> {
        if from == to {
            return vec![];
        }
        let moved = self.of.remove(&from).unwrap_or_default();
        if !moved.is_empty() {
            self.of.entry(to).or_default().extend_from_slice(&moved);
        }
        moved
    }
}

/// A move line's start: `moved <old track> <new track>` says the listens above it of the old
/// track are the new one's (the file was renamed or moved; the file is only appended to).
const MOVED: &str = "moved ";

/// The line that says `from`'s listens are `to`'s.
fn move_line(from: TrackId, to: TrackId) -> String {
    format!("{MOVED}{} {}", from.hex(), to.hex())
}

/// A move line (`None` for anything else).
fn parse_move(line: &str) -> Option<(TrackId, TrackId)> {
    let mut w = line.strip_prefix(MOVED)?.split(' ');
    let mut id = || {
        w.next()
            .filter(|t| t.len() == 16)
            .and_then(TrackId::parse_hex)
    };
    let (from, to) = (id()?, id()?);
    w.next().is_none().then_some((from, to))
}

/// Appends `listens` to the file in `dir` (made, 0600, with its header when new).
pub fn append_listens_file(dir: &Path, listens: &[LoggedListen]) -> std::io::Result<()> {
    let mut text = String::new();
    for l in listens {
        text.push_str(&l.line());
        text.push('\n');
    }
    append_text(dir, text)
}

/// Appends `text` (whole lines) to the file in `dir`, and syncs it.
fn append_text(dir: &Path, mut text: String) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(dir.join(LISTENS_FILE))?;
    if file.metadata()?.len() == 0 {
        text.insert_str(0, HEADER);
    }
    file.write_all(text.as_bytes())?;
    file.sync_data()
}

/// Writes the file in `dir` whole (a temporary file renamed over it).
fn write_listens_file(
    dir: &Path,
    listens: impl Iterator<Item = LoggedListen>,
) -> std::io::Result<()> {
    let mut text = String::from(HEADER);
    for l in listens {
        text.push_str(&l.line());
        text.push('\n');
    }
    crate::util::private::replace(&dir.join(LISTENS_FILE), text.as_bytes())
}

impl Store {
    /// Adds counted listens to the log: the file first, then the tree (one batch).
    pub fn log_listens(&self, listens: &[LoggedListen]) -> Result<()> {
        if listens.is_empty() {
            return Ok(());
        }
        if let Err(e) = append_listens_file(&self.path, listens) {
            tracing::warn!(file = %self.path.join(LISTENS_FILE).display(), "cannot add to the listen log's copy: {e}");
        }
        let entries: Vec<(ListenKey, ListenEntry)> = listens
            .iter()
            .map(|l| {
                let e = ListenEntry {
                    heard_secs: l.heard_secs,
                    listen: l.listen,
                };
                (l.key(), e)
            })
            .collect();
        Ok(self.listens.put_all(entries.iter().map(|(k, e)| (*k, e)))?)
    }

    /// Gives each `from` track's listens to its `to` track (the file moved): a move line is
    /// appended to the file first (a reader renames what is above it), then the tree's entries
    /// are written under the new track and dropped under the old in one atomic batch.
    pub(super) fn carry_listens(&self, moves: &[(TrackId, TrackId)]) -> Result<usize> {
        let touched: std::collections::HashSet<TrackId> =
            moves.iter().flat_map(|&(a, b)| [a, b]).collect();
        // The listens of the tracks concerned, then the moves applied in order (one file may
        // have moved twice before they are carried).
        let mut found: Vec<(ListenKey, sled::IVec)> = Vec::new();
        let mut index = Moves::default();
        for item in self.listens.raw().iter() {
            let (k, v) = item?;
            if let Some(key) = ListenKey::decode_key(&k).filter(|k| touched.contains(&k.track)) {
                index.add(key.track, found.len());
                found.push((key, v));
            }
        }
        let mut now: Vec<TrackId> = found.iter().map(|(k, _)| k.track).collect();
        for &(from, to) in moves {
            for i in index.apply(from, to) {
                now[i] = to;
            }
        }
        // Every old key out before any new one goes in (a new key may be another's old one).
        let moved: Vec<(ListenKey, ListenKey, sled::IVec)> = found
            .into_iter()
            .zip(now)
            .filter(|((key, _), track)| *track != key.track)
            .map(|((key, v), track)| (key, ListenKey { track, ..key }, v))
            .collect();
        let n = moved.len();
        if n == 0 {
            return Ok(0);
        }
        let mut batch = sled::Batch::default();
        for (old, _, _) in &moved {
            batch.remove(old.encode_key());
        }
        for (_, new, v) in moved {
            batch.insert(new.encode_key(), v);
        }
        let lines: String = moves.iter().map(|&(a, b)| move_line(a, b) + "\n").collect();
        if let Err(e) = append_text(&self.path, lines) {
            tracing::warn!(file = %self.path.join(LISTENS_FILE).display(), "cannot add to the listen log's copy: {e}");
        }
        self.listens.raw().apply_batch(batch)?;
        Ok(n)
    }

    /// The listens that started in `from..to` (Unix seconds), oldest first.
    pub fn listens_between(&self, from: u64, to: u64) -> Result<Vec<LoggedListen>> {
        let mut out = Vec::new();
        let key = |started| ListenKey {
            started,
            track: TrackId(0),
        };
        self.listens
            .for_each_between(&key(from), &key(to), |k, e| {
                out.push(LoggedListen::of(k, e))
            })?;
        Ok(out)
    }

    /// How many listens the log has (sled reads the whole tree for this).
    pub fn listen_count(&self) -> usize {
        self.listens.len()
    }

    /// Keeps the log within [`MAX_LISTENS`]: over it, the oldest go (down to [`PRUNE_TO`]) and
    /// the file is written again with the rest. Returns how many are kept.
    pub fn prune_listens(&self) -> Result<usize> {
        self.prune_listens_within(MAX_LISTENS, PRUNE_TO)
    }

    /// Over `max` listens, keeps the newest `keep`.
    fn prune_listens_within(&self, max: usize, keep: usize) -> Result<usize> {
        let count = self.listen_count();
        if count <= max {
            return Ok(count);
        }
        let mut batch = sled::Batch::default();
        for item in self.listens.raw().iter().keys().take(count - keep) {
            batch.remove(item?);
        }
        self.listens.raw().apply_batch(batch)?;
        self.rewrite_listens_file();
        tracing::info!("the listen log was over {max} listens: the oldest were pruned to {keep}");
        Ok(keep)
    }

    /// Writes the file again from the tree (a failure is logged: the tree has them).
    pub(super) fn rewrite_listens_file(&self) {
        let all = self
            .listens
            .all()
            .map(|v| v.into_iter().map(|(k, e)| LoggedListen::of(k, e)));
        let written = all
            .map_err(std::io::Error::other)
            .and_then(|all| write_listens_file(&self.path, all));
        if let Err(e) = written {
            tracing::warn!(file = %self.path.join(LISTENS_FILE).display(), "cannot write the listen log's copy: {e}");
        }
    }

    /// Puts back the listens the file in `dir` has and the tree lacks: the whole file (a
    /// rebuilt database, or an empty tree) or its end; returns how many came back. Without a
    /// file, one is written from the tree (a database of an earlier build has none).
    pub(super) fn restore_listens_from(&self, dir: &Path, whole: bool) -> usize {
        let within = if whole || self.listens.is_empty() {
            MAX_LISTENS_FILE
        } else {
            TAIL_BYTES
        };
        let file = match read_listens_file(dir, within) {
            Ok(Some(f)) => f,
            Ok(None) => {
                if !self.listens.is_empty() {
                    self.rewrite_listens_file();
                }
                return 0;
            }
            Err(e) => {
                tracing::warn!("{e}");
                return 0;
            }
        };
        let missing: Vec<(ListenKey, ListenEntry)> = file
            .iter()
            .filter(|l| {
                matches!(
                    self.listens.raw().contains_key(l.key().encode_key()),
                    Ok(false)
                )
            })
            .map(|l| {
                let e = ListenEntry {
                    heard_secs: l.heard_secs,
                    listen: l.listen,
                };
                (l.key(), e)
            })
            .collect();
        if missing.is_empty() {
            return 0;
        }
        match self.listens.put_all(missing.iter().map(|(k, e)| (*k, e))) {
            Ok(()) => {
                tracing::warn!(
                    file = %dir.join(LISTENS_FILE).display(),
                    "restored {} listens from the listen log's copy", missing.len()
                );
                missing.len()
            }
            Err(e) => {
                tracing::warn!("restoring the listen log: {e}");
                0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(started: u64, track: u64, heard: u32, listen: Listen) -> LoggedListen {
        LoggedListen {
            track: TrackId(track),
            started,
            heard_secs: heard,
            listen,
        }
    }

    #[test]
    fn lines_and_keys_round_trip_and_hostile_lines_are_left_out() {
        let a = l(1_700_000_000, 0xabc, 187, Listen::Play);
        assert_eq!(LoggedListen::parse(&a.line()), Some(a));
        let k = a.key();
        assert_eq!(ListenKey::decode_key(&k.encode_key()), Some(k));
        assert_eq!(ListenKey::decode_key(b"short"), None);
        let (x, y) = (TrackId(0xab), TrackId(0xcd));
        assert_eq!(parse_move(&move_line(x, y)), Some((x, y)));
        for bad in [
            "moved 00000000000000ab",
            "moved 00000000000000ab 00000000000000cd extra",
            "moved ab cd",
            "moved 00000000000000ab 0000000000000zcd",
        ] {
            assert_eq!(parse_move(bad), None, "{bad}");
            assert_eq!(LoggedListen::parse(bad), None, "{bad}");
        }
        for bad in [
            "",
            "# header",
            "1 00000000000000ab 3",
            "1 00000000000000ab 3 play extra",
            "1 ab 3 play",
            "x 00000000000000ab 3 skip",
            "1 00000000000000ab -3 skip",
            "1 00000000000000ab 3 maybe",
        ] {
            assert_eq!(LoggedListen::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_log_is_pruned_oldest_first_and_lost_writes_come_back_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let all: Vec<LoggedListen> = (0..50)
            .map(|i| l(5000 - i * 10, i, 40, Listen::Play))
            .collect();
        {
            let s = Store::open(&db).unwrap();
            s.log_listens(&all).unwrap();
            // Range reads are in time order, `to` left out.
            let mid = s.listens_between(4600, 4800).unwrap();
            assert_eq!(mid.len(), 20);
            assert!(mid.windows(2).all(|w| w[0].started < w[1].started));
            assert_eq!(mid[0].started, 4600);
            // Over 40: the newest 30 are kept, in the tree and the file.
            assert_eq!(s.prune_listens_within(40, 30).unwrap(), 30);
            assert_eq!(s.listen_count(), 30);
            let kept = s.listens_between(0, u64::MAX).unwrap();
            assert_eq!(kept.first().unwrap().started, 5000 - 29 * 10);
            let file = read_listens_file(&db, MAX_LISTENS_FILE).unwrap().unwrap();
            assert_eq!(file, kept);
            assert_eq!(s.prune_listens_within(40, 30).unwrap(), 30);
            // A write the database lost (as after a crash) but the file has.
            s.listens.remove(&kept[29].key()).unwrap();
            s.flush().unwrap();
        }
        let s = Store::open(&db).unwrap();
        assert_eq!(s.listen_count(), 30);
        assert!(s.recovery().is_none());
        // A database of an earlier build (no file): the file is written from the tree.
        std::fs::remove_file(db.join(LISTENS_FILE)).unwrap();
        drop(s);
        let s = Store::open(&db).unwrap();
        assert_eq!(
            read_listens_file(&db, MAX_LISTENS_FILE)
                .unwrap()
                .unwrap()
                .len(),
            30
        );
        assert_eq!(s.listen_count(), 30);
    }

    #[test]
    fn the_file_is_read_from_its_end_within_bounds() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            read_listens_file(dir.path(), MAX_LISTENS_FILE)
                .unwrap()
                .is_none()
        );
        let all: Vec<LoggedListen> = (0..1000)
            .map(|i| l(1000 + i, i, 30, Listen::Skip))
            .collect();
        append_listens_file(dir.path(), &all[..500]).unwrap();
        append_listens_file(dir.path(), &all[500..]).unwrap();
        let text = std::fs::read_to_string(dir.path().join(LISTENS_FILE)).unwrap();
        assert_eq!(text.matches(HEADER).count(), 1);
        assert_eq!(
            read_listens_file(dir.path(), MAX_LISTENS_FILE)
                .unwrap()
                .unwrap(),
            all
        );
        // Only the end: the first (partial) line read is left out, the rest are the newest.
        let tail = read_listens_file(dir.path(), 200).unwrap().unwrap();
        assert!(!tail.is_empty() && tail.len() < 10, "{}", tail.len());
        assert_eq!(tail.last(), all.last());
        // A torn last line (a crash while appending) is left out.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join(LISTENS_FILE))
            .unwrap();
        f.write_all(b"2000 00000000000").unwrap();
        assert_eq!(
            read_listens_file(dir.path(), MAX_LISTENS_FILE)
                .unwrap()
                .unwrap()
                .len(),
            1000
        );
        // A folder where the file should be is refused with its name.
        let d2 = tempfile::tempdir().unwrap();
        std::fs::create_dir(d2.path().join(LISTENS_FILE)).unwrap();
        let e = read_listens_file(d2.path(), MAX_LISTENS_FILE)
            .unwrap_err()
            .to_string();
        assert!(e.contains(LISTENS_FILE), "{e}");
    }
}
