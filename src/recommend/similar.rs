//! One concern at ~740 lines (a third of them its tests): ranking by sound and the picks built
//! on it — the seed, the floor, the artist spread, the listener's bias — share their rules.
//!
//! "Play next": rank tracks by how much they sound like a seed, and build queues that do not
//! repeat tracks, do not put one artist twice in a row, vary a little from one press to the
//! next, and say why each track is there. Pure functions over vectors; no store, no UI.
//!
//! Similarity of two tracks = `genre_weight · S(genre vectors) + (1 − genre_weight) · cos(style
//! vectors)` when both have a style vector (the pretrained trunk's 50 tag probabilities), else
//! `S(genre vectors)`. S is one of cosine, 1 − Jensen–Shannon divergence, or the Bhattacharyya
//! coefficient; `genreplay eval` measures them (queue precision at 10) and the default is the
//! one that measured best (see [`Measure::default`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::library::TrackId;
use crate::util::maths::argmax;

/// How two genre vectors are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Cosine,
    /// 1 − the Jensen–Shannon divergence (base 2, so in [0, 1]).
    JensenShannon,
    /// The Bhattacharyya coefficient Σ √(p·q), in [0, 1].
    Bhattacharyya,
}

impl Default for Measure {
    /// Cosine: measured on the GTZAN excerpts with out-of-fold genre vectors (`genreplay train
    /// --mode quick --cv 5`), queue precision at 10 was cosine 0.54–0.55, Jensen–Shannon
    /// 0.50–0.52, Bhattacharyya 0.50–0.52, with or without the style vector.
    fn default() -> Self {
        Measure::Cosine
    }
}

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut ab, mut aa, mut bb) = (0.0f32, 0.0f32, 0.0f32);
    for (x, y) in a.iter().zip(b) {
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa <= 0.0 || bb <= 0.0 {
        return 0.0;
    }
    ab / (aa.sqrt() * bb.sqrt())
}

fn kl2(p: &[f32], m: &[f32]) -> f32 {
    p.iter()
        .zip(m)
        .filter(|(x, _)| **x > 0.0)
        .map(|(x, y)| x * (x / y.max(1e-12)).log2())
        .sum()
}

impl Measure {
    /// Similarity in [0, 1] of two probability vectors.
    pub fn similarity(self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            Measure::Cosine => cosine(a, b).max(0.0),
            Measure::JensenShannon => {
                let m: Vec<f32> = a.iter().zip(b).map(|(x, y)| 0.5 * (x + y)).collect();
                (1.0 - 0.5 * kl2(a, &m) - 0.5 * kl2(b, &m)).clamp(0.0, 1.0)
            }
            Measure::Bhattacharyya => a
                .iter()
                .zip(b)
                .map(|(x, y)| (x.max(0.0) * y.max(0.0)).sqrt())
                .sum::<f32>()
                .clamp(0.0, 1.0),
        }
    }

    pub const ALL: [Measure; 3] = [
        Measure::Cosine,
        Measure::JensenShannon,
        Measure::Bhattacharyya,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Measure::Cosine => "cosine",
            Measure::JensenShannon => "jensen_shannon",
            Measure::Bhattacharyya => "bhattacharyya",
        }
    }
}

/// What the recommender knows of a track.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: TrackId,
    /// Lower-cased artist ("" when unknown: never counts as a repeat).
    pub artist: String,
    pub genre: Vector,
    pub style: Option<Vector>,
    /// False when the model's open-set rule is unsure of the track (not one of its genres):
    /// such a track is only chosen to follow a seed that is unsure too.
    pub known: bool,
}

/// A genre or style vector, shared: the player's catalog holds each track's once, and the
/// candidates of every `f` (and auto-DJ pick) share them instead of copying them.
pub type Vector = std::sync::Arc<[f32]>;

/// The similarity floor "play next" and auto-DJ use unless configured (`min_similarity`).
/// On gtzan-dev's 113 excerpts (pairs of tracks, the built-in model) 0.75 keeps 84% of the
/// same-genre pairs and 1% of the others (0.6: 92% and 3%; 0.9: 46% and 0%).
pub const DEFAULT_MIN_SIMILARITY: f32 = 0.75;

/// The most tracks one queue asks for (`genreplay queue -n`; as many as the player's up next
/// holds).
pub const MAX_PICKS: usize = 10_000;
/// The widest artist window `genreplay queue --artist-window` takes.
pub const MAX_ARTIST_WINDOW: usize = 100;

/// How queues are built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueOptions {
    pub measure: Measure,
    /// Weight of the genre vector against the style vector, 0–1.
    pub genre_weight: f32,
    /// No artist again within this many picks (1 = not twice in a row).
    pub artist_window: usize,
    /// 0 = the best matches in order; 1 = noticeably varied. Two presses with it > 0 differ.
    pub randomness: f32,
    /// Nothing less similar than this (0–1) is ever added.
    pub min_similarity: f32,
    /// Unsure tracks may follow a known one too (auto-DJ's last resort: anything unplayed).
    #[serde(skip)]
    pub unsure_after_known: bool,
    /// What the listener's feedback adds to a track's similarity (negative: pushed away) when
    /// it is ranked and held against the floor; a pick still reports its plain similarity.
    #[serde(skip)]
    pub bias: Bias,
}

/// Per-track additions to the similarity, from the listener's feedback
/// ([`crate::recommend::taste`]); none by default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bias(Option<Arc<HashMap<TrackId, f32>>>);

impl Bias {
    pub fn new(map: HashMap<TrackId, f32>) -> Self {
        Bias(if map.is_empty() {
            None
        } else {
            Some(Arc::new(map))
        })
    }

    pub fn of(&self, id: TrackId) -> f32 {
        self.0
            .as_ref()
            .and_then(|m| m.get(&id).copied())
            .unwrap_or(0.0)
    }
}

impl Default for QueueOptions {
    fn default() -> Self {
        QueueOptions {
            measure: Measure::default(),
            // Genre 0.75 / style 0.25 measured 0.547–0.548 against 0.539–0.547 for the genre
            // vector alone and 0.463 for the style (tags) alone.
            genre_weight: 0.75,
            artist_window: 1,
            randomness: 0.3,
            min_similarity: DEFAULT_MIN_SIMILARITY,
            unsure_after_known: false,
            bias: Bias::default(),
        }
    }
}

/// Similarity of two tracks under `opts`.
pub fn similarity(opts: &QueueOptions, a: &Candidate, b: &Candidate) -> f32 {
    let g = opts.measure.similarity(&a.genre, &b.genre);
    match (&a.style, &b.style) {
        (Some(sa), Some(sb)) if sa.len() == sb.len() => {
            let w = opts.genre_weight.clamp(0.0, 1.0);
            w * g + (1.0 - w) * cosine(sa, sb).max(0.0)
        }
        _ => g,
    }
}

/// True when `c` may follow `from`: similar enough, and not an unsure track after a known one.
/// `similarity` is the plain one: the listener's feedback ([`QueueOptions::bias`]) moves it here.
fn eligible(opts: &QueueOptions, from: &Candidate, c: &Candidate, similarity: f32) -> bool {
    similarity + opts.bias.of(c.id) >= opts.min_similarity
        && (c.known || !from.known || opts.unsure_after_known)
}

/// How many tracks of `pool` (the seed left out) could follow `seed` at all, whether played
/// or queued or not: when a fill comes back empty, this tells "no more tracks like X" (they
/// are all queued or played) from "nothing sounds like X".
pub fn eligible_count(opts: &QueueOptions, seed: &Candidate, pool: &[Candidate]) -> usize {
    pool.iter()
        .filter(|c| c.id != seed.id && eligible(opts, seed, c, similarity(opts, seed, c)))
        .count()
}

/// One recommended track and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pick {
    pub track: TrackId,
    pub similarity: f32,
    /// The pick's top genre (label index).
    pub genre: usize,
    /// True when it shares the seed's top genre.
    pub shares_top_genre: bool,
    /// The track it was chosen to follow (the seed, or the previous pick for auto-DJ).
    pub after: TrackId,
    /// What the listener's feedback added to its similarity (see [`QueueOptions::bias`]).
    #[serde(skip)]
    pub bias: f32,
}

/// Candidates ranked by similarity to `seed` (the seed itself excluded), best first.
pub fn rank(opts: &QueueOptions, seed: &Candidate, pool: &[Candidate]) -> Vec<(usize, f32)> {
    let mut v: Vec<(usize, f32)> = pool
        .iter()
        .enumerate()
        .filter(|(_, c)| c.id != seed.id)
        .map(|(i, c)| (i, similarity(opts, seed, c)))
        .collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v
}

fn artist_blocked(artist: &str, recent_artists: &[String], window: usize) -> bool {
    !artist.is_empty()
        && recent_artists
            .iter()
            .rev()
            .take(window.max(1))
            .any(|a| a == artist)
}

/// The ranking key of `c`'s similarity: itself with the listener's bias, plus up to
/// `0.15 · randomness` of noise.
fn jittered(opts: &QueueOptions, c: &Candidate, similarity: f32, rng: &mut impl Rng) -> f32 {
    let similarity = similarity + opts.bias.of(c.id);
    let jitter = opts.randomness.clamp(0.0, 1.0) * 0.15;
    if jitter > 0.0 {
        similarity + jitter * rng.random::<f32>()
    } else {
        similarity
    }
}

/// Picks the next track after `from`: the most similar one (jittered by `randomness`) that is
/// not in `exclude` and whose artist is not among the last `artist_window` of `recent_artists`.
/// If every candidate is blocked by the artist rule, the rule yields rather than the queue.
fn pick_next(
    opts: &QueueOptions,
    from: &Candidate,
    pool: &[Candidate],
    exclude: &HashSet<TrackId>,
    recent_artists: &[String],
    rng: &mut impl Rng,
) -> Option<(usize, f32)> {
    let mut best: Option<(usize, f32, f32)> = None;
    let mut best_blocked: Option<(usize, f32, f32)> = None;
    for (i, c) in pool.iter().enumerate() {
        if c.id == from.id || exclude.contains(&c.id) {
            continue;
        }
        let s = similarity(opts, from, c);
        if !eligible(opts, from, c, s) {
            continue;
        }
        let key = jittered(opts, c, s, rng);
        let slot = if artist_blocked(&c.artist, recent_artists, opts.artist_window) {
            &mut best_blocked
        } else {
            &mut best
        };
        if slot.is_none_or(|(_, _, k)| key > k) {
            *slot = Some((i, s, key));
        }
    }
    best.or(best_blocked).map(|(i, s, _)| (i, s))
}

/// A queue of up to `n` tracks that sound like `seed`. `history` (recently played or already
/// queued) is never repeated; `recent_artists` (oldest first, ending with the seed's) feeds the
/// artist rule. Each pick is ranked against the seed: similarities are computed once, jittered
/// once, sorted, and the picks taken in that order where the artist rule allows. Nothing below
/// `opts.min_similarity` is taken, and unsure tracks only follow an unsure seed, so the queue
/// may be shorter than `n` (or empty).
pub fn build_queue(
    opts: &QueueOptions,
    seed: &Candidate,
    pool: &[Candidate],
    history: &[TrackId],
    recent_artists: &[String],
    n: usize,
    rng: &mut impl Rng,
) -> Vec<Pick> {
    let exclude: HashSet<TrackId> = history.iter().copied().collect();
    let mut keyed: Vec<(f32, f32, usize)> = pool
        .iter()
        .enumerate()
        .filter(|(_, c)| c.id != seed.id && !exclude.contains(&c.id))
        .filter_map(|(i, c)| {
            let s = similarity(opts, seed, c);
            if !eligible(opts, seed, c, s) {
                return None;
            }
            let key = jittered(opts, c, s, rng);
            Some((key, s, i))
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)));
    let mut taken = vec![false; keyed.len()];
    let mut first_free = 0;
    let mut artists: Vec<String> = recent_artists.to_vec();
    let seed_top = argmax(&seed.genre).0;
    // `n` comes from a user (or a client of the player): the queue is never longer than the
    // pool, whatever was asked.
    let mut out = Vec::with_capacity(n.min(keyed.len()).min(MAX_PICKS));
    while out.len() < n {
        while first_free < keyed.len() && taken[first_free] {
            first_free += 1;
        }
        if first_free >= keyed.len() {
            break;
        }
        // The best allowed by the artist rule; if none is, the rule yields.
        let k = (first_free..keyed.len())
            .find(|&k| {
                !taken[k] && !artist_blocked(&pool[keyed[k].2].artist, &artists, opts.artist_window)
            })
            .unwrap_or(first_free);
        taken[k] = true;
        let (_, s, i) = keyed[k];
        let c = &pool[i];
        artists.push(c.artist.clone());
        let genre = argmax(&c.genre).0;
        out.push(Pick {
            track: c.id,
            similarity: s,
            genre,
            shares_top_genre: genre == seed_top,
            after: seed.id,
            bias: opts.bias.of(c.id),
        });
    }
    out
}

/// Auto-DJ: extends a queue by `n` tracks, each chosen to follow the one before it (starting
/// from `last`), so the music drifts gradually instead of jumping between genres. Each step
/// obeys the similarity floor and the unsure rule against the track before it.
pub fn extend_chain(
    opts: &QueueOptions,
    last: &Candidate,
    pool: &[Candidate],
    history: &[TrackId],
    recent_artists: &[String],
    n: usize,
    rng: &mut impl Rng,
) -> Vec<Pick> {
    chain(opts, last, pool, history, recent_artists, n, false, rng).picks
}

/// A chain's pick of `c` (at similarity `s`) after `from`: never again, its artist now the
/// latest, and the next pick follows it.
fn take(
    opts: &QueueOptions,
    c: &Candidate,
    s: f32,
    from: &mut Candidate,
    exclude: &mut HashSet<TrackId>,
    artists: &mut Vec<String>,
) -> Pick {
    exclude.insert(c.id);
    artists.push(c.artist.clone());
    let genre = argmax(&c.genre).0;
    let pick = Pick {
        track: c.id,
        similarity: s,
        genre,
        shares_top_genre: genre == argmax(&from.genre).0,
        after: from.id,
        bias: opts.bias.of(c.id),
    };
    *from = c.clone();
    pick
}

/// How far auto-DJ lowers the similarity floor per step when nothing unplayed is similar
/// enough to the track before.
pub const FLOOR_STEP: f32 = 0.15;

/// What auto-DJ found: the picks, and how far it had to drift for them.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    pub picks: Vec<Pick>,
    /// The first track nothing unplayed was similar enough to (the configured floor), when
    /// the floor had to be relaxed.
    pub drifted_from: Option<TrackId>,
    /// The lowest floor a pick needed.
    pub lowest_floor: f32,
    /// A pick needed the last resort: any unplayed track, unsure ones after known ones too.
    pub anything: bool,
}

/// Auto-DJ that never dead-ends: [`extend_chain`], but when nothing unplayed is as similar as
/// the floor to the track before, the floor steps down by [`FLOOR_STEP`] (to the highest step
/// the most similar remaining track reaches) for that one pick, and the next pick starts again
/// at the configured floor from there: the music drifts one step, then stays close. When no
/// known track is left at all, any unplayed track may follow (unsure ones too). Fewer than
/// `n` picks only when every track of `pool` is in `history` or picked.
pub fn extend_chain_relaxing(
    opts: &QueueOptions,
    last: &Candidate,
    pool: &[Candidate],
    history: &[TrackId],
    recent_artists: &[String],
    n: usize,
    rng: &mut impl Rng,
) -> Drift {
    chain(opts, last, pool, history, recent_artists, n, true, rng)
}

/// The chain both auto-DJ forms build; `relax` steps the floor down instead of stopping.
#[allow(clippy::too_many_arguments)]
fn chain(
    opts: &QueueOptions,
    last: &Candidate,
    pool: &[Candidate],
    history: &[TrackId],
    recent_artists: &[String],
    n: usize,
    relax: bool,
    rng: &mut impl Rng,
) -> Drift {
    let mut exclude: HashSet<TrackId> = history.iter().copied().collect();
    exclude.insert(last.id);
    let mut artists: Vec<String> = recent_artists.to_vec();
    let mut from = last.clone();
    let mut drift = Drift {
        picks: Vec::with_capacity(n.min(pool.len()).min(MAX_PICKS)),
        drifted_from: None,
        lowest_floor: opts.min_similarity,
        anything: false,
    };
    while drift.picks.len() < n {
        let mut step = opts.clone();
        let mut found = pick_next(&step, &from, pool, &exclude, &artists, rng);
        if found.is_none() && relax {
            // The most similar track left (under the unsure rule) says how far to step down.
            let best = pool
                .iter()
                .filter(|c| c.id != from.id && !exclude.contains(&c.id))
                .filter(|c| c.known || !from.known)
                .map(|c| similarity(opts, &from, c) + opts.bias.of(c.id))
                .fold(None, |m: Option<f32>, s| Some(m.map_or(s, |m| m.max(s))));
            match best {
                Some(b) => {
                    let steps = ((opts.min_similarity - b) / FLOOR_STEP).ceil().max(1.0);
                    // Under the listener's bias a track may score below 0: the floor goes
                    // down to it all the same (never a dead end).
                    step.min_similarity =
                        (opts.min_similarity - steps * FLOOR_STEP).max(0.0).min(b);
                }
                None => {
                    step.min_similarity = 0.0;
                    step.unsure_after_known = true;
                }
            }
            found = pick_next(&step, &from, pool, &exclude, &artists, rng);
            if found.is_some() {
                drift.drifted_from.get_or_insert(from.id);
                drift.lowest_floor = drift.lowest_floor.min(step.min_similarity.max(0.0));
                drift.anything |= step.unsure_after_known;
            }
        }
        let Some((i, s)) = found else {
            break;
        };
        let pick = take(opts, &pool[i], s, &mut from, &mut exclude, &mut artists);
        drift.picks.push(pick);
    }
    drift
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn cand(id: u64, artist: &str, genre: &[f32]) -> Candidate {
        Candidate {
            id: TrackId(id),
            artist: artist.into(),
            genre: genre.into(),
            style: None,
            known: true,
        }
    }

    /// Deterministic and without a floor (the tests of ranking and artists).
    fn deterministic() -> QueueOptions {
        QueueOptions {
            randomness: 0.0,
            min_similarity: 0.0,
            ..Default::default()
        }
    }

    #[test]
    fn the_floor_and_the_unsure_rule_leave_poor_matches_out() {
        let seed = cand(0, "a", &[1.0, 0.0, 0.0]);
        let mut whale = cand(3, "w", &[0.9, 0.1, 0.0]);
        whale.known = false;
        let pool = vec![
            cand(1, "b", &[0.95, 0.05, 0.0]),
            cand(2, "c", &[0.3, 0.3, 0.4]),
            whale.clone(),
            cand(4, "d", &[0.0, 0.2, 0.8]),
        ];
        let opts = QueueOptions {
            min_similarity: 0.6,
            ..deterministic()
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        // Only 1 is similar enough (2 is at 0.51, 4 at 0.0) and the whale is unsure.
        let q = build_queue(&opts, &seed, &pool, &[], &[], 10, &mut rng);
        assert_eq!(q.iter().map(|p| p.track.0).collect::<Vec<_>>(), vec![1]);
        assert!(q[0].similarity >= 0.6);
        assert_eq!(eligible_count(&opts, &seed, &pool), 1);
        // 1 already played: nothing left, though one track is eligible.
        let q = build_queue(&opts, &seed, &pool, &[TrackId(1)], &[], 10, &mut rng);
        assert!(q.is_empty());
        let c = extend_chain(&opts, &seed, &pool, &[TrackId(1)], &[], 5, &mut rng);
        assert!(c.is_empty(), "{c:?}");
        // An unsure seed may be followed by the unsure whale (and by known tracks).
        let mut useed = seed.clone();
        useed.known = false;
        let q = build_queue(&opts, &useed, &pool, &[], &[], 10, &mut rng);
        let ids: Vec<u64> = q.iter().map(|p| p.track.0).collect();
        assert_eq!(ids, vec![1, 3]);
        // With the floor at 0 every known track comes back, never the whale.
        let q = build_queue(&deterministic(), &seed, &pool, &[], &[], 10, &mut rng);
        assert_eq!(q.len(), 3);
        assert!(q.iter().all(|p| p.track.0 != 3));
    }

    #[test]
    fn measures_agree_on_identity_and_disjointness() {
        let a = [0.7, 0.2, 0.1];
        let b = [0.0, 0.0, 1.0];
        for m in Measure::ALL {
            assert!((m.similarity(&a, &a) - 1.0).abs() < 1e-5, "{m:?}");
            assert!(
                m.similarity(&a, &b) < m.similarity(&a, &[0.6, 0.3, 0.1]),
                "{m:?}"
            );
            assert!(m.similarity(&[1.0, 0.0], &[0.0, 1.0]) < 1e-5, "{m:?}");
        }
    }

    #[test]
    fn ranking_puts_the_closest_first_and_style_counts() {
        let seed = cand(0, "a", &[0.9, 0.1]);
        let pool = vec![
            cand(1, "b", &[0.1, 0.9]),
            cand(2, "c", &[0.8, 0.2]),
            seed.clone(),
            cand(3, "d", &[0.5, 0.5]),
        ];
        let r = rank(&deterministic(), &seed, &pool);
        assert_eq!(
            r.iter().map(|(i, _)| pool[*i].id.0).collect::<Vec<_>>(),
            vec![2, 3, 1]
        );
        // Same genre vectors, different styles: the style decides.
        let mut s = seed.clone();
        s.style = Some(vec![1.0, 0.0].into());
        let mut x = cand(5, "x", &[0.9, 0.1]);
        x.style = Some(vec![0.0, 1.0].into());
        let mut y = cand(6, "y", &[0.9, 0.1]);
        y.style = Some(vec![1.0, 0.1].into());
        let r = rank(&deterministic(), &s, &[x, y]);
        assert_eq!(r[0].0, 1);
    }

    #[test]
    fn no_repeats_no_artist_twice_in_a_row_and_reasons() {
        let seed = cand(0, "a", &[1.0, 0.0]);
        let pool = vec![
            cand(1, "a", &[0.99, 0.01]),
            cand(2, "a", &[0.98, 0.02]),
            cand(3, "b", &[0.97, 0.03]),
            cand(4, "b", &[0.96, 0.04]),
            cand(5, "c", &[0.2, 0.8]),
            cand(6, "d", &[0.95, 0.05]),
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let q = build_queue(
            &deterministic(),
            &seed,
            &pool,
            &[TrackId(6)],
            &["a".into()],
            5,
            &mut rng,
        );
        let ids: Vec<u64> = q.iter().map(|p| p.track.0).collect();
        // 6 is in the history; "a" just played, so 3 (b) comes before 1 (a), and so on.
        assert_eq!(ids, vec![3, 1, 4, 2, 5]);
        let artists: Vec<&str> = ids
            .iter()
            .map(|i| pool.iter().find(|c| c.id.0 == *i).unwrap().artist.as_str())
            .collect();
        for w in artists.windows(2) {
            assert_ne!(w[0], w[1]);
        }
        assert!(q[0].shares_top_genre);
        assert!(!q[4].shares_top_genre);
        assert!(q[0].similarity > q[4].similarity);
        assert!(q.iter().all(|p| p.after == TrackId(0)));
    }

    #[test]
    fn a_wider_artist_window_spreads_artists_further() {
        let seed = cand(0, "z", &[1.0, 0.0]);
        let pool: Vec<Candidate> = (1..=9)
            .map(|i| {
                cand(
                    i,
                    ["a", "b", "c"][(i % 3) as usize],
                    &[1.0 - i as f32 * 0.01, i as f32 * 0.01],
                )
            })
            .collect();
        let opts = QueueOptions {
            artist_window: 2,
            ..deterministic()
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let q = build_queue(&opts, &seed, &pool, &[], &[], 9, &mut rng);
        let artists: Vec<&str> = q
            .iter()
            .map(|p| pool[(p.track.0 - 1) as usize].artist.as_str())
            .collect();
        for w in artists.windows(3) {
            assert!(w[0] != w[1] && w[1] != w[2] && w[0] != w[2], "{artists:?}");
        }
    }

    #[test]
    fn randomness_makes_two_queues_differ_and_zero_does_not() {
        let seed = cand(0, "", &[0.5, 0.5]);
        let pool: Vec<Candidate> = (1..60)
            .map(|i| cand(i, "", &[0.5 + (i as f32) * 0.001, 0.5 - (i as f32) * 0.001]))
            .collect();
        let mut r1 = rand::rngs::StdRng::seed_from_u64(1);
        let mut r2 = rand::rngs::StdRng::seed_from_u64(2);
        let noisy = QueueOptions::default();
        let a = build_queue(&noisy, &seed, &pool, &[], &[], 10, &mut r1);
        let b = build_queue(&noisy, &seed, &pool, &[], &[], 10, &mut r2);
        assert_ne!(a, b);
        let c = build_queue(&deterministic(), &seed, &pool, &[], &[], 10, &mut r1);
        let d = build_queue(&deterministic(), &seed, &pool, &[], &[], 10, &mut r2);
        assert_eq!(c, d);
    }

    #[test]
    fn the_chain_drifts_step_by_step() {
        // Tracks on a line from genre 0 to genre 1: the chain walks along it.
        let pool: Vec<Candidate> = (0..11)
            .map(|i| cand(i, "", &[1.0 - i as f32 / 10.0, i as f32 / 10.0]))
            .collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let q = extend_chain(&deterministic(), &pool[0], &pool, &[], &[], 10, &mut rng);
        let ids: Vec<u64> = q.iter().map(|p| p.track.0).collect();
        assert_eq!(ids, (1..11).collect::<Vec<_>>());
        assert_eq!(q[3].after, TrackId(3));
    }

    #[test]
    fn auto_dj_relaxes_the_floor_step_by_step_until_the_pool_is_used_up() {
        // Two tight clusters far apart (cosine 0.5 between them) and one unsure track.
        let mut pool: Vec<Candidate> = (0..4)
            .map(|i| cand(i, &format!("a{i}"), &[1.0, 0.02 * i as f32, 0.0]))
            .chain((4..8).map(|i| cand(i, &format!("b{i}"), &[1.0, 0.0, 1.7 + 0.02 * i as f32])))
            .collect();
        let mut whale = cand(8, "w", &[0.0, 1.0, 0.0]);
        whale.known = false;
        pool.push(whale);
        let opts = QueueOptions {
            randomness: 0.0,
            ..Default::default()
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        // Without relaxing, the chain stops after the first cluster.
        let plain = extend_chain(&opts, &pool[0], &pool, &[], &[], 10, &mut rng);
        assert_eq!(plain.len(), 3);
        let d = extend_chain_relaxing(&opts, &pool[0], &pool, &[], &[], 10, &mut rng);
        let ids: Vec<u64> = d.picks.iter().map(|p| p.track.0).collect();
        // The first cluster at the floor, one step down into the second, which then plays at
        // the floor again; the unsure whale only as the last resort.
        assert_eq!(&ids[..3], &[1, 2, 3]);
        assert!(ids[3..7].iter().all(|&i| (4..8).contains(&i)), "{ids:?}");
        assert_eq!(ids[7], 8);
        assert_eq!(ids.len(), 8, "everything played, nothing repeated");
        assert_eq!(d.drifted_from, Some(TrackId(3)));
        assert!(d.anything);
        assert!(d.lowest_floor < opts.min_similarity);
        let step_into_b = &d.picks[3];
        assert!(step_into_b.similarity < opts.min_similarity);
        // The step is the highest one the best remaining track reaches (0.75 − k · 0.15).
        assert!(
            d.picks[4..7]
                .iter()
                .all(|p| p.similarity >= opts.min_similarity)
        );
        // Nothing relaxed when the floor is enough.
        let d = extend_chain_relaxing(&opts, &pool[0], &pool, &[], &[], 2, &mut rng);
        assert_eq!(
            (d.picks.len(), d.drifted_from, d.anything),
            (2, None, false)
        );
        // Everything played: nothing comes back.
        let all: Vec<TrackId> = pool.iter().map(|c| c.id).collect();
        let d = extend_chain_relaxing(&opts, &pool[0], &pool, &all, &[], 5, &mut rng);
        assert!(d.picks.is_empty());
    }
}
