use std::process::ExitCode;

use clap::Parser;
use genreplay::cli::Cli;
use genreplay::paths::Paths;

fn init_logging(paths: &Paths) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use std::os::unix::fs::OpenOptionsExt;
    use tracing_subscriber::EnvFilter;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(paths.log_file())
        .ok()?;
    // Its writer thread may not start (the system's limit on threads): no log then, rather
    // than no genreplay.
    let (writer, guard) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tracing_appender::non_blocking(file)
    }))
    .ok()?;
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
    // Completions and the manual page need no data folder: nothing is created for them.
    if let Some(code) = genreplay::commands::shell::run_early(&cli) {
        return code;
    }
    let paths = Paths::resolve(cli.data_dir.as_deref());
    // The data folder is this user's alone; a log goes nowhere else.
    let private = paths.make_private();
    let _log_guard = private.is_ok().then(|| init_logging(&paths)).flatten();
    match private {
        Ok(()) => paths.tighten_in_background(),
        Err(e) => tracing::warn!("{e}"),
    }
    match genreplay::commands::run(cli, &paths) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            // The message may hold a file name or a tag: shown with its control characters escaped.
            let message = format!("{e:#}");
            eprintln!("error: {}", genreplay::util::text::escape_lines(&message));
            ExitCode::from(2)
        }
    }
}
