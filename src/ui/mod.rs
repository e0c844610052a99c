//! Drawing. Everything here reads `&App` and nothing else; no state changes. This file draws
//! the frame (tabs, player bar, status line, help popup) and owns the layout arithmetic; each
//! view draws in its own file.

mod columns;
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
use ratatui::style::{Color, Modifier, Style};
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
    keep_text_legible(f.buffer_mut(), app.theme());
}

/// The last pass over every frame, after the bidi controls: no text is drawn in (or too close
/// to) its own background colour. A span coloured with the theme's accent keeps that colour on
/// the selected row, whose background is the highlight colour, and in the dark and light themes
/// those are the same; a user's theme may make any two colours equal. A cell whose text
/// colour has too little contrast with its background takes the theme's colour that has the
/// most (the highlight's text colour, the foreground or the background), so every view and
/// every theme is legible without each row knowing whether it is selected.
fn keep_text_legible(buf: &mut ratatui::buffer::Buffer, theme: &crate::config::theme::Theme) {
    for cell in buf.content.iter_mut() {
        if !is_text(cell.symbol()) || legible(cell.fg, cell.bg) {
            continue;
        }
        let better = [theme.highlight_fg, theme.foreground, theme.background]
            .into_iter()
            .max_by(|a, b| contrast(*a, cell.bg).total_cmp(&contrast(*b, cell.bg)));
        if let Some(c) = better {
            cell.fg = c;
        }
    }
}

/// Whether a cell holds text: not blank, and not a picture — box drawing, block elements (the
/// half blocks a cover is drawn with, one pixel in each colour) or braille (charts).
fn is_text(sym: &str) -> bool {
    match sym.chars().next() {
        None => false,
        Some(c) => {
            !c.is_whitespace()
                && !('\u{2500}'..='\u{259f}').contains(&c)
                && !('\u{2800}'..='\u{28ff}').contains(&c)
        }
    }
}

/// The least contrast (WCAG's ratio of relative luminances) text keeps against its background
/// here; the themes' dim text on their backgrounds is about 3.9.
const MIN_CONTRAST: f64 = 1.5;

/// Whether text in `fg` reads on `bg`: only colours known exactly (RGB) are measured; the
/// terminal's own colours (reset, the 16 named ones) are the terminal's theme's business,
/// except the same colour on itself.
fn legible(fg: Color, bg: Color) -> bool {
    if fg == bg {
        return fg == Color::Reset;
    }
    contrast(fg, bg) >= MIN_CONTRAST
}

/// WCAG contrast ratio of two colours (1 to 21); colours not given as RGB count as unknown (21).
fn contrast(a: Color, b: Color) -> f64 {
    match (luminance(a), luminance(b)) {
        (Some(la), Some(lb)) => (la.max(lb) + 0.05) / (la.min(lb) + 0.05),
        _ if a == b => 1.0,
        _ => 21.0,
    }
}

/// Relative luminance of an RGB colour (sRGB, WCAG 2).
fn luminance(c: Color) -> Option<f64> {
    let Color::Rgb(r, g, b) = c else {
        return None;
    };
    let lin = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.040_45 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    Some(0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b))
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
    for (v, title) in app.tab_titles() {
        let label = format!(" {} {} ", keys.hint(v.action()), title);
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
        Some(i) => (if s.playback.paused { "⏸" } else { "▶" }, i.full_line()),
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
    let a = &s.analysis;
    // The background work (a scan, the analysis) never hides behind a message: with one on
    // the line it goes to the right.
    let work = work_text(s, false);
    let message = match (&s.notice, &s.status, &s.library_offline) {
        // What the settings could not do stays until a key is pressed.
        (Some(n), _, _) => Some((n.clone(), true)),
        (None, Some(m), _) => Some((m.text.clone(), m.error)),
        // Until the folder is back, whenever nothing newer is said.
        (None, None, Some(why)) => Some((why.clone(), true)),
        (None, None, None) => None,
    };
    let (left, beside) = match (message, work) {
        // Beside a message, only how far (the message needs the room).
        (Some(m), Some(_)) => (m, work_text(s, true)),
        (Some(m), None) => (m, None),
        (None, Some(w)) => ((w, false), None),
        (None, None) => {
            let n = s.lib.tracks.len();
            let failed = s.lib.failed.len();
            let text = format!(
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
            );
            ((text, a.stopped.is_some()), None)
        }
    };
    // The marks of the view on screen (the Queue has its own).
    let marks = if app.view == crate::app::View::Queue {
        app.views.queue.marks.len()
    } else {
        app.views.library.marks.len()
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
    // The marks of the view on screen beside it, and the work a message would hide.
    let right = match (marks, right.is_empty()) {
        (0, _) => right,
        _ if s.notice.is_some() => right,
        (n, true) => format!("{n} marked"),
        (n, false) => format!("{n} marked · {right}"),
    };
    let right = match (beside, right.is_empty()) {
        (None, _) => right,
        (Some(w), true) => w,
        (Some(w), false) => format!("{w} · {right}"),
    };
    (left.0, right, left.1)
}

/// The background work under way in words: a scan of the library folder, or the analysis
/// (`None` when neither runs); `short`: only how far.
fn work_text(s: &crate::app::session::Session, short: bool) -> Option<String> {
    let a = &s.analysis;
    match &a.progress {
        _ if a.scan.is_some() && short => Some("scanning…".to_string()),
        _ if a.scan.is_some() => Some(scan_text(a.scan.as_ref())),
        Some(p) if a.running && short => Some(format!("analysing {}/{}", p.done, p.total)),
        Some(p) if a.running => {
            let eta = p
                .eta_secs
                .map(|s| format!(" · ETA {}", fmt_time(s)))
                .unwrap_or_default();
            Some(format!(
                "analysing {}/{}{eta}{}",
                p.done,
                p.total,
                if a.failed > 0 {
                    format!(" · {} failed", a.failed)
                } else {
                    String::new()
                }
            ))
        }
        _ => None,
    }
}

/// A scan of the library folder under way, in words.
fn scan_text(scan: Option<&crate::library::scan::ScanEvent>) -> String {
    use crate::library::scan::ScanEvent;
    match scan {
        Some(ScanEvent::Walking { found: 0 }) | None => "scanning the library folder…".into(),
        Some(ScanEvent::Walking { found }) => {
            format!("scanning the library folder: {found} audio files found…")
        }
        Some(ScanEvent::Reading { done, total }) => {
            format!("scanning the library folder: reading tags {done}/{total}…")
        }
    }
}

fn draw_status(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let (left, right, error) = status_text(app);
    let w = area.width as usize;
    // The right part (the audio output) stays; a long message is cut, and says which key shows
    // it whole (the messages popup).
    let room = w.saturating_sub(right.chars().count() + 3);
    let left = if left.chars().count() > room {
        let more = format!(" ({} shows all)", app.keymap().hint(Action::Messages));
        let keep = room.saturating_sub(more.chars().count());
        if keep >= 12 {
            format!("{}{more}", widgets::fit(&left, keep))
        } else {
            widgets::fit(&left, room)
        }
    } else {
        left
    };
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
    // The command line is `:` and what is typed, as in vi and cmus.
    let label = if p.kind == crate::app::prompt::PromptKind::Command {
        " :".to_string()
    } else {
        format!(" {}: ", p.label)
    };
    let mut spans = vec![
        Span::styled(label, Style::default().fg(t.accent)),
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
