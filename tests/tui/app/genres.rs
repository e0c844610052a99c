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
