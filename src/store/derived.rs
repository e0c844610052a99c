//! What the analysis computed for a track: its genre vector or why it failed (per model,
//! keyed ModelId ‖ TrackId), whether it is partial (damage) and its loudness (per track); and
//! keeping these in step with the tracks (removed, invalidated, carried to a moved file).

use std::collections::{HashMap, HashSet};

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::Store;
use super::error::{Result, StoreError, transaction_error};
use super::records::{
    DamageRecord, FailureRecord, LoudnessRecord, ModelId, ModelTrack, TrackId, VectorRecord,
};
use super::tree::KeyCodec;

/// Keys in `vectors` and in `failures`.
type DerivedKeys = (Vec<Vec<u8>>, Vec<Vec<u8>>);

type TxResult = std::result::Result<(), ConflictableTransactionError<()>>;

impl Store {
    /// Removes tracks and everything computed for them, atomically across trees.
    pub fn remove_tracks(&self, ids: &[TrackId]) -> Result<()> {
        self.drop_derived(ids, true)
    }

    /// Drops vectors, failures, damage notes and loudness of `ids` for every model (their
    /// files changed).
    pub fn invalidate_tracks(&self, ids: &[TrackId]) -> Result<()> {
        self.drop_derived(ids, false)
    }

    /// Drops what was computed for `ids` (and with `tracks`, the track records), in one
    /// transaction across the trees.
    fn drop_derived(&self, ids: &[TrackId], tracks: bool) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let (vkeys, fkeys) = self.derived_keys(ids)?;
        (
            self.tracks.raw(),
            self.vectors.raw(),
            self.failures.raw(),
            self.damage.raw(),
            self.loudness.raw(),
        )
            .transaction(|(t, v, f, d, l)| {
                for id in ids {
                    if tracks {
                        t.remove(&id.to_bytes())?;
                    }
                    d.remove(&id.to_bytes())?;
                    l.remove(&id.to_bytes())?;
                }
                for k in &vkeys {
                    v.remove(k.as_slice())?;
                }
                for k in &fkeys {
                    f.remove(k.as_slice())?;
                }
                TxResult::Ok(())
            })
            .map_err(transaction_error)?;
        Ok(())
    }

    /// Copies what was computed for each `from` track (vectors and failures, every model) to
    /// its `to` track: the same file under a new path. The `from` entries stay until the
    /// track is removed.
    pub fn carry_derived(&self, moves: &[(TrackId, TrackId)]) -> Result<()> {
        if moves.is_empty() {
            return Ok(());
        }
        let to: HashMap<TrackId, TrackId> = moves.iter().copied().collect();
        for tree in [self.vectors.raw(), self.failures.raw()] {
            let mut batch = sled::Batch::default();
            for item in tree.iter() {
                let (k, v) = item?;
                let Some(new) = ModelTrack::track_of(&k).and_then(|t| to.get(&t)) else {
                    continue;
                };
                let mut key = k[..k.len() - 8].to_vec();
                key.extend_from_slice(&new.to_bytes());
                batch.insert(key, v);
            }
            tree.apply_batch(batch)?;
        }
        Ok(())
    }

    /// Keys in `vectors` and `failures` that belong to `ids` (any model).
    fn derived_keys(&self, ids: &[TrackId]) -> Result<DerivedKeys> {
        let wanted: HashSet<TrackId> = ids.iter().copied().collect();
        let collect = |tree: &sled::Tree| -> Result<Vec<Vec<u8>>> {
            let mut keys = Vec::new();
            for item in tree.iter().keys() {
                let k = item?;
                if ModelTrack::track_of(&k).is_some_and(|t| wanted.contains(&t)) {
                    keys.push(k.to_vec());
                }
            }
            Ok(keys)
        };
        Ok((collect(self.vectors.raw())?, collect(self.failures.raw())?))
    }

    // ---- vectors and failures

    /// Stores a track's vector for `model` (and clears a recorded failure), atomically. A
    /// vector or style with NaN or infinite values is refused.
    pub fn put_vector(&self, model: &ModelId, track: TrackId, rec: &VectorRecord) -> Result<()> {
        if !rec.is_finite() || rec.vector.is_empty() {
            return Err(StoreError::NonFinite {
                what: format!("the genre vector of track {track} for model {model}"),
            });
        }
        let key = ModelTrack::new(model, track).encode_key();
        let value = self.vectors.encode(rec);
        (self.vectors.raw(), self.failures.raw())
            .transaction(|(v, f)| {
                v.insert(key.as_slice(), value.as_slice())?;
                f.remove(key.as_slice())?;
                TxResult::Ok(())
            })
            .map_err(transaction_error)?;
        Ok(())
    }

    /// A track's vector for `model`; one stored with NaN/Inf by an older build counts as none
    /// (the track is classified again).
    pub fn vector(&self, model: &ModelId, track: TrackId) -> Result<Option<VectorRecord>> {
        Ok(self
            .vectors
            .get(&ModelTrack::new(model, track))?
            .filter(VectorRecord::is_finite))
    }

    pub fn has_vector(&self, model: &ModelId, track: TrackId) -> Result<bool> {
        Ok(self.vector(model, track)?.is_some())
    }

    /// Every vector of `model` (non-finite ones from older builds left out).
    pub fn vectors_for(&self, model: &ModelId) -> Result<Vec<(TrackId, VectorRecord)>> {
        let mut out = Vec::new();
        self.vectors
            .for_each_in(&ModelTrack::prefix(model), |k, r| {
                if r.is_finite() {
                    out.push((k.track, r));
                } else {
                    tracing::warn!("vector {k} holds NaN/Inf; ignored");
                }
            })?;
        Ok(out)
    }

    pub fn vector_count(&self, model: &ModelId) -> usize {
        self.vectors
            .raw()
            .scan_prefix(ModelTrack::prefix(model))
            .count()
    }

    /// Models that have vectors in the store, with their counts.
    pub fn vector_models(&self) -> Result<Vec<(ModelId, usize)>> {
        let mut out: Vec<(ModelId, usize)> = Vec::new();
        for item in self.vectors.raw().iter().keys() {
            let Some(key) = ModelTrack::decode_key(&item?) else {
                continue;
            };
            match out.last_mut() {
                Some((m, n)) if *m == key.model => *n += 1,
                _ => out.push((key.model, 1)),
            }
        }
        Ok(out)
    }

    /// Removes every vector and failure of `model`.
    pub fn drop_model_vectors(&self, model: &ModelId) -> Result<()> {
        for tree in [self.vectors.raw(), self.failures.raw()] {
            let mut batch = sled::Batch::default();
            for k in tree.scan_prefix(ModelTrack::prefix(model)).keys() {
                batch.remove(k?);
            }
            tree.apply_batch(batch)?;
        }
        Ok(())
    }

    pub fn put_failure(&self, model: &ModelId, track: TrackId, rec: &FailureRecord) -> Result<()> {
        Ok(self.failures.put(&ModelTrack::new(model, track), rec)?)
    }

    pub fn failure(&self, model: &ModelId, track: TrackId) -> Result<Option<FailureRecord>> {
        Ok(self.failures.get(&ModelTrack::new(model, track))?)
    }

    pub fn failures_for(&self, model: &ModelId) -> Result<Vec<(TrackId, FailureRecord)>> {
        let mut out = Vec::new();
        self.failures
            .for_each_in(&ModelTrack::prefix(model), |k, r| out.push((k.track, r)))?;
        Ok(out)
    }

    // ---- damage ("partial" tracks)

    /// Notes that `track` was analysed from a damaged file (kept until the file changes).
    pub fn put_damage(&self, track: TrackId, rec: &DamageRecord) -> Result<()> {
        Ok(self.damage.put(&track, rec)?)
    }

    /// Why `track` is partial, if it is.
    pub fn damage(&self, track: TrackId) -> Result<Option<DamageRecord>> {
        Ok(self.damage.get(&track)?)
    }

    /// Every partial track with its reason.
    pub fn damaged_tracks(&self) -> Result<Vec<(TrackId, DamageRecord)>> {
        Ok(self.damage.all()?)
    }

    // ---- loudness (the ReplayGain estimate)

    /// Keeps the loudness measured on `track`'s analysis clip (until the file changes).
    pub fn put_loudness(&self, track: TrackId, rec: &LoudnessRecord) -> Result<()> {
        if !(rec.loudness.lufs.is_finite() && rec.loudness.peak.is_finite()) {
            return Err(StoreError::NonFinite {
                what: format!("the loudness of track {track}"),
            });
        }
        Ok(self.loudness.put(&track, rec)?)
    }

    /// The loudness measured on `track`'s clip, if any.
    pub fn loudness(&self, track: TrackId) -> Result<Option<LoudnessRecord>> {
        Ok(self.loudness.get(&track)?)
    }

    /// Every measured loudness. Unreadable records are logged and skipped.
    pub fn loudness_all(&self) -> Result<Vec<(TrackId, LoudnessRecord)>> {
        Ok(self.loudness.all()?)
    }
}
