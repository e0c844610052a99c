//! Scrobbling to ListenBrainz (or a server with its API): "playing now" when a track starts,
//! a listen when the history's play rule counts a play, stamped with the time the track
//! started. Two threads, never the UI's: the writer puts each listen into the queue on disk
//! (`queue`) before anything tries to send it, then wakes the sender, which sends the queue
//! in batches and waits as the server's answers say (`sender`). The UI thread only notes when
//! tracks start ([`Scrobbler::observe`], from the media snapshots) and hands over what was
//! counted ([`Scrobbler::listened`]); the tags are read from the store on the writer's
//! thread. A track without an artist or title tag is not sent (the log says so).

pub mod client;
pub mod error;
pub mod queue;
pub mod sender;
pub mod status;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};

use super::batch::BatchThread;
use super::media_feed::MediaUpdate;
use crate::app::Event;
use crate::app::remote::PlayState;
use crate::config::ScrobbleConfig;
use crate::library::TrackId;
use crate::store::Store;
use crate::store::history::Listen;
pub use client::{Client, TokenCheck};
pub use error::ScrobbleError;
pub use queue::{ListenQueue, QueuedListen};
pub use sender::{Flushed, Options, Submitter};
pub use status::{SendState, Status};

/// Track starts remembered for the listens still to be counted.
const STARTS_KEPT: usize = 16;

/// The scrobble folder in the data folder.
pub fn folder(data_dir: &Path) -> PathBuf {
    data_dir.join("scrobble")
}

/// What the writer thread is handed.
#[derive(Debug, Clone)]
pub enum Pending {
    /// A counted play of a library track that started at `started`.
    Track { id: TrackId, started: u64 },
    /// A listen made already.
    Listen(QueuedListen),
}

enum Msg {
    PlayingNow(Pending),
    Wake,
}

/// The player's end of scrobbling.
pub struct Scrobbler {
    writer: BatchThread<Pending>,
    tx: Sender<Msg>,
    /// Recent track starts (track, Unix seconds), newest last.
    starts: VecDeque<(TrackId, u64)>,
    current: Option<TrackId>,
    /// The track "playing now" was sent for.
    announced: Option<TrackId>,
}

impl Scrobbler {
    /// Starts the writer and the sender for `cfg` with the queue in `dir`; `store` gives the
    /// tags of tracks ([`Pending::Track`]); the status line hears of a refused token, a full
    /// queue or a damaged queue file on `events`. Anything already queued is sent at once.
    pub fn start(
        cfg: &ScrobbleConfig,
        dir: &Path,
        store: Option<Store>,
        events: Option<Sender<Event>>,
        options: Options,
    ) -> Result<Self, ScrobbleError> {
        let queue = ListenQueue::open(dir)?;
        let mut submitter =
            Submitter::new(queue.clone(), Client::new(cfg, options.timeout), options);
        submitter.events = events.clone();
        let (tx, rx) = unbounded::<Msg>();
        let store2 = store.clone();
        std::thread::Builder::new()
            .name("scrobble-send".into())
            .spawn(move || send_loop(submitter, rx, store2))
            .map_err(|source| ScrobbleError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        let wake = tx.clone();
        let writer = BatchThread::start(
            "scrobble-queue",
            || {},
            move |batch: Vec<Pending>| {
                let listens: Vec<QueuedListen> = batch
                    .into_iter()
                    .filter_map(|p| resolve(p, store.as_ref(), true))
                    .collect();
                if listens.is_empty() {
                    return;
                }
                write_queue(&queue, &listens, events.as_ref());
                let _ = wake.send(Msg::Wake);
            },
        );
        Ok(Scrobbler {
            writer,
            tx,
            starts: VecDeque::new(),
            current: None,
            announced: None,
        })
    }

    /// Puts a listen in the queue (written before it is sent).
    pub fn queue(&self, listen: QueuedListen) {
        self.writer.send(Pending::Listen(listen));
    }

    /// Sends "playing now" for `what`.
    pub fn playing_now(&self, what: Pending) {
        let _ = self.tx.send(Msg::PlayingNow(what));
    }

    /// After each batch of events: a track that starts is noted (and announced as "playing
    /// now" once it plays).
    pub fn observe(&mut self, update: &MediaUpdate) {
        let Some(t) = &update.now.track else {
            self.current = None;
            return;
        };
        let id = t.id;
        // The same track from its start again without a seek (played again by name).
        let again = !update.seeked
            && update.now.position_secs < 3.0
            && update.prev.as_ref().is_some_and(|p| {
                p.track.as_ref().is_some_and(|pt| pt.id == id)
                    && p.position_secs > update.now.position_secs + 5.0
            });
        // A new track, the same one again after its listen was counted (repeat one), or
        // played again from its start.
        if again || self.current != Some(id) || !self.starts.iter().any(|(s, _)| *s == id) {
            self.current = Some(id);
            self.announced = None;
            let started = crate::util::time::now_unix()
                .saturating_sub(update.now.position_secs.max(0.0).round() as u64);
            self.starts.retain(|(s, _)| *s != id);
            self.starts.push_back((id, started));
            while self.starts.len() > STARTS_KEPT {
                self.starts.pop_front();
            }
        }
        if update.now.state == PlayState::Playing && self.announced != Some(id) {
            self.announced = Some(id);
            let started = self.started(id).unwrap_or_else(crate::util::time::now_unix);
            self.playing_now(Pending::Track { id, started });
        }
    }

    fn started(&self, id: TrackId) -> Option<u64> {
        self.starts
            .iter()
            .rev()
            .find(|(s, _)| *s == id)
            .map(|(_, t)| *t)
    }

    /// The history counted `listen` of `track` at `at`: a play becomes a listen stamped with
    /// the track's start.
    pub fn listened(&mut self, track: TrackId, listen: Listen, at: u64) {
        // Whatever it counted as, this listen of the track is over.
        let started = self
            .starts
            .iter()
            .rposition(|(s, _)| *s == track)
            .and_then(|i| self.starts.remove(i))
            .map(|(_, t)| t);
        if listen != Listen::Play {
            return;
        }
        let started = started.unwrap_or_else(|| {
            tracing::debug!("scrobble: a play without its start; stamped with its end");
            at
        });
        self.writer.send(Pending::Track { id: track, started });
    }

    /// Writes what is waiting to be queued; the sender is left to end with the process (the
    /// queue is on disk).
    pub fn finish(&mut self) {
        self.writer.finish();
    }
}

/// Adds `listens` to the queue; a full queue or a damaged file is said on the status line.
fn write_queue(queue: &ListenQueue, listens: &[QueuedListen], events: Option<&Sender<Event>>) {
    let say = |text: String| {
        if let Some(tx) = events {
            let _ = tx.send(Event::Status { text, error: true });
        }
    };
    match queue.push(listens) {
        Ok((pushed, damage)) => {
            if let Some(e) = damage {
                say(format!("scrobbling: {e}"));
            }
            if pushed.refused > 0 {
                let text = format!(
                    "scrobbling: the queue is full ({} listens wait for the server); {} new \
                     listen(s) not kept",
                    pushed.queued, pushed.refused
                );
                tracing::warn!("{text}");
                say(text);
            }
        }
        Err(e) => {
            tracing::warn!("scrobbling: cannot queue a listen: {e}");
            say(format!("scrobbling: cannot queue a listen: {e}"));
        }
    }
}

/// The listen for `p` (the track's tags from the store); `None`, logged, for a track without
/// an artist or a title tag.
fn resolve(p: Pending, store: Option<&Store>, log: bool) -> Option<QueuedListen> {
    let (id, started) = match p {
        Pending::Listen(l) => return Some(l),
        Pending::Track { id, started } => (id, started),
    };
    let record = match store.map(|s| s.track(id)) {
        Some(Ok(Some(r))) => r,
        Some(Err(e)) => {
            tracing::warn!("scrobble: reading the track: {e}");
            return None;
        }
        _ => return None,
    };
    let t = &record.tags;
    let artist = t.artist.as_deref().or(t.album_artist.as_deref());
    let listen = QueuedListen::new(
        started,
        artist.unwrap_or_default(),
        t.title.as_deref().unwrap_or_default(),
        t.album.as_deref(),
        t.duration_ms,
        t.track_no,
    );
    if listen.is_none() && log {
        let path = String::from_utf8_lossy(&record.path).into_owned();
        tracing::info!(
            "scrobble: not sent: {} has no {} tag",
            crate::util::text::escape(&path),
            if artist.is_none_or(|a| a.trim().is_empty()) {
                "artist"
            } else {
                "title"
            }
        );
    }
    listen
}

/// The sender's thread: a pass at the start (what an earlier run left), then on each wake-up,
/// flush and when a wait is over; "playing now" as it comes.
fn send_loop(mut s: Submitter, rx: Receiver<Msg>, store: Option<Store>) {
    s.pass(Duration::ZERO);
    loop {
        let msg = match s.backoff.deadline() {
            Some(t) => rx.recv_deadline(t.max(Instant::now())),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match msg {
            Ok(Msg::PlayingNow(p)) => {
                if let Some(l) = resolve(p, store.as_ref(), false) {
                    s.playing_now(&l);
                }
            }
            Ok(Msg::Wake) => {
                if s.backoff.ready() {
                    s.pass(Duration::ZERO);
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                s.backoff.expire();
                s.pass(Duration::ZERO);
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
}
