//! A file cache of per-track features (log-mel spectrograms, or trunk embeddings per patch),
//! keyed by the file's path, size and mtime and by the parameters that produced them, so a
//! second training run on the same folder skips decoding and the trunk.

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
}

impl FeatureCache {
    /// The cache for parameters `key` under `root` (e.g. the XDG cache dir).
    pub fn new(root: &Path, key: &str) -> Self {
        let h = blake3::hash(key.as_bytes()).to_hex();
        FeatureCache {
            dir: root.join("features").join(&h.as_str()[..16]),
        }
    }

    fn entry(&self, path: &Path) -> Option<PathBuf> {
        let meta = std::fs::metadata(path).ok()?;
        let (size, mtime) = file_stamp(&meta);
        let mut h = blake3::Hasher::new();
        h.update(path.as_os_str().as_bytes());
        h.update(&size.to_le_bytes());
        h.update(&mtime.to_le_bytes());
        let name = h.finalize().to_hex();
        Some(
            self.dir
                .join(&name.as_str()[..2])
                .join(format!("{}.bin", &name.as_str()[2..32])),
        )
    }

    /// The cached features of `path` as it is now, if any.
    pub fn get(&self, path: &Path) -> Option<CachedFeatures> {
        self.get_noted(path).map(|(f, _)| f)
    }

    /// The cached features of `path` and the note stored with them (why the file is partial).
    pub fn get_noted(&self, path: &Path) -> Option<(CachedFeatures, Option<String>)> {
        let bytes = std::fs::read(self.entry(path)?).ok()?;
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
        let write = || -> std::io::Result<()> {
            if let Some(d) = target.parent() {
                std::fs::create_dir_all(d)?;
            }
            let tmp = target.with_extension(format!("tmp{}", std::process::id()));
            let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
            out.write_all(MAGIC)?;
            out.write_all(&(f.rows as u32).to_le_bytes())?;
            out.write_all(&(f.dims as u32).to_le_bytes())?;
            for v in &f.data {
                out.write_all(&v.to_le_bytes())?;
            }
            if let Some(n) = note {
                out.write_all(&(n.len() as u32).to_le_bytes())?;
                out.write_all(n.as_bytes())?;
            }
            out.flush()?;
            drop(out);
            std::fs::rename(&tmp, &target)
        };
        if let Err(e) = write() {
            tracing::warn!(path = %target.display(), error = %e, "cannot write the feature cache");
        }
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
        // A changed file misses.
        std::fs::write(&audio, b"changed!").unwrap();
        assert!(c.get(&audio).is_none());
    }
}
