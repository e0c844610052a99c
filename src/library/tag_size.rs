//! A look at a file's leading ID3v2 tag before the tag reader (lofty) reads it: the reader
//! decodes a text frame (lyrics, comments, any text) whole, whatever its size, with no
//! allocation limit (an ID3v2 tag may be 256 MB). Only the frame headers are read here, so a
//! file with a text frame over a bound is refused before anything of that size is allocated.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// A text frame larger than this is refused (real lyrics and comments are kilobytes).
pub const MAX_TEXT_FRAME: u64 = 4 * 1024 * 1024;
/// Frames looked at before the tag counts as too odd to read.
const MAX_FRAMES: usize = 100_000;

/// A text frame of the leading ID3v2 tag larger than [`MAX_TEXT_FRAME`] (its id and size),
/// or `Some(("frames", n))` for a tag of more than [`MAX_FRAMES`] frames; `None` for a file
/// without such a tag or without such a frame. Unreadable files are `None` (the tag reader
/// says why).
pub fn oversized_text_frame(path: &Path) -> Option<(String, u64)> {
    let mut f = std::fs::File::open(path).ok()?;
    oversized_in(&mut f).ok().flatten()
}

fn syncsafe(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |n, &x| (n << 7) | u64::from(x & 0x7f))
}

fn be(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |n, &x| (n << 8) | u64::from(x))
}

/// Frames whose content the tag reader decodes as text.
fn is_text(id: &[u8]) -> bool {
    matches!(id.first(), Some(b'T' | b'W'))
        || matches!(
            id,
            b"USLT" | b"SYLT" | b"COMM" | b"USER" | b"ULT" | b"SLT" | b"COM"
        )
}

fn oversized_in(f: &mut (impl Read + Seek)) -> std::io::Result<Option<(String, u64)>> {
    let mut head = [0u8; 10];
    if f.read_exact(&mut head).is_err() || &head[..3] != b"ID3" {
        return Ok(None);
    }
    let version = head[3];
    let file_len = f.seek(SeekFrom::End(0))?;
    // What the reader can be made to read: the tag, as far as the file goes.
    let end = (10 + syncsafe(&head[6..10])).min(file_len);
    f.seek(SeekFrom::Start(10))?;
    let mut pos = 10u64;
    if head[5] & 0x40 != 0 && version >= 3 {
        let mut ext = [0u8; 4];
        f.read_exact(&mut ext)?;
        pos += if version == 3 {
            4 + be(&ext)
        } else {
            syncsafe(&ext)
        };
    }
    let (id_len, header_len) = if version == 2 { (3, 6) } else { (4, 10) };
    let mut frame = [0u8; 10];
    for _ in 0..MAX_FRAMES {
        if pos + header_len as u64 > end {
            return Ok(None);
        }
        f.seek(SeekFrom::Start(pos))?;
        if f.read_exact(&mut frame[..header_len]).is_err() {
            return Ok(None);
        }
        let id = &frame[..id_len];
        if id[0] == 0 {
            return Ok(None); // padding
        }
        let sizes = &frame[id_len..id_len + if version == 2 { 3 } else { 4 }];
        let size = match version {
            2 | 3 => be(sizes),
            _ => syncsafe(sizes),
        };
        // A frame is read no further than the tag (and the file) go.
        let readable = size.min(end.saturating_sub(pos + header_len as u64));
        if is_text(id) && readable > MAX_TEXT_FRAME {
            return Ok(Some((String::from_utf8_lossy(id).into_owned(), readable)));
        }
        pos += header_len as u64 + size;
    }
    Ok(Some(("frames".into(), MAX_FRAMES as u64)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(version: u8, frames: &[(&[u8], usize)]) -> Vec<u8> {
        let mut body = Vec::new();
        for (id, size) in frames {
            body.extend(*id);
            if version == 2 {
                body.extend(&(*size as u32).to_be_bytes()[1..]);
            } else {
                body.extend((*size as u32).to_be_bytes());
                body.extend([0, 0]);
            }
            body.extend(std::iter::repeat_n(b'a', *size));
        }
        let n = body.len();
        let mut out = vec![b'I', b'D', b'3', version, 0, 0];
        out.extend(
            [
                (n >> 21) & 0x7f,
                (n >> 14) & 0x7f,
                (n >> 7) & 0x7f,
                n & 0x7f,
            ]
            .map(|b| b as u8),
        );
        out.extend(body);
        out
    }

    #[test]
    fn a_huge_text_frame_is_found_from_its_header() {
        let big = MAX_TEXT_FRAME as usize + 1;
        let mut c = std::io::Cursor::new(tag(3, &[(b"USLT", big)]));
        assert_eq!(
            oversized_in(&mut c).unwrap(),
            Some(("USLT".into(), big as u64))
        );
        let mut c = std::io::Cursor::new(tag(2, &[(b"PIC", big), (b"ULT", big)]));
        assert_eq!(
            oversized_in(&mut c).unwrap().map(|x| x.0),
            Some("ULT".into())
        );
        // A size larger than the file is only what the file holds.
        let mut t = tag(3, &[(b"TIT2", 10)]);
        t[14..18].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(oversized_in(&mut std::io::Cursor::new(t)).unwrap(), None);
        // Small text frames are fine; no tag at all is fine.
        let mut c = std::io::Cursor::new(tag(3, &[(b"TIT2", 10)]));
        assert_eq!(oversized_in(&mut c).unwrap(), None);
        let mut c = std::io::Cursor::new(b"fLaC....".to_vec());
        assert_eq!(oversized_in(&mut c).unwrap(), None);
    }
}
