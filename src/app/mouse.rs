//! The mouse: a click selects, a double click plays, the wheel scrolls, a click on the tab
//! line switches views and a click on the progress bar seeks.

use std::time::{Duration, Instant};

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

use super::{App, View};
use crate::app::layout;
use crate::keys::Action;

/// Two clicks on one row within this make a double click.
const DOUBLE_CLICK: Duration = Duration::from_millis(400);

impl App {
    pub(super) fn on_mouse(&mut self, m: MouseEvent) {
        if self.help.open || self.prompt.is_some() {
            return;
        }
        match m.kind {
            MouseEventKind::ScrollDown => (0..3).for_each(|_| self.act(Action::Down)),
            MouseEventKind::ScrollUp => (0..3).for_each(|_| self.act(Action::Up)),
            MouseEventKind::Down(MouseButton::Left) => self.click(m.column, m.row),
            _ => {}
        }
    }

    fn click(&mut self, col: u16, row: u16) {
        let (w, h) = self.size;
        let double = self.last_click.is_some_and(|(t, c, r)| {
            r == row && c.abs_diff(col) <= 1 && t.elapsed() <= DOUBLE_CLICK
        });
        self.last_click = Some((Instant::now(), col, row));
        if row == 0 {
            if let Some(v) = self.tab_at(col) {
                self.act(v.action());
            }
            return;
        }
        if row == layout::progress_row(h) {
            let s = &mut self.session;
            if let Some(d) = s
                .playback
                .duration_secs
                .filter(|_| s.playback.track.is_some())
            {
                let ratio = col as f64 / w.max(1) as f64;
                s.seek_to(ratio * d);
            }
            return;
        }
        let Some(i) = layout::list_row(row, self.session.list_height) else {
            return;
        };
        let right = col >= layout::left_pane_width(w);
        if self.select_row(i, right) && double {
            self.act(Action::Activate);
        }
    }

    /// Selects the list row `i` rows below the top of the list on screen (in the right pane
    /// of two-pane views when `right`); `false` when there is no such row.
    fn select_row(&mut self, i: usize, right: bool) -> bool {
        let h = self.session.list_height;
        let pick = |nav: &mut super::ListNav, len: usize| {
            let at = nav.offset + i;
            if at < len {
                nav.selected = at;
                nav.clamp(len, h);
                true
            } else {
                false
            }
        };
        if self.search.open {
            let n = self.views.search.results.len();
            self.search.typing = false;
            return pick(&mut self.views.search.nav, n);
        }
        let v = &mut self.views;
        match self.view {
            View::Library => {
                let n = v.library.rows.len();
                pick(&mut v.library.nav, n)
            }
            View::Queue => {
                let n = v.queue.rows.len();
                v.queue.follow = false;
                pick(&mut v.queue.nav, n)
            }
            View::Genres if right => {
                let n = v.genres.selected_tracks().len();
                let ok = pick(&mut v.genres.tracks_nav, n);
                v.genres.focus_tracks |= ok;
                ok
            }
            View::Genres => {
                let n = v.genres.len();
                v.genres.focus_tracks = false;
                pick(&mut v.genres.nav, n)
            }
            View::Playlists if right => {
                let n = v.playlists.selected().map_or(0, |p| p.tracks.len());
                let ok = pick(&mut v.playlists.tracks_nav, n);
                v.playlists.focus_tracks |= ok;
                ok
            }
            View::Playlists => {
                let n = v.playlists.lists.len();
                v.playlists.focus_tracks = false;
                pick(&mut v.playlists.nav, n)
            }
            View::NowPlaying | View::Training | View::Stats => false,
        }
    }

    /// The view whose tab is at column `col` of the tab line.
    fn tab_at(&self, col: u16) -> Option<View> {
        let keys = self.keymap();
        let mut x = layout::TABS_START;
        for (v, title) in self.tab_titles() {
            let w = layout::tab_width(&keys.hint(v.action()), title);
            if (x..x + w).contains(&(col as usize)) {
                return Some(v);
            }
            x += w;
        }
        None
    }
}
