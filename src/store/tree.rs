//! The one generic typed tree: a sled tree of `K → V` where a [`KeyCodec`] writes the key and
//! each record is one version byte then postcard ([`Record`]). Every tree of the store is one
//! of these; a new per-track record is a record type, its `Record` impl and a field.
//!
//! This file imports nothing of the store; the key codecs of the store's ids are with them in
//! `records`.

use std::fmt::Display;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a record of a typed tree could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("database error: {0}")]
    Sled(#[from] sled::Error),
    #[error("database record {what} is unreadable: {reason}")]
    Decode { what: String, reason: String },
}

type Result<T> = std::result::Result<T, TreeError>;

/// How a key is written in a tree. `Display` names the record in an error.
pub trait KeyCodec: Sized + Display {
    fn encode_key(&self) -> Vec<u8>;
    fn decode_key(bytes: &[u8]) -> Option<Self>;
}

/// A record kept in a tree: the version byte this build writes, and how records of earlier
/// layouts still read.
pub trait Record: Serialize + DeserializeOwned {
    /// The version byte in front of every record this build writes.
    const VERSION: u8;

    /// A record in an earlier layout (its version byte and body), when this build still reads
    /// it; also tried when a body of [`Record::VERSION`] does not decode (a layout that grew
    /// without a new version byte). `None`: unknown.
    fn upgrade(_version: u8, _body: &[u8]) -> Option<Self> {
        None
    }
}

/// The body of an earlier layout `T` written under version byte `wanted`, for
/// [`Record::upgrade`]: `None` for another version or a body that does not decode.
pub fn older<T: DeserializeOwned>(version: u8, wanted: u8, body: &[u8]) -> Option<T> {
    if version == wanted {
        postcard::from_bytes(body).ok()
    } else {
        None
    }
}

/// A sled tree of `K → V`, each record one version byte then postcard. A record of an unknown
/// version is an error naming the tree and the key (never a panic, never a guess).
pub struct TypedTree<K, V> {
    tree: sled::Tree,
    name: &'static str,
    _types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> Clone for TypedTree<K, V> {
    fn clone(&self) -> Self {
        TypedTree {
            tree: self.tree.clone(),
            name: self.name,
            _types: PhantomData,
        }
    }
}

/// A record's bytes: the version byte, then postcard.
pub fn encode_record<V: Record>(v: &V) -> Vec<u8> {
    let mut out = vec![V::VERSION];
    // Plain data to a Vec cannot fail; keep the version byte alone if it did.
    if let Ok(body) = postcard::to_stdvec(v) {
        out.extend(body);
    }
    out
}

/// Reads a record's bytes; `what` names it in the error (formatted only on failure).
pub fn decode_record<V: Record>(bytes: &[u8], what: impl Display) -> Result<V> {
    let fail = |reason: String| TreeError::Decode {
        what: what.to_string(),
        reason,
    };
    match bytes.split_first() {
        Some((&v, body)) if v == V::VERSION => postcard::from_bytes(body)
            .or_else(|e| V::upgrade(v, body).ok_or(e))
            .map_err(|e| fail(e.to_string())),
        Some((&v, body)) => {
            V::upgrade(v, body).ok_or_else(|| fail(format!("record version {v} is unknown")))
        }
        None => Err(fail("empty record".into())),
    }
}

impl<K: KeyCodec, V: Record> TypedTree<K, V> {
    pub fn open(db: &sled::Db, name: &'static str) -> sled::Result<Self> {
        Ok(TypedTree {
            tree: db.open_tree(name)?,
            name,
            _types: PhantomData,
        })
    }

    /// The raw tree: the open-time check that reads every tree once, and transactions and
    /// batches across trees (with [`TypedTree::encode`] and [`KeyCodec::encode_key`]).
    pub fn raw(&self) -> &sled::Tree {
        &self.tree
    }

    pub fn encode(&self, v: &V) -> Vec<u8> {
        encode_record(v)
    }

    fn decode(&self, key: &K, bytes: &[u8]) -> Result<V> {
        decode_record(bytes, format_args!("{} {key}", self.name))
    }

    pub fn get(&self, key: &K) -> Result<Option<V>> {
        match self.tree.get(key.encode_key())? {
            Some(b) => self.decode(key, &b).map(Some),
            None => Ok(None),
        }
    }

    pub fn put(&self, key: &K, v: &V) -> Result<()> {
        self.tree.insert(key.encode_key(), self.encode(v))?;
        Ok(())
    }

    pub fn remove(&self, key: &K) -> Result<()> {
        self.tree.remove(key.encode_key())?;
        Ok(())
    }

    /// Puts many records in one atomic batch.
    pub fn put_all<'a>(&self, items: impl IntoIterator<Item = (K, &'a V)>) -> Result<()>
    where
        V: 'a,
    {
        let mut batch = sled::Batch::default();
        for (k, v) in items {
            batch.insert(k.encode_key(), self.encode(v));
        }
        self.tree.apply_batch(batch)?;
        Ok(())
    }

    /// Changes the record of `key` (`None` when there is none yet) in one atomic step.
    pub fn update(&self, key: &K, f: impl Fn(Option<V>) -> V) -> Result<V> {
        let k = key.encode_key();
        let mut last = None;
        let mut err = None;
        self.tree.fetch_and_update(&k, |old| {
            let prev = match old.map(|b| self.decode(key, b)) {
                Some(Ok(v)) => Some(v),
                Some(Err(e)) => {
                    // An unreadable record is replaced by a fresh one, and said.
                    err = Some(e);
                    None
                }
                None => None,
            };
            let new = f(prev);
            let bytes = self.encode(&new);
            last = Some(new);
            Some(bytes)
        })?;
        if let Some(e) = err {
            tracing::warn!("{e}; it was started again");
        }
        last.ok_or_else(|| TreeError::Decode {
            what: format!("{} {key}", self.name),
            reason: "the update made no record".into(),
        })
    }

    /// Every readable record whose key starts with `prefix`, one at a time, in key order (the
    /// caller keeps only what it uses). An unreadable record is logged and left out. (No
    /// capacity from `Tree::len`: in sled that is a second full read of the tree.)
    pub fn for_each_in(&self, prefix: &[u8], mut f: impl FnMut(K, V)) -> Result<()> {
        for item in self.tree.scan_prefix(prefix) {
            let (k, v) = item?;
            let Some(key) = K::decode_key(&k) else {
                continue;
            };
            match self.decode(&key, &v) {
                Ok(r) => f(key, r),
                Err(e) => tracing::warn!("{e}"),
            }
        }
        Ok(())
    }

    /// Every readable record with a key in `from..to` (key order), one at a time; an unreadable
    /// one is logged and left out.
    pub fn for_each_between(&self, from: &K, to: &K, mut f: impl FnMut(K, V)) -> Result<()> {
        for item in self.tree.range(from.encode_key()..to.encode_key()) {
            let (k, v) = item?;
            let Some(key) = K::decode_key(&k) else {
                continue;
            };
            match self.decode(&key, &v) {
                Ok(r) => f(key, r),
                Err(e) => tracing::warn!("{e}"),
            }
        }
        Ok(())
    }

    /// Every readable record with a key starting with `prefix`.
    pub fn all_in(&self, prefix: &[u8]) -> Result<Vec<(K, V)>> {
        let mut out = Vec::new();
        self.for_each_in(prefix, |k, v| out.push((k, v)))?;
        Ok(out)
    }

    /// Every readable record; an unreadable one is logged and left out.
    pub fn all(&self) -> Result<Vec<(K, V)>> {
        self.all_in(&[])
    }

    /// How many records (every key; sled reads the whole tree for this).
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::records::{ModelId, ModelTrack, TrackId};
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Now {
        a: u32,
        b: Option<u32>,
    }

    impl Record for Now {
        const VERSION: u8 = 2;
        fn upgrade(version: u8, body: &[u8]) -> Option<Self> {
            #[derive(Deserialize)]
            struct Then {
                a: u32,
            }
            older::<Then>(version, 1, body).map(|t| Now { a: t.a, b: None })
        }
    }

    #[test]
    fn keys_round_trip() {
        let k = ModelTrack::new(&ModelId("abc/def".into()), TrackId(0x0102_0304_0506_0708));
        let bytes = k.encode_key();
        assert_eq!(&bytes[..8], b"abc/def/");
        assert_eq!(ModelTrack::decode_key(&bytes), Some(k.clone()));
        assert_eq!(ModelTrack::track_of(&bytes), Some(k.track));
        assert!(bytes.starts_with(&ModelTrack::prefix(&k.model)));
        assert_eq!(ModelTrack::decode_key(b"short"), None);
        assert_eq!(ModelTrack::track_of(b"short"), None);
    }

    #[test]
    fn versions_and_older_layouts() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let t: TypedTree<TrackId, Now> = TypedTree::open(&db, "now").unwrap();
        let rec = Now { a: 1, b: Some(2) };
        t.put(&TrackId(1), &rec).unwrap();
        assert_eq!(t.raw().get(TrackId(1).to_bytes()).unwrap().unwrap()[0], 2);
        assert_eq!(t.get(&TrackId(1)).unwrap(), Some(rec));
        // The earlier layout under its own version byte reads as the new one.
        t.raw().insert(TrackId(2).to_bytes(), vec![1, 7]).unwrap();
        assert_eq!(t.get(&TrackId(2)).unwrap(), Some(Now { a: 7, b: None }));
        // An unknown version or an empty record is an error naming the tree and key.
        t.raw().insert(TrackId(3).to_bytes(), vec![9, 1]).unwrap();
        let e = t.get(&TrackId(3)).unwrap_err().to_string();
        assert!(
            e.contains("now 0000000000000003") && e.contains("version 9"),
            "{e}"
        );
        t.raw().insert(TrackId(4).to_bytes(), vec![]).unwrap();
        assert!(t.get(&TrackId(4)).is_err());
        // Listing leaves the unreadable ones out.
        assert_eq!(t.all().unwrap().len(), 2);
    }
}
