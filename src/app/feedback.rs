//! The listener's feedback on the session: plays and skips counted by the rules of
//! [`super::listening`], likes and dislikes, kept in memory for the rows and the recommender
//! and sent to the store as effects (written off the UI thread); what "play next" and auto-DJ
//! learn from them ([`crate::recommend::taste`]).

use std::collections::HashMap;

use super::event::Effect;
use super::session::Session;
use crate::library::TrackId;
use crate::recommend::similar::{Bias, Candidate};
use crate::recommend::taste::{self, Signal};
use crate::store::history::{HistoryRecord, Listen, Rating};

/// The history examples the taste model is fitted on at most (the most recent ones).
const MAX_EXAMPLES: usize = 1_000;

impl Session {
    /// A listen was counted: remembered, stored, learnt from.
    pub(super) fn counted(&mut self, done: Option<super::listening::Counted>) {
        let Some(super::listening::Counted {
            track,
            listen,
            started,
            heard_secs,
        }) = done
        else {
            return;
        };
        let at = crate::store::now_unix();
        let r = self.history.entry(track).or_default();
        *r = r.with_listen(listen, at);
        self.push(Effect::Listened {
            track,
            listen,
            at,
            started,
            heard_secs,
        });
        let signal = match listen {
            Listen::Play => Signal::Finished,
            Listen::Skip => Signal::Skipped,
        };
        self.refit_taste();
        self.learn(track, signal);
    }

    /// Feedback on `track` moves what comes next: noted for this session and, with auto-DJ on
    /// after a skip or a dislike, the recommended tracks still to come are chosen again.
    fn learn(&mut self, track: TrackId, signal: Signal) {
        let Some(c) = self.candidate(track) else {
            return;
        };
        self.taste.note(taste::sound_of(&c), signal);
        match signal {
            Signal::Finished | Signal::Liked => self.dj_anchor = Some(track),
            Signal::Skipped | Signal::Disliked => {
                // (After a stop nothing plays on: the picks wait for the next start.)
                if self.auto_dj && self.queue.current_track().is_some() {
                    // The picks to come followed what was just turned down: they are chosen
                    // again, following the last track the listener kept.
                    self.queue.drop_picks();
                    self.dj_from = self.dj_anchor.filter(|&a| a != track);
                    let from = self.queue.current_track();
                    self.extend_auto_dj(from);
                }
            }
        }
    }

    /// Sets the rating of `track` (the playing or selected one).
    pub fn rate(&mut self, track: Option<TrackId>, rating: Rating) {
        let Some(track) = track else {
            self.set_status("play or select a track to rate it", true);
            return;
        };
        let at = crate::store::now_unix();
        let r = self.history.entry(track).or_default();
        let before = r.rating;
        *r = r.with_rating(rating, at);
        // The rows read the rating as they are drawn: nothing to rebuild.
        self.push(Effect::Rate { track, rating, at });
        let title = self
            .lib
            .track(track)
            .map(|t| t.title.clone())
            .unwrap_or_default();
        self.set_status(
            match rating {
                Rating::Like => format!("liked \"{title}\""),
                Rating::Dislike => {
                    format!("disliked \"{title}\": play next and auto-DJ will not choose it")
                }
                Rating::None => format!("\"{title}\" is no longer rated"),
            },
            false,
        );
        match rating {
            Rating::Like if before != Rating::Like => self.learn(track, Signal::Liked),
            Rating::Dislike if before != Rating::Dislike => {
                // Never offered again: out of what the recommender queued.
                self.queue.drop_pick(track);
                self.learn(track, Signal::Disliked);
                self.send_next();
            }
            _ => {}
        }
    }

    /// What search filters and smart playlists read of the history: it, and the time now.
    pub fn facts(&self) -> crate::app::search::Facts<'_> {
        crate::app::search::Facts::new(&self.history, crate::util::time::now_unix())
    }

    /// Every track's listening record.
    pub fn history(&self) -> &std::collections::HashMap<TrackId, HistoryRecord> {
        &self.history
    }

    pub fn rating_of(&self, track: TrackId) -> Rating {
        self.history.get(&track).map_or(Rating::None, |r| r.rating)
    }

    pub fn history_of(&self, track: TrackId) -> Option<&HistoryRecord> {
        self.history.get(&track)
    }

    /// The store's history arrived (at the start): it is what the session knows from now on,
    /// and the taste model is fitted from it.
    pub fn history_loaded(&mut self, history: HashMap<TrackId, HistoryRecord>) {
        for (id, r) in history {
            // A listen counted before the history arrived is in the store's record already
            // or comes back with its own answer.
            self.history.insert(id, r);
        }
        self.refit_taste();
    }

    /// The store's record of a track after a change (what it really holds).
    pub fn history_changed(&mut self, track: TrackId, record: HistoryRecord) {
        self.history.insert(track, record);
    }

    /// Fits the taste model from the history (the most recent [`MAX_EXAMPLES`] tracks that
    /// have vectors).
    pub fn refit_taste(&mut self) {
        let now = crate::store::now_unix();
        let mut recent: Vec<(&TrackId, &HistoryRecord)> = self.history.iter().collect();
        recent.sort_by_key(|(_, r)| std::cmp::Reverse(r.updated_unix));
        let examples: Vec<(Vec<f32>, bool, f32)> = recent
            .into_iter()
            .filter_map(|(id, r)| {
                let (finished, weight) = taste::example_of(r, now)?;
                let c = self.candidate(*id)?;
                Some((taste::sound_of(&c), finished, weight))
            })
            .take(MAX_EXAMPLES)
            .collect();
        self.taste.set_model(taste::fit(&examples));
    }

    /// The candidates "play next" and auto-DJ choose from: analysed, never a disliked track,
    /// with the feedback's bias on each.
    pub(super) fn feedback_pool(&self) -> (Vec<Candidate>, Bias) {
        let mut pool = self.lib.candidates();
        pool.retain(|c| self.rating_of(c.id) != Rating::Dislike);
        let bias = Bias::new(self.taste.biases(&pool));
        (pool, bias)
    }

    /// Tracks played or skipped within the configured window (`recent_hours`), which play
    /// next and auto-DJ avoid while there is anything else.
    pub(super) fn recently_heard(&self) -> Vec<TrackId> {
        let window = self.recommend.recent_hours.saturating_mul(3600);
        if window == 0 {
            return Vec::new();
        }
        let since = crate::store::now_unix().saturating_sub(window);
        self.history
            .iter()
            .filter(|(_, r)| {
                r.last_played_unix.max(r.last_skipped_unix).unwrap_or(0) >= since.max(1)
            })
            .map(|(id, _)| *id)
            .collect()
    }
}
