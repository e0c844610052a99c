#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Remote control: `ctl` and the socket server against hostile clients (`remote`), and another
//! local user who may neither read the data folder nor reach the player (`local_users`).

#[path = "../common/mod.rs"]
mod common;

mod events;
mod local_users;
mod remote;
