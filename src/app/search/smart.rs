//! Smart playlists: a saved query (the search language and the history's and the sound's
//! filters) whose tracks are whatever matches it now. The rule is parsed strictly
//! ([`Query::parse_rule`]) and its `like:` names resolved against the library: a name that is
//! no track, or several, is an error naming it.

pub use super::names::resolve;
use super::{Facts, Query, RuleError, Searcher};
use crate::app::catalog::Catalog;
use crate::library::TrackId;

/// A parsed rule, ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct SmartRule {
    pub text: String,
    pub query: Query,
}

impl SmartRule {
    pub fn parse(text: &str) -> Result<Self, RuleError> {
        Ok(SmartRule {
            text: text.trim().to_string(),
            query: Query::parse_rule(text)?,
        })
    }

    /// The tracks that match now: ranked by the rule's words when it has any, else in the
    /// library's order. An error when a `like:` name is no track of `lib`, or several.
    pub fn tracks(&self, lib: &Catalog, facts: Facts) -> Result<Vec<TrackId>, RuleError> {
        for name in self.query.like_names() {
            resolve(lib, name)?;
        }
        let mut found = Searcher::default().run(lib, facts, &self.query, lib.tracks.len());
        if !self.query.fields().contains(&"words") {
            found.sort_by_key(|id| lib.index.get(id).copied().unwrap_or(usize::MAX));
        }
        Ok(found)
    }
}

/// How much track `id` sounds like `seed` (as `like:` and play next measure it: genre and
/// style vectors, cosine); `None` when either has no vector.
pub fn similarity_to(lib: &Catalog, seed: TrackId, id: TrackId) -> Option<f32> {
    let (a, b) = (super::candidate(lib, seed)?, super::candidate(lib, id)?);
    Some(crate::recommend::similar::similarity(
        &crate::recommend::similar::QueueOptions::default(),
        &a,
        &b,
    ))
}
