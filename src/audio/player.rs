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
use std::num::NonZero;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};
use rodio::Source;
use rodio::source::SeekError;

use super::crossfade::{Deck, FadeCue, Incoming, Plan};
use super::decode::{AudioError, AudioFile};
use super::gain::{Gain, GainHandle};
use super::scope::{Scope, Tap};

/// What went wrong while a track played (set when its decoding ends), shared with the player
/// thread so it can say why a track stopped early or sounded wrong.
pub type DamageSlot = Arc<Mutex<Option<String>>>;

/// A track as a rodio source, decoded on the fly.
pub struct TrackSource {
    file: AudioFile,
    buf: Vec<f32>,
    pos: usize,
    channels: NonZero<u16>,
    rate: NonZero<u32>,
    duration: Option<Duration>,
    done: bool,
    /// Where playback is, in samples (all channels) from the start: for "stopped at m:ss".
    samples_out: u64,
    damage: DamageSlot,
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
            duration: info
                .duration_secs
                .filter(|d| d.is_finite() && *d >= 0.0 && *d < 1e9)
                .map(Duration::from_secs_f64),
            done: false,
            samples_out: 0,
            damage: Arc::new(Mutex::new(None)),
        })
    }

    /// Where this source reports what went wrong while it played.
    pub fn damage_slot(&self) -> DamageSlot {
        self.damage.clone()
    }

    /// Ends the track, recording what the decoder lost on the way.
    fn finish(&mut self, error: Option<String>) {
        self.done = true;
        let secs_f = self.samples_out as f64 / self.channels.get() as f64 / self.rate.get() as f64;
        let secs = secs_f as u64;
        let damage = self.file.damage();
        let mut why = damage.describe();
        // How far into the stream it got: what played and what the reader stepped over.
        let reached = secs_f + damage.lost_secs;
        if let Some(d) = self.duration
            && damage.cut_off.is_none()
            // Codec delay and estimated lengths differ by a fraction of a second.
            && reached + 0.3 + 0.01 * d.as_secs_f64() < d.as_secs_f64()
        {
            let short = format!(
                "truncated: the stream ends at {} of the declared {}",
                crate::util::time::fmt_time(reached),
                crate::util::time::fmt_time(d.as_secs_f64())
            );
            why = Some(match why {
                Some(w) => format!("{short}; {w}"),
                None => short,
            });
        }
        if let Some(e) = error {
            why = Some(match why {
                Some(w) => format!("{e}; {w}"),
                None => e,
            });
        }
        if let Some(w) = why
            && let Ok(mut slot) = self.damage.lock()
        {
            *slot = Some(format!(
                "{}: damaged, played up to {}:{:02}: {w}",
                self.file.path().display(),
                secs / 60,
                secs % 60
            ));
        }
        if let Ok(slot) = self.damage.lock()
            && let Some(w) = slot.as_ref()
        {
            tracing::warn!("{w}");
        }
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
                    self.finish(None);
                    return;
                }
                Err(e) => {
                    tracing::warn!("{e}");
                    self.finish(Some(e.to_string()));
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
        self.samples_out += 1;
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
            self.samples_out =
                (pos.as_secs_f64() * self.rate.get() as f64 * self.channels.get() as f64) as u64;
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
    /// How many seconds the transitions set from now on overlap (0: gapless). Sent before a
    /// `SetNext` whose transition differs from the last one's.
    SetCrossfade(f32),
    /// Play this file now, fading out what plays over `secs` (a skip with
    /// `crossfade_on_skip`); a plain `Load` when nothing plays or the formats differ.
    CrossfadeTo {
        path: PathBuf,
        secs: f32,
    },
    Play,
    Pause,
    TogglePause,
    Stop,
    /// Seek relative to the current position, in seconds.
    SeekBy(f64),
    SeekTo(f64),
    /// 0.0 – 1.5.
    SetVolume(f32),
    /// The ReplayGain scale of the track at `path` (1.0 = as it is): sent before that track is
    /// loaded or set as next, and whenever its gain changes (applied at once if it plays).
    SetGain {
        path: PathBuf,
        scale: f32,
    },
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

struct Loaded {
    path: PathBuf,
    duration: Option<f64>,
    damage: DamageSlot,
    gain: GainHandle,
    /// Where a crossfade into the next track is asked for.
    cue: Arc<FadeCue>,
    /// Its sample format, which a crossfade's two sides must share.
    format: (NonZero<u16>, NonZero<u32>),
    /// It plays on what the track before faded into: the part heard in the overlap.
    incoming: Option<Arc<Incoming>>,
    /// Seconds to add to rodio's position (what the overlap played before it was queued).
    offset: f64,
    /// Left by a skip that fades it out: its end is not news (the next was announced).
    skipped: bool,
}

impl Loaded {
    fn of(path: PathBuf, src: &TrackSource, gain: GainHandle) -> Self {
        Loaded {
            path,
            duration: src.total_duration().map(|d| d.as_secs_f64()),
            damage: src.damage_slot(),
            gain,
            cue: Arc::new(FadeCue::default()),
            format: (src.channels(), src.sample_rate()),
            incoming: None,
            offset: 0.0,
            skipped: false,
        }
    }

    /// What went wrong while it played, if anything.
    fn damage(&self) -> Option<String> {
        self.damage.lock().ok().and_then(|d| d.clone())
    }
}

fn run(output: AudioOutput, rx: Receiver<PlayerCommand>, tx: Sender<PlayerEvent>, scope: Scope) {
    let stop_pump = Arc::new(AtomicBool::new(false));
    let (player, _device, pump_thread) = match output {
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
    };
    // What rodio's queue holds, in order (front = playing, or fading out after a skip).
    let mut queued: VecDeque<Loaded> = VecDeque::new();
    // The gains the app sent for the tracks it is about to play (the last few).
    let mut gains: VecDeque<(PathBuf, f32)> = VecDeque::new();
    let mut next: Option<PathBuf> = None;
    // The overlap of the transitions set from now on, seconds (0: gapless).
    let mut fade_secs = 0.0f64;
    let mut last_pos_report = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(cmd) => match cmd {
                PlayerCommand::Shutdown => break,
                PlayerCommand::Load { path, paused } => {
                    load(&player, &mut queued, &gains, path, paused, &tx);
                }
                PlayerCommand::CrossfadeTo { path, secs } => {
                    if !fade_into(&player, &mut queued, &gains, &path, secs, &tx) {
                        load(&player, &mut queued, &gains, path, false, &tx);
                    }
                }
                PlayerCommand::SetCrossfade(secs) => {
                    fade_secs = f64::from(secs.clamp(0.0, super::crossfade::MAX_CROSSFADE_SECS));
                }
                PlayerCommand::SetNext(p) => {
                    // Already appended to rodio (the last seconds of a track) but no longer
                    // what comes next? rodio cannot drop one queued source, so its queue is
                    // rebuilt: the playing track reopened at its position, then the new next.
                    let ci = current_index(&queued);
                    if queued.len() >= ci + 2 && queued.get(ci + 1).map(|l| &l.path) != p.as_ref() {
                        let pos = position(&player, &queued);
                        reopen_current(&player, &mut queued, pos, &tx);
                    }
                    if queued.len() < current_index(&queued) + 2 {
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
                    let pos = position(&player, &queued) + d;
                    seek(&player, &mut queued, &mut next, pos, &tx);
                }
                PlayerCommand::SeekTo(pos) => seek(&player, &mut queued, &mut next, pos, &tx),
                PlayerCommand::SetVolume(v) => player.set_volume(v.clamp(0.0, 1.5)),
                PlayerCommand::SetGain { path, scale } => {
                    for l in queued.iter().filter(|l| l.path == path) {
                        l.gain.set(scale);
                    }
                    gains.retain(|(p, _)| *p != path);
                    gains.push_back((path, scale));
                    while gains.len() > 16 {
                        gains.pop_front();
                    }
                }
            },
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        // Tracks that finished: rodio's count dropped below ours. A track that was damaged
        // (stopped early, packets lost) is reported with the reason: after the next track's
        // start when one follows gaplessly, else instead of `Ended` (the app moves on either
        // way, and shows the reason). A track faded out by a skip ends without news.
        while queued.len() > player.len() {
            let finished = queued.pop_front();
            if let Some(now) = queued.front_mut()
                && let Some(inc) = &now.incoming
            {
                now.offset = inc.taken_secs();
            }
            match (queued.front(), finished) {
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
        // Gapless (or crossfaded): queue the next track when the current one is about to end.
        let ci = current_index(&queued);
        if queued.len() == ci + 1
            && let (Some(cur), Some(n)) = (queued.get(ci), next.as_ref())
            && let Some(d) = cur.duration
        {
            let fade = fade_secs.min(d / 2.0);
            if position(&player, &queued) + 5.0 + fade >= d {
                let n = n.clone();
                next = None;
                queue_next(&player, &mut queued, &gains, n, d, fade, &tx);
            }
        }
        if !queued.is_empty()
            && !player.is_paused()
            && last_pos_report.elapsed() >= Duration::from_millis(250)
        {
            last_pos_report = Instant::now();
            let _ = tx.send(PlayerEvent::Position {
                secs: position(&player, &queued),
            });
        }
    }
    player.stop();
    stop_pump.store(true, Ordering::Relaxed);
    if let Some(t) = pump_thread {
        let _ = t.join();
    }
}

/// The gain the app sent for `path` (unity when it sent none).
fn gain_for(gains: &VecDeque<(PathBuf, f32)>, path: &Path) -> GainHandle {
    GainHandle::new(
        gains
            .iter()
            .rev()
            .find(|(p, _)| p == path)
            .map_or(1.0, |(_, g)| *g),
    )
}

/// Which queued track is the one playing: the second while the first fades out after a skip.
fn current_index(queued: &VecDeque<Loaded>) -> usize {
    usize::from(queued.front().is_some_and(|l| l.skipped))
}

/// The playing track's position, seconds.
fn position(player: &rodio::Player, queued: &VecDeque<Loaded>) -> f64 {
    match queued.front() {
        // Fading out after a skip: the new track is as far as the overlap took it.
        Some(f) if f.skipped => queued
            .get(1)
            .and_then(|n| n.incoming.as_ref())
            .map_or(0.0, |i| i.taken_secs()),
        Some(f) => {
            let pos = player.get_pos().as_secs_f64() + f.offset;
            f.duration.map_or(pos, |d| pos.min(d))
        }
        None => 0.0,
    }
}

/// Queues `src` to play whole after what is queued.
fn append_whole(player: &rodio::Player, loaded: &mut Loaded, src: TrackSource) {
    let (deck, cue) = Deck::new(Box::new(Gain::new(src, loaded.gain.clone())));
    loaded.cue = cue;
    player.append(deck);
}

/// Queues `src` to be faded into from `from` over `secs`, from `start_secs` into `from` (at
/// once when `None`). Gives `src` back when the two formats differ (no crossfade possible).
fn append_faded(
    player: &rodio::Player,
    from: &Loaded,
    loaded: &mut Loaded,
    src: TrackSource,
    start_secs: Option<f64>,
    secs: f64,
) -> Option<TrackSource> {
    if from.format != loaded.format || secs <= 0.0 {
        return Some(src);
    }
    let incoming = Incoming::new(Box::new(Gain::new(src, loaded.gain.clone())));
    let (deck, cue) = Deck::after(incoming.clone());
    loaded.cue = cue;
    loaded.incoming = Some(incoming.clone());
    // Queued before the outgoing side is armed, so rodio never finds its queue empty.
    player.append(deck);
    from.cue.arm(Plan {
        incoming,
        start_secs,
        secs,
    });
    None
}

/// Plays `path` now, replacing whatever plays.
fn load(
    player: &rodio::Player,
    queued: &mut VecDeque<Loaded>,
    gains: &VecDeque<(PathBuf, f32)>,
    path: PathBuf,
    paused: bool,
    tx: &Sender<PlayerEvent>,
) {
    if !queued.is_empty() {
        player.clear();
        queued.clear();
    }
    match TrackSource::open(&path) {
        Ok(src) => {
            let mut loaded = Loaded::of(path.clone(), &src, gain_for(gains, &path));
            let duration = loaded.duration;
            append_whole(player, &mut loaded, src);
            if paused {
                player.pause();
            } else {
                player.play();
            }
            let _ = tx.send(PlayerEvent::Started {
                path,
                duration_secs: duration,
            });
            let _ = tx.send(PlayerEvent::Paused(paused));
            queued.push_back(loaded);
        }
        Err(e) => {
            let _ = tx.send(PlayerEvent::Error {
                path,
                message: e.to_string(),
            });
        }
    }
}

/// A skip with a crossfade: `path` starts at once, rising over `secs` while the playing track
/// falls. False when that cannot be (nothing plays, paused, a transition already queued, a
/// different format): the caller loads it plainly.
fn fade_into(
    player: &rodio::Player,
    queued: &mut VecDeque<Loaded>,
    gains: &VecDeque<(PathBuf, f32)>,
    path: &Path,
    secs: f32,
    tx: &Sender<PlayerEvent>,
) -> bool {
    let secs = f64::from(secs.clamp(0.0, super::crossfade::MAX_CROSSFADE_SECS));
    let ready = queued.len() == 1
        && !player.is_paused()
        && secs > 0.0
        && queued.front().is_some_and(|f| !f.cue.began());
    if !ready {
        return false;
    }
    let Ok(src) = TrackSource::open(path) else {
        return false;
    };
    let Some(from) = queued.front_mut() else {
        return false;
    };
    let mut loaded = Loaded::of(path.to_path_buf(), &src, gain_for(gains, path));
    if append_faded(player, from, &mut loaded, src, None, secs).is_some() {
        return false;
    }
    from.skipped = true;
    let _ = tx.send(PlayerEvent::Started {
        path: loaded.path.clone(),
        duration_secs: loaded.duration,
    });
    let _ = tx.send(PlayerEvent::Paused(false));
    queued.push_back(loaded);
    true
}

/// Queues the next track `n` after the playing one (whose length is `d`): overlapping its
/// last `fade` seconds, or gaplessly when `fade` is 0 or the formats differ.
fn queue_next(
    player: &rodio::Player,
    queued: &mut VecDeque<Loaded>,
    gains: &VecDeque<(PathBuf, f32)>,
    n: PathBuf,
    d: f64,
    fade: f64,
    tx: &Sender<PlayerEvent>,
) {
    match TrackSource::open(&n) {
        Ok(src) => {
            let mut loaded = Loaded::of(n.clone(), &src, gain_for(gains, &n));
            let fade = loaded.duration.map_or(fade, |nd| fade.min(nd / 2.0));
            let ci = current_index(queued);
            let left = match queued.get(ci) {
                Some(cur) if fade > 0.0 => {
                    append_faded(player, cur, &mut loaded, src, Some(d - fade), fade)
                }
                _ => Some(src),
            };
            if let Some(src) = left {
                append_whole(player, &mut loaded, src);
            }
            queued.push_back(loaded);
        }
        Err(e) => {
            let _ = tx.send(PlayerEvent::Error {
                path: n,
                message: e.to_string(),
            });
        }
    }
}

/// Rebuilds rodio's queue with only the playing track, reopened at `pos` (rodio cannot drop
/// one queued source, nor take back a crossfade under way).
fn reopen_current(
    player: &rodio::Player,
    queued: &mut VecDeque<Loaded>,
    pos: f64,
    tx: &Sender<PlayerEvent>,
) {
    let paused = player.is_paused();
    let cur = queued.remove(current_index(queued));
    player.clear();
    queued.clear();
    let Some(cur) = cur else { return };
    match TrackSource::open(&cur.path) {
        Ok(src) => {
            let mut loaded = Loaded::of(cur.path, &src, cur.gain);
            append_whole(player, &mut loaded, src);
            let _ = player.try_seek(Duration::from_secs_f64(pos.max(0.0)));
            if !paused {
                player.play();
            }
            queued.push_back(loaded);
        }
        Err(e) => {
            let _ = tx.send(PlayerEvent::Error {
                path: cur.path,
                message: e.to_string(),
            });
        }
    }
}

fn seek(
    player: &rodio::Player,
    queued: &mut VecDeque<Loaded>,
    next: &mut Option<PathBuf>,
    pos: f64,
    tx: &Sender<PlayerEvent>,
) {
    let ci = current_index(queued);
    let Some(cur) = queued.get(ci) else { return };
    let max = cur.duration.map_or(f64::MAX, |d| (d - 0.5).max(0.0));
    let pos = pos.clamp(0.0, max);
    // A crossfade queued or under way cannot be taken back: the playing track is reopened
    // there and its next queued again when its time comes.
    if queued.get(ci + 1).is_some_and(|n| n.incoming.is_some()) || ci > 0 {
        if let Some(n) = queued.get(ci + 1) {
            *next = Some(n.path.clone());
        }
        reopen_current(player, queued, pos, tx);
        let _ = tx.send(PlayerEvent::Position { secs: pos });
        return;
    }
    match player.try_seek(Duration::from_secs_f64(pos)) {
        Ok(()) => {
            if let Some(f) = queued.front_mut() {
                f.offset = 0.0;
            }
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
