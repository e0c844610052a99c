//! The music library: walking folders, tags, track identities.

pub mod art;
pub mod lyrics;
pub mod scan;
pub mod tags;
pub mod track;

pub use track::{TrackId, TrackRecord};
