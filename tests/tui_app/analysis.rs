//! Background news: analysis progress, vectors, library reloads, status messages.

use super::*;

#[test]
fn analysis_events_update_the_status() {
    let mut app = app();
    app.update(Event::Analysis(AnalysisEvent::Started {
        model: ModelId("m1".into()),
        total: 3,
    }));
    assert!(app.session.analysis.running);
    assert_eq!(app.session.analysis.model.as_deref(), Some("m1"));
    assert_eq!(app.session.analysis.progress.as_ref().unwrap().total, 3);
    app.update(Event::Analysis(AnalysisEvent::Progress(Progress {
        done: 2,
        total: 3,
        failed: 1,
        current: Some(path("Echo")),
        eta_secs: Some(12.0),
    })));
    assert_eq!(app.session.analysis.progress.as_ref().unwrap().done, 2);
    assert_eq!(app.session.analysis.failed, 1);
    app.update(Event::Analysis(AnalysisEvent::TrackDone {
        track: id("Dusk"),
        result: Err("too short".into()),
    }));
    assert_eq!(
        app.session.lib.failed.get(&id("Dusk")).map(String::as_str),
        Some("too short")
    );
    app.update(Event::Analysis(AnalysisEvent::Finished {
        classified: 1,
        failed: 2,
        cancelled: false,
    }));
    assert!(!app.session.analysis.running);
    assert_eq!(app.session.analysis.failed, 2);
    // Nothing to analyse: not running.
    let mut app = tui_fixture::app();
    app.update(Event::Analysis(AnalysisEvent::Started {
        model: ModelId("m1".into()),
        total: 0,
    }));
    assert!(!app.session.analysis.running);
}

#[test]
fn a_ready_vector_moves_a_track_into_its_genre() {
    let mut app = app();
    press(&mut app, "m");
    select(&mut app, PENDING_GROUP);
    press(&mut app, "l");
    assert_eq!(
        rows(&app)[3..],
        ["(not classified yet)", "  Dusk", "  Echo", FAILED_GROUP].map(String::from)
    );
    app.update(Event::VectorReady {
        track: id("Echo"),
        vector: vector("jazz", 0.95),
        style: None,
        open_set: None,
    });
    let r = rows(&app);
    assert_eq!(r[1], "jazz");
    assert_eq!(app.views.library.rows[1].count, 2);
    select(&mut app, "jazz");
    press(&mut app, "l");
    assert_eq!(
        rows(&app)[1..4],
        ["jazz", "  Echo", "  Noon"].map(String::from)
    );
    assert_eq!(app.views.genres.lists[1].1[0].0, id("Echo"));
    assert_eq!(app.session.lib.classified(), 5);
    // A failed track that gets a vector later leaves the failed group.
    app.update(Event::VectorReady {
        track: id("Wind"),
        vector: vector("blues", 0.5),
        style: None,
        open_set: None,
    });
    assert!(!rows(&app).contains(&FAILED_GROUP.to_string()));
    assert!(!app.session.lib.failed.contains_key(&id("Wind")));
}

#[test]
fn a_reloaded_library_drops_missing_files_from_the_queue() {
    let mut app = app();
    play_first_album(&mut app);
    let mut lib = library();
    let keep: Vec<_> = lib
        .tracks
        .iter()
        .filter(|t| t.title != "Noon")
        .cloned()
        .collect();
    lib = Catalog::new(lib.root.clone(), keep, lib.labels.clone());
    app.update(Event::LibraryLoaded(Box::new(lib)));
    assert_eq!(queue_titles(&app), ["Dawn", "Dusk"]);
    assert_eq!(current_row(&app), Some(0));
    assert_eq!(app.session.lib.classified(), 0);
}

#[test]
fn status_messages_come_from_background_jobs() {
    let mut app = app();
    app.update(Event::Status {
        text: "scan failed: permission denied".into(),
        error: true,
    });
    let s = app.session.status.as_ref().unwrap();
    assert!(s.error);
    assert_eq!(s.text, "scan failed: permission denied");
    // A tick soon after keeps it.
    app.update(Event::Tick);
    assert!(app.session.status.is_some());
}

#[test]
fn an_empty_library_is_harmless() {
    let mut app = app_with(Catalog::default());
    assert!(app.views.library.rows.is_empty());
    let fx = press(&mut app, "jkgGlhanpv.,+ sr/x");
    press_code(&mut app, KeyCode::Esc);
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "2dJKC3i4l");
    press_code(&mut app, KeyCode::Enter);
    assert!(loads(&fx).is_empty());
    assert!(queue_titles(&app).is_empty());
    assert_eq!(app.session.playback.track, None);
}
