//! Frames on the socket: one kind byte, a big-endian `u32` length, that many bytes; reading
//! them within a deadline and a size bound.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Instant;

use super::protocol::*;

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
pub(super) fn read_head(
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
pub(super) fn read_payload(
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
