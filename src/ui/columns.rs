//! Track lists in columns — title, artist, album, year, length, genre, plays — as many as the
//! width holds, the column a list is sorted by always among them. The search results, a
//! playlist's tracks and the queue draw their rows with it, so a column sits at the same place
//! in every row.

use ratatui::style::Style;
use ratatui::text::Span;

use crate::app::App;
use crate::app::views::sort::SortKey;
use crate::library::TrackId;
use crate::util::time::fmt_time;

/// One column of a track row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Title,
    Artist,
    Album,
    Year,
    Length,
    Genre,
    Plays,
    /// The pretrained trunk's tags ("alternative, indie, 90s"): what room is left.
    Styles,
}

impl Col {
    /// The narrowest a column is drawn; the title, artist and album share what is left.
    fn min_width(self) -> usize {
        match self {
            Col::Title => 24,
            Col::Artist => 14,
            Col::Album => 16,
            Col::Year => 4,
            Col::Length => 7,
            Col::Genre => 16,
            Col::Plays => 9,
            Col::Styles => 16,
        }
    }

    /// The widest a column is drawn (what is left beyond goes to the styles).
    fn max_width(self) -> usize {
        match self {
            Col::Title => 44,
            Col::Artist => 28,
            Col::Album => 32,
            Col::Styles => usize::MAX,
            c => c.min_width(),
        }
    }

    /// A share of the room left over (0: a fixed width).
    fn weight(self) -> usize {
        match self {
            Col::Title => 4,
            Col::Artist | Col::Album => 3,
            Col::Styles => 2,
            _ => 0,
        }
    }

    /// The column a sort key sorts by.
    fn of(key: SortKey) -> Option<Col> {
        match key {
            SortKey::Title => Some(Col::Title),
            SortKey::Artist => Some(Col::Artist),
            SortKey::Album => Some(Col::Album),
            SortKey::Year => Some(Col::Year),
            SortKey::Length => Some(Col::Length),
            SortKey::Genre => Some(Col::Genre),
            SortKey::Plays => Some(Col::Plays),
            SortKey::Tree | SortKey::Added => None,
        }
    }
}

/// Which columns a list shows, and how wide, left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct Columns {
    cols: Vec<(Col, usize)>,
}

/// The space between two columns.
const GAP: usize = 2;

/// The order columns are given room in as the width grows.
const PRIORITY: [Col; 8] = [
    Col::Title,
    Col::Artist,
    Col::Length,
    Col::Genre,
    Col::Album,
    Col::Year,
    Col::Plays,
    Col::Styles,
];

/// The order columns are drawn in.
const DRAWN: [Col; 8] = [
    Col::Title,
    Col::Artist,
    Col::Album,
    Col::Year,
    Col::Length,
    Col::Genre,
    Col::Plays,
    Col::Styles,
];

impl Columns {
    /// The columns `width` holds; the one `sort` sorts by comes right after the title.
    pub fn fit(width: usize, sort: SortKey) -> Columns {
        let mut order: Vec<Col> = PRIORITY.to_vec();
        if let Some(c) = Col::of(sort).filter(|&c| c != Col::Title) {
            order.retain(|&o| o != c);
            order.insert(1, c);
        }
        let need = |cols: &[Col]| {
            cols.iter().map(|c| c.min_width()).sum::<usize>() + GAP * cols.len().saturating_sub(1)
        };
        let mut chosen: Vec<Col> = vec![Col::Title];
        for c in order.into_iter().skip(1) {
            let mut trial = chosen.clone();
            trial.push(c);
            if need(&trial) <= width {
                chosen = trial;
            }
        }
        let left = width.saturating_sub(need(&chosen));
        let weights: usize = chosen.iter().map(|c| c.weight()).sum();
        let mut cols: Vec<(Col, usize)> = DRAWN
            .iter()
            .filter(|c| chosen.contains(c))
            .map(|&c| {
                let extra = (left * c.weight()).checked_div(weights).unwrap_or(0);
                (c, (c.min_width() + extra).min(c.max_width()))
            })
            .collect();
        // What the shares leave over goes to the styles (else the title, up to its widest);
        // a title narrower than its minimum on a very narrow list takes the whole row.
        let used: usize =
            cols.iter().map(|(_, w)| w).sum::<usize>() + GAP * cols.len().saturating_sub(1);
        let last = if chosen.contains(&Col::Styles) {
            cols.last_mut()
        } else {
            cols.first_mut()
        };
        if let Some((c, w)) = last {
            *w = if used <= width {
                (*w + (width - used)).min(c.max_width())
            } else {
                width
            };
        }
        Columns { cols }
    }

    /// Whether `col` is shown.
    #[cfg(test)]
    pub fn has(&self, col: Col) -> bool {
        self.cols.iter().any(|(c, _)| *c == col)
    }

    /// A track's cells as spans (`base`: the title's style), each padded to its column.
    pub fn spans(&self, app: &App, id: TrackId, base: Style) -> Vec<Span<'static>> {
        let t = app.theme();
        let s = &app.session;
        let info = s.lib.track(id);
        let mut spans = Vec::with_capacity(self.cols.len() * 2);
        for (n, &(col, width)) in self.cols.iter().enumerate() {
            if n > 0 {
                spans.push(Span::raw(" ".repeat(GAP)));
            }
            let (text, style, right) = match (col, info) {
                (_, None) if col == Col::Title => ("(missing)".to_string(), base, false),
                (_, None) => (String::new(), base, false),
                (Col::Title, Some(i)) => (
                    format!(
                        "{}{}",
                        i.title,
                        super::widgets::rating_mark(s.rating_of(id))
                    ),
                    base,
                    false,
                ),
                (Col::Artist, Some(i)) => (
                    if i.has_artist() {
                        i.artist.clone()
                    } else {
                        String::new()
                    },
                    Style::default(),
                    false,
                ),
                // An untagged file says where it is instead.
                (Col::Album, Some(i)) if !i.has_album() && !i.has_artist() => {
                    (format!("{}/", i.folder), Style::default().fg(t.dim), false)
                }
                (Col::Album, Some(i)) => (
                    if i.has_album() {
                        i.album.clone()
                    } else {
                        String::new()
                    },
                    Style::default(),
                    false,
                ),
                (Col::Year, Some(i)) => (
                    i.year.map(|y| y.to_string()).unwrap_or_default(),
                    Style::default().fg(t.dim),
                    false,
                ),
                (Col::Length, Some(i)) => (
                    i.duration_secs.map(fmt_time).unwrap_or_default(),
                    Style::default().fg(t.dim),
                    true,
                ),
                (Col::Genre, Some(_)) => (genre(app, id), Style::default().fg(t.accent), false),
                (Col::Styles, Some(_)) => (s.lib.style_text(id), Style::default().fg(t.dim), false),
                (Col::Plays, Some(_)) => {
                    let n = s.history().get(&id).map_or(0, |r| r.plays);
                    let text = match n {
                        0 => String::new(),
                        1 => "1 play".into(),
                        n => format!("{n} plays"),
                    };
                    (text, Style::default().fg(t.dim), true)
                }
            };
            spans.push(Span::styled(cell(&text, width, right), style));
        }
        spans
    }
}

/// `text` in a cell of `width` characters: cut with "…", padded on the right (or the left).
fn cell(text: &str, width: usize, right: bool) -> String {
    let text = super::widgets::fit(text, width);
    let pad = " ".repeat(width.saturating_sub(text.chars().count()));
    if right {
        format!("{pad}{text}")
    } else {
        format!("{text}{pad}")
    }
}

/// The genre cell: "metal 52%", "? metal 45%" when the model is unsure, why there is none.
fn genre(app: &App, id: TrackId) -> String {
    let lib = &app.session.lib;
    match lib.genre_of(id) {
        Some((g, p)) if lib.is_known(id) => format!("{g} {:.0}%", p * 100.0),
        Some((g, p)) => format!("? {g} {:.0}%", p * 100.0),
        None => super::widgets::no_genre(lib, id).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(c: &Columns) -> Vec<Col> {
        c.cols.iter().map(|(c, _)| *c).collect()
    }

    fn total(c: &Columns) -> usize {
        c.cols.iter().map(|(_, w)| w).sum::<usize>() + GAP * (c.cols.len() - 1)
    }

    #[test]
    fn the_columns_fill_the_width_and_grow_with_it() {
        for width in [20, 54, 78, 118, 198] {
            let c = Columns::fit(width, SortKey::Tree);
            assert_eq!(total(&c), width, "{width}: {c:?}");
        }
        // Wide: the title, artist and album stop at their widest, the styles take the rest.
        let c = Columns::fit(198, SortKey::Tree);
        assert_eq!(c.cols[0], (Col::Title, 44));
        assert_eq!(c.cols[1], (Col::Artist, 28));
        assert_eq!(c.cols.last().map(|c| c.0), Some(Col::Styles));
        assert_eq!(shown(&Columns::fit(20, SortKey::Tree)), vec![Col::Title]);
        assert_eq!(
            shown(&Columns::fit(54, SortKey::Tree)),
            vec![Col::Title, Col::Artist, Col::Length]
        );
        assert_eq!(
            shown(&Columns::fit(78, SortKey::Tree)),
            vec![Col::Title, Col::Artist, Col::Year, Col::Length, Col::Genre]
        );
        assert_eq!(shown(&Columns::fit(198, SortKey::Tree)), DRAWN.to_vec());
    }

    #[test]
    fn the_sorted_column_is_always_shown() {
        let c = Columns::fit(54, SortKey::Plays);
        assert!(c.has(Col::Plays), "{c:?}");
        assert!(c.has(Col::Title));
        let c = Columns::fit(78, SortKey::Album);
        assert!(c.has(Col::Album), "{c:?}");
        assert_eq!(total(&c), 78);
    }

    #[test]
    fn cells_are_cut_and_aligned() {
        assert_eq!(cell("Metal madness", 8, false), "Metal m…");
        assert_eq!(cell("3:45", 7, true), "   3:45");
        assert_eq!(cell("rock", 6, false), "rock  ");
    }
}
