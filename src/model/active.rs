//! The active model: the one whose vectors the library shows. Recorded in the store's meta
//! (`active_model`); the built-in model when none is set or the chosen one cannot load.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use burn::prelude::Device;

use super::registry::{self, LoadedModel, ModelSource};
use crate::store::{ModelLocation, ModelRecord, Store, StoreError};

/// The store's record of a loaded model.
pub fn record_of(model: &LoadedModel) -> ModelRecord {
    let c = &model.config;
    ModelRecord {
        id: model.id.0.clone(),
        name: c.name.clone(),
        labels: c.labels.clone(),
        created_unix: c.info.created_unix_secs,
        source: c.info.source.clone(),
        metrics: c.info.metrics.clone(),
        location: match &model.source {
            ModelSource::Embedded | ModelSource::Builtin(_) => ModelLocation::Embedded,
            ModelSource::Path(p) => ModelLocation::Dir(p.as_os_str().as_bytes().to_vec()),
        },
    }
}

fn load_record(rec: &ModelRecord, device: &Device) -> Result<LoadedModel, registry::ModelError> {
    match &rec.location {
        ModelLocation::Embedded => registry::load_embedded_id(&rec.id, device),
        ModelLocation::Dir(bytes) => {
            let p = PathBuf::from(std::ffi::OsStr::from_bytes(bytes));
            registry::load_dir(&p, device)
        }
    }
}

/// Loads the active model: `override_path` when given (it is registered but not made active),
/// else the store's active model, else the built-in one. Registers what it loads.
pub fn load_active(
    store: &Store,
    override_path: Option<&Path>,
    device: &Device,
) -> anyhow::Result<LoadedModel> {
    if let Some(p) = override_path {
        let m = registry::load_dir(p, device)?;
        store.put_model(&record_of(&m))?;
        return Ok(m);
    }
    if let Some(id) = store.meta_get("active_model")?
        && let Some(rec) = store.model(&id)?
    {
        match load_record(&rec, device) {
            Ok(m) if m.id.0 == id => return Ok(m),
            Ok(m) => {
                tracing::warn!(expected = %id, found = %m.id, "active model files changed; using the built-in model")
            }
            Err(e) => {
                tracing::warn!("active model {id} does not load ({e}); using the built-in model")
            }
        }
    }
    let m = registry::load_embedded(device)?;
    store.put_model(&record_of(&m))?;
    Ok(m)
}

/// Registers every built-in model (so that `genreplay models list` shows them all) from their
/// config files, without loading their networks.
pub fn register_builtins(store: &Store) -> Result<(), StoreError> {
    for b in registry::BUILTINS {
        let id = b.id();
        if store.model(id.as_str())?.is_some() {
            continue;
        }
        let Ok(c) = serde_json::from_slice::<super::config::ModelConfig>(b.config) else {
            continue;
        };
        store.put_model(&ModelRecord {
            id: id.0,
            name: c.name,
            labels: c.labels,
            created_unix: c.info.created_unix_secs,
            source: c.info.source,
            metrics: c.info.metrics,
            location: ModelLocation::Embedded,
        })?;
    }
    Ok(())
}

/// Makes `model` the active one.
pub fn set_active(store: &Store, model: &LoadedModel) -> Result<(), StoreError> {
    store.put_model(&record_of(model))?;
    store.meta_set("active_model", &model.id.0)?;
    store.flush()
}

/// Loads a registered model by id (or id prefix).
pub fn load_by_id(store: &Store, id: &str, device: &Device) -> anyhow::Result<LoadedModel> {
    let rec = find(store, id)?;
    let m = load_record(&rec, device)?;
    if m.id.0 != rec.id {
        anyhow::bail!(
            "model {}: its files changed since it was registered (now {}); use it with --model",
            rec.id,
            m.id
        );
    }
    Ok(m)
}

/// The registered model whose id is or starts with `id`.
pub fn find(store: &Store, id: &str) -> anyhow::Result<ModelRecord> {
    let models = store.models()?;
    let matches: Vec<&ModelRecord> = models.iter().filter(|m| m.id.starts_with(id)).collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => anyhow::bail!("no model {id} (`genreplay models list` shows them)"),
        _ => anyhow::bail!("{id} matches {} models; give more of the id", matches.len()),
    }
}

/// The id of the active model as recorded (the built-in one when none is recorded).
pub fn active_id(store: &Store, device: &Device) -> anyhow::Result<String> {
    Ok(load_active(store, None, device)?.id.0)
}

/// Saves a freshly trained model into `models_dir/<id>` (atomically), registers it and makes
/// it active. A crash before the end leaves the previous model active and no partial folder.
pub fn install(
    store: &Store,
    models_dir: &Path,
    config: &super::config::ModelConfig,
    net: &super::registry::Net,
    device: &Device,
) -> anyhow::Result<LoadedModel> {
    std::fs::create_dir_all(models_dir)?;
    clean_partial(models_dir);
    let (config_json, record) =
        super::registry::to_bytes(config, net).map_err(|e| anyhow::anyhow!(e))?;
    let id = super::registry::ModelId::of(&config_json, &record);
    let dir = models_dir.join(id.as_str());
    super::registry::save_dir(&dir, config, net)?;
    let m = registry::load_dir(&dir, device)?;
    set_active(store, &m)?;
    Ok(m)
}

/// Removes temporary folders a killed save left behind.
pub fn clean_partial(models_dir: &Path) {
    if let Ok(rd) = std::fs::read_dir(models_dir) {
        for e in rd.filter_map(Result::ok) {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && (name.contains(".tmp-") || name.contains(".old-")) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}
