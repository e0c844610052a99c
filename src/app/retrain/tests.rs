use super::*;
use crate::model::calibrate::trained::RuleFit;
use crate::model::dataset::LabelSource;
use crate::model::job::TrainMode;
use crate::model::train::EpochReport;

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn typed(r: &mut Retrain, s: &str) {
    for c in s.chars() {
        r.on_key(key(KeyCode::Char(c)), &Keymap::defaults());
    }
}

#[test]
fn form_to_preview_to_training_to_done() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rock")).unwrap();
    let mut r = Retrain::new(dir.path());
    assert!(r.modal());
    // Mode → full; epochs field follows the mode's default, then is typed over.
    r.on_key(key(KeyCode::Down), &Keymap::defaults());
    r.on_key(key(KeyCode::Down), &Keymap::defaults());
    r.on_key(key(KeyCode::Down), &Keymap::defaults());
    r.on_key(key(KeyCode::Right), &Keymap::defaults());
    r.on_key(key(KeyCode::Down), &Keymap::defaults());
    r.on_key(key(KeyCode::Backspace), &Keymap::defaults());
    r.on_key(key(KeyCode::Backspace), &Keymap::defaults());
    typed(&mut r, "12");
    let req = r.on_key(key(KeyCode::Enter), &Keymap::defaults());
    match req {
        Some(Request::Prepare(spec)) => {
            assert_eq!(spec.mode, TrainMode::Full);
            assert_eq!(spec.epochs, 12);
            assert_eq!(spec.labels, LabelSource::Folders);
            assert_eq!(spec.folder, dir.path());
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(r.stage, Stage::Preparing(_)));
    // One genre only: Enter does not start.
    r.prepared(Ok(Preview {
        counts: vec![("rock".into(), 3)],
        train_tracks: 2,
        valid_tracks: 1,
        warnings: vec!["genre 'rock' has only 3 tracks".into()],
        skipped: 0,
    }));
    assert_eq!(r.on_key(key(KeyCode::Enter), &Keymap::defaults()), None);
    r.on_key(key(KeyCode::Esc), &Keymap::defaults());
    assert!(matches!(r.stage, Stage::Form(_)));
    r.on_key(key(KeyCode::Enter), &Keymap::defaults());
    r.prepared(Ok(Preview {
        counts: vec![("rock".into(), 8), ("jazz".into(), 9)],
        train_tracks: 12,
        valid_tracks: 5,
        warnings: vec![],
        skipped: 0,
    }));
    assert!(matches!(
        r.on_key(key(KeyCode::Enter), &Keymap::defaults()),
        Some(Request::Start(_))
    ));
    assert!(r.running() && !r.modal());
    r.progress(TrainEvent::Features {
        done: 3,
        total: 17,
        path: "x".into(),
        error: None,
    });
    match &r.stage {
        Stage::Training(p) => assert_eq!((p.features_done, p.features_total), (3, 17)),
        s => panic!("{s:?}"),
    }
    // Cancel is asked once.
    assert_eq!(
        r.on_key(key(KeyCode::Char('x')), &Keymap::defaults()),
        Some(Request::Cancel)
    );
    assert_eq!(r.on_key(key(KeyCode::Char('x')), &Keymap::defaults()), None);
    r.finished(Err(TrainError::Cancelled));
    assert!(matches!(r.stage, Stage::Failed(_)));
    assert_eq!(
        r.on_key(key(KeyCode::Esc), &Keymap::defaults()),
        Some(Request::Close)
    );
}

#[test]
fn a_bad_folder_or_epoch_count_stays_in_the_form_with_a_message() {
    let mut r = Retrain::new(Path::new("/no/such/folder"));
    assert_eq!(r.on_key(key(KeyCode::Enter), &Keymap::defaults()), None);
    match &r.stage {
        Stage::Form(f) => assert!(f.error.as_deref().unwrap().contains("not a folder")),
        s => panic!("{s:?}"),
    }
}

#[test]
fn done_accepts_or_discards() {
    let mut r = Retrain::new(Path::new("/"));
    r.finished(Ok(Outcome {
        labels: vec!["a".into(), "b".into()],
        valid_tracks: 4,
        train_tracks: 10,
        valid_accuracy: Some(0.75),
        recall: vec![],
        confusion: vec![],
        active: None,
        best_epoch: 3,
        epochs: vec![],
        mode: TrainMode::Quick,
        secs: 1.0,
        name: "mine 2026-12-01".into(),
        open_set: RuleFit::Skipped("no \"?\" rule: too few tracks".into()),
    }));
    assert_eq!(
        r.on_key(key(KeyCode::Char('a')), &Keymap::defaults()),
        Some(Request::Accept("mine 2026-12-01".into()))
    );
    // The name is edited after Tab (letters then go to the name, not to the keymap).
    r.on_key(key(KeyCode::Tab), &Keymap::defaults());
    assert!(r.modal());
    for _ in 0..10 {
        r.on_key(key(KeyCode::Backspace), &Keymap::defaults());
    }
    typed(&mut r, "-2 dad");
    assert_eq!(r.on_key(key(KeyCode::Enter), &Keymap::defaults()), None);
    assert!(!r.modal());
    assert_eq!(
        r.on_key(key(KeyCode::Char('a')), &Keymap::defaults()),
        Some(Request::Accept("mine -2 dad".into()))
    );
    assert_eq!(
        r.on_key(key(KeyCode::Char('d')), &Keymap::defaults()),
        Some(Request::Discard)
    );
}

fn outcome(valid: Option<f64>, recall: Vec<(String, Option<f64>, usize)>) -> Outcome {
    Outcome {
        labels: recall.iter().map(|r| r.0.clone()).collect(),
        valid_tracks: recall.iter().map(|r| r.2).sum(),
        train_tracks: 20,
        valid_accuracy: valid,
        recall,
        confusion: vec![],
        active: None,
        best_epoch: 1,
        epochs: vec![],
        mode: TrainMode::Quick,
        secs: 1.0,
        name: "x".into(),
        open_set: RuleFit::Skipped("no \"?\" rule: too few tracks".into()),
    }
}

#[test]
fn accept_is_not_offered_for_an_unmeasured_or_worse_model_unless_forced() {
    let fine = outcome(
        Some(0.8),
        vec![("a".into(), Some(0.8), 3), ("b".into(), Some(0.8), 2)],
    );
    assert!(fine.blockers().is_empty());
    let mut worse = fine.clone();
    worse.active = Some(("musicnn".into(), 0.9, 5));
    let why = worse.blockers();
    assert_eq!(why.len(), 1);
    assert!(
        why[0].contains("below the active model (musicnn): 90%"),
        "{why:?}"
    );
    let gap = outcome(
        Some(1.0),
        vec![("a".into(), Some(1.0), 3), ("b".into(), None, 0)],
    );
    assert!(gap.blockers()[0].contains("no validation tracks for b"));
    let none = outcome(None, vec![("a".into(), None, 0), ("b".into(), None, 0)]);
    assert!(none.blockers()[0].starts_with("no validation tracks:"));

    // Blocked: the first accept only arms; the second forces it.
    let mut r = Retrain::new(Path::new("/"));
    r.finished(Ok(worse));
    assert_eq!(r.on_key(key(KeyCode::Enter), &Keymap::defaults()), None);
    assert!(r.forcing);
    assert_eq!(
        r.on_key(key(KeyCode::Enter), &Keymap::defaults()),
        Some(Request::Accept("x".into()))
    );
    // Offered: at once.
    let mut r = Retrain::new(Path::new("/"));
    r.finished(Ok(fine));
    assert_eq!(
        r.on_key(key(KeyCode::Enter), &Keymap::defaults()),
        Some(Request::Accept("x".into()))
    );
}

fn epoch(n: usize, loss: f64, valid: f64) -> EpochReport {
    EpochReport {
        epoch: n,
        epochs: 30,
        loss,
        train_segment_accuracy: 0.5,
        valid_track_accuracy: Some(valid),
        valid_loss: None,
        segments_per_sec: 100.0,
        secs: 4.0,
        best: true,
    }
}

#[test]
fn every_phase_after_the_analysis_is_a_stage_of_its_own() {
    let mut r = Retrain::new(Path::new("/"));
    r.stage = Stage::Training(Progress {
        spec: Form::new("/").spec().unwrap(),
        features_done: 45,
        features_total: 45,
        epochs: vec![],
        started: std::time::Instant::now(),
        cancelling: false,
        step: None,
        after: After::Training,
    });
    let step = |r: &Retrain| match &r.stage {
        Stage::Training(p) => (p.step, p.after, p.epochs.len()),
        s => panic!("{s:?}"),
    };
    r.progress(TrainEvent::Batch {
        epoch: 1,
        epochs: 30,
        done: 0,
        total: 12,
    });
    let (s, after, _) = step(&r);
    assert_eq!(
        s.map(|s| (s.epoch, s.done, s.total, s.validating)),
        Some((1, 0, 12, false))
    );
    assert_eq!(after, After::Training);
    r.progress(TrainEvent::Validating {
        epoch: 1,
        epochs: 30,
    });
    assert_eq!(step(&r).0.map(|s| (s.done, s.validating)), Some((12, true)));
    // The epoch's figures end the step.
    r.progress(TrainEvent::Epoch(epoch(1, 2.0, 0.3)));
    assert_eq!(step(&r), (None, After::Training, 1));
    r.progress(TrainEvent::Calibrating);
    assert_eq!(step(&r).1, After::Calibrating);
    r.progress(TrainEvent::Comparing);
    assert_eq!(step(&r).1, After::Comparing);
}

#[test]
fn the_offer_is_one_text_and_the_curves_are_said_in_words() {
    let mut o = outcome(
        Some(0.8),
        vec![("a".into(), Some(0.8), 3), ("b".into(), Some(0.8), 2)],
    );
    assert_eq!(o.offer("a", "d", false), "a accepts · d discards");
    assert_eq!(
        o.curves(),
        "quick mode, one fit to convergence: no epochs to plot; held-out accuracy 80%"
    );
    o.mode = TrainMode::Full;
    o.epochs = vec![epoch(1, 2.0, 0.3), epoch(2, 1.5, 0.5), epoch(3, 1.0, 0.8)];
    assert_eq!(
        o.curves(),
        "3 epochs: loss 2.000 → 1.000, validation 30% → 80%"
    );
    o.active = Some(("musicnn".into(), 0.9, 5));
    assert_eq!(
        o.offer("a", "d", false),
        "d discards (recommended) · a twice accepts it anyway"
    );
    assert_eq!(
        o.offer("a", "d", true),
        "a again accepts it anyway · d discards (recommended)"
    );
}

#[test]
fn the_suggested_name_is_the_folder_and_the_day() {
    assert_eq!(
        suggested_name(Path::new("/music/by-genre"), 1_796_140_800),
        "by-genre 2026-12-01"
    );
    assert_eq!(suggested_name(Path::new("/"), 0), "trained 1970-01-01");
    assert_eq!(crate::util::time::civil_date(951_782_400), (2000, 2, 29));
}

#[test]
fn tab_completes_folders() {
    let dir = tempfile::tempdir().unwrap();
    for d in ["music-a", "music-b", "other"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    let base = format!("{}/", dir.path().display());
    let (t, opts) = complete_folder(&format!("{base}mu"));
    assert_eq!(t, format!("{base}music-"));
    assert_eq!(opts, vec!["music-a", "music-b"]);
    let (t, opts) = complete_folder(&format!("{base}ot"));
    assert_eq!(t, format!("{base}other/"));
    assert!(opts.is_empty());
    let (t, _) = complete_folder(&format!("{base}zz"));
    assert_eq!(t, format!("{base}zz"));
}

#[test]
fn the_library_s_tags_are_a_source_that_brings_the_library_folder() {
    let dir = tempfile::tempdir().unwrap();
    let lib_root = dir.path().join("library");
    std::fs::create_dir_all(&lib_root).unwrap();
    let tags = [
        Some("Jazz"),
        Some("jazz"),
        Some("Rock"),
        Some("rock; pop"),
        None,
    ];
    assert!(
        LibraryTags::of(&lib_root, tags, 3).is_none(),
        "too few per genre"
    );
    let lt = LibraryTags::of(&lib_root, tags, 2).unwrap();
    assert_eq!((lt.tagged, lt.untagged), (4, 1));
    assert_eq!(lt.genres.len(), 2);
    let mut r = Retrain::with_form(Form::from_library_tags(lt));
    // ◂ ▸ on the source: folders, the folder's tags, then the library's tags again.
    let k = Keymap::defaults();
    r.on_key(key(KeyCode::Down), &k);
    r.on_key(key(KeyCode::Right), &k);
    let labels = |r: &Retrain| match &r.stage {
        Stage::Form(f) => (f.labels, f.folder.clone()),
        s => panic!("{s:?}"),
    };
    assert_eq!(labels(&r).0, Labels::Folders);
    r.on_key(key(KeyCode::Right), &k);
    assert_eq!(labels(&r).0, Labels::Tags);
    r.on_key(key(KeyCode::Right), &k);
    assert_eq!(
        labels(&r),
        (Labels::LibraryTags, lib_root.display().to_string())
    );
    match r.on_key(key(KeyCode::Enter), &k) {
        Some(Request::Prepare(spec)) => {
            assert_eq!(spec.folder, lib_root);
            assert_eq!(spec.labels, LabelSource::Tags { min_count: 5 });
        }
        other => panic!("{other:?}"),
    }
    // Typing another folder makes it that folder's tags.
    let mut r = Retrain::with_form(Form::from_library_tags(
        LibraryTags::of(&lib_root, tags, 2).unwrap(),
    ));
    typed(&mut r, "x");
    assert_eq!(labels(&r).0, Labels::Tags);
}
