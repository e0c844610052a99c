//! The player's side: the listening socket, the accept loop with its client slots, and each
//! connection served within its bounds.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{RecvTimeoutError, Sender, bounded};
use serde::Deserialize;

use super::frame::*;
use super::place::*;
use super::protocol::*;
use crate::app::Event;
use crate::app::remote::{RemoteRequest, ReplyTo};
use crate::service::events::EventHub;
use crate::store::Store;
use crate::util::private::my_uid;

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
pub(super) fn parse_request(body: &[u8]) -> Result<Request, String> {
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
            Ok(sub) => crate::service::events::follow(stream, sub),
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
