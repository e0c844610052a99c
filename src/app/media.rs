//! What desktop media controls (MPRIS: media keys, the desktop's player widget) see of the
//! player: a small snapshot of the session ([`MediaState`]), cheap enough to take after every
//! event. The service compares it with the last one it sent, so only changes leave the UI
//! thread; the track's part is shared ([`Arc`]) and rebuilt only when the track, its tags or
//! its genre change. The same snapshots feed `genreplay ctl events` and `status_program`
//! (`service::events`), so the media controls and the scripts see one account of changes.

use std::path::PathBuf;
use std::sync::Arc;

use super::play_queue::Repeat;
use super::remote::PlayState;
use super::session::Session;
use crate::library::TrackId;
use crate::store::history::Rating;

/// The loaded track, as a desktop widget shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaTrack {
    pub id: TrackId,
    pub path: PathBuf,
    pub title: String,
    pub artist: String,
    pub album: String,
    pub album_artist: Option<String>,
    pub track_no: Option<u32>,
    pub duration_secs: Option<f64>,
    /// The classifier's top genre. None while the track is not classified, and for a track
    /// the model is unsure of (its top guess would be a claim the model does not make).
    pub genre: Option<String>,
}

/// The player as media controls see it.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaState {
    pub state: PlayState,
    pub track: Option<Arc<MediaTrack>>,
    pub position_secs: f64,
    /// 1.0 = 100 %; up to 1.5 when boosted; 0.0 while muted.
    pub volume: f64,
    pub shuffle: bool,
    pub repeat: Repeat,
    /// Something would play after this track (up next, the context, repeat).
    pub can_next: bool,
    /// A track is loaded: "previous" goes back, or to its start.
    pub can_previous: bool,
    /// A track is loaded or the queue has one to start.
    pub can_play: bool,
    /// The listener's rating of the loaded track (`None` without a track).
    pub rating: Rating,
    /// How many times the queue changed ([`super::play_queue::Queue::changes`]).
    pub queue_changes: u64,
    /// Tracks still to come (up next and the context's rest).
    pub upcoming: usize,
}

impl Default for MediaState {
    fn default() -> Self {
        MediaState {
            state: PlayState::Stopped,
            track: None,
            position_secs: 0.0,
            volume: 1.0,
            shuffle: false,
            repeat: Repeat::Off,
            can_next: false,
            can_previous: false,
            can_play: false,
            rating: Rating::None,
            queue_changes: 0,
            upcoming: 0,
        }
    }
}

impl MediaState {
    /// A track is loaded (it can be paused and sought in).
    pub fn has_track(&self) -> bool {
        self.track.is_some()
    }
}

/// Takes snapshots, reusing the last track's until it changes.
#[derive(Debug, Default)]
pub struct MediaWatch {
    track: Option<Arc<MediaTrack>>,
    /// The queue's change count and its upcoming length then (counted again only when the
    /// queue changed: a context may hold 100,000 tracks).
    upcoming: Option<(u64, usize)>,
}

impl MediaWatch {
    pub fn snapshot(&mut self, s: &Session) -> MediaState {
        let p = &s.playback;
        let state = match (p.track, p.paused) {
            (None, _) => PlayState::Stopped,
            (Some(_), true) => PlayState::Paused,
            (Some(_), false) => PlayState::Playing,
        };
        let track = p.track.map(|id| self.track_of(s, id));
        let next = s.queue.peek_next(s.shuffle, s.repeat).is_some();
        MediaState {
            state,
            position_secs: if track.is_some() {
                p.position_secs.max(0.0)
            } else {
                0.0
            },
            track,
            volume: if p.muted {
                0.0
            } else {
                f64::from(p.volume) / 100.0
            },
            shuffle: s.shuffle,
            repeat: s.repeat,
            can_next: next,
            can_previous: p.track.is_some(),
            can_play: p.track.is_some() || s.queue.current_track().is_some() || next,
            rating: p.track.map_or(Rating::None, |id| s.rating_of(id)),
            queue_changes: s.queue.changes(),
            upcoming: self.upcoming_of(s),
        }
    }

    fn upcoming_of(&mut self, s: &Session) -> usize {
        let changes = s.queue.changes();
        match self.upcoming {
            Some((c, n)) if c == changes => n,
            _ => {
                let n = s.queue.upcoming_len();
                self.upcoming = Some((changes, n));
                n
            }
        }
    }

    fn track_of(&mut self, s: &Session, id: TrackId) -> Arc<MediaTrack> {
        let info = s.lib.track(id);
        let genre = if s.lib.is_known(id) {
            s.lib.genre_of(id).map(|(g, _)| g)
        } else {
            None
        };
        let duration = s
            .playback
            .duration_secs
            .or_else(|| info.and_then(|t| t.duration_secs));
        if let Some(t) = &self.track
            && t.id == id
            && t.genre.as_deref() == genre
            && t.duration_secs == duration
            && info.is_none_or(|i| i.title == t.title && i.artist == t.artist && i.album == t.album)
        {
            return t.clone();
        }
        let t = Arc::new(match info {
            Some(i) => MediaTrack {
                id,
                path: i.path.clone(),
                title: i.title.clone(),
                artist: i.artist.clone(),
                album: i.album.clone(),
                album_artist: i.album_artist.clone(),
                track_no: i.track_no,
                duration_secs: duration,
                genre: genre.map(str::to_string),
            },
            // Playing a file the catalog no longer has (removed from disk while it plays).
            None => MediaTrack {
                id,
                path: PathBuf::new(),
                title: "(not in the library)".into(),
                artist: String::new(),
                album: String::new(),
                album_artist: None,
                track_no: None,
                duration_secs: duration,
                genre: None,
            },
        });
        self.track = Some(t.clone());
        t
    }
}
