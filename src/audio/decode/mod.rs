//! One concern at ~710 lines: opening and seeking a file, the one place where every caller's
//! file is vetted (the probe, the checks a hostile header must pass, the codec); packets to
//! samples are `packets.rs`, a span to mono `mono.rs`.
//!
//! Decoding with symphonia (and our `.au` reader): any container/codec they know, any channel
//! count and rate, to `f32`. Hostile files are handled here, once, for every caller (analysis,
//! training, playback):
//!
//! - only regular files are opened (a FIFO would block forever, `/dev/zero` never ends);
//! - formats known by name but not decodable are named ("unsupported format: WavPack");
//! - the stream parameters a header declares (rate, channels, bit depth) are checked by
//!   [`validate_stream`] before any decoder sizes a buffer, and the frame count is checked
//!   against the file size (a WAV whose data length lies is corrected to what the file holds);
//! - decoded samples that are NaN/±Inf are replaced with silence and absurdly large ones are
//!   clipped, both counted, so nothing downstream (resampler, spectra, speakers) sees them;
//! - corrupt packets are skipped, a stream that ends early ends there; what was lost is kept
//!   in [`Damage`], so callers can mark the track "partial" with the real reason;
//! - a panic inside the decoder (a bug on a hostile file) becomes an error for that file.
//!
//! A window can be decoded by seeking instead of decoding from 0.
//!
//! The codecs are symphonia's plus Opus through libopus ([`codecs`], the one registry that
//! analysis, training and playback all decode with). An Opus stream's header output gain is
//! applied to its samples here, as the Ogg Opus specification asks of every player.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_OPUS, CodecParameters, Decoder, DecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo};
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;
use symphonia::core::units::Time;

use super::au::{self, AuReader};
use super::codecs::{codec_name, codecs, opus_header_gain_db, pcm_sample_bytes, pick_track};
use super::container;
use super::guard;
use super::header::{self, Declared, OpenRegularError};
use super::loudness::{Loudness, Meter};
pub use super::stream::{
    AudioError, Damage, MAX_BARREN_PACKETS, MAX_BITS, MAX_CHANNELS, MAX_PACKET_FRAMES, MAX_RATE_HZ,
    MAX_SAMPLE_MAGNITUDE, MAX_WHOLE_DECODE_SECS, MIN_RATE_HZ, plausible_frames, validate_stream,
};

mod mono;
mod packets;

/// Mono samples at the file's own rate.
#[derive(Debug, Clone)]
pub struct MonoAudio {
    pub samples: Vec<f32>,
    pub sample_rate_hz: u32,
    /// Where `samples[0]` sits in the track, in seconds.
    pub start_secs: f64,
    /// Length of the whole track when the container says so.
    pub track_secs: Option<f64>,
    /// Packets that failed to decode and were skipped.
    pub skipped_packets: usize,
    /// Everything lost or repaired on the way.
    pub damage: Damage,
    /// Samples (all channels) the decoder produced for this, before downmixing: what
    /// [`Damage::nonfinite_samples`] is out of.
    pub decoded_samples: u64,
}

/// What the container says about the stream before decoding (validated).
#[derive(Debug, Clone, Copy)]
pub struct StreamInfo {
    pub sample_rate_hz: u32,
    pub channels: usize,
    pub duration_secs: Option<f64>,
}

/// An open, probed file with a decoder for its audio track.
pub struct AudioFile {
    path: PathBuf,
    backend: Backend,
    info: StreamInfo,
    /// Frames still to drop from the next decoded output (after an accurate seek).
    skip_frames: u64,
    damage: Damage,
    decoded_any: bool,
    /// Set after a decoder panicked: it is not called again.
    broken: bool,
    /// A seek has succeeded: the stream can seek, so a failed seek means "not there".
    seeked_once: bool,
    /// Where the next packet should start (in the track's time base), to find stretches the
    /// format reader stepped over; `None` after a seek.
    next_ts: Option<u64>,
    /// A scale every decoded sample gets (an Opus header's output gain).
    output_scale: Option<f32>,
    /// Measures the loudness of what [`AudioFile::decode_mono`] keeps, when asked to.
    meter: Option<MeterState>,
    /// A CUE sheet's track: only its span of the file is heard.
    span: Option<SpanState>,
}

/// Where a sheet's track lies in the file and how far decoding is, in frames of the file.
#[derive(Debug, Clone, Copy)]
struct SpanState {
    start_secs: f64,
    /// The next frame [`AudioFile::next_chunk`] gives.
    at: u64,
    /// The first frame after the track (`None`: the file's end).
    end: Option<u64>,
}

/// The loudness meter of a decode: waiting for the first chunk's layout, measuring, or given
/// up (the layout changed or the meter cannot take it).
enum MeterState {
    Wanted,
    On(Box<Meter>),
    Off,
}

/// What reads the file: symphonia, or our `.au` reader.
enum Backend {
    Symphonia {
        format: Box<dyn FormatReader>,
        decoder: Box<dyn symphonia::core::codecs::Decoder>,
        track_id: u32,
        sample_buf: Option<SampleBuffer<f32>>,
    },
    Au(AuReader),
}

/// One decoded packet: interleaved samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkFormat {
    pub channels: usize,
    pub sample_rate_hz: u32,
}

/// The file as symphonia reads it, with a few header bytes overwritten so the container's
/// lengths agree with the file (see [`header::Declared::patches`]).
struct PatchedFile {
    file: File,
    /// The length the decoder sees (the file's, or less when the rest is hidden).
    len: u64,
    patches: Vec<(u64, Vec<u8>)>,
}

impl Read for PatchedFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let pos = self.file.stream_position()?;
        let room = self.len.saturating_sub(pos).min(buf.len() as u64) as usize;
        let n = self.file.read(&mut buf[..room])?;
        for (at, bytes) in &self.patches {
            for (i, b) in bytes.iter().enumerate() {
                let p = at + i as u64;
                if p >= pos && p < pos + n as u64 {
                    buf[(p - pos) as usize] = *b;
                }
            }
        }
        Ok(n)
    }
}

impl Seek for PatchedFile {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.file.seek(pos)
    }
}

impl MediaSource for PatchedFile {
    fn is_seekable(&self) -> bool {
        true
    }
    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}

impl AudioFile {
    /// Opens and probes `path`, and makes a decoder for its first audio track. A CUE sheet's
    /// track (`album.flac#2`, see [`super::cue`]) opens its file at the track's start and
    /// ends at the track's end: seeks and the duration are the track's.
    pub fn open(path: &Path) -> Result<Self, AudioError> {
        match super::cue::resolve(path, None) {
            Some(Ok((audio, span))) => {
                let mut f = Self::open_file(&audio)?;
                f.restrict(path, span);
                Ok(f)
            }
            Some(Err(sheet)) => Err(AudioError::Cue {
                path: path.to_path_buf(),
                sheet,
            }),
            None => Self::open_file(path),
        }
    }

    /// Keeps this file to `span` (the track at `track_path`).
    fn restrict(&mut self, track_path: &Path, span: super::cue::Span) {
        let rate = f64::from(self.info.sample_rate_hz.max(1));
        let frames = |s: f64| (s.max(0.0) * rate).round() as u64;
        let end_secs = match (span.end_secs, self.info.duration_secs) {
            (Some(e), Some(d)) => Some(e.min(d)),
            (e, d) => e.or(d),
        };
        self.info.duration_secs = end_secs.map(|e| (e - span.start_secs).max(0.0));
        self.path = track_path.to_path_buf();
        self.span = Some(SpanState {
            start_secs: span.start_secs,
            at: frames(span.start_secs),
            end: span.end_secs.map(frames),
        });
        if span.start_secs > 0.0 && !self.seek_file(span.start_secs) {
            self.skip_frames = frames(span.start_secs);
        }
    }

    fn open_file(path: &Path) -> Result<Self, AudioError> {
        let path_buf = path.to_path_buf();
        let (mut file, len) = header::open_regular(path).map_err(|e| match e {
            OpenRegularError::Io(source) => AudioError::Open {
                path: path_buf.clone(),
                source,
            },
            OpenRegularError::NotRegular(kind) => AudioError::NotRegular {
                path: path_buf.clone(),
                kind,
            },
        })?;
        if len == 0 {
            return Err(AudioError::Empty { path: path_buf });
        }
        let io_err = |source| AudioError::Open {
            path: path_buf.clone(),
            source,
        };
        let head = header::read_head(&mut file).map_err(io_err)?;
        if let Some(format) = header::unsupported_by_magic(&head) {
            return Err(AudioError::UnsupportedFormat {
                path: path_buf,
                format: format.to_string(),
            });
        }
        if au::sniff(&head) {
            return Self::open_au(path, file, len);
        }
        let (format, view, damage) = Self::probe(path, file, len, &head)?;
        let track = pick_track(format.tracks()).ok_or_else(|| AudioError::NoTrack {
            path: path_buf.clone(),
        })?;
        let params = track.codec_params.clone();
        let track_id = track.id;
        Self::check_params(path, &params)?;
        let decoder = Self::make_decoder(path, &params)?;
        let sample_rate_hz = params.sample_rate.unwrap_or(0);
        let channels = params.channels.map(|c| c.count()).unwrap_or(0);
        let duration_secs = Self::duration_of(&params, len, &view);
        let output_scale = Self::opus_output_scale(path, &params);
        let backend = Backend::Symphonia {
            format,
            decoder,
            track_id,
            sample_buf: None,
        };
        let info = StreamInfo {
            sample_rate_hz,
            channels,
            duration_secs,
        };
        Ok(Self::fresh(path_buf, backend, info, damage, output_scale))
    }

    /// A file just opened: nothing decoded, nothing skipped, no seek yet.
    fn fresh(
        path: PathBuf,
        backend: Backend,
        info: StreamInfo,
        damage: Damage,
        output_scale: Option<f32>,
    ) -> Self {
        AudioFile {
            output_scale,
            meter: None,
            path,
            backend,
            info,
            skip_frames: 0,
            damage,
            decoded_any: false,
            broken: false,
            seeked_once: false,
            next_ts: None,
            span: None,
        }
    }

    /// An `.au` file (our own reader) whose header has been sniffed.
    fn open_au(path: &Path, file: File, len: u64) -> Result<Self, AudioError> {
        let path_buf = path.to_path_buf();
        let r = AuReader::from_file(file, len).map_err(|reason| AudioError::Unrecognised {
            path: path_buf.clone(),
            reason: reason.0,
        })?;
        validate_stream(
            path,
            Some(r.sample_rate_hz as f64),
            Some(r.channels as u64),
            None,
        )?;
        let mut damage = Damage::default();
        if let Some(m) = r.length_mismatch() {
            damage.length_mismatch = Some(m);
        }
        let info = StreamInfo {
            sample_rate_hz: r.sample_rate_hz,
            channels: r.channels,
            duration_secs: r.duration_secs(),
        };
        Ok(Self::fresh(path_buf, Backend::Au(r), info, damage, None))
    }

    /// The container checked ([`container::check`]), what it hides from the decoder patched,
    /// and symphonia's format reader for it; what the checks found is in the [`Damage`].
    fn probe(
        path: &Path,
        mut file: File,
        len: u64,
        head: &[u8],
    ) -> Result<(Box<dyn FormatReader>, container::View, Damage), AudioError> {
        let path_buf = path.to_path_buf();
        let io_err = |source| AudioError::Open {
            path: path_buf.clone(),
            source,
        };
        let declared: Option<Declared> = header::parse_declared(head, len);
        let mut damage = Damage::default();
        if let Some(d) = &declared {
            validate_stream(path, d.rate_hz, d.channels.map(u64::from), d.bits)?;
            if let Some(span) = d.data
                && span.declared > span.available
                && span.declared != u32::MAX as u64
            {
                damage.length_mismatch = Some((span.declared, span.available));
            }
        }
        // Lengths and counts the decoder would size buffers from, checked first.
        let mut view =
            container::check(&file, head, len).map_err(|reason| AudioError::BadStream {
                path: path_buf.clone(),
                reason: reason.0,
            })?;
        for note in &view.notes {
            tracing::warn!(path = %path.display(), "{note}");
        }
        damage.cut_off = view.truncated.clone();
        file.rewind().map_err(io_err)?;
        let mut patches: Vec<(u64, Vec<u8>)> = declared
            .as_ref()
            .map(|d| d.patches.iter().map(|(at, b)| (*at, b.to_vec())).collect())
            .unwrap_or_default();
        patches.extend(std::mem::take(&mut view.patches));
        let source = PatchedFile {
            file,
            len: view.limit.unwrap_or(len).min(len),
            patches,
        };
        let mss = MediaSourceStream::new(Box::new(source), MediaSourceStreamOptions::default());
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let format_opts = FormatOptions {
            enable_gapless: true,
            ..Default::default()
        };
        let unrecognised = |reason: String| match header::unsupported_by_extension(path) {
            Some(format) => AudioError::UnsupportedFormat {
                path: path.to_path_buf(),
                format: format.to_string(),
            },
            None => AudioError::Unrecognised {
                path: path.to_path_buf(),
                reason,
            },
        };
        let probed = guard::catch(|| {
            symphonia::default::get_probe().format(
                &hint,
                mss,
                &format_opts,
                &MetadataOptions::default(),
            )
        })
        .map_err(|reason| AudioError::Internal {
            path: path_buf.clone(),
            reason: reason.0,
        })?
        .map_err(|e| {
            let container = header::container_by_magic(head)
                // Raw MPEG audio starts with a frame sync.
                .or_else(|| header::mpeg_sync(head).then_some("MPEG audio"));
            tracing::debug!(path = %path.display(), error = %e, "no format reader");
            match (e, container) {
                // The structure already showed where the file is cut off.
                (_, Some(_)) if view.truncated.is_some() => AudioError::Decode {
                    path: path_buf.clone(),
                    reason: view.truncated.clone().unwrap_or_default(),
                },
                // A known container that ends before its header does: cut off.
                (SymError::IoError(io), Some(container))
                    if io.kind() == std::io::ErrorKind::UnexpectedEof =>
                {
                    AudioError::Decode {
                        path: path_buf.clone(),
                        reason: format!(
                            "truncated: the file ends inside its {container} header ({len} bytes)"
                        ),
                    }
                }
                (e, Some(container)) => AudioError::Decode {
                    path: path_buf.clone(),
                    reason: format!("a damaged {container} file: its headers are unreadable ({e})"),
                },
                // Nothing known at the start: what symphonia guessed deeper in is noise.
                (_, None) => match &view.truncated {
                    Some(why) => AudioError::Decode {
                        path: path_buf.clone(),
                        reason: why.clone(),
                    },
                    None => unrecognised("no known audio format at its start".into()),
                },
            }
        })?;
        Ok((probed.format, view, damage))
    }

    /// The track's parameters checked before a decoder sizes anything from them.
    fn check_params(path: &Path, params: &CodecParameters) -> Result<(), AudioError> {
        let path_buf = path.to_path_buf();
        validate_stream(
            path,
            params.sample_rate.map(f64::from),
            params.channels.map(|c| c.count() as u64),
            params.bits_per_sample,
        )?;
        let channel_count = params.channels.map(|c| c.count()).unwrap_or(0);
        if [
            symphonia::core::codecs::CODEC_TYPE_ADPCM_IMA_WAV,
            symphonia::core::codecs::CODEC_TYPE_ADPCM_MS,
        ]
        .contains(&params.codec)
            && channel_count > 2
        {
            return Err(AudioError::BadStream {
                path: path_buf,
                reason: format!("ADPCM with {channel_count} channels (at most 2)"),
            });
        }
        if let Some(n) = params.max_frames_per_packet
            && n > MAX_PACKET_FRAMES
        {
            return Err(AudioError::BadStream {
                path: path_buf,
                reason: format!(
                    "implausible packet size of {n} frames (at most {MAX_PACKET_FRAMES})"
                ),
            });
        }
        if params.codec == CODEC_TYPE_OPUS && !(1..=2).contains(&channel_count) {
            // libopus' stream decoder takes mono and stereo; surround Opus needs its
            // multistream decoder, which the adapter does not offer.
            return Err(AudioError::UnsupportedCodec {
                path: path_buf,
                codec: format!(
                    "opus with {channel_count} channels (mono and stereo are supported)"
                ),
            });
        }
        Ok(())
    }

    /// The decoder for the track (a panic in the codec registry is an error for this file).
    fn make_decoder(path: &Path, params: &CodecParameters) -> Result<Box<dyn Decoder>, AudioError> {
        let path_buf = path.to_path_buf();
        guard::catch(|| codecs().make(params, &DecoderOptions::default()))
            .map_err(|reason| AudioError::Internal {
                path: path_buf.clone(),
                reason: reason.0,
            })?
            .map_err(|e| match e {
                SymError::Unsupported(_) => AudioError::UnsupportedCodec {
                    path: path_buf.clone(),
                    codec: codec_name(params.codec),
                },
                other => AudioError::Decode {
                    path: path_buf.clone(),
                    reason: other.to_string(),
                },
            })
    }

    /// The track's length: the frame count the header declares, cut to what the file can
    /// hold and to where the container shows the stream really ends.
    fn duration_of(params: &CodecParameters, len: u64, view: &container::View) -> Option<f64> {
        let sample_rate_hz = params.sample_rate.unwrap_or(0);
        let frame_bytes = pcm_sample_bytes(params.codec)
            .zip(params.channels)
            .map(|(b, c)| b * c.count() as u64);
        // (A RIFF/AIFF data length that lied was patched above, so symphonia counted the
        // frames the file really has.)
        let n_frames = params
            .n_frames
            .map(|n| plausible_frames(n, len, frame_bytes))
            .map(|n| view.real_frames.map_or(n, |r| n.min(r)));
        match (n_frames, params.time_base, params.sample_rate) {
            (Some(n), Some(tb), _) if tb.denom > 0 => {
                let t = tb.calc_time(n);
                Some(t.seconds as f64 + t.frac)
            }
            (Some(n), _, Some(sr)) if sr > 0 => Some(n as f64 / sr as f64),
            _ => None,
        }
        .filter(|d| d.is_finite() && *d >= 0.0)
        .or_else(|| {
            // A cut-off Ogg Vorbis file: its last whole page says how far it reaches.
            (params.codec == symphonia::core::codecs::CODEC_TYPE_VORBIS && sample_rate_hz > 0)
                .then_some(view.ogg_end_granule)
                .flatten()
                .map(|g| g as f64 / sample_rate_hz as f64)
        })
    }

    /// The Opus header's output gain as a scale (0 dB in nearly every file: `None`).
    fn opus_output_scale(path: &Path, params: &CodecParameters) -> Option<f32> {
        // Bounded like any gain.
        (params.codec == CODEC_TYPE_OPUS)
            .then(|| params.extra_data.as_deref().and_then(opus_header_gain_db))
            .flatten()
            .filter(|db| *db != 0.0)
            .map(|db| {
                if db.abs() > 40.0 {
                    tracing::warn!(path = %path.display(), db, "implausible Opus output gain; capped at ±40 dB");
                }
                super::gain::db_to_scale(db.clamp(-40.0, 40.0))
            })
    }

    pub fn info(&self) -> StreamInfo {
        self.info
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What was lost or repaired so far.
    pub fn damage(&self) -> &Damage {
        &self.damage
    }

    /// Seeks to `secs` accurately: samples before it are dropped from the next output. When the
    /// stream cannot seek, decoding restarts from where it is and `false` is returned. In a
    /// CUE sheet's track, `secs` is from the track's start.
    pub fn seek(&mut self, secs: f64) -> bool {
        let Some(span) = self.span else {
            return self.seek_file(secs);
        };
        let secs = if secs.is_finite() { secs.max(0.0) } else { 0.0 };
        let to = span.start_secs + secs;
        let rate = f64::from(self.info.sample_rate_hz.max(1));
        if let Some(s) = self.span.as_mut() {
            s.at = (to * rate).round() as u64;
        }
        self.seek_file(to)
    }

    /// [`AudioFile::seek`] in the whole file.
    fn seek_file(&mut self, secs: f64) -> bool {
        if self.broken {
            return false;
        }
        let (format, decoder, track_id) = match &mut self.backend {
            Backend::Au(r) => {
                let ok = r.seek(secs);
                self.seeked_once |= ok;
                return ok;
            }
            Backend::Symphonia {
                format,
                decoder,
                track_id,
                ..
            } => (format, decoder, *track_id),
        };
        let secs = if secs.is_finite() { secs.max(0.0) } else { 0.0 };
        let to = SeekTo::Time {
            time: Time::from(secs),
            track_id: Some(track_id),
        };
        match guard::catch(|| format.seek(SeekMode::Accurate, to)) {
            Ok(Ok(seeked)) => {
                decoder.reset();
                self.skip_frames = seeked.required_ts.saturating_sub(seeked.actual_ts);
                self.seeked_once = true;
                self.next_ts = None;
                true
            }
            Ok(Err(e)) => {
                tracing::debug!(path = %self.path.display(), error = %e, "seek failed");
                false
            }
            Err(p) => {
                tracing::warn!(path = %self.path.display(), error = %p, "seek failed");
                self.broken = true;
                false
            }
        }
    }

    /// Measures the loudness of the audio the next [`AudioFile::decode_mono`] calls keep
    /// (interleaved, before the downmix); read it with [`AudioFile::loudness`].
    pub fn measure_loudness(&mut self) {
        self.meter = Some(MeterState::Wanted);
    }

    /// The loudness of what was decoded since [`AudioFile::measure_loudness`], if it could be
    /// measured (at least a second of audio that is not silence).
    pub fn loudness(&self) -> Option<Loudness> {
        match &self.meter {
            Some(MeterState::On(m)) => m.finish(),
            _ => None,
        }
    }

    fn meter_add(&mut self, fmt: ChunkFormat, interleaved: &[f32]) {
        let state = match self.meter.take() {
            None => return,
            Some(MeterState::Wanted) => match Meter::new(fmt.channels, fmt.sample_rate_hz) {
                Some(m) => MeterState::On(Box::new(m)),
                None => MeterState::Off,
            },
            Some(s) => s,
        };
        self.meter = Some(match state {
            MeterState::On(mut m)
                if m.channels() == fmt.channels && m.rate() == fmt.sample_rate_hz =>
            {
                m.add(interleaved);
                MeterState::On(m)
            }
            _ => MeterState::Off,
        });
    }

    /// Packets skipped as undecodable so far.
    pub fn skipped_packets(&self) -> usize {
        self.damage.skipped_packets
    }

    /// Replaces NaN/Inf samples with silence and clips absurd ones, counting both.
    fn sanitise(&mut self, samples: &mut [f32]) {
        // Nearly every packet is clean: one branch-free pass (vector instructions) says so.
        let clean = samples
            .iter()
            .fold(true, |ok, s| ok & (s.abs() <= MAX_SAMPLE_MAGNITUDE));
        if clean {
            return;
        }
        for s in samples {
            if !s.is_finite() {
                *s = 0.0;
                self.damage.nonfinite_samples += 1;
            } else if s.abs() > MAX_SAMPLE_MAGNITUDE {
                *s = s.clamp(-MAX_SAMPLE_MAGNITUDE, MAX_SAMPLE_MAGNITUDE);
                self.damage.clipped_samples += 1;
            }
        }
    }

    /// Decodes the next packet into `out` (interleaved, replacing its contents). `Ok(None)` at
    /// the end of the stream. Corrupt packets are skipped with a warning in the log; a stream
    /// that breaks after some audio ends there (see [`AudioFile::damage`]).
    pub fn next_chunk(&mut self, out: &mut Vec<f32>) -> Result<Option<ChunkFormat>, AudioError> {
        let Some(span) = self.span else {
            return self.next_chunk_file(out);
        };
        if span.end.is_some_and(|e| span.at >= e) {
            out.clear();
            return Ok(None);
        }
        let fmt = self.next_chunk_file(out)?;
        if let Some(f) = fmt {
            let frames = (out.len() / f.channels.max(1)) as u64;
            let keep = span.end.map_or(frames, |e| frames.min(e - span.at));
            out.truncate(keep as usize * f.channels);
            if let Some(s) = self.span.as_mut() {
                s.at += keep;
            }
            if keep == 0 {
                out.clear();
                return Ok(None);
            }
        }
        Ok(fmt)
    }
}

/// Decodes the whole file to mono (up to [`MAX_WHOLE_DECODE_SECS`]).
pub fn decode_file(path: &Path) -> Result<MonoAudio, AudioError> {
    AudioFile::open(path)?.decode_mono(0.0, None)
}
