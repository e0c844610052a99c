//! Who has the database open: sled's lock on its `db` file (and who holds it, from
//! /proc/locks), and the pid file the holder writes, so a second process can say "genreplay is
//! already running (pid N)".

use std::path::{Path, PathBuf};

/// The pid of the process that has the database open, inside the database folder.
pub const PID_FILE: &str = "genreplay.pid";

/// Whether process `pid` exists.
pub(super) fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The pid file of an open database; removed when the last handle goes.
#[derive(Debug)]
pub(super) struct PidFile {
    path: PathBuf,
}

impl PidFile {
    pub(super) fn write(dir: &Path) -> Option<Self> {
        let path = dir.join(PID_FILE);
        let tmp = dir.join(format!(".{PID_FILE}.tmp-{}", std::process::id()));
        let ok = std::fs::write(&tmp, format!("{}\n", std::process::id()))
            .and_then(|_| std::fs::rename(&tmp, &path));
        match ok {
            Ok(()) => Some(PidFile { path }),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                tracing::warn!(path = %path.display(), error = %e, "cannot write the pid file");
                None
            }
        }
    }

    pub(super) fn read(dir: &Path) -> Option<u32> {
        std::fs::read_to_string(dir.join(PID_FILE))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if PidFile::read(self.path.parent().unwrap_or(Path::new("."))) == Some(std::process::id()) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The file sled locks while a process has the database in folder `path` open.
fn lock_file(path: &Path) -> PathBuf {
    path.join("db")
}

/// Whether another open handle (this process or another) holds the database in `path`.
pub fn in_use(path: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(f) = std::fs::OpenOptions::new().read(true).open(lock_file(path)) else {
        return false;
    };
    // SAFETY: flock on a file descriptor we own; the lock (if taken) goes with the file.
    let free = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    !free
}

/// The process holding the database's lock, where the system says (Linux: /proc/locks).
pub fn lock_holder(path: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let ino = std::fs::metadata(lock_file(path)).ok()?.ino();
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
    locks.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let (kind, pid, dev_ino) = (f.get(1)?, f.get(4)?, f.get(5)?);
        let lock_ino: u64 = dev_ino.rsplit(':').next()?.parse().ok()?;
        (*kind == "FLOCK" && lock_ino == ino)
            .then(|| pid.parse().ok())
            .flatten()
    })
}
