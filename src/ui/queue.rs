//! The Queue view: each entry with why it is there.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, Paragraph, Wrap};

use super::widgets::{block, hint_name, selected_style};
use crate::app::App;
use crate::app::catalog::fmt_time;
use crate::keys::Action;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let keys = app.keymap();
    let s = &app.session;
    let view = &app.views.queue;
    let inner_h = area.height.saturating_sub(2) as usize;
    let title = format!(
        " Queue · {} tracks · shuffle {} · repeat {} · auto-DJ {} · {} fills with similar tracks ",
        s.queue.entries.len(),
        if s.shuffle { "on" } else { "off" },
        s.repeat.label(),
        if s.auto_dj {
            "on".to_string()
        } else {
            format!("off ({})", keys.hint(Action::ToggleAutoDj))
        },
        keys.hint(Action::FillSimilar),
    );
    let width = area.width.saturating_sub(4) as usize;
    let items: Vec<ListItem> = view
        .visible
        .iter()
        .enumerate()
        .skip(view.nav.offset)
        .take(inner_h)
        .filter_map(|(row, &i)| {
            let e = s.queue.entries.get(i)?;
            let current = s.queue.current == Some(i);
            let info = s.lib.track(e.track);
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
            let style = if row == view.nav.selected {
                selected_style(t)
            } else {
                Style::default()
            };
            Some(ListItem::new(line).style(style))
        })
        .collect();
    f.render_widget(List::new(items).block(block(title, t)), area);
    if view.visible.is_empty() {
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
