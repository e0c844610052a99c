//! Decoding a span of a file to mono (the analysis clip, a whole short file), and whether a
//! file really reaches a time.

use super::*;

impl AudioFile {
    /// Decodes `max_secs` seconds from `start_secs` (all, up to [`MAX_WHOLE_DECODE_SECS`],
    /// when `None`), downmixed to mono. Never holds more than that many seconds.
    pub fn decode_mono(
        &mut self,
        start_secs: f64,
        max_secs: Option<f64>,
    ) -> Result<MonoAudio, AudioError> {
        let start_secs = if start_secs.is_finite() {
            start_secs.max(0.0)
        } else {
            0.0
        };
        if start_secs > 0.0 && !self.seek(start_secs) {
            // Not seekable: decode from here and drop everything before the start.
            let sr = self.info.sample_rate_hz.max(1) as f64;
            self.skip_frames = (start_secs * sr).round() as u64;
        }
        let max_secs = max_secs
            .filter(|s| s.is_finite())
            .unwrap_or(MAX_WHOLE_DECODE_SECS)
            .clamp(0.0, MAX_WHOLE_DECODE_SECS);
        let mut samples: Vec<f32> = Vec::new();
        let mut chunk = Vec::new();
        let mut rate = self.info.sample_rate_hz;
        let mut limit: Option<usize> = None;
        let mut decoded_samples = 0u64;
        while let Some(fmt) = self.next_chunk(&mut chunk)? {
            decoded_samples += chunk.len() as u64;
            if rate == 0 {
                rate = fmt.sample_rate_hz;
            }
            if fmt.sample_rate_hz != rate {
                // A rate change mid-stream: keep the first rate's audio only.
                self.damage.ended_early = Some(format!(
                    "the sample rate changes from {rate} to {} Hz",
                    fmt.sample_rate_hz
                ));
                break;
            }
            let l = *limit.get_or_insert(((max_secs * rate as f64).ceil() as usize).max(1));
            let inv = 1.0 / fmt.channels as f32;
            let room = l.saturating_sub(samples.len());
            if self.meter.is_some() {
                let kept = room.min(chunk.len() / fmt.channels) * fmt.channels;
                self.meter_add(fmt, &chunk[..kept]);
            }
            // The downmix (the same sums for every layout; mono and stereo without the
            // per-frame loop).
            let frames = chunk.chunks_exact(fmt.channels).take(room);
            match fmt.channels {
                1 => samples.extend(frames.map(|f| f[0])),
                2 => samples.extend(frames.map(|f| (f[0] + f[1]) * inv)),
                _ => samples.extend(frames.map(|f| f.iter().sum::<f32>() * inv)),
            }
            if samples.len() >= l {
                break;
            }
        }
        if samples.is_empty() {
            return Err(AudioError::NoAudio {
                path: self.path.clone(),
            });
        }
        if rate == 0 {
            return Err(AudioError::Decode {
                path: self.path.clone(),
                reason: "unknown sample rate".to_string(),
            });
        }
        Ok(MonoAudio {
            samples,
            sample_rate_hz: rate,
            start_secs,
            track_secs: self.info.duration_secs,
            skipped_packets: self.damage.skipped_packets,
            damage: self.damage.clone(),
            decoded_samples,
        })
    }

    /// True when audio decodes `secs` before the declared end: used to find files cut off
    /// after the part that was decoded. A stream that cannot seek counts as reaching it.
    pub fn reaches(&mut self, secs: f64) -> bool {
        if !self.seek(secs) {
            // A stream that seeks elsewhere but not there does not reach it.
            return !self.broken && !self.seeked_once;
        }
        let mut chunk = Vec::new();
        matches!(self.next_chunk(&mut chunk), Ok(Some(_)))
    }
}
