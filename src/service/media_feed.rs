//! The one change detection for everything outside that follows the player (MPRIS, `ctl
//! events`, `status_program`): after each batch of events the UI loop takes a
//! [`MediaState`] snapshot ([`MediaWatch`]) and compares it with the last one; a seek the app
//! asked for is recognised when the position leaves playback's course.

use std::time::{Duration, Instant};

use crate::app::Session;
use crate::app::media::{MediaState, MediaWatch};
use crate::app::remote::PlayState;

/// A seek not seen in the positions after this long is announced anyway.
const SEEK_REPORT: Duration = Duration::from_millis(600);
/// How far the position must leave its course to count as the seek's result, seconds.
const SEEK_JUMP: f64 = 0.35;

/// What changed since the last batch.
#[derive(Debug, Clone)]
pub struct MediaUpdate {
    /// The snapshot before (none for the first).
    pub prev: Option<MediaState>,
    pub now: MediaState,
    /// A seek the app asked for shows in `now`.
    pub seeked: bool,
}

impl MediaUpdate {
    /// Something differs from the last snapshot.
    pub fn changed(&self) -> bool {
        self.prev.as_ref() != Some(&self.now)
    }
}

/// Takes the snapshots and remembers the last one.
#[derive(Debug)]
pub struct MediaFeed {
    watch: MediaWatch,
    last: Option<MediaState>,
    /// When the last snapshot's position was new.
    position_at: Instant,
    /// A seek was sent to the player and not yet seen.
    seek_pending: Option<Instant>,
}

impl Default for MediaFeed {
    fn default() -> Self {
        MediaFeed {
            watch: MediaWatch::default(),
            last: None,
            position_at: Instant::now(),
            seek_pending: None,
        }
    }
}

impl MediaFeed {
    /// The app sent a seek to the player: the next position jump is the seek's result.
    pub fn seek_requested(&mut self) {
        self.seek_pending = Some(Instant::now());
    }

    /// The snapshot of now, with the one before it.
    pub fn take(&mut self, s: &Session) -> MediaUpdate {
        let now = self.watch.snapshot(s);
        let seeked = self.seeked(&now);
        if self
            .last
            .as_ref()
            .is_none_or(|l| l.position_secs != now.position_secs)
        {
            self.position_at = Instant::now();
        }
        let prev = self.last.replace(now.clone());
        MediaUpdate { prev, now, seeked }
    }

    /// Whether `now` shows the result of the pending seek: the position left the course
    /// playback was on (or the player took long to say where it went).
    fn seeked(&mut self, now: &MediaState) -> bool {
        let Some(asked) = self.seek_pending else {
            return false;
        };
        let Some(last) = &self.last else {
            return false;
        };
        if last.track.as_ref().map(|t| t.id) != now.track.as_ref().map(|t| t.id)
            || now.track.is_none()
        {
            // Another track (or none): no seek to announce.
            self.seek_pending = None;
            return false;
        }
        let moving = if last.state == PlayState::Playing {
            self.position_at.elapsed().as_secs_f64()
        } else {
            0.0
        };
        let expected = last.position_secs + moving;
        if (now.position_secs - expected).abs() > SEEK_JUMP || asked.elapsed() > SEEK_REPORT {
            self.seek_pending = None;
            return true;
        }
        false
    }
}
