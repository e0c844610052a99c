#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The training recipes: the `costa2017` preset builds the configuration of Costa, Oliveira &
//! Silla 2017 and trains end to end on synthesised audio; the pooled genre head (logistic
//! regression on a track's pooled trunk features) trains through the job code, and the saved
//! model classifies files exactly as the training code scored them.

use crate::common;

use std::sync::atomic::AtomicBool;

use common::*;
use genreplay::model::backend::inference_device;
use genreplay::model::config::{ArchConfig, ModelConfig};
use genreplay::model::dataset::LabelSource;
use genreplay::model::head::HeadPooling;
use genreplay::model::infer::{Classifier, vector_of_features};
use genreplay::model::job::{TrainMode, TrainRequest, costa2017_options, prepare, run_with_config};
use genreplay::model::registry::{load_dir, save_dir};
use genreplay::model::train::TrainEvent;

fn labels() -> Vec<String> {
    (0..10).map(|i| format!("g{i}")).collect()
}

#[test]
fn the_costa2017_preset_is_the_papers_configuration() {
    let c = ModelConfig::costa2017(labels());
    c.validate().unwrap();
    // 16 kHz, hop 256: 75 frames = 1.2 s; up to 50 segments from a 60 s clip around 1:00.
    assert_eq!(c.segments.segment_frames, 75);
    let seg_secs = c.segments.segment_frames as f64 * c.frontend.hop_samples as f64
        / c.frontend.sample_rate_hz as f64;
    assert!((seg_secs - 1.2).abs() < 1e-9, "{seg_secs}");
    assert_eq!(c.segments.segments_per_track, 50);
    assert_eq!(c.segments.clip_secs, 60.0);
    assert_eq!(c.segments.clip_centre_secs, 60.0);
    let ArchConfig::Costa(cnn) = &c.arch else {
        panic!("not a CNN: {:?}", c.arch)
    };
    assert_eq!(cnn.channels, vec![64, 64]);
    assert_eq!(cnn.kernel, 5);
    assert_eq!(cnn.dense, 500);
    assert_eq!(cnn.dropout, 0.5);
    assert_eq!(cnn.block_norm, Some(false));
    assert_eq!(cnn.flatten, Some([75, c.frontend.n_mels]));
    // Two 2×2 pools: 75×96 → 18×24 maps of 64 channels, flattened into dense 500.
    assert_eq!(cnn.dense_inputs(), 64 * 18 * 24);
    let expected =
        2 + (25 * 64 + 64) + (64 * 64 * 25 + 64) + (64 * 18 * 24 * 500 + 500) + (500 * 10 + 10);
    assert_eq!(cnn.parameters(10), expected);
    // The options are bounded (CPU) and do not stop early.
    let o = costa2017_options();
    assert_eq!(o.epochs, 8);
    assert!(o.patience >= o.epochs);
    // A config whose flattened input does not match the segments is refused.
    let mut bad = c.clone();
    bad.segments.segment_frames = 80;
    assert!(bad.validate().is_err());
}

#[test]
fn the_costa2017_preset_trains_on_synthesised_audio_and_classifies_one_channel() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("synth");
    let files = synth_genre_tree(&root, 3, 16_000, 4.0, 7);
    // A stereo file too: the clip is one channel whatever the file has.
    let stereo = dir.path().join("stereo.wav");
    let mono = synth_genre("low", &mut Rng::new(3), 16_000, 4.0);
    // write_wav writes each sample to both channels (the second 20% quieter).
    write_wav(&stereo, &mono, 16_000, 2);
    let mut options = costa2017_options();
    options.epochs = 1;
    let req = TrainRequest {
        dir: root.clone(),
        labels: LabelSource::Folders,
        mode: TrainMode::Full,
        options,
        valid_frac: 0.25,
        use_index: true,
        cache_root: None,
        threads: 2,
    };
    let prepared = prepare(&req).unwrap();
    assert_eq!(prepared.set.tracks.len(), files.len());
    let config = ModelConfig::costa2017(prepared.labels.clone());
    let epochs = std::sync::Mutex::new(0usize);
    let cancel = AtomicBool::new(false);
    let result = run_with_config(
        &req,
        &prepared,
        config,
        &|ev| {
            if let TrainEvent::Epoch(r) = ev {
                assert!(r.loss.is_finite());
                *epochs.lock().unwrap() += 1;
            }
        },
        &cancel,
    )
    .unwrap();
    assert_eq!(*epochs.lock().unwrap(), 1);
    assert_eq!(result.config.name, "costa2017-cnn");
    let out = dir.path().join("model");
    save_dir(&out, &result.config, &result.net).unwrap();
    let model = load_dir(&out, &inference_device()).unwrap();
    let clf = Classifier::new(model, inference_device());
    for path in [&files[0].0, &stereo] {
        let p = clf.classify_file(path).unwrap();
        assert_eq!(p.vector.len(), prepared.labels.len());
        assert!((p.vector.iter().sum::<f32>() - 1.0).abs() < 1e-3);
        // 4 s at 16 kHz: three 1.2 s segments.
        assert_eq!(p.segments, 3, "{}", path.display());
    }
    let segs = clf.segments_of(&mono);
    assert_eq!((segs.frames, segs.n_mels), (75, 96));
}

#[test]
fn a_pooled_head_trains_through_the_job_and_inference_agrees_with_training() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("synth");
    let files = synth_genre_tree(&root, 4, 16_000, 7.0, 11);
    let req = TrainRequest {
        dir: root.clone(),
        labels: LabelSource::Folders,
        mode: TrainMode::Quick,
        options: TrainMode::Quick.default_options(),
        valid_frac: 0.25,
        use_index: true,
        cache_root: None,
        threads: 2,
    };
    let prepared = prepare(&req).unwrap();
    for pooling in [HeadPooling::Mean, HeadPooling::MeanStd] {
        let config = ModelConfig::head_with(
            genreplay::model::trunk::TrunkKind::Musicnn,
            pooling,
            prepared.labels.clone(),
        );
        let cancel = AtomicBool::new(false);
        let result = run_with_config(&req, &prepared, config, &|_| {}, &cancel).unwrap();
        assert!(!result.history.is_empty());
        assert!(result.history.iter().all(|r| r.loss.is_finite()));
        // Three synthetic genres this far apart are learnt.
        let train_acc = result.history.last().unwrap().train_segment_accuracy;
        assert!(train_acc > 0.9, "{pooling:?}: train accuracy {train_acc}");
        let out = dir.path().join(format!("model-{}", pooling.name()));
        save_dir(&out, &result.config, &result.net).unwrap();
        let model = load_dir(&out, &inference_device()).unwrap();
        assert_eq!(model.config.head_pooling(), pooling);
        let clf = Classifier::new(model, inference_device());
        for t in &result.valid_features {
            let trained = vector_of_features(&result.config, &result.net, t).0;
            let p = clf.classify_file(&t.path).unwrap();
            assert!((p.vector.iter().sum::<f32>() - 1.0).abs() < 1e-4);
            for (a, b) in trained.iter().zip(&p.vector) {
                assert!(
                    (a - b).abs() < 1e-3,
                    "{pooling:?}: {trained:?} vs {:?}",
                    p.vector
                );
            }
        }
        assert!(files.len() > result.valid_tracks);
    }
}
