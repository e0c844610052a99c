//! `genreplay queue --seed FILE` and `genreplay playlists [--export DIR]`.

use std::process::ExitCode;

use serde_json::json;

use crate::cli::{PlaylistsArgs, QueueArgs};
use crate::library::TrackId;
use crate::model::active::load_active;
use crate::model::backend::inference_device;
use crate::model::infer::Classifier;
use crate::paths::Paths;
use crate::recommend::candidates_from_store;
use crate::recommend::playlists::{
    GenrePlaylist, M3uEntry, file_name, genre_playlists, write_m3u8,
};
use crate::recommend::similar::{Candidate, QueueOptions, build_queue};
use crate::util::maths::argmax;

pub fn run_queue(args: &QueueArgs, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let store = super::library::open_store(paths)?;
    let device = inference_device();
    let model = load_active(&store, None, &device)?;
    let labels = model.config.labels.clone();
    let (pool, records) = candidates_from_store(&store, &model.id)?;
    if pool.is_empty() {
        anyhow::bail!(
            "the library has no classified tracks yet; run `genreplay scan --library DIR` first"
        );
    }
    let seed_path = std::fs::canonicalize(&args.seed)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.seed.display()))?;
    let seed_id = TrackId::of_path(&seed_path);
    let seed = match pool.iter().find(|c| c.id == seed_id) {
        Some(c) => c.clone(),
        None => {
            // Not in the library (or not classified yet): classify it now. A seed that cannot
            // be classified is reported like any bad file: named, exit code 1.
            let clf = Classifier::new(model.clone(), device);
            let p = match clf.classify_file(&seed_path) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("error: {e}");
                    if json {
                        super::print_json(&json!({
                            "seed": {"path": seed_path.to_string_lossy(), "error": e.to_string()},
                            "queue": [],
                        }))?;
                    }
                    return Ok(ExitCode::from(1));
                }
            };
            if let Some(why) = &p.partial {
                eprintln!("warning: {}: partial: {why}", seed_path.display());
            }
            let artist = crate::library::tags::read_tags(&seed_path)
                .ok()
                .and_then(|t| t.artist)
                .unwrap_or_default()
                .to_lowercase();
            Candidate {
                id: seed_id,
                artist,
                known: p.known(),
                genre: p.vector,
                style: p.style,
            }
        }
    };
    let opts = QueueOptions {
        randomness: args.randomness.clamp(0.0, 1.0),
        artist_window: args.artist_window as usize,
        min_similarity: args.min_similarity.clamp(0.0, 1.0),
        ..Default::default()
    };
    let seed_nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed_nanos);
    let picks = build_queue(
        &opts,
        &seed,
        &pool,
        &[],
        std::slice::from_ref(&seed.artist),
        args.count as usize,
        &mut rng,
    );
    let seed_genre = labels
        .get(argmax(&seed.genre).0)
        .cloned()
        .unwrap_or_default();
    if json {
        let items: Vec<_> = picks
            .iter()
            .map(|p| {
                let r = records.get(&p.track);
                json!({
                    "path": r.map(|r| r.path().to_string_lossy().into_owned()),
                    "artist": r.map(|r| r.display_artist()),
                    "title": r.map(|r| r.display_title()),
                    "genre": labels.get(p.genre),
                    "similarity": p.similarity,
                    "shares_top_genre": p.shares_top_genre,
                    "reason": format!(
                        "{}{}, {:.0}% similar",
                        labels.get(p.genre).map(String::as_str).unwrap_or("?"),
                        if p.shares_top_genre { " like the seed" } else { "" },
                        p.similarity * 100.0
                    ),
                })
            })
            .collect();
        super::print_json(&json!({
            "seed": {"path": seed_path.to_string_lossy(), "genre": seed_genre},
            "queue": items,
        }))?;
    } else {
        println!("after {} ({seed_genre}):", seed_path.display());
        for (i, p) in picks.iter().enumerate() {
            let r = records.get(&p.track);
            println!(
                "{:>3}. {} — {}   [{}, {:.0}% similar{}]",
                i + 1,
                r.map(|r| r.display_title()).unwrap_or_default(),
                r.map(|r| r.display_artist()).unwrap_or_default(),
                labels.get(p.genre).map(String::as_str).unwrap_or("?"),
                p.similarity * 100.0,
                if p.shares_top_genre {
                    ", same genre"
                } else {
                    ""
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_playlists(args: &PlaylistsArgs, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    if let Some(file) = &args.import {
        return super::playlist_import::run(file, args.name.as_deref(), json, paths);
    }
    if let Some(name) = &args.smart {
        return super::smart::run_one(name, json, paths);
    }
    if let (Some(name), Some(rule)) = (&args.new_smart, &args.rule) {
        return super::smart::run_new(name, rule, json, paths);
    }
    let store = super::library::open_store(paths)?;
    let device = inference_device();
    let model = load_active(&store, None, &device)?;
    let vectors = store.vectors_for(&model.id)?;
    let records: std::collections::HashMap<_, _> = store.tracks()?.into_iter().collect();
    let lists = genre_playlists(
        &model.config.labels,
        vectors
            .iter()
            .filter(|(id, _)| records.contains_key(id))
            // Tracks the model is unsure of (not one of its genres) are in no genre playlist.
            .filter(|(_, v)| args.include_unsure || v.open_set.is_none_or(|o| o.known))
            .map(|(id, v)| (*id, v.vector.as_slice())),
        args.min_confidence,
    );
    // Style playlists beside them: every style a track shows (as the player lists them).
    let filter = crate::model::styles::StyleFilter::for_labels(&model.config.labels);
    let mut by_style: std::collections::BTreeMap<&str, Vec<(crate::library::TrackId, f32)>> =
        std::collections::BTreeMap::new();
    // Tracks the model is unsure of are in no style playlist either.
    let listed = vectors.iter().filter(|(id, v)| {
        records.contains_key(id) && (args.include_unsure || v.open_set.is_none_or(|o| o.known))
    });
    for (id, v) in listed {
        for (name, p) in v
            .style
            .as_deref()
            .map(|st| filter.shown(st))
            .unwrap_or_default()
        {
            by_style.entry(name).or_default().push((*id, p));
        }
    }
    let styles: Vec<GenrePlaylist> = by_style
        .into_iter()
        .map(|(name, mut tracks)| {
            tracks.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            GenrePlaylist {
                genre: name.to_string(),
                tracks,
            }
        })
        .collect();
    let root = store
        .meta_get("library_root")?
        .map(std::path::PathBuf::from);
    let mut written = Vec::new();
    let mut problems = 0;
    if let Some(dir) = &args.export {
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
        let all = lists
            .iter()
            .map(|l| (l, l.genre.clone()))
            .chain(styles.iter().map(|l| (l, format!("style - {}", l.genre))));
        for (l, name) in all.filter(|(l, _)| !l.tracks.is_empty()) {
            let entries: Vec<M3uEntry> = l
                .tracks
                .iter()
                .filter_map(|(id, _)| records.get(id))
                .map(|r| M3uEntry {
                    path: r.path(),
                    duration_secs: r.duration_secs(),
                    artist: r.display_artist(),
                    title: r.display_title(),
                })
                .collect();
            let file = dir.join(file_name(&name));
            match write_m3u8(&file, &entries, root.as_deref(), args.force) {
                Ok(_) => written.push(file),
                Err(e) => {
                    problems += 1;
                    eprintln!("error: {e}");
                }
            }
        }
    }
    if json {
        super::print_json(&json!({
            "model": model.id.0,
            "min_confidence": args.min_confidence,
            "playlists": lists.iter().map(|l| json!({
                "genre": l.genre,
                "tracks": l.tracks.iter().map(|(id, c)| json!({
                    "path": records.get(id).map(|r| r.path().to_string_lossy().into_owned()),
                    "confidence": c,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "style_playlists": styles.iter().map(|l| json!({
                "style": l.genre,
                "tracks": l.tracks.iter().map(|(id, p)| json!({
                    "path": records.get(id).map(|r| r.path().to_string_lossy().into_owned()),
                    "probability": p,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "written": written.iter().map(|p| p.to_string_lossy().into_owned()).collect::<Vec<_>>(),
            "smart_playlists": super::smart::listed(&store, paths)?,
        }))?;
    } else {
        let all = lists
            .iter()
            .map(|l| (l, l.genre.clone()))
            .chain(styles.iter().map(|l| (l, format!("~ {}", l.genre))));
        for (l, name) in all {
            let top: Vec<String> = l
                .tracks
                .iter()
                .take(3)
                .filter_map(|(id, c)| {
                    records
                        .get(id)
                        .map(|r| format!("{} ({:.0}%)", r.display_title(), c * 100.0))
                })
                .collect();
            println!(
                "{:<18} {:>4} tracks  {}",
                name,
                l.tracks.len(),
                top.join(", ")
            );
        }
        for w in &written {
            println!("wrote {}", w.display());
        }
    }
    Ok(if problems > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
