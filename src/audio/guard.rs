//! The last line of defence around code that parses untrusted files: a panic inside `f` (a bug
//! in a decoder on a hostile file) becomes an error for that one file. Such panics go to the
//! log, not to stderr, and are counted so tests can insist there are none.

use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};

thread_local! {
    static GUARDED: Cell<u32> = const { Cell::new(0) };
}

static HOOK: Once = Once::new();
static CAUGHT: AtomicUsize = AtomicUsize::new(0);
static LAST: Mutex<Option<String>> = Mutex::new(None);

/// Installs (once) a panic hook that logs panics inside [`catch`] instead of printing them,
/// and hands every other panic to the hook that was there before.
fn install_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.with(|g| g.get()) > 0 {
                tracing::error!("internal error caught and isolated: {info}");
                if let Ok(mut last) = LAST.lock() {
                    // GENREPLAY_PANIC_BACKTRACE=1 keeps where it came from, for diagnosis.
                    *last = Some(if std::env::var_os("GENREPLAY_PANIC_BACKTRACE").is_some() {
                        format!("{info}\n{}", std::backtrace::Backtrace::force_capture())
                    } else {
                        info.to_string()
                    });
                }
            } else {
                previous(info);
            }
        }));
    });
}

/// The text of a panic payload.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}

/// A panic caught by [`catch`], with its message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Panicked(pub String);

/// Runs `f`; a panic inside it is returned as `Err` with its message.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, Panicked> {
    install_hook();
    GUARDED.with(|g| g.set(g.get() + 1));
    let r = std::panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(g.get().saturating_sub(1)));
    r.map_err(|p| {
        CAUGHT.fetch_add(1, Ordering::Relaxed);
        Panicked(panic_message(p.as_ref()))
    })
}

/// Panics caught by [`catch`] in this process so far.
pub fn caught_panics() -> usize {
    CAUGHT.load(Ordering::Relaxed)
}

/// The last caught panic, with where it happened (for diagnostics).
pub fn last_caught_panic() -> Option<String> {
    LAST.lock().ok().and_then(|l| l.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_errors_and_are_counted() {
        let before = caught_panics();
        assert_eq!(catch(|| 5), Ok(5));
        let e = catch(|| -> u8 { panic!("boom {}", 7) }).unwrap_err();
        assert_eq!(e.0, "boom 7");
        assert_eq!(caught_panics(), before + 1);
    }
}
