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
