//! The Library view: the browse tree.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, Paragraph, Wrap};

use super::widgets::{block, fit_line, selected_style};
use crate::app::catalog::BrowseMode;
use crate::app::views::sort::SortKey;
use crate::app::{App, RowKind};
use crate::util::time::fmt_time;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let view = &app.views.library;
    let s = &app.session;
    let sorted = match view.sort {
        SortKey::Tree => String::new(),
        k => format!(" · {}", k.label()),
    };
    let title = format!(
        " Library · by {}{sorted} · {} ",
        view.mode.label(),
        crate::app::session::tracks_n(s.lib.tracks.len())
    );
    let inner_h = area.height.saturating_sub(2) as usize;
    let inner_w = area.width.saturating_sub(2) as usize;
    let visual = view.visual_range();
    let items: Vec<ListItem> = view
        .rows
        .iter()
        .enumerate()
        .skip(view.nav.offset)
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
                RowKind::Track(id) => track_line(app, *id, r, i, &indent, visual.as_ref()),
            };
            let style = if i == view.nav.selected {
                selected_style(t)
            } else {
                Style::default()
            };
            ListItem::new(fit_line(line, inner_w)).style(style)
        })
        .collect();
    let list = List::new(items).block(block(title, t));
    f.render_widget(list, area);
    if view.rows.is_empty() {
        let msg = "No tracks yet. genreplay is scanning your music folder (or it is empty: start with --library DIR).";
        let inner = area.inner(ratatui::layout::Margin::new(2, 2));
        f.render_widget(
            Paragraph::new(msg)
                .style(Style::default().fg(t.dim))
                .wrap(Wrap { trim: true }),
            inner,
        );
    }
}

/// A track's row: its mark, whether it plays, its number (by album), title, length, genre and
/// styles (and its artist outside the artist tree).
fn track_line(
    app: &App,
    id: crate::library::TrackId,
    r: &crate::app::views::library::Row,
    i: usize,
    indent: &str,
    visual: Option<&std::ops::RangeInclusive<usize>>,
) -> Line<'static> {
    let t = app.theme();
    let view = &app.views.library;
    let s = &app.session;
    let id = &id;
    let playing = s.playback.track == Some(*id);
    let info = s.lib.track(*id);
    let genre = s
        .lib
        .genre_text(*id)
        .unwrap_or_else(|| super::widgets::no_genre(&s.lib, *id).into());
    let dur = info
        .and_then(|i| i.duration_secs)
        .map(fmt_time)
        .unwrap_or_default();
    // Track numbers belong to albums: shown when browsing by album only.
    let no = info
        .and_then(|i| i.track_no)
        .filter(|_| view.mode == BrowseMode::Artist)
        .map(|n| format!("{n:>2}. "))
        .unwrap_or_default();
    // Marked: "+" a seed, "−" less like this, "~" in the visual range.
    let mark = match view.marks.get(*id) {
        Some(crate::app::views::marks::Mark::Like) => "+",
        Some(crate::app::views::marks::Mark::Less) => "−",
        None if visual.as_ref().is_some_and(|r| r.contains(&i)) => "~",
        None => " ",
    };
    // The mark takes the row's first column (a space of its indent), so an
    // unmarked row reads as before.
    let lead = format!("{indent}{}", if playing { "▶ " } else { "  " });
    let lead = match lead.strip_prefix(' ') {
        Some(rest) => rest.to_string(),
        None => lead,
    };
    let mut spans = vec![
        Span::styled(mark, Style::default().fg(t.accent)),
        Span::raw(lead),
        Span::styled(no, Style::default().fg(t.dim)),
        Span::styled(
            r.label.clone(),
            if playing {
                Style::default().fg(t.playing)
            } else {
                Style::default()
            },
        ),
        Span::styled(
            super::widgets::rating_mark(s.rating_of(*id)),
            Style::default().fg(t.accent),
        ),
        Span::styled(format!("  {dur}"), Style::default().fg(t.dim)),
        Span::styled(format!("  {genre}"), Style::default().fg(t.accent)),
    ];
    // What the rows are sorted by, when the row does not say it otherwise.
    let now = crate::util::time::now_unix();
    if let Some(v) = crate::app::views::sort::shown(view.sort, *id, &s.lib, s.history(), now) {
        spans.insert(
            6,
            Span::styled(format!("  {v}"), Style::default().fg(t.dim)),
        );
    }
    // The styles beside the genre: "rock 87% · alternative, indie, 90s".
    let styles = s.lib.style_text(*id);
    if !styles.is_empty() {
        spans.push(Span::styled(
            format!(" · {styles}"),
            Style::default().fg(t.dim),
        ));
    }
    if view.mode != BrowseMode::Artist
        && let Some(i) = info.filter(|i| i.has_artist())
    {
        spans.insert(
            4,
            Span::styled(format!(" — {}", i.artist), Style::default().fg(t.dim)),
        );
    }
    Line::from(spans)
}
