//! The store's errors: what went wrong, named for the user with what to do about it — a full
//! disk or a read-only file system as such, never with advice that deletes data.

use std::path::{Path, PathBuf};

use super::tree::TreeError;

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database at {} was written by a newer genreplay (schema {found}, this build knows {SCHEMA_VERSION}); \
         upgrade genreplay, use another --data-dir, or run `genreplay db reset` to start over",
        path.display()
    )]
    NewerSchema { path: PathBuf, found: u32 },
    #[error("{}", locked_message(path, *pid))]
    Locked { path: PathBuf, pid: Option<u32> },
    #[error(
        "the database at {} cannot be written ({reason}); nothing was changed. \
         Make the folder writable, or use a writable --data-dir",
        path.display()
    )]
    ReadOnly { path: PathBuf, reason: String },
    #[error("{}", no_space_message(path.as_deref(), *free_bytes, *needed_bytes))]
    NoSpace {
        path: Option<PathBuf>,
        free_bytes: Option<u64>,
        needed_bytes: Option<u64>,
    },
    #[error(
        "the database at {} cannot be opened ({reason}); your data is unchanged; use another --data-dir to work meanwhile",
        path.display()
    )]
    Open { path: PathBuf, reason: String },
    #[error("database error: {0}")]
    Sled(sled::Error),
    #[error("database record {what} is unreadable: {reason}")]
    Decode { what: String, reason: String },
    #[error("refusing to store {what}: it holds NaN or infinite values")]
    NonFinite { what: String },
}

fn locked_message(path: &Path, pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!(
            "genreplay is already running (pid {pid}) and has the database at {} open; \
             quit it first, or use another --data-dir",
            path.display()
        ),
        None => format!(
            "the database at {} is in use by another process (it is locked); \
             quit the other genreplay first, or use another --data-dir",
            path.display()
        ),
    }
}

/// Bytes as "12.3 MB".
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn no_space_message(path: Option<&Path>, free: Option<u64>, needed: Option<u64>) -> String {
    let mut m = match path {
        Some(p) => format!("the disk holding {} is full", p.display()),
        None => "the disk holding the database is full".to_string(),
    };
    if let Some(f) = free {
        m.push_str(&format!(" ({} free)", human_bytes(f)));
    }
    match needed {
        Some(n) => m.push_str(&format!(
            "; free at least {} and run the command again (nothing stored so far is lost)",
            human_bytes(n)
        )),
        None => m.push_str(
            "; free some space and run the command again (nothing stored so far is lost)",
        ),
    }
    m
}

/// What kind of I/O failure an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoKind {
    NoSpace,
    ReadOnly(&'static str),
}

/// Recognises a full disk or a read-only file system in an I/O error.
pub fn io_kind(e: &std::io::Error) -> Option<IoKind> {
    match e.raw_os_error() {
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => return Some(IoKind::NoSpace),
        Some(libc::EROFS) => return Some(IoKind::ReadOnly("read-only file system")),
        Some(libc::EACCES) | Some(libc::EPERM) => {
            return Some(IoKind::ReadOnly("permission denied"));
        }
        _ => {}
    }
    match e.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            Some(IoKind::NoSpace)
        }
        std::io::ErrorKind::ReadOnlyFilesystem => Some(IoKind::ReadOnly("read-only file system")),
        std::io::ErrorKind::PermissionDenied => Some(IoKind::ReadOnly("permission denied")),
        _ => {
            let text = e.to_string();
            if text.contains("No space left") || text.contains("os error 28") {
                Some(IoKind::NoSpace)
            } else if text.contains("Read-only file system") || text.contains("os error 30") {
                Some(IoKind::ReadOnly("read-only file system"))
            } else {
                None
            }
        }
    }
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        if let sled::Error::Io(io) = &e {
            match io_kind(io) {
                Some(IoKind::NoSpace) => {
                    return StoreError::NoSpace {
                        path: None,
                        free_bytes: None,
                        needed_bytes: None,
                    };
                }
                Some(IoKind::ReadOnly(reason)) => {
                    return StoreError::ReadOnly {
                        path: PathBuf::from("(the data folder)"),
                        reason: reason.to_string(),
                    };
                }
                None => {}
            }
        }
        StoreError::Sled(e)
    }
}

impl StoreError {
    /// True for a full disk: work that writes must stop, not go on file by file.
    pub fn is_no_space(&self) -> bool {
        matches!(self, StoreError::NoSpace { .. })
    }

    /// True when no further write can succeed (full disk, read-only): stop at once.
    pub fn is_fatal_write(&self) -> bool {
        matches!(
            self,
            StoreError::NoSpace { .. } | StoreError::ReadOnly { .. } | StoreError::Locked { .. }
        )
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl From<TreeError> for StoreError {
    fn from(e: TreeError) -> Self {
        match e {
            TreeError::Sled(e) => StoreError::Sled(e),
            TreeError::Decode { what, reason } => StoreError::Decode { what, reason },
        }
    }
}

/// Free bytes on the file system holding `path` (the nearest existing ancestor).
pub fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let mut p = path;
    while !p.exists() {
        p = p.parent()?;
    }
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a valid NUL-terminated path and `st` a properly sized, zeroed struct.
    unsafe {
        let mut st: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(c.as_ptr(), &mut st) == 0 {
            Some(st.f_bavail as u64 * st.f_frsize as u64)
        } else {
            None
        }
    }
}

impl StoreError {
    /// The error with the database's folder filled in (and for a full disk, the free space).
    pub fn with_path(self, path: &Path) -> StoreError {
        match self {
            StoreError::NoSpace {
                path: None,
                needed_bytes,
                ..
            } => StoreError::NoSpace {
                free_bytes: free_bytes(path),
                path: Some(path.to_path_buf()),
                needed_bytes,
            },
            StoreError::ReadOnly { reason, .. } => StoreError::ReadOnly {
                path: path.to_path_buf(),
                reason,
            },
            other => other,
        }
    }

    /// A full disk, saying how much space is needed.
    pub fn needing(self, bytes: u64) -> StoreError {
        match self {
            StoreError::NoSpace {
                path, free_bytes, ..
            } => StoreError::NoSpace {
                path,
                free_bytes,
                needed_bytes: Some(bytes),
            },
            other => other,
        }
    }
}

pub(super) fn transaction_error(e: sled::transaction::TransactionError<()>) -> StoreError {
    match e {
        sled::transaction::TransactionError::Storage(s) => StoreError::from(s),
        sled::transaction::TransactionError::Abort(()) => StoreError::Decode {
            what: "transaction".into(),
            reason: "aborted".into(),
        },
    }
}
