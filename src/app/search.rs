//! The search box and the filter it makes: fuzzy over artist, album, title and folder. The
//! text is shared by the views; each view filters what it shows.

use std::cell::RefCell;

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config as MatchConfig, Matcher, Utf32Str};

use super::catalog::TrackInfo;

/// What the user typed after `/`, and whether keys still go to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchBox {
    pub text: String,
    pub typing: bool,
}

impl SearchBox {
    /// The filter for the current text (`None` when empty).
    pub fn filter(&self) -> Option<Filter> {
        let q = self.text.trim();
        if q.is_empty() {
            return None;
        }
        Some(Filter {
            pattern: Pattern::parse(q, CaseMatching::Ignore, Normalization::Smart),
            matcher: RefCell::new(Matcher::new(MatchConfig::DEFAULT)),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
    }
}

/// A compiled search.
pub struct Filter {
    pattern: Pattern,
    matcher: RefCell<Matcher>,
}

impl Filter {
    pub fn matches(&self, t: &TrackInfo) -> bool {
        let hay = t.haystack();
        let mut buf = Vec::new();
        self.pattern
            .score(
                Utf32Str::new(&hay, &mut buf),
                &mut self.matcher.borrow_mut(),
            )
            .is_some()
    }
}
