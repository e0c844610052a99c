#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Recommendations end to end: "play next" and auto-DJ in the app, genre playlists refreshing
//! as vectors arrive, M3U8 export that reads back, and the `queue` / `playlists` commands.

use crate::common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use genreplay::app::catalog::{Catalog, TrackInfo};
use genreplay::app::play_queue::Reason;
use genreplay::app::{App, Effect, Event};
use genreplay::audio::player::{PlayerCommand, PlayerEvent};
use genreplay::config::{Keymap, Theme};
use genreplay::library::TrackId;
use genreplay::recommend::playlists::{M3uEntry, read_m3u, write_m3u8};

const LABELS: [&str; 3] = ["blues", "jazz", "rock"];

/// `n` tracks ("Song i", by `artists` artists in turn) with their genre vectors, as the app.
fn app_of(n: u32, artists: u32, vector: impl Fn(usize) -> Vec<f32>) -> App {
    let root = PathBuf::from("/music");
    let mut tracks = Vec::new();
    for i in 0..n {
        let artist = format!("Artist {}", i % artists);
        let path = root.join(&artist).join(format!("{i:02}.flac"));
        tracks.push(TrackInfo {
            id: TrackId::of_path(&path),
            path,
            title: format!("Song {i}"),
            artist,
            album: "Album".into(),
            track_no: Some(i),
            duration_secs: Some(100.0),
            folder: ".".into(),
            ..Default::default()
        });
    }
    let ids: Vec<TrackId> = tracks.iter().map(|t| t.id).collect();
    let mut lib = Catalog::new(root, tracks, LABELS.iter().map(|s| s.to_string()).collect());
    for (i, id) in ids.iter().enumerate() {
        lib.vectors.insert(*id, vector(i).into());
    }
    let mut a = App::new(lib, Keymap::defaults(), Theme::built_in(), "dark", 80);
    a.update(Event::Resize(100, 40));
    a
}

/// 30 tracks by 6 artists, genre vectors along a line from blues to rock.
fn app() -> App {
    let mut a = app_of(30, 6, |i| {
        let x = i as f32 / 29.0;
        vec![(1.0 - x) * 0.9 + 0.05, 0.1, x * 0.9 + 0.05]
    });
    for i in 0..30 {
        let x = i as f32 / 29.0;
        let id = track_by_title(&a, &format!("Song {i}"));
        a.session
            .lib
            .styles
            .insert(id, vec![1.0 - x, x, 0.5].into());
    }
    a
}

fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in keys.chars() {
        fx.extend(app.update(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        ))));
    }
    fx
}

fn track_by_title(app: &App, title: &str) -> TrackId {
    app.session
        .lib
        .tracks
        .iter()
        .find(|t| t.title == title)
        .unwrap()
        .id
}

fn start(app: &mut App, title: &str) {
    let id = track_by_title(app, title);
    let path = app.session.lib.track(id).unwrap().path.clone();
    app.session.play_tracks(vec![id], 0, "test".into());
    app.session.take_effects();
    app.update(Event::Player(PlayerEvent::Started {
        path,
        duration_secs: Some(100.0),
    }));
}

#[test]
fn f_fills_play_next_with_similar_tracks_and_says_why() {
    let mut app = app();
    app.session.recommend.fill_count = 8;
    // No floor: this is about the order and the reasons.
    app.session.recommend.options.min_similarity = 0.0;
    start(&mut app, "Song 0");
    let fx = press(&mut app, "f");
    // The fill goes to up next; the seed plays on.
    assert_eq!(app.session.queue.up_next.len(), 8);
    assert_eq!(
        app.session.queue.current_track(),
        Some(track_by_title(&app, "Song 0"))
    );
    // Closest to the blues end come first, never the seed's artist right after it.
    let order: Vec<TrackId> = app
        .session
        .queue
        .current_track()
        .into_iter()
        .chain(app.session.queue.up_next.iter().map(|e| e.track))
        .collect();
    let artists: Vec<String> = order
        .iter()
        .map(|t| app.session.lib.track(*t).unwrap().artist.clone())
        .collect();
    for w in artists.windows(2) {
        assert_ne!(w[0], w[1], "{artists:?}");
    }
    let picked: HashSet<TrackId> = order.iter().copied().collect();
    assert_eq!(picked.len(), 9, "no repeats");
    for e in &app.session.queue.up_next {
        match &e.reason {
            Reason::Similar {
                seed,
                genre,
                similarity,
            } => {
                assert_eq!(seed, "Song 0");
                assert_eq!(genre, "blues");
                assert!(*similarity > 0.8, "{similarity}");
            }
            r => panic!("unexpected reason {r:?}"),
        }
    }
    let first = app
        .session
        .lib
        .track(app.session.queue.up_next[0].track)
        .unwrap()
        .title
        .clone();
    let n: u32 = first.trim_start_matches("Song ").parse().unwrap();
    assert!(n <= 6, "first pick {first} is not among the closest");
    assert!(
        fx.iter()
            .any(|f| matches!(f, Effect::Player(PlayerCommand::SetNext(Some(_)))))
    );
    // Pressing again replaces the previous fill rather than stacking another one.
    press(&mut app, "f");
    assert_eq!(app.session.queue.up_next.len(), 8);
}

#[test]
fn auto_dj_keeps_the_music_going_and_drifts_gradually() {
    let mut app = app();
    app.session.recommend.auto_dj_ahead = 4;
    start(&mut app, "Song 0");
    press(&mut app, "D");
    assert!(app.session.auto_dj);
    assert_eq!(app.session.upcoming().len(), 4);
    // Play through 40 track ends: the queue never runs dry and never repeats a track.
    let mut played = vec![app.session.queue.current_track().unwrap()];
    for _ in 0..25 {
        let path = app
            .session
            .lib
            .track(app.session.queue.current_track().unwrap())
            .unwrap()
            .path
            .clone();
        let fx = app.update(Event::Player(PlayerEvent::Ended { path }));
        assert!(
            fx.iter()
                .any(|f| matches!(f, Effect::Player(PlayerCommand::Load { .. }))),
            "the music stopped"
        );
        played.push(app.session.queue.current_track().unwrap());
        let ahead = app.session.upcoming().len();
        assert!(ahead >= 4, "only {ahead} ahead");
    }
    let unique: HashSet<_> = played.iter().collect();
    assert_eq!(unique.len(), played.len(), "a track repeated");
    // Each step moves along the blues → rock line in small steps (no jumps across it).
    let pos = |id: &TrackId| -> f32 { app.session.lib.vectors[id][2] };
    let jumps: Vec<f32> = played
        .windows(2)
        .map(|w| (pos(&w[0]) - pos(&w[1])).abs())
        .collect();
    let max_jump = jumps.iter().cloned().fold(0.0, f32::max);
    assert!(max_jump < 0.5, "jumped {max_jump}: {jumps:?}");
    press(&mut app, "D");
    assert!(!app.session.auto_dj);
}

/// Two genres far apart (cosine ≈ 0.1 between them) and one unsure sound: nothing is 75%
/// like anything across the gap.
fn two_islands() -> App {
    let mut a = app_of(11, 4, |i| {
        let d = i as f32 * 0.01;
        match i {
            0..5 => vec![0.05, 0.9 - d, 0.05 + d],
            5..10 => vec![0.05 + d, 0.05, 0.9 - d],
            _ => vec![0.8, 0.1, 0.1],
        }
    });
    let sound = track_by_title(&a, "Song 10");
    a.session.lib.open_set.insert(
        sound,
        genreplay::store::OpenSetRecord {
            known: false,
            confidence: 0.3,
            distance: 2.0,
            music: None,
        },
    );
    a
}

#[test]
fn auto_dj_never_dead_ends_it_drifts_and_says_when_the_library_is_used_up() {
    let mut app = two_islands();
    app.session.recommend.auto_dj_ahead = 2;
    start(&mut app, "Song 0");
    press(&mut app, "D");
    let mut played = vec![app.session.queue.current_track().unwrap()];
    let mut said: Vec<String> = Vec::new();
    for _ in 0..30 {
        if let Some(s) = &app.session.status {
            said.push(s.text.clone());
        }
        let Some(now) = app.session.queue.current_track() else {
            break;
        };
        let path = app.session.lib.track(now).unwrap().path.clone();
        app.update(Event::Player(PlayerEvent::Ended { path }));
        match app.session.queue.current_track() {
            Some(next) if next != now => played.push(next),
            _ => break,
        }
    }
    if let Some(s) = &app.session.status {
        said.push(s.text.clone());
    }
    // Every track played once: jazz, then (drifting) rock, then the unsure sound last.
    let unique: HashSet<_> = played.iter().collect();
    assert_eq!(played.len(), 11, "{played:?} {said:?}");
    assert_eq!(unique.len(), 11, "a track repeated");
    let title = |id: &TrackId| app.session.lib.track(*id).unwrap().title.clone();
    let n = |id: &TrackId| -> u32 { title(id).trim_start_matches("Song ").parse().unwrap() };
    assert!(played[..5].iter().all(|id| n(id) < 5), "jazz first");
    assert!(
        played[5..10].iter().all(|id| (5..10).contains(&n(id))),
        "then rock"
    );
    assert_eq!(n(&played[10]), 10, "the unsure sound only at the very end");
    // It said when it drifted, from which track, and when the library was used up.
    let drift = said
        .iter()
        .find(|t| t.contains("drifting"))
        .unwrap_or_else(|| panic!("{said:?}"));
    assert!(
        drift.starts_with("auto-DJ: nothing left above 75% like \"Song ")
            && drift.contains("down to"),
        "{drift}"
    );
    assert!(
        said.iter()
            .any(|t| t.contains("to whatever has not played yet")),
        "{said:?}"
    );
    // Said once the last unplayed track started (then the queue ends, and says so).
    let used_up = said
        .iter()
        .position(|t| t.contains("the whole library has been played (11 tracks)"))
        .unwrap_or_else(|| panic!("{said:?}"));
    assert!(used_up > said.iter().position(|t| t.contains("drifting")).unwrap());
    assert!(app.session.auto_dj);
}

#[test]
fn genre_playlists_refresh_as_vectors_arrive_and_respect_the_floor() {
    let mut app = app();
    app.session.recommend.min_confidence = 0.6;
    app.rebuild();
    let before: usize = app.views.genres.lists.iter().map(|(_, t)| t.len()).sum();
    // A new, confident jazz track appears.
    let id = app.session.lib.tracks[0].id;
    app.update(Event::VectorReady {
        track: id,
        vector: vec![0.05, 0.9, 0.05],
        style: None,
        open_set: None,
    });
    let jazz = &app
        .views
        .genres
        .lists
        .iter()
        .find(|(g, _)| g == "jazz")
        .unwrap()
        .1;
    assert_eq!(jazz, &vec![(id, 0.9)]);
    // An unsure one stays out of every playlist.
    let id2 = app.session.lib.tracks[1].id;
    app.update(Event::VectorReady {
        track: id2,
        vector: vec![0.4, 0.35, 0.25],
        style: None,
        open_set: None,
    });
    assert!(
        app.views
            .genres
            .lists
            .iter()
            .all(|(_, t)| t.iter().all(|(x, _)| *x != id2))
    );
    let after: usize = app.views.genres.lists.iter().map(|(_, t)| t.len()).sum();
    assert!(after <= before + 1);
}

#[test]
fn e_exports_the_selected_genre_playlist() {
    let mut app = app();
    press(&mut app, "4");
    let fx = press(&mut app, "e");
    match fx.as_slice() {
        [Effect::ExportPlaylist { source, entries }] => {
            assert_eq!(
                source,
                &genreplay::playlist::ExportSource::Genre("blues".into())
            );
            assert!(!entries.is_empty());
            assert!(entries.iter().all(|e| e.path.starts_with("/music")));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn m3u8_round_trip_with_relative_and_absolute_paths() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let a = root.join("Artist/Album/01 Song.flac");
    let b = root.join("Other/02 Ünïcödé, with comma.ogg");
    for p in [&a, &b] {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"x").unwrap();
    }
    let entries = vec![
        M3uEntry {
            path: a.clone(),
            duration_secs: Some(61.4),
            artist: "Artist".into(),
            title: "Song".into(),
        },
        M3uEntry {
            path: b.clone(),
            duration_secs: None,
            artist: "Other".into(),
            title: "Ünïcödé, with comma".into(),
        },
    ];
    // Inside the library: relative paths.
    let inside = root.join("playlists/mix.m3u8");
    write_m3u8(&inside, &entries, Some(&root), false).unwrap();
    let text = std::fs::read_to_string(&inside).unwrap();
    assert!(
        text.starts_with("#EXTM3U\n#EXTINF:61,Artist - Song\n../Artist/Album/01 Song.flac\n"),
        "{text}"
    );
    assert!(text.contains("#EXTINF:-1,Other - Ünïcödé, with comma\n../Other/"));
    let back = read_m3u(&inside).unwrap();
    assert_eq!(back.len(), 2);
    for (e, orig) in back.iter().zip(&entries) {
        assert_eq!(
            e.path.canonicalize().unwrap(),
            orig.path,
            "resolves to the same file"
        );
        assert_eq!(e.title, orig.title);
        assert_eq!(e.artist, orig.artist);
    }
    assert_eq!(back[0].duration_secs, Some(61.0));
    // Never overwrite without force.
    let err = write_m3u8(&inside, &entries, Some(&root), false).unwrap_err();
    assert!(err.to_string().contains("--force"), "{err}");
    write_m3u8(&inside, &entries[..1], Some(&root), true).unwrap();
    assert_eq!(read_m3u(&inside).unwrap().len(), 1);
    // Outside the library: absolute paths.
    let other = tempfile::tempdir().unwrap();
    let outside = other.path().join("mix.m3u8");
    write_m3u8(&outside, &entries, Some(&root), false).unwrap();
    let text = std::fs::read_to_string(&outside).unwrap();
    assert!(text.contains(&format!("\n{}\n", a.display())), "{text}");
    assert_eq!(read_m3u(&outside).unwrap()[1].path, b);
}

fn genreplay() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("genreplay").unwrap()
}

#[test]
fn queue_and_playlists_commands_on_a_scanned_library() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("music");
    for i in 0..9u64 {
        let g = common::SYNTH_GENRES[(i % 3) as usize];
        common::tagged_track(
            &lib.join(format!("{g}/{i}.wav")),
            3.2,
            i * 3 + (i % 3),
            &format!("Band {}", i % 4),
            g,
            &format!("{g} {i}"),
        );
    }
    let data = dir.path().join("data");
    let out = genreplay()
        .arg("--data-dir")
        .arg(&data)
        .arg("--library")
        .arg(&lib)
        .args(["scan", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let seed = lib.join("low/1.wav");
    let out = genreplay()
        .arg("--data-dir")
        .arg(&data)
        .args([
            "queue",
            "--json",
            "-n",
            "5",
            "--randomness",
            "0",
            "--min-similarity",
            "0",
            "--seed",
        ])
        .arg(&seed)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let q = v["queue"].as_array().unwrap();
    assert_eq!(q.len(), 5);
    let paths: Vec<&str> = q.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert!(
        !paths.iter().any(|p| p.ends_with("low/1.wav")),
        "the seed is not queued"
    );
    for e in q {
        assert!(e["similarity"].as_f64().unwrap() > 0.0);
        assert!(e["reason"].as_str().unwrap().contains("similar"));
    }
    // The closest is another low tone.
    assert!(paths[0].contains("/low/"), "{paths:?}");

    let export = dir.path().join("lists");
    let out = genreplay()
        .arg("--data-dir")
        .arg(&data)
        // Synthetic tones are unsure (no genre of the model): asked in explicitly.
        .args(["playlists", "--json", "--include-unsure", "--export"])
        .arg(&export)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let written = v["written"].as_array().unwrap();
    assert!(!written.is_empty());
    let total: usize = v["playlists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["tracks"].as_array().unwrap().len())
        .sum();
    assert_eq!(total, 9);
    // Style playlists are written beside the genre ones, each track under every style it shows.
    let style_total: usize = v["style_playlists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert!(p["style"].is_string(), "{p}");
            p["tracks"].as_array().unwrap().len()
        })
        .sum();
    let mut listed = 0;
    for w in written {
        let entries = read_m3u(Path::new(w.as_str().unwrap())).unwrap();
        assert!(
            entries.iter().all(|e| e.path.is_file()),
            "{w}: paths must resolve"
        );
        listed += entries.len();
    }
    assert_eq!(listed, 9 + style_total);
    assert_eq!(
        written
            .iter()
            .filter(|w| w.as_str().unwrap().contains("style - "))
            .count(),
        v["style_playlists"].as_array().unwrap().len()
    );
    // A second export refuses to overwrite; --force does.
    let out = genreplay()
        .arg("--data-dir")
        .arg(&data)
        .args(["playlists", "--include-unsure", "--export"])
        .arg(&export)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    let out = genreplay()
        .arg("--data-dir")
        .arg(&data)
        .args([
            "playlists",
            "--include-unsure",
            "--force",
            "--min-confidence",
            "0.99",
            "--export",
        ])
        .arg(&export)
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn unsure_tracks_show_a_question_mark_stay_out_of_playlists_and_never_follow_known_seeds() {
    let mut app = app();
    let unsure = track_by_title(&app, "Song 1");
    let v = app.session.lib.vectors[&unsure].to_vec();
    app.update(Event::VectorReady {
        track: unsure,
        vector: v,
        style: Some(vec![1.0, 0.0, 0.5]),
        open_set: Some(genreplay::store::OpenSetRecord {
            known: false,
            confidence: 0.3,
            distance: 2.0,
            music: None,
        }),
    });
    assert!(
        app.session
            .lib
            .genre_text(unsure)
            .unwrap()
            .starts_with("? blues")
    );
    let lists = &app.views.genres.lists;
    let (name, tracks) = lists.last().unwrap();
    assert_eq!(name, genreplay::app::catalog::UNSURE_GROUP);
    assert_eq!(
        tracks.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
        vec![unsure]
    );
    assert!(
        lists[..lists.len() - 1]
            .iter()
            .all(|(_, t)| t.iter().all(|(x, _)| *x != unsure))
    );
    // With unsure_in_playlists it is back under its top guess.
    app.session.recommend.unsure_in_playlists = true;
    app.rebuild();
    assert!(
        app.views
            .genres
            .lists
            .iter()
            .any(|(g, t)| g == "blues" && t.iter().any(|(x, _)| *x == unsure))
    );
    // Song 0 (known) is its nearest neighbour, but "play next" never picks it.
    app.session.recommend.fill_count = 29;
    start(&mut app, "Song 0");
    press(&mut app, "f");
    let queued: Vec<TrackId> = app.session.upcoming();
    assert!(!queued.is_empty());
    assert!(!queued.contains(&unsure));
    // Everything above the floor is queued now: a second f says so and adds nothing.
    let n = queued.len();
    assert!(n < 28, "the floor let {n} of 28 through");
    press(&mut app, "f");
    let status = app.session.status.as_ref().unwrap().text.clone();
    assert!(
        status.starts_with("no more tracks like \"Song 0\""),
        "{status}"
    );
    assert_eq!(app.session.upcoming().len(), n);
}
