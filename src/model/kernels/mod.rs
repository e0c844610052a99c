//! The one hot loop of the fast musicnn trunk ([`super::fast`]): a register-blocked
//! "implicit GEMM" tile of `MR × NR` = 6 × 16 outputs, written once over macerator's [`Simd`]
//! (burn's own SIMD crate, already built for burn's CPU backend) and compiled for each
//! instruction set it knows. [`Kernel`] picks one at run time: AVX-512, AVX2 + FMA, the
//! 128-bit "portable" level (SSE4.2 on x86-64, NEON on ARM) or plain scalar code.
//! `GENREPLAY_KERNEL=auto|avx512|avx2|portable|scalar` forces one (read once per process).
//!
//! A tile computes `acc[r][n] = Σ_{d < D} Σ_{j < J} A(r, d, j) · B(d, j, n)` where both operands
//! are strided views of plain slices, so a convolution needs no im2col copy:
//! `A(r, d, j) = a[r·a.rs + d·a.ds + j·a.js]` (broadcast, one scalar per row) and
//! `B(d, j, n) = b[d·b.ds + j·b.js + n]` (16 consecutive floats). The same tile serves the
//! timbral convolutions (rows = filters, columns = 16 mel positions), the temporal ones (rows =
//! filters, columns = mel bands) and the mid-end (rows = frames, columns = output channels).
//!
//! Code that calls [`tile`] runs inside [`Kernel::run`] and must be `#[inline(always)]` all
//! the way down: only what is inlined into the dispatched function is compiled for its
//! instruction set.

use std::sync::OnceLock;

use macerator::{Arch, Scalar as _, VMulAdd, Vector, vload_unaligned, vstore_unaligned};
pub use macerator::{Simd, WithSimd};

/// Rows of a tile (broadcast operand).
pub const MR: usize = 6;
/// Columns of a tile (vector operand): one AVX-512 register, two AVX ones, four SSE/NEON ones.
pub const NR: usize = 16;

/// The environment variable that forces a kernel.
pub const KERNEL_ENV: &str = "GENREPLAY_KERNEL";

/// Strides of the broadcast operand: element `(r, d, j)` is at `r·rs + d·ds + j·js`.
#[derive(Debug, Clone, Copy)]
pub struct AStride {
    pub rs: usize,
    pub ds: usize,
    pub js: usize,
}

/// Strides of the vector operand: row `(d, j)` starts at `d·ds + j·js`.
#[derive(Debug, Clone, Copy)]
pub struct BStride {
    pub ds: usize,
    pub js: usize,
}

/// The reduction: `d` in `0..d`, `j` in `0..j`.
#[derive(Debug, Clone, Copy)]
pub struct Reduction {
    pub d: usize,
    pub j: usize,
}

/// One 6 × 16 accumulator tile.
pub type Tile = [[f32; NR]; MR];

/// A tile whose views would read past its slices (a sizing bug in the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "kernel tile out of bounds: it reads {need_a} + {need_b} values of slices of {have_a} + {have_b}"
)]
pub struct OutOfBounds {
    pub need_a: usize,
    pub have_a: usize,
    pub need_b: usize,
    pub have_b: usize,
}

/// Elements of `a` and `b` one tile reads (the last index + 1), for the bounds check.
fn extent(k: Reduction, sa: AStride, sb: BStride) -> (usize, usize) {
    if k.d == 0 || k.j == 0 {
        return (0, 0);
    }
    let a = (MR - 1) * sa.rs + (k.d - 1) * sa.ds + (k.j - 1) * sa.js + 1;
    let b = (k.d - 1) * sb.ds + (k.j - 1) * sb.js + NR;
    (a, b)
}

/// Rows of a 4-vector-wide block in one pass over the reduction: x86's 16 registers hold 3 × 4
/// accumulators with the operands; aarch64 has 32, so NEON keeps all 6 × 4.
const ROWS_OF_4: usize = if cfg!(target_arch = "aarch64") { 6 } else { 3 };

/// Computes one tile into `acc` (overwritten), on the instruction set `S`. An error (and a
/// zero `acc`) if the views would read past either slice, which callers size so that it never
/// happens.
#[inline(always)]
pub fn tile<S: Simd>(
    a: &[f32],
    sa: AStride,
    b: &[f32],
    sb: BStride,
    k: Reduction,
    acc: &mut Tile,
) -> Result<(), OutOfBounds> {
    *acc = [[0.0; NR]; MR];
    let (need_a, need_b) = extent(k, sa, sb);
    if need_a == 0 {
        return Ok(());
    }
    if a.len() < need_a || b.len() < need_b {
        debug_assert!(false, "tile views out of bounds");
        return Err(OutOfBounds {
            need_a,
            have_a: a.len(),
            need_b,
            have_b: b.len(),
        });
    }
    let lanes = S::lanes32();
    let (a, b) = (a.as_ptr(), b.as_ptr());
    // SAFETY (every call): the views stay below `need_a` / `need_b`, which the slices cover
    // (checked above), and each pass reads and writes columns `col0 .. col0 + W·lanes ≤ NR`.
    unsafe {
        match NR / lanes {
            1 if lanes == NR => tile_block::<S, MR, 1>(a, sa, b, sb, k, acc, 0, 0),
            2 if 2 * lanes == NR => tile_block::<S, MR, 2>(a, sa, b, sb, k, acc, 0, 0),
            v if v % 4 == 0 && v * lanes == NR => {
                for col0 in (0..NR).step_by(4 * lanes) {
                    for r0 in (0..MR).step_by(ROWS_OF_4) {
                        tile_block::<S, ROWS_OF_4, 4>(a, sa, b, sb, k, acc, r0, col0);
                    }
                }
            }
            _ => tile_scalar(a, sa, b, sb, k, acc),
        }
    }
    Ok(())
}

/// Rows `r0 .. r0 + R`, columns `col0 .. col0 + W·lanes` of a tile: `R × W` vector
/// accumulators in registers, one pass over the reduction.
///
/// # Safety
/// `a` and `b` must be valid for every index the views reach (see [`extent`]),
/// `r0 + R ≤ MR` and `col0 + W·lanes ≤ NR`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn tile_block<S: Simd, const R: usize, const W: usize>(
    a: *const f32,
    sa: AStride,
    b: *const f32,
    sb: BStride,
    k: Reduction,
    acc: &mut Tile,
    r0: usize,
    col0: usize,
) {
    let lanes = S::lanes32();
    // Fused where the instruction set has it (AVX2, AVX-512, NEON), else multiply then add
    // (SSE4.2; and the scalar fallback, where a fused multiply-add is a slow library call).
    let fused = <f32 as VMulAdd>::is_accelerated::<S>();
    let zero: Vector<S, f32> = 0.0f32.splat::<S>();
    let mut c = [[zero; W]; R];
    for d in 0..k.d {
        // SAFETY (all pointer arithmetic and reads below): within the caller's extents.
        let mut ap = unsafe { a.add(r0 * sa.rs + d * sa.ds) };
        let mut bp = unsafe { b.add(d * sb.ds + col0) };
        for _ in 0..k.j {
            let mut bv = [zero; W];
            for (w, v) in bv.iter_mut().enumerate() {
                *v = unsafe { vload_unaligned::<S, f32>(bp.add(w * lanes)) };
            }
            for (r, row) in c.iter_mut().enumerate() {
                let av: Vector<S, f32> = unsafe { *ap.add(r * sa.rs) }.splat::<S>();
                for (cv, &bw) in row.iter_mut().zip(&bv) {
                    *cv = if fused {
                        av.mul_add(bw, *cv)
                    } else {
                        av * bw + *cv
                    };
                }
            }
            ap = unsafe { ap.add(sa.js) };
            bp = unsafe { bp.add(sb.js) };
        }
    }
    for (out, row) in acc[r0..r0 + R].iter_mut().zip(&c) {
        for (w, &v) in row.iter().enumerate() {
            // SAFETY: `col0 + (w + 1)·lanes ≤ NR` (the caller's contract).
            unsafe { vstore_unaligned::<S, f32>(out.as_mut_ptr().add(col0 + w * lanes), v) };
        }
    }
}

/// The tile in plain scalar code, for a vector width that does not divide the tile.
///
/// # Safety
/// `a` and `b` must be valid for every index the views reach (see [`extent`]).
#[inline(always)]
unsafe fn tile_scalar(
    a: *const f32,
    sa: AStride,
    b: *const f32,
    sb: BStride,
    k: Reduction,
    acc: &mut Tile,
) {
    for d in 0..k.d {
        for j in 0..k.j {
            let boff = d * sb.ds + j * sb.js;
            let aoff = d * sa.ds + j * sa.js;
            for (r, row) in acc.iter_mut().enumerate() {
                // SAFETY: within the caller's extents.
                let av = unsafe { *a.add(aoff + r * sa.rs) };
                for (n, c) in row.iter_mut().enumerate() {
                    *c += av * unsafe { *b.add(boff + n) };
                }
            }
        }
    }
}

/// An instruction set the kernel is compiled for, from the widest down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isa {
    /// AVX-512 (F, BW, CD, DQ, VL): x86-64-v4.
    Avx512,
    /// AVX2 + FMA: x86-64-v3.
    Avx2,
    /// 128-bit vectors every CPU of its architecture has: SSE4.2 on x86-64 (x86-64-v2, no
    /// fused multiply-add), NEON on aarch64. What a CPU without AVX2 runs.
    Portable,
    /// No vector instructions.
    Scalar,
}

impl Isa {
    pub const ALL: [Isa; 4] = [Isa::Avx512, Isa::Avx2, Isa::Portable, Isa::Scalar];

    /// The name `GENREPLAY_KERNEL` takes.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
            Isa::Portable => "portable",
            Isa::Scalar => "scalar",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.name() == name)
    }

    /// The features it needs (macerator's lists for its levels).
    #[cfg(target_arch = "x86_64")]
    fn is_available(self) -> bool {
        use std::arch::is_x86_feature_detected as has;
        let v2 = || {
            has!("sse")
                && has!("sse2")
                && has!("fxsr")
                && has!("sse3")
                && has!("ssse3")
                && has!("sse4.1")
                && has!("sse4.2")
                && has!("popcnt")
        };
        let v3 = || {
            v2() && has!("avx")
                && has!("avx2")
                && has!("bmi1")
                && has!("bmi2")
                && has!("fma")
                && has!("lzcnt")
                && has!("f16c")
        };
        match self {
            Isa::Avx512 => {
                v3() && has!("avx512f")
                    && has!("avx512bw")
                    && has!("avx512cd")
                    && has!("avx512dq")
                    && has!("avx512vl")
            }
            Isa::Avx2 => v3(),
            Isa::Portable => v2(),
            Isa::Scalar => true,
        }
    }

    #[cfg(target_arch = "aarch64")]
    fn is_available(self) -> bool {
        match self {
            Isa::Portable => std::arch::is_aarch64_feature_detected!("neon"),
            Isa::Scalar => true,
            Isa::Avx512 | Isa::Avx2 => false,
        }
    }

    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    fn is_available(self) -> bool {
        self == Isa::Scalar
    }

    /// macerator's level for it (only called for an available one).
    fn arch(self) -> Arch {
        match self {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => Arch::V4,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => Arch::V3,
            #[cfg(target_arch = "x86_64")]
            Isa::Portable => Arch::V2,
            #[cfg(target_arch = "aarch64")]
            Isa::Portable => Arch::NeonFma,
            _ => Arch::Scalar,
        }
    }
}

/// Why a `GENREPLAY_KERNEL` value was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KernelSettingError {
    #[error("unknown kernel \"{0}\" (auto, avx512, avx2, portable, scalar)")]
    Unknown(String),
    #[error("this CPU cannot run the {0} kernel")]
    Unavailable(&'static str),
}

/// The kernel compiled for one instruction set this CPU has (only those can be made).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Kernel {
    isa: Isa,
}

impl Kernel {
    /// The kernel for `isa`, if this CPU runs it.
    pub fn new(isa: Isa) -> Option<Kernel> {
        static AVAILABLE: OnceLock<[bool; 4]> = OnceLock::new();
        let available = AVAILABLE.get_or_init(|| Isa::ALL.map(Isa::is_available));
        let i = Isa::ALL.iter().position(|&x| x == isa)?;
        available[i].then_some(Kernel { isa })
    }

    /// Every kernel this CPU runs, widest first.
    pub fn available() -> Vec<Kernel> {
        Isa::ALL.into_iter().filter_map(Kernel::new).collect()
    }

    /// The widest kernel this CPU runs.
    pub fn best() -> Kernel {
        Isa::ALL
            .into_iter()
            .find_map(Kernel::new)
            .unwrap_or(Kernel { isa: Isa::Scalar })
    }

    /// The kernel `GENREPLAY_KERNEL` asks for (read once per process), else the best. A name
    /// it does not know, or an instruction set this CPU lacks, is logged once and the best
    /// kernel used.
    pub fn selected() -> Kernel {
        static SELECTED: OnceLock<Kernel> = OnceLock::new();
        *SELECTED.get_or_init(|| {
            let wanted = std::env::var(KERNEL_ENV).ok();
            match Self::from_setting(wanted.as_deref()) {
                Ok(k) => k,
                Err(why) => {
                    let best = Kernel::best();
                    tracing::warn!("{KERNEL_ENV}: {why}; using {}", best.describe());
                    best
                }
            }
        })
    }

    /// The kernel a `GENREPLAY_KERNEL` value asks for: unset, empty or `auto` = the best.
    pub fn from_setting(value: Option<&str>) -> Result<Kernel, KernelSettingError> {
        let value = value.map(str::trim).unwrap_or("");
        if value.is_empty() || value.eq_ignore_ascii_case("auto") {
            return Ok(Kernel::best());
        }
        let isa = Isa::from_name(&value.to_ascii_lowercase()).ok_or_else(|| {
            // Bounded and escaped: the value is shown in a log line.
            let shown: String = value
                .chars()
                .take(40)
                .flat_map(char::escape_debug)
                .collect();
            KernelSettingError::Unknown(shown)
        })?;
        Kernel::new(isa).ok_or(KernelSettingError::Unavailable(isa.name()))
    }

    pub fn isa(self) -> Isa {
        self.isa
    }

    /// For reports: the level and what it runs on this architecture.
    pub fn describe(self) -> &'static str {
        match self.isa {
            Isa::Avx512 => "avx512 (16-wide FMA)",
            Isa::Avx2 => "avx2 (8-wide FMA)",
            Isa::Portable if cfg!(target_arch = "aarch64") => "portable (NEON, 4-wide FMA)",
            Isa::Portable => "portable (SSE4.2, 4-wide multiply + add)",
            Isa::Scalar => "scalar",
        }
    }

    /// Runs `op` compiled for this kernel's instruction set.
    pub fn run<Op: WithSimd>(self, op: Op) -> Op::Output {
        // SAFETY: a `Kernel` is only made for an instruction set this CPU has (`Kernel::new`
        // checks the features macerator's level enables).
        unsafe { self.isa.arch().dispatch(op) }
    }

    /// Runs a loop of independent vector FMAs on 12 registers on the calling thread, for
    /// measuring the core's f32 peak on this kernel (time it with a CPU clock). Returns the
    /// flops done (one multiply-add = 2).
    pub fn fma_loop(self, iters: u64) -> f64 {
        let (v, flops) = self.run(FmaPeak { iters });
        std::hint::black_box(v);
        flops
    }
}

struct FmaPeak {
    iters: u64,
}

impl WithSimd for FmaPeak {
    type Output = (f32, f64);

    #[inline(always)]
    fn with_simd<S: Simd>(self) -> (f32, f64) {
        let a: Vector<S, f32> = 0.999_999f32.splat::<S>();
        let b: Vector<S, f32> = 1e-7f32.splat::<S>();
        let mut r = [1.0f32.splat::<S>(); 12];
        let fused = <f32 as VMulAdd>::is_accelerated::<S>();
        for _ in 0..self.iters {
            for x in r.iter_mut() {
                *x = if fused { x.mul_add(a, b) } else { *x * a + b };
            }
        }
        let mut s = 0.0f32.splat::<S>();
        for x in r {
            s += x;
        }
        let lanes = S::lanes32();
        let mut out = [0.0f32; NR];
        if lanes <= NR {
            // SAFETY: `out` holds at least one vector.
            unsafe { vstore_unaligned::<S, f32>(out.as_mut_ptr(), s) };
        }
        (
            out.iter().sum(),
            self.iters as f64 * 12.0 * lanes as f64 * 2.0,
        )
    }
}

#[cfg(test)]
mod tests;
