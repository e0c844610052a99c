#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The library: incremental scans, the store on disk, background classification (priority,
//! failures, panics), and a real process killed with SIGKILL mid-classification.

use crate::common;

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use genreplay::analysis::{AnalysisEvent, Analyzer, TrackClassifier, pending_tracks};
use genreplay::audio::decode::AudioError;
use genreplay::library::TrackId;
use genreplay::library::scan::scan;
use genreplay::model::ModelId;
use genreplay::model::backend::inference_device;
use genreplay::model::infer::{Classifier, Prediction};
use genreplay::model::registry::load_embedded;
use genreplay::store::Store;

fn classifier() -> Classifier {
    let d = inference_device();
    Classifier::new(load_embedded(&d).unwrap(), d)
}

/// Runs the analyzer to the end; returns (classified, failed) ids.
fn classify_all<C: TrackClassifier>(
    store: &Store,
    c: C,
    threads: usize,
) -> (Vec<TrackId>, Vec<(TrackId, String)>) {
    let a = Analyzer::start(store.clone(), c, threads).unwrap();
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for ev in a.events().iter() {
        match ev {
            AnalysisEvent::TrackDone {
                track,
                result: Ok(_),
            } => ok.push(track),
            AnalysisEvent::TrackDone {
                track,
                result: Err(e),
            } => bad.push((track, e)),
            AnalysisEvent::Finished { .. } => break,
            _ => {}
        }
    }
    a.join();
    (ok, bad)
}

fn no_progress(_: genreplay::library::scan::ScanEvent) {}

#[test]
fn incremental_scans_add_change_remove_and_rename() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("music");
    for i in 0..3 {
        tagged_track(
            &lib.join(format!("Artist/Album/0{i} Song.wav")),
            3.0,
            i,
            "Artist",
            "Album",
            &format!("Song {i}"),
        );
    }
    // Files written in one go may share a modification time: each its own, so a rename is
    // told from the others.
    for i in 0..3u64 {
        let t = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + i);
        std::fs::File::options()
            .write(true)
            .open(lib.join(format!("Artist/Album/0{i} Song.wav")))
            .unwrap()
            .set_modified(t)
            .unwrap();
    }
    let store = Store::open(&dir.path().join("db")).unwrap();
    let r = scan(&store, &lib, 2, &no_progress).unwrap();
    assert_eq!(
        (r.tracks, r.new, r.changed, r.removed, r.unchanged),
        (3, 3, 0, 0, 0)
    );
    let tracks = store.tracks().unwrap();
    let t0 = tracks
        .iter()
        .find(|(_, t)| t.display_title() == "Song 0")
        .expect("tags read")
        .1
        .clone();
    assert_eq!(t0.tags.artist.as_deref(), Some("Artist"));
    assert_eq!(t0.tags.album.as_deref(), Some("Album"));
    assert!((t0.duration_secs().unwrap() - 3.0).abs() < 0.01);

    let c = classifier();
    let model = c.model().id.clone();
    let (ok, bad) = classify_all(&store, c.clone(), 1);
    assert_eq!((ok.len(), bad.len()), (3, 0));

    // Unchanged re-scan: nothing new, nothing re-read, nothing to classify.
    let r = scan(&store, &lib, 2, &no_progress).unwrap();
    assert_eq!((r.new, r.changed, r.removed, r.unchanged), (0, 0, 0, 3));
    assert!(pending_tracks(&store, &model).unwrap().is_empty());

    // Add one, change one (new content and length), remove one, rename one.
    tagged_track(
        &lib.join("Artist/Album/03 New.wav"),
        3.0,
        7,
        "Artist",
        "Album",
        "New",
    );
    let changed = lib.join("Artist/Album/01 Song.wav");
    // On purpose: a modification time that differs from the first write's.
    std::thread::sleep(Duration::from_millis(20));
    tagged_track(&changed, 4.0, 8, "Artist", "Album", "Song 1 (remix)");
    std::fs::remove_file(lib.join("Artist/Album/02 Song.wav")).unwrap();
    let old = lib.join("Artist/Album/00 Song.wav");
    let new = lib.join("Artist/Album/00 Song (moved).wav");
    std::fs::rename(&old, &new).unwrap();
    let r = scan(&store, &lib, 2, &no_progress).unwrap();
    assert_eq!(r.tracks, 3);
    assert_eq!(r.new, 1, "added");
    assert_eq!(r.changed, 1);
    assert_eq!(r.removed, 1, "removed (the renamed one is not)");
    assert_eq!(r.moved, 1, "renamed");
    assert_eq!(r.unchanged, 0);
    let canon = lib.canonicalize().unwrap();
    let id_of = |name: &str| TrackId::of_path(&canon.join(name));
    assert_eq!(
        r.moves,
        vec![(
            id_of("Artist/Album/00 Song.wav"),
            id_of("Artist/Album/00 Song (moved).wav")
        )]
    );
    // Nothing stale: the old paths are gone with their vectors; the changed file lost its vector.
    assert!(
        store
            .track(TrackId::of_path(
                &lib.canonicalize().unwrap().join("Artist/Album/00 Song.wav")
            ))
            .unwrap()
            .is_none()
    );
    let ids: HashSet<TrackId> = store
        .tracks()
        .unwrap()
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    assert_eq!(ids.len(), 3);
    // The renamed file keeps its vector; the changed one lost its.
    let vectors = store.vectors_for(&model).unwrap();
    let with: Vec<TrackId> = vectors.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        with,
        vec![id_of("Artist/Album/00 Song (moved).wav")],
        "vectors: {vectors:?}"
    );
    let changed_rec = store
        .track(TrackId::of_path(&changed.canonicalize().unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!(changed_rec.display_title(), "Song 1 (remix)");
    assert_eq!(pending_tracks(&store, &model).unwrap().len(), 2);
    let (ok, _) = classify_all(&store, c, 1);
    assert_eq!(ok.len(), 2);
}

#[test]
fn awkward_names_links_and_loops_do_not_stop_a_scan() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("music");
    std::fs::create_dir_all(lib.join("a/b")).unwrap();
    let weird = lib.join(OsStr::from_bytes(b"a/caf\xe9 \xff.wav"));
    write_wav(&weird, &tone(440.0, 8000, 2.0, 0.3), 8000, 1);
    write_wav(
        &lib.join("a/b/plain.wav"),
        &tone(220.0, 8000, 2.0, 0.3),
        8000,
        1,
    );
    // A symlink loop, a dangling link, a non-audio file and a hidden folder.
    std::os::unix::fs::symlink(&lib, lib.join("a/b/loop")).unwrap();
    std::os::unix::fs::symlink(lib.join("nowhere.mp3"), lib.join("a/dangling.mp3")).unwrap();
    std::fs::write(lib.join("a/cover.jpg"), b"not audio").unwrap();
    // A FIFO named like music (opening it would block) and a folder named like a file.
    let fifo = lib.join("a/song.mp3");
    let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    std::fs::create_dir_all(lib.join("x.mp3")).unwrap();
    write_wav(
        &lib.join(".hidden/x.wav"),
        &tone(220.0, 8000, 1.0, 0.3),
        8000,
        1,
    );
    let store = Store::open(&dir.path().join("db")).unwrap();
    let r = scan(&store, &lib, 2, &no_progress).unwrap();
    assert_eq!(r.tracks, 2, "{r:?}");
    assert!(
        r.unreadable.iter().any(|(_, why)| why.contains("loop")),
        "{:?}",
        r.unreadable
    );
    assert!(
        r.unreadable
            .iter()
            .any(|(p, _)| p.ends_with("dangling.mp3")),
        "{:?}",
        r.unreadable
    );
    assert!(
        r.unreadable
            .iter()
            .any(|(p, why)| p.ends_with("song.mp3") && why.contains("FIFO")),
        "{:?}",
        r.unreadable
    );
    assert!(
        !r.unreadable.iter().any(|(p, _)| p.ends_with("x.mp3")),
        "{:?}",
        r.unreadable
    );
    let weird_id = TrackId::of_path(
        &lib.canonicalize()
            .unwrap()
            .join(OsStr::from_bytes(b"a/caf\xe9 \xff.wav")),
    );
    let rec = store
        .track(weird_id)
        .unwrap()
        .expect("non-UTF-8 name indexed");
    assert_eq!(
        rec.path().file_name().unwrap().as_bytes(),
        b"caf\xe9 \xff.wav"
    );
    let (ok, bad) = classify_all(&store, classifier(), 1);
    assert_eq!((ok.len(), bad.len()), (2, 0), "{bad:?}");
}

#[test]
fn bad_files_in_a_library_are_marked_failed_and_the_rest_classified() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("music");
    std::fs::create_dir_all(&lib).unwrap();
    write_wav(
        &lib.join("good.wav"),
        &tone(330.0, 16_000, 3.0, 0.4),
        16_000,
        2,
    );
    std::fs::write(lib.join("empty.flac"), b"").unwrap();
    let mut rng = Rng::new(1);
    std::fs::write(
        lib.join("random.mp3"),
        (0..50_000)
            .map(|_| (rng.next_u64() & 0xff) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    std::fs::copy(fixture("truncated.flac"), lib.join("truncated.flac")).unwrap();
    std::fs::copy(fixture("tone.opus"), lib.join("tone.opus")).unwrap();
    std::fs::copy(fixture("tone.ogg"), lib.join("tone.ogg")).unwrap();
    write_wavpack(&lib.join("tone.wv"));
    let store = Store::open(&dir.path().join("db")).unwrap();
    let r = scan(&store, &lib, 2, &no_progress).unwrap();
    assert_eq!(r.tracks, 7);
    let (ok, bad) = classify_all(&store, classifier(), 2);
    // The truncated FLAC is classified from what decodes, and noted as partial.
    assert_eq!(
        ok.len(),
        4,
        "good.wav, tone.ogg, tone.opus and truncated.flac; failures: {bad:?}"
    );
    assert_eq!(bad.len(), 3);
    let truncated = TrackId::of_path(&std::fs::canonicalize(lib.join("truncated.flac")).unwrap());
    assert!(ok.contains(&truncated));
    // Each classified track has its clip's loudness stored (the ReplayGain estimate), but the
    // truncated FLAC: 0.6 s of audio is less than the second an estimate needs.
    for id in &ok {
        match store.loudness(*id).unwrap() {
            Some(l) => assert!(l.loudness.lufs > -40.0 && l.loudness.lufs < 0.0, "{l:?}"),
            None => assert_eq!(*id, truncated),
        }
    }
    assert_eq!(store.loudness_all().unwrap().len(), 3);
    let damage = store.damage(truncated).unwrap().expect("a damage note");
    assert!(damage.reason.contains("truncated"), "{damage:?}");
    assert_eq!(store.damaged_tracks().unwrap().len(), 1);
    let reasons: Vec<&str> = bad.iter().map(|(_, r)| r.as_str()).collect();
    for name in ["empty.flac", "random.mp3", "tone.wv"] {
        assert!(
            reasons.iter().any(|r| r.contains(name)),
            "{name} not reported: {reasons:?}"
        );
    }
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("unsupported format: WavPack"))
    );
    // Failures are remembered and not retried until the file changes.
    let model = classifier().model().id.clone();
    assert_eq!(store.failures_for(&model).unwrap().len(), 3);
    assert!(pending_tracks(&store, &model).unwrap().is_empty());
    std::fs::write(
        lib.join("empty.flac"),
        std::fs::read(fixture("tone-stereo-44k.flac")).unwrap(),
    )
    .unwrap();
    scan(&store, &lib, 2, &no_progress).unwrap();
    assert_eq!(pending_tracks(&store, &model).unwrap().len(), 1);
}

/// The real classifier, except that it panics on one file, as a decoder bug would.
#[derive(Clone)]
struct PanicsOn(Classifier, &'static str);

impl TrackClassifier for PanicsOn {
    fn model_id(&self) -> ModelId {
        self.0.model().id.clone()
    }
    fn classify(&self, path: &Path) -> Result<Prediction, AudioError> {
        if path.to_string_lossy().contains(self.1) {
            panic!("simulated decoder bug");
        }
        self.0.classify_file(path)
    }
}

#[test]
fn a_panic_for_one_file_marks_it_failed_and_the_worker_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("music");
    for i in 0..4 {
        write_wav(
            &lib.join(format!("{i}.wav")),
            &tone(200.0 + 50.0 * i as f32, 8000, 2.0, 0.3),
            8000,
            1,
        );
    }
    let store = Store::open(&dir.path().join("db")).unwrap();
    scan(&store, &lib, 1, &no_progress).unwrap();
    let (ok, bad) = classify_all(&store, PanicsOn(classifier(), "1.wav"), 1);
    assert_eq!(ok.len(), 3);
    assert_eq!(bad.len(), 1);
    assert!(
        bad[0].1.contains("1.wav") && bad[0].1.contains("simulated decoder bug"),
        "{}",
        bad[0].1
    );
}

#[test]
fn bumped_tracks_are_classified_first_and_cancel_stops() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("music");
    for i in 0..12 {
        write_wav(
            &lib.join(format!("{i:02}.wav")),
            &tone(200.0, 8000, 2.0, 0.3),
            8000,
            1,
        );
    }
    let store = Store::open(&dir.path().join("db")).unwrap();
    scan(&store, &lib, 1, &no_progress).unwrap();
    let c = classifier();
    let model = c.model().id.clone();
    let last = *pending_tracks(&store, &model).unwrap().last().unwrap();
    let a = Analyzer::start(store.clone(), c, 1).unwrap();
    a.bump(last);
    let mut order = Vec::new();
    for ev in a.events().iter() {
        if let AnalysisEvent::TrackDone { track, .. } = ev {
            order.push(track);
            if order.len() == 3 {
                a.cancel();
            }
        }
        if let AnalysisEvent::Finished { cancelled, .. } = ev {
            assert!(cancelled);
            break;
        }
    }
    a.join();
    // The worker may have taken the first track before the bump landed.
    assert!(
        order[..2].contains(&last),
        "bumped track not first: {order:?}"
    );
    assert!(order.len() < 12, "cancel did not stop the work");
    assert_eq!(store.vector_count(&model), order.len());
}

fn genreplay_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("genreplay")
}

#[test]
fn killed_with_sigkill_mid_classification_the_next_scan_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("music");
    let n = 30;
    for i in 0..n {
        tagged_track(
            &lib.join(format!("Band {}/Album/{i:02} t.wav", i % 4)),
            12.0,
            i as u64,
            &format!("Band {}", i % 4),
            "Album",
            &format!("T{i}"),
        );
    }
    let data = dir.path().join("data");
    let mut child = Command::new(genreplay_bin())
        .arg("--data-dir")
        .arg(&data)
        .args(["scan", "--threads", "1", "--library"])
        .arg(&lib)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until a few tracks are reported done, then kill -9.
    let stderr = child.stderr.take().unwrap();
    let reported = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let (r2, l2) = (reported.clone(), lines.clone());
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.starts_with('[') {
                r2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            l2.lock().unwrap().push(line);
        }
    });
    let t0 = Instant::now();
    while reported.load(std::sync::atomic::Ordering::SeqCst) < 5 {
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "scan made no progress"
        );
        if let Some(status) = child.try_wait().unwrap() {
            std::thread::sleep(Duration::from_millis(100));
            panic!(
                "scan ended ({status}) before it could be killed:\n{}",
                lines.lock().unwrap().join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    let status = child.wait().unwrap();
    assert!(!status.success());
    reader.join().unwrap();
    let done_before_kill = reported.load(std::sync::atomic::Ordering::SeqCst);
    assert!(done_before_kill < n, "killed too late to test anything");

    // Every track reported done before the kill has its vector; none is half-written.
    let model = classifier().model().id.clone();
    let kept = {
        let store = Store::open(&data.join("db")).unwrap();
        assert_eq!(store.track_count(), n);
        let v = store.vectors_for(&model).unwrap();
        assert!(
            v.len() >= done_before_kill,
            "lost vectors: {} stored, {done_before_kill} reported",
            v.len()
        );
        for (_, rec) in &v {
            assert_eq!(rec.vector.len(), 10);
            assert!((rec.vector.iter().sum::<f32>() - 1.0).abs() < 1e-3);
        }
        v.len()
    };

    // The next run classifies exactly the rest.
    let out = Command::new(genreplay_bin())
        .arg("--data-dir")
        .arg(&data)
        .args(["--json", "scan", "--library"])
        .arg(&lib)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["new"], 0);
    assert_eq!(v["classified"].as_u64().unwrap() as usize, n - kept);
    let store = Store::open(&data.join("db")).unwrap();
    assert_eq!(store.vector_count(&model), n);
    assert!(pending_tracks(&store, &model).unwrap().is_empty());
}

#[test]
fn scan_and_library_commands_on_the_real_sample_library() {
    let Some(shared) = shared_data() else { return };
    let lib = shared.join("library-sample");
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(genreplay_bin())
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--library")
            .arg(&lib)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["scan", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let total = v["tracks"].as_u64().unwrap();
    assert!(total >= 20);
    let failed = v["failed"].as_array().unwrap();
    assert!(
        failed.is_empty(),
        "every file decodes (Opus too): {failed:?}"
    );
    assert_eq!(v["classified"].as_u64().unwrap(), total);

    // A second run does nothing new.
    let out = run(&["scan", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            v["new"].as_u64(),
            v["changed"].as_u64(),
            v["classified"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );

    let out = run(&["library", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tracks = v["tracks"].as_array().unwrap();
    assert_eq!(tracks.len() as u64, total);
    let labels = v["model"]["labels"].as_array().unwrap().len();
    let classified: Vec<_> = tracks
        .iter()
        .filter(|t| t["status"] == "classified")
        .collect();
    assert_eq!(classified.len() as u64, total);
    for t in &classified {
        assert_eq!(t["vector"].as_object().unwrap().len(), labels);
        assert!(t["genre"].is_string() && t["confidence"].is_number());
    }
    let metal = tracks
        .iter()
        .find(|t| t["title"] == "Metal madness")
        .unwrap();
    assert_eq!(metal["artist"], "Sectoid");
    // The Opus track has a genre, and (untagged) an estimated gain from its clip's loudness.
    let opus = tracks
        .iter()
        .find(|t| t["path"].as_str().unwrap().ends_with(".opus"))
        .unwrap();
    assert_eq!(opus["status"], "classified");
    assert!(opus["genre"].is_string());
    let rg = &opus["replaygain"];
    assert!(rg["estimated_lufs"].as_f64().unwrap() < 0.0, "{rg}");
    assert_eq!(rg["applied_from"], "estimated", "{rg}");
    for t in tracks {
        assert!(t["replaygain"]["applied_db"].is_number(), "{t}");
    }
}

#[test]
fn the_analysis_finishes_while_music_plays_though_one_worker_waits_its_turn() {
    use genreplay::analysis::{Priority, ThreadBudget};
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("music");
    for i in 0..3 {
        write_wav(
            &lib.join(format!("{i}.wav")),
            &tone(300.0 + 40.0 * i as f32, 8000, 1.0, 0.3),
            8000,
            1,
        );
    }
    let store = Store::open(&dir.path().join("db")).unwrap();
    scan(&store, &lib, 1, &no_progress).unwrap();
    // Two workers; music plays, so one is allowed and the other waits for its turn.
    let budget = ThreadBudget::new(2);
    budget.set_playing(true);
    assert_eq!(budget.allowed(), 1);
    let a =
        Analyzer::start_with(store.clone(), classifier(), budget.clone(), Priority::Low).unwrap();
    let mut done = 0;
    let mut finished = false;
    // The waiting worker stops when no track is left; the analysis says so without the music
    // stopping (before: "analysing 3/3" until the budget changed). The deadline is generous
    // for a loaded machine: it only has to come, not come fast.
    let deadline = Instant::now() + Duration::from_secs(120);
    while !finished && Instant::now() < deadline {
        match a.events().recv_timeout(Duration::from_millis(200)) {
            Ok(AnalysisEvent::TrackDone { .. }) => done += 1,
            Ok(AnalysisEvent::Finished { .. }) => finished = true,
            _ => {}
        }
    }
    assert_eq!(done, 3);
    assert!(
        finished,
        "the analysis did not finish while the music played"
    );
    assert_eq!(budget.allowed(), 1, "the music still plays");
}
