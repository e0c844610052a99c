//! Retraining on `../shared/data/gtzan-dev` as the player does it (prepare → run → accept):
//! quick mode from a cold feature cache and from a warm one, and full mode's epoch time.
//! A report, not criterion: each run takes seconds to minutes.
//!
//! `cargo bench --bench retrain` (GENREPLAY_BENCH_FULL_EPOCHS=N changes the full-mode epochs,
//! default 2).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use genreplay::model::active::install;
use genreplay::model::backend::inference_device;
use genreplay::model::dataset::LabelSource;
use genreplay::model::job::{TrainMode, TrainRequest, prepare, run};
use genreplay::store::Store;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/gtzan-dev");
    if !data.is_dir() {
        eprintln!("skipping: ../shared/data is absent");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let device = inference_device();
    let request = |mode: TrainMode, epochs: usize| {
        let mut options = mode.default_options();
        options.epochs = epochs;
        TrainRequest {
            dir: data.clone(),
            labels: LabelSource::Folders,
            mode,
            options,
            valid_frac: 0.25,
            use_index: true,
            cache_root: Some(dir.path().join("cache")),
            threads: 2,
        }
    };
    let cancel = AtomicBool::new(false);
    let mut times = Vec::new();
    for run_no in 0..3 {
        let t0 = Instant::now();
        let req = request(TrainMode::Quick, 60);
        let p = prepare(&req).unwrap();
        let r = run(&req, &p, &|_| {}, &cancel).unwrap();
        let m = install(
            &store,
            &dir.path().join("models"),
            &r.config,
            &r.net,
            &device,
        )
        .unwrap();
        let secs = t0.elapsed().as_secs_f64();
        println!(
            "quick retrain ({}): {:.1} s from request to accepted model {} · valid accuracy {:.3} · {} epochs",
            if run_no == 0 { "cold cache" } else { "cached" },
            secs,
            m.id,
            r.valid_accuracy.unwrap_or(0.0),
            r.history.len()
        );
        times.push(secs);
    }
    let mut warm = times[1..].to_vec();
    warm.sort_by(f64::total_cmp);
    println!(
        "quick retrain: cold {:.1} s, cached median {:.1} s (ratio {:.1}x)",
        times[0],
        warm[warm.len() / 2],
        times[0] / warm[warm.len() / 2]
    );

    let epochs: usize = std::env::var("GENREPLAY_BENCH_FULL_EPOCHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let t0 = Instant::now();
    let req = request(TrainMode::Full, epochs);
    let p = prepare(&req).unwrap();
    let r = run(&req, &p, &|_| {}, &cancel).unwrap();
    let mut epoch_secs: Vec<f64> = r.history.iter().map(|e| e.secs).collect();
    epoch_secs.sort_by(f64::total_cmp);
    let seg_s: Vec<f64> = r.history.iter().map(|e| e.segments_per_sec).collect();
    println!(
        "full retrain: {} epochs in {:.1} s (incl. decoding); median epoch {:.1} s at {:.0} segments/s · valid accuracy {:.3}",
        r.history.len(),
        t0.elapsed().as_secs_f64(),
        epoch_secs[epoch_secs.len() / 2],
        seg_s.iter().sum::<f64>() / seg_s.len().max(1) as f64,
        r.valid_accuracy.unwrap_or(0.0)
    );
}
