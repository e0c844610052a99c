#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The player's screen: its state machine without a terminal (`app`), what each view draws on
//! ratatui's `TestBackend` (`screens`), and the release binary in a real terminal (tmux): the
//! sample library (`e2e`), cover and lyrics (`art_e2e`), damaged files and signals
//! (`hardening`), a quit and restart (`restart`), the Stats view (`stats`), the Training view while it trains (`training_screen`).

#[path = "../common/mod.rs"]
mod common;

mod app;
mod art_e2e;
mod e2e;
mod hardening;
mod legible;
mod restart;
mod screens;
mod stats;
mod training_screen;
