//! Writing the listening history and the likes on a thread of their own: the session counts
//! and rates, the store's tree and its plain-file copy are written here, never on the UI
//! thread. Changes that pile up are written together, and the plain file once per batch. Each
//! counted listen is also added to the listen log (`store::listen_log`) in the same batch, which
//! is kept within its bound here. At the start the thread reads the history and sends it to the
//! app.

use crossbeam_channel::Sender;

use super::batch::BatchThread;

use crate::app::Event;
use crate::library::TrackId;
use crate::store::Store;
use crate::store::history::{Listen, Rating};
use crate::store::listen_log::{LoggedListen, MAX_LISTENS};

/// One change of a track's history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HistoryChange {
    Listen {
        track: TrackId,
        listen: Listen,
        at: u64,
        /// When the listen started, and how much of it was heard (for the listen log).
        started: u64,
        heard_secs: u32,
    },
    Rate {
        track: TrackId,
        rating: Rating,
        at: u64,
    },
}

impl HistoryChange {
    /// The listen log's entry of a counted listen.
    fn logged(&self) -> Option<LoggedListen> {
        match *self {
            HistoryChange::Listen {
                track,
                listen,
                started,
                heard_secs,
                ..
            } => Some(LoggedListen {
                track,
                started,
                heard_secs,
                listen,
            }),
            HistoryChange::Rate { .. } => None,
        }
    }
}

/// What the thread is given: a change to write, or the listening figures to make (after what
/// is written; the per-day chart of so many days).
enum Work {
    Change(HistoryChange),
    /// Files moved (old id → new id): what the listener did goes with them.
    Moved(Vec<(TrackId, TrackId)>),
    Stats(u32),
}

pub struct HistoryWriter {
    thread: BatchThread<Work>,
}

impl HistoryWriter {
    /// Starts the writer; its first work is to send the app the history (`HistoryLoaded`).
    pub fn start(store: Store, events: Sender<Event>) -> Self {
        let (s, ev) = (store.clone(), events.clone());
        // How many listens the log has: counted once at the start (on this thread), then
        // followed, so the log is pruned when it passes its bound.
        let logged = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = logged.clone();
        let thread = BatchThread::start(
            "history",
            move || {
                // Moves an earlier run noted and did not carry (it ended first).
                match s.pending_moves() {
                    Ok(moves) if !moves.is_empty() => {
                        if let Err(e) = s.carry_listening(&moves) {
                            tracing::warn!("carrying the listening history of moved files: {e}");
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("reading the moves to carry: {e}"),
                }
                counted.store(s.listen_count(), std::sync::atomic::Ordering::Relaxed);
                match s.history() {
                    Ok(h) => {
                        let _ = ev.send(Event::HistoryLoaded(h));
                    }
                    Err(e) => tracing::warn!("reading the listening history: {e}"),
                }
            },
            move |work: Vec<Work>| {
                let mut stats = None;
                let mut batch = Vec::new();
                for w in work {
                    match w {
                        Work::Change(c) => batch.push(c),
                        Work::Moved(moves) => {
                            // What was sent before the move is written first, under the
                            // ids it was sent with.
                            if !batch.is_empty() {
                                Self::write(&store, std::mem::take(&mut batch), &logged, &events);
                            }
                            Self::carry(&store, &moves, &events);
                        }
                        Work::Stats(days) => stats = stats.max(Some(days)),
                    }
                }
                if !batch.is_empty() {
                    Self::write(&store, batch, &logged, &events);
                }
                if let Some(days) = stats {
                    Self::stats(&store, days, &events);
                }
            },
        );
        HistoryWriter { thread }
    }

    /// Writes a batch of changes: the listen log first (who hears `HistoryChanged` finds the
    /// listens in it), then each track's record, then the plain-file copy.
    fn write(
        store: &Store,
        batch: Vec<HistoryChange>,
        logged: &std::sync::atomic::AtomicUsize,
        events: &Sender<Event>,
    ) {
        let log: Vec<LoggedListen> = batch.iter().filter_map(HistoryChange::logged).collect();
        Self::log(store, &log, logged);
        for change in batch {
            let written = match change {
                HistoryChange::Listen {
                    track, listen, at, ..
                } => store.record_listen(track, listen, at).map(|r| (track, r)),
                HistoryChange::Rate { track, rating, at } => {
                    store.set_rating(track, rating, at).map(|r| (track, r))
                }
            };
            match written {
                Ok((track, record)) => {
                    let _ = events.send(Event::HistoryChanged { track, record });
                }
                Err(e) => tracing::warn!("writing the listening history: {e}"),
            }
        }
        store.save_history_copy();
    }

    /// Carries the moved tracks' history to their new ids and sends the app what the store
    /// now holds for each.
    fn carry(store: &Store, moves: &[(TrackId, TrackId)], events: &Sender<Event>) {
        if let Err(e) = store.carry_listening(moves) {
            tracing::warn!("carrying the listening history of moved files: {e}");
            return;
        }
        for &(_, track) in moves {
            match store.history_of(track) {
                Ok(Some(record)) => {
                    let _ = events.send(Event::HistoryChanged { track, record });
                }
                Ok(None) => {}
                Err(e) => tracing::warn!("reading the listening history: {e}"),
            }
        }
    }

    /// Makes the listening figures now and sends them to the app.
    fn stats(store: &Store, days: u32, events: &Sender<Event>) {
        match super::stats::gather(store, crate::store::now_unix(), days) {
            Ok(s) => {
                let _ = events.send(Event::StatsReady(Box::new(s)));
            }
            Err(e) => {
                let _ = events.send(Event::Status {
                    text: format!("the listening figures cannot be made: {e}"),
                    error: true,
                });
            }
        }
    }

    /// Adds the batch's listens to the log, and prunes it when it passes its bound.
    fn log(store: &Store, log: &[LoggedListen], logged: &std::sync::atomic::AtomicUsize) {
        use std::sync::atomic::Ordering::Relaxed;
        match store.log_listens(log) {
            Ok(()) => {
                let n = logged.load(Relaxed) + log.len();
                logged.store(n, Relaxed);
                if n > MAX_LISTENS {
                    match store.prune_listens() {
                        Ok(kept) => logged.store(kept, Relaxed),
                        Err(e) => tracing::warn!("pruning the listen log: {e}"),
                    }
                }
            }
            Err(e) => tracing::warn!("writing the listen log: {e}"),
        }
    }

    pub fn send(&self, change: HistoryChange) {
        self.thread.send(Work::Change(change));
    }

    /// Files moved (old id → new id): their history follows, after the changes sent before.
    pub fn moved(&self, moves: Vec<(TrackId, TrackId)>) {
        if !moves.is_empty() {
            self.thread.send(Work::Moved(moves));
        }
    }

    /// Asks for the listening figures (`Event::StatsReady`), made after what is pending.
    pub fn want_stats(&self, days: u32) {
        self.thread.send(Work::Stats(days));
    }

    /// Writes what is pending and stops the writer.
    pub fn finish(&mut self) {
        self.thread.finish();
    }
}
