//! The open-set rule: is a track one of the model's genres, or *unsure*?
//!
//! Two measured cues, both fitted on held-out data by `genreplay calibrate` and stored with the
//! model (`open_set` in its `config.json`):
//!
//! 1. **Confidence**: the track's genre vector (mean of the patch softmaxes) temperature-scaled
//!    in the log domain, `p_i ∝ exp(ln p_i / T)`, with `T` fitted by minimising the negative
//!    log-likelihood of out-of-fold predictions. Below `min_confidence` the track is unsure.
//! 2. **Out of distribution**: the Mahalanobis distance (per dimension, `√(zᵀ P z / d)`) of the
//!    track's pooled trunk embedding (the mean over patches of the trunk's penultimate layer)
//!    from the training tracks' pooled embeddings, with a covariance shrunk towards its
//!    diagonal. Above `max_distance` the track is unsure.
//! 3. **Music at all**: the signal's music-likeness ([`crate::features::MusicCues::score`]:
//!    sustained sound or a beat, few pauses). Below `min_music` the track is unsure: speech,
//!    which the trunk's embedding places beside rap, is caught here.
//!
//! Thresholds are quantiles of held-out music (see [`OpenSetConfig::fitted`]); nothing is set
//! per file.

use serde::{Deserialize, Serialize};

use crate::store::OpenSetRecord;
use crate::util::maths::argmax;

/// The open-set rule of a model (stored in its config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenSetConfig {
    /// Temperature applied to the log genre vector.
    pub temperature: f32,
    /// Unsure below this temperature-scaled top probability.
    pub min_confidence: f32,
    /// Unsure above this distance.
    pub max_distance: f32,
    /// Unsure below this music-likeness (rules fitted before the cue existed have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_music: Option<f32>,
    /// The pooled-embedding density the distance is measured against.
    pub density: Density,
    /// How the rule was fitted and what it measured (for the model card and `models`).
    #[serde(default)]
    pub fitted: String,
}

/// A Gaussian density of pooled embeddings: the mean and the packed lower triangle (row-major,
/// `i ≥ j`) of the precision matrix (the inverse of the shrunk covariance). In the JSON the
/// precision is one string of hex little-endian f32s (20,100 values for 200 dimensions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Density {
    pub dims: usize,
    pub mean: Vec<f32>,
    #[serde(with = "hex_f32")]
    pub precision: Vec<f32>,
}

/// f32s as one hex string (8 digits each, little-endian bytes): compact and exact.
mod hex_f32 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
        let mut out = String::with_capacity(v.len() * 8);
        for x in v {
            for b in x.to_le_bytes() {
                out.push_str(&format!("{b:02x}"));
            }
        }
        s.serialize_str(&out)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        let s = String::deserialize(d)?;
        if !s.len().is_multiple_of(8) || !s.is_ascii() {
            return Err(D::Error::custom(
                "precision: not a string of 8-digit hex f32s",
            ));
        }
        s.as_bytes()
            .chunks_exact(8)
            .map(|c| {
                let mut b = [0u8; 4];
                for (i, pair) in c.chunks_exact(2).enumerate() {
                    let t = std::str::from_utf8(pair).map_err(D::Error::custom)?;
                    b[i] = u8::from_str_radix(t, 16).map_err(D::Error::custom)?;
                }
                Ok(f32::from_le_bytes(b))
            })
            .collect()
    }
}

/// A track's verdict with the numbers behind it.
pub type Verdict = OpenSetRecord;

impl Density {
    /// Fits the density to `rows` (each `dims` long): the sample covariance shrunk as
    /// `(1 − λ)·S + λ·diag(S)` plus a small ridge, inverted.
    pub fn fit(rows: &[Vec<f32>], shrinkage: f64) -> Result<Density, String> {
        let n = rows.len();
        let d = rows.first().map_or(0, Vec::len);
        if n < 2 || d == 0 || rows.iter().any(|r| r.len() != d) {
            return Err(format!(
                "need at least 2 embeddings of one length to fit a density (have {n})"
            ));
        }
        let mut mean = vec![0.0f64; d];
        for r in rows {
            for (m, &v) in mean.iter_mut().zip(r) {
                *m += v as f64 / n as f64;
            }
        }
        let mut cov = vec![0.0f64; d * d];
        for r in rows {
            let z: Vec<f64> = r.iter().zip(&mean).map(|(&v, m)| v as f64 - m).collect();
            for i in 0..d {
                for j in 0..=i {
                    cov[i * d + j] += z[i] * z[j] / (n - 1) as f64;
                }
            }
        }
        let lam = shrinkage.clamp(0.0, 1.0);
        let mean_var = (0..d).map(|i| cov[i * d + i]).sum::<f64>() / d as f64;
        let ridge = 1e-6 * mean_var.max(1e-12);
        for i in 0..d {
            for j in 0..i {
                cov[i * d + j] *= 1.0 - lam;
                cov[j * d + i] = cov[i * d + j];
            }
            cov[i * d + i] += ridge;
        }
        let inv = crate::util::maths::inverse_spd(&cov, d)
            .ok_or("the embedding covariance is not positive definite")?;
        let mut precision = Vec::with_capacity(d * (d + 1) / 2);
        for i in 0..d {
            for j in 0..=i {
                precision.push(inv[i * d + j] as f32);
            }
        }
        Ok(Density {
            dims: d,
            mean: mean.into_iter().map(|m| m as f32).collect(),
            precision,
        })
    }

    /// Distance per dimension, `√(zᵀ P z / d)`; `None` when `x` has the wrong length or the
    /// stored density is malformed.
    pub fn distance(&self, x: &[f32]) -> Option<f32> {
        let d = self.dims;
        if x.len() != d || self.mean.len() != d || self.precision.len() != d * (d + 1) / 2 {
            return None;
        }
        let z: Vec<f64> = x
            .iter()
            .zip(&self.mean)
            .map(|(&v, &m)| (v - m) as f64)
            .collect();
        let mut q = 0.0f64;
        let mut k = 0;
        for i in 0..d {
            for j in 0..i {
                q += 2.0 * self.precision[k] as f64 * z[i] * z[j];
                k += 1;
            }
            q += self.precision[k] as f64 * z[i] * z[i];
            k += 1;
        }
        Some((q.max(0.0) / d as f64).sqrt() as f32)
    }
}

/// Temperature scaling of a probability vector in the log domain: `p_i^{1/T}`, normalised.
pub fn scale(p: &[f32], temperature: f32) -> Vec<f32> {
    let t = temperature.max(1e-3) as f64;
    let logs: Vec<f64> = p.iter().map(|&v| (v.max(1e-12) as f64).ln() / t).collect();
    let m = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = logs.iter().map(|l| (l - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| (v / s) as f32).collect()
}

/// The mean negative log-likelihood of `truth` under the scaled vectors.
pub fn nll(vectors: &[(Vec<f32>, usize)], temperature: f32) -> f64 {
    if vectors.is_empty() {
        return 0.0;
    }
    vectors
        .iter()
        .map(|(p, t)| {
            let q = scale(p, temperature);
            -(q.get(*t).copied().unwrap_or(0.0).max(1e-12) as f64).ln()
        })
        .sum::<f64>()
        / vectors.len() as f64
}

/// The temperature minimising [`nll`], searched over 0.05–20 (golden section on ln T).
pub fn fit_temperature(vectors: &[(Vec<f32>, usize)]) -> f32 {
    let f = |lt: f64| nll(vectors, lt.exp() as f32);
    let (mut a, mut b) = (0.05f64.ln(), 20f64.ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..60 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    ((a + b) / 2.0).exp() as f32
}

/// Expected calibration error: top-probability bins of width 1/`bins`, the gap between mean
/// confidence and accuracy per bin, weighted by the bin's share of tracks.
pub fn ece(vectors: &[(Vec<f32>, usize)], bins: usize) -> f64 {
    let bins = bins.max(1);
    let mut conf = vec![0.0f64; bins];
    let mut hits = vec![0.0f64; bins];
    let mut count = vec![0usize; bins];
    for (p, t) in vectors {
        let (i, c) = argmax(p);
        let b = ((c as f64 * bins as f64) as usize).min(bins - 1);
        conf[b] += c as f64;
        hits[b] += if i == *t { 1.0 } else { 0.0 };
        count[b] += 1;
    }
    let n = vectors.len().max(1) as f64;
    (0..bins)
        .filter(|&b| count[b] > 0)
        .map(|b| (conf[b] - hits[b]).abs() / n)
        .sum()
}

/// The `q`-quantile (0–1) of `values` (linear interpolation; `None` when empty).
pub fn quantile(values: &[f32], q: f64) -> Option<f32> {
    let mut v: Vec<f32> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let w = (pos - lo as f64) as f32;
    Some(v[lo] * (1.0 - w) + v[hi] * w)
}

impl OpenSetConfig {
    /// The verdict on a track from its genre vector, pooled embedding and music-likeness. A
    /// missing cue (a model without an embedding, a clip too short to measure) does not count
    /// against the track.
    pub fn judge(&self, genre: &[f32], embedding: Option<&[f32]>, music: Option<f32>) -> Verdict {
        let scaled = scale(genre, self.temperature);
        let confidence = argmax(&scaled).1;
        let distance = embedding
            .and_then(|e| self.density.distance(e))
            .unwrap_or(0.0);
        let musical = match (self.min_music, music) {
            (Some(floor), Some(m)) => m >= floor,
            _ => true,
        };
        Verdict {
            known: confidence >= self.min_confidence && distance <= self.max_distance && musical,
            confidence,
            distance,
        }
    }

    /// Checks the stored rule: finite numbers, a density of consistent size.
    pub fn validate(&self) -> Result<(), String> {
        let d = self.density.dims;
        let finite = self.temperature.is_finite()
            && self.temperature > 0.0
            && self.min_confidence.is_finite()
            && self.max_distance.is_finite()
            && self.min_music.is_none_or(f32::is_finite);
        if !finite {
            return Err("open_set: temperature and thresholds must be finite numbers".into());
        }
        if self.density.mean.len() != d || self.density.precision.len() != d * (d + 1) / 2 {
            return Err(format!(
                "open_set: the density has {} means and {} precision values for {d} dimensions",
                self.density.mean.len(),
                self.density.precision.len()
            ));
        }
        if self
            .density
            .mean
            .iter()
            .chain(&self.density.precision)
            .any(|v| !v.is_finite())
        {
            return Err("open_set: the density holds non-finite numbers".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_scaling_keeps_the_order_and_flattens_or_sharpens() {
        let p = [0.7, 0.2, 0.1];
        assert!((scale(&p, 1.0)[0] - 0.7).abs() < 1e-6);
        let flat = scale(&p, 3.0);
        let sharp = scale(&p, 0.5);
        assert!(flat[0] < 0.7 && flat[0] > flat[1] && flat[1] > flat[2]);
        assert!(sharp[0] > 0.7);
        assert!((flat.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn fitted_temperature_undoes_overconfidence() {
        // Always 90% sure, right 60% of the time: the fitted T flattens the top towards 0.6.
        let mut v = Vec::new();
        for i in 0..100 {
            let truth = if i % 10 < 6 { 0 } else { 1 };
            v.push((vec![0.9, 0.05, 0.05], truth));
        }
        let t = fit_temperature(&v);
        assert!(t > 1.0, "{t}");
        let top = scale(&[0.9, 0.05, 0.05], t)[0];
        assert!((top - 0.6).abs() < 0.05, "{top}");
        assert!(ece(&v, 10) > 0.25);
        let scaled: Vec<(Vec<f32>, usize)> = v.iter().map(|(p, l)| (scale(p, t), *l)).collect();
        assert!(ece(&scaled, 10) < 0.05, "{}", ece(&scaled, 10));
        assert!(nll(&v, t) < nll(&v, 1.0));
    }

    #[test]
    fn mahalanobis_distance_follows_the_spread() {
        // x varies ten times more than y: a step of 1 in y is further than a step of 1 in x.
        let rows: Vec<Vec<f32>> = (0..200)
            .map(|i| {
                let a = ((i * 37) % 101) as f32 / 101.0 - 0.5;
                let b = ((i * 53) % 97) as f32 / 97.0 - 0.5;
                vec![10.0 * a, b]
            })
            .collect();
        let d = Density::fit(&rows, 0.0).unwrap();
        let dx = d.distance(&[1.0, 0.0]).unwrap();
        let dy = d.distance(&[0.0, 1.0]).unwrap();
        assert!(dy > 5.0 * dx, "{dx} {dy}");
        assert!(d.distance(&[0.0]).is_none());
        assert!(Density::fit(&rows[..1], 0.5).is_err());
    }

    #[test]
    fn the_rule_needs_every_cue() {
        let rows: Vec<Vec<f32>> = (0..50)
            .map(|i| vec![(i % 7) as f32 / 7.0, (i % 5) as f32 / 5.0])
            .collect();
        let rule = OpenSetConfig {
            temperature: 1.0,
            min_confidence: 0.5,
            max_distance: 3.0,
            min_music: Some(0.5),
            density: Density::fit(&rows, 0.3).unwrap(),
            fitted: String::new(),
        };
        rule.validate().unwrap();
        assert!(rule.judge(&[0.8, 0.2], Some(&[0.4, 0.4]), Some(0.9)).known);
        assert!(
            !rule
                .judge(&[0.4, 0.35, 0.25], Some(&[0.4, 0.4]), Some(0.9))
                .known
        );
        assert!(
            !rule
                .judge(&[0.8, 0.2], Some(&[40.0, -30.0]), Some(0.9))
                .known
        );
        // Speech: confident and close to the music, but not music-like.
        assert!(!rule.judge(&[0.8, 0.2], Some(&[0.4, 0.4]), Some(0.3)).known);
        // A missing cue does not count against the track; a rule without the floor ignores it.
        assert!(rule.judge(&[0.8, 0.2], Some(&[0.4, 0.4]), None).known);
        let old = OpenSetConfig {
            min_music: None,
            ..rule.clone()
        };
        assert!(old.judge(&[0.8, 0.2], Some(&[0.4, 0.4]), Some(0.3)).known);
        let old_json = serde_json::to_string(&old).unwrap();
        assert!(!old_json.contains("min_music"), "{old_json}");
        assert_eq!(quantile(&[3.0, 1.0, 2.0], 0.5), Some(2.0));
        let json = serde_json::to_string(&rule).unwrap();
        let back: OpenSetConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rule);
        let bad = json.replace(r#""precision":""#, r#""precision":"zz"#);
        assert!(serde_json::from_str::<OpenSetConfig>(&bad).is_err());
        assert_eq!(quantile(&[], 0.5), None);
    }
}
