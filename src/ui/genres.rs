//! The Genres view: the genre and style playlists and the tracks of the selected one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, Paragraph};

use super::widgets::{block, hint_name, selected_style};
use crate::app::App;
use crate::keys::Action;
use crate::library::TrackId;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let view = &app.views.genres;
    let cols = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(30), Constraint::Percentage(70)])
        .split(area);
    let inner_h = area.height.saturating_sub(2) as usize;
    draw_lists(f, app, inner_h, cols[0]);
    draw_tracks(f, app, inner_h, cols[1]);
    if view.lists.iter().all(|(_, t)| t.is_empty()) {
        let inner = cols[1].inner(ratatui::layout::Margin::new(2, 2));
        f.render_widget(
            Paragraph::new("Genre playlists fill in as tracks are analysed.")
                .style(Style::default().fg(t.dim)),
            inner,
        );
    }
}

/// The genre playlists, then the style playlists, each with its number of tracks.
fn draw_lists(f: &mut Frame, app: &App, inner_h: usize, area: Rect) {
    let t = app.theme();
    let view = &app.views.genres;
    let genres: Vec<ListItem> = (view.nav.offset..view.len())
        .take(inner_h)
        .filter_map(|i| view.list(i).map(|l| (i, l)))
        .map(|(i, (name, tracks, is_style))| {
            let style = if i == view.nav.selected {
                if view.focus_tracks {
                    Style::default().fg(t.accent).add_modifier(Modifier::BOLD)
                } else {
                    selected_style(t)
                }
            } else {
                Style::default()
            };
            // Styles after the genres, marked so the two kinds read apart.
            let name = if is_style {
                Span::styled(format!(" ~ {name}"), Style::default().fg(t.accent))
            } else {
                Span::raw(format!(" {name}"))
            };
            ListItem::new(Line::from(vec![
                name,
                Span::styled(format!("  {}", tracks.len()), Style::default().fg(t.dim)),
            ]))
            .style(style)
        })
        .collect();
    let total: usize = view.lists.iter().map(|(_, t)| t.len()).sum();
    f.render_widget(
        List::new(genres).block(block(
            if view.styles.is_empty() {
                format!(" Genres · {total} classified ")
            } else {
                format!(" Genres · {total} classified · ~ styles ")
            },
            t,
        )),
        area,
    );
}

/// The selected playlist's tracks, by share.
fn draw_tracks(f: &mut Frame, app: &App, inner_h: usize, area: Rect) {
    let t = app.theme();
    let view = &app.views.genres;
    let keys = app.keymap();
    let (name, tracks, is_style) = view.list(view.nav.selected).unwrap_or(("", &[], false));
    let inner_w = area.width.saturating_sub(2) as usize;
    let items: Vec<ListItem> = tracks
        .iter()
        .enumerate()
        .skip(view.tracks_nav.offset)
        .take(inner_h)
        .map(|(i, (id, p))| {
            let style = if view.focus_tracks && i == view.tracks_nav.selected {
                selected_style(t)
            } else {
                Style::default()
            };
            let line = super::widgets::fit_line(track_line(app, *id, *p, is_style), inner_w);
            ListItem::new(line).style(style)
        })
        .collect();
    f.render_widget(
        List::new(items).block(block(
            format!(
                " {name} · {} · {} plays, {} adds ",
                if is_style {
                    "style playlist, by the tag's share"
                } else {
                    "auto playlist, by confidence"
                },
                hint_name(&keys.hint(Action::Activate)),
                keys.hint(Action::QueueAdd)
            ),
            t,
        )),
        area,
    );
}

/// A track of a playlist: its share, title and artist (and its genre in a style list).
fn track_line(app: &App, id: TrackId, p: f32, is_style: bool) -> Line<'static> {
    let t = app.theme();
    let s = &app.session;
    let info = s.lib.track(id);
    let playing = s.playback.track == Some(id);
    Line::from(vec![
        Span::styled(
            if is_style || s.lib.is_known(id) {
                format!("{:>4.0}%  ", p * 100.0)
            } else {
                // Unsure: the top guess with its share.
                format!(
                    "{:>4.0}% ? {}  ",
                    p * 100.0,
                    s.lib.genre_of(id).map_or("", |(g, _)| g)
                )
            },
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
            info.filter(|i| i.has_artist())
                .map(|i| format!(" — {}", i.artist))
                .unwrap_or_default(),
            Style::default().fg(t.dim),
        ),
        // A style list says each track's genre too.
        Span::styled(
            if is_style {
                s.lib
                    .genre_text(id)
                    .map(|g| format!("  {g}"))
                    .unwrap_or_default()
            } else {
                String::new()
            },
            Style::default().fg(t.dim),
        ),
    ])
}
