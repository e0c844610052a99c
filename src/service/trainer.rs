//! Training started from the player: looking at a folder, then one training at a time, each a
//! single-slot job. The trained model waits in its slot for accept or discard.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crossbeam_channel::Sender;

use super::job::SingleJob;
use crate::app::Event;
use crate::app::retrain::{Outcome, Preview, TrainError, TrainSpec};
use crate::model::job::{Prepared, TrainRequest, TrainResult, compare, prepare, run};
use crate::model::registry::LoadedModel;
use crate::model::train::TrainEvent;

pub struct Trainer {
    prepared: SingleJob<(TrainRequest, Prepared)>,
    training: SingleJob<TrainResult>,
    cancel: Arc<AtomicBool>,
    tx: Sender<Event>,
    cache_root: PathBuf,
}

impl Trainer {
    pub fn new(tx: Sender<Event>, cache_root: PathBuf) -> Self {
        Trainer {
            prepared: SingleJob::new("prepare"),
            training: SingleJob::new("training"),
            cancel: Arc::new(AtomicBool::new(false)),
            tx,
            cache_root,
        }
    }

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

    /// Looks at the folder; the preview comes back as an event.
    pub fn prepare(&mut self, spec: TrainSpec) {
        let req = self.request(&spec);
        let tx = self.tx.clone();
        self.prepared.spawn(move || {
            let (ev, kept) = match prepare(&req) {
                Ok(p) => {
                    let preview = Preview {
                        counts: p.counts.clone(),
                        train_tracks: p.train_tracks,
                        valid_tracks: p.valid_tracks,
                        warnings: p.warnings.clone(),
                        skipped: p.skipped,
                    };
                    (Ok(preview), Some((req, p)))
                }
                Err(e) => (Err(TrainError::Prepare(format!("{e:#}"))), None),
            };
            let _ = tx.send(Event::TrainPrepared(ev));
            kept
        });
    }

    /// Trains on what `prepare` found; progress and the outcome come back as events.
    pub fn start(&mut self, spec: TrainSpec, active: LoadedModel) {
        if self.training.busy() {
            let _ = self.tx.send(Event::Status {
                text: "a training is already running".into(),
                error: true,
            });
            return;
        }
        let Some((req, prepared)) = self.prepared.take().filter(|(r, _)| r.dir == spec.folder)
        else {
            let _ = self
                .tx
                .send(Event::TrainingFinished(Err(TrainError::FolderChanged)));
            return;
        };
        self.cancel.store(false, Ordering::SeqCst);
        let cancel = self.cancel.clone();
        let tx = self.tx.clone();
        self.training.spawn(move || {
            let t0 = Instant::now();
            let progress_tx = tx.clone();
            let on_event = move |ev| {
                let _ = progress_tx.send(Event::Training(ev));
            };
            let cancelled = || Err(TrainError::Cancelled);
            let (outcome, kept) = match run(&req, &prepared, &on_event, &cancel) {
                Ok(r) if r.cancelled || cancel.load(Ordering::SeqCst) => (cancelled(), None),
                Ok(r) => {
                    // Scoring the validation tracks with the active model takes a while too.
                    let _ = tx.send(Event::Training(TrainEvent::Comparing));
                    (Ok(Box::new(outcome_of(&r, &active, &req, t0))), Some(r))
                }
                Err(_) if cancel.load(Ordering::SeqCst) => (cancelled(), None),
                Err(e) => (Err(TrainError::Failed(format!("{e:#}"))), None),
            };
            let _ = tx.send(Event::TrainingFinished(outcome));
            kept
        });
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// The trained model waiting for accept or discard.
    pub fn take_result(&self) -> Option<TrainResult> {
        self.training.take()
    }

    pub fn discard(&self) {
        self.training.clear();
    }
}

/// What the Training view shows of a finished training.
fn outcome_of(r: &TrainResult, active: &LoadedModel, req: &TrainRequest, t0: Instant) -> Outcome {
    let cmp = compare(r, active);
    Outcome {
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
        mode: req.mode,
        secs: t0.elapsed().as_secs_f64(),
        name: crate::app::retrain::suggested_name(&req.dir, crate::store::now_unix()),
        open_set: r.open_set.clone(),
    }
}
