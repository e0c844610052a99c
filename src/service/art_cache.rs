//! The art cache (`<cache>/art`): embedded covers written as files, so the desktop (MPRIS
//! `mpris:artUrl`) can show them. A file is named by the hash of its bytes (an album's tracks
//! share one); each start prunes the cache to its newest [`MAX_FILES`] files and [`MAX_BYTES`]
//! bytes (a picture used again counts as new), so it never grows without bound. Only files of
//! the cache's own naming are ever removed.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Pictures kept at most.
pub const MAX_FILES: usize = 500;
/// Bytes kept at most (the pictures' sizes summed).
pub const MAX_BYTES: u64 = 256 << 20;

/// Writes an embedded picture to `dir` as `<content hash>.<png|jpg|gif|webp|img>` (atomically,
/// once) and returns its path; `None` when it cannot be written.
pub fn store(dir: &Path, bytes: &[u8]) -> Option<PathBuf> {
    // The limit Now playing draws within: a larger picture is no cover here either.
    if bytes.len() > crate::library::art::MAX_ENCODED_BYTES {
        tracing::debug!(
            "MPRIS cover: an embedded picture of {} bytes is too large",
            bytes.len()
        );
        return None;
    }
    let ext = match bytes {
        [0x89, b'P', b'N', b'G', ..] => "png",
        [0xff, 0xd8, ..] => "jpg",
        [b'G', b'I', b'F', ..] => "gif",
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => "webp",
        _ => "img",
    };
    let name = format!("{}.{ext}", blake3::hash(bytes).to_hex());
    let path = dir.join(&name);
    if path.is_file() {
        // Used again: the newest in the cache, the last to be pruned.
        if let Ok(f) = std::fs::File::options().append(true).open(&path) {
            let _ = f.set_modified(SystemTime::now());
        }
        return Some(path);
    }
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".{name}.{}", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)
    };
    match write() {
        Ok(()) => Some(path),
        Err(e) => {
            tracing::debug!("art cache: {}: {e}", dir.display());
            None
        }
    }
}

/// True for a name this cache writes: `<64 hex digits>.<ext>`, or a temporary `.<that>.<pid>`.
fn ours(name: &str) -> bool {
    let base = name.strip_prefix('.').unwrap_or(name);
    let (hash, _) = base.split_once('.').unwrap_or((base, ""));
    hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Removes the oldest pictures (by modification time) beyond `max_files` files or `max_bytes`
/// bytes, and temporary files left by a crash; returns how many were removed.
pub fn prune(dir: &Path, max_files: usize, max_bytes: u64) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut files: Vec<(SystemTime, u64, PathBuf)> = Vec::new();
    let mut removed = 0;
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(meta) = e.metadata() else { continue };
        if !meta.is_file() || !ours(&name) {
            continue;
        }
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if name.starts_with('.') {
            // A temporary file of a write that never finished (an hour is long enough).
            let stale = modified.elapsed().is_ok_and(|age| age.as_secs() > 3600);
            if stale && std::fs::remove_file(e.path()).is_ok() {
                removed += 1;
            }
            continue;
        }
        files.push((modified, meta.len(), e.path()));
    }
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    let mut bytes = 0u64;
    for (i, (_, len, path)) in files.iter().enumerate() {
        bytes = bytes.saturating_add(*len);
        if (i >= max_files || bytes > max_bytes) && std::fs::remove_file(path).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(
            "art cache: removed {removed} old pictures from {}",
            dir.display()
        );
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn an_embedded_cover_is_written_once() {
        let d = tempfile::tempdir().unwrap();
        let art = d.path().join("cache/art");
        let png = [0x89, b'P', b'N', b'G', 1, 2, 3];
        let a = store(&art, &png).unwrap();
        assert_eq!(a.extension().unwrap(), "png");
        assert_eq!(std::fs::read(&a).unwrap(), png);
        // The same picture (another track of the album): the same file, not a second one.
        assert_eq!(store(&art, &png), Some(a.clone()));
        assert_eq!(std::fs::read_dir(&art).unwrap().count(), 1);
        assert_eq!(
            store(&art, &[0xff, 0xd8, 9]).unwrap().extension().unwrap(),
            "jpg"
        );
        // Over the limit Now playing draws within: no file.
        let huge = vec![0u8; crate::library::art::MAX_ENCODED_BYTES + 1];
        assert_eq!(store(&art, &huge), None);
    }

    fn aged(path: &Path, secs_ago: u64) {
        let f = std::fs::File::options().append(true).open(path).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(secs_ago))
            .unwrap();
    }

    #[test]
    fn pruning_keeps_the_newest_and_only_touches_its_own_files() {
        let d = tempfile::tempdir().unwrap();
        let art = d.path();
        let mut made = Vec::new();
        for i in 0..5u8 {
            let p = store(art, &[0xff, 0xd8, i, i, i, i]).unwrap();
            aged(&p, 1000 * (5 - i as u64));
            made.push(p);
        }
        // Reused: the oldest becomes the newest.
        assert_eq!(store(art, &[0xff, 0xd8, 0, 0, 0, 0]), Some(made[0].clone()));
        let mine = art.join("notes.txt");
        std::fs::write(&mine, b"not a picture").unwrap();
        aged(&mine, 99_999);
        let tmp = art.join(format!(".{}.jpg.123", "a".repeat(64)));
        std::fs::write(&tmp, b"half").unwrap();
        aged(&tmp, 7200);
        assert_eq!(prune(art, 3, u64::MAX), 3);
        let left: Vec<bool> = made.iter().map(|p| p.exists()).collect();
        assert_eq!(left, [true, false, false, true, true]);
        assert!(mine.exists(), "a file the cache did not write stays");
        assert!(!tmp.exists(), "a stale temporary file goes");
        // By size: each picture is 6 bytes; 13 bytes keep two.
        assert_eq!(prune(art, 100, 13), 1);
        assert_eq!(made.iter().filter(|p| p.exists()).count(), 2);
        assert!(made[0].exists() && made[4].exists());
        assert_eq!(prune(&art.join("missing"), 1, 1), 0);
    }
}
