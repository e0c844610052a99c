//! The library in the background: scan the folder, load the catalog, then classify what the
//! active model has not seen, bumping what the user looks at and switching models on request.
//! One thread owns the analyzer; the UI talks to it over channels.

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, select, unbounded};

use crate::analysis::{AnalysisEvent, Analyzer, Priority, ThreadBudget};
use crate::app::Event;
use crate::app::catalog::{Catalog, TrackInfo};
use crate::library::TrackId;
use crate::library::scan::scan;
use crate::model::ModelId;
use crate::model::infer::Classifier;
use crate::store::Store;

/// Builds the player's catalog from the store, with the vectors and failures of `model`.
pub fn load_catalog(
    store: &Store,
    root: &Path,
    model: &ModelId,
    labels: &[String],
) -> anyhow::Result<Catalog> {
    let tracks: Vec<TrackInfo> = store
        .tracks()?
        .into_iter()
        .filter(|(_, r)| r.path().starts_with(root))
        .map(|(id, r)| TrackInfo::from_record(id, &r, root))
        .collect();
    let mut lib = Catalog::new(root.to_path_buf(), tracks, labels.to_vec());
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
    for (id, d) in store.damaged_tracks()? {
        if lib.index.contains_key(&id) {
            lib.partial.insert(id, d.reason);
        }
    }
    // Tracks the active model has not reached yet keep the newest earlier model's genres.
    let mut others: Vec<_> = store
        .models()?
        .into_iter()
        .filter(|m| m.id != model.0)
        .collect();
    others.sort_by_key(|m| std::cmp::Reverse(m.created_unix));
    for m in others {
        let labels = std::sync::Arc::new(m.labels.clone());
        for (id, v) in store.vectors_for(&ModelId(m.id.clone()))? {
            if lib.index.contains_key(&id)
                && !lib.vectors.contains_key(&id)
                && !lib.fallback.contains_key(&id)
                && v.vector.len() == labels.len()
            {
                lib.fallback.insert(id, (labels.clone(), v.vector));
            }
        }
    }
    Ok(lib)
}

/// The handle of the background library thread.
pub struct LibraryService {
    bumps: Sender<TrackId>,
    switch: Sender<Classifier>,
    quit: Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl LibraryService {
    /// Starts scanning `root` and classifying with `classifier`, as many workers at a time as
    /// `budget` allows, at idle priority; news goes to `tx`.
    pub fn start(
        store: Store,
        root: PathBuf,
        classifier: Classifier,
        budget: ThreadBudget,
        tx: Sender<Event>,
    ) -> std::io::Result<Self> {
        let (bump_tx, bumps) = unbounded();
        let (switch_tx, switch) = unbounded();
        let (quit_tx, quit) = unbounded();
        let thread = std::thread::Builder::new()
            .name("library".into())
            .spawn(move || {
                background(
                    store,
                    root,
                    classifier,
                    budget,
                    Channels {
                        tx,
                        bumps,
                        switch,
                        quit,
                    },
                )
            })?;
        Ok(LibraryService {
            bumps: bump_tx,
            switch: switch_tx,
            quit: quit_tx,
            thread: Some(thread),
        })
    }

    /// Classifies `id` before the others.
    pub fn bump(&self, id: TrackId) {
        let _ = self.bumps.send(id);
    }

    /// A sender for switching the analysis to a new model (from any thread).
    pub fn switcher(&self) -> Sender<Classifier> {
        self.switch.clone()
    }

    /// Asks the thread to stop and waits for it at most `wait`; the track in flight is stored
    /// if it finishes in time, else dropped (the next start classifies it again).
    pub fn stop(&mut self, wait: std::time::Duration) {
        let _ = self.quit.send(());
        let t0 = std::time::Instant::now();
        if let Some(t) = self.thread.take() {
            while !t.is_finished() && t0.elapsed() < wait {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

struct Channels {
    tx: Sender<Event>,
    bumps: Receiver<TrackId>,
    switch: Receiver<Classifier>,
    quit: Receiver<()>,
}

fn status(tx: &Sender<Event>, text: String, error: bool) {
    let _ = tx.send(Event::Status { text, error });
}

fn background(
    store: Store,
    root: PathBuf,
    classifier: Classifier,
    budget: ThreadBudget,
    ch: Channels,
) {
    let Channels {
        tx,
        bumps,
        switch,
        quit,
    } = ch;
    status(&tx, format!("scanning {}…", root.display()), false);
    let model = classifier.model().id.clone();
    let labels = classifier.labels().to_vec();
    match scan(&store, &root, budget.max().max(2), &|_| {}) {
        Ok(r) => {
            let text = format!(
                "{} ({} new, {} changed, {} removed){}",
                crate::app::session::tracks_n(r.tracks),
                r.new,
                r.changed,
                r.removed,
                if r.unreadable.is_empty() {
                    String::new()
                } else {
                    format!(" · {} unreadable, see the log", r.unreadable.len())
                }
            );
            status(&tx, text, false);
            for (p, why) in &r.unreadable {
                tracing::warn!(path = %p.display(), %why, "unreadable during scan");
            }
        }
        Err(e) => status(&tx, format!("scan failed: {e}"), true),
    }
    match load_catalog(&store, &root, &model, &labels) {
        Ok(lib) => {
            let _ = tx.send(Event::LibraryLoaded(Box::new(lib)));
        }
        Err(e) => status(&tx, format!("cannot read the library: {e}"), true),
    }
    let mut model = model;
    let start = |c: Classifier| -> Option<Analyzer> {
        match Analyzer::start_with(store.clone(), c, budget.clone(), Priority::Idle) {
            Ok(a) => Some(a),
            Err(e) => {
                status(&tx, format!("analysis cannot start: {e}"), true);
                None
            }
        }
    };
    let mut analyzer = start(classifier);
    loop {
        let events = analyzer
            .as_ref()
            .map(|a| a.events().clone())
            .unwrap_or_else(crossbeam_channel::never);
        select! {
            recv(events) -> ev => match ev {
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
                        // Dropping joins the (finished) workers.
                        analyzer = None;
                    }
                }
                Err(_) => analyzer = None,
            },
            recv(bumps) -> b => {
                if let (Ok(id), Some(a)) = (b, &analyzer) {
                    a.bump(id);
                }
            }
            recv(switch) -> c => {
                let Ok(c) = c else { continue };
                if let Some(a) = analyzer.take() {
                    a.cancel();
                    drop(a);
                }
                model = c.model().id.clone();
                analyzer = start(c);
            }
            recv(quit) -> _ => break,
        }
    }
    if let Some(a) = analyzer {
        // The track in flight finishes and is stored; the rest waits for the next start.
        a.cancel();
        drop(a);
    }
}
