//! The terminal player's run loop: takes the terminal (restored on exit, on panic, on
//! SIGTERM, SIGHUP or SIGINT, and as far as it can be on an abort), sends stderr to the log so nothing garbles the screen, starts
//! the services, and feeds every event through `App::update`, handing the effects to the
//! service layer's runner. Redraws happen on change, at most ~60 times a second; idle, the
//! loop sleeps.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use crossbeam_channel::{Receiver, select, unbounded};
use crossterm::event::{self, Event as CEvent, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::app::{App, Event};
use crate::audio::player::PlayerEvent;
use crate::paths::Paths;
use crate::service::{self, EffectRunner, Prepared};

/// The original stderr, kept while stderr points at the log.
static SAVED_STDERR: AtomicI32 = AtomicI32::new(-1);
static TERMINAL_ACTIVE: AtomicBool = AtomicBool::new(false);

/// How long quitting waits for the analysis to store the track in flight.
const QUIT_WAIT: Duration = Duration::from_millis(150);

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
        let _ = execute!(
            out,
            crossterm::event::DisableMouseCapture,
            LeaveAlternateScreen,
            crossterm::cursor::Show
        );
        let _ = out.flush();
    }
    restore_stderr();
}

/// What a terminal needs to be the user's again: the mouse off, the main screen, the cursor.
/// (As `restore_terminal` sends it through crossterm; written raw by the abort handler.)
const LEAVE_SEQUENCE: &[u8] =
    b"\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l\x1b[?1049l\x1b[?25h";

/// The terminal's modes before raw mode (fd 0's), for the abort handler, which may not lock
/// or allocate.
static COOKED: std::sync::OnceLock<libc::termios> = std::sync::OnceLock::new();

/// SIGABRT: what an allocation failure (out of memory), a stack overflow or a panic while
/// panicking ends the process with. No hook runs for those, so the handler gives the terminal
/// back with async-signal-safe calls only (write, tcsetattr, dup2, raise), and the process
/// ends as it would have.
extern "C" fn on_abort(_signal: libc::c_int) {
    if TERMINAL_ACTIVE.swap(false, Ordering::SeqCst) {
        // SAFETY: write and tcsetattr are async-signal-safe; the buffer and the termios are
        // statics that live for the whole process.
        unsafe {
            let _ = libc::write(
                1,
                LEAVE_SEQUENCE.as_ptr().cast(),
                LEAVE_SEQUENCE.len() as libc::size_t,
            );
            if let Some(t) = COOKED.get() {
                libc::tcsetattr(0, libc::TCSANOW, t);
            }
        }
    }
    let saved = SAVED_STDERR.swap(-1, Ordering::SeqCst);
    // SAFETY: dup2 and raise are async-signal-safe; `saved` is the descriptor dup'ed at the
    // start. The handler was reset to the default action (SA_RESETHAND): the signal raised
    // again ends the process once this returns, also when it came from `kill`, not `abort`.
    unsafe {
        if saved >= 0 {
            libc::dup2(saved, 2);
        }
        libc::raise(libc::SIGABRT);
    }
}

/// Installs [`on_abort`] (once the terminal's cooked modes are known).
fn install_abort_handler() {
    // SAFETY: a zeroed sigaction is a valid start; the handler only makes async-signal-safe
    // calls (see `on_abort`). SA_RESETHAND: the default action comes back for `abort`'s own
    // second raise.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_abort as extern "C" fn(libc::c_int) as libc::sighandler_t;
        sa.sa_flags = libc::SA_RESETHAND;
        libc::sigemptyset(&mut sa.sa_mask);
        if libc::sigaction(libc::SIGABRT, &sa, std::ptr::null_mut()) != 0 {
            tracing::warn!(
                "cannot watch for aborts: {}",
                std::io::Error::last_os_error()
            );
        }
    }
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

/// SIGTERM, SIGHUP (the terminal closed) and SIGINT end the player as `q` does.
fn watch_signals() -> anyhow::Result<Receiver<i32>> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT])
        .context("watching signals")?;
    let (tx, rx) = unbounded();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for s in signals.forever() {
                if tx.send(s).is_err() {
                    return;
                }
            }
        })?;
    Ok(rx)
}

/// Terminal input on its own thread; the channel closes when the terminal goes away.
fn watch_input() -> anyhow::Result<Receiver<Event>> {
    let (tx, rx) = unbounded::<Event>();
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            loop {
                let ev = match event::read() {
                    Ok(CEvent::Key(k)) if k.kind != KeyEventKind::Release => Event::Key(k),
                    Ok(CEvent::Resize(w, h)) => Event::Resize(w, h),
                    Ok(CEvent::Mouse(m)) => Event::Mouse(m),
                    Ok(_) => continue,
                    Err(_) => return,
                };
                if tx.send(ev).is_err() {
                    return;
                }
            }
        })?;
    Ok(rx)
}

/// Runs the terminal player until the user quits (or a signal ends it); CLI commands sent to
/// it by other processes run with `commands`.
pub fn run(
    library: Option<&Path>,
    paths: &Paths,
    commands: Option<service::remote::CommandRunner>,
) -> anyhow::Result<()> {
    let prepared = Prepared::load(library, paths)?;
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        anyhow::bail!(
            "the player needs a terminal; for scripts use the subcommands (genreplay --help)"
        );
    }
    // From here on stderr goes to the log: ALSA's complaints about a missing sound card, and
    // anything else, must not land on the screen.
    std::fs::create_dir_all(&paths.data_dir).ok();
    redirect_stderr(&paths.log_file());
    let signals = watch_signals()?;
    let (mut app, mut runner, background) = service::launch(prepared, paths, commands)?;

    install_panic_hook();
    install_abort_handler();
    let _guard = TerminalGuard;
    take_terminal()?;
    // The graphics protocol for covers, asked once before anything reads the input.
    if let Some(art) = &runner.art {
        art.set_picker(service::art::query_picker(app.views.now_playing.covers));
    }
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    terminal.clear()?;
    if let Ok(size) = terminal.size() {
        // Carried out like any event's: at this size Now playing asks for its cover.
        let mut pending = vec![Event::Resize(size.width, size.height)];
        while let Some(ev) = pending.pop() {
            for fx in app.update(ev) {
                if fx != crate::app::Effect::Suspend {
                    pending.extend(runner.run(fx));
                }
            }
        }
    }
    let input = watch_input()?;
    let result = event_loop(
        &mut app,
        &mut runner,
        &mut terminal,
        &input,
        &background,
        &signals,
    );
    // The terminal is the user's again before anything waits.
    restore_terminal();
    runner.save_now(&mut app);
    runner.shutdown(QUIT_WAIT);
    result
}

/// Raw mode, the alternate screen, the mouse.
fn take_terminal() -> anyhow::Result<()> {
    if COOKED.get().is_none() {
        // SAFETY: tcgetattr fills the termios it is given, for a descriptor we hold.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::isatty(0) == 1 && libc::tcgetattr(0, &mut t) == 0 {
                let _ = COOKED.set(t);
            }
        }
    }
    enable_raw_mode().context("entering raw mode")?;
    TERMINAL_ACTIVE.store(true, Ordering::SeqCst);
    execute!(
        std::io::stdout(),
        EnterAlternateScreen,
        crossterm::event::EnableMouseCapture
    )
    .context("entering the alternate screen")?;
    Ok(())
}

/// ctrl-z: gives the terminal back and stops the process; `fg` continues it here.
fn suspend(terminal: &mut Terminal<CrosstermBackend<std::io::Stdout>>) -> anyhow::Result<()> {
    restore_terminal();
    // SAFETY: raising a signal at ourselves; SIGTSTP's default action stops the process and
    // the shell's `fg` sends SIGCONT.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    take_terminal()?;
    terminal.clear()?;
    Ok(())
}

fn event_loop(
    app: &mut App,
    runner: &mut EffectRunner,
    terminal: &mut Terminal<CrosstermBackend<std::io::Stdout>>,
    input: &Receiver<Event>,
    background: &Receiver<Event>,
    signals: &Receiver<i32>,
) -> anyhow::Result<()> {
    let frame_gap = Duration::from_millis(16);
    let mut last_draw = Instant::now() - frame_gap;
    let mut dirty = true;
    let mut first_frame = true;
    let mut next_tick = Instant::now() + Duration::from_secs(1);
    let player_events = runner.player.events().clone();
    let mut spectrum = crate::service::visualiser::SpectrumFeed::default();
    while !app.should_quit {
        // The visualiser's bars, when shown and a frame is due.
        let bars = spectrum.tick(app, runner.player.scope());
        dirty |= bars.drew;
        if dirty && last_draw.elapsed() >= frame_gap {
            terminal.draw(|f| crate::ui::draw(f, app))?;
            if first_frame {
                crate::util::startup::mark("first frame drawn");
                first_frame = false;
                // What loading the catalog needed only once.
                crate::util::memory::give_back();
            }
            last_draw = Instant::now();
            dirty = false;
        }
        let timeout = if dirty {
            frame_gap.saturating_sub(last_draw.elapsed())
        } else {
            next_tick.saturating_duration_since(Instant::now())
        };
        let timeout = match bars.next {
            Some(at) => timeout.min(at.saturating_duration_since(Instant::now())),
            None => timeout,
        };
        let ev = select! {
            recv(input) -> e => match e {
                Ok(e) => Some(e),
                // The terminal is gone (closed window, lost session).
                Err(_) => return Ok(()),
            },
            recv(player_events) -> e => e.ok().map(Event::Player),
            recv(background) -> e => e.ok(),
            recv(signals) -> s => {
                tracing::info!(signal = ?s.ok(), "quitting on a signal");
                return Ok(());
            }
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
            Event::Player(PlayerEvent::Position { secs }) => {
                secs.floor() != app.session.playback.position_secs.floor()
            }
            // Once a second: the status may expire, vectors that arrived are shown.
            Event::Tick => true,
            _ => true,
        };
        // A new catalog replaces the whole old one: its memory goes back to the system.
        let replaced = matches!(ev, Event::LibraryLoaded(_));
        let mut pending = vec![ev];
        while let Some(ev) = pending.pop() {
            for fx in app.update(ev) {
                if fx == crate::app::Effect::Suspend {
                    suspend(terminal)?;
                    dirty = true;
                } else {
                    pending.extend(runner.run(fx));
                }
            }
        }
        if replaced {
            crate::util::memory::give_back();
        }
        let p = &app.session.playback;
        runner.set_playing(p.track.is_some() && !p.paused);
        runner.sync_media(&app.session);
        dirty |= redraw;
    }
    Ok(())
}
