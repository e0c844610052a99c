#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A real learning test: the CNN must learn to tell three synthetic "genres" apart (low tones,
//! noise bursts, high chirps) from a small tagged folder, through the same code `genreplay
//! train` uses, and the saved model must classify held-out files.

mod common;

use std::sync::atomic::AtomicBool;

use common::*;
use genreplay::features::{FrontendConfig, LogCompression, MelScale};
use genreplay::model::backend::inference_device;
use genreplay::model::cnn::CostaCnnConfig;
use genreplay::model::config::{ArchConfig, ModelConfig, SegmentConfig};
use genreplay::model::dataset::{LabelSource, collect, split};
use genreplay::model::infer::Classifier;
use genreplay::model::registry::{load_dir, save_dir};
use genreplay::model::train::{TrainOptions, extract_features, train};

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
    let train_f = extract_features(&config, &files(&train_ix), 2, &|_| {}, &cancel);
    let valid_f = extract_features(&config, &files(&valid_ix), 2, &|_| {}, &cancel);
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
    let feats = extract_features(&config, &files, 1, &|_| {}, &cancel);
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
