//! A thread of its own that takes items sent to it and handles what has piled up as one batch
//! (the state files, the listening history): sending never waits, and `finish` writes what is
//! pending before it returns.

use std::thread::JoinHandle;

use crossbeam_channel::{Sender, unbounded};

pub struct BatchThread<T> {
    tx: Option<Sender<T>>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> BatchThread<T> {
    /// Starts the thread `name`: `first` runs once, then `batch` gets every item sent, the
    /// ones that arrived together in one call. A thread that cannot start is logged; items
    /// sent to it are then dropped.
    pub fn start(
        name: &str,
        first: impl FnOnce() + Send + 'static,
        mut batch: impl FnMut(Vec<T>) + Send + 'static,
    ) -> Self {
        let (tx, rx) = unbounded::<T>();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                first();
                while let Ok(item) = rx.recv() {
                    batch(std::iter::once(item).chain(rx.try_iter()).collect());
                }
            })
            .map_err(|e| tracing::warn!("the {name} thread cannot start: {e}; nothing is written"))
            .ok();
        BatchThread {
            tx: Some(tx),
            thread,
        }
    }

    pub fn send(&self, item: T) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(item);
        }
    }

    /// Handles what is pending and stops the thread.
    pub fn finish(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
