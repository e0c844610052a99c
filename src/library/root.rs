//! Whether the library folder is there. A folder that is missing (renamed, deleted, a disk
//! unmounted), not a folder, unreadable, or empty while the database knows tracks in it (an
//! unmounted disk leaves its empty mount point) is *offline*: its tracks are kept, not taken
//! for deleted, until it is back. The scan and the watcher ask this before they remove
//! anything.

use std::path::{Path, PathBuf};

/// Why the library folder counts as not there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the library folder {} is not there ({why}); its tracks are kept until it is back",
    root.display()
)]
pub struct Offline {
    pub root: PathBuf,
    pub why: String,
}

/// `Err` when the library folder `root` is offline; `known` counts the tracks the database has
/// in it (asked only of an empty folder, which is offline when it should hold some).
pub fn check(root: &Path, known: impl FnOnce() -> usize) -> Result<(), Offline> {
    let offline = |why: String| Offline {
        root: root.to_path_buf(),
        why,
    };
    let meta = std::fs::metadata(root).map_err(|e| {
        offline(if e.kind() == std::io::ErrorKind::NotFound {
            "no such folder: renamed, deleted, or a disk not mounted".into()
        } else {
            e.to_string()
        })
    })?;
    if !meta.is_dir() {
        return Err(offline("not a folder".into()));
    }
    let mut entries = std::fs::read_dir(root).map_err(|e| offline(e.to_string()))?;
    if entries.next().is_none() {
        let known = known();
        if known > 0 {
            return Err(offline(format!(
                "empty, where {known} tracks were: a disk not mounted?"
            )));
        }
    }
    Ok(())
}

/// How many tracks `store` has below `root` (read only when a folder is empty).
pub fn known_tracks(store: &crate::store::Store, root: &Path) -> usize {
    let mut n = 0;
    let counted = store.for_each_track(|_, r| {
        if r.path().starts_with(root) {
            n += 1;
        }
    });
    match counted {
        Ok(()) => n,
        // Unreadable: some are known, so nothing is taken for deleted.
        Err(e) => {
            tracing::warn!("{e}");
            n.max(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_and_empty_folders_with_known_tracks_are_offline() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("music");
        let none = || 0;
        let three = || 3;
        assert!(
            check(&root, none)
                .unwrap_err()
                .why
                .contains("no such folder")
        );
        std::fs::write(&root, b"x").unwrap();
        assert!(check(&root, none).unwrap_err().why.contains("not a folder"));
        std::fs::remove_file(&root).unwrap();
        std::fs::create_dir(&root).unwrap();
        assert_eq!(
            check(&root, none),
            Ok(()),
            "an empty new library is a library"
        );
        assert!(check(&root, three).unwrap_err().why.contains("empty"));
        std::fs::create_dir(root.join("a")).unwrap();
        assert_eq!(check(&root, three), Ok(()));
    }
}
