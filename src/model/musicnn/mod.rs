//! The pretrained musicnn `MSD_musicnn` tagger (Pons & Serra, MTG-UPF; ISC licence, see
//! `models/NOTICE`), ported to burn: front end (five conv branches), mid end (three 1-D convs
//! with dense/residual connections) and back end (temporal max + mean pooling, two dense
//! layers). `scripts/MUSICNN_ARCH.md` describes the graph this follows; the weights come from
//! `models/musicnn_msd.safetensors` (TensorFlow layouts).
//!
//! Layout: input `[batch, 1, frames, 96]` (NCHW with H = time, W = mel), a batch of log-mel
//! patches from [`FrontendConfig::musicnn`](crate::features::FrontendConfig::musicnn). The
//! network is fully convolutional in time, so any number of frames ≥ 1 runs; it was trained on
//! [`MUSICNN_FRAMES`] = 187. Inference only: the two dropouts are the identity and every batch
//! norm uses its running statistics.
//!
//! One file on purpose: the port mirrors the original network layer by layer, with the weight
//! names it loads; splitting it would scatter that one-to-one mapping.

use super::error::WeightsError;
pub use super::safetensors::SafetensorsF32;
use burn::module::{Param, RunningState};
use burn::nn::conv::{Conv1d, Conv1dConfig, Conv2d, Conv2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig, PaddingConfig1d, PaddingConfig2d,
};
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::module::conv2d;
use burn::tensor::ops::{ConvOptions, PadMode};

/// Frames per patch the model was trained on (≈ 2.99 s at 16 kHz, hop 256).
pub const MUSICNN_FRAMES: usize = 187;
/// Mel bands the model expects (the width of the input).
pub const MUSICNN_MELS: usize = 96;
/// Size of the penultimate embedding.
pub const MUSICNN_PENULTIMATE: usize = 200;
/// Number of tags.
pub const MUSICNN_N_TAGS: usize = 50;

/// The 50 tags, in output order (`tests/fixtures/musicnn_ref/tags.json`).
pub const MUSICNN_TAGS: [&str; MUSICNN_N_TAGS] = [
    "rock",
    "pop",
    "alternative",
    "indie",
    "electronic",
    "female vocalists",
    "dance",
    "00s",
    "alternative rock",
    "jazz",
    "beautiful",
    "metal",
    "chillout",
    "male vocalists",
    "classic rock",
    "soul",
    "indie rock",
    "Mellow",
    "electronica",
    "80s",
    "folk",
    "90s",
    "chill",
    "instrumental",
    "punk",
    "oldies",
    "blues",
    "hard rock",
    "ambient",
    "acoustic",
    "experimental",
    "female vocalist",
    "guitar",
    "Hip-Hop",
    "70s",
    "party",
    "country",
    "easy listening",
    "sexy",
    "catchy",
    "funk",
    "electro",
    "heavy metal",
    "Progressive rock",
    "60s",
    "rnb",
    "indie pop",
    "sad",
    "House",
    "happy",
];

/// Batch-norm epsilon of every musicnn BN layer (TF's default 0.001, not burn's 1e-5).
pub const MUSICNN_BN_EPSILON: f64 = 1e-3;

/// Channels of the five front-end branches, in concat order (f74, f77, s1, s2, s3).
const TIMBRAL_FILTERS: usize = 204;
const TEMPORAL_FILTERS: usize = 51;
const FRONTEND_CHANNELS: usize = 2 * TIMBRAL_FILTERS + 3 * TEMPORAL_FILTERS; // 561
const MIDEND_FILTERS: usize = 64;
const MIDEND_CHANNELS: usize = FRONTEND_CHANNELS + 3 * MIDEND_FILTERS; // 753
const POOLED: usize = 2 * MIDEND_CHANNELS; // 1506

/// Phases of the polyphase form of the temporal convolutions (see
/// `FrontBranch::forward_polyphase`). 4 was fastest of 2/4/8/16 on a 2-core CPU.
const POLYPHASE: usize = 4;

/// TensorFlow `SAME` padding for stride 1: `(before, after)` with the odd row after.
const fn tf_same(kernel: usize) -> (usize, usize) {
    let total = kernel - 1;
    (total / 2, total - total / 2)
}

/// Row-major permutation of `data` (shape `shape`): output axis `i` is input axis `perm[i]`.
fn permute(data: &[f32], shape: &[usize], perm: &[usize]) -> Vec<f32> {
    let rank = shape.len();
    let mut in_strides = vec![1usize; rank];
    for i in (0..rank.saturating_sub(1)).rev() {
        in_strides[i] = in_strides[i + 1] * shape[i + 1];
    }
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let strides: Vec<usize> = perm.iter().map(|&p| in_strides[p]).collect();
    let mut out = Vec::with_capacity(data.len());
    let mut idx = vec![0usize; rank];
    for _ in 0..data.len() {
        let src: usize = idx.iter().zip(&strides).map(|(i, s)| i * s).sum();
        out.push(data[src]);
        for d in (0..rank).rev() {
            idx[d] += 1;
            if idx[d] < out_shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

fn tensor1(values: Vec<f32>, device: &Device) -> Tensor<1> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

// ---------------------------------------------------------------------------------------------
// layers

fn batch_norm(channels: usize, device: &Device) -> BatchNorm {
    BatchNormConfig::new(channels)
        .with_epsilon(MUSICNN_BN_EPSILON)
        .with_momentum(0.01)
        .init(device)
}

/// Loads `<prefix>.{gamma,beta,moving_mean,moving_variance}` into `bn`.
fn load_bn(
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

/// One front-end branch: conv → ReLU → BN → max over the whole mel axis.
#[derive(Module, Debug)]
pub struct FrontBranch {
    conv: Conv2d,
    bn: BatchNorm,
}

impl FrontBranch {
    /// `kernel` is `[time taps, mel taps]`; time padding `(top, bottom)`, no mel padding.
    fn new(filters: usize, kernel: [usize; 2], pad: (usize, usize), device: &Device) -> Self {
        FrontBranch {
            conv: Conv2dConfig::new([1, filters], kernel)
                // burn 0.22.1: Explicit(top, left, bottom, right).
                .with_padding(PaddingConfig2d::Explicit(pad.0, 0, pad.1, 0))
                .with_initializer(Initializer::Zeros)
                .init(device),
            bn: batch_norm(filters, device),
        }
    }

    fn load(
        &mut self,
        st: &SafetensorsF32<'_>,
        prefix: &str,
        device: &Device,
    ) -> Result<(), WeightsError> {
        let [out, inp, kh, kw] = self.conv.weight.dims();
        // TF [kh, kw, in, out] → burn [out, in, kh, kw].
        let name = format!("{prefix}.conv.kernel");
        let tf = st.get_shaped(&name, &[kh, kw, inp, out])?;
        let w = permute(&tf, &[kh, kw, inp, out], &[3, 2, 0, 1]);
        self.conv.weight = Param::from_tensor(Tensor::from_data(
            TensorData::new(w, [out, inp, kh, kw]),
            device,
        ));
        let bias = st.get_shaped(&format!("{prefix}.conv.bias"), &[out])?;
        self.conv.bias = Some(Param::from_tensor(tensor1(bias, device)));
        load_bn(&mut self.bn, st, &format!("{prefix}.bn"), out, device)
    }

    /// `[B, 1, T, 96]` → `[B, filters, T]`.
    fn forward(&self, x: Tensor<4>) -> Tensor<3> {
        let [kh, kw] = self.conv.kernel_size;
        let bn_trains = x.device().is_autodiff() && self.bn.training.is_enabled();
        if let PaddingConfig2d::Explicit(top, 0, bottom, 0) = self.conv.padding
            && kw == 1
            && kh > POLYPHASE
            && x.dims()[2] + top + bottom >= kh
            && !bn_trains
        {
            return self.forward_polyphase(x, top, bottom);
        }
        let y = self.bn.forward(relu(self.conv.forward(x)));
        let [b, c, t, _] = y.dims();
        y.max_dim(3).reshape([b, c, t])
    }

    /// The same as the plain path for a temporal (`[k, 1]`) kernel, computed as a polyphase
    /// convolution, 1.3× (k = 32) to 2× (k = 64, 128) faster on the flex CPU backend: burn's im2col handles a 1-channel,
    /// 128-tap, 1-wide kernel poorly, while `P` channels and `⌈(k + P − 1)/P⌉` taps make a
    /// GEMM with `P·F` outputs that it handles well.
    ///
    /// With `t = P·τ + q` and `q + k = P·j + r`:
    /// `out[f, P·τ + q] = Σ_{r,j} w'[(q,f), r, j] · x'[r, τ + j]`, where
    /// `x'[r, s] = xpad[P·s + r]` and `w'[(q,f), r, j] = w[f, P·j + r − q]` (0 outside the
    /// kernel). Every product of the plain convolution appears once (the rest multiply exact
    /// zeros), so only the float summation order differs. The padded input is `xpad`, the same
    /// zeros as TF `SAME` (`top` before, at least `bottom` after); extra zero rows at the end
    /// only feed outputs past `T`, which are cut off.
    ///
    /// Only used when batch norm runs on its running statistics (the extra rows would enter
    /// batch statistics when training).
    fn forward_polyphase(&self, x: Tensor<4>, top: usize, bottom: usize) -> Tensor<3> {
        let p = POLYPHASE;
        let [b, _, t, m] = x.dims();
        let [f, _, k, _] = self.conv.weight.dims();
        // Output length of the plain convolution (t for TF SAME padding).
        let out_len = (t + top + bottom + 1).saturating_sub(k).max(1);
        let taps = (p + k - 2) / p + 1;
        let s = out_len.div_ceil(p) + taps - 1;
        // p·s ≥ out_len + k − 1 = t + top + bottom, so `after` ≥ `bottom`.
        let after = p * s - t - top;
        // x'[b, r, s, m] = xpad[b, p·s + r, m].
        let xp = x
            .pad([(top, after), (0, 0)], PadMode::Constant(0.0))
            .reshape([b, s, p, m])
            .swap_dims(1, 2);
        // w'[(q, f), r, j] = w[f, p·j + r − q]: w padded by p − 1 zeros before and enough after,
        // then one window per phase q.
        let w: Tensor<2> = self.conv.weight.val().reshape([f, k]);
        let wpad = w.pad([(0, 0), (p - 1, p * taps - k)], PadMode::Constant(0.0));
        let phases: Vec<Tensor<3>> = (0..p)
            .map(|q| {
                let start = p - 1 - q;
                wpad.clone()
                    .slice([0..f, start..start + p * taps])
                    .reshape([f, taps, p])
                    .swap_dims(1, 2)
            })
            .collect();
        let wp: Tensor<4> = Tensor::cat(phases, 0).reshape([p * f, p, taps, 1]);
        let bias = self
            .conv
            .bias
            .as_ref()
            .map(|bias| Tensor::cat(vec![bias.val(); p], 0));
        let y = conv2d(xp, wp, bias, ConvOptions::new([1, 1], [0, 0], [1, 1], 1));
        // y[b, q·F + f, τ, m] = out[b, f, p·τ + q, m]; the phases go to the batch axis so the
        // F-channel batch norm applies as is.
        let [_, _, ys, _] = y.dims();
        let y = self.bn.forward(relu(y.reshape([b * p, f, ys, m])));
        y.max_dim(3)
            .reshape([b, p, f, ys])
            .permute([0, 2, 3, 1])
            .reshape([b, f, ys * p])
            .slice([0..b, 0..f, 0..out_len])
    }
}

/// One mid-end block: zero pad 3/3 in time → 1-D conv (k = 7) → ReLU → BN.
#[derive(Module, Debug)]
pub struct MidBlock {
    conv: Conv1d,
    bn: BatchNorm,
}

impl MidBlock {
    fn new(channels_in: usize, device: &Device) -> Self {
        MidBlock {
            conv: Conv1dConfig::new(channels_in, MIDEND_FILTERS, 7)
                .with_padding(PaddingConfig1d::Explicit(3, 3))
                .with_initializer(Initializer::Zeros)
                .init(device),
            bn: batch_norm(MIDEND_FILTERS, device),
        }
    }

    fn load(
        &mut self,
        st: &SafetensorsF32<'_>,
        prefix: &str,
        device: &Device,
    ) -> Result<(), WeightsError> {
        let [out, inp, k] = self.conv.weight.dims();
        // TF [k, in, 1, out] → burn [out, in, k] (w[o, c, k] = tf[k, c, 0, o]).
        let tf = st.get_shaped(&format!("{prefix}.conv.kernel"), &[k, inp, 1, out])?;
        let w = permute(&tf, &[k, inp, out], &[2, 1, 0]);
        self.conv.weight =
            Param::from_tensor(Tensor::from_data(TensorData::new(w, [out, inp, k]), device));
        let bias = st.get_shaped(&format!("{prefix}.conv.bias"), &[out])?;
        self.conv.bias = Some(Param::from_tensor(tensor1(bias, device)));
        load_bn(&mut self.bn, st, &format!("{prefix}.bn"), out, device)
    }

    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        self.bn.forward(relu(self.conv.forward(x)))
    }
}

fn load_linear(
    linear: &mut Linear,
    st: &SafetensorsF32<'_>,
    prefix: &str,
    device: &Device,
) -> Result<(), WeightsError> {
    // TF dense kernels are [in, out], burn's row layout: no transpose.
    let [inp, out] = linear.weight.dims();
    let w = st.get_shaped(&format!("{prefix}.kernel"), &[inp, out])?;
    linear.weight = Param::from_tensor(Tensor::from_data(TensorData::new(w, [inp, out]), device));
    let bias = st.get_shaped(&format!("{prefix}.bias"), &[out])?;
    linear.bias = Some(Param::from_tensor(tensor1(bias, device)));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// the network

/// The `MSD_musicnn` network: log-mel patches → 50 tag logits and the 200-d embedding.
#[derive(Module, Debug)]
pub struct MusicnnTrunk {
    input_bn: BatchNorm,
    timbral_f74: FrontBranch,
    timbral_f77: FrontBranch,
    temporal_s1: FrontBranch,
    temporal_s2: FrontBranch,
    temporal_s3: FrontBranch,
    midend1: MidBlock,
    midend2: MidBlock,
    midend3: MidBlock,
    pool_bn: BatchNorm,
    dense1: Linear,
    dense1_bn: BatchNorm,
    dense2: Linear,
}

/// What [`MusicnnTrunk::forward`] returns.
#[derive(Debug, Clone)]
pub struct MusicnnOutput {
    /// Tag logits `[B, 50]`, in [`MUSICNN_TAGS`] order.
    pub logits: Tensor<2>,
    /// The 200-d embedding `[B, 200]` after its batch norm (musicnn's "penultimate").
    pub penultimate: Tensor<2>,
}

impl MusicnnOutput {
    /// Tag probabilities `[B, 50]`: independent sigmoids of the logits (musicnn's taggram).
    pub fn taggram(&self) -> Tensor<2> {
        sigmoid(self.logits.clone())
    }
}

/// Every intermediate of one forward pass (see [`MusicnnTrunk::forward_debug`]).
#[derive(Debug, Clone)]
pub struct MusicnnDebug {
    /// Input after the 1-channel batch norm, `[B, 1, T, 96]`.
    pub input_bn: Tensor<4>,
    /// Front-end branches, `[B, C, T]` each (C = 204, 204, 51, 51, 51).
    pub timbral_f74: Tensor<3>,
    pub timbral_f77: Tensor<3>,
    pub temporal_s1: Tensor<3>,
    pub temporal_s2: Tensor<3>,
    pub temporal_s3: Tensor<3>,
    /// Mid-end blocks `[B, 64, T]` (2 and 3 include their residual).
    pub midend1: Tensor<3>,
    pub midend2: Tensor<3>,
    pub midend3: Tensor<3>,
    /// Temporal max and mean of the 753-channel mid-end concat, `[B, 753]`.
    pub max_pool: Tensor<2>,
    pub mean_pool: Tensor<2>,
    /// Batch norm of the interleaved `[max₀, mean₀, max₁, mean₁, …]` vector, `[B, 1506]`.
    pub pooled_bn: Tensor<2>,
    /// ReLU(dense1) before its batch norm, `[B, 200]`.
    pub dense_relu: Tensor<2>,
    /// The final outputs.
    pub output: MusicnnOutput,
}

impl MusicnnTrunk {
    /// The architecture with placeholder (zero/identity) weights, e.g. to load a burn record
    /// into. Use [`MusicnnTrunk::from_safetensors_bytes`] for the pretrained network.
    pub fn new(device: &Device) -> Self {
        let (s1, s2, s3) = (tf_same(128), tf_same(64), tf_same(32));
        MusicnnTrunk {
            input_bn: batch_norm(1, device),
            timbral_f74: FrontBranch::new(TIMBRAL_FILTERS, [7, 38], (3, 3), device),
            timbral_f77: FrontBranch::new(TIMBRAL_FILTERS, [7, 67], (3, 3), device),
            temporal_s1: FrontBranch::new(TEMPORAL_FILTERS, [128, 1], s1, device),
            temporal_s2: FrontBranch::new(TEMPORAL_FILTERS, [64, 1], s2, device),
            temporal_s3: FrontBranch::new(TEMPORAL_FILTERS, [32, 1], s3, device),
            midend1: MidBlock::new(FRONTEND_CHANNELS, device),
            midend2: MidBlock::new(MIDEND_FILTERS, device),
            midend3: MidBlock::new(MIDEND_FILTERS, device),
            pool_bn: batch_norm(POOLED, device),
            dense1: LinearConfig::new(POOLED, MUSICNN_PENULTIMATE)
                .with_initializer(Initializer::Zeros)
                .init(device),
            dense1_bn: batch_norm(MUSICNN_PENULTIMATE, device),
            dense2: LinearConfig::new(MUSICNN_PENULTIMATE, MUSICNN_N_TAGS)
                .with_initializer(Initializer::Zeros)
                .init(device),
        }
    }

    /// The pretrained network from the bytes of `models/musicnn_msd.safetensors` (TF layouts,
    /// see `scripts/MUSICNN_ARCH.md` §2.4). A truncated file, or a missing or mis-shaped tensor,
    /// gives an error naming it.
    ///
    /// Like any burn module, on an autodiff device the batch norms use batch statistics unless
    /// the module is made [`valid`](Module::valid) or frozen.
    pub fn from_safetensors_bytes(bytes: &[u8], device: &Device) -> Result<Self, WeightsError> {
        let st = SafetensorsF32::parse(bytes)?;
        let mut m = MusicnnTrunk::new(device);
        load_bn(&mut m.input_bn, &st, "frontend.input_bn", 1, device)?;
        m.timbral_f74.load(&st, "frontend.timbral_f74", device)?;
        m.timbral_f77.load(&st, "frontend.timbral_f77", device)?;
        m.temporal_s1.load(&st, "frontend.temporal_s1", device)?;
        m.temporal_s2.load(&st, "frontend.temporal_s2", device)?;
        m.temporal_s3.load(&st, "frontend.temporal_s3", device)?;
        m.midend1.load(&st, "midend.conv1", device)?;
        m.midend2.load(&st, "midend.conv2", device)?;
        m.midend3.load(&st, "midend.conv3", device)?;
        load_bn(&mut m.pool_bn, &st, "backend.pool_bn", POOLED, device)?;
        load_linear(&mut m.dense1, &st, "backend.dense1", device)?;
        load_bn(
            &mut m.dense1_bn,
            &st,
            "backend.dense1_bn",
            MUSICNN_PENULTIMATE,
            device,
        )?;
        load_linear(&mut m.dense2, &st, "backend.dense2", device)?;
        Ok(m)
    }

    /// `x`: log-mel patches `[B, 1, T, 96]` → logits and penultimate embedding.
    ///
    /// # Panics
    /// If `x` is not `[B, 1, T, 96]` with `B, T ≥ 1` (burn's shape checks).
    pub fn forward(&self, x: Tensor<4>) -> MusicnnOutput {
        let xn = self.input_bn.forward(x);
        let front = self.frontend(xn);
        let mid = self.midend(front);
        let (max_pool, mean_pool) = temporal_pools(mid);
        let (_, _, output) = self.backend(max_pool, mean_pool);
        output
    }

    /// [`MusicnnTrunk::forward`], keeping every intermediate (for tests and diagnostics).
    pub fn forward_debug(&self, x: Tensor<4>) -> MusicnnDebug {
        let input_bn = self.input_bn.forward(x);
        let [f74, f77, s1, s2, s3] = self.front_branches(input_bn.clone());
        let front = Tensor::cat(
            vec![f74.clone(), f77.clone(), s1.clone(), s2.clone(), s3.clone()],
            1,
        );
        let [m1, m2, m3] = self.mid_blocks(front.clone());
        let mid = Tensor::cat(vec![front, m1.clone(), m2.clone(), m3.clone()], 1);
        let (max_pool, mean_pool) = temporal_pools(mid);
        let (pooled_bn, dense_relu, output) = self.backend(max_pool.clone(), mean_pool.clone());
        MusicnnDebug {
            input_bn,
            timbral_f74: f74,
            timbral_f77: f77,
            temporal_s1: s1,
            temporal_s2: s2,
            temporal_s3: s3,
            midend1: m1,
            midend2: m2,
            midend3: m3,
            max_pool,
            mean_pool,
            pooled_bn,
            dense_relu,
            output,
        }
    }

    fn front_branches(&self, xn: Tensor<4>) -> [Tensor<3>; 5] {
        [
            self.timbral_f74.forward(xn.clone()),
            self.timbral_f77.forward(xn.clone()),
            self.temporal_s1.forward(xn.clone()),
            self.temporal_s2.forward(xn.clone()),
            self.temporal_s3.forward(xn),
        ]
    }

    /// `[B, 1, T, 96]` (after the input BN) → `[B, 561, T]`.
    fn frontend(&self, xn: Tensor<4>) -> Tensor<3> {
        Tensor::cat(self.front_branches(xn).to_vec(), 1)
    }

    fn mid_blocks(&self, front: Tensor<3>) -> [Tensor<3>; 3] {
        let m1 = self.midend1.forward(front);
        let m2 = self.midend2.forward(m1.clone()) + m1.clone();
        let m3 = self.midend3.forward(m2.clone()) + m2.clone();
        [m1, m2, m3]
    }

    /// `[B, 561, T]` → the dense concat `[B, 753, T]`.
    fn midend(&self, front: Tensor<3>) -> Tensor<3> {
        let [m1, m2, m3] = self.mid_blocks(front.clone());
        Tensor::cat(vec![front, m1, m2, m3], 1)
    }

    /// Pools `[B, 753]` ×2 → (pooled_bn, dense_relu, output).
    fn backend(
        &self,
        max_pool: Tensor<2>,
        mean_pool: Tensor<2>,
    ) -> (Tensor<2>, Tensor<2>, MusicnnOutput) {
        let [b, c] = max_pool.dims();
        // Interleaved flatten: flat[2c] = max[c], flat[2c + 1] = mean[c].
        let flat: Tensor<2> = Tensor::cat(
            vec![max_pool.reshape([b, c, 1]), mean_pool.reshape([b, c, 1])],
            2,
        )
        .reshape([b, 2 * c]);
        let pooled_bn = self.pool_bn.forward(flat);
        let dense_relu = relu(self.dense1.forward(pooled_bn.clone()));
        let penultimate = self.dense1_bn.forward(dense_relu.clone());
        let logits = self.dense2.forward(penultimate.clone());
        (
            pooled_bn,
            dense_relu,
            MusicnnOutput {
                logits,
                penultimate,
            },
        )
    }
}

/// `[B, C, T]` → (max over T, mean over T), each `[B, C]`.
fn temporal_pools(mid: Tensor<3>) -> (Tensor<2>, Tensor<2>) {
    let [b, c, _] = mid.dims();
    let max = mid.clone().max_dim(2).reshape([b, c]);
    let mean = mid.mean_dim(2).reshape([b, c]);
    (max, mean)
}

#[cfg(test)]
mod tests;
