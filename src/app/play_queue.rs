//! What plays, in the model of the best players: the user's **up next** list, which plays
//! first and which nothing but the user ever empties, and the **context** the music is playing
//! from (an album, a folder, a genre or a playlist), which goes on when up next is empty.
//! Playing something from the library sets the context and never deletes queued entries.
//! Every change to up next or the context can be undone.
//!
//! Bounded: up next holds at most [`MAX_UP_NEXT`] entries (what does not fit is refused, and
//! the caller says so), a context at most [`MAX_CONTEXT`] tracks, and undo at most
//! [`UNDO_LEVELS`] steps within [`UNDO_BYTES`] (older steps go first).
//!
//! Shuffle is a permutation of the context's tracks made once per pass: the tracks not yet
//! heard in this pass keep their chance, none repeats before all have played, and a new pass
//! (repeat all) never starts with the track that ended the last one.
//!
//! One file on purpose (≈ 900 lines before its tests): up next, the context, shuffle passes,
//! history and undo are one state machine whose invariants span all of them (the budget of
//! the undo steps is `super::undo`'s).

use rand::Rng;
use rand::seq::SliceRandom;

use super::undo::{Step, UndoStack};

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
    /// Picked as `Similar`, and the listener's feedback moved it.
    Learned {
        seed: String,
        genre: String,
        similarity: f32,
        moved: Moved,
    },
}

pub use crate::recommend::taste::Moved;

impl Reason {
    /// Chosen by the recommender ("play next", auto-DJ).
    pub fn is_pick(&self) -> bool {
        matches!(self, Reason::Similar { .. } | Reason::Learned { .. })
    }

    pub fn describe(&self) -> String {
        match self {
            Reason::Added => "added".into(),
            Reason::From(what) => format!("from {what}"),
            Reason::Similar {
                seed,
                genre,
                similarity,
            } => format!("{genre}, {:.0}% like {seed}", similarity * 100.0),
            Reason::Learned {
                seed,
                genre,
                similarity,
                moved,
            } => format!(
                "{genre}, {:.0}% like {seed} · {}",
                similarity * 100.0,
                moved.describe()
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueueEntry {
    pub track: TrackId,
    pub reason: Reason,
    /// Which addition this is (the queue numbers entries as they come; 0 = not yet), so
    /// undo never brings back an entry that has played since.
    pub uid: u64,
}

impl QueueEntry {
    pub fn new(track: TrackId, reason: Reason) -> Self {
        QueueEntry {
            track,
            reason,
            uid: 0,
        }
    }
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
    pub fn from_label(s: &str) -> Option<Self> {
        match s {
            "off" => Some(Repeat::Off),
            "all" => Some(Repeat::All),
            "one" => Some(Repeat::One),
            _ => None,
        }
    }
}

/// What the music plays from when up next is empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// Which context this is (a new one for each album, playlist… played), so undo keeps
    /// the place the music has reached in it.
    pub uid: u64,
    pub label: String,
    pub tracks: Vec<TrackId>,
    /// The play order: indices into `tracks` (in order, or shuffled for this pass).
    order: Vec<usize>,
    /// Where in `order` the context is: its playing (or last played) track.
    pos: Option<usize>,
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

    fn next_pos(&self) -> Option<usize> {
        let n = self.pos.map_or(0, |p| p + 1);
        (n < self.order.len()).then_some(n)
    }

    /// Shuffles what has not played yet in this pass (the current track stays where it is).
    fn shuffle_rest(&mut self, rng: &mut impl Rng) {
        let from = self.pos.map_or(0, |p| p + 1).min(self.order.len());
        self.order[from..].shuffle(rng);
    }

    /// Back to list order, keeping the current track current.
    fn unshuffle(&mut self) {
        let cur = self.current_index();
        self.order = (0..self.tracks.len()).collect();
        self.pos = cur;
    }

    /// A new pass: list order, or a fresh shuffle that does not start with `last`.
    fn new_pass(&mut self, shuffle: bool, rng: &mut impl Rng) {
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
    fn remove_index(&mut self, index: usize) {
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
    fn retain(&mut self, keep: impl Fn(TrackId) -> bool) {
        let mut i = self.tracks.len();
        while i > 0 {
            i -= 1;
            if !keep(self.tracks[i]) {
                self.remove_index(i);
            }
        }
    }
}

/// Where the playing track came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Taken from up next (it left the list when it started).
    UpNext,
    /// The context's current track.
    Context,
}

/// The playing track.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    pub entry: QueueEntry,
    pub source: Source,
}

/// The most entries up next holds; adding more is refused (the caller says "up next is full").
pub const MAX_UP_NEXT: usize = 10_000;
/// The most tracks a context holds (twice the largest library measured, 50,000 tracks); a
/// longer list plays from its starting track on, this many.
pub const MAX_CONTEXT: usize = 100_000;
/// How many changes undo remembers…
pub const UNDO_LEVELS: usize = 50;
/// …within this much memory: the oldest steps are forgotten first (a step that copies a full
/// up next is ≈ 0.7 MB; a context is kept once however many steps share it).
pub const UNDO_BYTES: usize = 16 * 1024 * 1024;

/// A state to go back to with undo: up next as it was, and the context (shared with the step
/// before when it had not changed since) with its place then.
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    up_next: Vec<QueueEntry>,
    context: Option<(std::sync::Arc<Context>, Option<usize>)>,
}

impl Step for Snapshot {
    fn bytes(&self, older: Option<&Self>) -> usize {
        let shared = |c: &std::sync::Arc<Context>| {
            older
                .and_then(|o| o.context.as_ref())
                .is_some_and(|(o, _)| std::sync::Arc::ptr_eq(o, c))
        };
        self.up_next.iter().map(QueueEntry::bytes).sum::<usize>()
            + self
                .context
                .as_ref()
                .filter(|(c, _)| !shared(c))
                .map_or(0, |(c, _)| c.bytes())
    }
}

impl Snapshot {
    /// The state of `up_next` and `context`, sharing the context of `older` (the newest
    /// step) when its list is the same.
    fn of(up_next: &[QueueEntry], context: Option<&Context>, older: Option<&Snapshot>) -> Self {
        let context = context.map(|c| {
            let shared = older
                .and_then(|s| s.context.as_ref())
                .filter(|(prev, _)| prev.same_list(c))
                .map(|(prev, _)| prev.clone());
            (
                shared.unwrap_or_else(|| std::sync::Arc::new(c.clone())),
                c.pos,
            )
        });
        Snapshot {
            up_next: up_next.to_vec(),
            context,
        }
    }
}

impl QueueEntry {
    /// Memory the entry holds (its reason's text included).
    fn bytes(&self) -> usize {
        std::mem::size_of::<QueueEntry>()
            + match &self.reason {
                Reason::Added => 0,
                Reason::From(w) => w.capacity(),
                Reason::Similar { seed, genre, .. } | Reason::Learned { seed, genre, .. } => {
                    seed.capacity() + genre.capacity()
                }
            }
    }
}

impl Context {
    fn bytes(&self) -> usize {
        std::mem::size_of::<Context>()
            + self.label.capacity()
            + self.tracks.capacity() * std::mem::size_of::<TrackId>()
            + self.order.capacity() * std::mem::size_of::<usize>()
    }

    /// The same context with the same tracks in the same order (the place may differ).
    fn same_list(&self, other: &Context) -> bool {
        self.uid == other.uid
            && self.label == other.label
            && self.tracks == other.tracks
            && self.order == other.order
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Queue {
    /// What the user queued, in order: it plays before the context goes on.
    pub up_next: Vec<QueueEntry>,
    pub context: Option<Context>,
    pub current: Option<Current>,
    /// Tracks played before the current one, for "previous".
    history: Vec<Current>,
    undo: UndoStack<Snapshot, UNDO_LEVELS, UNDO_BYTES>,
    /// Counts changes (to know when the saved queue is out of date).
    changes: u64,
    /// The last number given to an entry or a context.
    last_uid: u64,
    /// Up-next entries that have started playing (undo leaves them out).
    consumed: std::collections::HashSet<u64>,
}

impl Queue {
    /// How many times the queue changed (any change: edits, a new track playing).
    pub fn changes(&self) -> u64 {
        self.changes
    }
    pub fn current_track(&self) -> Option<TrackId> {
        self.current.as_ref().map(|c| c.entry.track)
    }

    /// Remembers the state before a change, for undo.
    fn checkpoint(&mut self) {
        self.changes += 1;
        let step = Snapshot::of(&self.up_next, self.context.as_ref(), self.undo.last());
        self.undo.push(step);
    }

    /// Room left in up next.
    pub fn room(&self) -> usize {
        MAX_UP_NEXT.saturating_sub(self.up_next.len())
    }

    /// Up next is full: nothing more can be added.
    pub fn is_full(&self) -> bool {
        self.room() == 0
    }

    /// Whether anything plays after the current track (without listing it).
    pub fn has_upcoming(&self) -> bool {
        !self.up_next.is_empty()
            || self
                .context
                .as_ref()
                .is_some_and(|c| c.remaining_indices().next().is_some())
    }

    /// How many tracks play after the current one (up next, then the context's rest).
    pub fn upcoming_len(&self) -> usize {
        self.up_next.len()
            + self
                .context
                .as_ref()
                .map_or(0, |c| c.remaining_indices().count())
    }

    /// Goes back to before the last change of up next or the context; `false` when there is
    /// nothing to undo. What plays keeps playing: entries that have played since stay out,
    /// and a context the music is still in keeps its place.
    pub fn undo(&mut self) -> bool {
        self.changes += 1;
        let Some(s) = self.undo.pop() else {
            return false;
        };
        self.up_next = s
            .up_next
            .into_iter()
            .filter(|e| !self.consumed.contains(&e.uid))
            .collect();
        let saved = s.context.map(|(c, pos)| {
            let mut c = std::sync::Arc::try_unwrap(c).unwrap_or_else(|shared| (*shared).clone());
            c.pos = pos;
            c
        });
        if self.undo.is_empty() {
            // No step left that could bring a played entry back.
            self.consumed.clear();
        }
        self.context = match (saved, self.context.take()) {
            // The same context: its tracks come back as they were, at the place the music
            // has reached since.
            (Some(mut old), Some(now)) if old.uid == now.uid => {
                old.pos = match now.current() {
                    Some(t) => old
                        .order
                        .iter()
                        .position(|&i| old.tracks.get(i) == Some(&t))
                        .or(old.pos),
                    None => now.pos.filter(|&p| p < old.order.len()),
                };
                Some(old)
            }
            (old, _) => old,
        };
        true
    }

    /// Numbers new entries.
    fn stamp(&mut self, mut e: QueueEntry) -> QueueEntry {
        self.last_uid += 1;
        e.uid = self.last_uid;
        e
    }

    /// Takes up-next entry `i` to play it.
    fn take_up_next(&mut self, i: usize) -> QueueEntry {
        let e = self.up_next.remove(i);
        if !self.undo.is_empty() {
            self.consumed.insert(e.uid);
        }
        e
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Plays `tracks` from `start` as the new context ("from `label`"). Up next stays.
    pub fn play_context(
        &mut self,
        label: String,
        tracks: Vec<TrackId>,
        start: usize,
        shuffle: bool,
        rng: &mut impl Rng,
    ) {
        self.checkpoint();
        let mut c = Context::new(label, tracks, start, shuffle, rng);
        self.last_uid += 1;
        c.uid = self.last_uid;
        self.context = Some(c);
        self.start_context();
    }

    /// Makes the context's current track the playing one.
    fn start_context(&mut self) {
        self.changes += 1;
        let Some(c) = &self.context else { return };
        let Some(track) = c.current() else { return };
        let entry = QueueEntry::new(track, Reason::From(c.label.clone()));
        self.set_current(Current {
            entry,
            source: Source::Context,
        });
    }

    fn set_current(&mut self, c: Current) {
        self.changes += 1;
        if let Some(old) = self.current.take() {
            self.history.push(old);
            if self.history.len() > 500 {
                self.history.drain(..100);
            }
        }
        self.current = Some(c);
    }

    /// Adds `tracks` to the end of up next, as many as fit; returns how many were added.
    pub fn append(&mut self, tracks: impl IntoIterator<Item = TrackId>, reason: Reason) -> usize {
        self.changes += 1;
        if self.is_full() {
            return 0;
        }
        self.checkpoint();
        let room = self.room();
        let before = self.up_next.len();
        for track in tracks.into_iter().take(room) {
            let e = self.stamp(QueueEntry::new(track, reason.clone()));
            self.up_next.push(e);
        }
        self.up_next.len() - before
    }

    /// Adds entries to the end of up next without an undo step of their own (auto-DJ), as
    /// many as fit; returns how many were added.
    pub fn extend_quietly(&mut self, entries: impl IntoIterator<Item = QueueEntry>) -> usize {
        self.changes += 1;
        let room = self.room();
        let before = self.up_next.len();
        for e in entries.into_iter().take(room) {
            let e = self.stamp(e);
            self.up_next.push(e);
        }
        self.up_next.len() - before
    }

    /// Puts `tracks` at the front of up next (they play next), as many as fit; returns how
    /// many were added.
    pub fn insert_next(&mut self, tracks: Vec<TrackId>, reason: Reason) -> usize {
        self.changes += 1;
        if self.is_full() {
            return 0;
        }
        self.checkpoint();
        let room = self.room();
        let entries: Vec<QueueEntry> = tracks
            .into_iter()
            .take(room)
            .map(|track| self.stamp(QueueEntry::new(track, reason.clone())))
            .collect();
        let n = entries.len();
        self.up_next.splice(0..0, entries);
        n
    }

    /// Replaces the previous "play next" fill in up next with `entries`, at the front (as
    /// many as fit).
    pub fn replace_fill(&mut self, entries: Vec<QueueEntry>) {
        self.changes += 1;
        self.checkpoint();
        self.up_next.retain(|e| !e.reason.is_pick());
        let room = self.room();
        let entries: Vec<QueueEntry> = entries
            .into_iter()
            .take(room)
            .map(|e| self.stamp(e))
            .collect();
        self.up_next.splice(0..0, entries);
    }

    /// Takes the recommender's picks out of up next (auto-DJ chooses them again after a
    /// skip); what the user added stays.
    pub fn drop_picks(&mut self) {
        self.changes += 1;
        self.up_next.retain(|e| !e.reason.is_pick());
    }

    /// Takes the recommender's picks of `track` out of up next (it was disliked).
    pub fn drop_pick(&mut self, track: TrackId) {
        self.changes += 1;
        self.up_next
            .retain(|e| !(e.track == track && e.reason.is_pick()));
    }

    /// Removes up-next entry `i`.
    pub fn remove(&mut self, i: usize) -> Option<QueueEntry> {
        self.changes += 1;
        if i >= self.up_next.len() {
            return None;
        }
        self.checkpoint();
        Some(self.up_next.remove(i))
    }

    /// Removes the context's track at `index` (of its track list); not the playing one.
    pub fn remove_from_context(&mut self, index: usize) -> bool {
        self.changes += 1;
        let playing = self
            .current
            .as_ref()
            .is_some_and(|c| c.source == Source::Context)
            && self.context.as_ref().and_then(Context::current_index) == Some(index);
        let ok = self
            .context
            .as_ref()
            .is_some_and(|c| index < c.tracks.len());
        if !ok || playing {
            return false;
        }
        self.checkpoint();
        if let Some(c) = &mut self.context {
            c.remove_index(index);
        }
        true
    }

    /// Swaps up-next entries `i` and `j`.
    pub fn swap(&mut self, i: usize, j: usize) -> bool {
        self.changes += 1;
        if i >= self.up_next.len() || j >= self.up_next.len() || i == j {
            return false;
        }
        self.checkpoint();
        self.up_next.swap(i, j);
        true
    }

    /// Empties up next and ends the context after the playing track.
    pub fn clear(&mut self) {
        self.changes += 1;
        self.checkpoint();
        self.up_next.clear();
        self.context = None;
        if let Some(c) = &mut self.current {
            c.source = Source::UpNext;
        }
    }

    /// Plays up-next entry `i` now (it leaves up next).
    pub fn play_up_next(&mut self, i: usize) -> Option<TrackId> {
        self.changes += 1;
        if i >= self.up_next.len() {
            return None;
        }
        self.checkpoint();
        let entry = self.take_up_next(i);
        let track = entry.track;
        self.set_current(Current {
            entry,
            source: Source::UpNext,
        });
        Some(track)
    }

    /// Plays the context's track at `index` (of its track list) now.
    pub fn play_context_index(&mut self, index: usize) -> Option<TrackId> {
        self.changes += 1;
        let c = self.context.as_mut()?;
        let at = c.order.iter().position(|&i| i == index)?;
        c.pos = Some(at);
        self.start_context();
        self.current_track()
    }

    /// The track that follows the current one, without moving (for gapless preloading).
    /// `None` at the end, and at a shuffled pass's end (the next pass is drawn when it comes).
    pub fn peek_next(&self, shuffle: bool, repeat: Repeat) -> Option<TrackId> {
        if repeat == Repeat::One
            && let Some(t) = self.current_track()
        {
            return Some(t);
        }
        if let Some(e) = self.up_next.first() {
            return Some(e.track);
        }
        let c = self.context.as_ref()?;
        match c.next_pos() {
            Some(p) => c.tracks.get(*c.order.get(p)?).copied(),
            None if repeat == Repeat::All && !shuffle => c.tracks.first().copied(),
            None => None,
        }
    }

    /// Moves to the next track (for a track end or "next"). `explicit` is a user skip, which
    /// leaves repeat-one. Returns the new playing track; `None` at the end (nothing plays).
    pub fn advance(
        &mut self,
        shuffle: bool,
        repeat: Repeat,
        explicit: bool,
        rng: &mut impl Rng,
    ) -> Option<TrackId> {
        if repeat == Repeat::One && !explicit && self.current.is_some() {
            return self.current_track();
        }
        if !self.up_next.is_empty() {
            let entry = self.take_up_next(0);
            let track = entry.track;
            self.set_current(Current {
                entry,
                source: Source::UpNext,
            });
            return Some(track);
        }
        let c = self.context.as_mut()?;
        let next = match c.next_pos() {
            Some(p) => Some(p),
            None if repeat != Repeat::Off && !c.tracks.is_empty() => {
                c.new_pass(shuffle, rng);
                Some(0)
            }
            None => None,
        };
        match next {
            Some(p) => {
                c.pos = Some(p);
                self.start_context();
                self.current_track()
            }
            None => {
                self.changes += 1;
                if let Some(old) = self.current.take() {
                    self.history.push(old);
                }
                None
            }
        }
    }

    /// Back to the track played before (the current one, if it came from up next, goes back to
    /// the front of up next so nothing queued is lost).
    pub fn back(&mut self) -> Option<TrackId> {
        self.changes += 1;
        let prev = self.history.pop()?;
        if let Some(cur) = self.current.take()
            && cur.source == Source::UpNext
        {
            self.consumed.remove(&cur.entry.uid);
            self.up_next.insert(0, cur.entry);
        }
        if prev.source == Source::Context
            && let Some(c) = &mut self.context
            && let Some(i) = c.tracks.iter().position(|t| *t == prev.entry.track)
            && let Some(at) = c.order.iter().position(|&o| o == i)
        {
            c.pos = Some(at);
        }
        let track = prev.entry.track;
        self.current = Some(prev);
        Some(track)
    }

    /// Nothing plays any more (stop): the context keeps its place.
    pub fn stop(&mut self) {
        self.changes += 1;
        if let Some(old) = self.current.take() {
            if old.source == Source::UpNext {
                // Stopped before it ended: it may play again from the front.
                self.up_next.insert(0, old.entry);
            } else {
                self.history.push(old);
            }
        }
    }

    /// Shuffle was turned on or off: the rest of the context's pass is reordered.
    pub fn set_shuffle(&mut self, on: bool, rng: &mut impl Rng) {
        self.changes += 1;
        if let Some(c) = &mut self.context {
            if on {
                c.shuffle_rest(rng);
            } else {
                c.unshuffle();
            }
        }
    }

    /// What plays after the current track, in order: up next, then the context's rest.
    pub fn upcoming(&self) -> Vec<TrackId> {
        let mut v: Vec<TrackId> = self.up_next.iter().map(|e| e.track).collect();
        if let Some(c) = &self.context {
            v.extend(c.remaining());
        }
        v
    }

    /// Drops every track `keep` refuses (files that are gone) from up next, the context and
    /// the history.
    pub fn retain(&mut self, keep: impl Fn(TrackId) -> bool) {
        self.changes += 1;
        self.up_next.retain(|e| keep(e.track));
        self.history.retain(|c| keep(c.entry.track));
        if let Some(c) = &mut self.context {
            c.retain(&keep);
        }
    }

    /// Files that moved on disk (renamed, or moved to another folder): their entries follow
    /// them, wherever they are (up next, the context, what plays, the history, undo).
    pub fn rename(&mut self, moved: &std::collections::HashMap<TrackId, TrackId>) {
        if moved.is_empty() {
            return;
        }
        self.changes += 1;
        let to = |t: &mut TrackId| {
            if let Some(n) = moved.get(t) {
                *t = *n;
            }
        };
        let context = |c: &mut Context| c.tracks.iter_mut().for_each(to);
        self.up_next.iter_mut().for_each(|e| to(&mut e.track));
        if let Some(c) = &mut self.context {
            context(c);
        }
        if let Some(c) = &mut self.current {
            to(&mut c.entry.track);
        }
        self.history.iter_mut().for_each(|c| to(&mut c.entry.track));
        // A context shared by neighbouring steps is renamed once and stays shared.
        let mut last: Option<(std::sync::Arc<Context>, std::sync::Arc<Context>)> = None;
        for snap in self.undo.iter_mut() {
            snap.up_next.iter_mut().for_each(|e| to(&mut e.track));
            if let Some((c, _)) = &mut snap.context {
                match &last {
                    Some((before, after)) if std::sync::Arc::ptr_eq(before, c) => {
                        *c = after.clone();
                    }
                    _ => {
                        let mut renamed = (**c).clone();
                        context(&mut renamed);
                        let renamed = std::sync::Arc::new(renamed);
                        last = Some((std::mem::replace(c, renamed.clone()), renamed));
                    }
                }
            }
        }
    }

    /// Restores a saved state (see `app::state`); up next keeps at most [`MAX_UP_NEXT`]
    /// entries.
    pub fn restore(
        &mut self,
        up_next: Vec<QueueEntry>,
        context: Option<Context>,
        current: Option<Current>,
    ) {
        self.changes += 1;
        self.up_next = up_next
            .into_iter()
            .take(MAX_UP_NEXT)
            .map(|e| self.stamp(e))
            .collect();
        self.context = context.map(|mut c| {
            self.last_uid += 1;
            c.uid = self.last_uid;
            c
        });
        self.current = current;
        self.history.clear();
        self.undo.clear();
        self.consumed.clear();
    }

    /// The context's play order and position, for saving.
    pub fn context_parts(&self) -> Option<(&Context, &[usize], Option<usize>)> {
        self.context
            .as_ref()
            .map(|c| (c, c.order.as_slice(), c.pos))
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn ids(n: u64) -> Vec<TrackId> {
        (0..n).map(TrackId).collect()
    }

    fn rng() -> rand::rngs::StdRng {
        rand::rngs::StdRng::seed_from_u64(7)
    }

    #[test]
    fn a_context_plays_in_order_then_stops_or_repeats() {
        let mut r = rng();
        let mut q = Queue::default();
        q.play_context("album".into(), ids(3), 0, false, &mut r);
        assert_eq!(q.current_track(), Some(TrackId(0)));
        assert_eq!(
            q.advance(false, Repeat::Off, false, &mut r),
            Some(TrackId(1))
        );
        assert_eq!(
            q.advance(false, Repeat::Off, false, &mut r),
            Some(TrackId(2))
        );
        assert_eq!(q.peek_next(false, Repeat::Off), None);
        assert_eq!(q.peek_next(false, Repeat::All), Some(TrackId(0)));
        assert_eq!(q.peek_next(false, Repeat::One), Some(TrackId(2)));
        // Repeat one repeats on track end, but "next" moves on.
        assert_eq!(
            q.advance(false, Repeat::One, false, &mut r),
            Some(TrackId(2))
        );
        assert_eq!(
            q.advance(false, Repeat::All, true, &mut r),
            Some(TrackId(0))
        );
        assert_eq!(q.back(), Some(TrackId(2)));
        assert_eq!(q.advance(false, Repeat::Off, false, &mut r), None);
        assert_eq!(q.current_track(), None);
    }

    #[test]
    fn up_next_plays_first_and_playing_a_context_keeps_it() {
        let mut r = rng();
        let mut q = Queue::default();
        q.append([TrackId(10), TrackId(11)], Reason::Added);
        q.play_context("album".into(), ids(3), 1, false, &mut r);
        assert_eq!(q.current_track(), Some(TrackId(1)));
        assert_eq!(
            q.up_next.len(),
            2,
            "queued entries survive playing an album"
        );
        assert_eq!(q.upcoming(), vec![TrackId(10), TrackId(11), TrackId(2)]);
        assert_eq!(
            q.advance(false, Repeat::Off, false, &mut r),
            Some(TrackId(10))
        );
        assert_eq!(
            q.advance(false, Repeat::Off, false, &mut r),
            Some(TrackId(11))
        );
        // Then the context goes on where it was.
        assert_eq!(
            q.advance(false, Repeat::Off, false, &mut r),
            Some(TrackId(2))
        );
        // Back twice: the up-next entry comes back to the front of up next.
        assert_eq!(q.back(), Some(TrackId(11)));
        assert_eq!(q.back(), Some(TrackId(10)));
        assert_eq!(
            q.up_next.iter().map(|e| e.track).collect::<Vec<_>>(),
            [TrackId(11)]
        );
    }

    #[test]
    fn shuffle_never_repeats_within_a_pass_nor_across_the_boundary() {
        let mut r = rng();
        for seed in 0..20u64 {
            let mut q = Queue::default();
            let mut r2 = rand::rngs::StdRng::seed_from_u64(seed);
            q.play_context("all".into(), ids(6), 0, true, &mut r2);
            let mut seen = vec![q.current_track().unwrap()];
            for _ in 0..17 {
                seen.push(q.advance(true, Repeat::All, false, &mut r2).unwrap());
            }
            for pass in seen.chunks(6) {
                let mut p = pass.to_vec();
                p.sort();
                assert_eq!(p, ids(6), "each pass plays every track once: {seen:?}");
            }
            for w in seen.windows(2) {
                assert_ne!(w[0], w[1], "no track twice in a row: {seen:?}");
            }
        }
        // Turning shuffle on mid-album never skips an unheard track.
        let mut q = Queue::default();
        q.play_context("album".into(), ids(5), 2, false, &mut r);
        q.set_shuffle(true, &mut r);
        let mut rest: Vec<TrackId> =
            std::iter::from_fn(|| q.advance(true, Repeat::Off, false, &mut r)).collect();
        rest.sort();
        assert_eq!(rest, vec![TrackId(3), TrackId(4)]);
    }

    #[test]
    fn edits_are_undone_in_reverse_order() {
        let mut r = rng();
        let mut q = Queue::default();
        q.append([TrackId(1), TrackId(2), TrackId(3)], Reason::Added);
        q.swap(0, 2);
        q.remove(1);
        q.play_context("album".into(), ids(2), 0, false, &mut r);
        q.clear();
        assert!(q.up_next.is_empty() && q.context.is_none());
        assert!(q.undo());
        assert!(q.context.is_some());
        assert!(q.undo());
        assert!(q.context.is_none());
        assert_eq!(
            q.up_next.iter().map(|e| e.track.0).collect::<Vec<_>>(),
            [3, 1]
        );
        assert!(q.undo());
        assert!(q.undo());
        assert_eq!(
            q.up_next.iter().map(|e| e.track.0).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert!(q.undo());
        assert!(q.up_next.is_empty());
        assert!(!q.undo());
        // At least 20 levels.
        for i in 0..30 {
            q.append([TrackId(i)], Reason::Added);
        }
        for _ in 0..30 {
            assert!(q.undo());
        }
        assert!(q.up_next.is_empty());
    }

    #[test]
    fn removing_context_tracks_and_missing_files() {
        let mut r = rng();
        let mut q = Queue::default();
        q.play_context("album".into(), ids(5), 1, false, &mut r);
        assert!(!q.remove_from_context(1), "not the playing track");
        assert!(q.remove_from_context(3));
        assert_eq!(q.upcoming(), vec![TrackId(2), TrackId(4)]);
        q.append([TrackId(9)], Reason::Added);
        q.retain(|t| t != TrackId(2) && t != TrackId(9));
        assert_eq!(q.upcoming(), vec![TrackId(4)]);
        // A saved order that does not fit is replaced by list order.
        let c = Context::from_parts("x".into(), ids(3), vec![0, 0, 1], Some(5));
        assert_eq!(c.current(), None);
        assert_eq!(c.remaining().collect::<Vec<_>>(), ids(3));
    }

    #[test]
    fn up_next_has_a_bound_and_says_what_fitted() {
        let mut q = Queue::default();
        assert_eq!(
            q.append(ids(MAX_UP_NEXT as u64 - 2), Reason::Added),
            MAX_UP_NEXT - 2
        );
        assert_eq!(q.append(ids(5), Reason::Added), 2, "only what fits");
        assert!(q.is_full());
        assert_eq!(q.append(ids(1), Reason::Added), 0);
        assert_eq!(q.insert_next(ids(3), Reason::Added), 0);
        assert_eq!(
            q.extend_quietly([QueueEntry::new(TrackId(1), Reason::Added)]),
            0
        );
        assert_eq!(q.up_next.len(), MAX_UP_NEXT);
        // What was refused left no undo step: one undo empties it.
        assert!(q.undo() && q.undo());
        assert!(q.up_next.is_empty());
        // A context longer than the bound plays from its start, as much as it holds.
        let mut r = rng();
        q.play_context(
            "all".into(),
            ids(MAX_CONTEXT as u64 + 10),
            20,
            false,
            &mut r,
        );
        let c = q.context.as_ref().unwrap();
        assert_eq!(c.tracks.len(), MAX_CONTEXT);
        assert_eq!(q.current_track(), Some(TrackId(20)));
        // Restored from a state file: the same bounds.
        let many: Vec<QueueEntry> = (0..MAX_UP_NEXT as u64 + 7)
            .map(|i| QueueEntry::new(TrackId(i), Reason::Added))
            .collect();
        q.restore(many, None, None);
        assert_eq!(q.up_next.len(), MAX_UP_NEXT);
    }

    #[test]
    fn undo_keeps_within_its_memory_and_shares_an_unchanged_context() {
        let mut r = rng();
        let mut q = Queue::default();
        // A library-sized context and a full up next, then fifty more edits.
        q.play_context("all".into(), ids(50_000), 0, false, &mut r);
        q.append(
            ids(MAX_UP_NEXT as u64 - 60),
            Reason::From("a long label".repeat(4)),
        );
        for i in 0..50 {
            q.append([TrackId(i)], Reason::Added);
        }
        let bytes = q.undo.bytes();
        assert!(bytes <= UNDO_BYTES, "{bytes} bytes of undo");
        assert!(q.undo.len() >= 10, "{} steps left", q.undo.len());
        // Every step shares the one copy of the context.
        let first = q
            .undo
            .iter()
            .next()
            .unwrap()
            .context
            .as_ref()
            .unwrap()
            .0
            .clone();
        assert!(
            q.undo
                .iter()
                .all(|s| std::sync::Arc::ptr_eq(&s.context.as_ref().unwrap().0, &first))
        );
        // Undo still goes back step by step.
        let before = q.up_next.len();
        assert!(q.undo());
        assert_eq!(q.up_next.len(), before - 1);
        assert_eq!(q.context.as_ref().unwrap().tracks.len(), 50_000);
        // Without sharing (a context changed before each step) the budget still holds.
        let mut q = Queue::default();
        for k in 0..UNDO_LEVELS as u64 {
            q.play_context(format!("ctx {k}"), ids(60_000), 0, false, &mut r);
        }
        assert!(q.undo.bytes() <= UNDO_BYTES, "{}", q.undo.bytes());
        assert!(q.undo());
        assert_eq!(
            q.context.as_ref().unwrap().label,
            format!("ctx {}", UNDO_LEVELS - 2)
        );
    }
}
