//! A small network distilled from the `MSD_musicnn` trunk (see `distill.rs`): the same log-mel
//! patches in, musicnn's 200-d penultimate embedding and 50 tag logits out, at a few per cent of
//! its multiply-accumulates.
//!
//! Architecture (all sizes from [`StudentConfig`]): a fixed input scaling; a strided "patchify"
//! stem conv (→ ReLU → BN); blocks of depthwise-separable convs (3×3 depthwise → ReLU → 1×1
//! pointwise → ReLU → BN) or plain 3×3 convs (→ ReLU → BN), some followed by 2×2 max pooling;
//! max over the mel axis, then mean ‖ max over time (as musicnn pools over time); a hidden dense
//! layer (→ ReLU → BN); a linear layer to the 200-d embedding; and a linear layer from that
//! embedding to the 50 tag logits (initialised from musicnn's last layer, which does the same).

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::prelude::*;
use burn::tensor::activation::sigmoid;

use super::error::{NetError, WeightsError};
use super::musicnn::{
    MUSICNN_FRAMES, MUSICNN_MELS, MUSICNN_N_TAGS, MUSICNN_PENULTIMATE, SafetensorsF32,
};
use super::vgg::{load_bn, tensor1, tf_kernel_to_burn};

/// Architecture of a [`StudentTrunk`]. Stored next to its weights as JSON.
#[derive(Config, Debug, PartialEq)]
pub struct StudentConfig {
    /// Channels of the stem conv.
    #[config(default = 48)]
    pub stem: usize,
    /// Kernel and stride (time, mel) of the stem conv: a "patchify" stem that cuts the 187 × 96
    /// input to a quarter per axis at once, because on burn's CPU backend the cost of a layer
    /// follows the size of its activations far more than its multiply-accumulates.
    #[config(default = "[4, 4]")]
    pub stem_kernel: [usize; 2],
    #[config(default = "[4, 4]")]
    pub stem_stride: [usize; 2],
    /// Output channels of each block after the stem.
    pub channels: Vec<usize>,
    /// Blocks followed by a 2 × 2 max pool (indices into `channels`).
    #[config(default = "vec![1, 3]")]
    pub pool_after: Vec<usize>,
    /// Depthwise-separable blocks (true) or plain 3×3 convs (false).
    #[config(default = true)]
    pub depthwise: bool,
    /// Batch norm after the stem and after every block's last conv.
    #[config(default = true)]
    pub batch_norm: bool,
    /// Width of the hidden dense layer.
    #[config(default = 512)]
    pub hidden: usize,
}

impl StudentConfig {
    /// The shipped architecture.
    pub fn shipped() -> Self {
        StudentConfig::new(vec![64, 96, 128, 192, 256])
    }

    /// Multiply-accumulates for one `frames × mels` patch (convolutions and dense layers; batch
    /// norm, ReLU and pooling are not counted, as for musicnn's ≈1.4 GMAC).
    pub fn macs(&self, frames: usize, mels: usize) -> u64 {
        let [kt, kf] = self.stem_kernel.map(|k| k as u64);
        let [st, sf] = self.stem_stride.map(|s| s.max(1) as u64);
        let mut t = (frames as u64).saturating_sub(kt) / st + 1;
        let mut f = (mels as u64).saturating_sub(kf) / sf + 1;
        let mut total = t * f * kt * kf * self.stem as u64;
        let mut c_in = self.stem as u64;
        for (i, &c) in self.channels.iter().enumerate() {
            let c = c as u64;
            total += if self.depthwise {
                t * f * (9 * c_in + c_in * c)
            } else {
                t * f * 9 * c_in * c
            };
            c_in = c;
            if self.pool_after.contains(&i) {
                (t, f) = (t / 2, f / 2);
            }
        }
        let h = self.hidden as u64;
        let e = MUSICNN_PENULTIMATE as u64;
        total + 2 * c_in * h + h * e + e * MUSICNN_N_TAGS as u64
    }

    pub fn init(&self, device: &Device) -> StudentTrunk {
        let bn = |c: usize| BatchNormConfig::new(c).init(device);
        let opt_bn = |c: usize| self.batch_norm.then(|| bn(c));
        let conv = |cin: usize, cout: usize, k: usize, groups: usize| {
            let pad = k / 2;
            Conv2dConfig::new([cin, cout], [k, k])
                .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
                .with_groups(groups)
                .init(device)
        };
        let mut blocks = Vec::with_capacity(self.channels.len());
        let mut c_in = self.stem;
        for (i, &c) in self.channels.iter().enumerate() {
            blocks.push(StudentBlock {
                depthwise: self.depthwise.then(|| conv(c_in, c_in, 3, c_in)),
                conv: if self.depthwise {
                    conv(c_in, c, 1, 1)
                } else {
                    conv(c_in, c, 3, 1)
                },
                bn: opt_bn(c),
                pool: self.pool_after.contains(&i),
            });
            c_in = c;
        }
        StudentTrunk {
            stem: Conv2dConfig::new([1, self.stem], self.stem_kernel)
                .with_stride(self.stem_stride)
                .init(device),
            stem_bn: opt_bn(self.stem),
            blocks,
            pool: MaxPool2dConfig::new([2, 2]).init(),
            relu: Relu::new(),
            hidden: LinearConfig::new(2 * c_in, self.hidden).init(device),
            hidden_bn: bn(self.hidden),
            embedding: LinearConfig::new(self.hidden, MUSICNN_PENULTIMATE).init(device),
            tags: LinearConfig::new(MUSICNN_PENULTIMATE, MUSICNN_N_TAGS).init(device),
        }
    }
}

#[derive(Module, Debug)]
pub struct StudentBlock {
    depthwise: Option<Conv2d>,
    conv: Conv2d,
    bn: Option<BatchNorm>,
    pool: bool,
}

#[derive(Module, Debug)]
pub struct StudentTrunk {
    stem: Conv2d,
    stem_bn: Option<BatchNorm>,
    blocks: Vec<StudentBlock>,
    pool: MaxPool2d,
    relu: Relu,
    hidden: Linear,
    hidden_bn: BatchNorm,
    embedding: Linear,
    tags: Linear,
}

/// What [`StudentTrunk::forward`] returns: the student's versions of musicnn's outputs.
#[derive(Debug, Clone)]
pub struct StudentOutput {
    /// Imitates musicnn's 200-d penultimate embedding, `[B, 200]`.
    pub embedding: Tensor<2>,
    /// Imitates musicnn's tag logits, `[B, 50]`.
    pub logits: Tensor<2>,
}

impl StudentTrunk {
    /// A trained student from its config JSON and its weights as safetensors (TensorFlow
    /// layouts and names, as `scripts/train_student.py` and [`StudentTrunk::to_safetensors`]
    /// write them). Missing, misnamed or misshapen weights are an error naming the tensor.
    pub fn from_safetensors_bytes(
        config_json: &[u8],
        weights: &[u8],
        device: &Device,
    ) -> Result<Self, NetError> {
        let load = NetError::weights("student");
        let config: StudentConfig =
            serde_json::from_slice(config_json).map_err(|e| NetError::Weights {
                what: "student",
                source: WeightsError::Config {
                    what: "student",
                    detail: e.to_string(),
                },
            })?;
        let st = SafetensorsF32::parse(weights).map_err(NetError::weights("student"))?;
        let mut m = config.init(device);
        load_student(&mut m, &st, device).map_err(load)?;
        Ok(m)
    }
}

/// Every layer of `m` from `st`.
fn load_student(
    m: &mut StudentTrunk,
    st: &SafetensorsF32<'_>,
    device: &Device,
) -> Result<(), WeightsError> {
    let bn = |bn: &mut Option<BatchNorm>, name: &str| match bn {
        Some(bn) => {
            let c = bn.gamma.dims()[0];
            load_bn(bn, st, name, c, device)
        }
        None => Ok(()),
    };
    load_conv(&mut m.stem, st, "stem", device)?;
    bn(&mut m.stem_bn, "stem_bn")?;
    for (i, b) in m.blocks.iter_mut().enumerate() {
        if let Some(dw) = &mut b.depthwise {
            load_conv(dw, st, &format!("block{i}_dw"), device)?;
            load_conv(&mut b.conv, st, &format!("block{i}_pw"), device)?;
        } else {
            load_conv(&mut b.conv, st, &format!("block{i}_conv"), device)?;
        }
        bn(&mut b.bn, &format!("block{i}_bn"))?;
    }
    load_linear(&mut m.hidden, st, "hidden", device)?;
    let c = m.hidden_bn.gamma.dims()[0];
    load_bn(&mut m.hidden_bn, st, "hidden_bn", c, device)?;
    load_linear(&mut m.embedding, st, "embedding", device)?;
    load_linear(&mut m.tags, st, "tags", device)?;
    Ok(())
}

impl StudentTrunk {
    /// The weights as safetensors in the layout [`StudentTrunk::from_safetensors_bytes`] reads.
    pub fn to_safetensors(&self) -> Result<Vec<u8>, NetError> {
        let mut t: Vec<(String, Vec<usize>, Vec<f32>)> = Vec::new();
        let v1 = |x: Tensor<1>| values(x);
        let bn = |bn: &BatchNorm, name: &str, t: &mut Vec<_>| -> Result<(), NetError> {
            let c = bn.gamma.dims()[0];
            for (what, x) in [
                ("gamma", bn.gamma.val()),
                ("beta", bn.beta.val()),
                ("moving_mean", bn.running_mean.value()),
                ("moving_variance", bn.running_var.value()),
            ] {
                t.push((format!("{name}.{what}"), vec![c], v1(x)?));
            }
            Ok(())
        };
        save_conv(&self.stem, "stem", &mut t)?;
        if let Some(b) = &self.stem_bn {
            bn(b, "stem_bn", &mut t)?;
        }
        for (i, b) in self.blocks.iter().enumerate() {
            if let Some(dw) = &b.depthwise {
                save_conv(dw, &format!("block{i}_dw"), &mut t)?;
                save_conv(&b.conv, &format!("block{i}_pw"), &mut t)?;
            } else {
                save_conv(&b.conv, &format!("block{i}_conv"), &mut t)?;
            }
            if let Some(n) = &b.bn {
                bn(n, &format!("block{i}_bn"), &mut t)?;
            }
        }
        save_linear(&self.hidden, "hidden", &mut t)?;
        bn(&self.hidden_bn, "hidden_bn", &mut t)?;
        save_linear(&self.embedding, "embedding", &mut t)?;
        save_linear(&self.tags, "tags", &mut t)?;
        Ok(safetensors_bytes(t))
    }

    /// Sets the tag layer to musicnn's last dense layer (`[200, 50]` row layout + bias).
    pub fn set_tag_layer(&mut self, weight: Tensor<2>, bias: Tensor<1>) {
        self.tags.weight = burn::module::Param::from_tensor(weight);
        self.tags.bias = Some(burn::module::Param::from_tensor(bias));
    }

    /// `x`: `[B, 1, T, 96]` log-mel patches (T ≥ 16; trained on 187).
    pub fn forward(&self, x: Tensor<4>) -> StudentOutput {
        // A fixed input scaling (musicnn's input batch norm statistics: mean 2.20, variance
        // 1.59) instead of a learnt one: a batch norm over the full-resolution input would cost
        // as much as the rest of the network.
        let h = (x - INPUT_MEAN) * INPUT_INV_STD;
        let bn = |bn: &Option<BatchNorm>, h: Tensor<4>| match bn {
            Some(bn) => bn.forward(h),
            None => h,
        };
        let mut h = bn(&self.stem_bn, self.relu.forward(self.stem.forward(h)));
        for b in &self.blocks {
            if let Some(dw) = &b.depthwise {
                h = self.relu.forward(dw.forward(h));
            }
            h = bn(&b.bn, self.relu.forward(b.conv.forward(h)));
            if b.pool {
                h = self.pool.forward(h);
            }
        }
        let [bsz, c, t, _] = h.dims();
        let over_mel: Tensor<3> = h.max_dim(3).reshape([bsz, c, t]);
        let mean = over_mel.clone().mean_dim(2).reshape([bsz, c]);
        let max = over_mel.max_dim(2).reshape([bsz, c]);
        let pooled = Tensor::cat(vec![mean, max], 1);
        let hidden = self
            .hidden_bn
            .forward(self.relu.forward(self.hidden.forward(pooled)));
        let embedding = self.embedding.forward(hidden);
        let logits = self.tags.forward(embedding.clone());
        StudentOutput { embedding, logits }
    }

    /// `[B, 250]` = embedding ‖ sigmoid(logits), the layout of musicnn's trunk features.
    pub fn features(&self, x: Tensor<4>) -> Tensor<2> {
        let out = self.forward(x);
        Tensor::cat(vec![out.embedding, sigmoid(out.logits)], 1)
    }
}

/// A TF-layout conv kernel `[kh, kw, in/groups, out]` (a depthwise kernel `[kh, kw, C, 1]` is
/// the same memory as `[kh, kw, 1, C]`) and bias into a burn conv `[out, in/groups, kh, kw]`.
fn load_conv(
    conv: &mut Conv2d,
    st: &SafetensorsF32<'_>,
    name: &str,
    device: &Device,
) -> Result<(), WeightsError> {
    let [out, inp, kh, kw] = conv.weight.dims();
    let depthwise = inp == 1 && out > 1 && conv.groups == out;
    let shape = if depthwise {
        [kh, kw, out, 1]
    } else {
        [kh, kw, inp, out]
    };
    let tf = st.get_shaped(&format!("{name}.kernel"), &shape)?;
    let w = tf_kernel_to_burn(&tf, kh, kw, inp, out);
    conv.weight = Param::from_tensor(Tensor::from_data(
        TensorData::new(w, [out, inp, kh, kw]),
        device,
    ));
    let bias = st.get_shaped(&format!("{name}.bias"), &[out])?;
    conv.bias = Some(Param::from_tensor(tensor1(bias, device)));
    Ok(())
}

fn load_linear(
    l: &mut Linear,
    st: &SafetensorsF32<'_>,
    name: &str,
    device: &Device,
) -> Result<(), WeightsError> {
    let [inp, out] = l.weight.dims();
    let w = st.get_shaped(&format!("{name}.kernel"), &[inp, out])?;
    l.weight = Param::from_tensor(Tensor::from_data(TensorData::new(w, [inp, out]), device));
    let b = st.get_shaped(&format!("{name}.bias"), &[out])?;
    l.bias = Some(Param::from_tensor(tensor1(b, device)));
    Ok(())
}

type Named = Vec<(String, Vec<usize>, Vec<f32>)>;

fn values<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, NetError> {
    t.into_data()
        .try_into_vec::<f32>()
        .map_err(NetError::readback("the student's weights"))
}

fn save_conv(conv: &Conv2d, name: &str, t: &mut Named) -> Result<(), NetError> {
    let [out, inp, kh, kw] = conv.weight.dims();
    let w = values(conv.weight.val())?;
    let mut tf = vec![0.0f32; w.len()];
    for o in 0..out {
        for i in 0..inp {
            for y in 0..kh {
                for x in 0..kw {
                    tf[((y * kw + x) * inp + i) * out + o] = w[((o * inp + i) * kh + y) * kw + x];
                }
            }
        }
    }
    let depthwise = inp == 1 && out > 1 && conv.groups == out;
    let shape = if depthwise {
        vec![kh, kw, out, 1]
    } else {
        vec![kh, kw, inp, out]
    };
    t.push((format!("{name}.kernel"), shape, tf));
    let b = match &conv.bias {
        Some(b) => values(b.val())?,
        None => vec![0.0; out],
    };
    t.push((format!("{name}.bias"), vec![out], b));
    Ok(())
}

fn save_linear(l: &Linear, name: &str, t: &mut Named) -> Result<(), NetError> {
    let [inp, out] = l.weight.dims();
    t.push((
        format!("{name}.kernel"),
        vec![inp, out],
        values(l.weight.val())?,
    ));
    let b = match &l.bias {
        Some(b) => values(b.val())?,
        None => vec![0.0; out],
    };
    t.push((format!("{name}.bias"), vec![out], b));
    Ok(())
}

/// Safetensors bytes (float32, names sorted, header padded to 8 bytes).
fn safetensors_bytes(mut tensors: Named) -> Vec<u8> {
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let mut header = serde_json::Map::new();
    header.insert(
        "__metadata__".into(),
        serde_json::json!({"format": "student_musicnn"}),
    );
    let mut offset = 0usize;
    for (name, shape, v) in &tensors {
        let end = offset + 4 * v.len();
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [offset, end]}),
        );
        offset = end;
    }
    let mut h = serde_json::Value::Object(header).to_string().into_bytes();
    h.resize(h.len().div_ceil(8) * 8, b' ');
    let mut out = Vec::with_capacity(8 + h.len() + offset);
    out.extend_from_slice(&(h.len() as u64).to_le_bytes());
    out.extend_from_slice(&h);
    for (_, _, v) in &tensors {
        for x in v {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    out
}

const INPUT_MEAN: f32 = 2.1978;
const INPUT_INV_STD: f32 = 0.7943; // 1 / sqrt(1.5852)

/// The patch shape the student was trained on.
pub const STUDENT_PATCH: [usize; 2] = [MUSICNN_FRAMES, MUSICNN_MELS];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_student_is_within_five_percent_of_musicnn() {
        let macs = StudentConfig::shipped().macs(MUSICNN_FRAMES, MUSICNN_MELS);
        // musicnn: ≈ 1.4 GMAC per 187 × 96 patch; 5 % = 70 MMAC.
        assert!(macs <= 70_000_000, "{macs} MAC");
        assert!(macs >= 5_000_000, "{macs} MAC");
    }

    #[test]
    fn forward_shapes_and_record_round_trip() {
        let device = crate::model::backend::inference_device();
        let cfg = StudentConfig::new(vec![8, 16])
            .with_stem(4)
            .with_hidden(32)
            .with_pool_after(vec![0]);
        let m = cfg.init(&device).valid();
        let x = Tensor::<4>::random(
            [3, 1, MUSICNN_FRAMES, MUSICNN_MELS],
            burn::tensor::Distribution::Normal(1.0, 1.0),
            &device,
        );
        let out = m.forward(x.clone());
        assert_eq!(out.embedding.dims(), [3, MUSICNN_PENULTIMATE]);
        assert_eq!(out.logits.dims(), [3, MUSICNN_N_TAGS]);
        assert_eq!(m.features(x.clone()).dims(), [3, 250]);
        let bytes = m.to_safetensors().unwrap();
        let json = serde_json::to_vec(&cfg).unwrap();
        let back = StudentTrunk::from_safetensors_bytes(&json, &bytes, &device).unwrap();
        let a = m
            .features(x.clone())
            .into_data()
            .try_into_vec::<f32>()
            .unwrap();
        let b = back
            .features(x.clone())
            .into_data()
            .try_into_vec::<f32>()
            .unwrap();
        assert_eq!(a, b);
        // Weights for another architecture are an error, not a panic.
        let other = serde_json::to_vec(&StudentConfig::new(vec![8, 32]).with_stem(4)).unwrap();
        let err = StudentTrunk::from_safetensors_bytes(&other, &bytes, &device).unwrap_err();
        assert!(err.to_string().contains("block1_pw.kernel"), "{err}");
        assert!(StudentTrunk::from_safetensors_bytes(b"{", &bytes, &device).is_err());
        assert!(StudentTrunk::from_safetensors_bytes(&json, b"not weights", &device).is_err());
        // Plain 3x3 blocks round-trip too.
        let plain = cfg.clone().with_depthwise(false);
        let p = plain.init(&device).valid();
        let back = StudentTrunk::from_safetensors_bytes(
            &serde_json::to_vec(&plain).unwrap(),
            &p.to_safetensors().unwrap(),
            &device,
        )
        .unwrap();
        assert_eq!(
            p.features(x.clone())
                .into_data()
                .try_into_vec::<f32>()
                .unwrap(),
            back.features(x).into_data().try_into_vec::<f32>().unwrap()
        );
    }
}
