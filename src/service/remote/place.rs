//! Where the socket is (the data folder, reached through its handle when the path is too
//! long) and who is at the other end (SO_PEERCRED).

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use super::protocol::*;
use crate::util::private::{PrivateDir, PrivateError, my_uid};

/// Why the socket cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    /// The data folder is not a private folder of this user's (and could not be made one).
    #[error(transparent)]
    Folder(#[from] PrivateError),
    /// What listens at the socket runs as another user: it is not our player.
    #[error(
        "a process of another user (uid {uid}) listens at {}; refusing to talk to it",
        path.display()
    )]
    Impostor { path: PathBuf, uid: u32 },
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// Where the player of `data_dir` listens: `genreplay.sock` in the data folder itself, a
/// private folder (0700, this user's), never anywhere else.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    let dir = std::fs::canonicalize(data_dir)
        .or_else(|_| std::path::absolute(data_dir))
        .unwrap_or_else(|_| data_dir.to_path_buf());
    dir.join(SOCKET_NAME)
}

/// The socket's folder, open and checked private, and the address to bind or connect to: the
/// socket's path, or when that is longer than a socket address holds, the same file reached
/// through the folder's handle (so a long data folder never moves the socket elsewhere).
#[derive(Debug)]
pub(super) struct SocketPlace {
    /// Kept open: a long path's address goes through it.
    pub(super) _dir: PrivateDir,
    pub(super) path: PathBuf,
    pub(super) addr: PathBuf,
}

impl SocketPlace {
    pub(super) fn of(path: &Path) -> Result<SocketPlace, SocketError> {
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(SocketError::Io {
                path: path.to_path_buf(),
                error: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "not a socket path in a folder",
                ),
            });
        };
        let dir = PrivateDir::open(dir)?;
        let addr = dir.socket_address(&name.to_string_lossy());
        Ok(SocketPlace {
            _dir: dir,
            path: path.to_path_buf(),
            addr,
        })
    }
}

/// The user of the process at the other end of `stream` (the kernel's word: SO_PEERCRED).
pub fn peer_uid(stream: &UnixStream) -> std::io::Result<u32> {
    use std::os::fd::AsRawFd;
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid for writes of the sizes given, for a socket we own.
    let r = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(cred.uid)
}

/// Connects to the socket at `path`; `None` when nobody listens there. What answers must be
/// a process of this user: anything else is an impostor and nothing is sent to it.
pub(super) fn connect_checked(path: &Path) -> Result<Option<UnixStream>, SocketError> {
    let place = match SocketPlace::of(path) {
        Ok(p) => p,
        // No data folder yet: no player either.
        Err(SocketError::Folder(PrivateError::Io { error, .. }))
            if error.kind() == std::io::ErrorKind::NotFound =>
        {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let Ok(stream) = UnixStream::connect(&place.addr) else {
        return Ok(None);
    };
    let uid = peer_uid(&stream).map_err(|error| SocketError::Io {
        path: place.path.clone(),
        error,
    })?;
    if uid != my_uid() {
        return Err(SocketError::Impostor {
            path: place.path.clone(),
            uid,
        });
    }
    Ok(Some(stream))
}
