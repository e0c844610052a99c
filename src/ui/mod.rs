//! Drawing. Everything here reads `&App` and nothing else; no state changes.

mod training;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Bar, BarChart, BarGroup, Block, Borders, Clear, Gauge, List, ListItem, Paragraph, Wrap,
};

use crate::app::action::Action;
use crate::app::library::fmt_time;
use crate::app::{App, RowKind, View};
use crate::config::Theme;

fn base(t: &Theme) -> Style {
    Style::default().fg(t.foreground).bg(t.background)
}

fn block<'a>(title: impl Into<Line<'a>>, t: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(t.border))
        .title(title)
        .style(base(t))
}

/// Draws the whole screen.
pub fn draw(f: &mut Frame, app: &App) {
    let t = app.theme();
    let area = f.area();
    f.render_widget(Block::default().style(base(t)), area);
    let chunks = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(2),
            Constraint::Length(1),
        ])
        .split(area);
    draw_tabs(f, app, chunks[0]);
    match app.view {
        View::Library => draw_library(f, app, chunks[1]),
        View::Queue => draw_queue(f, app, chunks[1]),
        View::NowPlaying => draw_now_playing(f, app, chunks[1]),
        View::Genres => draw_genres(f, app, chunks[1]),
        View::Training => training::draw(f, app, chunks[1]),
    }
    draw_player_bar(f, app, chunks[2]);
    draw_status(f, app, chunks[3]);
    if app.show_help {
        draw_help(f, app, area);
    }
}

fn draw_tabs(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let mut spans = vec![Span::styled(
        " genreplay ",
        Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
    )];
    for (i, v) in View::ALL.iter().enumerate() {
        let label = format!(" {} {} ", i + 1, v.title());
        let style = if *v == app.view {
            Style::default()
                .fg(t.highlight_fg)
                .bg(t.highlight_bg)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(t.dim)
        };
        spans.push(Span::styled(label, style));
    }
    if app.searching || !app.search.is_empty() {
        spans.push(Span::styled(
            format!("  /{}{}", app.search, if app.searching { "▏" } else { "" }),
            Style::default().fg(t.warning),
        ));
    } else {
        spans.push(Span::styled("  ? help", Style::default().fg(t.dim)));
    }
    f.render_widget(Paragraph::new(Line::from(spans)).style(base(t)), area);
}

fn selected_style(t: &Theme) -> Style {
    Style::default().fg(t.highlight_fg).bg(t.highlight_bg)
}

fn draw_library(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let title = format!(
        " Library · by {} · {} tracks ",
        app.mode.label(),
        app.lib.tracks.len()
    );
    let inner_h = area.height.saturating_sub(2) as usize;
    let items: Vec<ListItem> = app
        .rows
        .iter()
        .enumerate()
        .skip(app.lib_nav.offset)
        .take(inner_h)
        .map(|(i, r)| {
            let indent = "  ".repeat(r.depth);
            let line = match &r.kind {
                RowKind::Group(_) => {
                    let marker = if r.expanded { "▾" } else { "▸" };
                    Line::from(vec![
                        Span::raw(format!("{indent}{marker} ")),
                        Span::styled(
                            r.label.clone(),
                            Style::default().add_modifier(Modifier::BOLD),
                        ),
                        Span::styled(format!("  {}", r.count), Style::default().fg(t.dim)),
                    ])
                }
                RowKind::Track(id) => {
                    let playing = app.playback.track == Some(*id);
                    let info = app.lib.track(*id);
                    let genre = app
                        .lib
                        .genre_of(*id)
                        .map(|(g, p)| format!("{g} {:.0}%", p * 100.0))
                        .unwrap_or_else(|| {
                            if app.lib.failed.contains_key(id) {
                                "can't analyse".into()
                            } else {
                                "…".into()
                            }
                        });
                    let dur = info
                        .and_then(|i| i.duration_secs)
                        .map(fmt_time)
                        .unwrap_or_default();
                    let no = info
                        .and_then(|i| i.track_no)
                        .map(|n| format!("{n:>2}. "))
                        .unwrap_or_default();
                    let mut spans = vec![
                        Span::raw(format!("{indent}{}", if playing { "▶ " } else { "  " })),
                        Span::styled(no, Style::default().fg(t.dim)),
                        Span::styled(
                            r.label.clone(),
                            if playing {
                                Style::default().fg(t.playing)
                            } else {
                                Style::default()
                            },
                        ),
                        Span::styled(format!("  {dur}"), Style::default().fg(t.dim)),
                        Span::styled(format!("  {genre}"), Style::default().fg(t.accent)),
                    ];
                    if app.mode != crate::app::library::BrowseMode::Artist
                        && let Some(i) = info
                    {
                        spans.insert(
                            3,
                            Span::styled(format!(" — {}", i.artist), Style::default().fg(t.dim)),
                        );
                    }
                    Line::from(spans)
                }
            };
            let style = if i == app.lib_nav.selected {
                selected_style(t)
            } else {
                Style::default()
            };
            ListItem::new(line).style(style)
        })
        .collect();
    let empty = app.rows.is_empty();
    let list = List::new(items).block(block(title, t));
    f.render_widget(list, area);
    if empty {
        let msg = if app.search.is_empty() {
            "No tracks yet. genreplay is scanning your music folder (or it is empty: start with --library DIR)."
        } else {
            "Nothing matches the search. Esc clears it."
        };
        let inner = area.inner(ratatui::layout::Margin::new(2, 2));
        f.render_widget(
            Paragraph::new(msg)
                .style(Style::default().fg(t.dim))
                .wrap(Wrap { trim: true }),
            inner,
        );
    }
}

fn draw_queue(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let visible = app.visible_queue();
    let inner_h = area.height.saturating_sub(2) as usize;
    let title = format!(
        " Queue · {} tracks · shuffle {} · repeat {} · auto-DJ {} · f fills with similar tracks ",
        app.queue.entries.len(),
        if app.shuffle { "on" } else { "off" },
        app.repeat.label(),
        if app.auto_dj { "on" } else { "off (D)" }
    );
    let width = area.width.saturating_sub(4) as usize;
    let items: Vec<ListItem> = visible
        .iter()
        .enumerate()
        .skip(app.queue_nav.offset)
        .take(inner_h)
        .map(|(row, &i)| {
            let e = &app.queue.entries[i];
            let current = app.queue.current == Some(i);
            let info = app.lib.track(e.track);
            let title = info
                .map(|t| format!("{} — {}", t.title, t.artist))
                .unwrap_or_else(|| "(missing)".into());
            let dur = info
                .and_then(|t| t.duration_secs)
                .map(fmt_time)
                .unwrap_or_default();
            let why = e.reason.describe();
            let left = format!("{}{:>3}. {title}", if current { "▶" } else { " " }, i + 1);
            let pad =
                width.saturating_sub(left.chars().count() + why.chars().count() + dur.len() + 4);
            let line = Line::from(vec![
                Span::styled(
                    left,
                    if current {
                        Style::default().fg(t.playing)
                    } else {
                        Style::default()
                    },
                ),
                Span::raw(" ".repeat(pad.max(1))),
                Span::styled(format!("{dur}  "), Style::default().fg(t.dim)),
                Span::styled(why, Style::default().fg(t.accent)),
            ]);
            let style = if row == app.queue_nav.selected {
                selected_style(t)
            } else {
                Style::default()
            };
            ListItem::new(line).style(style)
        })
        .collect();
    f.render_widget(List::new(items).block(block(title, t)), area);
    if visible.is_empty() {
        let inner = area.inner(ratatui::layout::Margin::new(2, 2));
        f.render_widget(
            Paragraph::new(
                "The queue is empty. In the library, Enter plays, a adds, A plays next.",
            )
            .style(Style::default().fg(t.dim))
            .wrap(Wrap { trim: true }),
            inner,
        );
    }
}

fn draw_now_playing(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let outer = block(" Now playing ", t);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let Some(id) = app.playback.track else {
        f.render_widget(
            Paragraph::new("Nothing is playing. Pick something in the Library (1) or Genres (4) view and press Enter.")
                .style(Style::default().fg(t.dim))
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    };
    let info = app.lib.track(id);
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(5),
            Constraint::Length(2),
            Constraint::Min(4),
        ])
        .split(inner);
    let title = info.map(|i| i.title.clone()).unwrap_or_default();
    let genre = app
        .lib
        .genre_of(id)
        .map(|(g, p)| format!("{g} ({:.0}%)", p * 100.0))
        .unwrap_or_else(|| "not classified yet".into());
    let text = vec![
        Line::from(Span::styled(
            title,
            Style::default().fg(t.playing).add_modifier(Modifier::BOLD),
        )),
        Line::from(info.map(|i| i.artist.clone()).unwrap_or_default()),
        Line::from(Span::styled(
            info.map(|i| i.album.clone()).unwrap_or_default(),
            Style::default().fg(t.dim),
        )),
        Line::from(vec![
            Span::styled("genre: ", Style::default().fg(t.dim)),
            Span::styled(genre, Style::default().fg(t.accent)),
        ]),
        Line::from(Span::styled(
            info.map(|i| i.path.display().to_string())
                .unwrap_or_default(),
            Style::default().fg(t.dim),
        )),
    ];
    f.render_widget(Paragraph::new(text), parts[0]);
    let dur = app.playback.duration_secs.unwrap_or(0.0);
    let ratio = if dur > 0.0 {
        (app.playback.position_secs / dur).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let label = format!(
        "{} / {}   vol {}%{}",
        fmt_time(app.playback.position_secs),
        fmt_time(dur),
        app.playback.volume,
        if app.playback.paused { "   paused" } else { "" }
    );
    f.render_widget(
        Gauge::default()
            .gauge_style(Style::default().fg(t.bar).bg(t.border))
            .ratio(ratio)
            .label(label),
        Rect {
            height: 1,
            ..parts[1]
        },
    );
    // The genre vector as bars.
    match app.lib.vector_of(id) {
        Some((labels, v, previous)) => {
            let width = parts[2].width as usize;
            let n = v.len().max(1);
            let bar_w = ((width.saturating_sub(n)) / n).clamp(3, 12) as u16;
            let bars: Vec<Bar> = labels
                .iter()
                .zip(v)
                .map(|(l, p)| {
                    let short: String = l.chars().take(bar_w as usize).collect();
                    Bar::default()
                        .value((p * 100.0).round() as u64)
                        .text_value(format!("{:.0}", p * 100.0))
                        .label(Line::from(short))
                        .style(Style::default().fg(t.bar))
                })
                .collect();
            let chart = BarChart::default()
                .block(
                    Block::default()
                        .title(if previous {
                            " genre vector (%) · from the previous model until the new one gets here "
                        } else {
                            " genre vector (%) "
                        })
                        .style(base(t)),
                )
                .data(BarGroup::default().bars(&bars))
                .bar_width(bar_w)
                .bar_gap(1)
                .max(100)
                .value_style(Style::default().fg(t.highlight_fg).bg(t.bar));
            f.render_widget(chart, parts[2]);
        }
        None => {
            let msg = match app.lib.failed.get(&id) {
                Some(reason) => format!("This track could not be analysed: {reason}"),
                None => "Analysing… its genre bars appear here when done.".to_string(),
            };
            f.render_widget(
                Paragraph::new(msg)
                    .style(Style::default().fg(t.dim))
                    .wrap(Wrap { trim: true }),
                parts[2],
            );
        }
    }
}

fn draw_genres(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let cols = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(30), Constraint::Percentage(70)])
        .split(area);
    let inner_h = area.height.saturating_sub(2) as usize;
    let genres: Vec<ListItem> = app
        .genre_lists
        .iter()
        .enumerate()
        .skip(app.genre_nav.offset)
        .take(inner_h)
        .map(|(i, (name, tracks))| {
            let style = if i == app.genre_nav.selected {
                if app.genre_focus_tracks {
                    Style::default().fg(t.accent).add_modifier(Modifier::BOLD)
                } else {
                    selected_style(t)
                }
            } else {
                Style::default()
            };
            ListItem::new(Line::from(vec![
                Span::raw(format!(" {name}")),
                Span::styled(format!("  {}", tracks.len()), Style::default().fg(t.dim)),
            ]))
            .style(style)
        })
        .collect();
    let total: usize = app.genre_lists.iter().map(|(_, t)| t.len()).sum();
    f.render_widget(
        List::new(genres).block(block(format!(" Genres · {total} classified "), t)),
        cols[0],
    );
    let (name, tracks) = match app.genre_lists.get(app.genre_nav.selected) {
        Some((n, t)) => (n.as_str(), t.as_slice()),
        None => ("", &[][..]),
    };
    let items: Vec<ListItem> = tracks
        .iter()
        .enumerate()
        .skip(app.genre_tracks_nav.offset)
        .take(inner_h)
        .map(|(i, (id, p))| {
            let info = app.lib.track(*id);
            let playing = app.playback.track == Some(*id);
            let line = Line::from(vec![
                Span::styled(
                    format!("{:>4.0}%  ", p * 100.0),
                    Style::default().fg(t.accent),
                ),
                Span::styled(
                    info.map(|i| i.title.clone()).unwrap_or_default(),
                    if playing {
                        Style::default().fg(t.playing)
                    } else {
                        Style::default()
                    },
                ),
                Span::styled(
                    format!(" — {}", info.map(|i| i.artist.clone()).unwrap_or_default()),
                    Style::default().fg(t.dim),
                ),
            ]);
            let style = if app.genre_focus_tracks && i == app.genre_tracks_nav.selected {
                selected_style(t)
            } else {
                Style::default()
            };
            ListItem::new(line).style(style)
        })
        .collect();
    f.render_widget(
        List::new(items).block(block(
            format!(" {name} · auto playlist, by confidence · Enter plays, a adds "),
            t,
        )),
        cols[1],
    );
    if app.genre_lists.iter().all(|(_, t)| t.is_empty()) {
        let inner = cols[1].inner(ratatui::layout::Margin::new(2, 2));
        f.render_widget(
            Paragraph::new("Genre playlists fill in as tracks are analysed.")
                .style(Style::default().fg(t.dim)),
            inner,
        );
    }
}

fn draw_player_bar(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(1), Constraint::Length(1)])
        .split(area);
    let (state, title) = match app.playback.track.and_then(|id| app.lib.track(id)) {
        Some(i) => (
            if app.playback.paused { "⏸" } else { "▶" },
            format!("{} — {} · {}", i.title, i.artist, i.album),
        ),
        None => ("■", "stopped".to_string()),
    };
    let flags = format!(
        "{}vol {}%  shuffle {}  repeat {} ",
        if app.auto_dj { "auto-DJ  " } else { "" },
        app.playback.volume,
        if app.shuffle { "on" } else { "off" },
        app.repeat.label()
    );
    let w = rows[0].width as usize;
    let left = format!(" {state} {title}");
    // At least one space, so a long title never runs into the flags.
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
    let dur = app.playback.duration_secs.unwrap_or(0.0);
    let ratio = if dur > 0.0 && app.playback.track.is_some() {
        (app.playback.position_secs / dur).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let label = if app.playback.track.is_some() {
        format!(
            "{} / {}",
            fmt_time(app.playback.position_secs),
            fmt_time(dur)
        )
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
    let left = match &app.status {
        Some(s) => (s.text.clone(), s.error),
        None => {
            let a = &app.analysis;
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
                    let n = app.lib.tracks.len();
                    let failed = app.lib.failed.len();
                    format!(
                        "{n} tracks · {} classified{}",
                        app.lib.classified(),
                        if failed > 0 {
                            format!(" · {failed} could not be analysed")
                        } else {
                            String::new()
                        }
                    )
                }
            };
            (text, false)
        }
    };
    let right = match &app.playback.silent {
        Some(_) => "no audio output — playing silently".to_string(),
        None => app
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

/// The help lines: every action with its keys and description.
pub fn help_lines(app: &App) -> Vec<(String, String)> {
    let mut out = vec![(
        "Esc".to_string(),
        "Close this help / clear the search".to_string(),
    )];
    for &a in Action::ALL {
        let keys = app.keymap.keys_for(a);
        if keys.is_empty() {
            continue;
        }
        out.push((keys.join(", "), a.description().to_string()));
    }
    out
}

fn draw_help(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let w = area.width.saturating_sub(8).min(84);
    let h = area.height.saturating_sub(4);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, popup);
    let lines: Vec<Line> = help_lines(app)
        .into_iter()
        .skip(app.help_scroll)
        .map(|(k, d)| {
            Line::from(vec![
                Span::styled(format!("{k:>18}  "), Style::default().fg(t.accent)),
                Span::raw(d),
            ])
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(
            block(" Keys · j/k scroll · Esc closes ", t)
                .title_alignment(Alignment::Center)
                .title_bottom(
                    Line::from(" keymap.toml in your config folder overrides these ").centered(),
                ),
        ),
        popup,
    );
}
