//! The screen's layout arithmetic, shared by the drawing and by the app (which needs to know
//! how many rows a list has for paging and scrolling). A leaf: it knows nothing of the app.

use ratatui::layout::{Constraint, Direction, Layout, Rect};

/// Rows of chrome around the lists: tabs (1) + block borders (2) + now-playing bar (2) +
/// status line (1).
pub const CHROME_ROWS: usize = 6;

/// Rows a list view has in a terminal `rows` high.
pub fn list_height(rows: u16) -> usize {
    (rows as usize).saturating_sub(CHROME_ROWS).max(1)
}

/// The frame's parts: tabs, the view, the player bar, the status line.
/// The help lines shown at once: the popup is the terminal's height, less its border.
pub fn help_rows(rows: u16) -> usize {
    usize::from(rows.saturating_sub(2))
}

pub fn frame(area: Rect) -> [Rect; 4] {
    let chunks = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(2),
            Constraint::Length(1),
        ])
        .split(area);
    [chunks[0], chunks[1], chunks[2], chunks[3]]
}

/// Where the tabs start on the tab line (after " genreplay ").
pub const TABS_START: usize = 11;

/// A tab's width: " {key} {title} ".
pub fn tab_width(key: &str, title: &str) -> usize {
    key.chars().count() + title.chars().count() + 3
}

/// The row of the progress bar in a terminal `rows` high.
pub fn progress_row(rows: u16) -> u16 {
    rows.saturating_sub(2)
}

/// The list row (from the top of a view's list) at screen row `row`, if it is one.
pub fn list_row(row: u16, list_height: usize) -> Option<usize> {
    let first = 2u16;
    (row >= first && ((row - first) as usize) < list_height).then(|| (row - first) as usize)
}

/// The width of the left pane of the two-pane views (Genres, Playlists).
pub fn left_pane_width(cols: u16) -> u16 {
    (cols as u32 * 30 / 100) as u16
}

/// The Now playing view's inside (the view's area less its border).
pub fn now_playing_inner(view: Rect) -> Rect {
    view.inner(ratatui::layout::Margin::new(1, 1))
}

/// Rows Now playing keeps below the cover (the genre bars and the lyrics).
const BELOW_COVER: u16 = 8;
/// Columns the track's fields keep beside the cover.
const BESIDE_COVER: u16 = 48;
/// The smallest cover drawn (rows; twice as many columns).
const MIN_COVER_ROWS: u16 = 7;
const MAX_COVER_ROWS: u16 = 16;

/// The cover's area in Now playing's inside `inner`: top left, twice as wide as high (square in
/// half blocks on a 1:2 font), as large as leaves [`BESIDE_COVER`] columns for the track's
/// fields and [`BELOW_COVER`] rows for the bars. `None` when the terminal is too small: the
/// cover goes first, never the fields.
pub fn now_playing_cover(inner: Rect) -> Option<Rect> {
    let by_height = inner.height.saturating_sub(BELOW_COVER).min(MAX_COVER_ROWS);
    let by_width = inner.width.saturating_sub(BESIDE_COVER + 1) / 2;
    let rows = by_height.min(by_width);
    (rows >= MIN_COVER_ROWS).then(|| Rect {
        x: inner.x,
        y: inner.y,
        width: rows * 2,
        height: rows,
    })
}
