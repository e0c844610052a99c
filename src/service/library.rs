//! One concern at ~710 lines: the library thread's one state machine (scan, load, classify,
//! follow the disk, offline and back), which owns the analyzer and the watcher.
//!
//! The library in the background: scan the folder, load the catalog, then classify what the
//! active model has not seen, bumping what the user looks at and switching models on request.
//! The folder is watched ([`super::watch`]): added, changed, moved and removed files reach the
//! store and the player within about two seconds, and new ones are classified first; a rescan
//! can be asked for at any time. One thread owns the analyzer; the UI talks to it over
//! channels.
//!
//! A library folder that is not there (renamed, unmounted, missing at the start) is
//! *offline*: the store keeps its tracks, the analysis and the watcher stop, the player is
//! told (`Event::LibraryOffline`), and the folder is looked at every [`OFFLINE_LOOK`] until
//! it is back; then it is watched and scanned again. (It is looked at that often while it is
//! there too: an unmount need not reach the watcher.)

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, select, unbounded};

use super::watch::{self, ChangeReport, Debounce, WatchEvent, Watcher};

use crate::analysis::{AnalysisEvent, Analyzer, Priority, ThreadBudget};
use crate::app::Event;
use crate::app::catalog::{Catalog, TrackInfo};
use crate::library::TrackId;
use crate::library::root::Offline;
use crate::library::scan::{Listening, ScanError, ScanEvent, scan_with};
use crate::model::ModelId;
use crate::model::infer::Classifier;
use crate::recommend::similar::Vector;
use crate::store::Store;

/// What the store holds for the tracks of one model, read beside the track list.
#[derive(Default)]
struct ModelData {
    vectors: HashMap<TrackId, Vector>,
    styles: HashMap<TrackId, Vector>,
    open_set: HashMap<TrackId, crate::store::OpenSetRecord>,
    failed: HashMap<TrackId, String>,
    partial: HashMap<TrackId, String>,
    loudness: HashMap<TrackId, crate::audio::loudness::Loudness>,
    /// The newest earlier model's vector of each track, with that model's labels.
    fallback: HashMap<TrackId, (std::sync::Arc<Vec<String>>, Vector)>,
}

fn model_data(store: &Store, model: &ModelId) -> crate::store::Result<ModelData> {
    let mut d = ModelData::default();
    for (id, v) in store.vectors_for(model)? {
        if let Some(s) = v.style {
            d.styles.insert(id, s.into());
        }
        if let Some(os) = v.open_set {
            d.open_set.insert(id, os);
        }
        d.vectors.insert(id, v.vector.into());
    }
    d.failed = store
        .failures_for(model)?
        .into_iter()
        .map(|(id, f)| (id, f.reason))
        .collect();
    d.partial = store
        .damaged_tracks()?
        .into_iter()
        .map(|(id, r)| (id, r.reason))
        .collect();
    d.loudness = store
        .loudness_all()?
        .into_iter()
        .map(|(id, l)| (id, l.loudness))
        .collect();
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
            if !d.vectors.contains_key(&id)
                && !d.fallback.contains_key(&id)
                && v.vector.len() == labels.len()
            {
                d.fallback.insert(id, (labels.clone(), v.vector.into()));
            }
        }
    }
    Ok(d)
}

/// Whether the stored path `path` (raw bytes) lies in folder `root`: as
/// [`Path::starts_with`], without making a path of every record.
fn under(path: &[u8], root: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let root = root.as_os_str().as_bytes();
    let root = root.strip_suffix(b"/").unwrap_or(root);
    path.strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest[0] == b'/' || root.is_empty())
}

/// Builds the player's catalog from the store, with the vectors and failures of `model`. The
/// track list (sorted, with its search text) and the model's vectors are read on two threads
/// at once: at 50,000 tracks this is most of the time to the first screen.
pub fn load_catalog(
    store: &Store,
    root: &Path,
    model: &ModelId,
    labels: &[String],
) -> anyhow::Result<Catalog> {
    let (lib, data) = std::thread::scope(|scope| {
        let data = std::thread::Builder::new()
            .name("catalog".into())
            // sled panics on some damaged pages: caught, they are this read's error.
            .spawn_scoped(scope, || {
                crate::audio::guard::catch(|| model_data(store, model))
            });
        let mut tracks = Vec::new();
        store.for_each_track(|id, r| {
            if under(&r.path, root) {
                tracks.push(TrackInfo::from_record(id, r, root));
            }
        })?;
        let lib = Catalog::new(root.to_path_buf(), tracks, labels.to_vec());
        let data = match data {
            Ok(handle) => match handle.join() {
                Ok(Ok(data)) => data?,
                Ok(Err(panic)) => anyhow::bail!("reading the genre vectors failed: {panic}"),
                Err(_) => anyhow::bail!("reading the genre vectors failed"),
            },
            // No thread to be had: read them here.
            Err(_) => model_data(store, model)?,
        };
        Ok::<_, anyhow::Error>((lib, data))
    })?;
    let mut lib = lib;
    let known = |id: &TrackId| lib.index.contains_key(id);
    let ModelData {
        mut vectors,
        mut styles,
        mut open_set,
        mut failed,
        mut partial,
        mut loudness,
        mut fallback,
    } = data;
    vectors.retain(|id, _| known(id));
    styles.retain(|id, _| known(id));
    open_set.retain(|id, _| known(id));
    failed.retain(|id, _| known(id));
    partial.retain(|id, _| known(id));
    loudness.retain(|id, _| known(id));
    fallback.retain(|id, _| known(id));
    lib.vectors = vectors;
    lib.styles = styles;
    lib.open_set = open_set;
    lib.failed = failed;
    lib.partial = partial;
    lib.loudness = loudness;
    lib.fallback = fallback;
    Ok(lib)
}

/// The handle of the background library thread.
pub struct LibraryService {
    bumps: Sender<TrackId>,
    switch: Sender<Classifier>,
    rescan: Sender<()>,
    quit: Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl LibraryService {
    /// Starts scanning `root` and classifying with `classifier`, as many workers at a time as
    /// `budget` allows, at idle priority, and watching the folder; news goes to `tx`.
    pub fn start(
        store: Store,
        root: PathBuf,
        classifier: Classifier,
        budget: ThreadBudget,
        tx: Sender<Event>,
    ) -> std::io::Result<Self> {
        let (bump_tx, bumps) = unbounded();
        let (switch_tx, switch) = unbounded();
        let (rescan_tx, rescan) = unbounded();
        let (quit_tx, quit) = unbounded();
        let thread = std::thread::Builder::new()
            .name("library".into())
            .spawn(move || {
                let model = classifier.model().id.clone();
                let labels = classifier.labels().to_vec();
                let news = tx.clone();
                let mut bg = Background {
                    store,
                    root,
                    classifier,
                    budget,
                    tx,
                    model,
                    labels,
                    analyzer: None,
                    watcher: None,
                    offline: None,
                };
                let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    bg.run(Channels {
                        bumps,
                        switch,
                        rescan,
                        quit,
                    })
                }));
                // Never "0 classified" for ever without a word: the screen says it stopped.
                if let Err(panic) = ran {
                    let what = crate::audio::guard::panic_message(&*panic);
                    tracing::error!("the library thread stopped: {what}");
                    let _ = news.send(Event::Analysis(AnalysisEvent::Stopped {
                        reason: format!("the library thread stopped ({what}); restart genreplay"),
                    }));
                }
            })?;
        Ok(LibraryService {
            bumps: bump_tx,
            switch: switch_tx,
            rescan: rescan_tx,
            quit: quit_tx,
            thread: Some(thread),
        })
    }

    /// Classifies `id` before the others.
    pub fn bump(&self, id: TrackId) {
        let _ = self.bumps.send(id);
    }

    /// Looks at the whole library folder again (new files are classified first).
    pub fn rescan(&self) {
        let _ = self.rescan.send(());
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
    bumps: Receiver<TrackId>,
    switch: Receiver<Classifier>,
    rescan: Receiver<()>,
    quit: Receiver<()>,
}

fn status(tx: &Sender<Event>, text: String, error: bool) {
    let _ = tx.send(Event::Status { text, error });
}

/// Size and modification time of every track under `root`, as the store has them.
fn stamps(store: &Store, root: &Path) -> Result<HashMap<TrackId, (u64, i64)>, ScanError> {
    let mut out = HashMap::new();
    store.for_each_track(|id, r| {
        if r.path().starts_with(root) {
            out.insert(id, (r.size, r.mtime_ns));
        }
    })?;
    Ok(out)
}

/// How often a scan's progress is sent to the player at most.
const SCAN_NEWS: std::time::Duration = std::time::Duration::from_millis(200);

/// Sends a scan's progress to the player (at most every [`SCAN_NEWS`]), from the scan's
/// threads.
fn scan_news(tx: &Sender<Event>) -> impl Fn(ScanEvent) + Sync + '_ {
    let last: std::sync::Mutex<Option<Instant>> = std::sync::Mutex::new(None);
    move |ev| {
        let Ok(mut last) = last.lock() else { return };
        if last.is_some_and(|t| t.elapsed() < SCAN_NEWS) {
            return;
        }
        *last = Some(Instant::now());
        let _ = tx.send(Event::Analysis(AnalysisEvent::Scan(Some(ev))));
    }
}

/// A scan of the library folder: its progress said as it goes, and its end.
fn scan_said(store: &Store, root: &Path, threads: usize, tx: &Sender<Event>) -> ScanResult {
    let _ = tx.send(Event::Analysis(AnalysisEvent::Scan(Some(
        ScanEvent::Walking { found: 0 },
    ))));
    // The moves' listening history is the history thread's to carry (`Event::TracksMoved`).
    let r = scan_with(
        store,
        root,
        threads,
        &scan_news(tx),
        Listening::LeaveToCaller,
    );
    let _ = tx.send(Event::Analysis(AnalysisEvent::Scan(None)));
    r
}

type ScanResult = Result<crate::library::scan::ScanReport, ScanError>;

/// How often the library folder is looked at (is it there?).
pub const OFFLINE_LOOK: std::time::Duration = std::time::Duration::from_secs(2);

/// The library folder is offline: why, and how many tracks the store has in it.
struct OfflineState {
    why: Offline,
    known: usize,
}

/// The library thread's state.
struct Background {
    store: Store,
    root: PathBuf,
    classifier: Classifier,
    budget: ThreadBudget,
    tx: Sender<Event>,
    model: crate::model::ModelId,
    labels: Vec<String>,
    analyzer: Option<Analyzer>,
    watcher: Option<Watcher>,
    /// Set while the library folder is not there.
    offline: Option<OfflineState>,
}

impl Background {
    fn status(&self, text: String, error: bool) {
        status(&self.tx, text, error);
    }

    fn run(&mut self, ch: Channels) {
        // Watch first: what changes during the first scan is not missed.
        let (watch_tx, watch_rx) = unbounded();
        if crate::library::root::check(&self.root, || 0).is_ok() {
            self.start_watching(&watch_tx);
        }
        // The player started with the store's catalog; it only needs a new one when the
        // folder changed while it was not running (a second 50,000-track catalog held beside
        // the first is the start's memory peak).
        if self.first_scan() {
            self.send_catalog();
        }
        if self.offline.is_none() {
            self.start_analysis(&[]);
        }
        let look = crossbeam_channel::tick(OFFLINE_LOOK);
        let mut debounce = Debounce::default();
        let mut last_watch_error = String::new();
        loop {
            let events = self
                .analyzer
                .as_ref()
                .map(|a| a.events().clone())
                .unwrap_or_else(crossbeam_channel::never);
            let due = debounce
                .deadline()
                .map(crossbeam_channel::at)
                .unwrap_or_else(crossbeam_channel::never);
            select! {
                recv(events) -> ev => match ev {
                    Ok(ev) => {
                        let finished = matches!(ev, AnalysisEvent::Finished { .. });
                        self.forward(ev, &[]);
                        if finished {
                            // Dropping joins the (finished) workers.
                            self.analyzer = None;
                        }
                    }
                    Err(_) => self.analyzer = None,
                },
                recv(ch.bumps) -> b => {
                    if let (Ok(id), Some(a)) = (b, &self.analyzer) {
                        a.bump(id);
                    }
                }
                recv(ch.switch) -> c => {
                    let Ok(c) = c else { continue };
                    self.stop_analysis();
                    self.model = c.model().id.clone();
                    self.labels = c.labels().to_vec();
                    self.classifier = c;
                    // What the store already has for this model shows now, not after a
                    // restart; the analysis then fills in the rest (once the folder is there).
                    self.send_catalog();
                    if self.offline.is_none() {
                        self.start_analysis(&[]);
                    }
                }
                recv(watch_rx) -> ev => match ev {
                    Ok(WatchEvent::Error(e)) => {
                        if e != last_watch_error && self.offline.is_none() {
                            tracing::warn!("{e}");
                            self.status(e.clone(), true);
                            last_watch_error = e;
                        }
                    }
                    Ok(ev) => debounce.add(ev, Instant::now()),
                    // (This thread holds a sender: the channel stays open.)
                    Err(_) => {}
                },
                recv(due) -> _ => {
                    let batch = debounce.take();
                    if self.offline.is_some() {
                        // Events of a folder that went: the look at it decides.
                        continue;
                    }
                    let report = if batch.rescan {
                        self.full_scan()
                    } else {
                        watch::apply_changes(&self.store, &self.root, &batch.paths)
                    };
                    self.changed(report, false);
                }
                recv(look) -> _ => {
                    if self.offline.is_some() {
                        self.look_again(&watch_tx, false);
                    } else if let Err(why) = crate::library::root::check(&self.root, || {
                        crate::library::root::known_tracks(&self.store, &self.root)
                    }) {
                        // Gone without a word from the watcher (an unmount, a rename).
                        self.went_offline(why);
                    }
                }
                recv(ch.rescan) -> _ => {
                    // A rescan covers whatever the watcher had collected.
                    debounce.take();
                    if self.offline.is_some() {
                        self.look_again(&watch_tx, true);
                        continue;
                    }
                    let report = self.full_scan();
                    self.changed(report, true);
                }
                recv(ch.quit) -> _ => break,
            }
        }
        self.watcher = None;
        if let Some(a) = self.analyzer.take() {
            // The track in flight finishes and is stored; the rest waits for the next start.
            a.cancel();
            drop(a);
        }
    }

    /// Stops the analysis under way (the track in flight is stored) and tells the player it
    /// ended, so the status line never says "analysing 137/137" for an analysis that is
    /// gone (what else it had to say is of the old work: dropped).
    fn stop_analysis(&mut self) {
        if let Some(a) = self.analyzer.take() {
            a.cancel();
            let events = a.events().clone();
            // Dropping joins the workers: the last one says it finished.
            drop(a);
            for ev in events.try_iter() {
                if matches!(ev, AnalysisEvent::Finished { .. }) {
                    let _ = self.tx.send(Event::Analysis(ev));
                }
            }
        }
    }

    /// Watches the library folder (a failure is said on the status line).
    fn start_watching(&mut self, tx: &Sender<WatchEvent>) {
        self.watcher = match watch::watch(&self.root, tx.clone()) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!("{e}");
                self.status(e.to_string(), true);
                None
            }
        };
    }

    /// The library folder is not there: nothing of it is removed; the analysis and the
    /// watcher stop until it is back, and the player says so.
    fn went_offline(&mut self, why: Offline) {
        if self.offline.is_some() {
            return;
        }
        tracing::warn!("{why}");
        self.stop_analysis();
        self.watcher = None;
        let known = crate::library::root::known_tracks(&self.store, &self.root);
        let _ = self.tx.send(Event::LibraryOffline(Some(format!(
            "library folder is not there: {} ({}); its {} and the queue are kept until it is back",
            self.root.display(),
            why.why,
            crate::app::session::tracks_n(known),
        ))));
        self.offline = Some(OfflineState { why, known });
    }

    /// While offline: is the folder back? Then it is watched and scanned again, and the
    /// analysis goes on. `asked`: the user asked (a rescan), so a folder still missing is said
    /// again.
    fn look_again(&mut self, watch_tx: &Sender<WatchEvent>, asked: bool) {
        let Some(off) = &self.offline else { return };
        let known = off.known;
        if let Err(still) = crate::library::root::check(&self.root, || known) {
            if asked {
                self.status(format!("cannot rescan: {still}"), true);
            }
            if let Some(o) = self.offline.as_mut() {
                o.why = still;
            }
            return;
        }
        tracing::info!("the library folder {} is back", self.root.display());
        self.offline = None;
        let _ = self.tx.send(Event::LibraryOffline(None));
        self.start_watching(watch_tx);
        let report = self.full_scan();
        self.changed(report, asked);
        if self.offline.is_none() && self.analyzer.is_none() {
            self.start_analysis(&[]);
        }
    }

    /// The scan at start, reported on the status line.
    /// Scans the folder; true when the store's tracks changed.
    fn first_scan(&mut self) -> bool {
        match scan_said(&self.store, &self.root, self.budget.max().max(2), &self.tx) {
            Ok(r) => {
                let changed = r.new + r.changed + r.removed + r.moved > 0;
                // Queued entries follow their files (the player started with the old names).
                if !r.moves.is_empty() {
                    let _ = self.tx.send(Event::TracksMoved(r.moves.clone()));
                }
                let text = format!(
                    "{} ({} new, {} changed, {} removed{}){}",
                    crate::app::session::tracks_n(r.tracks),
                    r.new,
                    r.changed,
                    r.removed,
                    match r.moved {
                        0 => String::new(),
                        n => format!(", {n} moved or renamed"),
                    },
                    if r.unreadable.is_empty() {
                        String::new()
                    } else {
                        format!(" · {} unreadable, see the log", r.unreadable.len())
                    }
                );
                self.status(text, false);
                for (p, why) in &r.unreadable {
                    tracing::warn!(path = %p.display(), %why, "unreadable during scan");
                }
                changed
            }
            Err(ScanError::Offline(why)) => {
                self.went_offline(why);
                false
            }
            Err(e) => {
                self.status(format!("scan failed: {e}"), true);
                false
            }
        }
    }

    /// A scan of the whole folder, as a list of what changed.
    fn full_scan(&self) -> Result<ChangeReport, ScanError> {
        let before = stamps(&self.store, &self.root)?;
        let r = scan_said(&self.store, &self.root, self.budget.max().max(2), &self.tx)?;
        let after = stamps(&self.store, &self.root)?;
        let moved_to: std::collections::HashSet<TrackId> = r.moves.iter().map(|m| m.1).collect();
        let mut report = ChangeReport {
            unreadable: r.unreadable,
            moved: r.moves,
            ..Default::default()
        };
        for (id, stamp) in &after {
            match before.get(id) {
                None if moved_to.contains(id) => {}
                None => report.added.push(*id),
                Some(old) if old != stamp => report.changed.push(*id),
                Some(_) => {}
            }
        }
        let moved_from: std::collections::HashSet<TrackId> =
            report.moved.iter().map(|m| m.0).collect();
        report.removed = before
            .keys()
            .filter(|id| !after.contains_key(id) && !moved_from.contains(id))
            .copied()
            .collect();
        for v in [&mut report.added, &mut report.changed, &mut report.removed] {
            v.sort();
        }
        Ok(report)
    }

    /// After a batch from the watcher or a rescan: tell the player, and classify the new and
    /// changed tracks before anything else.
    fn changed(&mut self, report: Result<ChangeReport, ScanError>, asked: bool) {
        let report = match report {
            Ok(r) => r,
            Err(ScanError::Offline(why)) => {
                self.went_offline(why);
                return;
            }
            Err(e) => {
                self.status(format!("cannot update the library: {e}"), true);
                return;
            }
        };
        if report.is_empty() {
            if asked {
                let n = self.store.track_count();
                self.status(
                    format!(
                        "rescan: nothing changed ({})",
                        crate::app::session::tracks_n(n)
                    ),
                    false,
                );
            }
            return;
        }
        let summary = report.summary();
        tracing::info!("library changed on disk: {summary}");
        self.status(format!("library: {summary}"), false);
        // Queued entries follow their files; then the player sees the files at once (new
        // ones as waiting for analysis).
        if !report.moved.is_empty() {
            let _ = self.tx.send(Event::TracksMoved(report.moved.clone()));
        }
        self.send_catalog();
        // Moved files keep their vectors; one moved before it was classified is new work
        // under its new name.
        let unclassified_moves = report
            .moved
            .iter()
            .map(|(_, to)| *to)
            .filter(|to| !self.store.has_vector(&self.model, *to).unwrap_or(false));
        let first: Vec<TrackId> = report
            .added
            .iter()
            .chain(&report.changed)
            .copied()
            .chain(unclassified_moves)
            .collect();
        if first.is_empty() {
            return;
        }
        // The analyzer's list of work is fixed when it starts: start it again, new ones first.
        if let Some(a) = self.analyzer.take() {
            a.cancel();
            let events = a.events().clone();
            a.join();
            // A vector finished meanwhile for a file that changed describes the old audio.
            if !report.changed.is_empty()
                && let Err(e) = self.store.invalidate_tracks(&report.changed)
            {
                tracing::warn!("{e}");
            }
            for ev in events.try_iter() {
                self.forward(ev, &report.changed);
            }
        }
        self.start_analysis(&first);
    }

    /// Passes an analysis event on to the player, with the vector (and loudness) a finished
    /// track was stored with — handed along by the worker, not read back — unless `stale` has
    /// it: its file changed while it was being classified.
    fn forward(&self, ev: AnalysisEvent, stale: &[TrackId]) {
        if let AnalysisEvent::TrackDone {
            track,
            result: Ok(done),
        } = &ev
            && !stale.contains(track)
        {
            let _ = self.tx.send(Event::VectorReady {
                track: *track,
                vector: done.vector.vector.clone(),
                style: done.vector.style.clone(),
                open_set: done.vector.open_set,
            });
            if let Some(loudness) = done.loudness {
                let _ = self.tx.send(Event::LoudnessReady {
                    track: *track,
                    loudness,
                });
            }
        }
        let _ = self.tx.send(Event::Analysis(ev));
    }

    fn send_catalog(&self) {
        match load_catalog(&self.store, &self.root, &self.model, &self.labels) {
            Ok(lib) => {
                let _ = self.tx.send(Event::LibraryLoaded(Box::new(lib)));
            }
            Err(e) => self.status(format!("cannot read the library: {e}"), true),
        }
    }

    /// Starts the analysis of what the model has not classified, `first` before the rest.
    fn start_analysis(&mut self, first: &[TrackId]) {
        match Analyzer::start_with(
            self.store.clone(),
            self.classifier.clone(),
            self.budget.clone(),
            Priority::Idle,
        ) {
            Ok(a) => {
                // Each bump goes to the front: the last one bumped goes first.
                for id in first.iter().rev() {
                    a.bump(*id);
                }
                self.analyzer = Some(a);
            }
            Err(e) => {
                tracing::error!("analysis cannot start: {e}");
                let _ = self.tx.send(Event::Analysis(AnalysisEvent::Stopped {
                    reason: e.to_string(),
                }));
            }
        }
    }
}

#[cfg(test)]
mod under_tests {
    use super::under;
    use std::path::Path;

    #[test]
    fn under_matches_path_starts_with() {
        let cases = [
            ("/m/a/x.mp3", "/m/a"),
            ("/m/a/x.mp3", "/m/a/"),
            ("/m/ab/x.mp3", "/m/a"),
            ("/m/a", "/m/a"),
            ("/m/x.mp3", "/"),
            ("/n/x.mp3", "/m"),
        ];
        for (p, root) in cases {
            assert_eq!(
                under(p.as_bytes(), Path::new(root)),
                Path::new(p).starts_with(root),
                "{p} under {root}"
            );
        }
    }
}
