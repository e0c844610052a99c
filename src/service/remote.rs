//! One owner, many clients: the running player listens on a Unix socket in its data folder.
//! `genreplay ctl …` sends commands through it (they reach the app as `Event::Remote`, so the
//! app stays the only owner of the player's state), and the read commands (`library`, `queue`,
//! `playlists`, `models`) run inside the player with its database handle while it holds the
//! database, their output streamed back to the terminal that asked.
//!
//! # Protocol
//!
//! Frames both ways: one kind byte, a big-endian `u32` length, then that many bytes.
//! - The client sends one [`REQUEST`] frame holding a JSON [`Request`].
//! - The player answers with one [`RESPONSE`] frame (a JSON [`Response`]) for `hello` and
//!   `ctl`, with event frames until it quits for `events` (`service::events`), or with [`STDOUT`] and [`STDERR`] frames and a final [`EXIT`] frame (one byte,
//!   the exit code) for `run`; then it closes the connection.
//!
//! Every input is treated as hostile: a request is at most [`MAX_REQUEST`] bytes and must
//! arrive within [`REQUEST_DEADLINE`]; bad UTF-8 or JSON gets an error answer; a client that
//! stops reading is dropped after [`WRITE_TIMEOUT`]; at most [`MAX_CLIENTS`] are served at
//! once (the rest are told the player is busy). Nothing here runs on the UI thread, and the
//! UI thread never waits for a client: it answers into a one-slot channel.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{RecvTimeoutError, Sender, bounded};
use serde::{Deserialize, Serialize};

use crate::app::Event;
use crate::app::remote::{RemoteCommand, RemoteReply, RemoteRequest, ReplyTo};
use crate::service::events::EventHub;
use crate::store::Store;
use crate::util::private::{PrivateDir, PrivateError, my_uid};

/// The socket's name inside the data folder.
pub const SOCKET_NAME: &str = "genreplay.sock";

/// Frame kinds.
pub const REQUEST: u8 = b'Q';
pub const RESPONSE: u8 = b'R';
pub const STDOUT: u8 = b'O';
pub const STDERR: u8 = b'E';
pub const EXIT: u8 = b'X';

/// The largest request the player reads (a `ctl add` of 10,000 files of ordinary names fits).
pub const MAX_REQUEST: usize = 1 << 20;
/// Requests larger than this are read and parsed one at a time (the others wait their turn
/// within [`REQUEST_DEADLINE`]): a parsed request takes several times its size, and eight
/// clients sending the largest at once must not add up.
pub const LARGE_REQUEST: usize = 64 * 1024;
/// The largest frame a client accepts from the player (a status or a command's output; the
/// status of a 50,000-track queue is ≈ 5 MB). The player only accepts [`MAX_REQUEST`].
pub const MAX_FRAME: usize = 256 << 20;
/// Clients served at once.
pub const MAX_CLIENTS: usize = 8;
/// A request must have arrived in full by then.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(5);
/// A client that takes no bytes for this long is dropped.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a `ctl` command waits for the app (it answers within a frame; this only matters
/// while the player is quitting or hung).
pub const APP_ANSWER: Duration = Duration::from_secs(5);
/// How long a client waits for a first answer: the player answers at once, except while it
/// starts (its socket is bound before it has loaded the library).
pub const STARTUP_ANSWER: Duration = Duration::from_secs(30);
/// Output is sent in frames of about this size.
const CHUNK: usize = 64 * 1024;

/// What a client asks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Who is there: the player's pid and version.
    Hello,
    /// A remote-control command for the app.
    Ctl { command: RemoteCommand },
    /// A CLI command line to run inside the player (`argv[0]` is the program), with the
    /// client's working folder for relative paths.
    Run { argv: Vec<String>, cwd: PathBuf },
    /// Follow the player's changes (`ctl events`): see `service::events`.
    Events,
}

/// What the player answers (in a [`RESPONSE`] frame).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    Hello { pid: u32, version: String },
    Reply { reply: Box<RemoteReply> },
    Error { message: String },
}

/// Runs a forwarded command line inside the player: `(argv, cwd, store, stdout, stderr)` →
/// exit code. The command code lives above the service layer, so the player is handed it.
pub type CommandRunner =
    Arc<dyn Fn(Vec<String>, PathBuf, Store, Box<dyn Write>, Box<dyn Write>) -> u8 + Send + Sync>;

// ------------------------------------------------------------------ framing

/// Writes one frame.
pub fn write_frame(w: &mut impl Write, kind: u8, payload: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&n| n as usize <= MAX_FRAME)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "frame too large"))?;
    let mut head = [0u8; 5];
    head[0] = kind;
    head[1..].copy_from_slice(&len.to_be_bytes());
    w.write_all(&head)?;
    w.write_all(payload)?;
    w.flush()
}

/// Why a frame could not be read.
#[derive(Debug)]
pub enum FrameError {
    /// The other side closed before a frame began.
    Closed,
    TooLarge(usize),
    TimedOut,
    /// The player (this pid) is suspended and cannot answer.
    Suspended(u32),
    Io(std::io::Error),
}

/// Whether process `pid` is stopped (ctrl-z, SIGSTOP), as Linux's /proc says.
pub fn process_suspended(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // "pid (comm) S …": the state follows the last ')' (the name may hold one).
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| state == "T" || state == "t")
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::Closed => write!(f, "the connection closed"),
            FrameError::TooLarge(n) => write!(f, "a frame of {n} bytes is too large"),
            FrameError::TimedOut => write!(f, "timed out"),
            FrameError::Suspended(pid) => write!(
                f,
                "genreplay (pid {pid}) is suspended and cannot answer; resume it (`fg` in its \
                 terminal, or `kill -CONT {pid}`) and try again"
            ),
            FrameError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Fills `buf`, giving up at `deadline` (the socket's read timeout is set per read).
fn read_full(
    s: &mut UnixStream,
    buf: &mut [u8],
    deadline: Option<Instant>,
) -> Result<usize, FrameError> {
    let mut got = 0;
    while got < buf.len() {
        if let Some(d) = deadline {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(FrameError::TimedOut);
            }
            s.set_read_timeout(Some(left)).map_err(FrameError::Io)?;
        }
        match s.read(&mut buf[got..]) {
            Ok(0) => return Ok(got),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(FrameError::TimedOut);
            }
            Err(e) => return Err(FrameError::Io(e)),
        }
    }
    Ok(got)
}

/// Reads one frame of at most `max` bytes, all of it by `deadline` (none: the socket's own
/// read timeout applies to each read).
pub fn read_frame(
    s: &mut UnixStream,
    max: usize,
    deadline: Option<Instant>,
) -> Result<(u8, Vec<u8>), FrameError> {
    let (kind, len) = read_head(s, max, deadline)?;
    Ok((kind, read_payload(s, len, deadline)?))
}

fn cut_short() -> FrameError {
    FrameError::Io(std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "the connection closed inside a frame",
    ))
}

/// A frame's kind and length (at most `max`: the length is checked before anything is
/// allocated for it).
fn read_head(
    s: &mut UnixStream,
    max: usize,
    deadline: Option<Instant>,
) -> Result<(u8, usize), FrameError> {
    let mut head = [0u8; 5];
    match read_full(s, &mut head, deadline)? {
        0 => return Err(FrameError::Closed),
        5 => {}
        _ => return Err(cut_short()),
    }
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > max {
        return Err(FrameError::TooLarge(len));
    }
    Ok((head[0], len))
}

/// The `len` bytes of a frame whose head was read.
fn read_payload(
    s: &mut UnixStream,
    len: usize,
    deadline: Option<Instant>,
) -> Result<Vec<u8>, FrameError> {
    let mut payload = vec![0u8; len];
    if read_full(s, &mut payload, deadline)? != len {
        return Err(cut_short());
    }
    Ok(payload)
}

// ------------------------------------------------------------------ where

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
struct SocketPlace {
    /// Kept open: a long path's address goes through it.
    _dir: PrivateDir,
    path: PathBuf,
    addr: PathBuf,
}

impl SocketPlace {
    fn of(path: &Path) -> Result<SocketPlace, SocketError> {
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
fn connect_checked(path: &Path) -> Result<Option<UnixStream>, SocketError> {
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

// ------------------------------------------------------------------ client side

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

// ------------------------------------------------------------------ server side

/// What each connection needs.
struct Context {
    events: Sender<Event>,
    store: Store,
    commands: Option<CommandRunner>,
    active: AtomicUsize,
    /// The subscribers of `events`.
    hub: EventHub,
}

/// The socket, bound but not served yet: a player binds it before it opens the database, so
/// a client never finds the database held and nobody listening (clients that connect now
/// wait in the backlog until [`Listening::serve`]). Dropped unserved, the socket goes.
pub struct Listening {
    place: SocketPlace,
    listener: Option<UnixListener>,
}

impl Listening {
    /// Binds `path` (in a private folder of this user's: see [`socket_path`]). A socket file
    /// left by a player that died is replaced; one that a live player answers on is an error
    /// (`AddrInUse`).
    pub fn bind(path: PathBuf) -> std::io::Result<Self> {
        let place = SocketPlace::of(&path).map_err(std::io::Error::other)?;
        let addr = &place.addr;
        let listener = match UnixListener::bind(addr) {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                if UnixStream::connect(addr).is_ok() {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::AddrInUse,
                        format!("another player listens at {}", path.display()),
                    ));
                }
                // Left behind by a player that did not get to clean up.
                std::fs::remove_file(addr)?;
                UnixListener::bind(addr)?
            }
            Err(e) => return Err(e),
        };
        // Only this user may drive the player (the folder is private too).
        std::fs::set_permissions(addr, std::fs::Permissions::from_mode(0o600))?;
        Ok(Listening {
            place,
            listener: Some(listener),
        })
    }

    pub fn path(&self) -> &Path {
        &self.place.path
    }

    /// Starts answering: `ctl` commands go to the app as events on `events`, forwarded
    /// command lines run with `commands` and `store`.
    pub fn serve(
        mut self,
        events: Sender<Event>,
        store: Store,
        commands: Option<CommandRunner>,
    ) -> std::io::Result<RemoteServer> {
        let hub = EventHub::default();
        let Some(listener) = self.listener.take() else {
            return Err(std::io::Error::other("the socket is already served"));
        };
        let place = SocketPlace::of(&self.place.path).map_err(std::io::Error::other)?;
        let place = std::mem::replace(&mut self.place, place);
        let path = place.path.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let ctx = Arc::new(Context {
            events,
            store,
            commands,
            active: AtomicUsize::new(0),
            hub: hub.clone(),
        });
        let flag = stop.clone();
        let addr = place.addr.clone();
        let ours = file_id(&place.addr);
        let thread = std::thread::Builder::new()
            .name("remote".into())
            .spawn(move || accept_loop(listener, place, ours, ctx, flag))?;
        Ok(RemoteServer {
            path,
            addr,
            stop,
            thread: Some(thread),
            hub,
        })
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        if self.listener.take().is_some() {
            let _ = std::fs::remove_file(&self.place.addr);
        }
    }
}

/// The listening player; [`RemoteServer::stop`] (or dropping it) closes the socket.
pub struct RemoteServer {
    path: PathBuf,
    /// The address the socket was bound at (see `SocketPlace`; valid while the accept loop
    /// holds the folder open).
    addr: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    hub: EventHub,
}

impl RemoteServer {
    /// The subscribers of `ctl events` on this socket.
    pub fn events(&self) -> &EventHub {
        &self.hub
    }

    /// Binds `path` and serves it at once ([`Listening::bind`], then [`Listening::serve`]).
    pub fn start(
        path: PathBuf,
        events: Sender<Event>,
        store: Store,
        commands: Option<CommandRunner>,
    ) -> std::io::Result<Self> {
        Listening::bind(path)?.serve(events, store, commands)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops listening and removes the socket (within [`ACCEPT_TICK`], even when the socket
    /// file is gone). Connections being served finish by themselves (a `ctl` waiting for the
    /// app hears that the player is quitting).
    pub fn stop(&mut self) {
        if self.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the accept loop now (it also looks every ACCEPT_TICK); it removes its socket
        // file as it ends.
        let _ = UnixStream::connect(&self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RemoteServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Decrements the count of clients being served when a connection ends, however it ends.
struct Slot(Arc<Context>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How often the accept loop looks at the stop flag and at its socket file.
const ACCEPT_TICK: Duration = Duration::from_millis(100);

/// Whether a connection waits on `listener`, after at most `wait`.
fn readable(listener: &UnixListener, wait: Duration) -> bool {
    use std::os::fd::AsRawFd;
    let mut fd = libc::pollfd {
        fd: listener.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd for a socket this thread owns, for the length given.
    unsafe { libc::poll(&mut fd, 1, wait.as_millis() as libc::c_int) > 0 }
}

type FileId = (u64, u64, i64, i64);

/// The socket file's identity, to notice when it is deleted or replaced (an inode number
/// alone may be reused at once: the change time tells the new file apart).
fn file_id(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino(), m.ctime(), m.ctime_nsec()))
}

fn accept_loop(
    mut listener: UnixListener,
    place: SocketPlace,
    mut ours: Option<FileId>,
    ctx: Arc<Context>,
    stop: Arc<AtomicBool>,
) {
    let path = &place.addr;
    let mut last_look = Instant::now();
    loop {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if !readable(&listener, ACCEPT_TICK) {
            // The socket file deleted (by hand, or a cleaner of /tmp): listen again, or
            // clients would find a held database and nobody to ask.
            if last_look.elapsed() >= Duration::from_secs(1) {
                last_look = Instant::now();
                if file_id(path).is_none()
                    && let Ok(l) = UnixListener::bind(path)
                {
                    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
                    tracing::info!(
                        "remote: {} was deleted; listening again",
                        place.path.display()
                    );
                    listener = l;
                    ours = file_id(path);
                }
            }
            continue;
        }
        let conn = listener.accept().map(|(s, _)| s);
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let mut stream = match conn {
            Ok(s) => s,
            Err(e) => {
                // Out of file descriptors and the like: do not spin.
                tracing::warn!("remote: accept: {e}");
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        // Only this user drives the player (the folder keeps others out; root is not let in
        // either): another user's connection is closed unanswered.
        match peer_uid(&stream) {
            Ok(uid) if uid == my_uid() => {}
            Ok(uid) => {
                tracing::warn!("remote: refused a connection from uid {uid}");
                continue;
            }
            Err(e) => {
                tracing::warn!("remote: refused a connection whose user is unknown: {e}");
                continue;
            }
        }
        if ctx.active.fetch_add(1, Ordering::SeqCst) >= MAX_CLIENTS {
            ctx.active.fetch_sub(1, Ordering::SeqCst);
            let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
            respond(
                &mut stream,
                &Response::Error {
                    message: format!("the player is busy ({MAX_CLIENTS} clients); try again"),
                },
            );
            continue;
        }
        let slot = Slot(ctx.clone());
        let spawned = std::thread::Builder::new()
            .name("remote-client".into())
            .spawn(move || {
                let slot = slot;
                serve(stream, &slot.0);
            });
        if let Err(e) = spawned {
            tracing::warn!("remote: cannot start a client thread: {e}");
        }
    }
    // Only our own socket file: one made since by someone else stays.
    if ours.is_some() && file_id(path) == ours {
        let _ = std::fs::remove_file(path);
    }
}

fn respond(stream: &mut UnixStream, r: &Response) {
    match serde_json::to_vec(r) {
        Ok(body) => {
            if let Err(e) = write_frame(stream, RESPONSE, &body) {
                tracing::debug!("remote: the client left before the answer: {e}");
            }
        }
        Err(e) => tracing::warn!("remote: cannot encode an answer: {e}"),
    }
}

fn error(stream: &mut UnixStream, message: impl Into<String>) {
    respond(
        stream,
        &Response::Error {
            message: message.into(),
        },
    );
}

/// The one large request being read and parsed (see [`LARGE_REQUEST`]).
static LARGE_SLOT: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Waits for the large-request slot until `deadline`.
fn large_slot(deadline: Instant) -> Option<std::sync::MutexGuard<'static, ()>> {
    loop {
        match LARGE_SLOT.try_lock() {
            Ok(g) => return Some(g),
            // A thread that panicked holding it left nothing to protect: the slot is free.
            Err(std::sync::TryLockError::Poisoned(p)) => return Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => {}
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Reads and parses the request: its length is checked before anything is allocated for it,
/// and a large one waits for the large-request slot.
fn read_request(stream: &mut UnixStream) -> Result<Request, String> {
    let deadline = Instant::now() + REQUEST_DEADLINE;
    let why = |e: FrameError| match e {
        FrameError::TooLarge(n) => {
            format!("the request is too large ({n} bytes; at most {MAX_REQUEST})")
        }
        FrameError::TimedOut => format!(
            "the request did not arrive within {} s",
            REQUEST_DEADLINE.as_secs()
        ),
        e => format!("cannot read the request: {e}"),
    };
    let (kind, len) = read_head(stream, MAX_REQUEST, Some(deadline)).map_err(why)?;
    let _slot = if len > LARGE_REQUEST {
        Some(large_slot(deadline).ok_or_else(|| {
            "the player is busy with another large request; try again".to_string()
        })?)
    } else {
        None
    };
    let body = read_payload(stream, len, Some(deadline)).map_err(why)?;
    if kind != REQUEST {
        return Err(format!("expected a request frame, got kind {kind}"));
    }
    parse_request(&body)
}

/// A request's JSON, checked to the last field.
fn parse_request(body: &[u8]) -> Result<Request, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("the request is not UTF-8: {e}"))?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("bad request: {e}"))?;
    let req = Request::deserialize(&value).map_err(|e| format!("bad request: {e}"))?;
    // serde lets unknown fields through beside unit variants (`{"op":"hello","x":1}`):
    // what the request names must be what it means.
    let meant = serde_json::to_value(&req).map_err(|e| format!("bad request: {e}"))?;
    if let Some(field) = unknown_field(&value, &meant) {
        return Err(format!("bad request: unknown field `{field}`"));
    }
    Ok(req)
}

/// A key of `sent` (at any depth) that the parsed request does not have.
fn unknown_field(sent: &serde_json::Value, meant: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match (sent, meant) {
        (Value::Object(a), Value::Object(b)) => a.iter().find_map(|(k, v)| match b.get(k) {
            None => Some(k.clone()),
            Some(m) => unknown_field(v, m).map(|f| format!("{k}.{f}")),
        }),
        (Value::Array(a), Value::Array(b)) => {
            a.iter().zip(b).find_map(|(v, m)| unknown_field(v, m))
        }
        _ => None,
    }
}

/// One connection: one request, its answer, close.
fn serve(mut stream: UnixStream, ctx: &Context) {
    if let Err(e) = stream.set_write_timeout(Some(WRITE_TIMEOUT)) {
        tracing::debug!("remote: {e}");
        return;
    }
    let req = match read_request(&mut stream) {
        Ok(r) => r,
        Err(e) => {
            tracing::info!("remote: {e}");
            return error(&mut stream, e);
        }
    };
    match req {
        Request::Hello => respond(
            &mut stream,
            &Response::Hello {
                pid: std::process::id(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
        ),
        Request::Ctl { command } => {
            let (tx, rx) = bounded(1);
            let ev = Event::Remote(RemoteRequest {
                command,
                reply: ReplyTo::new(tx),
            });
            if ctx.events.send(ev).is_err() {
                return error(&mut stream, "the player is quitting");
            }
            match rx.recv_timeout(APP_ANSWER) {
                Ok(reply) => respond(
                    &mut stream,
                    &Response::Reply {
                        reply: Box::new(reply),
                    },
                ),
                Err(RecvTimeoutError::Timeout) => error(
                    &mut stream,
                    format!(
                        "the player did not answer within {} s",
                        APP_ANSWER.as_secs()
                    ),
                ),
                Err(RecvTimeoutError::Disconnected) => error(&mut stream, "the player is quitting"),
            }
        }
        Request::Events => match ctx.hub.subscribe() {
            Ok(sub) => super::events::follow(stream, sub),
            Err(e) => error(&mut stream, e.to_string()),
        },
        Request::Run { argv, cwd } => {
            let Some(run) = ctx.commands.clone() else {
                return error(&mut stream, "this player does not run commands");
            };
            let conn = Output::new(stream);
            let code = {
                let out = Box::new(OutputSink {
                    conn: conn.clone(),
                    kind: STDOUT,
                });
                let err = Box::new(OutputSink {
                    conn: conn.clone(),
                    kind: STDERR,
                });
                run(argv, cwd, ctx.store.clone(), out, err)
            };
            conn.finish(code);
        }
    }
}

/// A connection that streams a command's output: stdout is buffered into frames of
/// [`CHUNK`]; stderr goes at once (after what stdout has so far, to keep their order).
#[derive(Clone)]
struct Output(std::rc::Rc<std::cell::RefCell<OutputState>>);

struct OutputState {
    stream: UnixStream,
    out: Vec<u8>,
    /// The client is gone: what is written now is dropped.
    broken: bool,
}

impl Output {
    fn new(stream: UnixStream) -> Self {
        Output(std::rc::Rc::new(std::cell::RefCell::new(OutputState {
            stream,
            out: Vec::with_capacity(CHUNK),
            broken: false,
        })))
    }

    fn finish(&self, code: u8) {
        if let Ok(mut st) = self.0.try_borrow_mut() {
            st.flush_out();
            st.send(EXIT, &[code]);
        }
    }
}

impl OutputState {
    fn send(&mut self, kind: u8, bytes: &[u8]) {
        if self.broken {
            return;
        }
        for chunk in bytes.chunks(CHUNK) {
            if let Err(e) = write_frame(&mut self.stream, kind, chunk) {
                tracing::debug!("remote: the client stopped reading: {e}");
                self.broken = true;
                return;
            }
        }
    }

    fn flush_out(&mut self) {
        if !self.out.is_empty() {
            let out = std::mem::take(&mut self.out);
            self.send(STDOUT, &out);
            self.out = out;
            self.out.clear();
        }
    }
}

struct OutputSink {
    conn: Output,
    kind: u8,
}

impl Write for OutputSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut st = self
            .conn
            .0
            .try_borrow_mut()
            .map_err(|_| std::io::Error::other("output in use"))?;
        if st.broken {
            return Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the client is gone",
            ));
        }
        if self.kind == STDOUT {
            st.out.extend_from_slice(buf);
            if st.out.len() >= CHUNK {
                st.flush_out();
            }
        } else {
            st.flush_out();
            st.send(self.kind, buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if let Ok(mut st) = self.conn.0.try_borrow_mut() {
            st.flush_out();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_is_in_the_data_folder_however_long_its_path() {
        let short = socket_path(Path::new("/nonexistent/d"));
        assert_eq!(short, Path::new("/nonexistent/d").join(SOCKET_NAME));
        let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let long = t.path().join("x".repeat(200));
        crate::util::private::private_dir(&long).unwrap_or_else(|e| panic!("{e}"));
        let p = socket_path(&long);
        assert_eq!(p, long.join(SOCKET_NAME), "never moved elsewhere");
        let l = Listening::bind(p.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.exists());
        let c = connect_checked(&p).unwrap_or_else(|e| panic!("{e}"));
        let c = c.unwrap_or_else(|| panic!("connects through the folder's handle"));
        assert_eq!(peer_uid(&c).ok(), Some(my_uid()));
        drop(l);
        assert!(!p.exists());
    }

    #[test]
    fn requests_round_trip_as_json() {
        let r = Request::Ctl {
            command: RemoteCommand::Seek {
                secs: -10.0,
                relative: true,
            },
        };
        let text = serde_json::to_string(&r).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"op":"ctl","command":{"command":"seek","secs":-10.0,"relative":true}}"#
        );
        assert_eq!(serde_json::from_str::<Request>(&text).ok(), Some(r.clone()));
        assert_eq!(parse_request(text.as_bytes()), Ok(r));
        for bad in [
            r#"{"op":"ctl","command":{"command":"explode"}}"#,
            r#"{"op":"hello","extra":1}"#,
            r#"{"op":"ctl","command":{"command":"status","extra":1}}"#,
            r#"{"op":"ctl","command":{"command":"seek","secs":1,"relative":true,"x":0}}"#,
        ] {
            assert!(parse_request(bad.as_bytes()).is_err(), "{bad}");
        }
        assert_eq!(
            parse_request(br#"{"op":"hello","and":"more"}"#),
            Err("bad request: unknown field `and`".into())
        );
        assert_eq!(
            parse_request(br#"{"op":"ctl","command":{"command":"play","x":[]}}"#),
            Err("bad request: unknown field `command.x`".into())
        );
    }
}
