//! How good "play next" queues are on a labelled set: the share of the first 10 queued tracks
//! that share the seed's label, the artist-repeat rate, and the table of similarity measures
//! `genreplay eval` and `genreplay train --cv` report.

use serde::Serialize;

use super::similar::{Candidate, Measure, QueueOptions, build_queue};
use crate::library::TrackId;
use crate::util::maths::share;

/// Queue quality on a labelled set: for each track as seed, the fraction of the first 10
/// queued tracks (from the rest, randomness off) that share its label, averaged; and the
/// fraction of consecutive picks (seed → first included) by the same artist.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QueueMetrics {
    pub queue_precision_at_10: f64,
    pub artist_repeat_rate: f64,
    /// R-precision: for each seed a queue of R = (tracks of its label − 1), the share of those
    /// R places filled with its label (a queue cut short by the floor counts the empty places
    /// as misses), averaged over seeds whose label has another track.
    pub r_precision: f64,
    /// Mean length of the 10-track queues (shorter when the similarity floor cuts them).
    pub mean_queue_len: f64,
    /// Of the tracks queued in the R-precision queues, the share with the seed's label (pooled
    /// over seeds): how right what is queued is, whatever the floor left out.
    pub r_queued_precision: f64,
    /// The share of the R-precision queues' places filled (pooled over seeds): 1 without a
    /// floor, less when the floor cuts queues short.
    pub r_fill: f64,
}

pub fn queue_metrics(opts: &QueueOptions, items: &[(Candidate, usize)]) -> QueueMetrics {
    let pool: Vec<Candidate> = items.iter().map(|(c, _)| c.clone()).collect();
    let label_of: std::collections::HashMap<TrackId, usize> =
        items.iter().map(|(c, l)| (c.id, *l)).collect();
    let artist_of: std::collections::HashMap<TrackId, &str> = items
        .iter()
        .map(|(c, _)| (c.id, c.artist.as_str()))
        .collect();
    let opts = QueueOptions {
        randomness: 0.0,
        ..opts.clone()
    };
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
    let (mut p_sum, mut seeds) = (0.0, 0usize);
    let (mut repeats, mut pairs) = (0usize, 0usize);
    let (mut len_sum, mut r_sum, mut r_seeds) = (0usize, 0.0f64, 0usize);
    let (mut r_slots, mut r_queued, mut r_right) = (0usize, 0usize, 0usize);
    let mut per_label: std::collections::HashMap<usize, usize> = Default::default();
    for (_, l) in items {
        *per_label.entry(*l).or_default() += 1;
    }
    for (seed, label) in items {
        let r = per_label.get(label).copied().unwrap_or(0).saturating_sub(1);
        if r > 0 {
            let q = build_queue(
                &opts,
                seed,
                &pool,
                &[],
                std::slice::from_ref(&seed.artist),
                r,
                &mut rng,
            );
            let same = q
                .iter()
                .filter(|p| label_of.get(&p.track) == Some(label))
                .count();
            r_sum += same as f64 / r as f64;
            r_seeds += 1;
            r_slots += r;
            r_queued += q.len();
            r_right += same;
        }
        let q = build_queue(
            &opts,
            seed,
            &pool,
            &[],
            std::slice::from_ref(&seed.artist),
            10,
            &mut rng,
        );
        len_sum += q.len();
        if q.is_empty() {
            continue;
        }
        let same = q
            .iter()
            .filter(|p| label_of.get(&p.track) == Some(label))
            .count();
        p_sum += same as f64 / q.len() as f64;
        seeds += 1;
        let mut prev = seed.artist.as_str();
        for p in &q {
            let a = artist_of.get(&p.track).copied().unwrap_or("");
            if !a.is_empty() && a == prev {
                repeats += 1;
            }
            pairs += 1;
            prev = a;
        }
    }
    QueueMetrics {
        queue_precision_at_10: share(p_sum, seeds as f64),
        artist_repeat_rate: share(repeats as f64, pairs as f64),
        r_precision: share(r_sum, r_seeds as f64),
        mean_queue_len: share(len_sum as f64, items.len() as f64),
        r_queued_precision: share(r_right as f64, r_queued as f64),
        r_fill: share(r_queued as f64, r_slots as f64),
    }
}

/// Queue metrics of every measure, with the genre vector alone, the style vector alone, and
/// both (the default weight), without a similarity floor (the ranking itself): how the default
/// was chosen, reported by `genreplay eval`.
pub fn measure_table(items: &[(Candidate, usize)]) -> Vec<(String, QueueMetrics)> {
    let mut out = Vec::new();
    let has_style = items.iter().any(|(c, _)| c.style.is_some());
    for m in Measure::ALL {
        let genre_only = QueueOptions {
            measure: m,
            genre_weight: 1.0,
            min_similarity: 0.0,
            ..Default::default()
        };
        out.push((
            format!("{}/genre", m.name()),
            queue_metrics(&genre_only, items),
        ));
        if has_style {
            for w in [0.5f32, 0.75] {
                let both = QueueOptions {
                    measure: m,
                    genre_weight: w,
                    min_similarity: 0.0,
                    ..Default::default()
                };
                out.push((
                    format!("{}/genre*{w}+style", m.name()),
                    queue_metrics(&both, items),
                ));
            }
        }
    }
    if has_style {
        let style_only = QueueOptions {
            genre_weight: 0.0,
            min_similarity: 0.0,
            ..Default::default()
        };
        out.push(("cosine/style".into(), queue_metrics(&style_only, items)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: u64, artist: &str, genre: &[f32]) -> Candidate {
        Candidate {
            id: TrackId(id),
            artist: artist.into(),
            genre: genre.into(),
            style: None,
            known: true,
        }
    }

    #[test]
    fn metrics_on_two_clean_clusters() {
        let mut items = Vec::new();
        for i in 0..12 {
            let g = (i % 2) as usize;
            let v = if g == 0 { [0.9, 0.1] } else { [0.1, 0.9] };
            items.push((cand(i, &format!("artist{}", i % 4), &v), g));
        }
        // Each seed has 5 same-cluster tracks among the other 11: they come first, so 5 of 10.
        let no_floor = QueueOptions {
            min_similarity: 0.0,
            ..Default::default()
        };
        let m = queue_metrics(&no_floor, &items);
        assert!((m.queue_precision_at_10 - 0.5).abs() < 1e-9, "{m:?}");
        assert_eq!(m.artist_repeat_rate, 0.0);
        // R = 5: the queue of 5 is all the seed's cluster.
        assert!((m.r_precision - 1.0).abs() < 1e-9, "{m:?}");
        assert!((m.mean_queue_len - 10.0).abs() < 1e-9);
        assert!((m.r_queued_precision - 1.0).abs() < 1e-9 && (m.r_fill - 1.0).abs() < 1e-9);
        // With the default floor (0.75) the other cluster (cosine 0.22) never comes: queues
        // of 5, all right.
        let m = queue_metrics(&QueueOptions::default(), &items);
        assert!((m.queue_precision_at_10 - 1.0).abs() < 1e-9, "{m:?}");
        assert!((m.mean_queue_len - 5.0).abs() < 1e-9, "{m:?}");
        assert!((m.r_precision - 1.0).abs() < 1e-9, "{m:?}");
    }

    #[test]
    fn a_floor_that_cuts_queues_short_shows_in_the_fill_not_in_what_is_queued() {
        // Cluster 0: 4 tracks, two of them far from the other two (cosine 0.6); cluster 1:
        // 4 tracks close together. A floor at 0.75 leaves cluster 0's queues half empty.
        let mut items = Vec::new();
        for (i, v) in [
            [1.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.6, 0.0, 0.8],
            [0.6, 0.0, 0.8],
        ]
        .iter()
        .enumerate()
        {
            items.push((cand(i as u64, &format!("a{i}"), v), 0));
        }
        for i in 4..8 {
            items.push((cand(i, &format!("a{i}"), &[0.0, 1.0, 0.0]), 1));
        }
        let m = queue_metrics(&QueueOptions::default(), &items);
        // R = 3 for every seed: cluster 1 fills 3 of 3, cluster 0 fills 1 of 3 (its twin).
        assert!(
            (m.r_fill - (4.0 * 3.0 + 4.0 * 1.0) / 24.0).abs() < 1e-9,
            "{m:?}"
        );
        assert!((m.r_queued_precision - 1.0).abs() < 1e-9, "{m:?}");
        assert!((m.r_precision - m.r_fill).abs() < 1e-9, "{m:?}");
        let open = queue_metrics(
            &QueueOptions {
                min_similarity: 0.0,
                ..Default::default()
            },
            &items,
        );
        assert!((open.r_fill - 1.0).abs() < 1e-9, "{open:?}");
    }
}
