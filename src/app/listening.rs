//! What a listen counts as. A **play**: the track reached its end, or at least half of it or
//! [`PLAY_SECS`] of it were heard (the scrobbling rule). A **skip**: the track was left (next,
//! another track, stop) before its end after less than [`SKIP_SECS`] of it were heard.
//! Anything between is neither. Time paused is not listening, and neither is a seek: only the
//! player's position moving on while it plays counts as heard.

use crate::library::TrackId;
use crate::store::history::Listen;

/// Heard this long, a track counts as played whatever its length.
pub const PLAY_SECS: f64 = 240.0;
/// Left after less than this, a track counts as skipped.
pub const SKIP_SECS: f64 = 30.0;
/// A position step longer than this is a seek (or a late report), not listening.
const MAX_STEP_SECS: f64 = 3.0;

/// The rule: what leaving a track after hearing `heard` seconds of it counts as.
pub fn judge(heard: f64, duration: Option<f64>, reached_end: bool) -> Option<Listen> {
    let half = duration
        .filter(|d| d.is_finite() && *d > 0.0)
        .map(|d| d / 2.0);
    if reached_end || heard >= PLAY_SECS || half.is_some_and(|h| heard >= h) {
        Some(Listen::Play)
    } else if heard < SKIP_SECS {
        Some(Listen::Skip)
    } else {
        None
    }
}

/// A listen that counted: the track, what it counted as, when it started (Unix seconds) and
/// how many seconds of it were heard (what the listen log keeps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub track: TrackId,
    pub listen: Listen,
    pub started: u64,
    pub heard_secs: u32,
}

/// The most earlier ids a track listened to keeps (its file moved while it played).
const MAX_ALIASES: usize = 8;

/// The track being listened to and how much of it was heard.
#[derive(Debug, Clone, Default)]
pub struct Listening {
    track: Option<TrackId>,
    /// The ids `track` had before its file moved while it played (the player still names it
    /// by the path it opened); at most [`MAX_ALIASES`].
    aliases: Vec<TrackId>,
    /// When it started (Unix seconds).
    started: u64,
    duration: Option<f64>,
    heard: f64,
    last_position: f64,
}

impl Listening {
    /// `track` starts (from its beginning); what the one before it counts as, if it was left
    /// unfinished. A track started again from its beginning was not rejected: leaving it for
    /// itself is no skip (a play still counts).
    pub fn start(&mut self, track: TrackId, duration: Option<f64>) -> Option<Counted> {
        let before = self
            .finish(false)
            .filter(|c| !(c.track == track && c.listen == Listen::Skip));
        self.track = Some(track);
        self.aliases.clear();
        self.started = crate::util::time::now_unix();
        self.duration = duration;
        self.heard = 0.0;
        self.last_position = 0.0;
        before
    }

    pub fn track(&self) -> Option<TrackId> {
        self.track
    }

    /// The file being listened to moved (old id → new id in `moved`): it counts under its new id.
    pub fn rename(&mut self, moved: &std::collections::HashMap<TrackId, TrackId>) {
        if let Some((old, new)) = self.track.and_then(|t| moved.get(&t).map(|n| (t, *n))) {
            self.track = Some(new);
            if self.aliases.len() >= MAX_ALIASES {
                self.aliases.remove(0);
            }
            self.aliases.push(old);
        }
    }

    /// Whether the track listened to is `id` (or was, before its file moved while it played).
    pub fn is(&self, id: TrackId) -> bool {
        self.track == Some(id) || (self.track.is_some() && self.aliases.contains(&id))
    }

    /// The player knows the length better than the tags.
    pub fn set_duration(&mut self, track: TrackId, duration: Option<f64>) {
        if self.track == Some(track) && duration.is_some() {
            self.duration = duration;
        }
    }

    /// The player is at `secs`; while it plays, the step since the last position was heard.
    pub fn position(&mut self, secs: f64, paused: bool) {
        if !secs.is_finite() {
            return;
        }
        let step = secs - self.last_position;
        if !paused && step > 0.0 && step <= MAX_STEP_SECS {
            self.heard += step;
        }
        self.last_position = secs;
    }

    /// The track ends (`reached_end`) or is left; what it counts as.
    pub fn finish(&mut self, reached_end: bool) -> Option<Counted> {
        let track = self.track.take()?;
        judge(self.heard, self.duration, reached_end).map(|listen| Counted {
            track,
            listen,
            started: self.started,
            heard_secs: self.heard.round() as u32,
        })
    }

    /// The track could not play: it counts as nothing.
    pub fn abandon(&mut self) {
        self.track = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counting_rules() {
        // Reached the end, however little was heard (a seek to near the end, then the end).
        assert_eq!(judge(1.0, Some(200.0), true), Some(Listen::Play));
        // Half of it.
        assert_eq!(judge(100.0, Some(200.0), false), Some(Listen::Play));
        assert_eq!(judge(99.0, Some(200.0), false), None);
        // Four minutes of a long track.
        assert_eq!(judge(240.0, Some(3600.0), false), Some(Listen::Play));
        assert_eq!(judge(239.0, Some(3600.0), false), None);
        // Left early.
        assert_eq!(judge(29.9, Some(200.0), false), Some(Listen::Skip));
        assert_eq!(judge(30.0, Some(200.0), false), None);
        // A 40 s track left after 20 s: half heard.
        assert_eq!(judge(20.0, Some(40.0), false), Some(Listen::Play));
        // No length known: only the four minutes or the end count as a play.
        assert_eq!(judge(100.0, None, false), None);
        assert_eq!(judge(5.0, Some(f64::NAN), false), Some(Listen::Skip));
    }

    #[test]
    fn paused_time_and_seeks_are_not_heard() {
        let mut l = Listening::default();
        let t = TrackId(1);
        assert_eq!(l.start(t, Some(200.0)), None);
        for i in 1..=20 {
            l.position(i as f64, false);
        }
        // Paused for a long while: the position does not move on; if it did, it is not heard.
        for _ in 0..100 {
            l.position(20.5, true);
        }
        // A seek forward to 150 s: not heard.
        l.position(150.0, false);
        l.position(151.0, false);
        // 21.5 s heard: leaving now is a skip.
        let left = l.start(TrackId(2), Some(60.0)).unwrap();
        assert_eq!(
            (left.track, left.listen, left.heard_secs),
            (t, Listen::Skip, 21)
        );
        // The next one reached its end.
        l.position(1.0, false);
        let ended = l.finish(true).unwrap();
        assert_eq!(
            (ended.track, ended.listen, ended.heard_secs),
            (TrackId(2), Listen::Play, 1)
        );
        // Started again from its beginning: no skip of itself; a play still counts.
        l.start(TrackId(3), Some(60.0));
        l.position(2.0, false);
        assert_eq!(l.start(TrackId(3), Some(60.0)), None);
        for s in 1..=40 {
            l.position(f64::from(s), false);
        }
        let again = l.start(TrackId(3), Some(60.0)).unwrap();
        assert_eq!((again.track, again.listen), (TrackId(3), Listen::Play));
        l.abandon();
        // Nothing is counted twice.
        assert_eq!(l.finish(false), None);
        l.start(TrackId(3), None);
        l.abandon();
        assert_eq!(l.finish(false), None);
    }
}
