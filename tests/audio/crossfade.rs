//! Crossfade on decoded samples: two synthetic tracks rendered through the player's decks
//! without a sound card, the overlap's envelope measured (each side's level at its own
//! frequency), and the player thread's crossfaded transition.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use genreplay::audio::crossfade::{Deck, Incoming, Plan, equal_power};
use genreplay::audio::gain::{Gain, GainHandle};
use genreplay::audio::player::{AudioOutput, PlayerCommand, PlayerEvent, TrackSource, spawn};

const RATE: u32 = 22_050;

/// The track at `path` through its gain stage at `scale`, boxed as the player queues it.
fn gained(path: &Path, scale: f32) -> Box<dyn rodio::Source + Send> {
    Box::new(Gain::new(
        TrackSource::open(path).unwrap(),
        GainHandle::new(scale),
    ))
}

fn decoded(path: &Path) -> Vec<f32> {
    TrackSource::open(path).unwrap().collect()
}

/// The amplitude of the `freq` component of `x` (Goertzel over the window).
fn level(x: &[f32], freq: f32) -> f32 {
    2.0 * goertzel_power(x, RATE, freq).sqrt() / x.len() as f32
}

/// Two mono tracks: A a 441 Hz sine, B a 882 Hz sine (whole numbers of cycles in 50 ms
/// windows), each `secs` long at peak 0.5.
fn two_tracks(dir: &Path, secs: f32) -> (std::path::PathBuf, std::path::PathBuf) {
    let a = dir.join("a.wav");
    let b = dir.join("b.wav");
    write_wav(&a, &tone(441.0, RATE, secs, 0.5), RATE, 1);
    write_wav(&b, &tone(882.0, RATE, secs, 0.5), RATE, 1);
    (a, b)
}

#[test]
fn the_overlap_fades_one_side_out_and_the_other_in_with_each_sides_gain() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_tracks(dir.path(), 6.0);
    let (raw_a, raw_b) = (decoded(&a), decoded(&b));
    let n = RATE as usize * 6;
    assert_eq!((raw_a.len(), raw_b.len()), (n, n));
    // A at −6 dB (0.5), B at unity: each side's ReplayGain stays its own through the overlap.
    let (ga, gb) = (0.5f32, 1.0f32);
    let (deck_a, cue_a) = Deck::new(gained(&a, ga));
    let incoming = Incoming::new(gained(&b, gb));
    cue_a.arm(Plan {
        incoming: incoming.clone(),
        start_secs: Some(4.0),
        secs: 2.0,
    });
    let (deck_b, _) = Deck::after(incoming.clone());
    // What rodio's queue plays: one deck, then the next.
    let out: Vec<f32> = deck_a.chain(deck_b).collect();

    let (start, len) = (RATE as usize * 4, RATE as usize * 2);
    // No gap and nothing played twice: A's 6 s and B's 6 s overlap by exactly 2 s.
    assert_eq!(out.len(), 2 * n - len);
    assert!((incoming.taken_secs() - 2.0).abs() < 1e-9);
    // Before the overlap, A alone at its gain; after it, B alone from its third second on.
    for i in 0..start {
        assert_eq!(out[i], raw_a[i] * ga, "sample {i}");
    }
    for i in start + len..out.len() {
        assert_eq!(out[i], raw_b[i - start] * gb, "sample {i}");
    }
    // In the overlap: each side at its gain times the equal-power curve.
    for k in 0..len {
        let (go, gi) = equal_power(k as f32 / len as f32);
        let want = raw_a[start + k] * ga * go + raw_b[k] * gb * gi;
        assert!((out[start + k] - want).abs() < 1e-6, "overlap sample {k}");
    }
    // The envelope, measured: 50 ms windows through the overlap. A's 441 Hz falls from 0.25
    // to nothing, B's 882 Hz rises from nothing to 0.5; their powers, relative to each side's
    // level, always add up to one (equal power), and the sum stays within the louder side ×√2.
    let win = RATE as usize / 20;
    let mut last = (f32::MAX, 0.0f32);
    for w in 0..len / win {
        let x = &out[start + w * win..start + (w + 1) * win];
        let (la, lb) = (level(x, 441.0), level(x, 882.0));
        assert!(
            la < last.0 + 1e-3 && lb > last.1 - 1e-3,
            "window {w}: {la} {lb}"
        );
        let p = (la / (0.5 * ga)).powi(2) + (lb / (0.5 * gb)).powi(2);
        assert!((p - 1.0).abs() < 0.03, "window {w}: power {p}");
        last = (la, lb);
    }
    let first = &out[start..start + win];
    assert!(level(first, 441.0) > 0.24 && level(first, 882.0) < 0.04);
    let end = &out[start + len - win..start + len];
    assert!(level(end, 441.0) < 0.02 && level(end, 882.0) > 0.49);
    let peak = out.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(peak <= 0.5 * gb * std::f32::consts::SQRT_2 + 1e-6, "{peak}");
    // No click: no step between samples larger than the steepest of the two sines makes.
    let steepest = std::f32::consts::TAU * 882.0 / RATE as f32 * 0.5;
    let step = out
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0f32, f32::max);
    assert!(step <= steepest * 1.05, "step {step} > {steepest}");
}

#[test]
fn a_skip_fades_at_once_and_a_short_track_falls_back_to_gapless() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_tracks(dir.path(), 3.0);
    let (raw_a, raw_b) = (decoded(&a), decoded(&b));
    let n = raw_a.len();
    // A skip after 1 s: the overlap starts where A is.
    let (mut deck_a, cue_a) = Deck::new(gained(&a, 1.0));
    let mut out: Vec<f32> = deck_a.by_ref().take(RATE as usize).collect();
    let incoming = Incoming::new(gained(&b, 1.0));
    cue_a.arm(Plan {
        incoming: incoming.clone(),
        start_secs: None,
        secs: 0.5,
    });
    let (deck_b, _) = Deck::after(incoming);
    out.extend(deck_a.chain(deck_b));
    let len = RATE as usize / 2;
    assert_eq!(out.len(), RATE as usize + n);
    assert_eq!(out[RATE as usize], raw_a[RATE as usize]);
    assert_eq!(out[RATE as usize + len..], raw_b[len..]);

    // The overlap asked to start past A's end (a length overestimated): B plays whole after
    // A, gaplessly, nothing mixed.
    let (deck_a, cue_a) = Deck::new(gained(&a, 1.0));
    let incoming = Incoming::new(gained(&b, 1.0));
    cue_a.arm(Plan {
        incoming: incoming.clone(),
        start_secs: Some(10.0),
        secs: 2.0,
    });
    let (deck_b, _) = Deck::after(incoming);
    let out: Vec<f32> = deck_a.chain(deck_b).collect();
    assert_eq!(out.len(), 2 * n);
    assert_eq!(out[..n], raw_a[..]);
    assert_eq!(out[n..], raw_b[..]);
}

#[test]
fn the_player_crossfades_into_the_next_track_and_counts_its_position_on() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_tracks(dir.path(), 3.0);
    let p = spawn(AudioOutput::Silent("test".into()));
    let ev = p.events();
    p.send(PlayerCommand::SetCrossfade(1.0));
    p.send(PlayerCommand::Load {
        path: a.clone(),
        paused: false,
    });
    p.send(PlayerCommand::SetNext(Some(b.clone())));
    let t0 = Instant::now();
    let mut b_started = None;
    let mut b_positions = vec![];
    let mut ended = None;
    while t0.elapsed() < Duration::from_secs(15) && ended.is_none() {
        let Ok(e) = ev.recv_timeout(Duration::from_millis(50)) else {
            continue;
        };
        match e {
            PlayerEvent::Started { path, .. } if path == b => b_started = Some(t0.elapsed()),
            PlayerEvent::Position { secs } if b_started.is_some() => b_positions.push(secs),
            PlayerEvent::Ended { path } => ended = Some((path, t0.elapsed())),
            PlayerEvent::Error { message, .. } => panic!("{message}"),
            _ => {}
        }
    }
    let (path, at) = ended.expect("the second track ended");
    assert_eq!(path, b);
    // A's 3 s and B's 3 s overlapping by 1 s: about 5 s of sound, not 6.
    assert!(
        at > Duration::from_millis(4_500) && at < Duration::from_millis(5_900),
        "{at:?}"
    );
    // B is announced when A is gone, 1 s into B, and its position goes on from there.
    assert!(b_started.is_some());
    assert!(
        b_positions.first().is_some_and(|s| *s >= 0.95),
        "{b_positions:?}"
    );
}
