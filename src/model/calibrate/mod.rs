//! Fitting the open-set rule ([`super::open_set`]) on a labelled folder with an artist-filtered
//! split (gtzan-dev's `INDEX.tsv`): the density of pooled embeddings on the `train` rows, the
//! distance threshold from the `valid` rows (no artist on both sides), the temperature and the
//! confidence threshold from out-of-fold predictions of K-fold cross-validation on the
//! train+valid rows (folds by track); the music floor from the train+valid rows' music
//! cues (no parameter of the cue is learned, so every row held out from nothing may set it).
//! The trust level, above which the distance no longer counts, is a calibrated confidence
//! (`DEFAULT_TRUST_CONFIDENCE`), not fitted.
//!
//! `genreplay calibrate` fits the rule of a model on a folder; `genreplay train` and the
//! player's retrain dialog fit the trained model's own rule on its own held-out tracks
//! ([`fit_trained`], in `trained.rs`), so every model says "?".

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde::Serialize;

use super::ModelConfig;
use super::cache::FeatureCache;
use super::dataset::Split;
use super::infer::vector_of_features;
use super::musicnn::MUSICNN_N_TAGS;
use super::open_set::{Density, OpenSetConfig, ece, fit_temperature, quantile, scale};
use super::styles::genre_tag;
use super::train::{TrackFeatures, TrainOptions, file_cues, train};
use crate::features::Frontend;
use crate::util::maths::{argmax, mean_rows};

pub mod trained;

/// How the rule is fitted.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationOptions {
    /// Covariance shrinkage towards the diagonal, 0–1.
    pub shrinkage: f64,
    /// The share of held-out music the distance threshold keeps (its quantile).
    pub keep_distance: f64,
    /// The share of out-of-fold music the confidence threshold keeps.
    pub keep_confidence: f64,
    /// The share of the train+valid music the music-likeness floor keeps.
    pub keep_music: f64,
    /// Cross-validation folds for the temperature.
    pub folds: usize,
    /// How each fold's head is trained (the default model's recipe).
    pub train: TrainOptions,
    /// Which held-out predictions the temperature is fitted on.
    pub temperature_from: TemperatureFrom,
    /// The calibrated confidence at and above which the distance does not count (`None`: it
    /// always counts, as rules fitted before this existed).
    pub trust_confidence: Option<f32>,
    /// Reference music the density is pooled with (a trained model: the built-in model's
    /// training excerpts on the same trunk), so "far" means far from both.
    #[serde(skip)]
    pub reference: Option<Density>,
}

/// The calibrated confidence at which a track keeps its genre however far its sound lies
/// from the training music: a round calibrated level ("95 % sure"), chosen before looking at
/// the real music it is measured on, not fitted. The closest non-music sound measured, the
/// synthesised brown noise, comes out at 0.92 under the built-in model.
pub const DEFAULT_TRUST_CONFIDENCE: f32 = 0.95;

/// Held-out predictions to fit the temperature on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TemperatureFrom {
    /// K-fold by track on train+valid (artists may repeat across folds).
    Cv,
    /// The valid rows, by a head trained on the train rows (no shared artists).
    Valid,
    /// Both artist-filtered directions: valid rows by a head on train rows, train rows by a
    /// head on valid rows.
    ArtistSwap,
}

impl Default for CalibrationOptions {
    fn default() -> Self {
        CalibrationOptions {
            shrinkage: 0.3,
            keep_distance: 0.95,
            keep_confidence: 0.975,
            keep_music: 1.0,
            folds: 5,
            train: TrainOptions {
                epochs: 20,
                batch_size: 32,
                learning_rate: 3e-4,
                patience: 20,
                seed: 42,
            },
            temperature_from: TemperatureFrom::Valid,
            trust_confidence: Some(DEFAULT_TRUST_CONFIDENCE),
            reference: None,
        }
    }
}

/// What the fit measured (all on held-out tracks).
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationReport {
    pub train_rows: usize,
    pub valid_rows: usize,
    pub cv_tracks: usize,
    pub temperature: f32,
    pub min_confidence: f32,
    pub max_distance: f32,
    /// The music-likeness floor and the train+valid rows it was set on (none without cues).
    pub min_music: Option<f32>,
    pub music_rows: usize,
    /// ECE (10 bins) of the K-fold out-of-fold vectors, raw and scaled.
    pub cv_ece_raw: f64,
    pub cv_ece_scaled: f64,
    /// ECE of the valid rows predicted by a head trained on the train rows only.
    pub valid_ece_raw: f64,
    pub valid_ece_scaled: f64,
    /// Valid rows (artist-held-out head and density) the rule calls known.
    pub valid_known: usize,
    /// Valid rows beyond the distance threshold that the trust level keeps known.
    pub valid_far_trusted: usize,
    pub trust_confidence: Option<f32>,
    /// K-fold out-of-fold tracks the confidence threshold keeps.
    pub cv_confident: usize,
    /// The temperature each set of held-out predictions gives.
    pub temperature_cv: f32,
    pub temperature_valid: f32,
    pub temperature_artist_swap: f32,
    /// ECE of both artist-filtered directions, raw and scaled.
    pub swap_ece_raw: f64,
    pub swap_ece_scaled: f64,
}

/// The pooled embedding of a head model's cached trunk features (every feature before the
/// 50 tags, averaged over patches).
pub fn pooled_embedding(t: &TrackFeatures) -> Vec<f32> {
    let dims = t.mel.n_mels;
    let e = dims.saturating_sub(MUSICNN_N_TAGS);
    let rows: Vec<f32> = t
        .mel
        .data
        .chunks_exact(dims.max(1))
        .flat_map(|r| r[..e].iter().copied())
        .collect();
    mean_rows(&rows, e)
}

/// Stratified folds by track: each genre's tracks shuffled (seeded) and dealt round-robin.
fn folds_of(feats: &[&TrackFeatures], k: usize, seed: u64) -> Vec<usize> {
    let mut fold = vec![0usize; feats.len()];
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
    let mut labels: Vec<usize> = feats.iter().map(|t| t.label).collect();
    labels.sort_unstable();
    labels.dedup();
    let mut next = 0usize;
    for l in labels {
        let mut ix: Vec<usize> = (0..feats.len()).filter(|&i| feats[i].label == l).collect();
        rand::seq::SliceRandom::shuffle(ix.as_mut_slice(), &mut rng);
        for i in ix {
            fold[i] = next % k;
            next += 1;
        }
    }
    fold
}

/// Fits the open-set rule for `config` (a head model) on trunk features with their splits
/// and the music-likeness score of each file (`music`, by path; files without one are left
/// out of the music floor).
pub fn fit(
    config: &ModelConfig,
    feats: &[(TrackFeatures, Option<Split>)],
    music: &HashMap<PathBuf, f32>,
    opts: &CalibrationOptions,
) -> anyhow::Result<(OpenSetConfig, CalibrationReport)> {
    if !config.is_head() {
        anyhow::bail!(
            "the open-set rule needs a head on a pretrained trunk (a --mode quick model)"
        );
    }
    let of = |s: Split| -> Vec<&TrackFeatures> {
        feats
            .iter()
            .filter(|(_, sp)| *sp == Some(s))
            .map(|(t, _)| t)
            .collect()
    };
    let (train_rows, valid_rows) = (of(Split::Train), of(Split::Valid));
    if train_rows.len() < 10 || valid_rows.len() < 5 {
        anyhow::bail!(
            "need an INDEX.tsv with at least 10 train and 5 valid rows (have {} and {})",
            train_rows.len(),
            valid_rows.len()
        );
    }
    // 1. The density on the train rows, the distance threshold from the valid rows.
    let distance = fit_distance(&train_rows, &valid_rows, opts)?;
    let max_distance = distance.max_distance;
    // 2. and 3. Held-out predictions: artist-filtered, and K-fold on train+valid.
    let held = HeldOut::predict(config, &train_rows, &valid_rows, opts)?;
    let t_cv = fit_temperature(&held.cv);
    let t_valid = fit_temperature(&held.valid);
    let t_swap = fit_temperature(&held.swap);
    let temperature = match opts.temperature_from {
        TemperatureFrom::Cv => t_cv,
        TemperatureFrom::Valid => t_valid,
        TemperatureFrom::ArtistSwap => t_swap,
    };
    let scaled = |v: &[(Vec<f32>, usize)]| -> Vec<(Vec<f32>, usize)> {
        v.iter().map(|(p, l)| (scale(p, temperature), *l)).collect()
    };
    let cv_scaled = scaled(&held.cv);
    let tops: Vec<f32> = cv_scaled.iter().map(|(p, _)| argmax(p).1).collect();
    let min_confidence = quantile(&tops, 1.0 - opts.keep_confidence).unwrap_or(0.0);
    // 4. The music floor: a low quantile of the train+valid rows' music-likeness.
    let music_of = |p: &Path| music.get(p).copied();
    let scores: Vec<f32> = train_rows
        .iter()
        .chain(&valid_rows)
        .filter_map(|t| music_of(&t.path))
        .collect();
    let min_music = quantile(&scores, 1.0 - opts.keep_music);
    let mut rule = OpenSetConfig {
        temperature,
        min_confidence,
        max_distance,
        trust_confidence: opts.trust_confidence,
        genre_tags: if opts.trust_confidence.is_some() {
            config.labels.iter().map(|l| genre_tag(l)).collect()
        } else {
            Vec::new()
        },
        min_music,
        density: distance.density,
        fitted: String::new(),
    };
    // How the rule does on the valid rows (artist-held-out head and density).
    let valid_verdicts: Vec<_> = valid_rows
        .iter()
        .zip(&held.valid)
        .zip(&held.valid_tags)
        .map(|((t, (v, _)), tags)| {
            rule.judge(
                v,
                Some(&pooled_embedding(t)),
                music_of(&t.path),
                tags.as_deref(),
            )
        })
        .collect();
    let report = CalibrationReport {
        train_rows: train_rows.len(),
        valid_rows: valid_rows.len(),
        cv_tracks: held.cv.len(),
        temperature,
        min_confidence,
        max_distance,
        min_music,
        music_rows: scores.len(),
        cv_ece_raw: ece(&held.cv, 10),
        cv_ece_scaled: ece(&cv_scaled, 10),
        valid_ece_raw: ece(&held.valid, 10),
        valid_ece_scaled: ece(&scaled(&held.valid), 10),
        valid_known: valid_verdicts.iter().filter(|v| v.known).count(),
        valid_far_trusted: valid_verdicts
            .iter()
            .filter(|v| v.known && v.distance > max_distance)
            .count(),
        trust_confidence: opts.trust_confidence,
        cv_confident: tops.iter().filter(|&&c| c >= min_confidence).count(),
        temperature_cv: t_cv,
        temperature_valid: t_valid,
        temperature_artist_swap: t_swap,
        swap_ece_raw: ece(&held.swap, 10),
        swap_ece_scaled: ece(&scaled(&held.swap), 10),
    };
    rule.fitted = describe_fit(opts, &report, distance.reference_rows, held.folds);
    Ok((rule, report))
}

/// The density of "music like the training music" and how far from it music still lies.
struct DistanceFit {
    density: Density,
    /// The distance the share `keep_distance` of the valid rows lies within.
    max_distance: f32,
    /// Reference excerpts pooled into the density (beside the train rows).
    reference_rows: usize,
}

/// The density on the train rows' pooled embeddings (with the reference music, if any), the
/// distance threshold from the valid rows.
fn fit_distance(
    train_rows: &[&TrackFeatures],
    valid_rows: &[&TrackFeatures],
    opts: &CalibrationOptions,
) -> anyhow::Result<DistanceFit> {
    let train_emb: Vec<Vec<f32>> = train_rows.iter().map(|t| pooled_embedding(t)).collect();
    let pooled = opts
        .reference
        .as_ref()
        .and_then(|r| r.pooled_with(&train_emb, opts.shrinkage));
    let reference_rows = pooled
        .as_ref()
        .map_or(0, |d| d.rows.saturating_sub(train_emb.len()));
    let density = match pooled {
        Some(d) => d,
        None => Density::fit(&train_emb, opts.shrinkage).map_err(anyhow::Error::msg)?,
    };
    let valid_dist: Vec<f32> = valid_rows
        .iter()
        .filter_map(|t| density.distance(&pooled_embedding(t)))
        .collect();
    let max_distance = quantile(&valid_dist, opts.keep_distance)
        .ok_or_else(|| anyhow::anyhow!("no distances on the valid rows"))?;
    Ok(DistanceFit {
        density,
        max_distance,
        reference_rows,
    })
}

/// Genre vectors of tracks predicted by heads that did not see them, with the truth.
struct HeldOut {
    /// The valid rows by a head trained on the train rows (artist-held-out), with the
    /// trunk's tags of each.
    valid: Vec<(Vec<f32>, usize)>,
    valid_tags: Vec<Option<Vec<f32>>>,
    /// Out-of-fold predictions of K-fold cross-validation by track on train+valid.
    cv: Vec<(Vec<f32>, usize)>,
    /// Both artist-filtered directions: `valid`, then the train rows by a head on the valid rows.
    swap: Vec<(Vec<f32>, usize)>,
    /// K.
    folds: usize,
}

impl HeldOut {
    fn predict(
        config: &ModelConfig,
        train_rows: &[&TrackFeatures],
        valid_rows: &[&TrackFeatures],
        opts: &CalibrationOptions,
    ) -> anyhow::Result<Self> {
        let cancel = AtomicBool::new(false);
        let owned = |v: &[&TrackFeatures]| -> Vec<TrackFeatures> {
            v.iter().map(|t| (*t).clone()).collect()
        };
        // A head on the train rows only, for the valid rows' vectors (artist-held-out).
        let head = train(
            config,
            &owned(train_rows),
            &[],
            &opts.train,
            &mut |_| {},
            &cancel,
        )?;
        let mut valid: Vec<(Vec<f32>, usize)> = Vec::with_capacity(valid_rows.len());
        let mut valid_tags: Vec<Option<Vec<f32>>> = Vec::with_capacity(valid_rows.len());
        for t in valid_rows {
            let (v, tags) = vector_of_features(config, &head.net, t);
            valid.push((v, t.label));
            valid_tags.push(tags);
        }
        // K-fold on train+valid for the temperature and the confidence threshold.
        let pool: Vec<&TrackFeatures> = train_rows.iter().chain(valid_rows).copied().collect();
        let folds = opts.folds.max(2);
        let cv = out_of_fold(config, &pool, folds, opts, &cancel)?;
        // The reverse artist-filtered fold: a head on the valid rows predicts the train rows.
        let back = train(
            config,
            &owned(valid_rows),
            &[],
            &opts.train,
            &mut |_| {},
            &cancel,
        )?;
        let swap = valid
            .iter()
            .cloned()
            .chain(
                train_rows
                    .iter()
                    .map(|t| (vector_of_features(config, &back.net, t).0, t.label)),
            )
            .collect();
        Ok(Self {
            valid,
            valid_tags,
            cv,
            swap,
            folds,
        })
    }
}

/// Out-of-fold predictions of `k`-fold cross-validation by track on `pool` (stratified folds).
fn out_of_fold(
    config: &ModelConfig,
    pool: &[&TrackFeatures],
    k: usize,
    opts: &CalibrationOptions,
    cancel: &AtomicBool,
) -> anyhow::Result<Vec<(Vec<f32>, usize)>> {
    let fold = folds_of(pool, k, opts.train.seed);
    let mut cv_vecs: Vec<(Vec<f32>, usize)> = Vec::new();
    for f in 0..k {
        let tr: Vec<TrackFeatures> = (0..pool.len())
            .filter(|&i| fold[i] != f)
            .map(|i| pool[i].clone())
            .collect();
        let te: Vec<&TrackFeatures> = (0..pool.len())
            .filter(|&i| fold[i] == f)
            .map(|i| pool[i])
            .collect();
        if tr.is_empty() || te.is_empty() {
            continue;
        }
        let out = train(config, &tr, &[], &opts.train, &mut |_| {}, cancel)?;
        for t in te {
            cv_vecs.push((vector_of_features(config, &out.net, t).0, t.label));
        }
    }
    Ok(cv_vecs)
}

/// How the rule was fitted, in words (kept with the rule: `OpenSetConfig::fitted`).
fn describe_fit(
    opts: &CalibrationOptions,
    report: &CalibrationReport,
    reference_rows: usize,
    k: usize,
) -> String {
    let t_from = match opts.temperature_from {
        TemperatureFrom::Valid => "the valid rows predicted by a head trained on the train rows",
        TemperatureFrom::Cv => "out-of-fold predictions of the cross-validation",
        TemperatureFrom::ArtistSwap => {
            "both artist-filtered directions (valid by train, train by valid)"
        }
    };
    let mut fitted = format!(
        "density: pooled embeddings of the {} train rows{}, shrinkage {}; max_distance: the {:.0}% quantile of the {} valid rows (artist-filtered split); temperature (NLL) on {t_from}; min_confidence: the {:.1}% quantile of {k}-fold cross-validation by track on the {} train+valid rows, out-of-fold",
        report.train_rows,
        if reference_rows > 0 {
            format!(" and the {reference_rows} excerpts of the built-in model's density")
        } else {
            String::new()
        },
        opts.shrinkage,
        opts.keep_distance * 100.0,
        report.valid_rows,
        (1.0 - opts.keep_confidence) * 100.0,
        report.cv_tracks
    );
    if let Some(t) = opts.trust_confidence {
        fitted.push_str(&format!(
            "; the distance is overruled at a calibrated confidence of {t} or more (a set level, not fitted) when the trunk's top tag names the genre"
        ));
    }
    if report.min_music.is_some() {
        fitted.push_str(&format!(
            "; min_music: the {:.1}% quantile of the music-likeness of the {} train+valid rows",
            (1.0 - opts.keep_music) * 100.0,
            report.music_rows
        ));
    }
    fitted
}

/// A labelled file with its split, as [`fit`] needs it.
pub type SplitFile = (PathBuf, usize, Option<Split>);

/// The music-likeness score of each file (its cues from the feature cache, else decoded once
/// and kept there), on `threads` threads. A file that cannot be decoded or is too short to
/// measure is left out (and logged): the floor is set on the others.
pub fn music_scores(
    config: &ModelConfig,
    paths: &[PathBuf],
    cache: Option<&FeatureCache>,
    threads: usize,
) -> HashMap<PathBuf, f32> {
    let frontend = Frontend::new(&config.frontend);
    let next = AtomicUsize::new(0);
    let out = Mutex::new(HashMap::with_capacity(paths.len()));
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, paths.len().max(1)) {
            s.spawn(|| {
                while let Some(p) = paths.get(next.fetch_add(1, Ordering::Relaxed)) {
                    match file_cues(config, &frontend, p, cache) {
                        Ok(Some(c)) => {
                            if let Ok(mut m) = out.lock() {
                                m.insert(p.clone(), c.score());
                            }
                        }
                        Ok(None) => tracing::info!(path = %p.display(), "no music cues: too short"),
                        Err(e) => tracing::info!(path = %p.display(), error = %e, "no music cues"),
                    }
                }
            });
        }
    });
    out.into_inner().unwrap_or_default()
}
