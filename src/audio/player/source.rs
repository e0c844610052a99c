//! A track as a rodio source: our decoder ([`AudioFile`]) read packet by packet as rodio
//! pulls samples, seekable, saying what went wrong while it played ([`DamageSlot`]).

use std::num::NonZero;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rodio::Source;
use rodio::source::SeekError;

use crate::audio::decode::{AudioError, AudioFile};

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
