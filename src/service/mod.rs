//! The service layer: everything the player does in the background or that touches the
//! outside world — the library scan and analysis, training, playlist export — and the
//! [`EffectRunner`] that carries out the app's effects. `tui.rs` wires it to the terminal.

pub mod art;
pub mod art_cache;
pub mod batch;
pub mod effects;
pub mod events;
pub mod history;
pub mod job;
pub mod library;
pub mod media_feed;
pub mod mpris;
pub mod playlists;
pub mod remote;
pub mod scrobble;
pub mod state;
pub mod stats;
pub mod trainer;
pub mod visualiser;
pub mod watch;

use std::path::{Path, PathBuf};

use anyhow::Context;
use crossbeam_channel::{Receiver, unbounded};

use crate::analysis::ThreadBudget;
use crate::app::{App, Catalog, Event};
use crate::audio::player;
use crate::config::Settings;
use crate::model::active::{clean_partial, load_active};
use crate::model::backend::inference_device;
use crate::model::infer::Classifier;
use crate::model::registry::LoadedModel;
use crate::paths::{Paths, default_music_dir};
use crate::store::Store;
pub use effects::EffectRunner;
use effects::RunnerParts;
use library::{LibraryService, load_catalog};

/// What the player needs before the terminal is taken: settings, the folder, the store, the
/// active model and the catalog as the store has it. Errors here print normally.
pub struct Prepared {
    pub settings: Settings,
    pub root: PathBuf,
    store: Store,
    model: LoadedModel,
    lib: Catalog,
    budget: ThreadBudget,
    /// `analysis_threads` asked for more than the machine has (said until a key is pressed).
    threads_note: Option<String>,
    /// The remote-control socket, bound before the database was opened (or why not).
    remote: std::io::Result<remote::Listening>,
}

impl Prepared {
    pub fn load(library: Option<&Path>, paths: &Paths) -> anyhow::Result<Self> {
        let settings = Settings::load(&paths.config_dir);
        for e in &settings.errors {
            tracing::warn!("{e}");
        }
        let root = library
            .map(Path::to_path_buf)
            .or_else(|| settings.config.library_dir())
            .unwrap_or_else(default_music_dir);
        if root.is_file() {
            anyhow::bail!(
                "{} is a file; --library takes the folder your music is in",
                root.display()
            );
        }
        // A folder that is not there may be an offline library (a disk not mounted): the
        // player starts with what the database knows of it, and waits for it. (Known nothing:
        // a mistyped folder, said below once the database is read.)
        let missing = !root.is_dir();
        let root = std::fs::canonicalize(&root)
            .or_else(|_| std::path::absolute(&root))
            .unwrap_or(root);
        // The data folder is this user's alone (0700): the socket, the database, the
        // playlists and the state live there. Another user's folder is refused.
        crate::util::private::private_dir(&paths.data_dir)?;
        if let Some(pid) = remote::running_player(&paths.data_dir)? {
            anyhow::bail!(remote::already_running(pid, &paths.data_dir));
        }
        // The socket first: from here on a client finds this player (and waits for it) rather
        // than a database held by nobody that answers.
        let remote = match remote::Listening::bind(remote::socket_path(&paths.data_dir)) {
            Ok(l) => Ok(l),
            // Another player started at the same moment and won.
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                anyhow::bail!(remote::already_running(
                    remote::running_player(&paths.data_dir)?.unwrap_or(0),
                    &paths.data_dir
                ))
            }
            Err(e) => Err(e),
        };
        crate::util::startup::mark("settings + socket");
        let model_and_catalog = |store: &Store| -> anyhow::Result<(LoadedModel, Catalog)> {
            let model =
                load_active(store, None, &inference_device()).context("loading the genre model")?;
            crate::util::startup::mark("model loaded");
            let lib = crate::audio::guard::catch(|| {
                load_catalog(store, &root, &model.id, &model.config.labels)
            })
            .map_err(|panic| anyhow::anyhow!("reading the library: {panic}"))??;
            crate::util::startup::mark("catalog loaded");
            Ok((model, lib))
        };
        let store = Store::open_for_catalog(&paths.db_dir())?;
        crate::util::startup::mark("store opened");
        let (store, (model, lib)) = match model_and_catalog(&store) {
            Ok(loaded) => (store, loaded),
            Err(e) => {
                // The catalog read is the check of its trees: after a failure there the whole
                // database is checked, and a damaged one recovered, as any command does.
                tracing::warn!("reading the library failed ({e:#}); checking the whole database");
                drop(store);
                let store = Store::open(&paths.db_dir())?;
                let loaded = model_and_catalog(&store)?;
                (store, loaded)
            }
        };
        if missing && lib.tracks.is_empty() {
            anyhow::bail!(
                "{}: no such folder; start genreplay with --library <your music folder>",
                root.display()
            );
        }
        clean_partial(&paths.models_dir());
        let (budget, threads_note) = ThreadBudget::for_setting(settings.config.analysis_threads);
        if let Some(n) = &threads_note {
            tracing::warn!("{n}");
        }
        Ok(Prepared {
            settings,
            root,
            store,
            model,
            lib,
            budget,
            threads_note,
            remote,
        })
    }
}

/// The notice the player shows until a key is pressed: what the settings could not do.
fn settings_notice(settings: &Settings, threads_note: Option<&str>) -> Option<String> {
    let errors = &settings.errors;
    let config = errors.first().map(|e| {
        // The file's name is enough here (the folder is in `genreplay config check`).
        let name = e
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
        let first = format!("{name}{line}: {}", e.message);
        match errors.len() {
            1 => format!("settings: {first} (defaults used)"),
            n => format!("{n} settings problems (genreplay config check) · {first}"),
        }
    });
    let parts: Vec<String> = config
        .into_iter()
        .chain(threads_note.map(str::to_string))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// Opens the audio output, builds the app from the settings and starts the background
/// library service and the remote-control socket (forwarded CLI commands run with `commands`).
/// Returns the app, the effect runner and the channel of background news.
pub fn launch(
    p: Prepared,
    paths: &Paths,
    commands: Option<remote::CommandRunner>,
) -> anyhow::Result<(App, EffectRunner, Receiver<Event>)> {
    let Prepared {
        settings,
        root,
        store,
        model,
        lib,
        budget,
        threads_note,
        remote,
    } = p;
    let output = player::open_output();
    let player = player::spawn(output);
    let c = &settings.config;
    let mut app = App::unbuilt(
        lib,
        settings.keymap.clone(),
        settings.themes.clone(),
        &c.theme,
        c.volume,
    );
    let s = &mut app.session;
    s.seed(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    );
    s.model = Some((model.id.0.clone(), model.config.name.clone()));
    s.notice = settings_notice(&settings, threads_note.as_deref());
    s.recommend.options.randomness = c.randomness.clamp(0.0, 1.0);
    s.recommend.options.artist_window = c.artist_window.max(1);
    s.recommend.fill_count = c.queue_fill.max(1);
    s.recommend.auto_dj_ahead = c.auto_dj_ahead.max(1);
    s.recommend.recent_hours = c.recent_hours.min(24 * 365);
    s.recommend.min_confidence = c.min_confidence.clamp(0.0, 1.0);
    s.recommend.unsure_in_playlists = c.unsure_in_playlists;
    s.recommend.options.min_similarity = c.min_similarity.clamp(0.0, 1.0);
    s.replaygain = crate::audio::gain::GainSettings {
        mode: c.replaygain,
        preamp_db: c.replaygain_preamp.clamp(-20.0, 20.0),
    };
    s.crossfade = crate::app::crossfade::Crossfade::new(c.crossfade, c.crossfade_on_skip);
    crate::util::startup::mark("app built");
    app.views.now_playing.covers = c.covers;
    // Where the last session left off: the queue, the settings, the playing track paused at
    // its second. This builds the views, once, with the options above.
    let (saved_session, saved_queue) = state::StateWriter::load(&paths.data_dir.join("state"));
    app.resume_saved(saved_session, saved_queue);
    for fx in app.session.take_effects() {
        if let crate::app::Effect::Player(cmd) = fx {
            player.send(cmd);
        }
    }
    let playlist_dir = c.playlist_dir_in(&paths.data_dir);
    app.views.playlists.dir = Some(playlist_dir.clone());
    playlists::write_old_playlists(&store, &playlist_dir);

    crate::util::startup::mark("state resumed");
    let (tx, rx) = unbounded::<Event>();
    let classifier =
        Classifier::new(model.clone(), inference_device()).with_cache(&paths.cache_dir);
    let library = LibraryService::start(
        store.clone(),
        root.clone(),
        classifier,
        budget.clone(),
        tx.clone(),
    )?;
    let remote = match remote.and_then(|l| l.serve(tx.clone(), store.clone(), commands)) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::warn!("remote control: {e}");
            app.session
                .set_status(format!("remote control is off: {e}"), true);
            None
        }
    };
    crate::util::startup::mark("services started");
    // Media keys and the desktop's controls; without a session bus it logs one line and the
    // player goes on.
    let mpris = if c.mpris {
        match mpris::Mpris::start(tx.clone(), Some(paths.cache_dir.join("art"))) {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::warn!("MPRIS is off: cannot start its thread: {e}");
                None
            }
        }
    } else {
        None
    };
    let runner = EffectRunner::new(RunnerParts {
        status_program: c.status_program(),
        remote,
        mpris,
        player,
        library,
        store,
        paths: paths.clone(),
        root,
        playlist_dir,
        active: model,
        budget,
        scrobble: c.scrobble.clone(),
        tx,
    });
    Ok((app, runner, rx))
}
