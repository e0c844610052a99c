//! `genreplay models [list | use ID | rm ID]`.

use std::process::ExitCode;

use serde_json::json;

use crate::cli::ModelsAction;
use crate::model::active::{find, load_active, load_by_id, register_builtins, set_active};
use crate::model::backend::inference_device;
use crate::model::registry::{builtin, load_builtin, load_embedded};
use crate::paths::Paths;
use crate::store::ModelLocation;

pub fn run(action: &Option<ModelsAction>, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let store = super::library::open_store(paths)?;
    let device = inference_device();
    let active = load_active(&store, None, &device)?;
    match action {
        None | Some(ModelsAction::List) => {
            register_builtins(&store)?;
            let mut models = store.models()?;
            models.sort_by_key(|m| std::cmp::Reverse(m.created_unix));
            if json {
                let v: Vec<_> = models
                    .iter()
                    .map(|m| {
                        json!({
                            "id": m.id,
                            "name": m.name,
                            "labels": m.labels,
                            "created_unix": m.created_unix,
                            "source": m.source,
                            "metrics": m.metrics,
                            "built_in": m.location == ModelLocation::Embedded,
                            "active": m.id == active.id.0,
                            "vectors": store.vector_count(&crate::model::ModelId(m.id.clone())),
                        })
                    })
                    .collect();
                super::print_json(&v)?;
            } else {
                for m in &models {
                    let acc = m
                        .metrics
                        .as_ref()
                        .and_then(|x| x.valid_track_accuracy)
                        .map_or("-".to_string(), |a| format!("{a:.2}"));
                    println!(
                        "{} {}  {:<14} {:>2} genres  valid acc {acc:<5} {:>6} tracks classified  {}",
                        if m.id == active.id.0 { "*" } else { " " },
                        m.id,
                        m.name,
                        m.labels.len(),
                        store.vector_count(&crate::model::ModelId(m.id.clone())),
                        if m.location == ModelLocation::Embedded {
                            "(built in)".to_string()
                        } else {
                            m.source.clone().unwrap_or_default()
                        }
                    );
                }
                println!("(* = active)");
            }
        }
        Some(ModelsAction::Use { id }) => {
            let m = if id == "default" || id == "built-in" {
                load_embedded(&device)?
            } else if let Some(b) = builtin(id) {
                load_builtin(b.name, &device)?
            } else {
                load_by_id(&store, id, &device)?
            };
            set_active(&store, &m)?;
            if json {
                super::print_json(&json!({"active": m.id.0}))?;
            } else {
                println!(
                    "active model: {} ({}); `genreplay scan` classifies the library with it",
                    m.id, m.config.name
                );
            }
        }
        Some(ModelsAction::Rm { id }) => {
            let rec = find(&store, id)?;
            if rec.id == active.id.0 {
                anyhow::bail!(
                    "model {} is active; `genreplay models use` another one first",
                    rec.id
                );
            }
            if let ModelLocation::Dir(bytes) = &rec.location {
                let dir = std::path::PathBuf::from(
                    <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(bytes),
                );
                if dir.starts_with(paths.models_dir()) {
                    std::fs::remove_dir_all(&dir)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
                }
            } else {
                anyhow::bail!("the built-in model cannot be removed");
            }
            store.drop_model_vectors(&crate::model::ModelId(rec.id.clone()))?;
            store.remove_model(&rec.id)?;
            store.flush()?;
            if json {
                super::print_json(&json!({"removed": rec.id}))?;
            } else {
                println!("removed model {}", rec.id);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
