//! The Genres view: the automatic genre playlists.

use super::*;

#[test]
fn genres_view_plays_an_auto_playlist() {
    let mut app = app();
    press(&mut app, "4");
    assert_eq!(app.views.genres.lists.len(), 3);
    assert_eq!(app.views.genres.lists[2].0, "rock");
    assert_eq!(
        app.views.genres.lists[2]
            .1
            .iter()
            .map(|t| t.0)
            .collect::<Vec<_>>(),
        [id("Snow"), id("Dawn")]
    );
    press(&mut app, "jj");
    assert_eq!(app.views.genres.nav.selected, 2);
    // l moves the focus to the tracks; Enter plays from the selected one.
    press(&mut app, "l");
    assert!(app.views.genres.focus_tracks);
    press(&mut app, "j");
    assert_eq!(app.views.genres.tracks_nav.selected, 1);
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(loads(&fx), [path("Dawn")]);
    assert_eq!(queue_titles(&app), ["Dawn"]);
    assert_eq!(current_row(&app), Some(0));
    assert_eq!(row_reason(&app, 0).describe(), "from rock playlist");
    // h back to the genres; moving there resets the track selection.
    press(&mut app, "h");
    assert!(!app.views.genres.focus_tracks);
    press(&mut app, "k");
    assert_eq!(app.views.genres.nav.selected, 1);
    assert_eq!(app.views.genres.tracks_nav.selected, 0);
    // a adds the whole playlist from the genre list, one track from the track list.
    press(&mut app, "a");
    assert_eq!(queue_titles(&app), ["Dawn", "Noon"]);
    press(&mut app, "jla");
    assert_eq!(queue_titles(&app), ["Dawn", "Noon", "Snow"]);
}

#[test]
fn adding_from_empty_search_results_or_an_empty_genre_does_nothing() {
    let mut app = app();
    // Focus rock's tracks, then search for something nothing matches.
    press(&mut app, "4jjl");
    assert!(app.views.genres.focus_tracks);
    press(&mut app, "/zzz");
    press_code(&mut app, KeyCode::Enter);
    assert!(app.views.search.results.is_empty());
    for k in ["a", "A"] {
        let fx = press(&mut app, k);
        assert!(fx.is_empty(), "{fx:?}");
    }
    press_code(&mut app, KeyCode::Enter);
    assert!(queue_titles(&app).is_empty());
    // Esc gives the genres view back as it was.
    press_code(&mut app, KeyCode::Esc);
    assert!(app.views.genres.focus_tracks);
    // An empty genre adds nothing either (and says nothing about "0 tracks").
    let mut lib = library();
    lib.vectors.remove(&id("Rain"));
    let mut app = app_with(lib);
    press(&mut app, "4a");
    assert!(queue_titles(&app).is_empty());
    assert_eq!(app.session.status, None);
}

#[test]
fn genres_view_with_empty_genre_does_not_focus_tracks() {
    let mut lib = library();
    lib.vectors.clear();
    let mut app = app_with(lib);
    press(&mut app, "4");
    press(&mut app, "l");
    assert!(!app.views.genres.focus_tracks);
    let fx = press_code(&mut app, KeyCode::Enter);
    assert!(fx.is_empty());
    assert!(queue_titles(&app).is_empty());
}

#[test]
fn a_model_switch_leaves_no_list_of_the_old_model_once_the_library_is_classified_again() {
    let mut app = app();
    press(&mut app, "4");
    let old: Vec<String> = app.views.genres.lists.iter().map(|l| l.0.clone()).collect();
    assert!(old.contains(&"rock".to_string()), "{old:?}");
    // A model with other genres: until tracks are classified again they keep their old genre.
    let labels = vec!["ambient".to_string(), "noise".to_string()];
    app.update(Event::ModelActivated {
        id: "new".into(),
        name: "by-folder".into(),
        labels: labels.clone(),
    });
    press(&mut app, "4");
    let names: Vec<String> = app.views.genres.lists.iter().map(|l| l.0.clone()).collect();
    assert_eq!(&names[..2], ["ambient", "noise"], "{names:?}");
    assert!(names.contains(&"rock".to_string()), "{names:?}");
    // Every track classified by the new model, one event at a time as the analysis sends them.
    let ids: Vec<_> = app.session.lib.tracks.iter().map(|t| t.id).collect();
    for (i, track) in ids.into_iter().enumerate() {
        let v = if i % 2 == 0 {
            vec![0.9, 0.1]
        } else {
            vec![0.2, 0.8]
        };
        app.update(Event::VectorReady {
            track,
            vector: v,
            style: None,
            open_set: None,
        });
        app.update(Event::Tick);
    }
    let lists: Vec<(String, usize)> = app
        .views
        .genres
        .lists
        .iter()
        .map(|l| (l.0.clone(), l.1.len()))
        .collect();
    let names: Vec<&str> = lists.iter().map(|l| l.0.as_str()).collect();
    assert_eq!(
        names,
        ["ambient", "noise"],
        "no empty list of the old model: {lists:?}"
    );
    assert_eq!(
        lists.iter().map(|l| l.1).sum::<usize>(),
        app.session.lib.tracks.len(),
        "{lists:?}"
    );
    // A full rebuild agrees with the lists moved track by track.
    let moved = app.views.genres.lists.clone();
    app.rebuild();
    assert_eq!(app.views.genres.lists, moved);
}
