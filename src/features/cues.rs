//! Signal cues of "is this music at all", for the open-set rule.
//!
//! The trunk's embedding places speech close to rap (both are a voice in the 2–4 kHz band):
//! a real LibriSpeech reading lies inside the music by the Mahalanobis distance. Three cues
//! from the signal itself tell them apart, after the classic speech/music discriminators
//! (Scheirer & Slaney 1997):
//!
//! - **persistence**: music holds its spectrum (sustained notes, pads, chords); speech changes
//!   it with every phoneme. The mean cosine of the mean-removed log-mel frame with the frame
//!   ≈ 96 ms later.
//! - **pulse**: music has a beat; speech's syllables come at irregular times. The highest
//!   normalised autocorrelation of the spectral-flux envelope at lags of 0.3–1.5 s
//!   (40–200 beats per minute).
//! - **low energy**: speech pauses between words. The share of 20 ms frames below half the
//!   mean power of their second (averaged over the clip's seconds).
//!
//! Music has sustained sound or a beat; speech has neither and pauses. The score is
//! `persistence + pulse − ½ · low energy`; the open-set rule's floor on it is a low quantile
//! of held-out music (`genreplay calibrate`). The weights were chosen by hand on
//! gtzan-dev's music against speech (one real reading, nine synthesised voices in four
//! languages): see `models/MODEL_CARD.md`.

use serde::{Deserialize, Serialize};

use super::LogMel;

/// The cues of one clip (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MusicCues {
    pub persistence: f32,
    pub pulse: f32,
    pub low_energy: f32,
}

/// The lag at which spectral persistence is measured.
const PERSISTENCE_LAG_SECS: f64 = 0.096;
/// Beat periods looked for: 200 down to 40 beats per minute.
const PULSE_LAGS_SECS: (f64, f64) = (0.3, 1.5);

impl MusicCues {
    /// "Music-likeness": high for sustained or rhythmic sound, low for speech, noise and
    /// silence.
    pub fn score(&self) -> f32 {
        self.persistence + self.pulse - 0.5 * self.low_energy
    }

    /// The cues of `samples` (mono, at `sample_rate_hz`) and their log-mel spectrogram
    /// `mel` (`frames_per_sec` frames a second). `None` for a clip too short to measure
    /// (under a second) or when a number comes out non-finite.
    pub fn of(
        samples: &[f32],
        sample_rate_hz: u32,
        mel: &LogMel,
        frames_per_sec: f64,
    ) -> Option<MusicCues> {
        if sample_rate_hz == 0
            || samples.len() < sample_rate_hz as usize
            || mel.n_mels == 0
            || !frames_per_sec.is_finite()
            || frames_per_sec <= 0.0
        {
            return None;
        }
        let c = MusicCues {
            persistence: persistence(mel, frames_per_sec),
            pulse: pulse(mel, frames_per_sec),
            low_energy: low_energy(samples, sample_rate_hz),
        };
        (c.persistence.is_finite() && c.pulse.is_finite() && c.low_energy.is_finite()).then_some(c)
    }
}

/// Mean cosine between mean-removed log-mel frames `PERSISTENCE_LAG_SECS` apart.
fn persistence(mel: &LogMel, fps: f64) -> f32 {
    let nm = mel.n_mels;
    let frames = mel.frames.min(mel.data.len() / nm);
    let lag = ((PERSISTENCE_LAG_SECS * fps).round() as usize).max(1);
    if frames <= lag {
        return 0.0;
    }
    let centred = |f: usize| -> Vec<f32> {
        let row = &mel.data[f * nm..(f + 1) * nm];
        let m = row.iter().sum::<f32>() / nm as f32;
        row.iter().map(|x| x - m).collect()
    };
    let step = (lag / 2).max(1);
    let (mut sum, mut n) = (0.0f64, 0usize);
    for f in (0..frames - lag).step_by(step) {
        let (a, b) = (centred(f), centred(f + lag));
        let dot: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
        if na * nb > 1e-6 {
            sum += (dot / (na * nb)) as f64;
            n += 1;
        }
    }
    if n == 0 { 0.0 } else { (sum / n as f64) as f32 }
}

/// The strongest periodicity of the onset (positive spectral flux) envelope at beat lags.
fn pulse(mel: &LogMel, fps: f64) -> f32 {
    let nm = mel.n_mels;
    let frames = mel.frames.min(mel.data.len() / nm);
    if frames < 2 {
        return 0.0;
    }
    let flux: Vec<f32> = (1..frames)
        .map(|f| {
            let (prev, cur) = (
                &mel.data[(f - 1) * nm..f * nm],
                &mel.data[f * nm..(f + 1) * nm],
            );
            cur.iter().zip(prev).map(|(c, p)| (c - p).max(0.0)).sum()
        })
        .collect();
    let n = flux.len();
    let mean = flux.iter().sum::<f32>() / n as f32;
    let z: Vec<f32> = flux.iter().map(|x| x - mean).collect();
    let r0: f32 = z.iter().map(|x| x * x).sum();
    if r0 <= 1e-12 {
        return 0.0;
    }
    let lo = ((PULSE_LAGS_SECS.0 * fps).round() as usize).max(1);
    let hi = ((PULSE_LAGS_SECS.1 * fps).round() as usize).min(n / 2);
    (lo..hi)
        .map(|l| {
            let r: f32 = z.iter().zip(&z[l..]).map(|(a, b)| a * b).sum();
            // Unbiased: a lag sums over n − l products.
            r / r0 * n as f32 / (n - l) as f32
        })
        .fold(0.0f32, f32::max)
}

/// The mean, over the clip's seconds, of the share of 20 ms frames (10 ms apart) below half
/// that second's mean power. Digitally silent seconds are left out.
fn low_energy(samples: &[f32], rate: u32) -> f32 {
    let frame = (rate as usize / 50).max(1);
    let hop = (frame / 2).max(1);
    let power: Vec<f32> = (0..samples.len().saturating_sub(frame) / hop + 1)
        .map(|i| &samples[i * hop..(i * hop + frame).min(samples.len())])
        .map(|w| w.iter().map(|x| x * x).sum::<f32>() / w.len().max(1) as f32)
        .collect();
    let per_sec = (rate as usize / hop).max(1);
    let (mut sum, mut n) = (0.0f64, 0usize);
    for w in power.chunks(per_sec) {
        if w.len() < per_sec / 2 {
            continue;
        }
        let m = w.iter().sum::<f32>() / w.len() as f32;
        if m < 1e-9 {
            continue;
        }
        sum += (w.iter().filter(|&&p| p < 0.5 * m).count() as f64) / w.len() as f64;
        n += 1;
    }
    if n == 0 { 0.0 } else { (sum / n as f64) as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{Frontend, FrontendConfig};

    const RATE: u32 = 16_000;

    fn cues(samples: &[f32]) -> MusicCues {
        let cfg = FrontendConfig::musicnn();
        let fe = Frontend::new(&cfg);
        let mel = fe.log_mel(samples);
        MusicCues::of(samples, RATE, &mel, cfg.frames_per_sec()).unwrap()
    }

    /// A small deterministic noise source.
    fn noise(seed: &mut u64) -> f32 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        (*seed >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    }

    /// A held chord (sustained sound): persistent, no pauses.
    fn chord(secs: f32) -> Vec<f32> {
        (0..(secs * RATE as f32) as usize)
            .map(|i| {
                let t = i as f32 / RATE as f32;
                [220.0f32, 277.2, 329.6]
                    .iter()
                    .map(|f| 0.2 * (2.0 * std::f32::consts::PI * f * t).sin())
                    .sum()
            })
            .collect()
    }

    /// A drum loop at 120 beats a minute: noise bursts every 0.5 s.
    fn beat(secs: f32) -> Vec<f32> {
        let mut seed = 7u64;
        (0..(secs * RATE as f32) as usize)
            .map(|i| {
                let t = (i % (RATE as usize / 2)) as f32 / RATE as f32;
                0.6 * (-t * 30.0).exp() * noise(&mut seed)
            })
            .collect()
    }

    /// Speech-like: "syllables" of shifting formant noise at irregular times, with pauses.
    fn babble(secs: f32) -> Vec<f32> {
        let mut seed = 99u64;
        let n = (secs * RATE as f32) as usize;
        let mut out = vec![0.0f32; n];
        let mut i = 0usize;
        while i < n {
            let r = (noise(&mut seed) + 1.0) / 2.0;
            let len = (RATE as f32 * (0.08 + 0.2 * r)) as usize;
            let f0 = 300.0 + 2_000.0 * (noise(&mut seed) + 1.0) / 2.0;
            for k in 0..len.min(n - i) {
                let t = k as f32 / RATE as f32;
                let env = (std::f32::consts::PI * k as f32 / len as f32).sin();
                out[i + k] =
                    0.4 * env * (2.0 * std::f32::consts::PI * f0 * t).sin() * noise(&mut seed);
            }
            let gap = (RATE as f32 * (0.05 + 0.4 * (noise(&mut seed) + 1.0) / 2.0)) as usize;
            i += len + gap;
        }
        out
    }

    #[test]
    fn sustained_and_rhythmic_sound_scores_above_speech_like_babble() {
        let (c, b, s) = (cues(&chord(8.0)), cues(&beat(8.0)), cues(&babble(8.0)));
        assert!(c.persistence > 0.9, "{c:?}");
        assert!(b.pulse > 0.5, "{b:?}");
        assert!(s.low_energy > 0.3, "{s:?}");
        assert!(s.pulse < b.pulse && s.persistence < c.persistence, "{s:?}");
        assert!(
            s.score() < c.score() && s.score() < b.score(),
            "{s:?} {c:?} {b:?}"
        );
    }

    #[test]
    fn silence_and_too_short_clips_are_handled() {
        let s = cues(&vec![0.0; 5 * RATE as usize]);
        assert_eq!(s.score(), 0.0);
        let fe = Frontend::new(&FrontendConfig::musicnn());
        let short = vec![0.1; RATE as usize / 2];
        assert!(MusicCues::of(&short, RATE, &fe.log_mel(&short), 62.5).is_none());
    }
}
