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

pub mod client;
pub mod frame;
pub mod place;
pub mod protocol;
pub mod server;

pub use client::*;
pub use frame::*;
pub use place::*;
pub use protocol::*;
pub use server::*;

#[cfg(test)]
mod tests {
    use super::server::parse_request;
    use super::*;
    use crate::app::remote::RemoteCommand;
    use crate::util::private::my_uid;
    use std::path::Path;

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
