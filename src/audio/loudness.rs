//! Loudness of decoded audio (EBU R128 integrated loudness, ITU-R BS.1770, and the sample
//! peak): the ReplayGain estimate of a track without gain tags, measured on the analysis clip
//! while it is decoded (interleaved, at the file's own rate, before the downmix), so no second
//! decode is needed.
//!
//! Channels follow libebur128's default map (1: left only, 2: left/right, 5/6: with centre,
//! surrounds weighted 1.41 and an unused LFE; channels past the sixth are not counted): a mono
//! file is one channel, so a 1 kHz sine at −20 dBFS reads about −23 LUFS, and a stereo one at
//! −23 dBFS per channel −23 LUFS (EBU Tech 3341).
//!
//! Our own meter rather than the `ebur128` crate: that one filters each channel on its own with
//! a serial chain and sums every sample's square four times (once per overlapping 400 ms
//! block); here the channels are filtered side by side with short dependency chains and each
//! sample is squared once into its 100 ms sub-block, so measuring a 60 s stereo clip costs a
//! few milliseconds instead of ≈ 30 (a sixth of a track's analysis). The result is the same
//! measurement (gating blocks of 400 ms every 100 ms, −70 LUFS absolute and −10 LU relative
//! gates), within 1e-5 LU of the crate's on the real clips of `../shared/data`.

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

/// The channel counts and rates a meter takes.
const MAX_CHANNELS: usize = 64;
const RATES_HZ: std::ops::RangeInclusive<u32> = 16..=2_822_400;

/// BS.1770's absolute gate, and its relative gate below the mean of what passes it.
const ABSOLUTE_GATE_LUFS: f64 = -70.0;
const RELATIVE_GATE_LU: f64 = -10.0;

/// A filter state below this is silence (an amplitude of −400 dBFS): flushed to zero so a
/// decaying tail never runs on subnormal numbers.
const FLUSH_BELOW: f64 = 1e-20;

/// One second-order section, `a0` normalised to 1, run as direct form I.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
}

/// BS.1770's K-weighting at `rate` Hz: the high shelf that models the head (+4 dB above
/// ≈ 1.7 kHz), then the revised low-frequency B-curve high-pass (≈ 38 Hz), both by the
/// bilinear transform from the standard's analogue parameters (at 48 kHz they are the
/// standard's published coefficients).
fn k_weighting(rate: u32) -> [Biquad; 2] {
    let pi_over_rate = std::f64::consts::PI / rate as f64;
    // High shelf: centre 1681.97 Hz, gain 4.0 dB, Q 0.7072.
    let (f0, gain_db, q) = (1681.974450955533, 3.999843853973347, 0.7071752369554196);
    let k = (pi_over_rate * f0).tan();
    let vh = 10f64.powf(gain_db / 20.0);
    let vb = vh.powf(0.4996667741545416);
    let a0 = 1.0 + k / q + k * k;
    let shelf = Biquad {
        b: [
            (vh + vb * k / q + k * k) / a0,
            2.0 * (k * k - vh) / a0,
            (vh - vb * k / q + k * k) / a0,
        ],
        a: [2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0],
    };
    // High-pass: 38.14 Hz, Q 0.5003 (its numerator is 1, −2, 1 at every rate, as in the
    // standard's table).
    let (f0, q) = (38.13547087602444, 0.5003270373238773);
    let k = (pi_over_rate * f0).tan();
    let a0 = 1.0 + k / q + k * k;
    let high_pass = Biquad {
        b: [1.0, -2.0, 1.0],
        a: [2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0],
    };
    [shelf, high_pass]
}

/// The weight of channel `c` in the sum (libebur128's default map).
fn channel_weight(c: usize) -> f64 {
    match c {
        0..=2 => 1.0,
        4 | 5 => 1.41,
        _ => 0.0,
    }
}

/// One channel's filter memory: `[x₁, x₂, y₁, y₂]` of the shelf, then of the high-pass.
type ChannelState = [[f64; 4]; 2];

/// The filter memory of `C` channels side by side (`s[section][which][channel]`), so the
/// channels' arithmetic runs in the same vector instructions.
#[derive(Debug, Clone, Copy)]
struct Bank<const C: usize> {
    s: [[[f64; C]; 4]; 2],
}

impl<const C: usize> Bank<C> {
    fn load(states: &[ChannelState]) -> Self {
        let mut s = [[[0.0; C]; 4]; 2];
        for (c, st) in states.iter().enumerate().take(C) {
            for (sec, vals) in st.iter().enumerate() {
                for (i, &v) in vals.iter().enumerate() {
                    s[sec][i][c] = v;
                }
            }
        }
        Bank { s }
    }

    /// Writes the memory back, flushing what is silence to zero.
    fn store(&self, states: &mut [ChannelState]) {
        for (c, st) in states.iter_mut().enumerate().take(C) {
            for (sec, vals) in st.iter_mut().enumerate() {
                for (i, v) in vals.iter_mut().enumerate() {
                    let x = self.s[sec][i][c];
                    *v = if x.abs() < FLUSH_BELOW { 0.0 } else { x };
                }
            }
        }
    }

    /// Filters one frame through both sections.
    #[inline(always)]
    fn step(&mut self, k: &[Biquad; 2], x: [f64; C]) -> [f64; C] {
        let mut v = x;
        for (st, f) in self.s.iter_mut().zip(k) {
            let [x1, x2, y1, y2] = *st;
            let mut y = [0.0; C];
            for c in 0..C {
                // The feed-forward part and the older output first: only the last term waits
                // for the previous sample's output.
                let t = f.b[0] * v[c] + f.b[1] * x1[c] + f.b[2] * x2[c] - f.a[1] * y2[c];
                y[c] = t - f.a[0] * y1[c];
            }
            *st = [v, x1, y, y1];
            v = y;
        }
        v
    }
}

/// Measures loudness chunk by chunk.
#[derive(Debug, Clone)]
pub struct Meter {
    channels: usize,
    rate: u32,
    filter: [Biquad; 2],
    weights: Vec<f64>,
    state: Vec<ChannelState>,
    /// Frames per 100 ms sub-block, and the weighted sum of squares of the one being filled.
    sub_frames: usize,
    sub_fill: usize,
    sub_energy: f64,
    /// Weighted sums of squares of the finished sub-blocks.
    subs: Vec<f64>,
    frames: u64,
    peak: f32,
}

impl Meter {
    /// A meter for `channels` interleaved channels at `rate` Hz; `None` when the meter cannot
    /// take that layout (it takes 1–64 channels, 16 Hz – 2.8 MHz).
    pub fn new(channels: usize, rate: u32) -> Option<Self> {
        if !(1..=MAX_CHANNELS).contains(&channels) || !RATES_HZ.contains(&rate) {
            return None;
        }
        Some(Meter {
            channels,
            rate,
            filter: k_weighting(rate),
            weights: (0..channels).map(channel_weight).collect(),
            state: vec![[[0.0; 4]; 2]; channels],
            // 100 ms, rounded as libebur128 does.
            sub_frames: ((rate as usize + 5) / 10).max(1),
            sub_fill: 0,
            sub_energy: 0.0,
            subs: Vec::new(),
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
        match self.channels {
            1 => self.filter_frames::<1>(frames),
            2 => self.filter_frames::<2>(frames),
            _ => self.filter_frames_any(frames),
        }
        self.frames += (whole / self.channels) as u64;
        self.peak = frames.iter().fold(self.peak, |m, s| m.max(s.abs()));
    }

    /// Ends the sub-block being filled when it is full.
    #[inline(always)]
    fn next_frame(&mut self, energy: f64) {
        self.sub_energy += energy;
        self.sub_fill += 1;
        if self.sub_fill == self.sub_frames {
            self.subs.push(self.sub_energy);
            self.sub_energy = 0.0;
            self.sub_fill = 0;
        }
    }

    /// `C` channels side by side (mono and stereo: the channels' filters run in parallel).
    fn filter_frames<const C: usize>(&mut self, frames: &[f32]) {
        let mut bank = Bank::<C>::load(&self.state);
        let mut weights = [0.0; C];
        weights.copy_from_slice(&self.weights[..C]);
        let k = self.filter;
        for frame in frames.chunks_exact(C) {
            let mut x = [0.0; C];
            for (xc, &s) in x.iter_mut().zip(frame) {
                *xc = s as f64;
            }
            let y = bank.step(&k, x);
            let mut energy = 0.0;
            for c in 0..C {
                energy += weights[c] * y[c] * y[c];
            }
            self.next_frame(energy);
        }
        bank.store(&mut self.state);
    }

    /// Any number of channels: each filtered on its own, frame by frame.
    fn filter_frames_any(&mut self, frames: &[f32]) {
        let k = self.filter;
        let mut banks: Vec<Bank<1>> = self
            .state
            .iter()
            .map(|st| Bank::load(std::slice::from_ref(st)))
            .collect();
        for frame in frames.chunks_exact(self.channels) {
            let mut energy = 0.0;
            for ((bank, &x), &w) in banks.iter_mut().zip(frame).zip(&self.weights) {
                let [y] = bank.step(&k, [x as f64]);
                energy += w * y * y;
            }
            self.next_frame(energy);
        }
        for (bank, st) in banks.iter().zip(&mut self.state) {
            bank.store(std::slice::from_mut(st));
        }
    }

    /// The loudness of everything added; `None` for less than [`MIN_MEASURED_SECS`] or
    /// silence (no gating block above −70 LUFS).
    pub fn finish(&self) -> Option<Loudness> {
        let secs = self.frames as f64 / self.rate.max(1) as f64;
        if secs < MIN_MEASURED_SECS {
            return None;
        }
        let lufs = integrated_lufs(&self.subs, self.sub_frames)?;
        (lufs.is_finite() && lufs > ABSOLUTE_GATE_LUFS && lufs < 30.0).then_some(Loudness {
            lufs: lufs as f32,
            peak: self.peak,
            secs: secs as f32,
        })
    }
}

/// BS.1770 gating over 400 ms blocks (four 100 ms sub-blocks, one block every 100 ms).
fn integrated_lufs(subs: &[f64], sub_frames: usize) -> Option<f64> {
    let lufs = |mean_square: f64| -0.691 + 10.0 * mean_square.log10();
    let per_block = 4.0 * sub_frames as f64;
    let blocks: Vec<f64> = subs
        .windows(4)
        .map(|w| w.iter().sum::<f64>() / per_block)
        .collect();
    let mean_above = |gate: f64| {
        let (sum, n) = blocks
            .iter()
            .filter(|&&z| z > 0.0 && lufs(z) > gate)
            .fold((0.0, 0usize), |(s, n), &z| (s + z, n + 1));
        (n > 0).then(|| sum / n as f64)
    };
    let relative_gate = lufs(mean_above(ABSOLUTE_GATE_LUFS)?) + RELATIVE_GATE_LU;
    Some(lufs(mean_above(relative_gate.max(ABSOLUTE_GATE_LUFS))?))
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
    fn k_weighting_at_48k_is_the_standards_table() {
        // ITU-R BS.1770-4, tables 1 and 2.
        let [shelf, hp] = k_weighting(48_000);
        let want_shelf = [
            1.53512485958697,
            -2.69169618940638,
            1.19839281085285,
            -1.69065929318241,
            0.73248077421585,
        ];
        let got_shelf = [shelf.b[0], shelf.b[1], shelf.b[2], shelf.a[0], shelf.a[1]];
        for (g, w) in got_shelf.iter().zip(want_shelf) {
            assert!((g - w).abs() < 1e-10, "{got_shelf:?}");
        }
        assert_eq!(hp.b, [1.0, -2.0, 1.0]);
        assert!((hp.a[0] + 1.99004745483398).abs() < 1e-10, "{hp:?}");
        assert!((hp.a[1] - 0.99007225036621).abs() < 1e-10, "{hp:?}");
    }

    #[test]
    fn ebu_3341_gating_cases() {
        let db = |d: f32| 10f32.powf(d / 20.0);
        let tones = |parts: &[(f32, f32)]| -> Vec<f32> {
            parts
                .iter()
                .flat_map(|&(level, secs)| sine(1000.0, db(level), 48_000, secs, 2))
                .collect()
        };
        // Case 3: −36, −23, −36 dBFS for 10, 60, 10 s: the quiet parts fall below the
        // relative gate: −23.0 ± 0.1 LUFS.
        let l = measure(
            &tones(&[(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)]),
            2,
            48_000,
        );
        assert!((l.unwrap().lufs + 23.0).abs() < 0.1, "{l:?}");
        // Case 4: −72, −36, −23, −36, −72 dBFS: the −72 dBFS parts fall below the absolute gate.
        let l = measure(
            &tones(&[
                (-72.0, 10.0),
                (-36.0, 10.0),
                (-23.0, 60.0),
                (-36.0, 10.0),
                (-72.0, 10.0),
            ]),
            2,
            48_000,
        );
        assert!((l.unwrap().lufs + 23.0).abs() < 0.1, "{l:?}");
    }

    #[test]
    fn surround_channels_weigh_more_and_the_lfe_nothing() {
        // 5.1 (L R C LFE Ls Rs): a tone in one surround channel reads 1.41× (+1.5 dB) the same
        // tone in the left channel; in the LFE it is not counted at all.
        let one_channel = |c: usize| -> Vec<f32> {
            sine(1000.0, 0.1, 48_000, 5.0, 1)
                .into_iter()
                .flat_map(|v| (0..6).map(move |i| if i == c { v } else { 0.0 }))
                .collect()
        };
        let left = measure(&one_channel(0), 6, 48_000).unwrap().lufs;
        let surround = measure(&one_channel(4), 6, 48_000).unwrap().lufs;
        assert!((surround - left - 10.0 * 1.41f32.log10()).abs() < 0.01);
        assert_eq!(measure(&one_channel(3), 6, 48_000), None);
        // Stereo with the same signal in both channels reads 3 dB over one channel.
        let mono = measure(&sine(1000.0, 0.1, 48_000, 5.0, 1), 1, 48_000).unwrap();
        let both = measure(&sine(1000.0, 0.1, 48_000, 5.0, 2), 2, 48_000).unwrap();
        assert!((both.lufs - mono.lufs - 3.01).abs() < 0.01);
    }

    #[test]
    fn chunking_does_not_change_the_result() {
        let x: Vec<f32> = sine(440.0, 0.3, 44_100, 3.0, 2)
            .iter()
            .zip(sine(3000.0, 0.2, 44_100, 3.0, 2))
            .map(|(a, b)| a + b)
            .collect();
        let whole = measure(&x, 2, 44_100).unwrap();
        // Frame-aligned pieces of an odd length, as packets arrive from the decoder.
        let mut m = Meter::new(2, 44_100).unwrap();
        for part in x.chunks(2 * 777) {
            m.add(part);
        }
        assert_eq!(m.finish(), Some(whole));
    }

    #[test]
    fn silence_and_short_clips_have_no_loudness() {
        assert_eq!(measure(&vec![0.0; 48_000 * 5], 1, 48_000), None);
        assert_eq!(measure(&sine(1000.0, 0.5, 48_000, 0.5, 1), 1, 48_000), None);
        assert!(Meter::new(0, 48_000).is_none());
        assert!(Meter::new(2, 0).is_none());
    }
}
