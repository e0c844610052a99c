#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The library: scans, the store and background classification (`library`), following the disk
//! (`watch`), recommendations and playlists (`recommend`), cover art (`art`) and lyrics
//! (`lyrics`), the listening figures and the listen log (`stats`).

#[path = "../common/mod.rs"]
mod common;

mod art;
mod cue;
mod library;
mod listening;
mod lyrics;
mod recommend;
mod scrobble;
mod scrobble_server;
mod stations;
mod stats;
mod watch;
