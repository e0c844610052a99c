//! The Library view: the browse tree (artist → album, genre, or folder), its expanded groups,
//! its visible rows, the selection and the marked tracks (multi-select: `Marks`).

use std::collections::HashSet;

use super::marks::{Mark, Marks};
use super::sort::SortKey;
use super::{Handled, Selection};
use crate::app::catalog::{BrowseMode, Catalog, FAILED_GROUP, Group, PENDING_GROUP, UNSURE_GROUP};
use crate::app::nav::ListNav;
use crate::app::session::Session;
use crate::keys::Action;
use crate::library::TrackId;

/// The listening history the sort by plays reads.
type History = std::collections::HashMap<TrackId, crate::store::history::HistoryRecord>;

/// One row of the library tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub depth: usize,
    pub label: String,
    pub kind: RowKind,
    pub expanded: bool,
    /// Tracks below a group row.
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RowKind {
    /// A group, by its path of names from the root.
    Group(Vec<String>),
    Track(TrackId),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LibraryView {
    pub mode: BrowseMode,
    expanded: HashSet<Vec<String>>,
    /// The visible rows (derived from the catalog, mode, expansion and search).
    pub rows: Vec<Row>,
    pub nav: ListNav,
    /// The tree the rows were built from (kept to find a group's tracks).
    tree: Vec<Group>,
    /// The marked tracks.
    pub marks: Marks,
    /// Visual mode: the row it started on (the range from there to the selection is marked
    /// when it ends).
    visual: Option<RowKind>,
    /// How the groups and tracks are ordered.
    pub sort: SortKey,
}

impl Default for LibraryView {
    fn default() -> Self {
        LibraryView {
            mode: BrowseMode::Artist,
            expanded: HashSet::new(),
            rows: vec![],
            nav: ListNav::default(),
            tree: vec![],
            marks: Marks::default(),
            visual: None,
            sort: SortKey::Tree,
        }
    }
}

impl LibraryView {
    /// Recomputes the tree and the rows, keeping the selection on the same item.
    pub fn rebuild(&mut self, lib: &Catalog, history: &History, height: usize) {
        self.tree = lib.tree(self.mode, None);
        let top = matches!(self.mode, BrowseMode::Artist | BrowseMode::Folder);
        super::sort::sort_tree(&mut self.tree, self.sort, top, lib, history);
        self.rebuild_rows(lib, height);
    }

    /// Moves the tracks whose genre changed to their new group of the genre tree (the other
    /// trees do not depend on genres); the same tree as [`LibraryView::rebuild`] without
    /// going over the whole library.
    pub fn update_genres(
        &mut self,
        lib: &Catalog,
        history: &History,
        changed: &[TrackId],
        height: usize,
    ) {
        let moved_in_place =
            changed.len() <= super::genres::MOVE_AT_MOST && self.sort == SortKey::Tree;
        if !moved_in_place && matches!(self.mode, BrowseMode::Genre | BrowseMode::Style) {
            return self.rebuild(lib, history, height);
        }
        match self.mode {
            BrowseMode::Genre => {}
            BrowseMode::Style => return self.update_styles(lib, changed, height),
            BrowseMode::Artist | BrowseMode::Folder => return,
        }
        // As `Catalog::tree` groups: unsure tracks apart; by confidence, ties in library
        // order.
        let at = |t: &TrackId| lib.index.get(t).copied().unwrap_or(usize::MAX);
        self.move_tracks(
            lib,
            changed,
            height,
            |id| {
                let place = match lib.genre_of(id).filter(|_| lib.is_known(id)) {
                    Some((g, p)) => (g, Some(p)),
                    None if lib.genre_of(id).is_some() => (UNSURE_GROUP, None),
                    None if lib.failed.contains_key(&id) => (FAILED_GROUP, None),
                    None => (PENDING_GROUP, None),
                };
                vec![place]
            },
            |t, _| lib.genre_of(t).map_or(f32::NEG_INFINITY, |(_, q)| q),
            |t, id| at(t).cmp(&at(&id)),
        )
    }

    /// The style tree's part of [`LibraryView::update_genres`]: a changed track leaves every
    /// group and joins those of its styles, at its rank (the tag's probability; ties by id, as
    /// `Catalog::style_lists` sorts).
    fn update_styles(&mut self, lib: &Catalog, changed: &[TrackId], height: usize) {
        self.move_tracks(
            lib,
            changed,
            height,
            |id| lib.style_groups_of(id),
            |t, name| {
                lib.styles_of(t)
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(f32::NEG_INFINITY, |(_, q)| *q)
            },
            |t, id| t.cmp(&id),
        )
    }

    /// Takes `changed` out of every group of the tree and puts each into the groups `places`
    /// names: at its rank where it has one (`rank` of the tracks there, ties by `tie`), else
    /// in library order. A group that does not exist yet rebuilds the tree.
    fn move_tracks<'a>(
        &mut self,
        lib: &Catalog,
        changed: &[TrackId],
        height: usize,
        places: impl Fn(TrackId) -> Vec<(&'a str, Option<f32>)>,
        rank: impl Fn(TrackId, &str) -> f32,
        tie: impl Fn(&TrackId, TrackId) -> std::cmp::Ordering,
    ) {
        let set: HashSet<TrackId> = changed.iter().copied().collect();
        for g in &mut self.tree {
            g.tracks.retain(|t| !set.contains(t));
        }
        let at = |t: &TrackId| lib.index.get(t).copied().unwrap_or(usize::MAX);
        for &id in changed {
            let Some(&li) = lib.index.get(&id) else {
                continue;
            };
            for (name, p) in places(id) {
                let Some(group) = self.tree.iter_mut().find(|g| g.name == name) else {
                    // The first track of a group: build the tree (in its own order: tracks
                    // move in place only then, so no history is needed).
                    debug_assert_eq!(self.sort, SortKey::Tree);
                    return self.rebuild(lib, &History::new(), height);
                };
                let pos = match p {
                    Some(p) => group.tracks.partition_point(|t| {
                        p.total_cmp(&rank(*t, name)).then(tie(t, id)) == std::cmp::Ordering::Less
                    }),
                    None => group.tracks.partition_point(|t| at(t) < li),
                };
                group.tracks.insert(pos, id);
            }
        }
        self.tree.retain(|g| !g.tracks.is_empty());
        self.rebuild_rows(lib, height);
    }

    /// Recomputes the rows from the tree (after opening or closing a group): only the open
    /// groups are walked.
    pub fn rebuild_rows(&mut self, lib: &Catalog, height: usize) {
        let selected_kind = self.rows.get(self.nav.selected).map(|r| r.kind.clone());
        let mut rows = Vec::new();
        fn walk(
            g: &Group,
            path: &mut Vec<String>,
            depth: usize,
            expanded: &HashSet<Vec<String>>,
            lib: &Catalog,
            rows: &mut Vec<Row>,
        ) {
            path.push(g.name.clone());
            let open = expanded.contains(path);
            rows.push(Row {
                depth,
                label: g.name.clone(),
                kind: RowKind::Group(path.clone()),
                expanded: open,
                count: g.count(),
            });
            if open {
                for c in &g.children {
                    walk(c, path, depth + 1, expanded, lib, rows);
                }
                for t in &g.tracks {
                    let label = lib.track(*t).map(|i| i.title.clone()).unwrap_or_default();
                    rows.push(Row {
                        depth: depth + 1,
                        label,
                        kind: RowKind::Track(*t),
                        expanded: false,
                        count: 1,
                    });
                }
            }
            path.pop();
        }
        for g in &self.tree {
            walk(g, &mut Vec::new(), 0, &self.expanded, lib, &mut rows);
        }
        self.rows = rows;
        if let Some(k) = selected_kind
            && let Some(i) = self.rows.iter().position(|r| r.kind == k)
        {
            self.nav.selected = i;
        }
        self.nav.clamp(self.rows.len(), height);
    }

    fn group_at(&self, path: &[String]) -> Option<&Group> {
        let mut level = &self.tree;
        let mut found: Option<&Group> = None;
        for name in path {
            found = level.iter().find(|g| &g.name == name);
            level = &found?.children;
        }
        found
    }

    fn selected_track(&self) -> Option<TrackId> {
        match self.rows.get(self.nav.selected).map(|r| &r.kind) {
            Some(RowKind::Track(id)) => Some(*id),
            _ => None,
        }
    }

    fn collapse(&mut self, s: &mut Session) {
        let Some(row) = self.rows.get(self.nav.selected).cloned() else {
            return;
        };
        match &row.kind {
            RowKind::Group(path) if row.expanded => {
                self.expanded.remove(path);
            }
            _ => {
                // Go to the parent group.
                if let Some(p) = self.rows[..self.nav.selected]
                    .iter()
                    .rposition(|r| r.depth + 1 == row.depth)
                {
                    self.nav.selected = p;
                    if let RowKind::Group(path) = &self.rows[p].kind {
                        self.expanded.remove(path);
                    }
                }
            }
        }
        self.rebuild_rows(&s.lib, s.list_height);
    }

    fn expand(&mut self, s: &mut Session) {
        if let Some(Row {
            kind: RowKind::Group(path),
            ..
        }) = self.rows.get(self.nav.selected)
        {
            self.expanded.insert(path.clone());
            self.rebuild_rows(&s.lib, s.list_height);
        }
    }

    /// The tracks a row stands for: a track, or every track of a group.
    fn row_tracks(&self, i: usize) -> Vec<TrackId> {
        match self.rows.get(i).map(|r| &r.kind) {
            Some(RowKind::Track(id)) => vec![*id],
            Some(RowKind::Group(path)) => self
                .group_at(path)
                .map(Group::all_tracks)
                .unwrap_or_default(),
            None => Vec::new(),
        }
    }

    /// The rows visual mode covers now (from where it started to the selection).
    pub fn visual_range(&self) -> Option<std::ops::RangeInclusive<usize>> {
        let start = self.visual.as_ref()?;
        let a = self.rows.iter().position(|r| &r.kind == start)?;
        let b = self.nav.selected;
        Some(a.min(b)..=a.max(b))
    }

    /// Marks (or unmarks) the selected track or group, then moves down (as cmus does).
    fn mark_selected(&mut self, mark: Mark, s: &mut Session) {
        let i = self.nav.selected;
        match self.rows.get(i).map(|r| r.kind.clone()) {
            Some(RowKind::Track(id)) => self.marks.toggle(id, mark),
            Some(RowKind::Group(_)) if mark == Mark::Like => {
                self.marks.toggle_all(&self.row_tracks(i));
            }
            _ => return,
        }
        self.nav
            .on_action(Action::Down, self.rows.len(), s.list_height);
        self.say_marks(s);
    }

    /// Starts visual mode, or ends it marking every track of the range.
    fn visual(&mut self, s: &mut Session) {
        match self.visual_range() {
            Some(range) => {
                let ids: Vec<TrackId> = range.flat_map(|i| self.row_tracks(i)).collect();
                for id in ids {
                    if !self.marks.set(id, Mark::Like) {
                        break;
                    }
                }
                self.visual = None;
                self.say_marks(s);
            }
            None => {
                self.visual = self.rows.get(self.nav.selected).map(|r| r.kind.clone());
                let key = "move, then the same key again marks the range";
                s.set_status(format!("visual mode: {key}"), false);
            }
        }
    }

    pub fn say_marks(&self, s: &mut Session) {
        let seeds = self.marks.seeds();
        s.set_status(
            match (seeds.like.len(), seeds.less.len()) {
                (0, 0) => "no tracks marked".to_string(),
                (n, 0) => format!("{} marked", crate::app::session::tracks_n(n)),
                (n, l) => format!(
                    "{} marked, {} less like this",
                    crate::app::session::tracks_n(n),
                    l
                ),
            },
            false,
        );
    }

    /// Queues the marked tracks (at the end of up next, or next) and clears the marks.
    pub fn queue_marks(&mut self, next: bool, s: &mut Session) {
        let ids = self.marks.tracks().to_vec();
        self.marks.clear();
        self.visual = None;
        s.enqueue(ids, next);
    }

    /// What a group plays as ("from Alpha / First"; a folder as its path, "Beta/Second").
    fn label(&self, path: &[String]) -> String {
        path.join(if self.mode == BrowseMode::Folder {
            "/"
        } else {
            " / "
        })
    }

    /// The browse tree the rows show.
    pub fn tree(&self) -> &[Group] {
        &self.tree
    }

    /// The open groups (for saving).
    pub fn expanded_groups(&self) -> Vec<Vec<String>> {
        let mut v: Vec<Vec<String>> = self.expanded.iter().cloned().collect();
        v.sort();
        v
    }

    pub fn set_expanded(&mut self, groups: Vec<Vec<String>>) {
        self.expanded = groups.into_iter().collect();
    }

    /// Selects the row of `kind` if it is shown.
    pub fn select_kind(&mut self, kind: &RowKind, height: usize) {
        if let Some(i) = self.rows.iter().position(|r| &r.kind == kind) {
            self.nav.selected = i;
            self.nav.clamp(self.rows.len(), height);
        }
    }

    /// Orders the tree by `key` (the rows must be rebuilt: [`LibraryView::rebuild`]).
    pub fn set_sort(&mut self, key: SortKey) {
        self.sort = key;
    }

    /// The next browse mode, from the top.
    pub fn cycle_mode(&mut self) {
        self.mode = self.mode.next();
        self.nav = ListNav::default();
    }

    /// Opens the groups above `id` (as the tree has them: the tree merges names that differ
    /// only in case under the first one, so the track's own fields are not the path). The rows
    /// must be rebuilt after this, then [`LibraryView::select_track`] called.
    pub fn reveal(&mut self, id: TrackId) {
        fn path_to(groups: &[Group], id: TrackId) -> Option<Vec<String>> {
            groups.iter().find_map(|g| {
                if g.tracks.contains(&id) {
                    return Some(vec![g.name.clone()]);
                }
                let mut p = path_to(&g.children, id)?;
                p.insert(0, g.name.clone());
                Some(p)
            })
        }
        let path = path_to(&self.tree, id).unwrap_or_default();
        for k in 1..=path.len() {
            self.expanded.insert(path[..k].to_vec());
        }
    }

    pub fn select_track(&mut self, id: TrackId, height: usize) {
        if let Some(i) = self.rows.iter().position(|r| r.kind == RowKind::Track(id)) {
            self.nav.selected = i;
            self.nav.clamp(self.rows.len(), height);
        }
    }
}

impl super::View for LibraryView {
    /// The tracks the selection stands for: a group as a whole, or a track within its group
    /// (so the album or genre plays on).
    fn selection(&self, _lib: &Catalog) -> Option<Selection> {
        let row = self.rows.get(self.nav.selected)?;
        match &row.kind {
            RowKind::Group(path) => {
                let g = self.group_at(path)?;
                Some(Selection {
                    tracks: g.all_tracks(),
                    start: 0,
                    label: self.label(path),
                    single: false,
                })
            }
            RowKind::Track(id) => {
                let parent = self.rows[..self.nav.selected]
                    .iter()
                    .rev()
                    .find(|r| r.depth + 1 == row.depth && matches!(r.kind, RowKind::Group(_)));
                match parent.map(|p| &p.kind) {
                    Some(RowKind::Group(path)) => {
                        let tracks = self.group_at(path)?.all_tracks();
                        let start = tracks.iter().position(|t| t == id).unwrap_or(0);
                        Some(Selection {
                            tracks,
                            start,
                            label: self.label(path),
                            single: true,
                        })
                    }
                    _ => Some(Selection {
                        tracks: vec![*id],
                        start: 0,
                        label: "library".into(),
                        single: true,
                    }),
                }
            }
        }
    }

    fn on_action(&mut self, a: Action, s: &mut Session) -> Handled {
        if self.nav.on_action(a, self.rows.len(), s.list_height) {
            // Tracks the user looks at are analysed first.
            if let Some(id) = self.selected_track() {
                s.push(crate::app::Effect::Bump(id));
            }
            return Handled::Yes;
        }
        match a {
            Action::Collapse => self.collapse(s),
            Action::Expand => self.expand(s),
            Action::ToggleMark => self.mark_selected(Mark::Like, s),
            Action::MarkLess => self.mark_selected(Mark::Less, s),
            Action::MarkRange => self.visual(s),
            Action::ClearMarks => {
                self.marks.clear();
                self.visual = None;
                self.say_marks(s);
            }
            Action::QueueAdd | Action::QueueAddNext if !self.marks.is_empty() => {
                self.queue_marks(a == Action::QueueAddNext, s)
            }
            Action::Activate | Action::QueueAdd | Action::QueueAddNext => {
                if let Some(sel) = self.selection(&s.lib) {
                    sel.apply(a, s);
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }
}
