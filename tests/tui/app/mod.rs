#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The player's state machine without a terminal: keys, player and analysis events go into
//! `App::update`, and the tests check the state and the effects that come out.

use crate::common::tui_fixture;

mod analysis;
mod columns;
mod commands;
mod crossfade;
mod genres;
mod global;
mod library;
mod marks;
mod playing;
mod playlists;
mod queue;
mod search;
mod smart;
mod state;
mod training;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use genreplay::analysis::{AnalysisEvent, Progress};
use genreplay::app::catalog::Catalog;
use genreplay::app::catalog::{BrowseMode, FAILED_GROUP, PENDING_GROUP};
use genreplay::app::play_queue::{Reason, Repeat};
use genreplay::app::{App, Effect, Event, View};
use genreplay::audio::player::{PlayerCommand, PlayerEvent};
use genreplay::config::{Keymap, Theme};
use genreplay::keys::Action;
use genreplay::model::ModelId;
use tui_fixture::*;

fn started(title: &str) -> Event {
    Event::Player(PlayerEvent::Started {
        path: path(title),
        duration_secs: None,
    })
}

fn ended(title: &str) -> Event {
    Event::Player(PlayerEvent::Ended { path: path(title) })
}

fn error(title: &str) -> Event {
    Event::Player(PlayerEvent::Error {
        path: path(title),
        message: format!("cannot decode {title}"),
    })
}

/// Plays the album First (Dawn, Noon, Dusk) from its first track.
fn play_first_album(app: &mut App) -> Vec<Effect> {
    select(app, "Alpha");
    press(app, "l");
    select(app, "First");
    let fx = press_code(app, KeyCode::Enter);
    app.update(started("Dawn"));
    fx
}

fn player(fx: &[Effect]) -> Vec<PlayerCommand> {
    fx.iter()
        .filter_map(|e| match e {
            // The gain for each track loaded is ReplayGain's (its own tests).
            Effect::Player(PlayerCommand::SetGain { .. }) => None,
            Effect::Player(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}
