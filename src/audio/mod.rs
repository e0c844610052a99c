//! Audio in: decoding, resampling, the analysis clip. Playback lives in `player`.

pub mod au;
pub mod clip;
pub mod codecs;
pub mod container;
pub mod crossfade;
pub mod cue;
pub mod decode;
pub mod gain;
pub mod guard;
pub mod header;
pub mod loudness;
pub mod player;
pub mod resample;
pub mod scope;
pub mod spectrum;
pub mod stream;
pub mod synth;

use std::path::Path;

/// File extensions the library and training treat as audio (case-insensitive). Files with
/// these extensions that cannot be decoded (e.g. an unknown codec inside) are reported, not
/// hidden; so are
/// the formats in [`header::UNSUPPORTED_EXTENSIONS`] (WavPack, WMA, APE, …), which
/// [`is_audio_path`] also accepts so a scan lists them as failed with the format's name.
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "mp3", "mp2", "mp1", "mpa", "flac", "ogg", "oga", "opus", "wav", "wave", "m4a", "m4b", "mp4",
    "aac", "alac", "aif", "aiff", "aifc", "mka", "webm", "au", "snd",
];

/// True when `path` has an audio file extension (decodable or known by name).
pub fn is_audio_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)))
        || header::unsupported_by_extension(path).is_some()
}
