//! The two ends of a command that runs through the player: while a player holds the
//! database, `library`, `queue`, `playlists`, `stats` and `models` send their command line to it
//! ([`through_player`]); the player runs the same command code with its own database handle
//! and its output redirected into the connection ([`command_runner`]). The protocol is in
//! `service::remote`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use super::output::{lent_store, redirect};
use crate::cli::{Cli, Command, ModelsAction};
use crate::paths::Paths;
use crate::service::remote::{
    self, Client, CommandRunner, EXIT, FrameError, RESPONSE, Request, Response, STDERR, STDOUT,
};
use crate::store::Store;

/// A forwarded command may be silent this long (classifying a seed file, say) before the
/// client gives up on the player.
const FORWARD_IDLE: Duration = Duration::from_secs(300);

/// Whether `cli` is a command the player can run for another process.
fn forwardable(cli: &Cli) -> bool {
    matches!(
        cli.command,
        Some(Command::Library(_) | Command::Queue(_) | Command::Playlists(_) | Command::Stats(_))
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
        Some(Command::Queue(a)) => {
            let ends = a.path.iter_mut().flatten();
            for f in a.seed.iter_mut().chain(a.less.iter_mut()).chain(ends) {
                from_client(&cwd, f);
            }
        }
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
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        super::dispatch::run_here(cli, paths)
    }));
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
    fn exit_codes_keep_their_number() {
        assert_eq!(code_number(ExitCode::SUCCESS), 0);
        assert_eq!(code_number(ExitCode::from(2)), 2);
        assert_eq!(code_number(ExitCode::FAILURE), 1);
    }
}
