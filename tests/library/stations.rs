#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Stations end to end: your mix, a path and a mix of marked tracks in the app (keys `o`, `P`,
//! `S`), and `genreplay queue --mix / --path / --seed --less --json` on a scanned library.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use genreplay::app::catalog::{Catalog, TrackInfo};
use genreplay::app::play_queue::Reason;
use genreplay::app::views::marks::Mark;
use genreplay::app::{App, Event};
use genreplay::config::{Keymap, Theme};
use genreplay::library::TrackId;
use genreplay::store::history::{HistoryRecord, Rating};

/// 30 tracks ("Song i", by 6 artists in turn) on a line from blues (Song 0) to rock (Song 29).
fn app() -> App {
    let root = PathBuf::from("/music");
    let tracks: Vec<TrackInfo> = (0..30)
        .map(|i| {
            let artist = format!("Artist {}", i % 6);
            let path = root.join(&artist).join(format!("{i:02}.flac"));
            TrackInfo {
                id: TrackId::of_path(&path),
                path,
                title: format!("Song {i}"),
                artist,
                album: "Album".into(),
                track_no: Some(i),
                duration_secs: Some(100.0),
                folder: ".".into(),
                ..Default::default()
            }
        })
        .collect();
    let ids: Vec<(usize, TrackId)> = tracks.iter().enumerate().map(|(i, t)| (i, t.id)).collect();
    let labels = ["blues", "jazz", "rock"].map(String::from).to_vec();
    let mut lib = Catalog::new(root, tracks, labels);
    for (i, id) in ids {
        let x = i as f32 / 29.0;
        lib.vectors
            .insert(id, vec![(1.0 - x) * 0.9 + 0.05, 0.1, x * 0.9 + 0.05].into());
    }
    let mut a = App::new(lib, Keymap::defaults(), Theme::built_in(), "dark", 80);
    a.update(Event::Resize(100, 40));
    a.session.recommend.recent_hours = 0;
    a
}

fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        let m = if c.is_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        app.update(Event::Key(KeyEvent::new(KeyCode::Char(c), m)));
    }
}

fn song(app: &App, i: usize) -> TrackId {
    let title = format!("Song {i}");
    app.session
        .lib
        .tracks
        .iter()
        .find(|t| t.title == title)
        .unwrap()
        .id
}

/// The number in "Song N" of each track playing and to come.
fn numbers(app: &App) -> Vec<usize> {
    app.session
        .queue
        .current_track()
        .into_iter()
        .chain(app.session.queue.up_next.iter().map(|e| e.track))
        .map(|t| {
            app.session.lib.track(t).unwrap().title[5..]
                .parse()
                .unwrap()
        })
        .collect()
}

fn reasons(app: &App) -> Vec<String> {
    app.session
        .queue
        .current
        .iter()
        .map(|c| &c.entry)
        .chain(&app.session.queue.up_next)
        .map(|e| match &e.reason {
            Reason::Station(why) => why.clone(),
            r => panic!("not a station's pick: {r:?}"),
        })
        .collect()
}

fn status(app: &App) -> String {
    genreplay::ui::status_text(app).0
}

#[test]
fn a_path_between_two_marked_tracks_walks_from_one_end_to_the_other() {
    let mut app = app();
    let (a, b) = (song(&app, 2), song(&app, 27));
    app.views.library.marks.set(a, Mark::Like);
    app.views.library.marks.set(b, Mark::Like);
    press(&mut app, "P");
    let n = numbers(&app);
    assert_eq!(n.len(), 10, "{}", status(&app));
    assert_eq!((n[0], n[9]), (2, 27), "{n:?}");
    assert!(
        n.windows(2).all(|w| w[1] > w[0]),
        "steadily toward B: {n:?}"
    );
    assert_eq!(n.iter().collect::<HashSet<_>>().len(), 10, "no repeats");
    // At most 2 tracks of one artist (PATH_ARTIST_CAP).
    let mut per: HashMap<usize, usize> = HashMap::new();
    for x in &n {
        *per.entry(x % 6).or_default() += 1;
    }
    assert!(per.values().all(|&c| c <= 2), "{n:?}");
    let r = reasons(&app);
    assert!(r[3].starts_with("step 4/10 toward Song 27"), "{r:?}");
    assert_eq!(
        status(&app),
        "path: 10 steps from \"Song 2\" to \"Song 27\""
    );
}

#[test]
fn your_mix_plays_what_was_played_and_liked_without_disliked_tracks_or_artist_repeats() {
    let mut app = app();
    app.session.recommend.fill_count = 8;
    press(&mut app, "o");
    assert!(
        status(&app).contains("play some tracks first"),
        "{}",
        status(&app)
    );
    assert!(app.session.queue.up_next.is_empty());
    // An evening of blues (Songs 0–4 played and liked), rock skipped, Song 1 disliked.
    let now = genreplay::store::now_unix();
    let mut history = HashMap::new();
    for i in 0..5 {
        let rating = if i == 1 {
            Rating::Dislike
        } else {
            Rating::Like
        };
        let plays = if i == 1 { 0 } else { 3 };
        history.insert(
            song(&app, i),
            HistoryRecord {
                plays,
                rating,
                last_played_unix: Some(now - 3600),
                updated_unix: now - 3600,
                ..Default::default()
            },
        );
    }
    for i in 25..30 {
        history.insert(
            song(&app, i),
            HistoryRecord {
                skips: 4,
                last_skipped_unix: Some(now - 3600),
                updated_unix: now - 3600,
                ..Default::default()
            },
        );
    }
    app.session.history_loaded(history);
    press(&mut app, "o");
    let n = numbers(&app);
    assert_eq!(n.len(), 8, "{}", status(&app));
    assert_eq!(status(&app), "your mix: 8 tracks");
    assert!(!n.contains(&1), "never a disliked track: {n:?}");
    assert!(n.iter().all(|&x| x < 12), "the blues end: {n:?}");
    assert!(n.windows(2).all(|w| w[0] % 6 != w[1] % 6), "artists: {n:?}");
    assert!(
        reasons(&app)[0].starts_with("your mix: blues"),
        "{:?}",
        reasons(&app)
    );
}

#[test]
fn a_mix_of_marked_tracks_sounds_like_them_together_and_less_like_the_less_one() {
    let mut app = app();
    app.session.recommend.fill_count = 4;
    // Seeds at 10 and 20: what is close to both is in between.
    app.views.library.marks.set(song(&app, 10), Mark::Like);
    app.views.library.marks.set(song(&app, 20), Mark::Like);
    press(&mut app, "S");
    let n = numbers(&app);
    assert_eq!(n.len(), 4);
    assert!(n.iter().all(|&x| (11..20).contains(&x)), "{n:?}");
    // Less like 12: the picks move away from it, toward 20.
    app.session.queue.clear();
    app.session.stop();
    app.views.library.marks.set(song(&app, 12), Mark::Less);
    press(&mut app, "S");
    let m = numbers(&app);
    let mean = |v: &[usize]| v.iter().sum::<usize>() as f32 / v.len() as f32;
    assert!(mean(&m) > mean(&n), "{n:?} → {m:?}");
    assert!(!m.contains(&12));
    assert!(
        reasons(&app)[0].contains("less like Song 12"),
        "{:?}",
        reasons(&app)
    );
}

fn genreplay() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("genreplay").unwrap()
}

fn queue_json(data: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = genreplay()
        .arg("--data-dir")
        .arg(data)
        .args(["queue", "--json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn queue_stations_on_a_scanned_library() {
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
    let file = |p: &str| lib.join(p).to_string_lossy().into_owned();

    // A path from a low tone to a noise, 5 steps.
    let v = queue_json(
        &data,
        &[
            "-n",
            "5",
            "--path",
            &file("low/1.wav"),
            &file("noise/2.wav"),
        ],
    );
    assert_eq!(v["station"], "path");
    let q = v["queue"].as_array().unwrap();
    assert_eq!(q.len(), 5, "{v}");
    let paths: Vec<&str> = q.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert!(
        paths[0].ends_with("low/1.wav") && paths[4].ends_with("noise/2.wav"),
        "{paths:?}"
    );
    assert_eq!(paths.iter().collect::<HashSet<_>>().len(), 5, "{paths:?}");
    for (i, e) in q.iter().enumerate() {
        assert_eq!(e["step"].as_u64(), Some(i as u64 + 1));
        let why = e["reason"].as_str().unwrap();
        assert!(
            why.starts_with(&format!("step {}/5 toward noise 2", i + 1)),
            "{why}"
        );
        assert!(e["title"].is_string() && e["artist"].is_string());
        assert!(e["similarity"].as_f64().unwrap() > 0.0);
    }

    // Two seeds and a less one.
    let v = queue_json(
        &data,
        &[
            "-n",
            "4",
            "--seed",
            &file("chirp/0.wav"),
            "--seed",
            &file("chirp/3.wav"),
            "--less",
            &file("noise/5.wav"),
        ],
    );
    let q = v["queue"].as_array().unwrap();
    assert_eq!(q.len(), 4, "{v}");
    let paths: Vec<&str> = q.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert!(
        !paths.iter().any(|p| p.ends_with("chirp/0.wav")
            || p.ends_with("chirp/3.wav")
            || p.ends_with("noise/5.wav")),
        "{paths:?}"
    );
    assert!(
        paths[0].contains("/chirp/"),
        "the other chirp first: {paths:?}"
    );
    assert!(
        q[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("mix of 2 seeds"),
        "{v}"
    );

    // Your mix: nothing without a history.
    let out = genreplay()
        .arg("--data-dir")
        .arg(&data)
        .args(["queue", "--json", "--mix"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("play some tracks first"));
    // An evening of low tones played and liked, a noise disliked.
    {
        let store = genreplay::store::Store::open(&data.join("db")).unwrap();
        let now = genreplay::store::now_unix();
        let id = |p: &str| TrackId::of_path(&std::fs::canonicalize(lib.join(p)).unwrap());
        for p in ["low/1.wav", "low/4.wav"] {
            for _ in 0..3 {
                store
                    .record_listen(id(p), genreplay::store::history::Listen::Play, now)
                    .unwrap();
            }
            store.set_rating(id(p), Rating::Like, now).unwrap();
        }
        store
            .set_rating(id("noise/8.wav"), Rating::Dislike, now)
            .unwrap();
    }
    let v = queue_json(&data, &["-n", "8", "--mix"]);
    assert_eq!(v["station"], "mix");
    let q = v["queue"].as_array().unwrap();
    let paths: Vec<&str> = q.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert!(
        !paths.iter().any(|p| p.ends_with("noise/8.wav")),
        "{paths:?}"
    );
    assert!(paths[..2].iter().all(|p| p.contains("/low/")), "{paths:?}");
    let artists: Vec<&str> = q.iter().map(|e| e["artist"].as_str().unwrap()).collect();
    assert!(artists.windows(2).all(|w| w[0] != w[1]), "{artists:?}");
    assert!(
        q[0]["reason"].as_str().unwrap().starts_with("your mix"),
        "{v}"
    );
}
