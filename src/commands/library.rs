//! `genreplay scan` and `genreplay db reset`, and how every command opens the database
//! ([`open_store`]). (`genreplay library` is `library_list.rs`.)

use std::io::IsTerminal;
use std::process::ExitCode;

use serde::Serialize;
use serde_json::{Value, json};

use crate::analysis::{AnalysisEvent, Analyzer};
use crate::cli::{DbAction, ScanArgs};
use crate::library::TrackId;
use crate::library::scan::{ScanError, ScanEvent, ScanReport, scan};
use crate::model::active::{load_active, sync_models};
use crate::model::backend::inference_device;
use crate::model::infer::Classifier;
use crate::paths::{Paths, default_music_dir};
use crate::store::{Store, StoreError, human_bytes};
use crate::util::text::escape;

/// Opens the database for a command: the models folder is synced into the registry (it is the
/// source of truth for trained models), and when the database had to be rebuilt because it was
/// damaged, the user is told and the library folder is rescanned at once.
pub fn open_store(paths: &Paths) -> anyhow::Result<Store> {
    // Run by the player for another process: the player's own handle.
    if let Some(store) = super::output::lent_store() {
        return Ok(store);
    }
    let store = Store::open(&paths.db_dir())?;
    let sync = sync_models(&store, &paths.models_dir())?;
    if let Some(r) = store.recovery() {
        eprintln!("warning: {}", r.describe());
        if !sync.registered.is_empty() {
            eprintln!(
                "  {} trained model{} registered again from {}",
                sync.registered.len(),
                if sync.registered.len() == 1 { "" } else { "s" },
                paths.models_dir().display()
            );
        }
        if let Some(root) = store.meta_get("library_root")?
            && std::path::Path::new(&root).is_dir()
        {
            let rep = scan(
                &store,
                std::path::Path::new(&root),
                super::worker_threads().max(2),
                &|_| {},
            )?;
            eprintln!(
                "  rescanned {}: {} tracks (genres come back with `genreplay scan`, from the feature cache where possible)",
                rep.root.display(),
                rep.tracks
            );
        }
    }
    Ok(store)
}

/// Roughly what classifying one more track writes: its vector record (with sled's overhead)
/// and its entry in the feature cache.
const BYTES_PER_TRACK: u64 = 32 * 1024;
/// Room sled needs to go on writing its log (a few segments).
const DB_HEADROOM: u64 = 8 * 1024 * 1024;

#[derive(Debug, Default, Serialize)]
struct ClassifySummary {
    model: String,
    classified: usize,
    failed: Vec<(String, String)>,
    cancelled: bool,
    /// Why classification stopped early (a full disk, a read-only database).
    fatal: Option<String>,
}

pub fn run_scan(
    args: &ScanArgs,
    library: Option<&std::path::Path>,
    json: bool,
    paths: &Paths,
) -> anyhow::Result<ExitCode> {
    let root = library
        .map(|p| p.to_path_buf())
        .unwrap_or_else(default_music_dir);
    if root.exists() && !root.is_dir() {
        anyhow::bail!("{}: not a folder (pass --library DIR)", root.display());
    }
    let store = open_store(paths)?;
    let tty = std::io::stderr().is_terminal() && !json;
    let (threads, note) = crate::analysis::budget::clamp_threads(args.threads.unwrap_or(0));
    if let Some(note) = note {
        eprintln!("note: {}", note.replace("analysis_threads", "--threads"));
    }
    let report = scan_folder(&store, &root, threads.max(2), tty)?;
    if !json {
        print_scan_report(&report);
    }
    let summary = if args.no_classify {
        ClassifySummary::default()
    } else {
        classify_pending(&store, paths, threads, tty, json)?
    };
    let failed_total = if args.no_classify {
        0
    } else {
        store
            .failures_for(&crate::model::ModelId(summary.model.clone()))?
            .len()
    };
    let names = track_paths(&store)?;
    let partial: Vec<_> = store
        .damaged_tracks()?
        .into_iter()
        .filter_map(|(id, d)| names.get(&id).map(|p| (p.clone(), d.reason)))
        .collect();
    let outcome = ScanOutcome {
        report,
        summary,
        failed_total,
        partial,
    };
    if json {
        super::print_json(&outcome.to_json())?;
    } else {
        outcome.print(args.no_classify);
    }
    if let Some(why) = &outcome.summary.fatal {
        eprintln!("error: classification stopped: {why}");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

/// Every track's file, by id.
fn track_paths(
    store: &Store,
) -> Result<std::collections::HashMap<TrackId, std::path::PathBuf>, StoreError> {
    Ok(store
        .tracks()?
        .into_iter()
        .map(|(id, r)| (id, r.path()))
        .collect())
}

/// Scans `root` into the store, with a spinner on a terminal; the errors in the user's words.
fn scan_folder(
    store: &Store,
    root: &std::path::Path,
    threads: usize,
    tty: bool,
) -> anyhow::Result<ScanReport> {
    let bar = tty.then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_message("scanning");
        b
    });
    let report = scan(store, root, threads, &|ev| {
        if let Some(b) = &bar {
            match ev {
                ScanEvent::Walking { found } => b.set_message(format!("found {found} audio files")),
                ScanEvent::Reading { done, total } => {
                    b.set_message(format!("reading tags {done}/{total}"))
                }
            }
            b.tick();
        }
    })
    .map_err(|e| match e {
        // Missing and never scanned: a mistyped folder, not an offline library.
        ScanError::Offline(o)
            if !root.exists() && crate::library::root::known_tracks(store, &o.root) == 0 =>
        {
            anyhow::anyhow!("{}: not a folder (pass --library DIR)", root.display())
        }
        ScanError::Offline(o) => anyhow::anyhow!("{o}; nothing was changed"),
        ScanError::Store(e) => {
            let e = store.explain(e);
            anyhow::Error::new(if e.is_no_space() {
                e.needing(DB_HEADROOM)
            } else {
                e
            })
        }
    })?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    Ok(report)
}

fn print_scan_report(report: &ScanReport) {
    eprintln!(
        "{}: {} ({} new, {} changed, {} removed, {}{} unchanged) in {:.2} s",
        report.root.display(),
        crate::app::session::tracks_n(report.tracks),
        report.new,
        report.changed,
        report.removed,
        match report.moved {
            0 => String::new(),
            n => format!("{n} moved or renamed, "),
        },
        report.unchanged,
        report.secs
    );
    if report.tag_errors > 0 {
        eprintln!(
            "{} files with unreadable tags (listed by file name)",
            report.tag_errors
        );
    }
    for (p, why) in &report.unreadable {
        eprintln!("unreadable: {}: {why}", p.display());
    }
}

/// Classifies what the active model has not seen, showing each track as it is done.
fn classify_pending(
    store: &Store,
    paths: &Paths,
    threads: usize,
    tty: bool,
    json: bool,
) -> anyhow::Result<ClassifySummary> {
    let device = inference_device();
    let model = load_active(store, None, &device)?;
    let mut summary = ClassifySummary {
        model: model.id.0.clone(),
        ..Default::default()
    };
    let labels = model.config.labels.clone();
    let analyzer = Analyzer::start(
        store.clone(),
        Classifier::new(model, device).with_cache(&paths.cache_dir),
        threads,
    )?;
    let total = analyzer.total();
    let bar = (tty && total > 0).then(|| {
        let b = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "classifying {bar:30} {pos}/{len} eta {eta} {wide_msg}",
        ) {
            b.set_style(style);
        }
        b
    });
    if !json && total > 0 && bar.is_none() {
        eprintln!("classifying {total} tracks with model {}", analyzer.model());
    }
    let shown = ClassifyProgress {
        names: track_paths(store)?,
        labels,
        total,
        // Without a bar, a line per track (unless the output is JSON).
        lines: bar.is_none() && !json,
        bar,
    };
    for ev in analyzer.events().iter() {
        match ev {
            AnalysisEvent::Progress(p) => shown.current(p.current.as_deref()),
            AnalysisEvent::TrackDone { track, result } => {
                shown.track_done(&mut summary, track, &result)
            }
            AnalysisEvent::Finished { cancelled, .. } => {
                summary.cancelled = cancelled;
                break;
            }
            AnalysisEvent::Started { .. } | AnalysisEvent::Scan(_) => {}
            AnalysisEvent::Stopped { reason } => {
                summary.fatal = Some(reason);
                break;
            }
        }
    }
    if let Some(b) = &shown.bar {
        b.finish_and_clear();
    }
    summary.fatal = summary.fatal.take().or(analyzer.fatal().map(|f| {
        if f.no_space {
            // Say how much room the rest needs.
            let left = total.saturating_sub(summary.classified + summary.failed.len()) as u64;
            StoreError::NoSpace {
                path: Some(store.path().to_path_buf()),
                free_bytes: crate::store::free_bytes(store.path()),
                needed_bytes: Some(left * BYTES_PER_TRACK + DB_HEADROOM),
            }
            .to_string()
        } else {
            f.message
        }
    }));
    analyzer.join();
    Ok(summary)
}

/// How `scan` shows classification going: a bar on a terminal, else a line per track.
struct ClassifyProgress {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    names: std::collections::HashMap<TrackId, std::path::PathBuf>,
    labels: Vec<String>,
    total: usize,
}

impl ClassifyProgress {
    /// A worker started on `file`: its name beside the bar.
    fn current(&self, file: Option<&std::path::Path>) {
        if let (Some(b), Some(cur)) = (&self.bar, file) {
            b.set_message(
                cur.file_name()
                    .map(|n| escape(&n.to_string_lossy()).into_owned())
                    .unwrap_or_default(),
            );
        }
    }

    /// A track is done: counted in `summary` and shown.
    fn track_done(
        &self,
        summary: &mut ClassifySummary,
        track: TrackId,
        result: &Result<Box<crate::analysis::worker::Classified>, String>,
    ) {
        let total = self.total;
        let name = self
            .names
            .get(&track)
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        match result {
            Ok(stored) => {
                summary.classified += 1;
                if self.lines {
                    let done = summary.classified + summary.failed.len();
                    eprintln!(
                        "[{done}/{total}] {}: {name}",
                        self.labels
                            .get(stored.top)
                            .map(String::as_str)
                            .unwrap_or("?")
                    );
                }
            }
            Err(reason) => {
                if self.lines {
                    let done = summary.classified + summary.failed.len() + 1;
                    eprintln!("[{done}/{total}] failed: {reason}");
                }
                summary.failed.push((name, reason.clone()));
            }
        }
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }
}

/// What `scan` found and classified, for its closing report.
struct ScanOutcome {
    report: ScanReport,
    summary: ClassifySummary,
    /// Tracks the model has a failure recorded for, this run's and earlier ones'.
    failed_total: usize,
    /// Damaged files classified from what decodes, with the reason.
    partial: Vec<(std::path::PathBuf, String)>,
}

impl ScanOutcome {
    fn to_json(&self) -> Value {
        let (report, summary) = (&self.report, &self.summary);
        json!({
            "root": report.root.to_string_lossy(),
            "tracks": report.tracks,
            "new": report.new,
            "changed": report.changed,
            "removed": report.removed,
            "unchanged": report.unchanged,
            "tag_errors": report.tag_errors,
            "unreadable": report.unreadable.iter().map(|(p, r)| json!({"path": p.to_string_lossy(), "reason": r})).collect::<Vec<_>>(),
            "scan_secs": report.secs,
            "model": summary.model,
            "classified": summary.classified,
            "failed": summary.failed.iter().map(|(p, r)| json!({"path": p, "reason": r})).collect::<Vec<_>>(),
            "failed_total": self.failed_total,
            "partial": self.partial.iter().map(|(p, r)| json!({"path": p.to_string_lossy(), "reason": r})).collect::<Vec<_>>(),
            "error": summary.fatal,
        })
    }

    fn print(&self, no_classify: bool) {
        let (report, summary) = (&self.report, &self.summary);
        if no_classify {
            println!(
                "tracks {}, new {}, changed {}, removed {} (classification skipped)",
                report.tracks, report.new, report.changed, report.removed
            );
            return;
        }
        println!(
            "tracks {}, new {}, changed {}, removed {}, classified {}, failed {}",
            report.tracks,
            report.new,
            report.changed,
            report.removed,
            summary.classified,
            summary.failed.len()
        );
        for (_, r) in &summary.failed {
            println!("  failed: {r}");
        }
        let earlier = self.failed_total.saturating_sub(summary.failed.len());
        if earlier > 0 {
            println!(
                "  ({earlier} tracks failed in earlier runs and are not retried until they change; `genreplay library` lists them)"
            );
        }
        if !self.partial.is_empty() {
            println!(
                "  {} tracks are partial (damaged files, classified from what decodes; `genreplay library` gives the reasons)",
                self.partial.len()
            );
        }
    }
}

pub fn run_db(action: &DbAction, paths: &Paths) -> anyhow::Result<ExitCode> {
    match action {
        DbAction::Reset { yes } => {
            let db = paths.db_dir();
            if !db.exists() {
                println!("no database at {}", db.display());
                return Ok(ExitCode::SUCCESS);
            }
            // Opening tells a database in use (refused: the other process would lose it) from
            // one that can go; it also gives the counts to show.
            let store = match Store::open(&db) {
                Ok(s) => s,
                Err(e @ StoreError::Locked { .. }) => {
                    anyhow::bail!("{e}; nothing was deleted")
                }
                Err(e) => anyhow::bail!("{e}; nothing was deleted"),
            };
            let models_dir = paths.models_dir();
            sync_models(&store, &models_dir)?;
            let trained = store
                .models()?
                .into_iter()
                .filter(|m| m.location != crate::store::ModelLocation::Embedded)
                .count();
            let vectors: usize = store.vector_models()?.iter().map(|(_, n)| n).sum();
            let playlists = store.unwritten_playlists()?;
            let active = store.meta_get("active_model")?;
            let mut drops = vec![
                crate::app::session::tracks_n(store.track_count()),
                format!("{vectors} genre vectors"),
                format!(
                    "{} playlist{}{}",
                    playlists.len(),
                    if playlists.len() == 1 { "" } else { "s" },
                    if playlists.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " ({})",
                            playlists
                                .iter()
                                .map(|p| p.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                ),
            ];
            if let Some(a) = &active {
                drops.push(format!("the choice of active model ({a})"));
            }
            let heard = store.history()?.len();
            if heard > 0 {
                drops.push(format!(
                    "the listening history and likes of {heard} track{}",
                    if heard == 1 { "" } else { "s" }
                ));
            }
            let size = store.size_on_disk();
            drop(store);
            eprintln!(
                "this deletes the database at {} ({}): {}.\n\
                 kept: your music files, the {trained} trained model{} in {} (registered again at once), \
                 and the feature cache (genres come back quickly with the next scan).",
                db.display(),
                human_bytes(size),
                drops.join(", "),
                if trained == 1 { "" } else { "s" },
                models_dir.display()
            );
            if !yes {
                eprint!("type 'yes' to delete it: ");
                let mut answer = String::new();
                std::io::stdin().read_line(&mut answer)?;
                if answer.trim() != "yes" {
                    println!("kept");
                    return Ok(ExitCode::from(1));
                }
            }
            crate::store::destroy(&db)
                .map_err(|e| anyhow::anyhow!("{}: cannot delete: {e}", db.display()))?;
            let fresh = Store::open(&db)?;
            let sync = sync_models(&fresh, &models_dir)?;
            println!(
                "deleted {}; a fresh database knows the {} trained model{} in {}",
                db.display(),
                sync.registered.len(),
                if sync.registered.len() == 1 { "" } else { "s" },
                models_dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
