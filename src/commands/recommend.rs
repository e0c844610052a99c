//! `genreplay queue` (`--seed FILE`, several seeds with `--less`, `--mix`, `--path FROM TO`)
//! and `genreplay playlists [--export DIR]`.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;

use crate::cli::{PlaylistsArgs, QueueArgs};
use crate::library::{TrackId, TrackRecord};
use crate::model::active::load_active;
use crate::model::backend::inference_device;
use crate::model::infer::Classifier;
use crate::model::registry::LoadedModel;
use crate::paths::Paths;
use crate::recommend::candidates_from_store;
use crate::recommend::playlists::{
    GenrePlaylist, M3uEntry, file_name, genre_playlists, write_m3u8,
};
use crate::recommend::similar::{Candidate, QueueOptions, build_queue};
use crate::recommend::stations;
use crate::store::history::Rating;
use crate::util::maths::argmax;

/// What `run_queue` reads once: the model's labels and the library's candidates.
struct Library {
    labels: Vec<String>,
    pool: Vec<Candidate>,
    records: HashMap<TrackId, TrackRecord>,
    model: LoadedModel,
    store: crate::store::Store,
    /// The seeds given on the command line, by id (a seed may be outside the library).
    seed_paths: HashMap<TrackId, PathBuf>,
}

pub fn run_queue(args: &QueueArgs, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let store = super::library::open_store(paths)?;
    let device = inference_device();
    let model = load_active(&store, None, &device)?;
    let (pool, records) = candidates_from_store(&store, &model.id)?;
    if pool.is_empty() {
        anyhow::bail!(
            "the library has no classified tracks yet; run `genreplay scan --library DIR` first"
        );
    }
    let mut lib = Library {
        labels: model.config.labels.clone(),
        pool,
        records,
        model,
        store,
        seed_paths: HashMap::new(),
    };
    if args.mix {
        return run_mix(&lib, args, json);
    }
    // The seeds, the less-like seeds, or a path's two ends.
    let ends = args.path.as_deref().unwrap_or(&[]);
    let mut found = Vec::new();
    for (file, less) in ends
        .iter()
        .chain(&args.seed)
        .map(|f| (f, false))
        .chain(args.less.iter().map(|f| (f, true)))
    {
        // A name that is not there is a mistake on the command line (exit 2, as before any
        // work); a file that cannot be classified is a bad file (exit 1, below).
        std::fs::metadata(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        match seed_candidate(&lib, file) {
            Ok((c, path)) => {
                lib.seed_paths.insert(c.id, path);
                found.push((c, less));
            }
            Err((path, e)) => {
                eprintln!("error: {e}");
                if json {
                    super::print_json(&json!({
                        "seed": {"path": path.to_string_lossy(), "error": e.to_string()},
                        "queue": [],
                    }))?;
                }
                return Ok(ExitCode::from(1));
            }
        }
    }
    let (less, like): (Vec<_>, Vec<_>) = found.into_iter().partition(|(_, l)| *l);
    let like: Vec<Candidate> = like.into_iter().map(|(c, _)| c).collect();
    let less: Vec<Candidate> = less.into_iter().map(|(c, _)| c).collect();
    match like.as_slice() {
        [a, b] if !ends.is_empty() => run_path(&lib, args, a, b, json),
        [seed] if less.is_empty() => run_one_seed(&lib, args, seed, json),
        _ => run_seeds(&lib, args, &like, &less, json),
    }
}

/// The candidate of a seed given on the command line: the library's, else the file classified
/// now. A seed that cannot be classified is reported like any bad file: named, exit code 1.
fn seed_candidate(
    lib: &Library,
    file: &std::path::Path,
) -> Result<(Candidate, PathBuf), (PathBuf, anyhow::Error)> {
    let path = std::fs::canonicalize(file).map_err(|e| {
        (
            file.to_path_buf(),
            anyhow::anyhow!("{}: {e}", file.display()),
        )
    })?;
    let id = TrackId::of_path(&path);
    if let Some(c) = lib.pool.iter().find(|c| c.id == id) {
        return Ok((c.clone(), path));
    }
    let clf = Classifier::new(lib.model.clone(), inference_device());
    let p = clf
        .classify_file(&path)
        .map_err(|e| (path.clone(), anyhow::Error::new(e)))?;
    if let Some(why) = &p.partial {
        eprintln!("warning: {}: partial: {why}", path.display());
    }
    let artist = crate::library::tags::read_tags(&path)
        .ok()
        .and_then(|t| t.artist)
        .unwrap_or_default()
        .to_lowercase();
    let c = Candidate {
        id,
        artist,
        known: p.known(),
        genre: p.vector.into(),
        style: p.style.map(Into::into),
    };
    Ok((c, path))
}

fn options(args: &QueueArgs) -> QueueOptions {
    QueueOptions {
        randomness: args.randomness.clamp(0.0, 1.0),
        artist_window: args.artist_window as usize,
        min_similarity: args.min_similarity.clamp(0.0, 1.0),
        ..Default::default()
    }
}

fn genre_name(lib: &Library, c: &Candidate) -> String {
    lib.labels
        .get(argmax(&c.genre).0)
        .cloned()
        .unwrap_or_default()
}

/// One entry of a station's output.
struct Entry {
    track: TrackId,
    genre: usize,
    similarity: f32,
    step: Option<usize>,
    reason: String,
    /// "Play next" from one seed: whether it shares the seed's top genre.
    shares_top_genre: Option<bool>,
}

/// The model's name of genre `i` ("?" when the model has no such label).
fn label(lib: &Library, i: usize) -> &str {
    lib.labels.get(i).map(String::as_str).unwrap_or("?")
}

impl Entry {
    /// A pick of a station (no step, no top-genre comparison) with its reason.
    fn of(track: TrackId, genre: usize, similarity: f32, reason: String) -> Entry {
        Entry {
            track,
            genre,
            similarity,
            step: None,
            shares_top_genre: None,
            reason,
        }
    }
}

/// Prints a queue: `--json` as `{head…, "queue": [...]}`, else a numbered list after `title`.
fn print_queue(
    lib: &Library,
    head: serde_json::Value,
    title: &str,
    entries: &[Entry],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let record = |id: &TrackId| lib.records.get(id);
    if json {
        let items: Vec<_> = entries
            .iter()
            .map(|e| {
                let r = record(&e.track);
                let mut item = json!({
                    "path": r.map(|r| r.path().to_string_lossy().into_owned()),
                    "artist": r.map(|r| r.display_artist()),
                    "title": r.map(|r| r.display_title()),
                    "genre": lib.labels.get(e.genre),
                    "similarity": e.similarity,
                    "step": e.step,
                    "reason": e.reason,
                });
                if let Some(b) = e.shares_top_genre {
                    item["shares_top_genre"] = json!(b);
                }
                item
            })
            .collect();
        let mut out = head;
        out["queue"] = json!(items);
        super::print_json(&out)?;
    } else {
        println!("{title}");
        for (i, e) in entries.iter().enumerate() {
            let r = record(&e.track);
            println!(
                "{:>3}. {} — {}   [{}]",
                i + 1,
                r.map(|r| r.display_title()).unwrap_or_default(),
                r.map(|r| r.display_artist()).unwrap_or_default(),
                e.reason
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn seed_head(lib: &Library, c: &Candidate) -> serde_json::Value {
    let path = lib
        .seed_paths
        .get(&c.id)
        .cloned()
        .or_else(|| lib.records.get(&c.id).map(|r| r.path()));
    json!({"path": path.map(|p| p.to_string_lossy().into_owned()), "genre": genre_name(lib, c)})
}

/// `--seed FILE` once: "play next" from one track.
fn run_one_seed(
    lib: &Library,
    args: &QueueArgs,
    seed: &Candidate,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let seed_nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed_nanos);
    let n = args.count.unwrap_or(20) as usize;
    let artists = std::slice::from_ref(&seed.artist);
    let picks = build_queue(&options(args), seed, &lib.pool, &[], artists, n, &mut rng);
    let entries: Vec<Entry> = picks
        .iter()
        .map(|p| Entry {
            track: p.track,
            genre: p.genre,
            similarity: p.similarity,
            step: None,
            shares_top_genre: Some(p.shares_top_genre),
            reason: format!(
                "{}{}, {:.0}% similar",
                label(lib, p.genre),
                if p.shares_top_genre {
                    " like the seed"
                } else {
                    ""
                },
                p.similarity * 100.0
            ),
        })
        .collect();
    let head = seed_head(lib, seed);
    let name = head["path"].as_str().unwrap_or("?").to_string();
    let title = format!("after {name} ({}):", genre_name(lib, seed));
    print_queue(lib, json!({"seed": head}), &title, &entries, json)
}

/// `--seed A --seed B [--less C]`: what sounds like the seeds together.
fn run_seeds(
    lib: &Library,
    args: &QueueArgs,
    like: &[Candidate],
    less: &[Candidate],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let n = args.count.unwrap_or(20) as usize;
    let picks = stations::blend(
        &options(args),
        like,
        less,
        &lib.pool,
        &HashSet::new(),
        &[],
        n,
    )?;
    let entries: Vec<Entry> = picks
        .iter()
        .map(|p| {
            Entry::of(
                p.track,
                p.genre,
                p.similarity,
                format!(
                    "mix of {} seeds: {}, {:.0}% like each{}",
                    like.len(),
                    label(lib, p.genre),
                    p.similarity * 100.0,
                    if less.is_empty() {
                        ""
                    } else {
                        ", less like the --less seeds"
                    }
                ),
            )
        })
        .collect();
    let head = json!({
        "station": "seeds",
        "seeds": like.iter().map(|c| seed_head(lib, c)).collect::<Vec<_>>(),
        "less": less.iter().map(|c| seed_head(lib, c)).collect::<Vec<_>>(),
    });
    let title = format!("like {} seeds together:", like.len());
    print_queue(lib, head, &title, &entries, json)
}

/// `--path FROM TO`: steps from one track's sound to the other's.
fn run_path(
    lib: &Library,
    args: &QueueArgs,
    a: &Candidate,
    b: &Candidate,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let n = args.count.unwrap_or(10) as usize;
    let cap = args.artist_cap as usize;
    let path = stations::path(&lib.pool, a, b, &HashSet::new(), n, cap)?;
    let to = lib
        .records
        .get(&b.id)
        .map(|r| r.display_title())
        .unwrap_or_default();
    let len = path.len();
    let entries: Vec<Entry> = path
        .iter()
        .map(|p| Entry {
            track: p.track,
            genre: p.genre,
            similarity: p.similarity,
            step: p.step,
            shares_top_genre: None,
            reason: format!(
                "step {}/{len} toward {to}: {}, {:.0}% like the step's sound",
                p.step.unwrap_or(0),
                label(lib, p.genre),
                p.similarity * 100.0
            ),
        })
        .collect();
    let head = json!({"station": "path", "from": seed_head(lib, a), "to": seed_head(lib, b)});
    let title = format!(
        "a path in {len} steps from {} to {}:",
        genre_name(lib, a),
        genre_name(lib, b)
    );
    print_queue(lib, head, &title, &entries, json)
}

/// `--mix`: tracks like what the listening history says the listener plays and likes most.
fn run_mix(lib: &Library, args: &QueueArgs, json: bool) -> anyhow::Result<ExitCode> {
    let history = lib.store.history()?;
    let now = crate::store::now_unix();
    let by_id: HashMap<TrackId, &Candidate> = lib.pool.iter().map(|c| (c.id, c)).collect();
    let heard: Vec<(&Candidate, _)> = history
        .iter()
        .filter_map(|(id, r)| Some((*by_id.get(id)?, *r)))
        .collect();
    let centroid = stations::taste_centroid(&heard, now)?;
    // Never a disliked track; the listener's bias as the player has it.
    let pool: Vec<Candidate> = lib
        .pool
        .iter()
        .filter(|c| {
            history
                .get(&c.id)
                .is_none_or(|r| r.rating != Rating::Dislike)
        })
        .cloned()
        .collect();
    let opts = QueueOptions {
        bias: stations::history_bias(&pool, &history, now),
        ..options(args)
    };
    let n = args.count.unwrap_or(20) as usize;
    let picks = stations::your_mix(&opts, &pool, &centroid, &HashSet::new(), None, n);
    let entries: Vec<Entry> = picks
        .iter()
        .map(|p| {
            Entry::of(
                p.track,
                p.genre,
                p.similarity,
                format!(
                    "your mix: {}, {:.0}% your taste",
                    label(lib, p.genre),
                    p.similarity * 100.0
                ),
            )
        })
        .collect();
    let head = json!({"station": "mix", "history_tracks": heard.len()});
    print_queue(lib, head, "your mix:", &entries, json)
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
    let records: HashMap<_, _> = store.tracks()?.into_iter().collect();
    // Tracks the model is unsure of (not one of its genres) are in no genre or style playlist.
    let listed: Vec<&(TrackId, crate::store::VectorRecord)> = vectors
        .iter()
        .filter(|(id, v)| {
            records.contains_key(id) && (args.include_unsure || v.open_set.is_none_or(|o| o.known))
        })
        .collect();
    let lists = genre_playlists(
        &model.config.labels,
        listed.iter().map(|(id, v)| (*id, v.vector.as_slice())),
        args.min_confidence,
    );
    let styles = style_playlists(&model.config.labels, &listed);
    let root = store
        .meta_get("library_root")?
        .map(std::path::PathBuf::from);
    let (written, problems) = match &args.export {
        Some(dir) => export_playlists(dir, &lists, &styles, &records, root.as_deref(), args.force)?,
        None => (Vec::new(), 0),
    };
    let path_of = |id: &TrackId| {
        records
            .get(id)
            .map(|r| r.path().to_string_lossy().into_owned())
    };
    if json {
        super::print_json(&json!({
            "model": model.id.0,
            "min_confidence": args.min_confidence,
            "playlists": lists.iter().map(|l| json!({
                "genre": l.genre,
                "tracks": l.tracks.iter().map(|(id, c)| json!({
                    "path": path_of(id),
                    "confidence": c,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "style_playlists": styles.iter().map(|l| json!({
                "style": l.genre,
                "tracks": l.tracks.iter().map(|(id, p)| json!({
                    "path": path_of(id),
                    "probability": p,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "written": written.iter().map(|p| p.to_string_lossy().into_owned()).collect::<Vec<_>>(),
            "smart_playlists": super::smart::listed(&store, paths)?,
        }))?;
    } else {
        print_playlists(&lists, &styles, &records);
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

/// Style playlists beside the genre ones: every style a track shows (as the player lists
/// them), most likely first.
fn style_playlists(
    labels: &[String],
    listed: &[&(TrackId, crate::store::VectorRecord)],
) -> Vec<GenrePlaylist> {
    let filter = crate::model::styles::StyleFilter::for_labels(labels);
    let mut by_style: std::collections::BTreeMap<&str, Vec<(TrackId, f32)>> =
        std::collections::BTreeMap::new();
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
    by_style
        .into_iter()
        .map(|(name, mut tracks)| {
            tracks.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            GenrePlaylist {
                genre: name.to_string(),
                tracks,
            }
        })
        .collect()
}

/// Writes one M3U8 per genre and style playlist into `dir`: the files written and how many
/// could not be.
fn export_playlists(
    dir: &std::path::Path,
    lists: &[GenrePlaylist],
    styles: &[GenrePlaylist],
    records: &HashMap<TrackId, TrackRecord>,
    root: Option<&std::path::Path>,
    force: bool,
) -> anyhow::Result<(Vec<PathBuf>, usize)> {
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let all = lists
        .iter()
        .map(|l| (l, l.genre.clone()))
        .chain(styles.iter().map(|l| (l, format!("style - {}", l.genre))));
    let (mut written, mut problems) = (Vec::new(), 0);
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
        match write_m3u8(&file, &entries, root, force) {
            Ok(_) => written.push(file),
            Err(e) => {
                problems += 1;
                eprintln!("error: {e}");
            }
        }
    }
    Ok((written, problems))
}

/// One line per playlist with its three most likely tracks.
fn print_playlists(
    lists: &[GenrePlaylist],
    styles: &[GenrePlaylist],
    records: &HashMap<TrackId, TrackRecord>,
) {
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
}
