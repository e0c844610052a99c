//! Lyrics: a `.lrc` file beside the track (same stem) or the lyrics embedded in its tags
//! (ID3 USLT, Vorbis LYRICS / UNSYNCEDLYRICS, MP4 ©lyr). LRC text is parsed into timed lines;
//! text without time stamps is kept as plain (unsynced) lines.

use std::path::{Path, PathBuf};

use lofty::prelude::*;

/// A lyrics file larger than this is not read (a real one is a few kilobytes).
pub const MAX_LYRICS_BYTES: u64 = 1024 * 1024;

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

/// Parses LRC text: `[mm:ss.xx]` / `[mm:ss]` stamps (several per line allowed), `[offset:±ms]`
/// (a positive offset shows the lines earlier), other `[tag:…]` metadata ignored. Text with no
/// stamp at all comes back unsynced, line by line.
pub fn parse_lrc(text: &str) -> Lyrics {
    let text = text.trim_start_matches('\u{feff}');
    let mut timed: Vec<(f64, String)> = Vec::new();
    let mut plain: Vec<String> = Vec::new();
    let mut offset_ms = 0.0f64;
    for raw in text.lines() {
        let mut rest = raw.trim();
        let mut stamps: Vec<f64> = Vec::new();
        let mut had_tag = false;
        while let Some(inner) = rest.strip_prefix('[') {
            let Some(end) = inner.find(']') else { break };
            let tag = &inner[..end];
            if let Some(t) = parse_stamp(tag) {
                stamps.push(t);
            } else if let Some(v) = tag
                .split_once(':')
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case("offset"))
                .and_then(|(_, v)| v.trim().trim_start_matches('+').parse::<f64>().ok())
            {
                offset_ms = v;
            } else if !tag.contains(':') {
                // Not a tag at all ("[chorus]"): the line is text.
                break;
            }
            had_tag = true;
            rest = inner[end + 1..].trim_start();
        }
        if !stamps.is_empty() {
            for t in stamps {
                timed.push((t, rest.trim_end().to_string()));
            }
        } else if !had_tag {
            plain.push(rest.to_string());
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
        return Lyrics {
            lines: plain[start..end]
                .iter()
                .map(|t| LyricLine {
                    at: None,
                    text: t.clone(),
                })
                .collect(),
            synced: false,
            source: String::new(),
        };
    }
    // Stable: lines with the same stamp keep their order in the file.
    timed.sort_by(|a, b| a.0.total_cmp(&b.0));
    Lyrics {
        lines: timed
            .into_iter()
            .map(|(t, text)| LyricLine {
                at: Some((t - offset_ms / 1000.0).max(0.0)),
                text,
            })
            .collect(),
        synced: true,
        source: String::new(),
    }
}

/// `mm:ss`, `mm:ss.x…` or `mm:ss:xx` as seconds.
fn parse_stamp(tag: &str) -> Option<f64> {
    let (m, s) = tag.split_once(':')?;
    let m = m.trim();
    if m.is_empty() || !m.bytes().all(|b| b.is_ascii_digit()) {
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

/// The lyrics of `audio`: its `.lrc` sidecar first, else the lyrics in its tags. `Ok(None)`
/// when it has none; an error names the file that could not be read.
pub fn load(audio: &Path) -> Result<Option<Lyrics>, String> {
    if let Some(lrc) = sidecar(audio) {
        let len = std::fs::metadata(&lrc).map(|m| m.len()).unwrap_or(0);
        if len > MAX_LYRICS_BYTES {
            return Err(format!(
                "{}: {len} bytes is too large for lyrics (at most {MAX_LYRICS_BYTES})",
                lrc.display()
            ));
        }
        let bytes = std::fs::read(&lrc).map_err(|e| format!("{}: {e}", lrc.display()))?;
        let mut l = parse_lrc(&String::from_utf8_lossy(&bytes));
        if !l.lines.is_empty() {
            l.source = lrc.display().to_string();
            return Ok(Some(l));
        }
    }
    let text = crate::audio::guard::catch(|| embedded(audio)).map_err(|p| {
        format!(
            "{}: internal error while reading lyrics: {p}",
            audio.display()
        )
    })??;
    Ok(text.and_then(|t| {
        let mut l = parse_lrc(&t);
        l.source = "embedded".into();
        (!l.lines.is_empty()).then_some(l)
    }))
}

/// The lyrics text in the tags of `audio`, if any.
fn embedded(audio: &Path) -> Result<Option<String>, String> {
    let tagged = lofty::read_from_path(audio).map_err(|e| format!("{}: {e}", audio.display()))?;
    for tag in tagged.tags() {
        for key in [ItemKey::Lyrics, ItemKey::UnsyncLyrics] {
            if let Some(t) = tag.get_string(key)
                && !t.trim().is_empty()
            {
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
}
