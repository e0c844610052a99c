#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The burn port of musicnn `MSD_vgg` against TensorFlow's outputs on the two reference patches
//! (`tests/fixtures/vgg_ref/reference.safetensors`, written by `scripts/convert_vgg.py` from the
//! patches in `tests/fixtures/musicnn_ref/`). Run with `--nocapture` to see the errors.

use std::path::PathBuf;

use burn::prelude::*;
use genreplay::model::backend::inference_device;
use genreplay::model::musicnn::{MUSICNN_MELS, MUSICNN_N_TAGS, SafetensorsF32};
use genreplay::model::trunk::{Trunk, TrunkKind, VGG_WEIGHTS};
use genreplay::model::vgg::{VGG_FRAMES, VGG_POOL5, VggTrunk};

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

fn patches(device: &Device) -> Tensor<4> {
    let bytes =
        std::fs::read(root().join("tests/fixtures/musicnn_ref/reference.safetensors")).unwrap();
    let st = SafetensorsF32::parse(&bytes).unwrap();
    let p = st
        .get_shaped("patches", &[2, VGG_FRAMES, MUSICNN_MELS])
        .unwrap();
    Tensor::from_data(TensorData::new(p, [2, 1, VGG_FRAMES, MUSICNN_MELS]), device)
}

#[test]
fn vgg_matches_tensorflow() {
    let device = inference_device();
    let trunk = VggTrunk::from_safetensors_bytes(VGG_WEIGHTS, &device).unwrap();
    let ref_bytes =
        std::fs::read(root().join("tests/fixtures/vgg_ref/reference.safetensors")).unwrap();
    let reference = SafetensorsF32::parse(&ref_bytes).unwrap();
    let get = |name: &str| reference.get(name).unwrap().1;

    let x = patches(&device);
    let out = trunk.forward(x.clone());
    let logits = to_vec(out.logits.clone());
    let taggram = to_vec(out.taggram());
    let pool5 = to_vec(out.pool5.clone());
    assert_eq!(logits.len(), 2 * MUSICNN_N_TAGS);
    assert_eq!(pool5.len(), 2 * VGG_POOL5);
    let e_logits = max_rel(&logits, &get("logits"));
    let e_tags = max_rel(&taggram, &get("taggram"));
    let e_pool5 = max_rel(&pool5, &get("pool5_flat"));
    println!("logits {e_logits:.2e}, taggram {e_tags:.2e}, pool5 {e_pool5:.2e}");

    // Per block: channel means (catch channel order / weight layout) and per-time sums (catch
    // padding and pooling offsets along time).
    let pools = trunk.forward_pools(x);
    for (k, p) in pools.iter().take(4).enumerate() {
        let [b, c, t, f] = p.dims();
        let chmean = to_vec(p.clone().mean_dim(3).mean_dim(2).reshape([b, c]));
        let tsum = to_vec(p.clone().sum_dim(3).sum_dim(1).reshape([b, t]));
        let e_ch = max_rel(&chmean, &get(&format!("pool{}_chmean", k + 1)));
        // A sum of c·f values: compare relative to that many unit values.
        let scale = (c * f) as f32;
        let tref = get(&format!("pool{}_tsum", k + 1));
        let e_t = tsum
            .iter()
            .zip(&tref)
            .map(|(a, r)| (a - r).abs() / r.abs().max(scale))
            .fold(0.0, f32::max);
        println!(
            "pool{}: channel means {e_ch:.2e}, time sums {e_t:.2e} (relative)",
            k + 1
        );
        assert!(e_ch < 1e-4, "pool{} channel means off by {e_ch}", k + 1);
        assert!(e_t < 1e-5, "pool{} time sums off by {e_t}", k + 1);
    }
    // The tolerance scripts/MUSICNN_ARCH.md derives for a float32 port.
    assert!(e_logits < 1e-4, "logits off by {e_logits}");
    assert!(e_tags < 1e-4, "taggram off by {e_tags}");
    assert!(e_pool5 < 1e-4, "pool5 off by {e_pool5}");
}

#[test]
fn vgg_trunk_features_are_pool5_then_tags() {
    let device = inference_device();
    let trunk = Trunk::shared(TrunkKind::Vgg, &device).unwrap();
    assert_eq!(trunk.kind(), TrunkKind::Vgg);
    let f = trunk.features(patches(&device));
    assert_eq!(f.dims(), [2, TrunkKind::Vgg.feature_dims()]);
    let ref_bytes =
        std::fs::read(root().join("tests/fixtures/vgg_ref/reference.safetensors")).unwrap();
    let reference = SafetensorsF32::parse(&ref_bytes).unwrap();
    let rows = to_vec(f);
    let tags: Vec<f32> = rows
        .chunks_exact(VGG_POOL5 + MUSICNN_N_TAGS)
        .flat_map(|r| r[VGG_POOL5..].to_vec())
        .collect();
    assert!(max_rel(&tags, &reference.get("taggram").unwrap().1) < 1e-4);
}

#[test]
fn truncated_or_wrong_weights_are_errors() {
    let device = inference_device();
    let err = VggTrunk::from_safetensors_bytes(&VGG_WEIGHTS[..VGG_WEIGHTS.len() / 2], &device)
        .unwrap_err();
    assert!(err.to_string().contains("outside"), "{err}");
    // musicnn's weights are not vgg's: the first missing tensor is named.
    let musicnn = std::fs::read(root().join("models/musicnn_msd.safetensors")).unwrap();
    let err = VggTrunk::from_safetensors_bytes(&musicnn, &device).unwrap_err();
    assert!(err.to_string().contains("input_bn"), "{err}");
}
