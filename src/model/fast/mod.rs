//! The musicnn `MSD_musicnn` trunk compiled for CPU inference: the same network as
//! [`MusicnnTrunk`](super::musicnn::MusicnnTrunk) (which stays the reference, and the form
//! used wherever burn tensors are needed), computed with one register-blocked kernel
//! ([`super::kernels`]) on plain slices, one patch at a time, with every layer's bias, ReLU,
//! batch norm and pooling fused into the convolution that feeds it.
//!
//! **Constant channels.** Many of the trunk's channels cannot vary. The log-mel input is
//! bounded (`0 ≤ log10(1 + 10000·f16(mel)) ≤ log10(1 + 10000·65504)`, f16's largest finite
//! value), so interval arithmetic through each layer bounds every channel's output over *all*
//! possible inputs; a channel whose bound is narrower than [`CONSTANT_SPREAD`] (most have
//! weights below 1e-13 and a negative bias, so ReLU holds them at 0) is replaced by its value
//! and folded into the next layer's bias — per frame near the edges, where the next layer's
//! zero padding sees fewer of its taps. Of the 561 front-end channels 37 timbral and 27
//! temporal ones remain (see [`FastTrunk::live_channels`]). A patch with any value outside the
//! proved range (not produced by the musicnn front end) runs on the unpruned plan instead, so
//! the result never depends on the bound.
//!
//! **Instruction sets.** A patch runs inside one [`Kernel::run`]: everything below
//! [`Plan::run`] is `#[inline(always)]`, so the whole patch (the tiles, and the epilogues,
//! pooling and dense layers around them) is compiled once per instruction set the kernel
//! knows, and the one this CPU has (or `GENREPLAY_KERNEL` forces) is picked at run time.
//!
//! The interval arithmetic is `bounds.rs`, the convolution layers `conv.rs`; this file holds
//! the plan (weights laid out, channels pruned and folded) and the patch it runs.

mod bounds;
mod conv;
mod load;

use bounds::*;
use conv::*;

use super::error::{NetError, WeightsError};
use super::kernels::{Kernel, MR, OutOfBounds, Simd, WithSimd};
use super::musicnn::{MUSICNN_MELS, MUSICNN_N_TAGS, MUSICNN_PENULTIMATE, SafetensorsF32};

/// A channel whose output provably stays within this width over every possible input is
/// treated as constant (its midpoint). Below f32 rounding of the values it feeds (≈ 1e-7
/// relative), so the result is the same network to float precision.
pub const CONSTANT_SPREAD: f64 = 1e-7;

/// Largest value the musicnn front end can produce: `log10(1 + 10000 · 65504)` ≈ 8.8163, with
/// a margin for f32 rounding.
pub const INPUT_MAX: f32 = 8.82;

/// Work of one 187-frame patch in multiply-adds, of the unpruned network and of what the
/// compiled plan executes (including tile padding).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PatchCost {
    pub dense_macs: f64,
    pub executed_macs: f64,
}

/// Weights of the dense back end.
#[derive(Debug, Clone)]
struct Backend {
    pool_scale: Vec<f32>,
    pool_shift: Vec<f32>,
    dense1: Vec<f32>,
    dense1_b: Vec<f32>,
    dense1_scale: Vec<f32>,
    dense1_shift: Vec<f32>,
    dense2: Vec<f32>,
    dense2_b: Vec<f32>,
}

/// `y = x · W + b` for a row-major `[x.len()][b.len()]` W.
#[inline(always)]
fn matvec(x: &[f32], w: &[f32], b: &[f32], y: &mut [f32]) {
    y.copy_from_slice(b);
    let n = b.len();
    for (i, &xi) in x.iter().enumerate() {
        for (yo, &wo) in y.iter_mut().zip(&w[i * n..(i + 1) * n]) {
            *yo = xi.mul_add(wo, *yo);
        }
    }
}

/// One compiled form of the network (pruned, or with every channel).
#[derive(Debug, Clone)]
struct Plan {
    input_scale: f32,
    input_shift: f32,
    front: Vec<FrontConv>,
    /// Live front-end channels (compact columns), and for each of the 561 channels its
    /// compact column or constant value.
    front_cols: usize,
    front_map: Vec<Channel>,
    mid: [MidConv; 3],
    /// m1's live channels (columns of conv2's compact input) and m2's (conv3's).
    m1_map: Vec<Channel>,
    m2_map: Vec<Channel>,
    backend: Backend,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Channel {
    Live(usize),
    Const(f32),
}

/// The per-patch results.
#[derive(Debug, Clone, PartialEq)]
pub struct FastOutput {
    /// `[B][50]` tag logits.
    pub logits: Vec<f32>,
    /// `[B][200]` penultimate embedding.
    pub penultimate: Vec<f32>,
}

/// The compiled trunk (see the module docs).
#[derive(Debug, Clone)]
pub struct FastTrunk {
    pruned: Plan,
    full: Plan,
    kernel: Kernel,
}

/// What a plan keeps, for reports.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveChannels {
    /// Live filters per front-end branch (f74, f77, s1, s2, s3) of (204, 204, 51, 51, 51).
    pub front: [usize; 5],
    /// Live input channels of the three mid-end convolutions (of 561, 64, 64).
    pub mid_inputs: [usize; 3],
}

/// Reads the trunk's weights into a [`Plan`] (`load.rs`).
struct Loader<'a> {
    st: SafetensorsF32<'a>,
}

/// Gathers the live columns of `full` (`[T][64]`) into a padded compact conv input.
#[inline(always)]
fn gather_live(full: &[f32], frames: usize, map: &[Channel], out: &mut Vec<f32>) -> usize {
    let live: Vec<usize> = map
        .iter()
        .enumerate()
        .filter_map(|(c, m)| matches!(m, Channel::Live(_)).then_some(c))
        .collect();
    let c = live.len();
    out.clear();
    out.resize(mid_rows(frames) * c, 0.0);
    for t in 0..frames {
        for (ci, &src) in live.iter().enumerate() {
            out[(MID_PAD + t) * c + ci] = full[t * MID_FILTERS + src];
        }
    }
    c
}

/// Rows of a padded mid-end input: pad, frames, and enough zero rows for the last tile.
fn mid_rows(frames: usize) -> usize {
    round_up(frames, MR) + MID_TAPS + 1
}

impl Plan {
    fn executed_macs(&self, frames: usize) -> f64 {
        let front: f64 = self.front.iter().map(|b| b.executed_macs(frames)).sum();
        let mid: f64 = self.mid.iter().map(|m| m.executed_macs(frames)).sum();
        let back = (self.backend.dense1.len() + self.backend.dense2.len()) as f64;
        front + mid + back
    }

    /// One patch `[T][96]` → (logits, penultimate), on the instruction set `S`.
    #[inline(always)]
    fn run<S: Simd>(
        &self,
        patch: &[f32],
        frames: usize,
        logits: &mut [f32],
        pen: &mut [f32],
    ) -> Result<(), OutOfBounds> {
        let m = MUSICNN_MELS;
        // Input batch norm into a zero-padded buffer (+1 row of slack for the last mel tile).
        let mut xpad = vec![0.0f32; (XPAD + frames + XPAD + 1) * m];
        for (dst, &v) in xpad[XPAD * m..(XPAD + frames) * m].iter_mut().zip(patch) {
            *dst = v * self.input_scale + self.input_shift;
        }
        // Front end → compact `h` with mid-end padding.
        let c = self.front_cols;
        let mut h = vec![0.0f32; mid_rows(frames) * c];
        for b in &self.front {
            b.run::<S>(&xpad, frames, &mut h, c)?;
        }
        drop(xpad);
        let mut m1 = vec![0.0f32; frames * MID_FILTERS];
        self.mid[0].run::<S>(&h, frames, &mut m1)?;
        let mut buf = Vec::new();
        gather_live(&m1, frames, &self.m1_map, &mut buf);
        let mut m2 = vec![0.0f32; frames * MID_FILTERS];
        self.mid[1].run::<S>(&buf, frames, &mut m2)?;
        for (a, b) in m2.iter_mut().zip(&m1) {
            *a += b;
        }
        gather_live(&m2, frames, &self.m2_map, &mut buf);
        let mut m3 = vec![0.0f32; frames * MID_FILTERS];
        self.mid[2].run::<S>(&buf, frames, &mut m3)?;
        for (a, b) in m3.iter_mut().zip(&m2) {
            *a += b;
        }

        // Temporal max and mean of the 753 channels, interleaved [max₀, mean₀, max₁, …].
        let n_front = self.front_map.len();
        let mut flat = vec![0.0f32; 2 * (n_front + 3 * MID_FILTERS)];
        let inv_t = 1.0 / frames as f32;
        let mut put = |ch: usize, mx: f32, mean: f32| {
            flat[2 * ch] = mx;
            flat[2 * ch + 1] = mean;
        };
        // Front channels from the compact h.
        let mut fmax = vec![f32::NEG_INFINITY; c];
        let mut fsum = vec![0.0f32; c];
        for t in 0..frames {
            let row = &h[(MID_PAD + t) * c..(MID_PAD + t + 1) * c];
            for ((mx, s), &v) in fmax.iter_mut().zip(fsum.iter_mut()).zip(row) {
                *mx = mx.max(v);
                *s += v;
            }
        }
        for (ch, map) in self.front_map.iter().enumerate() {
            match *map {
                Channel::Live(col) => put(ch, fmax[col], fsum[col] * inv_t),
                Channel::Const(v) => put(ch, v, v),
            }
        }
        for (block, data) in [&m1, &m2, &m3].into_iter().enumerate() {
            let mut mx = [f32::NEG_INFINITY; MID_FILTERS];
            let mut s = [0.0f32; MID_FILTERS];
            for row in data.chunks_exact(MID_FILTERS) {
                for o in 0..MID_FILTERS {
                    mx[o] = mx[o].max(row[o]);
                    s[o] += row[o];
                }
            }
            for o in 0..MID_FILTERS {
                put(n_front + block * MID_FILTERS + o, mx[o], s[o] * inv_t);
            }
        }
        let be = &self.backend;
        for ((v, &s), &sh) in flat.iter_mut().zip(&be.pool_scale).zip(&be.pool_shift) {
            *v = *v * s + sh;
        }
        matvec(&flat, &be.dense1, &be.dense1_b, pen);
        for ((v, &s), &sh) in pen.iter_mut().zip(&be.dense1_scale).zip(&be.dense1_shift) {
            *v = v.max(0.0) * s + sh;
        }
        matvec(pen, &be.dense2, &be.dense2_b, logits);
        Ok(())
    }
}

/// One patch through a plan, as the unit [`Kernel::run`] compiles per instruction set.
struct PatchRun<'a> {
    plan: &'a Plan,
    patch: &'a [f32],
    frames: usize,
    logits: &'a mut [f32],
    pen: &'a mut [f32],
}

impl WithSimd for PatchRun<'_> {
    type Output = Result<(), OutOfBounds>;

    #[inline(always)]
    fn with_simd<S: Simd>(self) -> Self::Output {
        self.plan
            .run::<S>(self.patch, self.frames, self.logits, self.pen)
    }
}

impl FastTrunk {
    /// Compiles the network from the bytes of `models/musicnn_msd.safetensors`.
    pub fn from_safetensors_bytes(bytes: &[u8]) -> Result<Self, WeightsError> {
        let loader = Loader {
            st: SafetensorsF32::parse(bytes)?,
        };
        Ok(FastTrunk {
            pruned: loader.plan(true)?,
            full: loader.plan(false)?,
            kernel: Kernel::selected(),
        })
    }

    /// The same network on another kernel (the default is [`Kernel::selected`]).
    pub fn with_kernel(mut self, kernel: Kernel) -> Self {
        self.kernel = kernel;
        self
    }

    /// The kernel it runs on.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// What the pruned plan keeps.
    pub fn live_channels(&self) -> LiveChannels {
        let p = &self.pruned;
        let mut front = [0; 5];
        for (f, b) in front.iter_mut().zip(&p.front) {
            *f = b.n;
        }
        LiveChannels {
            front,
            mid_inputs: [p.mid[0].c_in, p.mid[1].c_in, p.mid[2].c_in],
        }
    }

    /// Multiply-adds per patch of `frames` frames: the unpruned network's (what TensorFlow
    /// computes) and what the pruned plan executes.
    pub fn patch_cost(&self, frames: usize) -> PatchCost {
        PatchCost {
            dense_macs: self.full.executed_macs(frames),
            executed_macs: self.pruned.executed_macs(frames),
        }
    }

    /// True when every value is in the range the pruning was proved for.
    pub fn in_proved_range(patch: &[f32]) -> bool {
        patch.iter().all(|v| (0.0..=INPUT_MAX).contains(v))
    }

    /// Runs `count` patches of `frames × 96` (row-major, back to back) on up to `threads`
    /// threads (patches are split between them; 1 = the calling thread only). `pruned: false`
    /// forces the unpruned plan (for comparisons).
    pub fn forward_with(
        &self,
        patches: &[f32],
        count: usize,
        frames: usize,
        threads: usize,
        pruned: bool,
    ) -> Result<FastOutput, NetError> {
        let per = frames * MUSICNN_MELS;
        if frames == 0 || patches.len() != count * per {
            return Err(NetError::InputShape {
                what: "musicnn input",
                values: patches.len(),
                count,
                frames,
                mels: MUSICNN_MELS,
            });
        }
        let mut out = FastOutput {
            logits: vec![0.0; count * MUSICNN_N_TAGS],
            penultimate: vec![0.0; count * MUSICNN_PENULTIMATE],
        };
        // Patches back to back, each through the pruned plan when its values are in the
        // proved range.
        let run_chunk = |chunk: &[f32], ls: &mut [f32], ps: &mut [f32]| {
            for ((patch, logits), pen) in chunk
                .chunks_exact(per)
                .zip(ls.chunks_exact_mut(MUSICNN_N_TAGS))
                .zip(ps.chunks_exact_mut(MUSICNN_PENULTIMATE))
            {
                let plan = if pruned && Self::in_proved_range(patch) {
                    &self.pruned
                } else {
                    &self.full
                };
                self.kernel.run(PatchRun {
                    plan,
                    patch,
                    frames,
                    logits,
                    pen,
                })?;
            }
            Ok::<(), OutOfBounds>(())
        };
        let threads = threads.clamp(1, count.max(1));
        let result = if threads == 1 {
            run_chunk(patches, &mut out.logits, &mut out.penultimate)
        } else {
            let per_thread = count.div_ceil(threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = patches
                    .chunks(per_thread * per)
                    .zip(out.logits.chunks_mut(per_thread * MUSICNN_N_TAGS))
                    .zip(out.penultimate.chunks_mut(per_thread * MUSICNN_PENULTIMATE))
                    .map(|((chunk, ls), ps)| {
                        let run_chunk = &run_chunk;
                        s.spawn(move || run_chunk(chunk, ls, ps))
                    })
                    .collect();
                handles
                    .into_iter()
                    .try_for_each(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            })
        };
        result?;
        Ok(out)
    }

    /// [`FastTrunk::forward_with`] on the calling thread, pruned.
    pub fn forward(
        &self,
        patches: &[f32],
        count: usize,
        frames: usize,
    ) -> Result<FastOutput, NetError> {
        self.forward_with(patches, count, frames, 1, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_bound_relu_bn() {
        let r = relu_bn_range(Range { lo: -2.0, hi: 3.0 }, -2.0, 1.0);
        assert_eq!(r, Range { lo: -5.0, hi: 1.0 });
        let d = dot_range(
            1.0,
            [
                (2.0f32, Range { lo: -1.0, hi: 1.0 }),
                (-1.0, Range { lo: 0.0, hi: 4.0 }),
            ]
            .into_iter(),
        );
        assert_eq!(d, Range { lo: -5.0, hi: 3.0 });
        assert_eq!(Range::point(2.0).with_zero(), Range { lo: 0.0, hi: 2.0 });
    }
}
