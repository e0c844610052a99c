//! Smart playlists: a saved query (the search language and the history's and the sound's
//! filters) whose tracks are whatever matches it now. The rule is parsed strictly
//! ([`Query::parse_rule`]) and its `like:` names resolved against the library: a name that is
//! no track, or several, is an error naming it.

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

/// The track called `name` (lower case): by title, else as `artist - title`. One track, or
/// an error naming what was looked for (and, when several match, a few of them).
pub fn resolve(lib: &Catalog, name: &str) -> Result<TrackId, RuleError> {
    let name = name.trim();
    let mut hits: Vec<TrackId> = lib
        .tracks
        .iter()
        .filter(|t| t.title.to_lowercase() == name)
        .map(|t| t.id)
        .collect();
    if hits.is_empty() {
        let mut from = 0;
        // Every " - " may be the one between the artist and the title.
        while let Some(k) = name[from..].find(" - ") {
            let (artist, title) = (&name[..from + k], &name[from + k + 3..]);
            hits.extend(
                lib.tracks
                    .iter()
                    .filter(|t| {
                        t.title.to_lowercase() == title.trim()
                            && t.artist.to_lowercase() == artist.trim()
                    })
                    .map(|t| t.id),
            );
            from += k + 3;
        }
    }
    hits.sort_unstable();
    hits.dedup();
    match hits.as_slice() {
        [one] => Ok(*one),
        [] => Err(RuleError::NoTrack {
            name: name.to_string(),
        }),
        many => Err(RuleError::Ambiguous {
            name: name.to_string(),
            n: many.len(),
            examples: many
                .iter()
                .take(3)
                .filter_map(|id| lib.track(*id))
                .map(|t| format!("{} - {}", t.artist, t.title))
                .collect::<Vec<_>>()
                .join("; "),
        }),
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
