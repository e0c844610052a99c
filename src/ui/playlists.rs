//! The Playlists view: saved playlists and the tracks of the selected one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, Paragraph, Wrap};

use super::columns::Columns;
use super::widgets::{block, fit, hint_name, selected_style, title_of};
use crate::app::App;
use crate::app::session::tracks_n;
use crate::app::views::sort::SortKey;
use crate::keys::Action;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let view = &app.views.playlists;
    let keys = app.keymap();
    let cols = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(30), Constraint::Percentage(70)])
        .split(area);
    let inner_h = area.height.saturating_sub(2) as usize;
    draw_lists(f, app, cols[0], inner_h);
    draw_tracks(f, app, cols[1], inner_h);
    let why = view.selected().and_then(|p| view.smart_errors.get(&p.path));
    if let Some(why) = why {
        let inner = cols[1].inner(ratatui::layout::Margin::new(2, 2));
        f.render_widget(
            Paragraph::new(format!("This rule finds nothing: {why}"))
                .style(Style::default().fg(t.error))
                .wrap(Wrap { trim: true }),
            inner,
        );
    }
    if view.lists.is_empty() {
        let inner = cols[1].inner(ratatui::layout::Margin::new(2, 2));
        let msg = if view.loaded {
            format!(
                "No playlists yet. {} saves the queue as one; {} imports an M3U, M3U8 or PLS file; \
                 {} makes a smart playlist from a rule (or from the open search).",
                keys.hint(Action::SaveQueue),
                keys.hint(Action::ImportPlaylist),
                keys.hint(Action::SaveSmart)
            )
        } else {
            "Reading your playlists…".to_string()
        };
        f.render_widget(
            Paragraph::new(msg)
                .style(Style::default().fg(t.dim))
                .wrap(Wrap { trim: true }),
            inner,
        );
    }
}

/// The playlists, with their track counts (a smart one's as it finds them now).
fn draw_lists(f: &mut Frame, app: &App, area: Rect, inner_h: usize) {
    let t = app.theme();
    let view = &app.views.playlists;
    let left_w = area.width.saturating_sub(2) as usize;
    let lists: Vec<ListItem> = view
        .lists
        .iter()
        .enumerate()
        .skip(view.nav.offset)
        .take(inner_h)
        .map(|(i, p)| {
            let style = if i == view.nav.selected {
                if view.focus_tracks {
                    Style::default().fg(t.accent).add_modifier(Modifier::BOLD)
                } else {
                    selected_style(t)
                }
            } else {
                Style::default()
            };
            // A smart playlist: its count now, marked "smart" (or "!" when its rule fails).
            let count = match (&p.rule, view.smart_errors.contains_key(&p.path)) {
                (Some(_), true) => "  smart !".to_string(),
                (Some(_), false) => format!("  smart {}", p.tracks.len()),
                (None, _) => format!("  {}", p.tracks.len()),
            };
            let name = fit(&format!(" {}", p.name), left_w.saturating_sub(count.len()));
            ListItem::new(Line::from(vec![
                Span::raw(name),
                Span::styled(count, Style::default().fg(t.dim)),
            ]))
            .style(style)
        })
        .collect();
    f.render_widget(
        List::new(lists).block(block(format!(" Playlists · {} ", view.lists.len()), t)),
        area,
    );
}

/// The selected playlist's tracks, titled with its rule (smart) or its keys.
fn draw_tracks(f: &mut Frame, app: &App, area: Rect, inner_h: usize) {
    let t = app.theme();
    let s = &app.session;
    let view = &app.views.playlists;
    let keys = app.keymap();
    let (name, tracks, rule) = match view.selected() {
        Some(p) => (p.name.as_str(), p.tracks.as_slice(), p.rule.as_deref()),
        None => ("", &[][..], None),
    };
    let right_w = area.width.saturating_sub(2) as usize;
    let cols = Columns::fit(right_w.saturating_sub(1), view.sort);
    let rows = view.rows();
    let items: Vec<ListItem> = rows
        .iter()
        .enumerate()
        .skip(view.tracks_nav.offset)
        .take(inner_h)
        .filter_map(|(row, &i)| Some((row, tracks.get(i)?)))
        .map(|(row, path)| {
            let info = s.lib.by_path(path);
            let playing = info.is_some_and(|i| s.playback.track == Some(i.id));
            let base = if playing {
                Style::default().fg(t.playing)
            } else {
                Style::default()
            };
            let line = match info {
                Some(i) => {
                    let mut spans = vec![Span::raw(" ")];
                    spans.extend(cols.spans(app, i.id, base));
                    Line::from(spans)
                }
                None => Line::from(Span::styled(
                    fit(
                        &format!(" {} (not in the library)", path.display()),
                        right_w,
                    ),
                    Style::default().fg(t.dim),
                )),
            };
            let style = if view.focus_tracks && row == view.tracks_nav.selected {
                selected_style(t)
            } else {
                Style::default()
            };
            ListItem::new(line).style(style)
        })
        .collect();
    let sorted = match view.sort {
        SortKey::Tree => String::new(),
        k => format!("by {}", k.label()),
    };
    let title = if name.is_empty() {
        " tracks ".to_string()
    } else if let Some(rule) = rule {
        title_of(
            vec![
                name.to_string(),
                format!("smart: {rule}"),
                tracks_n(tracks.len()),
                sorted,
                format!("{} edits the rule", keys.hint(Action::EditRule)),
            ],
            area.width,
        )
    } else {
        title_of(
            vec![
                name.to_string(),
                tracks_n(tracks.len()),
                sorted,
                format!(
                    "{} plays, {} adds, {} renames, {} deletes",
                    hint_name(&keys.hint(Action::Activate)),
                    keys.hint(Action::QueueAdd),
                    keys.hint(Action::RenamePlaylist),
                    keys.hint(Action::DeletePlaylist),
                ),
            ],
            area.width,
        )
    };
    f.render_widget(List::new(items).block(block(title, t)), area);
}
