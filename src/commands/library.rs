//! `genreplay scan`, `genreplay library`, `genreplay db reset`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::analysis::{AnalysisEvent, Analyzer};
use crate::cli::{DbAction, ScanArgs};
use crate::library::scan::{ScanEvent, scan};
use crate::model::active::load_active;
use crate::model::backend::inference_device;
use crate::model::infer::Classifier;
use crate::paths::{Paths, default_music_dir};
use crate::store::Store;
use crate::util::maths::argmax;

pub fn open_store(paths: &Paths) -> anyhow::Result<Store> {
    // Run by the player for another process: the player's own handle.
    if let Some(store) = super::ctl::lent_store() {
        return Ok(store);
    }
    Ok(Store::open(&paths.db_dir())?)
}

#[derive(Debug, Default, Serialize)]
struct ClassifySummary {
    model: String,
    classified: usize,
    failed: Vec<(String, String)>,
    cancelled: bool,
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
    if !root.is_dir() {
        anyhow::bail!("{}: not a folder (pass --library DIR)", root.display());
    }
    let store = open_store(paths)?;
    let tty = std::io::stderr().is_terminal() && !json;
    let bar = tty.then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_message("scanning");
        b
    });
    let threads = args
        .threads
        .unwrap_or_else(crate::analysis::available_cores)
        .max(1);
    let report = scan(&store, &root, threads.max(2), &|ev| {
        if let Some(b) = &bar {
            match ev {
                ScanEvent::Walking { found } => b.set_message(format!("found {found} audio files")),
                ScanEvent::Reading { done, total } => {
                    b.set_message(format!("reading tags {done}/{total}"))
                }
            }
            b.tick();
        }
    })?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if !json {
        eprintln!(
            "{}: {} tracks ({} new, {} changed, {} removed, {} unchanged) in {:.2} s",
            report.root.display(),
            report.tracks,
            report.new,
            report.changed,
            report.removed,
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

    let mut summary = ClassifySummary::default();
    if !args.no_classify {
        let device = inference_device();
        let model = load_active(&store, None, &device)?;
        summary.model = model.id.0.clone();
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
        let names: std::collections::HashMap<_, _> = store
            .tracks()?
            .into_iter()
            .map(|(id, r)| (id, r.path()))
            .collect();
        for ev in analyzer.events().iter() {
            match ev {
                AnalysisEvent::Progress(p) => {
                    if let (Some(b), Some(cur)) = (&bar, &p.current) {
                        b.set_message(
                            cur.file_name()
                                .map(|n| n.to_string_lossy().into_owned())
                                .unwrap_or_default(),
                        );
                    }
                }
                AnalysisEvent::TrackDone { track, result } => {
                    let name = names
                        .get(&track)
                        .map(|p| p.display().to_string())
                        .unwrap_or_default();
                    match &result {
                        Ok(top) => {
                            summary.classified += 1;
                            if bar.is_none() && !json {
                                let done = summary.classified + summary.failed.len();
                                eprintln!(
                                    "[{done}/{total}] {}: {name}",
                                    labels.get(*top).map(String::as_str).unwrap_or("?")
                                );
                            }
                        }
                        Err(reason) => {
                            if bar.is_none() && !json {
                                let done = summary.classified + summary.failed.len() + 1;
                                eprintln!("[{done}/{total}] failed: {reason}");
                            }
                            summary.failed.push((name, reason.clone()));
                        }
                    }
                    if let Some(b) = &bar {
                        b.inc(1);
                    }
                }
                AnalysisEvent::Finished { cancelled, .. } => {
                    summary.cancelled = cancelled;
                    break;
                }
                AnalysisEvent::Started { .. } => {}
            }
        }
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        analyzer.join();
    }
    let failed_total = if args.no_classify {
        0
    } else {
        store
            .failures_for(&crate::model::ModelId(summary.model.clone()))?
            .len()
    };
    if json {
        super::print_json(&json!({
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
            "failed_total": failed_total,
        }))?;
    } else if !args.no_classify {
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
        let earlier = failed_total.saturating_sub(summary.failed.len());
        if earlier > 0 {
            println!(
                "  ({earlier} tracks failed in earlier runs and are not retried until they change; `genreplay library` lists them)"
            );
        }
    } else {
        println!(
            "tracks {}, new {}, changed {}, removed {} (classification skipped)",
            report.tracks, report.new, report.changed, report.removed
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_library(json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let store = open_store(paths)?;
    let device = inference_device();
    let model = load_active(&store, None, &device)?;
    let labels = &model.config.labels;
    let vectors: std::collections::HashMap<_, _> =
        store.vectors_for(&model.id)?.into_iter().collect();
    let failures: std::collections::HashMap<_, _> =
        store.failures_for(&model.id)?.into_iter().collect();
    let mut tracks = store.tracks()?;
    tracks.sort_by(|a, b| a.1.path.cmp(&b.1.path));
    let mut rows = Vec::with_capacity(tracks.len());
    let mut stdout = super::ctl::stdout();
    for (id, t) in &tracks {
        let v = vectors.get(id);
        let top = v.map(|v| argmax(&v.vector));
        let genre = top.and_then(|(i, _)| labels.get(i).cloned());
        if json {
            let vector = v.map(|v| {
                let mut m = Map::new();
                for (l, p) in labels.iter().zip(&v.vector) {
                    m.insert(l.clone(), json!(p));
                }
                Value::Object(m)
            });
            rows.push(json!({
                "id": id.hex(),
                "path": t.path().to_string_lossy(),
                "artist": t.tags.artist,
                "album": t.tags.album,
                "album_artist": t.tags.album_artist,
                "title": t.tags.title,
                "track_no": t.tags.track_no,
                "year": t.tags.year,
                "genre_tag": t.tags.genre,
                "duration_secs": t.duration_secs(),
                "status": if v.is_some() { "classified" } else if failures.contains_key(id) { "failed" } else { "pending" },
                "genre": genre,
                "confidence": top.map(|(_, c)| c),
                "vector": vector,
                "style": v.and_then(|v| v.style.clone()),
                "error": failures.get(id).map(|f| f.reason.clone()),
            }));
        } else {
            let status = match (&genre, failures.get(id)) {
                (Some(g), _) => format!("{g:<10} {:>5.1}%", top.map_or(0.0, |(_, c)| c * 100.0)),
                (None, Some(_)) => format!("{:<10} {:>6}", "(failed)", ""),
                (None, None) => format!("{:<10} {:>6}", "(pending)", ""),
            };
            let _ = writeln!(
                stdout,
                "{status}  {} — {}  [{}]",
                t.display_artist(),
                t.display_title(),
                t.path().display()
            );
        }
    }
    if json {
        drop(stdout);
        super::print_json(&json!({
            "model": {"id": model.id.0, "name": model.config.name, "labels": labels},
            "tracks": rows,
        }))?;
    } else {
        let _ = writeln!(
            stdout,
            "{} tracks, {} classified, {} failed (model {})",
            tracks.len(),
            vectors.len(),
            failures.len(),
            model.id
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_db(action: &DbAction, paths: &Paths) -> anyhow::Result<ExitCode> {
    match action {
        DbAction::Reset { yes } => {
            let db = paths.db_dir();
            if !db.exists() {
                println!("no database at {}", db.display());
                return Ok(ExitCode::SUCCESS);
            }
            if crate::store::in_use(&db) {
                let who = crate::store::lock_holder(&db)
                    .map(|p| format!(" (pid {p})"))
                    .unwrap_or_default();
                anyhow::bail!(
                    "the database at {} is in use by another genreplay process{who}; quit it \
                     first (nothing was deleted)",
                    db.display()
                );
            }
            if !yes {
                eprint!(
                    "delete the database at {} (tracks, genre vectors, playlists; your music files are not touched)? type 'yes': ",
                    db.display()
                );
                let mut answer = String::new();
                std::io::stdin().read_line(&mut answer)?;
                if answer.trim() != "yes" {
                    println!("kept");
                    return Ok(ExitCode::from(1));
                }
            }
            crate::store::destroy(&db)
                .map_err(|e| anyhow::anyhow!("{}: cannot delete: {e}", db.display()))?;
            println!("deleted {}", db.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}
