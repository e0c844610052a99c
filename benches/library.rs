//! Library benchmarks: scan speed on a generated tree of small tagged files (first scan and
//! unchanged re-scan), classification throughput on `../shared/data/library-sample`, and peak
//! RSS while classifying a 10k-track library.
//!
//! `cargo bench --bench library` (set GENREPLAY_BENCH_FILES to change the tree size, default
//! 10000).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion};
use genreplay::analysis::{AnalysisEvent, Analyzer};
use genreplay::library::scan::scan;
use genreplay::model::backend::inference_device;
use genreplay::model::infer::Classifier;
use genreplay::model::registry::load_embedded;
use genreplay::store::Store;

fn write_tagged_wav(path: &Path, i: usize) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for n in 0..800 {
        w.write_sample(((n * (i % 7 + 1)) % 200) as i16 * 50)
            .unwrap();
    }
    w.finalize().unwrap();
    // RIFF INFO tags: artist, album, title.
    let mut bytes = std::fs::read(path).unwrap();
    let mut info = b"INFO".to_vec();
    for (id, v) in [
        (b"IART", format!("Artist {}", i % 50)),
        (b"IPRD", format!("Album {}", i % 500)),
        (b"INAM", format!("Title {i}")),
    ] {
        let mut d = v.into_bytes();
        d.push(0);
        if d.len() % 2 == 1 {
            d.push(0);
        }
        info.extend_from_slice(id);
        info.extend_from_slice(&(d.len() as u32).to_le_bytes());
        info.extend_from_slice(&d);
    }
    bytes.extend_from_slice(b"LIST");
    bytes.extend_from_slice(&(info.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&info);
    let n = (bytes.len() - 8) as u32;
    bytes[4..8].copy_from_slice(&n.to_le_bytes());
    std::fs::write(path, bytes).unwrap();
}

fn main() {
    let n: usize = std::env::var("GENREPLAY_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("music");
    let t = Instant::now();
    for i in 0..n {
        write_tagged_wav(
            &tree.join(format!("Artist {}/Album {}/{i:05}.wav", i % 50, i % 500)),
            i,
        );
    }
    eprintln!(
        "generated {n} tagged files in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);

    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    let mut g = c.benchmark_group("scan");
    g.throughput(criterion::Throughput::Elements(n as u64));
    g.bench_function(format!("first_scan_{n}_files"), |b| {
        b.iter_batched(
            || {
                let d = tempfile::tempdir().unwrap();
                let s = Store::open(&d.path().join("db")).unwrap();
                (d, s)
            },
            |(_d, s)| {
                let r = scan(&s, &tree, threads, &|_| {}).unwrap();
                assert_eq!(r.new, n);
            },
            BatchSize::PerIteration,
        )
    });
    let store = Store::open(&dir.path().join("db")).unwrap();
    scan(&store, &tree, threads, &|_| {}).unwrap();
    g.bench_function(format!("unchanged_rescan_{n}_files"), |b| {
        b.iter(|| {
            let r = scan(&store, &tree, threads, &|_| {}).unwrap();
            assert_eq!(r.unchanged, n);
        })
    });
    g.finish();

    // Classification throughput on the real sample library.
    let device = inference_device();
    let classifier = Classifier::new(load_embedded(&device).unwrap(), device);
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/library-sample");
    if sample.is_dir() {
        let workers = threads.saturating_sub(1).max(1);
        let mut g = c.benchmark_group("classify");
        g.sample_size(10);
        g.bench_function("library_sample_all_tracks", |b| {
            b.iter_batched(
                || {
                    let d = tempfile::tempdir().unwrap();
                    let s = Store::open(&d.path().join("db")).unwrap();
                    scan(&s, &sample, threads, &|_| {}).unwrap();
                    (d, s)
                },
                |(_d, s)| {
                    let a = Analyzer::start(s, classifier.clone(), workers).unwrap();
                    for ev in a.events().iter() {
                        if matches!(ev, AnalysisEvent::Finished { .. }) {
                            break;
                        }
                    }
                    a.join();
                },
                BatchSize::PerIteration,
            )
        });
        g.finish();
    } else {
        eprintln!("skipping classification throughput: ../shared/data is absent");
    }

    // Peak RSS of the real `genreplay scan` indexing and classifying the whole generated
    // library, read from the kernel when the process ends.
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/genreplay");
    let bin = std::env::var_os("CARGO_TARGET_DIR")
        .map(|d| PathBuf::from(d).join("release/genreplay"))
        .filter(|p| p.is_file())
        .unwrap_or(bin);
    if bin.is_file() {
        let data = dir.path().join("rss-data");
        let t = Instant::now();
        #[allow(clippy::zombie_processes)] // reaped by wait4 below, which also gives the rusage
        let child = std::process::Command::new(&bin)
            .arg("--data-dir")
            .arg(&data)
            .args(["--json", "scan", "--library"])
            .arg(&tree)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Classifying all of them takes long with the pretrained network; 90 s is steady
        // state (the store holds all tracks, the worker is busy), then the process is killed
        // and the kernel reports its peak.
        std::thread::sleep(Duration::from_secs(90));
        unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        let mut status = 0;
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
        let secs = t.elapsed().as_secs_f64();
        let classified = Store::open(&data.join("db"))
            .ok()
            .map(|s| {
                let m =
                    genreplay::model::active::load_active(&s, None, &inference_device()).unwrap();
                s.vector_count(&m.id)
            })
            .unwrap_or(0);
        println!(
            "genreplay scan of a {n}-track library (indexed, then classifying): peak RSS {:.1} MB over {:.0} s; {classified} tracks classified ({:.1} tracks/s)",
            usage.ru_maxrss as f64 / 1024.0,
            secs,
            classified as f64 / secs
        );
    } else {
        eprintln!("skipping peak RSS: build the binary first (cargo build --release)");
    }
    c.final_summary();
}
