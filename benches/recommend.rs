//! Building a 50-track "play next" queue from a 10k-track library (synthetic genre and style
//! vectors). Target: < 5 ms.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use genreplay::library::TrackId;
use genreplay::recommend::similar::{Candidate, QueueOptions, build_queue, extend_chain};
use rand::{Rng, SeedableRng};

fn library(n: usize) -> Vec<Candidate> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    (0..n)
        .map(|i| {
            let mut g: Vec<f32> = (0..10).map(|_| rng.random::<f32>().powi(4)).collect();
            let s: f32 = g.iter().sum();
            g.iter_mut().for_each(|x| *x /= s);
            Candidate {
                id: TrackId(i as u64),
                artist: format!("artist {}", i % 700),
                genre: g,
                style: Some((0..50).map(|_| rng.random::<f32>()).collect()),
                known: true,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let pool = library(10_000);
    let seed = pool[123].clone();
    let opts = QueueOptions::default();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let history: Vec<TrackId> = (0..200).map(|i| TrackId(i * 7)).collect();
    c.bench_function("queue_50_from_10k_tracks", |b| {
        b.iter(|| {
            build_queue(
                &opts,
                &seed,
                &pool,
                &history,
                std::slice::from_ref(&seed.artist),
                50,
                &mut rng,
            )
        })
    });
    c.bench_function("auto_dj_extend_5_from_10k_tracks", |b| {
        b.iter(|| {
            extend_chain(
                &opts,
                &seed,
                &pool,
                &history,
                std::slice::from_ref(&seed.artist),
                5,
                &mut rng,
            )
        })
    });
}

criterion_group!(recommend, bench);
criterion_main!(recommend);
