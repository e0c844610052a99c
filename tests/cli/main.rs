#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The command line as a user runs it: `classify`, `train`, `eval` and bad inputs (`cli`),
//! faults a user meets with real processes — a corrupted database, a full disk (`hardening`) —,
//! terminal escapes in names and tags (`terminal_escapes`), and what the user made and wrote:
//! playlists, imports, settings (`user_files`; some in tmux).

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod hardening;
mod shell;
mod smart;
mod terminal_escapes;
mod user_files;
