//! The store's side of the listening history: counting a play or a skip, a rating, reading
//! them, the plain-file copy and putting it back after a rebuild. The tree and its records
//! are in `history`.

use std::collections::HashMap;
use std::path::Path;

use super::history::{
    HISTORY_FILE, HistoryRecord, Listen, Rating, as_map, read_history_file, restore_into,
    write_history_file,
};
use super::records::TrackId;
use super::{Result, Store};

/// The `meta` key of the moves noted and not carried yet (`OLD NEW` in hex, a line each).
const PENDING_MOVES: &str = "listening_moves_pending";
/// The most moves noted at once (a library of 50,000 tracks renamed twice before the player
/// carried them).
pub const MAX_PENDING_MOVES: usize = 100_000;

/// The noted moves' text.
fn moves_text(moves: &[(TrackId, TrackId)]) -> Vec<u8> {
    let mut out = String::with_capacity(moves.len() * 34);
    for (a, b) in moves {
        out.push_str(&format!("{} {}\n", a.hex(), b.hex()));
    }
    out.into_bytes()
}

/// The noted moves (lines that are not a move are left out).
fn parse_moves(bytes: &[u8]) -> Vec<(TrackId, TrackId)> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|l| {
            let (a, b) = l.split_once(' ')?;
            Some((TrackId::parse_hex(a)?, TrackId::parse_hex(b)?))
        })
        .take(MAX_PENDING_MOVES)
        .collect()
}

impl Store {
    /// Puts back what the history file in `dir` has and the database lacks (or has older);
    /// returns how many tracks came back. A file that cannot be read is said, and left as it is.
    pub(super) fn restore_history_from(&self, dir: &Path) -> usize {
        match read_history_file(dir) {
            Ok(None) => 0,
            Ok(Some(file)) => match restore_into(&self.history, &file) {
                Ok(n) => {
                    if n > 0 {
                        tracing::warn!(
                            file = %dir.join(HISTORY_FILE).display(),
                            "restored the history of {n} tracks from the plain-file copy"
                        );
                    }
                    n
                }
                Err(e) => {
                    tracing::warn!("restoring the listening history: {e}");
                    0
                }
            },
            Err(e) => {
                tracing::warn!("{e}");
                0
            }
        }
    }

    /// Counts a play or a skip of `track` at `at` (Unix seconds).
    pub fn record_listen(&self, track: TrackId, listen: Listen, at: u64) -> Result<HistoryRecord> {
        Ok(self
            .history
            .update(&track, |r| r.unwrap_or_default().with_listen(listen, at))?)
    }

    /// Sets the listener's rating of `track`.
    pub fn set_rating(&self, track: TrackId, rating: Rating, at: u64) -> Result<HistoryRecord> {
        Ok(self
            .history
            .update(&track, |r| r.unwrap_or_default().with_rating(rating, at))?)
    }

    pub fn history_of(&self, track: TrackId) -> Result<Option<HistoryRecord>> {
        Ok(self.history.get(&track)?)
    }

    /// Every track's history and rating.
    pub fn history(&self) -> Result<HashMap<TrackId, HistoryRecord>> {
        Ok(as_map(self.history.all()?))
    }

    /// Carries what the listener did with each `from` track to its `to` track (the same file
    /// under a new path): its listens in the log, then its history and rating, merged into what
    /// `to` already has ([`HistoryRecord::merged`]). Each is one atomic batch that writes the
    /// new entries and drops the old ones together, so the old stay until the new are written;
    /// a record that cannot be read is left where it is. Carrying again is harmless: what was
    /// carried is no longer under `from`. Returns how many tracks had history to carry.
    pub fn carry_listening(&self, moves: &[(TrackId, TrackId)]) -> Result<usize> {
        let moves: Vec<(TrackId, TrackId)> =
            moves.iter().copied().filter(|(a, b)| a != b).collect();
        if moves.is_empty() {
            return Ok(0);
        }
        self.carry_listens(&moves)?;
        let n = self.carry_history(&moves)?;
        self.flush()?;
        if n > 0 {
            self.save_history_copy();
        }
        self.forget_moves(&moves)?;
        Ok(n)
    }

    /// Notes moves whose history someone else will carry (the player's history thread), so a
    /// crash before it does loses nothing: [`Store::carry_listening`] takes them off again, and
    /// what is still noted is carried when the history thread starts ([`Store::pending_moves`]).
    /// At most [`MAX_PENDING_MOVES`] are kept (the newest).
    pub fn note_moves(&self, moves: &[(TrackId, TrackId)]) -> Result<()> {
        if moves.is_empty() {
            return Ok(());
        }
        self.meta.fetch_and_update(PENDING_MOVES, |old| {
            let mut all = old.map(parse_moves).unwrap_or_default();
            all.extend_from_slice(moves);
            if all.len() > MAX_PENDING_MOVES {
                all.drain(..all.len() - MAX_PENDING_MOVES);
            }
            Some(moves_text(&all))
        })?;
        Ok(())
    }

    /// The moves noted and not carried yet, in the order they were noted.
    pub fn pending_moves(&self) -> Result<Vec<(TrackId, TrackId)>> {
        Ok(self
            .meta
            .get(PENDING_MOVES)?
            .map(|v| parse_moves(&v))
            .unwrap_or_default())
    }

    /// Takes `moves` off the noted ones.
    fn forget_moves(&self, moves: &[(TrackId, TrackId)]) -> Result<()> {
        let done: std::collections::HashSet<(TrackId, TrackId)> = moves.iter().copied().collect();
        self.meta.fetch_and_update(PENDING_MOVES, |old| {
            let left: Vec<(TrackId, TrackId)> = parse_moves(old?)
                .into_iter()
                .filter(|m| !done.contains(m))
                .collect();
            (!left.is_empty()).then(|| moves_text(&left))
        })?;
        Ok(())
    }

    /// The history part of [`Store::carry_listening`] (one batch).
    fn carry_history(&self, moves: &[(TrackId, TrackId)]) -> Result<usize> {
        // What the batch will have written, for a move onto a track an earlier one changed.
        let mut now: HashMap<TrackId, Option<HistoryRecord>> = HashMap::new();
        let read = |id: TrackId, now: &HashMap<TrackId, Option<HistoryRecord>>| match now.get(&id) {
            Some(r) => Ok(*r),
            None => self.history.get(&id),
        };
        let mut carried = 0;
        for &(from, to) in moves {
            let (old, new) = match (read(from, &now), read(to, &now)) {
                (Ok(Some(old)), Ok(new)) => (old, new),
                (Ok(None), _) => continue,
                (Err(e), _) | (_, Err(e)) => {
                    tracing::warn!("the history of a moved track stays where it was: {e}");
                    continue;
                }
            };
            let merged = new.map_or(old, |n| n.merged(old));
            now.insert(to, Some(merged));
            now.insert(from, None);
            carried += 1;
        }
        let mut batch = sled::Batch::default();
        for (id, r) in &now {
            match r {
                Some(r) => batch.insert(id.to_bytes().to_vec(), self.history.encode(r)),
                None => batch.remove(id.to_bytes().to_vec()),
            }
        }
        self.history.raw().apply_batch(batch)?;
        Ok(carried)
    }

    /// Writes the plain-file copy of the history now (a failure is logged: the database has
    /// it too).
    pub fn save_history_copy(&self) {
        let written = self
            .history
            .all()
            .map_err(std::io::Error::other)
            .and_then(|all| write_history_file(&self.path, &all));
        if let Err(e) = written {
            tracing::warn!(
                file = %self.path.join(HISTORY_FILE).display(),
                "cannot write the history copy: {e}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::history::read_history_file;
    use crate::store::listen_log::{
        LISTENS_FILE, LoggedListen, MAX_LISTENS_FILE, read_listens_file,
    };

    fn listen(track: TrackId, started: u64, listen: Listen) -> LoggedListen {
        LoggedListen {
            track,
            started,
            heard_secs: 30,
            listen,
        }
    }

    /// The tracks of the listen log, oldest first.
    fn logged(s: &Store) -> Vec<(u64, TrackId)> {
        s.listens_between(0, u64::MAX)
            .unwrap()
            .iter()
            .map(|l| (l.started, l.track))
            .collect()
    }

    #[test]
    fn a_move_carries_the_history_merges_it_and_survives_a_reopen_and_a_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let (a, b, c, d) = (TrackId(0xa), TrackId(0xb), TrackId(0xc), TrackId(0xd));
        let other = TrackId(0x99);
        {
            let s = Store::open(&db).unwrap();
            // `a`: played twice, skipped, liked. `b` (where `a` moves): the listener had a file
            // there before: one later play, a dislike. `c` moves onto nothing.
            for (t, at, l) in [
                (a, 100, Listen::Play),
                (a, 200, Listen::Play),
                (a, 300, Listen::Skip),
                (b, 400, Listen::Play),
                (c, 150, Listen::Skip),
                (other, 160, Listen::Play),
            ] {
                s.record_listen(t, l, at + 10).unwrap();
                s.log_listens(&[listen(t, at, l)]).unwrap();
            }
            s.set_rating(a, Rating::Like, 310).unwrap();
            s.set_rating(b, Rating::Dislike, 420).unwrap();
            s.save_history_copy();
            assert_eq!(s.carry_listening(&[(a, b), (c, d)]).unwrap(), 2);
            let h = s.history_of(b).unwrap().unwrap();
            assert_eq!((h.plays, h.skips, h.rating), (3, 1, Rating::Like));
            assert_eq!(h.last_played_unix, Some(410));
            assert_eq!(h.last_skipped_unix, Some(310));
            assert_eq!(h.updated_unix, 420);
            assert_eq!(s.history_of(a).unwrap(), None);
            assert_eq!(s.history_of(d).unwrap().unwrap().skips, 1);
            assert_eq!(s.history_of(c).unwrap(), None);
            assert_eq!(s.history_of(other).unwrap().unwrap().plays, 1);
            let want = vec![
                (100, b),
                (150, d),
                (160, other),
                (200, b),
                (300, b),
                (400, b),
            ];
            assert_eq!(logged(&s), want);
            // The plain copies say the same: the history file lists the new ids only, and the
            // listen log read back renames what is above its move lines.
            let file = read_history_file(&db).unwrap().unwrap();
            let mut ids: Vec<String> = file.tracks.iter().map(|e| e.track.clone()).collect();
            ids.sort();
            assert_eq!(ids, [b.hex(), d.hex(), other.hex()]);
            let copy = read_listens_file(&db, MAX_LISTENS_FILE).unwrap().unwrap();
            let mut copy: Vec<(u64, TrackId)> = copy.iter().map(|l| (l.started, l.track)).collect();
            copy.sort();
            assert_eq!(copy, want);
            // Carried again (a scan that ran again after a crash): nothing changes.
            assert_eq!(s.carry_listening(&[(a, b), (c, d)]).unwrap(), 0);
            assert_eq!(s.history_of(b).unwrap().unwrap().plays, 3);
            assert_eq!(logged(&s), want);
            s.flush().unwrap();
        }
        // Opened again: the copies put nothing back under the old ids.
        let s = Store::open(&db).unwrap();
        assert!(s.recovery().is_none());
        assert_eq!(s.history_of(a).unwrap(), None);
        assert_eq!(s.history_of(b).unwrap().unwrap().plays, 3);
        assert_eq!(s.listen_count(), 6);
        drop(s);
        // Damaged and rebuilt from the plain copies: the moved history is the new ids'.
        std::fs::write(db.join("conf"), b"garbage").unwrap();
        std::fs::write(db.join("db"), b"garbage").unwrap();
        let s = Store::open(&db).unwrap();
        assert!(s.recovery().is_some());
        let h = s.history_of(b).unwrap().unwrap();
        assert_eq!((h.plays, h.rating), (3, Rating::Like));
        assert_eq!(s.history_of(a).unwrap(), None);
        assert_eq!(
            logged(&s),
            vec![
                (100, b),
                (150, d),
                (160, other),
                (200, b),
                (300, b),
                (400, b)
            ]
        );
        assert!(db.join(LISTENS_FILE).exists());
    }

    #[test]
    fn noted_moves_outlive_a_crash_and_a_file_moved_twice_ends_where_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let (a, b, c) = (TrackId(1), TrackId(2), TrackId(3));
        {
            let s = Store::open(&db).unwrap();
            s.record_listen(a, Listen::Play, 110).unwrap();
            s.set_rating(a, Rating::Like, 120).unwrap();
            s.log_listens(&[listen(a, 100, Listen::Play)]).unwrap();
            // The player's scan noted a → b, and a later one b → c; it ended before its
            // history thread carried either.
            s.note_moves(&[(a, b)]).unwrap();
            s.note_moves(&[(b, c)]).unwrap();
            s.flush().unwrap();
        }
        let s = Store::open(&db).unwrap();
        let pending = s.pending_moves().unwrap();
        assert_eq!(pending, vec![(a, b), (b, c)]);
        assert_eq!(s.carry_listening(&pending).unwrap(), 2);
        assert_eq!(s.pending_moves().unwrap(), vec![]);
        let h = s.history_of(c).unwrap().unwrap();
        assert_eq!((h.plays, h.rating), (1, Rating::Like));
        assert_eq!(
            (s.history_of(a).unwrap(), s.history_of(b).unwrap()),
            (None, None)
        );
        assert_eq!(logged(&s), vec![(100, c)]);
        let copy = read_listens_file(&db, MAX_LISTENS_FILE).unwrap().unwrap();
        assert_eq!(copy.iter().map(|l| l.track).collect::<Vec<_>>(), vec![c]);
        // Only what was carried is forgotten; the noted list keeps its bound.
        s.note_moves(&[(a, b), (b, c)]).unwrap();
        s.carry_listening(&[(a, b)]).unwrap();
        assert_eq!(s.pending_moves().unwrap(), vec![(b, c)]);
        let many: Vec<(TrackId, TrackId)> = (0..MAX_PENDING_MOVES as u64 + 5)
            .map(|i| (TrackId(10 + i), TrackId(1 << 40 | i)))
            .collect();
        s.note_moves(&many).unwrap();
        let noted = s.pending_moves().unwrap();
        assert_eq!(noted.len(), MAX_PENDING_MOVES);
        assert_eq!(noted.last(), many.last());
    }

    #[test]
    fn a_move_written_to_the_listen_log_file_but_not_the_tree_loses_nothing() {
        // A crash between the file's move line and the tree's batch: the reopened database
        // gets the listens under the new id back from the file, and keeps the old ones; the
        // move carried again (the scan runs again) leaves one of each.
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let (a, b) = (TrackId(1), TrackId(2));
        {
            let s = Store::open(&db).unwrap();
            s.log_listens(&[listen(a, 100, Listen::Play), listen(a, 200, Listen::Skip)])
                .unwrap();
            s.flush().unwrap();
        }
        let line = format!("moved {} {}\n", a.hex(), b.hex());
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(db.join(LISTENS_FILE))
            .unwrap();
        std::io::Write::write_all(&mut f, line.as_bytes()).unwrap();
        let s = Store::open(&db).unwrap();
        assert_eq!(logged(&s), vec![(100, a), (100, b), (200, a), (200, b)]);
        s.carry_listening(&[(a, b)]).unwrap();
        assert_eq!(logged(&s), vec![(100, b), (200, b)]);
    }

    #[test]
    fn a_rebuilt_database_gets_the_history_back_and_a_lost_write_returns() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        {
            let s = super::super::Store::open(&db).unwrap();
            s.record_listen(TrackId(1), Listen::Skip, 10).unwrap();
            s.set_rating(TrackId(2), Rating::Like, 20).unwrap();
            s.save_history_copy();
            s.flush().unwrap();
        }
        // Every database file cut short (the plain copies are left alone).
        for e in walkdir::WalkDir::new(&db)
            .into_iter()
            .filter_map(|e| e.ok())
        {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().is_file() && !name.ends_with(".json") {
                let b = std::fs::read(e.path()).unwrap();
                std::fs::write(e.path(), &b[..b.len().min(100)]).unwrap();
            }
        }
        let s = super::super::Store::open(&db).unwrap();
        let rec = s.recovery().expect("the database was rebuilt");
        assert_eq!(rec.restored_history, 2, "{}", rec.describe());
        assert_eq!(s.history_of(TrackId(1)).unwrap().unwrap().skips, 1);
        assert_eq!(
            s.history_of(TrackId(2)).unwrap().unwrap().rating,
            Rating::Like
        );
        // The moved-aside database keeps its copy.
        assert!(rec.moved_to.join(HISTORY_FILE).exists());
    }
}
