//! Writing the listening history and the likes on a thread of their own: the session counts
//! and rates, the store's tree and its plain-file copy are written here, never on the UI
//! thread. Changes that pile up are written together, and the plain file once per batch. At
//! the start the thread reads the history and sends it to the app.

use crossbeam_channel::Sender;

use super::batch::BatchThread;

use crate::app::Event;
use crate::library::TrackId;
use crate::store::Store;
use crate::store::history::{Listen, Rating};

/// One change of a track's history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HistoryChange {
    Listen {
        track: TrackId,
        listen: Listen,
        at: u64,
    },
    Rate {
        track: TrackId,
        rating: Rating,
        at: u64,
    },
}

pub struct HistoryWriter {
    thread: BatchThread<HistoryChange>,
}

impl HistoryWriter {
    /// Starts the writer; its first work is to send the app the history (`HistoryLoaded`).
    pub fn start(store: Store, events: Sender<Event>) -> Self {
        let (s, ev) = (store.clone(), events.clone());
        let thread = BatchThread::start(
            "history",
            move || match s.history() {
                Ok(h) => {
                    let _ = ev.send(Event::HistoryLoaded(h));
                }
                Err(e) => tracing::warn!("reading the listening history: {e}"),
            },
            move |batch: Vec<HistoryChange>| {
                for change in batch {
                    let written = match change {
                        HistoryChange::Listen { track, listen, at } => {
                            store.record_listen(track, listen, at).map(|r| (track, r))
                        }
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
            },
        );
        HistoryWriter { thread }
    }

    pub fn send(&self, change: HistoryChange) {
        self.thread.send(change);
    }

    /// Writes what is pending and stops the writer.
    pub fn finish(&mut self) {
        self.thread.finish();
    }
}
