//! The help popup: every bound action, grouped by where it applies.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::widgets::block;
use crate::app::App;
use crate::keys::Action;

/// The help lines as (keys, description), in the order shown.
pub fn help_lines(app: &App) -> Vec<(String, String)> {
    crate::keys::help_lines(app.keymap())
        .into_iter()
        .map(|l| (l.keys, l.description))
        .collect()
}

/// The popup's place: the whole height (a modal page), centred, at most 84 columns.
fn popup_area(area: Rect) -> Rect {
    let w = area.width.saturating_sub(8).min(84);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y,
        width: w,
        height: area.height,
    }
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    if app.help.messages {
        return draw_messages(f, app, area);
    }
    let t = app.theme();
    let keys = app.keymap();
    let popup = popup_area(area);
    let inner_w = popup.width.saturating_sub(2) as usize;
    f.render_widget(Clear, popup);
    // Lines are grouped by scope; the first line of a group (and the top line, when scrolled
    // into one) names it at the right.
    let mut lines: Vec<Line> = Vec::new();
    let mut scope = None;
    for (i, l) in crate::keys::help_lines(keys).into_iter().enumerate() {
        let starts_group = l.scope.is_some() && l.scope != scope;
        scope = l.scope.or(scope);
        if i < app.help.scroll {
            continue;
        }
        let left = format!("{:>18}  {}", l.keys, l.description);
        let mut spans = vec![
            Span::styled(format!("{:>18}  ", l.keys), Style::default().fg(t.accent)),
            Span::raw(l.description),
        ];
        if let Some(s) = l.scope.filter(|_| starts_group || i == app.help.scroll) {
            let label = s.title();
            let pad = inner_w.saturating_sub(left.chars().count() + label.chars().count() + 1);
            spans.push(Span::raw(" ".repeat(pad.max(1))));
            spans.push(Span::styled(
                label,
                Style::default().fg(t.dim).add_modifier(Modifier::ITALIC),
            ));
        }
        lines.push(Line::from(spans));
    }
    let title = format!(
        " Keys · {}/{} scroll · Esc closes ",
        keys.hint(Action::Down),
        keys.hint(Action::Up)
    );
    f.render_widget(
        Paragraph::new(lines).block(
            block(title, t)
                .title_alignment(Alignment::Center)
                .title_bottom(
                    Line::from(" keymap.toml in your config folder overrides these ").centered(),
                ),
        ),
        popup,
    );
}

/// The last status messages, newest first, each whole (wrapped), with how long ago it came.
fn draw_messages(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let keys = app.keymap();
    let popup = popup_area(area);
    f.render_widget(Clear, popup);
    let log = &app.session.messages;
    let lines: Vec<Line> = if log.is_empty() {
        vec![Line::styled(" no messages yet", Style::default().fg(t.dim))]
    } else {
        log.iter()
            .rev()
            .skip(app.help.scroll)
            .map(|m| {
                let ago = crate::util::time::fmt_time(m.at.elapsed().as_secs_f64());
                Line::from(vec![
                    Span::styled(format!("{ago:>7} ago  "), Style::default().fg(t.dim)),
                    Span::styled(
                        m.text.clone(),
                        Style::default().fg(if m.error { t.error } else { t.foreground }),
                    ),
                ])
            })
            .collect()
    };
    let title = format!(
        " Messages, newest first · {}/{} scroll · Esc closes ",
        keys.hint(Action::Down),
        keys.hint(Action::Up)
    );
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(title, t).title_alignment(Alignment::Center)),
        popup,
    );
}
