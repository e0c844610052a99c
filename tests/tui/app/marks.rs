//! Marks in the Library (multi-select): mark, mark "less like this", visual mode, clear, queue
//! the marks, the count in the status line, a mix of the marked tracks.

use super::*;
use genreplay::app::views::marks::Mark;

fn status(app: &App) -> (String, String) {
    let (left, right, _) = genreplay::ui::status_text(app);
    (left, right)
}

#[test]
fn y_marks_and_moves_down_x_marks_less_visual_marks_a_range_and_n_clears() {
    let mut app = app();
    select(&mut app, "Alpha");
    press(&mut app, "l");
    select(&mut app, "First");
    press(&mut app, "l");
    select(&mut app, "Dawn");
    // y marks Dawn and moves to Noon, as cmus does.
    press(&mut app, "y");
    assert_eq!(app.views.library.marks.get(id("Dawn")), Some(Mark::Like));
    assert_eq!(selected_label(&app), "Noon");
    // x marks Noon "less like this" and moves on.
    press(&mut app, "x");
    assert_eq!(app.views.library.marks.get(id("Noon")), Some(Mark::Less));
    assert_eq!(selected_label(&app), "Dusk");
    assert_eq!(status(&app).1, "2 marked");
    assert!(
        status(&app).0.contains("1 less like this"),
        "{:?}",
        status(&app)
    );
    // y again on a marked track unmarks it.
    select(&mut app, "Dawn");
    press(&mut app, "y");
    assert_eq!(app.views.library.marks.get(id("Dawn")), None);
    assert_eq!(app.views.library.marks.len(), 1);
    // Visual mode: from Beta (collapsed: all its tracks) down to gamma's row.
    select(&mut app, "Beta");
    press(&mut app, "Y");
    assert!(status(&app).0.contains("visual mode"), "{:?}", status(&app));
    press(&mut app, "j");
    assert_eq!(app.views.library.visual_range(), Some(5..=6));
    press(&mut app, "Y");
    assert_eq!(app.views.library.visual_range(), None);
    let marked: Vec<String> = app
        .views
        .library
        .marks
        .tracks()
        .iter()
        .map(|t| title_of(&app, *t))
        .collect();
    assert_eq!(marked, ["Noon", "Rain", "Snow", "Wind", "Echo"]);
    assert_eq!(status(&app).1, "5 marked");
    // N clears them all.
    press(&mut app, "Z");
    assert!(app.views.library.marks.is_empty());
    assert_eq!(status(&app).1, "");
}

#[test]
fn a_queues_the_marked_tracks_in_the_order_marked_and_clears_the_marks() {
    let mut app = app();
    select(&mut app, "Beta");
    press(&mut app, "l");
    select(&mut app, "Second");
    press(&mut app, "l");
    select(&mut app, "Snow");
    press(&mut app, "y");
    select(&mut app, "Rain");
    press(&mut app, "y");
    // A group marks every track in it.
    select(&mut app, "gamma");
    press(&mut app, "y");
    assert_eq!(app.views.library.marks.len(), 3);
    press(&mut app, "a");
    assert_eq!(up_next_titles(&app), ["Snow", "Rain", "Echo"]);
    assert!(app.views.library.marks.is_empty());
    // Without marks, a adds the selection as before.
    select(&mut app, "Snow");
    press(&mut app, "a");
    assert_eq!(up_next_titles(&app), ["Snow", "Rain", "Echo", "Snow"]);
}

#[test]
fn the_mix_of_marked_tracks_fills_up_next_with_reasons_and_needs_marks() {
    let mut app = app();
    press(&mut app, "S");
    assert!(status(&app).0.contains("mark tracks"), "{:?}", status(&app));
    // Dawn and Snow (rock) as seeds, Noon (jazz) less: Rain (blues) is what is left.
    app.views.library.marks.set(id("Dawn"), Mark::Like);
    app.views.library.marks.set(id("Snow"), Mark::Like);
    app.views.library.marks.set(id("Noon"), Mark::Less);
    press(&mut app, "S");
    let titles = upcoming_titles(&app);
    let playing = playing_title(&app);
    let all: Vec<String> = playing.into_iter().chain(titles).collect();
    assert_eq!(all, ["Rain"], "{:?}", status(&app));
    match &app.session.queue.current.as_ref().unwrap().entry.reason {
        Reason::Station(why) => {
            assert!(why.starts_with("mix of 2 seeds: blues"), "{why}");
            assert!(why.ends_with("less like Noon"), "{why}");
        }
        r => panic!("{r:?}"),
    }
    assert!(
        status(&app)
            .0
            .starts_with("mix of 2 tracks marked: 1 track"),
        "{:?}",
        status(&app)
    );
}

#[test]
fn search_results_are_marked_with_the_library_s_marks_and_queued_together() {
    let mut app = app();
    // Search (the line's search leaves the typing), then mark two results.
    press(&mut app, ":");
    press(&mut app, "search artist:beta");
    press_code(&mut app, KeyCode::Enter);
    assert!(app.search.open && !app.search.typing);
    let results = app.views.search.results.clone();
    assert!(results.len() >= 2, "{results:?}");
    press(&mut app, "g");
    press(&mut app, "y");
    assert_eq!(app.views.library.marks.get(results[0]), Some(Mark::Like));
    assert_eq!(app.views.search.nav.selected, 1, "y moves down");
    press(&mut app, "y");
    assert_eq!(status(&app).1, "2 marked");
    // The rows show the marks.
    let rows = drawn_lines(&app, 100, 30);
    assert!(rows[2].starts_with("│+"), "{}", rows[2]);
    assert!(rows[3].starts_with("│+"), "{}", rows[3]);
    // a queues the marks (in the order marked) and clears them.
    press(&mut app, "a");
    let queued: Vec<_> = app.session.queue.up_next.iter().map(|e| e.track).collect();
    assert_eq!(queued, results[..2]);
    assert!(app.views.library.marks.is_empty());
    // Without marks, a adds the selected result as before.
    press(&mut app, "a");
    assert_eq!(app.session.queue.up_next.len(), 3);
    // Z clears marks made here.
    press(&mut app, "gy");
    press(&mut app, "Z");
    assert!(app.views.library.marks.is_empty());
}
