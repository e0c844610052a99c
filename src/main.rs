use std::process::ExitCode;

use clap::Parser;
use genreplay::cli::Cli;
use genreplay::paths::Paths;

fn init_logging(paths: &Paths) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::EnvFilter;
    std::fs::create_dir_all(&paths.data_dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(paths.log_file())
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter =
        EnvFilter::try_from_env("GENREPLAY_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}

fn main() -> ExitCode {
    genreplay::util::startup::begin();
    genreplay::util::memory::limit_arenas();
    let cli = Cli::parse();
    let paths = Paths::resolve(cli.data_dir.as_deref());
    let _log_guard = init_logging(&paths);
    match genreplay::commands::run(cli, &paths) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
