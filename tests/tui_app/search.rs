//! Search: filtering as you type.

use super::*;

#[test]
fn search_filters_as_you_type_and_esc_clears() {
    let mut app = app();
    press(&mut app, "/");
    assert!(app.search.typing);
    press(&mut app, "s");
    // The match is fuzzy ("s" is in most tracks' text); groups with a match open by themselves.
    assert!(rows(&app).iter().any(|r| r.trim() == "Snow"));
    assert!(app.views.library.rows.len() > 3);
    press(&mut app, "now");
    assert_eq!(app.search.text, "snow");
    assert_eq!(rows(&app), ["Beta", "  Second", "    Snow"]);
    assert!(
        app.views
            .library
            .rows
            .iter()
            .all(|r| r.expanded || matches!(r.kind, RowKind::Track(_)))
    );
    // Keys that are bound to actions are typed while searching: q does not quit.
    let fx = press(&mut app, "q");
    assert!(!app.should_quit && fx.is_empty());
    assert!(app.views.library.rows.is_empty(), "nothing matches 'snowq'");
    press_code(&mut app, KeyCode::Backspace);
    assert_eq!(rows(&app), ["Beta", "  Second", "    Snow"]);
    // Arrow keys still move.
    press_code(&mut app, KeyCode::Down);
    assert_eq!(app.views.library.nav.selected, 1);
    // Esc leaves the search and clears it.
    press_code(&mut app, KeyCode::Esc);
    assert!(!app.search.typing);
    assert_eq!(app.search.text, "");
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);

    // Enter keeps the filter and gives the keys back; Esc then clears it.
    press(&mut app, "/ech");
    press_code(&mut app, KeyCode::Enter);
    assert!(!app.search.typing);
    assert_eq!(rows(&app), ["gamma", "  Loose", "    Echo"]);
    press(&mut app, "G");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(loads(&fx), [path("Echo")]);
    press_code(&mut app, KeyCode::Esc);
    assert_eq!(app.search.text, "");
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);
}

#[test]
fn search_filters_the_queue_and_genres_too() {
    let mut app = app();
    play_first_album(&mut app);
    press(&mut app, "2/dusk");
    assert_eq!(app.views.queue.visible, [2]);
    // Entries do not move while the view is filtered.
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "JK");
    assert_eq!(queue_titles(&app), ["Dawn", "Noon", "Dusk"]);
    press(&mut app, "/");
    // d removes the entry shown, not the entry at the same row of the whole queue.
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "d");
    assert_eq!(queue_titles(&app), ["Dawn", "Noon"]);
    press_code(&mut app, KeyCode::Esc);

    press(&mut app, "4/snow");
    let lists: Vec<(String, usize)> = app
        .views
        .genres
        .lists
        .iter()
        .map(|(g, t)| (g.clone(), t.len()))
        .collect();
    assert_eq!(
        lists,
        [("blues".into(), 0), ("jazz".into(), 0), ("rock".into(), 1)]
    );
}
