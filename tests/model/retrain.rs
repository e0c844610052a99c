#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Retraining as the player does it: train through `model::job`, accept (atomic install, made
//! active), re-classify the library under the new model id while the old vectors stay; and a
//! real training process killed mid-way leaves the previous model active and nothing half
//! written.

use crate::common;

use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use common::*;
use genreplay::analysis::{AnalysisEvent, Analyzer};
use genreplay::library::scan::scan;
use genreplay::model::active::{clean_partial, install, load_active};
use genreplay::model::backend::inference_device;
use genreplay::model::calibrate::trained::RuleFit;
use genreplay::model::dataset::LabelSource;
use genreplay::model::infer::Classifier;
use genreplay::model::job::{TrainMode, TrainRequest, compare, prepare, run};
use genreplay::model::registry::load_embedded;
use genreplay::store::Store;

fn classify_all(store: &Store, c: Classifier) -> usize {
    let a = Analyzer::start(store.clone(), c, 1).unwrap();
    let mut n = 0;
    for ev in a.events().iter() {
        match ev {
            AnalysisEvent::TrackDone { result: Ok(_), .. } => n += 1,
            AnalysisEvent::Finished { .. } => break,
            _ => {}
        }
    }
    a.join();
    n
}

#[test]
fn accept_installs_the_model_and_the_library_is_reclassified_under_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let labelled = dir.path().join("labelled");
    synth_genre_tree(&labelled, 6, 16_000, 3.2, 21);
    let store = Store::open(&dir.path().join("data/db")).unwrap();
    let device = inference_device();
    // The library, classified by the built-in model.
    scan(&store, &labelled, 2, &|_| {}).unwrap();
    let old = load_active(&store, None, &device).unwrap();
    assert_eq!(
        classify_all(&store, Classifier::new(old.clone(), device.clone())),
        18
    );

    // Retrain (quick) on the same folder, as the dialog does.
    let mut options = TrainMode::Quick.default_options();
    options.epochs = 25;
    let req = TrainRequest {
        dir: labelled.clone(),
        labels: LabelSource::Folders,
        mode: TrainMode::Quick,
        options,
        valid_frac: 0.3,
        use_index: true,
        cache_root: Some(dir.path().join("cache")),
        threads: 2,
    };
    let prepared = prepare(&req).unwrap();
    let result = run(&req, &prepared, &|_| {}, &AtomicBool::new(false)).unwrap();
    // The comparison the dialog shows: the new model on its validation tracks, and the active
    // one on the same tracks (it knows none of these genres, so there is nothing to compare).
    let cmp = compare(&result, &old);
    assert_eq!(cmp.report.tracks, result.valid_tracks);
    assert!(cmp.report.accuracy > 0.9, "{:?}", cmp.report);
    assert!(cmp.active.is_none());
    // Its own "?" rule, fitted on its own held-out tracks; too few tracks for a density of
    // their own, so the built-in model's music is pooled in.
    match &result.open_set {
        RuleFit::Fitted(r) => {
            assert_eq!(r.valid_rows, result.valid_tracks);
            assert_eq!(r.non_music, 12);
        }
        other => panic!("{other:?}"),
    }
    let rule = result
        .config
        .open_set
        .clone()
        .expect("a rule in the config");
    let builtin_rows = load_embedded(&device)
        .unwrap()
        .config
        .open_set
        .unwrap()
        .density
        .rows;
    assert_eq!(rule.density.rows, result.train_tracks + builtin_rows);

    // Accept: written atomically into the models folder, made active.
    let models = dir.path().join("data/models");
    let new = install(&store, &models, &result.config, &result.net, &device).unwrap();
    assert_ne!(new.id, old.id);
    assert!(models.join(new.id.as_str()).join("model.bpk").is_file());
    assert_eq!(
        load_active(&store, None, &device).unwrap().id,
        new.id,
        "active after a restart"
    );
    assert_eq!(
        new.config.open_set,
        Some(rule),
        "the rule is installed with it"
    );

    // Re-classification uses the new id; the old vectors stay until replaced.
    assert_eq!(store.vector_count(&new.id), 0);
    let t0 = Instant::now();
    let n = classify_all(
        &store,
        Classifier::new(new.clone(), device.clone()).with_cache(&dir.path().join("cache")),
    );
    eprintln!(
        "re-classified {n} tracks from cached trunk outputs in {:?}",
        t0.elapsed()
    );
    assert_eq!(n, 18);
    assert_eq!(store.vector_count(&new.id), 18);
    assert_eq!(store.vector_count(&old.id), 18);
    let (_, v) = &store.vectors_for(&new.id).unwrap()[0];
    assert_eq!(v.vector.len(), 3);
    assert_eq!(v.style.as_ref().unwrap().len(), 50);

    // Switching back to the built-in model.
    let builtin = load_embedded(&device).unwrap();
    genreplay::model::active::set_active(&store, &builtin).unwrap();
    assert_eq!(load_active(&store, None, &device).unwrap().id, old.id);
}

#[test]
fn leftovers_of_a_crashed_save_are_cleaned_and_the_old_model_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    let keep = models.join("abc");
    std::fs::create_dir_all(&keep).unwrap();
    std::fs::write(keep.join("config.json"), b"{}").unwrap();
    // What a save killed between its two steps leaves behind.
    let partial = models.join(".def.tmp-4242");
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::write(partial.join("config.json"), b"{\"trunc").unwrap();
    clean_partial(&models);
    assert!(!partial.exists());
    assert!(keep.join("config.json").is_file());
}

#[test]
fn a_training_process_killed_mid_way_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let labelled = dir.path().join("labelled");
    synth_genre_tree(&labelled, 8, 16_000, 6.0, 5);
    let data = dir.path().join("data");
    let out = data.join("models/killed");
    // Full mode with many epochs: still training when the kill comes.
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("genreplay"))
        .arg("--data-dir")
        .arg(&data)
        .args([
            "train",
            "--mode",
            "full",
            "--epochs",
            "500",
            "--patience",
            "500",
            "--out",
        ])
        .arg(&out)
        .arg(&labelled)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.starts_with("epoch") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(120))
        .expect("training never reached an epoch");
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    assert!(!child.wait().unwrap().success());
    assert!(
        !out.exists(),
        "a killed training must not leave a model folder"
    );
    let leftovers: Vec<_> = std::fs::read_dir(data.join("models"))
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The previous (built-in) model is still the active one and loads.
    let store = Store::open(&data.join("db")).unwrap();
    let device = inference_device();
    assert_eq!(
        load_active(&store, None, &device).unwrap().id,
        load_embedded(&device).unwrap().id
    );
}
