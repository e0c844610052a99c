//! A training job from a labelled folder to a model: the one code path behind `genreplay
//! train` and the player's retrain dialog. `prepare` looks at the folder (genres, counts,
//! warnings) without decoding; `run` extracts features (cached), trains and returns the model.
//! `cross_validate` measures a mode by K-fold cross-validation on the same features.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::cache::FeatureCache;
use super::calibrate::music_scores;
use super::calibrate::trained::{RuleFit, fit_trained};
use super::config::{ModelConfig, TrainMetrics};
use super::dataset::{LabelSource, LabelledSet, collect, split};
use super::eval::{EvalReport, report};
use super::infer::vector_of_features;
use super::registry::Net;
use super::train::{TrackFeatures, TrainEvent, TrainOptions, extract_features, train};
use crate::util::maths::argmax;

/// What gets trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainMode {
    /// Only a genre head on the frozen pretrained trunk, on cached trunk outputs: seconds.
    Quick,
    /// A whole CNN (Costa-style) from scratch on log-mel segments: minutes.
    Full,
}

impl TrainMode {
    pub fn config(self, labels: Vec<String>) -> ModelConfig {
        match self {
            TrainMode::Quick => ModelConfig::musicnn_default(labels),
            TrainMode::Full => ModelConfig::costa_default(labels),
        }
    }

    /// Sensible defaults per mode.
    pub fn default_options(self) -> TrainOptions {
        match self {
            TrainMode::Quick => TrainOptions {
                epochs: 60,
                batch_size: 32,
                learning_rate: 3e-4,
                patience: 15,
                seed: 42,
            },
            TrainMode::Full => TrainOptions::default(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TrainMode::Quick => "quick",
            TrainMode::Full => "full",
        }
    }
}

/// The `costa2017` preset's training: Adam 1e-3, batch 32, 8 epochs (bounded for a CPU: see
/// models/MODEL_CARD.md), no early stop (the epoch with the best validation result is still
/// the one kept when there are validation tracks).
pub fn costa2017_options() -> TrainOptions {
    TrainOptions {
        epochs: 8,
        batch_size: 32,
        learning_rate: 1e-3,
        patience: usize::MAX,
        seed: 42,
    }
}

/// A training request.
#[derive(Debug, Clone)]
pub struct TrainRequest {
    pub dir: PathBuf,
    pub labels: LabelSource,
    pub mode: TrainMode,
    pub options: TrainOptions,
    pub valid_frac: f64,
    /// Use DIR/INDEX.tsv's split when present.
    pub use_index: bool,
    /// Root of the feature cache (`None`: no cache).
    pub cache_root: Option<PathBuf>,
    pub threads: usize,
}

/// What `prepare` found in the folder.
#[derive(Debug, Clone, Serialize)]
pub struct Prepared {
    #[serde(skip)]
    pub set: LabelledSet,
    pub labels: Vec<String>,
    pub counts: Vec<(String, usize)>,
    #[serde(skip)]
    pub train_ix: Vec<usize>,
    #[serde(skip)]
    pub valid_ix: Vec<usize>,
    pub train_tracks: usize,
    pub valid_tracks: usize,
    /// Problems worth showing before starting (small genres, unreadable files…).
    pub warnings: Vec<String>,
    pub skipped: usize,
}

/// Looks at the folder: labels, counts, split, warnings. Refuses fewer than two genres.
pub fn prepare(req: &TrainRequest) -> anyhow::Result<Prepared> {
    let set = collect(&req.dir, req.labels, req.use_index)?;
    let labels = set.labels();
    if labels.len() < 2 {
        anyhow::bail!(
            "{}: found {} genre(s){}; training needs at least 2{}",
            req.dir.display(),
            labels.len(),
            if labels.is_empty() {
                String::new()
            } else {
                format!(" ({})", labels.join(", "))
            },
            match req.labels {
                LabelSource::Folders => " (one subfolder of audio files per genre)",
                LabelSource::Tags { .. } => " (files with genre tags)",
            }
        );
    }
    let (train_ix, valid_ix) = split(&set, req.valid_frac, req.options.seed);
    let counts: Vec<(String, usize)> = set.counts().into_iter().collect();
    let mut warnings = Vec::new();
    if req.labels == LabelSource::Folders {
        let like = super::dataset::artist_like(&set.artists_by_label());
        if !like.is_empty() {
            warnings.push(super::dataset::artist_warning(&req.dir, &like));
        }
    }
    for (l, n) in &counts {
        if *n < 5 {
            warnings.push(format!(
                "genre '{l}' has only {n} track{}",
                if *n == 1 { "" } else { "s" }
            ));
        }
    }
    if valid_ix.is_empty() {
        warnings.push(
            "no validation tracks: the last epoch is kept and no accuracy is measured".into(),
        );
    }
    let unreadable = set
        .skipped
        .iter()
        .filter(|(_, why)| why.starts_with("cannot read"))
        .count();
    if unreadable > 0 {
        warnings.push(format!("{unreadable} unreadable folders or files"));
    }
    Ok(Prepared {
        labels,
        counts,
        train_tracks: train_ix.len(),
        valid_tracks: valid_ix.len(),
        skipped: set.skipped.len(),
        train_ix,
        valid_ix,
        warnings,
        set,
    })
}

/// The trained model and how it did.
pub struct TrainResult {
    pub config: ModelConfig,
    pub net: Net,
    pub history: Vec<super::train::EpochReport>,
    pub best_epoch: usize,
    pub valid_accuracy: Option<f64>,
    pub train_tracks: usize,
    pub valid_tracks: usize,
    /// Validation tracks (path, label index) the accuracy was measured on.
    pub valid_files: Vec<(PathBuf, usize)>,
    /// Their features (to compare models without decoding again).
    pub valid_features: Vec<TrackFeatures>,
    pub cancelled: bool,
    /// Files that could not be analysed.
    pub failed_files: usize,
    /// The model's own open-set rule ("?"), fitted on its tracks, or why there is none.
    pub open_set: RuleFit,
}

fn files_of(p: &Prepared, ix: &[usize]) -> Vec<(PathBuf, usize)> {
    ix.iter()
        .map(|&i| {
            let t = &p.set.tracks[i];
            (
                t.path.clone(),
                p.labels.iter().position(|l| *l == t.label).unwrap_or(0),
            )
        })
        .collect()
}

fn cache_for(req: &TrainRequest, config: &ModelConfig) -> Option<FeatureCache> {
    req.cache_root
        .as_deref()
        .map(|root| FeatureCache::new(root, &config.feature_key()))
}

/// Extracts features and trains. `cancel` stops at the next file or batch.
pub fn run(
    req: &TrainRequest,
    prepared: &Prepared,
    on_event: &(dyn Fn(TrainEvent) + Sync),
    cancel: &AtomicBool,
) -> anyhow::Result<TrainResult> {
    let config = req.mode.config(prepared.labels.clone());
    run_with_config(req, prepared, config, on_event, cancel)
}

/// [`run`] for a given model configuration (e.g. a head on another trunk than the mode's).
pub fn run_with_config(
    req: &TrainRequest,
    prepared: &Prepared,
    mut config: ModelConfig,
    on_event: &(dyn Fn(TrainEvent) + Sync),
    cancel: &AtomicBool,
) -> anyhow::Result<TrainResult> {
    let cache = cache_for(req, &config);
    let train_files = files_of(prepared, &prepared.train_ix);
    let valid_files = files_of(prepared, &prepared.valid_ix);
    let mut all = train_files.clone();
    all.extend(valid_files.iter().cloned());
    let feats = extract_features(&config, &all, req.threads, cache.as_ref(), on_event, cancel);
    let failed_files = all.len().saturating_sub(feats.len());
    let is_valid: std::collections::HashSet<&Path> =
        valid_files.iter().map(|(p, _)| p.as_path()).collect();
    let (valid_f, train_f): (Vec<TrackFeatures>, Vec<TrackFeatures>) = feats
        .into_iter()
        .partition(|t| is_valid.contains(t.path.as_path()));
    if cancel.load(std::sync::atomic::Ordering::Relaxed) {
        anyhow::bail!("cancelled");
    }
    let mut forward = |ev: TrainEvent| on_event(ev);
    let outcome = train(
        &config,
        &train_f,
        &valid_f,
        &req.options,
        &mut forward,
        cancel,
    )?;
    // Every trained model says "?": its own rule, fitted on its own held-out tracks.
    let open_set = if outcome.cancelled {
        RuleFit::Skipped("cancelled".into())
    } else {
        on_event(TrainEvent::Calibrating);
        let paths: Vec<PathBuf> = train_f
            .iter()
            .chain(&valid_f)
            .map(|t| t.path.clone())
            .collect();
        let music = music_scores(&config, &paths, cache.as_ref(), req.threads);
        fit_trained(
            &mut config,
            &outcome.net,
            &train_f,
            &valid_f,
            &music,
            req.threads,
        )
        .unwrap_or_else(|e| RuleFit::Skipped(format!("no \"?\" rule: {e:#}")))
    };
    config.info.created_unix_secs = crate::store::now_unix();
    // Absolute, so `eval` can tell from anywhere that a folder is the one it was trained on.
    let dir = std::fs::canonicalize(&req.dir).unwrap_or_else(|_| req.dir.clone());
    config.info.source = Some(dir.to_string_lossy().into_owned());
    config.info.metrics = Some(TrainMetrics {
        train_tracks: train_f.len(),
        valid_tracks: valid_f.len(),
        valid_track_accuracy: outcome.best_valid_accuracy,
        best_epoch: outcome.best_epoch,
        epochs_run: outcome.history.len(),
    });
    config.info.notes = Some(format!("genreplay train --mode {}", req.mode.name()));
    let valid_used: Vec<(PathBuf, usize)> =
        valid_f.iter().map(|t| (t.path.clone(), t.label)).collect();
    Ok(TrainResult {
        config,
        net: outcome.net,
        history: outcome.history,
        best_epoch: outcome.best_epoch,
        valid_accuracy: outcome.best_valid_accuracy,
        train_tracks: train_f.len(),
        valid_tracks: valid_f.len(),
        valid_files: valid_used,
        valid_features: valid_f,
        cancelled: outcome.cancelled,
        failed_files,
        open_set,
    })
}

/// Cross-validation figures.
#[derive(Debug, Clone, Serialize)]
pub struct CvReport {
    pub folds: usize,
    pub mode: TrainMode,
    /// Accuracy of each fold's held-out tracks.
    pub fold_accuracy: Vec<f64>,
    pub mean_accuracy: f64,
    pub std_accuracy: f64,
    /// Pooled over all folds: every track predicted once, by the model that did not see it.
    pub pooled: EvalReport,
    /// How the folds were grouped.
    pub grouping: String,
    /// Every track's vectors from the model that did not see it (for measuring "play next").
    #[serde(skip)]
    pub out_of_fold: Vec<OutOfFold>,
}

/// A track's genre (and style) vector predicted by a fold that did not train on it.
#[derive(Debug, Clone)]
pub struct OutOfFold {
    pub id: crate::library::TrackId,
    /// Lower-cased artist tag ("" when untagged).
    pub artist: String,
    pub label: usize,
    pub genre: Vec<f32>,
    pub style: Option<Vec<f32>>,
}

/// K-fold cross-validation: stratified by genre, whole artists per fold where tags name them
/// (else whole tracks). Every track is predicted by a model that never saw it or its artist.
pub fn cross_validate(
    req: &TrainRequest,
    prepared: &Prepared,
    k: usize,
    on_event: &(dyn Fn(TrainEvent) + Sync),
    cancel: &AtomicBool,
) -> anyhow::Result<CvReport> {
    let config = req.mode.config(prepared.labels.clone());
    cross_validate_with_config(req, prepared, config, k, on_event, cancel)
}

/// [`cross_validate`] for a given model configuration.
pub fn cross_validate_with_config(
    req: &TrainRequest,
    prepared: &Prepared,
    config: ModelConfig,
    k: usize,
    on_event: &(dyn Fn(TrainEvent) + Sync),
    cancel: &AtomicBool,
) -> anyhow::Result<CvReport> {
    let k = k.max(2);
    let cache = cache_for(req, &config);
    let all_ix: Vec<usize> = (0..prepared.set.tracks.len()).collect();
    let files = files_of(prepared, &all_ix);
    let feats = extract_features(
        &config,
        &files,
        req.threads,
        cache.as_ref(),
        on_event,
        cancel,
    );
    let fold_of_path = assign_folds(prepared, k, req.options.seed);
    let mut pairs = Vec::new();
    let mut fold_accuracy = Vec::new();
    let mut out_of_fold: Vec<OutOfFold> = Vec::new();
    let artist_of: std::collections::HashMap<&Path, String> = prepared
        .set
        .tracks
        .iter()
        .map(|t| {
            (
                t.path.as_path(),
                t.artist.clone().unwrap_or_default().to_lowercase(),
            )
        })
        .collect();
    for fold in 0..k {
        let (test, train_f): (Vec<TrackFeatures>, Vec<TrackFeatures>) = feats
            .iter()
            .cloned()
            .partition(|t| fold_of_path.get(&t.path) == Some(&fold));
        if test.is_empty() || train_f.is_empty() {
            continue;
        }
        // No validation split inside the fold: a fixed number of epochs (the mode's default
        // early-stopping point is not available without peeking at the test fold).
        let mut opts = req.options.clone();
        opts.patience = opts.epochs;
        let outcome = train(
            &config,
            &train_f,
            &[],
            &opts,
            &mut |ev| on_event(ev),
            cancel,
        )?;
        let clf_net = outcome.net;
        let mut correct = 0;
        for t in &test {
            let (vector, style) = vector_of_features(&config, &clf_net, t);
            let pred = argmax(&vector).0;
            out_of_fold.push(OutOfFold {
                id: crate::library::TrackId::of_path(&t.path),
                artist: artist_of.get(t.path.as_path()).cloned().unwrap_or_default(),
                label: t.label,
                genre: vector,
                style,
            });
            pairs.push((t.label, pred));
            if pred == t.label {
                correct += 1;
            }
        }
        fold_accuracy.push(correct as f64 / test.len() as f64);
    }
    let n = fold_accuracy.len().max(1) as f64;
    let mean = fold_accuracy.iter().sum::<f64>() / n;
    let std = (fold_accuracy
        .iter()
        .map(|a| (a - mean).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    Ok(CvReport {
        folds: k,
        mode: req.mode,
        fold_accuracy,
        mean_accuracy: mean,
        std_accuracy: std,
        pooled: report(&prepared.labels, &pairs),
        out_of_fold,
        grouping: grouping(prepared),
    })
}

/// Each track's fold: groups (artist, else file) dealt round-robin per genre after a shuffle
/// seeded by `seed`, so a fold holds whole artists.
fn assign_folds(prepared: &Prepared, k: usize, seed: u64) -> HashMap<PathBuf, usize> {
    let tracks = &prepared.set.tracks;
    let group_of = |i: usize| -> String {
        let t = &tracks[i];
        match &t.artist {
            Some(a) => format!("artist:{}", a.to_lowercase()),
            None => format!("file:{}", t.path.display()),
        }
    };
    let mut fold_of_group: HashMap<String, usize> = Default::default();
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
    let mut next_fold = 0usize;
    for label in &prepared.labels {
        let mut groups: Vec<String> = (0..tracks.len())
            .filter(|&i| &tracks[i].label == label)
            .map(group_of)
            .collect();
        groups.sort();
        groups.dedup();
        rand::seq::SliceRandom::shuffle(groups.as_mut_slice(), &mut rng);
        for g in groups {
            fold_of_group.entry(g).or_insert_with(|| {
                let f = next_fold % k;
                next_fold += 1;
                f
            });
        }
    }
    (0..tracks.len())
        .map(|i| {
            (
                tracks[i].path.clone(),
                fold_of_group.get(&group_of(i)).copied().unwrap_or(0),
            )
        })
        .collect()
}

/// How the folds were grouped, in words.
fn grouping(prepared: &Prepared) -> String {
    let with_artist = prepared
        .set
        .tracks
        .iter()
        .filter(|t| t.artist.is_some())
        .count();
    if with_artist > 0 {
        format!(
            "by artist tag ({with_artist} of {} tracks tagged; the rest by track)",
            prepared.set.tracks.len()
        )
    } else {
        "by track (no artist tags in this folder)".into()
    }
}

/// How the trained model and the active one do on the trained model's validation tracks.
pub struct Comparison {
    pub report: EvalReport,
    /// The active model's accuracy on the validation tracks whose genre it knows, and how many
    /// those were (`None` when it knows none of the genres).
    pub active: Option<(f64, usize)>,
}

/// Scores `result` on its validation tracks, and `active` on the same tracks (from the cached
/// features when both models read the same ones, else by classifying the files).
pub fn compare(result: &TrainResult, active: &super::registry::LoadedModel) -> Comparison {
    let labels = &result.config.labels;
    let pairs: Vec<(usize, usize)> = result
        .valid_features
        .iter()
        .map(|t| {
            (
                t.label,
                argmax(&vector_of_features(&result.config, &result.net, t).0).0,
            )
        })
        .collect();
    let same_features = result.config.feature_key() == active.config.feature_key();
    let active_label = |l: usize| -> Option<usize> {
        let name = labels.get(l)?;
        active
            .config
            .labels
            .iter()
            .position(|a| a.eq_ignore_ascii_case(name))
    };
    let mut n = 0usize;
    let mut correct = 0usize;
    let clf = (!same_features)
        .then(|| super::infer::Classifier::new(active.clone(), super::backend::inference_device()));
    for t in &result.valid_features {
        let Some(truth) = active_label(t.label) else {
            continue;
        };
        let pred = match &clf {
            None => Some(argmax(&vector_of_features(&active.config, &active.net, t).0).0),
            Some(c) => c.classify_file(&t.path).ok().map(|p| p.top().0),
        };
        if let Some(p) = pred {
            n += 1;
            if p == truth {
                correct += 1;
            }
        }
    }
    Comparison {
        report: report(labels, &pairs),
        active: (n > 0).then(|| (correct as f64 / n as f64, n)),
    }
}
