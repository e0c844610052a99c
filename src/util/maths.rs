//! Vector maths shared by the model, the recommender and the views.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_and_mean_rows() {
        assert_eq!(argmax(&[0.1, 0.7, 0.2]), (1, 0.7));
        assert_eq!(argmax(&[]).0, 0);
        assert_eq!(mean_rows(&[1.0, 2.0, 3.0, 4.0], 2), vec![2.0, 3.0]);
        assert_eq!(mean_rows(&[], 2), vec![0.0, 0.0]);
    }
}
