//! The Queue view: what plays, up next, and what the music plays from, each entry with why it
//! is there.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, Paragraph, Wrap};

use super::columns::Columns;
use super::widgets::{block, fit, hint_name, selected_style, title_of};
use crate::app::App;
use crate::app::views::queue::QueueRow;
use crate::app::views::sort::SortKey;
use crate::keys::Action;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let keys = app.keymap();
    let s = &app.session;
    let q = &s.queue;
    let view = &app.views.queue;
    let inner_h = area.height.saturating_sub(2) as usize;
    // The title's parts, the optional hints last: they go when the terminal is narrow.
    let parts = vec![
        format!("Queue · {} up next", q.up_next.len()),
        q.context
            .as_ref()
            .map(|c| format!("from {}", c.label))
            .unwrap_or_default(),
        if s.auto_dj {
            "auto-DJ on".to_string()
        } else {
            format!("auto-DJ off ({})", keys.hint(Action::ToggleAutoDj))
        },
        format!(
            "{} fills with similar tracks",
            keys.hint(Action::FillSimilar)
        ),
        format!("{} undoes", keys.hint(Action::Undo)),
    ];
    let title = title_of(parts, area.width);
    let width = area.width.saturating_sub(2) as usize;
    let playing_row = view.playing_row(s);
    // Why each shown entry is there: a column of its own at the right, as wide as the
    // longest (at most a third of the row).
    let shown: Vec<(usize, &QueueRow, String, &str)> = view
        .rows
        .iter()
        .enumerate()
        .skip(view.nav.offset)
        .take(inner_h)
        .map(|(row, r)| {
            let (mark, why) = why(r, s);
            (row, r, why, mark)
        })
        .collect();
    let why_w = shown
        .iter()
        .map(|(_, _, w, _)| w.chars().count())
        .max()
        .unwrap_or(0)
        .min(width / 3);
    // "▶  1. " before the columns, two spaces before why.
    let cols = Columns::fit(width.saturating_sub(6 + 2 + why_w), SortKey::Tree);
    let mut items: Vec<ListItem> = Vec::new();
    for (row, r, why, mark) in shown {
        let playing = Some(row) == playing_row;
        // A marked entry: "*" (cmus's mark) in its first column.
        let mark = if view.is_marked(*r, s) { "*" } else { mark };
        let base = if playing {
            Style::default().fg(t.playing).add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        };
        let mut spans = vec![Span::styled(format!("{mark}{:>3}. ", row + 1), base)];
        spans.extend(cols.spans(app, r.track(), base));
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            fit(&why, why_w),
            Style::default().fg(t.accent),
        ));
        let style = if row == view.nav.selected {
            selected_style(t)
        } else {
            Style::default()
        };
        items.push(ListItem::new(Line::from(spans)).style(style));
    }
    f.render_widget(List::new(items).block(block(title, t)), area);
    if view.rows.is_empty() {
        let inner = area.inner(ratatui::layout::Margin::new(2, 2));
        f.render_widget(
            Paragraph::new(format!(
                "The queue is empty. In the library, {} plays, {} adds, {} plays next.",
                hint_name(&keys.hint(Action::Activate)),
                keys.hint(Action::QueueAdd),
                keys.hint(Action::QueueAddNext),
            ))
            .style(Style::default().fg(t.dim))
            .wrap(Wrap { trim: true }),
            inner,
        );
    }
}

/// A row's mark ("▶" playing, "+" up next) and why it is in the queue.
fn why(r: &QueueRow, s: &crate::app::session::Session) -> (&'static str, String) {
    let q = &s.queue;
    match *r {
        QueueRow::Playing(_) => (
            "▶",
            q.current
                .as_ref()
                .map(|c| c.entry.reason.describe())
                .unwrap_or_default(),
        ),
        QueueRow::UpNext(i, _) => (
            "+",
            q.up_next
                .get(i)
                .map(|e| e.reason.describe())
                .unwrap_or_default(),
        ),
        QueueRow::Context(..) => (
            " ",
            q.context
                .as_ref()
                .map(|c| format!("from {}", c.label))
                .unwrap_or_default(),
        ),
    }
}
