//! The views: each owns its navigation and derived state, takes the actions meant for it
//! (`on_action(action, &mut Session) -> Handled`) and says what its selection stands for. A new
//! key for one view is handled in that view's file; the app only routes.

pub mod genres;
pub mod library;
pub mod marks;
pub mod now_playing;
pub mod playlists;
pub mod queue;
pub mod search;
pub mod sort;
pub mod stats;
pub mod training;

use crate::app::catalog::Catalog;
use crate::app::session::Session;
use crate::keys::Action;
use crate::library::TrackId;

/// Whether a view took an action (else the app's global handler gets it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Yes,
    No,
}

/// What a view's selection stands for: tracks in play order, where to start, a label for the
/// queue's "why", and whether a single track is selected (rather than a group).
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub tracks: Vec<TrackId>,
    pub start: usize,
    pub label: String,
    pub single: bool,
}

impl Selection {
    /// What "add to the queue" takes: the one track, or the whole group. A track list that the
    /// search has emptied has no selected track: nothing.
    pub fn picked(self) -> Vec<TrackId> {
        if self.single {
            self.tracks.get(self.start).copied().into_iter().collect()
        } else {
            self.tracks
        }
    }

    /// Enter plays it, `a` adds it, `A` plays it next.
    pub fn apply(self, a: crate::keys::Action, s: &mut crate::app::session::Session) {
        use crate::keys::Action;
        match a {
            Action::Activate if !self.tracks.is_empty() => {
                s.play_tracks(self.tracks, self.start, self.label)
            }
            Action::QueueAdd | Action::QueueAddNext => {
                s.enqueue(self.picked(), a == Action::QueueAddNext);
            }
            _ => {}
        }
    }

    /// The track a recommendation may start from: only a single selected track.
    pub fn seed(&self) -> Option<TrackId> {
        self.single
            .then(|| self.tracks.get(self.start).copied())
            .flatten()
    }
}

/// What every view is to the app: it takes the actions meant for it, says what its selection
/// stands for, and keeps its selection on screen when the lists' height changes. The app
/// reaches the view on screen only through this (`App::pane`, `App::pane_mut`), so a new view
/// is its file here, its drawing in `ui/`, a field in `app::Views` and a variant of
/// `app::View` — and the compiler names every place that must learn of it.
pub trait View {
    /// Takes `a` if it is meant for this view.
    fn on_action(&mut self, a: Action, s: &mut Session) -> Handled;

    /// What the selection stands for (none: the view has no tracks to select).
    fn selection(&self, _lib: &Catalog) -> Option<Selection> {
        None
    }

    /// The lists are `height` rows now: keep the selection on screen.
    fn clamp(&mut self, _height: usize) {}
}
