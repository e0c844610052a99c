//! From a parsed command line to the command that runs it, in this process (also for another
//! process, when the player runs a forwarded command: `forward::serve_command`).

use std::process::ExitCode;

use super::{
    calibrate, classify, config, ctl, distill, eval, library, library_list, models, recommend,
    scrobble, stats, train,
};
use crate::cli::{Cli, Command};
use crate::paths::Paths;

/// Runs the command `cli` names in this process.
pub(crate) fn run_here(cli: Cli, paths: &Paths) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Classify(args)) => classify::run(&args, cli.json),
        Some(Command::Train(args)) => train::run(&args, cli.json, paths),
        Some(Command::Eval(args)) => eval::run(&args, cli.json),
        Some(Command::Calibrate(args)) => calibrate::run(&args, cli.json, paths),
        Some(Command::Scan(args)) => {
            library::run_scan(&args, cli.library.as_deref(), cli.json, paths)
        }
        Some(Command::Library(_)) => library_list::run_library(cli.json, paths),
        Some(Command::Stats(args)) => stats::run(&args, cli.json, paths),
        Some(Command::Db { action }) => library::run_db(&action, paths),
        Some(Command::Distill(args)) => distill::run(&args, cli.json, paths),
        Some(Command::Models { action }) => models::run(&action, cli.json, paths),
        Some(Command::Queue(args)) => recommend::run_queue(&args, cli.json, paths),
        Some(Command::Playlists(args)) => recommend::run_playlists(&args, cli.json, paths),
        Some(Command::Ctl { action }) => ctl::run(&action, cli.json, paths),
        Some(Command::Config { action }) => config::run(&action, cli.json, paths),
        Some(Command::Scrobble { action }) => scrobble::run(&action, cli.json, paths),
        Some(Command::Completions { .. } | Command::Man) => {
            Ok(super::shell::run_early(&cli).unwrap_or(ExitCode::SUCCESS))
        }
        // The player itself is started by `commands::run`, never for another process.
        None => anyhow::bail!("no command given"),
    }
}
