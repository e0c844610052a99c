//! Matroska / WebM: EBML element sizes inside their parents, the first overrun cuts the file.

use std::fs::File;

use super::view::{View, read_at};

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
pub(super) fn check_ebml(f: &File, len: u64, view: &mut View) {
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
