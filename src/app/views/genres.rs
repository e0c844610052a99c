//! The Genres view: one automatic playlist per genre (tracks whose top genre it is, by
//! confidence), the genre list on the left, its tracks on the right.

use super::{Handled, Selection};
use crate::app::catalog::Catalog;
use crate::app::nav::ListNav;
use crate::app::session::Session;
use crate::keys::Action;
use crate::library::TrackId;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenresView {
    /// The genre playlists (derived).
    pub lists: Vec<(String, Vec<(TrackId, f32)>)>,
    pub nav: ListNav,
    pub tracks_nav: ListNav,
    /// True when the track list (right) has the focus.
    pub focus_tracks: bool,
}

impl GenresView {
    pub fn rebuild(
        &mut self,
        lib: &Catalog,
        min_confidence: f32,
        unsure_in_playlists: bool,
        height: usize,
    ) {
        self.lists = lib.genre_playlists(min_confidence, unsure_in_playlists);
        self.nav.clamp(self.lists.len(), height);
        let n = self.selected_tracks().len();
        self.tracks_nav.clamp(n, height);
    }

    /// The tracks of the selected genre.
    pub fn selected_tracks(&self) -> &[(TrackId, f32)] {
        self.lists
            .get(self.nav.selected)
            .map(|(_, t)| t.as_slice())
            .unwrap_or(&[])
    }

    /// The selected playlist (from its top, or from the selected track when the track list
    /// has the focus).
    pub fn selection(&self) -> Option<Selection> {
        let (name, tracks) = self.lists.get(self.nav.selected)?;
        Some(Selection {
            tracks: tracks.iter().map(|(t, _)| *t).collect(),
            start: if self.focus_tracks {
                self.tracks_nav.selected
            } else {
                0
            },
            label: format!("{name} playlist"),
            single: self.focus_tracks,
        })
    }

    pub fn on_action(&mut self, a: Action, s: &mut Session) -> Handled {
        let h = s.list_height;
        if self.focus_tracks {
            let n = self.selected_tracks().len();
            if self.tracks_nav.on_action(a, n, h) {
                return Handled::Yes;
            }
        } else if self.nav.on_action(a, self.lists.len(), h) {
            self.tracks_nav = ListNav::default();
            return Handled::Yes;
        }
        match a {
            Action::Collapse => self.focus_tracks = false,
            Action::Expand => {
                if !self.selected_tracks().is_empty() {
                    self.focus_tracks = true;
                }
            }
            Action::Activate | Action::QueueAdd | Action::QueueAddNext => {
                if let Some(sel) = self.selection() {
                    sel.apply(a, s);
                }
            }
            Action::ExportPlaylist => {
                if let Some((g, t)) = self.lists.get(self.nav.selected) {
                    let ids: Vec<TrackId> = t.iter().map(|(id, _)| *id).collect();
                    s.export(g.clone(), &ids);
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }
}
