//! The Genres view: one automatic playlist per genre (tracks whose top genre it is, by
//! confidence), then one per style (tracks that show it, by the tag's probability); the lists
//! on the left, the selected one's tracks on the right.

use std::collections::HashSet;

use super::{Handled, Selection};
use crate::app::catalog::{Catalog, UNSURE_GROUP};
use crate::app::nav::ListNav;
use crate::app::session::Session;
use crate::app::views::View as _;
use crate::keys::Action;
use crate::library::TrackId;
use crate::playlist::ExportSource;

/// More changed tracks than this at once are placed by rebuilding the lists.
pub(crate) const MOVE_AT_MOST: usize = 1_000;

/// One playlist of the view: its name, its ranked tracks, and whether it is a style's.
pub type ListRef<'a> = (&'a str, &'a [(TrackId, f32)], bool);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenresView {
    /// The genre playlists (derived).
    pub lists: Vec<(String, Vec<(TrackId, f32)>)>,
    /// The style playlists (derived), listed after the genres.
    pub styles: Vec<(String, Vec<(TrackId, f32)>)>,
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
        // A style is the trunk's tag, not the genre head's verdict: a track the genre model is
        // unsure of (ambient music for a model without "ambient") still shows its styles, as
        // the Library's style tree does.
        self.styles = lib.style_lists(&|_| true);
        self.clamp(height);
    }

    /// Genre and style playlists together, in the order they are listed.
    pub fn len(&self) -> usize {
        self.lists.len() + self.styles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`th playlist of the list (genres, then styles) and whether it is a style's.
    pub fn list(&self, i: usize) -> Option<ListRef<'_>> {
        match self.lists.get(i) {
            Some((n, t)) => Some((n.as_str(), t.as_slice(), false)),
            None => self
                .styles
                .get(i - self.lists.len())
                .map(|(n, t)| (n.as_str(), t.as_slice(), true)),
        }
    }

    /// Moves the tracks whose styles changed to the style playlists they now show, at their
    /// rank (as [`Catalog::style_lists`] orders them).
    fn update_styles(
        &mut self,
        lib: &Catalog,
        set: &HashSet<TrackId>,
        changed: &[TrackId],
    ) -> bool {
        for (_, l) in &mut self.styles {
            l.retain(|(t, _)| !set.contains(t));
        }
        for &id in changed {
            if lib.track(id).is_none() {
                continue;
            }
            for (name, p) in lib.styles_of(id) {
                let Some((_, l)) = self.styles.iter_mut().find(|(n, _)| n == name) else {
                    // A style no track showed before: build the lists.
                    return false;
                };
                let at = l.partition_point(|&(t, q)| {
                    p.total_cmp(&q).then(t.cmp(&id)) == std::cmp::Ordering::Less
                });
                l.insert(at, (id, p));
            }
        }
        self.styles.retain(|(_, l)| !l.is_empty());
        true
    }

    /// Moves the tracks whose genre changed to their new playlist (at their rank); the same
    /// lists as [`GenresView::rebuild`] without going over the whole library.
    pub fn update(
        &mut self,
        lib: &Catalog,
        min_confidence: f32,
        unsure_in_playlists: bool,
        changed: &[TrackId],
        height: usize,
    ) {
        if changed.len() > MOVE_AT_MOST {
            return self.rebuild(lib, min_confidence, unsure_in_playlists, height);
        }
        let set: HashSet<TrackId> = changed.iter().copied().collect();
        if !self.update_styles(lib, &set, changed) {
            return self.rebuild(lib, min_confidence, unsure_in_playlists, height);
        }
        for (_, l) in &mut self.lists {
            l.retain(|(t, _)| !set.contains(t));
        }
        for &id in changed {
            let Some((g, p)) = lib.genre_of(id) else {
                continue;
            };
            if lib.track(id).is_none() {
                continue;
            }
            // As `genre_playlists` places it: unsure tracks in their own list (whatever their
            // confidence), the rest in their genre's when confident enough.
            let unsure = !unsure_in_playlists && !lib.is_known(id);
            if !unsure && p < min_confidence {
                continue;
            }
            let g = if unsure { UNSURE_GROUP } else { g };
            match self.lists.iter_mut().find(|(n, _)| n == g) {
                Some((_, l)) => {
                    // Ranked by confidence, then by id (as `genre_playlists` sorts).
                    let at = l.partition_point(|&(t, q)| {
                        p.total_cmp(&q).then(t.cmp(&id)) == std::cmp::Ordering::Less
                    });
                    l.insert(at, (id, p));
                }
                // A list that does not exist yet (labels changed, a first unsure track):
                // build them all.
                None => return self.rebuild(lib, min_confidence, unsure_in_playlists, height),
            }
        }
        // As `genre_playlists`: no unsure list when no track is unsure, and an earlier model's
        // genre only while a track still shows it (after a model switch its lists empty as the
        // library is classified again, and then go).
        self.lists
            .retain(|(n, l)| !l.is_empty() || lib.labels.contains(n));
        self.clamp(height);
    }

    /// The tracks of the selected playlist.
    pub fn selected_tracks(&self) -> &[(TrackId, f32)] {
        self.list(self.nav.selected).map_or(&[], |(_, t, _)| t)
    }
}

impl super::View for GenresView {
    /// Keeps the selections inside the lists and on screen.
    fn clamp(&mut self, height: usize) {
        self.nav.clamp(self.len(), height);
        let n = self.selected_tracks().len();
        self.tracks_nav.clamp(n, height);
    }

    /// The selected playlist (from its top, or from the selected track when the track list
    /// has the focus).
    fn selection(&self, _lib: &Catalog) -> Option<Selection> {
        let (name, tracks, style) = self.list(self.nav.selected)?;
        Some(Selection {
            tracks: tracks.iter().map(|(t, _)| *t).collect(),
            start: if self.focus_tracks {
                self.tracks_nav.selected
            } else {
                0
            },
            label: if style {
                format!("{name} style playlist")
            } else {
                format!("{name} playlist")
            },
            single: self.focus_tracks,
        })
    }

    fn on_action(&mut self, a: Action, s: &mut Session) -> Handled {
        let h = s.list_height;
        if self.focus_tracks {
            let n = self.selected_tracks().len();
            if self.tracks_nav.on_action(a, n, h) {
                return Handled::Yes;
            }
        } else if self.nav.on_action(a, self.len(), h) {
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
                if let Some(sel) = self.selection(&s.lib) {
                    sel.apply(a, s);
                }
            }
            Action::ExportPlaylist => {
                if let Some((g, t, style)) = self.list(self.nav.selected) {
                    let ids: Vec<TrackId> = t.iter().map(|(id, _)| *id).collect();
                    let source = if style {
                        ExportSource::Style(g.to_string())
                    } else {
                        ExportSource::Genre(g.to_string())
                    };
                    s.export(source, &ids);
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }
}
