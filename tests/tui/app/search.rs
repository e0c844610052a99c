//! Search: `/` opens a ranked list of results over the whole library; no view is filtered.

use super::*;

fn results(app: &App) -> Vec<String> {
    app.views
        .search
        .results
        .iter()
        .map(|&t| title_of(app, t))
        .collect()
}

#[test]
fn search_lists_results_as_you_type_and_esc_closes() {
    let mut app = app();
    press(&mut app, "/");
    assert!(app.search.typing && app.search.open);
    assert!(results(&app).is_empty(), "an empty query lists nothing");
    press(&mut app, "sn");
    assert_eq!(results(&app), ["Snow"]);
    press(&mut app, "ow");
    assert_eq!(app.search.text, "snow");
    assert_eq!(results(&app), ["Snow"]);
    // The library view is not filtered behind the results.
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);
    // Keys that are bound to actions are typed while searching: q does not quit.
    let fx = press(&mut app, "q");
    assert!(!app.should_quit && fx.is_empty());
    assert!(results(&app).is_empty(), "nothing matches 'snowq'");
    press_code(&mut app, KeyCode::Backspace);
    assert_eq!(results(&app), ["Snow"]);
    // Esc closes the search and clears it.
    press_code(&mut app, KeyCode::Esc);
    assert!(!app.search.typing && !app.search.open);
    assert_eq!(app.search.text, "");
    assert!(results(&app).is_empty());
}

#[test]
fn search_ranks_whole_words_first_and_filters_by_field() {
    let mut app = app();
    // An artist name matches all of the artist's tracks, in library order.
    press(&mut app, "/beta");
    assert_eq!(results(&app), ["Rain", "Snow", "Wind"]);
    press_code(&mut app, KeyCode::Esc);
    press(&mut app, "/album:second");
    assert_eq!(results(&app), ["Rain", "Snow"]);
    press_code(&mut app, KeyCode::Esc);
    // The classified genre is searched too.
    press(&mut app, "/genre:rock");
    assert_eq!(results(&app), ["Dawn", "Snow"]);
    press_code(&mut app, KeyCode::Esc);
    // Words narrow: every word must match.
    press(&mut app, "/alpha dusk");
    assert_eq!(results(&app), ["Dusk"]);
}

#[test]
fn enter_plays_a_result_and_the_results_go_on_after_it() {
    let mut app = app();
    select(&mut app, "gamma");
    press(&mut app, "a");
    press(&mut app, "/beta");
    // The arrows move through the results while typing; the first Enter plays the selected
    // one and leaves the typing (the keys then move through the results).
    press_code(&mut app, KeyCode::Down);
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(loads(&fx), [path("Snow")]);
    assert!(!app.search.typing && app.search.open);
    app.update(started("Snow"));
    // Up next stays and plays first; then the results after Snow.
    assert_eq!(upcoming_titles(&app), ["Echo", "Wind"]);
    // a adds a result to up next.
    press(&mut app, "g");
    press(&mut app, "a");
    assert_eq!(up_next_titles(&app), ["Echo", "Rain"]);
    // Esc goes back to the view.
    press_code(&mut app, KeyCode::Esc);
    assert!(!app.search.open);
    assert_eq!(app.view, View::Library);
}
