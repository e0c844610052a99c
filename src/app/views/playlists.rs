//! The Playlists view: your saved playlists on the left (each an M3U8 file in the data dir),
//! the selected one's tracks on the right. Enter plays it, `a`/`A` queue it; in the track list
//! `d` takes a track out and `K`/`J` move it (the file is rewritten); `u` takes those edits
//! back (and `redo` makes them again), each written back to its file. A smart playlist (a
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
use crate::playlist::{Edit, EditStep, ExportSource, Playlist, PlaylistDir};
use crate::store::history::HistoryRecord;

use super::sort::{SortKey, place};

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
    /// The edits of playlist files made here, as the edits that take them back (newest last).
    undo: Vec<PlaylistStep>,
    /// The edits `undo` took back, to be made again (newest last).
    redo: Vec<PlaylistStep>,
    /// The track list's order: the playlist's own (`Tree`) or by a column.
    pub sort: SortKey,
    /// The selected playlist's tracks in the order shown (indices into its tracks).
    order: Vec<usize>,
    /// The playlist `order` is for.
    order_for: Option<PathBuf>,
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
        } else if !self.order_fresh() {
            // Another playlist was picked (the mouse), or its tracks changed.
            self.reorder(lib, facts.history);
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
        self.reorder(lib, facts.history);
    }

    /// Orders the track list by `key` (the playlist's own order for `Tree`), keeping the
    /// selected track selected.
    pub fn set_sort(&mut self, key: SortKey, s: &Session) {
        let index = self.index_at(self.tracks_nav.selected);
        self.sort = key;
        self.reorder(&s.lib, Some(s.history()));
        let n = self.order.len();
        self.tracks_nav.select(self.row_of(index), n, s.list_height);
    }

    /// Works out the selected playlist's order again (its tracks, the sort or the history
    /// changed).
    fn reorder(&mut self, lib: &Catalog, history: Option<&HashMap<TrackId, HistoryRecord>>) {
        let key = self.sort;
        let Some(p) = self.selected() else {
            self.order.clear();
            self.order_for = None;
            return;
        };
        let path = p.path.clone();
        let mut order: Vec<usize> = (0..p.tracks.len()).collect();
        if key != SortKey::Tree {
            let ids: Vec<Option<TrackId>> = p
                .tracks
                .iter()
                .map(|t| lib.by_path(t).map(|t| t.id))
                .collect();
            order.sort_by_cached_key(|&i| match ids.get(i).copied().flatten() {
                Some(id) => place(key, id, lib, history),
                None => (i64::MAX, String::new(), 0),
            });
        }
        self.order = order;
        self.order_for = Some(path);
    }

    /// Whether `order` is the selected playlist's as it is now.
    fn order_fresh(&self) -> bool {
        self.selected().is_some_and(|p| {
            self.order_for.as_ref() == Some(&p.path) && self.order.len() == p.tracks.len()
        })
    }

    /// The selected playlist's track indices in the order shown.
    pub fn rows(&self) -> Vec<usize> {
        if self.order_fresh() {
            self.order.clone()
        } else {
            (0..self.selected().map_or(0, |p| p.tracks.len())).collect()
        }
    }

    /// The track index shown at `row`.
    fn index_at(&self, row: usize) -> usize {
        match self.order.get(row) {
            Some(&i) if self.order_fresh() => i,
            _ => row,
        }
    }

    /// The row that shows track index `index`.
    fn row_of(&self, index: usize) -> usize {
        if !self.order_fresh() {
            return index;
        }
        self.order.iter().position(|&i| i == index).unwrap_or(index)
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
            step: EditStep::Plain,
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

    /// Takes the selected track out of the selected playlist's file, and says so.
    fn remove_track(&mut self, s: &mut Session) {
        let i = self.index_at(self.tracks_nav.selected);
        let Some(p) = self.selected() else { return };
        let Some(path) = p.tracks.get(i).cloned() else {
            return;
        };
        let what = format!("removed {} from {}", track_name(&path, s), p.name);
        let file = p.path.clone();
        s.set_status(
            format!("{what} ({} undoes)", s.keymap.hint(Action::Undo)),
            false,
        );
        self.change(s, file, Edit::Remove { track: i, path }, EditStep::Do(what));
    }

    /// Swaps the selected track with the one above (`up`) or below it.
    fn move_track(&mut self, s: &mut Session, up: bool) {
        let i = self.tracks_nav.selected;
        let Some(p) = self.selected() else { return };
        if self.sort != SortKey::Tree {
            let what = format!(
                "shown by {}: \":sort list\" shows the playlist's own order to move tracks in",
                self.sort.label(),
            );
            return s.set_status(what, true);
        }
        let j = if up { i.checked_sub(1) } else { Some(i + 1) };
        let (Some(j), Some(path)) = (j.filter(|&j| j < p.tracks.len()), p.tracks.get(i)) else {
            return;
        };
        let what = format!(
            "moved {} {} in {}",
            track_name(path, s),
            if up { "up" } else { "down" },
            p.name
        );
        let (file, path) = (p.path.clone(), path.clone());
        self.tracks_nav.selected = j;
        let edit = Edit::Move {
            from: i,
            to: j,
            path,
        };
        self.change(s, file, edit, EditStep::Do(what));
    }

    /// Asks for `edit` of the playlist file `file`, and shows it at once in the list (the
    /// folder read back after the write has the last word).
    fn change(&mut self, s: &mut Session, file: PathBuf, edit: Edit, step: EditStep) {
        if let Some(p) = self.lists.iter_mut().find(|p| p.path == file) {
            apply_shown(&mut p.tracks, &edit);
        }
        self.reorder(&s.lib, Some(s.history()));
        let n = self.selected().map_or(0, |p| p.tracks.len());
        self.tracks_nav.clamp(n, s.list_height);
        s.push(Effect::EditPlaylist {
            path: file,
            edit,
            step,
        });
    }

    /// A playlist file was edited: the edit that undoes it goes on the undo stack (a new edit
    /// or a redo) or the redo stack (an undo).
    pub fn edited(&mut self, path: PathBuf, undo: Edit, step: EditStep) {
        let (stack, what) = match step {
            EditStep::Plain => return,
            EditStep::Do(what) => {
                self.redo.clear();
                (&mut self.undo, what)
            }
            EditStep::Redo(what) => (&mut self.undo, what),
            EditStep::Undo(what) => (&mut self.redo, what),
        };
        stack.push(PlaylistStep {
            path,
            edit: undo,
            what,
        });
        keep_within_budget(stack);
    }

    /// Takes back the last playlist edit of this view (written back to its file).
    pub fn undo(&mut self, s: &mut Session) {
        match self.undo.pop() {
            Some(step) => {
                let redo = s.keymap.hint(Action::Redo);
                s.set_status(format!("undone: {} ({redo} redoes)", step.what), false);
                self.focus_list(&step);
                let row = step.edit.clone();
                self.change(s, step.path, step.edit, EditStep::Undo(step.what));
                self.focus_row(&row);
            }
            None => s.set_status("no playlist edit to undo", false),
        }
    }

    /// Makes again the last playlist edit that `undo` took back.
    pub fn redo(&mut self, s: &mut Session) {
        match self.redo.pop() {
            Some(step) => {
                s.set_status(format!("redone: {}", step.what), false);
                self.focus_list(&step);
                let row = step.edit.clone();
                self.change(s, step.path, step.edit, EditStep::Redo(step.what));
                self.focus_row(&row);
            }
            None => s.set_status("no playlist edit to redo", false),
        }
    }

    /// The playlist file `from` is `to` now: its undo and redo steps follow it.
    pub fn renamed(&mut self, from: &std::path::Path, to: &std::path::Path) {
        for step in self.undo.iter_mut().chain(self.redo.iter_mut()) {
            if step.path == from {
                step.path = to.to_path_buf();
            }
        }
        if self.order_for.as_deref() == Some(from) {
            self.order_for = Some(to.to_path_buf());
        }
    }

    /// Shows the playlist an undo or redo changes.
    fn focus_list(&mut self, step: &PlaylistStep) {
        let Some(i) = self.lists.iter().position(|p| p.path == step.path) else {
            return;
        };
        if i != self.nav.selected {
            self.nav.selected = i;
            self.tracks_nav = ListNav::default();
        }
        self.focus_tracks = true;
    }

    /// Selects the row `edit` (just made) changed.
    fn focus_row(&mut self, edit: &Edit) {
        self.tracks_nav.selected = match edit {
            Edit::Insert { track, .. } => self.row_of(*track),
            Edit::Move { to, .. } => self.row_of(*to),
            Edit::Remove { track, .. } => self.row_of(*track),
            // Tracks put back at the end: the first of them; taken from the end: the new last.
            Edit::Extend { entries } => {
                let n = self.selected().map_or(0, |p| p.tracks.len());
                self.row_of(n.saturating_sub(entries.len()))
            }
            Edit::Truncate { .. } => {
                let n = self.selected().map_or(0, |p| p.tracks.len());
                self.row_of(n.saturating_sub(1))
            }
            Edit::Rule { .. } => self.tracks_nav.selected,
        };
    }
}

/// One step of the Playlists view's undo (or redo): the edit that takes it back, of which file.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaylistStep {
    pub path: PathBuf,
    pub edit: Edit,
    /// What the step did, for the status line.
    pub what: String,
}

/// The most steps an undo or a redo stack keeps, and the bytes of entries they hold.
const MAX_STEPS: usize = 100;
const MAX_STEP_BYTES: usize = 4 * 1024 * 1024;

/// Drops the oldest steps beyond the bounds.
fn keep_within_budget(stack: &mut Vec<PlaylistStep>) {
    let size = |st: &PlaylistStep| match &st.edit {
        Edit::Insert { entry, .. } => entry.size(),
        Edit::Extend { entries } => entries.iter().map(|e| e.size()).sum(),
        Edit::Truncate { paths } => paths.iter().map(|p| p.as_os_str().len()).sum(),
        _ => 0,
    } + st.what.len();
    let mut total: usize = stack.iter().map(size).sum();
    while stack.len() > MAX_STEPS || (total > MAX_STEP_BYTES && stack.len() > 1) {
        total -= size(&stack[0]);
        stack.remove(0);
    }
}

/// `edit` made to the list of a playlist's tracks as the view shows it.
fn apply_shown(tracks: &mut Vec<PathBuf>, edit: &Edit) {
    match edit {
        Edit::Remove { track, path } if tracks.get(*track) == Some(path) => {
            tracks.remove(*track);
        }
        Edit::Move { from, to, .. } if *from < tracks.len() && *to < tracks.len() => {
            tracks.swap(*from, *to);
        }
        Edit::Insert { track, entry } if *track <= tracks.len() => {
            if let Some(p) = &entry.path {
                tracks.insert(*track, p.clone());
            }
        }
        Edit::Truncate { paths } if tracks.ends_with(paths) => {
            tracks.truncate(tracks.len() - paths.len());
        }
        Edit::Extend { entries } => {
            tracks.extend(entries.iter().filter_map(|e| e.path.clone()));
        }
        _ => {}
    }
}

/// A track as the status line names it: its title in quotes (the file's name when it is not
/// in the library).
fn track_name(path: &std::path::Path, s: &Session) -> String {
    let title = s
        .lib
        .by_path(path)
        .map(|t| t.title.clone())
        .filter(|t| !t.trim().is_empty())
        .or_else(|| path.file_stem().map(|f| f.to_string_lossy().into_owned()))
        .unwrap_or_default();
    format!("'{title}'")
}

impl super::View for PlaylistsView {
    fn selection(&self, lib: &Catalog) -> Option<Selection> {
        let p = self.selected()?;
        let tracks: Vec<TrackId> = self
            .rows()
            .into_iter()
            .filter_map(|i| p.tracks.get(i))
            .filter_map(|path| lib.by_path(path).map(|t| t.id))
            .collect();
        let start = if self.focus_tracks {
            // The selected row's track, among those in the library.
            let path = p.tracks.get(self.index_at(self.tracks_nav.selected))?;
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
            self.reorder(&s.lib, Some(s.history()));
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
            Action::DeletePlaylist if self.focus_tracks => self.remove_track(s),
            Action::DeletePlaylist => {
                if let Some(p) = self.selected() {
                    s.ask(Prompt::new(
                        PromptKind::ConfirmDelete(p.path.clone()),
                        format!("delete the playlist \"{}\"? y deletes", p.name),
                        "",
                    ));
                }
            }
            Action::PlaylistMoveUp | Action::PlaylistMoveDown if self.focus_tracks => {
                self.move_track(s, a == Action::PlaylistMoveUp)
            }
            Action::PlaylistMoveUp | Action::PlaylistMoveDown => {}
            // This view's undo is of its own edits (the queue's is `u` in the other views).
            Action::Undo => self.undo(s),
            Action::Redo => self.redo(s),
            Action::ImportPlaylist => s.ask(Prompt::new(
                PromptKind::ImportPlaylist,
                "import the playlist file (M3U, M3U8, PLS)".into(),
                "",
            )),
            Action::ExportPlaylist => {
                // A smart playlist's tracks now, as a playlist of its own ("NAME (snapshot)",
                // updated by the next export); a playlist file is one already.
                match self.selected() {
                    Some(p) if p.rule.is_some() => {
                        let ids = Self::ids(p, &s.lib);
                        s.export(ExportSource::Smart(p.name.clone()), &ids);
                    }
                    Some(p) => s.set_status(
                        format!(
                            "\"{}\" is a playlist file already: {}",
                            p.name,
                            p.path.display()
                        ),
                        true,
                    ),
                    None => {}
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }
}
