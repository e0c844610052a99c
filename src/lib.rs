//! genreplay: a terminal music player that recognises each track's genre with a small CNN on
//! the CPU and uses those genre vectors to decide what plays next.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod analysis;
pub mod app;
pub mod audio;
pub mod cli;
pub mod commands;
pub mod config;
pub mod features;
pub mod keys;
pub mod library;
pub mod model;
pub mod paths;
pub mod playlist;
pub mod recommend;
pub mod service;
pub mod store;
pub mod tui;
pub mod ui;
pub mod util;
