//! Analysis cost and accuracy of the default model's pipeline, one row per variant, measured
//! side by side in one run: per-track CPU seconds (getrusage user+sys of the whole process, so
//! any helper threads count) and wall time, split into decode / front end / network, on
//! `../shared/data/library-sample`'s full-length tracks and `gtzan-dev`'s 30 s excerpts; the
//! network's achieved GFLOP/s against the measured FMA peak of this machine; and each variant's
//! genre accuracy with a genre head trained on its own features:
//!
//! - *valid*: head trained on gtzan-dev's 72 `train` rows, tested on the 26 artist-filtered
//!   `valid` rows (INDEX.tsv, Kereliuk & Sturm's split: no artist on both sides);
//! - *unlisted*: head trained on the 98 train+valid rows (the shipped model's recipe), tested
//!   on the 15 `unlisted` rows;
//! - *CV*: 5-fold cross-validation on the 98 rows, stratified by genre, folds by track (GTZAN
//!   has no artist tags, so this one is flattered by artists repeating across folds);
//! - *same genre*: library-sample tracks whose top genre equals today's (the shipped model).
//!
//! Heads are trained as the default model is (`train --mode quick --valid-frac 0 --epochs
//! 20`: Adam, lr 3e-4, batch 32, 20 epochs, seed 42).
//!
//! First, per kernel this CPU runs (`model::kernels`: AVX-512, AVX2, the portable 128-bit level
//! — SSE4.2 here, NEON on ARM — and scalar), the compiled trunk's CPU time per 187-frame patch
//! on synthetic log-mel patches, one thread, against that kernel's measured FMA peak; then the
//! per-track rows, where the `… kernel` rows run the default variant on a forced kernel.
//!
//! `cargo bench --bench analysis` runs every row; `cargo bench --bench analysis -- NAME…` only
//! the rows whose name contains one of the words (the "today" baseline row always runs);
//! `-- kernels` only the kernel table. Without `../shared/data` it prints a message and only
//! the kernel table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use burn::prelude::*;
use genreplay::analysis::budget::{process_cpu_secs, thread_cpu_secs};
use genreplay::audio::clip::load_clip;
use genreplay::features::Segments;
use genreplay::model::backend::inference_device;
use genreplay::model::cache::CachedFeatures;
use genreplay::model::config::ModelConfig;
use genreplay::model::fast::FastTrunk;
use genreplay::model::head::{TRUNK_FEATURES, shared_fast_trunk, shared_trunk, trunk_features};
use genreplay::model::infer::Classifier;
use genreplay::model::infer::vector_of_features;
use genreplay::model::kernels::{Isa, Kernel};
use genreplay::model::musicnn::{
    MUSICNN_FRAMES, MUSICNN_MELS, MUSICNN_N_TAGS, MUSICNN_PENULTIMATE,
};
use genreplay::model::registry::{LoadedModel, Net, load_embedded};
use genreplay::model::train::{TrackFeatures, TrainOptions, train};
use genreplay::util::maths::argmax;

/// How a variant runs the trunk.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Trunk {
    /// burn's module, 4 patches per call, burn's thread pool (the pipeline before this bench).
    Burn,
    /// The compiled trunk with every channel.
    FastUnpruned,
    /// The compiled trunk without its constant channels (the default now), on `threads`, on
    /// a forced kernel or the selected one.
    Fast { threads: usize, kernel: Option<Isa> },
}

#[derive(Debug, Clone)]
struct Variant {
    name: &'static str,
    trunk: Trunk,
    patches: usize,
    clip_secs: f64,
}

fn variants() -> Vec<Variant> {
    let v = |name, trunk, patches, clip_secs| Variant {
        name,
        trunk,
        patches,
        clip_secs,
    };
    let fast = Trunk::Fast {
        threads: 1,
        kernel: None,
    };
    let on = |isa| Trunk::Fast {
        threads: 1,
        kernel: Some(isa),
    };
    vec![
        v(
            "today: burn trunk, 20 patches / 60 s",
            Trunk::Burn,
            20,
            60.0,
        ),
        v(
            "compiled, all channels, 20 / 60 s",
            Trunk::FastUnpruned,
            20,
            60.0,
        ),
        v("compiled, pruned, 20 / 60 s", fast, 20, 60.0),
        v(
            "compiled, pruned, 20 / 60 s, 2 threads",
            Trunk::Fast {
                threads: 2,
                kernel: None,
            },
            20,
            60.0,
        ),
        v(
            "pruned, 20 / 60 s, avx512 kernel",
            on(Isa::Avx512),
            20,
            60.0,
        ),
        v("pruned, 20 / 60 s, avx2 kernel", on(Isa::Avx2), 20, 60.0),
        v(
            "pruned, 20 / 60 s, portable kernel",
            on(Isa::Portable),
            20,
            60.0,
        ),
        v("pruned, 10 spread / 60 s", fast, 10, 60.0),
        v("pruned, 6 spread / 60 s", fast, 6, 60.0),
        v("pruned, 4 spread / 60 s", fast, 4, 60.0),
        v("pruned, 10 back to back / 30 s", fast, 10, 30.0),
        v("pruned, 6 back to back / 18 s", fast, 6, 18.0),
        v("pruned, 4 back to back / 12 s", fast, 4, 12.0),
    ]
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data")
}

/// CPU and wall seconds of one stage.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    cpu: f64,
    wall: f64,
}

impl std::ops::AddAssign for Cost {
    fn add_assign(&mut self, o: Cost) {
        self.cpu += o.cpu;
        self.wall += o.wall;
    }
}

fn measure<T>(f: impl FnOnce() -> T) -> (T, Cost) {
    let c0 = process_cpu_secs().unwrap_or(0.0);
    let t0 = Instant::now();
    let out = f();
    let wall = t0.elapsed().as_secs_f64();
    let cpu = process_cpu_secs().unwrap_or(0.0) - c0;
    (out, Cost { cpu, wall })
}

/// One track's analysis: stage costs, patches, the trunk's features per patch.
struct TrackRun {
    decode: Cost,
    front: Cost,
    network: Cost,
    patches: usize,
    features: CachedFeatures,
    top: usize,
}

/// The variant's trunk features (`patches × 250`) for segments.
fn trunk_rows(trunk: Trunk, segs: &Segments) -> Vec<f32> {
    match trunk {
        Trunk::Burn => {
            let device = inference_device();
            let trunk = shared_trunk(&device).unwrap();
            let per = segs.frames * segs.n_mels;
            let mut rows = Vec::new();
            for chunk in segs.data.chunks(4 * per) {
                let n = chunk.len() / per;
                let x = Tensor::<4>::from_data(
                    TensorData::new(chunk.to_vec(), [n, 1, segs.frames, segs.n_mels]),
                    &device,
                );
                rows.extend(
                    trunk_features(&trunk.forward(x))
                        .into_data()
                        .try_into_vec::<f32>()
                        .unwrap(),
                );
            }
            rows
        }
        Trunk::FastUnpruned | Trunk::Fast { .. } => {
            let (threads, pruned, isa) = match trunk {
                Trunk::Fast { threads, kernel } => (threads, true, kernel),
                _ => (1, false, None),
            };
            let shared = shared_fast_trunk().unwrap();
            let forced;
            let fast: &FastTrunk = match isa.and_then(Kernel::new) {
                Some(k) => {
                    forced = shared.as_ref().clone().with_kernel(k);
                    &forced
                }
                None => &shared,
            };
            let out = fast
                .forward_with(&segs.data, segs.count, segs.frames, threads, pruned)
                .unwrap();
            let mut rows = Vec::with_capacity(segs.count * TRUNK_FEATURES);
            for (p, l) in out
                .penultimate
                .chunks_exact(MUSICNN_PENULTIMATE)
                .zip(out.logits.chunks_exact(MUSICNN_N_TAGS))
            {
                rows.extend_from_slice(p);
                rows.extend(l.iter().map(|&x| 1.0 / (1.0 + (-x).exp())));
            }
            rows
        }
    }
}

fn run_track(clf: &Classifier, trunk: Trunk, path: &Path) -> Option<TrackRun> {
    let head = match &clf.model().net {
        Net::Musicnn { head, .. } => head,
        Net::Costa(_) => return None,
    };
    let (clip, decode) = measure(|| load_clip(path, &clf.model().config.clip_spec()));
    let clip = match clip {
        Ok(c) => c,
        Err(e) => {
            eprintln!("  skipped: {e}");
            return None;
        }
    };
    let (segs, front) = measure(|| clf.segments_of(&clip.samples));
    let ((features, top), network) = measure(|| {
        let rows = trunk_rows(trunk, &segs);
        let f = CachedFeatures {
            rows: segs.count,
            dims: TRUNK_FEATURES,
            data: rows,
        };
        let top = clf
            .prediction_from_features(head, &f, None)
            .map(|p| p.top().0)
            .unwrap_or(usize::MAX);
        (f, top)
    });
    Some(TrackRun {
        decode,
        front,
        network,
        patches: segs.count,
        features,
        top,
    })
}

/// The shipped model with the variant's patch count and clip length.
fn variant_model(base: &LoadedModel, v: &Variant) -> LoadedModel {
    let mut m = base.clone();
    m.config.segments.segments_per_track = v.patches;
    m.config.segments.clip_secs = v.clip_secs;
    m
}

#[derive(Debug, Clone)]
struct Row {
    file: PathBuf,
    label: usize,
    split: String,
}

fn gtzan_rows(labels: &[String]) -> Vec<Row> {
    let dir = data_dir().join("gtzan-dev");
    let Ok(text) = std::fs::read_to_string(dir.join("INDEX.tsv")) else {
        return vec![];
    };
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let mut it = l.split('\t');
            let (file, genre, split) = (it.next()?, it.next()?, it.next()?);
            Some(Row {
                file: dir.join(file),
                label: labels.iter().position(|g| g == genre)?,
                split: split.trim().to_string(),
            })
        })
        .collect()
}

fn library_tracks() -> Vec<PathBuf> {
    let root = data_dir().join("library-sample");
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.is_file() && !p.starts_with(root.join("Misc")))
        .filter(|p| genreplay::audio::is_audio_path(p))
        .collect();
    out.sort();
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Per-track medians of one variant on one set of files.
#[derive(Debug, Clone, Default)]
struct Timing {
    tracks: usize,
    patches: f64,
    decode_cpu: f64,
    front_cpu: f64,
    net_cpu: f64,
    total_cpu: f64,
    total_wall: f64,
    /// Sum over tracks (for GFLOP/s).
    net_cpu_sum: f64,
    patches_sum: usize,
}

fn timing(runs: &[&TrackRun]) -> Timing {
    let m = |f: &dyn Fn(&TrackRun) -> f64| median(runs.iter().map(|r| f(r)).collect());
    Timing {
        tracks: runs.len(),
        patches: m(&|r| r.patches as f64),
        decode_cpu: m(&|r| r.decode.cpu),
        front_cpu: m(&|r| r.front.cpu),
        net_cpu: m(&|r| r.network.cpu),
        total_cpu: m(&|r| r.decode.cpu + r.front.cpu + r.network.cpu),
        total_wall: m(&|r| r.decode.wall + r.front.wall + r.network.wall),
        net_cpu_sum: runs.iter().map(|r| r.network.cpu).sum(),
        patches_sum: runs.iter().map(|r| r.patches).sum(),
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

fn as_track(path: &Path, label: usize, f: &CachedFeatures) -> TrackFeatures {
    TrackFeatures {
        path: path.to_path_buf(),
        label,
        mel: genreplay::features::LogMel {
            frames: f.rows,
            n_mels: f.dims,
            data: f.data.clone(),
        },
    }
}

/// (correct, total) of a head trained on `train_set` and tested on `test`.
fn head_accuracy(
    config: &ModelConfig,
    train_set: &[TrackFeatures],
    test: &[TrackFeatures],
) -> (usize, usize) {
    let cancel = AtomicBool::new(false);
    let outcome = train(
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
        .filter(|t| argmax(&vector_of_features(config, &outcome.net, t).0).0 == t.label)
        .count();
    (correct, test.len())
}

/// 5-fold CV, stratified by genre, folds by track (seeded shuffle, dealt round-robin).
fn cross_validation(config: &ModelConfig, set: &[TrackFeatures], k: usize) -> (usize, usize) {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut fold = vec![0usize; set.len()];
    let mut next = 0;
    for label in 0..config.labels.len() {
        let mut ix: Vec<usize> = (0..set.len()).filter(|&i| set[i].label == label).collect();
        ix.shuffle(&mut rng);
        for i in ix {
            fold[i] = next % k;
            next += 1;
        }
    }
    let (mut correct, mut total) = (0, 0);
    for f in 0..k {
        let train_set: Vec<TrackFeatures> = (0..set.len())
            .filter(|&i| fold[i] != f)
            .map(|i| set[i].clone())
            .collect();
        let test: Vec<TrackFeatures> = (0..set.len())
            .filter(|&i| fold[i] == f)
            .map(|i| set[i].clone())
            .collect();
        let (c, n) = head_accuracy(config, &train_set, &test);
        correct += c;
        total += n;
    }
    (correct, total)
}

fn fmt_acc((c, n): (usize, usize)) -> String {
    if n == 0 {
        "-".into()
    } else {
        format!("{:.2} ({c}/{n})", c as f64 / n as f64)
    }
}

/// GFLOP/s of the kernel's FMA loop per CPU-second of the thread running it (so other load
/// on the machine does not lower it), median of 5 runs of ≥ 0.2 s.
fn measure_peak(kernel: Kernel) -> Option<f64> {
    let mut iters: u64 = 1 << 20;
    let mut rates = Vec::new();
    while rates.len() < 5 {
        let c0 = thread_cpu_secs()?;
        let flops = kernel.fma_loop(iters);
        let dt = thread_cpu_secs()? - c0;
        if dt < 0.2 {
            iters *= 2;
            continue;
        }
        rates.push(flops / dt / 1e9);
    }
    Some(median(rates))
}

/// Deterministic log-mel-like patches (louder low bands, a slow beat, noise) in the range
/// the front end produces.
fn synthetic_patches(count: usize) -> Vec<f32> {
    let mut s: u32 = 12345;
    (0..count * MUSICNN_FRAMES * MUSICNN_MELS)
        .map(|i| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (s >> 8) as f32 / (1u32 << 24) as f32;
            let band = (i % MUSICNN_MELS) as f32 / MUSICNN_MELS as f32;
            let frame = (i / MUSICNN_MELS) as f32;
            (3.5 * (1.0 - band) + (frame * 0.7).sin() + 1.5 * noise).clamp(0.0, 8.0)
        })
        .collect()
}

/// Per kernel: the compiled trunk's thread CPU-seconds per patch (median of 5 runs of a
/// track's 20 patches, pruned plan, one thread) and its peak. Returns (kernel, secs per patch,
/// peak).
fn kernel_table(fast: &FastTrunk, executed_macs: f64) -> Vec<(Kernel, f64, Option<f64>)> {
    let n = 20;
    let x = synthetic_patches(n);
    let mut rows = Vec::new();
    for k in Kernel::available() {
        let f = fast.clone().with_kernel(k);
        let runs = 5;
        let mut per_patch = Vec::new();
        for _ in 0..runs {
            let c0 = thread_cpu_secs().unwrap_or(0.0);
            f.forward_with(&x, n, MUSICNN_FRAMES, 1, true).unwrap();
            per_patch.push((thread_cpu_secs().unwrap_or(0.0) - c0) / n as f64);
        }
        rows.push((k, median(per_patch), measure_peak(k)));
    }
    println!("## The compiled trunk per kernel (synthetic patches, one thread)\n");
    println!(
        "| kernel | CPU ms per 187-frame patch | per 20-patch track | × the avx2 kernel | GFLOP/s executed | FMA peak GFLOP/s | % of peak |"
    );
    println!("|---|---|---|---|---|---|---|");
    let avx2 = rows
        .iter()
        .find(|(k, ..)| k.isa() == Isa::Avx2)
        .map(|r| r.1);
    for (k, secs, peak) in &rows {
        let gflops = 2.0 * executed_macs / secs / 1e9;
        println!(
            "| {} | {:.2} | {:.0} ms | {} | {:.1} | {} | {} |",
            k.describe(),
            secs * 1e3,
            secs * 20e3,
            avx2.map_or("-".into(), |a| format!("{:.2}", secs / a)),
            gflops,
            peak.map_or("-".into(), |p| format!("{p:.1}")),
            peak.map_or("-".into(), |p| format!("{:.0} %", 100.0 * gflops / p)),
        );
    }
    println!();
    rows
}

fn cpu_mhz() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines()
        .find(|l| l.starts_with("cpu MHz"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.trim().parse().ok())
}

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let cores = genreplay::analysis::available_cores();
    println!("# Analysis benchmark (default model)\n");
    let fast: &FastTrunk = &shared_fast_trunk().unwrap();
    let selected = fast.kernel();
    println!(
        "machine: {cores} cores, cpu MHz {}; kernels this CPU runs: {}; selected: {} \
         (peaks below: a loop of independent vector multiply-adds on 12 registers, per thread CPU-second)",
        cpu_mhz().map_or("-".into(), |m| format!("{m:.0}")),
        Kernel::available()
            .iter()
            .map(|k| k.isa().name())
            .collect::<Vec<_>>()
            .join(", "),
        selected.describe(),
    );
    let cost = fast.patch_cost(MUSICNN_FRAMES);
    let live = fast.live_channels();
    println!(
        "network per 187-frame patch: {:.3} GMAC dense (all channels), {:.3} GMAC executed by the pruned plan; \
         live front-end filters {:?} of [204, 204, 51, 51, 51], mid-end live inputs {:?} of [561, 64, 64]\n",
        cost.dense_macs / 1e9,
        cost.executed_macs / 1e9,
        live.front,
        live.mid_inputs
    );
    let kernel_rows = kernel_table(fast, cost.executed_macs);
    if filters.iter().any(|f| f == "kernels") {
        return;
    }
    // A variant's peak is its kernel's.
    let peak_of = |isa: Option<Isa>| {
        let k = isa.and_then(Kernel::new).unwrap_or(selected);
        kernel_rows
            .iter()
            .find(|r| r.0 == k)
            .and_then(|r| r.2)
            .unwrap_or(f64::NAN)
    };
    if !data_dir().join("gtzan-dev").is_dir() || !data_dir().join("library-sample").is_dir() {
        println!(
            "../shared/data (gtzan-dev, library-sample) is absent: skipping the per-track rows."
        );
        return;
    }
    let device = inference_device();
    let base = load_embedded(&device).unwrap();
    let labels = base.config.labels.clone();
    let rows = gtzan_rows(&labels);
    let library = library_tracks();
    let chosen: Vec<Variant> = variants()
        .into_iter()
        .enumerate()
        .filter(|(i, v)| {
            *i == 0 || filters.is_empty() || filters.iter().any(|f| v.name.contains(f.as_str()))
        })
        .map(|(_, v)| v)
        // A kernel this CPU lacks has no row.
        .filter(|v| match v.trunk {
            Trunk::Fast {
                kernel: Some(isa), ..
            } => Kernel::new(isa).is_some(),
            _ => true,
        })
        .collect();

    // Today's genres on library-sample (shipped model, compiled trunk; identical outputs to the
    // burn trunk within 1e-5).
    let today_clf = Classifier::new(base.clone(), device.clone());
    let today: Vec<Option<usize>> = library
        .iter()
        .map(|p| today_clf.classify_file(p).ok().map(|p| p.top().0))
        .collect();

    struct Report {
        name: &'static str,
        lib: Timing,
        gtzan: Timing,
        gtzan_timed_on: usize,
        valid: (usize, usize),
        unlisted: (usize, usize),
        cv: (usize, usize),
        same_genre: (usize, usize),
        executed_macs: f64,
        peak: f64,
        /// The row whose network (and so accuracy) this one shares.
        same_network_as: Option<&'static str>,
    }
    let mut reports = Vec::new();
    for v in &chosen {
        eprintln!("== {}", v.name);
        let model = variant_model(&base, v);
        let clf = Classifier::new(model.clone(), device.clone());
        let config = model.config.clone();
        // Full-length tracks.
        let lib_runs: Vec<TrackRun> = library
            .iter()
            .filter_map(|p| run_track(&clf, v.trunk, p))
            .collect();
        // Burn's trunk computes the compiled trunk's network, and a forced kernel the default
        // variant's (within 1e-4): their accuracy is that row's, not measured again.
        let same_network_as = match v.trunk {
            Trunk::Burn => Some("all channels, 20"),
            Trunk::Fast {
                kernel: Some(_), ..
            } => Some("compiled, pruned, 20"),
            _ => None,
        };
        // GTZAN: every row for the compiled trunk; 12 for burn's.
        let gtzan_files: Vec<&Row> = if v.trunk == Trunk::Burn {
            rows.iter()
                .filter(|r| r.split == "valid")
                .take(12)
                .collect()
        } else {
            rows.iter().collect()
        };
        let mut feats: Vec<(String, TrackFeatures)> = Vec::new();
        let mut gtzan_runs = Vec::new();
        for r in &gtzan_files {
            if let Some(run) = run_track(&clf, v.trunk, &r.file) {
                feats.push((r.split.clone(), as_track(&r.file, r.label, &run.features)));
                gtzan_runs.push(run);
            }
        }
        let (valid, unlisted, cv, same) = if same_network_as.is_some() {
            ((0, 0), (0, 0), (0, 0), (0, 0))
        } else {
            let pick = |s: &[&str]| -> Vec<TrackFeatures> {
                feats
                    .iter()
                    .filter(|(sp, _)| s.contains(&sp.as_str()))
                    .map(|(_, t)| t.clone())
                    .collect()
            };
            let (train_rows, valid_rows) = (pick(&["train"]), pick(&["valid"]));
            let both = pick(&["train", "valid"]);
            let unlisted_rows = pick(&["unlisted"]);
            let valid = head_accuracy(&config, &train_rows, &valid_rows);
            let unlisted = head_accuracy(&config, &both, &unlisted_rows);
            let cv = cross_validation(&config, &both, 5);
            // Same genre as today on library-sample, with this variant's 98-row head.
            let cancel = AtomicBool::new(false);
            let net = train(&config, &both, &[], &head_options(), &mut |_| {}, &cancel)
                .unwrap()
                .net;
            let mut same = (0, 0);
            for (run, t) in lib_runs.iter().zip(&today) {
                if let Some(t) = t {
                    let track = as_track(Path::new(""), 0, &run.features);
                    let top = argmax(&vector_of_features(&config, &net, &track).0).0;
                    same.1 += 1;
                    if top == *t {
                        same.0 += 1;
                    }
                }
            }
            (valid, unlisted, cv, same)
        };
        let executed = match v.trunk {
            Trunk::Fast { .. } => cost.executed_macs,
            _ => cost.dense_macs,
        };
        let peak = match v.trunk {
            Trunk::Fast { kernel, .. } => peak_of(kernel),
            _ => peak_of(None),
        };
        let lib_refs: Vec<&TrackRun> = lib_runs.iter().collect();
        let gtzan_refs: Vec<&TrackRun> = gtzan_runs.iter().collect();
        let lib_top: Vec<usize> = lib_runs.iter().map(|r| r.top).collect();
        eprintln!("   library tops {lib_top:?}");
        reports.push(Report {
            name: v.name,
            lib: timing(&lib_refs),
            gtzan: timing(&gtzan_refs),
            gtzan_timed_on: gtzan_runs.len(),
            valid,
            unlisted,
            cv,
            same_genre: same,
            executed_macs: executed,
            peak,
            same_network_as,
        });
    }

    for (title, pick) in [
        (
            "library-sample, full-length tracks (median per track)",
            (|r: &Report| r.lib.clone()) as fn(&Report) -> Timing,
        ),
        (
            "gtzan-dev, 30 s excerpts (median per track)",
            |r: &Report| r.gtzan.clone(),
        ),
    ] {
        println!("## {title}\n");
        println!(
            "| variant | tracks | patches | decode CPU-s | front end CPU-s | network CPU-s | total CPU-s | total wall s | network GFLOP/s executed (dense-equivalent) | % of 1-core peak |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|");
        let base_cpu = pick(&reports[0]).total_cpu;
        for r in &reports {
            let t = pick(r);
            let flops = |macs: f64| 2.0 * macs * t.patches_sum as f64 / t.net_cpu_sum / 1e9;
            let exec = flops(r.executed_macs);
            let dense = flops(cost.dense_macs);
            println!(
                "| {} | {} | {:.0} | {:.3} | {:.3} | {:.3} | {:.3} ({:.1}× less) | {:.3} | {:.1} ({:.1}) | {:.0} % |",
                r.name,
                t.tracks,
                t.patches,
                t.decode_cpu,
                t.front_cpu,
                t.net_cpu,
                t.total_cpu,
                base_cpu / t.total_cpu,
                t.total_wall,
                exec,
                dense,
                100.0 * exec / r.peak
            );
        }
        println!();
    }
    println!("## Accuracy (heads trained on each variant's own features)\n");
    println!(
        "| variant | artist-filtered valid (26) | unlisted (15) | 5-fold CV (98, by track) | same genre as today, library-sample |"
    );
    println!("|---|---|---|---|---|");
    for r in &reports {
        if let Some(same) = r.same_network_as {
            println!(
                "| {} | = the \"{same}\" row (same network; timed on {} excerpts) | | | |",
                r.name, r.gtzan_timed_on
            );
        } else {
            println!(
                "| {} | {} | {} | {} | {} |",
                r.name,
                fmt_acc(r.valid),
                fmt_acc(r.unlisted),
                fmt_acc(r.cv),
                fmt_acc(r.same_genre)
            );
        }
    }
}
