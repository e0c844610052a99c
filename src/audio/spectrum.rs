//! The spectrum visualiser's analysis: the latest samples → a Hann window → realfft → the
//! power in log-spaced bands (from [`LOW_HZ`] to [`HIGH_HZ`], or the Nyquist frequency) in
//! decibels, scaled to 0..1 over [`FLOOR_DB`]..0 dBFS → smoothed (a fast attack, a slower
//! decay) so bars rise with a beat and fall gently. Pure functions on sample slices; the
//! samples come from `audio::scope`, the drawing is `ui::now_playing`'s.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

/// The analysis window, samples (≈ 46 ms at 44.1 kHz).
pub const WINDOW: usize = 2048;
/// The lowest band starts here, Hz.
pub const LOW_HZ: f32 = 40.0;
/// The highest band ends here (or at the Nyquist frequency), Hz.
pub const HIGH_HZ: f32 = 16_000.0;
/// A band this far below full scale, or quieter, shows as empty, dB.
pub const FLOOR_DB: f32 = -70.0;
/// Bands at most (a terminal's width of one-cell bars).
pub const MAX_BANDS: usize = 256;
/// How much of the way to a higher level a bar goes per frame (1: at once).
const ATTACK: f32 = 0.7;
/// How fast a bar falls, in full heights per second.
const DECAY_PER_SEC: f32 = 1.5;

/// The band edges for `bands` bands between [`LOW_HZ`] and the top, at `rate`: `bands + 1`
/// frequencies, each a constant ratio above the one before.
pub fn band_edges(bands: usize, rate: u32) -> Vec<f32> {
    let bands = bands.clamp(1, MAX_BANDS);
    let top = HIGH_HZ.min(rate as f32 / 2.0).max(LOW_HZ * 2.0);
    let ratio = (top / LOW_HZ).powf(1.0 / bands as f32);
    (0..=bands).map(|i| LOW_HZ * ratio.powi(i as i32)).collect()
}

/// The analysis, with its FFT plan and buffers made once.
pub struct Analyzer {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    input: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    pub fn new() -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(WINDOW);
        let window = (0..WINDOW)
            .map(|i| {
                let x = std::f32::consts::TAU * i as f32 / WINDOW as f32;
                0.5 - 0.5 * x.cos()
            })
            .collect();
        Analyzer {
            input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft,
            window,
        }
    }

    /// The level (0..1) of each of `bands` log-spaced bands in `samples` (mono, at `rate`; the
    /// last [`WINDOW`] are analysed, fewer are padded with silence before them).
    pub fn bands(&mut self, samples: &[f32], rate: u32, bands: usize) -> Vec<f32> {
        let bands = bands.clamp(1, MAX_BANDS);
        let tail = &samples[samples.len().saturating_sub(WINDOW)..];
        let pad = WINDOW - tail.len();
        for (i, x) in self.input.iter_mut().enumerate() {
            let s = if i < pad { 0.0 } else { tail[i - pad] };
            *x = if s.is_finite() {
                s * self.window[i]
            } else {
                0.0
            };
        }
        if self
            .fft
            .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch)
            .is_err()
        {
            return vec![0.0; bands];
        }
        let rate = rate.max(1);
        let hz_per_bin = rate as f32 / WINDOW as f32;
        // A full-scale sine gives a peak of WINDOW/4 through the Hann window (its mean 0.5).
        let full = (WINDOW as f32 / 4.0).powi(2);
        let edges = band_edges(bands, rate);
        let last = self.spectrum.len() - 1;
        edges
            .windows(2)
            .map(|e| {
                // The bins whose centres lie in the band; a band narrower than a bin (the
                // lowest ones) reads the bin nearest its middle.
                let mut lo = ((e[0] / hz_per_bin).ceil() as usize).clamp(1, last);
                let mut hi = ((e[1] / hz_per_bin).ceil() as usize).clamp(1, last + 1);
                if hi <= lo {
                    lo = (((e[0] * e[1]).sqrt() / hz_per_bin).round() as usize).clamp(1, last);
                    hi = lo + 1;
                }
                // The strongest bin: a narrow low band (one or two bins) and a wide high one
                // read alike.
                let power = self.spectrum[lo..hi]
                    .iter()
                    .map(|c| c.norm_sqr())
                    .fold(0.0f32, f32::max);
                let db = 10.0 * (power / full).max(1e-12).log10();
                ((db - FLOOR_DB) / -FLOOR_DB).clamp(0.0, 1.0)
            })
            .collect()
    }
}

/// Bars that rise fast and fall gently, frame by frame.
#[derive(Debug, Clone, Default)]
pub struct Smoother {
    levels: Vec<f32>,
}

impl Smoother {
    /// The bars after a frame `dt_secs` after the last, towards `target`.
    pub fn step(&mut self, target: &[f32], dt_secs: f32) -> &[f32] {
        if self.levels.len() != target.len() {
            self.levels = vec![0.0; target.len()];
        }
        let fall = DECAY_PER_SEC * dt_secs.clamp(0.0, 1.0);
        for (l, &t) in self.levels.iter_mut().zip(target) {
            *l = if t > *l {
                *l + (t - *l) * ATTACK
            } else {
                (*l - fall).max(t)
            };
        }
        &self.levels
    }

    pub fn levels(&self) -> &[f32] {
        &self.levels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(hz: f32, rate: u32, amp: f32) -> Vec<f32> {
        (0..WINDOW * 2)
            .map(|i| amp * (std::f32::consts::TAU * hz * i as f32 / rate as f32).sin())
            .collect()
    }

    /// The band whose edges hold `hz`.
    fn band_of(hz: f32, bands: usize, rate: u32) -> usize {
        band_edges(bands, rate)
            .windows(2)
            .position(|e| e[0] <= hz && hz < e[1])
            .unwrap_or(usize::MAX)
    }

    #[test]
    fn edges_are_log_spaced_up_to_the_nyquist_frequency() {
        let e = band_edges(8, 44_100);
        assert_eq!(e.len(), 9);
        assert!((e[0] - LOW_HZ).abs() < 1e-3);
        assert!((e[8] - HIGH_HZ).abs() < 1.0);
        let ratios: Vec<f32> = e.windows(2).map(|w| w[1] / w[0]).collect();
        assert!(
            ratios.iter().all(|r| (r - ratios[0]).abs() < 1e-3),
            "{ratios:?}"
        );
        // At 22.05 kHz the top is the Nyquist frequency.
        assert!((band_edges(8, 22_050)[8] - 11_025.0).abs() < 1.0);
    }

    #[test]
    fn a_sine_puts_its_energy_in_its_band() {
        let mut a = Analyzer::new();
        for (hz, rate) in [
            (200.0, 44_100),
            (440.0, 44_100),
            (1000.0, 48_000),
            (5000.0, 22_050),
        ] {
            let bands = 24;
            let levels = a.bands(&sine(hz, rate, 0.5), rate, bands);
            let want = band_of(hz, bands, rate);
            let loudest = levels
                .iter()
                .enumerate()
                .fold((0, f32::MIN), |m, (i, &l)| if l > m.1 { (i, l) } else { m })
                .0;
            assert_eq!(loudest, want, "{hz} Hz at {rate}: {levels:?}");
            // Half scale is -6 dB: about 0.91 on a 70 dB scale.
            assert!(
                (levels[want] - (1.0 - 6.0 / 70.0)).abs() < 0.05,
                "{levels:?}"
            );
            // Three bands away the window's leakage is more than 20 dB down.
            for (i, &l) in levels.iter().enumerate() {
                if i.abs_diff(want) >= 3 {
                    assert!(
                        l < levels[want] - 20.0 / 70.0,
                        "{hz} Hz: band {i} at {l}: {levels:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn silence_and_garbage_give_empty_bars() {
        let mut a = Analyzer::new();
        assert!(
            a.bands(&[0.0; WINDOW], 44_100, 16)
                .iter()
                .all(|&l| l == 0.0)
        );
        assert!(a.bands(&[], 44_100, 16).iter().all(|&l| l == 0.0));
        let nan = vec![f32::NAN; WINDOW];
        assert!(a.bands(&nan, 44_100, 16).iter().all(|&l| l == 0.0));
        assert_eq!(a.bands(&[0.0; 10], 0, 0).len(), 1);
        assert_eq!(a.bands(&[0.0; 10], 44_100, 100_000).len(), MAX_BANDS);
    }

    #[test]
    fn bars_rise_fast_and_fall_gently() {
        let mut s = Smoother::default();
        let up = s.step(&[1.0], 1.0 / 30.0)[0];
        assert!((up - ATTACK).abs() < 1e-6);
        let up2 = s.step(&[1.0], 1.0 / 30.0)[0];
        assert!(up2 > up && up2 <= 1.0);
        let down = s.step(&[0.0], 1.0 / 30.0)[0];
        assert!(
            (up2 - down - DECAY_PER_SEC / 30.0).abs() < 1e-5,
            "{up2} → {down}"
        );
        // A second of silence empties it.
        for _ in 0..30 {
            s.step(&[0.0], 1.0 / 30.0);
        }
        assert_eq!(s.levels(), [0.0]);
    }
}
