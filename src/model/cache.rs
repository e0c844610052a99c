//! A file cache of per-track features (log-mel spectrograms, or trunk embeddings per patch),
//! keyed by the file's content and by the parameters that produced them, so a second training
//! run on the same folder skips decoding and the trunk, and byte-identical copies of a file
//! (the same album in two folders) are analysed once.
//!
//! A content hash needs the whole file read once: a small index from (path, size, mtime) to
//! the content hash, shared by every parameter set, spares the read on later lookups.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::library::scan::file_stamp;

const MAGIC: &[u8; 8] = b"GRFEAT01";

/// Cached rows × dims matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedFeatures {
    pub rows: usize,
    pub dims: usize,
    pub data: Vec<f32>,
}

/// One folder of cached features for one parameter set.
#[derive(Debug, Clone)]
pub struct FeatureCache {
    dir: PathBuf,
    /// (path, size, mtime) → content hash, for every parameter set.
    ids: PathBuf,
}

impl FeatureCache {
    /// The cache for parameters `key` under `root` (e.g. the XDG cache dir).
    pub fn new(root: &Path, key: &str) -> Self {
        let h = blake3::hash(key.as_bytes()).to_hex();
        FeatureCache {
            dir: root.join("features").join(&h.as_str()[..16]),
            ids: root.join("features").join("ids"),
        }
    }

    /// The hash of (path, size, mtime): names the file as it is now, without reading it.
    fn stamp(path: &Path) -> Option<String> {
        let meta = std::fs::metadata(path).ok()?;
        if !meta.is_file() {
            return None;
        }
        let (size, mtime) = file_stamp(&meta);
        let mut h = blake3::Hasher::new();
        h.update(path.as_os_str().as_bytes());
        h.update(&size.to_le_bytes());
        h.update(&mtime.to_le_bytes());
        Some(h.finalize().to_hex().to_string())
    }

    fn shard(dir: &Path, name: &str, ext: &str) -> PathBuf {
        dir.join(&name[..2]).join(format!("{}.{ext}", &name[2..32]))
    }

    /// The hash of the file's bytes, from the index when the file is unchanged since it was
    /// last hashed, else by reading it (and noting the result).
    fn content_id(&self, path: &Path) -> Option<String> {
        let stamp = Self::stamp(path)?;
        let note = Self::shard(&self.ids, &stamp, "id");
        if let Ok(id) = std::fs::read_to_string(&note)
            && id.len() == 64
            && id.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Some(id);
        }
        let mut h = blake3::Hasher::new();
        let mut f = std::fs::File::open(path).ok()?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match std::io::Read::read(&mut f, &mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    h.update(&buf[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
        let id = h.finalize().to_hex().to_string();
        // The file may have changed while it was read: only an unchanged stamp is noted.
        if Self::stamp(path).as_deref() == Some(stamp.as_str()) {
            write_atomically(&note, id.as_bytes());
        }
        Some(id)
    }

    fn entry(&self, path: &Path) -> Option<PathBuf> {
        let id = self.content_id(path)?;
        Some(Self::shard(&self.dir, &id, "bin"))
    }

    /// Where an earlier release kept the features of `path` (keyed by path, size and mtime).
    fn legacy_entry(&self, path: &Path) -> Option<PathBuf> {
        Self::stamp(path).map(|s| Self::shard(&self.dir, &s, "bin"))
    }

    /// The cached features of `path` as it is now, if any.
    pub fn get(&self, path: &Path) -> Option<CachedFeatures> {
        self.get_noted(path).map(|(f, _)| f)
    }

    /// The cached features of `path` and the note stored with them (why the file is partial).
    pub fn get_noted(&self, path: &Path) -> Option<(CachedFeatures, Option<String>)> {
        let entry = self.entry(path)?;
        let bytes = match std::fs::read(&entry) {
            Ok(b) => b,
            Err(_) => {
                // Written by an earlier release: moved to its content key.
                let old = self.legacy_entry(path)?;
                let b = std::fs::read(&old).ok()?;
                if let Some(d) = entry.parent() {
                    let _ = std::fs::create_dir_all(d);
                }
                let _ = std::fs::rename(&old, &entry);
                b
            }
        };
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return None;
        }
        let rows = u32::from_le_bytes(bytes[8..12].try_into().ok()?) as usize;
        let dims = u32::from_le_bytes(bytes[12..16].try_into().ok()?) as usize;
        let n = rows.checked_mul(dims)?.checked_mul(4)?;
        let body = bytes.get(16..16 + n)?;
        // After the matrix: nothing, or a note as a length and UTF-8 text.
        let note = match bytes.get(16 + n..) {
            Some([]) | None => None,
            Some(rest) => {
                let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
                Some(String::from_utf8(rest.get(4..4 + len)?.to_vec()).ok()?)
            }
        };
        let data = body
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Some((CachedFeatures { rows, dims, data }, note))
    }

    /// Stores features for `path` (written to a temporary file, then renamed: never torn).
    pub fn put(&self, path: &Path, f: &CachedFeatures) {
        self.put_noted(path, f, None)
    }

    /// Stores features for `path` with a note (why the file is partial).
    pub fn put_noted(&self, path: &Path, f: &CachedFeatures, note: Option<&str>) {
        let Some(target) = self.entry(path) else {
            return;
        };
        let mut bytes = Vec::with_capacity(16 + f.data.len() * 4);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(f.rows as u32).to_le_bytes());
        bytes.extend_from_slice(&(f.dims as u32).to_le_bytes());
        for v in &f.data {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        if let Some(n) = note {
            bytes.extend_from_slice(&(n.len() as u32).to_le_bytes());
            bytes.extend_from_slice(n.as_bytes());
        }
        write_atomically(&target, &bytes);
    }
}

const LOUDNESS_MAGIC: &[u8; 4] = b"GRLU";
const CUES_MAGIC: &[u8; 4] = b"GRMC";

impl FeatureCache {
    /// A small record of `n` f32s kept beside `path`'s features in a file ending `ext`.
    fn get_f32s(&self, path: &Path, ext: &str, magic: &[u8; 4], n: usize) -> Option<Vec<f32>> {
        let b = std::fs::read(self.entry(path)?.with_extension(ext)).ok()?;
        if b.len() != 4 + 4 * n || &b[..4] != magic {
            return None;
        }
        let v: Vec<f32> = b[4..]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        v.iter().all(|x| x.is_finite()).then_some(v)
    }

    fn put_f32s(&self, path: &Path, ext: &str, magic: &[u8; 4], values: &[f32]) {
        let Some(entry) = self.entry(path) else {
            return;
        };
        let mut bytes = magic.to_vec();
        for v in values {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        write_atomically(&entry.with_extension(ext), &bytes);
    }

    /// The loudness measured on the clip `path`'s features came from (kept beside them, so a
    /// rebuilt database gets its ReplayGain estimates back with the genres).
    pub fn get_loudness(&self, path: &Path) -> Option<crate::audio::loudness::Loudness> {
        let v = self.get_f32s(path, "lufs", LOUDNESS_MAGIC, 3)?;
        Some(crate::audio::loudness::Loudness {
            lufs: v[0],
            peak: v[1],
            secs: v[2],
        })
    }

    /// Keeps the clip's loudness beside `path`'s features.
    pub fn put_loudness(&self, path: &Path, l: &crate::audio::loudness::Loudness) {
        self.put_f32s(path, "lufs", LOUDNESS_MAGIC, &[l.lufs, l.peak, l.secs]);
    }

    /// The music cues of the clip `path`'s features came from.
    pub fn get_cues(&self, path: &Path) -> Option<crate::features::MusicCues> {
        let v = self.get_f32s(path, "cues", CUES_MAGIC, 3)?;
        Some(crate::features::MusicCues {
            persistence: v[0],
            pulse: v[1],
            low_energy: v[2],
        })
    }

    /// Keeps the clip's music cues beside `path`'s features.
    pub fn put_cues(&self, path: &Path, c: &crate::features::MusicCues) {
        self.put_f32s(
            path,
            "cues",
            CUES_MAGIC,
            &[c.persistence, c.pulse, c.low_energy],
        );
    }
}

/// Writes `bytes` to `target` through a temporary file and a rename (never torn); a failure
/// is logged (the cache is only a cache).
fn write_atomically(target: &Path, bytes: &[u8]) {
    let write = || -> std::io::Result<()> {
        if let Some(d) = target.parent() {
            std::fs::create_dir_all(d)?;
        }
        let tmp = target.with_extension(format!("tmp{}", std::process::id()));
        let mut out = std::fs::File::create(&tmp)?;
        out.write_all(bytes)?;
        drop(out);
        std::fs::rename(&tmp, target)
    };
    if let Err(e) = write() {
        tracing::warn!(path = %target.display(), error = %e, "cannot write the feature cache");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_invalidation_by_change() {
        let dir = tempfile::tempdir().unwrap();
        let audio = dir.path().join("a.wav");
        std::fs::write(&audio, b"one").unwrap();
        let c = FeatureCache::new(&dir.path().join("cache"), "params-1");
        assert!(c.get(&audio).is_none());
        let f = CachedFeatures {
            rows: 2,
            dims: 3,
            data: vec![1.0, 2.0, 3.0, 4.0, 5.0, -6.5],
        };
        c.put(&audio, &f);
        assert_eq!(c.get(&audio), Some(f.clone()));
        // Other parameters: another cache.
        assert!(
            FeatureCache::new(&dir.path().join("cache"), "params-2")
                .get(&audio)
                .is_none()
        );
        // A note (why the file is partial) comes back with the features.
        c.put_noted(&audio, &f, Some("truncated: 1.0 s of the declared 2.0 s"));
        assert_eq!(
            c.get_noted(&audio),
            Some((
                f.clone(),
                Some("truncated: 1.0 s of the declared 2.0 s".into())
            ))
        );
        assert_eq!(c.get(&audio), Some(f.clone()));
        // Loudness and music cues are kept beside the features; a damaged record is a miss.
        assert!(c.get_cues(&audio).is_none());
        let cues = crate::features::MusicCues {
            persistence: 0.8,
            pulse: 0.4,
            low_energy: 0.2,
        };
        c.put_cues(&audio, &cues);
        assert_eq!(c.get_cues(&audio), Some(cues));
        let l = crate::audio::loudness::Loudness {
            lufs: -14.0,
            peak: 0.9,
            secs: 30.0,
        };
        c.put_loudness(&audio, &l);
        assert_eq!(c.get_loudness(&audio), Some(l));
        let record = c.entry(&audio).unwrap().with_extension("cues");
        std::fs::write(&record, b"GRMC\x00").unwrap();
        assert!(c.get_cues(&audio).is_none());
        // A byte-identical copy elsewhere hits (analysed once); a renamed file keeps its
        // features.
        let copy = dir.path().join("copy of a.wav");
        std::fs::copy(&audio, &copy).unwrap();
        assert_eq!(c.get(&copy), Some(f.clone()));
        // A changed file misses (same size too).
        std::fs::write(&audio, b"two").unwrap();
        assert!(c.get(&audio).is_none());
        std::fs::write(&audio, b"changed!").unwrap();
        assert!(c.get(&audio).is_none());
        assert_eq!(c.get(&copy), Some(f));
    }

    #[test]
    fn features_an_earlier_release_stored_by_path_are_found_and_moved() {
        let dir = tempfile::tempdir().unwrap();
        let audio = dir.path().join("a.wav");
        std::fs::write(&audio, b"one").unwrap();
        let c = FeatureCache::new(&dir.path().join("cache"), "params-1");
        let f = CachedFeatures {
            rows: 1,
            dims: 2,
            data: vec![0.5, 1.5],
        };
        c.put(&audio, &f);
        let new = c.entry(&audio).unwrap();
        let old = c.legacy_entry(&audio).unwrap();
        std::fs::create_dir_all(old.parent().unwrap()).unwrap();
        std::fs::rename(&new, &old).unwrap();
        assert_eq!(c.get(&audio), Some(f));
        assert!(new.exists() && !old.exists());
    }
}
