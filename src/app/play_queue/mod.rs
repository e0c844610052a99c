//! One state machine at ~620 lines: `Queue`'s invariants span up next, the context's place,
//! the history and undo, so its moves stay together.
//!
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
//! What `Queue` (this file) holds is `entry.rs` and `context.rs`, the budget of the undo
//! steps `super::undo`'s.

use rand::Rng;

mod context;
mod entry;
#[cfg(test)]
mod tests;

pub use context::{Context, MAX_CONTEXT};
pub use entry::{Current, Moved, QueueEntry, Reason, Repeat, Source};

use super::undo::{Step, UndoStack};

use crate::library::TrackId;

/// The most entries up next holds; adding more is refused (the caller says "up next is full").
pub const MAX_UP_NEXT: usize = 10_000;
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

/// Renames the tracks of undo or redo steps (`to` a track, `context` a context's tracks); a
/// context shared by neighbouring steps is renamed once and stays shared.
fn rename_steps<'a>(
    steps: impl Iterator<Item = &'a mut Snapshot>,
    to: &impl Fn(&mut TrackId),
    context: &impl Fn(&mut Context),
) {
    let mut last: Option<(std::sync::Arc<Context>, std::sync::Arc<Context>)> = None;
    for snap in steps {
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

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Queue {
    /// What the user queued, in order: it plays before the context goes on.
    pub up_next: Vec<QueueEntry>,
    pub context: Option<Context>,
    pub current: Option<Current>,
    /// Tracks played before the current one, for "previous".
    history: Vec<Current>,
    undo: UndoStack<Snapshot, UNDO_LEVELS, UNDO_BYTES>,
    /// The states undo left, newest last: redo goes back to them; a new change forgets them.
    redo: UndoStack<Snapshot, UNDO_LEVELS, UNDO_BYTES>,
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
        self.redo.clear();
    }

    /// Whether a step of undo or redo could still bring an up-next entry back.
    fn steps_kept(&self) -> bool {
        !self.undo.is_empty() || !self.redo.is_empty()
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
        let now = Snapshot::of(&self.up_next, self.context.as_ref(), self.redo.last());
        self.redo.push(now);
        self.go_back_to(s);
        true
    }

    /// Goes forward again to the state the last undo left (the change undo took back comes
    /// back); `false` when there is nothing to redo. As with undo, what plays keeps playing.
    pub fn redo(&mut self) -> bool {
        self.changes += 1;
        let Some(s) = self.redo.pop() else {
            return false;
        };
        let now = Snapshot::of(&self.up_next, self.context.as_ref(), self.undo.last());
        self.undo.push(now);
        self.go_back_to(s);
        true
    }

    /// Puts up next and the context back as `s` holds them: entries that have played since
    /// stay out, and a context the music is still in keeps its place.
    fn go_back_to(&mut self, s: Snapshot) {
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
        if !self.steps_kept() {
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
        if self.steps_kept() {
            self.consumed.insert(e.uid);
        }
        e
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
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
        // A redo would take these away again.
        self.redo.clear();
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

    /// The index (in the context's track list) of the playing track when it plays from the
    /// context.
    fn playing_context_index(&self) -> Option<usize> {
        let from_context = self
            .current
            .as_ref()
            .is_some_and(|c| c.source == Source::Context);
        from_context
            .then(|| self.context.as_ref().and_then(Context::current_index))
            .flatten()
    }

    /// Orders up next by `place` (stable: equal places keep their order), in one step undo
    /// takes back. False when it was in that order already (nothing changes).
    pub fn sort_up_next<K: Ord>(&mut self, mut place: impl FnMut(TrackId) -> K) -> bool {
        let mut sorted = self.up_next.clone();
        sorted.sort_by_cached_key(|e| place(e.track));
        if sorted
            .iter()
            .map(|e| e.uid)
            .eq(self.up_next.iter().map(|e| e.uid))
        {
            return false;
        }
        self.checkpoint();
        self.up_next = sorted;
        true
    }

    /// Removes the up-next entries numbered `entries` and the context's tracks at `context`
    /// (indices of its track list, each with the track it must still hold) in one step that
    /// undo takes back; never the playing one. Returns how many went.
    pub fn remove_many(
        &mut self,
        entries: &std::collections::HashSet<u64>,
        context: &[(usize, TrackId)],
    ) -> usize {
        self.changes += 1;
        let playing = self.playing_context_index();
        let mut indices: Vec<usize> = context
            .iter()
            .filter(|&&(i, t)| {
                Some(i) != playing
                    && self
                        .context
                        .as_ref()
                        .is_some_and(|c| c.tracks.get(i) == Some(&t))
            })
            .map(|&(i, _)| i)
            .collect();
        indices.sort_unstable();
        indices.dedup();
        let n = self
            .up_next
            .iter()
            .filter(|e| entries.contains(&e.uid))
            .count()
            + indices.len();
        if n == 0 {
            return 0;
        }
        self.checkpoint();
        self.up_next.retain(|e| !entries.contains(&e.uid));
        if let Some(c) = &mut self.context {
            for &i in indices.iter().rev() {
                c.remove_index(i);
            }
        }
        n
    }

    /// Removes the context's track at `index` (of its track list); not the playing one.
    pub fn remove_from_context(&mut self, index: usize) -> bool {
        self.changes += 1;
        let playing = self.playing_context_index() == Some(index);
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

    /// The whole queue as a list, in play order: the current track (if any), then
    /// [`Self::upcoming`] (what saving or exporting the queue writes).
    pub fn tracks(&self) -> Vec<TrackId> {
        let mut v: Vec<TrackId> = self.current_track().into_iter().collect();
        v.extend(self.upcoming());
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
        rename_steps(self.undo.iter_mut(), &to, &context);
        rename_steps(self.redo.iter_mut(), &to, &context);
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
        self.redo.clear();
        self.consumed.clear();
    }

    /// The context's play order and position, for saving.
    pub fn context_parts(&self) -> Option<(&Context, &[usize], Option<usize>)> {
        self.context
            .as_ref()
            .map(|c| (c, c.order.as_slice(), c.pos))
    }
}
