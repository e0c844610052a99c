//! Search results, ranked, in place of the view while the search is open.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, Paragraph, Wrap};

use super::widgets::{block, fit, hint_name, selected_style};
use crate::app::App;
use crate::app::session::tracks_n;
use crate::keys::Action;
use crate::util::time::fmt_time;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let s = &app.session;
    let keys = app.keymap();
    let view = &app.views.search;
    let inner_h = area.height.saturating_sub(2) as usize;
    let width = area.width.saturating_sub(2) as usize;
    let items: Vec<ListItem> = view
        .results
        .iter()
        .enumerate()
        .skip(view.nav.offset)
        .take(inner_h)
        .filter_map(|(i, id)| {
            let info = s.lib.track(*id)?;
            let genre = s.lib.genre_text(*id).unwrap_or_default();
            let dur = info.duration_secs.map(fmt_time).unwrap_or_default();
            let right = format!("  {dur}  {genre}");
            // The styles after the genre, as in the library rows, when the row has room for
            // them beside a readable title.
            let styles = s.lib.style_text(*id);
            let styles = if !styles.is_empty()
                && width >= right.chars().count() + styles.chars().count() + 3 + 30
            {
                format!(" · {styles}")
            } else {
                String::new()
            };
            let right_w = right.chars().count() + styles.chars().count();
            let left = fit(
                &format!(" {}", info.full_line()),
                width.saturating_sub(right_w),
            );
            let pad = width.saturating_sub(left.chars().count() + right_w);
            let playing = s.playback.track == Some(*id);
            let line = Line::from(vec![
                Span::styled(
                    left,
                    if playing {
                        Style::default().fg(t.playing)
                    } else {
                        Style::default()
                    },
                ),
                Span::raw(" ".repeat(pad)),
                Span::styled(right, Style::default().fg(t.accent)),
                Span::styled(styles, Style::default().fg(t.dim)),
            ]);
            let style = if i == view.nav.selected && !app.search.typing {
                selected_style(t)
            } else if i == view.nav.selected {
                Style::default().fg(t.highlight_fg)
            } else {
                Style::default()
            };
            Some(ListItem::new(line).style(style))
        })
        .collect();
    let title = format!(
        " Search · {} · {} plays, {} adds, {} plays next, Esc closes ",
        tracks_n(view.results.len()),
        hint_name(&keys.hint(Action::Activate)),
        keys.hint(Action::QueueAdd),
        keys.hint(Action::QueueAddNext),
    );
    f.render_widget(List::new(items).block(block(title, t)), area);
    if view.results.is_empty() {
        let inner = area.inner(ratatui::layout::Margin::new(2, 2));
        let msg = if app.search.text.trim().is_empty() {
            "Type to search titles, artists, albums, genres, years and file names. Filters: artist:NAME album:NAME genre:metal genre:? style:indie year:1990..1999 conf:>0.8".to_string()
        } else {
            "Nothing matches the search. Esc clears it.".to_string()
        };
        f.render_widget(
            Paragraph::new(msg)
                .style(Style::default().fg(t.dim))
                .wrap(Wrap { trim: true }),
            inner,
        );
    }
}
