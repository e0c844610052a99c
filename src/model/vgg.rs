//! The pretrained musicnn `MSD_vgg` tagger (Pons & Serra, MTG-UPF; ISC licence, see
//! `models/NOTICE`), ported to burn. A plain VGG-style CNN on the same log-mel patches as
//! `MSD_musicnn`: input batch norm, five blocks of 3×3 conv (128 filters, TF `same`) → ReLU →
//! batch norm → max pool, then a dense layer from the flattened last pool (256 values) to the 50
//! MSD tag logits. About 0.89 GMAC per 3 s patch (musicnn: ≈1.4), nearly all of it in 3×3
//! convolutions with 128 channels, which map well onto a GEMM.
//!
//! The weights come from `models/musicnn_msd_vgg.safetensors` (TensorFlow layouts), written by
//! `scripts/convert_vgg.py`; `tests/model/vgg_port.rs` checks this port against TensorFlow's
//! outputs.
//! Input `[batch, 1, 187, 96]` (NCHW, H = time, W = mel). Unlike musicnn, the dense layer fixes
//! the patch length: exactly [`VGG_FRAMES`] frames. Inference only (the dropouts are the
//! identity; batch norm uses its running statistics).

use burn::module::{Param, RunningState};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid};

use super::error::WeightsError;
use super::musicnn::{MUSICNN_BN_EPSILON, MUSICNN_MELS, MUSICNN_N_TAGS, SafetensorsF32};

/// Frames per patch (the same 3 s patches as musicnn; the dense layer needs exactly this many).
pub const VGG_FRAMES: usize = 187;
/// Filters of every conv block.
pub const VGG_FILTERS: usize = 128;
/// Size of the flattened last pool (2 time steps × 1 mel step × 128 channels), the embedding
/// the genre head reads.
pub const VGG_POOL5: usize = 2 * VGG_FILTERS;

/// Max-pool kernel and stride of each block (time, mel), as in musicnn's `vgg()`.
const POOLS: [([usize; 2], [usize; 2]); 5] = [
    ([4, 1], [2, 2]),
    ([2, 2], [2, 2]),
    ([2, 2], [2, 2]),
    ([2, 2], [2, 2]),
    ([4, 4], [4, 4]),
];

pub(super) fn tensor1(values: Vec<f32>, device: &Device) -> Tensor<1> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

fn batch_norm(channels: usize, device: &Device) -> BatchNorm {
    BatchNormConfig::new(channels)
        .with_epsilon(MUSICNN_BN_EPSILON)
        .with_momentum(0.01)
        .init(device)
}

pub(super) fn load_bn(
    bn: &mut BatchNorm,
    st: &SafetensorsF32<'_>,
    prefix: &str,
    channels: usize,
    device: &Device,
) -> Result<(), WeightsError> {
    let get = |what: &str| {
        st.get_shaped(&format!("{prefix}.{what}"), &[channels])
            .map(|v| tensor1(v, device))
    };
    bn.gamma = Param::from_tensor(get("gamma")?);
    bn.beta = Param::from_tensor(get("beta")?);
    bn.running_mean = RunningState::new(get("moving_mean")?);
    bn.running_var = RunningState::new(get("moving_variance")?);
    Ok(())
}

/// TF conv kernel `[kh, kw, in, out]` → burn `[out, in, kh, kw]`.
pub(super) fn tf_kernel_to_burn(
    tf: &[f32],
    kh: usize,
    kw: usize,
    inp: usize,
    out: usize,
) -> Vec<f32> {
    let mut w = vec![0.0f32; tf.len()];
    for y in 0..kh {
        for x in 0..kw {
            for i in 0..inp {
                for o in 0..out {
                    w[((o * inp + i) * kh + y) * kw + x] = tf[((y * kw + x) * inp + i) * out + o];
                }
            }
        }
    }
    w
}

/// conv 3×3 (`same`) → ReLU → batch norm → max pool.
#[derive(Module, Debug)]
pub struct VggBlock {
    conv: Conv2d,
    bn: BatchNorm,
    pool: MaxPool2d,
}

impl VggBlock {
    fn new(channels_in: usize, pool: ([usize; 2], [usize; 2]), device: &Device) -> Self {
        VggBlock {
            conv: Conv2dConfig::new([channels_in, VGG_FILTERS], [3, 3])
                // TF `same` for k = 3, stride 1: one row/column on each side.
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_initializer(Initializer::Zeros)
                .init(device),
            bn: batch_norm(VGG_FILTERS, device),
            pool: MaxPool2dConfig::new(pool.0).with_strides(pool.1).init(),
        }
    }

    fn load(
        &mut self,
        st: &SafetensorsF32<'_>,
        prefix: &str,
        device: &Device,
    ) -> Result<(), WeightsError> {
        let [out, inp, kh, kw] = self.conv.weight.dims();
        let tf = st.get_shaped(&format!("{prefix}.conv.kernel"), &[kh, kw, inp, out])?;
        let w = tf_kernel_to_burn(&tf, kh, kw, inp, out);
        self.conv.weight = Param::from_tensor(Tensor::from_data(
            TensorData::new(w, [out, inp, kh, kw]),
            device,
        ));
        let bias = st.get_shaped(&format!("{prefix}.conv.bias"), &[out])?;
        self.conv.bias = Some(Param::from_tensor(tensor1(bias, device)));
        load_bn(&mut self.bn, st, &format!("{prefix}.bn"), out, device)
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.pool
            .forward(self.bn.forward(relu(self.conv.forward(x))))
    }
}

/// The `MSD_vgg` network: log-mel patches → 50 tag logits and the 256-d pooled embedding.
#[derive(Module, Debug)]
pub struct VggTrunk {
    input_bn: BatchNorm,
    blocks: Vec<VggBlock>,
    dense: Linear,
}

/// What [`VggTrunk::forward`] returns.
#[derive(Debug, Clone)]
pub struct VggOutput {
    /// Tag logits `[B, 50]` (the musicnn MSD tags, same order as `MUSICNN_TAGS`).
    pub logits: Tensor<2>,
    /// The last pool flattened as TensorFlow does (`[t, mel, channel]` row-major), `[B, 256]`.
    pub pool5: Tensor<2>,
}

impl VggOutput {
    /// Tag probabilities `[B, 50]` (independent sigmoids).
    pub fn taggram(&self) -> Tensor<2> {
        sigmoid(self.logits.clone())
    }
}

impl VggTrunk {
    /// The architecture with placeholder weights; see [`VggTrunk::from_safetensors_bytes`].
    pub fn new(device: &Device) -> Self {
        let blocks = POOLS
            .iter()
            .enumerate()
            .map(|(i, &pool)| VggBlock::new(if i == 0 { 1 } else { VGG_FILTERS }, pool, device))
            .collect();
        VggTrunk {
            input_bn: batch_norm(1, device),
            blocks,
            dense: LinearConfig::new(VGG_POOL5, MUSICNN_N_TAGS)
                .with_initializer(Initializer::Zeros)
                .init(device),
        }
    }

    /// The pretrained network from the bytes of `models/musicnn_msd_vgg.safetensors`. A
    /// truncated file, or a missing or mis-shaped tensor, gives an error naming it.
    pub fn from_safetensors_bytes(bytes: &[u8], device: &Device) -> Result<Self, WeightsError> {
        let st = SafetensorsF32::parse(bytes)?;
        let mut m = VggTrunk::new(device);
        load_bn(&mut m.input_bn, &st, "input_bn", 1, device)?;
        for (i, block) in m.blocks.iter_mut().enumerate() {
            block.load(&st, &format!("conv{}", i + 1), device)?;
        }
        let [inp, out] = m.dense.weight.dims();
        let w = st.get_shaped("dense.kernel", &[inp, out])?;
        m.dense.weight =
            Param::from_tensor(Tensor::from_data(TensorData::new(w, [inp, out]), device));
        let bias = st.get_shaped("dense.bias", &[out])?;
        m.dense.bias = Some(Param::from_tensor(tensor1(bias, device)));
        Ok(m)
    }

    /// `x`: `[B, 1, 187, 96]` → logits and pooled embedding.
    ///
    /// # Panics
    /// If `x` is not `[B, 1, 187, 96]` (burn's shape checks).
    pub fn forward(&self, x: Tensor<4>) -> VggOutput {
        let mut h = self.input_bn.forward(x);
        for b in &self.blocks {
            h = b.forward(h);
        }
        self.head(h)
    }

    /// The output of every block (after its max pool), `[B, 128, T_k, F_k]` NCHW:
    /// 92×48, 46×24, 23×12, 11×6, 2×1 for a 187×96 patch.
    pub fn forward_pools(&self, x: Tensor<4>) -> Vec<Tensor<4>> {
        let [_, _, _, mels] = x.dims();
        debug_assert_eq!(mels, MUSICNN_MELS);
        let mut h = self.input_bn.forward(x);
        let mut out = Vec::with_capacity(self.blocks.len());
        for b in &self.blocks {
            h = b.forward(h);
            out.push(h.clone());
        }
        out
    }

    /// The last pool `[B, 128, 2, 1]` → flatten in TF's NHWC order → dense.
    fn head(&self, pool5: Tensor<4>) -> VggOutput {
        let [b, c, t, f] = pool5.dims();
        let flat: Tensor<2> = pool5.permute([0, 2, 3, 1]).reshape([b, t * f * c]);
        VggOutput {
            logits: self.dense.forward(flat.clone()),
            pool5: flat,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_layout_moves_axes() {
        // kh 1, kw 2, in 1, out 3: tf[0, x, 0, o] = 10·x + o.
        let tf: Vec<f32> = vec![0.0, 1.0, 2.0, 10.0, 11.0, 12.0];
        let w = tf_kernel_to_burn(&tf, 1, 2, 1, 3);
        // burn [o, 0, 0, x].
        assert_eq!(w, vec![0.0, 10.0, 1.0, 11.0, 2.0, 12.0]);
    }

    #[test]
    fn shapes_through_the_blocks() {
        let device = crate::model::backend::inference_device();
        let m = VggTrunk::new(&device);
        let x = Tensor::<4>::zeros([1, 1, VGG_FRAMES, MUSICNN_MELS], &device);
        let dims: Vec<[usize; 4]> = m.forward_pools(x).iter().map(|p| p.dims()).collect();
        assert_eq!(
            dims,
            vec![
                [1, 128, 92, 48],
                [1, 128, 46, 24],
                [1, 128, 23, 12],
                [1, 128, 11, 6],
                [1, 128, 2, 1]
            ]
        );
    }
}
