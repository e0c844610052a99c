//! The front end: samples → power spectrogram → mel → log → segments. Every parameter comes
//! from a [`FrontendConfig`] (part of the model's config).

pub mod cues;
pub mod mel;
pub mod segment;
pub mod stft;

use serde::{Deserialize, Serialize};

pub use cues::MusicCues;
pub use mel::{LogCompression, MelFilterbank, MelScale};
pub use segment::{LogMel, Segments};
pub use stft::Stft;

/// Spectrogram parameters, stored with each model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrontendConfig {
    pub sample_rate_hz: u32,
    pub n_fft: usize,
    pub hop_samples: usize,
    pub n_mels: usize,
    pub fmin_hz: f64,
    /// Upper edge of the filterbank; `None` = Nyquist.
    pub fmax_hz: Option<f64>,
    pub mel_scale: MelScale,
    pub log: LogCompression,
}

impl FrontendConfig {
    /// musicnn's front end: 16 kHz, n_fft 512, hop 256, 96 Slaney mel bands,
    /// `log10(1 + 10000·f16(mel))` (musicnn rounds the mel energies to float16 before the log;
    /// see [`LogCompression::Log10Plus1F16`]).
    pub fn musicnn() -> Self {
        FrontendConfig {
            sample_rate_hz: 16_000,
            n_fft: 512,
            hop_samples: 256,
            n_mels: 96,
            fmin_hz: 0.0,
            fmax_hz: None,
            mel_scale: MelScale::Slaney,
            log: LogCompression::Log10Plus1F16 { scale: 10_000.0 },
        }
    }

    /// A stable text key of the parameters that change the spectrogram (for caches).
    pub fn cache_key(&self) -> String {
        format!(
            "sr{}-fft{}-hop{}-mels{}-fmin{}-fmax{:?}-{:?}-{:?}",
            self.sample_rate_hz,
            self.n_fft,
            self.hop_samples,
            self.n_mels,
            self.fmin_hz,
            self.fmax_hz,
            self.mel_scale,
            self.log
        )
    }

    /// Spectrogram frames a second.
    pub fn frames_per_sec(&self) -> f64 {
        self.sample_rate_hz as f64 / self.hop_samples.max(1) as f64
    }

    /// Samples needed for `frames` centred frames.
    pub fn samples_for_frames(&self, frames: usize) -> usize {
        frames.saturating_sub(1) * self.hop_samples
    }
}

/// A ready-to-use front end (STFT planned, filterbank built). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Frontend {
    config: FrontendConfig,
    stft: Stft,
    mel: std::sync::Arc<MelFilterbank>,
}

impl Frontend {
    pub fn new(config: &FrontendConfig) -> Self {
        let fmax = config.fmax_hz.unwrap_or(config.sample_rate_hz as f64 / 2.0);
        Frontend {
            stft: Stft::new(config.n_fft, config.hop_samples),
            mel: std::sync::Arc::new(MelFilterbank::new(
                config.sample_rate_hz,
                config.n_fft,
                config.n_mels,
                config.fmin_hz,
                fmax,
                config.mel_scale,
            )),
            config: config.clone(),
        }
    }

    pub fn config(&self) -> &FrontendConfig {
        &self.config
    }

    pub fn filterbank(&self) -> &MelFilterbank {
        &self.mel
    }

    /// Log-mel spectrogram of `samples` (already at the configured rate).
    pub fn log_mel(&self, samples: &[f32]) -> LogMel {
        let spec = self.stft.power(samples);
        let data = self.mel.log_mel(&spec, self.config.log);
        LogMel {
            frames: spec.frames,
            n_mels: self.config.n_mels,
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_tone_and_high_tone_light_different_bands() {
        let fe = Frontend::new(&FrontendConfig::musicnn());
        let tone = |f: f32| -> Vec<f32> {
            (0..16_000)
                .map(|i| 0.5 * (2.0 * std::f32::consts::PI * f * i as f32 / 16_000.0).sin())
                .collect()
        };
        let band_of_max = |mel: &LogMel| {
            let row = &mel.data[20 * mel.n_mels..21 * mel.n_mels];
            row.iter()
                .enumerate()
                .fold(
                    (0, f32::MIN),
                    |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) },
                )
                .0
        };
        let low = fe.log_mel(&tone(200.0));
        let high = fe.log_mel(&tone(5000.0));
        assert_eq!(low.frames, 63);
        assert_eq!(low.n_mels, 96);
        assert!(band_of_max(&low) < 10);
        assert!(band_of_max(&high) > 70);
        assert!(low.data.iter().all(|v| v.is_finite() && *v >= 0.0));
    }
}
