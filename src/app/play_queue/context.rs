//! The context the music plays from when up next is empty (an album, a folder, a genre, a
//! playlist, search results): its tracks, its play order (shuffle is one permutation per
//! pass) and its place.

use rand::Rng;
use rand::seq::SliceRandom;

use crate::library::TrackId;

/// The most tracks a context holds (twice the largest library measured, 50,000 tracks); a
/// longer list plays from its starting track on, this many.
pub const MAX_CONTEXT: usize = 100_000;
/// What the music plays from when up next is empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// Which context this is (a new one for each album, playlist… played), so undo keeps
    /// the place the music has reached in it.
    pub uid: u64,
    pub label: String,
    pub tracks: Vec<TrackId>,
    /// The play order: indices into `tracks` (in order, or shuffled for this pass).
    pub(super) order: Vec<usize>,
    /// Where in `order` the context is: its playing (or last played) track.
    pub(super) pos: Option<usize>,
}

impl Context {
    /// A context of `tracks` that starts at `start`; shuffled, `start` plays first and the
    /// others follow in a random order.
    pub fn new(
        label: String,
        mut tracks: Vec<TrackId>,
        mut start: usize,
        shuffle: bool,
        rng: &mut impl Rng,
    ) -> Self {
        if tracks.len() > MAX_CONTEXT {
            // The starting track and what follows it, as much as a context holds.
            let from = start.min(tracks.len() - MAX_CONTEXT);
            tracks.drain(..from);
            tracks.truncate(MAX_CONTEXT);
            start -= from;
        }
        let mut c = Context {
            uid: 0,
            label,
            order: (0..tracks.len()).collect(),
            tracks,
            pos: None,
        };
        if start < c.tracks.len() {
            if shuffle {
                c.order.remove(start);
                c.order.shuffle(rng);
                c.order.insert(0, start);
                c.pos = Some(0);
            } else {
                c.pos = Some(start);
            }
        }
        c
    }

    /// The track at the context's position.
    pub fn current(&self) -> Option<TrackId> {
        self.pos
            .and_then(|p| self.order.get(p))
            .and_then(|&i| self.tracks.get(i))
            .copied()
    }

    /// Index into `tracks` of the current track.
    pub fn current_index(&self) -> Option<usize> {
        self.pos.and_then(|p| self.order.get(p)).copied()
    }

    /// The tracks still to come in this pass, in play order.
    pub fn remaining(&self) -> impl Iterator<Item = TrackId> + '_ {
        let from = self.pos.map_or(0, |p| p + 1);
        self.order[from.min(self.order.len())..]
            .iter()
            .filter_map(|&i| self.tracks.get(i).copied())
    }

    /// Indices (into `tracks`) of the tracks still to come in this pass, in play order.
    pub fn remaining_indices(&self) -> impl Iterator<Item = usize> + '_ {
        let from = self.pos.map_or(0, |p| p + 1);
        self.order[from.min(self.order.len())..]
            .iter()
            .copied()
            .filter(|&i| i < self.tracks.len())
    }

    pub(super) fn next_pos(&self) -> Option<usize> {
        let n = self.pos.map_or(0, |p| p + 1);
        (n < self.order.len()).then_some(n)
    }

    /// Shuffles what has not played yet in this pass (the current track stays where it is).
    pub(super) fn shuffle_rest(&mut self, rng: &mut impl Rng) {
        let from = self.pos.map_or(0, |p| p + 1).min(self.order.len());
        self.order[from..].shuffle(rng);
    }

    /// Back to list order, keeping the current track current.
    pub(super) fn unshuffle(&mut self) {
        let cur = self.current_index();
        self.order = (0..self.tracks.len()).collect();
        self.pos = cur;
    }

    /// A new pass: list order, or a fresh shuffle that does not start with `last`.
    pub(super) fn new_pass(&mut self, shuffle: bool, rng: &mut impl Rng) {
        let last = self.current_index();
        self.order = (0..self.tracks.len()).collect();
        if shuffle {
            self.order.shuffle(rng);
            if self.order.len() > 1 && self.order.first().copied() == last {
                let j = rng.random_range(1..self.order.len());
                self.order.swap(0, j);
            }
        }
        self.pos = None;
    }

    /// Removes the track at `index` of `tracks` (its place in the order goes with it).
    pub(super) fn remove_index(&mut self, index: usize) {
        if index >= self.tracks.len() {
            return;
        }
        self.tracks.remove(index);
        let at = self.order.iter().position(|&i| i == index);
        if let Some(at) = at {
            self.order.remove(at);
            self.pos = match self.pos {
                Some(p) if p > at => Some(p - 1),
                // The current track went: the context stands before what followed it.
                Some(p) if p == at => p.checked_sub(1),
                other => other,
            };
        }
        for i in &mut self.order {
            if *i > index {
                *i -= 1;
            }
        }
    }

    /// Keeps only the tracks `keep` accepts.
    pub(super) fn retain(&mut self, keep: impl Fn(TrackId) -> bool) {
        let mut i = self.tracks.len();
        while i > 0 {
            i -= 1;
            if !keep(self.tracks[i]) {
                self.remove_index(i);
            }
        }
    }
}

impl Context {
    pub(super) fn bytes(&self) -> usize {
        std::mem::size_of::<Context>()
            + self.label.capacity()
            + self.tracks.capacity() * std::mem::size_of::<TrackId>()
            + self.order.capacity() * std::mem::size_of::<usize>()
    }

    /// The same context with the same tracks in the same order (the place may differ).
    pub(super) fn same_list(&self, other: &Context) -> bool {
        self.uid == other.uid
            && self.label == other.label
            && self.tracks == other.tracks
            && self.order == other.order
    }
}

impl Context {
    /// Rebuilds a saved context; an order that does not fit the tracks is replaced by list
    /// order.
    pub fn from_parts(
        label: String,
        mut tracks: Vec<TrackId>,
        order: Vec<usize>,
        pos: Option<usize>,
    ) -> Self {
        tracks.truncate(MAX_CONTEXT);
        let n = tracks.len();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        let valid = sorted.len() == n && sorted.iter().enumerate().all(|(i, &o)| i == o);
        let order = if valid { order } else { (0..n).collect() };
        let pos = pos.filter(|&p| p < n);
        Context {
            uid: 0,
            label,
            tracks,
            order,
            pos,
        }
    }
}
