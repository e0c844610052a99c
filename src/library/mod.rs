//! The music library: walking folders, tags, track identities.

pub mod art;
pub mod lyrics;
pub mod scan;
pub mod tags;
pub mod track;

pub use track::{TrackId, TrackRecord};

use std::path::Path;

/// Whether `path` is something to play: a track of the library (`store`), or a regular,
/// non-empty file with an audio extension whose first bytes a decoder reads
/// ([`crate::audio::header::looks_decodable`]). What a playlist import keeps.
pub fn is_playable(store: Option<&crate::store::Store>, path: &Path) -> bool {
    let in_library = store.is_some_and(|s| {
        s.track(TrackId::of_path(path))
            .ok()
            .flatten()
            .is_some_and(|r| r.path() == path)
    });
    in_library || (crate::audio::is_audio_path(path) && crate::audio::header::looks_decodable(path))
}
