//! Sort orders. The Library's: the tree as its browse mode builds it (artists and albums by
//! name, genres by confidence, folders by name), or every group's tracks and subgroups by
//! title, year, when added, plays or length. A group sorts by what its tracks have (its oldest
//! year, its newest track, its plays together, its longest track); the genre and style trees
//! keep their own order at the top (the genres, then the unsure and waiting groups). The track
//! lists' (search results, a playlist's tracks, the queue's up next) sort by any column: title,
//! artist, album, year, added, plays, length or genre.

use std::collections::HashMap;

use crate::app::catalog::{Catalog, Group};
use crate::library::TrackId;
use crate::store::history::HistoryRecord;

/// How a list orders what it shows: the Library's tree, the search results, a playlist's
/// tracks, or (once, as an edit) the queue's up next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// The list's own order: the browse mode's tree, the best match first, the playlist's.
    #[default]
    Tree,
    Title,
    /// By artist, then album and track number.
    Artist,
    /// By album, then track number.
    Album,
    /// Oldest first.
    Year,
    /// Newest first.
    Added,
    /// Most played first.
    Plays,
    /// Longest first.
    Length,
    /// By genre (the unsure last), the surest first within one.
    Genre,
}

impl SortKey {
    pub const ALL: [SortKey; 9] = [
        SortKey::Tree,
        SortKey::Title,
        SortKey::Artist,
        SortKey::Album,
        SortKey::Year,
        SortKey::Added,
        SortKey::Plays,
        SortKey::Length,
        SortKey::Genre,
    ];

    /// The orders `ctrl-s` steps through in the Library (its browse modes already group by
    /// artist, album and genre).
    pub const LIBRARY: [SortKey; 6] = [
        SortKey::Tree,
        SortKey::Title,
        SortKey::Year,
        SortKey::Added,
        SortKey::Plays,
        SortKey::Length,
    ];

    /// The next of `keys` (the first when `self` is not among them).
    pub fn next_in(self, keys: &[SortKey]) -> SortKey {
        let i = keys.iter().position(|&k| k == self);
        match i {
            Some(i) => keys[(i + 1) % keys.len()],
            None => keys.first().copied().unwrap_or_default(),
        }
    }

    /// The word `:sort NAME` takes and the saved session keeps.
    pub fn name(self) -> &'static str {
        match self {
            SortKey::Tree => "tree",
            SortKey::Title => "title",
            SortKey::Artist => "artist",
            SortKey::Album => "album",
            SortKey::Year => "year",
            SortKey::Added => "added",
            SortKey::Plays => "plays",
            SortKey::Length => "length",
            SortKey::Genre => "genre",
        }
    }

    /// The key `name` names; "list", "order" and "relevance" are the list's own order too.
    pub fn from_name(name: &str) -> Option<SortKey> {
        let name = name.trim().to_lowercase();
        if matches!(name.as_str(), "list" | "order" | "relevance" | "none") {
            return Some(SortKey::Tree);
        }
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The names `:sort` takes, for its error message.
    pub fn names(keys: &[SortKey]) -> String {
        let names: Vec<&str> = keys.iter().map(|k| k.name()).collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => names.join(""),
        }
    }

    /// What the title and status line say (the own order named by the list).
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Tree => "tree order",
            SortKey::Title => "title",
            SortKey::Artist => "artist, album",
            SortKey::Album => "album",
            SortKey::Year => "year, oldest first",
            SortKey::Added => "newest added first",
            SortKey::Plays => "most played first",
            SortKey::Length => "longest first",
            SortKey::Genre => "genre, surest first",
        }
    }
}

/// A track's place under `key`, compared as a whole: smaller first; what it lacks (no year
/// tag, no length, no artist tag, no genre yet) last.
pub type Place = (i64, String, i64);

/// A track's [`Place`] under `key`.
pub fn place(
    key: SortKey,
    id: TrackId,
    lib: &Catalog,
    history: Option<&HashMap<TrackId, HistoryRecord>>,
) -> Place {
    let Some(t) = lib.track(id) else {
        return (i64::MAX, String::new(), 0);
    };
    let track_no = i64::from(t.track_no.unwrap_or(u32::MAX));
    match key {
        SortKey::Tree => (0, String::new(), 0),
        SortKey::Title => (0, t.title.to_lowercase(), 0),
        SortKey::Artist => (
            i64::from(!t.has_artist()),
            format!("{}\u{0}{}", t.artist.to_lowercase(), t.album.to_lowercase()),
            track_no,
        ),
        SortKey::Album => (i64::from(!t.has_album()), t.album.to_lowercase(), track_no),
        SortKey::Genre => match lib.genre_of(id) {
            Some((g, p)) => (
                i64::from(!lib.is_known(id)),
                g.to_string(),
                -((p.clamp(0.0, 1.0) * 1e6) as i64),
            ),
            None => (2, String::new(), 0),
        },
        _ => (value(key, id, lib, history), String::new(), 0),
    }
}

/// A track's place under a numeric `key`: smaller first; what it lacks last.
fn value(
    key: SortKey,
    id: TrackId,
    lib: &Catalog,
    history: Option<&HashMap<TrackId, HistoryRecord>>,
) -> i64 {
    let Some(t) = lib.track(id) else {
        return i64::MAX;
    };
    match key {
        SortKey::Year => t.year.map_or(i64::MAX, i64::from),
        SortKey::Added => -(t.added_unix.min(i64::MAX as u64) as i64),
        SortKey::Plays => -i64::from(history.and_then(|h| h.get(&id)).map_or(0, |r| r.plays)),
        SortKey::Length => t
            .duration_secs
            .map_or(i64::MAX, |d| -((d * 1000.0).clamp(0.0, 1e15) as i64)),
        _ => 0,
    }
}

/// Orders `ids` by `key` (stable: ties keep the list's order); the list's own order leaves
/// them as they are.
pub fn sort_tracks(
    ids: &mut [TrackId],
    key: SortKey,
    lib: &Catalog,
    history: Option<&HashMap<TrackId, HistoryRecord>>,
) {
    if key != SortKey::Tree {
        ids.sort_by_cached_key(|&id| place(key, id, lib, history));
    }
}

/// A group's place: its plays together for plays, else its first track's place.
fn group_place(key: SortKey, g: &Group, track: &dyn Fn(TrackId) -> Place) -> Place {
    let all = g.all_tracks();
    match key {
        SortKey::Plays => (
            all.into_iter().map(|id| track(id).0).sum(),
            String::new(),
            0,
        ),
        _ => all
            .into_iter()
            .map(track)
            .min()
            .unwrap_or((i64::MAX, String::new(), 0)),
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
    let track = |id: TrackId| place(key, id, lib, Some(history));
    for g in groups.iter_mut() {
        sort_tree(&mut g.children, key, true, lib, history);
        // Stable: ties keep the tree's order (an album's track numbers).
        g.tracks.sort_by_cached_key(|&id| track(id));
    }
    if top {
        if key == SortKey::Title {
            groups.sort_by_cached_key(|g| g.name.to_lowercase());
        } else {
            groups.sort_by_cached_key(|g| group_place(key, g, &track));
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
        SortKey::Tree
        | SortKey::Title
        | SortKey::Length
        | SortKey::Artist
        | SortKey::Album
        | SortKey::Genre => None,
    }
}
