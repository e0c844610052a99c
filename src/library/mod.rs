//! The music library: tags now; scanning and track ids follow.

pub mod tags;
