//! The Now playing view: the playing track with its genre vector. It has no list of its own;
//! every key it sees is a global one.

use super::Handled;
use crate::app::session::Session;
use crate::keys::Action;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NowPlayingView;

impl NowPlayingView {
    pub fn on_action(&mut self, a: Action, _s: &mut Session) -> Handled {
        match a {
            // Nothing to move in or open here.
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::Collapse
            | Action::Expand
            | Action::Activate => Handled::Yes,
            _ => Handled::No,
        }
    }
}
