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
            ModelSource::Embedded => ModelLocation::Embedded,
            ModelSource::Path(p) => ModelLocation::Dir(p.as_os_str().as_bytes().to_vec()),
        },
    }
}

fn load_record(rec: &ModelRecord, device: &Device) -> Result<LoadedModel, registry::ModelError> {
    match &rec.location {
        ModelLocation::Embedded => registry::load_embedded(device),
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

/// Makes `model` the active one.
pub fn set_active(store: &Store, model: &LoadedModel) -> Result<(), StoreError> {
    store.put_model(&record_of(model))?;
    store.meta_set("active_model", &model.id.0)?;
    store.flush()
}
