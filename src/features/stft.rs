//! Short-time Fourier transform to a power spectrogram, planned once and reused.
//!
//! Frames are centred like librosa's `stft(center=True)`: the signal is padded by `n_fft / 2`
//! on both sides (zeros, librosa 0.10's default `pad_mode="constant"`), the window is a periodic
//! Hann window, and frame `t` covers samples `[t·hop − n_fft/2, t·hop + n_fft/2)`.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

/// A power spectrogram: `frames × bins`, row-major (one row per frame).
#[derive(Debug, Clone)]
pub struct Spectrogram {
    pub frames: usize,
    pub bins: usize,
    pub data: Vec<f32>,
}

impl Spectrogram {
    pub fn frame(&self, t: usize) -> &[f32] {
        &self.data[t * self.bins..(t + 1) * self.bins]
    }
}

/// A planned STFT. Cheap to share between threads (`Arc` inside); each call allocates its own
/// scratch.
#[derive(Clone)]
pub struct Stft {
    n_fft: usize,
    hop: usize,
    window: Vec<f32>,
    plan: Arc<dyn RealToComplex<f32>>,
}

impl std::fmt::Debug for Stft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stft")
            .field("n_fft", &self.n_fft)
            .field("hop", &self.hop)
            .finish()
    }
}

/// Periodic Hann window of length `n` (scipy's `get_window("hann", n, fftbins=True)`).
pub fn hann_periodic(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let x = 2.0 * std::f64::consts::PI * i as f64 / n as f64;
            (0.5 - 0.5 * x.cos()) as f32
        })
        .collect()
}

impl Stft {
    pub fn new(n_fft: usize, hop: usize) -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let plan = planner.plan_fft_forward(n_fft.max(2));
        Stft {
            n_fft,
            hop: hop.max(1),
            window: hann_periodic(n_fft),
            plan,
        }
    }

    pub fn bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// Number of centred frames for `len` samples.
    pub fn frames_for(&self, len: usize) -> usize {
        1 + len / self.hop
    }

    /// |STFT|² of `signal`.
    pub fn power(&self, signal: &[f32]) -> Spectrogram {
        let n_fft = self.n_fft;
        let half = n_fft / 2;
        let bins = self.bins();
        let frames = self.frames_for(signal.len());
        let mut data = vec![0.0f32; frames * bins];
        let mut input = self.plan.make_input_vec();
        let mut output: Vec<Complex<f32>> = self.plan.make_output_vec();
        let mut scratch = self.plan.make_scratch_vec();
        for t in 0..frames {
            // Frame t starts at t·hop − n_fft/2 in signal coordinates.
            let start = (t * self.hop) as isize - half as isize;
            for (i, slot) in input.iter_mut().enumerate() {
                let idx = start + i as isize;
                let s = if idx >= 0 && (idx as usize) < signal.len() {
                    signal[idx as usize]
                } else {
                    0.0
                };
                *slot = s * self.window[i];
            }
            // Lengths come from the plan itself, so this cannot fail.
            if self
                .plan
                .process_with_scratch(&mut input, &mut output, &mut scratch)
                .is_err()
            {
                continue;
            }
            let row = &mut data[t * bins..(t + 1) * bins];
            for (r, c) in row.iter_mut().zip(output.iter()) {
                *r = c.re * c.re + c.im * c.im;
            }
        }
        Spectrogram { frames, bins, data }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_peaks_in_its_bin() {
        let sr = 16_000.0f32;
        let f = 1000.0f32; // bin 32 of a 512-point FFT at 16 kHz
        let x: Vec<f32> = (0..16_000)
            .map(|i| (2.0 * std::f32::consts::PI * f * i as f32 / sr).sin())
            .collect();
        let stft = Stft::new(512, 256);
        let s = stft.power(&x);
        assert_eq!(s.frames, 1 + 16_000 / 256);
        assert_eq!(s.bins, 257);
        let row = s.frame(30);
        let argmax = row
            .iter()
            .enumerate()
            .fold(
                (0, 0.0f32),
                |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) },
            )
            .0;
        assert_eq!(argmax, 32);
        // Parseval-ish: a unit sine windowed by Hann has power (sum w / 2)^2 in its bin.
        let w_sum: f32 = hann_periodic(512).iter().sum();
        let expected = (w_sum / 2.0).powi(2);
        assert!((row[32] - expected).abs() / expected < 0.01);
    }

    #[test]
    fn silence_is_zero_and_short_signals_work() {
        let stft = Stft::new(512, 256);
        let s = stft.power(&[0.0; 100]);
        assert_eq!(s.frames, 1);
        assert!(s.data.iter().all(|&v| v == 0.0));
        let s = stft.power(&[]);
        assert_eq!(s.frames, 1);
    }

    #[test]
    fn click_lands_in_the_centred_frame() {
        let mut x = vec![0.0f32; 4096];
        x[1024] = 1.0; // frame 4 is centred on sample 1024 with hop 256
        let stft = Stft::new(512, 256);
        let s = stft.power(&x);
        let energy: Vec<f32> = (0..s.frames).map(|t| s.frame(t).iter().sum()).collect();
        let best = energy
            .iter()
            .enumerate()
            .fold(
                (0, 0.0f32),
                |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) },
            )
            .0;
        assert_eq!(best, 4);
    }

    #[test]
    fn hann_is_periodic() {
        let w = hann_periodic(4);
        assert_eq!(w.len(), 4);
        assert!((w[0] - 0.0).abs() < 1e-7);
        assert!((w[1] - 0.5).abs() < 1e-7);
        assert!((w[2] - 1.0).abs() < 1e-7);
        assert!((w[3] - 0.5).abs() < 1e-7);
    }
}
