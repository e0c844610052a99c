//! The built-in models side by side in one run: per-track CPU and wall time by stage (decode,
//! front end, network = trunk + genre head) on library-sample's full-length tracks and on
//! gtzan-dev's 30 s excerpts, and the accuracy of a genre head trained on each trunk's features
//! exactly as the shipped heads are (linear head, Adam 3e-4, batch 32, 20 epochs, seed 42, no
//! early stopping):
//!
//! - *valid*: trained on gtzan-dev's 72 `train` rows, tested on the 26 `valid` rows (INDEX.tsv:
//!   Kereliuk & Sturm's artist-filtered split, no artist on both sides);
//! - *unlisted*: trained on the 98 train+valid rows (the shipped heads' recipe), tested on the
//!   15 `unlisted` rows;
//! - *CV*: 5-fold cross-validation on the 98 rows, folds as `genreplay train --cv 5` makes them
//!   (stratified by genre, by track: gtzan-dev has no artist tags, so artists repeat across
//!   folds; flattered).
//!
//! CPU time is the process's user + system time (getrusage), which counts every thread and is
//! less disturbed by other work on a shared machine than wall time. Medians per track.
//!
//! `cargo bench --bench models` runs every model; `cargo bench --bench models -- NAME…` only
//! those named (musicnn, vgg, student). Needs `../shared/data` (skips with a message otherwise).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use genreplay::audio::clip::load_clip;
use genreplay::features::LogMel;
use genreplay::model::backend::inference_device;
use genreplay::model::config::ModelConfig;
use genreplay::model::infer::Classifier;
use genreplay::model::infer::vector_of_features;
use genreplay::model::registry::{BUILTINS, Net, load_builtin};
use genreplay::model::student::StudentConfig;
use genreplay::model::train::{TrackFeatures, TrainOptions, train};
use genreplay::model::trunk::TrunkKind;
use genreplay::util::maths::argmax;
use rand::SeedableRng;

fn cpu_secs() -> f64 {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 * 1e-6;
    t(u.ru_utime) + t(u.ru_stime)
}

#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    cpu: f64,
    wall: f64,
}

fn measure<T>(f: impl FnOnce() -> T) -> (T, Cost) {
    let c0 = cpu_secs();
    let t0 = Instant::now();
    let out = f();
    (
        out,
        Cost {
            cpu: cpu_secs() - c0,
            wall: t0.elapsed().as_secs_f64(),
        },
    )
}

struct Run {
    decode: Cost,
    front: Cost,
    network: Cost,
    features: LogMel,
    top: usize,
}

fn run_track(clf: &Classifier, kind: TrunkKind, path: &Path) -> Option<Run> {
    let model = clf.model();
    let (clip, decode) = measure(|| load_clip(path, &model.config.clip_spec()));
    let clip = match clip {
        Ok(c) => c,
        Err(e) => {
            eprintln!("  skipped: {e}");
            return None;
        }
    };
    let (segs, front) = measure(|| clf.segments_of(&clip.samples));
    let Net::Musicnn { trunk, .. } = &model.net else {
        return None;
    };
    let device = inference_device();
    let ((features, top), network) = measure(|| {
        let data = trunk
            .features_of_patches(&segs.data, segs.count, segs.frames, 1, &device)
            .unwrap();
        let features = LogMel {
            frames: segs.count,
            n_mels: kind.feature_dims(),
            data,
        };
        let t = TrackFeatures {
            path: path.to_path_buf(),
            label: 0,
            mel: features,
        };
        let top = argmax(&vector_of_features(&model.config, &model.net, &t).0).0;
        (t.mel, top)
    });
    Some(Run {
        decode,
        front,
        network,
        features,
        top,
    })
}

struct Row {
    file: PathBuf,
    label: usize,
    split: String,
}

fn gtzan_rows(root: &Path, labels: &[String]) -> Vec<Row> {
    let text = std::fs::read_to_string(root.join("INDEX.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let genre = *c.get(1)?;
            let label = labels.iter().position(|g| g == genre)?;
            Some(Row {
                file: root.join(c[0]),
                label,
                split: c.get(2)?.to_string(),
            })
        })
        .collect()
}

fn library_tracks(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| {
            p.is_file()
                && genreplay::audio::is_audio_path(p)
                && !p.components().any(|c| c.as_os_str() == "Misc")
        })
        .collect();
    out.sort();
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn head_options() -> TrainOptions {
    TrainOptions {
        epochs: 20,
        batch_size: 32,
        learning_rate: 3e-4,
        patience: 20,
        seed: 42,
    }
}

/// Trains a fresh head for `config` on `train_set` and counts correct tracks of `test`.
fn head_accuracy(
    config: &ModelConfig,
    train_set: &[TrackFeatures],
    test: &[TrackFeatures],
) -> (usize, usize) {
    let cancel = AtomicBool::new(false);
    let out = train(
        config,
        train_set,
        &[],
        &head_options(),
        &mut |_| {},
        &cancel,
    )
    .unwrap();
    let correct = test
        .iter()
        .filter(|t| argmax(&vector_of_features(config, &out.net, t).0).0 == t.label)
        .count();
    (correct, test.len())
}

/// Folds as `job::cross_validate` deals them for a folder without artist tags: per genre (in
/// label order) the files sorted, shuffled with one seeded generator, dealt round robin.
fn cross_validation(config: &ModelConfig, set: &[TrackFeatures], k: usize) -> (usize, usize) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut fold_of = std::collections::HashMap::new();
    let mut next = 0usize;
    for label in 0..config.labels.len() {
        let mut files: Vec<&PathBuf> = set
            .iter()
            .filter(|t| t.label == label)
            .map(|t| &t.path)
            .collect();
        files.sort_by_key(|p| format!("file:{}", p.display()));
        rand::seq::SliceRandom::shuffle(files.as_mut_slice(), &mut rng);
        for f in files {
            fold_of.insert(f.clone(), next % k);
            next += 1;
        }
    }
    let (mut correct, mut n) = (0, 0);
    for fold in 0..k {
        let (test, train_set): (Vec<TrackFeatures>, Vec<TrackFeatures>) = set
            .iter()
            .cloned()
            .partition(|t| fold_of.get(&t.path) == Some(&fold));
        let (c, m) = head_accuracy(config, &train_set, &test);
        correct += c;
        n += m;
    }
    (correct, n)
}

fn main() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if !data.is_dir() {
        println!("../shared/data is absent: nothing to measure (skipped).");
        return;
    }
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let device = inference_device();
    let gtzan = data.join("gtzan-dev");
    let library = library_tracks(&data.join("library-sample"));
    let musicnn_labels = load_builtin("musicnn", &device).unwrap().config.labels;
    let rows = gtzan_rows(&gtzan, &musicnn_labels);
    println!(
        "{} gtzan-dev excerpts, {} library-sample full-length tracks; {} CPU thread(s) for burn",
        rows.len(),
        library.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let mut reports = Vec::new();
    let mut reference_tops: Option<Vec<usize>> = None;
    for b in BUILTINS {
        if !wanted.is_empty() && !wanted.iter().any(|w| b.name.contains(w.as_str())) {
            continue;
        }
        let model = load_builtin(b.name, &device).unwrap();
        let kind = model.config.trunk_kind().unwrap();
        let clf = Classifier::new(model.clone(), device.clone());
        eprintln!("== {} ({})", b.name, kind.name());
        // Warm up: the first call builds the trunk and plans.
        let _ = run_track(&clf, kind, &rows[0].file);

        let mut lib_runs = Vec::new();
        for p in &library {
            if let Some(r) = run_track(&clf, kind, p) {
                lib_runs.push(r);
            }
        }
        let mut gtzan_feats: Vec<(usize, TrackFeatures)> = Vec::new();
        let mut ex_runs = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            if let Some(r) = run_track(&clf, kind, &row.file) {
                gtzan_feats.push((
                    i,
                    TrackFeatures {
                        path: row.file.clone(),
                        label: row.label,
                        mel: r.features.clone(),
                    },
                ));
                ex_runs.push(r);
            }
        }
        let pick = |splits: &[&str]| -> Vec<TrackFeatures> {
            gtzan_feats
                .iter()
                .filter(|(i, _)| splits.contains(&rows[*i].split.as_str()))
                .map(|(_, t)| t.clone())
                .collect()
        };
        let config = ModelConfig::head_on(kind, musicnn_labels.clone());
        let valid = head_accuracy(&config, &pick(&["train"]), &pick(&["valid"]));
        let unlisted = head_accuracy(&config, &pick(&["train", "valid"]), &pick(&["unlisted"]));
        let cv = cross_validation(&config, &pick(&["train", "valid"]), 5);
        let tops: Vec<usize> = lib_runs.iter().map(|r| r.top).collect();
        let same = reference_tops
            .as_ref()
            .map(|r| r.iter().zip(&tops).filter(|(a, b)| a == b).count());
        if reference_tops.is_none() && b.name == "musicnn" {
            reference_tops = Some(tops.clone());
        }
        let stage = |runs: &[Run], f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
        let macs = match kind {
            TrunkKind::Musicnn => 1.4e9,
            TrunkKind::Vgg => 0.885e9,
            TrunkKind::Student => StudentConfig::shipped().macs(187, 96) as f64,
        };
        reports.push((
            b.name,
            macs,
            [
                stage(&lib_runs, |r| r.decode.cpu + r.front.cpu + r.network.cpu),
                stage(&lib_runs, |r| r.decode.cpu),
                stage(&lib_runs, |r| r.front.cpu),
                stage(&lib_runs, |r| r.network.cpu),
                stage(&lib_runs, |r| r.decode.wall + r.front.wall + r.network.wall),
            ],
            [
                stage(&ex_runs, |r| r.decode.cpu + r.front.cpu + r.network.cpu),
                stage(&ex_runs, |r| r.decode.cpu),
                stage(&ex_runs, |r| r.front.cpu),
                stage(&ex_runs, |r| r.network.cpu),
                stage(&ex_runs, |r| r.decode.wall + r.front.wall + r.network.wall),
            ],
            valid,
            unlisted,
            cv,
            same.map(|s| (s, tops.len())),
        ));
    }
    println!();
    println!(
        "| model | trunk MMAC / patch | full-length track: CPU-s (decode / front end / network), wall | 30 s excerpt: CPU-s (decode / front end / network), wall | valid | unlisted | 5-fold CV | same genre as musicnn (library tracks) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let base = reports
        .iter()
        .find(|r| r.0 == "musicnn")
        .map(|r| (r.2[0], r.3[0]));
    for (name, macs, lib, ex, valid, unlisted, cv, same) in &reports {
        let ratio = |v: f64, b: Option<f64>| {
            b.filter(|_| *name != "musicnn")
                .map_or(String::new(), |b| format!(" (×{:.2})", v / b))
        };
        println!(
            "| {name} | {:.0} | {:.3}{} ({:.3} / {:.3} / {:.3}), {:.2} s | {:.3}{} ({:.3} / {:.3} / {:.3}), {:.2} s | {}/{} | {}/{} | {}/{} | {} |",
            macs / 1e6,
            lib[0],
            ratio(lib[0], base.map(|b| b.0)),
            lib[1],
            lib[2],
            lib[3],
            lib[4],
            ex[0],
            ratio(ex[0], base.map(|b| b.1)),
            ex[1],
            ex[2],
            ex[3],
            ex[4],
            valid.0,
            valid.1,
            unlisted.0,
            unlisted.1,
            cv.0,
            cv.1,
            same.map_or("-".to_string(), |(s, n)| format!("{s}/{n}"))
        );
    }
}
