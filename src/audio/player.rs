//! Playback: rodio on its own thread, driven by [`PlayerCommand`]s, reporting [`PlayerEvent`]s.
//! Decoding uses our symphonia reader (the same formats the analysis reads). The next track is
//! appended to rodio's queue a few seconds before the current one ends, so transitions are
//! gapless. Without a sound card (CI, servers) no device is opened: a pump thread pulls the
//! samples in real time, so position, pause, seek and track ends behave the same, silently.

use std::collections::VecDeque;
use std::num::NonZero;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};
use rodio::Source;
use rodio::source::SeekError;

use super::decode::{AudioError, AudioFile};

/// A track as a rodio source, decoded on the fly.
pub struct TrackSource {
    file: AudioFile,
    buf: Vec<f32>,
    pos: usize,
    channels: NonZero<u16>,
    rate: NonZero<u32>,
    duration: Option<Duration>,
    done: bool,
}

impl TrackSource {
    pub fn open(path: &Path) -> Result<Self, AudioError> {
        let mut file = AudioFile::open(path)?;
        let info = file.info();
        let mut buf = Vec::new();
        // Decode the first packet now so a broken file fails here, not silently later.
        let first = file
            .next_chunk(&mut buf)?
            .ok_or_else(|| AudioError::NoAudio {
                path: path.to_path_buf(),
            })?;
        let channels = NonZero::new(first.channels as u16).unwrap_or(NonZero::<u16>::MIN);
        let rate = NonZero::new(first.sample_rate_hz).unwrap_or(NonZero::<u32>::MIN);
        Ok(TrackSource {
            file,
            buf,
            pos: 0,
            channels,
            rate,
            duration: info.duration_secs.map(Duration::from_secs_f64),
            done: false,
        })
    }

    fn refill(&mut self) {
        loop {
            match self.file.next_chunk(&mut self.buf) {
                Ok(Some(fmt)) => {
                    // A mid-stream format change would need a span boundary; keep the stream's
                    // first format and drop packets that differ (they do not occur in practice).
                    if fmt.channels as u16 != self.channels.get()
                        || fmt.sample_rate_hz != self.rate.get()
                    {
                        tracing::warn!(path = %self.file.path().display(), "format change mid-stream; packet dropped");
                        continue;
                    }
                    self.pos = 0;
                    return;
                }
                Ok(None) => {
                    self.done = true;
                    return;
                }
                Err(e) => {
                    tracing::warn!("{e}");
                    self.done = true;
                    return;
                }
            }
        }
    }
}

impl Iterator for TrackSource {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        if self.pos >= self.buf.len() {
            if self.done {
                return None;
            }
            self.refill();
            if self.done || self.buf.is_empty() {
                return None;
            }
        }
        let v = self.buf[self.pos];
        self.pos += 1;
        Some(v)
    }
}

impl Source for TrackSource {
    fn current_span_len(&self) -> Option<usize> {
        None
    }
    fn channels(&self) -> NonZero<u16> {
        self.channels
    }
    fn sample_rate(&self) -> NonZero<u32> {
        self.rate
    }
    fn total_duration(&self) -> Option<Duration> {
        self.duration
    }
    fn try_seek(&mut self, pos: Duration) -> Result<(), SeekError> {
        if self.file.seek(pos.as_secs_f64()) {
            self.buf.clear();
            self.pos = 0;
            self.done = false;
            Ok(())
        } else {
            Err(SeekError::NotSupported {
                underlying_source: "this file",
            })
        }
    }
}

/// What the app asks the player to do.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerCommand {
    /// Play this file now (replacing whatever plays), optionally paused.
    Load {
        path: PathBuf,
        paused: bool,
    },
    /// The track to play after the current one (gapless), or none.
    SetNext(Option<PathBuf>),
    Play,
    Pause,
    TogglePause,
    Stop,
    /// Seek relative to the current position, in seconds.
    SeekBy(f64),
    SeekTo(f64),
    /// 0.0 – 1.5.
    SetVolume(f32),
    Shutdown,
}

/// What the player reports.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerEvent {
    /// The output in use: a device, or silent playback.
    Output {
        silent: bool,
        detail: String,
    },
    /// A track started (after `Load`, or gaplessly after the previous one).
    Started {
        path: PathBuf,
        duration_secs: Option<f64>,
    },
    /// Position of the playing track (a few times a second while playing).
    Position {
        secs: f64,
    },
    /// The track ended and nothing was queued after it.
    Ended {
        path: PathBuf,
    },
    Paused(bool),
    Stopped,
    Error {
        path: PathBuf,
        message: String,
    },
}

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
}

impl PlayerHandle {
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
    let thread = std::thread::Builder::new()
        .name("player".into())
        .spawn(move || run(output, rx, etx))
        .ok();
    PlayerHandle {
        tx,
        events: erx,
        thread,
    }
}

/// Pulls samples from a silent player's output in real time.
fn pump(mut out: rodio::queue::SourcesQueueOutput, stop: Arc<AtomicBool>) {
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

struct Loaded {
    path: PathBuf,
    duration: Option<f64>,
}

fn run(output: AudioOutput, rx: Receiver<PlayerCommand>, tx: Sender<PlayerEvent>) {
    let stop_pump = Arc::new(AtomicBool::new(false));
    let (player, _device, pump_thread) = match output {
        AudioOutput::Device(sink) => {
            let detail = format!(
                "{} Hz, {} channels",
                sink.config().sample_rate(),
                sink.config().channel_count()
            );
            let p = rodio::Player::connect_new(sink.mixer());
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
                .spawn(move || pump(out, stop))
                .ok();
            let _ = tx.send(PlayerEvent::Output {
                silent: true,
                detail: why,
            });
            (p, None, t)
        }
    };
    // What rodio's queue holds, in order (front = playing).
    let mut queued: VecDeque<Loaded> = VecDeque::new();
    let mut next: Option<PathBuf> = None;
    let mut last_pos_report = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(cmd) => match cmd {
                PlayerCommand::Shutdown => break,
                PlayerCommand::Load { path, paused } => {
                    if !queued.is_empty() {
                        player.clear();
                        queued.clear();
                    }
                    match TrackSource::open(&path) {
                        Ok(src) => {
                            let duration = src.total_duration().map(|d| d.as_secs_f64());
                            player.append(src);
                            if paused {
                                player.pause();
                            } else {
                                player.play();
                            }
                            let _ = tx.send(PlayerEvent::Started {
                                path: path.clone(),
                                duration_secs: duration,
                            });
                            let _ = tx.send(PlayerEvent::Paused(paused));
                            queued.push_back(Loaded { path, duration });
                        }
                        Err(e) => {
                            let _ = tx.send(PlayerEvent::Error {
                                path,
                                message: e.to_string(),
                            });
                        }
                    }
                }
                PlayerCommand::SetNext(p) => {
                    // Already appended to rodio (the last seconds of a track) but no longer
                    // what comes next? rodio cannot drop one queued source, so its queue is
                    // rebuilt: the playing track reopened at its position, then the new next.
                    if queued.len() >= 2 && queued.get(1).map(|l| &l.path) != p.as_ref() {
                        let pos = player.get_pos();
                        let paused = player.is_paused();
                        let cur = queued.pop_front();
                        player.clear();
                        queued.clear();
                        if let Some(cur) = cur {
                            match TrackSource::open(&cur.path) {
                                Ok(src) => {
                                    player.append(src);
                                    let _ = player.try_seek(pos);
                                    if !paused {
                                        player.play();
                                    }
                                    queued.push_back(cur);
                                }
                                Err(e) => {
                                    let _ = tx.send(PlayerEvent::Error {
                                        path: cur.path,
                                        message: e.to_string(),
                                    });
                                }
                            }
                        }
                    }
                    if queued.len() < 2 {
                        next = p;
                    }
                }
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
                    if !queued.is_empty() {
                        player.clear();
                        queued.clear();
                    }
                    let _ = tx.send(PlayerEvent::Stopped);
                }
                PlayerCommand::SeekBy(d) => {
                    let pos = player.get_pos().as_secs_f64() + d;
                    seek(&player, &queued, pos, &tx);
                }
                PlayerCommand::SeekTo(pos) => seek(&player, &queued, pos, &tx),
                PlayerCommand::SetVolume(v) => player.set_volume(v.clamp(0.0, 1.5)),
            },
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        // Tracks that finished: rodio's count dropped below ours.
        while queued.len() > player.len() {
            let finished = queued.pop_front();
            match (queued.front(), finished) {
                (Some(now), _) => {
                    let _ = tx.send(PlayerEvent::Started {
                        path: now.path.clone(),
                        duration_secs: now.duration,
                    });
                }
                (None, Some(f)) => {
                    let _ = tx.send(PlayerEvent::Ended { path: f.path });
                }
                (None, None) => {}
            }
        }
        // Gapless: append the next track when the current one is about to end.
        if queued.len() == 1
            && let (Some(cur), Some(n)) = (queued.front(), next.as_ref())
            && let Some(d) = cur.duration
            && player.get_pos().as_secs_f64() + 5.0 >= d
        {
            let n = n.clone();
            next = None;
            match TrackSource::open(&n) {
                Ok(src) => {
                    let duration = src.total_duration().map(|d| d.as_secs_f64());
                    player.append(src);
                    queued.push_back(Loaded { path: n, duration });
                }
                Err(e) => {
                    let _ = tx.send(PlayerEvent::Error {
                        path: n,
                        message: e.to_string(),
                    });
                }
            }
        }
        if !queued.is_empty()
            && !player.is_paused()
            && last_pos_report.elapsed() >= Duration::from_millis(250)
        {
            last_pos_report = Instant::now();
            let _ = tx.send(PlayerEvent::Position {
                secs: player.get_pos().as_secs_f64(),
            });
        }
    }
    player.stop();
    stop_pump.store(true, Ordering::Relaxed);
    if let Some(t) = pump_thread {
        let _ = t.join();
    }
}

fn seek(player: &rodio::Player, queued: &VecDeque<Loaded>, pos: f64, tx: &Sender<PlayerEvent>) {
    let Some(cur) = queued.front() else { return };
    let max = cur.duration.map_or(f64::MAX, |d| (d - 0.5).max(0.0));
    let pos = pos.clamp(0.0, max);
    match player.try_seek(Duration::from_secs_f64(pos)) {
        Ok(()) => {
            let _ = tx.send(PlayerEvent::Position { secs: pos });
        }
        Err(e) => {
            let _ = tx.send(PlayerEvent::Error {
                path: cur.path.clone(),
                message: format!("cannot seek: {e}"),
            });
        }
    }
}
