#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The burn port of musicnn `MSD_musicnn` against the TensorFlow reference outputs in
//! `tests/fixtures/musicnn_ref/reference.safetensors` (see `scripts/MUSICNN_ARCH.md`).
//!
//! Run with `--nocapture` to see the measured errors and the timing of a 20-patch batch.

use std::path::PathBuf;
use std::time::Instant;

use burn::module::Module;
use burn::prelude::*;
use burn::store::ModuleRecord;
use genreplay::model::backend::inference_device;
use genreplay::model::musicnn::{
    MUSICNN_FRAMES, MUSICNN_MELS, MUSICNN_N_TAGS, MUSICNN_PENULTIMATE, MUSICNN_TAGS, MusicnnTrunk,
    SafetensorsF32,
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

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().unwrap()
}

/// Max |a − b|.
fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Max |a − b| / max(|b|, 1): absolute below 1, relative above.
fn max_rel(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0.0, f32::max)
}

/// Per-frame sum over channels of `[B, C, T]` → (`[B, T]` sums, `[B, T]` sums of |x|).
fn chsum(x: Tensor<3>) -> (Vec<f32>, Vec<f32>) {
    let [b, _, t] = x.dims();
    let s = to_vec(x.clone().sum_dim(1).reshape([b, t]));
    let a = to_vec(x.abs().sum_dim(1).reshape([b, t]));
    (s, a)
}

fn load_trunk(device: &Device) -> MusicnnTrunk {
    MusicnnTrunk::from_safetensors_bytes(&model_bytes(), device).unwrap()
}

fn reference_patches(device: &Device) -> Tensor<4> {
    let bytes = reference_bytes();
    let reference = SafetensorsF32::parse(&bytes).unwrap();
    let patches = reference
        .get_shaped("patches", &[2, MUSICNN_FRAMES, MUSICNN_MELS])
        .unwrap();
    Tensor::from_data(
        TensorData::new(patches, [2, 1, MUSICNN_FRAMES, MUSICNN_MELS]),
        device,
    )
}

#[test]
fn tags_match_fixture() {
    let json =
        std::fs::read_to_string(root().join("tests/fixtures/musicnn_ref/tags.json")).unwrap();
    let tags: Vec<String> = serde_json::from_str(&json).unwrap();
    assert_eq!(tags, MUSICNN_TAGS.to_vec());
}

#[test]
fn matches_tensorflow_reference() {
    let device = inference_device();
    let trunk = load_trunk(&device);
    let bytes = reference_bytes();
    let reference = SafetensorsF32::parse(&bytes).unwrap();
    let want = |name: &str| reference.get(name).unwrap().1;

    let out = trunk.forward_debug(reference_patches(&device));

    // Network outputs: absolute error.
    let taggram = to_vec(out.output.taggram());
    let logits = to_vec(out.output.logits.clone());
    let penultimate = to_vec(out.output.penultimate.clone());
    let dense_relu = to_vec(out.dense_relu.clone());
    assert_eq!(taggram.len(), 2 * MUSICNN_N_TAGS);
    assert_eq!(penultimate.len(), 2 * MUSICNN_PENULTIMATE);
    let e_taggram = max_abs(&taggram, &want("taggram"));
    let e_logits = max_abs(&logits, &want("logits"));
    let e_penultimate = max_abs(&penultimate, &want("penultimate"));
    let e_dense_relu = max_abs(&dense_relu, &want("dense_relu"));
    eprintln!(
        "max abs error: taggram {e_taggram:.3e}, logits {e_logits:.3e}, penultimate {e_penultimate:.3e}, dense_relu {e_dense_relu:.3e}"
    );

    // Un-normalised intermediates: |Δ| / max(|ref|, 1) (max_pool reaches ~85).
    let pooled_bn = to_vec(out.pooled_bn.clone());
    let max_pool = to_vec(out.max_pool.clone());
    let mean_pool = to_vec(out.mean_pool.clone());
    let e_pooled_bn = max_rel(&pooled_bn, &want("pooled_bn"));
    let e_max_pool = max_rel(&max_pool, &want("max_pool"));
    let e_mean_pool = max_rel(&mean_pool, &want("mean_pool"));
    eprintln!(
        "max rel error: pooled_bn {e_pooled_bn:.3e}, max_pool {e_max_pool:.3e}, mean_pool {e_mean_pool:.3e} \
         (abs: pooled_bn {:.3e}, max_pool {:.3e}, mean_pool {:.3e})",
        max_abs(&pooled_bn, &want("pooled_bn")),
        max_abs(&max_pool, &want("max_pool")),
        max_abs(&mean_pool, &want("mean_pool")),
    );

    // Per-frame channel sums of every block (locate time-axis and padding bugs): error relative
    // to the frame's Σ|x|.
    let blocks = [
        ("timbral_f74", out.timbral_f74.clone()),
        ("timbral_f77", out.timbral_f77.clone()),
        ("temporal_s1", out.temporal_s1.clone()),
        ("temporal_s2", out.temporal_s2.clone()),
        ("temporal_s3", out.temporal_s3.clone()),
        ("midend1", out.midend1.clone()),
        ("midend2", out.midend2.clone()),
        ("midend3", out.midend3.clone()),
    ];
    let mut e_chsum_worst = 0.0f32;
    for (name, x) in blocks {
        let (sums, abs_sums) = chsum(x);
        let r = want(&format!("{name}_chsum"));
        let rel = sums
            .iter()
            .zip(&r)
            .zip(&abs_sums)
            .map(|((s, r), a)| (s - r).abs() / a.max(1.0))
            .fold(0.0, f32::max);
        eprintln!(
            "{name}_chsum: max abs {:.3e}, rel to Σ|x| {rel:.3e}",
            max_abs(&sums, &r)
        );
        assert!(rel <= 1e-4, "{name}_chsum relative error {rel}");
        e_chsum_worst = e_chsum_worst.max(rel);
    }

    assert!(e_taggram <= 1e-3, "taggram error {e_taggram}");
    assert!(e_logits <= 1e-3, "logits error {e_logits}");
    assert!(e_penultimate <= 1e-3, "penultimate error {e_penultimate}");
    assert!(e_dense_relu <= 1e-3, "dense_relu error {e_dense_relu}");
    assert!(e_pooled_bn <= 1e-4, "pooled_bn error {e_pooled_bn}");
    assert!(e_max_pool <= 1e-4, "max_pool error {e_max_pool}");
    assert!(e_mean_pool <= 1e-4, "mean_pool error {e_mean_pool}");
    assert!(e_chsum_worst <= 1e-4);
}

#[test]
fn batching_does_not_change_results_and_any_length_runs() {
    let device = inference_device();
    let trunk = load_trunk(&device);
    let patches = reference_patches(&device);
    let both = to_vec(trunk.forward(patches.clone()).logits);
    let first = to_vec(
        trunk
            .forward(
                patches
                    .clone()
                    .slice([0..1, 0..1, 0..MUSICNN_FRAMES, 0..MUSICNN_MELS]),
            )
            .logits,
    );
    let e = max_abs(&both[..MUSICNN_N_TAGS], &first);
    eprintln!("batch of 2 vs batch of 1: max |Δlogits| {e:.3e}");
    assert!(e <= 1e-5);

    // Fully convolutional in time: short and long inputs run, including T = 1 (shorter than
    // every temporal kernel).
    for t in [1, 2, 7, 31, 64, 128, 300] {
        let x = patches
            .clone()
            .slice([0..2, 0..1, 0..t.min(MUSICNN_FRAMES), 0..MUSICNN_MELS]);
        let x = if t > MUSICNN_FRAMES {
            Tensor::cat(
                vec![
                    x.clone(),
                    x.slice([0..2, 0..1, 0..t - MUSICNN_FRAMES, 0..MUSICNN_MELS]),
                ],
                2,
            )
        } else {
            x
        };
        let out = trunk.forward(x);
        assert_eq!(out.logits.dims(), [2, MUSICNN_N_TAGS], "T = {t}");
        assert_eq!(out.penultimate.dims(), [2, MUSICNN_PENULTIMATE], "T = {t}");
        let tags = to_vec(out.taggram());
        assert!(
            tags.iter()
                .all(|p| p.is_finite() && (0.0..=1.0).contains(p)),
            "T = {t}"
        );
    }
}

#[test]
fn burn_record_round_trip_keeps_outputs() {
    let device = inference_device();
    let trunk = load_trunk(&device);
    let patches = reference_patches(&device);
    let want = to_vec(trunk.forward(patches.clone()).logits);

    let bytes = trunk.into_record().into_bytes().unwrap().to_vec();
    let record = ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes)).unwrap();
    let reloaded = MusicnnTrunk::new(&device).try_load_record(record).unwrap();
    let got = to_vec(reloaded.forward(patches).logits);
    assert_eq!(got, want);
}

/// A safetensors file from `(name, shape)` pairs filled with zeros.
fn synthetic_safetensors(tensors: &[(&str, Vec<usize>)]) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let mut offset = 0usize;
    for (name, shape) in tensors {
        let n: usize = shape.iter().product::<usize>() * 4;
        header.insert(
            name.to_string(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + n]}),
        );
        offset += n;
    }
    let header = serde_json::to_vec(&serde_json::Value::Object(header)).unwrap();
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&header);
    out.resize(out.len() + offset, 0);
    out
}

#[test]
fn bad_weight_files_are_errors_not_panics() {
    let device = inference_device();
    let good = model_bytes();
    let err = |bytes: &[u8]| -> String {
        match MusicnnTrunk::from_safetensors_bytes(bytes, &device) {
            Ok(_) => panic!("{} bytes loaded without an error", bytes.len()),
            Err(e) => e.to_string(),
        }
    };

    // Empty, too short, header cut off, data cut off.
    let e = err(&[]);
    assert!(e.contains("too short"), "{e}");
    let e = err(&good[..5]);
    assert!(e.contains("too short"), "{e}");
    let e = err(&good[..100]);
    assert!(e.contains("header length"), "{e}");
    let e = err(&good[..good.len() / 2]);
    assert!(e.contains("tensor `") && e.contains("truncated"), "{e}");
    let e = err(&good[..good.len() - 1]);
    assert!(e.contains("tensor `"), "{e}");

    // Garbage and a wrong (but valid) safetensors file.
    let e = err(b"this is not a safetensors file at all, just some text");
    assert!(e.contains("safetensors"), "{e}");
    let e = err(&reference_bytes());
    assert!(
        e.contains("frontend.input_bn.gamma") && e.contains("missing"),
        "{e}"
    );

    // A missing tensor and a mis-shaped tensor are named.
    let e = err(&synthetic_safetensors(&[
        ("frontend.input_bn.gamma", vec![1]),
        ("frontend.input_bn.beta", vec![1]),
        ("frontend.input_bn.moving_mean", vec![1]),
    ]));
    assert!(
        e.contains("frontend.input_bn.moving_variance") && e.contains("missing"),
        "{e}"
    );
    let e = err(&synthetic_safetensors(&[
        ("frontend.input_bn.gamma", vec![1]),
        ("frontend.input_bn.beta", vec![1]),
        ("frontend.input_bn.moving_mean", vec![1]),
        ("frontend.input_bn.moving_variance", vec![1]),
        ("frontend.timbral_f74.conv.kernel", vec![38, 7, 1, 204]),
    ]));
    assert!(
        e.contains("frontend.timbral_f74.conv.kernel") && e.contains("[7, 38, 1, 204]"),
        "{e}"
    );
}

/// Not a test of speed (no assertion): prints the median wall time of the trunk on a batch of
/// 20 patches. Ignored by default (it is slow and timing is meaningless next to other tests):
/// `cargo test --release --test model -- --ignored --nocapture musicnn_port::timing`.
#[test]
#[ignore = "timing report, run on demand"]
fn timing_20_patches() {
    let device = inference_device();
    let trunk = load_trunk(&device);
    let patches = reference_patches(&device);
    let mut batch = Vec::new();
    for _ in 0..10 {
        batch.push(patches.clone());
    }
    let x = Tensor::cat(batch, 0);
    assert_eq!(x.dims(), [20, 1, MUSICNN_FRAMES, MUSICNN_MELS]);
    let _ = to_vec(trunk.forward(x.clone()).logits); // warm-up
    let mut times = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        let logits = to_vec(trunk.forward(x.clone()).logits);
        times.push(t0.elapsed().as_secs_f64());
        assert_eq!(logits.len(), 20 * MUSICNN_N_TAGS);
    }
    times.sort_by(f64::total_cmp);
    eprintln!(
        "trunk on [20, 1, 187, 96]: median {:.3} s (runs {:?})",
        times[times.len() / 2],
        times.iter().map(|t| format!("{t:.3}")).collect::<Vec<_>>()
    );
}
