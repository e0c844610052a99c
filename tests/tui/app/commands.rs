//! The `:` command line, redo, the Library's sort orders, `f` from the selected row and
//! untagged files: the cmus basics of issue 27.

use super::*;
use genreplay::app::views::sort::SortKey;

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    app.update(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

/// Types `line` on the command line and presses Enter.
fn command(app: &mut App, line: &str) -> Vec<Effect> {
    let mut fx = press(app, ":");
    fx.extend(press(app, line));
    fx.extend(press_code(app, KeyCode::Enter));
    fx
}

fn up_next(app: &App) -> Vec<String> {
    app.session
        .queue
        .up_next
        .iter()
        .filter_map(|e| app.session.lib.track(e.track).map(|t| t.title.clone()))
        .collect()
}

#[test]
fn the_command_line_runs_any_action_by_name_with_its_answer() {
    let mut app = app();
    assert!(!app.session.shuffle);
    command(&mut app, "toggle_shuffle");
    assert!(app.session.shuffle, "{}", status_message(&app));
    assert!(app.prompt.is_none(), "the line closes");
    // `-` for `_`, and a short name when only one action starts so.
    command(&mut app, "toggle-shuf");
    assert!(!app.session.shuffle);
    // An action that asks a question takes its answer from the line.
    select(&mut app, "Alpha");
    press(&mut app, "a");
    let fx = command(&mut app, "save_queue evening");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::SavePlaylist { name, .. } if name == "evening")),
        "no SavePlaylist for evening: {fx:?}"
    );
    // The same action without an answer asks.
    command(&mut app, "save_queue");
    assert_eq!(
        app.prompt.as_ref().map(|p| p.kind.clone()),
        Some(genreplay::app::prompt::PromptKind::SaveQueue)
    );
    press_code(&mut app, KeyCode::Esc);
    // Search with its words: the results show, the box is not typing.
    command(&mut app, "search snow");
    assert!(app.search.open && !app.search.typing);
    assert_eq!(app.search.text, "snow");
    press_code(&mut app, KeyCode::Esc);
    // Errors say what is wrong; a view's action says where it works.
    command(&mut app, "fly");
    assert_eq!(status_message(&app), "no command 'fly' (Tab lists them)");
    command(&mut app, "toggle");
    assert!(
        status_message(&app).starts_with("'toggle' could be "),
        "{}",
        status_message(&app)
    );
    command(&mut app, "queue_remove");
    assert!(
        status_message(&app).contains("works in the Queue view"),
        "{}",
        status_message(&app)
    );
    command(&mut app, "toggle_shuffle now");
    assert!(
        status_message(&app).contains("asks nothing"),
        "{}",
        status_message(&app)
    );
    // Esc leaves the line without doing anything.
    press(&mut app, ":s");
    press_code(&mut app, KeyCode::Esc);
    assert!(app.prompt.is_none());
}

#[test]
fn tab_completes_a_command_and_shows_what_it_does() {
    let mut app = app();
    press(&mut app, ":toggle_a");
    press_code(&mut app, KeyCode::Tab);
    let p = app.prompt.clone().expect("the line is open");
    assert_eq!(p.text, "toggle_auto_dj ");
    assert_eq!(p.completions, [Action::ToggleAutoDj.description()]);
    press_code(&mut app, KeyCode::Esc);
    press(&mut app, ":view_");
    press_code(&mut app, KeyCode::Tab);
    let p = app.prompt.clone().expect("the line is open");
    assert!(p.completions.len() >= 7, "{:?}", p.completions);
    // Drawn as `:` and the text, with the candidates beside it.
    let screen = genreplay_screen(&mut app);
    assert!(
        screen
            .iter()
            .any(|l| l.contains(" :view_▏") && l.contains("view_queue")),
        "{screen:?}"
    );
}

fn genreplay_screen(app: &mut App) -> Vec<String> {
    drawn_lines(app, 100, 40)
}

#[test]
fn ctrl_r_redoes_what_u_undid() {
    let mut app = app();
    select(&mut app, "Alpha");
    press(&mut app, "a");
    select(&mut app, "Beta");
    press(&mut app, "a");
    assert_eq!(up_next(&app).len(), 6);
    press(&mut app, "u");
    assert_eq!(up_next(&app).len(), 3);
    assert_eq!(status_message(&app), "queue change undone (ctrl-r redoes)");
    ctrl(&mut app, 'r');
    assert_eq!(up_next(&app).len(), 6);
    assert_eq!(status_message(&app), "queue change redone");
    ctrl(&mut app, 'r');
    assert_eq!(status_message(&app), "nothing to redo");
    // A new change after an undo: nothing to redo.
    press(&mut app, "u");
    select(&mut app, "gamma");
    press(&mut app, "a");
    ctrl(&mut app, 'r');
    assert_eq!(status_message(&app), "nothing to redo");
    assert_eq!(up_next(&app), ["Dawn", "Noon", "Dusk", "Echo"]);
    // From the command line too.
    command(&mut app, "undo");
    command(&mut app, "redo");
    assert_eq!(up_next(&app), ["Dawn", "Noon", "Dusk", "Echo"]);
}

#[test]
fn the_library_sorts_by_year_plays_title_and_back() {
    let mut app = app_with(library_with_years());
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);
    ctrl(&mut app, 's');
    assert_eq!(app.views.library.sort, SortKey::Title);
    ctrl(&mut app, 's');
    assert_eq!(app.views.library.sort, SortKey::Year);
    assert_eq!(status_message(&app), "library sorted: year, oldest first");
    // Beta has the oldest year; gamma's track has none: last.
    assert_eq!(rows(&app), ["Beta", "Alpha", "gamma"]);
    select(&mut app, "Beta");
    press(&mut app, "l");
    // Third (1999) after Second (1971).
    assert_eq!(rows(&app)[1..3], ["  Second", "  Third"].map(String::from));
    // The row says the year it is sorted by, and the title says the order.
    select(&mut app, "Second");
    press(&mut app, "l");
    let screen = genreplay_screen(&mut app);
    assert!(
        screen[1].contains("Library · by artist → album · year, oldest first"),
        "{}",
        screen[1]
    );
    let rain = screen.iter().find(|l| l.contains("Rain")).unwrap();
    assert!(rain.contains("1971"), "{rain}");
    // By name from the command line; a wrong name says the choices.
    command(&mut app, "sort title");
    assert_eq!(app.views.library.sort, SortKey::Title);
    command(&mut app, "sort colour");
    assert!(
        status_message(&app).contains("tree, title, artist, album, year"),
        "{}",
        status_message(&app)
    );
    command(&mut app, "sort tree");
    assert_eq!(rows(&app)[0], "Alpha");
    // By plays: the order follows the history when it arrives and as it changes.
    command(&mut app, "sort plays");
    let played = |n| genreplay::store::history::HistoryRecord {
        plays: n,
        ..Default::default()
    };
    let history = [(id("Echo"), played(2)), (id("Wind"), played(5))];
    app.update(Event::HistoryLoaded(history.into_iter().collect()));
    assert_eq!(rows(&app)[0], "Beta", "{:?}", rows(&app));
    app.update(Event::HistoryChanged {
        track: id("Echo"),
        record: played(9),
    });
    assert_eq!(rows(&app)[0], "gamma", "{:?}", rows(&app));
    // The order is part of the saved session.
    command(&mut app, "sort year");
    let saved = app.saved_session();
    assert_eq!(saved.sort, "year");
    let mut again = app_with(library());
    again.restore(Some(saved), None);
    assert_eq!(again.views.library.sort, SortKey::Year);
}

#[test]
fn f_starts_from_the_selected_track_when_a_track_row_is_selected() {
    let mut app = app();
    // Noon plays.
    select(&mut app, "Alpha");
    press(&mut app, "l");
    select(&mut app, "First");
    press(&mut app, "l");
    select(&mut app, "Noon");
    press_code(&mut app, KeyCode::Enter);
    app.update(started("Noon"));
    // The cursor on Snow: f fills from Snow.
    select(&mut app, "Beta");
    press(&mut app, "l");
    select(&mut app, "Second");
    press(&mut app, "l");
    select(&mut app, "Snow");
    press(&mut app, "f");
    assert!(
        status_message(&app).contains("Snow"),
        "{}",
        status_message(&app)
    );
    // On a group row: the playing track.
    select(&mut app, "Beta");
    press(&mut app, "f");
    assert!(
        status_message(&app).contains("Noon"),
        "{}",
        status_message(&app)
    );
}

#[test]
fn untagged_files_read_as_their_names_grouped_by_folder() {
    let mut lib = library();
    for t in &mut lib.tracks {
        if t.title == "Echo" {
            t.artist = genreplay::library::track::UNKNOWN_ARTIST.into();
            t.album = genreplay::library::track::UNKNOWN_ALBUM.into();
            t.title = "echo_take_3".into();
        }
    }
    let lib = Catalog::new(lib.root.clone(), lib.tracks.clone(), lib.labels.clone());
    let mut app = app_with(lib);
    select(&mut app, "Unknown artist");
    press(&mut app, "l");
    // By the folder it is in, not "Unknown album".
    assert!(
        rows(&app).contains(&"  gamma/".to_string()),
        "{:?}",
        rows(&app)
    );
    // Outside the artist tree its row is its name, without "— Unknown artist".
    press(&mut app, "mmm");
    select(&mut app, "gamma");
    press(&mut app, "l");
    let screen = genreplay_screen(&mut app);
    let row = screen.iter().find(|l| l.contains("echo_take_3")).unwrap();
    assert!(!row.contains("Unknown artist"), "{row}");
}

#[test]
fn long_library_rows_end_with_an_ellipsis() {
    let mut lib = library();
    for t in &mut lib.tracks {
        if t.title == "Echo" {
            t.title = "A very long title that goes on and on past the edge of a small terminal window for sure".into();
        }
    }
    let lib = Catalog::new(lib.root.clone(), lib.tracks.clone(), lib.labels.clone());
    let mut app = app_with(lib);
    app.update(Event::Resize(80, 24));
    select(&mut app, "gamma");
    press(&mut app, "l");
    select(&mut app, "Loose");
    press(&mut app, "l");
    let buf = drawn(&app, 80, 24);
    let screen: Vec<String> = (0..24)
        .map(|y| (0..80).map(|x| buf[(x, y)].symbol().to_string()).collect())
        .collect();
    let row = screen
        .iter()
        .find(|l| l.contains("A very long title"))
        .unwrap();
    assert!(row.trim_end().ends_with("…│"), "{row}");
}

#[test]
fn marked_queue_entries_go_together_and_come_back_together() {
    let mut app = app();
    select(&mut app, "Alpha");
    press(&mut app, "a");
    select(&mut app, "Beta");
    press(&mut app, "a");
    assert_eq!(
        up_next(&app),
        ["Dawn", "Noon", "Dusk", "Rain", "Snow", "Wind"]
    );
    press(&mut app, "2");
    // Nothing plays: the rows are up next. Mark Noon, Dusk (y moves down) and Snow.
    press(&mut app, "gj");
    press(&mut app, "yy");
    press(&mut app, "j");
    press(&mut app, "y");
    assert_eq!(app.views.queue.marks.len(), 3);
    assert!(
        status_message(&app).starts_with("3 marked: d removes them"),
        "{}",
        status_message(&app)
    );
    let (_, right, _) = genreplay::ui::status_text(&app);
    assert_eq!(right, "3 marked");
    // Drawn with cmus's "*".
    let screen = genreplay_screen(&mut app);
    let marked: Vec<&String> = screen.iter().filter(|l| l.contains("│*")).collect();
    assert_eq!(marked.len(), 3, "{screen:?}");
    // y again unmarks.
    press(&mut app, "ky");
    assert_eq!(app.views.queue.marks.len(), 2);
    press(&mut app, "ky");
    press(&mut app, "d");
    assert_eq!(up_next(&app), ["Dawn", "Rain", "Wind"]);
    assert_eq!(status_message(&app), "removed 3 entries (u undoes)");
    assert!(app.views.queue.marks.is_empty());
    // One undo brings all three back.
    press(&mut app, "u");
    assert_eq!(
        up_next(&app),
        ["Dawn", "Noon", "Dusk", "Rain", "Snow", "Wind"]
    );
    // Z clears the marks; d then removes only the selected entry.
    press(&mut app, "gy");
    press(&mut app, "Z");
    assert!(app.views.queue.marks.is_empty());
    press(&mut app, "gd");
    assert_eq!(up_next(&app), ["Noon", "Dusk", "Rain", "Snow", "Wind"]);
}

#[test]
fn seek_with_nothing_playing_says_so() {
    let mut app = app();
    command(&mut app, "seek 1:30");
    assert_eq!(
        status_message(&app),
        "nothing is playing: nothing to go to a time in"
    );
    // Playing, the same line goes there.
    play_first_album(&mut app);
    let fx = command(&mut app, "seek 1:30");
    assert!(
        player(&fx)
            .iter()
            .any(|c| matches!(c, PlayerCommand::SeekTo(p) if (*p - 90.0).abs() < 1e-9)),
        "{fx:?}"
    );
}
