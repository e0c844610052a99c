//! What a file is, read before any decoder sees it: whether it is a regular file at all (a FIFO
//! would block a reader forever, `/dev/zero` never ends), formats genreplay knows by name but
//! cannot decode, and for RIFF (WAV) and AIFF the stream parameters the header declares, so
//! [`super::decode::validate_stream`] can refuse an absurd header before any buffer is sized,
//! and lengths that disagree with the file can be corrected.

use std::fs::{File, Metadata};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// How much of a file's start is read for sniffing.
pub const HEAD_BYTES: usize = 64 * 1024;

/// What a non-regular file is ("a FIFO", "a directory", …), or `None` for a regular file.
pub fn non_regular_kind(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("a directory")
    } else if t.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if t.is_char_device() {
        Some("a character device")
    } else if t.is_block_device() {
        Some("a block device")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        Some("not a plain file")
    }
}

/// Why a path cannot be opened as a regular file.
#[derive(Debug)]
pub enum OpenRegularError {
    Io(std::io::Error),
    NotRegular(&'static str),
}

/// Opens `path` for reading only if it is a regular file (symlinks followed). The type is
/// checked with `stat` first (which never blocks), the file is opened non-blocking (so a FIFO
/// swapped in meanwhile cannot hang the open), and the opened file is checked again.
pub fn open_regular(path: &Path) -> Result<(File, u64), OpenRegularError> {
    let meta = std::fs::metadata(path).map_err(OpenRegularError::Io)?;
    if let Some(kind) = non_regular_kind(&meta) {
        return Err(OpenRegularError::NotRegular(kind));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(OpenRegularError::Io)?;
    let meta = file.metadata().map_err(OpenRegularError::Io)?;
    if let Some(kind) = non_regular_kind(&meta) {
        return Err(OpenRegularError::NotRegular(kind));
    }
    Ok((file, meta.len()))
}

/// Reads up to [`HEAD_BYTES`] from the start of `file` (its position is left after them).
pub fn read_head(file: &mut File) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(4096);
    file.take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Formats recognised by their first bytes that no decoder in this build reads.
pub fn unsupported_by_magic(head: &[u8]) -> Option<&'static str> {
    const ASF: [u8; 16] = [
        0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce,
        0x6c,
    ];
    let starts = |m: &[u8]| head.starts_with(m);
    if starts(b"wvpk") {
        Some("WavPack")
    } else if starts(&ASF) {
        Some("Windows Media Audio (WMA/ASF)")
    } else if starts(b"MAC ") {
        Some("Monkey's Audio (APE)")
    } else if starts(b"MPCK") || starts(b"MP+") {
        Some("Musepack")
    } else if starts(b"TTA1") {
        Some("True Audio (TTA)")
    } else if starts(b"tBaK") {
        Some("TAK")
    } else if starts(b"ajkg") {
        Some("Shorten")
    } else if starts(b"DSD ") {
        Some("DSD (DSF)")
    } else if starts(b"FRM8") {
        Some("DSD (DSDIFF)")
    } else if starts(b"#!AMR") {
        Some("AMR")
    } else if starts(b".ra\xfd") || starts(b".RMF") {
        Some("RealAudio")
    } else if starts(b"MThd") {
        Some("MIDI (notes, not recorded audio)")
    } else if starts(b"caff") {
        Some("Core Audio Format (CAF)")
    } else if starts(b"OggS") && head.len() >= 36 && &head[28..36] == b"Speex   " {
        Some("Speex")
    } else {
        None
    }
}

/// The container a decodable file's first bytes announce ("FLAC", "Ogg", …), if any.
pub fn container_by_magic(head: &[u8]) -> Option<&'static str> {
    let starts = |m: &[u8]| head.starts_with(m);
    if starts(b"fLaC") {
        Some("FLAC")
    } else if starts(b"OggS") {
        Some("Ogg")
    } else if starts(b"RIFF") {
        Some("WAV")
    } else if starts(b"FORM") {
        Some("AIFF")
    } else if starts(b"ID3") {
        Some("MP3")
    } else if starts(&[0x1a, 0x45, 0xdf, 0xa3]) {
        Some("Matroska/WebM")
    } else if head.len() >= 8 && &head[4..8] == b"ftyp" {
        Some("MP4")
    } else {
        None
    }
}

/// Whether `path` is a regular, non-empty file whose first bytes announce audio a decoder here
/// reads: a container's magic ([`container_by_magic`]), an MPEG audio frame (MP3 without tags,
/// AAC in ADTS) or a Sun `.au` header. Opened without blocking; only 16 bytes are read.
pub fn looks_decodable(path: &Path) -> bool {
    let Ok((file, len)) = open_regular(path) else {
        return false;
    };
    if len == 0 {
        return false;
    }
    let mut head = Vec::with_capacity(16);
    if file.take(16).read_to_end(&mut head).is_err() {
        return false;
    }
    container_by_magic(&head).is_some() || mpeg_sync(&head) || head.starts_with(AU_MAGIC)
}

/// The magic of a Sun `.au` file.
pub const AU_MAGIC: &[u8; 4] = b".snd";

/// Whether `head` starts with an MPEG audio frame sync (raw MP3 or ADTS AAC).
pub fn mpeg_sync(head: &[u8]) -> bool {
    head.len() >= 2 && head[0] == 0xff && head[1] & 0xe0 == 0xe0
}

/// Audio formats known by extension that no decoder in this build reads: listed as failed with
/// this name (when the contents are not something else that can be decoded).
pub const UNSUPPORTED_EXTENSIONS: &[(&str, &str)] = &[
    ("wv", "WavPack"),
    ("wma", "Windows Media Audio (WMA/ASF)"),
    ("asf", "Windows Media Audio (WMA/ASF)"),
    ("ape", "Monkey's Audio (APE)"),
    ("mpc", "Musepack"),
    ("mp+", "Musepack"),
    ("tta", "True Audio (TTA)"),
    ("tak", "TAK"),
    ("shn", "Shorten"),
    ("dsf", "DSD (DSF)"),
    ("dff", "DSD (DSDIFF)"),
    ("amr", "AMR"),
    ("ra", "RealAudio"),
    ("rm", "RealAudio"),
    ("ac3", "AC-3 (Dolby Digital)"),
    ("dts", "DTS"),
    ("spx", "Speex"),
    ("caf", "Core Audio Format (CAF)"),
];

/// The format name for an extension in [`UNSUPPORTED_EXTENSIONS`].
pub fn unsupported_by_extension(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?;
    UNSUPPORTED_EXTENSIONS
        .iter()
        .find(|(e, _)| e.eq_ignore_ascii_case(ext))
        .map(|(_, name)| *name)
}

/// Stream parameters a RIFF/AIFF header declares.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Declared {
    /// The container's name ("WAV", "AIFF").
    pub container: &'static str,
    pub rate_hz: Option<f64>,
    pub channels: Option<u32>,
    pub bits: Option<u32>,
    pub block_align: Option<u32>,
    /// Where the audio data starts, its declared length, and the bytes the file really has.
    pub data: Option<DataSpan>,
    /// 4-byte overwrites (file offset, new bytes) that make the header's lengths agree with
    /// the file, so the decoder reads exactly the data that is there.
    pub patches: Vec<(u64, [u8; 4])>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataSpan {
    pub start: u64,
    pub declared: u64,
    pub available: u64,
}

impl DataSpan {
    /// True when the header claims more (or, with 0, less) data than the file holds.
    pub fn lies(&self) -> bool {
        self.declared > self.available || (self.declared == 0 && self.available > 0)
    }
}

fn u16le(b: &[u8], i: usize) -> Option<u32> {
    Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?) as u32)
}
fn u32le(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}
fn u16be(b: &[u8], i: usize) -> Option<u32> {
    Some(u16::from_be_bytes(b.get(i..i + 2)?.try_into().ok()?) as u32)
}
fn u32be(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

/// An 80-bit IEEE 754 extended float (AIFF's sample rate) as f64; NaN for garbage.
pub fn extended_to_f64(b: &[u8; 10]) -> f64 {
    let sign = if b[0] & 0x80 != 0 { -1.0 } else { 1.0 };
    let exp = (((b[0] & 0x7f) as i32) << 8) | b[1] as i32;
    let mant = u64::from_be_bytes([b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9]]);
    if exp == 0 && mant == 0 {
        return 0.0;
    }
    if exp == 0x7fff {
        return f64::NAN;
    }
    sign * (mant as f64) * 2f64.powi(exp - 16383 - 63)
}

/// Reads the declared parameters of a RIFF/WAVE or FORM/AIFF(-C) file from its `head`;
/// `None` for other files or when no format chunk is in the head.
pub fn parse_declared(head: &[u8], file_len: u64) -> Option<Declared> {
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WAVE" {
        parse_riff(head, file_len)
    } else if head.len() >= 12
        && &head[..4] == b"FORM"
        && (&head[8..12] == b"AIFF" || &head[8..12] == b"AIFC")
    {
        parse_aiff(head, file_len)
    } else {
        None
    }
}

/// The RIFF/FORM size that covers the data as corrected (`None`: leave as it is).
fn outer_size_patch(declared: u32, data_end: u64, file_len: u64) -> Option<u32> {
    let needed = data_end.saturating_sub(8);
    if (declared as u64) < needed || declared as u64 + 8 > file_len {
        Some(file_len.saturating_sub(8).min(u32::MAX as u64) as u32)
    } else {
        None
    }
}

fn parse_riff(head: &[u8], file_len: u64) -> Option<Declared> {
    let mut d = Declared {
        container: "WAV",
        ..Default::default()
    };
    let mut pos = 12usize;
    let mut seen_fmt = false;
    while pos + 8 <= head.len() {
        let id = &head[pos..pos + 4];
        let size = u32le(head, pos + 4)?;
        let body = pos + 8;
        if id == b"fmt " {
            seen_fmt = true;
            d.channels = u16le(head, body + 2);
            d.rate_hz = u32le(head, body + 4).map(f64::from);
            d.block_align = u16le(head, body + 12);
            d.bits = u16le(head, body + 14);
        } else if id == b"data" {
            let start = body as u64;
            let available = file_len.saturating_sub(start);
            let span = DataSpan {
                start,
                declared: size as u64,
                available,
            };
            let mut len = size as u64;
            if span.lies() {
                let align = d.block_align.filter(|&a| a > 0).unwrap_or(1) as u64;
                len = (available / align * align).min(u32::MAX as u64);
                d.patches.push((pos as u64 + 4, (len as u32).to_le_bytes()));
            }
            if let Some(riff) = u32le(head, 4)
                && let Some(new) = outer_size_patch(riff, start + len, file_len)
            {
                d.patches.push((4, new.to_le_bytes()));
            }
            d.data = Some(span);
            break;
        }
        pos = body.checked_add(size as usize)?;
        pos += pos & 1;
    }
    seen_fmt.then_some(d)
}

fn parse_aiff(head: &[u8], file_len: u64) -> Option<Declared> {
    let mut d = Declared {
        container: "AIFF",
        ..Default::default()
    };
    let mut pos = 12usize;
    let mut seen_comm = false;
    while pos + 8 <= head.len() {
        let id = &head[pos..pos + 4];
        let size = u32be(head, pos + 4)?;
        let body = pos + 8;
        if id == b"COMM" {
            seen_comm = true;
            d.channels = u16be(head, body);
            d.bits = u16be(head, body + 6);
            let rate: [u8; 10] = head.get(body + 8..body + 18)?.try_into().ok()?;
            d.rate_hz = Some(extended_to_f64(&rate));
            if let (Some(c), Some(b)) = (d.channels, d.bits) {
                d.block_align = Some(c * b.div_ceil(8));
            }
        } else if id == b"SSND" {
            // The chunk holds an offset and a block size (8 bytes) before the samples.
            let start = body as u64;
            let available = file_len.saturating_sub(start);
            let span = DataSpan {
                start,
                declared: size as u64,
                available,
            };
            let mut len = size as u64;
            if span.lies() {
                let align = d.block_align.filter(|&a| a > 0).unwrap_or(1) as u64;
                let samples = available.saturating_sub(8) / align * align;
                len = (samples + 8).min(available).min(u32::MAX as u64);
                d.patches.push((pos as u64 + 4, (len as u32).to_be_bytes()));
            }
            if let Some(form) = u32be(head, 4)
                && let Some(new) = outer_size_patch(form, start + len, file_len)
            {
                d.patches.push((4, new.to_be_bytes()));
            }
            d.data = Some(span);
            break;
        }
        pos = body.checked_add(size as usize)?;
        pos += pos & 1;
    }
    seen_comm.then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(rate: u32, data_size: u32, data: &[u8]) -> Vec<u8> {
        let mut v = b"RIFF".to_vec();
        v.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        v.extend_from_slice(b"WAVEfmt ");
        v.extend_from_slice(&16u32.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&rate.to_le_bytes());
        v.extend_from_slice(&(rate * 2).to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&16u16.to_le_bytes());
        v.extend_from_slice(b"data");
        v.extend_from_slice(&data_size.to_le_bytes());
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn riff_parameters_and_lying_lengths() {
        let data = [0u8; 100];
        let ok = wav(8000, 100, &data);
        let d = parse_declared(&ok, ok.len() as u64).unwrap();
        assert_eq!(d.rate_hz, Some(8000.0));
        assert_eq!(
            (d.channels, d.bits, d.block_align),
            (Some(1), Some(16), Some(2))
        );
        assert_eq!(d.data.unwrap().declared, 100);
        assert!(d.patches.is_empty(), "{:?}", d.patches);

        let lying = wav(8000, 0x7fff_fff0, &data);
        let d = parse_declared(&lying, lying.len() as u64).unwrap();
        assert!(d.data.unwrap().lies());
        assert!(
            d.patches.contains(&(40, 100u32.to_le_bytes())),
            "{:?}",
            d.patches
        );

        let zero = wav(0, 0, &data);
        let d = parse_declared(&zero, zero.len() as u64).unwrap();
        assert_eq!(d.rate_hz, Some(0.0));
        assert!(d.patches.contains(&(40, 100u32.to_le_bytes())));
    }

    #[test]
    fn extended_floats() {
        // 44100 Hz as AIFF writes it.
        let b = [0x40, 0x0e, 0xac, 0x44, 0, 0, 0, 0, 0, 0];
        assert_eq!(extended_to_f64(&b), 44100.0);
        assert_eq!(extended_to_f64(&[0; 10]), 0.0);
        assert!(extended_to_f64(&[0x7f, 0xff, 0, 0, 0, 0, 0, 0, 0, 1]).is_nan());
    }

    #[test]
    fn magic_names_formats() {
        assert_eq!(unsupported_by_magic(b"wvpk\0\0\0\0"), Some("WavPack"));
        assert_eq!(
            unsupported_by_magic(b"MAC \x96\x0f"),
            Some("Monkey's Audio (APE)")
        );
        assert_eq!(unsupported_by_magic(b"fLaC"), None);
        assert_eq!(
            unsupported_by_extension(Path::new("/m/a.WMA")),
            Some("Windows Media Audio (WMA/ASF)")
        );
        assert_eq!(unsupported_by_extension(Path::new("/m/a.flac")), None);
    }
}

/// A header (or container structure) whose sizes, counts or codes cannot be right, and what is
/// wrong with it; the decoder adds the file's name (`decode::AudioError`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct BadHeader(pub String);

impl From<String> for BadHeader {
    fn from(s: String) -> Self {
        BadHeader(s)
    }
}

impl From<&str> for BadHeader {
    fn from(s: &str) -> Self {
        BadHeader(s.to_string())
    }
}

impl From<std::io::Error> for BadHeader {
    fn from(e: std::io::Error) -> Self {
        BadHeader(e.to_string())
    }
}
