//! The player's state and `update(event) → effects`. Nothing here draws or blocks: input,
//! player and analysis events come in, effects (player commands, store work) go out.
//!
//! A key goes to whoever has the focus ([`App::focus`]): the help popup, the training dialog,
//! the search box, or the view on screen. A view gets the keymap's action first
//! (`views::*::on_action`); what it does not take is a global action handled here.

pub mod catalog;
pub mod event;
pub mod nav;
pub mod play_next;
pub mod play_queue;
pub mod remote;
pub mod retrain;
pub mod search;
pub mod session;
pub mod views;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::config::Theme;
use crate::keys::{Action, Keymap, Scope};
pub use catalog::Catalog;
pub use event::{Effect, Event};
pub use nav::ListNav;
use search::SearchBox;
pub use session::Session;
use views::genres::GenresView;
use views::library::LibraryView;
pub use views::library::{Row, RowKind};
use views::now_playing::NowPlayingView;
use views::queue::QueueView;
use views::training::{After, TrainingView};
use views::{Handled, Selection};

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

    /// The action that shows this view (its key is the tab's number).
    pub fn action(self) -> Action {
        match self {
            View::Library => Action::ViewLibrary,
            View::Queue => Action::ViewQueue,
            View::NowPlaying => Action::ViewNowPlaying,
            View::Genres => Action::ViewGenres,
            View::Training => Action::ViewTraining,
        }
    }

    /// The scopes whose actions apply in this view, the view's own first.
    pub fn scopes(self) -> &'static [Scope] {
        match self {
            View::Library | View::Genres => &[Scope::Browse, Scope::Navigation, Scope::Global],
            View::Queue => &[Scope::Queue, Scope::Navigation, Scope::Global],
            View::NowPlaying => &[Scope::Navigation, Scope::Global],
            View::Training => &[Scope::Training, Scope::Navigation, Scope::Global],
        }
    }
}

/// Who gets the next key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Help,
    /// The retrain dialog in the Training view.
    Dialog,
    Search,
    View(View),
}

/// The views, each with its own state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Views {
    pub library: LibraryView,
    pub queue: QueueView,
    pub now_playing: NowPlayingView,
    pub genres: GenresView,
    pub training: TrainingView,
}

/// The help popup.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Help {
    pub open: bool,
    pub scroll: usize,
}

/// The whole state of the player UI.
pub struct App {
    pub session: Session,
    pub views: Views,
    pub view: View,
    pub search: SearchBox,
    pub help: Help,
    pub themes: Vec<Theme>,
    pub theme_idx: usize,
    pub should_quit: bool,
}

impl App {
    pub fn new(lib: Catalog, keymap: Keymap, themes: Vec<Theme>, theme: &str, volume: u8) -> Self {
        let themes = if themes.is_empty() {
            vec![Theme::fallback()]
        } else {
            themes
        };
        let theme_idx = themes.iter().position(|t| t.name == theme).unwrap_or(0);
        let training = TrainingView::new(&lib.root);
        let mut app = App {
            session: Session::new(lib, keymap, volume),
            views: Views {
                training,
                ..Default::default()
            },
            view: View::Library,
            search: SearchBox::default(),
            help: Help::default(),
            themes,
            theme_idx,
            should_quit: false,
        };
        app.rebuild();
        app
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
        } else if self.view == View::Training && self.views.training.retrain.is_some() {
            Focus::Dialog
        } else if self.search.typing {
            Focus::Search
        } else {
            Focus::View(self.view)
        }
    }

    /// Recomputes every view's derived state (rows, playlists, visible queue).
    pub fn rebuild(&mut self) {
        let filter = self.search.filter();
        let s = &self.session;
        let h = s.list_height;
        self.views.library.rebuild(&s.lib, filter.as_ref(), h);
        self.views
            .genres
            .rebuild(&s.lib, filter.as_ref(), s.recommend.min_confidence, h);
        self.views
            .queue
            .refresh(s, filter.as_ref(), !self.search.text.is_empty());
        self.views.queue.clamp(h);
    }

    /// What the selection of the view on screen stands for.
    fn selection(&self) -> Option<Selection> {
        match self.view {
            View::Library => self.views.library.selection(),
            View::Genres => self.views.genres.selection(),
            View::Queue | View::NowPlaying | View::Training => None,
        }
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
        let s = &mut self.session;
        match ev {
            Event::Key(k) => self.on_key(k),
            Event::Resize(_, h) => {
                s.list_height = crate::ui::layout::list_height(h);
                s.mark_stale();
            }
            Event::Tick => {
                if let Some(m) = &s.status
                    && m.at.elapsed().as_secs() >= 6
                {
                    s.status = None;
                }
            }
            Event::Player(p) => s.on_player(p),
            Event::Analysis(a) => s.on_analysis(a),
            Event::VectorReady {
                track,
                vector,
                style,
            } => {
                s.lib.set_vector(track, vector);
                if let Some(st) = style {
                    s.lib.styles.insert(track, st);
                }
                s.mark_stale();
            }
            Event::Status { text, error } => s.set_status(text, error),
            Event::TrainPrepared(r) => self.views.training.prepared(r),
            Event::Training(ev) => self.views.training.progress(ev),
            Event::TrainingFinished(r) => self.views.training.finished(r, s),
            Event::ModelActivated { id, name, labels } => {
                s.lib.activate_model(labels);
                s.set_status(
                    format!(
                        "model {name} ({id}) is active; re-classifying the library in the background"
                    ),
                    false,
                );
                s.model = Some((id, name));
                s.mark_stale();
            }
            Event::LibraryLoaded(lib) => s.library_loaded(*lib),
            Event::Remote(req) => remote::handle(s, req),
        }
        if self.session.take_stale() {
            self.rebuild();
        } else {
            // Auto-DJ and track ends change the queue without a rebuild: keep its rows true.
            let filter = self.search.filter();
            self.views
                .queue
                .refresh(&self.session, filter.as_ref(), !self.search.text.is_empty());
        }
        self.session.take_effects()
    }

    fn on_key(&mut self, k: KeyEvent) {
        match self.focus() {
            Focus::Help => self.help_key(k),
            Focus::Dialog => match self.views.training.on_key(k, &mut self.session) {
                Some(After::Close) => self.view = View::Library,
                Some(After::Stay) => {}
                None => self.search_or_view_key(k),
            },
            Focus::Search | Focus::View(_) => self.search_or_view_key(k),
        }
    }

    fn search_or_view_key(&mut self, k: KeyEvent) {
        if self.search.typing {
            self.search_key(k);
            return;
        }
        if k.code == KeyCode::Esc && !self.search.text.is_empty() {
            self.search.text.clear();
            self.session.mark_stale();
            return;
        }
        if let Some(a) = self.keymap().action_in(&k, self.view.scopes()) {
            self.act(a);
        }
    }

    fn help_key(&mut self, k: KeyEvent) {
        let page = self.session.list_height;
        match (k.code, self.keymap().action_for(&k)) {
            (KeyCode::Esc, _) | (_, Some(Action::Help)) | (_, Some(Action::Quit)) => {
                self.help.open = false
            }
            (_, Some(Action::Down)) => self.help.scroll += 1,
            (_, Some(Action::Up)) => self.help.scroll = self.help.scroll.saturating_sub(1),
            (_, Some(Action::PageDown)) => self.help.scroll += page,
            (_, Some(Action::PageUp)) => self.help.scroll = self.help.scroll.saturating_sub(page),
            _ => {}
        }
        // The last help line stays in view.
        let last = crate::keys::help_lines(self.keymap())
            .len()
            .saturating_sub(1);
        self.help.scroll = self.help.scroll.min(last);
    }

    fn search_key(&mut self, k: KeyEvent) {
        match k.code {
            KeyCode::Esc => {
                self.search.typing = false;
                self.search.text.clear();
                self.session.mark_stale();
            }
            KeyCode::Enter => self.search.typing = false,
            KeyCode::Backspace => {
                self.search.text.pop();
                self.session.mark_stale();
            }
            KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                self.search.text.push(c);
                self.views.library.nav = ListNav::default();
                self.session.mark_stale();
            }
            _ => {
                // Navigation keys still work while typing.
                if let Some(a) = self.keymap().action_for(&k)
                    && matches!(
                        a,
                        Action::Up | Action::Down | Action::PageUp | Action::PageDown
                    )
                {
                    self.act(a);
                }
            }
        }
    }

    /// Carries out `a`: the view on screen first, then the global actions.
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

    /// Hands `a` to the view on screen.
    fn delegate(&mut self, a: Action) -> Handled {
        let s = &mut self.session;
        match self.view {
            View::Library => self.views.library.on_action(a, s),
            View::Queue => self.views.queue.on_action(a, s),
            View::NowPlaying => self.views.now_playing.on_action(a, s),
            View::Genres => self.views.genres.on_action(a, s),
            View::Training => Handled::No,
        }
    }

    /// Actions that mean the same in every view.
    fn global(&mut self, a: Action) {
        let s = &mut self.session;
        match a {
            Action::Quit => {
                self.should_quit = true;
                s.push(Effect::Quit);
            }
            Action::Help => {
                self.help = Help {
                    open: true,
                    scroll: 0,
                };
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
                self.views.training.open(s);
            }
            Action::UseBuiltInModel => {
                if self.views.training.running() {
                    s.set_status("a training is running; cancel it first", true);
                } else {
                    s.push(Effect::UseBuiltInModel);
                }
            }
            Action::Search => self.search.typing = true,
            Action::PlayPause => {
                if !s.toggle_pause() {
                    // Nothing queued: play the selection.
                    self.delegate(Action::Activate);
                }
            }
            Action::Stop => s.stop(),
            Action::NextTrack => s.next_track(true),
            Action::PrevTrack => s.previous(),
            Action::SeekForward => s.seek_by(5.0),
            Action::SeekBackward => s.seek_by(-5.0),
            Action::VolumeUp => s.change_volume(5),
            Action::VolumeDown => s.change_volume(-5),
            Action::ToggleShuffle => s.toggle_shuffle(),
            Action::CycleRepeat => s.cycle_repeat(),
            Action::QueueClear => s.clear_queue(),
            Action::CycleBrowse => {
                self.views.library.cycle_mode();
                self.view = View::Library;
                let label = self.views.library.mode.label();
                s.set_status(format!("browse by {label}"), false);
                s.mark_stale();
            }
            Action::CycleTheme => {
                self.theme_idx = (self.theme_idx + 1) % self.themes.len();
                let name = self.theme().name.clone();
                self.session.set_status(format!("theme: {name}"), false);
            }
            Action::JumpToPlaying => self.jump_to_playing(),
            Action::Rescan => remote::rescan(s),
            Action::FillSimilar => {
                let seed = self.seed_track();
                self.session.fill_similar(seed);
            }
            Action::ToggleAutoDj => {
                let seed = self.seed_track();
                self.session.toggle_auto_dj(seed);
            }
            Action::ExportPlaylist => {
                let ids: Vec<_> = s.queue.entries.iter().map(|e| e.track).collect();
                s.export("queue".to_string(), &ids);
            }
            // Views' own actions that the view on screen did not take: nothing to do here.
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::Collapse
            | Action::Expand
            | Action::Activate
            | Action::QueueAdd
            | Action::QueueAddNext
            | Action::QueueRemove
            | Action::QueueMoveUp
            | Action::QueueMoveDown
            | Action::CancelTraining
            | Action::AcceptModel
            | Action::DiscardModel => {}
        }
    }

    /// Shows the playing track in the library: clears the search and opens its groups.
    fn jump_to_playing(&mut self) {
        let s = &self.session;
        let Some(id) = s.playback.track else {
            return;
        };
        if s.lib.track(id).is_none() {
            return;
        }
        self.view = View::Library;
        self.search.text.clear();
        self.rebuild();
        self.views.library.reveal(id);
        self.rebuild();
        let h = self.session.list_height;
        self.views.library.select_track(id, h);
    }
}
