//! Crossfade: the tail of one track mixed with the head of the next, inside one rodio source.
//!
//! Every track the player queues is a [`Deck`]. The player arms a deck with a [`Plan`]
//! (through its [`FadeCue`]): the next track, opened and wrapped in its own ReplayGain stage,
//! shared as an [`Incoming`], and where the overlap starts (a position in the outgoing track,
//! or at once for a skip) and how long it lasts. From that position the deck plays
//! `outgoing × cos(t·π/2) + incoming × sin(t·π/2)` (t from 0 to 1 over the overlap, the same
//! for every channel of a frame) and ends when the overlap does. The next deck in rodio's
//! queue holds the same `Incoming` and plays the rest of it from where the overlap left it: no
//! sample of the incoming track is lost or played twice, so nothing clicks at the hand-over.
//!
//! The curve is equal-power (cos/sin): two different tracks are uncorrelated, so their powers
//! add, and cos² + sin² = 1 keeps the loudness steady through the overlap, where a linear fade
//! dips by 3 dB in the middle. The price is that correlated material (the same sound on both
//! sides) can peak at √2 of the louder side in the middle; that is why same-album transitions,
//! the ones likely to continue one sound, are never crossfaded (the app decides that).
//!
//! If the outgoing track ends before the overlap starts (a length that was overestimated) the
//! next deck plays the incoming from its start: a gapless transition. If it ends during the
//! overlap, the overlap goes on with silence on that side, so the incoming still rises
//! smoothly.

use std::f32::consts::FRAC_PI_2;
use std::num::NonZero;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rodio::Source;
use rodio::source::SeekError;

/// The longest crossfade, seconds (`crossfade` in config.toml is 0–12).
pub const MAX_CROSSFADE_SECS: f32 = 12.0;

/// How many samples of the incoming track a deck takes at a time during an overlap (one lock).
const BLOCK: usize = 1024;

/// A boxed track source.
pub type BoxedSource = Box<dyn Source + Send>;

/// The gains of the two sides at `t` (0 = the overlap's start, 1 = its end): (outgoing,
/// incoming), equal power.
pub fn equal_power(t: f32) -> (f32, f32) {
    let a = t.clamp(0.0, 1.0) * FRAC_PI_2;
    (a.cos(), a.sin())
}

/// The next track, shared between the deck that fades into it and the deck that plays it on.
pub struct Incoming {
    source: Mutex<Option<BoxedSource>>,
    /// Samples (all channels) the fading deck took from it.
    taken: AtomicU64,
    channels: NonZero<u16>,
    rate: NonZero<u32>,
    duration: Option<Duration>,
}

impl Incoming {
    pub fn new(source: BoxedSource) -> Arc<Self> {
        Arc::new(Incoming {
            channels: source.channels(),
            rate: source.sample_rate(),
            duration: source.total_duration(),
            source: Mutex::new(Some(source)),
            taken: AtomicU64::new(0),
        })
    }

    /// How far into it the overlap got, in seconds (what plays on after the hand-over).
    pub fn taken_secs(&self) -> f64 {
        self.taken.load(Ordering::Relaxed) as f64
            / (self.rate.get() as f64 * self.channels.get() as f64)
    }

    /// Appends up to `n` of its samples to `out`; fewer when it ends.
    fn take_into(&self, out: &mut Vec<f32>, n: usize) {
        let Ok(mut guard) = self.source.lock() else {
            return;
        };
        let Some(src) = guard.as_mut() else { return };
        let before = out.len();
        out.extend(src.by_ref().take(n));
        self.taken
            .fetch_add((out.len() - before) as u64, Ordering::Relaxed);
    }
}

/// A crossfade the player asks a deck for.
pub struct Plan {
    pub incoming: Arc<Incoming>,
    /// Where the overlap starts in the outgoing track, seconds; `None`: at once (a skip).
    pub start_secs: Option<f64>,
    pub secs: f64,
}

/// Where the player leaves a [`Plan`] for a deck that already plays.
#[derive(Default)]
pub struct FadeCue {
    plan: Mutex<Option<Plan>>,
    armed: AtomicBool,
    /// Set by the deck once the overlap has begun.
    began: AtomicBool,
}

impl FadeCue {
    pub fn arm(&self, plan: Plan) {
        if let Ok(mut p) = self.plan.lock() {
            *p = Some(plan);
            self.armed.store(true, Ordering::Release);
        }
    }

    /// Whether the overlap has begun (the incoming track is being heard).
    pub fn began(&self) -> bool {
        self.began.load(Ordering::Acquire)
    }

    fn take(&self) -> Option<Plan> {
        if !self.armed.swap(false, Ordering::Acquire) {
            return None;
        }
        self.plan.lock().ok().and_then(|mut p| p.take())
    }
}

/// What a deck plays: its own track, or the rest of one another deck faded into.
enum Feed {
    Own(BoxedSource),
    Pending(Arc<Incoming>),
}

/// An overlap under way.
struct Overlap {
    incoming: Arc<Incoming>,
    /// Where it starts, in samples of the outgoing track (all channels).
    start: u64,
    /// Its length in samples (all channels), a whole number of frames.
    len: u64,
    /// Samples of it played.
    done: u64,
    buf: Vec<f32>,
    buf_pos: usize,
}

impl Overlap {
    fn next_incoming(&mut self) -> f32 {
        if self.buf_pos >= self.buf.len() {
            self.buf.clear();
            self.buf_pos = 0;
            // Never more than the overlap needs: the rest is the next deck's.
            let want = (self.len - self.done).min(BLOCK as u64) as usize;
            self.incoming.take_into(&mut self.buf, want);
        }
        match self.buf.get(self.buf_pos) {
            Some(v) => {
                self.buf_pos += 1;
                *v
            }
            None => 0.0,
        }
    }
}

/// One track in rodio's queue, able to fade into the next.
pub struct Deck {
    feed: Feed,
    channels: NonZero<u16>,
    rate: NonZero<u32>,
    duration: Option<Duration>,
    cue: Arc<FadeCue>,
    overlap: Option<Overlap>,
    /// The track's position, samples (all channels).
    pos: u64,
    ended: bool,
}

impl Deck {
    /// A deck playing `source` from its start.
    pub fn new(source: BoxedSource) -> (Self, Arc<FadeCue>) {
        let cue = Arc::new(FadeCue::default());
        let deck = Deck {
            channels: source.channels(),
            rate: source.sample_rate(),
            duration: source.total_duration(),
            feed: Feed::Own(source),
            cue: cue.clone(),
            overlap: None,
            pos: 0,
            ended: false,
        };
        (deck, cue)
    }

    /// A deck playing on what another deck faded into.
    pub fn after(incoming: Arc<Incoming>) -> (Self, Arc<FadeCue>) {
        let cue = Arc::new(FadeCue::default());
        let deck = Deck {
            channels: incoming.channels,
            rate: incoming.rate,
            duration: incoming.duration,
            feed: Feed::Pending(incoming),
            cue: cue.clone(),
            overlap: None,
            pos: 0,
            ended: false,
        };
        (deck, cue)
    }

    fn samples_per_sec(&self) -> f64 {
        self.rate.get() as f64 * self.channels.get() as f64
    }

    /// The source, taken from the shared `Incoming` the first time it is needed.
    fn own(&mut self) -> Option<&mut BoxedSource> {
        if let Feed::Pending(inc) = &self.feed {
            let taken = inc.taken.load(Ordering::Relaxed);
            let src = inc.source.lock().ok().and_then(|mut s| s.take())?;
            self.pos = taken;
            self.feed = Feed::Own(src);
        }
        match &mut self.feed {
            Feed::Own(s) => Some(s),
            Feed::Pending(_) => None,
        }
    }

    fn arm_if_asked(&mut self) {
        if let Some(plan) = self.cue.take() {
            // The incoming side must be in the same format; the player checks it, and a plan
            // that does not fit is dropped (the next deck then plays it whole: gapless).
            if plan.incoming.channels != self.channels || plan.incoming.rate != self.rate {
                return;
            }
            let sps = self.samples_per_sec();
            let ch = self.channels.get() as u64;
            let frames = (plan.secs.max(0.0) * self.rate.get() as f64) as u64;
            let start = match plan.start_secs {
                Some(s) => ((s.max(0.0) * sps) as u64 / ch) * ch,
                None => self.pos,
            };
            self.overlap = Some(Overlap {
                incoming: plan.incoming,
                start: start.max(self.pos),
                len: frames * ch,
                done: 0,
                buf: Vec::with_capacity(BLOCK),
                buf_pos: 0,
            });
        }
    }
}

impl Iterator for Deck {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        if matches!(self.feed, Feed::Pending(_)) {
            self.own();
        }
        if self.overlap.is_none() {
            self.arm_if_asked();
        }
        let ch = self.channels.get() as u64;
        let in_overlap = self
            .overlap
            .as_ref()
            .is_some_and(|o| self.pos >= o.start || o.done > 0);
        if !in_overlap {
            let v = if self.ended {
                None
            } else {
                self.own().and_then(|s| s.next())
            };
            match v {
                Some(v) => {
                    self.pos += 1;
                    return Some(v);
                }
                None => {
                    // Ended before the overlap began: the next deck plays the incoming whole.
                    self.ended = true;
                    return None;
                }
            }
        }
        let out = if self.ended {
            None
        } else {
            self.own().and_then(|s| s.next())
        };
        if out.is_none() {
            self.ended = true;
        }
        let o = self.overlap.as_mut()?;
        if o.done >= o.len {
            return None;
        }
        if o.done == 0 {
            self.cue.began.store(true, Ordering::Release);
        }
        let t = (o.done / ch) as f32 / (o.len / ch).max(1) as f32;
        let (g_out, g_in) = equal_power(t);
        let inc = o.next_incoming();
        o.done += 1;
        self.pos += 1;
        Some(out.unwrap_or(0.0) * g_out + inc * g_in)
    }
}

impl Source for Deck {
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
        if self.overlap.as_ref().is_some_and(|o| o.done > 0) {
            // Part of the next track has been heard; the player rebuilds its queue instead.
            return Err(SeekError::NotSupported {
                underlying_source: "a crossfade under way",
            });
        }
        let sps = self.samples_per_sec();
        let src = self.own().ok_or(SeekError::NotSupported {
            underlying_source: "this file",
        })?;
        src.try_seek(pos)?;
        self.ended = false;
        let ch = self.channels.get() as u64;
        self.pos = ((pos.as_secs_f64() * sps) as u64 / ch) * ch;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_power_keeps_the_power_and_runs_from_one_side_to_the_other() {
        assert_eq!(equal_power(0.0), (1.0, 0.0));
        let (a, b) = equal_power(1.0);
        assert!(a.abs() < 1e-6 && (b - 1.0).abs() < 1e-6);
        for i in 0..=100 {
            let (a, b) = equal_power(i as f32 / 100.0);
            assert!((a * a + b * b - 1.0).abs() < 1e-5);
        }
        assert_eq!(equal_power(-1.0), (1.0, 0.0));
    }
}
