//! `genreplay calibrate DIR [--model PATH] --out DIR`: fits the open-set rule ("a genre or
//! unsure") on a labelled folder with an artist-filtered split in its INDEX.tsv, measures it
//! on synthesised non-music, and writes the model with the rule to `--out`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use serde_json::json;

use crate::cli::{CalibrateArgs, TemperatureArg};
use crate::model::ModelConfig;
use crate::model::backend::inference_device;
use crate::model::cache::FeatureCache;
use crate::model::calibrate::trained::{SoundVerdict, synthesised_non_music};
use crate::model::calibrate::{
    CalibrationOptions, CalibrationReport, TemperatureFrom, fit, music_scores,
};
use crate::model::dataset::{LabelSource, Split, collect};
use crate::model::registry::{self, save_dir};
use crate::model::train::{TrackFeatures, TrainEvent, extract_features};
use crate::paths::Paths;

pub fn run(args: &CalibrateArgs, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let device = inference_device();
    let model = registry::load(args.model.as_deref(), &device)?;
    let config = model.config.clone();
    if !config.is_head() {
        anyhow::bail!(
            "{}: the open-set rule needs a head on a pretrained trunk (a --mode quick model)",
            args.model
                .as_deref()
                .map_or("the built-in model".into(), |p| p.display().to_string())
        );
    }
    let cache =
        (!args.no_cache).then(|| FeatureCache::new(&paths.cache_dir, &config.feature_key()));
    let (with_split, failed) = split_features(args, &config, cache.as_ref())?;
    // The music cues of the train+valid files (from the feature cache when it has them).
    let listed: Vec<PathBuf> = with_split
        .iter()
        .filter(|(_, split)| split.is_some())
        .map(|(t, _)| t.path.clone())
        .collect();
    let music = music_scores(
        &config,
        &listed,
        cache.as_ref(),
        super::worker_threads().max(2),
    );
    if music.len() < listed.len() {
        eprintln!(
            "  no music cues for {} of {} files (too short or unreadable; see the log)",
            listed.len() - music.len(),
            listed.len()
        );
    }
    let opts = CalibrationOptions {
        shrinkage: args.shrinkage,
        keep_distance: args.keep_distance,
        keep_confidence: args.keep_confidence,
        keep_music: args.keep_music,
        temperature_from: match args.temperature_from {
            TemperatureArg::Valid => TemperatureFrom::Valid,
            TemperatureArg::Cv => TemperatureFrom::Cv,
            TemperatureArg::ArtistSwap => TemperatureFrom::ArtistSwap,
        },
        trust_confidence: (args.trust_confidence > 0.0).then_some(args.trust_confidence),
        ..Default::default()
    };
    let (rule, report) = fit(&config, &with_split, &music, &opts)?;
    // The rule on synthesised non-music, through the real network with the rule in place.
    let mut out_config = config.clone();
    out_config.open_set = Some(rule.clone());
    let id = save_dir(&args.out, &out_config, &model.net)?;
    let calibrated = registry::load(Some(&args.out), &device)?;
    let synth = synthesised_non_music(calibrated, super::worker_threads());
    if json {
        super::print_json(&json!({
            "report": report,
            "fitted": rule.fitted,
            "synthesised_non_music": synth.len(),
            "synthesised_sounds": synth,
            "synthesised_unsure": synth.iter().filter(|s| !s.known).count(),
            "model_dir": args.out.display().to_string(),
            "model_id": id.0,
            "failed_files": failed,
        }))?;
    } else {
        print_report(&report, opts.folds, &synth);
        println!("wrote {} (model id {})", args.out.display(), id.0);
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A track's trunk features with the split its INDEX.tsv gives.
type SplitFeatures = (TrackFeatures, Option<Split>);

/// The trunk features of the folder's tracks in the model's genres, each with the split its
/// INDEX.tsv gives; with how many files could not be analysed.
fn split_features(
    args: &CalibrateArgs,
    config: &ModelConfig,
    cache: Option<&FeatureCache>,
) -> anyhow::Result<(Vec<SplitFeatures>, usize)> {
    let set = collect(&args.dir, LabelSource::Folders, true)?;
    if !set.indexed {
        anyhow::bail!(
            "{}: calibrate needs an INDEX.tsv with an artist-filtered train/valid split",
            args.dir.display()
        );
    }
    for (p, why) in &set.unreadable {
        eprintln!("error: {}: {why}", p.display());
    }
    let mut files: Vec<(PathBuf, usize)> = Vec::new();
    let mut split_of = std::collections::HashMap::new();
    for t in &set.tracks {
        if let Some(l) = config.labels.iter().position(|l| *l == t.label) {
            files.push((t.path.clone(), l));
            split_of.insert(t.path.clone(), t.split);
        }
    }
    let cancel = AtomicBool::new(false);
    let on_event = |ev: TrainEvent| {
        if let TrainEvent::Features { error: Some(e), .. } = ev {
            eprintln!("  skipped: {e}");
        }
    };
    let feats = extract_features(
        config,
        &files,
        super::worker_threads().max(2),
        cache,
        &on_event,
        &cancel,
    );
    let failed = files.len() - feats.len();
    let with_split = feats
        .into_iter()
        .map(|t| {
            let s = split_of.get(&t.path).copied().flatten();
            (t, s)
        })
        .collect();
    Ok((with_split, failed))
}

/// What the fit measured, and what the rule says of each synthesised non-music sound.
fn print_report(report: &CalibrationReport, folds: usize, synth: &[SoundVerdict]) {
    println!(
        "{} train rows (density), {} valid rows (distance threshold), {} tracks in {folds}-fold CV (temperature)",
        report.train_rows, report.valid_rows, report.cv_tracks
    );
    println!(
        "temperature {:.3}; unsure below confidence {:.3} or beyond distance {:.3}{}{}",
        report.temperature,
        report.min_confidence,
        report.max_distance,
        report
            .trust_confidence
            .map_or(String::new(), |t| format!(" (below confidence {t:.2})")),
        report.min_music.map_or(String::new(), |m| format!(
            " or below music-likeness {m:.3} ({} train+valid rows)",
            report.music_rows
        ))
    );
    println!(
        "ECE (10 bins): CV out-of-fold {:.3} raw -> {:.3} scaled; valid rows (head on train rows) {:.3} -> {:.3}",
        report.cv_ece_raw, report.cv_ece_scaled, report.valid_ece_raw, report.valid_ece_scaled
    );
    println!(
        "temperatures: CV {:.3}, valid rows {:.3}, both artist-filtered directions {:.3} (ECE there {:.3} raw -> {:.3} scaled)",
        report.temperature_cv,
        report.temperature_valid,
        report.temperature_artist_swap,
        report.swap_ece_raw,
        report.swap_ece_scaled
    );
    println!(
        "music called known: valid rows {}/{} ({} beyond the distance, kept by their confidence); CV tracks above the confidence floor {}/{}",
        report.valid_known,
        report.valid_rows,
        report.valid_far_trusted,
        report.cv_confident,
        report.cv_tracks
    );
    let unsure = synth.iter().filter(|s| !s.known).count();
    println!(
        "synthesised non-music called unsure: {unsure}/{}",
        synth.len()
    );
    for s in synth {
        println!(
            "  {} {:<22} confidence {:.2}, distance {:.3}",
            if s.known { " " } else { "?" },
            s.name,
            s.confidence,
            s.distance
        );
    }
}
