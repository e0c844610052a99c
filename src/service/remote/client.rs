//! The client side: `genreplay ctl` and forwarded commands connect, ask, and read frames.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::frame::*;
use super::place::*;
use super::protocol::*;

/// A connection to the running player.
pub struct Client {
    stream: UnixStream,
    /// The player's database folder (its lock names the player's pid).
    db: PathBuf,
}

/// How often a waiting client looks whether the player was suspended.
const SUSPEND_CHECK: Duration = Duration::from_millis(500);

impl Client {
    /// Connects to the player of `data_dir`; `None` when no player listens there. The data
    /// folder must be a private folder of this user's and the listener a process of this
    /// user's (checked before anything is sent).
    pub fn connect(data_dir: &Path) -> Result<Option<Client>, SocketError> {
        Ok(
            connect_checked(&socket_path(data_dir))?.map(|stream| Client {
                stream,
                db: data_dir.join("db"),
            }),
        )
    }

    /// Waits until the next frame begins to arrive, at most `idle`. A player that was
    /// suspended (ctrl-z in its terminal) would never answer: that is said at once.
    fn wait_for_data(&mut self, idle: Duration) -> Result<(), FrameError> {
        use std::os::fd::AsRawFd;
        let t0 = Instant::now();
        loop {
            let left = idle.saturating_sub(t0.elapsed());
            if left.is_zero() {
                return Err(FrameError::TimedOut);
            }
            let mut fd = libc::pollfd {
                fd: self.stream.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = left.min(SUSPEND_CHECK).as_millis().max(1) as libc::c_int;
            // SAFETY: one pollfd for a socket this client owns, for the length given.
            match unsafe { libc::poll(&mut fd, 1, ms) } {
                // Data, or the end of the connection: read_frame tells which.
                n if n > 0 => return Ok(()),
                0 => {
                    if let Some(pid) =
                        crate::store::lock_holder(&self.db).filter(|&p| process_suspended(p))
                    {
                        return Err(FrameError::Suspended(pid));
                    }
                }
                _ => {
                    let e = std::io::Error::last_os_error();
                    if e.kind() != std::io::ErrorKind::Interrupted {
                        return Err(FrameError::Io(e));
                    }
                }
            }
        }
    }

    /// Sends `req`.
    pub fn send(&mut self, req: &Request) -> std::io::Result<()> {
        let body = serde_json::to_vec(req).map_err(std::io::Error::other)?;
        self.stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
        write_frame(&mut self.stream, REQUEST, &body)
    }

    /// The next frame; waits at most `idle` for it to begin and arrive.
    pub fn next_frame(&mut self, idle: Duration) -> Result<(u8, Vec<u8>), FrameError> {
        self.wait_for_data(idle)?;
        self.stream
            .set_read_timeout(Some(idle))
            .map_err(FrameError::Io)?;
        read_frame(&mut self.stream, MAX_FRAME, Some(Instant::now() + idle))
    }

    /// Sends `req` and reads the one [`Response`] it gets.
    pub fn ask(&mut self, req: &Request, wait: Duration) -> Result<Response, String> {
        self.send(req)
            .map_err(|e| format!("cannot talk to the player: {e}"))?;
        match self.next_frame(wait) {
            Ok((RESPONSE, body)) => serde_json::from_slice(&body)
                .map_err(|e| format!("the player's answer is unreadable: {e}")),
            Ok((k, _)) => Err(format!("the player answered with a frame of kind {k}")),
            Err(FrameError::Closed) => Err("the player closed the connection".into()),
            Err(e @ FrameError::Suspended(_)) => Err(e.to_string()),
            Err(e) => Err(format!("no answer from the player: {e}")),
        }
    }
}

/// The pid of the player running on `data_dir`, if one answers.
pub fn running_player(data_dir: &Path) -> Result<Option<u32>, SocketError> {
    let Some(mut c) = Client::connect(data_dir)? else {
        return Ok(None);
    };
    Ok(Some(match c.ask(&Request::Hello, STARTUP_ANSWER) {
        Ok(Response::Hello { pid, .. }) => pid,
        // Something listens but does not answer as a player (suspended, hung): still,
        // someone is there, most likely the player that holds the database.
        _ => crate::store::lock_holder(&data_dir.join("db")).unwrap_or(0),
    }))
}

/// What a second player start (or a command that needs the database to itself) says.
pub fn already_running(pid: u32, data_dir: &Path) -> String {
    if pid == 0 {
        format!(
            "something already listens at {} (a genreplay that does not answer?); \
             quit it, or use another --data-dir",
            socket_path(data_dir).display()
        )
    } else {
        format!(
            "genreplay is already running (pid {pid}) with the data in {}; drive it with \
             `genreplay ctl …`, or use another --data-dir",
            data_dir.display()
        )
    }
}
