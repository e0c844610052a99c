//! The Library view: the tree, browse modes, selection, jumping to the playing track.

use super::*;

#[test]
fn library_tree_expands_and_collapses() {
    let mut app = app();
    assert_eq!(app.view, View::Library);
    assert_eq!(app.views.library.mode, BrowseMode::Artist);
    // Artists sort case-insensitively; everything starts collapsed.
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);
    assert_eq!(app.views.library.rows[0].count, 3);
    assert_eq!(app.views.library.rows[1].count, 3);
    assert_eq!(selected_label(&app), "Alpha");

    press(&mut app, "l");
    assert_eq!(rows(&app), ["Alpha", "  First", "Beta", "gamma"]);
    assert!(app.views.library.rows[0].expanded);
    press(&mut app, "j");
    press_code(&mut app, KeyCode::Right);
    assert_eq!(
        rows(&app),
        [
            "Alpha", "  First", "    Dawn", "    Noon", "    Dusk", "Beta", "gamma"
        ]
    );
    // Expanding a track does nothing.
    press(&mut app, "jj");
    assert_eq!(selected_label(&app), "Noon");
    press(&mut app, "l");
    assert_eq!(app.views.library.rows.len(), 7);

    // Left on a track goes to its album and closes it; again closes the artist.
    press_code(&mut app, KeyCode::Left);
    assert_eq!(selected_label(&app), "First");
    assert_eq!(rows(&app), ["Alpha", "  First", "Beta", "gamma"]);
    press(&mut app, "h");
    assert_eq!(selected_label(&app), "Alpha");
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);
    // Collapsing a closed top-level group is harmless.
    press(&mut app, "h");
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);
}

#[test]
fn selection_moves_and_stays_in_bounds() {
    let mut app = app();
    press(&mut app, "k");
    assert_eq!(app.views.library.nav.selected, 0);
    press(&mut app, "G");
    assert_eq!(selected_label(&app), "gamma");
    press(&mut app, "jjj");
    assert_eq!(selected_label(&app), "gamma");
    press(&mut app, "g");
    assert_eq!(selected_label(&app), "Alpha");
    press_code(&mut app, KeyCode::End);
    assert_eq!(app.views.library.nav.selected, 2);
    press_code(&mut app, KeyCode::Home);
    assert_eq!(app.views.library.nav.selected, 0);
    press_code(&mut app, KeyCode::PageDown);
    assert_eq!(app.views.library.nav.selected, 2);
    press_code(&mut app, KeyCode::PageUp);
    assert_eq!(app.views.library.nav.selected, 0);
    press_code(&mut app, KeyCode::Down);
    assert_eq!(selected_label(&app), "Beta");
    press_code(&mut app, KeyCode::Up);
    assert_eq!(selected_label(&app), "Alpha");
}

#[test]
fn a_long_list_scrolls_with_the_selection() {
    let mut app = app();
    // 3 rows of list in an 9-row terminal.
    app.update(Event::Resize(80, 9));
    assert_eq!(app.session.list_height, 3);
    for label in ["Alpha", "First", "Beta"] {
        select(&mut app, label);
        press(&mut app, "l");
    }
    select(&mut app, "Second");
    press(&mut app, "l");
    assert_eq!(app.views.library.rows.len(), 11);
    press(&mut app, "g");
    assert_eq!(app.views.library.nav.offset, 0);
    press(&mut app, "jjjj");
    assert_eq!(app.views.library.nav.selected, 4);
    assert_eq!(
        app.views.library.nav.offset, 2,
        "the selection stays on screen"
    );
    press(&mut app, "G");
    assert_eq!(app.views.library.nav.offset, 8);
    press(&mut app, "g");
    assert_eq!(app.views.library.nav.offset, 0);
}

#[test]
fn moving_onto_a_track_asks_for_it_to_be_analysed_first() {
    let mut app = app();
    press(&mut app, "ljl");
    let fx = press(&mut app, "j");
    assert_eq!(selected_label(&app), "Dawn");
    assert!(fx.contains(&Effect::Bump(id("Dawn"))), "{fx:?}");
    // Groups ask for nothing.
    let fx = press(&mut app, "k");
    assert!(fx.is_empty(), "{fx:?}");
}

#[test]
fn m_cycles_browse_modes() {
    let mut app = app();
    let fx = press(&mut app, "m");
    assert!(fx.is_empty());
    assert_eq!(app.views.library.mode, BrowseMode::Genre);
    assert_eq!(app.session.status.as_ref().unwrap().text, "browse by genre");
    // Genres in label order (only those with tracks), then the waiting and failed tracks.
    assert_eq!(
        rows(&app),
        ["blues", "jazz", "rock", PENDING_GROUP, FAILED_GROUP]
    );
    let counts: Vec<usize> = app.views.library.rows.iter().map(|r| r.count).collect();
    assert_eq!(counts, [1, 1, 2, 2, 1]);
    // Inside a genre, the most confident first.
    select(&mut app, "rock");
    press(&mut app, "l");
    assert_eq!(
        rows(&app)[2..5],
        ["rock", "  Snow", "  Dawn"].map(String::from)
    );
    select(&mut app, PENDING_GROUP);
    press(&mut app, "l");
    assert!(rows(&app).contains(&"  Echo".to_string()));

    press(&mut app, "m");
    assert_eq!(app.views.library.mode, BrowseMode::Style);
    press(&mut app, "m");
    assert_eq!(app.views.library.mode, BrowseMode::Folder);
    assert_eq!(
        app.session.status.as_ref().unwrap().text,
        "browse by folder"
    );
    // The folders nested as on disk; a folder holding one folder and no files is named with
    // it ("Alpha/First").
    assert_eq!(rows(&app), ["Alpha/First", "Beta", "gamma"]);
    assert_eq!(app.views.library.nav.selected, 0);
    select(&mut app, "Beta");
    press(&mut app, "l");
    select(&mut app, "Second");
    press(&mut app, "l");
    assert_eq!(
        rows(&app),
        [
            "Alpha/First",
            "Beta",
            "  Second",
            "    Rain",
            "    Snow",
            "  Third",
            "gamma"
        ]
    );
    // Enter on a folder plays everything below it, in the order of the rows.
    select(&mut app, "Beta");
    let sel = genreplay::app::views::View::selection(&app.views.library, &app.session.lib);
    let titles: Vec<String> = sel
        .map(|s| {
            s.tracks
                .iter()
                .filter_map(|t| app.session.lib.track(*t).map(|i| i.title.clone()))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(titles, ["Rain", "Snow", "Wind"]);

    // m from another view comes back to the library.
    press(&mut app, "2");
    assert_eq!(app.view, View::Queue);
    press(&mut app, "m");
    assert_eq!(app.view, View::Library);
    assert_eq!(app.views.library.mode, BrowseMode::Artist);
    assert_eq!(
        app.session.status.as_ref().unwrap().text,
        "browse by artist → album"
    );
}

#[test]
fn views_switch_by_number_and_tab() {
    let mut app = app();
    for (k, v) in [
        ('2', View::Queue),
        ('3', View::NowPlaying),
        ('4', View::Genres),
        ('1', View::Library),
    ] {
        press(&mut app, &k.to_string());
        assert_eq!(app.view, v);
    }
    press_code(&mut app, KeyCode::Tab);
    assert_eq!(app.view, View::Queue);
    app.update(Event::Key(KeyEvent::new(
        KeyCode::BackTab,
        KeyModifiers::SHIFT,
    )));
    assert_eq!(app.view, View::Library);
    press_code(&mut app, KeyCode::BackTab);
    assert_eq!(app.view, View::Stats, "back from the first view: the last");
    press_code(&mut app, KeyCode::Tab);
    assert_eq!(app.view, View::Library);
}

#[test]
fn i_selects_the_playing_track() {
    let mut app = app();
    select(&mut app, "Beta");
    press(&mut app, "l");
    select(&mut app, "Third");
    press_code(&mut app, KeyCode::Enter);
    // Close everything and move away; i opens the way back to the track.
    press(&mut app, "hgh4");
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);
    press(&mut app, "i");
    assert_eq!(app.view, View::Library);
    assert_eq!(selected_label(&app), "Wind");
    // In folder mode too (artist → genre → style → folder).
    press(&mut app, "mmm");
    press(&mut app, "i");
    assert_eq!(selected_label(&app), "Wind");
}

#[test]
fn i_finds_a_playing_track_in_the_genre_tree() {
    let mut app = app();
    press(&mut app, "m");
    // Noon (jazz) plays; i finds it under jazz.
    select(&mut app, "jazz");
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "i");
    assert_eq!(selected_label(&app), "Noon");
    // Echo is waiting for analysis.
    select(&mut app, PENDING_GROUP);
    press(&mut app, "l");
    select(&mut app, "Echo");
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "g");
    press(&mut app, "i");
    assert_eq!(selected_label(&app), "Echo");
    // Wind could not be analysed: it sits under the failed group.
    select(&mut app, FAILED_GROUP);
    press(&mut app, "l");
    select(&mut app, "Wind");
    press_code(&mut app, KeyCode::Enter);
    select(&mut app, FAILED_GROUP);
    press(&mut app, "hg");
    press(&mut app, "i");
    assert_eq!(
        selected_label(&app),
        "Wind",
        "i must open the failed group to reach the playing track: {:?}",
        rows(&app)
    );
}

#[test]
fn i_finds_a_track_whose_artist_differs_in_case() {
    // "alpha" sorts into the group that "Alpha" named.
    let mut lib = library();
    let mut extra = lib.track(id("Dusk")).unwrap().clone();
    extra.path = std::path::PathBuf::from("/music/Alpha/First/04 Late.flac");
    extra.id = genreplay::library::TrackId::of_path(&extra.path);
    extra.title = "Late".into();
    extra.artist = "alpha".into();
    extra.album = "first".into();
    extra.track_no = Some(4);
    let mut tracks = lib.tracks.clone();
    tracks.push(extra);
    lib = Catalog::new(lib.root.clone(), tracks, lib.labels.clone());
    let mut app = app_with(lib);
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);
    press(&mut app, "ljl");
    select(&mut app, "Late");
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "hhg");
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);
    press(&mut app, "i");
    assert_eq!(selected_label(&app), "Late", "{:?}", rows(&app));
}

/// The fixture with style vectors: Dawn alternative + indie (+ "rock", a genre of the model,
/// never a style), Noon ambient, Rain indie + 90s, Snow below the floor.
fn styled_library() -> Catalog {
    let mut lib = library();
    for (t, tags) in [
        (
            "Dawn",
            &[("rock", 0.8), ("alternative", 0.5), ("indie", 0.3)][..],
        ),
        ("Noon", &[("ambient", 0.4)][..]),
        ("Rain", &[("indie", 0.6), ("90s", 0.2)][..]),
        ("Snow", &[("punk", 0.05)][..]),
    ] {
        lib.styles.insert(id(t), style(tags).into());
    }
    lib
}

#[test]
fn browse_by_style_groups_each_track_under_every_style_it_shows() {
    let mut app = app_with(styled_library());
    press(&mut app, "mm");
    assert_eq!(app.views.library.mode, BrowseMode::Style);
    assert_eq!(app.session.status.as_ref().unwrap().text, "browse by style");
    // Styles in name order ("rock" is a genre, not a style), then the tracks without one.
    assert_eq!(
        rows(&app),
        [
            "90s",
            "alternative",
            "ambient",
            "indie",
            genreplay::app::catalog::NO_STYLE_GROUP,
            PENDING_GROUP,
            FAILED_GROUP
        ]
    );
    // Inside a style, the strongest first: Rain (0.6) before Dawn (0.3).
    select(&mut app, "indie");
    press(&mut app, "l");
    assert_eq!(
        rows(&app)[3..6],
        ["indie", "  Rain", "  Dawn"].map(String::from)
    );
    // A track analysed now joins its styles where it ranks, without a rebuild of the rest.
    app.update(Event::VectorReady {
        track: id("Echo"),
        vector: tui_fixture::vector("jazz", 0.9),
        style: Some(style(&[("indie", 0.45), ("folk", 0.2)])),
        open_set: None,
    });
    app.update(Event::Tick);
    let r = rows(&app);
    let at = r.iter().position(|l| l == "indie").unwrap();
    assert_eq!(
        r[at..at + 4],
        ["indie", "  Rain", "  Echo", "  Dawn"].map(String::from)
    );
    assert!(rows(&app).contains(&"folk".to_string()), "{:?}", rows(&app));
    // Same tree as a rebuild from scratch.
    let incremental = rows(&app);
    let lib = app.session.lib.clone();
    app.views
        .library
        .rebuild(&lib, &std::collections::HashMap::new(), 30);
    assert_eq!(incremental, rows(&app));
}

#[test]
fn style_playlists_follow_the_genre_playlists_and_search_finds_styles() {
    let mut app = app_with(styled_library());
    let v = &app.views.genres;
    let genres: Vec<&str> = v.lists.iter().map(|(n, _)| n.as_str()).collect();
    let styles: Vec<&str> = v.styles.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(genres, ["blues", "jazz", "rock"]);
    assert_eq!(styles, ["90s", "alternative", "ambient", "indie"]);
    assert_eq!(v.len(), 7);
    let indie = v.list(6).unwrap();
    assert_eq!(indie.0, "indie");
    assert!(indie.2, "a style list");
    assert_eq!(
        indie.1.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
        [id("Rain"), id("Dawn")]
    );
    // The shown styles, best first, and `style:` in search.
    assert_eq!(app.session.lib.style_text(id("Dawn")), "alternative, indie");
    assert_eq!(app.session.lib.style_text(id("Snow")), "");
    press(&mut app, "/");
    press(&mut app, "style:indie");
    let found: Vec<_> = app.views.search.results.clone();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.contains(&id("Rain")) && found.contains(&id("Dawn")));
}
