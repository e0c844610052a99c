//! FLAC metadata blocks and frames: comment and picture lengths that fit, where the stream
//! really ends.

use std::fs::File;

use super::view::{View, be32, le32, read_at};

/// Checks FLAC metadata blocks from `start` (the `fLaC` magic): a Vorbis comment or picture
/// block whose inner lengths do not fit in it becomes padding.
pub(super) fn check_flac(f: &File, start: u64, len: u64, view: &mut View) {
    let mut pos = start + 4;
    for _ in 0..1024 {
        let h = read_at(f, pos, 4);
        if h.len() < 4 {
            return;
        }
        let last = h[0] & 0x80 != 0;
        let kind = h[0] & 0x7f;
        let blen = (h[1] as u64) << 16 | (h[2] as u64) << 8 | h[3] as u64;
        let body = pos + 4;
        if body + blen > len {
            return;
        }
        let bad = match kind {
            4 => !vorbis_comment_fits(&read_at(f, body, blen as usize), false),
            6 => !picture_fits(&read_at(f, body, blen as usize)),
            _ => false,
        };
        if bad {
            view.patches.push((pos, vec![(h[0] & 0x80) | 1]));
            view.notes.push(format!(
                "a damaged FLAC {} block was skipped",
                if kind == 4 { "tag" } else { "picture" }
            ));
        }
        if last {
            return;
        }
        pos = body + blen;
    }
}

/// Where a FLAC stream that ends before its declared length really ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlacEnd {
    pub declared_frames: u64,
    pub real_frames: u64,
    pub rate: u32,
}

/// The FLAC CRC-8 of frame headers (polynomial 0x07).
fn crc8(b: &[u8]) -> u8 {
    let mut crc = 0u8;
    for &x in b {
        crc ^= x;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x07
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Finds the last frame of the FLAC stream whose `fLaC` magic is at `start` (searching the
/// file's last megabyte backwards for a frame header that agrees with STREAMINFO and passes its
/// CRC) and returns where the stream really ends, when that is well before the total the
/// header declares (a cut-off file, or a lying header). `None` when the stream is whole, or
/// when nothing can be told.
pub fn flac_end(f: &File, start: u64, len: u64) -> Option<FlacEnd> {
    // STREAMINFO is the first block: 4-byte block header, then its 34 bytes.
    let si = read_at(f, start + 4, 38);
    if si.len() < 38 || si[0] & 0x7f != 0 {
        return None;
    }
    let b = &si[4..];
    let max_block = u16::from_be_bytes([b[2], b[3]]) as u64;
    let word = u64::from_be_bytes(b[10..18].try_into().ok()?);
    let rate = (word >> 44) as u32;
    let channels = ((word >> 41) & 0x7) as u8 + 1;
    let bits = ((word >> 36) & 0x1f) as u8 + 1;
    let total = word & 0xf_ffff_ffff;
    if total == 0 || rate == 0 || max_block < 16 {
        return None;
    }
    const TAIL: u64 = 1 << 20;
    let from = len.saturating_sub(TAIL).max(start + 42);
    let tail = read_at(f, from, (len - from.min(len)) as usize);
    for i in (0..tail.len().saturating_sub(16)).rev() {
        if tail[i] != 0xff || tail[i + 1] & 0xfe != 0xf8 {
            continue;
        }
        let Some((first, block)) = flac_frame_header(&tail[i..], channels, bits, rate, max_block)
        else {
            continue;
        };
        let end = first.saturating_add(block);
        if end > total || first == 0 {
            // Not a frame of this stream (or the stream is whole).
            return None;
        }
        // The stream really ends here: worth saying only when clearly short of the total.
        let slack = max_block.max(rate as u64 / 2);
        return (end + slack < total).then_some(FlacEnd {
            declared_frames: total,
            real_frames: end,
            rate,
        });
    }
    None
}

/// [`flac_end`] of the FLAC file at `path` (whose magic is at its start), in seconds.
pub fn flac_real_secs(path: &std::path::Path) -> Option<f64> {
    let (f, len) = crate::audio::header::open_regular(path).ok()?;
    if read_at(&f, 0, 4) != b"fLaC" {
        return None;
    }
    flac_end(&f, 0, len).map(|e| e.real_frames as f64 / e.rate as f64)
}

/// Parses a FLAC frame header at `h[0]` that agrees with STREAMINFO; returns (first frame
/// number of the block, block size).
fn flac_frame_header(
    h: &[u8],
    channels: u8,
    bits: u8,
    rate: u32,
    max_block: u64,
) -> Option<(u64, u64)> {
    // A fixed-blocking stream numbers its frames, a variable one its samples.
    let variable = h[1] & 1 == 1;
    let bs_code = h[2] >> 4;
    let sr_code = h[2] & 0xf;
    let ch_code = h[3] >> 4;
    let ss_code = (h[3] >> 1) & 7;
    if bs_code == 0 || sr_code == 15 || ch_code > 10 || ss_code == 3 || h[3] & 1 != 0 {
        return None;
    }
    let frame_channels = if ch_code < 8 { ch_code + 1 } else { 2 };
    if frame_channels != channels {
        return None;
    }
    const SS: [u8; 8] = [0, 8, 12, 0, 16, 20, 24, 32];
    if ss_code != 0 && SS[ss_code as usize] != bits {
        return None;
    }
    const SR: [u32; 12] = [
        0, 88_200, 176_400, 192_000, 8_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000, 96_000,
    ];
    if (1..12).contains(&sr_code) && SR[sr_code as usize] != rate {
        return None;
    }
    // The UTF-8-like coded frame (or sample) number.
    let lead = h[4];
    let n = lead.leading_ones() as usize;
    if n == 1 || n > 7 {
        return None;
    }
    let mut v = if n == 0 {
        lead as u64
    } else {
        (lead & (0xff >> (n + 1))) as u64
    };
    let mut i = 5;
    for _ in 1..n.max(1) {
        let x = *h.get(i)?;
        if x & 0xc0 != 0x80 {
            return None;
        }
        v = (v << 6) | (x & 0x3f) as u64;
        i += 1;
    }
    let block = match bs_code {
        1 => 192,
        2..=5 => 576 << (bs_code - 2),
        6 => {
            i += 1;
            *h.get(i - 1)? as u64 + 1
        }
        7 => {
            i += 2;
            u16::from_be_bytes([*h.get(i - 2)?, *h.get(i - 1)?]) as u64 + 1
        }
        _ => 256 << (bs_code - 8),
    };
    match sr_code {
        12 => i += 1,
        13 | 14 => i += 2,
        _ => {}
    }
    if block > max_block.max(16) || crc8(h.get(..i)?) != *h.get(i)? {
        return None;
    }
    let first = if variable {
        v
    } else {
        v.checked_mul(max_block)?
    };
    Some((first, block))
}

/// True when a Vorbis comment structure (vendor, count, comments) fits in `b`; `framed`
/// skips the packet type and "vorbis" magic first.
pub(super) fn vorbis_comment_fits(b: &[u8], framed: bool) -> bool {
    let mut i = if framed { 7 } else { 0 };
    let Some(vendor) = le32(b, i) else {
        return false;
    };
    i += 4;
    if vendor > (b.len() - i) as u64 {
        return false;
    }
    i += vendor as usize;
    let Some(n) = le32(b, i) else { return false };
    i += 4;
    if n.saturating_mul(4) > (b.len() - i) as u64 {
        return false;
    }
    for _ in 0..n {
        let Some(c) = le32(b, i) else { return false };
        i += 4;
        if c > (b.len() - i) as u64 {
            return false;
        }
        i += c as usize;
    }
    true
}

/// True when a FLAC picture block's lengths fit in `b`.
fn picture_fits(b: &[u8]) -> bool {
    let mut i = 4;
    for _ in 0..2 {
        let Some(n) = be32(b, i) else { return false };
        i += 4;
        if n > (b.len() - i) as u64 {
            return false;
        }
        i += n as usize;
    }
    i += 16;
    match be32(b, i) {
        Some(n) => n <= b.len().saturating_sub(i + 4) as u64,
        None => false,
    }
}
