//! A single-slot background job: at most one runs at a time; it keeps its result in a slot
//! and sends the UI only a small notice; the consumer takes the result when it wants it (the
//! pattern of gitui's async jobs, written for our threads).

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One job slot holding the last result of type `T`.
pub struct SingleJob<T> {
    slot: Arc<Mutex<Option<T>>>,
    running: Option<JoinHandle<()>>,
    name: &'static str,
}

impl<T: Send + 'static> SingleJob<T> {
    pub fn new(name: &'static str) -> Self {
        SingleJob {
            slot: Arc::new(Mutex::new(None)),
            running: None,
            name,
        }
    }

    /// Whether a job runs now.
    pub fn busy(&self) -> bool {
        self.running.as_ref().is_some_and(|h| !h.is_finished())
    }

    /// Runs `work` on its own thread unless one runs already (then `false`). Whatever `work`
    /// returns as its result replaces the slot's content; `work` sends its own notice.
    pub fn spawn(&mut self, work: impl FnOnce() -> Option<T> + Send + 'static) -> bool {
        if self.busy() {
            return false;
        }
        let slot = self.slot.clone();
        self.running = std::thread::Builder::new()
            .name(self.name.into())
            .spawn(move || {
                if let Some(result) = work()
                    && let Ok(mut s) = slot.lock()
                {
                    *s = Some(result);
                }
            })
            .ok();
        self.running.is_some()
    }

    /// Takes the last result, leaving the slot empty.
    pub fn take(&self) -> Option<T> {
        self.slot.lock().ok().and_then(|mut s| s.take())
    }

    /// Empties the slot.
    pub fn clear(&self) {
        drop(self.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_at_a_time_and_the_result_waits_in_the_slot() {
        let mut job = SingleJob::<u32>::new("test-job");
        let (go_tx, go_rx) = crossbeam_channel::bounded::<()>(0);
        let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(1);
        assert!(job.spawn(move || {
            let _ = go_rx.recv();
            let _ = done_tx.send(());
            Some(7)
        }));
        assert!(job.busy());
        assert!(
            !job.spawn(|| Some(8)),
            "a second job is refused while one runs"
        );
        go_tx.send(()).unwrap();
        done_rx.recv().unwrap();
        while job.busy() {
            std::thread::yield_now();
        }
        assert_eq!(job.take(), Some(7));
        assert_eq!(job.take(), None);
        assert!(job.spawn(|| None));
        while job.busy() {
            std::thread::yield_now();
        }
        assert_eq!(
            job.take(),
            None,
            "a job without a result leaves the slot empty"
        );
    }
}
