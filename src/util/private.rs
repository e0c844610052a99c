//! Folders and files that are this user's alone: the data folder (database, models,
//! playlists, state, log, the control socket) is created with mode 0700, what genreplay writes
//! in it with 0600, and an older, more open one is tightened at start (never deleted, and
//! never a file of another user). A folder is checked on an open handle ([`PrivateDir`]), so
//! it cannot be swapped between the check and its use; a socket in it whose path is too long
//! for a socket address is reached through that handle (`/proc/self/fd/N/name`) rather than
//! from a shorter, predictable place.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Mode of the folders genreplay makes.
pub const DIR_MODE: u32 = 0o700;
/// Mode of the files genreplay makes.
pub const FILE_MODE: u32 = 0o600;
/// The longest path a Unix socket address holds (`sun_path` less its NUL).
pub const MAX_SOCKET_PATH: usize = 107;

#[derive(Debug, thiserror::Error)]
pub enum PrivateError {
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(
        "{} belongs to another user (uid {owner}, you are uid {me}); genreplay keeps its data \
         only in a folder of yours: use another --data-dir",
        path.display()
    )]
    NotOurs { path: PathBuf, owner: u32, me: u32 },
    #[error("{}: not a folder", .0.display())]
    NotAFolder(PathBuf),
    #[error(
        "{} is open to other users (mode {mode:o}) and could not be made private: {reason}",
        path.display()
    )]
    Open {
        path: PathBuf,
        mode: u32,
        reason: String,
    },
}

/// This process's effective user.
pub fn my_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PrivateError + '_ {
    move |error| PrivateError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// Makes `dir` a private folder: created 0700 when missing (missing parents with the usual
/// mode), its group and other permissions removed when it exists and is ours. A folder of
/// another user is an error (it is left as it is).
pub fn private_dir(dir: &Path) -> Result<(), PrivateError> {
    match std::fs::metadata(dir) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(io_err(parent))?;
            }
            match std::fs::DirBuilder::new().mode(DIR_MODE).create(dir) {
                Ok(()) => {}
                // Made meanwhile (another genreplay starting): checked below like any other.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err(dir)(e)),
            }
        }
        Err(e) => return Err(io_err(dir)(e)),
    }
    PrivateDir::open(dir).map(|_| ())
}

/// An open handle on a private folder: a folder, ours, with no permissions for group or
/// others, as its handle says (a path checked and then used could be another folder by then).
#[derive(Debug)]
pub struct PrivateDir {
    handle: File,
    path: PathBuf,
}

impl PrivateDir {
    /// Opens `dir` (following symbolic links to it; it is not created) and checks that it is a
    /// folder of ours; one that is open to others is made private.
    pub fn open(dir: &Path) -> Result<Self, PrivateError> {
        let handle = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC)
            .open(dir)
            .map_err(|e| {
                if e.raw_os_error() == Some(libc::ENOTDIR) {
                    PrivateError::NotAFolder(dir.to_path_buf())
                } else {
                    io_err(dir)(e)
                }
            })?;
        let meta = handle.metadata().map_err(io_err(dir))?;
        let me = my_uid();
        if meta.uid() != me {
            return Err(PrivateError::NotOurs {
                path: dir.to_path_buf(),
                owner: meta.uid(),
                me,
            });
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o077 != 0 {
            let refused = |reason: String| PrivateError::Open {
                path: dir.to_path_buf(),
                mode,
                reason,
            };
            // Through the handle's /proc name: the folder checked is the folder changed.
            let by_handle = PathBuf::from(format!("/proc/self/fd/{}", handle.as_raw_fd()));
            let target = if by_handle.exists() {
                by_handle
            } else {
                dir.to_path_buf()
            };
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode & !0o077))
                .map_err(|e| refused(e.to_string()))?;
            tracing::info!(
                "{}: made private (mode {:o} → {:o})",
                dir.display(),
                mode,
                mode & !0o077
            );
        }
        Ok(PrivateDir {
            handle,
            path: dir.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// An address for `name` in this folder that fits a socket address: the path itself, or —
    /// when that is too long — the same file through this handle (`/proc/self/fd/N/name`),
    /// valid while the handle is open.
    pub fn socket_address(&self, name: &str) -> PathBuf {
        let direct = self.path.join(name);
        if direct.as_os_str().len() <= MAX_SOCKET_PATH {
            direct
        } else {
            PathBuf::from(format!("/proc/self/fd/{}/{name}", self.handle.as_raw_fd()))
        }
    }
}

/// Removes the group and other permissions of every folder and file of ours under `root`, at
/// most `depth` levels down (symbolic links are not followed; nothing is deleted; another
/// user's files are left as they are). Returns how many were changed.
pub fn tighten_tree(root: &Path, depth: usize) -> usize {
    let me = my_uid();
    let mut changed = 0;
    for entry in walkdir::WalkDir::new(root)
        .max_depth(depth)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
    {
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        let kind = meta.file_type();
        if kind.is_symlink() || !(kind.is_dir() || kind.is_file()) || meta.uid() != me {
            continue;
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o077 != 0
            && std::fs::set_permissions(
                entry.path(),
                std::fs::Permissions::from_mode(mode & !0o077),
            )
            .is_ok()
        {
            changed += 1;
        }
    }
    changed
}

/// A temporary name beside `target`, unique in this process (and across processes by pid).
fn temp_beside(target: &Path) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = N.fetch_add(1, Ordering::Relaxed);
    target.with_file_name(format!(".{name}.{}-{n}.tmp", std::process::id()))
}

/// Writes `bytes` to a new temporary file beside `target` with `mode`, synced.
fn write_temp(target: &Path, bytes: &[u8], mode: u32) -> std::io::Result<PathBuf> {
    let tmp = temp_beside(target);
    let written = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        // The mode asked for, whatever the umask.
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    match written {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Creates `target` with `bytes` (mode 0600), whole or not at all, and never over an existing
/// file: `AlreadyExists` then, and the file is left as it was.
pub fn write_new(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = write_temp(target, bytes, FILE_MODE)?;
    // A hard link is made only where no file is: atomic and never replacing.
    let linked = std::fs::hard_link(&tmp, target);
    let result = match linked {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        // A file system without hard links: create-or-fail, then write.
        Err(_) => OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .open(target)
            .and_then(|mut f| {
                f.write_all(bytes)?;
                f.sync_all()
            }),
    };
    let _ = std::fs::remove_file(&tmp);
    result
}

/// Replaces the file at `target` with `bytes`, whole or not at all (a temporary file renamed
/// over it); the file keeps its permissions (a new one gets 0600). A symbolic link is
/// followed: the file it names is the one replaced.
pub fn replace(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let real = match std::fs::canonicalize(target) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => target.to_path_buf(),
        Err(e) => return Err(e),
    };
    let mode = std::fs::metadata(&real).map_or(FILE_MODE, |m| m.mode() & 0o777);
    let tmp = write_temp(&real, bytes, mode)?;
    std::fs::rename(&tmp, &real).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Renames `from` to `to` within one folder, never over an existing file (`AlreadyExists`).
pub fn rename_new(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(from, to) {
        Ok(()) => std::fs::remove_file(from),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => {
            // No hard links here: look, then rename (a file made between the two is the only
            // case left open, on such file systems).
            if to.symlink_metadata().is_ok() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("{} exists", to.display()),
                ));
            }
            std::fs::rename(from, to)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().mode() & 0o777
    }

    #[test]
    fn private_folders_are_made_and_tightened_never_emptied() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("a/b/data");
        private_dir(&d).unwrap();
        assert_eq!(mode(&d), 0o700);
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        let f = d.join("x/y.txt");
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(&f, "kept").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        PrivateDir::open(&d).unwrap();
        assert_eq!(mode(&d), 0o700, "tightened when opened");
        assert!(tighten_tree(&d, usize::MAX) >= 2);
        assert_eq!(mode(&f), 0o600);
        assert_eq!(mode(f.parent().unwrap()), 0o700);
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "kept");
        assert!(matches!(
            PrivateDir::open(&f),
            Err(PrivateError::NotAFolder(_))
        ));
    }

    #[test]
    fn long_paths_get_a_socket_address_through_the_handle() {
        let t = tempfile::tempdir().unwrap();
        let long = t.path().join("x".repeat(150));
        private_dir(&long).unwrap();
        let d = PrivateDir::open(&long).unwrap();
        let a = d.socket_address("s.sock");
        assert!(a.as_os_str().len() <= MAX_SOCKET_PATH, "{}", a.display());
        assert!(a.starts_with("/proc/self/fd/"));
        let l = std::os::unix::net::UnixListener::bind(&a).unwrap();
        assert!(
            long.join("s.sock").exists(),
            "the socket is in the folder itself"
        );
        let _c = std::os::unix::net::UnixStream::connect(&a).unwrap();
        drop(l);
    }

    #[test]
    fn writes_are_whole_and_never_replace_another_file() {
        let t = tempfile::tempdir().unwrap();
        let a = t.path().join("a.m3u8");
        write_new(&a, b"one").unwrap();
        assert_eq!(mode(&a), 0o600);
        let e = write_new(&a, b"two").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&a).unwrap(), b"one");
        std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o640)).unwrap();
        replace(&a, b"three").unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"three");
        assert_eq!(mode(&a), 0o640, "a replaced file keeps its mode");
        let b = t.path().join("b.m3u8");
        write_new(&b, b"bee").unwrap();
        let e = rename_new(&a, &b).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&b).unwrap(), b"bee");
        let c = t.path().join("c.m3u8");
        rename_new(&a, &c).unwrap();
        assert!(!a.exists());
        assert_eq!(std::fs::read(&c).unwrap(), b"three");
        let names: Vec<_> = std::fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
    }
}
