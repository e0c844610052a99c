//! The play queue: what plays, in order, and why each entry is there.

use std::collections::HashSet;

use rand::Rng;

use crate::library::TrackId;

/// Why a track is in the queue (shown in the Queue view).
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// Added by hand.
    Added,
    /// Part of an album, folder, genre or playlist that was played.
    From(String),
    /// Picked by the recommender for sounding like `seed`.
    Similar {
        seed: String,
        genre: String,
        similarity: f32,
    },
}

impl Reason {
    pub fn describe(&self) -> String {
        match self {
            Reason::Added => "added".into(),
            Reason::From(what) => format!("from {what}"),
            Reason::Similar {
                seed,
                genre,
                similarity,
            } => format!("{genre}, {:.0}% like {seed}", similarity * 100.0),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueueEntry {
    pub track: TrackId,
    pub reason: Reason,
}

/// Repeat modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    Off,
    All,
    One,
}

impl Repeat {
    pub fn next(self) -> Self {
        match self {
            Repeat::Off => Repeat::All,
            Repeat::All => Repeat::One,
            Repeat::One => Repeat::Off,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Repeat::Off => "off",
            Repeat::All => "all",
            Repeat::One => "one",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Queue {
    pub entries: Vec<QueueEntry>,
    /// The playing entry.
    pub current: Option<usize>,
    /// Entries played since the queue was (re)filled, for shuffle.
    played: HashSet<usize>,
    /// Entries played before, for "previous".
    history: Vec<usize>,
    /// When the playing entry was removed (so nothing is current): the index where the order
    /// goes on, i.e. the entry that followed it.
    resume: Option<usize>,
}

impl Queue {
    /// Replaces the queue with `tracks`, current = `start`.
    pub fn replace(&mut self, tracks: Vec<TrackId>, reason: Reason, start: usize) {
        self.entries = tracks
            .into_iter()
            .map(|track| QueueEntry {
                track,
                reason: reason.clone(),
            })
            .collect();
        self.played.clear();
        self.history.clear();
        self.resume = None;
        self.current = (start < self.entries.len()).then_some(start);
        if let Some(c) = self.current {
            self.played.insert(c);
        }
    }

    pub fn append(&mut self, tracks: impl IntoIterator<Item = TrackId>, reason: Reason) {
        self.entries
            .extend(tracks.into_iter().map(|track| QueueEntry {
                track,
                reason: reason.clone(),
            }));
    }

    /// Inserts right after the playing entry (or at the front).
    pub fn insert_next(&mut self, tracks: Vec<TrackId>, reason: Reason) {
        let at = self.current.map(|c| c + 1).or(self.resume).unwrap_or(0);
        let n = tracks.len();
        for (k, track) in tracks.into_iter().enumerate() {
            self.entries.insert(
                at + k,
                QueueEntry {
                    track,
                    reason: reason.clone(),
                },
            );
        }
        self.shift_indices(at, n as isize);
    }

    fn shift_indices(&mut self, from: usize, by: isize) {
        let f = |i: usize| {
            if i >= from {
                (i as isize + by).max(0) as usize
            } else {
                i
            }
        };
        self.played = self.played.iter().map(|&i| f(i)).collect();
        self.history = self.history.iter().map(|&i| f(i)).collect();
    }

    /// Inserts one entry at `at` (clamped), keeping the current entry.
    pub fn insert_entry(&mut self, at: usize, e: QueueEntry) {
        let at = at.min(self.entries.len());
        self.entries.insert(at, e);
        if let Some(c) = self.current
            && c >= at
        {
            self.current = Some(c + 1);
        }
        self.shift_indices(at, 1);
    }

    /// Removes entry `i` (the playing entry stays playing but leaves the list).
    pub fn remove(&mut self, i: usize) {
        if i >= self.entries.len() {
            return;
        }
        self.entries.remove(i);
        self.played.remove(&i);
        self.history.retain(|&h| h != i);
        self.shift_indices(i + 1, -1);
        self.current = match self.current {
            Some(c) if c == i => {
                // It plays on; what followed it still comes next.
                self.resume = Some(i);
                None
            }
            Some(c) if c > i => Some(c - 1),
            other => other,
        };
        if let Some(r) = self.resume.filter(|&r| r > i) {
            self.resume = Some(r - 1);
        }
    }

    /// Swaps entries `i` and `j`, keeping `current` on the same track.
    pub fn swap(&mut self, i: usize, j: usize) {
        if i >= self.entries.len() || j >= self.entries.len() {
            return;
        }
        self.entries.swap(i, j);
        let map = |x: usize| {
            if x == i {
                j
            } else if x == j {
                i
            } else {
                x
            }
        };
        self.current = self.current.map(map);
        self.played = self.played.iter().map(|&x| map(x)).collect();
        self.history = self.history.iter().map(|&x| map(x)).collect();
    }

    /// Empties the queue except the playing entry.
    pub fn clear_keep_current(&mut self) {
        let cur = self.current.and_then(|c| self.entries.get(c).cloned());
        self.entries = cur.into_iter().collect();
        self.current = (!self.entries.is_empty()).then_some(0);
        self.played = self.current.into_iter().collect();
        self.history.clear();
        self.resume = None;
    }

    pub fn current_track(&self) -> Option<TrackId> {
        self.current
            .and_then(|c| self.entries.get(c))
            .map(|e| e.track)
    }

    /// The entry to play after the current one, without moving.
    pub fn peek_next(&self, shuffle: bool, repeat: Repeat) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        if repeat == Repeat::One {
            return self.current.or_else(|| self.resume_at(repeat));
        }
        if shuffle {
            // Deterministic peek: the first unplayed entry; `advance` picks at random.
            return (0..self.entries.len())
                .find(|i| !self.played.contains(i) && Some(*i) != self.current)
                .or_else(|| (repeat == Repeat::All).then_some(0));
        }
        match self.current {
            None => self.resume_at(repeat),
            Some(c) if c + 1 < self.entries.len() => Some(c + 1),
            Some(_) if repeat == Repeat::All => Some(0),
            Some(_) => None,
        }
    }

    /// Where the order starts when nothing is current: after a removed playing entry (at the
    /// end of the queue only if repeating), else at the top.
    fn resume_at(&self, repeat: Repeat) -> Option<usize> {
        match self.resume {
            Some(r) if r < self.entries.len() => Some(r),
            Some(_) => (repeat != Repeat::Off).then_some(0),
            None => Some(0),
        }
    }

    /// Moves to the next entry (for a track end or "next"). `explicit` is a user skip, which
    /// leaves repeat-one. Returns the new current entry.
    pub fn advance(
        &mut self,
        shuffle: bool,
        repeat: Repeat,
        explicit: bool,
        rng: &mut impl Rng,
    ) -> Option<usize> {
        let repeat = if explicit && repeat == Repeat::One {
            Repeat::All
        } else {
            repeat
        };
        let next = if shuffle && repeat != Repeat::One {
            let unplayed: Vec<usize> = (0..self.entries.len())
                .filter(|i| !self.played.contains(i) && Some(*i) != self.current)
                .collect();
            if unplayed.is_empty() {
                if repeat == Repeat::All && !self.entries.is_empty() {
                    self.played.clear();
                    Some(rng.random_range(0..self.entries.len()))
                } else {
                    None
                }
            } else {
                Some(unplayed[rng.random_range(0..unplayed.len())])
            }
        } else {
            self.peek_next(false, repeat)
        };
        self.go_to(next)
    }

    /// Moves to entry `i` (or to nothing), remembering where we were.
    pub fn go_to(&mut self, i: Option<usize>) -> Option<usize> {
        if let Some(c) = self.current
            && i.is_some()
            && i != Some(c)
        {
            self.history.push(c);
        }
        self.current = i.filter(|&i| i < self.entries.len());
        self.resume = None;
        if let Some(c) = self.current {
            self.played.insert(c);
        }
        self.current
    }

    /// Back to the previously played entry (or the one before in order).
    pub fn back(&mut self) -> Option<usize> {
        let prev = match self.history.pop() {
            Some(h) if h < self.entries.len() => Some(h),
            _ => self.current.and_then(|c| c.checked_sub(1)),
        };
        if let Some(p) = prev {
            self.current = Some(p);
        }
        prev
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn ids(n: u64) -> Vec<TrackId> {
        (0..n).map(TrackId).collect()
    }

    #[test]
    fn plays_in_order_then_stops_or_repeats() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mut q = Queue::default();
        q.replace(ids(3), Reason::Added, 0);
        assert_eq!(q.advance(false, Repeat::Off, false, &mut rng), Some(1));
        assert_eq!(q.advance(false, Repeat::Off, false, &mut rng), Some(2));
        assert_eq!(q.peek_next(false, Repeat::Off), None);
        assert_eq!(q.peek_next(false, Repeat::All), Some(0));
        assert_eq!(q.peek_next(false, Repeat::One), Some(2));
        // Repeat one repeats on track end, but "next" moves on.
        assert_eq!(q.advance(false, Repeat::One, false, &mut rng), Some(2));
        assert_eq!(q.advance(false, Repeat::One, true, &mut rng), Some(0));
        assert_eq!(q.back(), Some(2));
    }

    #[test]
    fn shuffle_plays_each_once_per_cycle() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut q = Queue::default();
        q.replace(ids(6), Reason::Added, 0);
        let mut seen = vec![0usize];
        while let Some(i) = q.advance(true, Repeat::Off, false, &mut rng) {
            seen.push(i);
        }
        seen.sort();
        assert_eq!(seen, vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn edits_keep_the_current_track() {
        let mut q = Queue::default();
        q.replace(ids(4), Reason::Added, 1);
        q.insert_next(vec![TrackId(10), TrackId(11)], Reason::Added);
        assert_eq!(
            q.entries.iter().map(|e| e.track.0).collect::<Vec<_>>(),
            vec![0, 1, 10, 11, 2, 3]
        );
        assert_eq!(q.current_track(), Some(TrackId(1)));
        q.remove(0);
        assert_eq!(q.current_track(), Some(TrackId(1)));
        q.swap(0, 1);
        assert_eq!(q.current, Some(1));
        assert_eq!(q.current_track(), Some(TrackId(1)));
        q.clear_keep_current();
        assert_eq!(q.entries.len(), 1);
        assert_eq!(q.current_track(), Some(TrackId(1)));
        q.remove(0);
        assert_eq!(q.current, None);
    }

    #[test]
    fn removing_the_playing_entry_goes_on_after_it() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mut q = Queue::default();
        q.replace(ids(5), Reason::Added, 2);
        q.remove(2);
        assert_eq!(q.current, None);
        assert_eq!(q.peek_next(false, Repeat::Off), Some(2));
        // Removing before that point keeps it on the same entry.
        q.remove(0);
        assert_eq!(q.peek_next(false, Repeat::Off), Some(1));
        assert_eq!(q.entries[1].track, TrackId(3));
        // "Play next" goes there too.
        q.insert_next(vec![TrackId(9)], Reason::Added);
        assert_eq!(q.entries[1].track, TrackId(9));
        assert_eq!(q.advance(false, Repeat::Off, false, &mut rng), Some(1));
        // The last entry removed while playing: the end (or the top with repeat-all).
        q.remove(3);
        q.remove(2);
        assert_eq!(q.current_track(), Some(TrackId(9)));
        q.remove(1);
        assert_eq!(q.peek_next(false, Repeat::Off), None);
        assert_eq!(q.peek_next(false, Repeat::All), Some(0));
    }
}
