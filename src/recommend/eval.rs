//! How good "play next" queues are on a labelled set: the share of the first 10 queued tracks
//! that share the seed's label, the artist-repeat rate, and the table of similarity measures
//! `genreplay eval` and `genreplay train --cv` report.

use serde::Serialize;

use super::similar::{Candidate, Measure, QueueOptions, build_queue};
use crate::library::TrackId;

/// Queue quality on a labelled set: for each track as seed, the fraction of the first 10
/// queued tracks (from the rest, randomness off) that share its label, averaged; and the
/// fraction of consecutive picks (seed → first included) by the same artist.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QueueMetrics {
    pub queue_precision_at_10: f64,
    pub artist_repeat_rate: f64,
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
    for (seed, label) in items {
        let q = build_queue(
            &opts,
            seed,
            &pool,
            &[],
            std::slice::from_ref(&seed.artist),
            10,
            &mut rng,
        );
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
        queue_precision_at_10: if seeds == 0 {
            0.0
        } else {
            p_sum / seeds as f64
        },
        artist_repeat_rate: if pairs == 0 {
            0.0
        } else {
            repeats as f64 / pairs as f64
        },
    }
}

/// Queue metrics of every measure, with the genre vector alone, the style vector alone, and
/// both (the default weight): how the default was chosen, reported by `genreplay eval`.
pub fn measure_table(items: &[(Candidate, usize)]) -> Vec<(String, QueueMetrics)> {
    let mut out = Vec::new();
    let has_style = items.iter().any(|(c, _)| c.style.is_some());
    for m in Measure::ALL {
        let genre_only = QueueOptions {
            measure: m,
            genre_weight: 1.0,
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
            genre: genre.to_vec(),
            style: None,
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
        let m = queue_metrics(&QueueOptions::default(), &items);
        assert!((m.queue_precision_at_10 - 0.5).abs() < 1e-9, "{m:?}");
        assert_eq!(m.artist_repeat_rate, 0.0);
    }
}
