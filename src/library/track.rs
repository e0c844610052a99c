//! Tracks: a stable [`TrackId`] from the file's path, and the record the store keeps. The
//! types live with the store's records (`store::records`, a leaf the store and the library
//! both import); they are named here too, where the library's users look for them.

pub use crate::store::records::{TrackId, TrackRecord, UNKNOWN_ALBUM, UNKNOWN_ARTIST};
