//! No text in its own background colour (issue: the selected row's genre was drawn in the
//! selection's colour, `127;180;255` on `127;180;255` in the dark theme): every view, in every
//! built-in theme, at 80×24 and 200×50, with a selection on a row that has a genre and a queue
//! entry with its reason, is drawn and every cell holding text is measured.

use crate::common::tui_fixture::*;

use crossterm::event::KeyCode;
use genreplay::app::{App, Event};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

fn luminance(c: Color) -> Option<f64> {
    let Color::Rgb(r, g, b) = c else { return None };
    let lin = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    Some(0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b))
}

/// The cells with text whose colour is (nearly) their background's: (x, y, symbol, fg, bg).
fn illegible(app: &App, w: u16, h: u16) -> Vec<(u16, u16, String, Color, Color)> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| genreplay::ui::draw(f, app)).unwrap();
    let buf = term.backend().buffer().clone();
    let mut bad = vec![];
    for y in 0..h {
        for x in 0..w {
            let cell = &buf[(x, y)];
            let sym = cell.symbol();
            let Some(c) = sym.chars().next() else {
                continue;
            };
            if c.is_whitespace() || ('\u{2500}'..='\u{259f}').contains(&c) {
                continue;
            }
            let low = match (luminance(cell.fg), luminance(cell.bg)) {
                (Some(a), Some(b)) => (a.max(b) + 0.05) / (a.min(b) + 0.05) < 1.5,
                _ => cell.fg == cell.bg && cell.fg != Color::Reset,
            };
            if low {
                bad.push((x, y, sym.to_string(), cell.fg, cell.bg));
            }
        }
    }
    bad
}

#[test]
fn no_view_in_any_theme_draws_text_in_its_own_background_colour() {
    let mut app = app();
    // A genre on the selected library row (by genre), an entry with its reason in the queue.
    press(&mut app, "ljl");
    select(&mut app, "Noon");
    press(&mut app, "a");
    press_code(&mut app, KeyCode::Down);
    // A playlist with its tracks in columns, one of them selected.
    let tmp = tempfile::tempdir().unwrap();
    let list = format!(
        "#EXTM3U\n{}\n{}\n",
        path("Rain").display(),
        path("Noon").display()
    );
    std::fs::write(tmp.path().join("road.m3u8"), list).unwrap();
    let dir = genreplay::playlist::PlaylistDir::new(tmp.path());
    app.update(Event::PlaylistsLoaded(dir.load_all().0));
    press(&mut app, "5");
    press(&mut app, "lj");
    assert!(app.views.playlists.focus_tracks);
    assert_eq!(app.views.playlists.tracks_nav.selected, 1);
    let mut checked = 0;
    for theme in 0..3 {
        // The views, then the search results (a marked and a selected result).
        for view in ["1", "2", "3", "4", "5", "6", "/"] {
            if view == "/" {
                press(&mut app, "/artist:beta");
                press_code(&mut app, KeyCode::Enter);
                press(&mut app, "gy");
                assert!(app.views.search.results.len() > 1);
            } else {
                press(&mut app, view);
            }
            for (w, h) in [(80, 24), (200, 50)] {
                app.update(Event::Resize(w, h));
                let bad = illegible(&app, w, h);
                assert!(
                    bad.is_empty(),
                    "theme {theme}, view {view}, {w}×{h}: text in its background's colour: {:?}",
                    &bad[..bad.len().min(8)]
                );
                checked += 1;
            }
        }
        press(&mut app, "Z");
        press_code(&mut app, KeyCode::Esc);
        press(&mut app, "t");
    }
    assert_eq!(checked, 42);
}
