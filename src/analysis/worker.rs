//! A pool of workers that classifies every track lacking a vector for the active model, writes
//! each vector as soon as it is computed (so a killed process loses at most the tracks in
//! flight), reports progress as small messages on a channel — a finished track's with what was
//! stored ([`Classified`]), so nobody reads it back —, can be cancelled at any time, and takes
//! tracks the user is looking at first ([`Analyzer::bump`]).
//!
//! Stopping: [`Analyzer::cancel`] lets the tracks in flight finish and be stored;
//! [`Analyzer::detach`] returns at once (for quitting): the tracks in flight are dropped, not
//! written, and their workers end on their own. Either way every stored vector is whole (one
//! transaction each), so the store stays consistent; call [`Store::flush`] before exiting.
//!
//! A write that cannot succeed (full disk, read-only file system) stops the whole analysis at
//! the first failure ([`Analyzer::fatal`]); the track is left pending, not marked failed.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, unbounded};

use super::budget::{Priority, ThreadBudget, set_current_thread_priority};
use crate::audio::decode::AudioError;
use crate::audio::loudness::Loudness;
use crate::library::TrackId;
use crate::library::scan::file_stamp;
use crate::model::ModelId;
use crate::model::infer::{Classifier, Prediction};
use crate::store::{
    DamageRecord, FailureRecord, LoudnessRecord, Store, StoreError, VectorRecord, now_unix,
};

/// Where the work stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub failed: usize,
    /// The file a worker just started.
    pub current: Option<PathBuf>,
    pub eta_secs: Option<f64>,
}

/// Messages from the analyzer.
#[derive(Debug, Clone, PartialEq)]
pub enum AnalysisEvent {
    Started {
        model: ModelId,
        total: usize,
    },
    Progress(Progress),
    /// One track finished: `Ok` with what was stored for it, or `Err` with the reason.
    TrackDone {
        track: TrackId,
        result: Result<Box<Classified>, String>,
    },
    Finished {
        classified: usize,
        failed: usize,
        cancelled: bool,
    },
    /// The analysis cannot go on (its threads could not start): nothing more comes.
    Stopped {
        reason: String,
    },
    /// The library thread looks at the folder before (or between) analyses: how far the
    /// scan is, at most a few times a second; `None` once it is over.
    Scan(Option<crate::library::scan::ScanEvent>),
}

/// What the analysis stored for a track, handed along with [`AnalysisEvent::TrackDone`] so
/// nobody reads it back from the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    /// The top label's index.
    pub top: usize,
    pub vector: VectorRecord,
    /// The clip's loudness (the ReplayGain estimate of a track without gain tags).
    pub loudness: Option<Loudness>,
}

/// Why an analysis could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start an analysis thread: {0}")]
    Spawn(std::io::Error),
}

/// Tracks still to classify for `model`: no vector, and no failure recorded for the file as it
/// is now (a changed file is retried).
pub fn pending_tracks(store: &Store, model: &ModelId) -> Result<Vec<TrackId>, StoreError> {
    let failures: std::collections::HashMap<TrackId, FailureRecord> =
        store.failures_for(model)?.into_iter().collect();
    // Only the pending tracks' paths are kept: the library may hold 50,000 records.
    let mut pending: Vec<(Vec<u8>, TrackId)> = Vec::new();
    let mut lookup = Ok(());
    store.for_each_track(|id, rec| {
        if lookup.is_err() {
            return;
        }
        match store.has_vector(model, id) {
            Ok(true) => return,
            Ok(false) => {}
            Err(e) => {
                lookup = Err(e);
                return;
            }
        }
        if let Some(f) = failures.get(&id)
            && f.size == rec.size
            && f.mtime_ns == rec.mtime_ns
        {
            return;
        }
        pending.push((rec.path, id));
    })?;
    lookup?;
    // Folder order: albums fill in one after another.
    pending.sort();
    Ok(pending.into_iter().map(|(_, id)| id).collect())
}

/// What the workers need from a classifier: the real [`Classifier`], or a wrapper around it
/// (tests use one that fails on purpose).
pub trait TrackClassifier: Clone + Send + 'static {
    fn model_id(&self) -> ModelId;
    fn classify(&self, path: &std::path::Path) -> Result<Prediction, AudioError>;
}

impl TrackClassifier for Classifier {
    fn model_id(&self) -> ModelId {
        self.model().id.clone()
    }
    fn classify(&self, path: &std::path::Path) -> Result<Prediction, AudioError> {
        self.classify_file(path)
    }
}

struct Shared {
    queue: Mutex<VecDeque<TrackId>>,
    cancel: AtomicBool,
    /// Set by [`Analyzer::detach`]: results still in flight are not written.
    abandon: AtomicBool,
    done: AtomicUsize,
    failed: AtomicUsize,
    total: usize,
    started: Instant,
    /// Why the analysis stopped early, when a write could not succeed.
    fatal: Mutex<Option<FatalStop>>,
}

/// Why the analysis stopped before the end: the store could not be written.
#[derive(Debug, Clone, PartialEq)]
pub struct FatalStop {
    /// The error, in words (naming the database folder).
    pub message: String,
    /// The disk is full (as opposed to read-only or locked).
    pub no_space: bool,
}

/// Stops an analyzer from any thread (e.g. a signal handler's thread) without owning it.
#[derive(Clone)]
pub struct StopHandle {
    shared: Arc<Shared>,
}

impl StopHandle {
    /// Like [`Analyzer::cancel`].
    pub fn cancel(&self) {
        self.shared.cancel.store(true, Ordering::Relaxed);
    }

    /// Cancels and drops the results in flight (they are not written).
    pub fn abandon(&self) {
        self.shared.abandon.store(true, Ordering::Relaxed);
        self.shared.cancel.store(true, Ordering::Relaxed);
    }
}

/// The running analyzer. Dropping it cancels the work and waits for the workers.
pub struct Analyzer {
    shared: Arc<Shared>,
    events: Receiver<AnalysisEvent>,
    workers: Vec<JoinHandle<()>>,
    model: ModelId,
}

impl Analyzer {
    /// Starts `threads` workers (each with its own copy of the classifier) over the pending
    /// tracks of the classifier's model, at [`Priority::Low`].
    pub fn start<C: TrackClassifier>(
        store: Store,
        classifier: C,
        threads: usize,
    ) -> Result<Self, StartError> {
        Self::start_with(store, classifier, ThreadBudget::new(threads), Priority::Low)
    }

    /// Starts `budget.max()` workers at `priority`; before each track, worker `i` waits until
    /// `i < budget.allowed()` (so the caller can change how many cores the analysis uses
    /// while it runs, e.g. [`ThreadBudget::set_playing`]).
    /// A worker thread that cannot be started (the system's limit on threads) is said in the
    /// log and the analysis goes on with those that started; none at all is an error.
    pub fn start_with<C: TrackClassifier>(
        store: Store,
        classifier: C,
        budget: ThreadBudget,
        priority: Priority,
    ) -> Result<Self, StartError> {
        let threads = budget.max();
        let model = classifier.model_id();
        let pending = pending_tracks(&store, &model)?;
        let (tx, rx) = unbounded();
        let shared = Arc::new(Shared {
            total: pending.len(),
            queue: Mutex::new(pending.into()),
            cancel: AtomicBool::new(false),
            abandon: AtomicBool::new(false),
            done: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            started: Instant::now(),
            fatal: Mutex::new(None),
        });
        let _ = tx.send(AnalysisEvent::Started {
            model: model.clone(),
            total: shared.total,
        });
        let wanted = threads.max(1);
        let running = Arc::new(AtomicUsize::new(wanted));
        let finished = {
            let (shared, tx) = (shared.clone(), tx.clone());
            move || {
                let _ = tx.send(AnalysisEvent::Finished {
                    classified: shared.done.load(Ordering::Relaxed)
                        - shared.failed.load(Ordering::Relaxed),
                    failed: shared.failed.load(Ordering::Relaxed),
                    cancelled: shared.cancel.load(Ordering::Relaxed),
                });
            }
        };
        let mut workers = Vec::with_capacity(wanted);
        let mut spawn_error = None;
        for index in 0..wanted {
            let spawned = {
                let shared = shared.clone();
                let store = store.clone();
                let classifier = classifier.clone();
                let tx = tx.clone();
                let running = running.clone();
                let budget = budget.clone();
                let finished = finished.clone();
                std::thread::Builder::new()
                    .name(format!("analysis-{index}"))
                    .spawn(move || {
                        if let Err(e) = set_current_thread_priority(priority) {
                            tracing::debug!("analysis thread priority: {e}");
                        }
                        // A worker waiting for its turn (one fewer works while music plays)
                        // also stops when no track is left for it: otherwise the analysis
                        // would not finish — and the status line would say "analysing 5/5" —
                        // until the music stops.
                        let turn = || {
                            budget.wait_turn(index, &|| {
                                shared.cancel.load(Ordering::Relaxed)
                                    || shared.queue.lock().map(|q| q.is_empty()).unwrap_or(true)
                            })
                        };
                        worker_loop(&shared, &store, &classifier, &tx, &turn);
                        if running.fetch_sub(1, Ordering::AcqRel) == 1 {
                            finished();
                        }
                    })
            };
            match spawned {
                Ok(w) => workers.push(w),
                Err(e) => {
                    spawn_error = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = spawn_error {
            if workers.is_empty() {
                return Err(StartError::Spawn(e));
            }
            tracing::warn!(
                "analysis: {} of {wanted} threads started ({e}); going on with those",
                workers.len()
            );
            // The threads that never started count as finished.
            let missing = wanted - workers.len();
            if running.fetch_sub(missing, Ordering::AcqRel) == missing {
                finished();
            }
        }
        Ok(Analyzer {
            shared,
            events: rx,
            workers,
            model,
        })
    }

    pub fn model(&self) -> &ModelId {
        &self.model
    }

    pub fn events(&self) -> &Receiver<AnalysisEvent> {
        &self.events
    }

    pub fn total(&self) -> usize {
        self.shared.total
    }

    /// Moves `track` to the front of the queue if it is still waiting.
    pub fn bump(&self, track: TrackId) {
        if let Ok(mut q) = self.shared.queue.lock()
            && let Some(pos) = q.iter().position(|t| *t == track)
        {
            q.remove(pos);
            q.push_front(track);
        }
    }

    /// Asks the workers to stop after the tracks in flight (which are stored).
    pub fn cancel(&self) {
        self.shared.cancel.store(true, Ordering::Relaxed);
    }

    /// A handle that can cancel or abandon this analysis from another thread.
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle {
            shared: self.shared.clone(),
        }
    }

    /// Stops without waiting: returns at once, the tracks in flight are dropped (not written;
    /// they stay pending for the next run) and the worker threads end on their own when their
    /// current file is done. For quitting: follow with [`Store::flush`].
    pub fn detach(mut self) {
        self.stop_handle().abandon();
        // Dropping the join handles detaches the threads.
        self.workers.clear();
    }

    /// Why the analysis stopped early (a full disk, a read-only database), if it did.
    pub fn fatal(&self) -> Option<FatalStop> {
        self.shared.fatal.lock().ok().and_then(|f| f.clone())
    }

    /// Waits for the workers to finish.
    pub fn join(mut self) {
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

impl Drop for Analyzer {
    fn drop(&mut self) {
        self.cancel();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// Records a write that cannot succeed and stops everything.
fn stop_fatal(shared: &Shared, store: &Store, e: StoreError) {
    let e = store.explain(e);
    tracing::error!("analysis stopped: {e}");
    if let Ok(mut f) = shared.fatal.lock()
        && f.is_none()
    {
        *f = Some(FatalStop {
            message: e.to_string(),
            no_space: e.is_no_space(),
        });
    }
    shared.cancel.store(true, Ordering::Relaxed);
}

fn worker_loop<C: TrackClassifier>(
    shared: &Shared,
    store: &Store,
    classifier: &C,
    tx: &Sender<AnalysisEvent>,
    turn: &dyn Fn() -> bool,
) {
    let model = classifier.model_id();
    loop {
        if shared.cancel.load(Ordering::Relaxed) || !turn() {
            return;
        }
        let next = shared.queue.lock().ok().and_then(|mut q| q.pop_front());
        let Some(id) = next else { return };
        let rec = match store.track(id) {
            Ok(Some(r)) => r,
            Ok(None) => continue, // removed meanwhile
            Err(e) => {
                tracing::warn!("{e}");
                continue;
            }
        };
        let path = rec.path();
        let done_so_far = shared.done.load(Ordering::Relaxed);
        let _ = tx.send(AnalysisEvent::Progress(progress(
            shared,
            done_so_far,
            Some(path.clone()),
        )));
        let outcome = crate::audio::guard::catch(|| classifier.classify(&path));
        if shared.abandon.load(Ordering::Relaxed) {
            // Detached: whatever was computed is dropped; the track stays pending.
            return;
        }
        let meta = std::fs::metadata(&path);
        // A file that is not there now (its folder renamed or unmounted, or deleted: the
        // watcher then removes the track) is not a broken file: no failure is recorded, and it
        // is classified when it is back.
        let gone = matches!(&meta, Err(e) if e.kind() == std::io::ErrorKind::NotFound);
        if gone && !matches!(outcome, Ok(Ok(_))) {
            tracing::info!(path = %path.display(), "not there now: left to classify later");
            let done = shared.done.load(Ordering::Relaxed);
            let _ = tx.send(AnalysisEvent::Progress(progress(shared, done, None)));
            continue;
        }
        let stamp = meta
            .map(|m| file_stamp(&m))
            .unwrap_or((rec.size, rec.mtime_ns));
        let result: Result<Box<Classified>, String> = match outcome {
            Ok(Ok(pred)) => match store_prediction(store, &model, id, pred, stamp) {
                Ok(classified) => Ok(classified),
                Err(e) if e.is_fatal_write() => {
                    stop_fatal(shared, store, e);
                    return;
                }
                Err(e) => Err(format!("{}: storing the vector: {e}", path.display())),
            },
            Ok(Err(e)) => Err(e.to_string()),
            Err(p) => Err(format!(
                "{}: internal error while analysing: {p}",
                path.display()
            )),
        };
        if let Err(reason) = &result {
            tracing::warn!(path = %path.display(), %reason, "classification failed");
            if !record_failure(shared, store, &model, id, reason, stamp) {
                return;
            }
        }
        let done = shared.done.fetch_add(1, Ordering::Relaxed) + 1;
        let _ = tx.send(AnalysisEvent::TrackDone { track: id, result });
        let _ = tx.send(AnalysisEvent::Progress(progress(shared, done, None)));
    }
}

/// Writes a track's prediction — its vector, what was damaged in the file, the clip's
/// loudness — and flushes, so the track is on disk before anyone hears it is done.
/// `stamp` is the file's (size, mtime) the damage and loudness records are valid for.
fn store_prediction(
    store: &Store,
    model: &ModelId,
    id: TrackId,
    pred: Prediction,
    (size, mtime_ns): (u64, i64),
) -> Result<Box<Classified>, StoreError> {
    let top = pred.top().0;
    let v = VectorRecord {
        vector: pred.vector,
        segments: pred.segments as u32,
        style: pred.style,
        computed_unix: now_unix(),
        open_set: pred.open_set,
    };
    let damage = pred.partial.map(|reason| DamageRecord {
        reason,
        size,
        mtime_ns,
        at_unix: now_unix(),
    });
    // The clip's loudness: the ReplayGain estimate when the file has no gain tags.
    let loudness = pred.loudness.map(|loudness| LoudnessRecord {
        loudness,
        size,
        mtime_ns,
        at_unix: now_unix(),
    });
    store.put_vector(model, id, &v)?;
    if let Some(d) = &damage {
        store.put_damage(id, d)?;
    }
    if let Some(l) = &loudness {
        store.put_loudness(id, l)?;
    }
    store.flush()?;
    Ok(Box::new(Classified {
        top,
        vector: v,
        loudness: loudness.map(|l| l.loudness),
    }))
}

/// Records why a track failed (for the file as it is now, `stamp`), so it is not retried
/// until the file changes. False when the write cannot succeed: the analysis stops.
fn record_failure(
    shared: &Shared,
    store: &Store,
    model: &ModelId,
    id: TrackId,
    reason: &str,
    (size, mtime_ns): (u64, i64),
) -> bool {
    let f = FailureRecord {
        reason: reason.to_string(),
        size,
        mtime_ns,
        at_unix: now_unix(),
    };
    match store.put_failure(model, id, &f).and_then(|_| store.flush()) {
        Ok(()) => {}
        Err(e) if e.is_fatal_write() => {
            stop_fatal(shared, store, e);
            return false;
        }
        Err(e) => tracing::warn!("{e}"),
    }
    shared.failed.fetch_add(1, Ordering::Relaxed);
    true
}

fn progress(shared: &Shared, done: usize, current: Option<PathBuf>) -> Progress {
    let elapsed = shared.started.elapsed().as_secs_f64();
    let remaining = shared.total.saturating_sub(done);
    Progress {
        done,
        total: shared.total,
        failed: shared.failed.load(Ordering::Relaxed),
        current,
        eta_secs: (done > 0).then(|| elapsed / done as f64 * remaining as f64),
    }
}
