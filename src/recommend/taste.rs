//! What the listener's feedback does to "play next" and auto-DJ: a bias on each candidate's
//! similarity ([`super::similar::QueueOptions::bias`]).
//!
//! Two parts, added:
//! - **this session**: every finished, skipped, liked or disliked track is a point in sound
//!   (its genre and style vectors); a candidate close to a skipped one is pushed away, close to
//!   a finished or liked one pulled toward it. Newer feedback counts more.
//! - **across sessions**: a logistic regression on the same vectors, fitted from the history
//!   (tracks mostly finished against tracks mostly skipped, likes and dislikes counting double,
//!   each weighted down by its age), says how likely the listener is to finish a track.
//!
//! Pure arithmetic: no store, no clock (the caller says what time it is).

use std::collections::HashMap;

use super::similar::{Candidate, cosine};
use crate::library::TrackId;
use crate::store::history::{HistoryRecord, Rating};

/// How much one skip right after a pick pushes what sounds like it (at similarity 1).
pub const SKIP_PUSH: f32 = 0.45;
/// How much a finished track pulls what sounds like it.
pub const FINISH_PULL: f32 = 0.12;
/// How much a like pulls (and a dislike pushes: [`SKIP_PUSH`]).
pub const LIKE_PULL: f32 = 0.15;
/// The session's feedback kept (the oldest goes first).
pub const MAX_SESSION_FEEDBACK: usize = 64;
/// Each newer piece of feedback weighs this much more than the one before it.
const RECENCY: f32 = 0.92;
/// Below this similarity a piece of feedback says nothing about a candidate.
const NEAR: f32 = 0.5;
/// The most a bias pulls toward (so liking never outweighs how a track sounds) and pushes away.
pub const MAX_PULL: f32 = 0.2;
pub const MAX_PUSH: f32 = 0.8;
/// A bias this large (either way) is said in the pick's reason.
pub const SAID: f32 = 0.04;
/// The history's weight halves every this many days.
pub const HALF_LIFE_DAYS: f64 = 30.0;
/// How far the history's model moves a candidate at most (p = 0 or 1).
const MODEL_REACH: f32 = 0.3;

/// What a piece of feedback was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Finished,
    Skipped,
    Liked,
    Disliked,
}

impl Signal {
    fn weight(self) -> f32 {
        match self {
            Signal::Finished => FINISH_PULL,
            Signal::Liked => LIKE_PULL,
            Signal::Skipped | Signal::Disliked => -SKIP_PUSH,
        }
    }
}

/// A track's place in sound: its genre vector and (at half weight) its style vector, scaled
/// to length 1.
pub fn sound_of(c: &Candidate) -> Vec<f32> {
    let mut v: Vec<f32> = c.genre.to_vec();
    if let Some(s) = &c.style {
        v.extend(s.iter().map(|x| 0.5 * x));
    }
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 && n.is_finite() {
        v.iter_mut().for_each(|x| *x /= n);
    }
    v
}

/// The logistic regression of "finished" on a track's sound.
#[derive(Debug, Clone, PartialEq)]
pub struct TasteModel {
    pub weights: Vec<f32>,
    pub intercept: f32,
    /// How many tracks it was fitted on.
    pub examples: usize,
}

impl TasteModel {
    /// How likely the listener finishes a track that sounds like `x`.
    pub fn p_finish(&self, x: &[f32]) -> f32 {
        if x.len() != self.weights.len() {
            return 0.5;
        }
        let z: f32 = self.intercept + x.iter().zip(&self.weights).map(|(a, b)| a * b).sum::<f32>();
        1.0 / (1.0 + (-z).exp())
    }
}

/// One track of the history as an example: finished (1) or skipped (0), and its weight.
pub fn example_of(r: &HistoryRecord, now_unix: u64) -> Option<(bool, f32)> {
    let liked = match r.rating {
        Rating::Like => 2.0,
        Rating::Dislike => -2.0,
        Rating::None => 0.0,
    };
    let score = r.plays as f32 - r.skips as f32 + liked;
    if score == 0.0 {
        return None;
    }
    let last = r
        .last_played_unix
        .max(r.last_skipped_unix)
        .unwrap_or(r.updated_unix);
    let age_days = now_unix.saturating_sub(last) as f64 / 86_400.0;
    let decay = 0.5f64.powf(age_days / HALF_LIFE_DAYS) as f32;
    let strength = (score.abs()).min(5.0);
    Some((score > 0.0, strength * decay))
}

/// Fits the taste model on `examples` (sound, finished, weight): L2-regularised logistic
/// regression by gradient descent. `None` until both finished and skipped tracks are there.
pub fn fit(examples: &[(Vec<f32>, bool, f32)]) -> Option<TasteModel> {
    let dim = examples.first()?.0.len();
    let usable: Vec<&(Vec<f32>, bool, f32)> = examples
        .iter()
        .filter(|(x, _, w)| x.len() == dim && *w > 0.0 && w.is_finite())
        .collect();
    let pos = usable.iter().filter(|e| e.1).count();
    if pos == 0 || pos == usable.len() {
        return None;
    }
    let total: f32 = usable.iter().map(|e| e.2).sum();
    let mut w = vec![0.0f32; dim];
    let mut b = 0.0f32;
    let (rate, l2) = (2.0f32, 0.01f32);
    let mut grad = vec![0.0f32; dim];
    for _ in 0..300 {
        grad.iter_mut().for_each(|g| *g = 0.0);
        let mut gb = 0.0;
        for (x, y, wt) in &usable {
            let z: f32 = b + x.iter().zip(&w).map(|(a, c)| a * c).sum::<f32>();
            let p = 1.0 / (1.0 + (-z).exp());
            let err = (p - if *y { 1.0 } else { 0.0 }) * wt / total;
            gb += err;
            grad.iter_mut()
                .zip(x.iter())
                .for_each(|(g, xi)| *g += err * xi);
        }
        w.iter_mut()
            .zip(&grad)
            .for_each(|(wi, g)| *wi -= rate * (g + l2 * *wi));
        b -= rate * gb;
    }
    Some(TasteModel {
        weights: w,
        intercept: b,
        examples: usable.len(),
    })
}

/// The listener as the recommender sees them.
#[derive(Debug, Clone, Default)]
pub struct Taste {
    /// This session's feedback, oldest first: (sound, signal).
    session: Vec<(Vec<f32>, Signal)>,
    /// Fitted from the history (earlier sessions and this one).
    model: Option<TasteModel>,
}

/// Which way feedback moved a pick, for its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moved {
    /// "you finish tracks like this"
    Toward,
    /// "you skip tracks like this"
    Away,
}

impl Moved {
    pub fn of(bias: f32) -> Option<Moved> {
        if bias >= SAID {
            Some(Moved::Toward)
        } else if bias <= -SAID {
            Some(Moved::Away)
        } else {
            None
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Moved::Toward => "you finish tracks like this",
            Moved::Away => "you skip tracks like this",
        }
    }
}

impl Taste {
    /// Remembers a piece of this session's feedback on a track that sounds like `sound`.
    pub fn note(&mut self, sound: Vec<f32>, signal: Signal) {
        if self.session.len() >= MAX_SESSION_FEEDBACK {
            self.session.remove(0);
        }
        self.session.push((sound, signal));
    }

    pub fn set_model(&mut self, model: Option<TasteModel>) {
        self.model = model;
    }

    pub fn model(&self) -> Option<&TasteModel> {
        self.model.as_ref()
    }

    /// True when nothing would move a candidate.
    pub fn is_empty(&self) -> bool {
        self.session.is_empty() && self.model.is_none()
    }

    /// What the feedback adds to the similarity of a track that sounds like `sound`.
    pub fn bias(&self, sound: &[f32]) -> f32 {
        let n = self.session.len();
        let mut b = 0.0f32;
        for (i, (s, signal)) in self.session.iter().enumerate() {
            if s.len() != sound.len() {
                continue;
            }
            let near = ((cosine(s, sound) - NEAR) / (1.0 - NEAR)).max(0.0);
            let recency = RECENCY.powi((n - 1 - i) as i32);
            b += signal.weight() * near * near * recency;
        }
        if let Some(m) = &self.model {
            b += MODEL_REACH * 2.0 * (m.p_finish(sound) - 0.5);
        }
        if b.is_finite() {
            b.clamp(-MAX_PUSH, MAX_PULL)
        } else {
            0.0
        }
    }

    /// The bias of every candidate (those it moves).
    pub fn biases(&self, pool: &[Candidate]) -> HashMap<TrackId, f32> {
        if self.is_empty() {
            return HashMap::new();
        }
        pool.iter()
            .filter_map(|c| {
                let b = self.bias(&sound_of(c));
                (b != 0.0).then_some((c.id, b))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: u64, genre: &[f32]) -> Candidate {
        Candidate {
            id: TrackId(id),
            artist: String::new(),
            genre: genre.into(),
            style: None,
            known: true,
        }
    }

    #[test]
    fn a_skip_pushes_what_sounds_like_it_and_a_finish_pulls() {
        let country = cand(1, &[0.9, 0.1, 0.0]);
        let blues = cand(2, &[0.1, 0.9, 0.0]);
        let mut t = Taste::default();
        t.note(sound_of(&country), Signal::Skipped);
        assert!(t.bias(&sound_of(&cand(3, &[0.85, 0.15, 0.0]))) < -0.3);
        assert_eq!(t.bias(&sound_of(&blues)), 0.0);
        t.note(sound_of(&blues), Signal::Finished);
        let b = t.bias(&sound_of(&cand(4, &[0.15, 0.85, 0.0])));
        assert!(b > 0.0 && b <= MAX_PULL, "{b}");
        assert_eq!(Moved::of(-0.3), Some(Moved::Away));
        assert_eq!(Moved::of(0.0), None);
    }

    #[test]
    fn the_history_model_learns_what_is_finished_and_forgets_slowly() {
        let now = 100 * 86_400;
        let played = HistoryRecord {
            plays: 3,
            last_played_unix: Some(now),
            ..Default::default()
        };
        let skipped = HistoryRecord {
            skips: 2,
            last_skipped_unix: Some(now - 60 * 86_400),
            ..Default::default()
        };
        let (y, w) = example_of(&played, now).unwrap();
        assert!(y && (w - 3.0).abs() < 1e-3);
        let (y, w) = example_of(&skipped, now).unwrap();
        // Two half-lives old: a quarter of its weight.
        assert!(!y && (w - 0.5).abs() < 1e-3, "{w}");
        assert!(example_of(&HistoryRecord::default(), now).is_none());
        let jazz = sound_of(&cand(1, &[1.0, 0.0, 0.0]));
        let metal = sound_of(&cand(2, &[0.0, 1.0, 0.0]));
        let examples = vec![(jazz.clone(), true, 1.0), (metal.clone(), false, 1.0)];
        let m = fit(&examples).unwrap();
        assert!(m.p_finish(&jazz) > 0.7 && m.p_finish(&metal) < 0.3);
        // Only one side: nothing to learn.
        assert!(fit(&examples[..1]).is_none());
        let mut t = Taste::default();
        t.set_model(Some(m));
        assert!(t.bias(&jazz) > 0.0 && t.bias(&metal) < -0.1);
    }
}
