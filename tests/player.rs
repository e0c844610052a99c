#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The player without a sound card: silent playback that still advances, pauses, seeks, moves
//! on gaplessly and reports the end.

mod common;

use std::time::{Duration, Instant};

use common::*;
use genreplay::audio::player::{AudioOutput, PlayerCommand, PlayerEvent, spawn};

fn wait_for(
    rx: &crossbeam_channel::Receiver<PlayerEvent>,
    timeout: Duration,
    mut pred: impl FnMut(&PlayerEvent) -> bool,
) -> Vec<PlayerEvent> {
    let t0 = Instant::now();
    let mut seen = Vec::new();
    while t0.elapsed() < timeout {
        if let Ok(ev) = rx.recv_timeout(Duration::from_millis(50)) {
            let hit = pred(&ev);
            seen.push(ev);
            if hit {
                return seen;
            }
        }
    }
    panic!("timed out; events: {seen:?}");
}

#[test]
fn silent_playback_behaves_like_a_device() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.wav");
    let b = dir.path().join("b.flac");
    write_wav(&a, &tone(440.0, 22_050, 3.0, 0.3), 22_050, 2);
    std::fs::copy(fixture("tone-stereo-44k.flac"), &b).unwrap();
    let p = spawn(AudioOutput::Silent("test".into()));
    let ev = p.events();
    wait_for(ev, Duration::from_secs(2), |e| {
        matches!(e, PlayerEvent::Output { silent: true, .. })
    });

    p.send(PlayerCommand::Load {
        path: a.clone(),
        paused: false,
    });
    wait_for(
        ev,
        Duration::from_secs(2),
        |e| matches!(e, PlayerEvent::Started { path, duration_secs: Some(d) } if *path == a && (*d - 3.0).abs() < 0.01),
    );
    // Position advances in real time.
    let seen = wait_for(
        ev,
        Duration::from_secs(3),
        |e| matches!(e, PlayerEvent::Position { secs } if *secs > 0.5),
    );
    assert!(!seen.is_empty());

    // Pause: the position stops.
    p.send(PlayerCommand::Pause);
    wait_for(ev, Duration::from_secs(1), |e| {
        *e == PlayerEvent::Paused(true)
    });
    std::thread::sleep(Duration::from_millis(400));
    while ev.try_recv().is_ok() {}
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        ev.try_iter()
            .all(|e| !matches!(e, PlayerEvent::Position { .. })),
        "position moved while paused"
    );

    // Seek back to the start, then play on.
    p.send(PlayerCommand::SeekTo(0.2));
    wait_for(
        ev,
        Duration::from_secs(2),
        |e| matches!(e, PlayerEvent::Position { secs } if (*secs - 0.2).abs() < 0.05),
    );
    p.send(PlayerCommand::SetNext(Some(b.clone())));
    p.send(PlayerCommand::Play);
    // Gapless: b starts without an Ended in between, then b ends.
    let seen = wait_for(
        ev,
        Duration::from_secs(6),
        |e| matches!(e, PlayerEvent::Started { path, .. } if *path == b),
    );
    assert!(
        !seen.iter().any(|e| matches!(e, PlayerEvent::Ended { .. })),
        "{seen:?}"
    );
    wait_for(
        ev,
        Duration::from_secs(4),
        |e| matches!(e, PlayerEvent::Ended { path } if *path == b),
    );
}

#[test]
fn a_bad_file_is_reported_not_played() {
    let p = spawn(AudioOutput::Silent("test".into()));
    let bad = fixture("tone.opus");
    p.send(PlayerCommand::Load {
        path: bad.clone(),
        paused: false,
    });
    let seen = wait_for(p.events(), Duration::from_secs(2), |e| {
        matches!(e, PlayerEvent::Error { .. })
    });
    match seen.last().unwrap() {
        PlayerEvent::Error { path, message } => {
            assert_eq!(*path, bad);
            assert!(message.contains("opus"), "{message}");
        }
        _ => unreachable!(),
    }
}

#[test]
fn a_preloaded_next_track_is_re_chosen_in_the_last_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.wav");
    let b = dir.path().join("b.wav");
    let c = dir.path().join("c.wav");
    write_wav(&a, &tone(440.0, 22_050, 3.0, 0.3), 22_050, 1);
    write_wav(&b, &tone(330.0, 22_050, 2.0, 0.3), 22_050, 1);
    write_wav(&c, &tone(220.0, 22_050, 2.0, 0.3), 22_050, 1);
    let p = spawn(AudioOutput::Silent("test".into()));
    let ev = p.events();
    p.send(PlayerCommand::Load {
        path: a.clone(),
        paused: false,
    });
    p.send(PlayerCommand::SetNext(Some(b.clone())));
    // a is 3 s long: within 5 s of its end b is appended at once. Let it get there.
    wait_for(
        ev,
        Duration::from_secs(3),
        |e| matches!(e, PlayerEvent::Position { secs } if *secs > 0.5),
    );
    // The queue changed: c comes next now. a goes on where it was, then c plays, not b.
    p.send(PlayerCommand::SetNext(Some(c.clone())));
    let seen = wait_for(
        ev,
        Duration::from_secs(6),
        |e| matches!(e, PlayerEvent::Started { path, .. } if *path != a),
    );
    match seen.last().unwrap() {
        PlayerEvent::Started { path, .. } => assert_eq!(*path, c, "{seen:?}"),
        _ => unreachable!(),
    }
    // a was not restarted from the top.
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, PlayerEvent::Position { secs } if *secs < 0.3)),
        "{seen:?}"
    );
}
