//! The Queue view, in play order: the playing track, then **up next** (the user's queue: it
//! plays first), then the rest of what the music is **playing from** (the context: an album,
//! a genre, a playlist, in its shuffled order when shuffle is on), with the keys that edit
//! them.

use std::collections::HashSet;

use super::Handled;
use crate::app::nav::ListNav;
use crate::app::session::Session;
use crate::keys::Action;
use crate::library::TrackId;

/// One row of the Queue view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueRow {
    /// The playing track.
    Playing(TrackId),
    /// Up-next entry `i`.
    UpNext(usize, TrackId),
    /// The context's track at `index` of its track list.
    Context(usize, TrackId),
}

impl QueueRow {
    pub fn track(self) -> TrackId {
        match self {
            QueueRow::Playing(t) | QueueRow::UpNext(_, t) | QueueRow::Context(_, t) => t,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueView {
    pub nav: ListNav,
    /// The rows shown.
    pub rows: Vec<QueueRow>,
    /// Follow playback: the cursor moves along with the playing track (`i` turns it on,
    /// moving the cursor turns it off).
    pub follow: bool,
    /// The playing track at the last refresh (to follow it).
    playing: Option<TrackId>,
    /// The queue's change count the rows were made at: an event that did not change the
    /// queue does not remake them (up next and a long context are thousands of rows).
    made_at: Option<u64>,
    /// The order up next was last sorted by (`ctrl-s` goes on from it).
    pub sort: super::sort::SortKey,
    /// The marked entries (`y`): `d` removes them together.
    pub marks: HashSet<QueueMark>,
}

/// A marked row: an up-next entry by its number, or a context's track by the context's number,
/// its index there and the track (an index that holds another track by then is left alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueMark {
    UpNext(u64),
    Context(u64, usize, TrackId),
}

impl QueueView {
    /// Recomputes the rows when the queue changed since they were made.
    pub fn refresh(&mut self, s: &Session) {
        let q = &s.queue;
        if self.made_at == Some(q.changes()) {
            return;
        }
        self.made_at = Some(q.changes());
        let mut rows = Vec::new();
        if let Some(c) = &q.current {
            rows.push(QueueRow::Playing(c.entry.track));
        }
        rows.extend(
            q.up_next
                .iter()
                .enumerate()
                .map(|(i, e)| QueueRow::UpNext(i, e.track)),
        );
        if let Some(c) = &q.context {
            rows.extend(
                c.remaining_indices()
                    .map(|i| QueueRow::Context(i, c.tracks[i])),
            );
        }
        self.rows = rows;
        let playing = q.current_track();
        if self.follow && playing != self.playing {
            self.select_playing(s);
        }
        self.playing = playing;
    }

    /// The row of the playing track (the first, when something plays).
    pub fn playing_row(&self, _s: &Session) -> Option<usize> {
        self.rows
            .iter()
            .position(|r| matches!(r, QueueRow::Playing(_)))
    }

    /// Puts the cursor on the playing track; `false` when nothing plays.
    pub fn select_playing(&mut self, s: &Session) -> bool {
        match self.playing_row(s) {
            Some(i) => {
                self.nav.selected = i;
                self.nav.clamp(self.rows.len(), s.list_height);
                true
            }
            None => false,
        }
    }

    pub fn selected(&self) -> Option<QueueRow> {
        self.rows.get(self.nav.selected).copied()
    }

    /// The mark `row` would have (none for the playing track).
    pub fn mark_of(&self, row: QueueRow, s: &Session) -> Option<QueueMark> {
        match row {
            QueueRow::Playing(_) => None,
            QueueRow::UpNext(i, _) => s.queue.up_next.get(i).map(|e| QueueMark::UpNext(e.uid)),
            QueueRow::Context(i, t) => s
                .queue
                .context
                .as_ref()
                .map(|c| QueueMark::Context(c.uid, i, t)),
        }
    }

    /// Whether `row` is marked.
    pub fn is_marked(&self, row: QueueRow, s: &Session) -> bool {
        self.mark_of(row, s)
            .is_some_and(|m| self.marks.contains(&m))
    }

    /// `y`: marks or unmarks the selected entry and moves down.
    fn toggle_mark(&mut self, s: &mut Session) {
        let Some(row) = self.selected() else {
            return;
        };
        match self.mark_of(row, s) {
            None => {
                let skip = s.keymap.hint(Action::NextTrack);
                s.set_status(format!("that track is playing; {skip} skips it"), false);
                return;
            }
            Some(m) => {
                if !self.marks.remove(&m) {
                    self.marks.insert(m);
                }
            }
        }
        self.nav
            .on_action(Action::Down, self.rows.len(), s.list_height);
        self.say_marks(s);
    }

    fn say_marks(&self, s: &mut Session) {
        let text = match self.marks.len() {
            0 => "no queue entries marked".to_string(),
            n => format!(
                "{n} marked: {} removes them, {} clears the marks",
                s.keymap.hint(Action::QueueRemove),
                s.keymap.hint(Action::ClearMarks)
            ),
        };
        s.set_status(text, false);
    }

    /// `d` with marks: every marked entry goes, in one step `u` takes back.
    fn remove_marked(&mut self, s: &mut Session) {
        let context_uid = s.queue.context.as_ref().map(|c| c.uid);
        let mut entries = HashSet::new();
        let mut context = Vec::new();
        for m in self.marks.drain() {
            match m {
                QueueMark::UpNext(uid) => {
                    entries.insert(uid);
                }
                QueueMark::Context(c, i, t) if Some(c) == context_uid => context.push((i, t)),
                QueueMark::Context(..) => {}
            }
        }
        let n = s.queue.remove_many(&entries, &context);
        s.send_next();
        let undo = s.keymap.hint(Action::Undo);
        let text = match n {
            0 => "the marked entries are no longer in the queue".to_string(),
            1 => format!("removed 1 entry ({undo} undoes)"),
            n => format!("removed {n} entries ({undo} undoes)"),
        };
        s.set_status(text, false);
    }
}

impl super::View for QueueView {
    /// Keeps the selection inside the list and on screen.
    fn clamp(&mut self, height: usize) {
        self.nav.clamp(self.rows.len(), height);
    }

    fn on_action(&mut self, a: Action, s: &mut Session) -> Handled {
        if self.nav.on_action(a, self.rows.len(), s.list_height) {
            self.follow = false;
            return Handled::Yes;
        }
        let sel = self.selected();
        match a {
            Action::QueueMark => self.toggle_mark(s),
            Action::ClearMarks => {
                self.marks.clear();
                self.say_marks(s);
            }
            Action::QueueRemove if !self.marks.is_empty() => self.remove_marked(s),
            Action::Activate => match sel {
                Some(QueueRow::UpNext(i, _)) if s.queue.play_up_next(i).is_some() => {
                    s.play_current();
                }
                Some(QueueRow::Context(i, _)) if s.queue.play_context_index(i).is_some() => {
                    s.play_current();
                }
                Some(QueueRow::Playing(_)) => {
                    s.seek_to(0.0);
                }
                _ => {}
            },
            Action::QueueRemove => match sel {
                Some(QueueRow::UpNext(i, _)) => {
                    s.queue.remove(i);
                    s.send_next();
                }
                Some(QueueRow::Context(i, _)) => {
                    if s.queue.remove_from_context(i) {
                        s.send_next();
                    } else {
                        let skip = s.keymap.hint(Action::NextTrack);
                        s.set_status(format!("that track is playing; {skip} skips it"), false);
                    }
                }
                Some(QueueRow::Playing(_)) => {
                    let skip = s.keymap.hint(Action::NextTrack);
                    s.set_status(format!("that track is playing; {skip} skips it"), false);
                }
                None => {}
            },
            Action::QueueMoveUp | Action::QueueMoveDown => {
                let up = a == Action::QueueMoveUp;
                match sel {
                    Some(QueueRow::UpNext(i, _)) => {
                        let j = if up { i.checked_sub(1) } else { Some(i + 1) };
                        if let Some(j) = j
                            && s.queue.swap(i, j)
                        {
                            // The selection moves with the entry (rows are refreshed after).
                            let delta = j as isize - i as isize;
                            self.nav.selected =
                                (self.nav.selected as isize + delta).max(0) as usize;
                            s.send_next();
                        }
                    }
                    Some(QueueRow::Context(..)) => s.set_status(
                        format!(
                            "the album or playlist plays in its order; {} queues a track",
                            s.keymap.hint(Action::QueueAddNext)
                        ),
                        false,
                    ),
                    _ => {}
                }
            }
            Action::JumpToPlaying => {
                if self.select_playing(s) {
                    self.follow = true;
                    s.set_status("the cursor follows the playing track", false);
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }
}
