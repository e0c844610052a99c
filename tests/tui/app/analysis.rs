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

/// 6,000 tracks (beyond the size where each vector updates the views at once): vectors,
/// re-classifications and failures arrive, and at each tick the genre playlists and the genre
/// tree are moved track by track; they must be what a rebuild from scratch gives.
#[test]
fn genre_views_follow_vectors_like_a_rebuild_at_scale() {
    use genreplay::app::catalog::TrackInfo;
    use genreplay::library::TrackId;
    let labels = ["blues", "jazz", "rock"];
    let tracks: Vec<TrackInfo> = (0..6_000)
        .map(|i| {
            let path = std::path::PathBuf::from(format!("/m/a{}/b{}/{i}.flac", i / 40, i / 8));
            TrackInfo {
                id: TrackId::of_path(&path),
                title: format!("t{i}"),
                artist: format!("a{}", i / 40),
                album: format!("b{}", i / 8),
                path,
                ..Default::default()
            }
        })
        .collect();
    let lib = Catalog::new(
        "/m".into(),
        tracks,
        labels.iter().map(|s| s.to_string()).collect(),
    );
    let ids: Vec<TrackId> = lib.tracks.iter().map(|t| t.id).collect();
    let mut app = App::new(lib, Keymap::defaults(), Theme::built_in(), "dark", 80);
    press(&mut app, "m");
    assert_eq!(app.views.library.mode, BrowseMode::Genre);
    // A search that looks at genres stays open: its results follow the vectors too.
    press(&mut app, "/genre:rock conf:>0.45");
    let mut x: u64 = 7;
    let mut next = |m: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    for round in 0..30 {
        for _ in 0..40 {
            let t = ids[next(ids.len() as u64) as usize];
            if next(10) == 0 {
                app.update(Event::Analysis(AnalysisEvent::TrackDone {
                    track: t,
                    result: Err("unreadable".into()),
                }));
            } else {
                // Few distinct confidences: ties are ranked as the rebuild ranks them.
                let p = 0.4 + next(4) as f32 * 0.1;
                let mut v = vec![(1.0 - p) / 2.0; 3];
                v[next(3) as usize] = p;
                // Some verdicts unsure: they move to (and out of) the unsure lists too.
                let known = next(5) != 0;
                app.update(Event::VectorReady {
                    track: t,
                    vector: v,
                    style: None,
                    open_set: Some(genreplay::store::OpenSetRecord {
                        known,
                        confidence: p,
                        distance: if known { 0.5 } else { 2.0 },
                        music: None,
                    }),
                });
            }
        }
        app.update(Event::Tick);
        let lib = &app.session.lib;
        assert_eq!(
            app.views.genres.lists,
            lib.genre_playlists(
                app.session.recommend.min_confidence,
                app.session.recommend.unsure_in_playlists
            ),
            "round {round}"
        );
        assert_eq!(
            app.views.library.tree(),
            lib.tree(BrowseMode::Genre, None),
            "round {round}"
        );
        let fresh = genreplay::app::search::Searcher::default().run(
            lib,
            genreplay::app::search::Facts::none(),
            &genreplay::app::search::Query::parse(&app.search.text),
            genreplay::app::views::search::MAX_RESULTS,
        );
        assert_eq!(app.views.search.results, fresh, "round {round}");
    }
    assert!(!app.views.search.results.is_empty());
    assert!(app.session.lib.classified() > 500 && !app.session.lib.failed.is_empty());
    assert!(
        app.views
            .genres
            .lists
            .iter()
            .any(|(n, l)| n == genreplay::app::catalog::UNSURE_GROUP && !l.is_empty()),
        "some tracks are unsure"
    );
}

#[test]
fn an_analysis_that_cannot_start_says_so_until_it_starts() {
    let mut app = app();
    app.update(Event::Analysis(AnalysisEvent::Stopped {
        reason: "cannot start an analysis thread: Resource temporarily unavailable".into(),
    }));
    let (left, _, error) = genreplay::ui::status_text(&app);
    assert!(
        left.contains("analysis stopped: cannot start an analysis thread"),
        "{left}"
    );
    assert!(error, "shown as an error");
    assert!(!app.session.analysis.running);
    app.update(Event::Analysis(AnalysisEvent::Started {
        model: ModelId("m1".into()),
        total: 0,
    }));
    let (left, _, error) = genreplay::ui::status_text(&app);
    assert!(!left.contains("analysis stopped") && !error, "{left}");
}

#[test]
fn a_notice_stays_over_other_news_until_a_key() {
    let mut app = app();
    app.session.notice = Some("/c/config.toml:1: volume is out of range (defaults used)".into());
    app.update(Event::Status {
        text: "4 tracks (4 new, 0 changed, 0 removed)".into(),
        error: false,
    });
    for _ in 0..3 {
        app.update(Event::Tick);
    }
    let (left, _, error) = genreplay::ui::status_text(&app);
    assert!(left.starts_with("/c/config.toml:1:"), "{left}");
    assert!(error);
    press(&mut app, "j");
    let (left, _, _) = genreplay::ui::status_text(&app);
    assert_eq!(left, "4 tracks (4 new, 0 changed, 0 removed)");
}

#[test]
fn the_background_work_shows_beside_a_message_and_ends_when_it_is_done() {
    use genreplay::library::scan::ScanEvent;
    let mut app = app();
    app.session.status = None;
    // A first run: the scan says how far it is.
    app.update(Event::Analysis(AnalysisEvent::Scan(Some(
        ScanEvent::Walking { found: 0 },
    ))));
    assert_eq!(
        genreplay::ui::status_text(&app).0,
        "scanning the library folder…"
    );
    app.update(Event::Analysis(AnalysisEvent::Scan(Some(
        ScanEvent::Reading {
            done: 30,
            total: 120,
        },
    ))));
    assert_eq!(
        genreplay::ui::status_text(&app).0,
        "scanning the library folder: reading tags 30/120…"
    );
    app.update(Event::Analysis(AnalysisEvent::Scan(None)));
    // The scan's result is said, and the analysis that starts at once is not hidden by it.
    app.update(Event::Status {
        text: "120 tracks (120 new, 0 changed, 0 removed)".into(),
        error: false,
    });
    app.update(Event::Analysis(AnalysisEvent::Started {
        model: ModelId("m1".into()),
        total: 120,
    }));
    app.update(Event::Analysis(AnalysisEvent::Progress(Progress {
        done: 7,
        total: 120,
        failed: 0,
        current: None,
        eta_secs: None,
    })));
    let (left, right, _) = genreplay::ui::status_text(&app);
    assert_eq!(left, "120 tracks (120 new, 0 changed, 0 removed)");
    assert_eq!(right, "analysing 7/120");
    // Done: nothing says "analysing" any more.
    app.update(Event::Analysis(AnalysisEvent::Finished {
        classified: 120,
        failed: 0,
        cancelled: false,
    }));
    let (left, right, _) = genreplay::ui::status_text(&app);
    assert!(
        !left.contains("analysing") && !right.contains("analysing"),
        "{left} | {right}"
    );
}
