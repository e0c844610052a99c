//! Lyrics: a `.lrc` file beside the track (same stem) or the lyrics embedded in its tags
//! (ID3 USLT, Vorbis LYRICS / UNSYNCEDLYRICS, MP4 ©lyr). LRC text is parsed into timed lines;
//! text without time stamps is kept as plain (unsynced) lines.
//!
//! Every source is hostile: the text read is at most [`MAX_LYRICS_BYTES`] (a file is measured
//! before it is read; a tag item larger than [`MAX_TAG_ITEM_BYTES`] is not even allocated), and
//! the parse is bounded before it copies anything — at most [`MAX_LINES`] lines out,
//! [`MAX_STAMPS_PER_LINE`] stamps on a line and [`MAX_OUTPUT_BYTES`] of text in all (a line
//! with several stamps is copied once per stamp). Lyrics over a bound are refused with
//! [`LyricsError::TooLarge`], never cut short silently.

use std::path::{Path, PathBuf};

use lofty::prelude::*;

/// A lyrics text larger than this is not read (a real one is a few kilobytes).
pub const MAX_LYRICS_BYTES: u64 = 1024 * 1024;
/// Lines of lyrics out of one source (timed lines count once per stamp); a song has a few
/// hundred at most.
pub const MAX_LINES: usize = 10_000;
/// Time stamps on one LRC line (`[00:10][00:30]chorus`); real files have a handful.
pub const MAX_STAMPS_PER_LINE: usize = 100;
/// The text of all the lines out, together (each stamp's copy counts).
pub const MAX_OUTPUT_BYTES: usize = 4 * 1024 * 1024;
/// While the tags are read for their lyrics, no single tag item may be larger than this (the
/// tag reader refuses to allocate it; an ID3 text frame, which it reads without that limit,
/// is measured from its header first: `super::tag_size`): a 50 MB frame is never read into
/// memory.
pub const MAX_TAG_ITEM_BYTES: usize = 4 * 1024 * 1024;

/// Why a track's lyrics could not be had.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LyricsError {
    /// Over one of the bounds above.
    #[error("{from}: lyrics too large ({why})")]
    TooLarge { from: String, why: String },
    /// The `.lrc` file or the tags could not be read.
    #[error("{from}: cannot read the lyrics: {why}")]
    Unreadable { from: String, why: String },
}

impl LyricsError {
    /// What the lyrics pane says (the log has the whole message, with the file).
    pub fn short(&self) -> String {
        match self {
            LyricsError::TooLarge { why, .. } => format!("lyrics too large ({why})"),
            LyricsError::Unreadable { why, .. } => format!("lyrics unreadable: {why}"),
        }
    }
}

/// Which bound a lyrics text is over (the parse's refusal, before it copies anything).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LyricsLimit {
    #[error("more than {MAX_LINES} lines")]
    Lines,
    #[error("line {0} has more than {MAX_STAMPS_PER_LINE} time stamps")]
    Stamps(usize),
    #[error("more than {} MiB of text with its repeated lines", MAX_OUTPUT_BYTES >> 20)]
    Output,
}

/// One line of lyrics.
#[derive(Debug, Clone, PartialEq)]
pub struct LyricLine {
    /// When the line starts (seconds, the offset tag applied); `None` for unsynced text.
    pub at: Option<f64>,
    pub text: String,
}

/// The lyrics of a track.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lyrics {
    /// Timed lines sorted by time when `synced`, else the text's lines in order.
    pub lines: Vec<LyricLine>,
    pub synced: bool,
    /// Where they came from (the `.lrc` file, or "embedded").
    pub source: String,
}

impl Lyrics {
    /// The line being sung at `secs` (the last one that has started), if any has.
    pub fn current(&self, secs: f64) -> Option<usize> {
        if !self.synced {
            return None;
        }
        let n = self
            .lines
            .partition_point(|l| l.at.is_some_and(|t| t <= secs + 1e-9));
        n.checked_sub(1)
    }
}

/// Counts what a parse will copy out, refusing as soon as a bound is passed.
#[derive(Default)]
struct Budget {
    lines: usize,
    bytes: usize,
}

impl Budget {
    fn take(&mut self, text: &str) -> Result<(), LyricsLimit> {
        self.lines += 1;
        self.bytes += text.len();
        if self.lines > MAX_LINES {
            Err(LyricsLimit::Lines)
        } else if self.bytes > MAX_OUTPUT_BYTES {
            Err(LyricsLimit::Output)
        } else {
            Ok(())
        }
    }
}

/// Parses LRC text: `[mm:ss.xx]` / `[mm:ss]` stamps (several per line allowed), `[offset:±ms]`
/// (a positive offset shows the lines earlier), other `[tag:…]` metadata ignored. Text with no
/// stamp at all comes back unsynced, line by line. Text over the bounds (lines, stamps on a
/// line, output) is refused before anything is copied.
pub fn parse_lrc(text: &str) -> Result<Lyrics, LyricsLimit> {
    let text = text.trim_start_matches('\u{feff}');
    // Stamps point at their line's text: nothing is copied until the bounds are known to hold.
    let mut timed: Vec<(f64, &str)> = Vec::new();
    let mut plain: Vec<&str> = Vec::new();
    let mut budget = Budget::default();
    let mut offset_ms = 0.0f64;
    for (n, raw) in text.lines().enumerate() {
        let mut rest = raw.trim();
        let mut stamps = 0usize;
        let mut had_tag = false;
        let first = timed.len();
        while let Some(inner) = rest.strip_prefix('[') {
            let Some(end) = inner.find(']') else { break };
            let tag = &inner[..end];
            if let Some(t) = parse_stamp(tag) {
                stamps += 1;
                if stamps > MAX_STAMPS_PER_LINE {
                    return Err(LyricsLimit::Stamps(n + 1));
                }
                // The text is only known once the stamps end: filled in below.
                timed.push((t, ""));
            } else if let Some(v) = tag
                .split_once(':')
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case("offset"))
                .and_then(|(_, v)| v.trim().trim_start_matches('+').parse::<f64>().ok())
                .filter(|v| v.is_finite())
            {
                offset_ms = v;
            } else if !tag.contains(':') {
                // Not a tag at all ("[chorus]"): the line is text.
                break;
            }
            had_tag = true;
            rest = inner[end + 1..].trim_start();
        }
        if stamps > 0 {
            let line = rest.trim_end();
            for t in &mut timed[first..] {
                budget.take(line)?;
                t.1 = line;
            }
        } else if !had_tag {
            budget.take(rest)?;
            plain.push(rest);
        }
    }
    if timed.is_empty() {
        // Unsynced: the text as it is, without leading or trailing blank lines.
        let start = plain
            .iter()
            .position(|l| !l.is_empty())
            .unwrap_or(plain.len());
        let end = plain
            .iter()
            .rposition(|l| !l.is_empty())
            .map_or(start, |i| i + 1);
        return Ok(Lyrics {
            lines: plain[start..end]
                .iter()
                .map(|t| LyricLine {
                    at: None,
                    text: (*t).to_string(),
                })
                .collect(),
            synced: false,
            source: String::new(),
        });
    }
    // Stable: lines with the same stamp keep their order in the file.
    timed.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(Lyrics {
        lines: timed
            .into_iter()
            .map(|(t, text)| LyricLine {
                at: Some((t - offset_ms / 1000.0).max(0.0)),
                text: text.to_string(),
            })
            .collect(),
        synced: true,
        source: String::new(),
    })
}

/// `mm:ss`, `mm:ss.x…` or `mm:ss:xx` as seconds.
fn parse_stamp(tag: &str) -> Option<f64> {
    let (m, s) = tag.split_once(':')?;
    let m = m.trim();
    if m.is_empty() || m.len() > 6 || !m.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let minutes: f64 = m.parse().ok()?;
    let s = s.trim();
    let (whole, frac) = match s.find(['.', ':']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    if whole.is_empty() || whole.len() > 2 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: f64 = whole.parse().ok()?;
    if secs >= 60.0 {
        return None;
    }
    let frac = match frac {
        Some(f) if !f.is_empty() && f.len() <= 3 && f.bytes().all(|b| b.is_ascii_digit()) => {
            f.parse::<f64>().ok()? / 10f64.powi(f.len() as i32)
        }
        Some(_) => return None,
        None => 0.0,
    };
    Some(minutes * 60.0 + secs + frac)
}

/// The `.lrc` beside `audio` (same stem; `.lrc` or `.LRC`).
pub fn sidecar(audio: &Path) -> Option<PathBuf> {
    ["lrc", "LRC"]
        .iter()
        .map(|ext| audio.with_extension(ext))
        .find(|p| p.is_file())
}

/// Parses `text` from `from`, naming it in a refusal.
fn parse_from(text: &str, from: &str) -> Result<Lyrics, LyricsError> {
    let mut l = parse_lrc(text).map_err(|limit| LyricsError::TooLarge {
        from: from.to_string(),
        why: limit.to_string(),
    })?;
    l.source = from.to_string();
    Ok(l)
}

/// The `.lrc` file's text: measured before it is read, and read no further than the bound
/// (it may grow meanwhile).
fn read_sidecar(lrc: &Path) -> Result<String, LyricsError> {
    use std::io::Read;
    let from = lrc.display().to_string();
    let unreadable = |e: std::io::Error| LyricsError::Unreadable {
        from: from.clone(),
        why: e.to_string(),
    };
    let too_large = |bytes: u64| LyricsError::TooLarge {
        from: from.clone(),
        why: format!("{bytes} bytes; at most {MAX_LYRICS_BYTES}"),
    };
    let file = std::fs::File::open(lrc).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    if len > MAX_LYRICS_BYTES {
        return Err(too_large(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_LYRICS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_LYRICS_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The lyrics of `audio`: its `.lrc` sidecar first, else the lyrics in its tags. `Ok(None)`
/// when it has none; an error names the file, and says which bound lyrics are over.
pub fn load(audio: &Path) -> Result<Option<Lyrics>, LyricsError> {
    // A CUE sheet's track (`album.flac#2`): its file's lyrics are the whole album's, timed
    // from the file's start, so the track has none of its own.
    if !audio.exists() && crate::audio::cue::split_track_path(audio).is_some() {
        return Ok(None);
    }
    if let Some(lrc) = sidecar(audio) {
        let text = read_sidecar(&lrc)?;
        let l = parse_from(&text, &lrc.display().to_string())?;
        if !l.lines.is_empty() {
            return Ok(Some(l));
        }
    }
    let unreadable = |why: String| LyricsError::Unreadable {
        from: audio.display().to_string(),
        why,
    };
    let text = crate::audio::guard::catch(|| embedded(audio))
        .map_err(|p| unreadable(format!("internal error: {p}")))??;
    match text {
        Some(t) => {
            let l = parse_from(&t, "embedded").map_err(|e| match e {
                LyricsError::TooLarge { why, .. } => LyricsError::TooLarge {
                    from: format!("{} (embedded)", audio.display()),
                    why,
                },
                other => other,
            })?;
            Ok((!l.lines.is_empty()).then_some(l))
        }
        None => Ok(None),
    }
}

/// Restores the tag reader's options of this thread when the lyrics read ends, however it ends.
struct TagLimits(lofty::config::GlobalOptions);

impl TagLimits {
    fn for_lyrics() -> Self {
        lofty::config::apply_global_options(
            lofty::config::GlobalOptions::new().allocation_limit(MAX_TAG_ITEM_BYTES),
        );
        // Back to the defaults afterwards: genreplay sets no other options.
        TagLimits(lofty::config::GlobalOptions::new())
    }
}

impl Drop for TagLimits {
    fn drop(&mut self) {
        lofty::config::apply_global_options(self.0);
    }
}

/// The lyrics text in the tags of `audio`, if any (pictures are not read; no tag item larger
/// than [`MAX_TAG_ITEM_BYTES`] is allocated, and a lyrics text over [`MAX_LYRICS_BYTES`] is
/// refused).
fn embedded(audio: &Path) -> Result<Option<String>, LyricsError> {
    let unreadable = |why: String| LyricsError::Unreadable {
        from: audio.display().to_string(),
        why,
    };
    // The tag reader decodes an ID3 text frame whole, without a limit: refused from its
    // header first.
    if let Some((id, bytes)) = super::tag_size::oversized_text_frame(audio) {
        return Err(LyricsError::TooLarge {
            from: format!("{} (embedded)", audio.display()),
            why: format!(
                "a {id} tag item of {bytes} bytes; at most {}",
                super::tag_size::MAX_TEXT_FRAME
            ),
        });
    }
    let _limits = TagLimits::for_lyrics();
    let tagged = lofty::probe::Probe::open(audio)
        .map_err(|e| unreadable(e.to_string()))?
        .options(
            lofty::config::ParseOptions::new()
                .read_cover_art(false)
                .read_properties(false),
        )
        .read()
        .map_err(|e| unreadable(e.to_string()))?;
    for tag in tagged.tags() {
        for key in [ItemKey::Lyrics, ItemKey::UnsyncLyrics] {
            if let Some(t) = tag.get_string(key)
                && !t.trim().is_empty()
            {
                if t.len() as u64 > MAX_LYRICS_BYTES {
                    return Err(LyricsError::TooLarge {
                        from: format!("{} (embedded)", audio.display()),
                        why: format!("{} bytes; at most {MAX_LYRICS_BYTES}", t.len()),
                    });
                }
                return Ok(Some(t.to_string()));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps() {
        assert_eq!(parse_stamp("01:02.50"), Some(62.5));
        assert_eq!(parse_stamp("00:07"), Some(7.0));
        assert_eq!(parse_stamp("2:03.125"), Some(123.125));
        assert_eq!(parse_stamp("00:01:50"), Some(1.5));
        assert_eq!(parse_stamp("ar:Someone"), None);
        assert_eq!(parse_stamp("00:61"), None);
        assert_eq!(parse_stamp("offset:+100"), None);
    }

    #[test]
    fn a_sheet_track_has_no_lyrics_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let album = dir.path().join("live.flac");
        std::fs::write(&album, b"not audio").unwrap();
        std::fs::write(dir.path().join("live.lrc"), "[00:01.00]the whole album\n").unwrap();
        let track = crate::audio::cue::track_path(&album, 2);
        assert_eq!(load(&track).unwrap(), None);
        assert!(
            load(&album).unwrap().is_some(),
            "the file keeps its sidecar"
        );
    }
}
