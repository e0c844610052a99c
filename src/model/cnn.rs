//! A Costa-style CNN (Costa, Oliveira & Silla 2017): blocks of convolution + batch norm + ReLU +
//! max pooling over a log-mel segment, then global pooling, dropout and dense layers. It returns
//! logits; the caller applies softmax.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d, Relu,
};
use burn::prelude::*;

/// Architecture of [`CostaCnn`].
#[derive(Config, Debug, PartialEq)]
pub struct CostaCnnConfig {
    /// Output channels of each conv block; each block halves both spatial sizes.
    pub channels: Vec<usize>,
    #[config(default = 3)]
    pub kernel: usize,
    /// Width of the hidden dense layer.
    #[config(default = 64)]
    pub dense: usize,
    #[config(default = 0.3)]
    pub dropout: f64,
    /// Flatten the last block's maps of a `[frames, mels]` input into the dense layer (Costa
    /// et al. 2017); `None`: global mean ‖ max pooling (the first default).
    pub flatten: Option<[usize; 2]>,
    /// Batch norm after each convolution (`None`: yes).
    pub block_norm: Option<bool>,
}

#[derive(Module, Debug)]
pub struct ConvBlock {
    conv: Conv2d,
    bn: Option<BatchNorm>,
    pool: MaxPool2d,
    relu: Relu,
}

impl ConvBlock {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.conv.forward(x);
        let x = match &self.bn {
            Some(bn) => bn.forward(x),
            None => x,
        };
        let x = self.relu.forward(x);
        self.pool.forward(x)
    }
}

#[derive(Module, Debug)]
pub struct CostaCnn {
    input_bn: BatchNorm,
    blocks: Vec<ConvBlock>,
    dropout: Dropout,
    hidden: Linear,
    relu: Relu,
    output: Linear,
}

impl CostaCnnConfig {
    /// Builds the network for `n_classes` outputs.
    pub fn init(&self, n_classes: usize, device: &Device) -> CostaCnn {
        let mut blocks = Vec::with_capacity(self.channels.len());
        let mut in_ch = 1;
        for &out_ch in &self.channels {
            blocks.push(ConvBlock {
                conv: Conv2dConfig::new([in_ch, out_ch], [self.kernel, self.kernel])
                    .with_padding(PaddingConfig2d::Same)
                    .init(device),
                bn: self
                    .block_norm
                    .unwrap_or(true)
                    .then(|| BatchNormConfig::new(out_ch).init(device)),
                pool: MaxPool2dConfig::new([2, 2]).init(),
                relu: Relu::new(),
            });
            in_ch = out_ch;
        }
        CostaCnn {
            input_bn: BatchNormConfig::new(1).init(device),
            blocks,
            dropout: DropoutConfig::new(self.dropout).init(),
            hidden: LinearConfig::new(self.dense_inputs(), self.dense).init(device),
            relu: Relu::new(),
            output: LinearConfig::new(self.dense, n_classes).init(device),
        }
    }

    /// What the dense layer reads: the flattened maps of the last block, or mean ‖ max per
    /// channel.
    pub fn dense_inputs(&self) -> usize {
        let ch = self.channels.last().copied().unwrap_or(1);
        match self.flatten {
            Some([h, w]) => {
                let n = self.channels.len();
                ch * (h >> n) * (w >> n)
            }
            None => 2 * ch,
        }
    }

    /// Weights and biases of the network for `n_classes` outputs.
    pub fn parameters(&self, n_classes: usize) -> usize {
        let mut n = 2; // the input batch norm's scale and shift
        let mut in_ch = 1;
        for &c in &self.channels {
            n += in_ch * c * self.kernel * self.kernel + c;
            if self.block_norm.unwrap_or(true) {
                n += 2 * c;
            }
            in_ch = c;
        }
        n + self.dense_inputs() * self.dense + self.dense + self.dense * n_classes + n_classes
    }

    /// Smallest segment side (frames or mel bands) the blocks can pool down to at least 1.
    pub fn min_side(&self) -> usize {
        1 << self.channels.len()
    }
}

impl CostaCnn {
    /// `x`: `[batch, 1, frames, mels]` → logits `[batch, classes]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = self.input_bn.forward(x);
        for block in &self.blocks {
            x = block.forward(x);
        }
        let [b, c, h, w] = x.dims();
        // The dense layer's width says which: mean ‖ max per channel, or the flattened maps.
        if self.hidden.weight.dims()[0] != 2 * c {
            let flat: Tensor<2> = x.reshape([b, c * h * w]);
            let h = self
                .dropout
                .forward(self.relu.forward(self.hidden.forward(flat)));
            return self.output.forward(h);
        }
        let flat: Tensor<3> = x.reshape([b, c, h * w]);
        let mean = flat.clone().mean_dim(2).reshape([b, c]);
        let max = flat.max_dim(2).reshape([b, c]);
        let pooled = Tensor::cat(vec![mean, max], 1);
        let h = self.dropout.forward(pooled);
        let h = self.relu.forward(self.hidden.forward(h));
        let h = self.dropout.forward(h);
        self.output.forward(h)
    }
}
