#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The compiled musicnn trunk (`model::fast`) against the TensorFlow reference outputs (the
//! same fixture and tolerances as `musicnn_port.rs`) and against burn's port, pruned and
//! unpruned, for every patch length the network accepts — on every kernel this CPU runs
//! (`model::kernels`: AVX-512, AVX2, the portable 128-bit level, scalar), so the portable path
//! a CPU without AVX2 takes is checked here on every machine.

use crate::common;

use std::path::PathBuf;

use burn::prelude::*;
use genreplay::model::backend::inference_device;
use genreplay::model::fast::{FastTrunk, INPUT_MAX};
use genreplay::model::kernels::{Isa, Kernel};
use genreplay::model::musicnn::{
    MUSICNN_FRAMES, MUSICNN_MELS, MUSICNN_N_TAGS, MUSICNN_PENULTIMATE, MusicnnTrunk, SafetensorsF32,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn model_bytes() -> Vec<u8> {
    std::fs::read(root().join("models/musicnn_msd.safetensors")).unwrap()
}

fn reference_bytes() -> Vec<u8> {
    std::fs::read(root().join("tests/fixtures/musicnn_ref/reference.safetensors")).unwrap()
}

fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn sigmoid(v: &[f32]) -> Vec<f32> {
    v.iter().map(|&x| 1.0 / (1.0 + (-x).exp())).collect()
}

/// The trunk on every kernel this CPU runs; the portable and scalar levels run everywhere.
fn on_every_kernel(fast: &FastTrunk) -> Vec<FastTrunk> {
    let kernels = Kernel::available();
    let isas: Vec<Isa> = kernels.iter().map(|k| k.isa()).collect();
    assert!(isas.contains(&Isa::Scalar), "{isas:?}");
    if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        assert!(isas.contains(&Isa::Portable), "{isas:?}");
    }
    kernels
        .into_iter()
        .map(|k| fast.clone().with_kernel(k))
        .collect()
}

#[test]
fn matches_tensorflow_reference_pruned_and_unpruned() {
    let fast = FastTrunk::from_safetensors_bytes(&model_bytes()).unwrap();
    let bytes = reference_bytes();
    let reference = SafetensorsF32::parse(&bytes).unwrap();
    let want = |name: &str| reference.get(name).unwrap().1;
    let patches = reference
        .get_shaped("patches", &[2, MUSICNN_FRAMES, MUSICNN_MELS])
        .unwrap();
    assert!(FastTrunk::in_proved_range(&patches));
    for (fast, pruned) in on_every_kernel(&fast)
        .iter()
        .flat_map(|f| [(f, true), (f, false)])
    {
        let out = fast
            .forward_with(&patches, 2, MUSICNN_FRAMES, 1, pruned)
            .unwrap();
        assert_eq!(out.logits.len(), 2 * MUSICNN_N_TAGS);
        assert_eq!(out.penultimate.len(), 2 * MUSICNN_PENULTIMATE);
        let e_logits = max_abs(&out.logits, &want("logits"));
        let e_taggram = max_abs(&sigmoid(&out.logits), &want("taggram"));
        let e_pen = max_abs(&out.penultimate, &want("penultimate"));
        eprintln!(
            "{}, pruned {pruned}: max abs error taggram {e_taggram:.3e}, logits {e_logits:.3e}, penultimate {e_pen:.3e}",
            fast.kernel().describe()
        );
        // The tolerances of musicnn_port.rs.
        assert!(e_taggram <= 1e-3, "taggram error {e_taggram}");
        assert!(e_logits <= 1e-3, "logits error {e_logits}");
        assert!(e_pen <= 1e-3, "penultimate error {e_pen}");
        // And what the port reaches, so a regression shows.
        assert!(e_logits <= 1e-4, "logits error {e_logits}");
        assert!(e_pen <= 1e-4, "penultimate error {e_pen}");
    }
    let live = fast.live_channels();
    eprintln!("live channels: {live:?}");
    assert!(live.front.iter().sum::<usize>() < 561 / 4);
}

/// Deterministic pseudo-random log-mel-like patches in `[0, hi]`.
fn patches(count: usize, frames: usize, hi: f32, seed: u32) -> Vec<f32> {
    let mut s = seed;
    (0..count * frames * MUSICNN_MELS)
        .map(|i| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (s >> 8) as f32 / (1u32 << 24) as f32;
            let band = (i % MUSICNN_MELS) as f32 / MUSICNN_MELS as f32;
            // Louder low bands, a slow beat, and noise, like real log-mel frames.
            let frame = (i / MUSICNN_MELS) as f32;
            let v = 3.5 * (1.0 - band) + (frame * 0.7).sin() + 1.5 * noise;
            v.clamp(0.0, hi)
        })
        .collect()
}

fn burn_outputs(
    trunk: &MusicnnTrunk,
    x: &[f32],
    count: usize,
    frames: usize,
) -> (Vec<f32>, Vec<f32>) {
    let device = inference_device();
    let t = Tensor::<4>::from_data(
        TensorData::new(x.to_vec(), [count, 1, frames, MUSICNN_MELS]),
        &device,
    );
    let out = trunk.forward(t);
    (
        out.logits.into_data().try_into_vec::<f32>().unwrap(),
        out.penultimate.into_data().try_into_vec::<f32>().unwrap(),
    )
}

#[test]
fn agrees_with_burns_port_for_every_length_and_thread_count() {
    let bytes = model_bytes();
    let fast = FastTrunk::from_safetensors_bytes(&bytes).unwrap();
    let trunk = MusicnnTrunk::from_safetensors_bytes(&bytes, &inference_device()).unwrap();
    let kernels = on_every_kernel(&fast);
    for frames in [1, 2, 7, 31, 64, 128, 187, 300] {
        let x = patches(3, frames, INPUT_MAX, frames as u32);
        let (want_l, want_p) = burn_outputs(&trunk, &x, 3, frames);
        for fast in &kernels {
            for threads in [1, 2, 3] {
                let got = fast.forward_with(&x, 3, frames, threads, true).unwrap();
                let el = max_abs(&got.logits, &want_l);
                let ep = max_abs(&got.penultimate, &want_p);
                assert!(
                    el <= 1e-4 && ep <= 1e-4,
                    "{:?}, T {frames}, {threads} threads: logits {el}, penultimate {ep}",
                    fast.kernel()
                );
            }
        }
    }
}

#[test]
fn inputs_outside_the_proved_range_use_the_full_plan() {
    let bytes = model_bytes();
    let fast = FastTrunk::from_safetensors_bytes(&bytes).unwrap();
    let trunk = MusicnnTrunk::from_safetensors_bytes(&bytes, &inference_device()).unwrap();
    // Values no musicnn front end produces (negative, and above f16's range): the pruned
    // channels could fire, so the result must still be the whole network's.
    let mut x = patches(2, MUSICNN_FRAMES, INPUT_MAX, 7);
    for (i, v) in x.iter_mut().enumerate() {
        if i % 5 == 0 {
            *v = -3.0 + 40.0 * ((i / 5) % 2) as f32;
        }
    }
    assert!(!FastTrunk::in_proved_range(&x));
    let (want_l, want_p) = burn_outputs(&trunk, &x, 2, MUSICNN_FRAMES);
    let scale = want_l.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    for fast in on_every_kernel(&fast) {
        let got = fast.forward(&x, 2, MUSICNN_FRAMES).unwrap();
        let el = max_abs(&got.logits, &want_l);
        let ep = max_abs(&got.penultimate, &want_p);
        eprintln!(
            "{}, out-of-range input: logits Δ {el:.3e} (scale {scale:.1}), penultimate Δ {ep:.3e}",
            fast.kernel().describe()
        );
        assert!(el <= 1e-4 * scale && ep <= 1e-4 * scale);
    }
}

#[test]
fn bad_shapes_are_errors() {
    let fast = FastTrunk::from_safetensors_bytes(&model_bytes()).unwrap();
    let e = fast.forward(&[0.0; 10], 1, MUSICNN_FRAMES).unwrap_err();
    assert!(e.to_string().contains("10 values"), "{e}");
    assert!(fast.forward(&[], 0, 0).is_err());
    let ok = fast.forward(&[], 0, MUSICNN_FRAMES).unwrap();
    assert!(ok.logits.is_empty());
    let e = FastTrunk::from_safetensors_bytes(&model_bytes()[..100]).unwrap_err();
    assert!(e.to_string().contains("header"), "{e}");
}

/// `classify --json --timings` with `GENREPLAY_KERNEL` set (or not): the kernel it names and
/// the genre vector.
fn classify_on(kernel: Option<&str>, file: &std::path::Path) -> (String, Vec<f64>) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = common::genreplay(dir.path());
    cmd.env_remove(genreplay::model::kernels::KERNEL_ENV);
    if let Some(k) = kernel {
        cmd.env(genreplay::model::kernels::KERNEL_ENV, k);
    }
    cmd.args(["classify", "--json", "--timings"]).arg(file);
    let v = common::json_of(cmd);
    let entry = &v.as_array().unwrap()[0];
    let vector = entry["vector"]
        .as_object()
        .unwrap()
        .values()
        .map(|x| x.as_f64().unwrap())
        .collect();
    (entry["kernel"].as_str().unwrap().to_string(), vector)
}

#[test]
fn the_environment_forces_a_kernel_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chirps.wav");
    let mut rng = common::Rng::new(11);
    common::write_wav(
        &file,
        &common::chirps(&mut rng, 22_050, 8.0, 300.0, 3000.0),
        22_050,
        1,
    );
    let (auto, want) = classify_on(None, &file);
    assert_eq!(auto, Kernel::best().isa().name());
    // A name it does not know is logged and the best kernel used.
    assert_eq!(classify_on(Some("bogus"), &file).0, auto);
    for isa in [Isa::Portable, Isa::Scalar] {
        if Kernel::new(isa).is_none() {
            crate::common::skipped(format_args!("this CPU has no {} kernel", isa.name()));
            continue;
        }
        let (name, got) = classify_on(Some(isa.name()), &file);
        assert_eq!(name, isa.name());
        let d = max_abs(
            &got.iter().map(|&v| v as f32).collect::<Vec<_>>(),
            &want.iter().map(|&v| v as f32).collect::<Vec<_>>(),
        );
        assert!(d <= 1e-4, "{name}: genre vector Δ {d}");
    }
}
