//! The headless commands behind the CLI. Each prints a readable report, or JSON with `--json`.

// The commands' output goes through these (they shadow std's macros here and in the modules
// below): to this process's stdout and stderr as usual, or — when the running player runs a
// command for another process (`ctl::serve_command`) — into that process's connection.
#[allow(unused_macros)]
macro_rules! println {
    () => { $crate::commands::ctl::out_fmt(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::commands::ctl::out_fmt(format_args!($($arg)*), true) };
}
#[allow(unused_macros)]
macro_rules! print {
    ($($arg:tt)*) => { $crate::commands::ctl::out_fmt(format_args!($($arg)*), false) };
}
#[allow(unused_macros)]
macro_rules! eprintln {
    () => { $crate::commands::ctl::err_fmt(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::commands::ctl::err_fmt(format_args!($($arg)*), true) };
}
#[allow(unused_macros)]
macro_rules! eprint {
    ($($arg:tt)*) => { $crate::commands::ctl::err_fmt(format_args!($($arg)*), false) };
}

pub mod calibrate;
pub mod classify;
pub mod config;
pub mod ctl;
pub mod distill;
pub mod eval;
pub mod library;
pub mod models;
pub mod playlist_import;
pub mod recommend;
pub mod train;

use std::process::ExitCode;

use crate::cli::{Cli, Command, LabelsArg};
use crate::model::dataset::LabelSource;
use crate::paths::Paths;

/// Runs the command `cli` names (through the running player when one holds the database).
pub fn run(cli: Cli, paths: &Paths) -> anyhow::Result<ExitCode> {
    if let Some(code) = ctl::through_player(&cli, paths)? {
        return Ok(code);
    }
    run_here(cli, paths)
}

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
        Some(Command::Library(_)) => library::run_library(cli.json, paths),
        Some(Command::Db { action }) => library::run_db(&action, paths),
        Some(Command::Distill(args)) => distill::run(&args, cli.json, paths),
        Some(Command::Models { action }) => models::run(&action, cli.json, paths),
        Some(Command::Queue(args)) => recommend::run_queue(&args, cli.json, paths),
        Some(Command::Playlists(args)) => recommend::run_playlists(&args, cli.json, paths),
        Some(Command::Ctl { action }) => ctl::run(&action, cli.json, paths),
        Some(Command::Config { action }) => config::run(&action, cli.json, paths),
        None => {
            let commands = ctl::command_runner(paths.clone());
            crate::tui::run(cli.library.as_deref(), paths, Some(commands))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(crate) fn label_source(labels: LabelsArg, min_count: usize) -> LabelSource {
    match labels {
        LabelsArg::Folders => LabelSource::Folders,
        LabelsArg::Tags => LabelSource::Tags { min_count },
    }
}

/// Worker threads for decoding: the cores minus one for the rest, at least one.
pub(crate) fn worker_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .saturating_sub(1)
        .max(1)
}

/// Prints `value` as pretty JSON on stdout.
pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    ctl::out_raw(&serde_json::to_string_pretty(value)?);
    Ok(())
}
