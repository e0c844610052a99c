//! What the app and the player thread say to each other: [`PlayerCommand`]s in,
//! [`PlayerEvent`]s out.

use std::path::PathBuf;

/// What the app asks the player to do.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerCommand {
    /// Play this file now (replacing whatever plays), optionally paused.
    Load {
        path: PathBuf,
        paused: bool,
    },
    /// The track to play after the current one (gapless), or none.
    SetNext(Option<PathBuf>),
    /// How many seconds the transitions set from now on overlap (0: gapless). Sent before a
    /// `SetNext` whose transition differs from the last one's.
    SetCrossfade(f32),
    /// Play this file now, fading out what plays over `secs` (a skip with
    /// `crossfade_on_skip`); a plain `Load` when nothing plays or the formats differ.
    CrossfadeTo {
        path: PathBuf,
        secs: f32,
    },
    Play,
    Pause,
    TogglePause,
    Stop,
    /// Seek relative to the current position, in seconds.
    SeekBy(f64),
    SeekTo(f64),
    /// 0.0 – 1.5.
    SetVolume(f32),
    /// The ReplayGain scale of the track at `path` (1.0 = as it is): sent before that track is
    /// loaded or set as next, and whenever its gain changes (applied at once if it plays).
    SetGain {
        path: PathBuf,
        scale: f32,
    },
    Shutdown,
}

/// What the player reports.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerEvent {
    /// The output in use: a device, or silent playback.
    Output {
        silent: bool,
        detail: String,
    },
    /// A track started (after `Load`, or gaplessly after the previous one).
    Started {
        path: PathBuf,
        duration_secs: Option<f64>,
    },
    /// Position of the playing track (a few times a second while playing).
    Position {
        secs: f64,
    },
    /// The track ended and nothing was queued after it.
    Ended {
        path: PathBuf,
    },
    Paused(bool),
    Stopped,
    Error {
        path: PathBuf,
        message: String,
    },
}
