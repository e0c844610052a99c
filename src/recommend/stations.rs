//! Stations: queues from more than one seed. *Your mix* (the taste centroid of the listening
//! history), *a path from A to B* (steps through sound from one track to another) and *a mix of
//! several seeds* (with seeds to sound less like). Pure functions over vectors, as
//! [`super::similar`]; no store, no clock (the caller says what time it is), no UI.
//!
//! All three work in the space of [`sound_of`]: a track's genre vector and (at half weight) its
//! style vector, scaled to length 1, so distances are angles and every point of a path between
//! two tracks is again a point of unit length.

use std::collections::{HashMap, HashSet};

use super::similar::{Bias, Candidate, QueueOptions, cosine, similarity};
use super::taste::{self, HALF_LIFE_DAYS, sound_of};
use crate::library::TrackId;
use crate::store::history::{HistoryRecord, Rating};
use crate::util::maths::argmax;

/// Why a station could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StationError {
    #[error("no listening history yet: play some tracks first")]
    NoHistory,
    #[error(
        "nothing to go by yet: the tracks in the history were mostly skipped or disliked; play (and like) some tracks first"
    )]
    NothingLiked,
    #[error("a path needs two different tracks")]
    SameEnds,
    #[error("a path has at least 2 steps (asked for {0})")]
    TooFewSteps(usize),
    #[error("no seed to sound like: mark at least one track (not only \"less like this\")")]
    NoSeeds,
}

/// One track a station chose, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct StationPick {
    pub track: TrackId,
    /// Your mix: cosine to the taste centroid; a path: to its step's point; seeds: the least
    /// similarity to any seed (every seed is at least this similar).
    pub similarity: f32,
    /// The pick's top genre (label index).
    pub genre: usize,
    /// A path's step, from 1 (A) to the path's length (B).
    pub step: Option<usize>,
    /// What the listener's feedback added to its rank.
    pub bias: f32,
}

fn pick(c: &Candidate, similarity: f32, step: Option<usize>, bias: f32) -> StationPick {
    StationPick {
        track: c.id,
        similarity,
        genre: argmax(&c.genre).0,
        step,
        bias,
    }
}

/// A like counts as this many plays in the taste centroid (a dislike as this many skips).
pub const RATING_WEIGHT: f32 = 3.0;
/// What a track mostly skipped or disliked weighs against one played, per play or skip.
pub const PUSH_WEIGHT: f32 = 0.5;
/// The most tracks a path has.
pub const MAX_PATH_STEPS: usize = 500;
/// The share of a track's rank a "less like this" seed takes off at similarity 1.
pub const LESS_PUSH: f32 = 0.6;

/// A track's weight in the taste centroid: positive for what the listener plays and likes,
/// negative for what they mostly skip or dislike, halved every [`HALF_LIFE_DAYS`] since it
/// was last heard. `None` for a track without plays, skips or a rating.
pub fn taste_weight(r: &HistoryRecord, now_unix: u64) -> Option<f32> {
    let last = r
        .last_played_unix
        .max(r.last_skipped_unix)
        .unwrap_or(r.updated_unix);
    let age_days = now_unix.saturating_sub(last) as f64 / 86_400.0;
    let decay = 0.5f64.powf(age_days / HALF_LIFE_DAYS) as f32;
    let (plays, skips) = (r.plays as f32, r.skips as f32);
    let w = match r.rating {
        Rating::Like => plays + RATING_WEIGHT,
        Rating::Dislike => -PUSH_WEIGHT * (skips + RATING_WEIGHT),
        Rating::None if skips > plays => -PUSH_WEIGHT * (skips - plays),
        Rating::None => plays,
    };
    (w != 0.0 && w.is_finite()).then_some(w * decay)
}

/// The listener's taste as one point in sound: the weighted mean of the sounds of the tracks
/// in `history` ([`taste_weight`]; pushed away from what is mostly skipped or disliked),
/// scaled to length 1.
pub fn taste_centroid(
    history: &[(&Candidate, HistoryRecord)],
    now_unix: u64,
) -> Result<Vec<f32>, StationError> {
    let weighted: Vec<(Vec<f32>, f32)> = history
        .iter()
        .filter_map(|(c, r)| Some((sound_of(c), taste_weight(r, now_unix)?)))
        .collect();
    if weighted.is_empty() {
        return Err(StationError::NoHistory);
    }
    if !weighted.iter().any(|(_, w)| *w > 0.0) {
        return Err(StationError::NothingLiked);
    }
    let dim = weighted[0].0.len();
    let mut centroid = vec![0.0f32; dim];
    for (s, w) in weighted.iter().filter(|(s, _)| s.len() == dim) {
        centroid.iter_mut().zip(s).for_each(|(c, x)| *c += w * x);
    }
    // Pushed below zero only where nothing liked pulls: those parts say nothing of the sound.
    centroid.iter_mut().for_each(|c| *c = c.max(0.0));
    let n = centroid.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n <= 1e-6 || !n.is_finite() {
        return Err(StationError::NothingLiked);
    }
    centroid.iter_mut().for_each(|c| *c /= n);
    Ok(centroid)
}

/// True when `artist` is known and is `last`.
fn same_artist(artist: &str, last: Option<&str>) -> bool {
    !artist.is_empty() && last == Some(artist)
}

/// *Your mix*: up to `n` tracks of `pool` closest to `centroid` ([`taste_centroid`]), ranked
/// with the listener's bias (`opts.bias`, in proportion to the similarity: it moves close
/// matches, and barely lifts a track that sounds unlike the taste), none of `exclude`, never one artist twice in a row
/// (`last_artist` is the one playing): when only the same artist is left, the mix ends.
pub fn your_mix(
    opts: &QueueOptions,
    pool: &[Candidate],
    centroid: &[f32],
    exclude: &HashSet<TrackId>,
    last_artist: Option<&str>,
    n: usize,
) -> Vec<StationPick> {
    let mut keyed: Vec<(f32, f32, usize)> = pool
        .iter()
        .enumerate()
        .filter(|(_, c)| !exclude.contains(&c.id))
        .map(|(i, c)| {
            let s = cosine(&sound_of(c), centroid).max(0.0);
            (s + opts.bias.of(c.id) * s, s, i)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)));
    let mut taken = vec![false; keyed.len()];
    let mut last: Option<String> = last_artist.map(str::to_string);
    let mut out = Vec::with_capacity(n.min(keyed.len()));
    while out.len() < n {
        let Some(k) = (0..keyed.len())
            .find(|&k| !taken[k] && !same_artist(&pool[keyed[k].2].artist, last.as_deref()))
        else {
            break;
        };
        taken[k] = true;
        let (_, s, i) = keyed[k];
        let c = &pool[i];
        last = Some(c.artist.clone());
        out.push(pick(c, s, None, opts.bias.of(c.id)));
    }
    out
}

/// The point `t` (0–1) of the way from unit vector `a` to unit vector `b` along the great
/// circle (spherical interpolation): equal steps of `t` are equal angles, so a path's steps
/// are even; straight interpolation then scaling to length 1 would crowd them at the ends.
pub fn slerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    let dot = a
        .iter()
        .zip(b)
        .map(|(x, y)| x * y)
        .sum::<f32>()
        .clamp(-1.0, 1.0);
    let theta = dot.acos();
    let (wa, wb) = if theta.sin().abs() < 1e-4 {
        (1.0 - t, t)
    } else {
        (
            ((1.0 - t) * theta).sin() / theta.sin(),
            (t * theta).sin() / theta.sin(),
        )
    };
    let mut v: Vec<f32> = a.iter().zip(b).map(|(x, y)| wa * x + wb * y).collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 && n.is_finite() {
        v.iter_mut().for_each(|x| *x /= n);
    }
    v
}

/// How far along from `a` to `b` a sound is: cos(s, b) − cos(s, a), which grows steadily along
/// the great circle from `a` (its least) to `b` (its most).
fn progress(s: &[f32], a: &[f32], b: &[f32]) -> f32 {
    cosine(s, b) - cosine(s, a)
}

/// *A path from A to B*: `steps` tracks (A first, B last), each the closest track of `pool` to
/// its point of the way from A's sound to B's ([`slerp`]), never one of `exclude`, never twice,
/// at most `artist_cap` tracks of one artist (A and B count; unknown artists are not capped).
/// A step prefers tracks at least as far along as the step before it, so the path never walks
/// back while something ahead is left. The path comes out shorter when the pool runs out.
pub fn path(
    pool: &[Candidate],
    a: &Candidate,
    b: &Candidate,
    exclude: &HashSet<TrackId>,
    steps: usize,
    artist_cap: usize,
) -> Result<Vec<StationPick>, StationError> {
    if a.id == b.id {
        return Err(StationError::SameEnds);
    }
    if steps < 2 {
        return Err(StationError::TooFewSteps(steps));
    }
    let steps = steps.min(MAX_PATH_STEPS);
    let (sa, sb) = (sound_of(a), sound_of(b));
    let sounds: Vec<Vec<f32>> = pool.iter().map(sound_of).collect();
    let mut used: HashSet<TrackId> = [a.id, b.id].into_iter().collect();
    let mut per_artist: HashMap<&str, usize> = HashMap::new();
    for c in [a, b] {
        *per_artist.entry(c.artist.as_str()).or_default() += 1;
    }
    let cap = artist_cap.max(1);
    let mut out = vec![pick(a, 1.0, Some(1), 0.0)];
    let mut last_progress = f32::NEG_INFINITY;
    for i in 1..steps - 1 {
        let target = slerp(&sa, &sb, i as f32 / (steps - 1) as f32);
        // (rank, similarity, pool index): ahead of the last step first, then the closest.
        let mut best: Option<(bool, f32, usize)> = None;
        for (k, c) in pool.iter().enumerate() {
            if used.contains(&c.id) || exclude.contains(&c.id) || sounds[k].len() != sa.len() {
                continue;
            }
            if !c.artist.is_empty()
                && per_artist.get(c.artist.as_str()).copied().unwrap_or(0) >= cap
            {
                continue;
            }
            let s = cosine(&sounds[k], &target);
            let ahead = progress(&sounds[k], &sa, &sb) >= last_progress - 1e-6;
            if best.is_none_or(|(ba, bs, _)| (ahead, s) > (ba, bs)) {
                best = Some((ahead, s, k));
            }
        }
        let Some((_, s, k)) = best else {
            break;
        };
        let c = &pool[k];
        used.insert(c.id);
        *per_artist.entry(c.artist.as_str()).or_default() += 1;
        last_progress = last_progress.max(progress(&sounds[k], &sa, &sb));
        out.push(pick(c, s, Some(out.len() + 1), 0.0));
    }
    out.push(pick(b, 1.0, Some(out.len() + 1), 0.0));
    Ok(out)
}

/// *A mix of several seeds*: up to `n` tracks of `pool` that sound like every one of `seeds`
/// together and unlike `less`. A track's rank is its least similarity to a seed (the best
/// minimum: it must be close to each of them, where the nearest to their mean may sit close to
/// one and far from another, and a mean of far-apart seeds sounds like none), times
/// 1 − [`LESS_PUSH`] × its greatest similarity to a "less like this" seed (a share taken off,
/// so a track unlike the seeds never wins for being unlike the less seed too), plus the
/// listener's bias in proportion to that rank. Never a seed or one of `exclude`; the artist rule of `opts` as "play next" has it
/// (`recent_artists` oldest first).
pub fn blend(
    opts: &QueueOptions,
    seeds: &[Candidate],
    less: &[Candidate],
    pool: &[Candidate],
    exclude: &HashSet<TrackId>,
    recent_artists: &[String],
    n: usize,
) -> Result<Vec<StationPick>, StationError> {
    if seeds.is_empty() {
        return Err(StationError::NoSeeds);
    }
    let skip: HashSet<TrackId> = seeds.iter().chain(less).map(|c| c.id).collect();
    let mut keyed: Vec<(f32, f32, usize)> = pool
        .iter()
        .enumerate()
        .filter(|(_, c)| !skip.contains(&c.id) && !exclude.contains(&c.id))
        .map(|(i, c)| {
            let least = seeds
                .iter()
                .map(|s| similarity(opts, s, c))
                .fold(f32::INFINITY, f32::min);
            let unlike = less
                .iter()
                .map(|l| similarity(opts, l, c))
                .fold(0.0f32, f32::max);
            let rank = least * (1.0 - LESS_PUSH * unlike);
            (rank + opts.bias.of(c.id) * rank.max(0.0), least, i)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)));
    let window = opts.artist_window.max(1);
    let mut artists: Vec<String> = recent_artists.to_vec();
    let mut taken = vec![false; keyed.len()];
    let mut out = Vec::with_capacity(n.min(keyed.len()));
    while out.len() < n {
        let blocked = |k: usize| {
            let a = &pool[keyed[k].2].artist;
            !a.is_empty() && artists.iter().rev().take(window).any(|x| x == a)
        };
        // The best the artist rule allows; if none is, the rule yields.
        let Some(k) = (0..keyed.len())
            .find(|&k| !taken[k] && !blocked(k))
            .or_else(|| (0..keyed.len()).find(|&k| !taken[k]))
        else {
            break;
        };
        taken[k] = true;
        let (_, s, i) = keyed[k];
        let c = &pool[i];
        artists.push(c.artist.clone());
        out.push(pick(c, s, None, opts.bias.of(c.id)));
    }
    Ok(out)
}

/// The listener's bias from the history alone (the taste model fitted on it, as the player's
/// "play next" has it across sessions): for `genreplay queue`, which has no session.
pub fn history_bias(
    pool: &[Candidate],
    history: &HashMap<TrackId, HistoryRecord>,
    now_unix: u64,
) -> Bias {
    let by_id: HashMap<TrackId, &Candidate> = pool.iter().map(|c| (c.id, c)).collect();
    let examples: Vec<(Vec<f32>, bool, f32)> = history
        .iter()
        .filter_map(|(id, r)| {
            let (finished, weight) = taste::example_of(r, now_unix)?;
            Some((sound_of(by_id.get(id)?), finished, weight))
        })
        .collect();
    let mut t = taste::Taste::default();
    t.set_model(taste::fit(&examples));
    Bias::new(t.biases(pool))
}

#[cfg(test)]
#[path = "stations_tests.rs"]
mod tests;
