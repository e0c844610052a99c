//! The compiled trunk's convolutions: a front-end branch (conv → ReLU → BN → max over mel)
//! and a mid-end layer (temporal conv with its residual), each a run of the SIMD kernel's
//! tiles with the epilogue fused.

use super::bounds::round_up;
use crate::model::kernels::{self, AStride, BStride, MR, NR, OutOfBounds, Reduction, Simd, Tile};
use crate::model::musicnn::MUSICNN_MELS;

pub(super) const MID_FILTERS: usize = 64;
pub(super) const MID_TAPS: usize = 7;
pub(super) const MID_PAD: usize = 3;
/// Zero rows before and after the patch in the padded input (≥ the largest temporal pad, 64).
pub(super) const XPAD: usize = 64;

/// One front-end branch: conv over `[time taps, mel taps]` → ReLU → BN → max over mel, for
/// the live filters only.
#[derive(Debug, Clone)]
pub(super) struct FrontConv {
    pub(super) taps_t: usize,
    pub(super) taps_m: usize,
    /// Zero rows before frame 0 (TF padding).
    pub(super) top: usize,
    /// Mel positions out (96 − taps_m + 1).
    pub(super) out_w: usize,
    /// Live filters; `w` has `round_up(n, MR)` rows of `taps_t · taps_m` weights.
    pub(super) n: usize,
    pub(super) w: Vec<f32>,
    pub(super) bias: Vec<f32>,
    pub(super) scale: Vec<f32>,
    pub(super) shift: Vec<f32>,
    /// Column of each live filter in the compact front-end output.
    pub(super) col: Vec<usize>,
}

impl FrontConv {
    pub(super) fn k(&self) -> usize {
        self.taps_t * self.taps_m
    }

    pub(super) fn views(&self) -> (AStride, BStride, Reduction) {
        let k = self.k();
        if self.taps_m == 1 {
            (
                AStride {
                    rs: k,
                    ds: 0,
                    js: 1,
                },
                BStride {
                    ds: 0,
                    js: MUSICNN_MELS,
                },
                Reduction {
                    d: 1,
                    j: self.taps_t,
                },
            )
        } else {
            (
                AStride {
                    rs: k,
                    ds: self.taps_m,
                    js: 1,
                },
                BStride {
                    ds: MUSICNN_MELS,
                    js: 1,
                },
                Reduction {
                    d: self.taps_t,
                    j: self.taps_m,
                },
            )
        }
    }

    pub(super) fn executed_macs(&self, frames: usize) -> f64 {
        let rows = round_up(self.n, MR);
        let cols = round_up(self.out_w, NR);
        (frames * rows * cols * self.k()) as f64
    }

    /// Writes the branch's `T` outputs per live filter into `h` (row `MID_PAD + t`, column
    /// `col[f]`, row length `c`). `xpad` is the input-BN'd patch with `XPAD` zero rows on both
    /// sides.
    #[inline(always)]
    pub(super) fn run<S: Simd>(
        &self,
        xpad: &[f32],
        frames: usize,
        h: &mut [f32],
        c: usize,
    ) -> Result<(), OutOfBounds> {
        let (sa, sb, red) = self.views();
        let mut acc: Tile = [[0.0; NR]; MR];
        for t in 0..frames {
            let row0 = XPAD - self.top + t;
            for f0 in (0..self.n).step_by(MR) {
                // Running max and min over mel, lane by lane (vector instructions), reduced
                // across the 16 lanes once per row.
                let mut mxv = [[f32::NEG_INFINITY; NR]; MR];
                let mut mnv = [[f32::INFINITY; NR]; MR];
                for m0 in (0..self.out_w).step_by(NR) {
                    let valid = (self.out_w - m0).min(NR);
                    let a = &self.w[f0 * self.k()..];
                    let b = &xpad[row0 * MUSICNN_MELS + m0..];
                    kernels::tile::<S>(a, sa, b, sb, red, &mut acc)?;
                    for ((row, mx), mn) in acc.iter().zip(&mut mxv).zip(&mut mnv) {
                        // Lanes past the last mel position of a partial tile are left out.
                        for ((&v, x), n) in row[..valid].iter().zip(mx).zip(mn) {
                            *x = if v > *x { v } else { *x };
                            *n = if v < *n { v } else { *n };
                        }
                    }
                }
                // (Plain loops: `array::map` is a call, compiled outside the kernel's features.)
                let mut mx = [f32::NEG_INFINITY; MR];
                let mut mn = [f32::INFINITY; MR];
                for r in 0..MR {
                    for n in 0..NR {
                        mx[r] = mx[r].max(mxv[r][n]);
                        mn[r] = mn[r].min(mnv[r][n]);
                    }
                }
                for r in 0..MR.min(self.n - f0) {
                    let f = f0 + r;
                    // bn(relu(z + b)) is monotone in z: its max over mel is at max z when the
                    // scale is positive, at min z otherwise.
                    let z = if self.scale[f] >= 0.0 { mx[r] } else { mn[r] };
                    let y = (z + self.bias[f]).max(0.0) * self.scale[f] + self.shift[f];
                    h[(MID_PAD + t) * c + self.col[f]] = y;
                }
            }
        }
        Ok(())
    }
}

/// A mid-end 1-D conv (k = 7, zero pad 3/3) → ReLU → BN, over the live input channels, with
/// the constant ones folded into a per-frame bias.
#[derive(Debug, Clone)]
pub(super) struct MidConv {
    /// Live input channels (columns of the compact input).
    pub(super) c_in: usize,
    /// `MID_FILTERS / NR` panels of `[7][c_in][16]`.
    pub(super) w: Vec<f32>,
    pub(super) bias: Vec<f32>,
    /// `tap_const[dt][o]`: what the constant inputs add through tap `dt` where it is inside
    /// the patch.
    pub(super) tap_const: Vec<f32>,
    pub(super) scale: Vec<f32>,
    pub(super) shift: Vec<f32>,
}

impl MidConv {
    /// `w_tf`: TF kernel `[7, c_all, 1, 64]`; `inputs`: per input channel, `None` if live (its
    /// compact column is its rank among the live ones) or `Some(value)` if constant.
    pub(super) fn new(
        w_tf: &[f32],
        bias: &[f32],
        scale: &[f64],
        shift: &[f64],
        inputs: &[Option<f64>],
    ) -> Self {
        let c_all = inputs.len();
        let live: Vec<usize> = (0..c_all).filter(|&c| inputs[c].is_none()).collect();
        let c_in = live.len();
        let wt = |dt: usize, c: usize, o: usize| w_tf[(dt * c_all + c) * MID_FILTERS + o];
        let mut w = vec![0.0f32; (MID_FILTERS / NR) * MID_TAPS * c_in * NR];
        for p in 0..MID_FILTERS / NR {
            for dt in 0..MID_TAPS {
                for (ci, &c) in live.iter().enumerate() {
                    for n in 0..NR {
                        w[((p * MID_TAPS + dt) * c_in + ci) * NR + n] = wt(dt, c, p * NR + n);
                    }
                }
            }
        }
        let mut tap_const = vec![0.0f32; MID_TAPS * MID_FILTERS];
        for dt in 0..MID_TAPS {
            for o in 0..MID_FILTERS {
                let s: f64 = inputs
                    .iter()
                    .enumerate()
                    .filter_map(|(c, v)| v.map(|v| wt(dt, c, o) as f64 * v))
                    .sum();
                tap_const[dt * MID_FILTERS + o] = s as f32;
            }
        }
        MidConv {
            c_in,
            w,
            bias: bias.to_vec(),
            tap_const,
            scale: scale.iter().map(|&v| v as f32).collect(),
            shift: shift.iter().map(|&v| v as f32).collect(),
        }
    }

    pub(super) fn executed_macs(&self, frames: usize) -> f64 {
        (round_up(frames, MR) * MID_FILTERS * MID_TAPS * self.c_in) as f64
    }

    /// `input`: `[rows][c_in]` with `MID_PAD` zero rows, the `T` frames, then zero rows (at
    /// least `round_up(T, MR) + MID_TAPS` rows in all). Writes `out[t][o]` (`[T][64]`).
    #[inline(always)]
    pub(super) fn run<S: Simd>(
        &self,
        input: &[f32],
        frames: usize,
        out: &mut [f32],
    ) -> Result<(), OutOfBounds> {
        // Per-frame bias: the constant inputs seen through the taps that land inside the patch.
        let mut bias_t = vec![0.0f32; frames * MID_FILTERS];
        for t in 0..frames {
            for o in 0..MID_FILTERS {
                let mut b = self.bias[o];
                for dt in 0..MID_TAPS {
                    let src = t + dt;
                    if src >= MID_PAD && src - MID_PAD < frames {
                        b += self.tap_const[dt * MID_FILTERS + o];
                    }
                }
                bias_t[t * MID_FILTERS + o] = b;
            }
        }
        let c = self.c_in;
        let sa = AStride {
            rs: c,
            ds: c,
            js: 1,
        };
        let sb = BStride { ds: c * NR, js: NR };
        let red = Reduction { d: MID_TAPS, j: c };
        let mut acc: Tile = [[0.0; NR]; MR];
        let panel = MID_TAPS * c * NR;
        for p in 0..MID_FILTERS / NR {
            for t0 in (0..frames).step_by(MR) {
                kernels::tile::<S>(
                    &input[t0 * c..],
                    sa,
                    &self.w[p * panel..],
                    sb,
                    red,
                    &mut acc,
                )?;
                for (r, row) in acc.iter().enumerate().take(MR.min(frames - t0)) {
                    let t = t0 + r;
                    for (n, &v) in row.iter().enumerate() {
                        let o = p * NR + n;
                        let z = v + bias_t[t * MID_FILTERS + o];
                        out[t * MID_FILTERS + o] = z.max(0.0) * self.scale[o] + self.shift[o];
                    }
                }
            }
        }
        Ok(())
    }
}
