//! Test-time augmentation, for measuring only (`genreplay eval --tta`): extra views of each
//! clip — the patches shifted by half a patch, the clip at −6 and +6 dB — whose patch softmaxes
//! join the plain patches' in the track's mean. Measured on gtzan-dev it did not help (model
//! card), so the analysis itself never uses it.

use std::path::Path;

use super::infer::{Classifier, Prediction};
use crate::audio::clip::load_clip;
use crate::audio::decode::AudioError;
use crate::features::segment::segment;

/// Which extra views are added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tta {
    /// The plain patches only (what the analysis does).
    #[default]
    None,
    /// Plus the patches shifted by half a patch.
    Shift,
    /// Plus the clip at −6 dB and at +6 dB.
    Gain,
    /// Plus both.
    Both,
}

impl Classifier {
    /// Classifies `path` with the extra views of `tta` averaged in (then judged by the
    /// model's open-set rule on the averaged vector).
    pub fn classify_file_tta(&self, path: &Path, tta: Tta) -> Result<Prediction, AudioError> {
        if tta == Tta::None {
            return self.classify_file(path);
        }
        // A panic inside the model is an error for this file, as in `classify_file`.
        crate::audio::guard::catch(|| self.with_views(path, tta)).map_err(|reason| {
            AudioError::Analysis {
                path: path.to_path_buf(),
                reason: format!("internal error: {reason}"),
            }
        })?
    }

    /// The plain prediction of one decoded clip with the extra views averaged in.
    fn with_views(&self, path: &Path, tta: Tta) -> Result<Prediction, AudioError> {
        let clip = load_clip(path, &self.model().config.clip_spec())?;
        let mut p = self.classify_samples(&clip.samples);
        if p.segments == 0 {
            return Ok(p);
        }
        let seg = self.model().config.segments.clone();
        let k = self.labels().len();
        let mut sum: Vec<f64> = p
            .vector
            .iter()
            .map(|&v| v as f64 * p.segments as f64)
            .collect();
        let mut count = p.segments;
        let mut add = |probs: Vec<f32>| {
            for row in probs.chunks_exact(k) {
                for (s, &v) in sum.iter_mut().zip(row) {
                    *s += v as f64;
                }
                count += 1;
            }
        };
        if matches!(tta, Tta::Shift | Tta::Both) {
            let mut mel = self.frontend().log_mel(&clip.samples);
            let half = seg.segment_frames / 2;
            if mel.frames > seg.segment_frames + half {
                mel.data.drain(..half * mel.n_mels);
                mel.frames -= half;
                add(self.segment_probs(&segment(&mel, seg.segment_frames, seg.segments_per_track)));
            }
        }
        if matches!(tta, Tta::Gain | Tta::Both) {
            for gain in [0.5f32, 2.0] {
                let louder: Vec<f32> = clip.samples.iter().map(|x| x * gain).collect();
                let mel = self.frontend().log_mel(&louder);
                add(self.segment_probs(&segment(&mel, seg.segment_frames, seg.segments_per_track)));
            }
        }
        p.vector = sum.iter().map(|s| (s / count as f64) as f32).collect();
        p.segments = count;
        let p = self.judged(p);
        p.check_finite().map_err(|reason| AudioError::Analysis {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        })?;
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::backend::inference_device;
    use crate::model::registry;

    #[test]
    fn every_view_adds_patches_and_the_vector_stays_a_distribution() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tone.wav");
        let rate = 16_000u32;
        let samples: Vec<f32> = (0..rate as usize * 10)
            .map(|i| {
                let t = i as f32 / rate as f32;
                0.3 * (2.0 * std::f32::consts::PI * 220.0 * t).sin()
                    * (1.0 + (2.0 * std::f32::consts::PI * 2.0 * t).sin())
                    / 2.0
            })
            .collect();
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        for s in &samples {
            w.write_sample((s * 32767.0) as i16).unwrap();
        }
        w.finalize().unwrap();
        let device = inference_device();
        let c = Classifier::new(registry::load(None, &device).unwrap(), device);
        let plain = c.classify_file_tta(&path, Tta::None).unwrap();
        let shift = c.classify_file_tta(&path, Tta::Shift).unwrap();
        let both = c.classify_file_tta(&path, Tta::Both).unwrap();
        // 10 s = 3 patches; shifted by 1.5 s, 2 more; two gains, 3 each.
        assert_eq!(plain.segments, 3);
        assert_eq!(shift.segments, 5);
        assert_eq!(both.segments, 11);
        for p in [&plain, &shift, &both] {
            let sum: f32 = p.vector.iter().sum();
            assert!((sum - 1.0).abs() < 1e-4, "{sum}");
        }
        assert_ne!(plain.vector, shift.vector);
    }
}
