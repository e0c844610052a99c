//! Styles and blocks every view draws with.

use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders};

use crate::config::Theme;

pub fn base(t: &Theme) -> Style {
    Style::default().fg(t.foreground).bg(t.background)
}

pub fn block<'a>(title: impl Into<Line<'a>>, t: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(t.border))
        .title(title)
        .style(base(t))
}

pub fn selected_style(t: &Theme) -> Style {
    Style::default().fg(t.highlight_fg).bg(t.highlight_bg)
}

/// A named key in a hint reads capitalised ("Enter plays"); a character stays as it is.
pub fn hint_name(key: &str) -> String {
    let mut c = key.chars();
    match c.next() {
        Some(first) if key.chars().count() > 1 => first.to_uppercase().chain(c).collect(),
        _ => key.to_string(),
    }
}

/// A block title of `parts` joined by " · " for a block `width` wide: the last parts (the
/// optional hints) go while it is too long, then what is left is cut with "…".
pub fn title_of(mut parts: Vec<String>, width: u16) -> String {
    parts.retain(|p| !p.is_empty());
    let room = width.saturating_sub(4) as usize;
    while parts.len() > 1 && parts.join(" · ").chars().count() + 2 > room {
        parts.pop();
    }
    format!(" {} ", fit(&parts.join(" · "), room.saturating_sub(2)))
}

/// `text` cut to `width` characters, with an ellipsis when it was longer.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// `line` cut to `width` characters, its last one an ellipsis when something was cut; each
/// span keeps its style.
pub fn fit_line(line: Line<'static>, width: usize) -> Line<'static> {
    let total: usize = line.spans.iter().map(|s| s.content.chars().count()).sum();
    if total <= width {
        return line;
    }
    let mut left = width.saturating_sub(1);
    let mut spans = Vec::with_capacity(line.spans.len());
    let mut last_style = line.style;
    for span in line.spans {
        if left == 0 {
            break;
        }
        let n = span.content.chars().count();
        last_style = span.style;
        if n <= left {
            left -= n;
            spans.push(span);
        } else {
            let cut: String = span.content.chars().take(left).collect();
            spans.push(ratatui::text::Span::styled(cut, span.style));
            left = 0;
        }
    }
    if width > 0 {
        spans.push(ratatui::text::Span::styled("…", last_style));
    }
    Line::from(spans).style(line.style)
}

/// The mark a rated track has in the rows: " ♥" liked, " ✗" disliked, "" not rated.
pub fn rating_mark(rating: crate::app::Rating) -> &'static str {
    match rating {
        crate::app::Rating::Like => " ♥",
        crate::app::Rating::Dislike => " ✗",
        crate::app::Rating::None => "",
    }
}

/// What a track's genre says while it has none: "can't analyse" when analysis failed, else
/// "…" (waiting).
pub fn no_genre(lib: &crate::app::catalog::Catalog, id: crate::library::TrackId) -> &'static str {
    if lib.failed.contains_key(&id) {
        "can't analyse"
    } else {
        "…"
    }
}
