//! Loudness of decoded audio (EBU R128 integrated loudness and the sample peak) with the
//! `ebur128` crate: the ReplayGain estimate of a track without gain tags, measured on the
//! analysis clip while it is decoded (interleaved, at the file's own rate, before the downmix),
//! so no second decode is needed.
//!
//! Channels follow libebur128's default map (1: left only, 2: left/right, 5/6: with centre,
//! surrounds and an unused LFE): a mono file is one channel, so a 1 kHz sine at −20 dBFS
//! reads about −23 LUFS, and a stereo one at −23 dBFS per channel −23 LUFS (EBU Tech 3341).

use serde::{Deserialize, Serialize};

/// A measured loudness.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Loudness {
    /// Integrated loudness, LUFS.
    pub lufs: f32,
    /// Highest absolute sample value of what was measured (linear, 1.0 = full scale).
    pub peak: f32,
    /// Seconds of audio measured.
    pub secs: f32,
}

/// Less audio than this has no integrated loudness worth keeping (one gating block is 0.4 s).
pub const MIN_MEASURED_SECS: f64 = 1.0;

/// Measures loudness chunk by chunk.
pub struct Meter {
    inner: ebur128::EbuR128,
    channels: usize,
    rate: u32,
    frames: u64,
    peak: f32,
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meter")
            .field("channels", &self.channels)
            .field("rate", &self.rate)
            .field("frames", &self.frames)
            .finish()
    }
}

impl Meter {
    /// A meter for `channels` interleaved channels at `rate` Hz; `None` when the meter cannot
    /// take that layout (it takes 1–64 channels, 16 Hz – 2.8 MHz).
    pub fn new(channels: usize, rate: u32) -> Option<Self> {
        let c = u32::try_from(channels).ok().filter(|c| *c > 0)?;
        let inner = ebur128::EbuR128::new(c, rate, ebur128::Mode::I).ok()?;
        Some(Meter {
            inner,
            channels,
            rate,
            frames: 0,
            peak: 0.0,
        })
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Adds interleaved frames (a trailing partial frame is ignored).
    pub fn add(&mut self, interleaved: &[f32]) {
        let whole = interleaved.len() / self.channels * self.channels;
        let frames = &interleaved[..whole];
        if frames.is_empty() {
            return;
        }
        if self.inner.add_frames_f32(frames).is_ok() {
            self.frames += (whole / self.channels) as u64;
            for s in frames {
                let a = s.abs();
                if a > self.peak {
                    self.peak = a;
                }
            }
        }
    }

    /// The loudness of everything added; `None` for less than [`MIN_MEASURED_SECS`] or
    /// silence (no gating block above −70 LUFS).
    pub fn finish(&self) -> Option<Loudness> {
        let secs = self.frames as f64 / self.rate.max(1) as f64;
        if secs < MIN_MEASURED_SECS {
            return None;
        }
        let lufs = self.inner.loudness_global().ok()?;
        (lufs.is_finite() && lufs > -70.0 && lufs < 30.0).then_some(Loudness {
            lufs: lufs as f32,
            peak: self.peak,
            secs: secs as f32,
        })
    }
}

/// The loudness of interleaved `samples` (`channels` at `rate` Hz).
pub fn measure(samples: &[f32], channels: usize, rate: u32) -> Option<Loudness> {
    let mut m = Meter::new(channels, rate)?;
    m.add(samples);
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, amp: f32, rate: u32, secs: f32, channels: usize) -> Vec<f32> {
        let n = (rate as f32 * secs) as usize;
        (0..n)
            .flat_map(|i| {
                let v = amp * (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin();
                std::iter::repeat_n(v, channels)
            })
            .collect()
    }

    #[test]
    fn ebu_3341_sine_levels() {
        // EBU Tech 3341 case 1: a stereo 1 kHz sine at −23 dBFS per channel is −23.0 LUFS.
        let amp = 10f32.powf(-23.0 / 20.0);
        let l = measure(&sine(1000.0, amp, 48_000, 20.0, 2), 2, 48_000).unwrap();
        assert!((l.lufs + 23.0).abs() < 0.1, "{l:?}");
        assert!((l.peak - amp).abs() < 1e-3);
        // Mono (one channel) at −20 dBFS: also about −23 LUFS, at another rate.
        let amp = 10f32.powf(-20.0 / 20.0);
        let l = measure(&sine(1000.0, amp, 44_100, 10.0, 1), 1, 44_100).unwrap();
        assert!((l.lufs + 23.0).abs() < 0.15, "{l:?}");
        // 10 dB down reads 10 dB less.
        let q = measure(
            &sine(1000.0, amp * 10f32.powf(-0.5), 44_100, 10.0, 1),
            1,
            44_100,
        )
        .unwrap();
        assert!((l.lufs - q.lufs - 10.0).abs() < 0.05, "{l:?} {q:?}");
    }

    #[test]
    fn silence_and_short_clips_have_no_loudness() {
        assert_eq!(measure(&vec![0.0; 48_000 * 5], 1, 48_000), None);
        assert_eq!(measure(&sine(1000.0, 0.5, 48_000, 0.5, 1), 1, 48_000), None);
        assert!(Meter::new(0, 48_000).is_none());
        assert!(Meter::new(2, 0).is_none());
    }
}
