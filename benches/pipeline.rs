//! Pipeline benchmarks: decode+clip, spectrogram, CNN inference per track, training throughput.
//! Uses synthetic audio written at start-up; real files from `../shared/data` when present.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use criterion::{Criterion, criterion_group, criterion_main};
use genreplay::audio::clip::load_clip;
use genreplay::features::Frontend;
use genreplay::model::backend::inference_device;
use genreplay::model::infer::Classifier;
use genreplay::model::registry::load_embedded;
use genreplay::model::train::{TrackFeatures, TrainOptions, train};

fn write_wav(path: &Path, secs: f32, rate: u32) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let n = (secs * rate as f32) as usize;
    let mut seed = 1u32;
    for i in 0..n {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (seed >> 16) as f32 / 65536.0 - 0.5;
        let t = i as f32 / rate as f32;
        let s = 0.3 * (2.0 * std::f32::consts::PI * 220.0 * t).sin() + 0.1 * noise;
        let v = (s * 32767.0) as i16;
        w.write_sample(v).unwrap();
        w.write_sample(v).unwrap();
    }
    w.finalize().unwrap();
}

fn real_files() -> Vec<PathBuf> {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/library-sample");
    [
        "Sectoid/Songs/01 Metal madness.mp3",
        "Singularity OST/Ambient Works/01 Awakening.ogg",
        "Warzone 2100/Original Soundtrack/02 Track 2.flac",
        "Warzone 2100/Original Soundtrack/01 Track 1.m4a",
    ]
    .iter()
    .map(|p| lib.join(p))
    .filter(|p| p.is_file())
    .collect()
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("three-minutes.wav");
    write_wav(&wav, 180.0, 44_100);
    let device = inference_device();
    let model = load_embedded(&device).unwrap();
    let config = model.config.clone();
    let spec = config.clip_spec();
    let classifier = Classifier::new(model, device);

    let mut g = c.benchmark_group("decode_clip");
    g.sample_size(20);
    g.bench_function("wav_3min_44k_stereo", |b| {
        b.iter(|| load_clip(&wav, &spec).unwrap())
    });
    for f in real_files() {
        let name = f.extension().unwrap().to_string_lossy().into_owned();
        g.bench_function(name, |b| b.iter(|| load_clip(&f, &spec).unwrap()));
    }
    g.finish();

    let clip = load_clip(&wav, &spec).unwrap();
    let frontend = Frontend::new(&config.frontend);
    c.bench_function("spectrogram_60s_logmel", |b| {
        b.iter(|| frontend.log_mel(&clip.samples))
    });

    let segs = classifier.segments_of(&clip.samples);
    let mut g = c.benchmark_group("cnn");
    g.sample_size(20);
    g.bench_function(
        format!("inference_per_track_{}_segments", segs.count),
        |b| b.iter(|| classifier.vector_of(&segs)),
    );
    g.bench_function("classify_file_end_to_end", |b| {
        b.iter(|| classifier.classify_file(&wav).unwrap())
    });
    g.finish();

    // Training throughput of a whole CNN (full mode): one epoch over 8 tracks (the same clip,
    // relabelled).
    let config = genreplay::model::ModelConfig::costa_default(config.labels.clone());
    let mel = frontend.log_mel(&clip.samples[..30 * 16_000]);
    let tracks: Vec<TrackFeatures> = (0..8)
        .map(|i| TrackFeatures {
            path: PathBuf::from(format!("t{i}")),
            label: i % config.labels.len(),
            mel: mel.clone(),
        })
        .collect();
    let segments_per_epoch: usize = tracks
        .iter()
        .map(|t| {
            (t.mel.frames / config.segments.segment_frames)
                .clamp(1, config.segments.segments_per_track)
        })
        .sum();
    let opts = TrainOptions {
        epochs: 1,
        ..Default::default()
    };
    let cancel = AtomicBool::new(false);
    let mut g = c.benchmark_group("training");
    g.sample_size(10);
    g.throughput(criterion::Throughput::Elements(segments_per_epoch as u64));
    g.bench_function(format!("epoch_{segments_per_epoch}_segments"), |b| {
        b.iter(|| train(&config, &tracks, &[], &opts, &mut |_| {}, &cancel).unwrap())
    });
    g.finish();
}

criterion_group!(pipeline, benches);
criterion_main!(pipeline);
