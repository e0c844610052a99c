//! Recommendations from genre and style vectors: "play next" queues, auto-DJ, genre playlists.

pub mod eval;
pub mod playlists;
pub mod similar;
pub mod stations;
pub mod stats;
pub mod taste;

use std::collections::HashMap;

use crate::library::{TrackId, TrackRecord};
use crate::model::ModelId;
use crate::store::{Store, StoreError};
use similar::Candidate;

/// Lower-cased artist used by the artist-spread rule ("" when unknown).
pub fn artist_key(r: &TrackRecord) -> String {
    r.tags
        .artist
        .clone()
        .or_else(|| r.tags.album_artist.clone())
        .unwrap_or_default()
        .trim()
        .to_lowercase()
}

/// Every classified track of `model` as a recommendation candidate, with its record.
pub fn candidates_from_store(
    store: &Store,
    model: &ModelId,
) -> Result<(Vec<Candidate>, HashMap<TrackId, TrackRecord>), StoreError> {
    let tracks: HashMap<TrackId, TrackRecord> = store.tracks()?.into_iter().collect();
    let mut out = Vec::new();
    for (id, v) in store.vectors_for(model)? {
        if let Some(r) = tracks.get(&id) {
            out.push(Candidate {
                id,
                artist: artist_key(r),
                genre: v.vector.into(),
                style: v.style.map(Into::into),
                known: v.open_set.is_none_or(|o| o.known),
            });
        }
    }
    out.sort_by_key(|c| c.id);
    Ok((out, tracks))
}
