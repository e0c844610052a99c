//! A freshly trained model's own open-set rule ([`fit_trained`]): [`super::fit`] on its own
//! train and validation tracks when it has a trunk embedding and enough of them, else a rule
//! without a distance cue; then the synthesised non-music through the model with that rule.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Serialize;

use super::super::ModelConfig;
use super::super::backend::inference_device;
use super::super::dataset::Split;
use super::super::infer::{Classifier, vector_of_features};
use super::super::open_set::{Density, OpenSetConfig, fit_temperature, quantile, scale};
use super::super::registry::{BUILTINS, LoadedModel, ModelId, ModelSource, Net};
use super::super::train::TrackFeatures;
use super::{CalibrationOptions, fit};
use crate::util::maths::argmax;

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
