//! The music library: walking folders, tags, track identities.

pub mod art;
pub mod genres;
pub mod lyrics;
pub mod root;
pub mod scan;
pub mod tag_size;
pub mod tags;
pub mod track;

pub use track::{TrackId, TrackRecord};
