//! The MP4 box tree: every box inside its parent, every table's count inside its box.

use std::fs::File;

use super::view::{View, be32, read_at};
use crate::audio::header::BadHeader;

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
pub(super) fn check_mp4(f: &File, len: u64, view: &mut View) -> Result<(), BadHeader> {
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
