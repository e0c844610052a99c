//! The sending side: one pass sends the queue oldest first in batches (`import`, or `single`
//! for one listen), taking out only what the server accepted; what the server answers sets
//! when to try again ([`Backoff`]): its `Retry-After` / `X-RateLimit-Reset-In` on 429, an
//! exponential wait on 5xx and no connection, nothing more after 401 until the token changes
//! (or a flush). One sender at a time across processes (`send.lock`): the player's thread and
//! `genreplay scrobble flush`.

use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use super::client::{Answer, Client, Kind, MAX_SERVER_WAIT};
use super::error::ScrobbleError;
use super::queue::{ListenQueue, QueuedListen, lock_file};
use super::status::{SendState, Status};
use crate::app::Event;

/// ListenBrainz takes at most 1,000 listens in one request; batches stay well below.
pub const MAX_BATCH: usize = 1_000;

/// How the sender waits and sends.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// One request ends after this at the latest.
    pub timeout: Duration,
    /// The first wait after a failure; each further failure doubles it.
    pub first_retry: Duration,
    /// The longest wait after failures.
    pub max_retry: Duration,
    /// Listens per request (1 to [`MAX_BATCH`]).
    pub batch: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(10),
            first_retry: Duration::from_secs(5),
            max_retry: Duration::from_secs(15 * 60),
            batch: 100,
        }
    }
}

/// When the next attempt may be made.
#[derive(Debug, Clone, Default)]
pub struct Backoff {
    failures: u32,
    until: Option<Instant>,
    /// The token was refused: only a flush (or a restart with another token) tries again.
    pub refused: bool,
}

impl Backoff {
    pub fn ready(&self) -> bool {
        !self.refused && self.until.is_none_or(|t| Instant::now() >= t)
    }

    /// The time to wake up for the next attempt (none: wait for news).
    pub fn deadline(&self) -> Option<Instant> {
        if self.refused { None } else { self.until }
    }

    /// The wait is over (the failures still count for the next one).
    pub fn expire(&mut self) {
        self.until = None;
    }

    pub fn clear(&mut self) {
        *self = Backoff::default();
    }

    fn wait(&mut self, d: Duration) -> Duration {
        let d = d.clamp(Duration::from_secs(1), MAX_SERVER_WAIT);
        self.until = Some(Instant::now() + d);
        d
    }

    fn exponential(&mut self, o: &Options) -> Duration {
        let factor = 1u32 << self.failures.min(16);
        self.failures = self.failures.saturating_add(1);
        let d = o.first_retry.saturating_mul(factor).min(o.max_retry);
        self.until = Some(Instant::now() + d);
        d
    }
}

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flushed {
    pub sent: usize,
    /// Listens the server refused as invalid, moved to `rejected.json`.
    pub set_aside: usize,
    pub left: usize,
    /// Why the pass stopped early.
    pub error: Option<String>,
    /// Another process was sending: this pass did not run.
    pub busy: bool,
}

/// The queue, the client and what the answers taught.
pub struct Submitter {
    pub queue: ListenQueue,
    pub client: Client,
    pub options: Options,
    pub backoff: Backoff,
    pub status: Status,
    /// The player's status line (none in the CLI).
    pub events: Option<Sender<Event>>,
}

impl Submitter {
    pub fn new(queue: ListenQueue, client: Client, options: Options) -> Self {
        let status = Status {
            server: client.server().to_string(),
            ..Status::default()
        };
        Submitter {
            queue,
            client,
            options,
            backoff: Backoff::default(),
            status,
            events: None,
        }
    }

    /// Sends "playing now" (when the server is not being waited for); nothing is kept.
    pub fn playing_now(&mut self, listen: &QueuedListen) {
        if !self.backoff.ready() {
            return;
        }
        match self
            .client
            .submit(Kind::PlayingNow, std::slice::from_ref(listen))
        {
            Answer::Accepted { pause } => {
                if let Some(p) = pause {
                    self.backoff.wait(p);
                }
            }
            Answer::Invalid { message, .. } => {
                tracing::info!("scrobble: \"playing now\" refused: {message}");
            }
            other => {
                self.failed(other);
            }
        }
    }

    /// Sends the queue until it is empty or the server says stop. `wait_lock`: wait this long
    /// for another sender to finish (the CLI), else give up at once (the player: it tries
    /// again later).
    pub fn pass(&mut self, wait_lock: Duration) -> Flushed {
        let mut done = Flushed::default();
        let lock_path = self.queue.dir().join("send.lock");
        let start = Instant::now();
        let _lock = loop {
            match lock_file(&lock_path, false) {
                Ok(Some(l)) => break l,
                Ok(None) if start.elapsed() < wait_lock => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Ok(None) => {
                    done.busy = true;
                    self.backoff.wait(self.options.first_retry);
                    return done;
                }
                Err(e) => return self.stopped(done, e),
            }
        };
        let mut batch_size = self.options.batch.clamp(1, MAX_BATCH);
        loop {
            let listens = match self.queue.load() {
                Ok(l) => l,
                Err(e) => return self.stopped(done, e),
            };
            done.left = listens.len();
            let Some(n) = (!listens.is_empty()).then(|| listens.len().min(batch_size)) else {
                break;
            };
            let batch = &listens[..n];
            let kind = if n == 1 { Kind::Single } else { Kind::Import };
            match self.client.submit(kind, batch) {
                Answer::Accepted { pause } => {
                    done.left = match self.queue.remove(batch) {
                        Ok(left) => left,
                        Err(e) => return self.stopped(done, e),
                    };
                    done.sent += n;
                    self.accepted(n);
                    if let Some(p) = pause {
                        self.backoff.wait(p);
                        break;
                    }
                }
                // One bad listen spoils a batch: the rest go one by one to find it.
                Answer::Invalid { .. } if n > 1 => batch_size = 1,
                Answer::Invalid { message, .. } => {
                    tracing::warn!(
                        "scrobble: the server refused a listen ({message}); it is kept in {}",
                        self.queue.dir().join("rejected.json").display()
                    );
                    if let Err(e) = self.queue.set_aside(&batch[0]) {
                        return self.stopped(done, e);
                    }
                    done.set_aside += 1;
                    self.note_error(format!("a listen was refused: {message}"));
                }
                other => {
                    done.error = Some(self.failed(other));
                    break;
                }
            }
        }
        self.status.save(self.queue.dir());
        done
    }

    fn stopped(&mut self, mut done: Flushed, e: ScrobbleError) -> Flushed {
        tracing::warn!("scrobble: {e}");
        self.note_error(e.to_string());
        self.backoff.exponential(&self.options);
        self.status.save(self.queue.dir());
        done.error = Some(e.to_string());
        done
    }

    fn accepted(&mut self, n: usize) {
        self.backoff.clear();
        self.status.state = SendState::Ok;
        self.status.sent += n as u64;
        self.status.last_sent_unix = Some(crate::util::time::now_unix());
        self.status.next_try_unix = None;
    }

    fn note_error(&mut self, e: String) {
        self.status.last_error = Some(e);
        self.status.last_error_unix = Some(crate::util::time::now_unix());
    }

    /// An answer that stops sending for now: when to try again; returns the error in words.
    fn failed(&mut self, a: Answer) -> String {
        let (reason, wait) = match a {
            Answer::RateLimited(Some(d)) => (
                "the server limits the rate".to_string(),
                Some(self.backoff.wait(d)),
            ),
            Answer::RateLimited(None) => (
                "the server limits the rate".to_string(),
                Some(self.backoff.exponential(&self.options)),
            ),
            Answer::TokenRefused(message) => {
                self.backoff.refused = true;
                self.backoff.until = None;
                if self.status.state != SendState::TokenRefused
                    && let Some(tx) = &self.events
                {
                    // Short enough for one line; the server's words are in the log and in
                    // `genreplay scrobble status`.
                    let _ = tx.send(Event::Notice(
                        "scrobbling: the server refused the token (401); listens are kept: fix \
                         scrobble.token in config.toml, restart"
                            .into(),
                    ));
                }
                self.status.state = SendState::TokenRefused;
                self.status.next_try_unix = None;
                (format!("the token was refused ({message})"), None)
            }
            Answer::Failed { message, .. } => {
                (message, Some(self.backoff.exponential(&self.options)))
            }
            Answer::Unreachable(why) => (why, Some(self.backoff.exponential(&self.options))),
            // (Handled by the callers.)
            Answer::Accepted { .. } | Answer::Invalid { .. } => return String::new(),
        };
        // The status and the log say when the player tries again; the caller gets the reason.
        let noted = match wait {
            Some(d) => {
                self.status.state = SendState::Waiting;
                self.status.next_try_unix = Some(crate::util::time::now_unix() + d.as_secs());
                format!("{reason}; trying again in {} s", d.as_secs())
            }
            None => reason.clone(),
        };
        tracing::info!("scrobble: {noted}");
        self.note_error(noted);
        self.status.save(self.queue.dir());
        reason
    }
}
