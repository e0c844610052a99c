//! Ogg pages: whole pages with their CRC, where the last whole page ends.

use std::fs::File;

use super::flac::vorbis_comment_fits;
use super::view::{View, read_at};
use crate::audio::header::BadHeader;

/// The Ogg CRC-32 (polynomial 0x04c11db7, no reflection, initial value 0).
pub(super) fn ogg_crc(b: &[u8]) -> u32 {
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
pub(super) fn walk_ogg(f: &File, len: u64, view: &mut View) {
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
pub(super) fn check_ogg(f: &File, len: u64, view: &mut View) -> Result<(), BadHeader> {
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
