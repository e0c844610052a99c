//! The spectrum visualiser's cost per frame: reading the latest 2048 samples from the tap's
//! ring, the windowed FFT and 48 log-spaced bands, and the smoothing (what the UI loop does
//! 25 times a second while the bars are shown), and the tap itself on one second of stereo
//! 44.1 kHz output (what the audio thread adds while they are). Target: a frame well under
//! 1 ms (25 frames ≤ 2 % of one core is ≤ 0.8 ms each).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::num::NonZero;

use criterion::{Criterion, criterion_group, criterion_main};
use genreplay::audio::scope::{Scope, Tap};
use genreplay::audio::spectrum::{Analyzer, Smoother, WINDOW};

fn music_like(rate: u32, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let t = i as f32 / rate as f32;
            0.3 * (std::f32::consts::TAU * 110.0 * t).sin()
                + 0.2 * (std::f32::consts::TAU * 440.0 * t).sin()
                + 0.1 * (std::f32::consts::TAU * 3520.0 * t).sin()
                + 0.05 * ((i * 7919 % 1000) as f32 / 500.0 - 1.0)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let scope = Scope::default();
    scope.push(&music_like(44_100, 8192), 44_100);
    let mut analyzer = Analyzer::new();
    let mut smoother = Smoother::default();
    let mut samples = vec![0.0f32; WINDOW];
    c.bench_function("spectrum_frame_48_bands", |b| {
        b.iter(|| {
            scope.latest(&mut samples);
            let bands = analyzer.bands(&samples, scope.rate(), 48);
            black_box(smoother.step(&bands, 1.0 / 30.0).len())
        })
    });
    let stereo: Vec<f32> = music_like(44_100, 44_100)
        .into_iter()
        .flat_map(|s| [s, -s])
        .collect();
    let source = rodio::buffer::SamplesBuffer::new(
        NonZero::new(2).unwrap(),
        NonZero::new(44_100).unwrap(),
        stereo,
    );
    for (name, on) in [("tap_1s_stereo_off", false), ("tap_1s_stereo_on", true)] {
        let scope = Scope::default();
        scope.set_on(on);
        c.bench_function(name, |b| {
            b.iter(|| {
                let tap = Tap::new(source.clone(), scope.clone());
                black_box(tap.fold(0.0f32, |a, s| a + s))
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
