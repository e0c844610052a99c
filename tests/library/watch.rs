#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A library that follows the disk: real files, a real store, inotify through the real
//! watcher, the real library service with the real classifier.

use crate::common;

use crate::common::tui_fixture;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, unbounded};
use genreplay::analysis::{AnalysisEvent, ThreadBudget};
use genreplay::app::Event;
use genreplay::library::TrackId;
use genreplay::library::scan::scan;
use genreplay::model::backend::inference_device;
use genreplay::model::infer::Classifier;
use genreplay::model::registry::load_embedded;
use genreplay::service::library::LibraryService;
use genreplay::service::watch::{WatchEvent, apply_changes, watch};
use genreplay::store::{Store, VectorRecord};

fn track(path: &Path, secs: f32, seed: u64) {
    let title = path.file_stem().unwrap().to_string_lossy().into_owned();
    common::tagged_track(path, secs, seed, "Artist", "Album", &title);
}

fn id(p: &Path) -> TrackId {
    TrackId::of_path(p)
}

/// A library folder (its real path) with `names` as 3 s tracks, scanned into a fresh store.
fn library(names: &[&str]) -> (tempfile::TempDir, PathBuf, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("music");
    std::fs::create_dir_all(&root).unwrap();
    let root = std::fs::canonicalize(&root).unwrap();
    for (i, n) in names.iter().enumerate() {
        track(&root.join(n), 3.0, i as u64);
    }
    let store = Store::open(&tmp.path().join("db")).unwrap();
    scan(&store, &root, 1, &|_| {}).unwrap();
    (tmp, root, store)
}

fn paths_in(store: &Store) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = store
        .tracks()
        .unwrap()
        .into_iter()
        .map(|(_, r)| r.path())
        .collect();
    v.sort();
    v
}

/// Sets a file's modification time.
fn set_mtime(p: &Path, t: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

#[test]
fn a_rename_keeps_the_track_unless_two_files_alike_are_renamed_at_once() {
    let (_tmp, root, store) = library(&["a.wav", "b.wav", "c.wav"]);
    // a and b: the same file (a copy) and, set here, the same modification time.
    std::fs::copy(root.join("a.wav"), root.join("b.wav")).unwrap();
    let t = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for n in ["a.wav", "b.wav"] {
        set_mtime(&root.join(n), t);
    }
    scan(&store, &root, 1, &|_| {}).unwrap();
    let model = genreplay::model::ModelId("m".into());
    let v = VectorRecord {
        vector: vec![0.5, 0.5],
        segments: 1,
        style: None,
        computed_unix: 1,
        open_set: None,
    };
    for n in ["a.wav", "b.wav", "c.wav"] {
        store.put_vector(&model, id(&root.join(n)), &v).unwrap();
    }
    // Both renamed in one batch: which is which cannot be told, so neither is guessed.
    let (a, b) = (root.join("a.wav"), root.join("b.wav"));
    let (x, y) = (root.join("x.wav"), root.join("y.wav"));
    std::fs::rename(&a, &x).unwrap();
    std::fs::rename(&b, &y).unwrap();
    let r = apply_changes(&store, &root, &[a, b, x.clone(), y]).unwrap();
    assert!(r.moved.is_empty(), "{r:?}");
    assert_eq!(r.summary(), "2 new, 2 removed");
    assert!(store.vector(&model, id(&x)).unwrap().is_none());
    // One renamed: "1 renamed", with its vectors; the store has one track for it.
    let c = root.join("c.wav");
    let z = root.join("z.wav");
    std::fs::rename(&c, &z).unwrap();
    let r = apply_changes(&store, &root, &[c.clone(), z.clone()]).unwrap();
    assert_eq!(r.summary(), "1 renamed");
    assert_eq!(store.vector(&model, id(&z)).unwrap(), Some(v));
    assert!(store.track(id(&c)).unwrap().is_none());
    assert_eq!(store.track_count(), 3);
}

#[test]
fn a_move_the_player_noted_but_never_carried_is_carried_by_the_next_scan() {
    use genreplay::store::history::{Listen, Rating};
    let (tmp, root, store) = library(&["a.wav", "b.wav"]);
    let a = root.join("a.wav");
    store.record_listen(id(&a), Listen::Play, 1_000).unwrap();
    store.set_rating(id(&a), Rating::Like, 1_001).unwrap();
    // The watcher of a running player sees `a` renamed, and the player ends before its
    // history thread carries the move.
    let renamed = root.join("a again.wav");
    std::fs::rename(&a, &renamed).unwrap();
    let r = apply_changes(&store, &root, &[a.clone(), renamed.clone()]).unwrap();
    assert_eq!(r.moved, vec![(id(&a), id(&renamed))]);
    assert!(store.history_of(id(&renamed)).unwrap().is_none());
    drop(store);
    // `genreplay scan` (nothing new on disk) carries what was noted.
    let store = Store::open(&tmp.path().join("db")).unwrap();
    scan(&store, &root, 1, &|_| {}).unwrap();
    let h = store.history_of(id(&renamed)).unwrap().unwrap();
    assert_eq!((h.plays, h.rating), (1, Rating::Like));
    assert!(store.history_of(id(&a)).unwrap().is_none());
    assert!(store.pending_moves().unwrap().is_empty());
}

#[test]
fn a_batch_of_changes_adds_changes_moves_and_removes_tracks() {
    let (tmp, root, store) = library(&["A/01 One.wav", "A/02 Two.wav"]);
    let one = root.join("A/01 One.wav");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();

    // A new file.
    let new = root.join("A/03 New.wav");
    track(&new, 3.0, 7);
    let r = apply_changes(&store, &root, std::slice::from_ref(&new)).unwrap();
    assert_eq!(r.added, vec![id(&new)]);
    assert!(r.changed.is_empty() && r.removed.is_empty());
    let rec = store.track(id(&new)).unwrap().unwrap();
    assert_eq!(rec.tags.title.as_deref(), Some("03 New"));
    assert_eq!(rec.tags.artist.as_deref(), Some("Artist"));

    // An event for a file that did not change (opened, touched attributes): nothing.
    let r = apply_changes(&store, &root, std::slice::from_ref(&one)).unwrap();
    assert!(r.is_empty(), "{r:?}");

    // New content: the track stays, its genre vectors go.
    let model = genreplay::model::ModelId("m".into());
    let v = VectorRecord {
        vector: vec![0.5, 0.5],
        segments: 1,
        style: None,
        computed_unix: 1,
        open_set: None,
    };
    store.put_vector(&model, id(&one), &v).unwrap();
    let added_before = store.track(id(&one)).unwrap().unwrap().added_unix;
    track(&one, 5.0, 99);
    let r = apply_changes(&store, &root, std::slice::from_ref(&one)).unwrap();
    assert_eq!(r.changed, vec![id(&one)]);
    assert!(store.vector(&model, id(&one)).unwrap().is_none());
    let rec = store.track(id(&one)).unwrap().unwrap();
    assert!((rec.duration_secs().unwrap() - 5.0).abs() < 0.01);
    assert_eq!(
        rec.added_unix, added_before,
        "still added when it was first"
    );

    // A move within the library (the watcher reports both names): the same audio, so the
    // track keeps its vectors and when it was added.
    store.put_vector(&model, id(&new), &v).unwrap();
    let added_new = store.track(id(&new)).unwrap().unwrap().added_unix;
    let renamed = root.join("A/Sub/03 New.wav");
    std::fs::create_dir_all(renamed.parent().unwrap()).unwrap();
    std::fs::rename(&new, &renamed).unwrap();
    let r = apply_changes(&store, &root, &[new.clone(), renamed.clone()]).unwrap();
    assert_eq!(r.moved, vec![(id(&new), id(&renamed))], "{r:?}");
    assert!(r.added.is_empty() && r.removed.is_empty(), "{r:?}");
    assert_eq!(r.summary(), "1 moved");
    assert!(store.track(id(&new)).unwrap().is_none());
    assert!(store.vector(&model, id(&new)).unwrap().is_none());
    assert_eq!(store.vector(&model, id(&renamed)).unwrap(), Some(v.clone()));
    let rec = store.track(id(&renamed)).unwrap().unwrap();
    assert_eq!(rec.added_unix, added_new);
    assert_eq!(rec.path(), renamed);
    // Its listening history is the player's history thread's to carry: noted until it is.
    assert_eq!(
        store.pending_moves().unwrap(),
        vec![(id(&new), id(&renamed))]
    );
    store.carry_listening(&r.moved).unwrap();
    assert!(store.pending_moves().unwrap().is_empty());
    // A new name in the same folder: the same size and modification time, the only file
    // gone with them: renamed, and it keeps its vectors ("1 renamed", never "1 new, 1
    // removed").
    let renamed_again = root.join("A/Sub/04 Renamed.wav");
    std::fs::rename(&renamed, &renamed_again).unwrap();
    let r = apply_changes(&store, &root, &[renamed.clone(), renamed_again.clone()]).unwrap();
    assert_eq!(r.moved, vec![(id(&renamed), id(&renamed_again))], "{r:?}");
    assert!(r.added.is_empty() && r.removed.is_empty(), "{r:?}");
    assert_eq!(r.summary(), "1 renamed");
    assert_eq!(
        store.vector(&model, id(&renamed_again)).unwrap(),
        Some(v.clone())
    );
    assert_eq!(
        store.track(id(&renamed_again)).unwrap().unwrap().added_unix,
        added_new
    );
    // A new name and a new folder at once: moved.
    let renamed = root.join("A/04 Renamed again.wav");
    std::fs::rename(&renamed_again, &renamed).unwrap();
    let r = apply_changes(&store, &root, &[renamed_again.clone(), renamed.clone()]).unwrap();
    assert_eq!(r.summary(), "1 moved");
    assert_eq!(store.vector(&model, id(&renamed)).unwrap(), Some(v.clone()));
    std::fs::remove_dir(root.join("A/Sub")).unwrap();

    // A folder renamed inside the library: its tracks move with their vectors.
    let two = root.join("A/02 Two.wav");
    store.put_vector(&model, id(&two), &v).unwrap();
    std::fs::rename(root.join("A"), root.join("A2")).unwrap();
    let r = apply_changes(&store, &root, &[root.join("A"), root.join("A2")]).unwrap();
    assert_eq!(r.moved.len(), 3, "{r:?}");
    assert!(r.added.is_empty() && r.removed.is_empty(), "{r:?}");
    let two2 = root.join("A2/02 Two.wav");
    assert_eq!(store.vector(&model, id(&two2)).unwrap(), Some(v.clone()));
    std::fs::rename(root.join("A2"), root.join("A")).unwrap();
    let r = apply_changes(&store, &root, &[root.join("A2"), root.join("A")]).unwrap();
    assert_eq!(r.moved.len(), 3, "{r:?}");
    assert_eq!(store.vector(&model, id(&two)).unwrap(), Some(v.clone()));

    // A folder moved in (only the folder is reported), then moved out again.
    let album = outside.join("Album B");
    track(&album.join("01 x.wav"), 3.0, 1);
    track(&album.join("CD2/02 y.wav"), 3.0, 2);
    let b = root.join("B");
    std::fs::rename(&album, &b).unwrap();
    let r = apply_changes(&store, &root, std::slice::from_ref(&b)).unwrap();
    assert_eq!(r.added.len(), 2, "{r:?}");
    assert!(store.track(id(&b.join("CD2/02 y.wav"))).unwrap().is_some());
    std::fs::rename(&b, &album).unwrap();
    let r = apply_changes(&store, &root, std::slice::from_ref(&b)).unwrap();
    assert_eq!(r.removed.len(), 2, "{r:?}");

    // Deleted.
    std::fs::remove_file(&renamed).unwrap();
    let r = apply_changes(&store, &root, std::slice::from_ref(&renamed)).unwrap();
    assert_eq!(r.removed, vec![id(&renamed)]);
    assert_eq!(r.summary(), "1 removed");

    // Not the library's: hidden files (partial downloads), other files, other folders.
    let hidden = root.join(".incoming/05 Partial.wav");
    track(&hidden, 3.0, 5);
    let dot = root.join("A/.06 temp.wav");
    track(&dot, 3.0, 6);
    std::fs::write(root.join("A/cover.jpg"), b"not audio").unwrap();
    let far = outside.join("07 Far.wav");
    track(&far, 3.0, 7);
    let r = apply_changes(
        &store,
        &root,
        &[
            hidden,
            root.join(".incoming"),
            dot,
            root.join("A/cover.jpg"),
            far,
            root.clone(),
        ],
    )
    .unwrap();
    assert!(r.is_empty(), "{r:?}");
    assert_eq!(paths_in(&store), vec![one, root.join("A/02 Two.wav")]);
}

#[test]
fn the_watcher_reports_what_happens_in_the_folder_and_below() {
    let (_tmp, root, _store) = library(&["A/01 One.wav"]);
    let (tx, rx) = unbounded();
    let _w = watch(&root, tx).unwrap();
    // A folder made after the watch started is watched too.
    std::fs::create_dir_all(root.join("New/Deep")).unwrap();
    // Time for the watcher to watch the new folders: no event says when it has.
    std::thread::sleep(Duration::from_millis(200));
    let f = root.join("New/Deep/01 x.wav");
    track(&f, 1.0, 3);
    let t0 = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok(WatchEvent::Paths(ps)) if ps.contains(&f) => break,
            Ok(_) => {}
            Err(e) => panic!("no event for {} ({e})", f.display()),
        }
        assert!(t0.elapsed() < Duration::from_secs(5));
    }
    // Reading a file is not news. Fixed times on purpose: the writing's last events are let
    // through and dropped, then none may come for the read.
    std::thread::sleep(Duration::from_millis(200));
    while rx.try_recv().is_ok() {}
    let _ = std::fs::read(&f).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(rx.try_recv().is_err(), "reading the file was reported");
}

/// Waits for an event that `want` picks; every event seen goes to `seen`.
fn wait(
    rx: &Receiver<Event>,
    what: &str,
    timeout: Duration,
    seen: &mut Vec<Event>,
    want: impl Fn(&Event) -> bool,
) -> Event {
    let t0 = Instant::now();
    loop {
        let left = timeout.saturating_sub(t0.elapsed());
        match rx.recv_timeout(left) {
            Ok(ev) => {
                let hit = want(&ev);
                seen.push(ev.clone());
                if hit {
                    return ev;
                }
            }
            Err(_) => panic!("timed out after {timeout:?} waiting for {what}"),
        }
    }
}

fn loaded_with(ev: &Event, t: TrackId) -> bool {
    matches!(ev, Event::LibraryLoaded(lib) if lib.index.contains_key(&t))
}

fn done(ev: &Event) -> Option<TrackId> {
    match ev {
        Event::Analysis(AnalysisEvent::TrackDone { track, .. }) => Some(*track),
        _ => None,
    }
}

#[test]
fn a_copied_file_shows_up_by_itself_and_is_classified_first() {
    // Enough old tracks that the analysis is still busy when the new file comes.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("music");
    std::fs::create_dir_all(&root).unwrap();
    let root = std::fs::canonicalize(&root).unwrap();
    // With the compiled kernel a 30 s track takes ~50 ms, and the watcher waits 0.5 s for a
    // copy to settle: 48 tracks of 70 s (~4 s of analysis) keep it busy past that.
    let old: Vec<PathBuf> = (0..48)
        .map(|i| root.join(format!("Old/{i:02} Old.wav")))
        .collect();
    for (i, p) in old.iter().enumerate() {
        track(p, 70.0, i as u64);
    }
    let store = Store::open(&tmp.path().join("db")).unwrap();
    let d = inference_device();
    let classifier = Classifier::new(load_embedded(&d).unwrap(), d);
    let model = classifier.model().id.clone();
    let (tx, rx) = unbounded();
    let mut svc = LibraryService::start(
        store.clone(),
        root.clone(),
        classifier,
        ThreadBudget::new(1),
        tx,
    )
    .unwrap();
    let mut seen = vec![];
    wait(
        &rx,
        "the first catalog",
        Duration::from_secs(60),
        &mut seen,
        |e| matches!(e, Event::LibraryLoaded(lib) if lib.tracks.len() == 48),
    );
    wait(
        &rx,
        "the first classified track",
        Duration::from_secs(60),
        &mut seen,
        |e| done(e).is_some(),
    );

    // "Copied" in: written elsewhere, then moved into a new album folder.
    let staging = tmp.path().join("staging/01 New.wav");
    track(&staging, 30.0, 42);
    let new = root.join("New Album/01 New.wav");
    std::fs::create_dir_all(new.parent().unwrap()).unwrap();
    let t0 = Instant::now();
    std::fs::rename(&staging, &new).unwrap();
    let before = seen.len();
    wait(
        &rx,
        "the new file in the catalog",
        Duration::from_secs(10),
        &mut seen,
        |e| loaded_with(e, id(&new)),
    );
    let visible = t0.elapsed();
    wait(
        &rx,
        "the new file's vector",
        Duration::from_secs(60),
        &mut seen,
        |e| matches!(e, Event::VectorReady { track, .. } if *track == id(&new)),
    );
    let classified = t0.elapsed();
    eprintln!("a new file: in the catalog after {visible:?}, classified after {classified:?}");
    assert!(
        visible < Duration::from_secs(5),
        "the new file took {visible:?} to show up"
    );
    let status = seen[before..].iter().find_map(|e| match e {
        Event::Status { text, .. } => Some(text.clone()),
        _ => None,
    });
    assert_eq!(status.as_deref(), Some("library: 1 new"));
    // First: old tracks were still waiting when the new one was done.
    let old_done: std::collections::HashSet<TrackId> = seen
        .iter()
        .filter_map(done)
        .filter(|t| *t != id(&new))
        .collect();
    eprintln!(
        "old tracks classified before it: {} of {}",
        old_done.len(),
        old.len()
    );
    assert!(
        old_done.len() < old.len(),
        "all {} old tracks were classified before the new one",
        old.len()
    );
    assert!(store.vector(&model, id(&new)).unwrap().is_some());

    // Moved to another album folder: the catalog follows, the genre goes with it (no new
    // analysis).
    let moved = root.join("Other Album/01 New.wav");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    let t0 = Instant::now();
    std::fs::rename(&new, &moved).unwrap();
    let from = seen.len();
    wait(
        &rx,
        "the catalog with the moved file",
        Duration::from_secs(10),
        &mut seen,
        |e| {
            matches!(e, Event::LibraryLoaded(lib)
                if lib.index.contains_key(&id(&moved)) && !lib.index.contains_key(&id(&new)))
        },
    );
    eprintln!("a moved file: in the catalog after {:?}", t0.elapsed());
    assert!(store.vector(&model, id(&moved)).unwrap().is_some());
    assert!(store.track(id(&new)).unwrap().is_none());
    let status = seen[from..].iter().find_map(|e| match e {
        Event::Status { text, .. } => Some(text.clone()),
        _ => None,
    });
    assert_eq!(status.as_deref(), Some("library: 1 moved"));
    let new = moved;

    // Removed: gone from the catalog.
    std::fs::remove_file(&new).unwrap();
    wait(
        &rx,
        "the catalog without the file",
        Duration::from_secs(10),
        &mut seen,
        |e| matches!(e, Event::LibraryLoaded(lib) if !lib.index.contains_key(&id(&new)) && lib.tracks.len() == 48),
    );
    assert!(store.track(id(&new)).unwrap().is_none());

    // A rescan asked for: nothing changed, and it says so.
    svc.rescan();
    wait(
        &rx,
        "the rescan's answer",
        Duration::from_secs(30),
        &mut seen,
        |e| matches!(e, Event::Status { text, .. } if text == "rescan: nothing changed (48 tracks)"),
    );
    svc.stop(Duration::from_secs(10));
}

#[test]
fn queued_entries_and_the_playing_track_follow_files_that_move() {
    use genreplay::app::catalog::Catalog;
    use tui_fixture as fx;
    let mut app = fx::app();
    // Playing the album First from Dawn, Rain and Echo queued.
    app.session.play_tracks(
        vec![fx::id("Dawn"), fx::id("Noon"), fx::id("Dusk")],
        0,
        "Alpha — First".into(),
    );
    app.session
        .enqueue(vec![fx::id("Rain"), fx::id("Echo")], false);
    assert_eq!(fx::playing_title(&app).as_deref(), Some("Dawn"));

    // The folder Alpha/First is renamed, and Rain moves to another album folder.
    let renamed = |p: PathBuf| -> PathBuf {
        let s = p.to_string_lossy().into_owned();
        PathBuf::from(
            s.replace("/Alpha/First/", "/Alpha/First (2004)/")
                .replace("/Beta/Second/01 Rain", "/Beta/Rainy/01 Rain"),
        )
    };
    let old = fx::library();
    let mut moved = vec![];
    let tracks = old
        .tracks
        .iter()
        .cloned()
        .map(|mut t| {
            let p = renamed(t.path.clone());
            if p != t.path {
                let new = TrackId::of_path(&p);
                moved.push((t.id, new));
                t.path = p;
                t.id = new;
            }
            t
        })
        .collect();
    let mut lib = Catalog::new(old.root.clone(), tracks, old.labels.clone());
    for (from, to) in &moved {
        if let Some(v) = old.vectors.get(from) {
            lib.vectors.insert(*to, v.clone());
        }
    }
    assert_eq!(moved.len(), 4);
    app.update(Event::TracksMoved(moved));
    app.update(Event::LibraryLoaded(Box::new(lib)));

    // Nothing was lost: same track playing, same queue, same album to go on with.
    assert_eq!(fx::playing_title(&app).as_deref(), Some("Dawn"));
    assert_eq!(fx::up_next_titles(&app), vec!["Rain", "Echo"]);
    assert_eq!(
        fx::upcoming_titles(&app),
        vec!["Rain", "Echo", "Noon", "Dusk"]
    );
    let status = genreplay::app::remote::status(&app.session);
    assert_eq!(
        status.track.unwrap().path,
        "/music/Alpha/First (2004)/01 Dawn.flac"
    );
    assert_eq!(status.queue[0], "/music/Beta/Rainy/01 Rain.flac");
    // Undo still has the entries (under their new names).
    app.session.undo();
    assert_eq!(fx::up_next_titles(&app), Vec::<String>::new());
    assert_eq!(fx::upcoming_titles(&app), vec!["Noon", "Dusk"]);
}

#[test]
fn switching_models_shows_the_genres_the_store_already_has_at_once() {
    // The library was classified by the built-in model, then another model became active (as
    // after a retrain and a restart); switching back must show the built-in genres from the
    // store at once, not after a restart.
    let (_tmp, root, store) = library(&["a.wav", "b.wav", "c.wav"]);
    let d = inference_device();
    let builtin = Classifier::new(load_embedded(&d).unwrap(), d.clone());
    let a = genreplay::analysis::Analyzer::start(store.clone(), builtin.clone(), 1).unwrap();
    for ev in a.events().iter() {
        if matches!(ev, AnalysisEvent::Finished { .. }) {
            break;
        }
    }
    a.join();
    let stored: std::collections::HashMap<TrackId, Vec<f32>> = store
        .vectors_for(&builtin.model().id)
        .unwrap()
        .into_iter()
        .map(|(t, v)| (t, v.vector))
        .collect();
    assert_eq!(stored.len(), 3);

    let other = Classifier::new(
        genreplay::model::registry::load_builtin("student", &d).unwrap(),
        d.clone(),
    );
    let (tx, rx) = unbounded();
    let mut svc =
        LibraryService::start(store.clone(), root, other, ThreadBudget::new(1), tx).unwrap();
    let mut seen = vec![];
    // The store already had the three tracks: the first scan changes nothing and sends no
    // catalog (the player started with the store's), it says what it found.
    wait(
        &rx,
        "the first scan",
        Duration::from_secs(60),
        &mut seen,
        |e| matches!(e, Event::Status { text, .. } if text.starts_with("3 tracks (0 new")),
    );
    assert!(
        !seen.iter().any(|e| matches!(e, Event::LibraryLoaded(_))),
        "a scan that changed nothing sent a catalog"
    );
    svc.switcher().send(builtin).unwrap();
    let ev = wait(
        &rx,
        "a catalog with the built-in model's vectors",
        Duration::from_secs(30),
        &mut seen,
        |e| matches!(e, Event::LibraryLoaded(lib) if lib.vectors.len() == 3),
    );
    let Event::LibraryLoaded(lib) = ev else {
        unreachable!()
    };
    let got: std::collections::HashMap<_, Vec<f32>> =
        lib.vectors.iter().map(|(k, v)| (*k, v.to_vec())).collect();
    assert_eq!(got, stored);
    assert_eq!(
        lib.labels,
        load_embedded(&d).unwrap().config.labels,
        "the built-in model's genres"
    );
    svc.stop(Duration::from_secs(5));
}

/// The library folder renamed away, or an empty mount point left in its place: neither a
/// batch from the watcher nor a scan takes its tracks for deleted.
#[test]
fn a_folder_that_is_not_there_removes_nothing() {
    use genreplay::library::scan::ScanError;
    let (tmp, root, store) = library(&["A/01 One.wav", "A/02 Two.wav", "B/03 Three.wav"]);
    let before = paths_in(&store);
    let away = tmp.path().join("away");
    std::fs::rename(&root, &away).unwrap();
    // What the watcher reports when the folder itself goes: the folder, and files in it.
    let gone = [root.clone(), root.join("A"), root.join("A/01 One.wav")];
    let offline = |e: Option<ScanError>| matches!(e, Some(ScanError::Offline(_)));
    assert!(offline(apply_changes(&store, &root, &gone).err()));
    assert!(offline(scan(&store, &root, 1, &|_| {}).err()));
    // An empty folder where the tracks were (an unmounted disk's mount point).
    std::fs::create_dir(&root).unwrap();
    assert!(offline(apply_changes(&store, &root, &gone).err()));
    let e = scan(&store, &root, 1, &|_| {}).unwrap_err();
    assert!(e.to_string().contains("empty, where 3 tracks were"), "{e}");
    assert_eq!(paths_in(&store), before, "nothing was removed");
    // Back: as before, and a file really deleted is still taken out.
    std::fs::remove_dir(&root).unwrap();
    std::fs::rename(&away, &root).unwrap();
    std::fs::remove_file(root.join("B/03 Three.wav")).unwrap();
    let r = apply_changes(&store, &root, &[root.join("B/03 Three.wav")]).unwrap();
    assert_eq!(r.removed.len(), 1);
    assert_eq!(paths_in(&store).len(), 2);
}
