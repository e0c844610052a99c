//! What the views share: the catalog, the queue, what plays, the history, the recommender's
//! options and the status line. Views change it through its methods; it collects the effects
//! for the outside world and marks when derived view state must be rebuilt.

use std::path::PathBuf;
use std::time::Instant;

use rand::SeedableRng;

use super::catalog::Catalog;
use super::event::Effect;
use super::play_queue::{Queue, Reason, Repeat};
use crate::analysis::{AnalysisEvent, Progress};
use crate::audio::player::{PlayerCommand, PlayerEvent};
use crate::keys::Keymap;
use crate::library::TrackId;
use crate::recommend::similar::QueueOptions;

/// What plays.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Playback {
    pub track: Option<TrackId>,
    pub paused: bool,
    pub position_secs: f64,
    pub duration_secs: Option<f64>,
    /// 0–150 %.
    pub volume: u8,
    /// `Some(reason)` when there is no sound card and playback is silent.
    pub silent: Option<String>,
    pub output: Option<String>,
}

/// Background analysis as the status line shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisStatus {
    pub progress: Option<Progress>,
    pub running: bool,
    pub failed: usize,
    pub model: Option<String>,
}

/// A line for the status bar.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusMessage {
    pub text: String,
    pub error: bool,
    pub at: Instant,
}

/// How "play next" and auto-DJ choose.
#[derive(Debug, Clone, PartialEq)]
pub struct RecommendSettings {
    pub options: QueueOptions,
    /// Tracks a "play next" fill adds.
    pub fill_count: usize,
    /// Auto-DJ keeps the queue at least this many tracks ahead.
    pub auto_dj_ahead: usize,
    /// Genre playlists leave out tracks less certain than this.
    pub min_confidence: f32,
}

impl Default for RecommendSettings {
    fn default() -> Self {
        RecommendSettings {
            options: QueueOptions::default(),
            fill_count: 15,
            auto_dj_ahead: 5,
            min_confidence: 0.0,
        }
    }
}

/// The state every view may read and change.
pub struct Session {
    pub lib: Catalog,
    pub queue: Queue,
    pub playback: Playback,
    pub shuffle: bool,
    pub repeat: Repeat,
    pub auto_dj: bool,
    pub recommend: RecommendSettings,
    pub analysis: AnalysisStatus,
    pub status: Option<StatusMessage>,
    pub keymap: Keymap,
    /// Rows available to lists (terminal height minus the chrome).
    pub list_height: usize,
    /// The active model (id, name), for the Training view and the status line.
    pub model: Option<(String, String)>,
    /// Tracks played this session, oldest first (not repeated by recommendations).
    pub(super) played: Vec<TrackId>,
    pub(super) rng: rand::rngs::StdRng,
    /// Consecutive tracks that failed to play (to stop skipping through a broken queue).
    play_errors: usize,
    effects: Vec<Effect>,
    /// The catalog or the queue changed: the views' derived rows must be rebuilt.
    stale: bool,
}

impl Session {
    pub fn new(lib: Catalog, keymap: Keymap, volume: u8) -> Self {
        Session {
            lib,
            queue: Queue::default(),
            playback: Playback {
                volume: volume.min(150),
                ..Default::default()
            },
            shuffle: false,
            repeat: Repeat::Off,
            auto_dj: false,
            recommend: RecommendSettings::default(),
            analysis: AnalysisStatus::default(),
            status: None,
            keymap,
            list_height: 20,
            model: None,
            played: vec![],
            rng: rand::rngs::StdRng::seed_from_u64(0x5eed),
            play_errors: 0,
            effects: vec![],
            stale: false,
        }
    }

    /// Reseeds shuffle (the run loop seeds from the clock; tests keep the fixed seed).
    pub fn seed(&mut self, seed: u64) {
        self.rng = rand::rngs::StdRng::seed_from_u64(seed);
    }

    pub fn set_status(&mut self, text: impl Into<String>, error: bool) {
        self.status = Some(StatusMessage {
            text: text.into(),
            error,
            at: Instant::now(),
        });
    }

    pub fn push(&mut self, fx: Effect) {
        self.effects.push(fx);
    }

    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// Marks the views' derived state as out of date.
    pub fn mark_stale(&mut self) {
        self.stale = true;
    }

    pub fn take_stale(&mut self) -> bool {
        std::mem::take(&mut self.stale)
    }

    /// The user starts something: playback failures before it no longer count.
    pub fn reset_play_errors(&mut self) {
        self.play_errors = 0;
    }

    // ---------------------------------------------------------------- playback

    fn path_of(&self, id: TrackId) -> Option<PathBuf> {
        self.lib.track(id).map(|t| t.path.clone())
    }

    /// Starts the queue's current entry and tells the player what comes next.
    pub fn play_current(&mut self) {
        match self
            .queue
            .current_track()
            .and_then(|t| self.path_of(t).map(|p| (t, p)))
        {
            Some((id, path)) => {
                self.note_played(id);
                self.extend_auto_dj(self.playback.track);
                self.playback.track = Some(id);
                self.playback.position_secs = 0.0;
                self.playback.duration_secs = self.lib.track(id).and_then(|t| t.duration_secs);
                self.push(Effect::Player(PlayerCommand::Load {
                    path,
                    paused: false,
                }));
                self.push(Effect::Bump(id));
                self.send_next();
            }
            None => {
                self.playback.track = None;
                self.push(Effect::Player(PlayerCommand::Stop));
            }
        }
    }

    /// Tells the player the next track (for gapless playback).
    pub fn send_next(&mut self) {
        let next = self
            .queue
            .peek_next(self.shuffle, self.repeat)
            .filter(|_| !self.shuffle)
            .and_then(|i| self.queue.entries.get(i))
            .and_then(|e| self.path_of(e.track));
        self.push(Effect::Player(PlayerCommand::SetNext(next)));
    }

    pub fn next_track(&mut self, explicit: bool) {
        if self
            .queue
            .advance(self.shuffle, self.repeat, explicit, &mut self.rng)
            .is_some()
        {
            self.play_current();
        } else {
            self.stop();
            self.set_status("end of the queue", false);
        }
    }

    pub fn stop(&mut self) {
        self.playback.track = None;
        self.playback.position_secs = 0.0;
        self.push(Effect::Player(PlayerCommand::Stop));
    }

    /// Replaces the queue with `tracks` from `start` and plays it ("from `what`").
    pub fn play_tracks(&mut self, tracks: Vec<TrackId>, start: usize, what: String) {
        self.queue.replace(tracks, Reason::From(what), start);
        self.play_current();
        self.mark_stale();
    }

    /// Adds `tracks` at the end of the queue, or right after the playing entry.
    pub fn enqueue(&mut self, tracks: Vec<TrackId>, next: bool) {
        if tracks.is_empty() {
            return;
        }
        let n = tracks.len();
        for t in &tracks {
            self.push(Effect::Bump(*t));
        }
        if next {
            self.queue.insert_next(tracks, Reason::Added);
        } else {
            self.queue.append(tracks, Reason::Added);
        }
        self.set_status(
            format!(
                "{n} track{} {}",
                if n == 1 { "" } else { "s" },
                if next {
                    "will play next"
                } else {
                    "added to the queue"
                }
            ),
            false,
        );
        self.send_next();
        self.mark_stale();
    }

    /// Play / pause; with nothing loaded, starts the queue. `false` when there is nothing to
    /// start (the view's selection may then play).
    pub fn toggle_pause(&mut self) -> bool {
        if self.playback.track.is_some() {
            self.push(Effect::Player(PlayerCommand::TogglePause));
        } else if self.queue.current_track().is_some() || !self.queue.entries.is_empty() {
            if self.queue.current.is_none() {
                self.queue.go_to(Some(0));
            }
            self.play_current();
        } else {
            return false;
        }
        true
    }

    pub fn previous(&mut self) {
        if self.playback.position_secs > 3.0 && self.playback.track.is_some() {
            self.push(Effect::Player(PlayerCommand::SeekTo(0.0)));
        } else if self.queue.back().is_some() {
            self.play_current();
        }
    }

    pub fn seek_by(&mut self, secs: f64) {
        if self.playback.track.is_some() {
            self.push(Effect::Player(PlayerCommand::SeekBy(secs)));
        }
    }

    pub fn change_volume(&mut self, by: i32) {
        let v = self.playback.volume as i32 + by;
        self.playback.volume = v.clamp(0, 150) as u8;
        self.push(Effect::Player(PlayerCommand::SetVolume(
            self.playback.volume as f32 / 100.0,
        )));
        self.set_status(format!("volume {}%", self.playback.volume), false);
    }

    pub fn toggle_shuffle(&mut self) {
        self.shuffle = !self.shuffle;
        self.set_status(
            format!("shuffle {}", if self.shuffle { "on" } else { "off" }),
            false,
        );
        self.send_next();
    }

    pub fn cycle_repeat(&mut self) {
        self.repeat = self.repeat.next();
        self.set_status(format!("repeat {}", self.repeat.label()), false);
        self.send_next();
    }

    pub fn clear_queue(&mut self) {
        self.queue.clear_keep_current();
        self.send_next();
        self.mark_stale();
        self.set_status("queue cleared", false);
    }

    // ---------------------------------------------------------------- events

    pub fn on_player(&mut self, p: PlayerEvent) {
        match p {
            PlayerEvent::Output { silent, detail } => {
                if silent {
                    self.playback.silent = Some(detail);
                } else {
                    self.playback.output = Some(detail);
                }
            }
            PlayerEvent::Started {
                path,
                duration_secs,
            } => {
                self.play_errors = 0;
                let id = TrackId::of_path(&path);
                // A gapless start of the next entry: move the queue along.
                if self.queue.current_track() != Some(id)
                    && let Some(next) = self.queue.peek_next(self.shuffle, self.repeat)
                    && self.queue.entries.get(next).map(|e| e.track) == Some(id)
                {
                    self.queue.go_to(Some(next));
                    self.note_played(id);
                    self.extend_auto_dj(self.playback.track);
                    self.send_next();
                }
                self.playback.track = Some(id);
                self.playback.position_secs = 0.0;
                self.playback.duration_secs =
                    duration_secs.or_else(|| self.lib.track(id).and_then(|t| t.duration_secs));
            }
            PlayerEvent::Position { secs } => self.playback.position_secs = secs,
            PlayerEvent::Paused(p) => self.playback.paused = p,
            PlayerEvent::Ended { .. } => self.next_track(false),
            PlayerEvent::Stopped => {
                self.playback.position_secs = 0.0;
            }
            PlayerEvent::Error { path, message } => {
                self.set_status(message, true);
                tracing::warn!(path = %path.display(), "playback error");
                // A track that cannot play is skipped; a queue of broken files stops.
                if self.playback.track == Some(TrackId::of_path(&path))
                    || self.queue.current_track() == Some(TrackId::of_path(&path))
                {
                    self.play_errors += 1;
                    if self.play_errors < self.queue.entries.len().max(1) {
                        // Like a user skip: repeat-one must not reload the broken track.
                        self.next_track(true);
                    } else {
                        self.playback.track = None;
                        self.push(Effect::Player(PlayerCommand::Stop));
                    }
                }
            }
        }
    }

    pub fn on_analysis(&mut self, a: AnalysisEvent) {
        match a {
            AnalysisEvent::Started { model, total } => {
                self.analysis.running = total > 0;
                self.analysis.model = Some(model.0);
                self.analysis.progress = Some(Progress {
                    done: 0,
                    total,
                    failed: 0,
                    current: None,
                    eta_secs: None,
                });
            }
            AnalysisEvent::Progress(p) => {
                self.analysis.failed = p.failed;
                self.analysis.progress = Some(p);
            }
            AnalysisEvent::TrackDone { track, result } => {
                if let Err(reason) = result {
                    self.lib.failed.insert(track, reason);
                    self.mark_stale();
                }
            }
            AnalysisEvent::Finished { failed, .. } => {
                self.analysis.running = false;
                self.analysis.failed = failed;
            }
        }
    }

    /// A fresh catalog from the store: entries whose files are gone leave the queue.
    pub fn library_loaded(&mut self, lib: Catalog) {
        self.lib = lib;
        let gone: Vec<usize> = (0..self.queue.entries.len())
            .rev()
            .filter(|&i| self.lib.track(self.queue.entries[i].track).is_none())
            .collect();
        for i in gone {
            self.queue.remove(i);
        }
        self.mark_stale();
    }

    pub(super) fn note_played(&mut self, id: TrackId) {
        if self.played.last() != Some(&id) {
            self.played.push(id);
            if self.played.len() > 500 {
                self.played.drain(..100);
            }
        }
    }

    /// What will play after the current track, in order (for remote status and saving the
    /// queue). Shuffled order is not known in advance: then the entries in list order.
    pub fn upcoming(&self) -> Vec<TrackId> {
        let q = &self.queue;
        let after = q.current.map_or(0, |c| c + 1);
        q.entries.iter().skip(after).map(|e| e.track).collect()
    }

    /// Asks for `ids` to be written as an M3U8 playlist called `name`.
    pub fn export(&mut self, name: String, ids: &[TrackId]) {
        if ids.is_empty() {
            self.set_status(format!("the {name} playlist is empty"), true);
            return;
        }
        let entries = ids
            .iter()
            .filter_map(|id| self.lib.track(*id))
            .map(|t| crate::recommend::playlists::M3uEntry {
                path: t.path.clone(),
                duration_secs: t.duration_secs,
                artist: t.artist.clone(),
                title: t.title.clone(),
            })
            .collect();
        self.push(Effect::ExportPlaylist { name, entries });
    }
}
