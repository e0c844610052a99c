//! Building a 50-track "play next" queue from a 10k-track library (synthetic genre and style
//! vectors). Target: < 5 ms. And `f` in the app on a 50k-track catalog (the candidates made
//! from the catalog, the feedback's bias, the queue), and the stations.
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
                genre: g.into(),
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

/// A 50k-track catalog with genre and style vectors, in an app playing its first track.
fn app_50k() -> genreplay::app::App {
    use genreplay::app::catalog::{Catalog, TrackInfo};
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let tracks: Vec<TrackInfo> = (0..50_000)
        .map(|i| {
            let path = std::path::PathBuf::from(format!("/music/a{}/t{i}.flac", i / 20));
            TrackInfo {
                id: TrackId::of_path(&path),
                title: format!("track {i}"),
                artist: format!("artist {}", i / 20),
                path,
                ..Default::default()
            }
        })
        .collect();
    let ids: Vec<TrackId> = tracks.iter().map(|t| t.id).collect();
    let labels = (0..10).map(|i| format!("genre {i}")).collect();
    let mut lib = Catalog::new("/music".into(), tracks, labels);
    for id in &ids {
        let mut g: Vec<f32> = (0..10).map(|_| rng.random::<f32>().powi(4)).collect();
        let s: f32 = g.iter().sum();
        g.iter_mut().for_each(|x| *x /= s);
        lib.vectors.insert(*id, g.into());
        lib.styles
            .insert(*id, (0..50).map(|_| rng.random::<f32>()).collect());
    }
    let mut app = genreplay::app::App::new(
        lib,
        genreplay::config::Keymap::defaults(),
        genreplay::config::Theme::built_in(),
        "dark",
        80,
    );
    app.update(genreplay::app::Event::Resize(120, 40));
    app.session.play_tracks(vec![ids[123]], 0, "bench".into());
    app
}

fn key(c: char) -> genreplay::app::Event {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    genreplay::app::Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn bench_app(c: &mut Criterion) {
    let mut app = app_50k();
    let mut g = c.benchmark_group("app_50k_tracks");
    g.sample_size(20);
    g.bench_function("key_f_fills_play_next", |b| b.iter(|| app.update(key('f'))));
    let (from, to) = (
        app.session.lib.tracks[10].id,
        app.session.lib.tracks[40_000].id,
    );
    g.bench_function("path_of_10_steps", |b| {
        b.iter(|| app.session.path_between(from, to))
    });
    g.finish();
}

criterion_group!(recommend, bench, bench_app);
criterion_main!(recommend);
