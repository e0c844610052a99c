//! Decoding with symphonia: any container/codec it knows, any channel count and rate, to mono
//! `f32`. Decode errors inside a stream are skipped (a warning in the log); the end of the stream
//! (`UnexpectedEof`) is the end. A window can be decoded by seeking instead of decoding from 0.

use std::fs::File;
use std::path::{Path, PathBuf};

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, CODEC_TYPE_OPUS, CodecType, DecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo, Track};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;
use symphonia::core::units::Time;

use super::au::{self, AuReader};

/// Why a file could not be decoded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("{}: cannot open: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: empty file (0 bytes)", path.display())]
    Empty { path: PathBuf },
    #[error("{}: not a recognised audio file ({reason})", path.display())]
    Unrecognised { path: PathBuf, reason: String },
    #[error("{}: unsupported codec: {codec}", path.display())]
    UnsupportedCodec { path: PathBuf, codec: String },
    #[error("{}: no audio track", path.display())]
    NoTrack { path: PathBuf },
    #[error("{}: decoding failed: {reason}", path.display())]
    Decode { path: PathBuf, reason: String },
    #[error("{}: no audio could be decoded (truncated or corrupt file)", path.display())]
    NoAudio { path: PathBuf },
    #[error("{}: truncated or corrupt: decoded {decoded_secs:.1} s where the file declares {expected_secs:.1} s", path.display())]
    Truncated {
        path: PathBuf,
        decoded_secs: f64,
        expected_secs: f64,
    },
}

impl AudioError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            AudioError::Open { path, .. }
            | AudioError::Empty { path }
            | AudioError::Unrecognised { path, .. }
            | AudioError::UnsupportedCodec { path, .. }
            | AudioError::NoTrack { path }
            | AudioError::Decode { path, .. }
            | AudioError::NoAudio { path }
            | AudioError::Truncated { path, .. } => path,
        }
    }
}

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
}

/// What the container says about the stream before decoding.
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
    skipped_packets: usize,
    decoded_any: bool,
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

fn codec_name(codec: CodecType) -> String {
    if codec == CODEC_TYPE_OPUS {
        return "opus".to_string();
    }
    symphonia::default::get_codecs()
        .get_codec(codec)
        .map(|d| d.short_name.to_string())
        .unwrap_or_else(|| format!("{codec}"))
}

fn pick_track(tracks: &[Track]) -> Option<&Track> {
    tracks
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
}

impl AudioFile {
    /// Opens and probes `path`, and makes a decoder for its first audio track.
    pub fn open(path: &Path) -> Result<Self, AudioError> {
        let path_buf = path.to_path_buf();
        let file = File::open(path).map_err(|source| AudioError::Open {
            path: path_buf.clone(),
            source,
        })?;
        let len = file
            .metadata()
            .map_err(|source| AudioError::Open {
                path: path_buf.clone(),
                source,
            })?
            .len();
        if len == 0 {
            return Err(AudioError::Empty { path: path_buf });
        }
        let mut head = [0u8; 4];
        let is_au = std::io::Read::read_exact(&mut &file, &mut head).is_ok() && au::sniff(&head);
        if is_au {
            let r = AuReader::open(path).map_err(|reason| AudioError::Unrecognised {
                path: path_buf.clone(),
                reason,
            })?;
            return Ok(AudioFile {
                path: path_buf,
                info: StreamInfo {
                    sample_rate_hz: r.sample_rate_hz,
                    channels: r.channels,
                    duration_secs: r.duration_secs(),
                },
                backend: Backend::Au(r),
                skip_frames: 0,
                skipped_packets: 0,
                decoded_any: false,
            });
        }
        std::io::Seek::rewind(&mut &file).map_err(|source| AudioError::Open {
            path: path_buf.clone(),
            source,
        })?;
        let mss = MediaSourceStream::new(Box::new(file), MediaSourceStreamOptions::default());
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let format_opts = FormatOptions {
            enable_gapless: true,
            ..Default::default()
        };
        let probed = symphonia::default::get_probe()
            .format(&hint, mss, &format_opts, &MetadataOptions::default())
            .map_err(|e| AudioError::Unrecognised {
                path: path_buf.clone(),
                reason: e.to_string(),
            })?;
        let format = probed.format;
        let track = pick_track(format.tracks()).ok_or_else(|| AudioError::NoTrack {
            path: path_buf.clone(),
        })?;
        let params = track.codec_params.clone();
        let track_id = track.id;
        let decoder = symphonia::default::get_codecs()
            .make(&params, &DecoderOptions::default())
            .map_err(|e| match e {
                SymError::Unsupported(_) => AudioError::UnsupportedCodec {
                    path: path_buf.clone(),
                    codec: codec_name(params.codec),
                },
                other => AudioError::Decode {
                    path: path_buf.clone(),
                    reason: other.to_string(),
                },
            })?;
        let sample_rate_hz = params.sample_rate.unwrap_or(0);
        let channels = params.channels.map(|c| c.count()).unwrap_or(0);
        let duration_secs = match (params.n_frames, params.time_base, params.sample_rate) {
            (Some(n), Some(tb), _) => {
                let t = tb.calc_time(n);
                Some(t.seconds as f64 + t.frac)
            }
            (Some(n), None, Some(sr)) if sr > 0 => Some(n as f64 / sr as f64),
            _ => None,
        };
        Ok(AudioFile {
            path: path_buf,
            backend: Backend::Symphonia {
                format,
                decoder,
                track_id,
                sample_buf: None,
            },
            info: StreamInfo {
                sample_rate_hz,
                channels,
                duration_secs,
            },
            skip_frames: 0,
            skipped_packets: 0,
            decoded_any: false,
        })
    }

    pub fn info(&self) -> StreamInfo {
        self.info
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Seeks to `secs` accurately: samples before it are dropped from the next output. When the
    /// stream cannot seek, decoding restarts from where it is and `false` is returned.
    pub fn seek(&mut self, secs: f64) -> bool {
        let (format, decoder, track_id) = match &mut self.backend {
            Backend::Au(r) => return r.seek(secs),
            Backend::Symphonia {
                format,
                decoder,
                track_id,
                ..
            } => (format, decoder, *track_id),
        };
        let to = SeekTo::Time {
            time: Time::from(secs.max(0.0)),
            track_id: Some(track_id),
        };
        match format.seek(SeekMode::Accurate, to) {
            Ok(seeked) => {
                decoder.reset();
                self.skip_frames = seeked.required_ts.saturating_sub(seeked.actual_ts);
                true
            }
            Err(e) => {
                tracing::debug!(path = %self.path.display(), error = %e, "seek failed");
                false
            }
        }
    }

    /// Packets skipped as undecodable so far.
    pub fn skipped_packets(&self) -> usize {
        self.skipped_packets
    }

    /// Decodes the next packet into `out` (interleaved, replacing its contents). `Ok(None)` at
    /// the end of the stream. Corrupt packets are skipped with a warning in the log.
    pub fn next_chunk(&mut self, out: &mut Vec<f32>) -> Result<Option<ChunkFormat>, AudioError> {
        out.clear();
        if let Backend::Au(r) = &mut self.backend {
            let n = r.read(out, 4096).map_err(|e| AudioError::Decode {
                path: self.path.clone(),
                reason: e.to_string(),
            })?;
            if n == 0 {
                return Ok(None);
            }
            self.decoded_any = true;
            return Ok(Some(ChunkFormat {
                channels: r.channels,
                sample_rate_hz: r.sample_rate_hz,
            }));
        }
        loop {
            let Backend::Symphonia {
                format,
                decoder,
                track_id,
                sample_buf,
            } = &mut self.backend
            else {
                return Ok(None);
            };
            let packet = match format.next_packet() {
                Ok(p) => p,
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return Ok(None);
                }
                Err(SymError::ResetRequired) => {
                    decoder.reset();
                    continue;
                }
                Err(SymError::DecodeError(e)) => {
                    self.note_skip(e)?;
                    continue;
                }
                Err(e) => return self.stream_error(e.to_string()),
            };
            if packet.track_id() != *track_id {
                continue;
            }
            let decoded = match decoder.decode(&packet) {
                Ok(d) => d,
                Err(SymError::DecodeError(e)) => {
                    self.note_skip(e)?;
                    continue;
                }
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return Ok(None);
                }
                Err(e) => return self.stream_error(e.to_string()),
            };
            let spec = *decoded.spec();
            let channels = spec.channels.count().max(1);
            let frames = decoded.frames();
            if frames == 0 {
                continue;
            }
            let buf = match sample_buf {
                Some(b) if b.capacity() >= frames * channels => b,
                _ => sample_buf.insert(SampleBuffer::<f32>::new(decoded.capacity() as u64, spec)),
            };
            buf.copy_interleaved_ref(decoded);
            self.decoded_any = true;
            let skip = (self.skip_frames as usize).min(frames);
            self.skip_frames -= skip as u64;
            if skip == frames {
                continue;
            }
            out.extend_from_slice(&buf.samples()[skip * channels..frames * channels]);
            let rate = if spec.rate > 0 {
                spec.rate
            } else {
                self.info.sample_rate_hz
            };
            return Ok(Some(ChunkFormat {
                channels,
                sample_rate_hz: rate,
            }));
        }
    }

    fn note_skip(&mut self, reason: &str) -> Result<(), AudioError> {
        self.skipped_packets += 1;
        tracing::warn!(path = %self.path.display(), error = %reason, "skipping corrupt data");
        if self.skipped_packets > 1000 && !self.decoded_any {
            return Err(AudioError::Decode {
                path: self.path.clone(),
                reason: format!("no decodable data ({reason})"),
            });
        }
        Ok(())
    }

    fn stream_error<T>(&self, reason: String) -> Result<Option<T>, AudioError> {
        if self.decoded_any {
            tracing::warn!(path = %self.path.display(), error = %reason, "stream ended early");
            Ok(None)
        } else {
            Err(AudioError::Decode {
                path: self.path.clone(),
                reason,
            })
        }
    }

    /// Decodes `max_secs` seconds (all when `None`) from `start_secs`, downmixed to mono.
    pub fn decode_mono(
        &mut self,
        start_secs: f64,
        max_secs: Option<f64>,
    ) -> Result<MonoAudio, AudioError> {
        if start_secs > 0.0 && !self.seek(start_secs) {
            // Not seekable: decode from here and drop everything before the start.
            let sr = self.info.sample_rate_hz.max(1) as f64;
            self.skip_frames = (start_secs * sr).round() as u64;
        }
        let mut samples: Vec<f32> = Vec::new();
        let mut chunk = Vec::new();
        let mut rate = self.info.sample_rate_hz;
        let mut limit: Option<usize> = None;
        while let Some(fmt) = self.next_chunk(&mut chunk)? {
            if rate == 0 {
                rate = fmt.sample_rate_hz;
            }
            if limit.is_none()
                && let Some(secs) = max_secs
            {
                limit = Some((secs * rate as f64).ceil() as usize);
            }
            let inv = 1.0 / fmt.channels as f32;
            samples.extend(
                chunk
                    .chunks_exact(fmt.channels)
                    .map(|f| f.iter().sum::<f32>() * inv),
            );
            if let Some(l) = limit
                && samples.len() >= l
            {
                break;
            }
        }
        if let Some(l) = limit {
            samples.truncate(l);
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
            start_secs: start_secs.max(0.0),
            track_secs: self.info.duration_secs,
            skipped_packets: self.skipped_packets,
        })
    }
}

/// Decodes the whole file to mono.
pub fn decode_file(path: &Path) -> Result<MonoAudio, AudioError> {
    AudioFile::open(path)?.decode_mono(0.0, None)
}
