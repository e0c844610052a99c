//! What scripts and status bars hear of the player: `genreplay ctl events` (a subscription over
//! the remote-control socket) and `status_program` (a program run on each track and state
//! change).
//!
//! The changes come from the same snapshots as MPRIS's (`service::media_feed`): after each
//! batch of events the UI loop hands the [`MediaUpdate`] to [`EventHub::publish`], which turns
//! the difference into [`Change`]s, one JSON object each. Nothing here ever makes the UI
//! thread wait: each subscriber has a bounded channel ([`BACKLOG`] events) that is only
//! `try_send`-ed to, and a subscriber whose channel is full is dropped (and told so, and the
//! log says so); at most [`MAX_SUBSCRIBERS`] follow at once. The program runs on a thread of
//! its own, one at a time, and is killed after [`PROGRAM_TIMEOUT`].
//!
//! On the socket: the client sends `{"op":"events"}`; the player answers with [`EVENT`]
//! frames, each one JSON object (the first a `status` with everything), and a last `quit`
//! when the player quits; or one `RESPONSE` frame with an error (too many subscribers).

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError, bounded};
use serde::{Deserialize, Serialize};

use super::media_feed::MediaUpdate;
use crate::app::media::{MediaState, MediaTrack};
use crate::app::remote::PlayState;

/// The frame kind of one event (see `service::remote`'s protocol).
pub const EVENT: u8 = b'V';
/// Subscribers followed at once; one more is told the player is busy.
pub const MAX_SUBSCRIBERS: usize = 16;
/// Events waiting for one subscriber; a subscriber this far behind is dropped.
pub const BACKLOG: usize = 256;
/// How long `status_program` may run before it is killed.
pub const PROGRAM_TIMEOUT: Duration = Duration::from_secs(5);
/// Events waiting for `status_program`; more are left out (and logged).
const PROGRAM_BACKLOG: usize = 16;
/// How often an idle subscriber's connection is looked at (has the client gone?).
const IDLE_LOOK: Duration = Duration::from_secs(1);

/// The playing track, as scripts see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventTrack {
    pub path: String,
    pub title: String,
    pub artist: String,
    pub album: String,
    /// The classifier's top genre (null while unclassified, or when the model is unsure).
    pub genre: Option<String>,
    pub duration: Option<f64>,
}

impl EventTrack {
    fn of(t: &MediaTrack) -> Self {
        EventTrack {
            path: t.path.to_string_lossy().into_owned(),
            title: t.title.clone(),
            artist: t.artist.clone(),
            album: t.album.clone(),
            genre: t.genre.clone(),
            duration: t.duration_secs.map(round_secs),
        }
    }
}

/// One change, as one JSON object: `{"event":"track",…}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Change {
    /// Everything: the first event a subscriber gets.
    Status {
        state: PlayState,
        track: Option<EventTrack>,
        position: f64,
        volume: u32,
        shuffle: bool,
        repeat: String,
        rating: Option<String>,
        upcoming: usize,
    },
    /// Another track was loaded (or its title, artist, album or genre changed), or none is.
    Track {
        track: Option<EventTrack>,
        state: PlayState,
    },
    /// Playing, paused or stopped.
    State {
        state: PlayState,
        position: f64,
    },
    /// The position after a seek, seconds.
    Seek {
        position: f64,
    },
    /// Percent (0 while muted).
    Volume {
        volume: u32,
    },
    /// The queue changed (an edit, or the next track began): how many tracks are still to
    /// come.
    Queue {
        upcoming: usize,
    },
    Shuffle {
        shuffle: bool,
    },
    Repeat {
        repeat: String,
    },
    /// The playing track's rating: "like", "dislike" or null.
    Rating {
        rating: Option<String>,
        path: String,
    },
    /// The player is quitting: the last event.
    Quit,
    /// This subscriber fell [`BACKLOG`] events behind and is dropped: the last event.
    Dropped {
        reason: String,
    },
}

impl Change {
    /// The change's name (the `event` field; the argument `status_program` gets).
    pub fn name(&self) -> &'static str {
        match self {
            Change::Status { .. } => "status",
            Change::Track { .. } => "track",
            Change::State { .. } => "state",
            Change::Seek { .. } => "seek",
            Change::Volume { .. } => "volume",
            Change::Queue { .. } => "queue",
            Change::Shuffle { .. } => "shuffle",
            Change::Repeat { .. } => "repeat",
            Change::Rating { .. } => "rating",
            Change::Quit => "quit",
            Change::Dropped { .. } => "dropped",
        }
    }

    /// One line of JSON.
    pub fn line(&self) -> Arc<str> {
        serde_json::to_string(self)
            .unwrap_or_else(|_| format!("{{\"event\":\"{}\"}}", self.name()))
            .into()
    }

    /// The whole state of `s`.
    pub fn status(s: &MediaState) -> Self {
        Change::Status {
            state: s.state,
            track: s.track.as_deref().map(EventTrack::of),
            position: round_secs(s.position_secs),
            volume: percent(s.volume),
            shuffle: s.shuffle,
            repeat: s.repeat.label().to_string(),
            rating: s.rating.name().map(str::to_string),
            upcoming: s.upcoming,
        }
    }
}

fn round_secs(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

fn percent(volume: f64) -> u32 {
    (volume * 100.0).round().clamp(0.0, 1000.0) as u32
}

/// The same track for a script: the same file with the same tags and genre (its duration
/// arriving later is not a new track).
fn same_track(a: Option<&MediaTrack>, b: Option<&MediaTrack>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.id == b.id
                && a.title == b.title
                && a.artist == b.artist
                && a.album == b.album
                && a.genre == b.genre
        }
        _ => false,
    }
}

/// What changed between two snapshots, in the order a script should hear it.
pub fn changes(prev: &MediaState, now: &MediaState, seeked: bool) -> Vec<Change> {
    let mut out = vec![];
    let new_track = !same_track(prev.track.as_deref(), now.track.as_deref());
    if new_track {
        out.push(Change::Track {
            track: now.track.as_deref().map(EventTrack::of),
            state: now.state,
        });
    }
    if prev.state != now.state {
        out.push(Change::State {
            state: now.state,
            position: round_secs(now.position_secs),
        });
    }
    if seeked {
        out.push(Change::Seek {
            position: round_secs(now.position_secs),
        });
    }
    if percent(prev.volume) != percent(now.volume) {
        out.push(Change::Volume {
            volume: percent(now.volume),
        });
    }
    if prev.queue_changes != now.queue_changes {
        out.push(Change::Queue {
            upcoming: now.upcoming,
        });
    }
    if prev.shuffle != now.shuffle {
        out.push(Change::Shuffle {
            shuffle: now.shuffle,
        });
    }
    if prev.repeat != now.repeat {
        out.push(Change::Repeat {
            repeat: now.repeat.label().to_string(),
        });
    }
    let same_id = prev.track.as_ref().map(|t| t.id) == now.track.as_ref().map(|t| t.id);
    if same_id
        && prev.rating != now.rating
        && let Some(t) = &now.track
    {
        out.push(Change::Rating {
            rating: now.rating.name().map(str::to_string),
            path: t.path.to_string_lossy().into_owned(),
        });
    }
    out
}

// ------------------------------------------------------------------ the hub

/// Why a subscription was refused.
#[derive(Debug, thiserror::Error)]
#[error("{MAX_SUBSCRIBERS} clients already follow the player's events; try again later")]
pub struct HubFull;

struct Subscriber {
    id: u64,
    tx: Sender<Arc<str>>,
    /// False once the subscription is dropped (the client left while nothing changed).
    alive: Arc<AtomicBool>,
}

#[derive(Default)]
struct Hub {
    subscribers: Vec<Subscriber>,
    /// The last snapshot (a new subscriber's `status`).
    last: Option<MediaState>,
    next_id: u64,
    /// The player quit: no new subscribers.
    closed: bool,
}

/// The subscribers and the program; cloned into the socket server and the effect runner.
#[derive(Clone, Default)]
pub struct EventHub {
    hub: Arc<Mutex<Hub>>,
    program: Option<Arc<StatusProgram>>,
}

/// One subscriber's end: the events as JSON lines; the channel closes when the player quits
/// or drops this subscriber. Dropping it frees its place at once.
pub struct Subscription {
    pub events: Receiver<Arc<str>>,
    alive: Arc<AtomicBool>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.alive.store(false, Ordering::Relaxed);
    }
}

impl EventHub {
    fn lock(&self) -> MutexGuard<'_, Hub> {
        // A thread that panicked holding it left a list that is still whole.
        self.hub.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `program` (the `status_program` setting) on each track and state change.
    pub fn with_program(mut self, program: Option<PathBuf>) -> Self {
        self.program = program.and_then(|p| match StatusProgram::start(p.clone()) {
            Ok(s) => Some(Arc::new(s)),
            Err(e) => {
                tracing::warn!("status_program {} is off: {e}", p.display());
                None
            }
        });
        self
    }

    /// A new subscriber; its first event is the whole state (when the player has one yet).
    pub fn subscribe(&self) -> Result<Subscription, HubFull> {
        let mut hub = self.lock();
        hub.subscribers.retain(|s| s.alive.load(Ordering::Relaxed));
        if hub.subscribers.len() >= MAX_SUBSCRIBERS {
            return Err(HubFull);
        }
        let (tx, rx) = bounded(BACKLOG);
        let alive = Arc::new(AtomicBool::new(true));
        let sub = Subscription {
            events: rx,
            alive: alive.clone(),
        };
        if hub.closed {
            let _ = tx.try_send(Change::Quit.line());
            return Ok(sub);
        }
        if let Some(s) = &hub.last {
            let _ = tx.try_send(Change::status(s).line());
        }
        hub.next_id += 1;
        let id = hub.next_id;
        hub.subscribers.push(Subscriber { id, tx, alive });
        Ok(sub)
    }

    /// How many follow now.
    pub fn subscribers(&self) -> usize {
        self.lock().subscribers.len()
    }

    /// After a batch of events (the UI thread): sends what changed to every subscriber and
    /// the program. Never blocks: a subscriber whose backlog is full is dropped.
    pub fn publish(&self, u: &MediaUpdate) {
        if !u.changed() && !u.seeked {
            return;
        }
        let mut hub = self.lock();
        hub.last = Some(u.now.clone());
        let Some(prev) = &u.prev else {
            return;
        };
        if hub.subscribers.is_empty() && self.program.is_none() {
            return;
        }
        let changes = changes(prev, &u.now, u.seeked);
        if changes.is_empty() {
            return;
        }
        if let Some(p) = &self.program {
            for c in &changes {
                if matches!(c, Change::Track { .. } | Change::State { .. }) {
                    p.offer(c);
                }
            }
        }
        let lines: Vec<Arc<str>> = changes.iter().map(Change::line).collect();
        hub.subscribers.retain(|s| {
            for line in &lines {
                match s.tx.try_send(line.clone()) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => {
                        tracing::warn!(
                            "events: subscriber {} is {BACKLOG} events behind; dropped",
                            s.id
                        );
                        return false;
                    }
                    Err(TrySendError::Disconnected(_)) => return false,
                }
            }
            true
        });
    }

    /// The player quits: every subscriber gets `quit` and its channel closes.
    pub fn close(&self) {
        let mut hub = self.lock();
        hub.closed = true;
        for s in hub.subscribers.drain(..) {
            let _ = s.tx.try_send(Change::Quit.line());
        }
    }
}

// ------------------------------------------------------------------ one subscriber's connection

/// Serves `stream` as the subscriber `sub` on a thread of its own (so it does not hold one of
/// the socket's client slots), until the player quits, drops it, or the client leaves.
pub fn follow(mut stream: UnixStream, sub: Subscription) {
    let spawned = std::thread::Builder::new()
        .name("events-client".into())
        .spawn(move || serve_subscriber(&mut stream, sub));
    if let Err(e) = spawned {
        tracing::warn!("events: cannot start a subscriber's thread: {e}");
    }
}

fn serve_subscriber(stream: &mut UnixStream, sub: Subscription) {
    let quit = Change::Quit.line();
    loop {
        match sub.events.recv_timeout(IDLE_LOOK) {
            Ok(line) => {
                if super::remote::frame::write_frame(stream, EVENT, line.as_bytes()).is_err()
                    || line == quit
                {
                    return;
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if client_left(stream) {
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    // The channel closed without `quit`: the hub dropped this subscriber.
    let _ = super::remote::frame::write_frame(
        stream,
        EVENT,
        Change::Dropped {
            reason: format!("more than {BACKLOG} events behind"),
        }
        .line()
        .as_bytes(),
    );
}

/// Whether the client closed its end (it sends nothing after its request: anything readable
/// is the end, or bytes it had no business sending).
fn client_left(stream: &UnixStream) -> bool {
    use std::os::fd::AsRawFd;
    let mut fd = libc::pollfd {
        fd: stream.as_raw_fd(),
        events: libc::POLLIN | libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: one pollfd for a socket this thread owns, for the length given.
    let n = unsafe { libc::poll(&mut fd, 1, 0) };
    n != 0
}

// ------------------------------------------------------------------ status_program

/// Runs the `status_program` for each event it is offered, one at a time, on its own thread.
struct StatusProgram {
    tx: Sender<Change>,
}

impl StatusProgram {
    fn start(program: PathBuf) -> std::io::Result<Self> {
        let (tx, rx) = bounded::<Change>(PROGRAM_BACKLOG);
        std::thread::Builder::new()
            .name("status-program".into())
            .spawn(move || {
                for change in rx {
                    run_program(&program, &change);
                }
            })?;
        Ok(StatusProgram { tx })
    }

    /// Queues `change` for the program; never waits (a full queue leaves it out).
    fn offer(&self, change: &Change) {
        if let Err(TrySendError::Full(_)) = self.tx.try_send(change.clone()) {
            tracing::info!(
                "status_program: {PROGRAM_BACKLOG} events wait already; a {} event is left out",
                change.name()
            );
        }
    }
}

/// Runs `program EVENT` with the event's JSON (one line) on its stdin, its output discarded,
/// in a process group of its own (killed whole after [`PROGRAM_TIMEOUT`]).
pub fn run_program(program: &std::path::Path, change: &Change) {
    use std::os::unix::process::CommandExt;
    let mut child = match Command::new(program)
        .arg(change.name())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("status_program {}: {e}", program.display());
            return;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        let mut line = change.line().to_string();
        line.push('\n');
        // A program that does not read its input is fine.
        let _ = stdin.write_all(line.as_bytes());
    }
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                if !status.success() {
                    tracing::info!("status_program {}: {status}", program.display());
                }
                return;
            }
            Ok(None) if started.elapsed() >= PROGRAM_TIMEOUT => {
                tracing::warn!(
                    "status_program {} took more than {} s; killed",
                    program.display(),
                    PROGRAM_TIMEOUT.as_secs()
                );
                if let Ok(pid) = i32::try_from(child.id()) {
                    // SAFETY: signals the process group this child leads (made above).
                    unsafe { libc::kill(-pid, libc::SIGKILL) };
                }
                let _ = child.kill();
                let _ = child.wait();
                return;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                tracing::warn!("status_program {}: {e}", program.display());
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests;
