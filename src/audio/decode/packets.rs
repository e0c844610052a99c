//! Reading packets into samples: the decoder's errors and panics counted as damage, skipped
//! packets, samples made finite and within range.

use super::*;
use symphonia::core::formats::Packet;

/// What one packet gave: something, or nothing to keep (read the next one).
enum Step<T> {
    Got(T),
    Again,
}

impl AudioFile {
    /// [`AudioFile::next_chunk`] in the whole file.
    pub(super) fn next_chunk_file(
        &mut self,
        out: &mut Vec<f32>,
    ) -> Result<Option<ChunkFormat>, AudioError> {
        out.clear();
        if self.broken {
            return Ok(None);
        }
        if matches!(self.backend, Backend::Au(_)) {
            return self.next_chunk_au(out);
        }
        // Packets in a row that gave no audio (empty, undecodable, another track's, resets):
        // a stream of nothing but those ends, rather than spinning for billions of packets.
        let mut barren = 0usize;
        loop {
            barren += 1;
            if barren > MAX_BARREN_PACKETS {
                return self.stream_error(format!(
                    "{MAX_BARREN_PACKETS} packets in a row hold no audio"
                ));
            }
            let packet = match self.read_packet()? {
                Some(Step::Got(p)) => p,
                Some(Step::Again) => continue,
                None => return Ok(None),
            };
            match self.decode_packet(&packet, out)? {
                Some(Step::Got(fmt)) => return Ok(Some(fmt)),
                Some(Step::Again) => continue,
                None => return Ok(None),
            }
        }
    }

    /// The next chunk of an `.au` file.
    fn next_chunk_au(&mut self, out: &mut Vec<f32>) -> Result<Option<ChunkFormat>, AudioError> {
        let Backend::Au(r) = &mut self.backend else {
            return Ok(None);
        };
        let n = match r.read(out, 4096) {
            Ok(n) => n,
            Err(e) => return self.stream_error(e.to_string()),
        };
        if n == 0 {
            return Ok(None);
        }
        let fmt = ChunkFormat {
            channels: r.channels,
            sample_rate_hz: r.sample_rate_hz,
        };
        self.decoded_any = true;
        let mut taken = std::mem::take(out);
        self.sanitise(&mut taken);
        *out = taken;
        Ok(Some(fmt))
    }

    /// The next packet of our track (`None`: the stream ends). A jump in the timestamps
    /// (audio the reader skipped over) is counted as lost.
    fn read_packet(&mut self) -> Result<Option<Step<Packet>>, AudioError> {
        let Backend::Symphonia {
            format,
            decoder,
            track_id,
            ..
        } = &mut self.backend
        else {
            return Ok(None);
        };
        let packet = match guard::catch(|| format.next_packet()) {
            Ok(Ok(p)) => p,
            Ok(Err(SymError::IoError(e))) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Ok(None);
            }
            Ok(Err(SymError::ResetRequired)) => {
                decoder.reset();
                return Ok(Some(Step::Again));
            }
            Ok(Err(SymError::DecodeError(e))) => {
                self.note_skip(e)?;
                return Ok(Some(Step::Again));
            }
            Ok(Err(e)) => return self.stream_error(e.to_string()),
            Err(p) => return self.internal_error(p.0),
        };
        if packet.track_id() != *track_id {
            return Ok(Some(Step::Again));
        }
        let (ts, dur) = (packet.ts(), packet.dur());
        if let Some(expected) = self.next_ts
            && ts > expected
            && let Some(tb) = format
                .tracks()
                .iter()
                .find(|t| t.id == *track_id)
                .and_then(|t| t.codec_params.time_base)
        {
            let t = tb.calc_time(ts - expected);
            let gap = t.seconds as f64 + t.frac;
            // Timestamps wobble by a packet at page or frame boundaries; a real gap is more.
            if gap.is_finite() && gap > 0.1 && gap < 1e7 {
                self.damage.lost_secs += gap;
                tracing::warn!(path = %self.path.display(), secs = gap, "damaged audio skipped by the reader");
            }
        }
        self.next_ts = Some(ts.saturating_add(dur));
        Ok(Some(Step::Got(packet)))
    }

    /// Decodes `packet` into `out` (interleaved, after the frames still to skip, scaled and
    /// sanitised) with its format; `None`: the stream ends.
    fn decode_packet(
        &mut self,
        packet: &Packet,
        out: &mut Vec<f32>,
    ) -> Result<Option<Step<ChunkFormat>>, AudioError> {
        let Backend::Symphonia {
            decoder,
            sample_buf,
            ..
        } = &mut self.backend
        else {
            return Ok(None);
        };
        let decoded = match guard::catch(|| decoder.decode(packet)) {
            Ok(Ok(d)) => d,
            Ok(Err(SymError::DecodeError(e))) => {
                self.note_skip(e)?;
                return Ok(Some(Step::Again));
            }
            Ok(Err(SymError::IoError(e))) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Ok(None);
            }
            Ok(Err(e)) => return self.stream_error(e.to_string()),
            Err(p) => return self.internal_error(p.0),
        };
        let spec = *decoded.spec();
        let channels = spec.channels.count();
        let frames = decoded.frames();
        let rate = if spec.rate > 0 {
            spec.rate
        } else {
            self.info.sample_rate_hz
        };
        if channels == 0
            || channels > MAX_CHANNELS
            || !(MIN_RATE_HZ..=MAX_RATE_HZ).contains(&rate)
            || frames as u64 > MAX_PACKET_FRAMES
        {
            let reason = format!(
                "implausible decoded packet ({frames} frames, {channels} channels, {rate} Hz)"
            );
            return self.stream_error(reason);
        }
        if frames == 0 {
            return Ok(Some(Step::Again));
        }
        let capacity = decoded.capacity() as u64;
        let buf = match sample_buf {
            Some(b) if b.capacity() >= frames * channels => b,
            _ => sample_buf.insert(SampleBuffer::<f32>::new(
                capacity.min(MAX_PACKET_FRAMES).max(frames as u64),
                spec,
            )),
        };
        buf.copy_interleaved_ref(decoded);
        self.decoded_any = true;
        let skip = (self.skip_frames as usize).min(frames);
        self.skip_frames -= skip as u64;
        if skip == frames {
            return Ok(Some(Step::Again));
        }
        out.extend_from_slice(&buf.samples()[skip * channels..frames * channels]);
        if let Some(k) = self.output_scale {
            out.iter_mut().for_each(|s| *s *= k);
        }
        let mut taken = std::mem::take(out);
        self.sanitise(&mut taken);
        *out = taken;
        Ok(Some(Step::Got(ChunkFormat {
            channels,
            sample_rate_hz: rate,
        })))
    }

    pub(super) fn internal_error<T>(&mut self, panic: String) -> Result<Option<T>, AudioError> {
        self.broken = true;
        if self.decoded_any {
            tracing::warn!(path = %self.path.display(), error = %panic, "decoder failed; stream ends here");
            self.damage.ended_early = Some(format!("decoder error: {panic}"));
            Ok(None)
        } else {
            Err(AudioError::Internal {
                path: self.path.clone(),
                reason: panic,
            })
        }
    }

    pub(super) fn note_skip(&mut self, reason: &str) -> Result<(), AudioError> {
        self.damage.skipped_packets += 1;
        tracing::warn!(path = %self.path.display(), error = %reason, "skipping corrupt data");
        if self.damage.skipped_packets > 1000 && !self.decoded_any {
            return Err(AudioError::Decode {
                path: self.path.clone(),
                reason: format!("no decodable data ({reason})"),
            });
        }
        Ok(())
    }

    pub(super) fn stream_error<T>(&mut self, reason: String) -> Result<Option<T>, AudioError> {
        self.broken = true;
        if self.decoded_any {
            tracing::warn!(path = %self.path.display(), error = %reason, "stream ended early");
            self.damage.ended_early = Some(reason);
            Ok(None)
        } else {
            Err(AudioError::Decode {
                path: self.path.clone(),
                reason,
            })
        }
    }
}
