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
//! ([`fit_trained`]), so every model says "?".

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde::Serialize;

use super::ModelConfig;
use super::backend::inference_device;
use super::cache::FeatureCache;
use super::dataset::Split;
use super::infer::Classifier;
use super::infer::vector_of_features;
use super::musicnn::MUSICNN_N_TAGS;
use super::open_set::{Density, OpenSetConfig, ece, fit_temperature, quantile, scale};
use super::registry::{BUILTINS, LoadedModel, ModelId, ModelSource, Net};
use super::styles::genre_tag;
use super::train::{TrackFeatures, TrainOptions, file_cues, train};
use crate::features::Frontend;
use crate::util::maths::{argmax, mean_rows};

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
    let cancel = AtomicBool::new(false);
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
    let owned =
        |v: &[&TrackFeatures]| -> Vec<TrackFeatures> { v.iter().map(|t| (*t).clone()).collect() };
    // 2. A head on the train rows only, for the valid rows' vectors (artist-held-out).
    let head = train(
        config,
        &owned(&train_rows),
        &[],
        &opts.train,
        &mut |_| {},
        &cancel,
    )?;
    let mut valid_vecs: Vec<(Vec<f32>, usize)> = Vec::with_capacity(valid_rows.len());
    let mut valid_tags: Vec<Option<Vec<f32>>> = Vec::with_capacity(valid_rows.len());
    for t in &valid_rows {
        let (v, tags) = vector_of_features(config, &head.net, t);
        valid_vecs.push((v, t.label));
        valid_tags.push(tags);
    }
    // 3. K-fold on train+valid for the temperature and the confidence threshold.
    let pool: Vec<&TrackFeatures> = train_rows.iter().chain(&valid_rows).copied().collect();
    let k = opts.folds.max(2);
    let fold = folds_of(&pool, k, opts.train.seed);
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
        let out = train(config, &tr, &[], &opts.train, &mut |_| {}, &cancel)?;
        for t in te {
            cv_vecs.push((vector_of_features(config, &out.net, t).0, t.label));
        }
    }
    // The reverse artist-filtered fold: a head on the valid rows predicts the train rows.
    let back = train(
        config,
        &owned(&valid_rows),
        &[],
        &opts.train,
        &mut |_| {},
        &cancel,
    )?;
    let swap_vecs: Vec<(Vec<f32>, usize)> = valid_vecs
        .iter()
        .cloned()
        .chain(
            train_rows
                .iter()
                .map(|t| (vector_of_features(config, &back.net, t).0, t.label)),
        )
        .collect();
    let t_cv = fit_temperature(&cv_vecs);
    let t_valid = fit_temperature(&valid_vecs);
    let t_swap = fit_temperature(&swap_vecs);
    let temperature = match opts.temperature_from {
        TemperatureFrom::Cv => t_cv,
        TemperatureFrom::Valid => t_valid,
        TemperatureFrom::ArtistSwap => t_swap,
    };
    let scaled = |v: &[(Vec<f32>, usize)]| -> Vec<(Vec<f32>, usize)> {
        v.iter().map(|(p, l)| (scale(p, temperature), *l)).collect()
    };
    let cv_scaled = scaled(&cv_vecs);
    let valid_scaled = scaled(&valid_vecs);
    let tops: Vec<f32> = cv_scaled.iter().map(|(p, _)| argmax(p).1).collect();
    let min_confidence = quantile(&tops, 1.0 - opts.keep_confidence).unwrap_or(0.0);
    // 4. The music floor: a low quantile of the train+valid rows' music-likeness.
    let music_of = |p: &Path| music.get(p).copied();
    let scores: Vec<f32> = pool.iter().filter_map(|t| music_of(&t.path)).collect();
    let min_music = quantile(&scores, 1.0 - opts.keep_music);
    let rule = OpenSetConfig {
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
        density,
        fitted: String::new(),
    };
    let valid_verdicts: Vec<_> = valid_rows
        .iter()
        .zip(&valid_vecs)
        .zip(&valid_tags)
        .map(|((t, (v, _)), tags)| {
            rule.judge(
                v,
                Some(&pooled_embedding(t)),
                music_of(&t.path),
                tags.as_deref(),
            )
        })
        .collect();
    let valid_known = valid_verdicts.iter().filter(|v| v.known).count();
    let valid_far_trusted = valid_verdicts
        .iter()
        .filter(|v| v.known && v.distance > max_distance)
        .count();
    let report = CalibrationReport {
        train_rows: train_rows.len(),
        valid_rows: valid_rows.len(),
        cv_tracks: cv_vecs.len(),
        temperature,
        min_confidence,
        max_distance,
        min_music,
        music_rows: scores.len(),
        cv_ece_raw: ece(&cv_vecs, 10),
        cv_ece_scaled: ece(&cv_scaled, 10),
        valid_ece_raw: ece(&valid_vecs, 10),
        valid_ece_scaled: ece(&valid_scaled, 10),
        valid_known,
        valid_far_trusted,
        trust_confidence: opts.trust_confidence,
        cv_confident: tops.iter().filter(|&&c| c >= min_confidence).count(),
        temperature_cv: t_cv,
        temperature_valid: t_valid,
        temperature_artist_swap: t_swap,
        swap_ece_raw: ece(&swap_vecs, 10),
        swap_ece_scaled: ece(&scaled(&swap_vecs), 10),
    };
    let mut rule = rule;
    let t_from = match opts.temperature_from {
        TemperatureFrom::Valid => "the valid rows predicted by a head trained on the train rows",
        TemperatureFrom::Cv => "out-of-fold predictions of the cross-validation",
        TemperatureFrom::ArtistSwap => {
            "both artist-filtered directions (valid by train, train by valid)"
        }
    };
    rule.fitted = format!(
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
        rule.fitted.push_str(&format!(
            "; the distance is overruled at a calibrated confidence of {t} or more (a set level, not fitted) when the trunk's top tag names the genre"
        ));
    }
    if min_music.is_some() {
        rule.fitted.push_str(&format!(
            "; min_music: the {:.1}% quantile of the music-likeness of the {} train+valid rows",
            (1.0 - opts.keep_music) * 100.0,
            report.music_rows
        ));
    }
    Ok((rule, report))
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

/// What the rule says of one synthesised non-music sound.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SoundVerdict {
    pub name: String,
    pub known: bool,
    pub confidence: f32,
    pub distance: f32,
}

/// The synthesised non-music set (tones, noises, clicks, silence, chirps, birdsong,
/// speech-like; 10 s each) through the real network, judged by the model's rule.
pub fn synthesised_non_music(model: LoadedModel, threads: usize) -> Vec<SoundVerdict> {
    let rate = model.config.frontend.sample_rate_hz;
    let clf = Classifier::new(model, inference_device()).with_threads(threads);
    crate::audio::synth::non_music_set(rate, 10.0)
        .into_iter()
        .map(|s| {
            let v = clf
                .classify_samples(&s.samples)
                .open_set
                .unwrap_or_default();
            SoundVerdict {
                name: s.name,
                known: v.known,
                confidence: v.confidence,
                distance: v.distance,
            }
        })
        .collect()
}

/// A trained model's own rule, as the training result shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSummary {
    /// Its validation tracks the rule calls known (music it should keep).
    pub valid_known: usize,
    pub valid_rows: usize,
    /// Synthesised non-music sounds it calls unsure.
    pub non_music_unsure: usize,
    pub non_music: usize,
    pub temperature: f32,
    pub min_confidence: f32,
    /// `None` for a model without a trunk embedding (no distance cue).
    pub max_distance: Option<f32>,
    pub trust_confidence: Option<f32>,
    pub min_music: Option<f32>,
}

/// The outcome of fitting a trained model's rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleFit {
    Fitted(RuleSummary),
    /// Not fitted, and why (too few held-out tracks): the model says no "?".
    Skipped(String),
}

impl RuleFit {
    /// One line on the rule, for the training result (the CLI and the retrain dialog).
    pub fn describe(&self) -> String {
        match self {
            RuleFit::Skipped(why) => why.clone(),
            RuleFit::Fitted(r) => format!(
                "\"?\" rule: validation tracks called known {}/{}, synthesised non-music called unsure {}/{} (unsure below confidence {:.2}{}{})",
                r.valid_known,
                r.valid_rows,
                r.non_music_unsure,
                r.non_music,
                r.min_confidence,
                r.max_distance.map_or(String::new(), |d| format!(
                    ", beyond distance {d:.3}{}",
                    r.trust_confidence
                        .map_or(String::new(), |t| format!(" unless {:.0}% sure", t * 100.0))
                )),
                r.min_music
                    .map_or(String::new(), |m| format!(", below music-likeness {m:.2}"))
            ),
        }
    }
}

/// Fewest training and validation tracks a trained model's rule is fitted on.
pub const MIN_RULE_TRAIN: usize = 10;
pub const MIN_RULE_VALID: usize = 5;

/// Fewest training tracks the distance cue's density (200 dimensions) is fitted on. Measured
/// on random subsets of gtzan-dev's 72 `train` rows against its 26 `valid` rows and 22
/// non-music sounds (AUROC, mean of 5 draws): 10 rows 0.61, 20 rows 0.78, 30 rows 0.86, 72
/// rows 0.94. Below this (its own tracks and the built-in model's music it is pooled with
/// together) a trained model's rule has no distance cue.
pub const MIN_DENSITY_ROWS: usize = 30;

/// Fits the open-set rule of a freshly trained model on its own tracks and stores it in
/// `config` (what `genreplay train` and the retrain dialog do): for a head on a trunk, [`fit`]
/// on its train and validation rows; for a CNN trained whole, the temperature and the
/// confidence floor from its validation tracks and the music floor, without a distance cue.
/// Then the synthesised non-music goes through the model with its rule. Too few tracks:
/// `Skipped` with the reason, and `config` keeps no rule.
pub fn fit_trained(
    config: &mut ModelConfig,
    net: &Net,
    train_rows: &[TrackFeatures],
    valid_rows: &[TrackFeatures],
    music: &HashMap<PathBuf, f32>,
    threads: usize,
) -> anyhow::Result<RuleFit> {
    config.open_set = None;
    if train_rows.len() < MIN_RULE_TRAIN || valid_rows.len() < MIN_RULE_VALID {
        return Ok(RuleFit::Skipped(format!(
            "no \"?\" rule: it needs at least {MIN_RULE_TRAIN} training and {MIN_RULE_VALID} validation tracks (have {} and {})",
            train_rows.len(),
            valid_rows.len()
        )));
    }
    // Far from the training music means far from the built-in model's music too: pooled in
    // (it also gives a user's small folder a density at all).
    let opts = CalibrationOptions {
        reference: reference_density(config),
        ..Default::default()
    };
    let density_rows = train_rows.len() + opts.reference.as_ref().map_or(0, |d| d.rows);
    let (rule, valid_known) = if config.is_head() && density_rows >= MIN_DENSITY_ROWS {
        let rows: Vec<(TrackFeatures, Option<Split>)> = train_rows
            .iter()
            .map(|t| (t.clone(), Some(Split::Train)))
            .chain(valid_rows.iter().map(|t| (t.clone(), Some(Split::Valid))))
            .collect();
        let (rule, report) = fit(config, &rows, music, &opts)?;
        (rule, report.valid_known)
    } else {
        fit_without_distance(config, net, train_rows, valid_rows, music, &opts)
    };
    config.open_set = Some(rule.clone());
    let model = LoadedModel {
        id: ModelId("unsaved".into()),
        config: config.clone(),
        net: net.clone(),
        source: ModelSource::Path(PathBuf::new()),
    };
    let sounds = synthesised_non_music(model, threads);
    let has_distance = rule.density.dims > 0;
    Ok(RuleFit::Fitted(RuleSummary {
        valid_known,
        valid_rows: valid_rows.len(),
        non_music_unsure: sounds.iter().filter(|s| !s.known).count(),
        non_music: sounds.len(),
        temperature: rule.temperature,
        min_confidence: rule.min_confidence,
        max_distance: has_distance.then_some(rule.max_distance),
        trust_confidence: rule.trust_confidence.filter(|_| has_distance),
        min_music: rule.min_music,
    }))
}

/// The music a trained model's density is pooled with: the density of the built-in model on
/// the same trunk (its training excerpts), when it has a rule. `None` for other trunks.
pub fn reference_density(config: &ModelConfig) -> Option<Density> {
    let kind = config.trunk_kind()?;
    BUILTINS
        .iter()
        .filter_map(|b| serde_json::from_slice::<ModelConfig>(b.config).ok())
        .find(|c| c.trunk_kind() == Some(kind))
        .and_then(|c| c.open_set)
        .map(|r| r.density)
        .filter(|d| d.rows >= 2)
}

/// The rule without a distance cue: for a model without a trunk embedding (a CNN trained
/// whole: refitting it per fold would take minutes), or with too few training tracks for a
/// density ([`MIN_DENSITY_ROWS`]). The temperature and the confidence floor come from the
/// trained model's own validation tracks (their best epoch was chosen on them: a little
/// optimistic), the music floor from every row's cues. Returns the rule and the validation
/// tracks it keeps.
fn fit_without_distance(
    config: &ModelConfig,
    net: &Net,
    train_rows: &[TrackFeatures],
    valid_rows: &[TrackFeatures],
    music: &HashMap<PathBuf, f32>,
    opts: &CalibrationOptions,
) -> (OpenSetConfig, usize) {
    let vecs: Vec<(Vec<f32>, usize)> = valid_rows
        .iter()
        .map(|t| (vector_of_features(config, net, t).0, t.label))
        .collect();
    let temperature = fit_temperature(&vecs);
    let tops: Vec<f32> = vecs
        .iter()
        .map(|(p, _)| argmax(&scale(p, temperature)).1)
        .collect();
    let min_confidence = quantile(&tops, 1.0 - opts.keep_confidence).unwrap_or(0.0);
    let scores: Vec<f32> = train_rows
        .iter()
        .chain(valid_rows)
        .filter_map(|t| music.get(&t.path).copied())
        .collect();
    let min_music = quantile(&scores, 1.0 - opts.keep_music);
    let mut rule = OpenSetConfig {
        temperature,
        min_confidence,
        max_distance: 0.0,
        trust_confidence: None,
        genre_tags: Vec::new(),
        min_music,
        density: Density::none(),
        fitted: format!(
            "no distance cue ({}); temperature (NLL) and min_confidence (the {:.1}% quantile) on the {} validation tracks of the trained model (its epoch was chosen on them)",
            if config.is_head() {
                format!(
                    "{} training tracks, fewer than the {MIN_DENSITY_ROWS} a density needs",
                    train_rows.len()
                )
            } else {
                "no trunk embedding".to_string()
            },
            (1.0 - opts.keep_confidence) * 100.0,
            vecs.len()
        ),
    };
    if min_music.is_some() {
        rule.fitted.push_str(&format!(
            "; min_music: the {:.1}% quantile of the music-likeness of {} tracks",
            (1.0 - opts.keep_music) * 100.0,
            scores.len()
        ));
    }
    let known = valid_rows
        .iter()
        .zip(&vecs)
        .filter(|(t, (v, _))| rule.judge(v, None, music.get(&t.path).copied(), None).known)
        .count();
    (rule, known)
}
