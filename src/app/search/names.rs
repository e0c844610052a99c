//! The track a `like:` filter names: by title, else as `artist - title`; one track, or an
//! error naming what was looked for.

use super::rules::RuleError;
use crate::app::catalog::Catalog;
use crate::library::TrackId;

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
