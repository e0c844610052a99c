//! How long the player's start took, phase by phase, in the log (`GENREPLAY_LOG=debug`): the
//! first screen's budget is one second at 50,000 tracks, and this says where it goes.

use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Instant> = OnceLock::new();

/// Starts the clock (the first call wins); `main` calls it before anything else.
pub fn begin() {
    START.get_or_init(Instant::now);
}

/// Logs `phase` with the milliseconds since [`begin`].
pub fn mark(phase: &str) {
    let ms = START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0;
    tracing::debug!(target: "genreplay::startup", "{phase} at {ms:.0} ms");
}
