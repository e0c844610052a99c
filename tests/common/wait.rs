//! Waiting for a condition instead of sleeping a fixed time: poll until it holds, fail with
//! what was awaited after a deadline.

use std::time::{Duration, Instant};

/// How often [`wait_until`] looks again.
pub const POLL: Duration = Duration::from_millis(50);

/// Polls `ok` every [`POLL`] until it returns `Some`, and returns that; panics naming `what`
/// once `timeout` has passed.
pub fn wait_for<T>(what: &str, timeout: Duration, mut ok: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = ok() {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(POLL);
    }
}

/// Polls `ok` every [`POLL`] until it holds; panics naming `what` once `timeout` has passed.
pub fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    wait_for(what, timeout, || ok().then_some(()))
}
