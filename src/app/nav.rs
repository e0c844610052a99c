//! A scrolled selection in a list: what every list view keeps.

/// The selected row and the first row on screen.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ListNav {
    pub selected: usize,
    pub offset: usize,
}

impl ListNav {
    /// Keeps the selection inside `len` rows and on a screen of `height` rows.
    pub fn clamp(&mut self, len: usize, height: usize) {
        if len == 0 {
            *self = ListNav::default();
            return;
        }
        self.selected = self.selected.min(len - 1);
        let h = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + h {
            self.offset = self.selected + 1 - h;
        }
        self.offset = self.offset.min(len.saturating_sub(h));
    }

    /// Selects row `row` (clamped), scrolled into view.
    pub fn select(&mut self, row: usize, len: usize, height: usize) {
        self.selected = row;
        self.clamp(len, height);
    }

    /// Moves the selection by `delta` rows (clamped).
    pub fn step(&mut self, delta: isize, len: usize, height: usize) {
        if len == 0 {
            return;
        }
        let s = self.selected as isize + delta;
        self.selected = s.clamp(0, len as isize - 1) as usize;
        self.clamp(len, height);
    }

    /// Applies a navigation action; `false` when `a` is not one.
    pub fn on_action(&mut self, a: crate::keys::Action, len: usize, height: usize) -> bool {
        use crate::keys::Action;
        let page = height.max(1) as isize;
        let delta = match a {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::Top => isize::MIN / 2,
            Action::Bottom => isize::MAX / 2,
            _ => return false,
        };
        self.step(delta, len, height);
        true
    }
}
