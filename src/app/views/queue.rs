//! The Queue view: the queue's entries (filtered by the search), the selection, and the keys
//! that edit the queue.

use super::Handled;
use crate::app::nav::ListNav;
use crate::app::search::Filter;
use crate::app::session::Session;
use crate::keys::Action;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueView {
    pub nav: ListNav,
    /// Queue entry indices shown (the search filters the queue too).
    pub visible: Vec<usize>,
    /// Whether a search filters the list (entries cannot be moved then).
    filtered: bool,
}

impl QueueView {
    /// Recomputes which entries show (after any queue change); `searching` is whether there
    /// is search text at all (entries can only be moved on the whole list).
    pub fn refresh(&mut self, s: &Session, filter: Option<&Filter>, searching: bool) {
        let q = &s.queue.entries;
        self.visible = match filter {
            Some(f) => (0..q.len())
                .filter(|&i| s.lib.track(q[i].track).is_some_and(|t| f.matches(t)))
                .collect(),
            None => (0..q.len()).collect(),
        };
        self.filtered = searching;
    }

    /// Keeps the selection inside the list and on screen.
    pub fn clamp(&mut self, height: usize) {
        self.nav.clamp(self.visible.len(), height);
    }

    pub fn on_action(&mut self, a: Action, s: &mut Session) -> Handled {
        if self.nav.on_action(a, self.visible.len(), s.list_height) {
            return Handled::Yes;
        }
        match a {
            Action::Activate => {
                if let Some(&i) = self.visible.get(self.nav.selected) {
                    s.queue.go_to(Some(i));
                    s.play_current();
                }
            }
            Action::QueueRemove => {
                if let Some(&i) = self.visible.get(self.nav.selected) {
                    s.queue.remove(i);
                    s.send_next();
                    s.mark_stale();
                }
            }
            Action::QueueMoveUp | Action::QueueMoveDown => {
                if !self.filtered {
                    let i = self.nav.selected;
                    let j = if a == Action::QueueMoveUp {
                        i.checked_sub(1)
                    } else {
                        Some(i + 1)
                    };
                    if let Some(j) = j.filter(|&j| j < s.queue.entries.len()) {
                        s.queue.swap(i, j);
                        self.nav.selected = j;
                        s.send_next();
                        s.mark_stale();
                    }
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }
}
