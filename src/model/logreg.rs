//! Multinomial logistic regression with an L2 penalty, fitted by full-batch accelerated
//! gradient descent: the pooled genre head (one feature row per track). Features are
//! standardised on the training rows; the fitted weights are given back in the raw feature
//! space, so the head needs no statistics of its own.

use super::error::Invalid;

/// A fitted classifier: `logits = x · weights + bias`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogReg {
    pub inputs: usize,
    pub classes: usize,
    /// `inputs × classes`, row-major.
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
    /// The penalised mean cross-entropy at the end (standardised space).
    pub loss: f64,
    pub iterations: usize,
}

/// How the regression is fitted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogRegOptions {
    /// The penalty `l2 / 2 · ‖W‖²` on the standardised weights (the bias is not penalised),
    /// added to the mean cross-entropy.
    pub l2: f64,
    pub max_iterations: usize,
    /// Stop when the gradient's largest entry is below this.
    pub tolerance: f64,
}

impl Default for LogRegOptions {
    fn default() -> Self {
        LogRegOptions {
            l2: 0.1,
            max_iterations: 3000,
            tolerance: 1e-5,
        }
    }
}

/// Mean cross-entropy + penalty and its gradient at `theta` (`(d + 1) × k`: the weights, then
/// the bias row) over standardised rows `z` (`n × d`).
fn loss_grad(
    z: &[f64],
    y: &[usize],
    d: usize,
    k: usize,
    l2: f64,
    theta: &[f64],
) -> (f64, Vec<f64>) {
    let n = y.len();
    let mut grad = vec![0.0f64; (d + 1) * k];
    let mut loss = 0.0f64;
    let mut logits = vec![0.0f64; k];
    for (row, &label) in z.chunks_exact(d).zip(y) {
        logits.copy_from_slice(&theta[d * k..(d + 1) * k]);
        for (j, &x) in row.iter().enumerate() {
            if x != 0.0 {
                let w = &theta[j * k..(j + 1) * k];
                for (l, wv) in logits.iter_mut().zip(w) {
                    *l += x * wv;
                }
            }
        }
        let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut sum = 0.0;
        for l in logits.iter_mut() {
            *l = (*l - max).exp();
            sum += *l;
        }
        for l in logits.iter_mut() {
            *l /= sum;
        }
        loss -= logits[label].max(1e-300).ln();
        logits[label] -= 1.0;
        for (j, &x) in row.iter().enumerate() {
            if x != 0.0 {
                let g = &mut grad[j * k..(j + 1) * k];
                for (gv, p) in g.iter_mut().zip(&logits) {
                    *gv += x * p;
                }
            }
        }
        for (gv, p) in grad[d * k..].iter_mut().zip(&logits) {
            *gv += p;
        }
    }
    let inv = 1.0 / n.max(1) as f64;
    loss *= inv;
    for g in &mut grad {
        *g *= inv;
    }
    for (g, w) in grad[..d * k].iter_mut().zip(&theta[..d * k]) {
        *g += l2 * w;
        loss += 0.5 * l2 * w * w;
    }
    (loss, grad)
}

/// The largest eigenvalue of `[z 1]ᵀ[z 1] / n` (power iteration): bounds the curvature.
fn top_eigenvalue(z: &[f64], n: usize, d: usize) -> f64 {
    let mut v = vec![1.0 / ((d + 1) as f64).sqrt(); d + 1];
    let mut lambda = 1.0;
    for _ in 0..60 {
        let mut out = vec![0.0f64; d + 1];
        for row in z.chunks_exact(d) {
            let s: f64 = row.iter().zip(&v).map(|(a, b)| a * b).sum::<f64>() + v[d];
            for (o, &x) in out.iter_mut().zip(row) {
                *o += s * x;
            }
            out[d] += s;
        }
        let norm = out.iter().map(|x| x * x).sum::<f64>().sqrt() / n.max(1) as f64;
        if norm <= 0.0 {
            break;
        }
        lambda = norm;
        let scale = 1.0 / (norm * n.max(1) as f64);
        v = out.iter().map(|x| x * scale).collect();
    }
    lambda
}

/// Fits the regression on `rows` (`n × inputs`, row-major) with labels `y` in `0..classes`.
/// `on_progress(iteration, loss)` is called every `max_iterations / 10` iterations; returning
/// false stops the fit there.
pub fn fit(
    rows: &[f32],
    y: &[usize],
    inputs: usize,
    classes: usize,
    opts: &LogRegOptions,
    on_progress: &mut dyn FnMut(usize, f64, &LogReg) -> bool,
) -> Result<LogReg, Invalid> {
    let n = y.len();
    let d = inputs;
    let k = classes;
    if n == 0 || d == 0 || k < 2 || rows.len() != n * d {
        return Err(Invalid(format!(
            "{} values for {n} rows of {d} features ({k} classes)",
            rows.len()
        )));
    }
    if let Some(bad) = y.iter().find(|&&l| l >= k) {
        return Err(Invalid(format!("label {bad} out of range for {k} classes")));
    }
    if rows.iter().any(|v| !v.is_finite()) {
        return Err("non-finite features".into());
    }
    // Standardise on the training rows (a constant feature gets scale 1).
    let mut mean = vec![0.0f64; d];
    for r in rows.chunks_exact(d) {
        for (m, &v) in mean.iter_mut().zip(r) {
            *m += v as f64;
        }
    }
    for m in &mut mean {
        *m /= n as f64;
    }
    let mut sd = vec![0.0f64; d];
    for r in rows.chunks_exact(d) {
        for ((s, &v), m) in sd.iter_mut().zip(r).zip(&mean) {
            *s += (v as f64 - m).powi(2);
        }
    }
    for s in &mut sd {
        *s = (*s / n as f64).sqrt();
        if *s < 1e-8 {
            *s = 1.0;
        }
    }
    let z: Vec<f64> = rows
        .chunks_exact(d)
        .flat_map(|r| {
            r.iter()
                .zip(&mean)
                .zip(&sd)
                .map(|((&v, m), s)| (v as f64 - m) / s)
        })
        .collect();
    let l2 = opts.l2.max(0.0);
    // Softmax cross-entropy has curvature at most 1/2 of the data's (times I over classes).
    let lipschitz = 0.5 * top_eigenvalue(&z, n, d) + l2;
    let step = 1.0 / lipschitz.max(1e-12);
    let size = (d + 1) * k;
    let mut theta = vec![0.0f64; size];
    let mut prev = theta.clone();
    let mut t = 1.0f64;
    let report_every = (opts.max_iterations / 10).max(1);
    let mut loss = f64::NAN;
    let mut iterations = 0;
    let to_raw = |theta: &[f64], loss: f64, iterations: usize| -> LogReg {
        // x_s = (x - μ) / σ  ⇒  logits = x · (W / σ) + (b - Σ μ / σ · W).
        let mut weights = vec![0.0f32; d * k];
        let mut bias: Vec<f64> = theta[d * k..].to_vec();
        for j in 0..d {
            for c in 0..k {
                let w = theta[j * k + c] / sd[j];
                weights[j * k + c] = w as f32;
                bias[c] -= mean[j] * w;
            }
        }
        LogReg {
            inputs: d,
            classes: k,
            weights,
            bias: bias.iter().map(|&b| b as f32).collect(),
            loss,
            iterations,
        }
    };
    for it in 1..=opts.max_iterations.max(1) {
        // Nesterov: the gradient at the extrapolated point.
        let t_next = (1.0 + (1.0 + 4.0 * t * t).sqrt()) / 2.0;
        let beta = (t - 1.0) / t_next;
        let look: Vec<f64> = theta
            .iter()
            .zip(&prev)
            .map(|(a, b)| a + beta * (a - b))
            .collect();
        let (_, g) = loss_grad(&z, y, d, k, l2, &look);
        prev = std::mem::replace(
            &mut theta,
            look.iter().zip(&g).map(|(a, b)| a - step * b).collect(),
        );
        t = t_next;
        iterations = it;
        let max_g = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let done = max_g < opts.tolerance || it == opts.max_iterations;
        if it % report_every == 0 || done {
            loss = loss_grad(&z, y, d, k, l2, &theta).0;
            if !on_progress(it, loss, &to_raw(&theta, loss, it)) {
                break;
            }
        }
        if done {
            break;
        }
    }
    if !loss.is_finite() {
        loss = loss_grad(&z, y, d, k, l2, &theta).0;
    }
    Ok(to_raw(&theta, loss, iterations))
}

impl LogReg {
    /// Class probabilities of one row.
    pub fn probs(&self, x: &[f32]) -> Vec<f32> {
        let k = self.classes;
        let mut logits: Vec<f64> = self.bias.iter().map(|&b| b as f64).collect();
        for (j, &v) in x.iter().enumerate().take(self.inputs) {
            for (c, l) in logits.iter_mut().enumerate() {
                *l += v as f64 * self.weights[j * k + c] as f64;
            }
        }
        let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
        let s: f64 = e.iter().sum();
        e.iter().map(|v| (v / s) as f32).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_two_blobs_and_the_raw_weights_match_the_standardised_fit() {
        // Two classes along the first feature, a constant second feature, an offset scale.
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for i in 0..40 {
            let c = i % 2;
            let x = if c == 0 { -1.0 } else { 1.0 } * (1.0 + (i as f32) * 0.01) * 100.0 + 500.0;
            rows.extend_from_slice(&[x, 3.0, (i as f32 * 0.37).sin()]);
            y.push(c);
        }
        let opts = LogRegOptions {
            l2: 0.01,
            ..Default::default()
        };
        let m = fit(&rows, &y, 3, 2, &opts, &mut |_, _, _| true).unwrap();
        for (r, &c) in rows.chunks_exact(3).zip(&y) {
            let p = m.probs(r);
            assert!(p[c] > 0.9, "{p:?}");
        }
        assert!(m.loss.is_finite() && m.loss < 0.3);
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(
            fit(
                &[1.0, 2.0],
                &[0],
                3,
                2,
                &Default::default(),
                &mut |_, _, _| true
            )
            .is_err()
        );
        assert!(
            fit(
                &[1.0, 2.0],
                &[5],
                2,
                2,
                &Default::default(),
                &mut |_, _, _| true
            )
            .is_err()
        );
    }
}
