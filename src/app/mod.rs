//! The player's state and `update(event) → effects`. Nothing here draws or blocks: input,
//! player and analysis events come in, effects (player commands, store work) go out.

pub mod action;
pub mod library;
pub mod queue;
pub mod retrain;

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config as MatchConfig, Matcher, Utf32Str};
use rand::SeedableRng;

use crate::analysis::{AnalysisEvent, Progress};
use crate::audio::player::{PlayerCommand, PlayerEvent};
use crate::config::{Keymap, Theme};
use crate::library::TrackId;
use crate::recommend::queue::{Candidate, Pick, QueueOptions, build_queue, extend_chain};
use action::Action;
use library::{BrowseMode, Group, LibraryData, TrackInfo, artist_key};
use queue::{Queue, QueueEntry, Reason, Repeat};

/// The main views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Library,
    Queue,
    NowPlaying,
    Genres,
    Training,
}

impl View {
    pub const ALL: [View; 5] = [
        View::Library,
        View::Queue,
        View::NowPlaying,
        View::Genres,
        View::Training,
    ];
    pub fn title(self) -> &'static str {
        match self {
            View::Library => "Library",
            View::Queue => "Queue",
            View::NowPlaying => "Now playing",
            View::Genres => "Genres",
            View::Training => "Training",
        }
    }
}

/// Everything that reaches the app.
#[derive(Debug, Clone)]
pub enum Event {
    Key(KeyEvent),
    /// Terminal size (columns, rows).
    Resize(u16, u16),
    Tick,
    Player(PlayerEvent),
    Analysis(AnalysisEvent),
    /// A vector was stored for a track (the run loop reads it after `TrackDone`).
    VectorReady {
        track: TrackId,
        vector: Vec<f32>,
        style: Option<Vec<f32>>,
    },
    /// A background job (scan, model load) has news for the status line.
    Status {
        text: String,
        error: bool,
    },
    /// The library (re)loaded from the store.
    LibraryLoaded(Box<LibraryData>),
    /// The retrain dialog's folder was looked at.
    TrainPrepared(Result<retrain::Preview, String>),
    /// Training progress.
    Training(crate::model::train::TrainEvent),
    /// Training ended (the model waits for accept or discard).
    TrainingFinished(Result<Box<retrain::Outcome>, String>),
    /// A model became active (after accept, or a switch): the library shows its genres as
    /// they come, the previous model's until then.
    ModelActivated {
        id: String,
        name: String,
        labels: Vec<String>,
    },
}

/// What the app asks the outside world to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Player(PlayerCommand),
    /// Classify this track before the others.
    Bump(TrackId),
    /// Look at a folder for training.
    PrepareTraining(retrain::TrainSpec),
    /// Start training (one at a time).
    StartTraining(retrain::TrainSpec),
    CancelTraining,
    /// Save the trained model, make it active, re-classify the library.
    AcceptModel,
    DiscardModel,
    /// Make the built-in model active again.
    UseBuiltInModel,
    /// Write a playlist file (the run loop picks the folder and reports back).
    ExportPlaylist {
        name: String,
        entries: Vec<crate::recommend::playlists::M3uEntry>,
    },
    Quit,
}

/// One row of the library tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub depth: usize,
    pub label: String,
    pub kind: RowKind,
    pub expanded: bool,
    /// Tracks below a group row.
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RowKind {
    /// A group, by its path of names from the root.
    Group(Vec<String>),
    Track(TrackId),
}

/// A scrolled selection in a list.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ListNav {
    pub selected: usize,
    pub offset: usize,
}

impl ListNav {
    fn clamp(&mut self, len: usize, height: usize) {
        if len == 0 {
            *self = ListNav::default();
            return;
        }
        self.selected = self.selected.min(len - 1);
        let h = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + h {
            self.offset = self.selected + 1 - h;
        }
        self.offset = self.offset.min(len.saturating_sub(h));
    }

    fn step(&mut self, delta: isize, len: usize, height: usize) {
        if len == 0 {
            return;
        }
        let s = self.selected as isize + delta;
        self.selected = s.clamp(0, len as isize - 1) as usize;
        self.clamp(len, height);
    }
}

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

/// The whole state of the player UI.
pub struct App {
    pub lib: LibraryData,
    pub view: View,
    pub mode: BrowseMode,
    expanded: HashSet<Vec<String>>,
    /// The library view's visible rows (derived from the library, mode, expansion, search).
    pub rows: Vec<Row>,
    pub lib_nav: ListNav,
    pub queue: Queue,
    pub queue_nav: ListNav,
    pub genre_nav: ListNav,
    pub genre_tracks_nav: ListNav,
    /// In the Genres view: true when the track list (right) has the focus.
    pub genre_focus_tracks: bool,
    /// The search text, and whether keys go to it.
    pub search: String,
    pub searching: bool,
    pub playback: Playback,
    pub shuffle: bool,
    pub repeat: Repeat,
    pub analysis: AnalysisStatus,
    pub keymap: Keymap,
    pub themes: Vec<Theme>,
    pub theme_idx: usize,
    pub show_help: bool,
    pub help_scroll: usize,
    pub status: Option<StatusMessage>,
    /// Rows available to lists (terminal height minus the chrome).
    pub list_height: usize,
    pub should_quit: bool,
    rng: rand::rngs::StdRng,
    /// Consecutive tracks that failed to play (to stop skipping through a broken queue).
    play_errors: usize,
    /// Rows of the filtered genre playlists (derived).
    pub genre_lists: Vec<(String, Vec<(TrackId, f32)>)>,
    /// Auto-DJ keeps the queue at least `auto_dj_ahead` tracks ahead.
    pub auto_dj: bool,
    pub auto_dj_ahead: usize,
    /// How "play next" picks tracks.
    pub recommend: QueueOptions,
    /// Tracks a "play next" fill adds.
    pub fill_count: usize,
    /// Genre playlists leave out tracks less certain than this.
    pub min_confidence: f32,
    /// Tracks played this session, oldest first (not repeated by recommendations).
    played: Vec<TrackId>,
    /// The retrain dialog, once opened.
    pub retrain: Option<retrain::Retrain>,
    /// The folder the retrain dialog starts with (the last one used, else the library).
    pub retrain_folder: PathBuf,
    /// The active model (id, name), for the Training view and the status line.
    pub model: Option<(String, String)>,
}

/// Rows of chrome around the lists: tabs (1) + block borders (2) + now-playing bar (2) +
/// status line (1).
pub const CHROME_ROWS: usize = 6;

impl App {
    pub fn new(
        lib: LibraryData,
        keymap: Keymap,
        themes: Vec<Theme>,
        theme: &str,
        volume: u8,
    ) -> Self {
        let themes = if themes.is_empty() {
            vec![Theme::fallback()]
        } else {
            themes
        };
        let theme_idx = themes.iter().position(|t| t.name == theme).unwrap_or(0);
        let mut app = App {
            lib,
            view: View::Library,
            mode: BrowseMode::Artist,
            expanded: HashSet::new(),
            rows: vec![],
            lib_nav: ListNav::default(),
            queue: Queue::default(),
            queue_nav: ListNav::default(),
            genre_nav: ListNav::default(),
            genre_tracks_nav: ListNav::default(),
            genre_focus_tracks: false,
            search: String::new(),
            searching: false,
            playback: Playback {
                volume: volume.min(150),
                ..Default::default()
            },
            shuffle: false,
            repeat: Repeat::Off,
            analysis: AnalysisStatus::default(),
            keymap,
            themes,
            theme_idx,
            show_help: false,
            help_scroll: 0,
            status: None,
            list_height: 20,
            should_quit: false,
            rng: rand::rngs::StdRng::seed_from_u64(0x5eed),
            play_errors: 0,
            genre_lists: vec![],
            auto_dj: false,
            auto_dj_ahead: 5,
            recommend: QueueOptions::default(),
            fill_count: 15,
            min_confidence: 0.0,
            played: vec![],
            retrain: None,
            retrain_folder: PathBuf::new(),
            model: None,
        };
        app.retrain_folder = app.lib.root.clone();
        app.rebuild();
        app
    }

    pub fn theme(&self) -> &Theme {
        &self.themes[self.theme_idx.min(self.themes.len() - 1)]
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

    // ---------------------------------------------------------------- derived state

    fn matcher_filter(&self) -> Option<impl Fn(&TrackInfo) -> bool + use<>> {
        let q = self.search.trim();
        if q.is_empty() {
            return None;
        }
        let pattern = Pattern::parse(q, CaseMatching::Ignore, Normalization::Smart);
        let matcher = std::cell::RefCell::new(Matcher::new(MatchConfig::DEFAULT));
        Some(move |t: &TrackInfo| {
            let hay = t.haystack();
            let mut buf = Vec::new();
            pattern
                .score(Utf32Str::new(&hay, &mut buf), &mut matcher.borrow_mut())
                .is_some()
        })
    }

    /// The browse tree for the current mode and search.
    pub fn tree(&self) -> Vec<Group> {
        match self.matcher_filter() {
            Some(f) => self.lib.tree(self.mode, Some(&f)),
            None => self.lib.tree(self.mode, None),
        }
    }

    /// Recomputes the library rows and genre lists, keeping the selection on the same item.
    pub fn rebuild(&mut self) {
        let selected_kind = self.rows.get(self.lib_nav.selected).map(|r| r.kind.clone());
        let searching = !self.search.trim().is_empty();
        let tree = self.tree();
        let mut rows = Vec::new();
        fn walk(
            g: &Group,
            path: &mut Vec<String>,
            depth: usize,
            expanded: &HashSet<Vec<String>>,
            force_open: bool,
            lib: &LibraryData,
            rows: &mut Vec<Row>,
        ) {
            path.push(g.name.clone());
            let open = force_open || expanded.contains(path);
            rows.push(Row {
                depth,
                label: g.name.clone(),
                kind: RowKind::Group(path.clone()),
                expanded: open,
                count: g.count(),
            });
            if open {
                for c in &g.children {
                    walk(c, path, depth + 1, expanded, force_open, lib, rows);
                }
                for t in &g.tracks {
                    let label = lib.track(*t).map(|i| i.title.clone()).unwrap_or_default();
                    rows.push(Row {
                        depth: depth + 1,
                        label,
                        kind: RowKind::Track(*t),
                        expanded: false,
                        count: 1,
                    });
                }
            }
            path.pop();
        }
        for g in &tree {
            walk(
                g,
                &mut Vec::new(),
                0,
                &self.expanded,
                searching,
                &self.lib,
                &mut rows,
            );
        }
        self.rows = rows;
        if let Some(k) = selected_kind
            && let Some(i) = self.rows.iter().position(|r| r.kind == k)
        {
            self.lib_nav.selected = i;
        }
        self.lib_nav.clamp(self.rows.len(), self.list_height);

        let filter = self.matcher_filter();
        self.genre_lists = self
            .lib
            .genre_playlists(self.min_confidence)
            .into_iter()
            .map(|(name, tracks)| {
                let tracks = match &filter {
                    Some(f) => tracks
                        .into_iter()
                        .filter(|(id, _)| self.lib.track(*id).is_some_and(f))
                        .collect(),
                    None => tracks,
                };
                (name, tracks)
            })
            .collect();
        self.genre_nav
            .clamp(self.genre_lists.len(), self.list_height);
        let n = self.selected_genre_tracks().len();
        self.genre_tracks_nav.clamp(n, self.list_height);
        let qn = self.visible_queue().len();
        self.queue_nav.clamp(qn, self.list_height);
    }

    /// Queue entry indices shown (the search filters the queue view too).
    pub fn visible_queue(&self) -> Vec<usize> {
        match self.matcher_filter() {
            Some(f) => (0..self.queue.entries.len())
                .filter(|&i| self.lib.track(self.queue.entries[i].track).is_some_and(&f))
                .collect(),
            None => (0..self.queue.entries.len()).collect(),
        }
    }

    pub fn selected_genre_tracks(&self) -> &[(TrackId, f32)] {
        self.genre_lists
            .get(self.genre_nav.selected)
            .map(|(_, t)| t.as_slice())
            .unwrap_or(&[])
    }

    fn group_at(&self, path: &[String]) -> Option<Group> {
        let tree = self.tree();
        let mut level = &tree;
        let mut found: Option<&Group> = None;
        for name in path {
            found = level.iter().find(|g| &g.name == name);
            level = &found?.children;
        }
        found.cloned()
    }

    /// The tracks the selection stands for in the current view, with a label for "why".
    fn selection_tracks(&self) -> Option<(Vec<TrackId>, usize, String)> {
        match self.view {
            View::Library => {
                let row = self.rows.get(self.lib_nav.selected)?;
                match &row.kind {
                    RowKind::Group(path) => {
                        let g = self.group_at(path)?;
                        Some((g.all_tracks(), 0, path.join(" / ")))
                    }
                    RowKind::Track(id) => {
                        // Its group, starting at it, so the album (or genre) plays on.
                        let parent = self.rows[..self.lib_nav.selected].iter().rev().find(|r| {
                            r.depth + 1 == row.depth && matches!(r.kind, RowKind::Group(_))
                        });
                        match parent.map(|p| &p.kind) {
                            Some(RowKind::Group(path)) => {
                                let g = self.group_at(path)?;
                                let tracks = g.all_tracks();
                                let start = tracks.iter().position(|t| t == id).unwrap_or(0);
                                Some((tracks, start, path.join(" / ")))
                            }
                            _ => Some((vec![*id], 0, "library".into())),
                        }
                    }
                }
            }
            View::Genres => {
                let (name, tracks) = self.genre_lists.get(self.genre_nav.selected)?;
                let ids: Vec<TrackId> = tracks.iter().map(|(t, _)| *t).collect();
                let start = if self.genre_focus_tracks {
                    self.genre_tracks_nav.selected
                } else {
                    0
                };
                Some((ids, start, format!("{name} playlist")))
            }
            View::Queue | View::NowPlaying | View::Training => None,
        }
    }

    // ---------------------------------------------------------------- playback helpers

    fn path_of(&self, id: TrackId) -> Option<PathBuf> {
        self.lib.track(id).map(|t| t.path.clone())
    }

    /// Starts the queue's current entry and tells the player what comes next.
    fn play_current(&mut self, fx: &mut Vec<Effect>) {
        match self
            .queue
            .current_track()
            .and_then(|t| self.path_of(t).map(|p| (t, p)))
        {
            Some((id, path)) => {
                self.note_played(id);
                self.extend_auto_dj();
                self.playback.track = Some(id);
                self.playback.position_secs = 0.0;
                self.playback.duration_secs = self.lib.track(id).and_then(|t| t.duration_secs);
                fx.push(Effect::Player(PlayerCommand::Load {
                    path,
                    paused: false,
                }));
                fx.push(Effect::Bump(id));
                self.send_next(fx);
            }
            None => {
                self.playback.track = None;
                fx.push(Effect::Player(PlayerCommand::Stop));
            }
        }
    }

    /// Tells the player the next track (for gapless playback).
    fn send_next(&self, fx: &mut Vec<Effect>) {
        let next = self
            .queue
            .peek_next(self.shuffle, self.repeat)
            .filter(|_| !self.shuffle)
            .and_then(|i| self.queue.entries.get(i))
            .and_then(|e| self.path_of(e.track));
        fx.push(Effect::Player(PlayerCommand::SetNext(next)));
    }

    fn next_track(&mut self, explicit: bool, fx: &mut Vec<Effect>) {
        if self
            .queue
            .advance(self.shuffle, self.repeat, explicit, &mut self.rng)
            .is_some()
        {
            self.play_current(fx);
        } else {
            self.playback.track = None;
            self.playback.position_secs = 0.0;
            fx.push(Effect::Player(PlayerCommand::Stop));
            self.set_status("end of the queue", false);
        }
    }

    // ---------------------------------------------------------------- update

    /// Applies one event; returns the effects to carry out.
    pub fn update(&mut self, ev: Event) -> Vec<Effect> {
        let mut fx = Vec::new();
        match ev {
            Event::Key(k) => self.on_key(k, &mut fx),
            Event::Resize(_, h) => {
                self.list_height = (h as usize).saturating_sub(CHROME_ROWS).max(1);
                self.rebuild();
            }
            Event::Tick => {
                if let Some(s) = &self.status
                    && s.at.elapsed().as_secs() >= 6
                {
                    self.status = None;
                }
            }
            Event::Player(p) => self.on_player(p, &mut fx),
            Event::Analysis(a) => self.on_analysis(a),
            Event::VectorReady {
                track,
                vector,
                style,
            } => {
                self.lib.set_vector(track, vector);
                if let Some(s) = style {
                    self.lib.styles.insert(track, s);
                }
                self.rebuild();
            }
            Event::Status { text, error } => self.set_status(text, error),
            Event::TrainPrepared(r) => {
                if let Some(rt) = &mut self.retrain {
                    rt.prepared(r);
                }
            }
            Event::Training(ev) => {
                if let Some(rt) = &mut self.retrain {
                    rt.progress(ev);
                }
            }
            Event::TrainingFinished(r) => {
                let msg = match &r {
                    Ok(o) => format!(
                        "training done: validation accuracy {} — a accepts, d discards (Training view, 5)",
                        o.valid_accuracy
                            .map_or("n/a".into(), |a| format!("{:.0}%", a * 100.0))
                    ),
                    Err(e) => e.clone(),
                };
                let failed = r.is_err();
                if let Some(rt) = &mut self.retrain {
                    rt.finished(r.map(|b| *b));
                }
                self.set_status(msg, failed);
            }
            Event::ModelActivated { id, name, labels } => {
                self.lib.activate_model(labels);
                self.set_status(format!("model {name} ({id}) is active; re-classifying the library in the background"), false);
                self.model = Some((id, name));
                self.rebuild();
            }
            Event::LibraryLoaded(lib) => {
                self.lib = *lib;
                // Entries whose files are gone leave the queue.
                let gone: Vec<usize> = (0..self.queue.entries.len())
                    .rev()
                    .filter(|&i| self.lib.track(self.queue.entries[i].track).is_none())
                    .collect();
                for i in gone {
                    self.queue.remove(i);
                }
                self.rebuild();
            }
        }
        fx
    }

    fn on_player(&mut self, p: PlayerEvent, fx: &mut Vec<Effect>) {
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
                    self.extend_auto_dj();
                    self.send_next(fx);
                }
                self.playback.track = Some(id);
                self.playback.position_secs = 0.0;
                self.playback.duration_secs =
                    duration_secs.or_else(|| self.lib.track(id).and_then(|t| t.duration_secs));
            }
            PlayerEvent::Position { secs } => self.playback.position_secs = secs,
            PlayerEvent::Paused(p) => self.playback.paused = p,
            PlayerEvent::Ended { .. } => self.next_track(false, fx),
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
                        self.next_track(true, fx);
                    } else {
                        self.playback.track = None;
                        fx.push(Effect::Player(PlayerCommand::Stop));
                    }
                }
            }
        }
    }

    fn on_analysis(&mut self, a: AnalysisEvent) {
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
                    self.rebuild();
                }
            }
            AnalysisEvent::Finished { failed, .. } => {
                self.analysis.running = false;
                self.analysis.failed = failed;
            }
        }
    }

    fn on_key(&mut self, k: KeyEvent, fx: &mut Vec<Effect>) {
        if self.view == View::Training
            && !self.show_help
            && let Some(rt) = &mut self.retrain
        {
            let modal = rt.modal();
            let req = rt.on_key(k);
            if let Some(req) = req {
                self.retrain_request(req, fx);
                return;
            }
            if modal {
                return;
            }
        }
        if self.show_help {
            match (k.code, self.keymap.action_for(&k)) {
                (KeyCode::Esc, _) | (_, Some(Action::Help)) | (_, Some(Action::Quit)) => {
                    self.show_help = false
                }
                (_, Some(Action::Down)) => self.help_scroll += 1,
                (_, Some(Action::Up)) => self.help_scroll = self.help_scroll.saturating_sub(1),
                (_, Some(Action::PageDown)) => self.help_scroll += self.list_height,
                (_, Some(Action::PageUp)) => {
                    self.help_scroll = self.help_scroll.saturating_sub(self.list_height)
                }
                _ => {}
            }
            // The last help line stays in view (one line per bound action, plus Esc's).
            let last = Action::ALL
                .iter()
                .filter(|&&a| !self.keymap.keys_for(a).is_empty())
                .count();
            self.help_scroll = self.help_scroll.min(last);
            return;
        }
        if self.searching {
            match k.code {
                KeyCode::Esc => {
                    self.searching = false;
                    self.search.clear();
                    self.rebuild();
                }
                KeyCode::Enter => self.searching = false,
                KeyCode::Backspace => {
                    self.search.pop();
                    self.rebuild();
                }
                KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                    self.search.push(c);
                    self.lib_nav = ListNav::default();
                    self.rebuild();
                }
                _ => {
                    // Navigation keys still work while typing.
                    if let Some(a) = self.keymap.action_for(&k)
                        && matches!(
                            a,
                            Action::Up | Action::Down | Action::PageUp | Action::PageDown
                        )
                    {
                        self.act(a, fx);
                    }
                }
            }
            return;
        }
        if k.code == KeyCode::Esc && !self.search.is_empty() {
            self.search.clear();
            self.rebuild();
            return;
        }
        if let Some(a) = self.keymap.action_for(&k) {
            self.act(a, fx);
        }
    }

    fn nav_mut(&mut self) -> (&mut ListNav, usize) {
        match self.view {
            View::Library => {
                let n = self.rows.len();
                (&mut self.lib_nav, n)
            }
            View::Queue => {
                let n = self.visible_queue().len();
                (&mut self.queue_nav, n)
            }
            View::Genres if self.genre_focus_tracks => {
                let n = self.selected_genre_tracks().len();
                (&mut self.genre_tracks_nav, n)
            }
            View::Genres => {
                let n = self.genre_lists.len();
                (&mut self.genre_nav, n)
            }
            View::NowPlaying | View::Training => {
                let n = 0;
                (&mut self.queue_nav, n)
            }
        }
    }

    fn move_selection(&mut self, delta: isize) {
        let h = self.list_height;
        let genre_list = self.view == View::Genres && !self.genre_focus_tracks;
        let (nav, len) = self.nav_mut();
        nav.step(delta, len, h);
        if genre_list {
            self.genre_tracks_nav = ListNav::default();
        }
        // Tracks the user looks at are analysed first.
    }

    /// Carries out `a`.
    pub fn act(&mut self, a: Action, fx: &mut Vec<Effect>) {
        let page = self.list_height.max(1) as isize;
        if matches!(
            a,
            Action::Activate | Action::PlayPause | Action::NextTrack | Action::PrevTrack
        ) {
            // The user starts something: failures before it no longer count.
            self.play_errors = 0;
        }
        match a {
            Action::Quit => {
                self.should_quit = true;
                fx.push(Effect::Quit);
            }
            Action::Help => {
                self.show_help = true;
                self.help_scroll = 0;
            }
            Action::NextView | Action::PrevView => {
                let i = View::ALL.iter().position(|v| *v == self.view).unwrap_or(0);
                let n = View::ALL.len();
                let j = if a == Action::NextView {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.view = View::ALL[j];
            }
            Action::ViewLibrary => self.view = View::Library,
            Action::ViewQueue => self.view = View::Queue,
            Action::ViewNowPlaying => self.view = View::NowPlaying,
            Action::ViewGenres => self.view = View::Genres,
            Action::ViewTraining => self.view = View::Training,
            Action::Retrain => {
                self.view = View::Training;
                match &self.retrain {
                    Some(rt) if rt.running() => {
                        self.set_status("a training is already running; x cancels it", true)
                    }
                    Some(rt) if matches!(rt.stage, retrain::Stage::Done(_)) => {
                        self.set_status("accept (a) or discard (d) the trained model first", true)
                    }
                    _ => self.retrain = Some(retrain::Retrain::new(&self.retrain_folder)),
                }
            }
            Action::UseBuiltInModel => {
                if self.retrain.as_ref().is_some_and(|r| r.running()) {
                    self.set_status("a training is running; cancel it first", true);
                } else {
                    fx.push(Effect::UseBuiltInModel);
                }
            }
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::PageUp => self.move_selection(-page),
            Action::PageDown => self.move_selection(page),
            Action::Top => self.move_selection(isize::MIN / 2),
            Action::Bottom => self.move_selection(isize::MAX / 2),
            Action::Collapse => match self.view {
                View::Library => self.collapse(),
                View::Genres => self.genre_focus_tracks = false,
                _ => {}
            },
            Action::Expand => match self.view {
                View::Library => self.expand(),
                View::Genres if !self.selected_genre_tracks().is_empty() => {
                    self.genre_focus_tracks = true;
                }
                _ => {}
            },
            Action::Activate => self.activate(fx),
            Action::Search => {
                self.searching = true;
            }
            Action::PlayPause => {
                if self.playback.track.is_some() {
                    fx.push(Effect::Player(PlayerCommand::TogglePause));
                } else if self.queue.current_track().is_some() || !self.queue.entries.is_empty() {
                    if self.queue.current.is_none() {
                        self.queue.go_to(Some(0));
                    }
                    self.play_current(fx);
                } else {
                    self.activate(fx);
                }
            }
            Action::Stop => {
                self.playback.track = None;
                self.playback.position_secs = 0.0;
                fx.push(Effect::Player(PlayerCommand::Stop));
            }
            Action::NextTrack => self.next_track(true, fx),
            Action::PrevTrack => {
                if self.playback.position_secs > 3.0 && self.playback.track.is_some() {
                    fx.push(Effect::Player(PlayerCommand::SeekTo(0.0)));
                } else if self.queue.back().is_some() {
                    self.play_current(fx);
                }
            }
            Action::SeekForward => {
                if self.playback.track.is_some() {
                    fx.push(Effect::Player(PlayerCommand::SeekBy(5.0)));
                }
            }
            Action::SeekBackward => {
                if self.playback.track.is_some() {
                    fx.push(Effect::Player(PlayerCommand::SeekBy(-5.0)));
                }
            }
            Action::VolumeUp | Action::VolumeDown => {
                let v = self.playback.volume as i32 + if a == Action::VolumeUp { 5 } else { -5 };
                self.playback.volume = v.clamp(0, 150) as u8;
                fx.push(Effect::Player(PlayerCommand::SetVolume(
                    self.playback.volume as f32 / 100.0,
                )));
                self.set_status(format!("volume {}%", self.playback.volume), false);
            }
            Action::ToggleShuffle => {
                self.shuffle = !self.shuffle;
                self.set_status(
                    format!("shuffle {}", if self.shuffle { "on" } else { "off" }),
                    false,
                );
                self.send_next(fx);
            }
            Action::CycleRepeat => {
                self.repeat = self.repeat.next();
                self.set_status(format!("repeat {}", self.repeat.label()), false);
                self.send_next(fx);
            }
            Action::QueueAdd | Action::QueueAddNext => {
                if let Some((tracks, start, _)) = self.selection_tracks() {
                    // From a track row: just that track; from a group: all of it. A track list
                    // that the search has emptied has no selected track: nothing to add.
                    let tracks: Vec<TrackId> = if self.selected_is_track() {
                        tracks.get(start).copied().into_iter().collect()
                    } else {
                        tracks
                    };
                    if tracks.is_empty() {
                        return;
                    }
                    let n = tracks.len();
                    for t in &tracks {
                        fx.push(Effect::Bump(*t));
                    }
                    if a == Action::QueueAdd {
                        self.queue.append(tracks, Reason::Added);
                    } else {
                        self.queue.insert_next(tracks, Reason::Added);
                    }
                    self.set_status(
                        format!(
                            "{n} track{} {}",
                            if n == 1 { "" } else { "s" },
                            if a == Action::QueueAdd {
                                "added to the queue"
                            } else {
                                "will play next"
                            }
                        ),
                        false,
                    );
                    self.send_next(fx);
                    self.rebuild();
                }
            }
            Action::QueueRemove => {
                if self.view == View::Queue
                    && let Some(&i) = self.visible_queue().get(self.queue_nav.selected)
                {
                    self.queue.remove(i);
                    self.send_next(fx);
                    self.rebuild();
                }
            }
            Action::QueueMoveUp | Action::QueueMoveDown => {
                if self.view == View::Queue && self.search.is_empty() {
                    let i = self.queue_nav.selected;
                    let j = if a == Action::QueueMoveUp {
                        i.checked_sub(1)
                    } else {
                        Some(i + 1)
                    };
                    if let Some(j) = j.filter(|&j| j < self.queue.entries.len()) {
                        self.queue.swap(i, j);
                        self.queue_nav.selected = j;
                        self.send_next(fx);
                        self.rebuild();
                    }
                }
            }
            Action::QueueClear => {
                self.queue.clear_keep_current();
                self.send_next(fx);
                self.rebuild();
                self.set_status("queue cleared", false);
            }
            Action::CycleBrowse => {
                self.mode = self.mode.next();
                self.lib_nav = ListNav::default();
                self.view = View::Library;
                self.rebuild();
                self.set_status(format!("browse by {}", self.mode.label()), false);
            }
            Action::CycleTheme => {
                self.theme_idx = (self.theme_idx + 1) % self.themes.len();
                let name = self.theme().name.clone();
                self.set_status(format!("theme: {name}"), false);
            }
            Action::JumpToPlaying => self.jump_to_playing(),
            Action::FillSimilar => self.fill_similar(fx),
            Action::ToggleAutoDj => self.toggle_auto_dj(fx),
            Action::ExportPlaylist => self.export_playlist(fx),
        }
        if matches!(
            a,
            Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom
        ) && let Some(RowKind::Track(id)) = (self.view == View::Library)
            .then(|| self.rows.get(self.lib_nav.selected).map(|r| r.kind.clone()))
            .flatten()
        {
            fx.push(Effect::Bump(id));
        }
    }

    fn selected_is_track(&self) -> bool {
        match self.view {
            View::Library => matches!(
                self.rows.get(self.lib_nav.selected).map(|r| &r.kind),
                Some(RowKind::Track(_))
            ),
            View::Genres => self.genre_focus_tracks,
            _ => false,
        }
    }

    fn activate(&mut self, fx: &mut Vec<Effect>) {
        match self.view {
            View::Queue => {
                if let Some(&i) = self.visible_queue().get(self.queue_nav.selected) {
                    self.queue.go_to(Some(i));
                    self.play_current(fx);
                }
            }
            View::Library | View::Genres => {
                if let Some((tracks, start, what)) = self.selection_tracks()
                    && !tracks.is_empty()
                {
                    self.queue.replace(tracks, Reason::From(what), start);
                    self.play_current(fx);
                    self.rebuild();
                }
            }
            View::NowPlaying | View::Training => {}
        }
    }

    fn collapse(&mut self) {
        let Some(row) = self.rows.get(self.lib_nav.selected).cloned() else {
            return;
        };
        match &row.kind {
            RowKind::Group(path) if row.expanded => {
                self.expanded.remove(path);
            }
            _ => {
                // Go to the parent group.
                if let Some(p) = self.rows[..self.lib_nav.selected]
                    .iter()
                    .rposition(|r| r.depth + 1 == row.depth)
                {
                    self.lib_nav.selected = p;
                    if let RowKind::Group(path) = &self.rows[p].kind {
                        self.expanded.remove(path);
                    }
                }
            }
        }
        self.rebuild();
    }

    fn expand(&mut self) {
        if let Some(Row {
            kind: RowKind::Group(path),
            ..
        }) = self.rows.get(self.lib_nav.selected)
        {
            self.expanded.insert(path.clone());
            self.rebuild();
        }
    }

    fn retrain_request(&mut self, req: retrain::Request, fx: &mut Vec<Effect>) {
        match req {
            retrain::Request::Prepare(spec) => {
                self.retrain_folder = spec.folder.clone();
                fx.push(Effect::PrepareTraining(spec));
            }
            retrain::Request::Start(spec) => {
                self.set_status(format!("training on {}…", spec.folder.display()), false);
                fx.push(Effect::StartTraining(spec));
            }
            retrain::Request::Cancel => {
                self.set_status("cancelling the training…", false);
                fx.push(Effect::CancelTraining);
            }
            retrain::Request::Accept => {
                self.retrain = None;
                fx.push(Effect::AcceptModel);
            }
            retrain::Request::Discard => {
                self.retrain = None;
                self.set_status("trained model discarded; nothing changed", false);
                fx.push(Effect::DiscardModel);
            }
            retrain::Request::Close => {
                self.retrain = None;
                self.view = View::Library;
            }
        }
    }

    fn note_played(&mut self, id: TrackId) {
        if self.played.last() != Some(&id) {
            self.played.push(id);
            if self.played.len() > 500 {
                self.played.drain(..100);
            }
        }
    }

    fn candidate(&self, id: TrackId) -> Option<Candidate> {
        let info = self.lib.track(id)?;
        Some(Candidate {
            id,
            artist: artist_key(&info.artist),
            genre: self.lib.vectors.get(&id)?.clone(),
            style: self.lib.styles.get(&id).cloned(),
        })
    }

    fn pick_entry(&self, p: &Pick) -> QueueEntry {
        let seed = self
            .lib
            .track(p.after)
            .map(|t| t.title.clone())
            .unwrap_or_default();
        QueueEntry {
            track: p.track,
            reason: Reason::Similar {
                seed,
                genre: self.lib.labels.get(p.genre).cloned().unwrap_or_default(),
                similarity: p.similarity,
            },
        }
    }

    /// What recommendations must not repeat (played this session and everything queued), and
    /// the artists that just played.
    fn recent(&self) -> (Vec<TrackId>, Vec<String>) {
        let mut history: Vec<TrackId> = self.played.clone();
        history.extend(self.queue.entries.iter().map(|e| e.track));
        let artists = self
            .played
            .iter()
            .rev()
            .take(self.recommend.artist_window.max(1))
            .rev()
            .filter_map(|id| self.lib.track(*id))
            .map(|t| artist_key(&t.artist))
            .collect();
        (history, artists)
    }

    /// The track a recommendation starts from: the playing one, else the selection.
    fn seed_track(&self) -> Option<TrackId> {
        self.playback.track.or_else(|| match self.view {
            View::Library => match self.rows.get(self.lib_nav.selected).map(|r| &r.kind) {
                Some(RowKind::Track(id)) => Some(*id),
                _ => None,
            },
            View::Genres if self.genre_focus_tracks => self
                .selected_genre_tracks()
                .get(self.genre_tracks_nav.selected)
                .map(|(t, _)| *t),
            _ => None,
        })
    }

    /// "Play next": tracks like the playing one (or the selection) go right after the current
    /// entry, replacing the previous fill; entries you added stay.
    fn fill_similar(&mut self, fx: &mut Vec<Effect>) {
        let Some(seed_id) = self.seed_track() else {
            self.set_status(
                "play a track (or select one) to fill the queue with similar ones",
                true,
            );
            return;
        };
        let Some(seed) = self.candidate(seed_id) else {
            fx.push(Effect::Bump(seed_id));
            self.set_status(
                "that track is not analysed yet; it is next in line, try again in a moment",
                true,
            );
            return;
        };
        // Drop the previous fill after the current entry.
        let cur = self.queue.current;
        let stale: Vec<usize> = (0..self.queue.entries.len())
            .rev()
            .filter(|&i| {
                cur.is_none_or(|c| i > c)
                    && matches!(self.queue.entries[i].reason, Reason::Similar { .. })
            })
            .collect();
        for i in stale {
            self.queue.remove(i);
        }
        let pool = self.lib.candidates();
        let (mut history, mut artists) = self.recent();
        history.push(seed_id);
        artists.push(seed.artist.clone());
        let picks = build_queue(
            &self.recommend,
            &seed,
            &pool,
            &history,
            &artists,
            self.fill_count,
            &mut self.rng,
        );
        if picks.is_empty() {
            self.set_status("no other analysed tracks to choose from yet", true);
            return;
        }
        let entries: Vec<QueueEntry> = picks.iter().map(|p| self.pick_entry(p)).collect();
        let n = entries.len();
        let title = self
            .lib
            .track(seed_id)
            .map(|t| t.title.clone())
            .unwrap_or_default();
        if self.playback.track.is_none() {
            // Nothing plays: start with the seed.
            self.queue.replace(vec![seed_id], Reason::Added, 0);
            self.queue.entries.extend(entries);
            self.play_current(fx);
        } else {
            let at = self.queue.current.map_or(0, |c| c + 1);
            for (k, e) in entries.into_iter().enumerate() {
                self.queue.insert_entry(at + k, e);
            }
            self.send_next(fx);
        }
        self.set_status(format!("{n} tracks like \"{title}\" will play next"), false);
        self.rebuild();
    }

    fn toggle_auto_dj(&mut self, fx: &mut Vec<Effect>) {
        self.auto_dj = !self.auto_dj;
        if !self.auto_dj {
            self.set_status("auto-DJ off", false);
            return;
        }
        let before = self.queue.entries.len();
        self.extend_auto_dj();
        let added = self.queue.entries.len() - before;
        if self.playback.track.is_none() && !self.queue.entries.is_empty() {
            if self.queue.current.is_none() {
                self.queue.go_to(Some(0));
            }
            self.play_current(fx);
        } else {
            self.send_next(fx);
        }
        self.set_status(
            if self.lib.vectors.is_empty() {
                "auto-DJ on (it starts once tracks are analysed)".to_string()
            } else {
                format!("auto-DJ on: the queue keeps going ({added} added)")
            },
            false,
        );
        self.rebuild();
    }

    /// Auto-DJ: keeps at least `auto_dj_ahead` entries after the current one, each chosen to
    /// follow the one before.
    fn extend_auto_dj(&mut self) {
        if !self.auto_dj {
            return;
        }
        let ahead = self.queue.current.map_or(self.queue.entries.len(), |c| {
            self.queue.entries.len().saturating_sub(c + 1)
        });
        if ahead >= self.auto_dj_ahead {
            return;
        }
        let from_id = self
            .queue
            .entries
            .last()
            .map(|e| e.track)
            .or_else(|| self.seed_track())
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
        let pool = self.lib.candidates();
        let (mut history, mut artists) = self.recent();
        history.push(from.id);
        artists.push(from.artist.clone());
        if self.queue.entries.is_empty() {
            // Start from the seed itself.
            self.queue.append([from.id], Reason::Added);
        }
        let picks = extend_chain(
            &self.recommend,
            &from,
            &pool,
            &history,
            &artists,
            self.auto_dj_ahead - ahead,
            &mut self.rng,
        );
        let entries: Vec<QueueEntry> = picks.iter().map(|p| self.pick_entry(p)).collect();
        self.queue.entries.extend(entries);
    }

    /// Sends the selected genre playlist (Genres view) or the queue to be written as M3U8.
    fn export_playlist(&mut self, fx: &mut Vec<Effect>) {
        let (name, ids): (String, Vec<TrackId>) = match self.view {
            View::Genres => match self.genre_lists.get(self.genre_nav.selected) {
                Some((g, t)) => (g.clone(), t.iter().map(|(id, _)| *id).collect()),
                None => return,
            },
            _ => (
                "queue".to_string(),
                self.queue.entries.iter().map(|e| e.track).collect(),
            ),
        };
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
        fx.push(Effect::ExportPlaylist { name, entries });
    }

    fn jump_to_playing(&mut self) {
        let Some(id) = self.playback.track else {
            return;
        };
        if self.lib.track(id).is_none() {
            return;
        }
        self.view = View::Library;
        self.search.clear();
        // The groups above the track, as the tree has them (the tree merges names that differ
        // only in case under the first one, so the track's own fields are not the path).
        fn path_to(groups: &[Group], id: TrackId) -> Option<Vec<String>> {
            groups.iter().find_map(|g| {
                if g.tracks.contains(&id) {
                    return Some(vec![g.name.clone()]);
                }
                let mut p = path_to(&g.children, id)?;
                p.insert(0, g.name.clone());
                Some(p)
            })
        }
        let path = path_to(&self.tree(), id).unwrap_or_default();
        for k in 1..=path.len() {
            self.expanded.insert(path[..k].to_vec());
        }
        self.rebuild();
        if let Some(i) = self.rows.iter().position(|r| r.kind == RowKind::Track(id)) {
            self.lib_nav.selected = i;
            self.lib_nav.clamp(self.rows.len(), self.list_height);
        }
    }
}
