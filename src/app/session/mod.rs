//! What the views share: the catalog, the queue, what plays, the history, the recommender's
//! options and the status line. Views change it through its methods; it collects the effects
//! for the outside world and marks when derived view state must be rebuilt.

use std::path::PathBuf;
use std::time::Instant;

use rand::SeedableRng;

use super::catalog::Catalog;
use super::event::Effect;
use super::play_queue::{Queue, Reason, Repeat};

mod events;
mod playback;

use crate::analysis::{AnalysisEvent, Progress};
use crate::audio::player::{PlayerCommand, PlayerEvent};
use crate::keys::Keymap;
use crate::library::TrackId;
use crate::recommend::similar::QueueOptions;
pub use crate::util::text::tracks_n;

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
    /// A scan of the library folder under way, and how far it is.
    pub scan: Option<crate::library::scan::ScanEvent>,
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
                // An untagged file's entry names it alone (`#EXTINF:30,jazz.00000`), not
                // "Unknown artist - jazz.00000".
                artist: if t.has_artist() {
                    t.artist.clone()
                } else {
                    String::new()
                },
                title: t.title.clone(),
            })
            .collect()
    }

    /// Asks for `ids` to be written as the M3U8 playlist of `source`.
    pub fn export(&mut self, source: crate::playlist::ExportSource, ids: &[TrackId]) {
        if ids.is_empty() {
            self.set_status(format!("the {} playlist is empty", source.name()), true);
            return;
        }
        let entries = self.entries_of(ids);
        self.push(Effect::ExportPlaylist { source, entries });
    }
}
