//! Text from files (tags, file names, playlist lines, anything a client sent) on its way to a
//! terminal: the one rule for what is shown as an escape instead of reaching the terminal.
//!
//! A terminal obeys control characters: C0 (ESC starts the sequences that set the window
//! title, write the clipboard (OSC 52) or leave the alternate screen), DEL, and C1 (U+0080 to
//! U+009F; U+009B is a one-character CSI on some terminals). The Unicode bidi controls
//! (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C) and the line and paragraph separators
//! do not control the terminal but reorder or break the text around them, so a row of a list
//! no longer lines up. Every one of them is shown as a visible escape (`\e`, `\x07`,
//! `\u{202e}`). JSON output is left exact (serde escapes what JSON must).

use std::borrow::Cow;

/// The bidirectional-text controls and the line/paragraph separators: harmless to the
/// terminal's state, but they reorder or break the text that follows.
pub fn is_layout_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Whether `c` is shown as an escape: C0, DEL, C1 and [`is_layout_control`].
pub fn needs_escape(c: char) -> bool {
    c.is_control() || is_layout_control(c)
}

fn push_escape(out: &mut String, c: char) {
    use std::fmt::Write;
    let _ = match c {
        '\n' => write!(out, "\\n"),
        '\t' => write!(out, "\\t"),
        '\r' => write!(out, "\\r"),
        '\u{1b}' => write!(out, "\\e"),
        c if (c as u32) < 0x80 => write!(out, "\\x{:02x}", c as u32),
        c => write!(out, "\\u{{{:x}}}", c as u32),
    };
}

fn escape_where(s: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if escape(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` as one line for a terminal: every control character (newlines and tabs too) and every
/// bidi control shown as an escape.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_where(s, needs_escape)
}

/// Text of several lines for a terminal (a command's report): as [`escape`], but the newlines
/// and tabs that lay the text out are kept.
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c != '\n' && c != '\t' && needs_escape(c))
}

/// `s` with the [`is_layout_control`] characters taken out (for a screen whose cells are
/// drawn by a library that already drops the control characters).
pub fn strip_layout_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_layout_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().filter(|&c| !is_layout_control(c)).collect())
}

/// A stream of bytes meant for a terminal (another process's output), escaped as
/// [`escape_lines`] escapes text. Bytes arrive in pieces that may cut a character in two: the
/// cut end waits for the next piece. Bytes that are not UTF-8 pass as they are, except C0 and
/// DEL (a lone byte of 0x80–0x9F is no C1 control to a UTF-8 terminal).
#[derive(Debug, Default)]
pub struct TerminalFilter {
    pending: Vec<u8>,
}

impl TerminalFilter {
    /// The escaped form of `bytes` (what can be decided so far).
    pub fn filter(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut input = std::mem::take(&mut self.pending);
        input.extend_from_slice(bytes);
        let mut out = Vec::with_capacity(input.len() + 16);
        let mut rest: &[u8] = &input;
        while !rest.is_empty() {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.extend_from_slice(escape_lines(s).as_bytes());
                    rest = &[];
                }
                Err(e) => {
                    let (good, bad) = rest.split_at(e.valid_up_to());
                    // Safe: `good` is the valid prefix the error reported.
                    if let Ok(s) = std::str::from_utf8(good) {
                        out.extend_from_slice(escape_lines(s).as_bytes());
                    }
                    match e.error_len() {
                        // A character cut at the end of this piece: wait for the rest.
                        None => {
                            self.pending = bad.to_vec();
                            rest = &[];
                        }
                        Some(n) => {
                            for &b in &bad[..n] {
                                if b < 0x20 || b == 0x7f {
                                    out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
                                } else {
                                    out.push(b);
                                }
                            }
                            rest = &bad[n..];
                        }
                    }
                }
            }
        }
        out
    }

    /// What is left at the end of the stream (a cut character, passed as it is).
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }
}

/// A writer that passes what it is given through a [`TerminalFilter`].
pub struct EscapingWriter<W: std::io::Write> {
    inner: W,
    filter: TerminalFilter,
}

impl<W: std::io::Write> EscapingWriter<W> {
    pub fn new(inner: W) -> Self {
        EscapingWriter {
            inner,
            filter: TerminalFilter::default(),
        }
    }
}

impl<W: std::io::Write> std::io::Write for EscapingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write_all(&self.filter.filter(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W: std::io::Write> Drop for EscapingWriter<W> {
    fn drop(&mut self) {
        let rest = self.filter.finish();
        let _ = self.inner.write_all(&rest);
        let _ = self.inner.flush();
    }
}

/// "1 track", "3 tracks".
pub fn tracks_n(n: usize) -> String {
    format!("{n} track{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_become_visible_escapes() {
        assert_eq!(escape("plain — ünïcode"), "plain — ünïcode");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(
            escape("a\u{1b}]52;c;aGk=\u{7}b"),
            "a\\e]52;c;aGk=\\x07b",
            "OSC 52"
        );
        assert_eq!(escape("\u{1b}[?1049l"), "\\e[?1049l");
        assert_eq!(escape("x\u{9b}31m"), "x\\u{9b}31m", "C1 CSI");
        assert_eq!(escape("del\u{7f}"), "del\\x7f");
        assert_eq!(escape("l1\nl2\tx\r"), "l1\\nl2\\tx\\r");
        assert_eq!(escape("abc\u{202e}fed"), "abc\\u{202e}fed");
        for c in [
            '\u{61c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}',
            '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{2028}', '\u{2029}',
        ] {
            assert!(!escape(&c.to_string()).contains(c), "{c:?}");
        }
        assert_eq!(escape_lines("a\tb\nc\u{1b}"), "a\tb\nc\\e");
        assert_eq!(strip_layout_controls("a\u{202e}b\u{2066}"), "ab");
    }

    #[test]
    fn the_stream_filter_escapes_across_pieces() {
        let text = "t\u{1b}]0;owned\u{7}\u{202e}é\n";
        let bytes = text.as_bytes();
        for cut in 0..bytes.len() {
            let mut f = TerminalFilter::default();
            let mut out = f.filter(&bytes[..cut]);
            out.extend(f.filter(&bytes[cut..]));
            out.extend(f.finish());
            assert_eq!(
                String::from_utf8(out).unwrap(),
                "t\\e]0;owned\\x07\\u{202e}é\n",
                "cut at {cut}"
            );
        }
        let mut f = TerminalFilter::default();
        assert_eq!(f.filter(b"\xff\x1b\xc3"), b"\xff\\e".to_vec());
        assert_eq!(f.finish(), b"\xc3".to_vec());
    }
}
