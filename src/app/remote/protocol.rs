//! What `genreplay ctl` and MPRIS may ask of the player ([`RemoteCommand`]), where the answer
//! goes ([`ReplyTo`]) and the status it answers with ([`PlayerStatus`]): the messages only, so
//! `Event` and `Effect` carry them without importing the session that carries them out.

use std::path::PathBuf;

use crossbeam_channel::Sender;
use serde::{Deserialize, Serialize};

use crate::library::TrackId;
use crate::store::history::Rating;

/// What a remote client may ask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum RemoteCommand {
    /// Resume, or start the queue when nothing is loaded.
    Play,
    Pause,
    /// Play / pause, as the space key (but never plays a view's selection).
    Toggle,
    Next,
    /// The previous track (or the start of this one after 3 s), as the key.
    Prev,
    Stop,
    /// Seek by `secs` (`relative`) or to `secs` from the start.
    Seek {
        secs: f64,
        relative: bool,
    },
    /// Set the volume to `percent`, or change it by `percent` (`relative`).
    Volume {
        percent: i32,
        relative: bool,
    },
    /// Add files of the library, or every library track under a folder, to the end of the
    /// queue. The client sends absolute, symlink-resolved paths.
    Add {
        paths: Vec<PathBuf>,
    },
    /// Seek to `secs` from the start of `track`, only if it is still the track loaded (a
    /// desktop widget's slider: MPRIS `SetPosition`, which names the track it means).
    SetPosition {
        track: TrackId,
        secs: f64,
    },
    /// Shuffle on or off.
    Shuffle {
        on: bool,
    },
    /// Repeat "off", "all" or "one".
    Repeat {
        mode: String,
    },
    /// Play this file of the library now, its album as the context (its folder when the
    /// album is not tagged). The client sends an absolute, symlink-resolved path.
    PlayFile {
        path: PathBuf,
    },
    /// Auto-DJ on or off.
    AutoDj {
        on: bool,
    },
    /// Rate a file of the library, or the playing track (`path` absent).
    Rate {
        rating: Rating,
        #[serde(default)]
        path: Option<PathBuf>,
    },
    /// Add files of the library, or every library track under a folder, to the end of the
    /// playlist `name` (a new playlist when none has that name). Absolute paths, as `Add`.
    PlaylistAdd {
        name: String,
        paths: Vec<PathBuf>,
    },
    /// Only the status.
    Status,
    /// Look at the library folder again now.
    Rescan,
    /// Quit the player, as `q` (MPRIS `Quit`, `ctl quit`).
    Quit,
    /// A `:` command line (`app::command_line`), run as typed in the player: only actions
    /// that work anywhere (at most [`MAX_COMMAND_BYTES`]).
    Command {
        line: String,
    },
}

/// The longest command line `ctl run` may send.
pub const MAX_COMMAND_BYTES: usize = 4096;

/// Where the answer goes: a one-slot channel the asker waits on (a socket connection's thread,
/// or a D-Bus method call awaiting it on the MPRIS thread). Sending never blocks (an asker that
/// gave up just misses it).
#[derive(Debug, Clone)]
pub struct ReplyTo(Chan);

#[derive(Debug, Clone)]
enum Chan {
    Blocking(Sender<RemoteReply>),
    Async(async_channel::Sender<RemoteReply>),
}

impl ReplyTo {
    pub fn new(tx: Sender<RemoteReply>) -> Self {
        ReplyTo(Chan::Blocking(tx))
    }

    /// For an asker that awaits the answer in async code.
    pub fn to_async(tx: async_channel::Sender<RemoteReply>) -> Self {
        ReplyTo(Chan::Async(tx))
    }

    /// Whether the asker awaits the answer in async code (the MPRIS thread).
    pub fn is_async(&self) -> bool {
        matches!(self.0, Chan::Async(_))
    }

    pub fn send(&self, reply: RemoteReply) {
        match &self.0 {
            Chan::Blocking(tx) => {
                let _ = tx.try_send(reply);
            }
            Chan::Async(tx) => {
                let _ = tx.try_send(reply);
            }
        }
    }
}

impl PartialEq for ReplyTo {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Chan::Blocking(a), Chan::Blocking(b)) => a.same_channel(b),
            (Chan::Async(a), Chan::Async(b)) => a.same_channel(b),
            _ => false,
        }
    }
}

/// A command with the place its answer goes.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteRequest {
    pub command: RemoteCommand,
    pub reply: ReplyTo,
}

/// The answer: whether the command did what it says, a line for the user, and the player's
/// status after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteReply {
    pub ok: bool,
    pub message: String,
    pub status: PlayerStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlayState {
    Playing,
    Paused,
    Stopped,
}

/// The loaded track, as `ctl status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackStatus {
    /// The file (lossy UTF-8 for names that are not).
    pub path: String,
    pub title: String,
    pub artist: String,
    pub album: String,
    pub duration_secs: Option<f64>,
    /// The top genre and its probability, once the track is classified.
    pub genre: Option<String>,
    pub confidence: Option<f32>,
    /// The listener's rating: "like", "dislike" or null.
    #[serde(default)]
    pub rating: Option<String>,
}

/// What `ctl status` reports (`--json` prints exactly this).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerStatus {
    pub state: PlayState,
    pub track: Option<TrackStatus>,
    pub position_secs: f64,
    /// Percent: 0–100, up to 150 when boosted (as the volume keys allow).
    pub volume: u8,
    /// Muted (the volume is kept for when it is not).
    pub muted: bool,
    pub shuffle: bool,
    /// "off", "all" or "one".
    pub repeat: String,
    pub auto_dj: bool,
    /// Up next: the files the user queued, in order; they play before the context goes on.
    pub queue: Vec<String>,
    /// What is playing from (an album, a genre, a playlist…) and its files still to come,
    /// after up next.
    pub context: Option<ContextStatus>,
}

/// The context as `ctl status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextStatus {
    /// "Sectoid — Songs", "genre metal", …
    pub label: String,
    /// Its files still to play, in order (this pass, as shuffled): the first
    /// [`STATUS_CONTEXT_PATHS`] of them.
    pub remaining: Vec<String>,
    /// How many files are still to play from it (all of them).
    #[serde(default)]
    pub remaining_count: usize,
}

/// The context's files a status lists (every answer carries the status: a 100,000-track
/// context is not written out for each volume change).
pub const STATUS_CONTEXT_PATHS: usize = 1_000;
