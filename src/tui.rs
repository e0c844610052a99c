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

use crate::analysis::{AnalysisEvent, Analyzer};
use crate::app::library::{LibraryData, TrackInfo};
use crate::app::{App, Effect, Event};
use crate::audio::player::{self, PlayerCommand};
use crate::config::Settings;
use crate::library::TrackId;
use crate::library::scan::scan;
use crate::model::active::load_active;
use crate::model::backend::inference_device;
use crate::model::infer::Classifier;
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
    Ok(lib)
}

/// Scans the library, then analyses it, forwarding news to the UI. Runs on its own thread.
fn background(
    store: Store,
    root: PathBuf,
    classifier: Classifier,
    threads: usize,
    tx: Sender<Event>,
    bumps: Receiver<TrackId>,
    quit: Receiver<()>,
) {
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
    let analyzer = match Analyzer::start(store.clone(), classifier, threads) {
        Ok(a) => a,
        Err(e) => {
            let _ = tx.send(Event::Status {
                text: format!("analysis cannot start: {e}"),
                error: true,
            });
            return;
        }
    };
    loop {
        select! {
            recv(analyzer.events()) -> ev => match ev {
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
                        break;
                    }
                }
                Err(_) => break,
            },
            recv(bumps) -> b => if let Ok(id) = b { analyzer.bump(id) },
            recv(quit) -> _ => break,
        }
    }
    analyzer.cancel();
    // Keep serving nothing; dropping the analyzer joins its workers (the track in flight
    // finishes and is stored).
    drop(analyzer);
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
    let classifier = Classifier::new(model, device);
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
    let (bump_tx, bump_rx) = unbounded::<TrackId>();
    let (quit_tx, quit_rx) = unbounded::<()>();
    let bg = {
        let store = store.clone();
        let root = root.clone();
        std::thread::Builder::new()
            .name("library".into())
            .spawn(move || background(store, root, classifier, threads, bg_tx, bump_rx, quit_rx))?
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
    let _ = bg.join();
    Ok(())
}
