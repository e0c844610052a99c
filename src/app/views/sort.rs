//! The Library's sort orders: the tree as its browse mode builds it (artists and albums by name,
//! genres by confidence, folders by name), or every group's tracks and subgroups by title, year,
//! when added, plays or length. A group sorts by what its tracks have (its oldest year, its
//! newest track, its plays together, its longest track); the genre and style trees keep their
//! own order at the top (the genres, then the unsure and waiting groups).

use std::collections::HashMap;

use crate::app::catalog::{Catalog, Group};
use crate::library::TrackId;
use crate::store::history::HistoryRecord;

/// How the Library orders what it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// The browse mode's own order.
    #[default]
    Tree,
    Title,
    /// Oldest first.
    Year,
    /// Newest first.
    Added,
    /// Most played first.
    Plays,
    /// Longest first.
    Length,
}

impl SortKey {
    pub const ALL: [SortKey; 6] = [
        SortKey::Tree,
        SortKey::Title,
        SortKey::Year,
        SortKey::Added,
        SortKey::Plays,
        SortKey::Length,
    ];

    pub fn next(self) -> SortKey {
        let i = Self::ALL.iter().position(|&k| k == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    /// The word `:cycle_sort NAME` takes and the saved session keeps.
    pub fn name(self) -> &'static str {
        match self {
            SortKey::Tree => "tree",
            SortKey::Title => "title",
            SortKey::Year => "year",
            SortKey::Added => "added",
            SortKey::Plays => "plays",
            SortKey::Length => "length",
        }
    }

    pub fn from_name(name: &str) -> Option<SortKey> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == name.trim().to_lowercase())
    }

    /// What the title and status line say.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Tree => "tree order",
            SortKey::Title => "title",
            SortKey::Year => "year, oldest first",
            SortKey::Added => "newest added first",
            SortKey::Plays => "most played first",
            SortKey::Length => "longest first",
        }
    }
}

/// A track's place under `key`: smaller first; what it lacks (no year tag, no length) last.
fn value(
    key: SortKey,
    id: TrackId,
    lib: &Catalog,
    history: &HashMap<TrackId, HistoryRecord>,
) -> i64 {
    let Some(t) = lib.track(id) else {
        return i64::MAX;
    };
    match key {
        SortKey::Tree | SortKey::Title => 0,
        SortKey::Year => t.year.map_or(i64::MAX, i64::from),
        SortKey::Added => -(t.added_unix.min(i64::MAX as u64) as i64),
        SortKey::Plays => -i64::from(history.get(&id).map_or(0, |r| r.plays)),
        SortKey::Length => t
            .duration_secs
            .map_or(i64::MAX, |d| -((d * 1000.0).clamp(0.0, 1e15) as i64)),
    }
}

/// A group's place: its plays together for plays, else its first track's place.
fn group_value(key: SortKey, g: &Group, track: &dyn Fn(TrackId) -> i64) -> i64 {
    let all = g.all_tracks();
    match key {
        SortKey::Plays => all.into_iter().map(track).sum(),
        _ => all.into_iter().map(track).min().unwrap_or(i64::MAX),
    }
}

/// Orders `groups` (and everything below them) by `key`; `top` says whether the top level may
/// move (not in the genre and style trees).
pub fn sort_tree(
    groups: &mut [Group],
    key: SortKey,
    top: bool,
    lib: &Catalog,
    history: &HashMap<TrackId, HistoryRecord>,
) {
    if key == SortKey::Tree {
        return;
    }
    let track = |id: TrackId| value(key, id, lib, history);
    let title = |id: &TrackId| lib.track(*id).map(|t| t.title.to_lowercase());
    for g in groups.iter_mut() {
        sort_tree(&mut g.children, key, true, lib, history);
        if key == SortKey::Title {
            g.tracks.sort_by_cached_key(title);
        } else {
            // Stable: ties keep the tree's order (an album's track numbers).
            g.tracks.sort_by_cached_key(|&id| track(id));
        }
    }
    if top {
        if key == SortKey::Title {
            groups.sort_by_cached_key(|g| g.name.to_lowercase());
        } else {
            groups.sort_by_cached_key(|g| group_value(key, g, &track));
        }
    }
}

/// What a track row shows of the key it is sorted by ("1994", "12 plays"), when the row does
/// not show it already.
pub fn shown(
    key: SortKey,
    id: TrackId,
    lib: &Catalog,
    history: &HashMap<TrackId, HistoryRecord>,
    now: u64,
) -> Option<String> {
    let t = lib.track(id)?;
    match key {
        SortKey::Year => Some(t.year.map_or("no year".into(), |y| y.to_string())),
        SortKey::Plays => {
            let n = history.get(&id).map_or(0, |r| r.plays);
            Some(if n == 1 {
                "1 play".into()
            } else {
                format!("{n} plays")
            })
        }
        SortKey::Added => {
            let days = now.saturating_sub(t.added_unix) / 86_400;
            Some(match days {
                0 => "added today".into(),
                1 => "added yesterday".into(),
                d => format!("added {d} days ago"),
            })
        }
        SortKey::Tree | SortKey::Title | SortKey::Length => None,
    }
}
