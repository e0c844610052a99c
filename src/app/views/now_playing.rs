//! The Now playing view: the playing track with its genre vector, its cover and its lyrics.
//! It has no list of its own; every key it sees is a global one.
//!
//! The cover and the lyrics are loaded by the service's art worker (`service::art`): the view
//! asks for them with [`Effect::LoadArt`] when the track (or the cover's size on screen)
//! changes and keeps what comes back; drawing only ever uses what has arrived.

use std::sync::Arc;

use super::Handled;
use crate::app::event::{ArtRequest, CoverImage, Effect};
use crate::app::session::Session;
use crate::keys::{Action, Scope};
use crate::library::TrackId;
use crate::library::lyrics::{Lyrics, LyricsError};

/// Where the cover stands.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum CoverState {
    /// Nothing asked (covers are off, or nothing plays).
    #[default]
    None,
    /// Asked; the worker is reading and scaling it.
    Loading,
    /// The track has no cover (or it could not be used: the log says why).
    Missing,
    Ready(CoverImage),
}

/// Where the lyrics stand.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum LyricsState {
    #[default]
    None,
    Loading,
    Missing,
    Ready(Arc<Lyrics>),
    /// They could not be had (too large, unreadable): what the pane says instead.
    Refused(String),
}

/// The playing track's cover and lyrics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NowArt {
    /// The track they are for.
    pub track: Option<TrackId>,
    pub cover: CoverState,
    pub lyrics: LyricsState,
    /// The cover size last asked for.
    asked_cells: Option<(u16, u16)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NowPlayingView {
    /// Covers are drawn (the `covers` setting).
    pub covers: bool,
    pub art: NowArt,
}

impl Default for NowPlayingView {
    fn default() -> Self {
        NowPlayingView {
            covers: true,
            art: NowArt::default(),
        }
    }
}

impl NowPlayingView {
    /// Asks for the playing track's lyrics (and its cover at `cells`, the cover area on
    /// screen, when it is shown) when they are not what is held or asked for already.
    pub fn want_art(&mut self, s: &mut Session, cells: Option<(u16, u16)>) {
        let cells = cells.filter(|_| self.covers);
        let Some(track) = s.playback.track else {
            self.art = NowArt::default();
            return;
        };
        let Some(path) = s.lib.track(track).map(|t| t.path.clone()) else {
            return;
        };
        let new_track = self.art.track != Some(track);
        if new_track {
            // The last cover stays up until the new track's answer (the same album's tracks
            // share one): the fields do not jump on every track change.
            let cover = match std::mem::take(&mut self.art.cover) {
                CoverState::Ready(c) => CoverState::Ready(c),
                _ => CoverState::Loading,
            };
            self.art = NowArt {
                track: Some(track),
                cover,
                lyrics: LyricsState::Loading,
                asked_cells: None,
            };
        }
        let cover = match (&self.art.cover, cells) {
            (_, None) => None,
            // No cover at any size: nothing to ask again.
            (CoverState::Missing, _) => None,
            (_, Some(c)) if self.art.asked_cells == Some(c) => None,
            (_, Some(c)) => Some(c),
        };
        if let Some(c) = cover {
            self.art.asked_cells = Some(c);
            if matches!(self.art.cover, CoverState::None) {
                self.art.cover = CoverState::Loading;
            }
        }
        if new_track || cover.is_some() {
            s.push(Effect::LoadArt(ArtRequest {
                track,
                path,
                cover,
                lyrics: new_track,
            }));
        }
    }

    /// A cover arrived (or the worker found none).
    pub fn cover_ready(&mut self, track: TrackId, cells: (u16, u16), cover: Option<CoverImage>) {
        if self.art.track != Some(track) || self.art.asked_cells != Some(cells) {
            return; // for another track or size: a newer answer is on its way
        }
        self.art.cover = match cover {
            Some(c) => CoverState::Ready(c),
            None => CoverState::Missing,
        };
    }

    /// Lyrics arrived (or the worker found none, or refused them).
    pub fn lyrics_ready(
        &mut self,
        track: TrackId,
        lyrics: Result<Option<Arc<Lyrics>>, LyricsError>,
    ) {
        if self.art.track != Some(track) {
            return;
        }
        self.art.lyrics = match lyrics {
            Ok(Some(l)) => LyricsState::Ready(l),
            Ok(None) => LyricsState::Missing,
            Err(e) => LyricsState::Refused(e.short()),
        };
    }
}

impl super::View for NowPlayingView {
    fn on_action(&mut self, a: Action, _s: &mut Session) -> Handled {
        // Nothing to move in or open here.
        if a.scope() == Scope::Navigation {
            Handled::Yes
        } else {
            Handled::No
        }
    }
}
