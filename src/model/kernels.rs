//! The one hot loop of the fast musicnn trunk ([`super::fast`]): a register-blocked
//! "implicit GEMM" tile of `MR × NR` = 6 × 16 outputs, with AVX2 + FMA on x86-64 (picked at run
//! time) and a portable fallback.
//!
//! A tile computes `acc[r][n] = Σ_{d < D} Σ_{j < J} A(r, d, j) · B(d, j, n)` where both operands
//! are strided views of plain slices, so a convolution needs no im2col copy:
//! `A(r, d, j) = a[r·a.rs + d·a.ds + j·a.js]` (broadcast, one scalar per row) and
//! `B(d, j, n) = b[d·b.ds + j·b.js + n]` (16 consecutive floats). The same tile serves the
//! timbral convolutions (rows = filters, columns = 16 mel positions), the temporal ones (rows =
//! filters, columns = mel bands) and the mid-end (rows = frames, columns = output channels).

/// Rows of a tile (broadcast operand).
pub const MR: usize = 6;
/// Columns of a tile (vector operand): two AVX registers.
pub const NR: usize = 16;

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

/// Elements of `a` and `b` one tile reads (the last index + 1), for the bounds check.
fn extent(k: Reduction, sa: AStride, sb: BStride) -> (usize, usize) {
    if k.d == 0 || k.j == 0 {
        return (0, 0);
    }
    let a = (MR - 1) * sa.rs + (k.d - 1) * sa.ds + (k.j - 1) * sa.js + 1;
    let b = (k.d - 1) * sb.ds + (k.j - 1) * sb.js + NR;
    (a, b)
}

/// Computes one tile into `acc` (overwritten). Returns `false` (and leaves `acc` zero) if the
/// views would read past either slice, which callers size so that it never happens.
pub fn tile(a: &[f32], sa: AStride, b: &[f32], sb: BStride, k: Reduction, acc: &mut Tile) -> bool {
    *acc = [[0.0; NR]; MR];
    let (need_a, need_b) = extent(k, sa, sb);
    if need_a == 0 {
        return true;
    }
    if a.len() < need_a || b.len() < need_b {
        debug_assert!(false, "tile views out of bounds");
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if has_avx2_fma() {
            // SAFETY: the CPU has AVX2 and FMA (checked at run time), and every index the
            // kernel reads is below `need_a` / `need_b`, which the slices cover (checked above).
            unsafe { avx2::tile(a.as_ptr(), sa, b.as_ptr(), sb, k, acc) };
            return true;
        }
    }
    portable_tile(a, sa, b, sb, k, acc);
    true
}

/// True when the AVX2 + FMA kernel runs on this CPU.
pub fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static HAS: OnceLock<bool> = OnceLock::new();
        *HAS.get_or_init(|| {
            std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Which kernel [`tile`] uses (for reports).
pub fn kernel_name() -> &'static str {
    if has_avx2_fma() {
        "avx2+fma 6x16"
    } else {
        "portable 6x16"
    }
}

/// The same tile in plain Rust (the compiler vectorises the 16-wide inner loop).
fn portable_tile(a: &[f32], sa: AStride, b: &[f32], sb: BStride, k: Reduction, acc: &mut Tile) {
    for d in 0..k.d {
        for j in 0..k.j {
            let boff = d * sb.ds + j * sb.js;
            let brow: &[f32; NR] = match b[boff..boff + NR].try_into() {
                Ok(r) => r,
                Err(_) => return,
            };
            let aoff = d * sa.ds + j * sa.js;
            for (r, row) in acc.iter_mut().enumerate() {
                let av = a[aoff + r * sa.rs];
                for (c, &bv) in row.iter_mut().zip(brow) {
                    *c = av.mul_add(bv, *c);
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{AStride, BStride, MR, NR, Reduction, Tile};
    use std::arch::x86_64::*;

    /// # Safety
    /// The CPU must support AVX2 and FMA, and `a`/`b` must be valid for every index the views
    /// reach (see `super::extent`).
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn tile(
        a: *const f32,
        sa: AStride,
        b: *const f32,
        sb: BStride,
        k: Reduction,
        acc: &mut Tile,
    ) {
        let z = _mm256_setzero_ps();
        let (mut c00, mut c01, mut c10, mut c11, mut c20, mut c21) = (z, z, z, z, z, z);
        let (mut c30, mut c31, mut c40, mut c41, mut c50, mut c51) = (z, z, z, z, z, z);
        let rs = sa.rs;
        for d in 0..k.d {
            // SAFETY (all pointer arithmetic below): indices stay within the extents the
            // caller checked.
            let mut ap = unsafe { a.add(d * sa.ds) };
            let mut bp = unsafe { b.add(d * sb.ds) };
            for _ in 0..k.j {
                unsafe {
                    let b0 = _mm256_loadu_ps(bp);
                    let b1 = _mm256_loadu_ps(bp.add(8));
                    let a0 = _mm256_broadcast_ss(&*ap);
                    c00 = _mm256_fmadd_ps(a0, b0, c00);
                    c01 = _mm256_fmadd_ps(a0, b1, c01);
                    let a1 = _mm256_broadcast_ss(&*ap.add(rs));
                    c10 = _mm256_fmadd_ps(a1, b0, c10);
                    c11 = _mm256_fmadd_ps(a1, b1, c11);
                    let a2 = _mm256_broadcast_ss(&*ap.add(2 * rs));
                    c20 = _mm256_fmadd_ps(a2, b0, c20);
                    c21 = _mm256_fmadd_ps(a2, b1, c21);
                    let a3 = _mm256_broadcast_ss(&*ap.add(3 * rs));
                    c30 = _mm256_fmadd_ps(a3, b0, c30);
                    c31 = _mm256_fmadd_ps(a3, b1, c31);
                    let a4 = _mm256_broadcast_ss(&*ap.add(4 * rs));
                    c40 = _mm256_fmadd_ps(a4, b0, c40);
                    c41 = _mm256_fmadd_ps(a4, b1, c41);
                    let a5 = _mm256_broadcast_ss(&*ap.add(5 * rs));
                    c50 = _mm256_fmadd_ps(a5, b0, c50);
                    c51 = _mm256_fmadd_ps(a5, b1, c51);
                    ap = ap.add(sa.js);
                    bp = bp.add(sb.js);
                }
            }
        }
        let rows = [
            (c00, c01),
            (c10, c11),
            (c20, c21),
            (c30, c31),
            (c40, c41),
            (c50, c51),
        ];
        for (out, (lo, hi)) in acc.iter_mut().zip(rows) {
            // SAFETY: `out` is 16 floats.
            unsafe {
                _mm256_storeu_ps(out.as_mut_ptr(), lo);
                _mm256_storeu_ps(out.as_mut_ptr().add(8), hi);
            }
        }
        debug_assert_eq!(acc.len(), MR);
        debug_assert_eq!(acc[0].len(), NR);
    }

    /// A loop of independent FMAs on 12 registers: `iters × 12 × 8 × 2` flops, for measuring
    /// the core's peak. Returns a value so the work is not optimised away.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn fma_peak(iters: u64, seed: f32) -> f32 {
        let a = _mm256_set1_ps(0.999_999);
        let b = _mm256_set1_ps(1e-7);
        let mut r = [_mm256_set1_ps(seed); 12];
        for _ in 0..iters {
            for x in r.iter_mut() {
                *x = _mm256_fmadd_ps(*x, a, b);
            }
        }
        let mut s = _mm256_setzero_ps();
        for x in r {
            s = _mm256_add_ps(s, x);
        }
        let mut out = [0.0f32; 8];
        // SAFETY: `out` is 8 floats.
        unsafe { _mm256_storeu_ps(out.as_mut_ptr(), s) };
        out.iter().sum()
    }
}

/// Runs a loop of independent 8-wide FMAs on 12 registers (`iters × 192` flops, one FMA = 2)
/// on the calling thread, for measuring the core's f32 peak: time it with a CPU clock. Returns
/// the flops done, or `None` without AVX2 + FMA.
pub fn fma_loop(iters: u64) -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    {
        if !has_avx2_fma() {
            return None;
        }
        // SAFETY: AVX2 and FMA are present (checked above).
        let v = unsafe { avx2::fma_peak(iters, 1.0) };
        std::hint::black_box(v);
        Some(iters as f64 * 12.0 * 16.0)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = iters;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(a: &[f32], sa: AStride, b: &[f32], sb: BStride, k: Reduction) -> Tile {
        let mut acc = [[0.0f64; NR]; MR];
        for (r, row) in acc.iter_mut().enumerate() {
            for d in 0..k.d {
                for j in 0..k.j {
                    let av = a[r * sa.rs + d * sa.ds + j * sa.js] as f64;
                    for (n, c) in row.iter_mut().enumerate() {
                        *c += av * b[d * sb.ds + j * sb.js + n] as f64;
                    }
                }
            }
        }
        acc.map(|row| row.map(|v| v as f32))
    }

    #[test]
    fn tile_matches_a_plain_sum_for_every_stride_pattern() {
        let data: Vec<f32> = (0..20_000)
            .map(|i| ((i * 7919 % 1000) as f32 - 500.0) / 250.0)
            .collect();
        let cases = [
            // timbral: rows = filters (rs = K), d = time taps, j = mel taps; b = input rows.
            (
                AStride {
                    rs: 266,
                    ds: 38,
                    js: 1,
                },
                BStride { ds: 96, js: 1 },
                Reduction { d: 7, j: 38 },
            ),
            // temporal: one d, j = time taps; b steps a whole input row per tap.
            (
                AStride {
                    rs: 32,
                    ds: 0,
                    js: 1,
                },
                BStride { ds: 0, js: 96 },
                Reduction { d: 1, j: 32 },
            ),
            // mid-end: rows = frames.
            (
                AStride {
                    rs: 20,
                    ds: 20,
                    js: 1,
                },
                BStride { ds: 320, js: 16 },
                Reduction { d: 7, j: 20 },
            ),
            (
                AStride {
                    rs: 1,
                    ds: 3,
                    js: 2,
                },
                BStride { ds: 5, js: 17 },
                Reduction { d: 3, j: 1 },
            ),
        ];
        for (sa, sb, k) in cases {
            let mut acc = [[0.0; NR]; MR];
            assert!(tile(&data, sa, &data[7..], sb, k, &mut acc));
            let want = reference(&data, sa, &data[7..], sb, k);
            let mut fallback = [[0.0; NR]; MR];
            portable_tile(&data, sa, &data[7..], sb, k, &mut fallback);
            for r in 0..MR {
                for n in 0..NR {
                    let tol = 1e-4 * want[r][n].abs().max(1.0);
                    assert!((acc[r][n] - want[r][n]).abs() <= tol, "{sa:?} {r} {n}");
                    assert!((fallback[r][n] - want[r][n]).abs() <= tol, "{sa:?} {r} {n}");
                }
            }
        }
    }

    #[test]
    #[cfg(not(debug_assertions))]
    fn out_of_bounds_views_are_refused() {
        // b holds 10 floats; a 16-wide tile needs 16. Release builds refuse (debug builds
        // assert), and never read past the slice.
        let (a, b) = (vec![1.0f32; 10], vec![1.0f32; 10]);
        let mut acc = [[5.0; NR]; MR];
        let ok = tile(
            &a,
            AStride {
                rs: 1,
                ds: 0,
                js: 1,
            },
            &b,
            BStride { ds: 0, js: 1 },
            Reduction { d: 1, j: 4 },
            &mut acc,
        );
        assert!(!ok);
        assert_eq!(acc, [[0.0; NR]; MR]);
    }
}
