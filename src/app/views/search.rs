//! Search results: a list of their own over the whole library, ranked, shown in place of the
//! view while the search is open. Enter plays a result (the results go on after it), `a` adds
//! it, `A` plays it next.

use super::{Handled, Selection};
use crate::app::catalog::Catalog;
use crate::app::nav::ListNav;
use crate::app::search::{Facts, Query, Searcher};
use crate::app::session::Session;
use crate::keys::Action;
use crate::library::TrackId;

use super::sort::{SortKey, sort_tracks};

/// The most results listed.
pub const MAX_RESULTS: usize = 5_000;

#[derive(Default)]
pub struct SearchView {
    pub results: Vec<TrackId>,
    pub nav: ListNav,
    /// The query the results are for.
    pub query: String,
    /// The results' order: the best match first (`Tree`), or by a column.
    pub sort: SortKey,
    searcher: Searcher,
}

impl std::fmt::Debug for SearchView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchView")
            .field("results", &self.results.len())
            .field("query", &self.query)
            .finish()
    }
}

impl SearchView {
    /// Runs `text` over the catalog (the selection goes back to the top when the query
    /// changed).
    pub fn run(&mut self, lib: &Catalog, facts: Facts, text: &str, height: usize) {
        let changed = text != self.query;
        self.results = self
            .searcher
            .run(lib, facts, &Query::parse(text), MAX_RESULTS);
        sort_tracks(&mut self.results, self.sort, lib, facts.history);
        self.query = text.to_string();
        if changed {
            self.nav = ListNav::default();
        }
        self.nav.clamp(self.results.len(), height);
    }

    /// Orders the results by `key` (the best match first again for `Tree`), keeping the
    /// selected track selected.
    pub fn set_sort(&mut self, key: SortKey, lib: &Catalog, facts: Facts, height: usize) {
        let selected = self.results.get(self.nav.selected).copied();
        self.sort = key;
        let query = self.query.clone();
        self.run(lib, facts, &query, height);
        if let Some(i) = selected.and_then(|id| self.results.iter().position(|&r| r == id)) {
            self.nav.select(i, self.results.len(), height);
        }
    }

    /// Forgets remembered results (the catalog changed); the next run searches afresh.
    pub fn forget(&mut self) {
        self.searcher.forget();
    }

    /// The tracks' genres changed: remembered results of queries that look at genres are
    /// forgotten, and when the open query is one, the `changed` tracks are scored again.
    pub fn genres_changed(
        &mut self,
        lib: &Catalog,
        facts: Facts,
        changed: &[TrackId],
        open: bool,
        height: usize,
    ) {
        let q = Query::parse(&self.query);
        if open && q.uses_genres(lib) {
            self.results = self.searcher.rescore(lib, facts, &q, changed, MAX_RESULTS);
            sort_tracks(&mut self.results, self.sort, lib, facts.history);
            self.nav.clamp(self.results.len(), height);
        } else {
            self.searcher.forget_if(|q| q.uses_genres(lib));
        }
    }
}

impl super::View for SearchView {
    fn selection(&self, _lib: &Catalog) -> Option<Selection> {
        (!self.results.is_empty()).then(|| Selection {
            tracks: self.results.clone(),
            start: self.nav.selected.min(self.results.len() - 1),
            label: format!("search \"{}\"", self.query.trim()),
            single: true,
        })
    }

    fn on_action(&mut self, a: Action, s: &mut Session) -> Handled {
        if self.nav.on_action(a, self.results.len(), s.list_height) {
            if let Some(&id) = self.results.get(self.nav.selected) {
                s.push(crate::app::Effect::Bump(id));
            }
            return Handled::Yes;
        }
        match a {
            Action::Activate | Action::QueueAdd | Action::QueueAddNext => {
                if let Some(sel) = self.selection(&s.lib) {
                    sel.apply(a, s);
                }
            }
            Action::Collapse | Action::Expand => {}
            _ => return Handled::No,
        }
        Handled::Yes
    }
}
