//! Vector maths shared by the model, the recommender and the views.

/// `part / whole`, 0 when there is nothing to count.
pub fn share(part: f64, whole: f64) -> f64 {
    if whole == 0.0 { 0.0 } else { part / whole }
}

/// Index and value of the largest element (the first on ties; `(0, -inf)` when empty).
pub fn argmax(v: &[f32]) -> (usize, f32) {
    v.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &x)| {
            if x > bv { (i, x) } else { (bi, bv) }
        })
}

/// The mean of the rows of a row-major matrix with `k` columns (f64 accumulation).
pub fn mean_rows(m: &[f32], k: usize) -> Vec<f32> {
    let mut acc = vec![0.0f64; k];
    let rows = m.len().checked_div(k).unwrap_or(0);
    for row in m.chunks_exact(k.max(1)) {
        for (a, &v) in acc.iter_mut().zip(row) {
            *a += v as f64;
        }
    }
    acc.into_iter()
        .map(|a| {
            if rows == 0 {
                0.0
            } else {
                (a / rows as f64) as f32
            }
        })
        .collect()
}

/// The inverse of a symmetric positive-definite `d × d` matrix (row-major; only the lower
/// triangle is read), by Cholesky factorisation. `None` when it is not positive definite.
pub fn inverse_spd(a: &[f64], d: usize) -> Option<Vec<f64>> {
    if a.len() != d * d {
        return None;
    }
    // A = L Lᵀ.
    let mut l = vec![0.0f64; d * d];
    for i in 0..d {
        for j in 0..=i {
            let mut s = a[i * d + j];
            for k in 0..j {
                s -= l[i * d + k] * l[j * d + k];
            }
            if i == j {
                if s <= 0.0 || !s.is_finite() {
                    return None;
                }
                l[i * d + i] = s.sqrt();
            } else {
                l[i * d + j] = s / l[j * d + j];
            }
        }
    }
    // L⁻¹ (lower triangular), then A⁻¹ = L⁻ᵀ L⁻¹.
    let mut li = vec![0.0f64; d * d];
    for i in 0..d {
        li[i * d + i] = 1.0 / l[i * d + i];
        for j in 0..i {
            let mut s = 0.0;
            for k in j..i {
                s -= l[i * d + k] * li[k * d + j];
            }
            li[i * d + j] = s / l[i * d + i];
        }
    }
    let mut inv = vec![0.0f64; d * d];
    for i in 0..d {
        for j in 0..=i {
            let s: f64 = (i..d).map(|k| li[k * d + i] * li[k * d + j]).sum();
            inv[i * d + j] = s;
            inv[j * d + i] = s;
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    #[test]
    fn inverse_of_a_small_spd_matrix() {
        let a = [4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0];
        let inv = inverse_spd(&a, 3).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|k| a[i * 3 + k] * inv[k * 3 + j]).sum();
                assert!(
                    (v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12,
                    "{i}{j} {v}"
                );
            }
        }
        assert!(inverse_spd(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }

    use super::*;

    #[test]
    fn argmax_and_mean_rows() {
        assert_eq!(argmax(&[0.1, 0.7, 0.2]), (1, 0.7));
        assert_eq!(argmax(&[]).0, 0);
        assert_eq!(mean_rows(&[1.0, 2.0, 3.0, 4.0], 2), vec![2.0, 3.0]);
        assert_eq!(mean_rows(&[], 2), vec![0.0, 0.0]);
    }
}
