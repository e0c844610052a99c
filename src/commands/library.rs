//! `genreplay scan`, `genreplay library`, `genreplay db reset`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use serde::Serialize;
use serde_json::{Value, json};

use crate::analysis::{AnalysisEvent, Analyzer};
use crate::cli::{DbAction, ScanArgs};
use crate::library::scan::{ScanError, ScanEvent, scan};
use crate::model::active::{load_active, sync_models};
use crate::model::backend::inference_device;
use crate::model::infer::Classifier;
use crate::paths::{Paths, default_music_dir};
use crate::store::{Store, StoreError, human_bytes};
use crate::util::maths::argmax;
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
    let bar = tty.then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_message("scanning");
        b
    });
    let (threads, note) = crate::analysis::budget::clamp_threads(args.threads.unwrap_or(0));
    if let Some(note) = note {
        eprintln!("note: {}", note.replace("analysis_threads", "--threads"));
    }
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
    })
    .map_err(|e| match e {
        // Missing and never scanned: a mistyped folder, not an offline library.
        ScanError::Offline(o)
            if !root.exists() && crate::library::root::known_tracks(&store, &o.root) == 0 =>
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
                                .map(|n| escape(&n.to_string_lossy()).into_owned())
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
                        Ok(stored) => {
                            summary.classified += 1;
                            if bar.is_none() && !json {
                                let done = summary.classified + summary.failed.len();
                                eprintln!(
                                    "[{done}/{total}] {}: {name}",
                                    labels.get(stored.top).map(String::as_str).unwrap_or("?")
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
                AnalysisEvent::Stopped { reason } => {
                    summary.fatal = Some(reason);
                    break;
                }
            }
        }
        if let Some(b) = &bar {
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
    }
    let failed_total = if args.no_classify {
        0
    } else {
        store
            .failures_for(&crate::model::ModelId(summary.model.clone()))?
            .len()
    };
    let names: std::collections::HashMap<_, _> = store
        .tracks()?
        .into_iter()
        .map(|(id, r)| (id, r.path()))
        .collect();
    let partial: Vec<_> = store
        .damaged_tracks()?
        .into_iter()
        .filter_map(|(id, d)| names.get(&id).map(|p| (p.clone(), d.reason)))
        .collect();
    let partial_json: Vec<_> = partial
        .iter()
        .map(|(p, r)| json!({"path": p.to_string_lossy(), "reason": r}))
        .collect();
    let partial = partial_json;
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
            "partial": partial,
            "error": summary.fatal,
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
        if !partial.is_empty() {
            println!(
                "  {} tracks are partial (damaged files, classified from what decodes; `genreplay library` gives the reasons)",
                partial.len()
            );
        }
    } else {
        println!(
            "tracks {}, new {}, changed {}, removed {} (classification skipped)",
            report.tracks, report.new, report.changed, report.removed
        );
    }
    if let Some(why) = &summary.fatal {
        eprintln!("error: classification stopped: {why}");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

/// A label → probability object (labels in sorted order, as a JSON map prints them).
struct LabelMap<'a>(&'a [String], &'a [f32]);

impl Serialize for LabelMap<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut pairs: Vec<(&String, &f32)> = self.0.iter().zip(self.1).collect();
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        pairs.dedup_by(|a, b| a.0 == b.0);
        let mut m = s.serialize_map(Some(pairs.len()))?;
        for (l, p) in pairs {
            m.serialize_entry(l, p)?;
        }
        m.end()
    }
}

/// One track of `library --json` (fields in the order they always printed: sorted).
#[derive(Serialize)]
struct TrackJson<'a> {
    album: &'a Option<String>,
    album_artist: &'a Option<String>,
    artist: &'a Option<String>,
    confidence: Option<f32>,
    /// A CUE sheet's track: its audio file, number and span (seconds); null otherwise.
    cue: Option<Value>,
    duration_secs: Option<f64>,
    error: Option<&'a str>,
    genre: Option<&'a str>,
    genre_tag: &'a Option<String>,
    id: String,
    /// false: the model is unsure (not one of its genres); `genre` is its top guess.
    known: Option<bool>,
    /// When it last counted as played (RFC 3339, UTC).
    last_played: Option<String>,
    open_set: Option<Value>,
    partial: bool,
    partial_reason: Option<&'a str>,
    path: String,
    /// Times it counted as played (the rules are in the README).
    plays: u32,
    /// "like", "dislike" or null.
    rating: Option<&'static str>,
    /// The gain tags, the loudness estimate and the gain playback applies under config.toml.
    replaygain: Value,
    /// Times it counted as skipped.
    skips: u32,
    status: &'static str,
    style: Option<&'a Vec<f32>>,
    /// The styles the player shows (the trunk's top tags above the floor, best first).
    styles: Value,
    /// The full tag vector, by tag name.
    tags: Value,
    title: &'a Option<String>,
    top_guesses: Option<Vec<Value>>,
    track_no: Option<u32>,
    vector: Option<LabelMap<'a>>,
    year: Option<u16>,
}

/// A CUE sheet's track in `library --json`: the audio file, the track number and the span.
fn cue_json(path: &std::path::Path) -> Option<Value> {
    let (_, number) = crate::audio::cue::split_track_path(path)?;
    match crate::audio::cue::resolve(path, None)? {
        Ok((file, span)) => Some(json!({
            "file": file.to_string_lossy(),
            "track": number,
            "start_secs": span.start_secs,
            "end_secs": span.end_secs,
        })),
        Err(e) => Some(json!({"track": number, "error": e.to_string()})),
    }
}

/// A track's ReplayGain in `library --json`: its tags, the loudness estimate, and the gain
/// the player applies (`applied_db`, from `applied_from`: track, album, estimated, off, none).
fn replaygain_json(
    tags: &crate::audio::gain::ReplayGainTags,
    estimate: Option<&crate::audio::loudness::Loudness>,
    settings: &crate::audio::gain::GainSettings,
) -> Value {
    let applied = crate::audio::gain::choose(tags, estimate, settings);
    json!({
        "track_gain_db": tags.track_gain_db,
        "track_peak": tags.track_peak,
        "album_gain_db": tags.album_gain_db,
        "album_peak": tags.album_peak,
        "estimated_lufs": estimate.map(|l| l.lufs),
        "estimated_peak": estimate.map(|l| l.peak),
        "applied_db": (f64::from(applied.db) * 100.0).round() / 100.0,
        "applied_from": applied.source,
        "peak_limited": applied.peak_limited,
    })
}

pub fn run_library(json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let store = open_store(paths)?;
    // The tracks are listed as the database has them; a folder that is not there is said.
    if let Some(root) = store.meta_get("library_root")? {
        let root = std::path::PathBuf::from(root);
        if let Err(o) =
            crate::library::root::check(&root, || crate::library::root::known_tracks(&store, &root))
        {
            eprintln!("note: {o}");
        }
    }
    let device = inference_device();
    let model = load_active(&store, None, &device)?;
    let labels = &model.config.labels;
    let vectors: std::collections::HashMap<_, _> =
        store.vectors_for(&model.id)?.into_iter().collect();
    let failures: std::collections::HashMap<_, _> =
        store.failures_for(&model.id)?.into_iter().collect();
    let damage: std::collections::HashMap<_, _> = store.damaged_tracks()?.into_iter().collect();
    let loudness: std::collections::HashMap<_, _> = store.loudness_all()?.into_iter().collect();
    let history = store.history()?;
    let mut tracks = store.tracks()?;
    tracks.sort_by(|a, b| a.1.path.cmp(&b.1.path));
    if json {
        let style_filter = crate::model::styles::StyleFilter::for_labels(labels);
        let config = crate::config::Settings::load(&paths.config_dir).config;
        let gain_settings = crate::audio::gain::GainSettings {
            mode: config.replaygain,
            preamp_db: config.replaygain_preamp,
        };
        // Streamed: one track at a time, never the whole document in memory (50,000 tracks
        // print ≈ 100 MB). The output is one JSON object, a track per line.
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, super::output::stdout_raw());
        let written = (|| -> std::io::Result<()> {
            out.write_all(b"{\n  \"model\": ")?;
            serde_json::to_writer(
                &mut out,
                &json!({"id": model.id.0, "name": model.config.name, "labels": labels}),
            )?;
            out.write_all(b",\n  \"tracks\": [")?;
            for (k, (id, t)) in tracks.iter().enumerate() {
                let v = vectors.get(id);
                let top = v.map(|v| argmax(&v.vector));
                let failure = failures.get(id);
                let (styles, tags) =
                    super::classify::styles_json(&style_filter, v.and_then(|v| v.style.as_ref()));
                let heard = history.get(id).copied().unwrap_or_default();
                let row = TrackJson {
                    last_played: heard.last_played_unix.map(crate::util::time::rfc3339),
                    plays: heard.plays,
                    skips: heard.skips,
                    rating: heard.rating.name(),
                    styles,
                    tags,
                    album: &t.tags.album,
                    album_artist: &t.tags.album_artist,
                    artist: &t.tags.artist,
                    confidence: top.map(|(_, c)| c),
                    cue: cue_json(&t.path()),
                    duration_secs: t.duration_secs(),
                    error: failure.map(|f| f.reason.as_str()),
                    genre: top.and_then(|(i, _)| labels.get(i)).map(String::as_str),
                    genre_tag: &t.tags.genre,
                    id: id.hex(),
                    known: v.map(|v| v.open_set.is_none_or(|o| o.known)),
                    open_set: v.and_then(|v| v.open_set).map(
                        |o| json!({"calibrated_confidence": o.confidence, "distance": o.distance}),
                    ),
                    partial: damage.contains_key(id),
                    partial_reason: damage.get(id).map(|d| d.reason.as_str()),
                    path: t.path().to_string_lossy().into_owned(),
                    replaygain: replaygain_json(
                        &t.tags.replaygain.unwrap_or_default(),
                        loudness.get(id).map(|l| &l.loudness),
                        &gain_settings,
                    ),
                    status: if v.is_some() {
                        "classified"
                    } else if failure.is_some() {
                        "failed"
                    } else {
                        "pending"
                    },
                    style: v.and_then(|v| v.style.as_ref()),
                    title: &t.tags.title,
                    top_guesses: v.map(|v| super::classify::top_guesses(labels, &v.vector, 3)),
                    track_no: t.tags.track_no,
                    vector: v.map(|v| LabelMap(labels, &v.vector)),
                    year: t.tags.year,
                };
                out.write_all(if k == 0 { b"\n    " } else { b",\n    " })?;
                serde_json::to_writer(&mut out, &row)?;
            }
            out.write_all(if tracks.is_empty() {
                b"]\n}\n"
            } else {
                b"\n  ]\n}\n"
            })?;
            out.flush()
        })();
        return match written {
            Ok(()) => Ok(ExitCode::SUCCESS),
            // The reader went away (`| head`): nothing more to say.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
            Err(e) => Err(anyhow::anyhow!("writing the library: {e}")),
        };
    }
    let mut stdout = super::output::stdout();
    for (id, t) in &tracks {
        let v = vectors.get(id);
        let top = v.map(|v| argmax(&v.vector));
        let genre = top.and_then(|(i, _)| labels.get(i).cloned());
        let status = match (&genre, failures.get(id)) {
            (Some(g), _) if v.is_some_and(|v| v.open_set.is_some_and(|o| !o.known)) => {
                format!("? {g:<8} {:>5.1}%", top.map_or(0.0, |(_, c)| c * 100.0))
            }
            (Some(g), _) => format!("{g:<10} {:>5.1}%", top.map_or(0.0, |(_, c)| c * 100.0)),
            (None, Some(_)) => format!("{:<10} {:>6}", "(failed)", ""),
            (None, None) => format!("{:<10} {:>6}", "(pending)", ""),
        };
        let note = match (failures.get(id), damage.get(id)) {
            (Some(f), _) if v.is_none() => format!("  failed: {}", f.reason),
            (_, Some(d)) if v.is_some() => format!("  partial: {}", d.reason),
            _ => String::new(),
        };
        let _ = writeln!(
            stdout,
            "{status}  {} — {}  [{}]{note}",
            t.display_artist(),
            t.display_title(),
            t.path().display()
        );
    }
    let _ = writeln!(
        stdout,
        "{} tracks, {} classified, {} failed (model {})",
        tracks.len(),
        vectors.len(),
        failures.len(),
        model.id
    );
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
                format!("{} tracks", store.track_count()),
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
