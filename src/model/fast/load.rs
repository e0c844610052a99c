//! From the trunk's weights to a [`Plan`]: each layer's weights read and laid out for the
//! kernel, and — when pruning — the channels the interval bounds prove constant replaced by
//! their value, layer by layer through the front end, the mid end and into the back end.

use super::bounds::*;
use super::conv::{FrontConv, MID_FILTERS, MID_TAPS, MidConv};
use super::{Backend, CONSTANT_SPREAD, Channel, INPUT_MAX, Loader, Plan};
use crate::model::error::WeightsError;
use crate::model::kernels::MR;
use crate::model::musicnn::{MUSICNN_MELS, MUSICNN_N_TAGS, MUSICNN_PENULTIMATE};

const BRANCHES: [(&str, usize, usize, usize); 5] = [
    // name, filters, time taps, mel taps
    ("timbral_f74", 204, 7, 38),
    ("timbral_f77", 204, 7, 67),
    ("temporal_s1", 51, 128, 1),
    ("temporal_s2", 51, 64, 1),
    ("temporal_s3", 51, 32, 1),
];

impl Loader<'_> {
    pub(super) fn plan(&self, prune: bool) -> Result<Plan, WeightsError> {
        let (is, ish) = bn_affine(&self.st, "frontend.input_bn", 1)?;
        // The input after its batch norm, for inputs in [0, INPUT_MAX].
        let (a, b) = (is[0] * 0.0 + ish[0], is[0] * INPUT_MAX as f64 + ish[0]);
        let xr = Range {
            lo: a.min(b),
            hi: a.max(b),
        }
        .with_zero();
        let fe = self.front_end(xr, prune)?;
        let front_all = fe.map.len();
        let (mid1, r1) = self.mid_layer(1, front_all, &as_inputs(&fe.map), &fe.ranges)?;
        let m1_map = channel_map(&r1, prune);
        let (mid2, r2c) = self.mid_layer(2, MID_FILTERS, &as_inputs(&m1_map), &r1)?;
        // m2 = conv2 part + m1.
        let r2: Vec<Range> = r2c
            .iter()
            .zip(&r1)
            .map(|(a, b)| Range {
                lo: a.lo + b.lo,
                hi: a.hi + b.hi,
            })
            .collect();
        let m2_map = channel_map(&r2, prune);
        let (mid3, _) = self.mid_layer(3, MID_FILTERS, &as_inputs(&m2_map), &r2)?;
        Ok(Plan {
            input_scale: is[0] as f32,
            input_shift: ish[0] as f32,
            front: fe.convs,
            front_cols: fe.cols,
            front_map: fe.map,
            mid: [mid1, mid2, mid3],
            m1_map,
            m2_map,
            backend: self.backend(front_all)?,
        })
    }

    /// The five front-end branches on an input in `xr`: each branch's live filters (all of
    /// them unless `prune`), every filter's channel and output range.
    fn front_end(&self, xr: Range, prune: bool) -> Result<FrontEnd, WeightsError> {
        let st = &self.st;
        let mut fe = FrontEnd {
            convs: Vec::new(),
            map: Vec::new(),
            ranges: Vec::new(),
            cols: 0,
        };
        for (name, filters, taps_t, taps_m) in BRANCHES {
            let prefix = format!("frontend.{name}");
            let w_tf = st.get_shaped(
                &format!("{prefix}.conv.kernel"),
                &[taps_t, taps_m, 1, filters],
            )?;
            let bias = st.get_shaped(&format!("{prefix}.conv.bias"), &[filters])?;
            let (scale, shift) = bn_affine(st, &format!("{prefix}.bn"), filters)?;
            let k = taps_t * taps_m;
            let cols = fe.cols;
            let mut live = Vec::new();
            for f in 0..filters {
                let zr = dot_range(bias[f] as f64, (0..k).map(|i| (w_tf[i * filters + f], xr)));
                let out = relu_bn_range(zr, scale[f], shift[f]);
                if prune && out.spread() <= CONSTANT_SPREAD {
                    fe.map.push(Channel::Const(out.mid() as f32));
                    fe.ranges.push(Range::point(out.mid()));
                } else {
                    fe.map.push(Channel::Live(cols + live.len()));
                    fe.ranges.push(out);
                    live.push(f);
                }
            }
            let n = live.len();
            let mut w = vec![0.0f32; round_up(n, MR).max(MR) * k];
            for (r, &f) in live.iter().enumerate() {
                for i in 0..k {
                    w[r * k + i] = w_tf[i * filters + f];
                }
            }
            let top = if taps_m == 1 { (taps_t - 1) / 2 } else { 3 };
            fe.convs.push(FrontConv {
                taps_t,
                taps_m,
                top,
                out_w: MUSICNN_MELS - taps_m + 1,
                n,
                w,
                bias: live.iter().map(|&f| bias[f]).collect(),
                scale: live.iter().map(|&f| scale[f] as f32).collect(),
                shift: live.iter().map(|&f| shift[f] as f32).collect(),
                col: (cols..cols + n).collect(),
            });
            fe.cols += n;
        }
        Ok(fe)
    }

    /// Mid-end convolution `i` over `c_all` input channels (`inputs`: the constant ones'
    /// values), and the range of each of its outputs given the inputs' ranges.
    fn mid_layer(
        &self,
        i: usize,
        c_all: usize,
        inputs: &[Option<f64>],
        in_ranges: &[Range],
    ) -> Result<(MidConv, Vec<Range>), WeightsError> {
        let st = &self.st;
        let prefix = format!("midend.conv{i}");
        let w_tf = st.get_shaped(
            &format!("{prefix}.conv.kernel"),
            &[MID_TAPS, c_all, 1, MID_FILTERS],
        )?;
        let bias = st.get_shaped(&format!("{prefix}.conv.bias"), &[MID_FILTERS])?;
        let (scale, shift) = bn_affine(st, &format!("{prefix}.bn"), MID_FILTERS)?;
        let conv = MidConv::new(&w_tf, &bias, &scale, &shift, inputs);
        let ranges = (0..MID_FILTERS)
            .map(|o| {
                let zr = dot_range(
                    bias[o] as f64,
                    (0..MID_TAPS).flat_map(|dt| {
                        let w_tf = &w_tf;
                        (0..c_all).map(move |c| {
                            (
                                w_tf[(dt * c_all + c) * MID_FILTERS + o],
                                in_ranges[c].with_zero(),
                            )
                        })
                    }),
                );
                relu_bn_range(zr, scale[o], shift[o])
            })
            .collect();
        Ok((conv, ranges))
    }

    /// The back end's weights, after `front_all` front-end channels.
    fn backend(&self, front_all: usize) -> Result<Backend, WeightsError> {
        let st = &self.st;
        let pooled = 2 * (front_all + 3 * MID_FILTERS);
        let (ps, psh) = bn_affine(st, "backend.pool_bn", pooled)?;
        let (d1s, d1sh) = bn_affine(st, "backend.dense1_bn", MUSICNN_PENULTIMATE)?;
        let f32s = |v: Vec<f64>| v.into_iter().map(|x| x as f32).collect::<Vec<f32>>();
        Ok(Backend {
            pool_scale: f32s(ps),
            pool_shift: f32s(psh),
            dense1: st.get_shaped("backend.dense1.kernel", &[pooled, MUSICNN_PENULTIMATE])?,
            dense1_b: st.get_shaped("backend.dense1.bias", &[MUSICNN_PENULTIMATE])?,
            dense1_scale: f32s(d1s),
            dense1_shift: f32s(d1sh),
            dense2: st.get_shaped(
                "backend.dense2.kernel",
                &[MUSICNN_PENULTIMATE, MUSICNN_N_TAGS],
            )?,
            dense2_b: st.get_shaped("backend.dense2.bias", &[MUSICNN_N_TAGS])?,
        })
    }
}

/// The front end as planned: the branches' convolutions over their live filters, and for
/// every filter (204 + 204 + 51 × 3, in order) its channel and output range.
struct FrontEnd {
    convs: Vec<FrontConv>,
    map: Vec<Channel>,
    ranges: Vec<Range>,
    /// Live columns in all.
    cols: usize,
}

/// The constant channels' values (`None`: live), as a convolution's inputs.
fn as_inputs(map: &[Channel]) -> Vec<Option<f64>> {
    map.iter()
        .map(|c| match c {
            Channel::Live(_) => None,
            Channel::Const(v) => Some(*v as f64),
        })
        .collect()
}

/// Each output's channel from its range: constant when it cannot vary (and `prune`), else
/// the next live column.
fn channel_map(ranges: &[Range], prune: bool) -> Vec<Channel> {
    let mut next = 0;
    ranges
        .iter()
        .map(|r| {
            if prune && r.spread() <= CONSTANT_SPREAD {
                Channel::Const(r.mid() as f32)
            } else {
                next += 1;
                Channel::Live(next - 1)
            }
        })
        .collect()
}
