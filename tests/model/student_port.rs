#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The built-in distilled student (`models/student_musicnn.{json,safetensors}`, fitted by
//! `scripts/train_student.py` in TensorFlow) run by the burn module against TensorFlow's own
//! outputs on the two reference patches (`tests/fixtures/student_ref/reference.safetensors`,
//! written by the same script from the patches in `tests/fixtures/musicnn_ref/`). Run with
//! `--nocapture` to see the errors.

use std::path::PathBuf;

use burn::prelude::*;
use genreplay::model::backend::inference_device;
use genreplay::model::musicnn::{MUSICNN_FRAMES, MUSICNN_MELS, MUSICNN_N_TAGS, SafetensorsF32};
use genreplay::model::student::StudentTrunk;
use genreplay::model::trunk::{STUDENT_CONFIG, STUDENT_WEIGHTS, Trunk, TrunkKind};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().unwrap()
}

/// Max |a − b| / max(|b|, 1): absolute below 1, relative above.
fn max_rel(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0.0, f32::max)
}

#[test]
fn student_matches_tensorflow() {
    let device = inference_device();
    let student =
        StudentTrunk::from_safetensors_bytes(STUDENT_CONFIG, STUDENT_WEIGHTS, &device).unwrap();
    let bytes =
        std::fs::read(root().join("tests/fixtures/musicnn_ref/reference.safetensors")).unwrap();
    let st = SafetensorsF32::parse(&bytes).unwrap();
    let p = st
        .get_shaped("patches", &[2, MUSICNN_FRAMES, MUSICNN_MELS])
        .unwrap();
    let x = Tensor::<4>::from_data(
        TensorData::new(p.clone(), [2, 1, MUSICNN_FRAMES, MUSICNN_MELS]),
        &device,
    );
    let ref_bytes =
        std::fs::read(root().join("tests/fixtures/student_ref/reference.safetensors")).unwrap();
    let reference = SafetensorsF32::parse(&ref_bytes).unwrap();
    let out = student.forward(x);
    let e_emb = max_rel(
        &to_vec(out.embedding),
        &reference.get_shaped("embedding", &[2, 200]).unwrap(),
    );
    let logits = to_vec(out.logits);
    let e_logits = max_rel(
        &logits,
        &reference
            .get_shaped("logits", &[2, MUSICNN_N_TAGS])
            .unwrap(),
    );
    println!("embedding {e_emb:.2e}, logits {e_logits:.2e}");
    assert!(e_emb < 1e-4, "embedding {e_emb}");
    assert!(e_logits < 1e-4, "logits {e_logits}");

    // Through the trunk interface: embedding ‖ sigmoid(logits), 250 per patch.
    let trunk = Trunk::shared(TrunkKind::Student, &device).unwrap();
    let f = trunk
        .features_of_patches(&p, 2, MUSICNN_FRAMES, 1, &device)
        .unwrap();
    assert_eq!(f.len(), 2 * 250);
    let sig = 1.0 / (1.0 + (-logits[0]).exp());
    assert!((f[200] - sig).abs() < 1e-5, "{} vs {sig}", f[200]);
    // The wrong number of values is an error naming the shapes.
    let err = trunk
        .features_of_patches(&p[1..], 2, MUSICNN_FRAMES, 1, &device)
        .unwrap_err();
    assert!(err.to_string().contains("2 patches"), "{err}");
}
