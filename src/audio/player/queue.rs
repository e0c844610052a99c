//! What rodio's queue holds ([`Loaded`]: a track per source appended, front = playing) and
//! the moves on it: load a track, crossfade into one on a skip, queue the next one before the
//! current one ends, seek (reopening the playing track when a crossfade is under way), and
//! where playback is. Each move tells the app over `tx` what it did.

use std::collections::VecDeque;
use std::num::NonZero;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Sender;
use rodio::Source;

use super::messages::PlayerEvent;
use super::source::{DamageSlot, TrackSource};
use crate::audio::crossfade::{Deck, FadeCue, Incoming, Plan};
use crate::audio::gain::{Gain, GainHandle};

/// A track appended to rodio's queue.
pub(super) struct Loaded {
    pub(super) path: PathBuf,
    pub(super) duration: Option<f64>,
    pub(super) damage: DamageSlot,
    pub(super) gain: GainHandle,
    /// Where a crossfade into the next track is asked for.
    pub(super) cue: Arc<FadeCue>,
    /// Its sample format, which a crossfade's two sides must share.
    pub(super) format: (NonZero<u16>, NonZero<u32>),
    /// It plays on what the track before faded into: the part heard in the overlap.
    pub(super) incoming: Option<Arc<Incoming>>,
    /// Seconds to add to rodio's position (what the overlap played before it was queued).
    pub(super) offset: f64,
    /// Left by a skip that fades it out: its end is not news (the next was announced).
    pub(super) skipped: bool,
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
    pub(super) fn damage(&self) -> Option<String> {
        self.damage.lock().ok().and_then(|d| d.clone())
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
pub(super) fn current_index(queued: &VecDeque<Loaded>) -> usize {
    usize::from(queued.front().is_some_and(|l| l.skipped))
}

/// The playing track's position, seconds.
pub(super) fn position(player: &rodio::Player, queued: &VecDeque<Loaded>) -> f64 {
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
pub(super) fn load(
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
pub(super) fn fade_into(
    player: &rodio::Player,
    queued: &mut VecDeque<Loaded>,
    gains: &VecDeque<(PathBuf, f32)>,
    path: &Path,
    secs: f32,
    tx: &Sender<PlayerEvent>,
) -> bool {
    let secs = f64::from(secs.clamp(0.0, crate::audio::crossfade::MAX_CROSSFADE_SECS));
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
pub(super) fn queue_next(
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
pub(super) fn reopen_current(
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

pub(super) fn seek(
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
