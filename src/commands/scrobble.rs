//! `genreplay scrobble status | flush | check-token`: what waits in the scrobble queue and
//! what the sender last heard, sending the queue now (one sender at a time: a running player
//! and this command take turns), and the server's word on the token. The token is never
//! printed.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use serde_json::json;

use crate::cli::ScrobbleAction;
use crate::config::{ScrobbleConfig, Settings};
use crate::paths::Paths;
use crate::service::scrobble::{
    Client, ListenQueue, Options, Status, Submitter, TokenCheck, folder,
};
use crate::util::text::escape;
use crate::util::time::rfc3339;

/// How long `flush` waits for a player that is sending right now.
const WAIT_FOR_PLAYER: Duration = Duration::from_secs(30);

pub fn run(action: &ScrobbleAction, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(&paths.config_dir);
    for e in &settings.errors {
        eprintln!("warning: {e}");
    }
    let cfg = settings.config.scrobble;
    match action {
        ScrobbleAction::Status => status(&cfg, json, paths),
        ScrobbleAction::Flush => flush(&cfg, json, paths),
        ScrobbleAction::CheckToken => check_token(&cfg, json),
    }
}

fn status(cfg: &ScrobbleConfig, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let dir = folder(&paths.data_dir);
    let queue = ListenQueue::at(&dir);
    let (queued, queue_error) = match queue.count() {
        Ok(n) => (Some(n), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let last = Status::load(&dir);
    if json {
        super::print_json(&json!({
            "enabled": cfg.enabled,
            "server": cfg.server,
            "token_set": !cfg.token.is_empty(),
            "queue_file": queue.file().to_string_lossy(),
            "queued": queued,
            "queue_error": queue_error,
            "state": last.as_ref().map(|s| s.state),
            "last_error": last.as_ref().and_then(|s| s.last_error.clone()),
            "last_error_unix": last.as_ref().and_then(|s| s.last_error_unix),
            "last_sent_unix": last.as_ref().and_then(|s| s.last_sent_unix),
            "next_try_unix": last.as_ref().and_then(|s| s.next_try_unix),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "scrobbling: {} ({}), token {}",
        if cfg.enabled { "on" } else { "off" },
        escape(&cfg.server),
        if cfg.token.is_empty() {
            "not set"
        } else {
            "set"
        }
    );
    match (queued, queue_error) {
        (Some(n), _) => println!("queued: {n} listen(s) in {}", queue.file().display()),
        (None, Some(e)) => println!("queue: {e}"),
        (None, None) => {}
    }
    let Some(s) = last else {
        println!("nothing sent or tried yet");
        return Ok(ExitCode::SUCCESS);
    };
    let state = match s.state {
        crate::service::scrobble::SendState::Idle => "idle".to_string(),
        crate::service::scrobble::SendState::Ok => "the last listens were accepted".into(),
        crate::service::scrobble::SendState::Waiting => match s.next_try_unix {
            Some(t) => format!("waiting; next try {}", rfc3339(t)),
            None => "waiting".into(),
        },
        crate::service::scrobble::SendState::TokenRefused => {
            "the server refused the token: set scrobble.token in config.toml (listens are kept)"
                .into()
        }
    };
    println!("state: {state}");
    match s.last_sent_unix {
        Some(t) => println!("last accepted: {}", rfc3339(t)),
        None => println!("last accepted: never"),
    }
    if let Some(e) = &s.last_error {
        let when = s.last_error_unix.map(rfc3339).unwrap_or_default();
        println!("last error: {} ({when})", escape(e));
    }
    Ok(ExitCode::SUCCESS)
}

fn flush(cfg: &ScrobbleConfig, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    if !cfg.enabled {
        anyhow::bail!(
            "scrobbling is off: set enabled = true (and your token) under [scrobble] in {}",
            paths.config_dir.join("config.toml").display()
        );
    }
    let dir = folder(&paths.data_dir);
    let queue = ListenQueue::open(&dir).with_context(|| format!("{}", dir.display()))?;
    let options = Options::default();
    let mut s = Submitter::new(queue, Client::new(cfg, options.timeout), options);
    let done = s.pass(WAIT_FOR_PLAYER);
    if json {
        super::print_json(&json!({
            "sent": done.sent,
            "set_aside": done.set_aside,
            "left": done.left,
            "error": done.error,
            "busy": done.busy,
        }))?;
    } else if done.busy {
        println!("another genreplay is sending the queue right now; try again in a moment");
    } else {
        println!("sent {} listen(s); {} left", done.sent, done.left);
        if done.set_aside > 0 {
            println!(
                "{} listen(s) refused by the server, kept in {}",
                done.set_aside,
                dir.join("rejected.json").display()
            );
        }
        if let Some(e) = &done.error {
            println!("stopped: {}", escape(e));
        }
    }
    Ok(if done.error.is_none() && !done.busy && done.left == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn check_token(cfg: &ScrobbleConfig, json: bool) -> anyhow::Result<ExitCode> {
    if cfg.token.is_empty() {
        anyhow::bail!("no token: set token under [scrobble] in config.toml");
    }
    let client = Client::new(cfg, Options::default().timeout);
    let answer = client
        .validate_token()
        .map_err(|e| anyhow::anyhow!("{}: {e}", escape(&cfg.server)))?;
    let (valid, user, message) = match &answer {
        TokenCheck::Valid { user } => (true, user.clone(), None),
        TokenCheck::Invalid(m) => (false, None, Some(m.clone())),
    };
    if json {
        super::print_json(&json!({
            "server": cfg.server,
            "valid": valid,
            "user_name": user,
            "message": message,
        }))?;
    } else if valid {
        match &user {
            Some(u) => println!("the token is valid (user {})", escape(u)),
            None => println!("the token is valid"),
        }
    } else {
        println!(
            "the server refused the token: {}",
            escape(message.as_deref().unwrap_or(""))
        );
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
