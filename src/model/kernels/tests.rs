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

/// One tile on `kernel`.
struct OneTile<'a> {
    a: &'a [f32],
    sa: AStride,
    b: &'a [f32],
    sb: BStride,
    k: Reduction,
    acc: &'a mut Tile,
}

impl WithSimd for OneTile<'_> {
    type Output = Result<(), OutOfBounds>;
    #[inline(always)]
    fn with_simd<S: Simd>(self) -> Self::Output {
        tile::<S>(self.a, self.sa, self.b, self.sb, self.k, self.acc)
    }
}

fn run_tile(
    kernel: Kernel,
    a: &[f32],
    sa: AStride,
    b: &[f32],
    sb: BStride,
    k: Reduction,
    acc: &mut Tile,
) -> Result<(), OutOfBounds> {
    kernel.run(OneTile {
        a,
        sa,
        b,
        sb,
        k,
        acc,
    })
}

#[test]
fn tile_matches_a_plain_sum_for_every_stride_pattern_on_every_kernel() {
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
    let kernels = Kernel::available();
    assert!(kernels.contains(&Kernel { isa: Isa::Scalar }));
    for kernel in kernels {
        for (sa, sb, k) in cases {
            let mut acc = [[f32::NAN; NR]; MR];
            run_tile(kernel, &data, sa, &data[7..], sb, k, &mut acc).unwrap();
            let want = reference(&data, sa, &data[7..], sb, k);
            for r in 0..MR {
                for n in 0..NR {
                    let tol = 1e-4 * want[r][n].abs().max(1.0);
                    assert!(
                        (acc[r][n] - want[r][n]).abs() <= tol,
                        "{kernel:?} {sa:?} {r} {n}"
                    );
                }
            }
        }
    }
}

#[test]
fn an_empty_reduction_is_a_zero_tile() {
    let mut acc = [[3.0; NR]; MR];
    let k = Reduction { d: 0, j: 5 };
    let s = (
        AStride {
            rs: 1,
            ds: 1,
            js: 1,
        },
        BStride { ds: 1, js: 1 },
    );
    run_tile(Kernel::best(), &[], s.0, &[], s.1, k, &mut acc).unwrap();
    assert_eq!(acc, [[0.0; NR]; MR]);
}

#[test]
#[cfg(not(debug_assertions))]
fn out_of_bounds_views_are_refused() {
    // b holds 10 floats; a 16-wide tile needs 16. Release builds refuse (debug builds
    // assert), and never read past the slice.
    let (a, b) = (vec![1.0f32; 10], vec![1.0f32; 10]);
    for kernel in Kernel::available() {
        let mut acc = [[5.0; NR]; MR];
        let err = run_tile(
            kernel,
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
        )
        .unwrap_err();
        assert_eq!(err.need_b, 19);
        assert_eq!(err.have_b, 10);
        assert_eq!(acc, [[0.0; NR]; MR]);
    }
}

#[test]
fn settings_name_a_kernel_or_say_why_not() {
    assert_eq!(Kernel::from_setting(None), Ok(Kernel::best()));
    assert_eq!(Kernel::from_setting(Some(" AUTO ")), Ok(Kernel::best()));
    assert_eq!(
        Kernel::from_setting(Some("scalar")).map(Kernel::isa),
        Ok(Isa::Scalar)
    );
    let e = Kernel::from_setting(Some("sse9\u{1b}"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown kernel") && e.contains("portable"),
        "{e}"
    );
    assert!(!e.contains('\u{1b}'), "{e}");
    for isa in Isa::ALL {
        match Kernel::new(isa) {
            Some(k) => assert_eq!(Kernel::from_setting(Some(isa.name())), Ok(k)),
            None => assert!(
                Kernel::from_setting(Some(isa.name()))
                    .unwrap_err()
                    .to_string()
                    .contains("cannot run")
            ),
        }
    }
    assert_eq!(Kernel::available()[0], Kernel::best());
}

#[test]
fn the_fma_loop_counts_its_flops() {
    for k in Kernel::available() {
        let flops = k.fma_loop(10);
        assert!(flops >= 10.0 * 12.0 * 2.0, "{k:?} {flops}");
    }
}
