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
/// config files, without loading their networks. A built-in model an update replaced (its
/// files changed, so its id did) can never load again: its record and its vectors go (the
/// library is classified again under the new id, from the feature cache). Trained models are
/// never touched.
pub fn register_builtins(store: &Store) -> Result<(), StoreError> {
    let current: Vec<String> = registry::BUILTINS.iter().map(|b| b.id().0).collect();
    for rec in store.models()? {
        if rec.location == ModelLocation::Embedded && !current.contains(&rec.id) {
            store.drop_model_vectors(&super::registry::ModelId(rec.id.clone()))?;
            store.remove_model(&rec.id)?;
            tracing::info!(
                "{} {}: a built-in model this version replaced; its vectors were removed",
                rec.name,
                rec.id
            );
        }
    }
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

/// What [`sync_models`] changed in the registry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelSync {
    /// Model ids found in the models folder and (re-)registered.
    pub registered: Vec<String>,
    /// Registered model ids whose folder under the models folder is gone.
    pub removed: Vec<String>,
    /// Folders that are not loadable models, with the reason.
    pub broken: Vec<(PathBuf, String)>,
}

/// The registry record of the model folder `dir`, from its two files (the weights are hashed
/// for the id, not loaded).
pub fn record_of_dir(dir: &Path) -> Result<ModelRecord, registry::ModelError> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|source| registry::ModelError::Io { path, source })
    };
    let config_json = read(registry::CONFIG_FILE)?;
    let record = read(registry::RECORD_FILE)?;
    let bad_config = |reason: String| registry::ModelError::BadConfig {
        path: dir.join(registry::CONFIG_FILE),
        reason,
    };
    let c: super::config::ModelConfig =
        serde_json::from_slice(&config_json).map_err(|e| bad_config(e.to_string()))?;
    c.validate().map_err(|e| bad_config(e.to_string()))?;
    Ok(ModelRecord {
        id: registry::ModelId::of(&config_json, &record).0,
        name: c.name.clone(),
        labels: c.labels.clone(),
        created_unix: c.info.created_unix_secs,
        source: c.info.source.clone(),
        metrics: c.info.metrics.clone(),
        location: ModelLocation::Dir(dir.as_os_str().as_bytes().to_vec()),
    })
}

/// Makes the registry agree with the models folder, the source of truth for trained models:
/// every model folder in it is registered (so a fresh or reset database knows them again), and
/// records of folders under it that are gone are dropped. Models registered from elsewhere
/// (`--model PATH`) and the built-in one are left alone. Temporary folders of a killed save are
/// removed first.
pub fn sync_models(store: &Store, models_dir: &Path) -> Result<ModelSync, StoreError> {
    let mut out = ModelSync::default();
    clean_partial(models_dir);
    let mut found = std::collections::HashSet::new();
    if let Ok(rd) = std::fs::read_dir(models_dir) {
        let mut dirs: Vec<PathBuf> = rd
            .filter_map(Result::ok)
            .filter(|e| !e.file_name().as_bytes().starts_with(b"."))
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for dir in dirs {
            match record_of_dir(&dir) {
                Ok(rec) => {
                    found.insert(rec.id.clone());
                    if store.model(&rec.id)?.as_ref() != Some(&rec) {
                        store.put_model(&rec)?;
                        out.registered.push(rec.id.clone());
                    }
                }
                Err(e) => {
                    tracing::warn!(path = %dir.display(), error = %e, "not a loadable model folder");
                    out.broken.push((dir, e.to_string()));
                }
            }
        }
    }
    for rec in store.models()? {
        if let ModelLocation::Dir(bytes) = &rec.location {
            let dir = PathBuf::from(std::ffi::OsStr::from_bytes(bytes));
            if dir.starts_with(models_dir) && !found.contains(&rec.id) && !dir.is_dir() {
                store.remove_model(&rec.id)?;
                out.removed.push(rec.id.clone());
            }
        }
    }
    if !out.registered.is_empty() || !out.removed.is_empty() {
        store.flush()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::TrackId;
    use crate::store::VectorRecord;

    fn record(id: &str, location: ModelLocation) -> ModelRecord {
        ModelRecord {
            id: id.into(),
            name: "m".into(),
            labels: vec!["a".into(), "b".into()],
            created_unix: 0,
            source: None,
            metrics: None,
            location,
        }
    }

    #[test]
    fn a_replaced_built_in_model_goes_with_its_vectors_and_trained_models_stay() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let old = registry::ModelId("0123456789abcdef".into());
        let trained = registry::ModelId("fedcba9876543210".into());
        store
            .put_model(&record(&old.0, ModelLocation::Embedded))
            .unwrap();
        store
            .put_model(&record(
                &trained.0,
                ModelLocation::Dir(b"/models/mine".to_vec()),
            ))
            .unwrap();
        let v = VectorRecord {
            vector: vec![0.6, 0.4],
            segments: 3,
            style: None,
            computed_unix: 1,
            open_set: None,
        };
        let track = TrackId::of_path(std::path::Path::new("/music/a.flac"));
        store.put_vector(&old, track, &v).unwrap();
        store.put_vector(&trained, track, &v).unwrap();
        register_builtins(&store).unwrap();
        assert!(store.model(&old.0).unwrap().is_none());
        assert_eq!(store.vector_count(&old), 0);
        assert!(store.model(&trained.0).unwrap().is_some());
        assert_eq!(store.vector_count(&trained), 1);
        for b in registry::BUILTINS {
            assert!(
                store.model(b.id().as_str()).unwrap().is_some(),
                "{}",
                b.name
            );
        }
    }
}
