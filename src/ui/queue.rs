//! The Queue view: what plays, up next, and what the music plays from, each entry with why it
//! is there.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, Paragraph, Wrap};

use super::widgets::{block, fit, hint_name, selected_style};
use crate::app::App;
use crate::app::views::queue::QueueRow;
use crate::keys::Action;
use crate::util::time::fmt_time;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let keys = app.keymap();
    let s = &app.session;
    let q = &s.queue;
    let view = &app.views.queue;
    let inner_h = area.height.saturating_sub(2) as usize;
    // The title's parts, the optional hints last: they go when the terminal is narrow.
    let mut parts = vec![
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
    parts.retain(|p| !p.is_empty());
    let room = area.width.saturating_sub(4) as usize;
    while parts.len() > 1 && parts.join(" · ").chars().count() + 2 > room {
        parts.pop();
    }
    let title = format!(" {} ", fit(&parts.join(" · "), room.saturating_sub(2)));
    let width = area.width.saturating_sub(2) as usize;
    let playing_row = view.playing_row(s);
    let mut items: Vec<ListItem> = Vec::new();
    for (row, r) in view
        .rows
        .iter()
        .enumerate()
        .skip(view.nav.offset)
        .take(inner_h)
    {
        let info = s.lib.track(r.track());
        let rated = super::widgets::rating_mark(s.rating_of(r.track()));
        let name = info
            .map(|t| format!("{}{rated}", t.title_artist()))
            .unwrap_or_else(|| "(missing)".into());
        let dur = info
            .and_then(|t| t.duration_secs)
            .map(fmt_time)
            .unwrap_or_default();
        let playing = Some(row) == playing_row;
        let (mark, why) = match *r {
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
        };
        // A marked entry: "*" (cmus's mark) in its first column.
        let mark = if view.is_marked(*r, s) { "*" } else { mark };
        let right = format!("  {dur}  {why}");
        let left = fit(
            &format!("{mark}{:>3}. {name}", row + 1),
            width.saturating_sub(right.chars().count()),
        );
        let pad = width.saturating_sub(left.chars().count() + right.chars().count());
        let base = if playing {
            Style::default().fg(t.playing).add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        };
        let line = Line::from(vec![
            Span::styled(left, base),
            Span::raw(" ".repeat(pad)),
            Span::styled(format!("  {dur}  "), Style::default().fg(t.dim)),
            Span::styled(why, Style::default().fg(t.accent)),
        ]);
        let style = if row == view.nav.selected {
            selected_style(t)
        } else {
            Style::default()
        };
        items.push(ListItem::new(line).style(style));
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
