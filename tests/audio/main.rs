#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Audio on real files the tests make: decoding, seeking, the clip rules, resampling and the
//! front end (`pipeline`), the player without a sound card (`player`), ReplayGain
//! (`replaygain`).

#[path = "../common/mod.rs"]
mod common;

mod crossfade;
mod pipeline;
mod player;
mod replaygain;
