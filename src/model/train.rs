//! One concern at ~710 lines: training a model — the features it trains on (from the cache
//! where it has them) and the two loops, per segment and pooled per track, with their early
//! stopping.
//!
//! Training from scratch on log-mel segments: a hand-written loop (burn-train's dashboard and
//! global hooks do not belong inside our TUI) that reports over a callback and stops when asked.
//! Segments of a track inherit its label; validation is per track (mean of segment softmaxes).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::activation::softmax;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::backend::{inference_device, training_device};
use super::cache::{CachedFeatures, FeatureCache};
use super::cnn::CostaCnn;
use super::config::{ArchConfig, ModelConfig};
use super::head::GenreHead;
use super::registry::Net;
use super::trunk::{Trunk, TrunkKind};
use crate::audio::clip::load_clip;
use crate::audio::decode::AudioError;
use crate::features::segment::segment;
use crate::features::{Frontend, LogMel, MusicCues, Segments};
use crate::util::maths::{argmax, mean_rows};

/// One track's spectrogram and label index.
#[derive(Debug, Clone)]
pub struct TrackFeatures {
    pub path: PathBuf,
    pub label: usize,
    pub mel: LogMel,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrainOptions {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// Stop after this many epochs without a better validation result.
    pub patience: usize,
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 30,
            batch_size: 32,
            learning_rate: 1e-3,
            patience: 8,
            seed: 42,
        }
    }
}

/// One epoch's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochReport {
    pub epoch: usize,
    pub epochs: usize,
    pub loss: f64,
    /// Accuracy on this epoch's training segments (with dropout on).
    pub train_segment_accuracy: f64,
    /// Track accuracy on the validation tracks (`None` without validation tracks).
    pub valid_track_accuracy: Option<f64>,
    pub valid_loss: Option<f64>,
    pub segments_per_sec: f64,
    pub secs: f64,
    /// True when this epoch is the best so far (the one that will be saved).
    pub best: bool,
}

/// Progress while preparing data and training.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TrainEvent {
    Features {
        done: usize,
        total: usize,
        path: PathBuf,
        error: Option<String>,
    },
    /// Within an epoch (a full-mode epoch takes seconds): `done` of its `total` training
    /// batches, sent as it starts and then at most every [`BATCH_EVERY`].
    Batch {
        epoch: usize,
        epochs: usize,
        done: usize,
        total: usize,
    },
    /// The epoch's batches are done; its validation tracks are being scored.
    Validating {
        epoch: usize,
        epochs: usize,
    },
    Epoch(EpochReport),
    /// Training is over; the open-set rule is being fitted on the held-out tracks.
    Calibrating,
    /// The trained model and the active one are being compared on the validation tracks.
    Comparing,
}

/// How often a [`TrainEvent::Batch`] is sent at most.
pub const BATCH_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

pub struct TrainOutcome {
    pub net: Net,
    pub history: Vec<EpochReport>,
    pub best_epoch: usize,
    pub best_valid_accuracy: Option<f64>,
    pub cancelled: bool,
}

/// The features of one file: its log-mel, or for a head the trunk's outputs per patch
/// (`patches × feature_dims`, laid out like a spectrogram with one "frame" per patch).
/// The music cues of a decoded clip and its log-mel spectrogram (what the open-set rule's
/// music floor reads).
pub fn clip_cues(config: &ModelConfig, samples: &[f32], mel: &LogMel) -> Option<MusicCues> {
    let f = &config.frontend;
    MusicCues::of(samples, f.sample_rate_hz, mel, f.frames_per_sec())
}

/// A file's music cues: from the feature cache when they are there, else decoded (and kept
/// in the cache). `Ok(None)` for a clip too short to measure.
pub fn file_cues(
    config: &ModelConfig,
    frontend: &Frontend,
    path: &std::path::Path,
    cache: Option<&FeatureCache>,
) -> Result<Option<MusicCues>, crate::audio::decode::AudioError> {
    if let Some(c) = cache.and_then(|c| c.get_cues(path)) {
        return Ok(Some(c));
    }
    let clip = load_clip(path, &config.clip_spec())?;
    let cues = clip_cues(config, &clip.samples, &frontend.log_mel(&clip.samples));
    if let (Some(cache), Some(c)) = (cache, &cues) {
        cache.put_cues(path, c);
    }
    Ok(cues)
}

/// A file's features for `config` and the clip's music cues.
fn features_of(
    config: &ModelConfig,
    frontend: &Frontend,
    trunk: Option<&Trunk>,
    path: &std::path::Path,
) -> Result<(LogMel, Option<MusicCues>), AudioError> {
    let clip = load_clip(path, &config.clip_spec())?;
    let mel = frontend.log_mel(&clip.samples);
    let cues = clip_cues(config, &clip.samples, &mel);
    let Some(trunk) = trunk else {
        return Ok((mel, cues));
    };
    let seg = segment(
        &mel,
        config.segments.segment_frames,
        config.segments.segments_per_track,
    );
    let dims = trunk.kind().feature_dims();
    let data = trunk
        .features_of_patches(&seg.data, seg.count, seg.frames, 1, &inference_device())
        .map_err(|e| AudioError::Analysis {
            path: path.to_path_buf(),
            reason: format!("{} trunk: {e}", trunk.kind().name()),
        })?;
    Ok((
        LogMel {
            frames: seg.count,
            n_mels: dims,
            data,
        },
        cues,
    ))
}

/// Decodes and analyses labelled files (in parallel on `threads`); failures are reported and
/// skipped. With a cache, files analysed before (same size and mtime) are not decoded again.
pub fn extract_features(
    config: &ModelConfig,
    files: &[(PathBuf, usize)],
    threads: usize,
    cache: Option<&FeatureCache>,
    on_event: &(dyn Fn(TrainEvent) + Sync),
    cancel: &AtomicBool,
) -> Vec<TrackFeatures> {
    let frontend = Frontend::new(&config.frontend);
    let trunk = if let Some(kind) = config.trunk_kind() {
        match Trunk::shared(kind, &inference_device()) {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::error!("the pretrained trunk does not load: {e}");
                return vec![];
            }
        }
    } else {
        None
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::with_capacity(files.len()));
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                loop {
                    if cancel.load(Ordering::Relaxed) {
                        return;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((path, label)) = files.get(i) else {
                        return;
                    };
                    let cached = cache.and_then(|c| c.get(path)).map(|f| LogMel {
                        frames: f.rows,
                        n_mels: f.dims,
                        data: f.data,
                    });
                    let res = match cached {
                        Some(mel) => Ok(mel),
                        None => {
                            let r = features_of(config, &frontend, trunk.as_ref(), path);
                            if let (Ok((mel, cues)), Some(c)) = (&r, cache) {
                                c.put(
                                    path,
                                    &CachedFeatures {
                                        rows: mel.frames,
                                        dims: mel.n_mels,
                                        data: mel.data.clone(),
                                    },
                                );
                                // The cues come with the decoding: kept for the open-set
                                // rule's music floor, so fitting it decodes nothing again.
                                if let Some(cues) = cues {
                                    c.put_cues(path, cues);
                                }
                            }
                            r.map(|(mel, _)| mel)
                        }
                    };
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    let error = match res {
                        Ok(mel) => {
                            if let Ok(mut r) = results.lock() {
                                r.push((
                                    i,
                                    TrackFeatures {
                                        path: path.clone(),
                                        label: *label,
                                        mel,
                                    },
                                ));
                            }
                            None
                        }
                        Err(e) => Some(e.to_string()),
                    };
                    on_event(TrainEvent::Features {
                        done: n,
                        total: files.len(),
                        path: path.clone(),
                        error,
                    });
                }
            });
        }
    });
    let mut r = results.into_inner().unwrap_or_default();
    r.sort_by_key(|(i, _)| *i);
    r.into_iter().map(|(_, t)| t).collect()
}

/// Tiles a spectrogram shorter than `frames` (same rule as inference).
fn at_least(mel: &LogMel, frames: usize) -> LogMel {
    if mel.frames >= frames {
        return mel.clone();
    }
    let s = segment(mel, frames, 1);
    LogMel {
        frames,
        n_mels: s.n_mels,
        data: s.data,
    }
}

/// Trains the network `config` describes. Validation picks the best epoch; `cancel` stops
/// after the current batch and returns the best model so far with `cancelled` set.
pub fn train(
    config: &ModelConfig,
    train_set: &[TrackFeatures],
    valid_set: &[TrackFeatures],
    opts: &TrainOptions,
    on_event: &mut dyn FnMut(TrainEvent),
    cancel: &AtomicBool,
) -> anyhow::Result<TrainOutcome> {
    if train_set.is_empty() {
        anyhow::bail!("no training tracks");
    }
    // Features must be what this model reads (log-mel bands, or trunk outputs for a head).
    let dims = match config.trunk_kind() {
        Some(kind) => kind.feature_dims(),
        None => config.frontend.n_mels,
    };
    if let Some(t) = train_set
        .iter()
        .chain(valid_set)
        .find(|t| t.mel.n_mels != dims || t.mel.data.len() != t.mel.frames * t.mel.n_mels)
    {
        anyhow::bail!(
            "{}: its features have {} columns; this model reads {dims}",
            t.path.display(),
            t.mel.n_mels
        );
    }
    let device = training_device();
    device.seed(opts.seed);
    let n_classes = config.labels.len();
    let max_segs = config.segments.segments_per_track;
    let stats_to_outcome = |net: Net, stats: TrainStats| TrainOutcome {
        net,
        history: stats.history,
        best_epoch: stats.best_epoch,
        best_valid_accuracy: stats.best_valid_accuracy,
        cancelled: stats.cancelled,
    };
    match &config.arch {
        ArchConfig::Costa(c) => {
            let m = c.init(n_classes, &device);
            let forward = |m: &CostaCnn, x: Tensor<4>| m.forward(x);
            let shape = SegmentShape {
                frames: config.segments.segment_frames,
                dims: config.frontend.n_mels,
                max_segments: max_segs,
                n_classes,
            };
            let (best, stats) = train_module(
                m, forward, shape, train_set, valid_set, opts, on_event, cancel,
            )?;
            Ok(stats_to_outcome(Net::Costa(best), stats))
        }
        ArchConfig::MusicnnHead(h) => {
            let kind = TrunkKind::from_name(&h.trunk)
                .ok_or_else(|| anyhow::anyhow!("unknown trunk '{}'", h.trunk))?;
            if !h.pooling.is_patch() || h.l2.is_some() {
                return train_pooled_head(config, h, kind, train_set, valid_set, on_event, cancel);
            }
            let m = h.head.init(kind.feature_dims(), n_classes, &device);
            let forward = |m: &GenreHead, x: Tensor<4>| m.forward_rows(x);
            // Each "frame" of the features is one patch's trunk output.
            let shape = SegmentShape {
                frames: 1,
                dims: kind.feature_dims(),
                max_segments: max_segs,
                n_classes,
            };
            let (best, stats) = train_module(
                m, forward, shape, train_set, valid_set, opts, on_event, cancel,
            )?;
            let trunk = Trunk::shared(kind, &inference_device()).map_err(|e| anyhow::anyhow!(e))?;
            Ok(stats_to_outcome(
                Net::Musicnn {
                    trunk: Box::new(trunk),
                    head: best,
                    pooling: h.pooling,
                },
                stats,
            ))
        }
    }
}

/// Progress reports of a pooled head's fit (its "epochs").
const POOLED_REPORTS: usize = 10;

/// Trains a pooled head: a logistic regression (L2) on each track's pooled trunk features, to
/// convergence; there are no epochs to choose, so the validation tracks are only measured
/// (reported ten times during the fit), never used to pick anything.
#[allow(clippy::too_many_arguments)]
fn train_pooled_head(
    config: &ModelConfig,
    h: &super::config::MusicnnHeadConfig,
    kind: TrunkKind,
    train_set: &[TrackFeatures],
    valid_set: &[TrackFeatures],
    on_event: &mut dyn FnMut(TrainEvent),
    cancel: &AtomicBool,
) -> anyhow::Result<TrainOutcome> {
    let dims = kind.feature_dims();
    let width = h.pooling.width(dims);
    let k = config.labels.len();
    let pooled = |set: &[TrackFeatures]| -> (Vec<f32>, Vec<usize>) {
        let mut rows = Vec::with_capacity(set.len() * width);
        let mut labels = Vec::with_capacity(set.len());
        for t in set {
            // One row per track (pooled), or per patch (a per-patch regression).
            if let Some((x, n)) = h.pooling.inputs(&t.mel.data, dims) {
                rows.extend(x);
                labels.extend(std::iter::repeat_n(t.label, n));
            }
        }
        (rows, labels)
    };
    let (x, y) = pooled(train_set);
    let (vx, vy) = pooled(valid_set);
    // Rows per track, to score tracks (the mean of a track's row probabilities).
    let counts = |set: &[TrackFeatures]| -> Vec<usize> {
        set.iter()
            .filter_map(|t| h.pooling.inputs(&t.mel.data, dims).map(|(_, n)| n))
            .collect()
    };
    let (tc, vc) = (counts(train_set), counts(valid_set));
    let accuracy = |m: &super::logreg::LogReg, x: &[f32], y: &[usize], c: &[usize]| -> (f64, f64) {
        let mut correct = 0usize;
        let mut nll = 0.0f64;
        let mut at = 0usize;
        for &n in c {
            let rows = &x[at * width..(at + n) * width];
            let l = y[at];
            at += n;
            let probs: Vec<f32> = rows.chunks_exact(width).flat_map(|r| m.probs(r)).collect();
            let p = mean_rows(&probs, k);
            if argmax(&p).0 == l {
                correct += 1;
            }
            nll -= (p.get(l).copied().unwrap_or(0.0).max(1e-7) as f64).ln();
        }
        let n = c.len().max(1) as f64;
        (correct as f64 / n, nll / n)
    };
    let lr_opts = super::logreg::LogRegOptions {
        l2: h.l2.unwrap_or(super::config::DEFAULT_L2),
        ..Default::default()
    };
    let every = (lr_opts.max_iterations / POOLED_REPORTS).max(1);
    let t0 = Instant::now();
    let mut history = Vec::new();
    let mut cancelled = false;
    let fitted = super::logreg::fit(&x, &y, width, k, &lr_opts, &mut |it, loss, m| {
        if cancel.load(Ordering::Relaxed) {
            cancelled = true;
            return false;
        }
        let (valid_acc, valid_loss) = if vy.is_empty() {
            (None, None)
        } else {
            let (a, l) = accuracy(m, &vx, &vy, &vc);
            (Some(a), Some(l))
        };
        let secs = t0.elapsed().as_secs_f64();
        let report = EpochReport {
            epoch: it.div_ceil(every).min(POOLED_REPORTS),
            epochs: POOLED_REPORTS,
            loss,
            train_segment_accuracy: accuracy(m, &x, &y, &tc).0,
            valid_track_accuracy: valid_acc,
            valid_loss,
            segments_per_sec: (y.len() * it) as f64 / secs.max(1e-9),
            secs,
            best: false,
        };
        on_event(TrainEvent::Epoch(report.clone()));
        history.push(report);
        true
    })
    .map_err(anyhow::Error::msg)?;
    // The fit's end is the model (no selection); mark it as the one saved.
    if let Some(last) = history.last_mut() {
        last.best = true;
    }
    let best_epoch = history.last().map_or(0, |r| r.epoch);
    let best_valid_accuracy = (!vy.is_empty()).then(|| accuracy(&fitted, &vx, &vy, &vc).0);
    let head = GenreHead::linear_from(&fitted.weights, &fitted.bias, width, k, &inference_device())
        .map_err(anyhow::Error::msg)?;
    let trunk = Trunk::shared(kind, &inference_device()).map_err(|e| anyhow::anyhow!(e))?;
    Ok(TrainOutcome {
        net: Net::Musicnn {
            trunk: Box::new(trunk),
            head,
            pooling: h.pooling,
        },
        history,
        best_epoch,
        best_valid_accuracy,
        cancelled,
    })
}

/// The shape of the training segments.
#[derive(Debug, Clone, Copy)]
struct SegmentShape {
    frames: usize,
    dims: usize,
    max_segments: usize,
    n_classes: usize,
}

/// What a training run produced besides the model.
struct TrainStats {
    history: Vec<EpochReport>,
    best_epoch: usize,
    best_valid_accuracy: Option<f64>,
    cancelled: bool,
}

#[allow(clippy::too_many_arguments)]
fn train_module<M, F>(
    mut model: M,
    forward: F,
    shape: SegmentShape,
    train_set: &[TrackFeatures],
    valid_set: &[TrackFeatures],
    opts: &TrainOptions,
    on_event: &mut dyn FnMut(TrainEvent),
    cancel: &AtomicBool,
) -> anyhow::Result<(M, TrainStats)>
where
    M: Module + Clone,
    F: Fn(&M, Tensor<4>) -> Tensor<2>,
{
    let device = training_device();
    let seg_frames = shape.frames;
    let n_mels = shape.dims;
    let max_segs = shape.max_segments;
    let n_classes = shape.n_classes;
    let mut rng = rand::rngs::StdRng::seed_from_u64(opts.seed);
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let train_mels: Vec<LogMel> = train_set
        .iter()
        .map(|t| at_least(&t.mel, seg_frames))
        .collect();
    let valid_segs: Vec<Segments> = valid_set
        .iter()
        .map(|t| segment(&t.mel, seg_frames, max_segs))
        .collect();

    let mut best: Best<M> = Best::default();
    let mut history = Vec::new();
    let mut cancelled = false;
    for epoch in 1..=opts.epochs {
        let t0 = Instant::now();
        let crops = random_crops(&train_mels, seg_frames, max_segs, &mut rng);
        let mut loss_sum = 0.0f64;
        let mut correct = 0usize;
        let mut seen = 0usize;
        let mut news = BatchNews {
            epoch,
            epochs: opts.epochs,
            total: crops.len().div_ceil(opts.batch_size.max(1)),
            said: None,
        };
        for (b, batch) in crops.chunks(opts.batch_size.max(1)).enumerate() {
            news.tell(b, on_event);
            if cancel.load(Ordering::Relaxed) {
                cancelled = true;
                break;
            }
            let (data, targets) = batch_of(batch, &train_mels, train_set, seg_frames, n_mels);
            let n = batch.len();
            let x =
                Tensor::<4>::from_data(TensorData::new(data, [n, 1, seg_frames, n_mels]), &device);
            let y = Tensor::<1, Int>::from_data(TensorData::new(targets.clone(), [n]), &device);
            let logits = forward(&model, x);
            let loss = loss_fn.forward(logits.clone(), y);
            let preds: Vec<i64> = logits.argmax(1).into_data().iter::<i64>().collect();
            correct += preds.iter().zip(&targets).filter(|(p, t)| p == t).count();
            loss_sum += loss.clone().into_scalar::<f32>() as f64 * n as f64;
            seen += n;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(opts.learning_rate, model, grads);
        }
        if cancelled && seen == 0 {
            break;
        }
        let secs = t0.elapsed().as_secs_f64();
        let (valid_acc, valid_loss) = if valid_segs.is_empty() {
            (None, None)
        } else {
            on_event(TrainEvent::Validating {
                epoch,
                epochs: opts.epochs,
            });
            let v = model.valid();
            let (acc, loss) = evaluate_tracks(&v, &forward, &valid_segs, valid_set, n_classes);
            (Some(acc), Some(loss))
        };
        // Without validation, the latest epoch counts as best.
        let score = (
            valid_acc.unwrap_or(0.0),
            -valid_loss.unwrap_or(-(epoch as f64)),
        );
        let improved = best.offer(epoch, score, || model.valid());
        let report = EpochReport {
            epoch,
            epochs: opts.epochs,
            loss: loss_sum / seen.max(1) as f64,
            train_segment_accuracy: correct as f64 / seen.max(1) as f64,
            valid_track_accuracy: valid_acc,
            valid_loss,
            segments_per_sec: seen as f64 / secs.max(1e-9),
            secs,
            best: improved,
        };
        on_event(TrainEvent::Epoch(report.clone()));
        history.push(report);
        if cancelled || best.since >= opts.patience {
            break;
        }
    }
    let best_epoch = best.epoch;
    let (best_model, best_acc) = match best.kept {
        Some((m, a, _)) => (m, a),
        None => (model.valid(), 0.0),
    };
    let has_valid = !valid_segs.is_empty();
    Ok((
        best_model,
        TrainStats {
            history,
            best_epoch,
            best_valid_accuracy: has_valid.then_some(best_acc),
            cancelled,
        },
    ))
}

/// Random crops `(track, first frame)`: as many per track as fit (capped at `max_segs`),
/// fresh offsets every epoch, shuffled.
fn random_crops(
    mels: &[LogMel],
    seg_frames: usize,
    max_segs: usize,
    rng: &mut rand::rngs::StdRng,
) -> Vec<(usize, usize)> {
    let mut crops: Vec<(usize, usize)> = Vec::new();
    for (ti, mel) in mels.iter().enumerate() {
        let fit = (mel.frames / seg_frames).clamp(1, max_segs);
        for _ in 0..fit {
            let start = rng.random_range(0..=mel.frames - seg_frames);
            crops.push((ti, start));
        }
    }
    crops.shuffle(rng);
    crops
}

/// A batch's segments (`[n][seg_frames][n_mels]`, flat) and their labels.
fn batch_of(
    batch: &[(usize, usize)],
    mels: &[LogMel],
    tracks: &[TrackFeatures],
    seg_frames: usize,
    n_mels: usize,
) -> (Vec<f32>, Vec<i64>) {
    let mut data = Vec::with_capacity(batch.len() * seg_frames * n_mels);
    let mut targets = Vec::with_capacity(batch.len());
    for &(ti, start) in batch {
        let mel = &mels[ti];
        data.extend_from_slice(&mel.data[start * n_mels..(start + seg_frames) * n_mels]);
        targets.push(tracks[ti].label as i64);
    }
    (data, targets)
}

/// Where an epoch's batches are: said as it starts, then at most every [`BATCH_EVERY`].
struct BatchNews {
    epoch: usize,
    epochs: usize,
    total: usize,
    said: Option<Instant>,
}

impl BatchNews {
    fn tell(&mut self, done: usize, on_event: &mut dyn FnMut(TrainEvent)) {
        if self.said.is_some_and(|t| t.elapsed() < BATCH_EVERY) {
            return;
        }
        self.said = Some(Instant::now());
        on_event(TrainEvent::Batch {
            epoch: self.epoch,
            epochs: self.epochs,
            done,
            total: self.total,
        });
    }
}

/// The best epoch so far (by validation accuracy, then loss) and the model it left.
struct Best<M> {
    /// (model, accuracy, −loss).
    kept: Option<(M, f64, f64)>,
    epoch: usize,
    /// Epochs since it.
    since: usize,
}

impl<M> Default for Best<M> {
    fn default() -> Self {
        Best {
            kept: None,
            epoch: 0,
            since: 0,
        }
    }
}

impl<M> Best<M> {
    /// Keeps `epoch`'s model (made by `model` only then) when its `(accuracy, −loss)` beats
    /// the best so far; whether it did.
    fn offer(&mut self, epoch: usize, score: (f64, f64), model: impl FnOnce() -> M) -> bool {
        let improved = match &self.kept {
            None => true,
            Some((_, a, l)) => score.0 > *a || (score.0 == *a && score.1 > *l),
        };
        if improved {
            self.kept = Some((model(), score.0, score.1));
            self.epoch = epoch;
            self.since = 0;
        } else {
            self.since += 1;
        }
        improved
    }
}

/// Track accuracy and mean track negative log-likelihood of a model over segmented tracks.
fn evaluate_tracks<M, F>(
    model: &M,
    forward: &F,
    segs: &[Segments],
    tracks: &[TrackFeatures],
    n_classes: usize,
) -> (f64, f64)
where
    F: Fn(&M, Tensor<4>) -> Tensor<2>,
{
    let device = inference_device();
    let mut correct = 0usize;
    let mut nll = 0.0f64;
    for (s, t) in segs.iter().zip(tracks) {
        if s.count == 0 {
            continue;
        }
        let x = Tensor::<4>::from_data(
            TensorData::new(s.data.clone(), [s.count, 1, s.frames, s.n_mels]),
            &device,
        );
        let probs = softmax(forward(model, x), 1)
            .into_data()
            .try_into_vec::<f32>()
            .unwrap_or_default();
        let v = mean_rows(&probs, n_classes);
        if argmax(&v).0 == t.label {
            correct += 1;
        }
        nll -= (v.get(t.label).copied().unwrap_or(0.0).max(1e-7) as f64).ln();
    }
    let n = tracks.len().max(1) as f64;
    (correct as f64 / n, nll / n)
}
