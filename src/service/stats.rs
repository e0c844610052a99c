//! The listening figures from the store, for the Stats view (on a thread of the effect runner)
//! and `genreplay stats` alike, so both show the same numbers: the listen log, and of each
//! track listened to its artist, its top genre and its styles under the active model (read
//! from the store, without loading the network). The figures themselves are
//! `recommend::stats`.

use std::collections::HashMap;

use crate::model::registry::{BUILTINS, DEFAULT_BUILTIN};
use crate::model::styles::StyleFilter;
use crate::recommend::stats::{Stats, TrackFacts, compute};
use crate::store::{ModelId, ModelRecord, Store, StoreError};
use crate::util::maths::argmax;

/// The active model's record: the one the store names, else the default built-in one.
pub fn active_model(store: &Store) -> Result<Option<ModelRecord>, StoreError> {
    if let Some(id) = store.meta_get("active_model")?
        && let Some(rec) = store.model(&id)?
    {
        return Ok(Some(rec));
    }
    match BUILTINS.iter().find(|b| b.name == DEFAULT_BUILTIN) {
        Some(b) => store.model(b.id().as_str()),
        None => Ok(None),
    }
}

/// What the figures need of each track in `tracks`, from the store.
fn facts_of(
    store: &Store,
    tracks: impl Iterator<Item = crate::store::TrackId>,
) -> Result<HashMap<crate::store::TrackId, TrackFacts>, StoreError> {
    let model = active_model(store)?;
    let filter = model.as_ref().map(|m| StyleFilter::for_labels(&m.labels));
    let mut out = HashMap::new();
    for id in tracks {
        if out.contains_key(&id) {
            continue;
        }
        let Some(rec) = store.track(id)? else {
            continue;
        };
        let mut facts = TrackFacts {
            artist: rec.display_artist(),
            genre: None,
            styles: Vec::new(),
        };
        if let Some(m) = &model
            && let Some(v) = store.vector(&ModelId(m.id.clone()), id)?
        {
            facts.genre = m.labels.get(argmax(&v.vector).0).cloned();
            if let (Some(f), Some(s)) = (&filter, &v.style) {
                facts.styles = f.shown(s).into_iter().map(|(n, _)| n.to_string()).collect();
            }
        }
        out.insert(id, facts);
    }
    Ok(out)
}

/// Every figure at `now` with `days` days in the per-day chart, in local time.
pub fn gather(store: &Store, now: u64, days: u32) -> Result<Stats, StoreError> {
    let listens = store.listens_between(0, u64::MAX)?;
    let facts = facts_of(store, listens.iter().map(|l| l.track))?;
    Ok(compute(&listens, &facts, now, days, local_offset(now)))
}

/// How far the local clock is ahead of UTC at `at` (Unix seconds); 0 when it cannot be told.
pub fn local_offset(at: u64) -> i64 {
    let Ok(t) = libc::time_t::try_from(at) else {
        return 0;
    };
    // SAFETY: `tm` is plain old data; all zeroes is a valid value of it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: localtime_r only reads the `time_t` and writes into the `tm`, both ours.
    let done = unsafe { libc::localtime_r(&t, &mut tm) };
    if done.is_null() {
        0
    } else {
        (tm.tm_gmtoff as i64).clamp(-14 * 3600, 14 * 3600)
    }
}
