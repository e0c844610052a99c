#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The player without a sound card: silent playback that still advances, pauses, seeks, moves
//! on gaplessly and reports the end.

use crate::common;

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
    // Fixed times on purpose: positions sent before the pause took hold are let through and
    // dropped, then none may come for half a second.
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
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("tone.wv");
    write_wavpack(&bad);
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
            assert!(message.contains("unsupported format: WavPack"), "{message}");
        }
        _ => unreachable!(),
    }
}

/// Plays `path` through the player's source as fast as it decodes: (declared duration,
/// seconds played, what the source reported at its end).
fn play_through(path: &std::path::Path) -> (Option<f64>, f64, Option<String>) {
    use genreplay::audio::player::TrackSource;
    use rodio::Source;
    let mut src = TrackSource::open(path).unwrap_or_else(|e| panic!("{e}"));
    let d = src.total_duration().map(|d| d.as_secs_f64());
    let per_sec = src.channels().get() as f64 * src.sample_rate().get() as f64;
    let slot = src.damage_slot();
    let n = src.by_ref().count() as f64;
    let why = slot.lock().unwrap().clone();
    (d, n / per_sec, why)
}

#[test]
fn damaged_files_play_what_decodes_and_say_why_they_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(4);
    let garbage: Vec<u8> = (0..20_000).map(|_| rng.next_u64() as u8).collect();

    // A WAV whose data length lies: the duration shown is the real one.
    let wav = dir.path().join("lying.wav");
    write_wav(&wav, &tone(440.0, 16_000, 3.0, 0.3), 16_000, 1);
    let mut b = std::fs::read(&wav).unwrap();
    let at = b.windows(4).position(|w| w == b"data").unwrap() + 4;
    b[at..at + 4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    std::fs::write(&wav, &b).unwrap();
    let (d, played, why) = play_through(&wav);
    assert!((d.unwrap() - 3.0).abs() < 0.01, "{d:?}");
    assert!((played - 3.0).abs() < 0.01, "{played}");
    assert!(why.unwrap().contains("the header declares"));

    // FLAC cut part-way with garbage after it: what decodes plays, and it says it was cut.
    let flac = std::fs::read(fixture("tone-stereo-44k.flac")).unwrap();
    let cut = dir.path().join("cut+garbage.flac");
    std::fs::write(&cut, [&flac[..flac.len() * 6 / 10], &garbage].concat()).unwrap();
    let (d, played, why) = play_through(&cut);
    // The duration shown is where the stream really ends (its last whole frame).
    let d = d.unwrap();
    assert!(d > 0.5 && d < 1.2, "{d}");
    assert!((played - d).abs() < 0.1, "{played} of {d}");
    let why = why.unwrap();
    assert!(
        why.contains("cut+garbage.flac: damaged, played up to 0:0") && why.contains("truncated"),
        "{why}"
    );

    // FLAC with garbage appended: all of it plays, nothing is lost.
    let tail = dir.path().join("tail.flac");
    std::fs::write(&tail, [flac.as_slice(), &garbage].concat()).unwrap();
    let (_, played, _) = play_through(&tail);
    assert!((played - 1.5).abs() < 0.05, "{played}");

    // FLAC with a damaged stretch in the middle: the reader steps over it, and says so.
    let mut holed = flac.clone();
    let mid = holed.len() / 2;
    holed[mid..mid + 12_000].fill(0);
    let holed_path = dir.path().join("holed.flac");
    std::fs::write(&holed_path, &holed).unwrap();
    let (_, played, why) = play_through(&holed_path);
    assert!(played < 1.45, "{played}");
    let why = why.unwrap_or_default();
    assert!(why.contains("damaged audio skipped"), "{why}");

    // Ogg cut inside a page: plays what is there, called truncated; with garbage after the
    // last page it plays whole.
    let ogg = std::fs::read(fixture("tone.ogg")).unwrap();
    let cut = dir.path().join("cut.ogg");
    // (The fixture's last page holds its last 0.2 s.)
    std::fs::write(&cut, &ogg[..ogg.len() - 300]).unwrap();
    let (_, played, why) = play_through(&cut);
    assert!(played > 1.0 && played < 1.45, "{played}");
    let why = why.unwrap_or_default();
    assert!(
        why.contains("truncated: the file ends inside an Ogg page"),
        "{why}"
    );
    let tail = dir.path().join("tail.ogg");
    std::fs::write(&tail, [ogg.as_slice(), &garbage].concat()).unwrap();
    let (d, played, _) = play_through(&tail);
    assert!((d.unwrap() - 1.5).abs() < 0.05, "{d:?}");
    assert!((played - 1.5).abs() < 0.05, "{played}");

    // Through the player: the cut FLAC starts, then ends with the reason, not a plain end.
    let p = spawn(AudioOutput::Silent("test".into()));
    let cut = dir.path().join("cut+garbage.flac");
    p.send(PlayerCommand::Load {
        path: cut.clone(),
        paused: false,
    });
    let seen = wait_for(p.events(), Duration::from_secs(5), |e| {
        matches!(e, PlayerEvent::Error { .. } | PlayerEvent::Ended { .. })
    });
    assert!(
        seen.iter()
            .any(|e| matches!(e, PlayerEvent::Started { path, .. } if *path == cut)),
        "{seen:?}"
    );
    match seen.last().unwrap() {
        PlayerEvent::Error { path, message } => {
            assert_eq!(*path, cut);
            assert!(message.contains("truncated"), "{message}");
        }
        other => panic!("ended without a reason: {other:?}"),
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

#[test]
fn opus_plays_whole() {
    let (d, played, why) = play_through(&fixture("tone.opus"));
    assert!((d.unwrap() - 1.5).abs() < 0.05, "{d:?}");
    assert!((played - 1.5).abs() < 0.03, "{played}");
    assert_eq!(why, None);
    // And through the player thread: it starts and ends without an error.
    let p = spawn(AudioOutput::Silent("test".into()));
    let path = fixture("tone.opus");
    p.send(PlayerCommand::Load {
        path: path.clone(),
        paused: false,
    });
    let seen = wait_for(p.events(), Duration::from_secs(5), |e| {
        matches!(e, PlayerEvent::Error { .. } | PlayerEvent::Ended { .. })
    });
    assert!(
        matches!(seen.last(), Some(PlayerEvent::Ended { path: p }) if *p == path),
        "{seen:?}"
    );
}

/// RMS and peak of what a track source gives with the gain stage at `scale`.
fn through_gain(path: &std::path::Path, scale: f32) -> (f32, f32) {
    use genreplay::audio::gain::{Gain, GainHandle};
    use genreplay::audio::player::TrackSource;
    let src = TrackSource::open(path).unwrap();
    let out: Vec<f32> = Gain::new(src, GainHandle::new(scale)).collect();
    let rms = (out.iter().map(|v| v * v).sum::<f32>() / out.len() as f32).sqrt();
    let peak = out.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    (rms, peak)
}

#[test]
fn the_replaygain_stage_scales_the_samples_it_plays() {
    use genreplay::audio::gain::{GainMode, GainSettings, ReplayGainTags, choose};
    // A 1 kHz sine at 0.25 peak (−12 dBFS), mono 44.1 kHz.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sine.wav");
    write_wav(&p, &tone(1000.0, 44_100, 2.0, 0.25), 44_100, 1);
    let (rms0, peak0) = through_gain(&p, 1.0);
    assert!((peak0 - 0.25).abs() < 0.002, "{peak0}");
    let track = |gain: f32, peak: f32| ReplayGainTags {
        track_gain_db: Some(gain),
        track_peak: Some(peak),
        ..Default::default()
    };
    let s = GainSettings {
        mode: GainMode::Track,
        preamp_db: 0.0,
    };
    // −6 dB: the RMS ratio measured on the output is −6 dB.
    let g = choose(&track(-6.0, 0.25), None, &s);
    let (rms, _) = through_gain(&p, g.scale);
    let db = 20.0 * (rms / rms0).log10();
    assert!((db + 6.0).abs() < 0.05, "{db} dB");
    // +9 dB asked, but the peak (0.25) allows only +12.04 dB with a +6 dB preamp: limited.
    let loud = GainSettings {
        preamp_db: 6.0,
        ..s
    };
    let g = choose(&track(9.0, 0.25), None, &loud);
    assert!(g.peak_limited, "{g:?}");
    let (rms, peak) = through_gain(&p, g.scale);
    assert!(peak <= 1.0 + 1e-4 && peak > 0.99, "{peak}");
    let db = 20.0 * (rms / rms0).log10();
    assert!((db - 12.04).abs() < 0.05, "{db} dB");
    // Off: as it is.
    let off = choose(
        &track(-6.0, 0.25),
        None,
        &GainSettings {
            mode: GainMode::Off,
            ..s
        },
    );
    assert_eq!(through_gain(&p, off.scale).0, rms0);
}
