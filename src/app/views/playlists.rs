//! The Playlists view: your saved playlists on the left (each an M3U8 file in the data dir),
//! the selected one's tracks on the right. Enter plays it, `a`/`A` queue it; in the track list
//! `d` takes a track out and `K`/`J` move it (the file is rewritten). A smart playlist (a
//! `.smart` file: a rule) lists what its rule matches now, worked out again when the
//! library, the vectors or the history changed (at most once a tick), and once a minute
//! when its rule reads the clock; `Y` edits its rule, `S` makes a new one.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Handled, Selection};
use crate::app::catalog::Catalog;
use crate::app::event::Effect;
use crate::app::nav::ListNav;
use crate::app::prompt::{Prompt, PromptKind};
use crate::app::search::Facts;
use crate::app::search::smart::SmartRule;
use crate::app::session::Session;
use crate::keys::Action;
use crate::library::TrackId;
use crate::playlist::{Edit, Playlist, PlaylistDir};

/// How often smart playlists whose rule reads the clock (`played:`, `added:`) are worked out
/// again without any change (seconds).
const CLOCK_REFRESH_SECS: u64 = 60;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlaylistsView {
    pub lists: Vec<Playlist>,
    pub nav: ListNav,
    pub tracks_nav: ListNav,
    /// True when the track list (right) has the focus.
    pub focus_tracks: bool,
    /// Whether the folder has been read (it is read when the view first shows).
    pub loaded: bool,
    /// The playlist folder (where a new smart playlist's file goes).
    pub dir: Option<PathBuf>,
    /// Why a smart playlist has no tracks (its rule, by its file).
    pub smart_errors: HashMap<PathBuf, String>,
    /// The smart playlists must be worked out again (the library, vectors or history changed).
    smart_stale: bool,
    /// When they were last worked out (Unix seconds).
    smart_at: u64,
}

/// The prompt for a new smart playlist's name (`rule`: an open search's query).
pub fn name_prompt(rule: Option<String>) -> Prompt {
    let label = match &rule {
        Some(r) => format!("save the search \"{r}\" as the smart playlist"),
        None => "new smart playlist: its name".into(),
    };
    Prompt::new(PromptKind::SmartName { rule }, label, "")
}

/// The prompt for a smart playlist's rule.
fn rule_prompt(name: String, path: Option<PathBuf>, text: &str) -> Prompt {
    let label = format!(
        "rule of \"{name}\" (e.g. rating:like played:<7d, genre:jazz plays:>3, like:\"title\">0.8)"
    );
    Prompt::new(PromptKind::SmartRule { name, path }, label, text)
}

impl PlaylistsView {
    /// New contents from the playlist folder; smart playlists are worked out at once.
    pub fn loaded(&mut self, lists: Vec<Playlist>, height: usize, lib: &Catalog, facts: Facts) {
        let keep = self.selected().map(|p| p.path.clone());
        self.lists = lists;
        self.loaded = true;
        if let Some(k) = keep
            && let Some(i) = self.lists.iter().position(|p| p.path == k)
        {
            self.nav.selected = i;
        }
        self.refresh_smart(lib, facts, height);
    }

    /// The library, the vectors or the history changed: smart playlists are worked out again
    /// at the next tick.
    pub fn smart_changed(&mut self) {
        self.smart_stale = true;
    }

    /// Once a tick: the smart playlists again when something they read changed (or, for rules
    /// that read the clock, a minute went by).
    pub fn tick(&mut self, lib: &Catalog, facts: Facts, height: usize) {
        let clock = facts.now.saturating_sub(self.smart_at) >= CLOCK_REFRESH_SECS
            && self.lists.iter().any(|p| {
                p.rule
                    .as_deref()
                    .is_some_and(|r| SmartRule::parse(r).is_ok_and(|r| r.query.uses_history()))
            });
        if self.smart_stale || clock {
            self.refresh_smart(lib, facts, height);
        }
    }

    /// Works out every smart playlist's tracks now.
    pub fn refresh_smart(&mut self, lib: &Catalog, facts: Facts, height: usize) {
        self.smart_stale = false;
        self.smart_at = facts.now;
        self.smart_errors.clear();
        for p in &mut self.lists {
            let Some(rule) = &p.rule else { continue };
            match SmartRule::parse(rule).and_then(|r| r.tracks(lib, facts)) {
                Ok(ids) => {
                    p.tracks = ids
                        .iter()
                        .filter_map(|id| lib.track(*id))
                        .map(|t| t.path.clone())
                        .collect();
                }
                Err(e) => {
                    p.tracks.clear();
                    self.smart_errors.insert(p.path.clone(), e.to_string());
                }
            }
        }
        self.nav.clamp(self.lists.len(), height);
        let n = self.selected().map_or(0, |p| p.tracks.len());
        self.tracks_nav.clamp(n, height);
        if n == 0 {
            self.focus_tracks = false;
        }
    }

    /// A new smart playlist's name was given: with its rule, it is saved; else the rule is
    /// asked for.
    pub fn named(&self, s: &mut Session, name: String, rule: Option<String>) {
        if name.trim().is_empty() {
            return;
        }
        match rule {
            Some(rule) => self.ruled(s, name, None, rule),
            None => s.ask(rule_prompt(name, None, "")),
        }
    }

    /// A smart playlist's rule was given: checked (a refused rule is asked again, with why in
    /// the prompt and on the status line), then written to its file (a new one for a new playlist).
    pub fn ruled(&self, s: &mut Session, name: String, path: Option<PathBuf>, rule: String) {
        if rule.trim().is_empty() {
            return;
        }
        let checked = SmartRule::parse(&rule).and_then(|r| r.tracks(&s.lib, s.facts()));
        let n = match checked {
            Ok(ids) => ids.len(),
            Err(e) => {
                // The prompt covers the status line: the reason is its label too.
                s.set_status(e.to_string(), true);
                let mut again = rule_prompt(name, path, &rule);
                again.label = format!("{e}; the rule");
                s.ask(again);
                return;
            }
        };
        let (path, create) = match path {
            Some(p) => (p, false),
            None => match self
                .dir
                .as_ref()
                .map(|d| PlaylistDir::new(d).smart_path(&name))
            {
                Some(Some(p)) => (p, true),
                Some(None) => return s.set_status("a playlist needs a name", true),
                None => return s.set_status("the playlist folder is not known", true),
            },
        };
        s.set_status(
            format!(
                "smart playlist \"{}\": {} now",
                name.trim(),
                crate::app::session::tracks_n(n)
            ),
            false,
        );
        s.push(Effect::EditPlaylist {
            path,
            edit: Edit::Rule { rule, create },
        });
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
            Action::EditRule => {
                if let Some(p) = self.selected() {
                    match &p.rule {
                        Some(rule) => {
                            s.ask(rule_prompt(p.name.clone(), Some(p.path.clone()), rule))
                        }
                        None => s.set_status(
                            format!("\"{}\" is not a smart playlist: it has no rule", p.name),
                            true,
                        ),
                    }
                }
            }
            Action::DeletePlaylist | Action::PlaylistMoveUp | Action::PlaylistMoveDown
                if self.focus_tracks && self.selected().is_some_and(|p| p.rule.is_some()) =>
            {
                s.set_status(
                    "a smart playlist's tracks come from its rule: Y edits the rule",
                    true,
                );
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
