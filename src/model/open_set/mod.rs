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
//!    diagonal. Above `max_distance` the track is unsure — unless the model is sure of it:
//!    far from the training excerpts is not "none of my genres" (a well-produced metal song
//!    lies far from GTZAN's excerpts and is metal at 99.9 %). The distance is overruled when
//!    the calibrated confidence reaches `trust_confidence` *and* the trunk's own tagger —
//!    trained on the Million Song Dataset, far broader music than the head's excerpts —
//!    hears the same genre: its top tag is the one that names the genre (`genre_tags`). A
//!    confident head alone is not enough: noise can come out "classical" at 95 %, and no
//!    tagger calls noise classical.
//! 3. **Music at all**: the signal's music-likeness ([`crate::features::MusicCues::score`]:
//!    sustained sound or a beat, few pauses). Below `min_music` the track is unsure: speech,
//!    which the trunk's embedding places beside rap, is caught here.
//!
//! Thresholds are quantiles of held-out music (see [`OpenSetConfig::fitted`]); nothing is set
//! per file.

use super::error::Invalid;
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
    /// Unsure above this distance (below `trust_confidence`).
    pub max_distance: f32,
    /// At or above this calibrated confidence, when the trunk's tagger agrees (see
    /// `genre_tags`), the distance does not count: the model's word wins. Rules fitted before
    /// it existed have none (the distance always counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_confidence: Option<f32>,
    /// Per genre (the model's label order), the index of the trunk tag that names it (`None`
    /// for a genre no tag names: it is never trusted beyond the distance).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub genre_tags: Vec<Option<usize>>,
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
    /// How many embeddings it was fitted on (0 in rules written before this was kept): what
    /// a trained model's density pools it with its own tracks by.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rows: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
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

/// What the rule reads of a track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    /// The temperature-scaled probability of the top genre.
    pub confidence: f32,
    /// The distance from the training music (0 without an embedding or a density).
    pub distance: f32,
    /// Music-likeness (`None`: not measured, which does not count against the track).
    pub music: Option<f32>,
    /// The trunk's top tag names the top genre.
    pub tagger_agrees: bool,
}

/// Why the rule calls a track unsure (the first cue that fires, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unsure {
    /// Below the music-likeness floor: speech, noise, silence.
    NotMusic,
    /// The calibrated confidence is below `min_confidence`: none of the genres fits.
    LowConfidence,
    /// Beyond `max_distance`, and not trusted (below `trust_confidence`, or the tagger hears
    /// another genre).
    Far,
}

impl Unsure {
    pub fn name(self) -> &'static str {
        match self {
            Unsure::NotMusic => "not music-like",
            Unsure::LowConfidence => "low confidence",
            Unsure::Far => "far from the training music",
        }
    }
}

impl Density {
    /// No density: a rule without the distance cue (a model without a trunk embedding).
    pub fn none() -> Density {
        Density {
            dims: 0,
            mean: Vec::new(),
            precision: Vec::new(),
            rows: 0,
        }
    }

    /// Fits the density to `rows` (each `dims` long): the sample covariance shrunk as
    /// `(1 − λ)·S + λ·diag(S)` plus a small ridge, inverted.
    pub fn fit(rows: &[Vec<f32>], shrinkage: f64) -> Result<Density, Invalid> {
        let n = rows.len();
        let d = rows.first().map_or(0, Vec::len);
        if n < 2 || d == 0 || rows.iter().any(|r| r.len() != d) {
            return Err(Invalid(format!(
                "need at least 2 embeddings of one length to fit a density (have {n})"
            )));
        }
        let (sum, outer) = sums(rows, d);
        Self::from_sums(&sum, &outer, n, d, shrinkage)
            .ok_or_else(|| Invalid::from("the embedding covariance is not positive definite"))
    }

    /// This density's music pooled with more embeddings (a trained model's own tracks): the
    /// mean and covariance of both sets together, as if fitted on all of them (this one's
    /// covariance is its shrunk one), shrunk again. `None` when it cannot be pooled: no row
    /// count (an old rule), other dimensions, or a covariance that does not invert.
    pub fn pooled_with(&self, rows: &[Vec<f32>], shrinkage: f64) -> Option<Density> {
        let d = self.dims;
        if self.rows < 2 || d == 0 || rows.iter().any(|r| r.len() != d) {
            return None;
        }
        let mut precision = vec![0.0f64; d * d];
        let mut k = 0;
        for i in 0..d {
            for j in 0..=i {
                let v = *self.precision.get(k)? as f64;
                precision[i * d + j] = v;
                precision[j * d + i] = v;
                k += 1;
            }
        }
        let cov = crate::util::maths::inverse_spd(&precision, d)?;
        // Σ x xᵀ and Σ x of this density's rows, recovered from its mean and covariance.
        let nr = self.rows as f64;
        let (mut sum, mut outer) = sums(rows, d);
        for i in 0..d {
            let mi = self.mean[i] as f64;
            sum[i] += nr * mi;
            for j in 0..=i {
                outer[i * d + j] += (nr - 1.0) * cov[i * d + j] + nr * mi * self.mean[j] as f64;
            }
        }
        Self::from_sums(&sum, &outer, self.rows + rows.len(), d, shrinkage)
    }

    /// The density of `n` rows from their sum and the lower triangle of `Σ x xᵀ`.
    fn from_sums(
        sum: &[f64],
        outer: &[f64],
        n: usize,
        d: usize,
        shrinkage: f64,
    ) -> Option<Density> {
        if n < 2 {
            return None;
        }
        let mean: Vec<f64> = sum.iter().map(|s| s / n as f64).collect();
        let mut cov = vec![0.0f64; d * d];
        for i in 0..d {
            for j in 0..=i {
                cov[i * d + j] = (outer[i * d + j] - n as f64 * mean[i] * mean[j]) / (n - 1) as f64;
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
        let inv = crate::util::maths::inverse_spd(&cov, d)?;
        let mut precision = Vec::with_capacity(d * (d + 1) / 2);
        for i in 0..d {
            for j in 0..=i {
                precision.push(inv[i * d + j] as f32);
            }
        }
        Some(Density {
            dims: d,
            mean: mean.into_iter().map(|m| m as f32).collect(),
            precision,
            rows: n,
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

/// The sum of `rows` and the lower triangle of `Σ x xᵀ` (row-major `d × d`), in f64.
fn sums(rows: &[Vec<f32>], d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut sum = vec![0.0f64; d];
    let mut outer = vec![0.0f64; d * d];
    for r in rows {
        for i in 0..d {
            let xi = r[i] as f64;
            sum[i] += xi;
            for j in 0..=i {
                outer[i * d + j] += xi * r[j] as f64;
            }
        }
    }
    (sum, outer)
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
    /// What the rule reads of a track: its genre vector, pooled embedding, music-likeness and
    /// the trunk's tag vector (its style). A missing cue (a model without an embedding or
    /// tags, a clip too short to measure) does not count against the track.
    pub fn evidence(
        &self,
        genre: &[f32],
        embedding: Option<&[f32]>,
        music: Option<f32>,
        tags: Option<&[f32]>,
    ) -> Evidence {
        let scaled = scale(genre, self.temperature);
        let (top, confidence) = argmax(&scaled);
        let distance = embedding
            .and_then(|e| self.density.distance(e))
            .unwrap_or(0.0);
        let tagger_agrees = match (tags, self.genre_tags.get(top)) {
            (Some(t), Some(Some(tag))) if !t.is_empty() => argmax(t).0 == *tag,
            _ => false,
        };
        Evidence {
            confidence,
            distance,
            music,
            tagger_agrees,
        }
    }

    /// The verdict on a track (see [`OpenSetConfig::evidence`] for the inputs).
    pub fn judge(
        &self,
        genre: &[f32],
        embedding: Option<&[f32]>,
        music: Option<f32>,
        tags: Option<&[f32]>,
    ) -> Verdict {
        let e = self.evidence(genre, embedding, music, tags);
        Verdict {
            known: self.unsure_why(&e).is_none(),
            confidence: e.confidence,
            distance: e.distance,
            music: e.music,
        }
    }

    /// The rule itself: the first cue that makes a track unsure, or `None` for a known track.
    pub fn unsure_why(&self, e: &Evidence) -> Option<Unsure> {
        let trusted = e.tagger_agrees && self.trust_confidence.is_some_and(|t| e.confidence >= t);
        if let (Some(floor), Some(m)) = (self.min_music, e.music)
            && m < floor
        {
            Some(Unsure::NotMusic)
        } else if e.confidence < self.min_confidence {
            Some(Unsure::LowConfidence)
        } else if e.distance > self.max_distance && !trusted {
            Some(Unsure::Far)
        } else {
            None
        }
    }

    /// Checks the stored rule: finite numbers, a density of consistent size.
    pub fn validate(&self) -> Result<(), Invalid> {
        let d = self.density.dims;
        let finite = self.temperature.is_finite()
            && self.temperature > 0.0
            && self.min_confidence.is_finite()
            && self.max_distance.is_finite()
            && self.min_music.is_none_or(f32::is_finite)
            && self.trust_confidence.is_none_or(f32::is_finite);
        if !finite {
            return Err("open_set: temperature and thresholds must be finite numbers".into());
        }
        if self
            .genre_tags
            .iter()
            .flatten()
            .any(|&t| t >= crate::model::musicnn::MUSICNN_N_TAGS)
        {
            return Err("open_set: a genre tag index is out of range".into());
        }
        if self.density.mean.len() != d || self.density.precision.len() != d * (d + 1) / 2 {
            return Err(Invalid(format!(
                "open_set: the density has {} means and {} precision values for {d} dimensions",
                self.density.mean.len(),
                self.density.precision.len()
            )));
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
mod tests;
