//! Reading tags (artist, album, title, genre, …) and the duration with lofty.

use std::path::Path;

use lofty::prelude::*;
use serde::{Deserialize, Serialize};

/// The tags genreplay uses. Missing tags are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tags {
    pub artist: Option<String>,
    pub album: Option<String>,
    pub album_artist: Option<String>,
    pub title: Option<String>,
    pub track_no: Option<u32>,
    pub year: Option<u16>,
    pub genre: Option<String>,
    pub duration_ms: Option<u64>,
}

fn clean(s: Option<std::borrow::Cow<'_, str>>) -> Option<String> {
    s.map(|v| v.trim().trim_matches('\0').to_string())
        .filter(|v| !v.is_empty())
}

/// Reads the tags of `path`. An error means the file's container could not be parsed at all;
/// files without tags give empty [`Tags`].
pub fn read_tags(path: &Path) -> Result<Tags, String> {
    let tagged = lofty::read_from_path(path).map_err(|e| e.to_string())?;
    let duration = tagged.properties().duration();
    let mut tags = Tags {
        duration_ms: (!duration.is_zero()).then_some(duration.as_millis() as u64),
        ..Tags::default()
    };
    if let Some(tag) = tagged.primary_tag().or_else(|| tagged.first_tag()) {
        tags.artist = clean(tag.artist());
        tags.album = clean(tag.album());
        tags.title = clean(tag.title());
        tags.genre = clean(tag.genre()).map(|g| normalise_genre(&g));
        tags.track_no = tag.track();
        tags.year = tag.date().map(|d| d.year);
        tags.album_artist = clean(tag.get_string(ItemKey::AlbumArtist).map(Into::into));
    }
    Ok(tags)
}

/// A genre tag as a label: trimmed and lower-cased, so "Rock" and "rock " group together.
pub fn normalise_genre(g: &str) -> String {
    g.trim().to_lowercase()
}
