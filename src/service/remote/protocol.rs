//! What the socket carries: the frame kinds, the bounds, `Request` and `Response`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::app::remote::{RemoteCommand, RemoteReply};
use crate::store::Store;

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
pub(super) const CHUNK: usize = 64 * 1024;

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
