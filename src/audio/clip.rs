//! The analysis clip: ~60 s around the one-minute mark (the middle for tracks under 90 s, the
//! whole track when it is shorter than the clip), decoded by seeking, resampled to the model's
//! rate, and repeat-padded when it is shorter than one segment.

use std::path::Path;

use super::decode::{AudioError, AudioFile};
use super::resample::resample_mono;

/// Where the clip sits in the track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipWindow {
    pub start_secs: f64,
    pub len_secs: f64,
}

/// The clip window for a track of `track_secs`: `clip_secs` long, centred on `centre_secs` when
/// the track is long enough to hold the clip on both sides of it (`track ≥ centre + clip/2`),
/// centred on the middle otherwise, and the whole track when it is shorter than the clip.
pub fn clip_window(track_secs: f64, clip_secs: f64, centre_secs: f64) -> ClipWindow {
    let half = clip_secs / 2.0;
    if track_secs <= clip_secs {
        return ClipWindow {
            start_secs: 0.0,
            len_secs: track_secs.max(0.0),
        };
    }
    let centre = if track_secs >= centre_secs + half && centre_secs >= half {
        centre_secs
    } else {
        track_secs / 2.0
    };
    ClipWindow {
        start_secs: (centre - half).max(0.0),
        len_secs: clip_secs,
    }
}

/// Repeats `samples` until there are at least `min_len`.
pub fn repeat_pad(samples: &mut Vec<f32>, min_len: usize) {
    if samples.is_empty() || samples.len() >= min_len {
        return;
    }
    let original = samples.clone();
    while samples.len() < min_len {
        let need = min_len - samples.len();
        samples.extend_from_slice(&original[..need.min(original.len())]);
    }
}

/// What the clip loader needs from the model's configuration.
#[derive(Debug, Clone, Copy)]
pub struct ClipSpec {
    pub sample_rate_hz: u32,
    pub clip_secs: f64,
    pub centre_secs: f64,
    /// Minimum clip length in samples (one segment); shorter clips are repeat-padded.
    pub min_samples: usize,
}

/// A decoded, resampled clip.
#[derive(Debug, Clone)]
pub struct Clip {
    pub samples: Vec<f32>,
    pub sample_rate_hz: u32,
    pub window: ClipWindow,
    pub track_secs: Option<f64>,
    pub skipped_packets: usize,
    /// True when the clip was repeat-padded to reach one segment.
    pub padded: bool,
}

/// Decodes the analysis clip of `path` as `spec` asks.
pub fn load_clip(path: &Path, spec: &ClipSpec) -> Result<Clip, AudioError> {
    let mut file = AudioFile::open(path)?;
    let info = file.info();
    let (audio, window) = match info.duration_secs {
        Some(track_secs) if track_secs > 0.0 => {
            let w = clip_window(track_secs, spec.clip_secs, spec.centre_secs);
            let audio = file.decode_mono(w.start_secs, Some(w.len_secs))?;
            let decoded_secs = audio.samples.len() as f64 / audio.sample_rate_hz as f64;
            // The container promised more than the stream holds: a cut-off or damaged file.
            if decoded_secs < 0.9 * w.len_secs - 0.05 {
                return Err(AudioError::Truncated {
                    path: path.to_path_buf(),
                    decoded_secs: w.start_secs + decoded_secs,
                    expected_secs: track_secs,
                });
            }
            (audio, w)
        }
        _ => {
            // Unknown length: decode as far as a full window could reach, then cut.
            let reach = spec.centre_secs + spec.clip_secs / 2.0;
            let audio = file.decode_mono(0.0, Some(reach))?;
            let decoded_secs = audio.samples.len() as f64 / audio.sample_rate_hz as f64;
            let w = if decoded_secs >= reach {
                clip_window(reach, spec.clip_secs, spec.centre_secs)
            } else {
                clip_window(decoded_secs, spec.clip_secs, spec.centre_secs)
            };
            let sr = audio.sample_rate_hz as f64;
            let a = ((w.start_secs * sr) as usize).min(audio.samples.len());
            let b = (((w.start_secs + w.len_secs) * sr).ceil() as usize).min(audio.samples.len());
            let mut cut = audio.clone();
            cut.samples = audio.samples[a..b].to_vec();
            (cut, w)
        }
    };
    let mut samples = resample_mono(&audio.samples, audio.sample_rate_hz, spec.sample_rate_hz)
        .map_err(|e| AudioError::Decode {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    let padded = samples.len() < spec.min_samples;
    repeat_pad(&mut samples, spec.min_samples);
    if samples.is_empty() {
        return Err(AudioError::NoAudio {
            path: path.to_path_buf(),
        });
    }
    Ok(Clip {
        samples,
        sample_rate_hz: spec.sample_rate_hz,
        window,
        track_secs: audio.track_secs,
        skipped_packets: audio.skipped_packets,
        padded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_track_clip_is_centred_on_one_minute() {
        let w = clip_window(240.0, 60.0, 60.0);
        assert_eq!(
            w,
            ClipWindow {
                start_secs: 30.0,
                len_secs: 60.0
            }
        );
    }

    #[test]
    fn track_under_90s_is_centred_on_its_middle() {
        let w = clip_window(80.0, 60.0, 60.0);
        assert_eq!(
            w,
            ClipWindow {
                start_secs: 10.0,
                len_secs: 60.0
            }
        );
        let w = clip_window(89.0, 60.0, 60.0);
        assert!((w.start_secs - 14.5).abs() < 1e-9);
    }

    #[test]
    fn track_shorter_than_clip_is_whole() {
        let w = clip_window(30.0, 60.0, 60.0);
        assert_eq!(
            w,
            ClipWindow {
                start_secs: 0.0,
                len_secs: 30.0
            }
        );
        let w = clip_window(0.0, 60.0, 60.0);
        assert_eq!(w.len_secs, 0.0);
    }

    #[test]
    fn repeat_pad_repeats_the_signal() {
        let mut x = vec![1.0, 2.0, 3.0];
        repeat_pad(&mut x, 8);
        assert_eq!(x, vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0]);
        let mut long = vec![0.0; 10];
        repeat_pad(&mut long, 5);
        assert_eq!(long.len(), 10);
        let mut empty: Vec<f32> = vec![];
        repeat_pad(&mut empty, 5);
        assert!(empty.is_empty());
    }
}
