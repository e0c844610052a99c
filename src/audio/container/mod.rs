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

use super::header::BadHeader;

mod ebml;
mod flac;
mod mp4;
mod ogg;
mod view;

use ebml::check_ebml;
use flac::check_flac;
pub use flac::{FlacEnd, flac_end, flac_real_secs};
use mp4::check_mp4;
use ogg::{check_ogg, walk_ogg};
pub use view::View;
use view::{be32, read_at};

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

#[cfg(test)]
mod tests {
    use super::flac::vorbis_comment_fits;
    use super::ogg::ogg_crc;
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
