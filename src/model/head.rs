//! The genre head on the pretrained trunk: per 3 s patch, musicnn's 200-d embedding and its 50
//! tag probabilities (250 features) → batch norm → (optional hidden layer) → genre logits. Only
//! the head is trained (the trunk stays frozen), so training runs on cached trunk outputs.

use std::sync::{Arc, OnceLock};

use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, Relu};
use burn::prelude::*;

use super::error::{NetError, WeightsError};
use super::fast::FastTrunk;
use super::musicnn::{MUSICNN_N_TAGS, MUSICNN_PENULTIMATE, MusicnnOutput, MusicnnTrunk};

/// Features per patch the head reads: the penultimate embedding, then the tags.
pub const TRUNK_FEATURES: usize = MUSICNN_PENULTIMATE + MUSICNN_N_TAGS;

/// The converted MSD_musicnn weights (ISC licence, see models/NOTICE), built into the binary.
pub const MUSICNN_WEIGHTS: &[u8] = include_bytes!("../../models/musicnn_msd.safetensors");

/// The name configs use for this trunk.
pub const MUSICNN_TRUNK_NAME: &str = "msd_musicnn";

/// The pretrained trunk on the inference device, loaded once per process.
pub fn shared_trunk(device: &Device) -> Result<MusicnnTrunk, WeightsError> {
    static TRUNK: OnceLock<Result<MusicnnTrunk, WeightsError>> = OnceLock::new();
    if *device == super::backend::inference_device() {
        TRUNK
            .get_or_init(|| {
                MusicnnTrunk::from_safetensors_bytes(MUSICNN_WEIGHTS, device).map(|t| t.valid())
            })
            .clone()
    } else {
        MusicnnTrunk::from_safetensors_bytes(MUSICNN_WEIGHTS, device).map(|t| t.valid())
    }
}

/// The compiled trunk ([`FastTrunk`]) that inference uses, built once per process.
pub fn shared_fast_trunk() -> Result<Arc<FastTrunk>, WeightsError> {
    static FAST: OnceLock<Result<Arc<FastTrunk>, WeightsError>> = OnceLock::new();
    FAST.get_or_init(|| FastTrunk::from_safetensors_bytes(MUSICNN_WEIGHTS).map(Arc::new))
        .clone()
}

/// The head's input for `count` patches of `frames × 96` (row-major, back to back), computed
/// by the compiled trunk on up to `threads` threads: `count × 250` rows of penultimate ‖ tag
/// probabilities.
pub fn fast_trunk_features(
    patches: &[f32],
    count: usize,
    frames: usize,
    threads: usize,
) -> Result<Vec<f32>, NetError> {
    let out = shared_fast_trunk()
        .map_err(NetError::weights("musicnn"))?
        .forward_with(patches, count, frames, threads, true)?;
    let mut rows = Vec::with_capacity(count * TRUNK_FEATURES);
    for (pen, logits) in out
        .penultimate
        .chunks_exact(MUSICNN_PENULTIMATE)
        .zip(out.logits.chunks_exact(MUSICNN_N_TAGS))
    {
        rows.extend_from_slice(pen);
        rows.extend(logits.iter().map(|&l| 1.0 / (1.0 + (-l).exp())));
    }
    Ok(rows)
}

/// The head's input for a trunk output: `[B, 250]` = penultimate ‖ taggram.
pub fn trunk_features(out: &MusicnnOutput) -> Tensor<2> {
    Tensor::cat(vec![out.penultimate.clone(), out.taggram()], 1)
}

/// Architecture of [`GenreHead`].
#[derive(Config, Debug, PartialEq)]
pub struct GenreHeadConfig {
    /// Width of a hidden layer; 0 = a linear classifier.
    #[config(default = 0)]
    pub hidden: usize,
    #[config(default = 0.3)]
    pub dropout: f64,
}

#[derive(Module, Debug)]
pub struct GenreHead {
    input_bn: BatchNorm,
    hidden: Vec<Linear>,
    relu: Relu,
    dropout: Dropout,
    output: Linear,
}

impl GenreHeadConfig {
    /// A head reading `inputs` features per patch (the trunk's feature width).
    pub fn init(&self, inputs: usize, n_classes: usize, device: &Device) -> GenreHead {
        let (hidden, out_in) = if self.hidden > 0 {
            (
                vec![LinearConfig::new(inputs, self.hidden).init(device)],
                self.hidden,
            )
        } else {
            (vec![], inputs)
        };
        GenreHead {
            input_bn: BatchNormConfig::new(inputs).init(device),
            hidden,
            relu: Relu::new(),
            dropout: DropoutConfig::new(self.dropout).init(),
            output: LinearConfig::new(out_in, n_classes).init(device),
        }
    }
}

impl GenreHead {
    /// `[B, features]` trunk features → genre logits `[B, classes]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let mut h = self.dropout.forward(self.input_bn.forward(x));
        for l in &self.hidden {
            h = self.dropout.forward(self.relu.forward(l.forward(h)));
        }
        self.output.forward(h)
    }

    /// The same, for features laid out as segments `[B, 1, 1, features]` (the training loop's
    /// form).
    pub fn forward_rows(&self, x: Tensor<4>) -> Tensor<2> {
        let [b, _, _, f] = x.dims();
        self.forward(x.reshape([b, f]))
    }
}

/// How a head turns a track's patches into its genre vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeadPooling {
    /// The head reads each patch; the track vector is the mean of the patch softmaxes
    /// (trained by gradient steps on patches, see [`super::train`]).
    #[default]
    Patch,
    /// The head reads the mean of the patches' features, once per track (a logistic
    /// regression, see [`super::logreg`]).
    Mean,
    /// The mean ‖ the standard deviation of the patches' features.
    MeanStd,
    /// The mean ‖ the maximum of the patches' features.
    MeanMax,
}

impl HeadPooling {
    pub const ALL: [HeadPooling; 4] = [
        HeadPooling::Patch,
        HeadPooling::Mean,
        HeadPooling::MeanStd,
        HeadPooling::MeanMax,
    ];

    pub fn name(self) -> &'static str {
        match self {
            HeadPooling::Patch => "patch",
            HeadPooling::Mean => "mean",
            HeadPooling::MeanStd => "mean_std",
            HeadPooling::MeanMax => "mean_max",
        }
    }

    pub fn is_patch(&self) -> bool {
        *self == HeadPooling::Patch
    }

    /// Features the head reads for a trunk giving `dims` per patch.
    pub fn width(self, dims: usize) -> usize {
        match self {
            HeadPooling::Patch | HeadPooling::Mean => dims,
            HeadPooling::MeanStd | HeadPooling::MeanMax => 2 * dims,
        }
    }

    /// The head's input rows for `rows` (patches × `dims`, row-major): the patches themselves,
    /// or one pooled row. `None` without patches.
    pub fn inputs(self, rows: &[f32], dims: usize) -> Option<(Vec<f32>, usize)> {
        let n = rows.len().checked_div(dims)?;
        if n == 0 {
            return None;
        }
        if self == HeadPooling::Patch {
            return Some((rows[..n * dims].to_vec(), n));
        }
        let mut out = crate::util::maths::mean_rows(&rows[..n * dims], dims);
        match self {
            HeadPooling::MeanStd => {
                let mut var = vec![0.0f64; dims];
                for r in rows.chunks_exact(dims) {
                    for ((s, &v), &m) in var.iter_mut().zip(r).zip(&out) {
                        *s += (v as f64 - m as f64).powi(2);
                    }
                }
                out.extend(var.iter().map(|s| (s / n as f64).sqrt() as f32));
            }
            HeadPooling::MeanMax => {
                let mut max = vec![f32::NEG_INFINITY; dims];
                for r in rows.chunks_exact(dims) {
                    for (m, &v) in max.iter_mut().zip(r) {
                        *m = m.max(v);
                    }
                }
                out.extend(max);
            }
            HeadPooling::Patch | HeadPooling::Mean => {}
        }
        Some((out, 1))
    }
}

/// The head's softmax rows for a track's trunk features (patches × `dims`): one row per patch
/// for a per-patch head, one row for a pooled head. The track vector is their mean.
pub fn head_probs(
    head: &GenreHead,
    pooling: HeadPooling,
    rows: &[f32],
    dims: usize,
    device: &Device,
) -> Option<Vec<f32>> {
    let (x, n) = pooling.inputs(rows, dims)?;
    let width = pooling.width(dims);
    let x = Tensor::<2>::from_data(TensorData::new(x, [n, width]), device);
    burn::tensor::activation::softmax(head.forward(x), 1)
        .into_data()
        .try_into_vec::<f32>()
        .ok()
}

impl GenreHead {
    /// A linear head on `device` whose logits are `x · weights + bias` (`weights`: inputs ×
    /// classes, row-major): the input batch norm is left at its identity statistics, which it
    /// uses at inference (its ε is folded into the weights).
    pub fn linear_from(
        weights: &[f32],
        bias: &[f32],
        inputs: usize,
        n_classes: usize,
        device: &Device,
    ) -> Result<GenreHead, WeightsError> {
        if weights.len() != inputs * n_classes || bias.len() != n_classes {
            return Err(WeightsError::Linear {
                weights: weights.len(),
                biases: bias.len(),
                inputs,
                classes: n_classes,
            });
        }
        let mut head = GenreHeadConfig::new()
            .with_dropout(0.0)
            .init(inputs, n_classes, device);
        // At inference the batch norm computes (x - 0) / √(1 + ε) · 1 + 0.
        let eps = head.input_bn.epsilon;
        let k = (1.0 + eps).sqrt() as f32;
        let w: Vec<f32> = weights.iter().map(|v| v * k).collect();
        head.output.weight = burn::module::Param::from_tensor(Tensor::<2>::from_data(
            TensorData::new(w, [inputs, n_classes]),
            device,
        ));
        head.output.bias = Some(burn::module::Param::from_tensor(Tensor::<1>::from_data(
            TensorData::new(bias.to_vec(), [n_classes]),
            device,
        )));
        Ok(head)
    }
}
