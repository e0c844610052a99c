//! Drawing. Everything here reads `&App` and nothing else; no state changes. This file draws
//! the frame (tabs, player bar, status line, help popup) and owns the layout arithmetic; each
//! view draws in its own file.

mod genres;
mod help;
pub use crate::app::layout;
mod library;
mod now_playing;
mod playlists;
mod queue;
mod search;
mod stats;
mod training;
mod widgets;

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, Paragraph};

use crate::app::{App, View};
use crate::keys::Action;
use crate::util::time::fmt_time;
pub use help::help_lines;
use widgets::base;

/// Draws the whole screen.
pub fn draw(f: &mut Frame, app: &App) {
    let t = app.theme();
    let area = f.area();
    f.render_widget(Block::default().style(base(t)), area);
    let chunks = layout::frame(area);
    draw_tabs(f, app, chunks[0]);
    match app.view {
        _ if app.search.open => search::draw(f, app, chunks[1]),
        View::Playlists => playlists::draw(f, app, chunks[1]),
        View::Library => library::draw(f, app, chunks[1]),
        View::Queue => queue::draw(f, app, chunks[1]),
        View::NowPlaying => {
            now_playing::draw(f, app, chunks[1]);
            now_playing::draw_art(f, app, chunks[1]);
        }
        View::Genres => genres::draw(f, app, chunks[1]),
        View::Training => training::draw(f, app, chunks[1]),
        View::Stats => stats::draw(f, app, chunks[1]),
    }
    draw_player_bar(f, app, chunks[2]);
    match &app.prompt {
        Some(p) => draw_prompt(f, app, p, chunks[3]),
        None => draw_status(f, app, chunks[3]),
    }
    if app.help.open {
        help::draw(f, app, area);
    }
    neutralise_layout_controls(f.buffer_mut());
}

/// The last pass over every frame: ratatui drops control characters but keeps zero-width
/// ones with the cell before them, so a bidi control from a tag or a file name would reach
/// the terminal and reorder or misalign the row. They are taken out of every cell here, once
/// for all that was drawn (`util::text::is_layout_control`).
fn neutralise_layout_controls(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        let sym = cell.symbol();
        // Every such character is 2 or 3 bytes of UTF-8: a one-byte cell is plain.
        if sym.len() > 1
            && let std::borrow::Cow::Owned(clean) = crate::util::text::strip_layout_controls(sym)
        {
            cell.set_symbol(if clean.is_empty() { " " } else { &clean });
        }
    }
}

fn draw_tabs(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let keys = app.keymap();
    let mut spans = vec![Span::styled(
        " genreplay ",
        Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
    )];
    for v in View::ALL {
        let label = format!(" {} {} ", keys.hint(v.action()), v.title());
        let style = if v == app.view {
            Style::default()
                .fg(t.highlight_fg)
                .bg(t.highlight_bg)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(t.dim)
        };
        spans.push(Span::styled(label, style));
    }
    let search = &app.search;
    if search.open {
        spans.push(Span::styled(
            format!("  /{}{}", search.text, if search.typing { "▏" } else { "" }),
            Style::default().fg(t.warning),
        ));
    } else {
        spans.push(Span::styled(
            format!("  {} help", keys.hint(Action::Help)),
            Style::default().fg(t.dim),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)).style(base(t)), area);
}

fn draw_player_bar(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let s = &app.session;
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(1), Constraint::Length(1)])
        .split(area);
    let (state, title) = match s.playback.track.and_then(|id| s.lib.track(id)) {
        Some(i) => (
            if s.playback.paused { "⏸" } else { "▶" },
            format!("{} — {} · {}", i.title, i.artist, i.album),
        ),
        None => ("■", "stopped".to_string()),
    };
    let volume = if s.playback.muted {
        "muted".to_string()
    } else {
        format!("vol {}%", s.playback.volume)
    };
    // Crossfade shows only when it is on (today's gapless needs no word).
    let fade = if s.crossfade.active_secs() > 0.0 {
        format!("{}  ", s.crossfade.label())
    } else {
        String::new()
    };
    let flags = format!(
        "{}{fade}{volume}  shuffle {}  repeat {} ",
        if s.auto_dj { "auto-DJ  " } else { "" },
        if s.shuffle { "on" } else { "off" },
        s.repeat.label()
    );
    let w = rows[0].width as usize;
    // The flags are never cut: the title gives way (with at least one space between).
    let left = widgets::fit(
        &format!(" {state} {title}"),
        w.saturating_sub(flags.chars().count() + 1),
    );
    let pad = w
        .saturating_sub(left.chars().count() + flags.chars().count())
        .max(1);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(
                left,
                Style::default().fg(t.playing).add_modifier(Modifier::BOLD),
            ),
            Span::raw(" ".repeat(pad)),
            Span::styled(flags, Style::default().fg(t.dim)),
        ]))
        .style(base(t)),
        rows[0],
    );
    let dur = s.playback.duration_secs.unwrap_or(0.0);
    let ratio = if dur > 0.0 && s.playback.track.is_some() {
        (s.playback.position_secs / dur).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let label = if s.playback.track.is_some() {
        format!("{} / {}", fmt_time(s.playback.position_secs), fmt_time(dur))
    } else {
        String::new()
    };
    f.render_widget(
        Gauge::default()
            .gauge_style(Style::default().fg(t.bar).bg(t.border))
            .ratio(ratio)
            .label(label)
            .use_unicode(true),
        rows[1],
    );
}

/// The status line text (left and right parts).
pub fn status_text(app: &App) -> (String, String, bool) {
    let s = &app.session;
    let left = match (&s.notice, &s.status, &s.library_offline) {
        // What the settings could not do stays until a key is pressed.
        (Some(n), _, _) => (n.clone(), true),
        (None, Some(m), _) => (m.text.clone(), m.error),
        // Until the folder is back, whenever nothing newer is said.
        (None, None, Some(why)) => (why.clone(), true),
        (None, None, None) => {
            let a = &s.analysis;
            let text = match &a.progress {
                Some(p) if a.running => {
                    let eta = p
                        .eta_secs
                        .map(|s| format!(" · ETA {}", fmt_time(s)))
                        .unwrap_or_default();
                    format!(
                        "analysing {}/{}{eta}{}",
                        p.done,
                        p.total,
                        if a.failed > 0 {
                            format!(" · {} failed", a.failed)
                        } else {
                            String::new()
                        }
                    )
                }
                _ => {
                    let n = s.lib.tracks.len();
                    let failed = s.lib.failed.len();
                    format!(
                        "{} · {} classified{}{}",
                        crate::app::session::tracks_n(n),
                        s.lib.classified(),
                        if failed > 0 {
                            format!(" · {failed} could not be analysed")
                        } else {
                            String::new()
                        },
                        a.stopped
                            .as_ref()
                            .map(|r| format!(" · analysis stopped: {r}"))
                            .unwrap_or_default()
                    )
                }
            };
            (text, a.stopped.is_some())
        }
    };
    let right = match &s.playback.silent {
        // A notice has the whole line.
        _ if s.notice.is_some() => String::new(),
        Some(_) => "no audio output — playing silently".to_string(),
        None => s
            .playback
            .output
            .clone()
            .map(|o| format!("audio: {o}"))
            .unwrap_or_default(),
    };
    (left.0, right, left.1)
}

fn draw_status(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let (left, right, error) = status_text(app);
    let w = area.width as usize;
    // The right part (the audio output) stays; a long message is cut.
    let left = widgets::fit(&left, w.saturating_sub(right.chars().count() + 3));
    let pad = w
        .saturating_sub(left.chars().count() + right.chars().count() + 2)
        .max(1);
    let line = Line::from(vec![
        Span::styled(
            format!(" {left}"),
            Style::default().fg(if error { t.error } else { t.foreground }),
        ),
        Span::raw(" ".repeat(pad)),
        Span::styled(format!("{right} "), Style::default().fg(t.warning)),
    ]);
    f.render_widget(
        Paragraph::new(line).style(Style::default().fg(t.dim).bg(t.border)),
        area,
    );
}

fn draw_prompt(f: &mut Frame, app: &App, p: &crate::app::prompt::Prompt, area: Rect) {
    let t = app.theme();
    let mut spans = vec![
        Span::styled(format!(" {}: ", p.label), Style::default().fg(t.accent)),
        Span::styled(format!("{}▏", p.text), Style::default().fg(t.foreground)),
    ];
    if !p.completions.is_empty() {
        let list = p
            .completions
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("  ");
        spans.push(Span::styled(
            format!("   {list}"),
            Style::default().fg(t.dim),
        ));
    }
    f.render_widget(
        Paragraph::new(Line::from(spans)).style(Style::default().bg(t.border)),
        area,
    );
}
