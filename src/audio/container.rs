//! Structure checks of container headers, run before the decoder (symphonia) sees a file.
//!
//! Several of symphonia's readers size a buffer straight from a length or count in the file
//! (an MP4 sample table's entry count, a FLAC or Vorbis comment length, an ID3v2 tag size, a
//! Matroska element size) before checking it against the bytes that are there: one flipped
//! byte asks for gigabytes, and a failed allocation aborts the process. Here every such length
//! is checked against the structure that holds it, and the file is either refused with the
//! reason, or the damaged part is hidden from the decoder (a bad FLAC metadata block becomes
//! padding, a bad ID3v2 tag is skipped, a Matroska file is cut at its first element that runs
//! past its parent), so what can be decoded still is.

use std::fs::File;
use std::os::unix::fs::FileExt;

use super::header::BadHeader;

/// How the decoder should see the file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct View {
    /// Bytes to overwrite (file offset, new bytes).
    pub patches: Vec<(u64, Vec<u8>)>,
    /// The decoder sees the file as ending here.
    pub limit: Option<u64>,
    /// What was hidden or repaired, for the log.
    pub notes: Vec<String>,
    /// The structure shows the file is cut off (the track is "partial" with this reason, or,
    /// when nothing decodes, this is why).
    pub truncated: Option<String>,
    /// The stream really ends after this many frames (fewer than its header declares).
    pub real_frames: Option<u64>,
    /// The granule position of the last whole Ogg page (for Vorbis, the frames up to its end).
    pub ogg_end_granule: Option<u64>,
}

/// Reads `n` bytes at `at` (fewer at the end of the file).
fn read_at(f: &File, at: u64, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match f.read_at(&mut buf[got..], at + got as u64) {
            Ok(0) | Err(_) => break,
            Ok(k) => got += k,
        }
    }
    buf.truncate(got);
    buf
}

fn be32(b: &[u8], i: usize) -> Option<u64> {
    Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?) as u64)
}
fn le32(b: &[u8], i: usize) -> Option<u64> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?) as u64)
}

/// Checks the file whose first bytes are `head` (the whole file is `len` bytes).
pub fn check(f: &File, head: &[u8], len: u64) -> Result<View, BadHeader> {
    let mut view = View::default();
    let mut at = 0u64;
    if head.starts_with(b"ID3") {
        at = check_id3v2(f, head, len, &mut view);
    }
    let rest = if at == 0 {
        head.to_vec()
    } else {
        read_at(f, at, 16)
    };
    if rest.starts_with(b"fLaC") {
        check_flac(f, at, len, &mut view);
        if let Some(end) = flac_end(f, at, len) {
            view.real_frames = Some(end.real_frames);
            // Short spans in tenths of a second, long ones as a clock.
            let span = |frames: u64| {
                let secs = frames as f64 / end.rate as f64;
                if secs < 60.0 {
                    format!("{secs:.1} s")
                } else {
                    crate::util::time::fmt_time(secs)
                }
            };
            view.truncated = Some(format!(
                "truncated: the FLAC stream ends after {} of the declared {}",
                span(end.real_frames),
                span(end.declared_frames)
            ));
        }
    } else if rest.len() >= 8 && &rest[4..8] == b"ftyp" {
        check_mp4(f, len, &mut view)?;
    } else if rest.starts_with(&[0x1a, 0x45, 0xdf, 0xa3]) {
        check_ebml(f, len, &mut view);
    } else if rest.starts_with(b"OggS") {
        check_ogg(f, len, &mut view)?;
        walk_ogg(f, len, &mut view);
    }
    Ok(view)
}

// ---------------------------------------------------------------- ID3v2

/// Checks an ID3v2 tag at the start; returns where what follows it starts. A tag whose size
/// runs past the file, is not synch-safe, or whose frames do not fit in it is hidden (its
/// magic overwritten, so the decoder looks for audio instead).
fn check_id3v2(f: &File, head: &[u8], len: u64, view: &mut View) -> u64 {
    let Some(h) = head.get(..10) else { return 0 };
    let version = h[3];
    let synchsafe = h[6..10].iter().all(|b| b & 0x80 == 0);
    let size = h[6..10]
        .iter()
        .fold(0u64, |a, &b| (a << 7) | (b & 0x7f) as u64);
    let footer = if h[5] & 0x10 != 0 { 10 } else { 0 };
    let end = 10 + size + footer;
    let plausible = synchsafe && (2..=4).contains(&version);
    if plausible && end > len {
        // Either a cut-off file or a damaged size: the tag is hidden (audio may follow), and
        // if nothing decodes, this is why.
        view.truncated = Some(format!(
            "truncated: the file ends inside its ID3v2 tag ({len} of {end} bytes)"
        ));
    }
    let mut ok = plausible && end <= len;
    if ok {
        // Frames: 10-byte headers, sizes synch-safe in v2.4, plain in v2.3.
        let tag = read_at(f, 10, size.min(64 * 1024 * 1024) as usize);
        let mut i = 0usize;
        if h[5] & 0x40 != 0 {
            // An extended header: skip it (its size is the first word).
            let ext = be32(&tag, 0).unwrap_or(u64::MAX) as usize;
            i = if version == 4 {
                tag.get(..4).map_or(usize::MAX, |b| {
                    b.iter()
                        .fold(0usize, |a, &x| (a << 7) | (x & 0x7f) as usize)
                })
            } else {
                ext.saturating_add(4)
            };
        }
        while ok && i + 10 <= tag.len() {
            if tag[i] == 0 {
                break; // padding
            }
            let fsize = if version == 4 {
                tag[i + 4..i + 8]
                    .iter()
                    .fold(0usize, |a, &b| (a << 7) | (b & 0x7f) as usize)
            } else if version == 3 {
                be32(&tag, i + 4).unwrap_or(u64::MAX) as usize
            } else {
                // v2.2: 6-byte headers with 3-byte sizes.
                let s =
                    (tag[i + 3] as usize) << 16 | (tag[i + 4] as usize) << 8 | tag[i + 5] as usize;
                i += 6;
                if s > tag.len() - i {
                    ok = false;
                }
                i = i.saturating_add(s);
                continue;
            };
            i += 10;
            if fsize > tag.len() - i {
                ok = false;
            }
            i = i.saturating_add(fsize);
        }
    }
    if ok {
        end
    } else {
        view.patches.push((0, b"XXX".to_vec()));
        view.notes.push("a damaged ID3v2 tag was skipped".into());
        0
    }
}

// ---------------------------------------------------------------- FLAC

/// Checks FLAC metadata blocks from `start` (the `fLaC` magic): a Vorbis comment or picture
/// block whose inner lengths do not fit in it becomes padding.
fn check_flac(f: &File, start: u64, len: u64, view: &mut View) {
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
    let (f, len) = super::header::open_regular(path).ok()?;
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
fn vorbis_comment_fits(b: &[u8], framed: bool) -> bool {
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

// ---------------------------------------------------------------- MP4

/// Boxes that hold other boxes (after `skip` bytes of their own).
fn mp4_container(kind: &[u8]) -> Option<u64> {
    Some(match kind {
        b"moov" | b"trak" | b"mdia" | b"minf" | b"stbl" | b"edts" | b"dinf" | b"udta" | b"mvex"
        | b"moof" | b"traf" | b"mfra" | b"ilst" => 0,
        b"meta" => 4,
        b"stsd" => 8,
        // Audio sample entries: 28 bytes of their own before their child boxes (esds, …).
        b"mp4a" | b"alac" | b"fLaC" | b"Opus" | b"enca" => 28,
        _ => return None,
    })
}

/// Entry size and where the count is, for the sample tables: (count offset in the body,
/// bytes per entry). `stsz` is special-cased (a fixed size means no table).
fn mp4_table(kind: &[u8]) -> Option<(usize, u64)> {
    Some(match kind {
        b"stco" | b"stss" => (4, 4),
        b"co64" | b"stts" | b"ctts" => (4, 8),
        b"stsc" => (4, 12),
        b"elst" => (4, 12),
        b"stsz" => (8, 4),
        _ => return None,
    })
}

/// Walks the MP4 box tree: every box fits in its parent, every table's entry count fits in
/// its box, descriptor lengths fit in `esds`.
fn check_mp4(f: &File, len: u64, view: &mut View) -> Result<(), BadHeader> {
    let mut walk = Mp4Walk::default();
    let r = walk_mp4(f, 0, len, len, 0, &mut walk);
    match (&r, walk.moov, walk.mdat_cut) {
        // Garbage after a complete index: the decoder sees the file up to it.
        (Err(why), true, _) if walk.top_level_bad.is_some() => {
            let at = walk.top_level_bad.unwrap_or(len);
            view.limit = Some(at);
            view.notes.push(format!(
                "{} bytes after byte {at} ignored ({why})",
                len - at
            ));
            return Ok(());
        }
        (Ok(()), false, true) => {
            view.truncated = Some(
                "truncated: the file ends inside its audio data, before the MP4 index ('moov') \
                 that locates it"
                    .into(),
            );
        }
        (Ok(()), true, true) => {
            view.truncated =
                Some("truncated: the MP4 audio data ('mdat') runs past the end of the file".into());
        }
        _ => {}
    }
    r
}

#[derive(Default)]
struct Mp4Walk {
    boxes: usize,
    /// A complete `moov` was seen at the top level.
    moov: bool,
    /// The top-level `mdat` runs past the end of the file.
    mdat_cut: bool,
    /// Where the first unusable top-level box starts (after a complete `moov`).
    top_level_bad: Option<u64>,
}

fn walk_mp4(
    f: &File,
    start: u64,
    end: u64,
    len: u64,
    depth: usize,
    walk: &mut Mp4Walk,
) -> Result<(), BadHeader> {
    if depth > 16 {
        return Err("corrupt MP4 header: boxes nested too deep".into());
    }
    let mut pos = start;
    while pos + 8 <= end {
        // Remembered in case this box starts garbage after a complete index.
        if depth == 0 && walk.moov {
            walk.top_level_bad = Some(pos);
        }
        match mp4_box(f, pos, end, len, depth, walk)? {
            Some(next) => pos = next,
            None => break,
        }
        if depth == 0 {
            walk.top_level_bad = None;
        }
    }
    Ok(())
}

/// Checks the box at `pos` (and what it holds); returns where the next one starts, or `None`
/// when the walk of this level is over.
fn mp4_box(
    f: &File,
    pos: u64,
    end: u64,
    len: u64,
    depth: usize,
    walk: &mut Mp4Walk,
) -> Result<Option<u64>, BadHeader> {
    walk.boxes += 1;
    if walk.boxes > 200_000 {
        return Err("corrupt MP4 header: too many boxes".into());
    }
    let h = read_at(f, pos, 16);
    let Some(size32) = be32(&h, 0) else {
        return Ok(None);
    };
    let kind: [u8; 4] = h[4..8].try_into().map_err(|_| "short MP4 box")?;
    let (hdr, size) = match size32 {
        // "To the end of the file" is for a last top-level box only.
        0 if depth == 0 => (8, end - pos),
        0 => {
            return Err(BadHeader(format!(
                "corrupt MP4 header: a box inside another has size 0 (at byte {pos})"
            )));
        }
        1 => match h.get(8..16) {
            Some(b) => (
                16,
                u64::from_be_bytes(b.try_into().map_err(|_| "short box")?),
            ),
            None => return Ok(None),
        },
        s => (8, s),
    };
    let name = String::from_utf8_lossy(&kind).into_owned();
    if size < hdr {
        return Err(BadHeader(format!(
            "corrupt MP4 header: box '{name}' at byte {pos} claims {size} bytes"
        )));
    }
    let box_end = pos.saturating_add(size);
    if box_end > end {
        if depth == 0 && kind == *b"mdat" {
            // Cut-off audio data: the decoder stops where it ends.
            walk.mdat_cut = true;
            return Ok(None);
        }
        return Err(BadHeader(format!(
            "corrupt MP4 header: box '{name}' at byte {pos} ({size} bytes) runs past {}",
            if end == len {
                "the end of the file"
            } else {
                "the box holding it"
            }
        )));
    }
    let body = pos + hdr;
    let body_len = box_end - body;
    if let Some((count_at, per)) = mp4_table(&kind) {
        let b = read_at(f, body, count_at + 4);
        let count = be32(&b, count_at).unwrap_or(u64::MAX);
        let fixed_size = kind == *b"stsz" && be32(&b, 4).unwrap_or(0) != 0;
        let need = (count_at as u64 + 4).saturating_add(if fixed_size {
            0
        } else {
            count.saturating_mul(per)
        });
        if need > body_len {
            return Err(BadHeader(format!(
                "corrupt MP4 header: table '{name}' claims {count} entries in {body_len} bytes"
            )));
        }
    } else if kind == *b"hdlr" && body_len < 24 {
        return Err(BadHeader(format!(
            "corrupt MP4 header: 'hdlr' of {body_len} bytes"
        )));
    } else if kind == *b"esds" {
        check_esds(&read_at(f, body, body_len.min(1 << 20) as usize))?;
    } else if kind == *b"data" && body_len < 8 {
        return Err(BadHeader(format!(
            "corrupt MP4 header: 'data' of {body_len} bytes"
        )));
    }
    if let Some(skip) = mp4_container(&kind)
        && kind != *b"mdat"
    {
        walk_mp4(f, body + skip, box_end, len, depth + 1, walk)?;
    }
    if depth == 0 && kind == *b"moov" {
        walk.moov = true;
    }
    Ok(Some(box_end))
}

/// `esds`: descriptor lengths (1–4 byte varints) must fit in what holds them.
fn check_esds(b: &[u8]) -> Result<(), BadHeader> {
    fn walk(b: &[u8], mut i: usize, end: usize, depth: usize) -> Result<(), BadHeader> {
        while i + 2 <= end && depth < 8 {
            let tag = b[i];
            i += 1;
            let mut n = 0usize;
            for _ in 0..4 {
                let Some(&x) = b.get(i) else {
                    return Err("corrupt MP4 header: cut-off 'esds' descriptor".into());
                };
                i += 1;
                n = (n << 7) | (x & 0x7f) as usize;
                if x & 0x80 == 0 {
                    break;
                }
            }
            if n > end.saturating_sub(i) {
                return Err(BadHeader(format!(
                    "corrupt MP4 header: 'esds' descriptor {tag} claims {n} bytes in {}",
                    end.saturating_sub(i)
                )));
            }
            // ES (3) and decoder config (4) descriptors hold others after fixed fields.
            let skip = match tag {
                3 => 3,
                4 => 13,
                _ => n,
            };
            if skip < n {
                walk(b, i + skip, i + n, depth + 1)?;
            }
            i += n;
        }
        Ok(())
    }
    walk(b, 4, b.len(), 0)
}

// ---------------------------------------------------------------- Matroska / WebM

/// An EBML variable-length integer at `b[i..]`: (value, bytes); all ones = unknown (`None`).
fn vint(b: &[u8], i: usize, keep_marker: bool) -> Option<(Option<u64>, usize)> {
    let first = *b.get(i)?;
    if first == 0 {
        return None;
    }
    let n = first.leading_zeros() as usize + 1;
    let mut v = if keep_marker {
        first as u64
    } else {
        (first & (0xff >> n)) as u64
    };
    let mut all_ones = v == (0xff >> n) as u64;
    for k in 1..n {
        let x = *b.get(i + k)?;
        all_ones &= x == 0xff;
        v = (v << 8) | x as u64;
    }
    Some((
        if all_ones && !keep_marker {
            None
        } else {
            Some(v)
        },
        n,
    ))
}

/// Walks the Segment and its Clusters: the decoder is cut off at the first element that runs
/// past what holds it (or the file), and at the Segment's end (trailing bytes are ignored).
fn check_ebml(f: &File, len: u64, view: &mut View) {
    const SEGMENT: u64 = 0x1853_8067;
    const CLUSTER: u64 = 0x1F43_B675;
    const BLOCK_GROUP: u64 = 0xA0;
    const SIMPLE_BLOCK: u64 = 0xA3;
    const BLOCK: u64 = 0xA1;
    let mut elements = 0usize;
    // (start, end) of the masters being walked.
    let mut stack: Vec<(u64, u64)> = vec![(0, len)];
    let mut pos = 0u64;
    let mut cut: Option<(u64, String)> = None;
    while let Some(&(_, end)) = stack.last() {
        if pos >= end {
            stack.pop();
            continue;
        }
        elements += 1;
        if elements > 2_000_000 {
            break;
        }
        let h = read_at(f, pos, 12);
        let Some((Some(id), idn)) = vint(&h, 0, true) else {
            cut = Some((pos, "an unreadable element".into()));
            break;
        };
        let Some((size, sn)) = vint(&h, idn, false) else {
            cut = Some((pos, "an unreadable element size".into()));
            break;
        };
        let body = pos + (idn + sn) as u64;
        let elem_end = match size {
            Some(s) => body.saturating_add(s),
            // Unknown size (live streams): up to the end of what holds it.
            None => end,
        };
        let is_master = matches!(id, SEGMENT | CLUSTER | BLOCK_GROUP);
        if elem_end > end {
            if id == SEGMENT && end == len {
                // A cut-off file: the Segment ends where the file does.
                view.truncated = Some(format!(
                    "truncated: the file ends {} bytes into its {}-byte Matroska segment",
                    len - body,
                    elem_end - body
                ));
                stack.push((pos, len));
                pos = body;
                continue;
            }
            cut = Some((
                pos,
                format!(
                    "an element at byte {pos} runs past {}",
                    if end == len {
                        "the end of the file"
                    } else {
                        "its parent"
                    }
                ),
            ));
            break;
        }
        if (id == SIMPLE_BLOCK || id == BLOCK) && !block_fits(f, body, elem_end - body) {
            cut = Some((pos, format!("a damaged block at byte {pos}")));
            break;
        }
        if id == SEGMENT && stack.len() == 1 {
            // Only what the Segment holds is audio; bytes after it are ignored.
            if elem_end < len {
                view.limit = Some(elem_end);
            }
        }
        if is_master {
            stack.push((pos, elem_end));
            pos = body;
        } else {
            pos = elem_end;
        }
    }
    if let Some((at, why)) = cut
        && at > 0
    {
        if why.ends_with("the end of the file") && view.truncated.is_none() {
            view.truncated = Some(format!("truncated: {why}"));
        }
        view.limit = Some(at.min(view.limit.unwrap_or(u64::MAX)));
        view.notes
            .push(format!("Matroska: {why}; the rest is ignored"));
    }
}

/// A vint as symphonia's Matroska reader reads it: (value, bytes); `None` for the forms it
/// mis-reads (0xFF is "unknown", a 0 first byte is not a vint).
fn mkv_vint(b: &[u8], i: usize) -> Option<(u64, usize)> {
    let first = *b.get(i)?;
    if first == 0xff || first == 0 {
        return None;
    }
    let n = first.leading_zeros() as usize + 1;
    let mut v = (first & (0xff >> n)) as u64;
    for k in 1..n {
        v = (v << 8) | *b.get(i + k)? as u64;
    }
    Some((v, n))
}

/// True when a (Simple)Block's header and lacing fit in its `len` bytes: the frame sizes the
/// lacing declares are what the reader allocates.
fn block_fits(f: &File, body: u64, len: u64) -> bool {
    let b = read_at(f, body, len.min(64 * 1024) as usize);
    let Some((_, n)) = mkv_vint(&b, 0) else {
        return false;
    };
    let mut i = n + 3;
    if i as u64 > len {
        return false;
    }
    let flags = b[n + 2];
    let lacing = (flags >> 1) & 3;
    if lacing == 0 {
        return true;
    }
    let Some(&count) = b.get(i) else { return false };
    i += 1;
    if lacing == 2 {
        return i as u64 <= len;
    }
    let mut sizes: Vec<u64> = Vec::with_capacity(count as usize);
    if lacing == 1 {
        // Xiph: 255-runs.
        let mut acc = 0u64;
        while sizes.len() < count as usize {
            let Some(&x) = b.get(i) else { return false };
            i += 1;
            acc += x as u64;
            if x < 255 {
                sizes.push(acc);
                acc = 0;
            }
        }
    } else {
        // EBML: a size, then signed differences.
        let mut last: i64 = 0;
        for k in 0..count {
            let Some((v, w)) = mkv_vint(&b, i) else {
                return false;
            };
            i += w;
            let size = if k == 0 {
                v as i64
            } else {
                let half = (1i64 << (7 * w as u32 - 1)) - 1;
                last + (v as i64 - half)
            };
            if size < 0 {
                return false;
            }
            last = size;
            sizes.push(size as u64);
        }
    }
    let total: u64 = sizes.iter().fold(0u64, |a, &s| a.saturating_add(s));
    (i as u64).saturating_add(total) <= len
}

// ---------------------------------------------------------------- Ogg

/// The Ogg CRC-32 (polynomial 0x04c11db7, no reflection, initial value 0).
fn ogg_crc(b: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &x in b {
        crc ^= (x as u32) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Finds where the Ogg pages end: bytes after the last whole page (a page cut off by the end
/// of the file, or garbage) are hidden from the decoder, which otherwise fails to open the file
/// while looking for its last page. A file that ends inside a page, or whose last page does not
/// end the stream, is cut off: [`View::truncated`] says so. Damaged stretches in the middle are
/// stepped over (the decoder resynchronises there too).
fn walk_ogg(f: &File, len: u64, view: &mut View) {
    const MAX_PAGES: usize = 4_000_000;
    let mut pos = 0u64;
    // End of the last whole page, and whether it ends its stream.
    let mut last_end = 0u64;
    let mut last_eos = false;
    let mut last_granule = None;
    let mut cut_page = false;
    for _ in 0..MAX_PAGES {
        let h = read_at(f, pos, 27);
        if h.len() < 4 {
            break;
        }
        if &h[..4] != b"OggS" {
            match find_capture(f, pos + 1, len) {
                Some(next) => {
                    pos = next;
                    continue;
                }
                None => break,
            }
        }
        if h.len() < 27 {
            cut_page = true;
            break;
        }
        let nseg = h[26] as usize;
        let table = read_at(f, pos + 27, nseg);
        if table.len() < nseg {
            cut_page = true;
            break;
        }
        let page_len = 27 + nseg as u64 + table.iter().map(|&x| x as u64).sum::<u64>();
        if pos + page_len > len {
            // Either the file is cut inside this page, or this "page" is garbage that happens
            // to start with the capture pattern: look for a real one after it.
            match find_capture(f, pos + 1, len) {
                Some(next) => {
                    pos = next;
                    continue;
                }
                None => {
                    cut_page = true;
                    break;
                }
            }
        }
        last_end = pos + page_len;
        last_eos = h[5] & 0x04 != 0;
        let granule = i64::from_le_bytes(h[6..14].try_into().unwrap_or([0xff; 8]));
        if granule > 0 {
            last_granule = Some(granule as u64);
        }
        pos = last_end;
    }
    if last_end == 0 {
        return;
    }
    view.ogg_end_granule = last_granule;
    if last_end < len {
        view.limit = Some(last_end.min(view.limit.unwrap_or(u64::MAX)));
        if !cut_page {
            view.notes.push(format!(
                "{} bytes after the last Ogg page ignored",
                len - last_end
            ));
        }
    }
    if cut_page || !last_eos {
        view.truncated = Some(if cut_page {
            "truncated: the file ends inside an Ogg page".into()
        } else {
            "truncated: the Ogg stream has no end-of-stream page".into()
        });
    }
}

/// The next `OggS` capture pattern at or after `from`, if any.
fn find_capture(f: &File, from: u64, len: u64) -> Option<u64> {
    const CHUNK: usize = 64 * 1024;
    let mut at = from;
    while at < len {
        let b = read_at(f, at, CHUNK + 3);
        if b.len() < 4 {
            return None;
        }
        if let Some(i) = b.windows(4).position(|w| w == b"OggS") {
            return Some(at + i as u64);
        }
        at += CHUNK as u64;
    }
    None
}

/// Checks the comment header of the first Ogg stream (Vorbis or Opus) when it lies in one
/// page: lengths that do not fit make it an empty comment (the page's CRC is fixed to match).
fn check_ogg(f: &File, len: u64, view: &mut View) -> Result<(), BadHeader> {
    let mut pos = 0u64;
    for page_no in 0..4 {
        let h = read_at(f, pos, 27);
        if h.len() < 27 || &h[..4] != b"OggS" {
            return Ok(());
        }
        let nseg = h[26] as usize;
        let table = read_at(f, pos + 27, nseg);
        if table.len() < nseg {
            return Ok(());
        }
        let body_len: u64 = table.iter().map(|&x| x as u64).sum();
        let page_len = 27 + nseg as u64 + body_len;
        if pos + page_len > len {
            return Ok(());
        }
        if page_no >= 1 {
            let body = read_at(f, pos + 27 + nseg as u64, body_len as usize);
            // The first packet on the page ends at the first lacing value under 255.
            let first_len: usize = table
                .iter()
                .position(|&x| x < 255)
                .map(|k| table[..=k].iter().map(|&x| x as usize).sum())
                .unwrap_or(body.len());
            let packet = &body[..first_len.min(body.len())];
            let (framed, skip) = if packet.starts_with(b"\x03vorbis") {
                (true, 7)
            } else if packet.starts_with(b"OpusTags") {
                (false, 8)
            } else {
                pos += page_len;
                continue;
            };
            let whole = h[5] & 0x01 == 0 && table.iter().any(|&x| x < 255);
            let fits = if framed {
                vorbis_comment_fits(packet, true)
            } else {
                vorbis_comment_fits(&packet[skip..], false)
            };
            if whole && !fits {
                // An empty comment: vendor length 0, no comments, in place; then the CRC.
                let mut page = read_at(f, pos, page_len as usize);
                let at = 27 + nseg + skip;
                if page.len() >= at + 8 {
                    page[at..at + 8].fill(0);
                    page[22..26].fill(0);
                    let crc = ogg_crc(&page);
                    view.patches.push((pos + at as u64, vec![0; 8]));
                    view.patches.push((pos + 22, crc.to_le_bytes().to_vec()));
                    view.notes
                        .push("a damaged Ogg comment header was emptied".into());
                }
            }
            return Ok(());
        }
        pos += page_len;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_of(bytes: &[u8]) -> (tempfile::TempDir, File) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, bytes).unwrap();
        let f = File::open(&p).unwrap();
        (dir, f)
    }

    fn mp4_box(kind: &[u8], body: &[u8]) -> Vec<u8> {
        let mut v = ((8 + body.len()) as u32).to_be_bytes().to_vec();
        v.extend(kind);
        v.extend(body);
        v
    }

    #[test]
    fn mp4_tables_must_fit_their_boxes() {
        let mut stco = vec![0u8; 4];
        stco.extend(2u32.to_be_bytes());
        stco.extend([0u8; 8]);
        let good = [
            mp4_box(b"ftyp", b"M4A \0\0\0\0"),
            mp4_box(b"moov", &mp4_box(b"trak", &mp4_box(b"stco", &stco))),
        ]
        .concat();
        let (_d, f) = file_of(&good);
        assert!(check(&f, &good, good.len() as u64).is_ok());
        let mut bad = stco.clone();
        bad[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        let bad = [
            mp4_box(b"ftyp", b"M4A \0\0\0\0"),
            mp4_box(b"moov", &mp4_box(b"trak", &mp4_box(b"stco", &bad))),
        ]
        .concat();
        let (_d, f) = file_of(&bad);
        let e = check(&f, &bad, bad.len() as u64).unwrap_err();
        assert!(e.0.contains("'stco' claims 4294967295 entries"), "{e}");
    }

    #[test]
    fn mp4_garbage_after_the_index_is_cut_and_a_missing_index_is_truncation() {
        let moov = mp4_box(b"moov", &mp4_box(b"trak", b""));
        let mdat = mp4_box(b"mdat", &[1u8; 64]);
        let ftyp = mp4_box(b"ftyp", b"M4A \0\0\0\0");
        let mut garbage = vec![0x7fu8, 0xff, 0xff, 0xff];
        garbage.extend(b"junk");
        garbage.extend([9u8; 40]);
        let b = [ftyp.clone(), mdat.clone(), moov.clone(), garbage].concat();
        let (_d, f) = file_of(&b);
        let v = check(&f, &b, b.len() as u64).unwrap();
        assert_eq!(
            v.limit,
            Some((ftyp.len() + mdat.len() + moov.len()) as u64),
            "{v:?}"
        );
        assert_eq!(v.truncated, None);
        // Cut inside `mdat`, before `moov`: nothing locates the audio.
        let b = [ftyp.clone(), mdat.clone()].concat();
        let b = &b[..b.len() - 10];
        let (_d, f) = file_of(b);
        let v = check(&f, b, b.len() as u64).unwrap();
        assert!(v.truncated.unwrap().contains("before the MP4 index"));
        // Index first, audio cut: partial.
        let b = [ftyp, moov, mdat].concat();
        let b = &b[..b.len() - 10];
        let (_d, f) = file_of(b);
        let v = check(&f, b, b.len() as u64).unwrap();
        assert!(
            v.truncated.as_ref().unwrap().contains("('mdat') runs past"),
            "{v:?}"
        );
    }

    #[test]
    fn ogg_pages_end_where_the_last_whole_page_does() {
        let ogg = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/tone.ogg"
        ))
        .unwrap();
        let (_d, f) = file_of(&ogg);
        let v = check(&f, &ogg, ogg.len() as u64).unwrap();
        assert_eq!((v.limit, v.truncated), (None, None));
        let mut tail = ogg.clone();
        tail.extend([0x55u8; 5000]);
        let (_d, f) = file_of(&tail);
        let v = check(&f, &tail, tail.len() as u64).unwrap();
        assert_eq!((v.limit, v.truncated), (Some(ogg.len() as u64), None));
        let cut = &ogg[..ogg.len() - 100];
        let (_d, f) = file_of(cut);
        let v = check(&f, cut, cut.len() as u64).unwrap();
        assert!(v.limit.unwrap() < cut.len() as u64);
        assert!(v.truncated.unwrap().contains("inside an Ogg page"));
    }

    #[test]
    fn flac_streams_that_end_early_are_found_by_their_last_frame() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
        let whole = std::fs::read(format!("{dir}tone-stereo-44k.flac")).unwrap();
        let (_d, f) = file_of(&whole);
        assert_eq!(flac_end(&f, 0, whole.len() as u64), None);
        // Garbage after the last frame changes nothing.
        let tail = [whole.clone(), vec![0xa5; 30_000]].concat();
        let (_d, f) = file_of(&tail);
        assert_eq!(flac_end(&f, 0, tail.len() as u64), None);
        // Cut at 40 %: the last whole frame ends near 0.6 s of the declared 1.5 s.
        let cut = std::fs::read(format!("{dir}truncated.flac")).unwrap();
        let (_d, f) = file_of(&cut);
        let e = flac_end(&f, 0, cut.len() as u64).unwrap();
        assert_eq!((e.rate, e.declared_frames), (44_100, 66_150));
        let secs = e.real_frames as f64 / 44_100.0;
        assert!((0.4..0.8).contains(&secs), "{e:?}");
        let v = check(&f, &cut, cut.len() as u64).unwrap();
        assert_eq!(v.real_frames, Some(e.real_frames));
        assert!(v.truncated.unwrap().contains("of the declared 1.5 s"));
    }

    #[test]
    fn vorbis_comments_and_crc() {
        let mut c = 3u32.to_le_bytes().to_vec();
        c.extend(b"abc");
        c.extend(1u32.to_le_bytes());
        c.extend(3u32.to_le_bytes());
        c.extend(b"a=b");
        assert!(vorbis_comment_fits(&c, false));
        let mut bad = c.clone();
        bad[7..11].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
        assert!(!vorbis_comment_fits(&bad, false));
        // The CRC of a real page (the fixture's first), computed with its CRC field zeroed.
        let ogg = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/tone.ogg"
        ))
        .unwrap();
        let n = ogg[26] as usize;
        let len = 27 + n + ogg[27..27 + n].iter().map(|&x| x as usize).sum::<usize>();
        let mut page = ogg[..len].to_vec();
        let stored = u32::from_le_bytes(page[22..26].try_into().unwrap());
        page[22..26].fill(0);
        assert_eq!(ogg_crc(&page), stored);
    }

    #[test]
    fn ebml_is_cut_at_the_first_overrun() {
        // EBML header (empty), Segment of 10 bytes holding an element claiming 200.
        let mut b = vec![0x1a, 0x45, 0xdf, 0xa3, 0x80];
        b.extend([0x18, 0x53, 0x80, 0x67, 0x8a]);
        b.extend([0xec, 0xc8]);
        b.extend([0u8; 8]);
        b.extend([0u8; 100]);
        let (_d, f) = file_of(&b);
        let v = check(&f, &b, b.len() as u64).unwrap();
        assert_eq!(v.limit, Some(10), "{v:?}");
    }
}
