//! What the checks decide (the [`View`] the decoder gets of the file) and the byte readers
//! they share.

use std::fs::File;
use std::os::unix::fs::FileExt;

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
pub(super) fn read_at(f: &File, at: u64, n: usize) -> Vec<u8> {
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

pub(super) fn be32(b: &[u8], i: usize) -> Option<u64> {
    Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?) as u64)
}
pub(super) fn le32(b: &[u8], i: usize) -> Option<u64> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?) as u64)
}
