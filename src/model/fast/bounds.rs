//! Interval arithmetic over the trunk's layers: the bounds that prove a channel constant over
//! every input the front end can produce, and batch norm as an affine map.

use crate::model::error::WeightsError;
use crate::model::musicnn::{MUSICNN_BN_EPSILON, SafetensorsF32};

/// An interval `[lo, hi]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Range {
    pub(super) lo: f64,
    pub(super) hi: f64,
}

impl Range {
    pub(super) fn point(v: f64) -> Self {
        Range { lo: v, hi: v }
    }
    /// Widened to include 0 (a zero-padded position).
    pub(super) fn with_zero(self) -> Self {
        Range {
            lo: self.lo.min(0.0),
            hi: self.hi.max(0.0),
        }
    }
    pub(super) fn spread(self) -> f64 {
        self.hi - self.lo
    }
    pub(super) fn mid(self) -> f64 {
        0.5 * (self.lo + self.hi)
    }
}

/// Interval of `bn(relu(z))` for `z ∈ zr`.
pub(super) fn relu_bn_range(zr: Range, scale: f64, shift: f64) -> Range {
    let (a, b) = (
        zr.lo.max(0.0) * scale + shift,
        zr.hi.max(0.0) * scale + shift,
    );
    Range {
        lo: a.min(b),
        hi: a.max(b),
    }
}

/// Interval of `bias + Σ w_i · x_i` with `x_i ∈ ranges[i]`.
pub(super) fn dot_range(bias: f64, terms: impl Iterator<Item = (f32, Range)>) -> Range {
    let (mut lo, mut hi) = (bias, bias);
    for (w, r) in terms {
        let w = w as f64;
        let (a, b) = (w * r.lo, w * r.hi);
        lo += a.min(b);
        hi += a.max(b);
    }
    Range { lo, hi }
}

/// Batch norm as `x · scale + shift`.
pub(super) fn bn_affine(
    st: &SafetensorsF32<'_>,
    prefix: &str,
    n: usize,
) -> Result<(Vec<f64>, Vec<f64>), WeightsError> {
    let get = |what: &str| st.get_shaped(&format!("{prefix}.{what}"), &[n]);
    let (g, b, m, v) = (
        get("gamma")?,
        get("beta")?,
        get("moving_mean")?,
        get("moving_variance")?,
    );
    let scale: Vec<f64> = g
        .iter()
        .zip(&v)
        .map(|(&g, &v)| g as f64 / (v as f64 + MUSICNN_BN_EPSILON).sqrt())
        .collect();
    let shift = b
        .iter()
        .zip(&m)
        .zip(&scale)
        .map(|((&b, &m), &s)| b as f64 - m as f64 * s)
        .collect();
    Ok((scale, shift))
}

pub(super) fn round_up(n: usize, m: usize) -> usize {
    n.div_ceil(m) * m
}
