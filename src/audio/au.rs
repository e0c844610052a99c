//! Sun/NeXT `.au` (`.snd`) files, which symphonia does not read (the GTZAN collection ships
//! as `.au`): a 24+ byte big-endian header (magic `.snd`, data offset, data size, encoding,
//! rate, channels), then raw samples. Linear PCM (8/16/24/32-bit), float (32/64-bit), µ-law
//! and A-law are supported.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::header::BadHeader;

pub const MAGIC: &[u8; 4] = super::header::AU_MAGIC;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    MuLaw,
    ALaw,
    Pcm8,
    Pcm16,
    Pcm24,
    Pcm32,
    Float32,
    Float64,
}

impl Encoding {
    fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            1 => Encoding::MuLaw,
            2 => Encoding::Pcm8,
            3 => Encoding::Pcm16,
            4 => Encoding::Pcm24,
            5 => Encoding::Pcm32,
            6 => Encoding::Float32,
            7 => Encoding::Float64,
            27 => Encoding::ALaw,
            _ => return None,
        })
    }

    fn bytes(self) -> usize {
        match self {
            Encoding::MuLaw | Encoding::ALaw | Encoding::Pcm8 => 1,
            Encoding::Pcm16 => 2,
            Encoding::Pcm24 => 3,
            Encoding::Pcm32 | Encoding::Float32 => 4,
            Encoding::Float64 => 8,
        }
    }

    fn decode(self, b: &[u8]) -> f32 {
        match self {
            Encoding::Pcm8 => b[0] as i8 as f32 / 128.0,
            Encoding::Pcm16 => i16::from_be_bytes([b[0], b[1]]) as f32 / 32768.0,
            Encoding::Pcm24 => {
                let v = ((b[0] as i32) << 24 | (b[1] as i32) << 16 | (b[2] as i32) << 8) >> 8;
                v as f32 / 8_388_608.0
            }
            Encoding::Pcm32 => {
                i32::from_be_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0
            }
            Encoding::Float32 => f32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            Encoding::Float64 => {
                f64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
            }
            Encoding::MuLaw => mulaw(b[0]),
            Encoding::ALaw => alaw(b[0]),
        }
    }
}

/// G.711 µ-law byte → sample in [−1, 1].
fn mulaw(u: u8) -> f32 {
    let u = !u;
    let sign = u & 0x80;
    let exponent = (u >> 4) & 0x07;
    let mantissa = (u & 0x0f) as i32;
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    let v = if sign != 0 { -magnitude } else { magnitude };
    v as f32 / 32768.0
}

/// G.711 A-law byte → sample in [−1, 1].
fn alaw(a: u8) -> f32 {
    let a = a ^ 0x55;
    let sign = a & 0x80;
    let exponent = ((a >> 4) & 0x07) as i32;
    let mantissa = (a & 0x0f) as i32;
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    let v = if sign != 0 { magnitude } else { -magnitude };
    v as f32 / 32768.0
}

/// An open `.au` stream.
pub struct AuReader {
    file: BufReader<File>,
    data_start: u64,
    /// Frames in the file (the header's data size, cut to what the file holds).
    frames: Option<u64>,
    encoding: Encoding,
    pub channels: usize,
    pub sample_rate_hz: u32,
    /// Next frame to read.
    pos: u64,
    /// The data size the header declares and the bytes the file holds, when they disagree.
    mismatch: Option<(u64, u64)>,
    /// Read buffer, reused between reads.
    buf: Vec<u8>,
}

/// True when `head` starts like an `.au` file.
pub fn sniff(head: &[u8]) -> bool {
    head.len() >= 4 && &head[..4] == MAGIC
}

impl AuReader {
    /// Opens `path` (a regular file only); the error says what is wrong with the header.
    pub fn open(path: &Path) -> Result<Self, BadHeader> {
        let (f, len) = super::header::open_regular(path).map_err(|e| match e {
            super::header::OpenRegularError::Io(e) => BadHeader::from(e),
            super::header::OpenRegularError::NotRegular(kind) => {
                BadHeader(format!("not a regular file: {kind}"))
            }
        })?;
        Self::from_file(f, len)
    }

    /// Reads the header of an open file of `file_len` bytes. The rate and channel count are
    /// then checked by the caller with [`super::decode::validate_stream`].
    pub fn from_file(mut f: File, file_len: u64) -> Result<Self, BadHeader> {
        f.seek(SeekFrom::Start(0))?;
        let mut file = BufReader::new(f);
        let mut h = [0u8; 24];
        file.read_exact(&mut h)
            .map_err(|_| BadHeader::from("header too short"))?;
        if !sniff(&h) {
            return Err("not a Sun .au file (no .snd magic)".into());
        }
        let word = |i: usize| u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let (offset, size, code, rate, channels) = (word(4), word(8), word(12), word(16), word(20));
        let encoding = Encoding::from_code(code)
            .ok_or_else(|| BadHeader(format!("unsupported .au encoding {code}")))?;
        if rate == 0 || channels == 0 || channels > 64 || offset < 24 {
            return Err(BadHeader(format!(
                "implausible .au header (rate {rate}, channels {channels}, offset {offset})"
            )));
        }
        if offset as u64 > file_len {
            return Err(BadHeader(format!(
                "the header puts the audio at byte {offset}, past the end of the {file_len}-byte file"
            )));
        }
        let frame = encoding.bytes() * channels as usize;
        let available = file_len.saturating_sub(offset as u64);
        // u32::MAX is the format's "unknown size" (written by streaming tools).
        let (data_len, mismatch) = if size == u32::MAX {
            (available, None)
        } else if size as u64 > available {
            (available, Some((size as u64, available)))
        } else {
            (size as u64, None)
        };
        file.seek(SeekFrom::Start(offset as u64))?;
        Ok(AuReader {
            file,
            data_start: offset as u64,
            frames: Some(data_len / frame as u64),
            encoding,
            channels: channels as usize,
            sample_rate_hz: rate,
            pos: 0,
            mismatch,
            buf: Vec::new(),
        })
    }

    pub fn duration_secs(&self) -> Option<f64> {
        self.frames.map(|f| f as f64 / self.sample_rate_hz as f64)
    }

    /// The data size the header declares and the bytes the file holds, when the header lies.
    pub fn length_mismatch(&self) -> Option<(u64, u64)> {
        self.mismatch
    }

    /// Seeks to `secs` (exact: raw samples).
    pub fn seek(&mut self, secs: f64) -> bool {
        let secs = if secs.is_finite() { secs.max(0.0) } else { 0.0 };
        let frame = (secs * self.sample_rate_hz as f64) as u64;
        let frame = self.frames.map_or(frame, |n| frame.min(n));
        let bytes = (self.encoding.bytes() * self.channels) as u64;
        let Some(at) = frame
            .checked_mul(bytes)
            .and_then(|b| b.checked_add(self.data_start))
        else {
            return false;
        };
        match self.file.seek(SeekFrom::Start(at)) {
            Ok(_) => {
                self.pos = frame;
                true
            }
            Err(_) => false,
        }
    }

    /// Reads up to `max_frames` frames, interleaved, into `out` (replacing it). 0 at the end.
    pub fn read(&mut self, out: &mut Vec<f32>, max_frames: usize) -> std::io::Result<usize> {
        out.clear();
        let left = self
            .frames
            .map_or(max_frames as u64, |n| n.saturating_sub(self.pos));
        let n = (max_frames as u64).min(left) as usize;
        if n == 0 {
            return Ok(0);
        }
        let width = self.encoding.bytes();
        let want = n * width * self.channels;
        self.buf.resize(want, 0);
        let mut got = 0;
        while got < want {
            match self.file.read(&mut self.buf[got..want])? {
                0 => break,
                k => got += k,
            }
        }
        let frames = got / (width * self.channels);
        let encoding = self.encoding;
        out.extend(
            self.buf[..frames * width * self.channels]
                .chunks_exact(width)
                .map(|b| encoding.decode(b)),
        );
        self.pos += frames as u64;
        Ok(frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn au(encoding: u32, rate: u32, channels: u32, data: &[u8]) -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        for w in [28u32, data.len() as u32, encoding, rate, channels, 0] {
            v.extend_from_slice(&w.to_be_bytes());
        }
        v.truncate(28);
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn pcm16_reads_seeks_and_ends() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.au");
        let samples: Vec<i16> = (0..8000).map(|i| (i % 100) as i16 * 300).collect();
        let data: Vec<u8> = samples.iter().flat_map(|s| s.to_be_bytes()).collect();
        std::fs::write(&p, au(3, 8000, 1, &data)).unwrap();
        let mut r = AuReader::open(&p).unwrap();
        assert_eq!((r.sample_rate_hz, r.channels), (8000, 1));
        assert_eq!(r.duration_secs(), Some(1.0));
        let mut out = Vec::new();
        assert_eq!(r.read(&mut out, 150).unwrap(), 150);
        assert!((out[101] - 300.0 / 32768.0).abs() < 1e-7);
        assert!(r.seek(0.5));
        r.read(&mut out, 10).unwrap();
        assert!((out[0] - samples[4000] as f32 / 32768.0).abs() < 1e-7);
        assert!(r.seek(2.0));
        assert_eq!(r.read(&mut out, 10).unwrap(), 0);
    }

    #[test]
    fn companded_and_float_encodings() {
        assert!((mulaw(0xff)).abs() < 1e-6, "µ-law 0xff is zero");
        assert!(mulaw(0x80) > 0.9 && mulaw(0x00) < -0.9);
        assert!(alaw(0xd5).abs() < 0.001 && alaw(0xaa) > 0.9);
        assert_eq!(Encoding::Float32.decode(&0.25f32.to_be_bytes()), 0.25);
        assert_eq!(Encoding::Pcm24.decode(&[0xc0, 0, 0]), -0.5);
    }

    #[test]
    fn bad_headers_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.au");
        std::fs::write(&p, au(99, 8000, 1, &[0; 10])).unwrap();
        assert!(AuReader::open(&p).err().unwrap().0.contains("encoding 99"));
        std::fs::write(&p, b".snd").unwrap();
        assert!(AuReader::open(&p).err().unwrap().0.contains("too short"));
    }
}
