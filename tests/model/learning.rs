#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A real learning test: the CNN must learn to tell three synthetic "genres" apart (low tones,
//! noise bursts, high chirps) from a small tagged folder, through the same code `genreplay
//! train` uses, and the saved model must classify held-out files.

use crate::common;

use std::sync::atomic::AtomicBool;

use common::*;
use genreplay::features::{FrontendConfig, LogCompression, MelScale};
use genreplay::model::backend::inference_device;
use genreplay::model::cnn::CostaCnnConfig;
use genreplay::model::config::{ArchConfig, ModelConfig, SegmentConfig};
use genreplay::model::dataset::{LabelSource, collect, split};
use genreplay::model::infer::Classifier;
use genreplay::model::job::{TrainMode, TrainRequest, prepare, run as run_job};
use genreplay::model::registry::{load_dir, save_dir};
use genreplay::model::train::{TrainEvent, TrainOptions, extract_features, train};

/// A small model so the test takes seconds: 8 kHz, 32 mel bands, 32-frame segments.
fn tiny_config(labels: Vec<String>) -> ModelConfig {
    ModelConfig {
        format: 1,
        name: "tiny".into(),
        labels,
        frontend: FrontendConfig {
            sample_rate_hz: 8000,
            n_fft: 256,
            hop_samples: 128,
            n_mels: 32,
            fmin_hz: 0.0,
            fmax_hz: None,
            mel_scale: MelScale::Slaney,
            log: LogCompression::Log10Plus1 { scale: 10_000.0 },
        },
        segments: SegmentConfig {
            segment_frames: 32,
            segments_per_track: 6,
            clip_secs: 60.0,
            clip_centre_secs: 60.0,
        },
        arch: ArchConfig::Costa(
            CostaCnnConfig::new(vec![8, 16])
                .with_dense(16)
                .with_dropout(0.1),
        ),
        info: Default::default(),
        open_set: None,
    }
}

#[test]
fn cnn_learns_three_synthetic_genres() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("train");
    synth_genre_tree(&root, 12, 16_000, 3.0, 1);
    let set = collect(&root, LabelSource::Folders, true).unwrap();
    assert_eq!(set.tracks.len(), 36);
    let labels = set.labels();
    assert_eq!(labels, vec!["chirp", "low", "noise"]);
    let (train_ix, valid_ix) = split(&set, 0.25, 3);
    let config = tiny_config(labels.clone());
    config.validate().unwrap();
    let files = |ix: &[usize]| -> Vec<_> {
        ix.iter()
            .map(|&i| {
                let t = &set.tracks[i];
                (
                    t.path.clone(),
                    labels.iter().position(|l| *l == t.label).unwrap(),
                )
            })
            .collect()
    };
    let cancel = AtomicBool::new(false);
    let train_f = extract_features(&config, &files(&train_ix), 2, None, &|_| {}, &cancel);
    let valid_f = extract_features(&config, &files(&valid_ix), 2, None, &|_| {}, &cancel);
    assert_eq!(train_f.len() + valid_f.len(), 36);
    let opts = TrainOptions {
        epochs: 12,
        batch_size: 16,
        learning_rate: 3e-3,
        patience: 12,
        seed: 7,
    };
    let mut epochs = Vec::new();
    let outcome = train(
        &config,
        &train_f,
        &valid_f,
        &opts,
        &mut |e| epochs.push(e),
        &cancel,
    )
    .unwrap();
    assert!(!outcome.cancelled);
    assert!(!outcome.history.is_empty());
    let best = outcome.best_valid_accuracy.unwrap();
    assert!(
        best > 0.9,
        "validation accuracy {best}; history {:?}",
        outcome.history
    );

    // Save, reload, and classify fresh held-out files with the saved model.
    let model_dir = dir.path().join("model");
    let id = save_dir(&model_dir, &config, &outcome.net).unwrap();
    let loaded = load_dir(&model_dir, &inference_device()).unwrap();
    assert_eq!(loaded.id, id);
    let clf = Classifier::new(loaded, inference_device());
    let test_root = dir.path().join("test");
    let test = synth_genre_tree(&test_root, 5, 22_050, 2.5, 99);
    let correct = test
        .iter()
        .filter(|(p, g)| {
            let pred = clf.classify_file(p).unwrap();
            let s: f32 = pred.vector.iter().sum();
            assert!((s - 1.0).abs() < 1e-4);
            clf.labels()[pred.top().0] == *g
        })
        .count();
    let acc = correct as f64 / test.len() as f64;
    assert!(acc > 0.9, "held-out accuracy {acc}");
}

#[test]
fn cancelling_stops_training_and_keeps_the_best_so_far() {
    let dir = tempfile::tempdir().unwrap();
    synth_genre_tree(dir.path(), 3, 8000, 1.0, 2);
    let set = collect(dir.path(), LabelSource::Folders, false).unwrap();
    let labels = set.labels();
    let config = tiny_config(labels.clone());
    let files: Vec<_> = set
        .tracks
        .iter()
        .map(|t| {
            (
                t.path.clone(),
                labels.iter().position(|l| *l == t.label).unwrap(),
            )
        })
        .collect();
    let cancel = AtomicBool::new(false);
    let feats = extract_features(&config, &files, 1, None, &|_| {}, &cancel);
    let opts = TrainOptions {
        epochs: 50,
        ..Default::default()
    };
    let mut n = 0;
    let outcome = train(
        &config,
        &feats,
        &[],
        &opts,
        &mut |_| {
            n += 1;
            if n == 2 {
                cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        },
        &cancel,
    )
    .unwrap();
    assert!(outcome.cancelled);
    assert!(
        outcome.history.len() <= 3,
        "ran {} epochs",
        outcome.history.len()
    );
}

fn request(
    dir: &std::path::Path,
    labels: LabelSource,
    mode: TrainMode,
    epochs: usize,
    cache: Option<std::path::PathBuf>,
) -> TrainRequest {
    let mut options = mode.default_options();
    options.epochs = epochs;
    options.patience = epochs;
    TrainRequest {
        dir: dir.to_path_buf(),
        labels,
        mode,
        options,
        valid_frac: 0.3,
        use_index: false,
        cache_root: cache,
        threads: 2,
    }
}

fn held_out_accuracy(result: &genreplay::model::job::TrainResult, seed: u64) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let (_, net) = (0, result.net.clone());
    let model = genreplay::model::registry::LoadedModel {
        id: genreplay::model::ModelId("test".into()),
        config: result.config.clone(),
        net,
        source: genreplay::model::registry::ModelSource::Embedded,
    };
    let clf = Classifier::new(model, inference_device());
    let test = synth_genre_tree(dir.path(), 4, 22_050, 3.0, seed);
    let ok = test
        .iter()
        .filter(|(p, g)| clf.labels()[clf.classify_file(p).unwrap().top().0] == *g)
        .count();
    ok as f64 / test.len() as f64
}

#[test]
fn quick_mode_trains_a_head_on_the_pretrained_trunk_and_caches_its_features() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("labelled");
    synth_genre_tree(&root, 8, 16_000, 3.2, 11);
    let cache = dir.path().join("cache");
    let req = request(
        &root,
        LabelSource::Folders,
        TrainMode::Quick,
        30,
        Some(cache.clone()),
    );
    let prepared = prepare(&req).unwrap();
    assert_eq!(prepared.labels, vec!["chirp", "low", "noise"]);
    let cancel = AtomicBool::new(false);
    let t0 = std::time::Instant::now();
    let result = run_job(&req, &prepared, &|_| {}, &cancel).unwrap();
    let cold = t0.elapsed();
    assert!(result.config.is_head());
    let acc = result.valid_accuracy.unwrap();
    assert!(acc > 0.9, "validation accuracy {acc}");
    assert!(held_out_accuracy(&result, 77) > 0.9);
    // The second run reads every track's trunk outputs from the cache.
    let decoded = std::sync::atomic::AtomicUsize::new(0);
    let t1 = std::time::Instant::now();
    let again = run_job(
        &req,
        &prepared,
        &|e| {
            if let TrainEvent::Features { .. } = e {
                decoded.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        },
        &cancel,
    )
    .unwrap();
    let warm = t1.elapsed();
    assert_eq!(decoded.load(std::sync::atomic::Ordering::Relaxed), 24);
    assert!(again.valid_accuracy.unwrap() > 0.9);
    eprintln!("quick mode: cold {cold:?}, cached {warm:?}");
    assert!(std::fs::read_dir(&cache).unwrap().count() > 0);
}

#[test]
fn full_mode_trains_the_whole_cnn_through_the_same_job() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("labelled");
    synth_genre_tree(&root, 8, 16_000, 6.0, 12);
    let req = request(&root, LabelSource::Folders, TrainMode::Full, 12, None);
    let prepared = prepare(&req).unwrap();
    let cancel = AtomicBool::new(false);
    let result = run_job(&req, &prepared, &|_| {}, &cancel).unwrap();
    assert!(!result.config.is_head());
    let acc = result.valid_accuracy.unwrap();
    assert!(acc > 0.9, "validation accuracy {acc}; {:?}", result.history);
}

#[test]
fn genre_tags_can_be_the_labels() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tagged");
    let mut rng = Rng::new(5);
    // Files all in one folder; only their genre tags say what they are. One rare genre.
    for (g, n) in [("low", 6), ("noise", 6), ("chirp", 6), ("rare", 2)] {
        for i in 0..n {
            let p = root.join(format!("{g}{i}.wav"));
            let kind = if g == "rare" { "low" } else { g };
            write_wav(&p, &synth_genre(kind, &mut rng, 16_000, 3.2), 16_000, 1);
            tag_wav(
                &p,
                &format!("Artist {g} {}", i % 3),
                "Album",
                &format!("T{i}"),
                Some(&g.to_uppercase()),
            );
        }
    }
    write_wav(
        &root.join("untagged.wav"),
        &tone(300.0, 16_000, 3.2, 0.3),
        16_000,
        1,
    );
    let req = request(
        &root,
        LabelSource::Tags { min_count: 5 },
        TrainMode::Quick,
        30,
        None,
    );
    let prepared = prepare(&req).unwrap();
    // Tags are normalised ("LOW" → "low"); the rare genre and the untagged file are left out.
    assert_eq!(prepared.labels, vec!["chirp", "low", "noise"]);
    assert_eq!(prepared.set.skipped.len(), 3);
    // Validation artists never appear in training.
    let artist = |i: &usize| prepared.set.tracks[*i].artist.clone().unwrap();
    let train_artists: std::collections::HashSet<_> =
        prepared.train_ix.iter().map(artist).collect();
    assert!(
        prepared
            .valid_ix
            .iter()
            .all(|i| !train_artists.contains(&artist(i)))
    );
    let cancel = AtomicBool::new(false);
    let result = run_job(&req, &prepared, &|_| {}, &cancel).unwrap();
    assert!(result.valid_accuracy.unwrap() > 0.9, "{:?}", result.history);
}

#[test]
fn one_genre_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(
        &dir.path().join("rock/a.wav"),
        &tone(300.0, 8000, 1.0, 0.3),
        8000,
        1,
    );
    let req = request(dir.path(), LabelSource::Folders, TrainMode::Quick, 1, None);
    let err = prepare(&req).err().unwrap().to_string();
    assert!(
        err.contains("found 1 genre(s) (rock)") && err.contains("at least 2"),
        "{err}"
    );
}

#[test]
fn features_of_the_wrong_kind_are_an_error_not_a_panic() {
    // Log-mel spectrograms handed to a head that reads trunk outputs.
    let config = TrainMode::Quick.config(vec!["a".into(), "b".into()]);
    let mel = genreplay::features::LogMel {
        frames: 200,
        n_mels: 96,
        data: vec![0.0; 200 * 96],
    };
    let tracks: Vec<_> = (0..2)
        .map(|i| genreplay::model::train::TrackFeatures {
            path: format!("t{i}.wav").into(),
            label: i,
            mel: mel.clone(),
        })
        .collect();
    let cancel = AtomicBool::new(false);
    let err = train(
        &config,
        &tracks,
        &[],
        &TrainOptions::default(),
        &mut |_| {},
        &cancel,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("t0.wav") && err.contains("96 columns"),
        "{err}"
    );
}
