//! Stations on the session ([`crate::recommend::stations`]): *your mix* from the listening
//! history, *a path* from one track to another, *a mix of the marked tracks*. Each fills up
//! next as "play next" does (replacing the previous fill, keeping what you added; with nothing
//! playing the first one plays), each entry with its reason, and says what it did.

use std::collections::HashSet;

use super::catalog::artist_key;
use super::play_queue::{Moved, QueueEntry, Reason};
use super::session::{Session, tracks_n};
use crate::library::TrackId;
use crate::recommend::similar::Candidate;
use crate::recommend::stations::{self, StationPick};

/// How many tracks a path from the TUI has (both ends included).
pub const PATH_STEPS: usize = 10;
/// At most this many tracks of one artist in a path.
pub const PATH_ARTIST_CAP: usize = 2;

/// The seeds of a mix of marked tracks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Seeds {
    pub like: Vec<TrackId>,
    pub less: Vec<TrackId>,
}

impl Session {
    fn title_of(&self, id: TrackId) -> String {
        self.lib
            .track(id)
            .map(|t| t.title.clone())
            .unwrap_or_default()
    }

    fn genre_name(&self, p: &StationPick) -> String {
        self.lib.labels.get(p.genre).cloned().unwrap_or_default()
    }

    /// What a station must not choose: played this session, playing, or queued — but not the
    /// recommender's picks in up next, which the station replaces.
    fn station_history(&self) -> HashSet<TrackId> {
        let (history, _) = self.recent();
        let picks: HashSet<TrackId> = self
            .queue
            .up_next
            .iter()
            .filter(|e| e.reason.is_pick())
            .map(|e| e.track)
            .collect();
        let played: HashSet<TrackId> = self.played.iter().copied().collect();
        history
            .into_iter()
            .filter(|t| !picks.contains(t) || played.contains(t))
            .chain(self.queue.current_track())
            .collect()
    }

    /// What must not come again ([`Session::station_history`], and what was heard lately
    /// while anything else is left: the second set).
    fn station_exclude(&self) -> [HashSet<TrackId>; 2] {
        let all = self.station_history();
        let mut lately = all.clone();
        lately.extend(self.recently_heard());
        [lately, all]
    }

    /// Puts `entries` in up next as "play next" does and says `status`.
    fn fill_station(&mut self, entries: Vec<QueueEntry>, status: String) {
        if self.playback.track.is_none() {
            self.queue.replace_fill(entries);
            self.next_track(true);
        } else {
            self.queue.replace_fill(entries);
            self.send_next();
        }
        self.set_status(status, false);
    }

    fn with_feedback(&self, p: &StationPick, text: String) -> QueueEntry {
        let text = match Moved::of(p.bias) {
            Some(m) => format!("{text} · {}", m.describe()),
            None => text,
        };
        QueueEntry::new(p.track, Reason::Station(text))
    }

    /// *Your mix*: what sounds like the tracks the listener plays and likes most.
    pub fn your_mix(&mut self) {
        let (pool, opts) = self.learned_options();
        // Disliked tracks are out of the pool but still push the taste away.
        let heard: Vec<(Candidate, crate::store::history::HistoryRecord)> = self
            .history
            .iter()
            .filter_map(|(id, r)| Some((self.candidate(*id)?, *r)))
            .collect();
        let pairs: Vec<(&Candidate, _)> = heard.iter().map(|(c, r)| (c, *r)).collect();
        let centroid = match stations::taste_centroid(&pairs, crate::store::now_unix()) {
            Ok(c) => c,
            Err(e) => return self.set_status(format!("your mix: {e}"), true),
        };
        let last = self
            .playback
            .track
            .and_then(|id| self.lib.track(id))
            .map(|t| artist_key(&t.artist));
        let n = self.recommend.fill_count;
        let mut picks = Vec::new();
        for exclude in self.station_exclude() {
            picks = stations::your_mix(&opts, &pool, &centroid, &exclude, last.as_deref(), n);
            if !picks.is_empty() {
                break;
            }
        }
        if picks.is_empty() {
            return self.set_status(
                "your mix: every track like your taste is queued or played",
                true,
            );
        }
        let entries = picks
            .iter()
            .map(|p| {
                let text = format!(
                    "your mix: {}, {:.0}% your taste",
                    self.genre_name(p),
                    p.similarity * 100.0
                );
                self.with_feedback(p, text)
            })
            .collect();
        let status = format!("your mix: {}", tracks_n(picks.len()));
        self.fill_station(entries, status);
    }

    /// *A path* from `from` to `to`: [`PATH_STEPS`] tracks, each a step from one's sound toward
    /// the other's. When `from` is playing, the path after it goes to up next; otherwise the
    /// whole path, `from` first.
    pub fn path_between(&mut self, from: TrackId, to: TrackId) {
        let (Some(a), Some(b)) = (self.candidate(from), self.candidate(to)) else {
            return self.set_status("a path needs two analysed tracks", true);
        };
        let (pool, _) = self.feedback_pool();
        let mut exclude = self.station_history();
        exclude.remove(&from);
        exclude.remove(&to);
        let path = match stations::path(&pool, &a, &b, &exclude, PATH_STEPS, PATH_ARTIST_CAP) {
            Ok(p) => p,
            Err(e) => return self.set_status(format!("path: {e}"), true),
        };
        let (ta, tb) = (self.title_of(from), self.title_of(to));
        let len = path.len();
        let playing = self.playback.track == Some(from);
        let entries = path
            .iter()
            .filter(|p| !(playing && p.track == from))
            .map(|p| {
                let step = p.step.unwrap_or(0);
                let text = format!(
                    "step {step}/{len} toward {tb}: {}, {:.0}% like the step's sound",
                    self.genre_name(p),
                    p.similarity * 100.0
                );
                QueueEntry::new(p.track, Reason::Station(text))
            })
            .collect();
        let short = if len < PATH_STEPS {
            " (fewer tracks were left on the way)"
        } else {
            ""
        };
        self.fill_station(
            entries,
            format!("path: {len} steps from \"{ta}\" to \"{tb}\"{short}"),
        );
    }

    /// *A mix of several seeds*: what sounds like `seeds.like` together and less like
    /// `seeds.less`.
    pub fn mix_seeds(&mut self, seeds: &Seeds) {
        let like: Vec<Candidate> = seeds
            .like
            .iter()
            .filter_map(|id| self.candidate(*id))
            .collect();
        let less: Vec<Candidate> = seeds
            .less
            .iter()
            .filter_map(|id| self.candidate(*id))
            .collect();
        let waiting = seeds.like.len() + seeds.less.len() - like.len() - less.len();
        let (pool, opts) = self.learned_options();
        let (_, artists) = self.recent();
        let mut all = self.station_history();
        all.extend(seeds.like.iter().chain(&seeds.less));
        let mut lately = all.clone();
        lately.extend(self.recently_heard());
        let n = self.recommend.fill_count;
        let mut picks = Ok(Vec::new());
        for exclude in [lately, all] {
            picks = stations::blend(&opts, &like, &less, &pool, &exclude, &artists, n);
            if picks.as_ref().is_ok_and(|p| !p.is_empty()) || picks.is_err() {
                break;
            }
        }
        let picks = match picks {
            Ok(p) if p.is_empty() => {
                return self.set_status("mix: nothing left that is not queued or played", true);
            }
            Ok(p) => p,
            Err(e) => return self.set_status(format!("mix: {e}"), true),
        };
        let less_text = match less.as_slice() {
            [] => String::new(),
            [one] => format!(", less like {}", self.title_of(one.id)),
            more => format!(", less like {} others", more.len()),
        };
        let entries = picks
            .iter()
            .map(|p| {
                let text = format!(
                    "mix of {} seeds: {}, {:.0}% like each{less_text}",
                    like.len(),
                    self.genre_name(p),
                    p.similarity * 100.0
                );
                self.with_feedback(p, text)
            })
            .collect();
        let waiting = if waiting > 0 {
            format!(" ({} not analysed yet left out)", tracks_n(waiting))
        } else {
            String::new()
        };
        let status = format!(
            "mix of {} marked: {}{}{waiting}",
            tracks_n(like.len()),
            tracks_n(picks.len()),
            if less.is_empty() {
                String::new()
            } else {
                format!(", less like {}", tracks_n(less.len()))
            }
        );
        self.fill_station(entries, status);
    }
}
