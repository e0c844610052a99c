//! A test that cannot run says so, and is counted: `skipped(why)` writes
//! `SKIPPED: <test>: <why>` straight to stderr (past the test harness's output capture, so the
//! line shows in `cargo test` output and the CI log) and appends the same line to the skip log,
//! which `.ci/run` counts at the end.
//!
//! The skip log is the file named by `GENREPLAY_SKIP_LOG`, or else
//! `$CARGO_TARGET_TMPDIR/skipped-tests.log` (cargo's scratch folder for integration tests,
//! `target/tmp`). One line per skip, appended with a single write.

use std::io::Write;
use std::path::PathBuf;

/// The environment variable naming the skip log.
pub const SKIP_LOG_VAR: &str = "GENREPLAY_SKIP_LOG";

/// Where skips are appended.
pub fn skip_log() -> PathBuf {
    std::env::var_os(SKIP_LOG_VAR)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("skipped-tests.log"))
}

/// The running test's name: the test harness names each test's thread after it.
pub fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("(unnamed test)")
        .to_string()
}

/// Reports that the running test (or a part of it) cannot run, and why. The caller returns
/// (or leaves the part out) itself.
pub fn skipped(why: impl std::fmt::Display) {
    let why = why.to_string().replace(['\n', '\r'], " ");
    let line = format!("SKIPPED: {}: {why}\n", test_name());
    let _ = std::io::stderr().write_all(line.as_bytes());
    let log = skip_log();
    if let Some(dir) = log.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        let _ = writeln!(
            std::io::stderr(),
            "(could not append to {}: {e})",
            log.display()
        );
    }
}
