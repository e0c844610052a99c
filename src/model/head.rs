//! The genre head on the pretrained trunk: per 3 s patch, musicnn's 200-d embedding and its 50
//! tag probabilities (250 features) → batch norm → (optional hidden layer) → genre logits. Only
//! the head is trained (the trunk stays frozen), so training runs on cached trunk outputs.

use std::sync::{Arc, OnceLock};

use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, Relu};
use burn::prelude::*;

use super::fast::FastTrunk;
use super::musicnn::{MUSICNN_N_TAGS, MUSICNN_PENULTIMATE, MusicnnOutput, MusicnnTrunk};

/// Features per patch the head reads: the penultimate embedding, then the tags.
pub const TRUNK_FEATURES: usize = MUSICNN_PENULTIMATE + MUSICNN_N_TAGS;

/// The converted MSD_musicnn weights (ISC licence, see models/NOTICE), built into the binary.
pub const MUSICNN_WEIGHTS: &[u8] = include_bytes!("../../models/musicnn_msd.safetensors");

/// The name configs use for this trunk.
pub const MUSICNN_TRUNK_NAME: &str = "msd_musicnn";

/// The pretrained trunk on the inference device, loaded once per process.
pub fn shared_trunk(device: &Device) -> Result<MusicnnTrunk, String> {
    static TRUNK: OnceLock<Result<MusicnnTrunk, String>> = OnceLock::new();
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
pub fn shared_fast_trunk() -> Result<Arc<FastTrunk>, String> {
    static FAST: OnceLock<Result<Arc<FastTrunk>, String>> = OnceLock::new();
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
) -> Result<Vec<f32>, String> {
    let out = shared_fast_trunk()?.forward_with(patches, count, frames, threads, true)?;
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
