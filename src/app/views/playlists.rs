//! The Playlists view: your saved playlists on the left (each an M3U8 file in the data dir),
//! the selected one's tracks on the right. Enter plays it, `a`/`A` queue it; in the track list
//! `d` takes a track out and `K`/`J` move it (the file is rewritten).

use super::{Handled, Selection};
use crate::app::catalog::Catalog;
use crate::app::event::Effect;
use crate::app::nav::ListNav;
use crate::app::prompt::{Prompt, PromptKind};
use crate::app::session::Session;
use crate::keys::Action;
use crate::library::TrackId;
use crate::playlist::{Edit, Playlist};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlaylistsView {
    pub lists: Vec<Playlist>,
    pub nav: ListNav,
    pub tracks_nav: ListNav,
    /// True when the track list (right) has the focus.
    pub focus_tracks: bool,
    /// Whether the folder has been read (it is read when the view first shows).
    pub loaded: bool,
}

impl PlaylistsView {
    /// New contents from the playlist folder.
    pub fn loaded(&mut self, lists: Vec<Playlist>, height: usize) {
        let keep = self.selected().map(|p| p.path.clone());
        self.lists = lists;
        self.loaded = true;
        if let Some(k) = keep
            && let Some(i) = self.lists.iter().position(|p| p.path == k)
        {
            self.nav.selected = i;
        }
        self.nav.clamp(self.lists.len(), height);
        let n = self.selected().map_or(0, |p| p.tracks.len());
        self.tracks_nav.clamp(n, height);
        if n == 0 {
            self.focus_tracks = false;
        }
    }

    pub fn selected(&self) -> Option<&Playlist> {
        self.lists.get(self.nav.selected)
    }

    /// The playlist's tracks that are in the library, by id.
    fn ids(p: &Playlist, lib: &Catalog) -> Vec<TrackId> {
        p.tracks
            .iter()
            .filter_map(|path| lib.by_path(path).map(|t| t.id))
            .collect()
    }

    /// Changes the selected playlist's file.
    fn edit(&self, s: &mut Session, edit: Edit) {
        if let Some(p) = self.selected() {
            s.push(Effect::EditPlaylist {
                path: p.path.clone(),
                edit,
            });
        }
    }
}

impl super::View for PlaylistsView {
    fn selection(&self, lib: &Catalog) -> Option<Selection> {
        let p = self.selected()?;
        let tracks = Self::ids(p, lib);
        let start = if self.focus_tracks {
            // The selected row's track, among those in the library.
            let path = p.tracks.get(self.tracks_nav.selected)?;
            let id = lib.by_path(path)?.id;
            tracks.iter().position(|t| *t == id).unwrap_or(0)
        } else {
            0
        };
        Some(Selection {
            tracks,
            start,
            label: format!("playlist {}", p.name),
            single: self.focus_tracks,
        })
    }

    fn on_action(&mut self, a: Action, s: &mut Session) -> Handled {
        let h = s.list_height;
        if self.focus_tracks {
            let n = self.selected().map_or(0, |p| p.tracks.len());
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
                if self.selected().is_some_and(|p| !p.tracks.is_empty()) {
                    self.focus_tracks = true;
                }
            }
            Action::Activate | Action::QueueAdd | Action::QueueAddNext => {
                match self.selection(&s.lib) {
                    Some(sel) if sel.tracks.is_empty() => {
                        s.set_status("none of this playlist's tracks is in the library", true)
                    }
                    Some(sel) => sel.apply(a, s),
                    None => {}
                }
            }
            Action::RenamePlaylist => {
                if let Some(p) = self.selected() {
                    s.ask(Prompt::new(
                        PromptKind::RenamePlaylist(p.path.clone()),
                        format!("rename \"{}\" to", p.name),
                        &p.name,
                    ));
                }
            }
            Action::DeletePlaylist => {
                let Some(p) = self.selected() else {
                    return Handled::Yes;
                };
                if self.focus_tracks {
                    let i = self.tracks_nav.selected;
                    if let Some(path) = p.tracks.get(i) {
                        let edit = Edit::Remove {
                            track: i,
                            path: path.clone(),
                        };
                        self.edit(s, edit);
                    }
                } else {
                    s.ask(Prompt::new(
                        PromptKind::ConfirmDelete(p.path.clone()),
                        format!("delete the playlist \"{}\"? y deletes", p.name),
                        "",
                    ));
                }
            }
            Action::PlaylistMoveUp | Action::PlaylistMoveDown => {
                if let (true, Some(p)) = (self.focus_tracks, self.selected()) {
                    let i = self.tracks_nav.selected;
                    let j = if a == Action::PlaylistMoveUp {
                        i.checked_sub(1)
                    } else {
                        Some(i + 1)
                    };
                    if let (Some(j), Some(path)) =
                        (j.filter(|&j| j < p.tracks.len()), p.tracks.get(i))
                    {
                        let edit = Edit::Move {
                            from: i,
                            to: j,
                            path: path.clone(),
                        };
                        self.tracks_nav.selected = j;
                        self.edit(s, edit);
                    }
                }
            }
            Action::ImportPlaylist => s.ask(Prompt::new(
                PromptKind::ImportPlaylist,
                "import the playlist file (M3U, M3U8, PLS)".into(),
                "",
            )),
            Action::ExportPlaylist => {
                if let Some(p) = self.selected() {
                    let ids = Self::ids(p, &s.lib);
                    s.export(p.name.clone(), &ids);
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }
}
