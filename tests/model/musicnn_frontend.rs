#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Our STFT/mel front end against musicnn's (librosa 0.10.2: 16 kHz, n_fft 512, hop 256,
//! constant-padded centred frames, 96 Slaney mels, `log10(1 + 10000·f16(mel))`), using the
//! reference tensors in `tests/fixtures/musicnn_ref/reference.safetensors`, then end to end
//! through the ported network. See `scripts/MUSICNN_ARCH.md` §3.
//!
//! Tolerances (errors are printed with `--nocapture`):
//! * `mel_basis`: 1e-6 absolute (values ≤ 0.033; we build it in f64 like librosa and round to
//!   f32, so only float rounding differs).
//! * `logmel`: 1e-3 absolute. The two FFTs (realfft vs numpy's pocketfft) differ by float noise,
//!   and where a mel energy lies next to an f16 rounding boundary that noise can move it to the
//!   neighbouring f16 value: one f16 step, 2^-11 to 2^-10 relative (a fixed 2^-24 for
//!   subnormals), i.e. at most `log10(1 + 2^-10) ≈ 4.2e-4` after the log. The test checks that
//!   every value off by more than 1e-5 is exactly such a step; the rest is float noise.
//! * taggram from our log-mel: 1e-3 absolute.

use std::path::PathBuf;

use burn::prelude::*;
use genreplay::features::{
    Frontend, FrontendConfig, LogCompression, MelFilterbank, MelScale, Stft,
};
use genreplay::model::backend::inference_device;
use genreplay::model::musicnn::{
    MUSICNN_FRAMES, MUSICNN_MELS, MUSICNN_N_TAGS, MusicnnTrunk, SafetensorsF32,
};
use half::f16;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/musicnn_ref")
        .join(name)
}

fn reference(name: &str, shape: &[usize]) -> Vec<f32> {
    let bytes = std::fs::read(fixture("reference.safetensors")).unwrap();
    SafetensorsF32::parse(&bytes)
        .unwrap()
        .get_shaped(name, shape)
        .unwrap()
}

/// input.wav as librosa loads it: PCM16 / 32768.
fn input_samples() -> Vec<f32> {
    let mut reader = hound::WavReader::open(fixture("input.wav")).unwrap();
    let spec = reader.spec();
    assert_eq!(spec.sample_rate, 16_000);
    assert_eq!(spec.channels, 1);
    assert_eq!(spec.bits_per_sample, 16);
    let samples: Vec<f32> = reader
        .samples::<i16>()
        .map(|s| s.unwrap() as f32 / 32768.0)
        .collect();
    assert_eq!(samples.len(), 52_800);
    samples
}

fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn config_is_musicnns() {
    let c = FrontendConfig::musicnn();
    assert_eq!(c.sample_rate_hz, 16_000);
    assert_eq!(c.n_fft, 512);
    assert_eq!(c.hop_samples, 256);
    assert_eq!(c.n_mels, 96);
    assert_eq!(c.mel_scale, MelScale::Slaney);
    assert_eq!(c.log, LogCompression::Log10Plus1F16 { scale: 10_000.0 });
}

#[test]
fn mel_basis_matches_librosa() {
    let fb = MelFilterbank::new(16_000, 512, 96, 0.0, 8000.0, MelScale::Slaney);
    assert_eq!((fb.n_mels, fb.bins), (96, 257));
    let want = reference("mel_basis", &[96, 257]);
    let e = max_abs(&fb.weights, &want);
    let peak = want.iter().fold(0.0f32, |a, &b| a.max(b));
    eprintln!("mel_basis: max abs error {e:.3e} (values up to {peak:.4})");
    assert!(e <= 1e-6, "mel_basis error {e}");
}

#[test]
fn log_mel_matches_musicnn() {
    let fe = Frontend::new(&FrontendConfig::musicnn());
    let mel = fe.log_mel(&input_samples());
    assert_eq!((mel.frames, mel.n_mels), (207, 96));
    let want = reference("logmel", &[207, 96]);

    // Our mel energies before the log, to explain the outliers.
    let spec = Stft::new(512, 256).power(&input_samples());
    let mut energies = vec![0.0f32; 207 * 96];
    for t in 0..207 {
        fe.filterbank()
            .apply_frame(spec.frame(t), &mut energies[t * 96..(t + 1) * 96]);
    }
    let log = |x: f32| (1.0f32 + 10_000.0 * x).log10();

    let mut worst = (0.0f32, 0usize);
    let mut flips = 0;
    let mut worst_flip = 0.0f32;
    let mut noise = 0.0f32;
    for (i, (a, b)) in mel.data.iter().zip(&want).enumerate() {
        let d = (a - b).abs();
        if d > worst.0 {
            worst = (d, i);
        }
        if d <= 1e-5 {
            noise = noise.max(d);
            continue;
        }
        // Not float noise: the reference must be the log of a neighbouring f16 of our energy.
        let h = f16::from_f32(energies[i]);
        assert_eq!(log(h.to_f32()), *a);
        let neighbours = [h.to_bits().saturating_sub(1), h.to_bits() + 1];
        let explained = neighbours
            .iter()
            .any(|&bits| (log(f16::from_bits(bits).to_f32()) - b).abs() <= 1e-5);
        assert!(
            explained,
            "frame {}, band {}: {a} vs {b} (energy {}), not one f16 rounding step",
            i / 96,
            i % 96,
            energies[i]
        );
        flips += 1;
        worst_flip = worst_flip.max(d);
    }
    eprintln!(
        "logmel: max abs error {:.3e} at frame {}, band {}; {flips} of {} values are one f16 \
         rounding step of the mel energy away (max {worst_flip:.3e}), the rest differ by \
         ≤ {noise:.3e}",
        worst.0,
        worst.1 / 96,
        worst.1 % 96,
        want.len()
    );
    assert!(worst.0 <= 1e-3, "logmel error {}", worst.0);
    assert!(flips <= 20, "{flips} f16 rounding flips");

    // Without the f16 rounding the error is larger but still small (§3.5 of the doc).
    let plain = FrontendConfig {
        log: LogCompression::Log10Plus1 { scale: 10_000.0 },
        ..FrontendConfig::musicnn()
    };
    let mel_plain = Frontend::new(&plain).log_mel(&input_samples());
    let e_plain = max_abs(&mel_plain.data, &want);
    eprintln!("logmel without the f16 rounding: max abs error {e_plain:.3e}");
    assert!(e_plain <= 1e-3);
}

#[test]
fn end_to_end_taggram_from_our_front_end() {
    let fe = Frontend::new(&FrontendConfig::musicnn());
    let mel = fe.log_mel(&input_samples());
    let patch = mel.data[..MUSICNN_FRAMES * MUSICNN_MELS].to_vec();

    let want_patch = reference("patches", &[2, MUSICNN_FRAMES, MUSICNN_MELS]);
    let e_patch = max_abs(&patch, &want_patch[..MUSICNN_FRAMES * MUSICNN_MELS]);

    let device = inference_device();
    let model = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/musicnn_msd.safetensors"),
    )
    .unwrap();
    let trunk = MusicnnTrunk::from_safetensors_bytes(&model, &device).unwrap();
    let x = Tensor::<4>::from_data(
        TensorData::new(patch, [1, 1, MUSICNN_FRAMES, MUSICNN_MELS]),
        &device,
    );
    let taggram = trunk
        .forward(x)
        .taggram()
        .into_data()
        .try_into_vec::<f32>()
        .unwrap();
    let want = reference("taggram", &[2, MUSICNN_N_TAGS]);
    let e = max_abs(&taggram, &want[..MUSICNN_N_TAGS]);
    eprintln!(
        "end to end (input.wav → our log-mel → trunk): taggram max abs error {e:.3e} \
         (first patch vs reference patch: {e_patch:.3e})"
    );
    assert!(e <= 1e-3, "taggram error {e}");
}
