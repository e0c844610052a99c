//! The analysis clip: ~60 s around the one-minute mark (the middle for tracks under 90 s, the
//! whole track when it is shorter than the clip), decoded by seeking, resampled to the model's
//! rate, and repeat-padded when it is shorter than one segment.

use std::path::Path;

use super::decode::{AudioError, AudioFile, Damage, MonoAudio};
use super::guard;
use super::loudness::Loudness;
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

/// A damaged file is analysed from whatever decodes, when at least this much does (a few
/// samples of a cut-off header are no track).
pub const MIN_PARTIAL_SECS: f64 = 0.1;

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
    /// What was lost or repaired while decoding.
    pub damage: Damage,
    /// The loudness of the decoded clip (all channels, the file's rate, before padding), when
    /// it could be measured: the ReplayGain estimate of a track without gain tags.
    pub loudness: Option<Loudness>,
}

impl Clip {
    /// Why the track is "partial" (analysed from what could be decoded), if it is.
    pub fn partial(&self) -> Option<String> {
        self.damage.describe()
    }
}

/// Decodes the analysis clip of `path` as `spec` asks.
///
/// One policy for damaged files: whatever decodes is used. A file that decodes to less than
/// its header declares is analysed from the audio that is there (the window is placed on the
/// real length, and repeat-padded like any short track) and marked partial with the reason;
/// only when less than [`MIN_PARTIAL_SECS`] decodes is it an error. A panic inside a decoder is an error for this
/// file only.
pub fn load_clip(path: &Path, spec: &ClipSpec) -> Result<Clip, AudioError> {
    match guard::catch(|| load_clip_inner(path, spec)) {
        Ok(r) => r,
        Err(reason) => Err(AudioError::Internal {
            path: path.to_path_buf(),
            reason: reason.0,
        }),
    }
}

/// Decodes from the start as far as a window could reach and cuts the window out of what
/// decoded: for files of unknown or untrue length.
fn decode_from_start(
    path: &Path,
    file: &mut AudioFile,
    spec: &ClipSpec,
    reach: f64,
) -> Result<(MonoAudio, ClipWindow, f64), AudioError> {
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
    if a >= b {
        return Err(AudioError::NoAudio {
            path: path.to_path_buf(),
        });
    }
    let mut cut = audio;
    cut.samples.truncate(b);
    cut.samples.drain(..a);
    cut.start_secs = w.start_secs;
    Ok((cut, w, decoded_secs))
}

fn load_clip_inner(path: &Path, spec: &ClipSpec) -> Result<Clip, AudioError> {
    let mut file = AudioFile::open(path)?;
    file.measure_loudness();
    let info = file.info();
    // The loudness of the audio the clip is made of (from the file that decoded it).
    let mut loudness = None;
    let (mut audio, window) = match info.duration_secs {
        Some(track_secs) if track_secs > 0.0 => {
            let (a, w, again) = decode_window(path, &mut file, spec, track_secs)?;
            loudness = again;
            (a, w)
        }
        _ => {
            // Unknown length: decode as far as a full window could reach, then cut.
            let reach = spec.centre_secs + spec.clip_secs / 2.0;
            let (a, w, _) = decode_from_start(path, &mut file, spec, reach)?;
            (a, w)
        }
    };
    let loudness = loudness.unwrap_or_else(|| file.loudness());
    refuse_junk(path, &audio)?;
    // Cut off after the window? Probe the declared end (one packet) so the track is marked.
    if let Some(track_secs) = info.duration_secs
        && audio.damage.truncated.is_none()
        && track_secs > window.start_secs + window.len_secs + 5.0
    {
        let probe_at = track_secs * 0.98 - 2.0;
        if !file.reaches(probe_at) {
            audio.damage.missing_end = Some(track_secs);
        }
    }
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
        damage: audio.damage,
        loudness,
    })
}

/// The clip's window of a file whose header says it lasts `track_secs`, decoded by seeking
/// there. When the stream holds less than the header promised (a cut-off or damaged file),
/// the window is placed on the audio that is really there and the clip marked truncated —
/// decoded again from the start by a second reader, whose loudness is then the clip's
/// (returned; `None`: `file`'s).
fn decode_window(
    path: &Path,
    file: &mut AudioFile,
    spec: &ClipSpec,
    track_secs: f64,
) -> Result<(MonoAudio, ClipWindow, Option<Option<Loudness>>), AudioError> {
    let w = clip_window(track_secs, spec.clip_secs, spec.centre_secs);
    let audio = match file.decode_mono(w.start_secs, Some(w.len_secs)) {
        Ok(a) => Some(a),
        // Nothing where the header says the window is: maybe nothing at all.
        Err(AudioError::NoAudio { .. }) if w.start_secs > 0.0 => None,
        Err(e) => return Err(e),
    };
    let decoded_secs = audio
        .as_ref()
        .map_or(0.0, |a| a.samples.len() as f64 / a.sample_rate_hz as f64);
    if decoded_secs >= 0.9 * w.len_secs - 0.05 {
        return match audio {
            Some(a) => Ok((a, w, None)),
            None => Err(truncated(path, 0.0, track_secs)),
        };
    }
    // The container promised more than the stream holds: a cut-off or damaged file.
    if w.start_secs > 0.0 {
        // Place the window on the audio that is really there.
        let mut again = AudioFile::open(path)?;
        again.measure_loudness();
        let reach = w.start_secs + w.len_secs;
        let decoded = decode_from_start(path, &mut again, spec, reach);
        let loudness = Some(again.loudness());
        match decoded {
            Ok((mut a, w2, real)) => {
                if real < MIN_PARTIAL_SECS {
                    return Err(truncated(path, real, track_secs));
                }
                a.damage.truncated = Some((real, track_secs));
                Ok((a, w2, loudness))
            }
            Err(AudioError::NoAudio { .. }) => Err(truncated(path, 0.0, track_secs)),
            Err(e) => Err(e),
        }
    } else {
        let Some(mut a) = audio else {
            return Err(truncated(path, 0.0, track_secs));
        };
        if decoded_secs < MIN_PARTIAL_SECS {
            return Err(truncated(path, decoded_secs, track_secs));
        }
        a.damage.truncated = Some((decoded_secs, track_secs));
        let w2 = ClipWindow {
            start_secs: 0.0,
            len_secs: decoded_secs,
        };
        Ok((a, w2, None))
    }
}

/// A file whose decoded samples are mostly NaN/Inf (or absurdly loud: 36 dB over full
/// scale) holds no audio, whatever its header says.
fn refuse_junk(path: &Path, audio: &MonoAudio) -> Result<(), AudioError> {
    let junk = audio.damage.nonfinite_samples + audio.damage.clipped_samples;
    if junk * 2 > audio.decoded_samples.max(1) {
        return Err(AudioError::Decode {
            path: path.to_path_buf(),
            reason: format!(
                "{junk} of {} decoded samples are {}: not audio",
                audio.decoded_samples,
                if audio.damage.clipped_samples == 0 {
                    "NaN or infinite"
                } else if audio.damage.nonfinite_samples == 0 {
                    "far beyond full scale"
                } else {
                    "NaN, infinite or far beyond full scale"
                }
            ),
        });
    }
    Ok(())
}

fn truncated(path: &Path, decoded_secs: f64, expected_secs: f64) -> AudioError {
    AudioError::Truncated {
        path: path.to_path_buf(),
        decoded_secs,
        expected_secs,
    }
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
