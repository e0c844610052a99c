//! The samples being played, for the spectrum visualiser: [`Tap`] wraps the player's output
//! (after the queue, the ReplayGain stage and the volume: what goes to the device, or to the
//! silent pump) and copies it, downmixed to mono, into a small ring ([`Scope`]) the UI reads at
//! its frame rate.
//!
//! The audio side never waits: it collects a block of samples and hands it over with
//! `try_lock`; when the UI holds the ring at that moment, that block is not kept (a visualiser
//! loses a few milliseconds; the sound loses nothing). While nobody looks ([`Scope::set_on`]
//! false) the tap only passes the samples through.

use std::num::NonZero;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rodio::Source;
use rodio::source::SeekError;

/// Mono samples the ring keeps (the analysis window fits in it at any usual rate).
pub const RING: usize = 8192;
/// Samples (interleaved) the tap collects before it hands them over.
const BLOCK: usize = 1024;

#[derive(Debug)]
struct Shared {
    on: AtomicBool,
    rate: AtomicU32,
    ring: Mutex<Ring>,
}

#[derive(Debug)]
struct Ring {
    buf: Vec<f32>,
    /// Where the next sample goes.
    head: usize,
    /// Samples written since the start (saturating), to tell a silent ring from a full one.
    written: u64,
}

/// The ring of the latest mono samples, shared by the tap and the UI.
#[derive(Debug, Clone)]
pub struct Scope {
    shared: Arc<Shared>,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            shared: Arc::new(Shared {
                on: AtomicBool::new(false),
                rate: AtomicU32::new(44_100),
                ring: Mutex::new(Ring {
                    buf: vec![0.0; RING],
                    head: 0,
                    written: 0,
                }),
            }),
        }
    }
}

impl Scope {
    /// Whether the tap copies samples (only while the visualiser is shown).
    pub fn set_on(&self, on: bool) {
        self.shared.on.store(on, Ordering::Relaxed);
    }

    pub fn is_on(&self) -> bool {
        self.shared.on.load(Ordering::Relaxed)
    }

    /// The sample rate of what was last written.
    pub fn rate(&self) -> u32 {
        self.shared.rate.load(Ordering::Relaxed)
    }

    /// Copies the latest `out.len()` mono samples (oldest first) into `out`; returns how many
    /// samples were ever written (0: nothing played since the start).
    pub fn latest(&self, out: &mut [f32]) -> u64 {
        let Ok(ring) = self.shared.ring.lock() else {
            return 0;
        };
        let n = out.len().min(RING);
        let start = (ring.head + RING - n) % RING;
        for (i, o) in out.iter_mut().take(n).enumerate() {
            *o = ring.buf[(start + i) % RING];
        }
        ring.written
    }

    /// Appends mono samples (the tap's hand-over; also for tests). Never waits: `false` when
    /// the ring was busy and the block was not kept.
    pub fn push(&self, samples: &[f32], rate: u32) -> bool {
        let Ok(mut ring) = self.shared.ring.try_lock() else {
            return false;
        };
        self.shared.rate.store(rate, Ordering::Relaxed);
        let take = samples.len().min(RING);
        for &s in &samples[samples.len() - take..] {
            let h = ring.head;
            ring.buf[h] = s;
            ring.head = (h + 1) % RING;
        }
        ring.written = ring.written.saturating_add(take as u64);
        true
    }
}

/// A source that passes `inner` through and copies what it yields into a [`Scope`].
pub struct Tap<S> {
    inner: S,
    scope: Scope,
    /// Interleaved samples collected for the next hand-over.
    block: Vec<f32>,
    /// The channels and rate the block was collected at.
    channels: u16,
    rate: u32,
    /// Mono samples made from the block.
    mono: Vec<f32>,
}

impl<S: Source> Tap<S> {
    pub fn new(inner: S, scope: Scope) -> Self {
        let channels = inner.channels().get();
        let rate = inner.sample_rate().get();
        Tap {
            inner,
            scope,
            block: Vec::with_capacity(BLOCK),
            channels,
            rate,
            mono: Vec::with_capacity(BLOCK),
        }
    }

    /// Hands the block over as mono (the mean of each frame's channels).
    fn flush(&mut self) {
        let ch = usize::from(self.channels.max(1));
        self.mono.clear();
        self.mono.extend(
            self.block
                .chunks_exact(ch)
                .map(|f| f.iter().sum::<f32>() / ch as f32),
        );
        self.scope.push(&self.mono, self.rate);
        self.block.clear();
        self.channels = self.inner.channels().get();
        self.rate = self.inner.sample_rate().get();
    }
}

impl<S: Source> Iterator for Tap<S> {
    type Item = f32;

    #[inline]
    fn next(&mut self) -> Option<f32> {
        let s = self.inner.next()?;
        if self.scope.is_on() {
            self.block.push(s);
            // A whole number of frames, so a block never splits one.
            if self.block.len() >= BLOCK
                && self
                    .block
                    .len()
                    .is_multiple_of(usize::from(self.channels.max(1)))
            {
                self.flush();
            }
        } else if !self.block.is_empty() {
            self.block.clear();
        }
        Some(s)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<S: Source> Source for Tap<S> {
    fn current_span_len(&self) -> Option<usize> {
        self.inner.current_span_len()
    }
    fn channels(&self) -> NonZero<u16> {
        self.inner.channels()
    }
    fn sample_rate(&self) -> NonZero<u32> {
        self.inner.sample_rate()
    }
    fn total_duration(&self) -> Option<Duration> {
        self.inner.total_duration()
    }
    fn try_seek(&mut self, pos: Duration) -> Result<(), SeekError> {
        self.block.clear();
        self.inner.try_seek(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_latest_samples_in_order() {
        let s = Scope::default();
        let mut out = [9.0f32; 4];
        assert_eq!(s.latest(&mut out), 0);
        let ramp: Vec<f32> = (0..RING + 10).map(|i| i as f32).collect();
        assert!(s.push(&ramp, 48_000));
        s.latest(&mut out);
        let last = (RING + 9) as f32;
        assert_eq!(out, [last - 3.0, last - 2.0, last - 1.0, last]);
        assert_eq!(s.rate(), 48_000);
    }

    #[test]
    fn the_tap_passes_samples_through_and_copies_them_as_mono_only_when_on() {
        let stereo: Vec<f32> = (0..4096).flat_map(|i| [i as f32, -(i as f32)]).collect();
        let src = rodio::buffer::SamplesBuffer::new(
            NonZero::new(2).unwrap_or(NonZero::<u16>::MIN),
            NonZero::new(44_100).unwrap_or(NonZero::<u32>::MIN),
            stereo.clone(),
        );
        let scope = Scope::default();
        let through: Vec<f32> = Tap::new(src.clone(), scope.clone()).collect();
        assert_eq!(through, stereo);
        let mut out = [1.0f32; 8];
        assert_eq!(scope.latest(&mut out), 0, "off: nothing copied");
        scope.set_on(true);
        let through: Vec<f32> = Tap::new(src, scope.clone()).collect();
        assert_eq!(through, stereo);
        assert!(scope.latest(&mut out) > 0);
        // Left and right cancel: the mono mix is silence.
        assert_eq!(out, [0.0; 8]);
    }
}
