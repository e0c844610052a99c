//! Smart playlists from the command line: `genreplay playlists --smart NAME` lists the tracks
//! its rule finds now (with the fields the rule reads), `--new-smart NAME --rule RULE` makes
//! one, and `playlists --json` lists them with their rules (`listed`). The rule is evaluated
//! as the player does it (`app::search::smart`), over the same catalog and history.

use std::process::ExitCode;

use serde_json::{Value, json};

use crate::app::catalog::Catalog;
use crate::app::search::Facts;
use crate::app::search::smart::{SmartRule, resolve, similarity_to};
use crate::library::TrackId;
use crate::model::active::load_active;
use crate::model::backend::inference_device;
use crate::paths::Paths;
use crate::playlist::{Edit, Playlist, PlaylistDir};
use crate::store::Store;
use crate::store::history::HistoryRecord;
use crate::util::time::{now_unix, rfc3339};

fn playlist_dir(paths: &Paths) -> PlaylistDir {
    let config = crate::config::Settings::load(&paths.config_dir).config;
    PlaylistDir::new(config.playlist_dir_in(&paths.data_dir))
}

/// The smart playlists of the folder.
fn smart_lists(paths: &Paths) -> Vec<Playlist> {
    let (lists, problems) = playlist_dir(paths).load_all();
    for p in problems {
        eprintln!("warning: {p}");
    }
    lists.into_iter().filter(|p| p.rule.is_some()).collect()
}

/// The library as the player sees it (the active model's genres) and the history.
fn catalog(
    store: &Store,
) -> anyhow::Result<(Catalog, std::collections::HashMap<TrackId, HistoryRecord>)> {
    let Some(root) = store.meta_get("library_root")? else {
        anyhow::bail!("no library yet: `genreplay scan DIR` (or the player) reads one first");
    };
    let model = load_active(store, None, &inference_device())?;
    let lib = crate::service::library::load_catalog(
        store,
        std::path::Path::new(&root),
        &model.id,
        &model.config.labels,
    )?;
    Ok((lib, store.history()?))
}

/// Every smart playlist with its rule and how many tracks it finds now (or why none).
pub fn listed(store: &Store, paths: &Paths) -> anyhow::Result<Vec<Value>> {
    let lists = smart_lists(paths);
    if lists.is_empty() {
        return Ok(vec![]);
    }
    let (lib, history) = catalog(store)?;
    let facts = Facts::new(&history, now_unix());
    Ok(lists
        .iter()
        .map(|p| {
            let rule = p.rule.as_deref().unwrap_or("");
            let found = SmartRule::parse(rule).and_then(|r| r.tracks(&lib, facts));
            json!({
                "name": p.name,
                "path": p.path.to_string_lossy(),
                "rule": rule,
                "tracks": found.as_ref().ok().map(Vec::len),
                "error": found.err().map(|e| e.to_string()),
            })
        })
        .collect())
}

/// `playlists --smart NAME`.
pub fn run_one(name: &str, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let lists = smart_lists(paths);
    let Some(p) = lists
        .iter()
        .find(|p| p.name == name)
        .or_else(|| lists.iter().find(|p| p.name.eq_ignore_ascii_case(name)))
    else {
        let names: Vec<&str> = lists.iter().map(|p| p.name.as_str()).collect();
        anyhow::bail!(
            "no smart playlist \"{name}\" ({})",
            if names.is_empty() {
                "there are none yet: --new-smart NAME --rule RULE makes one".to_string()
            } else {
                format!("there are: {}", names.join(", "))
            }
        );
    };
    let rule_text = p.rule.as_deref().unwrap_or("");
    let rule =
        SmartRule::parse(rule_text).map_err(|e| anyhow::anyhow!("{}: {e}", p.path.display()))?;
    let store = super::library::open_store(paths)?;
    let (lib, history) = catalog(&store)?;
    let now = now_unix();
    let ids = rule
        .tracks(&lib, Facts::new(&history, now))
        .map_err(|e| anyhow::anyhow!("{}: {e}", p.path.display()))?;
    let fields = rule.query.fields();
    let seeds: Vec<(String, TrackId)> = rule
        .query
        .like_names()
        .into_iter()
        .filter_map(|n| resolve(&lib, n).ok().map(|id| (n.to_string(), id)))
        .collect();
    if json {
        let tracks: Vec<Value> = ids
            .iter()
            .map(|id| track_json(&lib, &history, &fields, &seeds, *id))
            .collect();
        super::print_json(&json!({
            "name": p.name,
            "path": p.path.to_string_lossy(),
            "rule": rule.text,
            "fields": fields,
            "tracks": tracks,
        }))?;
    } else {
        println!(
            "{} · smart: {} · {}",
            p.name,
            rule.text,
            crate::app::session::tracks_n(ids.len())
        );
        for t in ids.iter().filter_map(|id| lib.track(*id)) {
            println!("  {} — {}  {}", t.title, t.artist, t.path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One track of a smart playlist: path, title, artist, and the fields the rule reads.
fn track_json(
    lib: &Catalog,
    history: &std::collections::HashMap<TrackId, HistoryRecord>,
    fields: &[&str],
    seeds: &[(String, TrackId)],
    id: TrackId,
) -> Value {
    let Some(t) = lib.track(id) else {
        return Value::Null;
    };
    let h = history.get(&id).copied().unwrap_or_default();
    let mut o = json!({
        "path": t.path.to_string_lossy(),
        "title": t.title,
        "artist": t.artist,
    });
    for f in fields {
        let v = match *f {
            "album" => json!(t.album),
            "file" => json!(t.path.file_name().map(|n| n.to_string_lossy())),
            "genre" => json!(lib.genre_of(id).map(|(g, _)| g)),
            "conf" => json!(lib.genre_of(id).map(|(_, p)| p)),
            "style" => json!(
                lib.styles_of(id)
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
            ),
            "year" => json!(t.year),
            "plays" => json!(h.plays),
            "skips" => json!(h.skips),
            "rating" => json!(h.rating.name()),
            "played" => json!(h.last_played_unix.map(rfc3339)),
            "added" => json!(rfc3339(t.added_unix)),
            "like" => json!(
                seeds
                    .iter()
                    .map(|(n, s)| json!({"track": n, "similarity": similarity_to(lib, *s, id)}))
                    .collect::<Vec<_>>()
            ),
            _ => continue,
        };
        if let Some(map) = o.as_object_mut() {
            map.insert((*f).to_string(), v);
        }
    }
    o
}

/// `playlists --new-smart NAME --rule RULE`.
pub fn run_new(name: &str, rule: &str, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let parsed = SmartRule::parse(rule).map_err(|e| anyhow::anyhow!("the rule: {e}"))?;
    let store = super::library::open_store(paths)?;
    let (lib, history) = catalog(&store)?;
    let n = parsed
        .tracks(&lib, Facts::new(&history, now_unix()))
        .map_err(|e| anyhow::anyhow!("the rule: {e}"))?
        .len();
    let dir = playlist_dir(paths);
    let path = dir
        .smart_path(name)
        .ok_or_else(|| anyhow::anyhow!("a playlist needs a name"))?;
    dir.edit(
        &path,
        &Edit::Rule {
            rule: parsed.text.clone(),
            create: true,
        },
    )?;
    if json {
        super::print_json(&json!({
            "name": name.trim(),
            "path": path.to_string_lossy(),
            "rule": parsed.text,
            "tracks": n,
        }))?;
    } else {
        println!(
            "smart playlist \"{}\" ({} now) → {}",
            name.trim(),
            crate::app::session::tracks_n(n),
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
