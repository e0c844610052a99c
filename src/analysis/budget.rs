//! How much of the machine the analysis may use: a [`ThreadBudget`] shared between whoever
//! decides (the player: all cores while nothing plays, one fewer while playing) and the
//! analyzer's workers, which read it before each track; and a lower scheduling priority for
//! the threads that analyse ([`set_current_thread_priority`]).
//!
//! Each worker runs the whole pipeline of one track on its own thread (the network does not
//! start threads of its own: see [`Classifier::with_threads`](crate::model::Classifier)), so
//! `n` running workers keep at most `n` cores busy.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Cores this process may run on (at least 1).
pub fn available_cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// `threads` workers asked for (0: one per core) → the workers started, and a note when
/// fewer than asked.
pub fn clamp_threads(threads: usize) -> (usize, Option<String>) {
    let cores = available_cores();
    match threads {
        0 => (cores, None),
        n if n <= cores => (n, None),
        n => (
            cores,
            Some(format!(
                "analysis_threads = {n} is more than this machine's {cores} core{}: {cores} \
                 used",
                if cores == 1 { "" } else { "s" }
            )),
        ),
    }
}

#[derive(Debug)]
struct Inner {
    max: usize,
    allowed: AtomicUsize,
    lock: Mutex<()>,
    changed: Condvar,
}

/// The number of analysis threads allowed to work right now, between 0 and a fixed maximum
/// (the number of workers started). Cheap to clone; clones share the setting. Workers with an
/// index at or above the allowed count finish their current track and then wait.
#[derive(Debug, Clone)]
pub struct ThreadBudget {
    inner: Arc<Inner>,
}

impl ThreadBudget {
    /// Up to `max` workers (at least 1), all allowed.
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        ThreadBudget {
            inner: Arc::new(Inner {
                max,
                allowed: AtomicUsize::new(max),
                lock: Mutex::new(()),
                changed: Condvar::new(),
            }),
        }
    }

    /// One worker per core.
    pub fn all_cores() -> Self {
        Self::new(available_cores())
    }

    /// The budget for the `analysis_threads` setting: 0 is one worker per core, and more
    /// workers than the machine has cores are not started (each would only wait for a core,
    /// with its own copy of the network): the note says so.
    pub fn for_setting(threads: usize) -> (Self, Option<String>) {
        let (n, note) = clamp_threads(threads);
        (Self::new(n), note)
    }

    /// The number of workers an analyzer with this budget starts.
    pub fn max(&self) -> usize {
        self.inner.max
    }

    /// Workers allowed to take a track now.
    pub fn allowed(&self) -> usize {
        self.inner.allowed.load(Ordering::Acquire)
    }

    /// Allows `n` workers (clamped to `0..=max`; 0 pauses the analysis after the tracks in
    /// flight). Takes effect before each worker's next track.
    pub fn set_allowed(&self, n: usize) {
        let n = n.min(self.inner.max);
        let old = self.inner.allowed.swap(n, Ordering::AcqRel);
        if n > old {
            // Hold the lock so a worker between its check and its wait cannot miss this.
            let _guard = self.inner.lock.lock();
            self.inner.changed.notify_all();
        }
    }

    /// The player's rule: every worker while nothing plays, one fewer (but at least one)
    /// while playing.
    pub fn set_playing(&self, playing: bool) {
        let n = if playing {
            self.inner.max.saturating_sub(1).max(1)
        } else {
            self.inner.max
        };
        self.set_allowed(n);
    }

    /// Blocks worker `index` until it is allowed to work (returns `true`) or `cancelled()`
    /// turns true (returns `false`; checked at least every 100 ms).
    pub fn wait_turn(&self, index: usize, cancelled: &dyn Fn() -> bool) -> bool {
        loop {
            if cancelled() {
                return false;
            }
            if index < self.allowed() {
                return true;
            }
            let Ok(guard) = self.inner.lock.lock() else {
                return index < self.allowed();
            };
            if index < self.allowed() {
                return true;
            }
            let _ = self
                .inner
                .changed
                .wait_timeout(guard, Duration::from_millis(100));
        }
    }
}

/// Scheduling priority of an analysis thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Unchanged.
    Normal,
    /// `nice` 10: still gets a fair share, after interactive work.
    Low,
    /// Linux `SCHED_IDLE`: runs only on otherwise idle CPU time (falls back to `nice` 19
    /// elsewhere or where the policy is refused).
    Idle,
}

/// Why a thread's priority could not be lowered.
#[derive(Debug, thiserror::Error)]
pub enum PriorityError {
    #[error("{call}: {source}")]
    Call {
        call: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Unsupported(&'static str),
}

/// Lowers the calling thread's priority (Linux: per thread; other Unix systems: the nice value
/// of the process, since they have no per-thread one; elsewhere nothing). Errors name the call
/// that failed; the thread keeps running at its old priority then.
pub fn set_current_thread_priority(p: Priority) -> Result<(), PriorityError> {
    match p {
        Priority::Normal => Ok(()),
        Priority::Low => set_nice(10),
        Priority::Idle => set_idle().or_else(|_| set_nice(19)),
    }
}

#[cfg(target_os = "linux")]
fn set_idle() -> Result<(), PriorityError> {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: pid 0 is the calling thread; `param` is a valid sched_param.
    let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
    if rc == 0 {
        Ok(())
    } else {
        Err(PriorityError::Call {
            call: "sched_setscheduler(SCHED_IDLE)".into(),
            source: std::io::Error::last_os_error(),
        })
    }
}

#[cfg(not(target_os = "linux"))]
fn set_idle() -> Result<(), PriorityError> {
    Err(PriorityError::Unsupported("SCHED_IDLE is Linux-only"))
}

#[cfg(target_os = "linux")]
fn set_nice(nice: i32) -> Result<(), PriorityError> {
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) } as libc::id_t;
    // On Linux, PRIO_PROCESS with a thread id sets that thread's nice value only.
    // SAFETY: plain syscall wrapper with valid arguments.
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, nice) };
    if rc == 0 {
        Ok(())
    } else {
        Err(PriorityError::Call {
            call: format!("setpriority({nice})"),
            source: std::io::Error::last_os_error(),
        })
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn set_nice(nice: i32) -> Result<(), PriorityError> {
    // SAFETY: plain syscall wrapper with valid arguments.
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) };
    if rc == 0 {
        Ok(())
    } else {
        Err(PriorityError::Call {
            call: format!("setpriority({nice})"),
            source: std::io::Error::last_os_error(),
        })
    }
}

#[cfg(not(unix))]
fn set_nice(_nice: i32) -> Result<(), PriorityError> {
    Err(PriorityError::Unsupported(
        "thread priorities are not supported on this platform",
    ))
}

/// The calling thread's CPU time so far (user + system), in seconds (Linux; `None`
/// elsewhere).
pub fn thread_cpu_secs() -> Option<f64> {
    #[cfg(target_os = "linux")]
    {
        rusage_secs(libc::RUSAGE_THREAD)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// The process's CPU time so far (user + system, all threads), in seconds.
pub fn process_cpu_secs() -> Option<f64> {
    #[cfg(unix)]
    {
        rusage_secs(libc::RUSAGE_SELF)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(unix)]
fn rusage_secs(who: libc::c_int) -> Option<f64> {
    // SAFETY: an all-zero rusage is a valid value to be overwritten.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage.
    let rc = unsafe { libc::getrusage(who, &mut ru) };
    if rc != 0 {
        return None;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    Some(tv(ru.ru_utime) + tv(ru.ru_stime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playing_leaves_one_core_and_never_zero() {
        let b = ThreadBudget::new(4);
        assert_eq!((b.max(), b.allowed()), (4, 4));
        b.set_playing(true);
        assert_eq!(b.allowed(), 3);
        b.set_playing(false);
        assert_eq!(b.allowed(), 4);
        let one = ThreadBudget::new(1);
        one.set_playing(true);
        assert_eq!(one.allowed(), 1);
        b.set_allowed(9);
        assert_eq!(b.allowed(), 4);
    }

    #[test]
    fn a_waiting_worker_resumes_when_allowed_and_stops_when_cancelled() {
        let b = ThreadBudget::new(2);
        b.set_allowed(1);
        let waiter = {
            let b = b.clone();
            std::thread::spawn(move || b.wait_turn(1, &|| false))
        };
        std::thread::sleep(Duration::from_millis(30));
        assert!(!waiter.is_finished());
        b.set_allowed(2);
        assert!(waiter.join().unwrap());

        b.set_allowed(0);
        let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let waiter = {
            let (b, cancel) = (b.clone(), cancel.clone());
            std::thread::spawn(move || b.wait_turn(0, &|| cancel.load(Ordering::Relaxed)))
        };
        std::thread::sleep(Duration::from_millis(30));
        cancel.store(true, Ordering::Relaxed);
        assert!(!waiter.join().unwrap());
    }

    #[test]
    fn priorities_apply_to_the_calling_thread() {
        std::thread::spawn(|| {
            set_current_thread_priority(Priority::Low).unwrap();
            #[cfg(target_os = "linux")]
            {
                // SAFETY: plain syscalls.
                let tid = unsafe { libc::syscall(libc::SYS_gettid) } as libc::id_t;
                let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, tid) };
                assert_eq!(nice, 10);
                set_current_thread_priority(Priority::Idle).unwrap();
                let policy = unsafe { libc::sched_getscheduler(0) };
                assert_eq!(policy, libc::SCHED_IDLE);
            }
        })
        .join()
        .unwrap();
        // The spawning thread is untouched.
        #[cfg(target_os = "linux")]
        {
            let policy = unsafe { libc::sched_getscheduler(0) };
            assert_ne!(policy, libc::SCHED_IDLE);
        }
    }

    #[test]
    fn cpu_clocks_advance_with_work() {
        let (p0, t0) = (process_cpu_secs(), thread_cpu_secs());
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
        }
        std::hint::black_box(x);
        if let (Some(a), Some(b)) = (p0, process_cpu_secs()) {
            assert!(b > a);
        }
        if let (Some(a), Some(b)) = (t0, thread_cpu_secs()) {
            assert!(b > a);
        }
    }
}
