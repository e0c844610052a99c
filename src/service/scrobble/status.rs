//! What the sender last knew, in `scrobble/status.json` beside the queue, for
//! `genreplay scrobble status`: the server, the state, the last error, when listens last
//! arrived. Written whole (renamed into place) after each attempt; read within 64 KB.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::util::private::replace;

const MAX_STATUS_BYTES: u64 = 64 * 1024;

/// The sender's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendState {
    /// Nothing tried yet.
    #[default]
    Idle,
    /// The last attempt was accepted.
    Ok,
    /// Waiting to try again (rate limit, server error, no connection).
    Waiting,
    /// The server refused the token (401): nothing is sent until the token changes.
    TokenRefused,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Status {
    pub server: String,
    pub state: SendState,
    pub last_error: Option<String>,
    pub last_error_unix: Option<u64>,
    /// When the server last accepted listens.
    pub last_sent_unix: Option<u64>,
    /// Listens accepted by this process.
    pub sent: u64,
    /// The next attempt (while waiting).
    pub next_try_unix: Option<u64>,
    pub updated_unix: u64,
    /// The process that wrote this (the player, or `scrobble flush`).
    pub pid: u32,
}

impl Status {
    pub fn file(dir: &Path) -> std::path::PathBuf {
        dir.join("status.json")
    }

    /// Writes the status; a failure is logged (the status is a report, not the queue).
    pub fn save(&mut self, dir: &Path) {
        self.updated_unix = crate::util::time::now_unix();
        self.pid = std::process::id();
        match serde_json::to_vec_pretty(self) {
            Ok(bytes) => {
                if let Err(e) = replace(&Self::file(dir), &bytes) {
                    tracing::warn!("{}: {e}", Self::file(dir).display());
                }
            }
            Err(e) => tracing::warn!("scrobble status: {e}"),
        }
    }

    /// The last status written (none when missing or unreadable: it is only a report).
    pub fn load(dir: &Path) -> Option<Status> {
        let f = std::fs::File::open(Self::file(dir)).ok()?;
        if !f.metadata().ok()?.is_file() {
            return None;
        }
        let mut bytes = Vec::new();
        f.take(MAX_STATUS_BYTES).read_to_end(&mut bytes).ok()?;
        let mut s: Status = serde_json::from_slice(&bytes).ok()?;
        // A hostile file's text is cut and cleaned before anyone prints it.
        for t in [&mut s.server].into_iter().chain(s.last_error.as_mut()) {
            *t = t.chars().filter(|c| !c.is_control()).take(2048).collect();
        }
        Some(s)
    }
}
