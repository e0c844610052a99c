#![allow(clippy::unwrap_used, clippy::expect_used)]
//! What each view draws: the app is put in a state, drawn on ratatui's `TestBackend`, and the
//! tests read the rendered rows back as text (and a few colours).

use crate::common::tui_fixture;

use crossterm::event::KeyCode;
use genreplay::analysis::{AnalysisEvent, Progress};
use genreplay::app::play_queue::Reason;
use genreplay::app::{App, Event};
use genreplay::audio::player::PlayerEvent;
use genreplay::model::ModelId;
use ratatui::style::Color;
use tui_fixture::*;

const W: u16 = 100;
const H: u16 = 30;

/// The app drawn at the standard size, as text.
fn screen(app: &mut App) -> Vec<String> {
    app.update(Event::Resize(W, H));
    buffer_lines(&drawn(app, W, H))
}

/// A row of columns as its cells (the text between runs of two or more spaces).
fn cells(row: &str) -> Vec<&str> {
    row.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

/// The one row containing `needle` (fails, showing the screen, when there is none).
fn row<'a>(screen: &'a [String], needle: &str) -> &'a str {
    screen
        .iter()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} is not on the screen:\n{}", screen.join("\n")))
}

fn y_of(screen: &[String], needle: &str) -> u16 {
    screen
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} is not on the screen:\n{}", screen.join("\n")))
        as u16
}

fn on_screen(screen: &[String], needle: &str) -> bool {
    screen.iter().any(|l| l.contains(needle))
}

/// Inside a bordered list: the text between the borders of a row.
fn inner(row: &str) -> &str {
    row.trim_start_matches('│').trim_end_matches('│').trim_end()
}

/// Noon (of Alpha / First) playing at 1:05 of 3:20, silently.
fn playing_noon() -> App {
    let mut app = app();
    press(&mut app, "ljl");
    select(&mut app, "Noon");
    press_code(&mut app, KeyCode::Enter);
    app.update(Event::Player(PlayerEvent::Output {
        silent: true,
        detail: "no sound card".into(),
    }));
    app.update(Event::Player(PlayerEvent::Started {
        path: path("Noon"),
        duration_secs: Some(200.0),
    }));
    app.update(Event::Player(PlayerEvent::Position { secs: 65.0 }));
    app.session.status = None;
    app
}

// ------------------------------------------------------------------- library

#[test]
fn library_by_artist() {
    let mut app = app();
    let s = screen(&mut app);
    assert_eq!(
        s[0],
        " genreplay  1 Library  2 Queue  3 Now playing  4 Genres  5 Playlists  6 Training  7 Stats   ? help"
    );
    assert!(s[1].starts_with("┌ Library · by artist → album · 7 tracks ─"));
    assert_eq!(inner(&s[2]), "▸ Alpha  3");
    assert_eq!(inner(&s[3]), "▸ Beta  3");
    assert_eq!(inner(&s[4]), "▸ gamma  1");
    assert!(s[(H - 4) as usize].starts_with('└'));
    // Player bar and status line.
    assert!(s[(H - 3) as usize].starts_with(" ■ stopped"));
    assert!(s[(H - 3) as usize].ends_with("vol 80%  shuffle off  repeat off"));
    assert_eq!(s[(H - 2) as usize], "", "no progress while stopped");
    assert_eq!(
        s[(H - 1) as usize],
        " 7 tracks · 4 classified · 1 could not be analysed"
    );

    press(&mut app, "ljl");
    let s = screen(&mut app);
    assert_eq!(inner(&s[2]), "▾ Alpha  3");
    assert_eq!(inner(&s[3]), "  ▾ First  3");
    assert_eq!(inner(&s[4]), "       1. Dawn  3:00  rock 70%");
    assert_eq!(inner(&s[5]), "       2. Noon  3:20  jazz 60%");
    // Not classified yet.
    assert_eq!(inner(&s[6]), "       3. Dusk  3:40  …");
    assert_eq!(inner(&s[7]), "▸ Beta  3");
}

#[test]
fn library_by_genre() {
    let mut app = app();
    press(&mut app, "m");
    let s = screen(&mut app);
    assert!(s[1].starts_with("┌ Library · by genre · 7 tracks ─"));
    let groups: Vec<&str> = s[2..7].iter().map(|l| inner(l)).collect();
    assert_eq!(
        groups,
        [
            "▸ blues  1",
            "▸ jazz  1",
            "▸ rock  2",
            "▸ (not classified yet)  2",
            "▸ (could not be analysed)  1"
        ]
    );
    assert_eq!(s[(H - 1) as usize], " browse by genre");
    // Tracks show their artist in this mode; the failed one says so.
    select(&mut app, "rock");
    press(&mut app, "l");
    select(&mut app, "(could not be analysed)");
    press(&mut app, "l");
    let s = screen(&mut app);
    assert_eq!(inner(row(&s, "Snow")), "    Snow — Beta  1:02:05  rock 80%");
    assert_eq!(inner(row(&s, "Dawn")), "    Dawn — Alpha  3:00  rock 70%");
    assert_eq!(
        inner(row(&s, "Wind")),
        "    Wind — Beta  1:30  can't analyse"
    );
}

#[test]
fn library_by_folder() {
    let mut app = app();
    press(&mut app, "mmm");
    select(&mut app, "gamma");
    press(&mut app, "l");
    let s = screen(&mut app);
    assert!(s[1].starts_with("┌ Library · by folder · 7 tracks ─"));
    let rows: Vec<&str> = s[2..8].iter().map(|l| inner(l)).collect();
    assert_eq!(
        rows,
        [
            "▸ Alpha/First  3",
            "▸ Beta  3",
            "▾ gamma  1",
            // No track number: none shown.
            "    Echo — gamma  0:45  …",
            "",
            ""
        ]
    );
}

#[test]
fn the_playing_track_is_marked_and_the_selection_highlighted() {
    let mut app = playing_noon();
    select(&mut app, "Dusk");
    let s = screen(&mut app);
    assert_eq!(inner(row(&s, "Noon")), "    ▶  2. Noon  3:20  jazz 60%");
    let buf = drawn(&app, W, H);
    let theme = app.theme().clone();
    let dusk = y_of(&s, "Dusk");
    let noon = y_of(&s, "Noon");
    // The selected row has the highlight colours across the list; others do not.
    assert_eq!(buf[(10, dusk)].bg, theme.highlight_bg);
    assert_eq!(buf[(60, dusk)].bg, theme.highlight_bg);
    assert_ne!(buf[(10, noon)].bg, theme.highlight_bg);
    // The playing title is in the playing colour.
    let x = s[noon as usize].find("Noon").unwrap();
    let x = s[noon as usize][..x].chars().count() as u16;
    assert_eq!(buf[(x, noon)].fg, theme.playing);
}

#[test]
fn a_scrolled_list_keeps_the_selection_on_screen() {
    let mut app = app();
    for g in [
        "Alpha", "First", "Beta", "Second", "Third", "gamma", "Loose",
    ] {
        select(&mut app, g);
        press(&mut app, "l");
    }
    assert_eq!(app.views.library.rows.len(), 14);
    // 12 rows: 6 of them for the list.
    app.update(Event::Resize(60, 12));
    press(&mut app, "G");
    let buf = drawn(&app, 60, 12);
    let s = buffer_lines(&buf);
    assert_eq!(inner(&s[7]), "      Echo  0:45  …");
    assert_eq!(buf[(10, 7)].bg, app.theme().highlight_bg);
    assert!(s[8].starts_with('└'));
    // Up past the top of the window scrolls it.
    press(&mut app, "kkkkkk");
    let s = buffer_lines(&drawn(&app, 60, 12));
    assert_eq!(inner(&s[2]), "       1. Rain  1:01  blues 90%");
    assert_eq!(inner(&s[6]), "▾ gamma  1");
    assert_eq!(inner(&s[7]), "  ▾ Loose  1");
    press(&mut app, "g");
    let s = buffer_lines(&drawn(&app, 60, 12));
    assert_eq!(inner(&s[2]), "▾ Alpha  3");
}

#[test]
fn an_empty_library_says_what_is_going_on() {
    let mut app = app_with(genreplay::app::catalog::Catalog::default());
    let s = screen(&mut app);
    assert!(s[1].contains("0 tracks"));
    assert!(on_screen(
        &s,
        "No tracks yet. genreplay is scanning your music folder"
    ));
    assert_eq!(s[(H - 1) as usize], " 0 tracks · 0 classified");
}

// ------------------------------------------------------------------- queue

#[test]
fn queue_shows_why_each_track_is_there() {
    let mut app = app();
    press(&mut app, "2");
    let s = screen(&mut app);
    assert!(
        s[1].starts_with("┌ Queue · 0 up next · auto-DJ off (D) · f fills with similar tracks"),
        "{}",
        s[1]
    );
    assert!(on_screen(
        &s,
        "The queue is empty. In the library, Enter plays, a adds, A plays next."
    ));

    let mut app = playing_noon();
    select(&mut app, "gamma");
    press(&mut app, "a");
    app.session
        .queue
        .extend_quietly([genreplay::app::play_queue::QueueEntry::new(
            id("Rain"),
            Reason::Similar {
                seed: "Noon".into(),
                genre: "blues".into(),
                similarity: 0.873,
            },
        )]);
    press(&mut app, "2srj");
    app.session.status = None;
    let s = screen(&mut app);
    // Play order: the playing track, up next (marked +), then the rest of the album.
    assert!(
        s[1].starts_with("┌ Queue · 2 up next · from Alpha / First · auto-DJ off (D)"),
        "{}",
        s[1]
    );
    let entries: Vec<&str> = s[2..6].iter().map(|l| inner(l)).collect();
    // Columns: the number and title, the artist, the length and genre, then why, each at
    // the same place in every row.
    let expect = [
        ("▶  1. Noon ", "Alpha", "3:20", "from Alpha / First"),
        ("+  2. Echo ", "gamma", "0:45", "added"),
        ("+  3. Rain ", "Beta", "1:01", "blues, 87% like Noon"),
        ("   4. Dusk ", "Alpha", "3:40", "from Alpha / First"),
    ];
    let at = |line: &str, part: &str| {
        let i = line
            .find(part)
            .unwrap_or_else(|| panic!("{part:?} in {line:?}"));
        line[..i].chars().count()
    };
    for (line, (left, artist, length, why)) in entries.iter().zip(expect) {
        assert!(line.starts_with(left), "{line:?}");
        assert!(line.trim_end().ends_with(why), "{line:?}");
        assert_eq!(at(line, artist), at(entries[0], "Alpha"), "{line:?}");
        assert_eq!(
            at(line, length) + length.chars().count(),
            at(entries[0], "3:20") + 4,
            "{line:?}"
        );
        assert_eq!(at(line, why), at(entries[0], "from Alpha"), "{line:?}");
    }
    assert_eq!(inner(&s[6]).trim(), "");
    // The selected entry is highlighted.
    let buf = drawn(&app, W, H);
    assert_eq!(buf[(20, 3)].bg, app.theme().highlight_bg);
    assert_ne!(buf[(20, 2)].bg, app.theme().highlight_bg);
}

// ------------------------------------------------------------------- now playing

#[test]
fn now_playing_and_the_library_rows_show_the_styles() {
    let mut app = playing_noon();
    let noon = tui_fixture::id("Noon");
    app.session.lib.styles.insert(
        noon,
        tui_fixture::style(&[
            ("jazz", 0.6),
            ("instrumental", 0.3),
            ("chillout", 0.12),
            ("sad", 0.04),
        ])
        .into(),
    );
    press(&mut app, "3");
    let s = screen(&mut app);
    // "jazz" is a genre of the model: not a style; "sad" is below the floor.
    assert_eq!(inner(&s[6]), "style: instrumental 30%, chillout 12%");
    press(&mut app, "1");
    let s = screen(&mut app);
    let row = s.iter().find(|l| l.contains("Noon")).unwrap();
    assert!(
        inner(row).ends_with("jazz 60% · instrumental, chillout"),
        "{row}"
    );
    // Search results show them too, after the genre.
    press(&mut app, "/noon");
    let s = screen(&mut app);
    let hit = inner(&s[2]);
    let cols = cells(hit);
    assert_eq!(
        cols,
        ["Noon", "Alpha", "First", "3:20", "jazz 60%"],
        "{hit:?}"
    );
    // With room for them (a wide terminal), the styles are the last column.
    app.update(Event::Resize(200, H));
    let s = buffer_lines(&drawn(&app, 200, H));
    let hit = inner(&s[2]);
    let cols = cells(hit);
    assert_eq!(cols[4..], ["jazz 60%", "instrumental, chillout"], "{hit:?}");
}

#[test]
fn now_playing_shows_the_track_and_its_genre_bars() {
    let mut app = playing_noon();
    press(&mut app, "3");
    let s = screen(&mut app);
    assert!(s[0].contains(" 3 Now playing "));
    assert!(s[1].starts_with("┌ Now playing ─"));
    assert_eq!(inner(&s[2]), "Noon");
    assert_eq!(inner(&s[3]), "Alpha");
    assert_eq!(inner(&s[4]), "First");
    assert_eq!(inner(&s[5]), "genre: jazz (60%)");
    // The fixture's tracks have no style vector.
    assert_eq!(inner(&s[6]), "style: —");
    assert_eq!(inner(&s[7]), "/music/Alpha/First/02 Noon.flac");
    assert!(s[8].contains("1:05 / 3:20   vol 80%"), "{}", s[8]);
    assert!(on_screen(&s, " genre vector (%)"));
    // One bar per label, labelled, with its value; jazz (60 %) is three times as tall as
    // blues and rock (20 % each).
    let title = y_of(&s, " genre vector (%)") as usize;
    let ly = y_of(&s, "blues") as usize;
    let labels = s[ly].as_str();
    assert!(
        labels.contains("jazz") && labels.contains("rock"),
        "{labels}"
    );
    let vals: Vec<&str> = s[ly - 1]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(vals, ["20", "60", "20"]);
    // Rows of the chart with a bar (or its value) in the label's column.
    let height = |label: &str| {
        let x = labels.find(label).unwrap();
        let col = labels[..x].chars().count() + 1;
        s[title + 1..ly]
            .iter()
            .filter(|l| {
                l.chars()
                    .nth(col)
                    .is_some_and(|c| "█▇▆▅▄▃▂▁".contains(c) || c.is_ascii_digit())
            })
            .count()
    };
    let (blues, jazz, rock) = (height("blues"), height("jazz"), height("rock"));
    assert_eq!(blues, rock);
    assert!(jazz >= 2 * blues && jazz > blues + 3, "{blues} {jazz}");
    // The player bar and its progress.
    assert!(s[(H - 3) as usize].starts_with(" ▶ Noon — Alpha · First"));
    assert!(s[(H - 2) as usize].contains("1:05 / 3:20"));
    assert!(s[(H - 2) as usize].starts_with("████"));

    app.update(Event::Player(PlayerEvent::Paused(true)));
    let s = screen(&mut app);
    assert!(s[8].contains("1:05 / 3:20   vol 80%   paused"), "{}", s[8]);
    assert!(s[(H - 3) as usize].starts_with(" ⏸ Noon — Alpha · First"));
}

#[test]
fn now_playing_without_bars() {
    let mut app = app();
    press(&mut app, "3");
    let s = screen(&mut app);
    assert!(on_screen(
        &s,
        "Nothing is playing. Pick something in the Library (1) or Genres (4) view and press"
    ));
    // A track not classified yet, then one that failed.
    press(&mut app, "1mG");
    press_code(&mut app, KeyCode::Up);
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "3");
    let s = screen(&mut app);
    assert_eq!(inner(&s[2]), "Dusk");
    assert_eq!(inner(&s[5]), "genre: not classified yet");
    assert!(on_screen(
        &s,
        "Analysing… its genre bars appear here when done."
    ));
    press(&mut app, "1G");
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "3");
    let s = screen(&mut app);
    assert_eq!(inner(&s[2]), "Wind");
    assert!(on_screen(
        &s,
        "This track could not be analysed: unsupported codec in this file"
    ));
}

// ------------------------------------------------------------------- genres

#[test]
fn genres_view_lists_auto_playlists() {
    let mut app = playing_noon();
    press(&mut app, "4jj");
    let s = screen(&mut app);
    assert!(s[1].starts_with("┌ Genres · 4 classified ─"));
    assert!(s[1].contains("┌ rock · auto playlist, by confidence · Enter plays, a adds ─"));
    let left: Vec<String> = s[2..5]
        .iter()
        .map(|l| l.split('│').nth(1).unwrap().trim_end().to_string())
        .collect();
    assert_eq!(left, [" blues  1", " jazz  1", " rock  2"]);
    let right = |y: usize| s[y].split('│').nth(3).unwrap().trim_end().to_string();
    assert_eq!(right(2), "  80%  Snow — Beta");
    assert_eq!(right(3), "  70%  Dawn — Alpha");
    // Focus on the tracks: the track is highlighted, the genre keeps a mark of its own.
    press(&mut app, "lj");
    let buf = drawn(&app, W, H);
    let t = app.theme();
    let x = s[3].find("Dawn").unwrap();
    let x = s[3][..x].chars().count() as u16;
    assert_eq!(buf[(x, 3)].bg, t.highlight_bg);
    assert_ne!(buf[(x, 2)].bg, t.highlight_bg);
    assert_ne!(buf[(3, 4)].bg, t.highlight_bg);
    assert_eq!(buf[(3, 4)].fg, t.accent);

    let mut lib = library();
    lib.vectors.clear();
    let mut app = app_with(lib);
    press(&mut app, "4");
    let s = screen(&mut app);
    assert!(s[1].starts_with("┌ Genres · 0 classified ─"));
    assert!(on_screen(
        &s,
        "Genre playlists fill in as tracks are analysed."
    ));
}

// ------------------------------------------------------------------- help, search, status

#[test]
fn help_popup_lists_the_keys() {
    let mut app = app();
    press(&mut app, "?");
    app.update(Event::Resize(W, 110));
    let s = buffer_lines(&drawn(&app, W, 110));
    assert!(on_screen(&s, " Keys · j/k scroll · Esc closes "));
    assert!(row(&s, "Close this help / clear the search").contains("Esc"));
    assert!(row(&s, "Quit genreplay").contains("       q, ctrl-c  Quit"));
    assert!(row(&s, "Show or hide this help").contains("?, f1  Show"));
    assert!(row(&s, "Volume up").contains("+, =  Volume up"));
    assert!(row(&s, "Seek forward 5 s").contains("., shift-right"));
    // Every action is listed when there is room.
    for &a in genreplay::keys::Action::ALL {
        assert!(on_screen(&s, a.description()), "{}", a.name());
    }
    // Everything fits: j has nothing to scroll.
    press(&mut app, "j");
    assert_eq!(app.help.scroll, 0);
    // In a shorter terminal j scrolls.
    app.update(Event::Resize(W, 30));
    press(&mut app, "j");
    let s = buffer_lines(&drawn(&app, W, 30));
    assert!(!on_screen(&s, "Close this help"));
    assert!(on_screen(&s, "Quit genreplay"));
    // Esc closes it and the library is back.
    press_code(&mut app, KeyCode::Esc);
    let s = screen(&mut app);
    assert!(!on_screen(&s, "Keys · j/k scroll"));
    assert_eq!(inner(&s[2]), "▸ Alpha  3");
}

#[test]
fn search_line_shows_what_is_typed() {
    let mut app = app();
    press(&mut app, "/sn");
    let s = screen(&mut app);
    assert!(s[0].ends_with("7 Stats   /sn▏"), "{}", s[0]);
    assert!(!s[0].contains("? help"));
    press(&mut app, "ow");
    let s = screen(&mut app);
    // The results replace the view: title, artist and album left, duration and genre right.
    assert!(
        s[1].starts_with("┌ Search · 1 track · Enter plays, a adds, A plays next · Esc closes"),
        "{}",
        s[1]
    );
    let hit = inner(&s[2]);
    let cols = cells(hit);
    assert_eq!(
        cols,
        ["Snow", "Beta", "Second", "1:02:05", "rock 80%"],
        "{hit:?}"
    );
    assert_eq!(inner(&s[3]).trim(), "");
    // Enter plays the result and stops typing: the cursor goes, the results stay.
    press_code(&mut app, KeyCode::Enter);
    let s = screen(&mut app);
    assert!(s[0].ends_with("7 Stats   /snow"), "{}", s[0]);
    assert!(s[1].starts_with("┌ Search · 1 track"), "{}", s[1]);
    press(&mut app, "/xyz");
    let s = screen(&mut app);
    assert!(on_screen(&s, "Nothing matches the search. Esc clears it."));
    press_code(&mut app, KeyCode::Esc);
    let s = screen(&mut app);
    assert!(s[0].ends_with("? help"));
    assert_eq!(inner(&s[2]), "▸ Alpha  3");
}

#[test]
fn status_line_shows_analysis_progress_and_the_silent_output() {
    let mut app = app();
    app.update(Event::Analysis(AnalysisEvent::Started {
        model: ModelId("m".into()),
        total: 7,
    }));
    let s = screen(&mut app);
    assert_eq!(s[(H - 1) as usize], " analysing 0/7");
    app.update(Event::Analysis(AnalysisEvent::Progress(Progress {
        done: 3,
        total: 7,
        failed: 1,
        current: Some(path("Dusk")),
        eta_secs: Some(75.0),
    })));
    app.update(Event::Player(PlayerEvent::Output {
        silent: true,
        detail: "no default output device".into(),
    }));
    let s = screen(&mut app);
    let status = &s[(H - 1) as usize];
    assert!(
        status.starts_with(" analysing 3/7 · ETA 1:15 · 1 failed "),
        "{status}"
    );
    // The notice sits at the right edge.
    assert!(
        status.ends_with("no audio output — playing silently"),
        "{status}"
    );
    assert_eq!(status.chars().count(), W as usize - 1);
    // A message from a job shows instead of the progress for a while; errors in red.
    app.update(Event::Status {
        text: "scan failed: permission denied".into(),
        error: true,
    });
    let s = screen(&mut app);
    assert!(s[(H - 1) as usize].starts_with(" scan failed: permission denied "));
    let buf = drawn(&app, W, H);
    assert_eq!(buf[(3, H - 1)].fg, app.theme().error);
    // Done.
    app.session.status = None;
    app.update(Event::Analysis(AnalysisEvent::Finished {
        classified: 2,
        failed: 1,
        cancelled: false,
    }));
    let s = screen(&mut app);
    assert!(s[(H - 1) as usize].starts_with(" 7 tracks · 4 classified · 1 could not be analysed "));
    // With a sound card the device shows instead.
    let mut app = tui_fixture::app();
    app.update(Event::Player(PlayerEvent::Output {
        silent: false,
        detail: "default (ALSA)".into(),
    }));
    let s = screen(&mut app);
    assert!(s[(H - 1) as usize].ends_with("audio: default (ALSA)"));
}

#[test]
fn themes_change_the_colours() {
    let mut app = app();
    let bg = |app: &App| drawn(app, W, H)[(50, 10)].bg;
    assert_eq!(bg(&app), Color::Rgb(0x1b, 0x1d, 0x24));
    press(&mut app, "t");
    assert_eq!(bg(&app), Color::Rgb(0xfb, 0xfa, 0xf7));
    let s = screen(&mut app);
    assert_eq!(s[(H - 1) as usize], " theme: light");
    press(&mut app, "t");
    assert_eq!(bg(&app), Color::Reset);
    press(&mut app, "t");
    assert_eq!(bg(&app), Color::Rgb(0x1b, 0x1d, 0x24));
}

// ------------------------------------------------------------------- sizes

#[test]
fn long_text_in_a_narrow_terminal_keeps_its_spaces() {
    let mut app = playing_noon();
    app.update(Event::Status {
        text: "a rather long message from the scanner".into(),
        error: false,
    });
    app.update(Event::Resize(48, 12));
    let s = buffer_lines(&drawn(&app, 48, 12));
    // The title and the flags, and the status and the notice, must not run together.
    let bar = &s[9];
    // The flags keep their room; the title gives way, cut with an ellipsis and a space.
    assert!(bar.starts_with(" ▶ Noon — Al"), "{bar:?}");
    assert!(
        bar.contains("… vol 80%  shuffle off  repeat off"),
        "{bar:?}"
    );
    let status = &s[11];
    assert!(!status.contains("scannerno"), "{status:?}");
}

#[test]
fn every_view_draws_at_any_size_without_panicking() {
    let mut app = playing_noon();
    select(&mut app, "gamma");
    press(&mut app, "a");
    for view in ["1", "2", "3", "4"] {
        press(&mut app, view);
        for help in [false, true] {
            app.help.open = help;
            for (w, h) in (0..=26u16)
                .step_by(2)
                .flat_map(|w| (0..=12u16).map(move |h| (w, h)))
                .chain([(1, 1), (200, 3), (3, 80), (300, 100)])
            {
                app.update(Event::Resize(w, h));
                let s = buffer_lines(&drawn(&app, w, h));
                assert_eq!(s.len(), h as usize);
            }
        }
    }
}

#[test]
fn now_playing_shows_the_replaygain_applied_and_the_player_gets_it() {
    use genreplay::app::Effect;
    use genreplay::audio::gain::{GainMode, ReplayGainTags};
    use genreplay::audio::loudness::Loudness;
    use genreplay::audio::player::PlayerCommand;
    let gains = |fx: &[Effect]| -> Vec<(std::path::PathBuf, f32)> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Player(PlayerCommand::SetGain { path, scale }) => {
                    Some((path.clone(), *scale))
                }
                _ => None,
            })
            .collect()
    };
    let mut lib = library();
    let i = lib.index[&id("Noon")];
    lib.tracks[i].replaygain = ReplayGainTags {
        track_gain_db: Some(-6.2),
        track_peak: Some(0.9),
        album_gain_db: Some(-4.0),
        album_peak: Some(0.9),
    };
    let mut app = app_with(lib);
    press(&mut app, "ljl");
    select(&mut app, "Noon");
    let fx = press_code(&mut app, KeyCode::Enter);
    // The gain goes to the player before the track does.
    let g = gains(&fx);
    assert_eq!(g[0].0, path("Noon"));
    assert!((g[0].1 - 10f32.powf(-6.2 / 20.0)).abs() < 1e-5, "{g:?}");
    let set = fx
        .iter()
        .position(|e| matches!(e, Effect::Player(PlayerCommand::SetGain { .. })))
        .unwrap();
    let load = fx
        .iter()
        .position(|e| matches!(e, Effect::Player(PlayerCommand::Load { .. })))
        .unwrap();
    assert!(set < load);
    app.update(Event::Player(PlayerEvent::Started {
        path: path("Noon"),
        duration_secs: Some(200.0),
    }));
    press(&mut app, "3");
    let s = screen(&mut app);
    assert!(
        row(&s, "vol 80%").contains("RG \u{2212}6.2 dB track"),
        "{}",
        row(&s, "vol 80%")
    );
    app.session.replaygain.mode = GainMode::Album;
    let s = screen(&mut app);
    assert!(row(&s, "vol 80%").contains("RG \u{2212}4.0 dB album"));
    app.session.replaygain.mode = GainMode::Off;
    let s = screen(&mut app);
    assert!(row(&s, "vol 80%").contains("RG off"));
    app.session.replaygain.mode = GainMode::Track;

    // The next track (Dusk) has no tags: nothing until its clip's loudness arrives, then the
    // player is told its estimated gain (it is next), and it shows when it plays.
    let fx = app.update(Event::LoudnessReady {
        track: id("Dusk"),
        loudness: Loudness {
            lufs: -26.0,
            peak: 0.3,
            secs: 60.0,
        },
    });
    let g = gains(&fx);
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0].0, path("Dusk"));
    assert!((g[0].1 - 10f32.powf(8.0 / 20.0)).abs() < 1e-4, "{g:?}");
    app.update(Event::Player(PlayerEvent::Started {
        path: path("Dusk"),
        duration_secs: Some(200.0),
    }));
    let s = screen(&mut app);
    assert!(row(&s, "vol 80%").contains("RG +8.0 dB est."));
}

#[test]
fn a_cut_status_message_says_which_key_shows_it_whole() {
    let mut app = app();
    let long = format!("{} and this is how it ends", "a long message ".repeat(12));
    app.update(Event::Status {
        text: long.clone(),
        error: false,
    });
    let s = screen(&mut app);
    let status = &s[(H - 1) as usize];
    assert!(status.contains("… (N shows all)"), "{status:?}");
    press(&mut app, "N");
    let s = screen(&mut app);
    let all = s.join(" ");
    // Wrapped inside the popup, every word is there.
    assert!(all.contains("Messages, newest first"), "{all}");
    assert!(all.contains("and this is how it ends"), "{all}");
}

#[test]
fn at_80_columns_every_tab_shows_with_a_short_title() {
    let mut app = app();
    app.update(Event::Resize(80, 24));
    let s = buffer_lines(&drawn(&app, 80, 24));
    let tabs = &s[0];
    for t in [
        "1 Lib", "2 Queue", "3 Now", "4 Genres", "5 Lists", "6 Train", "7 Stats", "? help",
    ] {
        assert!(tabs.contains(t), "{t:?} not in {tabs:?}");
    }
    // Wide enough, the full titles.
    app.update(Event::Resize(120, 30));
    let s = buffer_lines(&drawn(&app, 120, 30));
    assert!(
        s[0].contains("1 Library") && s[0].contains("3 Now playing"),
        "{}",
        s[0]
    );
    // A click on the short tab opens its view (the mouse asks the same titles).
    app.update(Event::Resize(80, 24));
    let col = s_col(&buffer_lines(&drawn(&app, 80, 24))[0], "7 Stats");
    app.update(Event::Mouse(crossterm::event::MouseEvent {
        kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
        column: col,
        row: 0,
        modifiers: crossterm::event::KeyModifiers::NONE,
    }));
    assert_eq!(app.view, genreplay::app::View::Stats);
}

/// The column where `needle` starts in `row` (in characters).
fn s_col(row: &str, needle: &str) -> u16 {
    let byte = row.find(needle).unwrap();
    row[..byte].chars().count() as u16
}
