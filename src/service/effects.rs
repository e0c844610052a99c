//! Carries out the app's effects. The runner owns the player, the background library
//! service, the trainer, the store and the paths; it never touches the app: what it has to say
//! comes back as events (at once, or later over the channel). Blocking work (installing or
//! loading a model, writing a playlist) runs on its own thread.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crossbeam_channel::Sender;

use super::art::ArtService;
use super::events::EventHub;
use super::history::{HistoryChange, HistoryWriter};
use super::library::LibraryService;
use super::media_feed::MediaFeed;
use super::mpris::Mpris;
use super::playlists::{LibraryFinder, export_playlist};
use super::remote::RemoteServer;
use super::scrobble::Scrobbler;
use super::state::StateWriter;
use super::trainer::Trainer;
use crate::analysis::ThreadBudget;
use crate::app::{Effect, Event};
use crate::audio::player::{PlayerCommand, PlayerHandle};
use crate::model::active::{install, set_active};
use crate::model::backend::inference_device;
use crate::model::infer::Classifier;
use crate::model::registry::{LoadedModel, load_embedded};
use crate::paths::Paths;
use crate::playlist::{EditStep, PlaylistDir, imported_message};
use crate::store::Store;

pub struct EffectRunner {
    pub player: PlayerHandle,
    pub library: LibraryService,
    /// The remote-control socket (none when it could not be opened).
    remote: Option<RemoteServer>,
    /// MPRIS on the session bus (none when turned off in the settings).
    mpris: Option<Mpris>,
    /// The snapshots MPRIS and the events are made from.
    media: MediaFeed,
    /// `ctl events` subscribers and `status_program`.
    events: EventHub,
    trainer: Trainer,
    store: Store,
    paths: Paths,
    root: PathBuf,
    playlist_dir: PathBuf,
    /// The model the analysis uses (read by training comparisons, replaced on a switch).
    active: Arc<Mutex<LoadedModel>>,
    /// How many cores the analysis may use (fewer while music plays).
    budget: ThreadBudget,
    /// Writes the player's state files.
    pub state: StateWriter,
    /// Writes the listening history and the likes.
    history: HistoryWriter,
    /// Reads covers and lyrics (none when its thread could not start).
    pub art: Option<ArtService>,
    playing: bool,
    /// Scrobbling (none when off in the settings or when it could not start).
    scrobble: Option<Scrobbler>,
    tx: Sender<Event>,
}

/// What the runner needs to start.
pub struct RunnerParts {
    pub player: PlayerHandle,
    pub library: LibraryService,
    pub remote: Option<RemoteServer>,
    pub mpris: Option<Mpris>,
    /// Run on each track and state change (`status_program`).
    pub status_program: Option<PathBuf>,
    pub store: Store,
    pub paths: Paths,
    pub root: PathBuf,
    pub playlist_dir: PathBuf,
    pub active: LoadedModel,
    pub budget: ThreadBudget,
    /// The `[scrobble]` settings.
    pub scrobble: crate::config::ScrobbleConfig,
    pub tx: Sender<Event>,
}

impl EffectRunner {
    pub fn new(p: RunnerParts) -> Self {
        let scrobble = start_scrobbler(&p);
        EffectRunner {
            state: StateWriter::start(p.paths.data_dir.join("state")),
            history: HistoryWriter::start(p.store.clone(), p.tx.clone()),
            trainer: Trainer::new(p.tx.clone(), p.paths.cache_dir.clone()),
            art: match ArtService::start(p.tx.clone()) {
                Ok(a) => Some(a),
                Err(e) => {
                    tracing::warn!("covers and lyrics are off: cannot start their thread: {e}");
                    None
                }
            },
            events: p
                .remote
                .as_ref()
                .map(|r| r.events().clone())
                .unwrap_or_default()
                .with_program(p.status_program),
            media: MediaFeed::default(),
            scrobble,
            player: p.player,
            library: p.library,
            remote: p.remote,
            mpris: p.mpris,
            store: p.store,
            paths: p.paths,
            root: p.root,
            playlist_dir: p.playlist_dir,
            active: Arc::new(Mutex::new(p.active)),
            budget: p.budget,
            playing: false,
            tx: p.tx,
        }
    }

    /// Music plays (or not): the analysis leaves a core to playback and the UI while it does.
    pub fn set_playing(&mut self, playing: bool) {
        if playing != self.playing {
            self.playing = playing;
            self.budget.set_playing(playing);
        }
    }

    /// After a batch of events: media controls (MPRIS), `ctl events` and `status_program`
    /// hear what changed. Never blocks.
    pub fn sync_media(&mut self, session: &crate::app::Session) {
        let update = self.media.take(session);
        if let Some(s) = &mut self.scrobble {
            s.observe(&update);
        }
        if let Some(m) = &mut self.mpris {
            m.sync(&update);
        }
        self.events.publish(&update);
    }

    fn active(&self) -> Option<LoadedModel> {
        self.active.lock().ok().map(|m| m.clone())
    }

    /// Carries out `fx`; returns the events it has at once (the rest arrive on the channel).
    pub fn run(&mut self, fx: Effect) -> Vec<Event> {
        match fx {
            Effect::PrepareTraining(_)
            | Effect::StartTraining(_)
            | Effect::CancelTraining
            | Effect::DiscardModel
            | Effect::AcceptModel(_)
            | Effect::LoadModels
            | Effect::UseModel(_)
            | Effect::UseBuiltInModel => return self.run_model(fx),
            Effect::ExportPlaylist { .. }
            | Effect::LoadPlaylists
            | Effect::SavePlaylist { .. }
            | Effect::EditPlaylist { .. }
            | Effect::RenamePlaylist { .. }
            | Effect::AddToPlaylist { .. }
            | Effect::DeletePlaylist { .. }
            | Effect::ImportPlaylist { .. } => return self.run_playlist(fx),
            Effect::Player(cmd) => {
                if let PlayerCommand::SeekBy(_) | PlayerCommand::SeekTo(_) = &cmd {
                    self.media.seek_requested();
                }
                self.player.send(cmd)
            }
            Effect::Bump(id) => self.library.bump(id),
            Effect::Rescan => self.library.rescan(),
            // An answer to a call from the bus waits for the snapshot of this batch, so a
            // client that reads a property after its call returns sees what it did.
            Effect::RemoteReply(to, reply) => match &mut self.mpris {
                Some(m) if to.is_async() => m.hold_reply(to, reply),
                _ => to.send(*reply),
            },
            Effect::SaveState(what) => self.state.save(what),
            Effect::Listened {
                track,
                listen,
                at,
                started,
                heard_secs,
            } => {
                if let Some(s) = &mut self.scrobble {
                    s.listened(track, listen, at);
                }
                self.history.send(HistoryChange::Listen {
                    track,
                    listen,
                    at,
                    started,
                    heard_secs,
                })
            }
            Effect::Rate { track, rating, at } => {
                self.history.send(HistoryChange::Rate { track, rating, at })
            }
            Effect::HistoryMoved(moves) => self.history.moved(moves),
            Effect::LoadStats { days } => self.history.want_stats(days),
            Effect::LoadArt(req) => {
                if let Some(a) = &self.art {
                    a.load(req);
                }
            }
            // The terminal loop suspends; nothing to do here.
            Effect::Suspend | Effect::Quit => {}
        }
        vec![]
    }

    /// Training and the models: what the Training view asks for.
    fn run_model(&mut self, fx: Effect) -> Vec<Event> {
        match fx {
            Effect::PrepareTraining(spec) => self.trainer.prepare(spec),
            Effect::StartTraining(spec) => match self.active() {
                Some(active) => self.trainer.start(spec, active),
                None => return vec![status("the active model is unavailable", true)],
            },
            Effect::CancelTraining => self.trainer.cancel(),
            Effect::DiscardModel => self.trainer.discard(),
            Effect::AcceptModel(name) => match self.trainer.take_result() {
                Some(mut r) => {
                    r.config.name = name;
                    let (store, dir) = (self.store.clone(), self.paths.models_dir());
                    self.activate_in_background(move || {
                        install(&store, &dir, &r.config, &r.net, &inference_device())
                            .map_err(|e| format!("cannot save the model: {e:#}"))
                    });
                }
                None => return vec![status("no trained model to accept", true)],
            },
            Effect::LoadModels => {
                let (store, tx) = (self.store.clone(), self.tx.clone());
                let spawned = std::thread::Builder::new()
                    .name("models".into())
                    .spawn(move || match model_rows(&store) {
                        Ok(rows) => {
                            let _ = tx.send(Event::ModelsLoaded(rows));
                        }
                        Err(e) => {
                            let _ = tx.send(status(format!("cannot list the models: {e}"), true));
                        }
                    });
                if let Err(e) = spawned {
                    return vec![status(format!("cannot list the models: {e}"), true)];
                }
            }
            Effect::UseModel(id) => {
                let store = self.store.clone();
                self.activate_in_background(move || {
                    let m = crate::model::active::load_by_id(&store, &id, &inference_device())
                        .map_err(|e| format!("{e:#}"))?;
                    set_active(&store, &m).map_err(|e| e.to_string())?;
                    Ok(m)
                });
            }
            Effect::UseBuiltInModel => {
                let store = self.store.clone();
                let current = self.active().map(|m| m.id);
                let tx = self.tx.clone();
                self.activate_in_background(move || {
                    let m = load_embedded(&inference_device()).map_err(|e| e.to_string())?;
                    if Some(&m.id) == current.as_ref() {
                        let _ = tx.send(status("the built-in model is already active", false));
                        return Err(String::new());
                    }
                    set_active(&store, &m).map_err(|e| e.to_string())?;
                    Ok(m)
                });
            }
            // The others are `run`'s.
            _ => {}
        }
        vec![]
    }

    /// The playlist folder: saving, editing, importing, exporting.
    fn run_playlist(&mut self, fx: Effect) -> Vec<Event> {
        match fx {
            Effect::ExportPlaylist { source, entries } => {
                let root = self.root.clone();
                self.playlists(move |dir| {
                    Ok(Some(export_playlist(dir.dir(), &root, &source, &entries)?))
                })
            }
            Effect::LoadPlaylists => self.playlists(|_| Ok(None)),
            Effect::SavePlaylist { name, entries } => self.playlists(move |dir| {
                let path = dir.save(&name, &entries)?;
                Ok(Some(format!(
                    "saved the playlist \"{}\" ({})",
                    name.trim(),
                    path.display()
                )))
            }),
            Effect::EditPlaylist { path, edit, step } => {
                let tx = self.tx.clone();
                self.playlists(move |dir| {
                    if let Some(undo) = dir.edit(&path, &edit)?
                        && step != EditStep::Plain
                    {
                        let _ = tx.send(Event::PlaylistEdited { path, undo, step });
                    }
                    Ok(None)
                })
            }
            Effect::AddToPlaylist { name, entries } => {
                let tx = self.tx.clone();
                self.playlists(move |dir| {
                    let got = dir.append(&name, &entries)?;
                    // `u` in the Playlists view takes the added tracks back.
                    if let Some(u) = got.undo {
                        let _ = tx.send(Event::PlaylistEdited {
                            path: u.path,
                            undo: u.edit,
                            step: EditStep::Do(u.what),
                        });
                    }
                    Ok(Some(got.said))
                })
            }
            Effect::RenamePlaylist { path, to } => {
                let tx = self.tx.clone();
                self.playlists(move |dir| {
                    let target = dir.rename(&path, &to)?;
                    let _ = tx.send(Event::PlaylistRenamed {
                        from: path,
                        to: target,
                    });
                    Ok(Some(format!("renamed to \"{}\"", to.trim())))
                })
            }
            Effect::DeletePlaylist { path } => self.playlists(move |dir| {
                dir.delete(&path)?;
                Ok(Some(format!("deleted {}", path.display())))
            }),
            Effect::ImportPlaylist { file } => {
                let store = self.store.clone();
                self.playlists(move |dir| {
                    let finder = LibraryFinder::new(Some(&store));
                    let got = dir.import(&file, None, &finder)?;
                    Ok(Some(imported_message(&got)))
                })
            }
            // The others are `run`'s.
            _ => {}
        }
        vec![]
    }

    /// Runs a change of the playlist folder on a thread, then reads the folder back: the app
    /// hears `PlaylistsLoaded`, and the change's message or error on the status line.
    fn playlists(
        &self,
        change: impl FnOnce(&PlaylistDir) -> anyhow::Result<Option<String>> + Send + 'static,
    ) {
        let dir = PlaylistDir::new(&self.playlist_dir);
        let tx = self.tx.clone();
        let spawned = std::thread::Builder::new()
            .name("playlists".into())
            .spawn(move || {
                // One change of the folder at a time (two quick edits of one file never
                // interleave their reads and writes).
                let _one = super::playlists::FOLDER_LOCK
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match change(&dir) {
                    Ok(Some(msg)) => {
                        let _ = tx.send(status(msg, false));
                    }
                    Ok(None) => {}
                    Err(e) => {
                        let _ = tx.send(status(format!("{e:#}"), true));
                    }
                }
                let (lists, problems) = dir.load_all();
                for p in &problems {
                    tracing::warn!("playlist: {p}");
                }
                let _ = tx.send(Event::PlaylistsLoaded(lists));
            });
        if let Err(e) = spawned {
            let _ = self.tx.send(status(format!("cannot start: {e}"), true));
        }
    }

    /// Runs `load` on a thread; the model it returns becomes active: the analysis switches to
    /// it and the app hears `ModelActivated`. An error with text goes to the status line.
    fn activate_in_background(
        &self,
        load: impl FnOnce() -> Result<LoadedModel, String> + Send + 'static,
    ) {
        let tx = self.tx.clone();
        let switch = self.library.switcher();
        let active = self.active.clone();
        let cache = self.paths.cache_dir.clone();
        let spawned = std::thread::Builder::new()
            .name("model".into())
            .spawn(move || match load() {
                Ok(model) => {
                    // The app hears of the switch before the library thread's catalog for the
                    // new model (one channel, in order): that catalog, with the vectors the
                    // store already has for the model, then replaces the old genres at once.
                    let _ = tx.send(Event::ModelActivated {
                        id: model.id.0.clone(),
                        name: model.config.name.clone(),
                        labels: model.config.labels.clone(),
                    });
                    let _ = switch.send(
                        Classifier::new(model.clone(), inference_device()).with_cache(&cache),
                    );
                    if let Ok(mut a) = active.lock() {
                        *a = model;
                    }
                }
                Err(e) if e.is_empty() => {}
                Err(e) => {
                    let _ = tx.send(status(e, true));
                }
            });
        if let Err(e) = spawned {
            let _ = self.tx.send(status(format!("cannot start: {e}"), true));
        }
    }

    /// Saves the app's session and queue now (on quitting; not while a saved state still
    /// waits for the library).
    pub fn save_now(&self, app: &mut crate::app::App) {
        for what in app.state_now() {
            self.state.save(what);
        }
    }

    /// Stops the background work: the library thread is given `wait` to store the track in
    /// flight, and the store is flushed.
    pub fn shutdown(&mut self, wait: std::time::Duration) {
        // The bus name goes first: a desktop widget stops showing a player that is leaving.
        if let Some(m) = &mut self.mpris {
            m.stop(wait);
        }
        // Followers hear `quit` before the socket closes.
        self.events.close();
        if let Some(r) = &mut self.remote {
            r.stop();
        }
        self.state.finish();
        self.history.finish();
        if let Some(s) = &mut self.scrobble {
            s.finish();
        }
        self.library.stop(wait);
        if let Err(e) = self.store.flush() {
            tracing::warn!("flushing the database: {e}");
        }
    }
}

/// Scrobbling when the settings turn it on; a failure to start is said on the status line.
fn start_scrobbler(p: &RunnerParts) -> Option<Scrobbler> {
    if !p.scrobble.enabled {
        return None;
    }
    let dir = super::scrobble::folder(&p.paths.data_dir);
    let started = Scrobbler::start(
        &p.scrobble,
        &dir,
        Some(p.store.clone()),
        Some(p.tx.clone()),
        super::scrobble::Options::default(),
    );
    started
        .map_err(|e| {
            tracing::warn!("scrobbling is off: {e}");
            let _ = p.tx.send(status(format!("scrobbling is off: {e}"), true));
        })
        .ok()
}

fn status(text: impl Into<String>, error: bool) -> Event {
    Event::Status {
        text: text.into(),
        error,
    }
}

/// The models the store knows, newest first, built-in ones registered.
fn model_rows(
    store: &crate::store::Store,
) -> Result<Vec<crate::app::event::ModelRow>, crate::store::StoreError> {
    crate::model::active::register_builtins(store)?;
    let mut models = store.models()?;
    models.sort_by_key(|m| (std::cmp::Reverse(m.created_unix), m.name.clone()));
    Ok(models
        .into_iter()
        .map(|m| crate::app::event::ModelRow {
            classified: store.vector_count(&crate::model::ModelId(m.id.clone())),
            valid_accuracy: m.metrics.as_ref().and_then(|x| x.valid_track_accuracy),
            built_in: m.location == crate::store::ModelLocation::Embedded,
            genres: m.labels.len(),
            id: m.id,
            name: m.name,
            source: m.source,
        })
        .collect())
}
