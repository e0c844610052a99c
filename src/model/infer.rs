//! Inference: a file → clip → log-mel → segments → CNN → mean of the segment softmaxes = the
//! track's genre vector.

use super::error::Invalid;
use std::path::Path;
use std::time::Instant;

use burn::prelude::*;
use burn::tensor::activation::softmax;
use serde::Serialize;

use super::cache::{CachedFeatures, FeatureCache};
use super::head::GenreHead;
use super::musicnn::MUSICNN_N_TAGS;
use super::registry::{LoadedModel, Net};
use super::trunk::tags_of;
use crate::audio::clip::{ClipWindow, load_clip};
use crate::audio::decode::AudioError;
use crate::features::{Frontend, MusicCues, Segments, segment::segment};
use crate::store::OpenSetRecord;
use crate::util::maths::{argmax, mean_rows};

/// Segments per forward pass: bounds memory (see [`Net::batch_size`]).
fn max_batch(net: &Net) -> usize {
    net.batch_size()
}

/// Where the time of one classification went.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Timings {
    pub decode_ms: f64,
    pub frontend_ms: f64,
    pub cnn_ms: f64,
}

impl Timings {
    pub fn total_ms(&self) -> f64 {
        self.decode_ms + self.frontend_ms + self.cnn_ms
    }
}

/// A track's genre vector and how it was obtained.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    /// Probability per label, in the model's label order; sums to 1.
    pub vector: Vec<f32>,
    pub segments: usize,
    pub clip_start_secs: f64,
    pub clip_secs: f64,
    pub track_secs: Option<f64>,
    pub skipped_packets: usize,
    /// A richer per-track embedding when the model has one (e.g. a pretrained trunk's tags).
    pub style: Option<Vec<f32>>,
    pub timings: Timings,
    /// Why the track is "partial": analysed from what could be decoded of a damaged file.
    pub partial: Option<String>,
    /// The trunk's penultimate layer averaged over patches (head models only): what the
    /// open-set rule measures the distance of.
    #[serde(skip)]
    pub embedding: Option<Vec<f32>>,
    /// The open-set verdict (a genre or unsure) when the model has a rule.
    pub open_set: Option<OpenSetRecord>,
    /// The loudness of the analysis clip (the ReplayGain estimate), when it was measured.
    pub loudness: Option<crate::audio::loudness::Loudness>,
    /// The signal's music cues (what the open-set rule's music floor measures), when measured.
    pub music: Option<MusicCues>,
}

impl Prediction {
    /// Index and probability of the top genre.
    pub fn top(&self) -> (usize, f32) {
        argmax(&self.vector)
    }

    /// False when the model's open-set rule says "unsure" (true without a rule).
    pub fn known(&self) -> bool {
        self.open_set.is_none_or(|v| v.known)
    }

    /// Checks that the vector and the style are finite (and the vector not empty): a NaN from
    /// broken weights or a broken signal must never be shown or stored as a genre.
    pub fn check_finite(&self) -> Result<(), Invalid> {
        if self.vector.is_empty() {
            return Err("the model gave an empty genre vector".into());
        }
        if let Some(bad) = self.vector.iter().find(|v| !v.is_finite()) {
            return Err(Invalid(format!(
                "the model gave a non-finite genre vector ({bad}); its weights or the decoded audio are broken"
            )));
        }
        if let Some(style) = &self.style
            && let Some(bad) = style.iter().find(|v| !v.is_finite())
        {
            return Err(Invalid(format!(
                "the model gave a non-finite style vector ({bad}); its weights or the decoded audio are broken"
            )));
        }
        Ok(())
    }
}

/// A loaded model with its front end, ready to classify files. Clone it per worker thread.
#[derive(Debug, Clone)]
pub struct Classifier {
    model: LoadedModel,
    frontend: Frontend,
    device: Device,
    /// For a head on the pretrained trunk: the trunk's outputs per file, so re-classifying
    /// with a retrained head skips decoding and the trunk.
    cache: Option<FeatureCache>,
    /// Threads the network may use for one file (its patches are split between them).
    threads: usize,
}

impl Classifier {
    pub fn new(model: LoadedModel, device: Device) -> Self {
        let frontend = Frontend::new(&model.config.frontend);
        Classifier {
            model,
            frontend,
            device,
            cache: None,
            threads: 1,
        }
    }

    /// Lets the network use up to `threads` threads per file (default 1: the calling thread
    /// only, for callers that run one classifier per core).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Threads the network uses per file.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Keeps the trunk's outputs per file under `cache_root` (head models only).
    pub fn with_cache(mut self, cache_root: &Path) -> Self {
        if self.model.config.is_head() {
            self.cache = Some(FeatureCache::new(
                cache_root,
                &self.model.config.feature_key(),
            ));
        }
        self
    }

    pub fn model(&self) -> &LoadedModel {
        &self.model
    }

    pub fn labels(&self) -> &[String] {
        &self.model.config.labels
    }

    pub fn frontend(&self) -> &Frontend {
        &self.frontend
    }

    /// Segments of a clip already at the model's rate, and its music cues (from the same
    /// spectrogram).
    pub fn analyse(&self, samples: &[f32]) -> (Segments, Option<MusicCues>) {
        let mel = self.frontend.log_mel(samples);
        let cues = self.cues_of(samples, &mel);
        let seg = &self.model.config.segments;
        (
            segment(&mel, seg.segment_frames, seg.segments_per_track),
            cues,
        )
    }

    /// Segments of a clip already at the model's rate.
    pub fn segments_of(&self, samples: &[f32]) -> Segments {
        let mel = self.frontend.log_mel(samples);
        let seg = &self.model.config.segments;
        segment(&mel, seg.segment_frames, seg.segments_per_track)
    }

    /// Softmax per segment (`count × labels`, row-major) and, when the network has one, the
    /// style embedding per segment (`count × dims`).
    pub fn segment_outputs(&self, segs: &Segments) -> (Vec<f32>, Option<(Vec<f32>, usize)>) {
        if let Net::Musicnn { head, .. } = &self.model.net
            && segs.count > 0
            && let Some(f) = self.trunk_features_of(segs)
            && let Some((probs, tags)) = self.head_outputs(head, &f)
        {
            return (probs, Some((tags, MUSICNN_N_TAGS)));
        }
        let per = segs.frames * segs.n_mels;
        let mut probs_out = Vec::with_capacity(segs.count * self.labels().len());
        let mut style_out: Option<(Vec<f32>, usize)> = None;
        let mut i = 0;
        while i < segs.count {
            let n = (segs.count - i).min(max_batch(&self.model.net));
            let data = segs.data[i * per..(i + n) * per].to_vec();
            let x = Tensor::<4>::from_data(
                TensorData::new(data, [n, 1, segs.frames, segs.n_mels]),
                &self.device,
            );
            let out = self.model.net.forward(x);
            match softmax(out.logits, 1).into_data().try_into_vec::<f32>() {
                Ok(v) => probs_out.extend(v),
                Err(e) => {
                    tracing::error!(error = ?e, "reading model output");
                    probs_out.extend(std::iter::repeat_n(0.0, n * self.labels().len()));
                }
            }
            if let Some(style) = out.style {
                let dims = style.dims()[1];
                if let Ok(v) = style.into_data().try_into_vec::<f32>() {
                    style_out
                        .get_or_insert_with(|| (Vec::new(), dims))
                        .0
                        .extend(v);
                }
            }
            i += n;
        }
        (probs_out, style_out)
    }

    /// Softmax per segment: `count × labels`, row-major.
    pub fn segment_probs(&self, segs: &Segments) -> Vec<f32> {
        self.segment_outputs(segs).0
    }

    /// The genre vector of segments: the mean of their softmaxes.
    pub fn vector_of(&self, segs: &Segments) -> Vec<f32> {
        let k = self.labels().len();
        let probs = self.segment_probs(segs);
        mean_rows(&probs, k)
    }

    /// Classifies a clip already at the model's rate.
    pub fn classify_samples(&self, samples: &[f32]) -> Prediction {
        self.classify_samples_keeping(samples, |_, _| {})
    }

    /// [`Classifier::classify_samples`], handing the trunk's outputs (head models) and the
    /// clip's music cues to `keep` as soon as they are computed.
    fn classify_samples_keeping(
        &self,
        samples: &[f32],
        keep: impl FnOnce(&CachedFeatures, Option<&MusicCues>),
    ) -> Prediction {
        let t0 = Instant::now();
        let (segs, music) = self.analyse(samples);
        let t1 = Instant::now();
        let clip_secs = samples.len() as f64 / self.model.config.frontend.sample_rate_hz as f64;
        if let Net::Musicnn { head, .. } = &self.model.net
            && segs.count > 0
            && let Some(f) = self.trunk_features_of(&segs)
        {
            keep(&f, music.as_ref());
            if let Some(mut p) = self.prediction_from_features(head, &f, music) {
                p.clip_secs = clip_secs;
                p.timings = Timings {
                    decode_ms: 0.0,
                    frontend_ms: (t1 - t0).as_secs_f64() * 1e3,
                    cnn_ms: t1.elapsed().as_secs_f64() * 1e3,
                };
                return p;
            }
        }
        let (probs, style) = self.segment_outputs(&segs);
        let vector = mean_rows(&probs, self.labels().len());
        let style = style.map(|(rows, dims)| mean_rows(&rows, dims));
        let t2 = Instant::now();
        self.judged(Prediction {
            vector,
            segments: segs.count,
            clip_start_secs: 0.0,
            clip_secs,
            track_secs: None,
            skipped_packets: 0,
            style,
            timings: Timings {
                decode_ms: 0.0,
                frontend_ms: (t1 - t0).as_secs_f64() * 1e3,
                cnn_ms: (t2 - t1).as_secs_f64() * 1e3,
            },
            partial: None,
            embedding: None,
            open_set: None,
            loudness: None,
            music,
        })
    }

    /// Applies the model's open-set rule (if it has one) to a prediction.
    pub fn judged(&self, mut p: Prediction) -> Prediction {
        p.open_set = self.model.config.open_set.as_ref().map(|rule| {
            rule.judge(
                &p.vector,
                p.embedding.as_deref(),
                p.music.map(|m| m.score()),
                p.style.as_deref(),
            )
        });
        p
    }

    /// The trunk's outputs (`patches × feature_dims`) for segments (head models only): the
    /// compiled musicnn trunk on this classifier's threads, or another trunk through burn.
    pub fn trunk_features_of(&self, segs: &Segments) -> Option<CachedFeatures> {
        let Net::Musicnn { trunk, .. } = &self.model.net else {
            return None;
        };
        match trunk.features_of_patches(
            &segs.data,
            segs.count,
            segs.frames,
            self.threads,
            &self.device,
        ) {
            Ok(data) => Some(CachedFeatures {
                rows: segs.count,
                dims: trunk.kind().feature_dims(),
                data,
            }),
            Err(e) => {
                tracing::error!("{} trunk: {e}", trunk.kind().name());
                None
            }
        }
    }

    /// The head's softmax per patch (a pooled head's track softmax on every row) and the tag
    /// probabilities per patch, from trunk outputs.
    fn head_outputs(&self, head: &GenreHead, f: &CachedFeatures) -> Option<(Vec<f32>, Vec<f32>)> {
        let dims = self.model.config.trunk_kind()?.feature_dims();
        if f.rows == 0 || f.dims != dims {
            return None;
        }
        let probs = super::head::head_probs(
            head,
            self.model.config.head_pooling(),
            &f.data[..f.rows * f.dims],
            f.dims,
            &self.device,
        )?;
        // A pooled head gives one row for the track: repeated per patch, so callers see a row
        // per segment and the mean is the track's vector.
        let k = self.labels().len();
        let probs = if probs.len() == k && f.rows > 1 {
            probs.repeat(f.rows)
        } else {
            probs
        };
        let tags: Vec<f32> = f
            .data
            .chunks_exact(f.dims)
            .flat_map(|row| tags_of(row).iter().copied())
            .collect();
        Some((probs, tags))
    }

    /// A prediction from the trunk's outputs: the head per patch, and the mean tags as style,
    /// judged with the clip's music cues.
    pub fn prediction_from_features(
        &self,
        head: &GenreHead,
        f: &CachedFeatures,
        music: Option<MusicCues>,
    ) -> Option<Prediction> {
        let (probs, tags) = self.head_outputs(head, f)?;
        // The embedding is every trunk feature before the 50 tags.
        let emb_dims = f.dims.saturating_sub(MUSICNN_N_TAGS);
        let emb: Vec<f32> = f
            .data
            .chunks_exact(f.dims)
            .flat_map(|row| row[..emb_dims].iter().copied())
            .collect();
        let embedding = (emb_dims > 0).then(|| mean_rows(&emb, emb_dims));
        Some(self.judged(Prediction {
            vector: mean_rows(&probs, self.labels().len()),
            segments: f.rows,
            clip_start_secs: 0.0,
            clip_secs: 0.0,
            track_secs: None,
            skipped_packets: 0,
            style: Some(mean_rows(&tags, MUSICNN_N_TAGS)),
            timings: Timings::default(),
            partial: None,
            embedding,
            open_set: None,
            loudness: None,
            music,
        }))
    }

    /// True when the model's open-set rule has a music floor.
    fn rule_needs_music(&self) -> bool {
        self.model
            .config
            .open_set
            .as_ref()
            .is_some_and(|r| r.min_music.is_some())
    }

    /// The music cues of a clip at the model's rate and its log-mel spectrogram.
    fn cues_of(&self, samples: &[f32], mel: &crate::features::LogMel) -> Option<MusicCues> {
        super::train::clip_cues(&self.model.config, samples, mel)
    }

    /// The music cues of a decoded clip.
    fn cues_of_clip(&self, clip: &crate::audio::clip::Clip) -> Option<MusicCues> {
        self.cues_of(&clip.samples, &self.frontend.log_mel(&clip.samples))
    }

    /// The music cues of the file at `path` (from the feature cache when they are there).
    pub fn music_cues_of_file(&self, path: &Path) -> Result<Option<MusicCues>, AudioError> {
        super::train::file_cues(
            &self.model.config,
            &self.frontend,
            path,
            self.cache.as_ref(),
        )
    }

    /// Classifies the file at `path`. Every way a file reaches a genre vector (decoded now or
    /// from the feature cache) ends in one check: a non-finite vector or style is an error
    /// naming the file, never a result. A panic inside the model is an error for this file.
    pub fn classify_file(&self, path: &Path) -> Result<Prediction, AudioError> {
        let p = crate::audio::guard::catch(|| self.classify_file_unchecked(path)).map_err(
            |reason| AudioError::Analysis {
                path: path.to_path_buf(),
                reason: format!("internal error: {reason}"),
            },
        )??;
        p.check_finite().map_err(|reason| AudioError::Analysis {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        })?;
        Ok(p)
    }

    fn classify_file_unchecked(&self, path: &Path) -> Result<Prediction, AudioError> {
        if let (Some(cache), Net::Musicnn { head, .. }) = (&self.cache, &self.model.net) {
            let t0 = Instant::now();
            if let Some((f, note)) = cache.get_noted(path) {
                // Features cached before the music cues existed: the cues are measured once
                // (decoding, no trunk) when the rule needs them.
                let music = match cache.get_cues(path) {
                    Some(c) => Some(c),
                    None if self.rule_needs_music() => {
                        let c =
                            self.cues_of_clip(&load_clip(path, &self.model.config.clip_spec())?);
                        if let Some(c) = &c {
                            cache.put_cues(path, c);
                        }
                        c
                    }
                    None => None,
                };
                if let Some(p) = self.prediction_from_features(head, &f, music) {
                    let mut p = p;
                    p.timings.cnn_ms = t0.elapsed().as_secs_f64() * 1e3;
                    // A damaged file stays partial, with its reason, when it comes from the cache.
                    p.partial = note;
                    p.loudness = cache.get_loudness(path);
                    return Ok(p);
                }
            }
        }
        // Decoded once: with a feature cache, the trunk's outputs, the clip's loudness and its
        // cues are kept for the file on the way.
        let t0 = Instant::now();
        let clip = load_clip(path, &self.model.config.clip_spec())?;
        let decode_ms = t0.elapsed().as_secs_f64() * 1e3;
        let mut p = self.classify_samples_keeping(&clip.samples, |f, music| {
            if let Some(cache) = &self.cache {
                cache.put_noted(path, f, clip.partial().as_deref());
                if let Some(l) = &clip.loudness {
                    cache.put_loudness(path, l);
                }
                if let Some(c) = music {
                    cache.put_cues(path, c);
                }
            }
        });
        let ClipWindow {
            start_secs,
            len_secs,
        } = clip.window;
        p.clip_start_secs = start_secs;
        p.clip_secs = len_secs;
        p.track_secs = clip.track_secs;
        p.skipped_packets = clip.skipped_packets;
        p.partial = clip.partial();
        p.loudness = clip.loudness;
        p.timings.decode_ms = decode_ms;
        Ok(p)
    }
}

/// A track's genre vector (and style vector, for a head) from its cached features, as
/// inference would compute them.
pub fn vector_of_features(
    config: &super::config::ModelConfig,
    net: &Net,
    t: &super::train::TrackFeatures,
) -> (Vec<f32>, Option<Vec<f32>>) {
    let device = super::backend::inference_device();
    let k = config.labels.len();
    match net {
        Net::Costa(m) => {
            let s = segment(
                &t.mel,
                config.segments.segment_frames,
                config.segments.segments_per_track,
            );
            if s.count == 0 {
                return (vec![0.0; k], None);
            }
            let x = Tensor::<4>::from_data(
                TensorData::new(s.data, [s.count, 1, s.frames, s.n_mels]),
                &device,
            );
            let probs = softmax(m.forward(x), 1)
                .into_data()
                .try_into_vec::<f32>()
                .unwrap_or_default();
            (mean_rows(&probs, k), None)
        }
        Net::Musicnn { head, pooling, .. } => {
            if t.mel.frames == 0 {
                return (vec![0.0; k], None);
            }
            let probs = super::head::head_probs(head, *pooling, &t.mel.data, t.mel.n_mels, &device)
                .unwrap_or_default();
            // The tags are the last 50 features of each patch.
            let tags: Vec<f32> = t
                .mel
                .data
                .chunks_exact(t.mel.n_mels)
                .flat_map(|row| super::trunk::tags_of(row).iter().copied())
                .collect();
            (mean_rows(&probs, k), Some(mean_rows(&tags, MUSICNN_N_TAGS)))
        }
    }
}
