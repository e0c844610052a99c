//! Search results, ranked, in place of the view while the search is open.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, Paragraph, Wrap};

use super::columns::Columns;
use super::widgets::{block, hint_name, selected_style, title_of};
use crate::app::App;
use crate::app::session::tracks_n;
use crate::app::views::marks::Mark;
use crate::app::views::sort::SortKey;
use crate::keys::Action;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let s = &app.session;
    let keys = app.keymap();
    let view = &app.views.search;
    let inner_h = area.height.saturating_sub(2) as usize;
    let width = area.width.saturating_sub(2) as usize;
    let cols = Columns::fit(width.saturating_sub(1), view.sort);
    let items: Vec<ListItem> = view
        .results
        .iter()
        .enumerate()
        .skip(view.nav.offset)
        .take(inner_h)
        .filter_map(|(i, id)| {
            s.lib.track(*id)?;
            let playing = s.playback.track == Some(*id);
            let base = if playing {
                Style::default().fg(t.playing)
            } else {
                Style::default()
            };
            // Marked (the Library's marks): "+" a seed, "−" less like this.
            let mark = match app.views.library.marks.get(*id) {
                Some(Mark::Like) => "+",
                Some(Mark::Less) => "−",
                None => " ",
            };
            let mut spans = vec![Span::styled(mark, Style::default().fg(t.accent))];
            spans.extend(cols.spans(app, *id, base));
            let line = Line::from(spans);
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
    let sorted = match view.sort {
        SortKey::Tree => String::new(),
        k => format!("by {}", k.label()),
    };
    let title = title_of(
        vec![
            format!("Search · {}", tracks_n(view.results.len())),
            sorted,
            format!(
                "{} plays, {} adds, {} plays next",
                hint_name(&keys.hint(Action::Activate)),
                keys.hint(Action::QueueAdd),
                keys.hint(Action::QueueAddNext),
            ),
            "Esc closes".into(),
        ],
        area.width,
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
