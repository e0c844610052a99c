//! "Play next" and auto-DJ on the session: recommendations from the catalog's vectors,
//! never repeating what was played or queued, spreading artists, each entry with its reason.
//! The listener's feedback (`feedback.rs`) leaves disliked tracks out, biases the ranking and
//! keeps what was heard lately (`recent_hours`) back while anything else is left.

use super::catalog::artist_key;
use super::event::Effect;
use super::play_queue::{Moved, QueueEntry, Reason};
use super::session::{Session, tracks_n};
use crate::library::TrackId;
use crate::recommend::similar::{
    Candidate, Pick, QueueOptions, build_queue, eligible_count, extend_chain_relaxing,
};

impl Session {
    pub(super) fn candidate(&self, id: TrackId) -> Option<Candidate> {
        let info = self.lib.track(id)?;
        Some(Candidate {
            id,
            artist: artist_key(&info.artist),
            genre: self.lib.vectors.get(&id)?.clone(),
            style: self.lib.styles.get(&id).cloned(),
            known: self.lib.is_known(id),
        })
    }

    fn pick_entry(&self, p: &Pick) -> QueueEntry {
        let seed = self
            .lib
            .track(p.after)
            .map(|t| t.title.clone())
            .unwrap_or_default();
        let genre = self.lib.labels.get(p.genre).cloned().unwrap_or_default();
        let reason = match Moved::of(p.bias) {
            Some(moved) => Reason::Learned {
                seed,
                genre,
                similarity: p.similarity,
                moved,
            },
            None => Reason::Similar {
                seed,
                genre,
                similarity: p.similarity,
            },
        };
        QueueEntry::new(p.track, reason)
    }

    /// What recommendations must not repeat (played this session and everything queued), and
    /// the artists that just played.
    pub(super) fn recent(&self) -> (Vec<TrackId>, Vec<String>) {
        let mut history: Vec<TrackId> = self.played.clone();
        history.extend(self.queue.upcoming());
        let artists = self
            .played
            .iter()
            .rev()
            .take(self.recommend.options.artist_window.max(1))
            .rev()
            .filter_map(|id| self.lib.track(*id))
            .map(|t| artist_key(&t.artist))
            .collect();
        (history, artists)
    }

    /// "Play next": tracks like `seed` go to the front of up next, replacing the previous
    /// fill; entries you added stay. With nothing playing, the seed plays first.
    pub fn fill_similar(&mut self, seed: Option<TrackId>) {
        let Some(seed_id) = seed else {
            self.set_status(
                "play a track (or select one) to fill the queue with similar ones",
                true,
            );
            return;
        };
        let Some(seed) = self.candidate(seed_id) else {
            self.push(Effect::Bump(seed_id));
            self.set_status(
                "that track is not analysed yet; it is next in line, try again in a moment",
                true,
            );
            return;
        };
        let (pool, opts) = self.learned_options();
        let (mut history, mut artists) = self.recent();
        history.push(seed_id);
        artists.push(seed.artist.clone());
        let lately = self.recently_heard();
        let mut picks = Vec::new();
        // What was heard lately only when nothing else is left.
        for avoid in [lately.as_slice(), &[]] {
            let mut h = history.clone();
            h.extend_from_slice(avoid);
            picks = build_queue(
                &opts,
                &seed,
                &pool,
                &h,
                &artists,
                self.recommend.fill_count,
                &mut self.rng,
            );
            if !picks.is_empty() || avoid.is_empty() {
                break;
            }
        }
        let title = self
            .lib
            .track(seed_id)
            .map(|t| t.title.clone())
            .unwrap_or_default();
        let floor = opts.min_similarity;
        if picks.is_empty() {
            let alike = eligible_count(&opts, &seed, &pool);
            let text = if pool.len() <= 1 {
                "no other analysed tracks to choose from yet".to_string()
            } else if alike > 0 {
                format!(
                    "no more tracks like \"{title}\": the {} that sound like it are already queued or played",
                    tracks_n(alike)
                )
            } else {
                format!(
                    "no tracks like \"{title}\": nothing else is {:.0}% similar or more (min_similarity)",
                    floor * 100.0
                )
            };
            self.set_status(text, true);
            return;
        }
        let entries: Vec<QueueEntry> = picks.iter().map(|p| self.pick_entry(p)).collect();
        let n = entries.len();
        if self.playback.track.is_none() {
            // Nothing plays: the seed first, then what sounds like it.
            let mut all = vec![QueueEntry::new(seed_id, Reason::Added)];
            all.extend(entries);
            self.queue.replace_fill(all);
            self.next_track(true);
        } else {
            self.queue.replace_fill(entries);
            self.send_next();
        }
        let short = if n < self.recommend.fill_count {
            format!(" (no more are {:.0}% similar or more)", floor * 100.0)
        } else {
            String::new()
        };
        self.set_status(
            format!("{} like \"{title}\" will play next{short}", tracks_n(n)),
            false,
        );
    }

    /// The pool to choose from (no disliked track) and the options with the feedback's bias.
    pub(super) fn learned_options(&self) -> (Vec<Candidate>, QueueOptions) {
        let (pool, bias) = self.feedback_pool();
        let opts = QueueOptions {
            bias,
            ..self.recommend.options.clone()
        };
        (pool, opts)
    }

    /// Turns auto-DJ on (starting from `seed` when the queue is empty) or off.
    pub fn toggle_auto_dj(&mut self, seed: Option<TrackId>) {
        self.auto_dj = !self.auto_dj;
        if !self.auto_dj {
            self.set_status("auto-DJ off", false);
            return;
        }
        // A new run: it plays on until every track has played once.
        self.dj_played.clear();
        if let Some(id) = self.queue.current_track() {
            self.dj_played.insert(id);
        }
        let before = self.queue.upcoming_len();
        self.extend_auto_dj(seed);
        let added = self.queue.upcoming_len().saturating_sub(before);
        if self.playback.track.is_none() && self.queue.has_upcoming() {
            self.next_track(true);
        } else {
            self.send_next();
        }
        self.set_status(
            if self.lib.vectors.is_empty() {
                "auto-DJ on (it starts once tracks are analysed)".to_string()
            } else {
                format!("auto-DJ on: the queue keeps going ({added} added)")
            },
            false,
        );
    }

    /// Auto-DJ: keeps at least `auto_dj_ahead` tracks coming after the playing one, adding to
    /// the end of up next, each chosen to follow the one before (the first from `seed` when
    /// nothing is queued). It never dead-ends while unplayed tracks remain: when nothing left is
    /// as similar as the floor it drifts (the floor steps down for one pick) and says so; when
    /// every track has played it says that.
    pub(super) fn extend_auto_dj(&mut self, seed: Option<TrackId>) {
        let start_from = self.dj_from.take();
        if !self.auto_dj {
            return;
        }
        let want = self.recommend.auto_dj_ahead;
        let upcoming = self.queue.upcoming();
        let ahead = upcoming.len();
        if ahead >= want {
            return;
        }
        let from_id = start_from
            .or(upcoming.last().copied())
            .or(self.queue.current_track())
            .or(seed)
            .or_else(|| {
                self.lib
                    .tracks
                    .iter()
                    .find(|t| self.lib.vectors.contains_key(&t.id))
                    .map(|t| t.id)
            });
        let Some(from) = from_id.and_then(|id| self.candidate(id)) else {
            return;
        };
        let (pool, opts) = self.learned_options();
        let (mut history, mut artists) = self.recent();
        history.extend(self.dj_played.iter().copied());
        history.push(from.id);
        artists.push(from.artist.clone());
        let lately = self.recently_heard();
        let mut start = Vec::new();
        if ahead == 0 && self.queue.current.is_none() {
            // Start from the seed itself.
            start.push(QueueEntry::new(from.id, Reason::Added));
        }
        let mut drift = None;
        // What was heard lately only when nothing else is left.
        for avoid in [lately.as_slice(), &[]] {
            let mut h = history.clone();
            h.extend_from_slice(avoid);
            let d = extend_chain_relaxing(
                &opts,
                &from,
                &pool,
                &h,
                &artists,
                want - ahead,
                &mut self.rng,
            );
            let done = !d.picks.is_empty() || avoid.is_empty();
            drift = Some(d);
            if done {
                break;
            }
        }
        let Some(drift) = drift else {
            return;
        };
        let title =
            |s: &Self, id: TrackId| s.lib.track(id).map(|t| t.title.clone()).unwrap_or_default();
        if drift.picks.is_empty() && start.is_empty() {
            if ahead == 0 {
                let waiting = self.lib.tracks.len().saturating_sub(pool.len());
                self.set_status(
                    format!(
                        "auto-DJ: the whole library has been played ({}): nothing left to add{}",
                        tracks_n(pool.len()),
                        if waiting > 0 {
                            format!("; {} not analysed yet", tracks_n(waiting))
                        } else {
                            String::new()
                        }
                    ),
                    false,
                );
            }
            return;
        }
        if let Some(id) = drift.drifted_from {
            let floor = self.recommend.options.min_similarity;
            self.set_status(
                format!(
                    "auto-DJ: nothing left above {:.0}% like \"{}\" — drifting ({})",
                    floor * 100.0,
                    title(self, id),
                    if drift.anything {
                        "to whatever has not played yet".to_string()
                    } else {
                        format!("down to {:.0}%", drift.lowest_floor * 100.0)
                    }
                ),
                false,
            );
        }
        start.extend(drift.picks.iter().map(|p| self.pick_entry(p)));
        self.queue.extend_quietly(start);
    }
}
