#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The desktop: MPRIS 2 with a real D-Bus client against the real player (`mpris`).

#[path = "../common/mod.rs"]
mod common;

mod mpris;
