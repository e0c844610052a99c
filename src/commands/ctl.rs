//! `genreplay ctl …` (remote control of the running player), and the two ends of a command
//! that runs through the player: while a player holds the database, `library`, `queue`,
//! `playlists` and `models` send their command line to it ([`through_player`]); the player
//! runs the same command code with its own database handle and its output redirected into the
//! connection ([`command_runner`]). The protocol is in `service::remote`.

use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::app::catalog::fmt_time;
use crate::app::remote::{PlayState, PlayerStatus, RemoteCommand, RemoteReply};
use crate::cli::{Cli, Command, CtlAction, ModelsAction};
use crate::paths::Paths;
use crate::service::remote::{
    self, Client, CommandRunner, EXIT, FrameError, RESPONSE, Request, Response, STARTUP_ANSWER,
    STDERR, STDOUT,
};
use crate::store::Store;
use crate::store::history::Rating;

/// A forwarded command may be silent this long (classifying a seed file, say) before the
/// client gives up on the player.
const FORWARD_IDLE: Duration = Duration::from_secs(300);

// ------------------------------------------------------------------ output redirection

/// Where a command's output goes while the player runs it for another process.
struct Redirect {
    out: Box<dyn Write>,
    err: Box<dyn Write>,
    store: Store,
}

thread_local! {
    static REDIRECT: RefCell<Option<Redirect>> = const { RefCell::new(None) };
}

/// Removes the redirection when the command is done, however it ends.
struct RedirectGuard;

impl Drop for RedirectGuard {
    fn drop(&mut self) {
        REDIRECT.with(|r| {
            if let Ok(mut r) = r.try_borrow_mut()
                && let Some(mut x) = r.take()
            {
                let _ = x.out.flush();
                let _ = x.err.flush();
            }
        });
    }
}

fn redirect(out: Box<dyn Write>, err: Box<dyn Write>, store: Store) -> RedirectGuard {
    REDIRECT.with(|r| {
        if let Ok(mut r) = r.try_borrow_mut() {
            *r = Some(Redirect { out, err, store });
        }
    });
    RedirectGuard
}

/// The database handle the player lent to the command it runs on this thread.
pub(crate) fn lent_store() -> Option<Store> {
    REDIRECT.with(|r| {
        r.try_borrow()
            .ok()
            .and_then(|r| r.as_ref().map(|x| x.store.clone()))
    })
}

/// `println!`/`print!` of the commands: stdout, or the connection of the process the player
/// runs the command for. Write errors (a closed pipe) are ignored, as the command goes on.
/// What they print is for a person: control characters in it (from tags, file names, a
/// client's request) are shown as escapes (`util::text::escape_lines`).
pub(crate) fn out_fmt(args: std::fmt::Arguments, newline: bool) {
    write_to(false, &shown(args), newline);
}

/// `eprintln!`/`eprint!` of the commands.
pub(crate) fn err_fmt(args: std::fmt::Arguments, newline: bool) {
    write_to(true, &shown(args), newline);
}

/// A line of JSON (or other text for programs) on stdout, exactly as it is.
pub(crate) fn out_raw(text: &str) {
    write_to(false, text, true);
}

/// The formatted text, escaped for a terminal.
fn shown(args: std::fmt::Arguments) -> String {
    let text = match args.as_str() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(args.to_string()),
    };
    crate::util::text::escape_lines(&text).into_owned()
}

fn write_to(err: bool, text: &str, newline: bool) {
    let nl: &[u8] = if newline { b"\n" } else { b"" };
    let redirected = REDIRECT.with(|r| match r.try_borrow_mut() {
        Ok(mut r) => match r.as_mut() {
            Some(x) => {
                let w = if err { &mut x.err } else { &mut x.out };
                let _ = w.write_all(text.as_bytes());
                let _ = w.write_all(nl);
                true
            }
            None => false,
        },
        // Printing from inside a write of something being printed: drop it rather than reach
        // the player's terminal.
        Err(_) => true,
    });
    if redirected {
        return;
    }
    if err {
        let mut e = std::io::stderr().lock();
        let _ = e.write_all(text.as_bytes());
        let _ = e.write_all(nl);
    } else {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(text.as_bytes());
        let _ = o.write_all(nl);
    }
}

/// Writes into the redirected stdout.
struct RedirectedOut;

impl Write for RedirectedOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        REDIRECT.with(|r| match r.try_borrow_mut() {
            Ok(mut r) => match r.as_mut() {
                Some(x) => x.out.write(buf),
                None => std::io::stdout().write(buf),
            },
            Err(_) => Ok(buf.len()),
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        REDIRECT.with(|r| match r.try_borrow_mut() {
            Ok(mut r) => match r.as_mut() {
                Some(x) => x.out.flush(),
                None => std::io::stdout().flush(),
            },
            Err(_) => Ok(()),
        })
    }
}

/// The commands' stdout for streaming writes (`writeln!`) of text for a person: the
/// terminal's, or the client's connection when the player runs the command; control
/// characters are shown as escapes, as `println!` shows them.
pub(crate) fn stdout() -> Box<dyn Write> {
    Box::new(crate::util::text::EscapingWriter::new(stdout_raw()))
}

/// The commands' stdout for output to programs (JSON), exactly as written.
pub(crate) fn stdout_raw() -> Box<dyn Write> {
    if lent_store().is_some() {
        Box::new(RedirectedOut)
    } else {
        Box::new(std::io::stdout().lock())
    }
}

// ------------------------------------------------------------------ the client side

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
pub fn parse_seek(text: &str) -> Result<RemoteCommand, String> {
    let t = text.trim();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (Some(1.0), &t[1..]),
        Some(b'-') => (Some(-1.0), &t[1..]),
        _ => (None, t),
    };
    let secs = parse_secs(rest).ok_or_else(|| {
        format!("seek {text:?}: give +S or -S to seek by S seconds, or S (or m:ss) to seek to")
    })?;
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
pub fn parse_volume(text: &str) -> Result<RemoteCommand, String> {
    let t = text.trim();
    let bad = || format!("volume {text:?}: give N (0–150), +N or -N, in percent");
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
        return Err(format!(
            "volume {n}: the player goes from 0 to {}%",
            crate::app::remote::MAX_VOLUME
        ));
    }
    Ok(RemoteCommand::Volume {
        percent: sign * n,
        relative,
    })
}

/// A file named on the command line as the player knows it: its real (absolute, symlink-free)
/// path, in UTF-8 (what the socket carries), at most [`crate::app::remote::MAX_PATH_BYTES`].
fn client_path(f: &Path) -> Result<PathBuf, String> {
    match std::fs::canonicalize(f) {
        Ok(p) if p.as_os_str().len() > crate::app::remote::MAX_PATH_BYTES => Err(format!(
            "{}: a name of {} bytes; a path has at most {}",
            f.display(),
            p.as_os_str().len(),
            crate::app::remote::MAX_PATH_BYTES
        )),
        Ok(p) if p.to_str().is_some() => Ok(p),
        Ok(p) => Err(format!(
            "{}: the name is not valid UTF-8 and cannot be sent to the player",
            p.display()
        )),
        Err(e) => Err(format!("{}: {e}", f.display())),
    }
}

/// The command to send, and the names that could not be sent (each with why).
fn to_command(action: &CtlAction) -> Result<(RemoteCommand, Vec<String>), String> {
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
        CtlAction::Quit => RemoteCommand::Quit,
        CtlAction::Shuffle { mode } => RemoteCommand::Shuffle { on: mode == "on" },
        CtlAction::Repeat { mode } => RemoteCommand::Repeat { mode: mode.clone() },
        CtlAction::Seek { position } => parse_seek(position)?,
        CtlAction::Volume { value } => parse_volume(value)?,
        CtlAction::Add { files } => {
            let max = crate::app::remote::MAX_ADD_PATHS;
            if files.len() > max {
                return Err(format!(
                    "{} names in one add; at most {max} (name their folders instead)",
                    files.len()
                ));
            }
            let mut paths = vec![];
            for f in files {
                match client_path(f) {
                    Ok(p) => paths.push(p),
                    Err(e) => problems.push(e),
                }
            }
            if paths.is_empty() {
                return Err(problems.join("\n"));
            }
            RemoteCommand::Add { paths }
        }
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
            println!("{state}: {} — {} ({})", t.artist, t.title, t.album);
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

// ------------------------------------------------------------------ through the player

/// Whether `cli` is a command the player can run for another process.
fn forwardable(cli: &Cli) -> bool {
    matches!(
        cli.command,
        Some(Command::Library(_) | Command::Queue(_) | Command::Playlists(_))
            | Some(Command::Models {
                action: None | Some(ModelsAction::List)
            })
    )
}

/// Commands that need the database to themselves.
fn exclusive(cli: &Cli) -> Option<&'static str> {
    match &cli.command {
        Some(Command::Scan(_)) => Some(
            "it keeps the library up to date by itself (`genreplay ctl rescan` looks at the \
             whole folder now)",
        ),
        Some(Command::Db { .. }) => Some("quit it first"),
        Some(Command::Models {
            action: Some(ModelsAction::Use { .. } | ModelsAction::Rm { .. }),
        }) => Some(
            "quit it first, or change models in the player (6 Training: R retrains, M goes \
             back to the built-in model)",
        ),
        _ => None,
    }
}

/// While a player runs on the same data: the read commands run through it (their output
/// streamed here); commands that need the database to themselves say why they cannot.
/// `None`: no player (or already inside one) — run here.
pub fn through_player(cli: &Cli, paths: &Paths) -> anyhow::Result<Option<ExitCode>> {
    if lent_store().is_some() {
        return Ok(None);
    }
    if let Some(why) = exclusive(cli) {
        if let Some(pid) = remote::running_player(&paths.data_dir)? {
            if pid == 0 {
                anyhow::bail!("{}", remote::already_running(pid, &paths.data_dir));
            }
            anyhow::bail!(
                "genreplay is running (pid {pid}) and has the database in {}; {why}",
                paths.data_dir.display()
            );
        }
        return Ok(None);
    }
    if !forwardable(cli) {
        return Ok(None);
    }
    // (A player binds its socket before it opens the database: no player listening means
    // none holds it, or something else does, which the command then names.)
    let Some(client) = Client::connect(&paths.data_dir)? else {
        return Ok(None);
    };
    forward(client, cli.json).map(Some)
}

/// Sends this command line to the player and prints what it streams back: JSON exactly, text
/// for a person with its control characters escaped (the player escapes it too; a terminal
/// trusts neither side alone).
fn forward(mut client: Client, json: bool) -> anyhow::Result<ExitCode> {
    let argv = std::env::args_os()
        .map(|a| {
            a.into_string().map_err(|a| {
                anyhow::anyhow!(
                    "the argument {a:?} is not valid UTF-8, so it cannot be sent to the running \
                     player (which has the database)"
                )
            })
        })
        .collect::<anyhow::Result<Vec<String>>>()?;
    let cwd = std::env::current_dir()?;
    client
        .send(&Request::Run { argv, cwd })
        .map_err(|e| anyhow::anyhow!("cannot talk to the running player: {e}"))?;
    let mut out: Box<dyn Write> = if json {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(crate::util::text::EscapingWriter::new(
            std::io::stdout().lock(),
        ))
    };
    let mut err = crate::util::text::EscapingWriter::new(std::io::stderr());
    loop {
        match client.next_frame(FORWARD_IDLE) {
            Ok((STDOUT, bytes)) => {
                if out.write_all(&bytes).is_err() {
                    // Our reader went away (`| head`): so do we.
                    return Ok(ExitCode::SUCCESS);
                }
            }
            Ok((STDERR, bytes)) => {
                let _ = out.flush();
                let _ = err.write_all(&bytes);
            }
            Ok((EXIT, code)) => {
                let _ = out.flush();
                return Ok(ExitCode::from(code.first().copied().unwrap_or(1)));
            }
            Ok((RESPONSE, body)) => {
                let message = match serde_json::from_slice::<Response>(&body) {
                    Ok(Response::Error { message }) => message,
                    _ => "the player answered something else".into(),
                };
                anyhow::bail!("the running player: {message}");
            }
            Ok((kind, _)) => anyhow::bail!("the running player sent a frame of kind {kind}"),
            Err(FrameError::Closed) => {
                anyhow::bail!("the player closed the connection before the command finished")
            }
            Err(e @ FrameError::Suspended(_)) => anyhow::bail!("{e}"),
            Err(e) => anyhow::bail!("the running player: {e}"),
        }
    }
}

/// The exit code's number (an `ExitCode` keeps it to itself).
fn code_number(c: ExitCode) -> u8 {
    (0..=255u8).find(|&n| ExitCode::from(n) == c).unwrap_or(1)
}

/// A path of the client's, made absolute against its working folder.
fn from_client(cwd: &Path, p: &mut PathBuf) {
    if p.is_relative() {
        *p = cwd.join(&*p);
    }
}

/// Runs a command line sent by another process, inside the player, with the player's `store`
/// and the output going to `out` / `err`. Only the commands [`forwardable`] allows run.
pub fn serve_command(
    paths: &Paths,
    argv: Vec<String>,
    cwd: PathBuf,
    store: Store,
    out: Box<dyn Write>,
    err: Box<dyn Write>,
) -> u8 {
    let _guard = redirect(out, err, store);
    let mut cli = match <Cli as clap::Parser>::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) => {
            let text = e.render().to_string();
            if e.use_stderr() {
                eprint!("{text}");
            } else {
                print!("{text}");
            }
            return u8::try_from(e.exit_code()).unwrap_or(2);
        }
    };
    if !forwardable(&cli) {
        eprintln!(
            "error: the running player only runs `library`, `queue`, `playlists` and `models`"
        );
        return 2;
    }
    if let Some(l) = cli.library.as_mut() {
        from_client(&cwd, l);
    }
    match &mut cli.command {
        Some(Command::Queue(a)) => from_client(&cwd, &mut a.seed),
        Some(Command::Playlists(a)) => {
            if let Some(d) = a.export.as_mut() {
                from_client(&cwd, d);
            }
            if let Some(f) = a.import.as_mut() {
                from_client(&cwd, f);
            }
        }
        _ => {}
    }
    let result =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| super::run_here(cli, paths)));
    match result {
        Ok(Ok(code)) => code_number(code),
        Ok(Err(e)) => {
            tracing::warn!("a command run for another process failed: {e:#}");
            eprintln!("error: {e:#}");
            2
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            eprintln!("error: the command failed inside the player: {what}");
            2
        }
    }
}

/// What the player runs forwarded command lines with.
pub fn command_runner(paths: Paths) -> CommandRunner {
    Arc::new(move |argv, cwd, store, out, err| serve_command(&paths, argv, cwd, store, out, err))
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

    #[test]
    fn exit_codes_keep_their_number() {
        assert_eq!(code_number(ExitCode::SUCCESS), 0);
        assert_eq!(code_number(ExitCode::from(2)), 2);
        assert_eq!(code_number(ExitCode::FAILURE), 1);
    }
}
