//! `genreplay ctl …`: remote control of the running player (the protocol is in
//! `service::remote`; commands that run through the player are in `forward`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::app::remote::{PlayState, PlayerStatus, RemoteCommand, RemoteReply};
use crate::cli::CtlAction;
use crate::paths::Paths;
use crate::service::remote::{self, Client, Request, Response, STARTUP_ANSWER};
use crate::store::history::Rating;
use crate::util::time::fmt_time;

// ------------------------------------------------------------------ the client side

/// What `ctl` refuses before it asks the player, naming what the user typed.
#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    #[error("seek {0:?}: give +S or -S to seek by S seconds, or S (or m:ss) to seek to")]
    Seek(String),
    #[error("volume {0:?}: give N (0–150), +N or -N, in percent")]
    Volume(String),
    #[error("volume {0}: the player goes from 0 to {max}%", max = crate::app::remote::MAX_VOLUME)]
    VolumeRange(i32),
    #[error("{}: a name of {bytes} bytes; a path has at most {max}", .path.display(), max = crate::app::remote::MAX_PATH_BYTES)]
    PathTooLong { path: PathBuf, bytes: usize },
    #[error("{}: the name is not valid UTF-8 and cannot be sent to the player", .0.display())]
    NotUtf8(PathBuf),
    #[error("{}: {source}", .path.display())]
    Path {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} names in one add; at most {max} (name their folders instead)", max = crate::app::remote::MAX_ADD_PATHS)]
    TooManyNames(usize),
    #[error("a command line of {0} bytes; at most {max}", max = crate::app::remote::MAX_COMMAND_BYTES)]
    CommandTooLong(usize),
    /// A `ctl` action that is not one command (`events` subscribes instead).
    #[error("`ctl {0}` follows the player; it sends no command")]
    NotACommand(&'static str),
    /// No name of an add could be sent: each one's reason.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    NoNames(Vec<CtlError>),
}

/// Seconds from "90", "1:30", "1:02:03" (no sign).
fn parse_secs(t: &str) -> Option<f64> {
    let parts: Vec<&str> = t.split(':').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let (last, rest) = parts.split_last()?;
    let mut secs = 0.0;
    for p in rest {
        if !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 6 {
            return None;
        }
        secs = secs * 60.0 + p.parse::<f64>().ok()?;
    }
    let s: f64 = last.parse().ok()?;
    if !s.is_finite() || s < 0.0 || (!rest.is_empty() && s >= 60.0) {
        return None;
    }
    Some(secs * 60.0 + s)
}

/// `+S` / `-S` (relative) or `S` (absolute); S in seconds or m:ss.
pub fn parse_seek(text: &str) -> Result<RemoteCommand, CtlError> {
    let t = text.trim();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (Some(1.0), &t[1..]),
        Some(b'-') => (Some(-1.0), &t[1..]),
        _ => (None, t),
    };
    let secs = parse_secs(rest).ok_or_else(|| CtlError::Seek(text.to_string()))?;
    Ok(match sign {
        Some(s) => RemoteCommand::Seek {
            secs: s * secs,
            relative: true,
        },
        None => RemoteCommand::Seek {
            secs,
            relative: false,
        },
    })
}

/// `N` (set) or `+N` / `-N` (change), in percent.
pub fn parse_volume(text: &str) -> Result<RemoteCommand, CtlError> {
    let t = text.trim();
    let bad = || CtlError::Volume(text.to_string());
    let (relative, digits, sign) = match t.as_bytes().first() {
        Some(b'+') => (true, &t[1..], 1),
        Some(b'-') => (true, &t[1..], -1),
        _ => (false, t, 1),
    };
    let digits = digits.trim_end_matches('%');
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: i32 = digits.parse().map_err(|_| bad())?;
    if !relative && n > crate::app::remote::MAX_VOLUME {
        return Err(CtlError::VolumeRange(n));
    }
    Ok(RemoteCommand::Volume {
        percent: sign * n,
        relative,
    })
}

/// A file named on the command line as the player knows it: its real (absolute, symlink-free)
/// path, in UTF-8 (what the socket carries), at most [`crate::app::remote::MAX_PATH_BYTES`].
fn client_path(f: &Path) -> Result<PathBuf, CtlError> {
    // A CUE sheet's track (`album.flac#2`) is its audio file's real path with the number.
    let real = std::fs::canonicalize(f).or_else(|e| match crate::audio::cue::split_track_path(f) {
        Some((audio, n)) if crate::audio::cue::sheet_for(&audio).is_some() => {
            std::fs::canonicalize(&audio).map(|a| crate::audio::cue::track_path(&a, n))
        }
        _ => Err(e),
    });
    match real {
        Ok(p) if p.as_os_str().len() > crate::app::remote::MAX_PATH_BYTES => {
            Err(CtlError::PathTooLong {
                path: f.to_path_buf(),
                bytes: p.as_os_str().len(),
            })
        }
        Ok(p) if p.to_str().is_some() => Ok(p),
        Ok(p) => Err(CtlError::NotUtf8(p)),
        Err(source) => Err(CtlError::Path {
            path: f.to_path_buf(),
            source,
        }),
    }
}

/// The files named for `add` and `playlist-add`, as the player knows them; the ones that
/// cannot be sent go to `problems` (an error when none is left, or too many are named).
fn client_paths(files: &[PathBuf], problems: &mut Vec<CtlError>) -> Result<Vec<PathBuf>, CtlError> {
    if files.len() > crate::app::remote::MAX_ADD_PATHS {
        return Err(CtlError::TooManyNames(files.len()));
    }
    let mut paths = vec![];
    for f in files {
        match client_path(f) {
            Ok(p) => paths.push(p),
            Err(e) => problems.push(e),
        }
    }
    if paths.is_empty() {
        return Err(CtlError::NoNames(std::mem::take(problems)));
    }
    Ok(paths)
}

/// The command to send, and the names that could not be sent (each with why).
fn to_command(action: &CtlAction) -> Result<(RemoteCommand, Vec<CtlError>), CtlError> {
    let mut problems = vec![];
    let cmd = match action {
        CtlAction::Play { file: None } => RemoteCommand::Play,
        CtlAction::Play { file: Some(f) } => RemoteCommand::PlayFile {
            path: client_path(f)?,
        },
        CtlAction::Dj { mode } => RemoteCommand::AutoDj { on: mode == "on" },
        CtlAction::Like { file } | CtlAction::Dislike { file } | CtlAction::Unrate { file } => {
            RemoteCommand::Rate {
                rating: match action {
                    CtlAction::Like { .. } => Rating::Like,
                    CtlAction::Dislike { .. } => Rating::Dislike,
                    _ => Rating::None,
                },
                path: file.as_deref().map(client_path).transpose()?,
            }
        }
        CtlAction::Pause => RemoteCommand::Pause,
        CtlAction::Toggle => RemoteCommand::Toggle,
        CtlAction::Next => RemoteCommand::Next,
        CtlAction::Prev => RemoteCommand::Prev,
        CtlAction::Stop => RemoteCommand::Stop,
        CtlAction::Status => RemoteCommand::Status,
        CtlAction::Rescan => RemoteCommand::Rescan,
        CtlAction::Run { line } => {
            let line = line.join(" ");
            if line.len() > crate::app::remote::MAX_COMMAND_BYTES {
                return Err(CtlError::CommandTooLong(line.len()));
            }
            RemoteCommand::Command { line }
        }
        // A subscription, not a command: `run` follows it (`super::events`).
        CtlAction::Events => {
            return Err(CtlError::NotACommand("events"));
        }
        CtlAction::Quit => RemoteCommand::Quit,
        CtlAction::Shuffle { mode } => RemoteCommand::Shuffle { on: mode == "on" },
        CtlAction::Repeat { mode } => RemoteCommand::Repeat { mode: mode.clone() },
        CtlAction::Seek { position } => parse_seek(position)?,
        CtlAction::Volume { value } => parse_volume(value)?,
        CtlAction::Add { files } => RemoteCommand::Add {
            paths: client_paths(files, &mut problems)?,
        },
        CtlAction::PlaylistAdd { name, files } => RemoteCommand::PlaylistAdd {
            name: name.clone(),
            paths: client_paths(files, &mut problems)?,
        },
    };
    Ok((cmd, problems))
}

fn not_running(paths: &Paths) -> ExitCode {
    let socket = remote::socket_path(&paths.data_dir);
    let db = paths.db_dir();
    if crate::store::in_use(&db) {
        // Something has the database but does not listen (its socket was deleted, or it is a
        // command such as `scan`).
        let who = crate::store::lock_holder(&db)
            .map(|p| format!(" (pid {p})"))
            .unwrap_or_default();
        eprintln!(
            "no player listens at {}, but another genreplay process{who} has the database in \
             {}: a `scan` or other command still running, or a player whose socket file was \
             deleted (quit it and start it again)",
            socket.display(),
            db.display()
        );
    } else {
        eprintln!(
            "genreplay is not running (no player listens at {}); start it with `genreplay`",
            socket.display()
        );
    }
    ExitCode::from(1)
}

/// `genreplay ctl ACTION`.
pub fn run(action: &CtlAction, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    if let CtlAction::Events = action {
        return Ok(match Client::connect(&paths.data_dir) {
            Ok(Some(c)) => super::events::follow(c),
            Ok(None) => not_running(paths),
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        });
    }
    let (command, problems) = match to_command(action) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut client = match Client::connect(&paths.data_dir) {
        Ok(Some(c)) => c,
        Ok(None) => return Ok(not_running(paths)),
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let status_only = command == RemoteCommand::Status;
    let answer = client.ask(&Request::Ctl { command }, STARTUP_ANSWER);
    for p in &problems {
        eprintln!("error: {p}");
    }
    let reply = match answer {
        Ok(Response::Reply { reply }) => reply,
        Ok(Response::Error { message }) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(1));
        }
        Ok(Response::Hello { .. }) => {
            eprintln!("error: the player answered something else");
            return Ok(ExitCode::from(1));
        }
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    print_reply(&reply, status_only, json)?;
    Ok(if reply.ok && problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_reply(reply: &RemoteReply, status_only: bool, json: bool) -> anyhow::Result<()> {
    if json {
        if status_only {
            super::print_json(&reply.status)?;
        } else {
            super::print_json(reply)?;
        }
        return Ok(());
    }
    if !reply.ok {
        eprintln!("error: {}", reply.message);
    } else if !reply.message.is_empty() {
        println!("{}", reply.message);
    }
    if status_only {
        print_status(&reply.status);
    }
    Ok(())
}

fn print_status(s: &PlayerStatus) {
    let state = match s.state {
        PlayState::Playing => "playing",
        PlayState::Paused => "paused",
        PlayState::Stopped => "stopped",
    };
    match &s.track {
        Some(t) => {
            // An untagged file reads as its name (its path is on the next lines).
            let artist = Some(t.artist.as_str())
                .filter(|v| !v.is_empty() && *v != crate::library::track::UNKNOWN_ARTIST);
            let album = Some(t.album.as_str())
                .filter(|v| !v.is_empty() && *v != crate::library::track::UNKNOWN_ALBUM);
            match (artist, album) {
                (Some(a), Some(al)) => println!("{state}: {a} — {} ({al})", t.title),
                (Some(a), None) => println!("{state}: {a} — {}", t.title),
                (None, Some(al)) => println!("{state}: {} ({al})", t.title),
                (None, None) => println!("{state}: {}", t.title),
            }
            let genre = match (&t.genre, t.confidence) {
                (Some(g), Some(c)) => format!("  ·  {g} {:.0}%", c * 100.0),
                _ => String::new(),
            };
            let rating = match t.rating.as_deref() {
                Some("like") => "  ·  liked",
                Some("dislike") => "  ·  disliked",
                _ => "",
            };
            println!(
                "  {} / {}{genre}{rating}",
                fmt_time(s.position_secs),
                t.duration_secs.map_or("-:--".into(), fmt_time)
            );
            println!("  {}", t.path);
        }
        None => println!("{state}"),
    }
    println!(
        "volume {}%{}  ·  shuffle {}  ·  repeat {}  ·  auto-DJ {}",
        s.volume,
        if s.muted { " (muted)" } else { "" },
        if s.shuffle { "on" } else { "off" },
        s.repeat,
        if s.auto_dj { "on" } else { "off" }
    );
    match s.queue.len() {
        0 => println!("up next: nothing"),
        n => {
            println!("up next ({n}):");
            for (i, p) in s.queue.iter().enumerate().take(10) {
                println!("  {:>2}. {p}", i + 1);
            }
            if n > 10 {
                println!("  … and {} more", n - 10);
            }
        }
    }
    if let Some(c) = &s.context {
        match c.remaining_count.max(c.remaining.len()) {
            0 => println!("playing from {}: nothing more", c.label),
            n => {
                println!("then from {} ({n}):", c.label);
                for (i, p) in c.remaining.iter().enumerate().take(5) {
                    println!("  {:>2}. {p}", i + 1);
                }
                if n > 5 {
                    println!("  … and {} more", n - 5);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seek_takes_signs_and_minutes() {
        let seek = |s: &str| parse_seek(s).ok();
        let rel = |secs| {
            Some(RemoteCommand::Seek {
                secs,
                relative: true,
            })
        };
        let abs = |secs| {
            Some(RemoteCommand::Seek {
                secs,
                relative: false,
            })
        };
        assert_eq!(seek("+10"), rel(10.0));
        assert_eq!(seek("-10"), rel(-10.0));
        assert_eq!(seek("90"), abs(90.0));
        assert_eq!(seek("1:30"), abs(90.0));
        assert_eq!(seek("-0:30"), rel(-30.0));
        assert_eq!(seek("1:02:03"), abs(3723.0));
        assert_eq!(seek("2.5"), abs(2.5));
        for bad in [
            "", "+", "x", "1:", ":3", "1:75", "1:2:3:4", "NaN", "inf", "--5", "1e999",
        ] {
            assert_eq!(seek(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn volume_is_set_or_changed_in_range() {
        let vol = |s: &str| parse_volume(s).ok();
        let v = |percent, relative| Some(RemoteCommand::Volume { percent, relative });
        assert_eq!(vol("50"), v(50, false));
        assert_eq!(vol("50%"), v(50, false));
        assert_eq!(vol("+5"), v(5, true));
        assert_eq!(vol("-5"), v(-5, true));
        assert_eq!(vol("0"), v(0, false));
        for bad in ["", "151", "x", "+", "5.5", "-", "99999999999", "+-3"] {
            assert_eq!(vol(bad), None, "{bad:?}");
        }
    }
}
