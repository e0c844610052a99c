//! The Now playing view: the playing track with its genre vector. It has no list of its own;
//! every key it sees is a global one.

use super::Handled;
use crate::app::session::Session;
use crate::keys::{Action, Scope};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NowPlayingView;

impl NowPlayingView {
    pub fn on_action(&mut self, a: Action, _s: &mut Session) -> Handled {
        // Nothing to move in or open here.
        if a.scope() == Scope::Navigation {
            Handled::Yes
        } else {
            Handled::No
        }
    }
}
