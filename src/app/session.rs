//! What the views share: the catalog, the queue, what plays, the history, the recommender's
//! options and the status line. Views change it through its methods; it collects the effects
//! for the outside world and marks when derived view state must be rebuilt.

use std::path::PathBuf;
use std::time::Instant;

use rand::SeedableRng;

use super::catalog::Catalog;
use super::event::Effect;
use super::play_queue::{Queue, Reason, Repeat};

/// "1 track", "3 tracks".
pub fn tracks_n(n: usize) -> String {
    format!("{n} track{}", if n == 1 { "" } else { "s" })
}
use crate::analysis::{AnalysisEvent, Progress};
use crate::audio::player::{PlayerCommand, PlayerEvent};
use crate::keys::Keymap;
use crate::library::TrackId;
use crate::recommend::similar::QueueOptions;

/// Tracks of one addition to up next that are moved to the front of the analysis.
const BUMPS_PER_ADD: usize = 200;

/// What plays.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Playback {
    pub track: Option<TrackId>,
    pub paused: bool,
    pub position_secs: f64,
    pub duration_secs: Option<f64>,
    /// 0–150 %.
    pub volume: u8,
    pub muted: bool,
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
    /// Why the analysis cannot run (its threads did not start), shown until it starts again.
    pub stopped: Option<String>,
}

/// A line for the status bar.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusMessage {
    pub text: String,
    pub error: bool,
    pub at: Instant,
}

/// The status messages the messages popup keeps.
pub const MESSAGE_LOG: usize = 200;

/// The default of `recent_hours` (config.toml).
pub const DEFAULT_RECENT_HOURS: u64 = 8;

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
    /// Genre playlists also hold unsure tracks (under their top guess).
    pub unsure_in_playlists: bool,
    /// Tracks played or skipped this many hours ago or less are avoided (0: not).
    pub recent_hours: u64,
}

impl Default for RecommendSettings {
    fn default() -> Self {
        RecommendSettings {
            options: QueueOptions::default(),
            fill_count: 15,
            auto_dj_ahead: 5,
            min_confidence: 0.0,
            unsure_in_playlists: false,
            recent_hours: DEFAULT_RECENT_HOURS,
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
    /// `replaygain` and `replaygain_preamp` from config.toml.
    pub replaygain: crate::audio::gain::GainSettings,
    /// `crossfade` and `crossfade_on_skip` from config.toml, and the key's toggle.
    pub crossfade: super::crossfade::Crossfade,
    pub analysis: AnalysisStatus,
    pub status: Option<StatusMessage>,
    /// The last status messages, newest last (at most [`MESSAGE_LOG`]): what the status line
    /// showed, whole, for the messages popup.
    pub messages: std::collections::VecDeque<StatusMessage>,
    /// A message that stays on the status line, over any other, until a key is pressed:
    /// what the settings could not do (a bad config file, a setting the machine cannot meet).
    pub notice: Option<String>,
    pub keymap: Keymap,
    /// Rows available to lists (terminal height minus the chrome).
    pub list_height: usize,
    /// The active model (id, name), for the Training view and the status line.
    pub model: Option<(String, String)>,
    /// Tracks played this session, oldest first (not repeated by recommendations).
    pub(super) played: Vec<TrackId>,
    /// Every track played since auto-DJ was turned on (at most the library): auto-DJ plays
    /// on until the library is used up, never repeating one.
    pub(super) dj_played: std::collections::HashSet<TrackId>,
    pub(super) rng: rand::rngs::StdRng,
    /// Consecutive tracks that failed to play (to stop skipping through a broken queue).
    play_errors: usize,
    /// The track the player was last asked to load (or went on to gaplessly), until a stop.
    loading: Option<TrackId>,
    /// What was loading when a stop was asked: its start, reported late, is not taken.
    stopped_load: Option<TrackId>,
    effects: Vec<Effect>,
    /// The catalog or the queue changed: the views' derived rows must be rebuilt.
    stale: bool,
    /// Tracks whose genre changed (a vector arrived, the analysis failed) since the views
    /// were last brought up to date: only what depends on genres is updated, for these.
    genre_changes: Vec<TrackId>,
    /// A question a view asks the user (the app shows it as a prompt).
    prompt: Option<super::prompt::Prompt>,
    /// The library folder is not there: what the status line says until it is back.
    pub library_offline: Option<String>,
    /// Every track's plays, skips and rating (the store's, kept up to date here).
    pub(super) history: std::collections::HashMap<TrackId, crate::store::history::HistoryRecord>,
    /// The playing track and how much of it was heard (what leaving it counts as).
    pub(super) listening: super::listening::Listening,
    /// What the listener's feedback taught the recommender.
    pub(super) taste: crate::recommend::taste::Taste,
    /// The last track the listener finished or liked this session.
    pub(super) dj_anchor: Option<TrackId>,
    /// Where auto-DJ's next extension starts instead of the end of the queue (after a skip:
    /// the last track kept).
    pub(super) dj_from: Option<TrackId>,
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
            replaygain: Default::default(),
            crossfade: Default::default(),
            analysis: AnalysisStatus::default(),
            status: None,
            messages: Default::default(),
            notice: None,
            keymap,
            list_height: 20,
            model: None,
            played: vec![],
            dj_played: Default::default(),
            rng: rand::rngs::StdRng::seed_from_u64(0x5eed),
            play_errors: 0,
            loading: None,
            stopped_load: None,
            effects: vec![],
            stale: false,
            genre_changes: vec![],
            prompt: None,
            library_offline: None,
            history: Default::default(),
            listening: Default::default(),
            taste: Default::default(),
            dj_anchor: None,
            dj_from: None,
        }
    }

    /// Reseeds shuffle (the run loop seeds from the clock; tests keep the fixed seed).
    pub fn seed(&mut self, seed: u64) {
        self.rng = rand::rngs::StdRng::seed_from_u64(seed);
    }

    pub fn set_status(&mut self, text: impl Into<String>, error: bool) {
        let m = StatusMessage {
            text: text.into(),
            error,
            at: Instant::now(),
        };
        // A message said again (progress, a repeated key) is one line of the log.
        if self.messages.back().map(|l| &l.text) != Some(&m.text) {
            if self.messages.len() >= MESSAGE_LOG {
                self.messages.pop_front();
            }
            self.messages.push_back(m.clone());
        } else if let Some(last) = self.messages.back_mut() {
            last.at = m.at;
        }
        self.status = Some(m);
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

    /// Asks the user something (a view's rename, delete, import).
    pub fn ask(&mut self, p: super::prompt::Prompt) {
        self.prompt = Some(p);
    }

    pub fn take_prompt(&mut self) -> Option<super::prompt::Prompt> {
        self.prompt.take()
    }

    pub fn take_stale(&mut self) -> bool {
        std::mem::take(&mut self.stale)
    }

    /// `id`'s genre changed (its vector or failure): the genre views follow it.
    pub fn genre_changed(&mut self, id: TrackId) {
        self.genre_changes.push(id);
    }

    pub fn has_genre_changes(&self) -> bool {
        !self.genre_changes.is_empty()
    }

    /// The tracks whose genre changed, each once.
    pub fn take_genre_changes(&mut self) -> Vec<TrackId> {
        let mut v = std::mem::take(&mut self.genre_changes);
        let mut seen = std::collections::HashSet::new();
        v.retain(|t| seen.insert(*t));
        v
    }

    /// The user starts something: playback failures before it no longer count.
    pub fn reset_play_errors(&mut self) {
        self.play_errors = 0;
    }

    // ---------------------------------------------------------------- playback

    fn path_of(&self, id: TrackId) -> Option<PathBuf> {
        self.lib.track(id).map(|t| t.path.clone())
    }

    /// The ReplayGain the player applies to `id`: its tags (or the loudness estimate) under
    /// the user's settings.
    pub fn gain_of(&self, id: TrackId) -> crate::audio::gain::AppliedGain {
        match self.lib.track(id) {
            Some(t) => crate::audio::gain::choose(
                &t.replaygain,
                self.lib.loudness.get(&id),
                &self.replaygain,
            ),
            None => crate::audio::gain::AppliedGain::UNITY,
        }
    }

    /// Tells the player the gain of `id` (before it is loaded, or when it changed).
    fn send_gain(&mut self, id: TrackId, path: PathBuf) {
        let scale = self.gain_of(id).scale;
        self.push(Effect::Player(PlayerCommand::SetGain { path, scale }));
    }

    /// The loudness of `track`'s clip arrived: an untagged track playing (or next) gets its
    /// estimated gain now.
    pub fn loudness_ready(&mut self, track: TrackId, loudness: crate::audio::loudness::Loudness) {
        self.lib.loudness.insert(track, loudness);
        let next = self.queue.peek_next(self.shuffle, self.repeat);
        if (self.playback.track == Some(track) || next == Some(track))
            && let Some(path) = self.path_of(track)
        {
            self.send_gain(track, path);
        }
    }

    /// Starts the queue's playing track and tells the player what comes next.
    pub fn play_current(&mut self) {
        self.load_current(false);
    }

    /// Loads the queue's playing track (paused, to resume a saved session).
    pub fn load_current(&mut self, paused: bool) {
        self.start_current(paused, 0.0);
    }

    /// Loads the queue's playing track, fading out what plays over `fade` seconds (0: at once).
    fn start_current(&mut self, paused: bool, fade: f32) {
        match self
            .queue
            .current_track()
            .and_then(|t| self.path_of(t).map(|p| (t, p)))
        {
            Some((id, path)) => {
                self.note_played(id);
                self.playback.track = Some(id);
                self.playback.paused = paused;
                self.playback.position_secs = 0.0;
                self.playback.duration_secs = self.lib.track(id).and_then(|t| t.duration_secs);
                let left = self.listening.start(id, self.playback.duration_secs);
                self.counted(left);
                if paused {
                    // A session brought back paused: listening starts when it plays.
                    self.listening.abandon();
                }
                self.send_gain(id, path.clone());
                self.loading = Some(id);
                self.stopped_load = None;
                self.push(Effect::Player(if fade > 0.0 && !paused {
                    PlayerCommand::CrossfadeTo { path, secs: fade }
                } else {
                    PlayerCommand::Load { path, paused }
                }));
                self.push(Effect::Bump(id));
                self.extend_auto_dj(Some(id));
                self.send_next();
            }
            None => {
                self.playback.track = None;
                self.stopped_load = self.loading.take();
                let left = self.listening.finish(false);
                self.counted(left);
                self.push(Effect::Player(PlayerCommand::Stop));
            }
        }
    }

    /// Tells the player the next track (for gapless playback); called after every change
    /// that can change it, so a preloaded track is re-chosen.
    pub fn send_next(&mut self) {
        let next = self
            .queue
            .peek_next(self.shuffle, self.repeat)
            .and_then(|t| self.path_of(t).map(|p| (t, p)));
        if let Some((id, path)) = &next {
            self.send_gain(*id, path.clone());
        }
        self.send_fade_for(next.as_ref().map(|(id, _)| *id));
        self.push(Effect::Player(PlayerCommand::SetNext(next.map(|(_, p)| p))));
    }

    pub fn next_track(&mut self, explicit: bool) {
        if explicit {
            // Leaving the track counts (a skip, say) before the next one is taken: with auto-DJ
            // on, a skip chooses the picks to come again, the very next one included.
            let left = self.listening.finish(false);
            self.counted(left);
        }
        if self
            .queue
            .advance(self.shuffle, self.repeat, explicit, &mut self.rng)
            .is_some()
        {
            let fade = match self.queue.current_track() {
                Some(to) if explicit => self.skip_fade(to),
                _ => 0.0,
            };
            self.start_current(false, fade);
        } else {
            self.stop_player();
            self.set_status("end of the queue", false);
        }
    }

    fn stop_player(&mut self) {
        let left = self.listening.finish(false);
        self.counted(left);
        self.playback.track = None;
        self.stopped_load = self.loading.take();
        self.playback.position_secs = 0.0;
        self.push(Effect::Player(PlayerCommand::Stop));
    }

    /// Stops; the queue keeps its place (an up-next track that was cut short plays again).
    pub fn stop(&mut self) {
        self.queue.stop();
        self.stop_player();
    }

    /// Plays `tracks` from `start` as the new context ("from `what`"); up next stays.
    pub fn play_tracks(&mut self, tracks: Vec<TrackId>, start: usize, what: String) {
        self.queue
            .play_context(what, tracks, start, self.shuffle, &mut self.rng);
        self.play_current();
    }

    /// Adds `tracks` at the end of up next, or at its front, as many as up next has room
    /// for (the status line says when it is full); returns how many were added.
    pub fn enqueue(&mut self, tracks: Vec<TrackId>, next: bool) -> usize {
        if tracks.is_empty() {
            return 0;
        }
        let asked = tracks.len();
        let room = self.queue.room();
        // The first ones are analysed first (those further down get their turn when they
        // play): thousands of bumps would only reorder the analysis again and again.
        for t in tracks.iter().take(room.min(BUMPS_PER_ADD)) {
            self.push(Effect::Bump(*t));
        }
        let n = if next {
            self.queue.insert_next(tracks, Reason::Added)
        } else {
            self.queue.append(tracks, Reason::Added)
        };
        let full = format!("up next is full ({})", super::play_queue::MAX_UP_NEXT);
        if n == 0 {
            self.set_status(format!("{full}: nothing added"), true);
            return 0;
        }
        let done = if next {
            "will play next"
        } else {
            "added to the queue"
        };
        if n < asked {
            self.set_status(format!("{} of {asked} {done}; {full}", tracks_n(n)), true);
        } else {
            self.set_status(format!("{} {done}", tracks_n(n)), false);
        }
        self.send_next();
        n
    }

    /// Play / pause; with nothing loaded, starts what the queue has. `false` when there is
    /// nothing to start (the view's selection may then play).
    pub fn toggle_pause(&mut self) -> bool {
        if self.playback.track.is_some() {
            self.push(Effect::Player(PlayerCommand::TogglePause));
        } else if self.queue.current_track().is_some() {
            self.play_current();
        } else if self.queue.has_upcoming() {
            self.next_track(true);
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

    /// Seeks to `secs` from the start (clamped to the track).
    pub fn seek_to(&mut self, secs: f64) {
        if self.playback.track.is_some() {
            let end = self.playback.duration_secs.unwrap_or(f64::MAX);
            let to = secs.clamp(0.0, (end - 0.5).max(0.0));
            self.push(Effect::Player(PlayerCommand::SeekTo(to)));
        }
    }

    /// The volume the player gets: 0 while muted.
    fn send_volume(&mut self) {
        let v = if self.playback.muted {
            0.0
        } else {
            self.playback.volume as f32 / 100.0
        };
        self.push(Effect::Player(PlayerCommand::SetVolume(v)));
    }

    pub fn change_volume(&mut self, by: i32) {
        let v = self.playback.volume as i32 + by;
        self.playback.volume = v.clamp(0, 150) as u8;
        self.playback.muted = false;
        self.send_volume();
        self.set_status(format!("volume {}%", self.playback.volume), false);
    }

    pub fn set_volume(&mut self, percent: u8) {
        self.playback.volume = percent.min(150);
        self.playback.muted = false;
        self.send_volume();
    }

    pub fn toggle_mute(&mut self) {
        self.playback.muted = !self.playback.muted;
        self.send_volume();
        self.set_status(
            if self.playback.muted {
                "muted".to_string()
            } else {
                format!("volume {}%", self.playback.volume)
            },
            false,
        );
    }

    pub fn toggle_shuffle(&mut self) {
        self.shuffle = !self.shuffle;
        self.queue.set_shuffle(self.shuffle, &mut self.rng);
        self.set_status(
            format!("shuffle {}", if self.shuffle { "on" } else { "off" }),
            false,
        );
        self.send_next();
    }

    /// Shuffle on or off (nothing changes when it already is).
    pub fn set_shuffle(&mut self, on: bool) {
        if self.shuffle != on {
            self.toggle_shuffle();
        }
    }

    /// Repeat mode `r` (nothing changes when it already is).
    pub fn set_repeat(&mut self, r: Repeat) {
        if self.repeat != r {
            self.repeat = r;
            self.set_status(format!("repeat {}", self.repeat.label()), false);
            self.send_next();
        }
    }

    pub fn cycle_repeat(&mut self) {
        self.repeat = self.repeat.next();
        self.set_status(format!("repeat {}", self.repeat.label()), false);
        self.send_next();
    }

    pub fn clear_queue(&mut self) {
        self.queue.clear();
        self.send_next();
        self.set_status("queue cleared (u undoes)", false);
    }

    /// Undoes the last change of the queue.
    pub fn undo(&mut self) {
        if self.queue.undo() {
            self.set_status("queue change undone", false);
            self.send_next();
        } else {
            self.set_status("nothing to undo", false);
        }
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
                let id = TrackId::of_path(&path);
                let current = self.queue.current_track();
                let gapless = current.is_some()
                    && current != Some(id)
                    && self.queue.peek_next(self.shuffle, self.repeat) == Some(id);
                // The start of a track the session no longer wants: another was asked for
                // since, or a stop was (a stop puts an up-next track back in front, where it
                // looked like the next one). The player's own load or stop comes after it.
                let stale = !gapless
                    && match self.loading {
                        Some(asked) => asked != id,
                        None => self.stopped_load == Some(id),
                    };
                if stale {
                    return;
                }
                if gapless {
                    // The player went on from the current track to the next one: that one
                    // reached its end.
                    let ended = self.listening.finish(true);
                    self.counted(ended);
                    self.listening.start(id, duration_secs);
                    self.queue
                        .advance(self.shuffle, self.repeat, false, &mut self.rng);
                    self.note_played(id);
                    self.extend_auto_dj(Some(id));
                    self.send_next();
                    self.loading = Some(id);
                }
                self.play_errors = 0;
                self.playback.track = Some(id);
                self.playback.position_secs = 0.0;
                self.playback.duration_secs =
                    duration_secs.or_else(|| self.lib.track(id).and_then(|t| t.duration_secs));
                self.listening.set_duration(id, self.playback.duration_secs);
            }
            PlayerEvent::Position { secs } => {
                self.playback.position_secs = secs;
                self.listening.position(secs, self.playback.paused);
            }
            PlayerEvent::Paused(p) => {
                self.playback.paused = p;
                if let (false, Some(id), None) = (p, self.playback.track, self.listening.track()) {
                    self.listening.start(id, self.playback.duration_secs);
                    self.listening.position(self.playback.position_secs, true);
                }
            }
            PlayerEvent::Ended { path } => {
                if self.listening.track() == Some(TrackId::of_path(&path)) {
                    let ended = self.listening.finish(true);
                    self.counted(ended);
                }
                self.next_track(false);
            }
            PlayerEvent::Stopped => {
                self.playback.position_secs = 0.0;
            }
            PlayerEvent::Error { path, message } => {
                tracing::warn!(path = %path.display(), "playback error");
                if self.listening.track() == Some(TrackId::of_path(&path)) {
                    // A track that cannot play was neither played nor skipped.
                    self.listening.abandon();
                }
                if let Some(why) = self.library_offline.clone() {
                    // Every track would fail the same way: stop where the queue is (a track
                    // taken from up next goes back to its front) instead of skipping through
                    // it.
                    self.set_status(format!("cannot play: {why}"), true);
                    self.stop();
                    return;
                }
                self.set_status(message, true);
                // A track that cannot play is skipped; a queue of broken files stops.
                if self.playback.track == Some(TrackId::of_path(&path))
                    || self.queue.current_track() == Some(TrackId::of_path(&path))
                {
                    self.play_errors += 1;
                    // Skip while something is left, but never more than the whole queue
                    // in a row (repeat all over broken files would loop for ever).
                    let total = self.queue.up_next.len()
                        + self.queue.context.as_ref().map_or(0, |c| c.tracks.len());
                    if self.play_errors < total
                        && (self.repeat != Repeat::Off || self.queue.has_upcoming())
                    {
                        // Like a user skip: repeat-one must not reload the broken track.
                        self.next_track(true);
                    } else {
                        self.stop();
                    }
                }
            }
        }
    }

    pub fn on_analysis(&mut self, a: AnalysisEvent) {
        match a {
            AnalysisEvent::Started { model, total } => {
                self.analysis.running = total > 0;
                self.analysis.stopped = None;
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
                    self.genre_changed(track);
                }
            }
            AnalysisEvent::Finished { failed, .. } => {
                self.analysis.running = false;
                self.analysis.failed = failed;
            }
            AnalysisEvent::Stopped { reason } => {
                self.analysis.running = false;
                self.analysis.stopped = Some(reason);
            }
        }
    }

    /// A fresh catalog from the store: tracks whose files are gone leave the queue.
    pub fn library_loaded(&mut self, lib: Catalog) {
        self.lib = lib;
        let lib = &self.lib;
        self.queue.retain(|t| lib.track(t).is_some());
        // The tags (and so the gain) of what plays may have been read again.
        if let Some(id) = self.playback.track
            && let Some(path) = self.path_of(id)
        {
            self.send_gain(id, path);
        }
        self.send_next();
        self.mark_stale();
    }

    /// The library folder went (`Some`: its tracks and the queue stay as they are) or came
    /// back (`None`).
    pub fn library_offline(&mut self, why: Option<String>) {
        match (&self.library_offline, &why) {
            (Some(_), None) => self.set_status("the library folder is back", false),
            (None, Some(w)) => self.set_status(w.clone(), true),
            _ => {}
        }
        self.library_offline = why;
    }

    /// Files moved on disk (old id → new id, sent just before the catalog that has the new
    /// ids): the queue and what plays follow them instead of losing them.
    pub fn tracks_moved(&mut self, moved: &[(TrackId, TrackId)]) {
        let map: std::collections::HashMap<TrackId, TrackId> = moved.iter().copied().collect();
        self.queue.rename(&map);
        let to = |t: &mut TrackId| {
            if let Some(n) = map.get(t) {
                *t = *n;
            }
        };
        if let Some(t) = &mut self.playback.track {
            to(t);
        }
        self.played.iter_mut().for_each(to);
        self.mark_stale();
    }

    pub(super) fn note_played(&mut self, id: TrackId) {
        if self.auto_dj {
            self.dj_played.insert(id);
        }
        if self.played.last() != Some(&id) {
            self.played.push(id);
            if self.played.len() > 500 {
                self.played.drain(..100);
            }
        }
    }

    /// What will play after the current track, in order: up next, then the rest of the
    /// context (for remote status and saving the queue).
    pub fn upcoming(&self) -> Vec<TrackId> {
        self.queue.upcoming()
    }

    /// Playlist entries for `ids` (those in the library).
    pub fn entries_of(&self, ids: &[TrackId]) -> Vec<crate::recommend::playlists::M3uEntry> {
        ids.iter()
            .filter_map(|id| self.lib.track(*id))
            .map(|t| crate::recommend::playlists::M3uEntry {
                path: t.path.clone(),
                duration_secs: t.duration_secs,
                artist: t.artist.clone(),
                title: t.title.clone(),
            })
            .collect()
    }

    /// Asks for `ids` to be written as an M3U8 playlist called `name`.
    pub fn export(&mut self, name: String, ids: &[TrackId]) {
        if ids.is_empty() {
            self.set_status(format!("the {name} playlist is empty"), true);
            return;
        }
        let entries = self.entries_of(ids);
        self.push(Effect::ExportPlaylist { name, entries });
    }
}

// ---------------------------------------------------------------- crossfade

impl Session {
    /// The overlap between `from` and `to` under the setting: none within an album in order.
    pub fn fade_between(&self, from: Option<TrackId>, to: TrackId) -> f32 {
        let secs = self.crossfade.active_secs();
        if secs <= 0.0 {
            return 0.0;
        }
        match (from.and_then(|f| self.lib.track(f)), self.lib.track(to)) {
            (Some(a), Some(b)) if super::crossfade::album_in_order(a, b) => 0.0,
            _ => secs,
        }
    }

    /// Tells the player the overlap of the transition to `next` when it differs from the last
    /// one it was told (before the `SetNext` of `next`).
    pub(super) fn send_fade_for(&mut self, next: Option<TrackId>) {
        let secs = match next {
            Some(n) => self.fade_between(self.playback.track, n),
            None => 0.0,
        };
        if secs != self.crossfade.sent {
            self.crossfade.sent = secs;
            self.push(Effect::Player(PlayerCommand::SetCrossfade(secs)));
        }
    }

    /// The overlap of a skip from the playing track to `to` (0: a plain load).
    pub(super) fn skip_fade(&self, to: TrackId) -> f32 {
        if !self.crossfade.on_skip || self.playback.paused {
            return 0.0;
        }
        self.fade_between(self.playback.track, to)
    }

    /// The key: crossfade off, or back to the setting's seconds.
    pub fn toggle_crossfade(&mut self) {
        if self.crossfade.secs <= 0.0 {
            self.set_status(
                "crossfade off (set crossfade = seconds in config.toml)",
                false,
            );
            return;
        }
        self.crossfade.off = !self.crossfade.off;
        let label = self.crossfade.label();
        self.set_status(label, false);
        self.send_next();
    }
}
