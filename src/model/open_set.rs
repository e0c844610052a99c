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

    /// A two-dimensional rule: confidence 0.5, distance 3, music 0.5, no trust level.
    fn toy_rule() -> OpenSetConfig {
        let rows: Vec<Vec<f32>> = (0..50)
            .map(|i| vec![(i % 7) as f32 / 7.0, (i % 5) as f32 / 5.0])
            .collect();
        OpenSetConfig {
            temperature: 1.0,
            min_confidence: 0.5,
            max_distance: 3.0,
            trust_confidence: None,
            genre_tags: vec![],
            min_music: Some(0.5),
            density: Density::fit(&rows, 0.3).unwrap(),
            fitted: String::new(),
        }
    }

    #[test]
    fn the_rule_needs_every_cue() {
        let rule = toy_rule();
        rule.validate().unwrap();
        assert!(
            rule.judge(&[0.8, 0.2], Some(&[0.4, 0.4]), Some(0.9), None)
                .known
        );
        assert!(
            !rule
                .judge(&[0.4, 0.35, 0.25], Some(&[0.4, 0.4]), Some(0.9), None)
                .known
        );
        assert!(
            !rule
                .judge(&[0.8, 0.2], Some(&[40.0, -30.0]), Some(0.9), None)
                .known
        );
        // Speech: confident and close to the music, but not music-like.
        assert!(
            !rule
                .judge(&[0.8, 0.2], Some(&[0.4, 0.4]), Some(0.3), None)
                .known
        );
        // A missing cue does not count against the track; a rule without the floor ignores it.
        assert!(rule.judge(&[0.8, 0.2], Some(&[0.4, 0.4]), None, None).known);
        let old = OpenSetConfig {
            min_music: None,
            ..rule.clone()
        };
        assert!(
            old.judge(&[0.8, 0.2], Some(&[0.4, 0.4]), Some(0.3), None)
                .known
        );
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

    #[test]
    fn confident_music_the_tagger_agrees_with_is_trusted_however_far_it_lies() {
        // Genre 0 is named by tag 2; genre 1 by no tag.
        let rule = OpenSetConfig {
            trust_confidence: Some(0.95),
            genre_tags: vec![Some(2), None],
            ..toy_rule()
        };
        rule.validate().unwrap();
        let far = [40.0, -30.0];
        let agrees = [0.1, 0.2, 0.7];
        let hears_other = [0.7, 0.2, 0.1];
        // Far, 99 % sure, and the tagger's top tag names the genre: the model's word wins.
        let v = rule.judge(&[0.99, 0.01], Some(&far), Some(0.9), Some(&agrees));
        assert!(v.known && v.distance > 3.0, "{v:?}");
        // The same without the tagger's agreement (or without tags): unsure, and why.
        for tags in [Some(&hears_other[..]), None] {
            let e = rule.evidence(&[0.99, 0.01], Some(&far), Some(0.9), tags);
            assert!(!e.tagger_agrees);
            assert_eq!(rule.unsure_why(&e), Some(Unsure::Far));
        }
        // A genre no tag names is never trusted beyond the distance.
        assert!(
            !rule
                .judge(&[0.01, 0.99], Some(&far), Some(0.9), Some(&agrees))
                .known
        );
        // Far at a middling confidence, the tagger agreeing: unsure.
        let e = rule.evidence(&[0.8, 0.2], Some(&far), Some(0.9), Some(&agrees));
        assert!(e.tagger_agrees);
        assert_eq!(rule.unsure_why(&e), Some(Unsure::Far));
        // Trust never overrules the other cues.
        let sure = |music, confidence| Evidence {
            confidence,
            distance: 10.0,
            music,
            tagger_agrees: true,
        };
        assert_eq!(
            rule.unsure_why(&sure(Some(0.2), 0.99)),
            Some(Unsure::NotMusic)
        );
        let high_floor = OpenSetConfig {
            min_confidence: 0.98,
            ..rule.clone()
        };
        assert_eq!(
            high_floor.unsure_why(&sure(Some(0.9), 0.96)),
            Some(Unsure::LowConfidence)
        );
        assert_eq!(rule.unsure_why(&sure(None, 0.96)), None);
        // Without a trust level (rules fitted before it) the distance always counts.
        let old = OpenSetConfig {
            trust_confidence: None,
            genre_tags: vec![],
            ..rule.clone()
        };
        assert!(
            !old.judge(&[0.99, 0.01], Some(&far), Some(0.9), Some(&agrees))
                .known
        );
        let old_json = serde_json::to_string(&old).unwrap();
        assert!(!old_json.contains("trust") && !old_json.contains("genre_tags"));
        let back: OpenSetConfig =
            serde_json::from_str(&serde_json::to_string(&rule).unwrap()).unwrap();
        assert_eq!(back, rule);
        // No density (a model without a trunk embedding): the distance cue is off.
        let plain = OpenSetConfig {
            density: Density::none(),
            ..rule.clone()
        };
        plain.validate().unwrap();
        assert!(plain.judge(&[0.8, 0.2], Some(&far), Some(0.9), None).known);
        assert!(plain.judge(&[0.8, 0.2], None, None, None).known);
        for bad in [
            OpenSetConfig {
                trust_confidence: Some(f32::NAN),
                ..rule.clone()
            },
            OpenSetConfig {
                genre_tags: vec![Some(50), None],
                ..rule
            },
        ] {
            assert!(bad.validate().is_err());
        }
    }

    #[test]
    fn a_density_pools_with_more_rows_as_if_fitted_on_both() {
        let a: Vec<Vec<f32>> = (0..80)
            .map(|i| {
                let x = ((i * 37) % 101) as f32 / 101.0;
                let y = ((i * 53) % 97) as f32 / 97.0;
                vec![x, 0.5 * x + y, 2.0 - y]
            })
            .collect();
        let b: Vec<Vec<f32>> = (0..40)
            .map(|i| {
                let x = ((i * 29) % 89) as f32 / 89.0;
                vec![3.0 + x, 1.0 - x, 0.2 * x]
            })
            .collect();
        let both: Vec<Vec<f32>> = a.iter().chain(&b).cloned().collect();
        let direct = Density::fit(&both, 0.0).unwrap();
        let pooled = Density::fit(&a, 0.0).unwrap().pooled_with(&b, 0.0).unwrap();
        assert_eq!((direct.rows, pooled.rows), (120, 120));
        for (x, y) in direct.mean.iter().zip(&pooled.mean) {
            assert!((x - y).abs() < 1e-4, "{x} {y}");
        }
        for p in [[0.5, 0.5, 1.5], [3.5, 0.5, 0.1], [10.0, -4.0, 3.0]] {
            let (x, y) = (direct.distance(&p).unwrap(), pooled.distance(&p).unwrap());
            // Equal up to the small ridge, added once more when pooling.
            assert!((x - y).abs() < 1e-2 * x.max(1.0), "{p:?}: {x} {y}");
        }
        // Far from `a` alone is near once `b` is in.
        let alone = Density::fit(&a, 0.3).unwrap();
        let with_b = alone.pooled_with(&b, 0.3).unwrap();
        assert!(
            with_b.distance(&[3.5, 0.5, 0.1]).unwrap() < alone.distance(&[3.5, 0.5, 0.1]).unwrap()
        );
        // Not poolable: no row count, other dimensions.
        let old = Density {
            rows: 0,
            ..alone.clone()
        };
        assert!(old.pooled_with(&b, 0.3).is_none());
        assert!(alone.pooled_with(&[vec![1.0, 2.0]], 0.3).is_none());
        let json = serde_json::to_string(&old).unwrap();
        assert!(!json.contains("rows"), "{json}");
    }
}
