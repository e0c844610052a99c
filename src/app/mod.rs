//! One concern at ~620 lines: the player's one router (focus, the key dispatch to prompts,
//! help, search and views, and the global actions); the views own the rest.
//!
//! The player's state and `update(event) → effects`. Nothing here draws or blocks: input,
//! player and analysis events come in, effects (player commands, store work) go out.
//!
//! A key goes to whoever has the focus ([`App::focus`]): the help popup, a prompt, the training
//! dialog, the search box, the search results, or the view on screen. A view gets the keymap's
//! action first (`views::*::on_action`); what it does not take is a global action handled
//! here.

mod actions;
pub mod catalog;
pub mod command_line;
pub mod crossfade;
pub mod event;
mod feedback;
mod input;
pub mod layout;
pub mod listening;
pub mod media;
mod mouse;
pub mod nav;
pub mod play_next;
pub mod play_queue;
pub mod prompt;
pub mod remote;
pub mod retrain;
pub mod saved;
pub mod search;
pub mod session;
pub mod state;
pub mod stations;
mod undo;
pub mod views;
pub mod visualiser;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::config::Theme;
use crate::keys::{Action, Keymap, Scope};
pub use crate::store::history::Rating;
pub use catalog::Catalog;
pub use event::{Effect, Event, StateFile, StateSave};
pub use nav::ListNav;
use prompt::{Prompt, PromptKind, PromptOutcome};
use search::SearchBox;
pub use session::Session;
use views::View as _;
use views::genres::GenresView;
use views::library::LibraryView;
pub use views::library::{Row, RowKind};
use views::now_playing::NowPlayingView;
use views::playlists::PlaylistsView;
use views::queue::QueueView;
use views::search::SearchView;
use views::stats::StatsView;
use views::training::{After, TrainingView};
use views::{Handled, Selection};

/// The main views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Library,
    Queue,
    NowPlaying,
    Genres,
    Playlists,
    Training,
    Stats,
}

impl View {
    pub const ALL: [View; 7] = [
        View::Library,
        View::Queue,
        View::NowPlaying,
        View::Genres,
        View::Playlists,
        View::Training,
        View::Stats,
    ];
    pub fn title(self) -> &'static str {
        match self {
            View::Library => "Library",
            View::Queue => "Queue",
            View::NowPlaying => "Now playing",
            View::Genres => "Genres",
            View::Playlists => "Playlists",
            View::Training => "Training",
            View::Stats => "Stats",
        }
    }

    /// The tab's title where the full ones do not fit (an 80-column terminal).
    pub fn short_title(self) -> &'static str {
        match self {
            View::Library => "Lib",
            View::Queue => "Queue",
            View::NowPlaying => "Now",
            View::Genres => "Genres",
            View::Playlists => "Lists",
            View::Training => "Train",
            View::Stats => "Stats",
        }
    }

    /// The action that shows this view (its key is the tab's number).
    pub fn action(self) -> Action {
        match self {
            View::Library => Action::ViewLibrary,
            View::Queue => Action::ViewQueue,
            View::NowPlaying => Action::ViewNowPlaying,
            View::Genres => Action::ViewGenres,
            View::Playlists => Action::ViewPlaylists,
            View::Training => Action::ViewTraining,
            View::Stats => Action::ViewStats,
        }
    }

    /// The scopes whose actions apply in this view, the view's own first.
    pub fn scopes(self) -> &'static [Scope] {
        match self {
            View::Library | View::Genres => &[Scope::Browse, Scope::Navigation, Scope::Global],
            View::Queue => &[Scope::Queue, Scope::Navigation, Scope::Global],
            View::NowPlaying | View::Stats => &[Scope::Navigation, Scope::Global],
            View::Playlists => &[
                Scope::Playlists,
                Scope::Browse,
                Scope::Navigation,
                Scope::Global,
            ],
            View::Training => &[Scope::Training, Scope::Navigation, Scope::Global],
        }
    }
}

/// Who gets the next key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Help,
    /// A one-line prompt (a name, a file, a time, yes/no).
    Prompt,
    /// The retrain dialog in the Training view.
    Dialog,
    /// Typing in the search box.
    Search,
    /// The search results list.
    Results,
    View(View),
}

/// The views, each with its own state.
#[derive(Debug, Default)]
pub struct Views {
    pub library: LibraryView,
    pub queue: QueueView,
    pub now_playing: NowPlayingView,
    pub genres: GenresView,
    pub playlists: PlaylistsView,
    pub training: TrainingView,
    pub search: SearchView,
    pub stats: StatsView,
}

impl Views {
    /// The view behind a tab.
    pub fn pane(&self, v: View) -> &dyn views::View {
        let views = self;
        match v {
            View::Library => &views.library,
            View::Queue => &views.queue,
            View::NowPlaying => &views.now_playing,
            View::Genres => &views.genres,
            View::Playlists => &views.playlists,
            View::Training => &views.training,
            View::Stats => &views.stats,
        }
    }

    /// The view behind a tab, to act on.
    pub fn pane_mut(&mut self, v: View) -> &mut dyn views::View {
        let views = self;
        match v {
            View::Library => &mut views.library,
            View::Queue => &mut views.queue,
            View::NowPlaying => &mut views.now_playing,
            View::Genres => &mut views.genres,
            View::Playlists => &mut views.playlists,
            View::Training => &mut views.training,
            View::Stats => &mut views.stats,
        }
    }
}

/// The help popup: the keys, or the last status messages in full.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Help {
    pub open: bool,
    pub scroll: usize,
    /// The popup shows the messages (`Session::messages`) instead of the keys.
    pub messages: bool,
}

/// What was last saved, to save again only what changed.
#[derive(Debug, Default)]
struct Saved {
    session: Option<state::SavedSession>,
    queue_changes: Option<u64>,
    /// The context's paths made for the last save (see `App::saved_queue`).
    context: Option<SavedContextPaths>,
}

/// A context's tracks as saved paths, for the context list and catalog they were made from.
#[derive(Debug)]
struct SavedContextPaths {
    catalog: (u64, usize),
    tracks: Vec<crate::library::TrackId>,
    paths: std::sync::Arc<Vec<state::SavedPath>>,
}

/// The whole state of the player UI.
pub struct App {
    pub session: Session,
    pub views: Views,
    pub view: View,
    pub search: SearchBox,
    pub help: Help,
    pub prompt: Option<Prompt>,
    pub themes: Vec<Theme>,
    pub theme_idx: usize,
    pub should_quit: bool,
    /// Terminal size (columns, rows), for the mouse.
    pub size: (u16, u16),
    /// The last left click (when, column, row), to tell a double click.
    last_click: Option<(std::time::Instant, u16, u16)>,
    saved: Saved,
    /// A saved state waiting for the library (it was empty at start: a rebuilt database is
    /// still being scanned). Nothing is saved until it is applied, so it is never lost.
    pending_restore: Option<(Option<state::SavedSession>, Option<state::SavedQueue>)>,
    /// The spectrum visualiser in Now playing.
    pub visualiser: visualiser::Visualiser,
}

/// Up to this many tracks the genre views follow each vector as it arrives; beyond, once a
/// tick (1 s), for all the vectors that arrived in it.
const UPDATE_EACH_VECTOR: usize = 5_000;

impl App {
    pub fn new(lib: Catalog, keymap: Keymap, themes: Vec<Theme>, theme: &str, volume: u8) -> Self {
        let mut app = Self::unbuilt(lib, keymap, themes, theme, volume);
        app.rebuild();
        app
    }

    /// An app whose views are not built yet: the player's start sets its options and restores
    /// the saved state first, and [`App::resume_saved`] then builds the views once (at 50,000
    /// tracks each build of the browse tree and genre playlists costs ≈ 100 ms).
    pub fn unbuilt(
        lib: Catalog,
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
        let training = TrainingView::new(&lib.root);
        App {
            session: Session::new(lib, keymap, volume),
            views: Views {
                training,
                ..Default::default()
            },
            view: View::Library,
            search: SearchBox::default(),
            help: Help::default(),
            prompt: None,
            themes,
            theme_idx,
            should_quit: false,
            size: (80, 24),
            last_click: None,
            saved: Saved::default(),
            pending_restore: None,
            visualiser: Default::default(),
        }
    }

    pub fn theme(&self) -> &Theme {
        &self.themes[self.theme_idx.min(self.themes.len() - 1)]
    }

    pub fn keymap(&self) -> &Keymap {
        &self.session.keymap
    }

    /// Who gets the next key.
    pub fn focus(&self) -> Focus {
        if self.help.open {
            Focus::Help
        } else if self.prompt.is_some() {
            Focus::Prompt
        } else if self.view == View::Training && self.views.training.retrain.is_some() {
            Focus::Dialog
        } else if self.search.typing {
            Focus::Search
        } else if self.search.open {
            Focus::Results
        } else {
            Focus::View(self.view)
        }
    }

    /// The tabs' titles: the full ones when the tab line (with the help hint) fits the
    /// terminal, else the short ones. The drawing and the mouse both ask here.
    pub fn tab_titles(&self) -> [(View, &'static str); View::ALL.len()] {
        let keys = self.keymap();
        let full: usize = View::ALL
            .iter()
            .map(|v| crate::app::layout::tab_width(&keys.hint(v.action()), v.title()))
            .sum();
        let help = keys.hint(Action::Help).chars().count() + 7;
        let short = crate::app::layout::TABS_START + full + help > usize::from(self.size.0);
        View::ALL.map(|v| (v, if short { v.short_title() } else { v.title() }))
    }

    /// Recomputes every view's derived state (rows, playlists, the queue, search results).
    pub fn rebuild(&mut self) {
        self.session.take_genre_changes();
        let s = &self.session;
        let h = s.list_height;
        self.views.library.rebuild(&s.lib, &s.history, h);
        self.views.genres.rebuild(
            &s.lib,
            s.recommend.min_confidence,
            s.recommend.unsure_in_playlists,
            h,
        );
        self.views.queue.refresh(s);
        self.views.queue.clamp(h);
        self.views.playlists.smart_changed();
        self.views.search.forget();
        if self.search.open {
            self.views
                .search
                .run(&s.lib, s.facts(), &self.search.text, h);
        }
    }

    /// The lists' height changed: only the selections and scroll offsets follow (the rows do
    /// not depend on it; rebuilding them at 50,000 tracks takes ≈ 100 ms).
    fn relayout(&mut self) {
        let h = self.session.list_height;
        let v = &mut self.views;
        v.library.nav.clamp(v.library.rows.len(), h);
        v.search.nav.clamp(v.search.results.len(), h);
        for view in View::ALL {
            v.pane_mut(view).clamp(h);
        }
    }

    /// The genre playlists again (their minimum confidence changed).
    pub fn rebuild_genres(&mut self) {
        let s = &self.session;
        self.views.genres.rebuild(
            &s.lib,
            s.recommend.min_confidence,
            s.recommend.unsure_in_playlists,
            s.list_height,
        );
    }

    /// Brings what depends on genres up to date for the tracks whose genre changed: the genre
    /// playlists, the library's genre tree, and search results that look at genres. Only
    /// those tracks are moved (a full rebuild of 50,000 tracks takes ≈ 100 ms).
    fn update_genres(&mut self) {
        let s = &mut self.session;
        if !s.has_genre_changes() {
            return;
        }
        let changed = s.take_genre_changes();
        let h = s.list_height;
        self.views.genres.update(
            &s.lib,
            s.recommend.min_confidence,
            s.recommend.unsure_in_playlists,
            &changed,
            h,
        );
        self.views
            .library
            .update_genres(&s.lib, &s.history, &changed, h);
        self.views
            .search
            .genres_changed(&s.lib, s.facts(), &changed, self.search.open, h);
    }

    /// What the selection of the view with the focus stands for.
    fn selection(&self) -> Option<Selection> {
        let lib = &self.session.lib;
        if self.search.open {
            return views::View::selection(&self.views.search, lib);
        }
        self.views.pane(self.view).selection(lib)
    }

    /// The track a recommendation starts from: the playing one, else the selected track.
    fn seed_track(&self) -> Option<crate::library::TrackId> {
        self.session
            .playback
            .track
            .or_else(|| self.selection().and_then(|s| s.seed()))
    }

    // ---------------------------------------------------------------- update

    /// Applies one event; returns the effects to carry out.
    pub fn update(&mut self, ev: Event) -> Vec<Effect> {
        if matches!(
            ev,
            Event::HistoryLoaded(_)
                | Event::HistoryChanged { .. }
                | Event::VectorReady { .. }
                | Event::TracksMoved(_)
        ) {
            self.views.playlists.smart_changed();
        }
        if matches!(ev, Event::HistoryLoaded(_) | Event::HistoryChanged { .. })
            && self.views.library.sort == views::sort::SortKey::Plays
        {
            // The order by plays follows the history (read after the first screen).
            self.session.mark_stale();
        }
        let s = &mut self.session;
        match ev {
            Event::Key(k) => {
                // A notice has been seen: the key takes it away (and does what it does).
                s.notice = None;
                self.on_key(k)
            }
            Event::Mouse(m) => self.on_mouse(m),
            Event::Resize(w, h) => {
                self.size = (w, h);
                s.list_height = crate::app::layout::list_height(h);
                self.relayout();
            }
            Event::Tick => self.tick(),
            Event::Player(p) => s.on_player(p),
            Event::Analysis(a) => s.on_analysis(a),
            Event::VectorReady {
                track,
                vector,
                style,
                open_set,
            } => s.vector_ready(track, vector, style, open_set),
            Event::LoudnessReady { track, loudness } => s.loudness_ready(track, loudness),
            Event::Status { text, error } => s.set_status(text, error),
            Event::Notice(text) => s.notice = Some(text),
            Event::TrainPrepared(r) => self.views.training.prepared(r),
            Event::Training(ev) => self.views.training.progress(ev),
            Event::TrainingFinished(r) => self.views.training.finished(r, s),
            Event::ModelActivated { id, name, labels } => s.model_activated(id, name, labels),
            Event::LibraryLoaded(lib) => {
                s.library_loaded(*lib);
                if !self.session.lib.tracks.is_empty()
                    && let Some((session, queue)) = self.pending_restore.take()
                {
                    self.resume_saved(session, queue);
                }
            }
            Event::LibraryOffline(why) => s.library_offline(why),
            Event::PlaylistsLoaded(lists) => {
                let h = s.list_height;
                self.views.playlists.loaded(lists, h, &s.lib, s.facts());
                if let Some(p) = self.prompt.as_mut() {
                    p.playlists_loaded(&self.views.playlists.lists);
                }
            }
            Event::PlaylistRenamed { from, to } => self.views.playlists.renamed(&from, &to),
            Event::PlaylistEdited { path, undo, step } => {
                self.views.playlists.edited(path, undo, step)
            }
            Event::ModelsLoaded(m) => self.views.training.models_loaded(m),
            Event::HistoryLoaded(history) => s.history_loaded(history),
            Event::HistoryChanged { track, record } => {
                s.history_changed(track, record);
                self.views.stats.history_changed();
            }
            Event::StatsReady(stats) => self.views.stats.ready(stats),
            Event::Remote(remote::RemoteRequest {
                command: remote::RemoteCommand::Command { line },
                reply,
            }) => self.remote_command(&line, reply),
            Event::Remote(req) => {
                let quit = req.command == remote::RemoteCommand::Quit;
                remote::handle(s, req);
                if quit {
                    self.should_quit = true;
                    self.session.push(Effect::Quit);
                }
            }
            Event::TracksMoved(moved) => s.tracks_moved(&moved),
            Event::CoverReady {
                track,
                cells,
                cover,
            } => self.views.now_playing.cover_ready(track, cells, cover),
            Event::LyricsReady { track, lyrics } => {
                self.views.now_playing.lyrics_ready(track, lyrics)
            }
        }
        self.want_art();
        let stats_shown = self.view == View::Stats && !self.search.open;
        self.views.stats.want(&mut self.session, stats_shown);
        if let Some(p) = self.session.take_prompt() {
            self.prompt = Some(p);
        }
        if self.session.take_stale() {
            self.rebuild();
        } else {
            if self.session.lib.tracks.len() <= UPDATE_EACH_VECTOR {
                self.update_genres();
            }
            // Track ends and auto-DJ change the queue without a rebuild: keep its rows true.
            self.views.queue.refresh(&self.session);
        }
        self.session.take_effects()
    }

    /// Once a second: an old message leaves the status line; what changed is saved; genres and
    /// smart playlists catch up.
    fn tick(&mut self) {
        let s = &mut self.session;
        if let Some(m) = &s.status
            && m.at.elapsed().as_secs() >= 6
        {
            s.status = None;
        }
        self.save_if_changed();
        self.update_genres();
        let s = &self.session;
        self.views.playlists.tick(&s.lib, s.facts(), s.list_height);
    }

    /// The playing track's cover and lyrics are asked for when they change (the cover only
    /// while Now playing is on screen, at the size it is drawn).
    fn want_art(&mut self) {
        let cells = (self.view == View::NowPlaying && !self.search.open)
            .then(|| {
                let (w, h) = self.size;
                crate::app::layout::now_playing_cover(crate::app::layout::now_playing_inner(
                    crate::app::layout::frame(ratatui::layout::Rect::new(0, 0, w, h))[1],
                ))
            })
            .flatten()
            .map(|r| (r.width, r.height));
        self.views.now_playing.want_art(&mut self.session, cells);
    }

    /// Saves the session and the queue when they changed since they were last saved. The UI
    /// thread only takes what they hold (the context's paths once per context); the JSON is
    /// made and written on the state writer's thread.
    fn save_if_changed(&mut self) {
        if self.pending_restore.is_some() {
            return;
        }
        let changes = self.session.queue.changes();
        if self.saved.queue_changes != Some(changes) {
            self.saved.queue_changes = Some(changes);
            let q = self.saved_queue();
            self.session
                .push(Effect::SaveState(StateSave::Queue(Box::new(q))));
        }
        let session = self.saved_session();
        if self.saved.session.as_ref() != Some(&session) {
            self.saved.session = Some(session.clone());
            self.session
                .push(Effect::SaveState(StateSave::Session(Box::new(session))));
        }
    }

    /// Everything to save now, changed or not (on quitting). Nothing while a saved state
    /// waits for the library: the waiting state is never written over by an empty one.
    pub fn state_now(&mut self) -> Vec<StateSave> {
        if self.pending_restore.is_some() {
            return Vec::new();
        }
        vec![
            StateSave::Queue(Box::new(self.saved_queue())),
            StateSave::Session(Box::new(self.saved_session())),
        ]
    }

    /// Restores a saved state and loads its playing track paused at its second (the player
    /// effects are queued like any other). With an empty library the state waits for the
    /// library to load.
    pub fn resume_saved(
        &mut self,
        session: Option<state::SavedSession>,
        queue: Option<state::SavedQueue>,
    ) {
        if self.session.lib.tracks.is_empty() && (session.is_some() || queue.is_some()) {
            self.pending_restore = Some((session, queue));
            self.rebuild();
        } else if let Some(pos) = self.restore(session, queue) {
            let s = &mut self.session;
            s.load_current(true);
            if pos > 0.0 {
                s.seek_to(pos);
            }
            s.playback.position_secs = pos;
        }
        let s = &mut self.session;
        let volume = if s.playback.muted {
            0.0
        } else {
            f32::from(s.playback.volume) / 100.0
        };
        s.push(Effect::Player(
            crate::audio::player::PlayerCommand::SetVolume(volume),
        ));
        self.mark_saved();
    }

    /// Whether a saved state waits for the library.
    pub fn restore_pending(&self) -> bool {
        self.pending_restore.is_some()
    }

    /// Marks the state as saved as it is now (after a restore, or a save on quitting).
    pub fn mark_saved(&mut self) {
        self.saved.queue_changes = Some(self.session.queue.changes());
        self.saved.session = Some(self.saved_session());
    }

    /// Carries out `a`: the list with the focus first, then the global actions.
    pub fn act(&mut self, a: Action) {
        if matches!(
            a,
            Action::Activate | Action::PlayPause | Action::NextTrack | Action::PrevTrack
        ) {
            self.session.reset_play_errors();
        }
        if self.delegate(a) == Handled::Yes {
            return;
        }
        self.global(a);
    }

    /// Hands `a` to the search results, or to the view on screen.
    fn delegate(&mut self, a: Action) -> Handled {
        if self.search.open {
            if self.mark_in_search(a) {
                return Handled::Yes;
            }
            return views::View::on_action(&mut self.views.search, a, &mut self.session);
        }
        self.views
            .pane_mut(self.view)
            .on_action(a, &mut self.session)
    }

    /// The Library's marks from the search results: `y`/`x` mark the selected result (and
    /// move down), `Z` clears, `a`/`A` queue the marks. True when `a` was one of those.
    fn mark_in_search(&mut self, a: Action) -> bool {
        use views::marks::Mark;
        let s = &mut self.session;
        let lib = &mut self.views.library;
        let search = &mut self.views.search;
        match a {
            Action::ToggleMark | Action::MarkLess => {
                let Some(&id) = search.results.get(search.nav.selected) else {
                    return true;
                };
                let mark = if a == Action::MarkLess {
                    Mark::Less
                } else {
                    Mark::Like
                };
                lib.marks.toggle(id, mark);
                search
                    .nav
                    .on_action(Action::Down, search.results.len(), s.list_height);
                lib.say_marks(s);
            }
            Action::ClearMarks => {
                lib.marks.clear();
                lib.say_marks(s);
            }
            Action::QueueAdd | Action::QueueAddNext if !lib.marks.is_empty() => {
                lib.queue_marks(a == Action::QueueAddNext, s);
            }
            _ => return false,
        }
        true
    }

    fn show(&mut self, v: View) {
        self.close_search();
        self.view = v;
        // Read each time the view shows: the files may have changed meanwhile (edited by
        // hand, `genreplay playlists --import`).
        if v == View::Playlists {
            self.session.push(Effect::LoadPlaylists);
        }
        if v == View::Training {
            self.session.push(Effect::LoadModels);
        }
    }
}
