//! Audio in: decoding, resampling, the analysis clip. Playback lives in `player`.

pub mod au;
pub mod clip;
pub mod decode;
pub mod player;
pub mod resample;

use std::path::Path;

/// File extensions the library and training treat as audio (case-insensitive). Files with
/// these extensions that symphonia cannot decode (e.g. Opus) are reported, not hidden.
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "mp3", "flac", "ogg", "oga", "opus", "wav", "wave", "m4a", "m4b", "mp4", "aac", "alac", "aif",
    "aiff", "aifc", "mka", "webm", "caf", "au", "snd",
];

/// True when `path` has an audio file extension.
pub fn is_audio_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)))
}
