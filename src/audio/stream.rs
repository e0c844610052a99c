//! What a stream may be (the bounds every decoder path checks before it sizes a buffer), why
//! a file does not decode ([`AudioError`], naming the file), and what was lost or repaired on
//! the way ([`Damage`]).

use std::path::{Path, PathBuf};

/// Lowest sample rate accepted (telephone audio is 8 kHz; below 1 kHz a header is garbage).
pub const MIN_RATE_HZ: u32 = 1_000;
/// Highest sample rate accepted (DXD and 768 kHz DACs exist; above is garbage).
pub const MAX_RATE_HZ: u32 = 768_000;
/// Most channels accepted.
pub const MAX_CHANNELS: usize = 32;
/// Most bits per sample accepted.
pub const MAX_BITS: u32 = 64;
/// Most frames a decoder may announce per packet (FLAC's largest block is 65 535; ADPCM blocks
/// reach ≈130 000 frames).
pub const MAX_PACKET_FRAMES: u64 = 1 << 18;
/// Decoded samples beyond ±this are clipped (and counted): no real audio is 36 dB over full
/// scale, and beyond ~1e15 the analysis' power spectra overflow `f32`.
pub const MAX_SAMPLE_MAGNITUDE: f32 = 64.0;
/// A stream ends after this many packets in a row without audio.
pub const MAX_BARREN_PACKETS: usize = 20_000;
/// [`super::decode::AudioFile::decode_mono`] without a length decodes at most this much.
pub const MAX_WHOLE_DECODE_SECS: f64 = 20.0 * 60.0;
/// A header may not declare more audio than this many frames per byte of file (≈ 32 bit/s of
/// compressed audio per channel at 8 kHz; real codecs need far more).
const MAX_FRAMES_PER_BYTE: u64 = 2_000;

/// Why a file could not be decoded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("{}: cannot open: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a regular file: {kind}", path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{}: empty file (0 bytes)", path.display())]
    Empty { path: PathBuf },
    #[error("{}: not a recognised audio file ({reason})", path.display())]
    Unrecognised { path: PathBuf, reason: String },
    #[error("{}: unsupported format: {format}", path.display())]
    UnsupportedFormat { path: PathBuf, format: String },
    #[error("{}: unsupported codec: {codec}", path.display())]
    UnsupportedCodec { path: PathBuf, codec: String },
    #[error("{}: no audio track", path.display())]
    NoTrack { path: PathBuf },
    /// A CUE sheet's track whose sheet no longer holds (the sheet's error names it).
    #[error("{}: {sheet}", path.display())]
    Cue {
        path: PathBuf,
        sheet: super::cue::CueError,
    },
    #[error("{}: corrupt header: {reason}", path.display())]
    BadStream { path: PathBuf, reason: String },
    #[error("{}: decoding failed: {reason}", path.display())]
    Decode { path: PathBuf, reason: String },
    #[error("{}: no audio could be decoded (truncated or corrupt file)", path.display())]
    NoAudio { path: PathBuf },
    #[error("{}: truncated or corrupt: decoded {decoded_secs:.1} s where the file declares {expected_secs:.1} s", path.display())]
    Truncated {
        path: PathBuf,
        decoded_secs: f64,
        expected_secs: f64,
    },
    #[error("{}: analysis failed: {reason}", path.display())]
    Analysis { path: PathBuf, reason: String },
    #[error("{}: internal error while decoding (the file is probably corrupt): {reason}", path.display())]
    Internal { path: PathBuf, reason: String },
}

impl AudioError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            AudioError::Open { path, .. }
            | AudioError::NotRegular { path, .. }
            | AudioError::Empty { path }
            | AudioError::Unrecognised { path, .. }
            | AudioError::UnsupportedFormat { path, .. }
            | AudioError::UnsupportedCodec { path, .. }
            | AudioError::NoTrack { path }
            | AudioError::Cue { path, .. }
            | AudioError::BadStream { path, .. }
            | AudioError::Decode { path, .. }
            | AudioError::NoAudio { path }
            | AudioError::Truncated { path, .. }
            | AudioError::Analysis { path, .. }
            | AudioError::Internal { path, .. } => path,
        }
    }
}

/// Checks the stream parameters a container declares (or a decoder reports): the one place
/// that decides what is plausible, used by every decoder path before it sizes a buffer.
/// Unknown (`None`) values pass; they are checked again once the decoder reports them.
pub fn validate_stream(
    path: &Path,
    rate_hz: Option<f64>,
    channels: Option<u64>,
    bits: Option<u32>,
) -> Result<(), AudioError> {
    let bad = |reason: String| {
        Err(AudioError::BadStream {
            path: path.to_path_buf(),
            reason,
        })
    };
    if let Some(r) = rate_hz
        && !(r.is_finite() && r >= MIN_RATE_HZ as f64 && r <= MAX_RATE_HZ as f64)
    {
        return bad(format!(
            "implausible sample rate {r} Hz (expected {MIN_RATE_HZ}–{MAX_RATE_HZ} Hz)"
        ));
    }
    if let Some(c) = channels
        && !(1..=MAX_CHANNELS as u64).contains(&c)
    {
        return bad(format!(
            "implausible channel count {c} (expected 1–{MAX_CHANNELS})"
        ));
    }
    if let Some(b) = bits
        && !(1..=MAX_BITS).contains(&b)
    {
        return bad(format!("implausible bit depth {b} (expected 1–{MAX_BITS})"));
    }
    Ok(())
}

/// The frame count to believe: the declared one, cut to what `file_len` bytes can hold
/// (`frame_bytes` per frame for uncompressed audio, a generous bound otherwise).
pub fn plausible_frames(declared: u64, file_len: u64, frame_bytes: Option<u64>) -> u64 {
    let max = match frame_bytes {
        Some(b) if b > 0 => file_len / b,
        _ => file_len.saturating_mul(MAX_FRAMES_PER_BYTE),
    };
    declared.min(max)
}

/// What was lost or repaired while decoding a file: the reason a track is "partial".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Damage {
    /// Packets that failed to decode and were skipped.
    pub skipped_packets: usize,
    /// NaN or infinite samples replaced with silence.
    pub nonfinite_samples: u64,
    /// Samples beyond ±[`MAX_SAMPLE_MAGNITUDE`] clipped.
    pub clipped_samples: u64,
    /// Why decoding stopped before the end of the stream.
    pub ended_early: Option<String>,
    /// The header declared this many bytes of audio, the file holds the second.
    pub length_mismatch: Option<(u64, u64)>,
    /// Decoded only `.0` seconds where the file declares `.1` (set by the clip loader).
    pub truncated: Option<(f64, f64)>,
    /// The stream ends before the length it declares (this many seconds); how much earlier is
    /// not known (found by probing the end).
    pub missing_end: Option<f64>,
    /// The container's structure shows the file is cut off (see [`super::container`]).
    pub cut_off: Option<String>,
    /// Seconds of audio the format reader stepped over (damaged stretches it resynchronised
    /// after, found as jumps in the packets' timestamps).
    pub lost_secs: f64,
}

impl Damage {
    pub fn is_damaged(&self) -> bool {
        *self != Damage::default()
    }

    /// What is wrong, in words; `None` when nothing is.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(why) = &self.cut_off {
            parts.push(why.clone());
        }
        if let Some((got, want)) = self.truncated {
            parts.push(format!(
                "truncated: {got:.1} s of the declared {want:.1} s could be decoded"
            ));
        }
        if let Some(want) = self.missing_end {
            parts.push(format!(
                "truncated: the stream ends before its declared {}",
                crate::util::time::fmt_time(want)
            ));
        }
        if let Some(why) = &self.ended_early {
            parts.push(format!("the stream ends early ({why})"));
        }
        if let Some((declared, real)) = self.length_mismatch {
            parts.push(format!(
                "the header declares {declared} bytes of audio, the file holds {real}"
            ));
        }
        if self.lost_secs >= 0.05 {
            parts.push(format!("{:.1} s of damaged audio skipped", self.lost_secs));
        }
        if self.skipped_packets > 0 {
            parts.push(format!(
                "{} undecodable packet{} skipped",
                self.skipped_packets,
                if self.skipped_packets == 1 { "" } else { "s" }
            ));
        }
        if self.nonfinite_samples > 0 {
            parts.push(format!(
                "{} NaN/infinite sample{} replaced with silence",
                self.nonfinite_samples,
                if self.nonfinite_samples == 1 { "" } else { "s" }
            ));
        }
        if self.clipped_samples > 0 {
            parts.push(format!(
                "{} out-of-range sample{} clipped",
                self.clipped_samples,
                if self.clipped_samples == 1 { "" } else { "s" }
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::codecs::pcm_sample_bytes;

    #[test]
    fn stream_validation_bounds() {
        let p = Path::new("/x.wav");
        assert!(validate_stream(p, Some(44_100.0), Some(2), Some(16)).is_ok());
        assert!(validate_stream(p, None, None, None).is_ok());
        for (rate, ch, bits) in [
            (Some(0.0), None, None),
            (Some(1.0), None, None),
            (Some(4_294_967_295.0), None, None),
            (Some(f64::NAN), None, None),
            (None, Some(0), None),
            (None, Some(200), None),
            (None, None, Some(0)),
            (None, None, Some(65)),
        ] {
            let e = validate_stream(p, rate, ch, bits).unwrap_err().to_string();
            assert!(e.starts_with("/x.wav: corrupt header: implausible"), "{e}");
        }
    }

    #[test]
    fn frame_counts_are_bounded_by_the_file() {
        assert_eq!(plausible_frames(1000, 4000, Some(4)), 1000);
        assert_eq!(plausible_frames(u64::MAX, 4000, Some(4)), 1000);
        assert_eq!(
            plausible_frames(u64::MAX, 10, None),
            10 * MAX_FRAMES_PER_BYTE
        );
    }

    #[test]
    fn damage_reads_well() {
        assert_eq!(Damage::default().describe(), None);
        let d = Damage {
            nonfinite_samples: 1,
            skipped_packets: 3,
            ..Default::default()
        };
        assert_eq!(
            d.describe().unwrap(),
            "3 undecodable packets skipped; 1 NaN/infinite sample replaced with silence"
        );
        assert_eq!(
            pcm_sample_bytes(symphonia::core::codecs::CODEC_TYPE_PCM_S24LE),
            Some(3)
        );
        assert_eq!(
            pcm_sample_bytes(symphonia::core::codecs::CODEC_TYPE_PCM_F64BE),
            Some(8)
        );
        assert_eq!(
            pcm_sample_bytes(symphonia::core::codecs::CODEC_TYPE_PCM_MULAW),
            Some(1)
        );
        assert_eq!(
            pcm_sample_bytes(symphonia::core::codecs::CODEC_TYPE_FLAC),
            None
        );
    }
}
