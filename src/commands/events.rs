//! `genreplay ctl events`: the client's end of a subscription to the player's changes
//! (`service::events`): each event the player sends is printed as one line of JSON and
//! flushed at once, for `jq`, a status bar or a script reading line by line.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use crate::service::events::EVENT;
use crate::service::remote::{Client, FrameError, RESPONSE, Request, Response};

/// How long a read waits before it looks again (the player may be quiet for hours).
const WAIT: Duration = Duration::from_secs(60);

/// Follows the player until it quits (exit 0), drops this client or goes away (exit 1), or
/// stdout closes (exit 0: the reader chose to stop).
pub fn follow(mut client: Client) -> ExitCode {
    if let Err(e) = client.send(&Request::Events) {
        eprintln!("error: cannot talk to the player: {e}");
        return ExitCode::from(1);
    }
    let mut out = std::io::stdout().lock();
    loop {
        let body = match client.next_frame(WAIT) {
            Ok((EVENT, body)) => body,
            Ok((RESPONSE, body)) => {
                let message = match serde_json::from_slice::<Response>(&body) {
                    Ok(Response::Error { message }) => message,
                    _ => "the player answered something else".into(),
                };
                eprintln!("error: {message}");
                return ExitCode::from(1);
            }
            Ok((kind, _)) => {
                eprintln!("error: the player sent a frame of kind {kind}");
                return ExitCode::from(1);
            }
            // Quiet, or suspended (ctrl-z): a follower waits.
            Err(FrameError::TimedOut | FrameError::Suspended(_)) => {
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
            Err(FrameError::Closed) => {
                eprintln!("error: the player went away without quitting");
                return ExitCode::from(1);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        };
        // What the player sent is re-encoded: one object on one line, whatever it held.
        let Ok(event) = serde_json::from_slice::<serde_json::Value>(&body) else {
            eprintln!("error: the player sent an event that is not JSON");
            return ExitCode::from(1);
        };
        // The player's own line keeps its field order ("event" first); anything not on one
        // line is re-encoded.
        let line = match std::str::from_utf8(&body) {
            Ok(text) if !text.contains(['\n', '\r']) => text.to_string(),
            _ => event.to_string(),
        };
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            return ExitCode::SUCCESS;
        }
        match event["event"].as_str() {
            Some("quit") => return ExitCode::SUCCESS,
            Some("dropped") => {
                eprintln!("error: the player dropped this client (it read too slowly)");
                return ExitCode::from(1);
            }
            _ => {}
        }
    }
}
