#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Stats view drawn on ratatui's `TestBackend`: its key, the bars of minutes per day and
//! of the top genres and artists, the skip shares and the words, at 80×24 and 200×50 in every
//! built-in theme, and never a letter in its own background colour.

use crate::common::tui_fixture;

use std::collections::HashMap;

use genreplay::app::{App, Effect, Event, View};
use genreplay::recommend::stats::{TrackFacts, compute};
use genreplay::store::history::Listen;
use genreplay::store::listen_log::LoggedListen;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use tui_fixture::*;

fn draw(app: &mut App, w: u16, h: u16) -> Buffer {
    app.update(Event::Resize(w, h));
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| genreplay::ui::draw(f, app)).unwrap();
    term.backend().buffer().clone()
}

fn lines(buf: &Buffer) -> Vec<String> {
    let a = buf.area;
    (a.top()..a.bottom())
        .map(|y| {
            (a.left()..a.right())
                .map(|x| buf[(x, y)].symbol())
                .collect()
        })
        .collect()
}

/// An evening on the fixture: Noon (jazz) finished five times, Dawn (rock) skipped five
/// times, today and over the last days.
fn evening(app: &App) -> genreplay::recommend::stats::Stats {
    let now = genreplay::store::now_unix();
    let mut listens = Vec::new();
    for i in 0..5u64 {
        listens.push(LoggedListen {
            track: id("Noon"),
            started: now - i * 86_400 - 60,
            heard_secs: 200,
            listen: Listen::Play,
        });
        listens.push(LoggedListen {
            track: id("Dawn"),
            started: now - i * 86_400 - 600,
            heard_secs: 12,
            listen: Listen::Skip,
        });
    }
    let lib = &app.session.lib;
    let facts: HashMap<_, _> = [id("Noon"), id("Dawn")]
        .into_iter()
        .map(|t| {
            let info = lib.track(t).unwrap();
            let facts = TrackFacts {
                artist: info.artist.clone(),
                genre: lib.genre_of(t).map(|(g, _)| g.to_string()),
                styles: Vec::new(),
            };
            (t, facts)
        })
        .collect();
    compute(&listens, &facts, now, 28, 0)
}

#[test]
fn the_stats_view_draws_its_charts_in_every_theme_at_both_sizes() {
    let mut app = app();
    // Its number key shows it, and showing it asks for the figures.
    let fx = press(&mut app, "7");
    assert_eq!(app.view, View::Stats);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::LoadStats { days: 28 })),
        "{fx:?}"
    );
    let screen = lines(&draw(&mut app, 80, 24));
    assert!(
        screen.iter().any(|l| l.contains("reading the listen log")),
        "{}",
        screen.join("\n")
    );
    let stats = evening(&app);
    app.update(Event::StatsReady(Box::new(stats)));
    for theme in 0..app.themes.len() {
        app.theme_idx = theme;
        for (w, h) in [(80, 24), (200, 50)] {
            let buf = draw(&mut app, w, h);
            let screen = lines(&buf);
            let text = screen.join("\n");
            let name = &app.themes[theme].name;
            // The tab, the totals of this week and the bars.
            assert!(text.contains("Stats · this week"), "{name} {w}×{h}\n{text}");
            assert!(
                w < 100 || text.contains("7 Stats"),
                "{name} {w}×{h}\n{text}"
            );
            assert!(
                text.contains("18 min heard · 5 plays · 5 skips"),
                "{name} {w}×{h}\n{text}"
            );
            assert!(
                text.contains("minutes heard per day"),
                "{name} {w}×{h}\n{text}"
            );
            let chart_rows = screen.iter().filter(|l| l.contains('█')).count();
            assert!(chart_rows >= 3, "{name} {w}×{h}: no bars\n{text}");
            for word in ["Genres", "Artists", "Skipped", "jazz", "Alpha", "100% of 5"] {
                assert!(
                    text.contains(word),
                    "{word} missing, {name} {w}×{h}\n{text}"
                );
            }
            assert!(
                text.contains("you finish jazz (5 of 5); you skip rock (5 of 5)"),
                "{name} {w}×{h}\n{text}"
            );
            // No letter or digit in its own background colour.
            for y in 0..h {
                for x in 0..w {
                    let c = &buf[(x, y)];
                    let letter = c.symbol().chars().any(|ch| ch.is_alphanumeric());
                    assert!(
                        !(letter && c.fg == c.bg && c.fg != ratatui::style::Color::Reset),
                        "{name} {w}×{h}: {:?} at {x},{y} is {:?} on {:?}",
                        c.symbol(),
                        c.fg,
                        c.bg
                    );
                }
            }
        }
    }
    // ←/→ switch the period: this month, then all time.
    press(&mut app, "l");
    let text = lines(&draw(&mut app, 80, 24)).join("\n");
    assert!(text.contains("Stats · this month"), "{text}");
    press(&mut app, "l");
    let text = lines(&draw(&mut app, 80, 24)).join("\n");
    assert!(text.contains("Stats · all time"), "{text}");
}
