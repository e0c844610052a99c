//! Mel filterbank (librosa's `filters.mel`: Slaney mel scale and Slaney area normalisation by
//! default, HTK optional) and log compression.

use serde::{Deserialize, Serialize};

use super::stft::Spectrogram;

/// Which mel scale the filterbank uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MelScale {
    /// Linear below 1 kHz, logarithmic above (librosa's default, `htk=False`).
    Slaney,
    /// `2595 · log10(1 + f / 700)`.
    Htk,
}

/// How mel energies are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LogCompression {
    /// `log10(1 + scale · x)` (musicnn uses scale 10000).
    Log10Plus1 { scale: f32 },
    /// musicnn's exact compression: the mel energy is first rounded to IEEE half precision
    /// (round to nearest even; tiny values become subnormals or 0, as numpy's
    /// `astype(np.float16)` does), then `log10(1 + scale · x)` in f32. Differs from
    /// [`LogCompression::Log10Plus1`] by at most about 2e-4 after the log.
    ///
    /// Energies too large for f16 (> 65504, which a signal in [-1, 1] through a
    /// Slaney-normalised filterbank cannot reach) are used unrounded instead of becoming
    /// infinite.
    #[serde(rename = "log10_plus1_f16")]
    Log10Plus1F16 { scale: f32 },
    /// `10 · log10(max(x, 1e-10))`.
    Decibel,
}

impl LogCompression {
    pub fn apply(&self, x: f32) -> f32 {
        match *self {
            LogCompression::Log10Plus1 { scale } => (1.0 + scale * x.max(0.0)).log10(),
            LogCompression::Log10Plus1F16 { scale } => {
                let x = x.max(0.0);
                let rounded = half::f16::from_f32(x).to_f32();
                let x = if rounded.is_finite() { rounded } else { x };
                (1.0 + scale * x).log10()
            }
            LogCompression::Decibel => 10.0 * x.max(1e-10).log10(),
        }
    }
}

fn hz_to_mel(f: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 2595.0 * (1.0 + f / 700.0).log10(),
        MelScale::Slaney => {
            let f_sp = 200.0 / 3.0;
            let min_log_hz = 1000.0;
            let min_log_mel = min_log_hz / f_sp;
            let logstep = (6.4f64).ln() / 27.0;
            if f >= min_log_hz {
                min_log_mel + (f / min_log_hz).ln() / logstep
            } else {
                f / f_sp
            }
        }
    }
}

fn mel_to_hz(m: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 700.0 * (10f64.powf(m / 2595.0) - 1.0),
        MelScale::Slaney => {
            let f_sp = 200.0 / 3.0;
            let min_log_hz = 1000.0;
            let min_log_mel = min_log_hz / f_sp;
            let logstep = (6.4f64).ln() / 27.0;
            if m >= min_log_mel {
                min_log_hz * (logstep * (m - min_log_mel)).exp()
            } else {
                f_sp * m
            }
        }
    }
}

/// A mel filterbank: `n_mels × bins` weights, row-major.
#[derive(Debug, Clone)]
pub struct MelFilterbank {
    pub n_mels: usize,
    pub bins: usize,
    pub weights: Vec<f32>,
    /// For each band, the range of bins with non-zero weight (sparse application).
    spans: Vec<(usize, usize)>,
}

impl MelFilterbank {
    /// librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk, norm="slaney").
    pub fn new(
        sample_rate_hz: u32,
        n_fft: usize,
        n_mels: usize,
        fmin_hz: f64,
        fmax_hz: f64,
        scale: MelScale,
    ) -> Self {
        let bins = n_fft / 2 + 1;
        let sr = sample_rate_hz as f64;
        let fftfreqs: Vec<f64> = (0..bins).map(|k| k as f64 * sr / n_fft as f64).collect();
        let min_mel = hz_to_mel(fmin_hz, scale);
        let max_mel = hz_to_mel(fmax_hz, scale);
        let mel_f: Vec<f64> = (0..n_mels + 2)
            .map(|i| {
                let m = min_mel + (max_mel - min_mel) * i as f64 / (n_mels + 1) as f64;
                mel_to_hz(m, scale)
            })
            .collect();
        let mut weights = vec![0.0f32; n_mels * bins];
        let mut spans = Vec::with_capacity(n_mels);
        for i in 0..n_mels {
            let fdiff_lo = mel_f[i + 1] - mel_f[i];
            let fdiff_hi = mel_f[i + 2] - mel_f[i + 1];
            let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
            let mut lo = bins;
            let mut hi = 0;
            for (k, &f) in fftfreqs.iter().enumerate() {
                let lower = -(mel_f[i] - f) / fdiff_lo;
                let upper = (mel_f[i + 2] - f) / fdiff_hi;
                let w = lower.min(upper).max(0.0) * enorm;
                if w > 0.0 {
                    lo = lo.min(k);
                    hi = hi.max(k + 1);
                }
                weights[i * bins + k] = w as f32;
            }
            spans.push(if lo < hi { (lo, hi) } else { (0, 0) });
        }
        MelFilterbank {
            n_mels,
            bins,
            weights,
            spans,
        }
    }

    /// Mel energies of one power-spectrum frame into `out` (`n_mels` long).
    pub fn apply_frame(&self, power: &[f32], out: &mut [f32]) {
        for (m, o) in out.iter_mut().enumerate().take(self.n_mels) {
            let (lo, hi) = self.spans[m];
            let row = &self.weights[m * self.bins..(m + 1) * self.bins];
            *o = row[lo..hi]
                .iter()
                .zip(&power[lo..hi])
                .map(|(w, p)| w * p)
                .sum();
        }
    }

    /// Log-mel spectrogram: `frames × n_mels`, row-major.
    pub fn log_mel(&self, spec: &Spectrogram, log: LogCompression) -> Vec<f32> {
        let mut out = vec![0.0f32; spec.frames * self.n_mels];
        for t in 0..spec.frames {
            let dst = &mut out[t * self.n_mels..(t + 1) * self.n_mels];
            self.apply_frame(spec.frame(t), dst);
            for v in dst.iter_mut() {
                *v = log.apply(*v);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slaney_scale_round_trips_and_is_linear_below_1k() {
        for f in [0.0, 100.0, 500.0, 999.0, 1000.0, 4000.0, 8000.0] {
            let m = hz_to_mel(f, MelScale::Slaney);
            assert!((mel_to_hz(m, MelScale::Slaney) - f).abs() < 1e-6);
            let m = hz_to_mel(f, MelScale::Htk);
            assert!((mel_to_hz(m, MelScale::Htk) - f).abs() < 1e-6);
        }
        assert!((hz_to_mel(500.0, MelScale::Slaney) - 7.5).abs() < 1e-9);
        assert!((hz_to_mel(1000.0, MelScale::Slaney) - 15.0).abs() < 1e-9);
    }

    #[test]
    fn filterbank_shape_and_triangles() {
        let fb = MelFilterbank::new(16_000, 512, 96, 0.0, 8000.0, MelScale::Slaney);
        assert_eq!(fb.weights.len(), 96 * 257);
        // Every band has some weight, and bands move up in frequency.
        let mut last_peak = 0;
        for m in 0..96 {
            let row = &fb.weights[m * 257..(m + 1) * 257];
            let (peak, max) =
                row.iter().enumerate().fold(
                    (0, 0.0f32),
                    |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) },
                );
            assert!(max > 0.0, "band {m} empty");
            assert!(peak >= last_peak);
            last_peak = peak;
        }
        // Slaney normalisation: each triangle's area in Hz is about 1 (spacing × sum ≈ 1).
        let hz_per_bin = 16_000.0 / 512.0;
        let row = &fb.weights[60 * 257..61 * 257];
        let area: f32 = row.iter().sum::<f32>() * hz_per_bin;
        assert!((area - 1.0).abs() < 0.1, "area {area}");
    }

    #[test]
    fn log_compressions() {
        let l = LogCompression::Log10Plus1 { scale: 10_000.0 };
        assert_eq!(l.apply(0.0), 0.0);
        assert!((l.apply(0.0999) - 3.0).abs() < 1e-3);
        assert!((LogCompression::Decibel.apply(1.0)).abs() < 1e-6);
        assert!((LogCompression::Decibel.apply(0.0) + 100.0).abs() < 1e-3);
    }

    #[test]
    fn f16_rounding_matches_half_precision() {
        let plain = LogCompression::Log10Plus1 { scale: 10_000.0 };
        let f16 = LogCompression::Log10Plus1F16 { scale: 10_000.0 };
        assert_eq!(f16.apply(0.0), 0.0);
        // Exactly representable in f16: no change.
        assert_eq!(f16.apply(0.5), plain.apply(0.5));
        // 0.1 rounds to 0.0999755859375 in f16.
        let want = (1.0f32 + 10_000.0 * 0.099_975_586).log10();
        assert_eq!(f16.apply(0.1), want);
        assert_ne!(f16.apply(0.1), plain.apply(0.1));
        // Below half of the smallest f16 subnormal (2^-24): rounds to zero.
        assert_eq!(f16.apply(2.0e-8), 0.0);
        assert!(plain.apply(2.0e-8) > 0.0);
        // Beyond the f16 range: finite, unrounded.
        assert_eq!(f16.apply(1.0e5), plain.apply(1.0e5));
        assert_eq!(f16.apply(-1.0), 0.0);
    }

    #[test]
    fn log_compression_json_is_backward_compatible() {
        let old: LogCompression = serde_json::from_str(r#"{"kind":"log10_plus1","scale":10000.0}"#)
            .unwrap_or_else(|e| panic!("old config no longer parses: {e}"));
        assert_eq!(old, LogCompression::Log10Plus1 { scale: 10_000.0 });
        let new = LogCompression::Log10Plus1F16 { scale: 10_000.0 };
        let json = serde_json::to_string(&new).unwrap_or_default();
        assert_eq!(json, r#"{"kind":"log10_plus1_f16","scale":10000.0}"#);
        let back: LogCompression =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(back, new);
    }
}
