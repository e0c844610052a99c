//! Playback: rodio on its own thread, driven by [`PlayerCommand`]s, reporting [`PlayerEvent`]s.
//! Decoding uses our symphonia reader (the same formats the analysis reads). The next track is
//! appended to rodio's queue a few seconds before the current one ends, so transitions are
//! gapless. Without a sound card (CI, servers) no device is opened: a pump thread pulls the
//! samples in real time, so position, pause, seek and track ends behave the same, silently.
//!
//! What leaves the player (to the device or the silent pump) passes a [`super::scope::Tap`],
//! which copies it for the spectrum visualiser while that is shown.
//!
//! With `crossfade` set, the next track is opened a few seconds earlier and mixed into the
//! current one's tail instead (see [`super::crossfade`]: every queued track is a `Deck`);
//! the app decides per transition how long the overlap is (0 between an album's tracks in
//! order) and sends it with [`PlayerCommand::SetCrossfade`] before [`PlayerCommand::SetNext`].
//!
//! Each track plays through a gain stage ([`super::gain::Gain`], its ReplayGain) in front of
//! the user's volume: the app sends [`PlayerCommand::SetGain`] for a path before it loads it,
//! and again when the gain changes while it plays.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};
use rodio::Source;

use super::scope::{Scope, Tap};

mod messages;
mod queue;
mod source;

pub use messages::{PlayerCommand, PlayerEvent};
use queue::{Loaded, current_index, fade_into, load, position, queue_next, reopen_current, seek};
pub use source::{DamageSlot, TrackSource};

/// Where the sound goes.
pub enum AudioOutput {
    Device(rodio::MixerDeviceSink),
    /// No sound card: samples are pulled in real time and dropped.
    Silent(String),
}

/// Opens the default output device. ALSA prints to stderr when there is no card; the caller
/// should have stderr redirected (the TUI sends it to the log) or call this before drawing.
pub fn open_output() -> AudioOutput {
    if std::env::var_os("GENREPLAY_NO_AUDIO").is_some() {
        return AudioOutput::Silent("disabled by GENREPLAY_NO_AUDIO".into());
    }
    match rodio::DeviceSinkBuilder::open_default_sink() {
        Ok(mut sink) => {
            sink.log_on_drop(false);
            AudioOutput::Device(sink)
        }
        Err(e) => AudioOutput::Silent(e.to_string()),
    }
}

/// The running player thread.
pub struct PlayerHandle {
    tx: Sender<PlayerCommand>,
    events: Receiver<PlayerEvent>,
    thread: Option<JoinHandle<()>>,
    scope: Scope,
}

impl PlayerHandle {
    /// The samples being played, for the visualiser.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub fn send(&self, cmd: PlayerCommand) {
        let _ = self.tx.send(cmd);
    }

    pub fn events(&self) -> &Receiver<PlayerEvent> {
        &self.events
    }
}

impl Drop for PlayerHandle {
    fn drop(&mut self) {
        let _ = self.tx.send(PlayerCommand::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the player thread on `output`.
pub fn spawn(output: AudioOutput) -> PlayerHandle {
    let (tx, rx) = unbounded();
    let (etx, erx) = unbounded();
    let scope = Scope::default();
    let tap = scope.clone();
    let thread = std::thread::Builder::new()
        .name("player".into())
        .spawn(move || run(output, rx, etx, tap))
        .ok();
    PlayerHandle {
        tx,
        events: erx,
        thread,
        scope,
    }
}

/// Pulls samples from a silent player's output in real time.
fn pump(mut out: impl Source, stop: Arc<AtomicBool>) {
    let tick = Duration::from_millis(10);
    let mut next = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let per_tick = (out.sample_rate().get() as usize * out.channels().get() as usize) / 100;
        for _ in 0..per_tick.max(1) {
            if out.next().is_none() {
                break;
            }
        }
        next += tick;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else {
            next = now;
        }
    }
}

fn run(output: AudioOutput, rx: Receiver<PlayerCommand>, tx: Sender<PlayerEvent>, scope: Scope) {
    let stop_pump = Arc::new(AtomicBool::new(false));
    let (player, _device, pump_thread) = open_player(output, scope, &stop_pump, &tx);
    let mut thread = PlayerThread {
        player,
        tx,
        queued: VecDeque::new(),
        gains: VecDeque::new(),
        next: None,
        fade_secs: 0.0,
        last_pos_report: Instant::now(),
    };
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(PlayerCommand::Shutdown) => break,
            Ok(cmd) => thread.command(cmd),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        thread.report_finished();
        thread.queue_next_when_due();
        thread.report_position();
    }
    thread.player.stop();
    stop_pump.store(true, Ordering::Relaxed);
    if let Some(t) = pump_thread {
        let _ = t.join();
    }
}

/// A rodio player on `output` (the device, or the silent pump's thread, stopped by
/// `stop_pump`), every sample through the visualiser's tap; the output is announced on `tx`.
fn open_player(
    output: AudioOutput,
    scope: Scope,
    stop_pump: &Arc<AtomicBool>,
    tx: &Sender<PlayerEvent>,
) -> (
    rodio::Player,
    Option<rodio::MixerDeviceSink>,
    Option<JoinHandle<()>>,
) {
    match output {
        AudioOutput::Device(sink) => {
            let detail = format!(
                "{} Hz, {} channels",
                sink.config().sample_rate(),
                sink.config().channel_count()
            );
            let (p, out) = rodio::Player::new();
            sink.mixer().add(Tap::new(out, scope));
            let _ = tx.send(PlayerEvent::Output {
                silent: false,
                detail,
            });
            (p, Some(sink), None)
        }
        AudioOutput::Silent(why) => {
            tracing::info!("no audio output ({why}); playing silently");
            let (p, out) = rodio::Player::new();
            let stop = stop_pump.clone();
            let t = std::thread::Builder::new()
                .name("silent-pump".into())
                .spawn(move || pump(Tap::new(out, scope), stop))
                .ok();
            let _ = tx.send(PlayerEvent::Output {
                silent: true,
                detail: why,
            });
            (p, None, t)
        }
    }
}

/// The player thread's state.
struct PlayerThread {
    player: rodio::Player,
    tx: Sender<PlayerEvent>,
    /// What rodio's queue holds, in order (front = playing, or fading out after a skip).
    queued: VecDeque<Loaded>,
    /// The gains the app sent for the tracks it is about to play (the last few).
    gains: VecDeque<(PathBuf, f32)>,
    next: Option<PathBuf>,
    /// The overlap of the transitions set from now on, seconds (0: gapless).
    fade_secs: f64,
    last_pos_report: Instant,
}

impl PlayerThread {
    /// Does what the app asked (but `Shutdown`, which ends the thread's loop).
    fn command(&mut self, cmd: PlayerCommand) {
        let (player, tx) = (&self.player, &self.tx);
        match cmd {
            PlayerCommand::Shutdown => {}
            PlayerCommand::Load { path, paused } => {
                load(player, &mut self.queued, &self.gains, path, paused, tx);
            }
            PlayerCommand::CrossfadeTo { path, secs } => {
                if !fade_into(player, &mut self.queued, &self.gains, &path, secs, tx) {
                    load(player, &mut self.queued, &self.gains, path, false, tx);
                }
            }
            PlayerCommand::SetCrossfade(secs) => {
                self.fade_secs = f64::from(secs.clamp(0.0, super::crossfade::MAX_CROSSFADE_SECS));
            }
            PlayerCommand::SetNext(p) => self.set_next(p),
            PlayerCommand::Play => {
                player.play();
                let _ = tx.send(PlayerEvent::Paused(false));
            }
            PlayerCommand::Pause => {
                player.pause();
                let _ = tx.send(PlayerEvent::Paused(true));
            }
            PlayerCommand::TogglePause => {
                if player.is_paused() {
                    player.play();
                } else {
                    player.pause();
                }
                let _ = tx.send(PlayerEvent::Paused(player.is_paused()));
            }
            PlayerCommand::Stop => {
                if !self.queued.is_empty() {
                    player.clear();
                    self.queued.clear();
                }
                let _ = tx.send(PlayerEvent::Stopped);
            }
            PlayerCommand::SeekBy(d) => {
                let pos = position(player, &self.queued) + d;
                seek(player, &mut self.queued, &mut self.next, pos, tx);
            }
            PlayerCommand::SeekTo(pos) => seek(player, &mut self.queued, &mut self.next, pos, tx),
            PlayerCommand::SetVolume(v) => player.set_volume(v.clamp(0.0, 1.5)),
            PlayerCommand::SetGain { path, scale } => {
                for l in self.queued.iter().filter(|l| l.path == path) {
                    l.gain.set(scale);
                }
                self.gains.retain(|(p, _)| *p != path);
                self.gains.push_back((path, scale));
                while self.gains.len() > 16 {
                    self.gains.pop_front();
                }
            }
        }
    }

    /// What comes after the playing track changed.
    fn set_next(&mut self, p: Option<PathBuf>) {
        // Already appended to rodio (the last seconds of a track) but no longer what comes
        // next? rodio cannot drop one queued source, so its queue is rebuilt: the playing
        // track reopened at its position, then the new next.
        let ci = current_index(&self.queued);
        if self.queued.len() >= ci + 2 && self.queued.get(ci + 1).map(|l| &l.path) != p.as_ref() {
            let pos = position(&self.player, &self.queued);
            reopen_current(&self.player, &mut self.queued, pos, &self.tx);
        }
        if self.queued.len() < current_index(&self.queued) + 2 {
            self.next = p;
        }
    }

    /// Tracks that finished: rodio's count dropped below ours. A track that was damaged
    /// (stopped early, packets lost) is reported with the reason: after the next track's
    /// start when one follows gaplessly, else instead of `Ended` (the app moves on either
    /// way, and shows the reason). A track faded out by a skip ends without news.
    fn report_finished(&mut self) {
        let tx = &self.tx;
        while self.queued.len() > self.player.len() {
            let finished = self.queued.pop_front();
            if let Some(now) = self.queued.front_mut()
                && let Some(inc) = &now.incoming
            {
                now.offset = inc.taken_secs();
            }
            match (self.queued.front(), finished) {
                (_, Some(f)) if f.skipped => {}
                (Some(now), f) => {
                    let _ = tx.send(PlayerEvent::Started {
                        path: now.path.clone(),
                        duration_secs: now.duration,
                    });
                    if let Some(f) = f
                        && let Some(message) = f.damage()
                    {
                        let _ = tx.send(PlayerEvent::Error {
                            path: f.path,
                            message,
                        });
                    }
                }
                (None, Some(f)) => match f.damage() {
                    Some(message) => {
                        let _ = tx.send(PlayerEvent::Error {
                            path: f.path,
                            message,
                        });
                    }
                    None => {
                        let _ = tx.send(PlayerEvent::Ended { path: f.path });
                    }
                },
                (None, None) => {}
            }
        }
    }

    /// Gapless (or crossfaded): queues the next track when the current one is about to end.
    fn queue_next_when_due(&mut self) {
        let ci = current_index(&self.queued);
        if self.queued.len() == ci + 1
            && let (Some(cur), Some(n)) = (self.queued.get(ci), self.next.as_ref())
            && let Some(d) = cur.duration
        {
            let fade = self.fade_secs.min(d / 2.0);
            if position(&self.player, &self.queued) + 5.0 + fade >= d {
                let n = n.clone();
                self.next = None;
                queue_next(
                    &self.player,
                    &mut self.queued,
                    &self.gains,
                    n,
                    d,
                    fade,
                    &self.tx,
                );
            }
        }
    }

    /// The position, a few times a second while something plays.
    fn report_position(&mut self) {
        if !self.queued.is_empty()
            && !self.player.is_paused()
            && self.last_pos_report.elapsed() >= Duration::from_millis(250)
        {
            self.last_pos_report = Instant::now();
            let _ = self.tx.send(PlayerEvent::Position {
                secs: position(&self.player, &self.queued),
            });
        }
    }
}
