//! The headless commands behind the CLI. Each prints a readable report, or JSON with `--json`.

// The commands' output goes through these (they shadow std's macros here and in the modules
// below): to this process's stdout and stderr as usual, or — when the running player runs a
// command for another process (`forward::serve_command`) — into that process's connection.
#[allow(unused_macros)]
macro_rules! println {
    () => { $crate::commands::output::out_fmt(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::commands::output::out_fmt(format_args!($($arg)*), true) };
}
#[allow(unused_macros)]
macro_rules! print {
    ($($arg:tt)*) => { $crate::commands::output::out_fmt(format_args!($($arg)*), false) };
}
#[allow(unused_macros)]
macro_rules! eprintln {
    () => { $crate::commands::output::err_fmt(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::commands::output::err_fmt(format_args!($($arg)*), true) };
}
#[allow(unused_macros)]
macro_rules! eprint {
    ($($arg:tt)*) => { $crate::commands::output::err_fmt(format_args!($($arg)*), false) };
}

pub mod calibrate;
pub mod classify;
pub mod config;
pub mod ctl;
pub mod dispatch;
pub mod distill;
pub mod eval;
pub mod events;
pub mod forward;
pub mod library;
pub mod library_list;
pub mod models;
pub mod output;
pub mod playlist_import;
pub mod recommend;
pub mod scrobble;
pub mod shell;
pub mod smart;
pub mod stats;
pub mod train;

use std::process::ExitCode;

use crate::cli::{Cli, LabelsArg};
use crate::model::dataset::LabelSource;
use crate::paths::Paths;
pub(crate) use output::print_json;

/// Runs the command `cli` names (through the running player when one holds the database);
/// no command starts the player.
pub fn run(cli: Cli, paths: &Paths) -> anyhow::Result<ExitCode> {
    if let Some(code) = forward::through_player(&cli, paths)? {
        return Ok(code);
    }
    if cli.command.is_none() {
        let commands = forward::command_runner(paths.clone());
        crate::tui::run(cli.library.as_deref(), paths, Some(commands))?;
        return Ok(ExitCode::SUCCESS);
    }
    dispatch::run_here(cli, paths)
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
