//! The terminal player's run loop: sets up the terminal (restored on exit and on panic), sends
//! stderr to the log so nothing garbles the screen, starts the player, scans and analyses the
//! library in the background, and feeds every event through `App::update`. Redraws happen on
//! change, at most ~60 times a second; idle, the loop sleeps.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use crossbeam_channel::{Receiver, Sender, select, unbounded};
use crossterm::event::{self, Event as CEvent, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use std::sync::{Arc, Mutex};

use crate::analysis::{AnalysisEvent, Analyzer};
use crate::app::library::{LibraryData, TrackInfo};
use crate::app::retrain::{Outcome, Preview, TrainSpec};
use crate::app::{App, Effect, Event};
use crate::audio::player::{self, PlayerCommand};
use crate::config::Settings;
use crate::library::TrackId;
use crate::library::scan::scan;
use crate::model::active::load_active;
use crate::model::active::{install, set_active};
use crate::model::backend::inference_device;
use crate::model::infer::Classifier;
use crate::model::job::{Prepared, TrainRequest, TrainResult, prepare};
use crate::model::registry::{LoadedModel, load_embedded};
use crate::paths::{Paths, default_music_dir};
use crate::store::Store;

/// The original stderr, kept while stderr points at the log.
static SAVED_STDERR: AtomicI32 = AtomicI32::new(-1);
static TERMINAL_ACTIVE: AtomicBool = AtomicBool::new(false);

/// Sends fd 2 to `log`, keeping the original for the panic hook and for restoring.
fn redirect_stderr(log: &Path) {
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
    else {
        return;
    };
    // SAFETY: dup/dup2 on valid descriptors; the log file stays open through fd 2.
    unsafe {
        let saved = libc::dup(2);
        if saved >= 0 && libc::dup2(file.as_raw_fd(), 2) >= 0 {
            SAVED_STDERR.store(saved, Ordering::SeqCst);
        }
    }
}

fn restore_stderr() {
    let saved = SAVED_STDERR.swap(-1, Ordering::SeqCst);
    if saved >= 0 {
        // SAFETY: `saved` is the descriptor dup'ed above.
        unsafe {
            libc::dup2(saved, 2);
            libc::close(saved);
        }
    }
}

/// Puts the terminal back: raw mode off, main screen, cursor shown.
pub fn restore_terminal() {
    if TERMINAL_ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = disable_raw_mode();
        let mut out = std::io::stdout();
        let _ = execute!(out, LeaveAlternateScreen, crossterm::cursor::Show);
        let _ = out.flush();
    }
    restore_stderr();
}

/// Panics on the UI thread restore the terminal and then report as usual; panics on worker
/// threads (caught and marked per file by the analyzer) only go to the log.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let on_main = std::thread::current().name() == Some("main");
        if on_main {
            restore_terminal();
            previous(info);
        } else {
            tracing::error!(
                "panic on thread {:?}: {info}",
                std::thread::current().name()
            );
        }
    }));
}

struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Builds the app's library from the store, with the vectors and failures of `model`.
fn load_library(
    store: &Store,
    root: &Path,
    model: &crate::model::ModelId,
    labels: &[String],
) -> anyhow::Result<LibraryData> {
    let tracks: Vec<TrackInfo> = store
        .tracks()?
        .into_iter()
        .filter(|(_, r)| r.path().starts_with(root))
        .map(|(id, r)| TrackInfo::from_record(id, &r, root))
        .collect();
    let mut lib = LibraryData::new(root.to_path_buf(), tracks, labels.to_vec());
    for (id, v) in store.vectors_for(model)? {
        if lib.index.contains_key(&id) {
            lib.vectors.insert(id, v.vector);
            if let Some(s) = v.style {
                lib.styles.insert(id, s);
            }
        }
    }
    for (id, f) in store.failures_for(model)? {
        if lib.index.contains_key(&id) {
            lib.failed.insert(id, f.reason);
        }
    }
    // Tracks the active model has not reached yet keep the newest earlier model's genres.
    let mut others: Vec<_> = store
        .models()?
        .into_iter()
        .filter(|m| m.id != model.0)
        .collect();
    others.sort_by_key(|m| std::cmp::Reverse(m.created_unix));
    for m in others {
        let labels = std::sync::Arc::new(m.labels.clone());
        for (id, v) in store.vectors_for(&crate::model::ModelId(m.id.clone()))? {
            if lib.index.contains_key(&id)
                && !lib.vectors.contains_key(&id)
                && !lib.fallback.contains_key(&id)
                && v.vector.len() == labels.len()
            {
                lib.fallback.insert(id, (labels.clone(), v.vector));
            }
        }
    }
    Ok(lib)
}

/// Scans the library, then analyses it, forwarding news to the UI. Runs on its own thread.
/// How the UI talks to the background thread.
struct BackgroundChannels {
    /// News for the UI.
    tx: Sender<Event>,
    /// Tracks to analyse first.
    bumps: Receiver<TrackId>,
    /// A new active model.
    switch: Receiver<Classifier>,
    quit: Receiver<()>,
}

fn background(
    store: Store,
    root: PathBuf,
    classifier: Classifier,
    threads: usize,
    ch: BackgroundChannels,
) {
    let BackgroundChannels {
        tx,
        bumps,
        switch,
        quit,
    } = ch;
    let _ = tx.send(Event::Status {
        text: format!("scanning {}…", root.display()),
        error: false,
    });
    let model = classifier.model().id.clone();
    let labels = classifier.labels().to_vec();
    match scan(&store, &root, threads.max(2), &|_| {}) {
        Ok(r) => {
            let _ = tx.send(Event::Status {
                text: format!(
                    "{} tracks ({} new, {} changed, {} removed){}",
                    r.tracks,
                    r.new,
                    r.changed,
                    r.removed,
                    if r.unreadable.is_empty() {
                        String::new()
                    } else {
                        format!(" · {} unreadable, see the log", r.unreadable.len())
                    }
                ),
                error: false,
            });
            for (p, why) in &r.unreadable {
                tracing::warn!(path = %p.display(), %why, "unreadable during scan");
            }
        }
        Err(e) => {
            let _ = tx.send(Event::Status {
                text: format!("scan failed: {e}"),
                error: true,
            });
        }
    }
    match load_library(&store, &root, &model, &labels) {
        Ok(lib) => {
            let _ = tx.send(Event::LibraryLoaded(Box::new(lib)));
        }
        Err(e) => {
            let _ = tx.send(Event::Status {
                text: format!("cannot read the library: {e}"),
                error: true,
            });
        }
    }
    let mut model = model;
    let start = |c: Classifier| -> Option<Analyzer> {
        match Analyzer::start(store.clone(), c, threads) {
            Ok(a) => Some(a),
            Err(e) => {
                let _ = tx.send(Event::Status {
                    text: format!("analysis cannot start: {e}"),
                    error: true,
                });
                None
            }
        }
    };
    let mut analyzer = start(classifier);
    loop {
        let events = analyzer
            .as_ref()
            .map(|a| a.events().clone())
            .unwrap_or_else(crossbeam_channel::never);
        select! {
            recv(events) -> ev => match ev {
                Ok(ev) => {
                    if let AnalysisEvent::TrackDone { track, result: Ok(_) } = &ev
                        && let Ok(Some(v)) = store.vector(&model, *track)
                    {
                        let _ = tx.send(Event::VectorReady {
                            track: *track,
                            vector: v.vector,
                            style: v.style,
                        });
                    }
                    let finished = matches!(ev, AnalysisEvent::Finished { .. });
                    let _ = tx.send(Event::Analysis(ev));
                    if finished {
                        // Dropping joins the (finished) workers.
                        analyzer = None;
                    }
                }
                Err(_) => analyzer = None,
            },
            recv(bumps) -> b => {
                if let (Ok(id), Some(a)) = (b, &analyzer) {
                    a.bump(id);
                }
            }
            recv(switch) -> c => {
                let Ok(c) = c else { continue };
                if let Some(a) = analyzer.take() {
                    a.cancel();
                    drop(a);
                }
                model = c.model().id.clone();
                analyzer = start(c);
            }
            recv(quit) -> _ => break,
        }
    }
    if let Some(a) = analyzer {
        // The track in flight finishes and is stored; the rest waits for the next start.
        a.cancel();
        drop(a);
    }
}

/// Writes a playlist into `dir` as `<name>.m3u8` (or `<name> (2).m3u8`… rather than replacing
/// a file). Returns the status line text.
fn export_playlist(
    dir: &Path,
    root: &Path,
    name: &str,
    entries: &[crate::recommend::playlists::M3uEntry],
) -> (String, bool) {
    use crate::recommend::playlists::{file_name, write_m3u8};
    if let Err(e) = std::fs::create_dir_all(dir) {
        return (format!("{}: {e}", dir.display()), true);
    }
    let base = file_name(name);
    let stem = base.trim_end_matches(".m3u8").to_string();
    let mut file = dir.join(&base);
    let mut n = 2;
    while file.exists() {
        file = dir.join(format!("{stem} ({n}).m3u8"));
        n += 1;
    }
    match write_m3u8(&file, entries, Some(root), false) {
        Ok(skipped) => (
            format!(
                "wrote {} ({} tracks{})",
                file.display(),
                entries.len() - skipped,
                if skipped > 0 {
                    format!(", {skipped} non-UTF-8 paths left out")
                } else {
                    String::new()
                }
            ),
            false,
        ),
        Err(e) => (e.to_string(), true),
    }
}

/// Training jobs started from the player: one at a time, on their own thread.
struct Trainer {
    prepared: Arc<Mutex<Option<(TrainRequest, Prepared)>>>,
    result: Arc<Mutex<Option<TrainResult>>>,
    cancel: Arc<AtomicBool>,
    running: Option<std::thread::JoinHandle<()>>,
    tx: Sender<Event>,
    cache_root: PathBuf,
}

impl Trainer {
    fn request(&self, spec: &TrainSpec) -> TrainRequest {
        let mut options = spec.mode.default_options();
        options.epochs = spec.epochs;
        TrainRequest {
            dir: spec.folder.clone(),
            labels: spec.labels,
            mode: spec.mode,
            options,
            valid_frac: 0.25,
            use_index: true,
            cache_root: Some(self.cache_root.clone()),
            threads: 2,
        }
    }

    fn busy(&self) -> bool {
        self.running.as_ref().is_some_and(|h| !h.is_finished())
    }

    /// Looks at the folder on a thread; the preview comes back as an event.
    fn prepare(&self, spec: TrainSpec) {
        let req = self.request(&spec);
        let slot = self.prepared.clone();
        let tx = self.tx.clone();
        let _ = std::thread::Builder::new()
            .name("prepare".into())
            .spawn(move || {
                let ev = match prepare(&req) {
                    Ok(p) => {
                        let preview = Preview {
                            counts: p.counts.clone(),
                            train_tracks: p.train_tracks,
                            valid_tracks: p.valid_tracks,
                            warnings: p.warnings.clone(),
                            skipped: p.skipped,
                        };
                        if let Ok(mut s) = slot.lock() {
                            *s = Some((req, p));
                        }
                        Ok(preview)
                    }
                    Err(e) => Err(format!("{e:#}")),
                };
                let _ = tx.send(Event::TrainPrepared(ev));
            });
    }

    /// Trains on a thread; progress and the result come back as events, the model waits in
    /// `result` for accept or discard.
    fn start(&mut self, spec: TrainSpec, active: LoadedModel) {
        if self.busy() {
            let _ = self.tx.send(Event::Status {
                text: "a training is already running".into(),
                error: true,
            });
            return;
        }
        let prepared = self.prepared.lock().ok().and_then(|mut s| s.take());
        let Some((req, prepared)) = prepared.filter(|(r, _)| r.dir == spec.folder) else {
            let _ = self.tx.send(Event::TrainingFinished(Err(
                "the folder changed; look at it again (Esc, Enter)".into(),
            )));
            return;
        };
        self.cancel.store(false, Ordering::SeqCst);
        let cancel = self.cancel.clone();
        let tx = self.tx.clone();
        let slot = self.result.clone();
        self.running = std::thread::Builder::new()
            .name("training".into())
            .spawn(move || {
                let t0 = Instant::now();
                let progress_tx = tx.clone();
                let on_event = move |ev| {
                    let _ = progress_tx.send(Event::Training(ev));
                };
                let outcome = match crate::model::job::run(&req, &prepared, &on_event, &cancel) {
                    Ok(r) if r.cancelled || cancel.load(Ordering::SeqCst) => {
                        Err("training cancelled; nothing changed".to_string())
                    }
                    Ok(r) => {
                        let cmp = crate::model::job::compare(&r, &active);
                        let outcome = Outcome {
                            labels: r.config.labels.clone(),
                            valid_tracks: r.valid_tracks,
                            train_tracks: r.train_tracks,
                            valid_accuracy: r.valid_accuracy,
                            recall: cmp
                                .report
                                .per_class
                                .iter()
                                .map(|c| (c.label.clone(), c.recall, c.support))
                                .collect(),
                            confusion: cmp.report.confusion.clone(),
                            active: cmp.active.map(|(a, n)| (active.config.name.clone(), a, n)),
                            best_epoch: r.best_epoch,
                            epochs: r.history.clone(),
                            secs: t0.elapsed().as_secs_f64(),
                        };
                        if let Ok(mut s) = slot.lock() {
                            *s = Some(r);
                        }
                        Ok(Box::new(outcome))
                    }
                    Err(e) if cancel.load(Ordering::SeqCst) => {
                        let _ = e;
                        Err("training cancelled; nothing changed".to_string())
                    }
                    Err(e) => Err(format!("training failed: {e:#}")),
                };
                let _ = tx.send(Event::TrainingFinished(outcome));
            })
            .ok();
    }

    fn take_result(&self) -> Option<TrainResult> {
        self.result.lock().ok().and_then(|mut s| s.take())
    }
}

/// Makes `model` active: the background analysis switches to it and the app is told.
fn activate(
    app: &mut App,
    model: LoadedModel,
    switch: &Sender<Classifier>,
    cache_root: &Path,
) -> LoadedModel {
    let _ = switch.send(Classifier::new(model.clone(), inference_device()).with_cache(cache_root));
    for fx in app.update(Event::ModelActivated {
        id: model.id.0.clone(),
        name: model.config.name.clone(),
        labels: model.config.labels.clone(),
    }) {
        tracing::debug!(?fx, "effect of a model switch ignored");
    }
    model
}

/// Runs the terminal player until the user quits.
pub fn run(library: Option<&Path>, paths: &Paths) -> anyhow::Result<()> {
    let settings = Settings::load(&paths.config_dir);
    for e in &settings.errors {
        tracing::warn!("{e}");
    }
    let root = library
        .map(Path::to_path_buf)
        .or_else(|| settings.config.library_dir())
        .unwrap_or_else(default_music_dir);
    if !root.is_dir() {
        anyhow::bail!(
            "{}: no such folder; start genreplay with --library <your music folder>",
            root.display()
        );
    }
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    let store = Store::open(&paths.db_dir())?;
    let device = inference_device();
    let model = load_active(&store, None, &device).context("loading the genre model")?;
    let lib = load_library(&store, &root, &model.id, &model.config.labels)?;
    let mut active_model = model.clone();
    crate::model::active::clean_partial(&paths.models_dir());
    let classifier = Classifier::new(model, device).with_cache(&paths.cache_dir);
    let threads = match settings.config.analysis_threads {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .saturating_sub(1)
            .max(1),
        n => n,
    };

    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        anyhow::bail!(
            "the player needs a terminal; for scripts use the subcommands (genreplay --help)"
        );
    }
    // From here on stderr goes to the log: ALSA's complaints about a missing sound card, and
    // anything else, must not land on the screen.
    std::fs::create_dir_all(&paths.data_dir).ok();
    redirect_stderr(&paths.log_file());
    let output = player::open_output();
    let player = player::spawn(output);

    let mut app = App::new(
        lib,
        settings.keymap.clone(),
        settings.themes.clone(),
        &settings.config.theme,
        settings.config.volume,
    );
    app.seed(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    );
    app.model = Some((active_model.id.0.clone(), active_model.config.name.clone()));
    if let Some(e) = settings.errors.first() {
        app.set_status(format!("{e} (defaults used)"), true);
    }
    player.send(PlayerCommand::SetVolume(app.playback.volume as f32 / 100.0));
    let c = &settings.config;
    app.recommend.randomness = c.randomness.clamp(0.0, 1.0);
    app.recommend.artist_window = c.artist_window.max(1);
    app.fill_count = c.queue_fill.max(1);
    app.auto_dj_ahead = c.auto_dj_ahead.max(1);
    app.min_confidence = c.min_confidence.clamp(0.0, 1.0);
    app.rebuild();
    let playlist_dir = c
        .playlist_dir()
        .unwrap_or_else(|| paths.data_dir.join("playlists"));

    install_panic_hook();
    enable_raw_mode().context("entering raw mode")?;
    TERMINAL_ACTIVE.store(true, Ordering::SeqCst);
    let _guard = TerminalGuard;
    execute!(std::io::stdout(), EnterAlternateScreen).context("entering the alternate screen")?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    terminal.clear()?;
    if let Ok(size) = terminal.size() {
        app.update(Event::Resize(size.width, size.height));
    }

    // Input thread.
    let (in_tx, in_rx) = unbounded::<Event>();
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            loop {
                match event::read() {
                    Ok(CEvent::Key(k)) if k.kind != KeyEventKind::Release => {
                        if in_tx.send(Event::Key(k)).is_err() {
                            return;
                        }
                    }
                    Ok(CEvent::Resize(w, h)) => {
                        if in_tx.send(Event::Resize(w, h)).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        })?;

    // Background scan + analysis.
    let (bg_tx, bg_rx) = unbounded::<Event>();
    let mut trainer = Trainer {
        prepared: Arc::new(Mutex::new(None)),
        result: Arc::new(Mutex::new(None)),
        cancel: Arc::new(AtomicBool::new(false)),
        running: None,
        tx: bg_tx.clone(),
        cache_root: paths.cache_dir.clone(),
    };
    let (bump_tx, bump_rx) = unbounded::<TrackId>();
    let (quit_tx, quit_rx) = unbounded::<()>();
    let (switch_tx, switch_rx) = unbounded::<Classifier>();
    let bg = {
        let store = store.clone();
        let root = root.clone();
        std::thread::Builder::new()
            .name("library".into())
            .spawn(move || {
                background(
                    store,
                    root,
                    classifier,
                    threads,
                    BackgroundChannels {
                        tx: bg_tx,
                        bumps: bump_rx,
                        switch: switch_rx,
                        quit: quit_rx,
                    },
                )
            })?
    };

    let frame_gap = Duration::from_millis(16);
    let mut last_draw = Instant::now() - frame_gap;
    let mut dirty = true;
    let mut next_tick = Instant::now() + Duration::from_secs(1);
    while !app.should_quit {
        if dirty && last_draw.elapsed() >= frame_gap {
            terminal.draw(|f| crate::ui::draw(f, &app))?;
            last_draw = Instant::now();
            dirty = false;
        }
        let timeout = if dirty {
            frame_gap.saturating_sub(last_draw.elapsed())
        } else {
            next_tick.saturating_duration_since(Instant::now())
        };
        let ev = select! {
            recv(in_rx) -> e => e.ok(),
            recv(player.events()) -> e => e.ok().map(Event::Player),
            recv(bg_rx) -> e => e.ok(),
            default(timeout) => None,
        };
        let ev = match ev {
            Some(e) => e,
            None if Instant::now() >= next_tick => {
                next_tick = Instant::now() + Duration::from_secs(1);
                Event::Tick
            }
            None => continue,
        };
        // Position updates only matter when they change what is shown (the second).
        let redraw = match &ev {
            Event::Player(player::PlayerEvent::Position { secs }) => {
                secs.floor() != app.playback.position_secs.floor()
            }
            Event::Tick => app.status.is_some(),
            _ => true,
        };
        for fx in app.update(ev) {
            match fx {
                Effect::Player(cmd) => player.send(cmd),
                Effect::Bump(id) => {
                    let _ = bump_tx.send(id);
                }
                Effect::PrepareTraining(spec) => trainer.prepare(spec),
                Effect::StartTraining(spec) => trainer.start(spec, active_model.clone()),
                Effect::CancelTraining => trainer.cancel.store(true, Ordering::SeqCst),
                Effect::DiscardModel => {
                    trainer.take_result();
                }
                Effect::AcceptModel => match trainer.take_result() {
                    Some(r) => match install(
                        &store,
                        &paths.models_dir(),
                        &r.config,
                        &r.net,
                        &inference_device(),
                    ) {
                        Ok(m) => active_model = activate(&mut app, m, &switch_tx, &paths.cache_dir),
                        Err(e) => app.set_status(format!("cannot save the model: {e:#}"), true),
                    },
                    None => app.set_status("no trained model to accept", true),
                },
                Effect::UseBuiltInModel => match load_embedded(&inference_device()) {
                    Ok(m) if m.id == active_model.id => {
                        app.set_status("the built-in model is already active", false)
                    }
                    Ok(m) => match set_active(&store, &m) {
                        Ok(()) => {
                            active_model = activate(&mut app, m, &switch_tx, &paths.cache_dir)
                        }
                        Err(e) => app.set_status(format!("{e}"), true),
                    },
                    Err(e) => app.set_status(format!("{e}"), true),
                },
                Effect::ExportPlaylist { name, entries } => {
                    let (text, error) = export_playlist(&playlist_dir, &root, &name, &entries);
                    app.set_status(text, error);
                }
                Effect::Quit => {}
            }
        }
        dirty |= redraw;
    }
    let _ = quit_tx.send(());
    restore_terminal();
    drop(player);
    // The analysis stores the track in flight (a second or so); a scan of a big folder is not
    // waited for (it is safe to stop: the next start finishes it).
    let t0 = Instant::now();
    while !bg.is_finished() && t0.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(20));
    }
    if bg.is_finished() {
        let _ = bg.join();
    }
    Ok(())
}
