//! The records the store keeps, and the ids they are keyed by: the leaf that the store and its
//! users (the library, the models, the analysis, the app) all import, so the store imports
//! nothing above it. The library re-exports the track types (`library::{TrackId, TrackRecord}`,
//! `library::tags::Tags`), the model room its own (`model::ModelId`,
//! `model::config::TrainMetrics`); the tag reader and the model registry stay in their rooms.
//!
//! Every record is written as one version byte then postcard ([`super::tree::Record`]); a
//! layout that changed keeps its earlier shape here, read through [`Record::upgrade`].

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::tree::{KeyCodec, Record, older};
use crate::audio::gain::ReplayGainTags;
use crate::audio::loudness::Loudness;

/// A track's identity: a hash of its absolute path's bytes (non-UTF-8 names work). A moved or
/// renamed file is a new track, so nothing computed for the old path lingers.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct TrackId(pub u64);

impl TrackId {
    pub fn of_path(path: &Path) -> Self {
        let h = blake3::hash(path.as_os_str().as_bytes());
        let mut b = [0u8; 8];
        b.copy_from_slice(&h.as_bytes()[..8]);
        TrackId(u64::from_be_bytes(b))
    }

    pub fn to_bytes(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }

    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let arr: [u8; 8] = b.get(..8)?.try_into().ok()?;
        Some(TrackId(u64::from_be_bytes(arr)))
    }

    /// 16 hex digits.
    pub fn hex(self) -> String {
        format!("{:016x}", self.0)
    }

    pub fn parse_hex(s: &str) -> Option<Self> {
        u64::from_str_radix(s, 16).ok().map(TrackId)
    }
}

impl fmt::Display for TrackId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// What a track without an artist tag shows.
pub const UNKNOWN_ARTIST: &str = "Unknown artist";
/// What a track without an album tag shows.
pub const UNKNOWN_ALBUM: &str = "Unknown album";

/// What the library knows about a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackRecord {
    /// The absolute path's raw bytes.
    pub path: Vec<u8>,
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i64,
    pub tags: Tags,
    /// Why the tags could not be read (the track is kept; the player falls back to the name).
    pub tag_error: Option<String>,
    pub added_unix: u64,
}

impl TrackRecord {
    pub fn path(&self) -> PathBuf {
        PathBuf::from(OsStr::from_bytes(&self.path))
    }

    pub fn id(&self) -> TrackId {
        TrackId::of_path(&self.path())
    }

    /// Title tag, else the file name without extension.
    pub fn display_title(&self) -> String {
        self.tags.title.clone().unwrap_or_else(|| {
            self.path()
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
    }

    /// Artist tag (album artist as a fallback), else "Unknown artist".
    pub fn display_artist(&self) -> String {
        self.tags
            .artist
            .clone()
            .or_else(|| self.tags.album_artist.clone())
            .unwrap_or_else(|| UNKNOWN_ARTIST.into())
    }

    pub fn display_album(&self) -> String {
        self.tags
            .album
            .clone()
            .unwrap_or_else(|| UNKNOWN_ALBUM.into())
    }

    pub fn duration_secs(&self) -> Option<f64> {
        self.tags.duration_ms.map(|ms| ms as f64 / 1000.0)
    }
}

/// The tags genreplay uses (read by `library::tags::read_tags`). Missing tags are `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tags {
    pub artist: Option<String>,
    pub album: Option<String>,
    pub album_artist: Option<String>,
    pub title: Option<String>,
    pub track_no: Option<u32>,
    pub year: Option<u16>,
    pub genre: Option<String>,
    pub duration_ms: Option<u64>,
    /// ReplayGain values (ID3v2 `TXXX:REPLAYGAIN_*`, Vorbis comments `REPLAYGAIN_*`, MP4
    /// `----:com.apple.iTunes:replaygain_*`, APE, Opus `R128_*_GAIN`). `None` in records of
    /// builds before ReplayGain: the next scan reads the file's tags again.
    pub replaygain: Option<ReplayGainTags>,
}

/// Identifies a model by the hash of its config and weights.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ModelId(pub String);

impl ModelId {
    pub fn of(config_json: &[u8], record: &[u8]) -> Self {
        let mut h = blake3::Hasher::new();
        h.update(&(config_json.len() as u64).to_le_bytes());
        h.update(config_json);
        h.update(record);
        let hex = h.finalize().to_hex();
        ModelId(hex.as_str()[..16].to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Validation figures recorded when the model was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TrainMetrics {
    pub train_tracks: usize,
    pub valid_tracks: usize,
    pub valid_track_accuracy: Option<f64>,
    pub best_epoch: usize,
    pub epochs_run: usize,
}

/// A track's genre vector for one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorRecord {
    /// Probability per label of the model, in its label order.
    pub vector: Vec<f32>,
    pub segments: u32,
    /// A richer per-track embedding when the model has one (e.g. a pretrained trunk's tags).
    pub style: Option<Vec<f32>>,
    pub computed_unix: u64,
    /// The open-set verdict (a genre or unsure) when the model has an open-set rule; `None`
    /// for models without one and for records written before the rule existed.
    pub open_set: Option<OpenSetRecord>,
}

/// A track's open-set verdict as the model's rule gave it when the track was classified.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OpenSetRecord {
    /// True when the track is one of the model's genres; false = unsure.
    pub known: bool,
    /// The temperature-scaled probability of the top genre.
    pub confidence: f32,
    /// How far the track's pooled trunk embedding lies from the training tracks' (the
    /// out-of-distribution score; the rule's threshold is in the model's config).
    pub distance: f32,
    /// The clip's music-likeness as the rule read it (`None`: not measured, or a record from
    /// before version 2 kept it).
    pub music: Option<f32>,
}

/// A vector record as builds before the open-set rule wrote it.
#[derive(Deserialize)]
struct VectorRecordV1 {
    vector: Vec<f32>,
    segments: u32,
    style: Option<Vec<f32>>,
    computed_unix: u64,
}

/// A vector record with the open-set verdict as builds before the music-likeness was kept.
#[derive(Deserialize)]
struct VectorRecordV1Verdict {
    vector: Vec<f32>,
    segments: u32,
    style: Option<Vec<f32>>,
    computed_unix: u64,
    open_set: Option<OpenSetRecordV1>,
}

#[derive(Deserialize)]
struct OpenSetRecordV1 {
    known: bool,
    confidence: f32,
    distance: f32,
}

/// Version 2 keeps the music-likeness in the verdict. Version 1 held two layouts: with the
/// verdict ([`VectorRecordV1Verdict`], tried first: the shorter layout would read its first
/// fields and ignore the rest) and without ([`VectorRecordV1`]).
impl Record for VectorRecord {
    const VERSION: u8 = 2;
    fn upgrade(version: u8, body: &[u8]) -> Option<Self> {
        if let Some(old) = older::<VectorRecordV1Verdict>(version, 1, body) {
            return Some(VectorRecord {
                vector: old.vector,
                segments: old.segments,
                style: old.style,
                computed_unix: old.computed_unix,
                open_set: old.open_set.map(|o| OpenSetRecord {
                    known: o.known,
                    confidence: o.confidence,
                    distance: o.distance,
                    music: None,
                }),
            });
        }
        let old: VectorRecordV1 = older(version, 1, body)?;
        Some(VectorRecord {
            vector: old.vector,
            segments: old.segments,
            style: old.style,
            computed_unix: old.computed_unix,
            open_set: None,
        })
    }
}

/// A track record as builds before ReplayGain wrote it (its tags without the gain values).
#[derive(Deserialize)]
struct TrackRecordV1 {
    path: Vec<u8>,
    size: u64,
    mtime_ns: i64,
    tags: TagsV1,
    tag_error: Option<String>,
    added_unix: u64,
}

#[derive(Deserialize)]
struct TagsV1 {
    artist: Option<String>,
    album: Option<String>,
    album_artist: Option<String>,
    title: Option<String>,
    track_no: Option<u32>,
    year: Option<u16>,
    genre: Option<String>,
    duration_ms: Option<u64>,
}

/// Track records carry their own version byte: 2 since the tags hold ReplayGain values (1:
/// [`TrackRecordV1`], whose gain tags are unknown: `replaygain` is `None`, so the next scan
/// reads its tags again). A distinct byte keeps the two layouts from being mistaken for each
/// other.
impl Record for TrackRecord {
    const VERSION: u8 = 2;
    fn upgrade(version: u8, body: &[u8]) -> Option<Self> {
        let old: TrackRecordV1 = older(version, 1, body)?;
        Some(TrackRecord {
            path: old.path,
            size: old.size,
            mtime_ns: old.mtime_ns,
            tags: Tags {
                artist: old.tags.artist,
                album: old.tags.album,
                album_artist: old.tags.album_artist,
                title: old.tags.title,
                track_no: old.tags.track_no,
                year: old.tags.year,
                genre: old.tags.genre,
                duration_ms: old.tags.duration_ms,
                replaygain: None,
            },
            tag_error: old.tag_error,
            added_unix: old.added_unix,
        })
    }
}

impl VectorRecord {
    /// True when the vector and the style hold only finite numbers.
    pub fn is_finite(&self) -> bool {
        self.vector.iter().all(|v| v.is_finite())
            && self
                .style
                .as_ref()
                .is_none_or(|s| s.iter().all(|v| v.is_finite()))
    }
}

/// Why a track could not be classified by a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureRecord {
    pub reason: String,
    /// The file's size and mtime when it failed: a changed file is retried.
    pub size: u64,
    pub mtime_ns: i64,
    pub at_unix: u64,
}

/// A "partial" track: it was analysed from what could be decoded of a damaged file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DamageRecord {
    /// What is wrong with the file, in words ("truncated: 12.0 s of the declared 180.0 s …").
    pub reason: String,
    /// The file's size and mtime when this was found.
    pub size: u64,
    pub mtime_ns: i64,
    pub at_unix: u64,
}

/// The loudness of a track's analysis clip (EBU R128), kept until the file changes: its
/// ReplayGain estimate when it has no gain tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoudnessRecord {
    pub loudness: Loudness,
    /// The file's size and mtime when it was measured.
    pub size: u64,
    pub mtime_ns: i64,
    pub at_unix: u64,
}

/// Where a model's files are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ModelLocation {
    Embedded,
    /// A model folder (raw path bytes).
    Dir(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRecord {
    pub id: String,
    pub name: String,
    pub labels: Vec<String>,
    pub created_unix: u64,
    pub source: Option<String>,
    pub metrics: Option<TrainMetrics>,
    pub location: ModelLocation,
}

impl Record for FailureRecord {
    const VERSION: u8 = 1;
}
impl Record for DamageRecord {
    const VERSION: u8 = 1;
}
impl Record for LoudnessRecord {
    const VERSION: u8 = 1;
}
impl Record for ModelRecord {
    const VERSION: u8 = 1;
}

impl KeyCodec for TrackId {
    fn encode_key(&self) -> Vec<u8> {
        self.to_bytes().to_vec()
    }
    fn decode_key(bytes: &[u8]) -> Option<Self> {
        TrackId::from_bytes(bytes)
    }
}

/// Text keys (model ids in `models`).
impl KeyCodec for String {
    fn encode_key(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
    fn decode_key(bytes: &[u8]) -> Option<Self> {
        Some(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// A track's key under one model: the model id, `/`, the track id's 8 bytes — so a model's
/// records are one key range and a new model never mixes with old ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelTrack {
    pub model: ModelId,
    pub track: TrackId,
}

impl ModelTrack {
    pub fn new(model: &ModelId, track: TrackId) -> Self {
        ModelTrack {
            model: model.clone(),
            track,
        }
    }

    /// The key range of `model`'s records.
    pub fn prefix(model: &ModelId) -> Vec<u8> {
        let mut k = model.0.as_bytes().to_vec();
        k.push(b'/');
        k
    }

    /// The track id a key ends with (any model).
    pub fn track_of(key: &[u8]) -> Option<TrackId> {
        TrackId::from_bytes(&key[key.len().checked_sub(8)?..])
    }
}

impl fmt::Display for ModelTrack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.model, self.track)
    }
}

impl KeyCodec for ModelTrack {
    fn encode_key(&self) -> Vec<u8> {
        let mut k = Vec::with_capacity(self.model.0.len() + 1 + 8);
        k.extend_from_slice(self.model.0.as_bytes());
        k.push(b'/');
        k.extend_from_slice(&self.track.to_bytes());
        k
    }
    fn decode_key(bytes: &[u8]) -> Option<Self> {
        let split = bytes.len().checked_sub(9)?;
        let (model, rest) = bytes.split_at(split);
        if rest.first() != Some(&b'/') {
            return None;
        }
        Some(ModelTrack {
            model: ModelId(String::from_utf8_lossy(model).into_owned()),
            track: TrackId::from_bytes(&rest[1..])?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tree::{decode_record, encode_record};

    /// A record as builds before the typed trees wrote version 1: the byte, then postcard.
    fn v1(v: &impl Serialize) -> Vec<u8> {
        let mut out = vec![1];
        out.extend(postcard::to_stdvec(v).unwrap());
        out
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = TrackId::of_path(Path::new("/music/a.mp3"));
        assert_eq!(a, TrackId::of_path(Path::new("/music/a.mp3")));
        assert_ne!(a, TrackId::of_path(Path::new("/music/b.mp3")));
        assert_eq!(TrackId::from_bytes(&a.to_bytes()), Some(a));
        assert_eq!(TrackId::parse_hex(&a.hex()), Some(a));
    }

    #[test]
    fn non_utf8_paths_round_trip() {
        let p = PathBuf::from(OsStr::from_bytes(b"/music/caf\xe9.flac"));
        let rec = TrackRecord {
            path: p.as_os_str().as_bytes().to_vec(),
            size: 1,
            mtime_ns: 2,
            tags: Tags::default(),
            tag_error: None,
            added_unix: 0,
        };
        assert_eq!(rec.path(), p);
        assert_eq!(rec.id(), TrackId::of_path(&p));
        assert_eq!(rec.display_title(), "caf\u{fffd}");
    }

    #[test]
    fn vector_records_of_earlier_builds_still_read() {
        #[derive(Serialize)]
        struct Old {
            vector: Vec<f32>,
            segments: u32,
            style: Option<Vec<f32>>,
            computed_unix: u64,
        }
        let bytes = v1(&Old {
            vector: vec![0.25, 0.75],
            segments: 2,
            style: None,
            computed_unix: 7,
        });
        let r = decode_record::<VectorRecord>(&bytes, "old").unwrap();
        assert_eq!(r.vector, vec![0.25, 0.75]);
        assert_eq!(r.open_set, None);
        // Version 1 with the verdict, before the music-likeness was kept.
        #[derive(Serialize)]
        struct OldVerdict {
            known: bool,
            confidence: f32,
            distance: f32,
        }
        #[derive(Serialize)]
        struct OldWithVerdict {
            vector: Vec<f32>,
            segments: u32,
            style: Option<Vec<f32>>,
            computed_unix: u64,
            open_set: Option<OldVerdict>,
        }
        let bytes = v1(&OldWithVerdict {
            vector: vec![0.5, 0.5],
            segments: 4,
            style: Some(vec![0.25; 3]),
            computed_unix: 8,
            open_set: Some(OldVerdict {
                known: false,
                confidence: 0.5,
                distance: 2.0,
            }),
        });
        let r = decode_record::<VectorRecord>(&bytes, "old verdict").unwrap();
        assert_eq!(r.style, Some(vec![0.25; 3]));
        assert_eq!(
            r.open_set,
            Some(OpenSetRecord {
                known: false,
                confidence: 0.5,
                distance: 2.0,
                music: None,
            })
        );
        let new = VectorRecord {
            vector: vec![0.75, 0.25],
            segments: 3,
            style: Some(vec![0.5; 4]),
            computed_unix: 9,
            open_set: Some(OpenSetRecord {
                known: true,
                confidence: 0.75,
                distance: 0.25,
                music: Some(1.25),
            }),
        };
        assert_eq!(
            decode_record::<VectorRecord>(&encode_record(&new), "new").unwrap(),
            new
        );
    }

    #[test]
    fn track_records_of_earlier_builds_read_without_gain_tags() {
        #[derive(Serialize)]
        struct OldTags {
            artist: Option<String>,
            album: Option<String>,
            album_artist: Option<String>,
            title: Option<String>,
            track_no: Option<u32>,
            year: Option<u16>,
            genre: Option<String>,
            duration_ms: Option<u64>,
        }
        #[derive(Serialize)]
        struct Old {
            path: Vec<u8>,
            size: u64,
            mtime_ns: i64,
            tags: OldTags,
            tag_error: Option<String>,
            added_unix: u64,
        }
        let bytes = v1(&Old {
            path: b"/m/a.flac".to_vec(),
            size: 10,
            mtime_ns: 20,
            tags: OldTags {
                artist: Some("A".into()),
                album: None,
                album_artist: None,
                title: Some("T".into()),
                track_no: Some(1),
                year: None,
                genre: None,
                duration_ms: Some(1000),
            },
            tag_error: Some("x".into()),
            added_unix: 1_700_000_000,
        });
        let r = decode_record::<TrackRecord>(&bytes, "old").unwrap();
        assert_eq!(r.tags.artist.as_deref(), Some("A"));
        assert_eq!(r.tags.replaygain, None);
        assert_eq!(r.tag_error.as_deref(), Some("x"));
        assert_eq!(r.added_unix, 1_700_000_000);
        let mut new = TrackRecord {
            path: b"/m/b.flac".to_vec(),
            size: 10,
            mtime_ns: 20,
            tags: Tags::default(),
            tag_error: None,
            added_unix: 5,
        };
        new.tags.replaygain = Some(crate::audio::gain::ReplayGainTags {
            track_gain_db: Some(-6.5),
            ..Default::default()
        });
        assert_eq!(
            decode_record::<TrackRecord>(&encode_record(&new), "new").unwrap(),
            new
        );
    }
}
