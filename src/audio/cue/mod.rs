//! CUE sheets: a `.cue` beside one audio file splits it into tracks.
//!
//! The sheet is read within bounds ([`MAX_SHEET_BYTES`], [`MAX_TRACKS`], [`MAX_TEXT_CHARS`]),
//! decoded as UTF-8 (a BOM or none), UTF-16 with a BOM, else Shift-JIS when that decodes
//! cleanly and gives Japanese kana, else Windows-1252 (Latin-1's superset). Anything that does
//! not hold — tracks out of order, an index past the file's end, control characters in a
//! title, several FILE entries — is a [`CueError`] naming the sheet; the caller then lists the
//! audio file whole.
//!
//! A track of a sheet is named `<audio file>#<track number>` ([`track_path`]): its id is the
//! hash of that name like any track's, playlists and `ctl` use it, and [`resolve`] turns it
//! back into the audio file and its [`Span`] wherever the audio is opened
//! ([`super::decode::AudioFile::open`]), so the player and the analysis see only the span.
//! A track runs from its `INDEX 01` to the next track's `INDEX 01` (a pregap, `INDEX 00`,
//! stays with the track before, as a CD player plays it), the last one to the file's end.

use std::io::Read;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// The largest sheet read, bytes.
pub const MAX_SHEET_BYTES: u64 = 1 << 20;
/// The most tracks a sheet may have (a CD's).
pub const MAX_TRACKS: usize = 99;
/// The longest title or performer, characters.
pub const MAX_TEXT_CHARS: usize = 1024;
/// CD frames per second (`MM:SS:FF`).
pub const FRAMES_PER_SEC: u64 = 75;

/// Why a sheet was not used.
#[derive(Debug, thiserror::Error)]
#[error("{}: {reason}", path.display())]
pub struct CueError {
    pub path: PathBuf,
    pub reason: String,
}

/// What is wrong with a sheet's text (the line it is on, where there is one).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SheetError {
    #[error("line {line}: {problem}")]
    At {
        line: usize,
        problem: Box<SheetError>,
    },
    #[error("bad time {0:?} (MM:SS:FF)")]
    Time(String),
    #[error("control characters in a {0}")]
    ControlCharacters(String),
    #[error("a {0} longer than {MAX_TEXT_CHARS} characters")]
    TooLong(String),
    #[error("several FILE entries (only one audio file is split)")]
    SeveralFiles,
    #[error("FILE after a TRACK")]
    FileAfterTrack,
    #[error("TRACK before FILE")]
    TrackBeforeFile,
    #[error("more than {MAX_TRACKS} tracks")]
    TooManyTracks,
    #[error("bad track number {0:?}")]
    TrackNumber(String),
    #[error("track {0} out of order")]
    OutOfOrder(u32),
    #[error("track {0} is not audio ({1})")]
    NotAudio(u32, String),
    #[error("INDEX before TRACK")]
    IndexBeforeTrack,
    #[error("bad index number {0:?}")]
    IndexNumber(String),
    #[error("no FILE with tracks")]
    NoTracks,
    #[error("track {0} has no INDEX 01")]
    NoStart(u32),
    #[error("track {0}: INDEX 00 after INDEX 01")]
    PregapAfterStart(u32),
    #[error("track {0} starts at or before the track before it")]
    NotAfterTheOneBefore(u32),
    #[error("track {track} starts at {start:.2} s, past the audio's end ({end:.2} s)")]
    PastTheEnd { track: u32, start: f64, end: f64 },
}

/// Where a track of a sheet lies in its audio file, seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub start_secs: f64,
    /// `None`: to the file's end.
    pub end_secs: Option<f64>,
}

impl Span {
    /// Its length in a file of `file_secs` (when known).
    pub fn len_secs(&self, file_secs: Option<f64>) -> Option<f64> {
        self.end_secs
            .or(file_secs)
            .map(|e| (e - self.start_secs).max(0.0))
    }
}

/// One track of a sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct CueTrack {
    pub number: u32,
    pub title: Option<String>,
    pub performer: Option<String>,
    /// `INDEX 01`, CD frames.
    pub start_frames: u64,
    /// `INDEX 00` (the pregap's start), CD frames.
    pub pregap_frames: Option<u64>,
}

/// A parsed sheet.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CueSheet {
    /// The album's title and performer (before the first TRACK).
    pub title: Option<String>,
    pub performer: Option<String>,
    /// `REM GENRE`, `REM DATE` (a year).
    pub genre: Option<String>,
    pub year: Option<u16>,
    /// The FILE entry's name.
    pub file: String,
    pub tracks: Vec<CueTrack>,
}

impl CueSheet {
    /// The span of the `i`th track (in sheet order).
    pub fn span(&self, i: usize) -> Option<Span> {
        let t = self.tracks.get(i)?;
        Some(Span {
            start_secs: frames_to_secs(t.start_frames),
            end_secs: self
                .tracks
                .get(i + 1)
                .map(|n| frames_to_secs(n.start_frames)),
        })
    }

    /// The track numbered `number` and its span.
    pub fn track(&self, number: u32) -> Option<(&CueTrack, Span)> {
        let i = self.tracks.iter().position(|t| t.number == number)?;
        Some((&self.tracks[i], self.span(i)?))
    }
}

pub fn frames_to_secs(frames: u64) -> f64 {
    frames as f64 / FRAMES_PER_SEC as f64
}

/// The name of track `number` of `audio`'s sheet: `album.flac#2`.
pub fn track_path(audio: &Path, number: u32) -> PathBuf {
    let mut b = audio.as_os_str().as_bytes().to_vec();
    b.extend_from_slice(format!("#{number}").as_bytes());
    PathBuf::from(std::ffi::OsString::from_vec(b))
}

/// `album.flac#2` → (`album.flac`, 2), when the name ends in `#` and a track number (1–99).
/// Says nothing about whether a sheet is there.
pub fn split_track_path(path: &Path) -> Option<(PathBuf, u32)> {
    let b = path.as_os_str().as_bytes();
    let hash = b.iter().rposition(|&c| c == b'#')?;
    let digits = &b[hash + 1..];
    if digits.is_empty() || digits.len() > 2 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u32 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    let audio = &b[..hash];
    if !(1..=MAX_TRACKS as u32).contains(&n) || audio.is_empty() || audio.ends_with(b"/") {
        return None;
    }
    Some((PathBuf::from(std::ffi::OsStr::from_bytes(audio)), n))
}

/// The sheet beside `audio`: `album.cue`, else `album.flac.cue` (a regular file).
pub fn sheet_for(audio: &Path) -> Option<PathBuf> {
    let a = audio.with_extension("cue");
    let b = track_suffix(audio, ".cue");
    [a, b].into_iter().find(|p| p != audio && p.is_file())
}

fn track_suffix(audio: &Path, suffix: &str) -> PathBuf {
    let mut b = audio.as_os_str().as_bytes().to_vec();
    b.extend_from_slice(suffix.as_bytes());
    PathBuf::from(std::ffi::OsString::from_vec(b))
}

/// A track's name back to its audio file and span: `None` when `path` is not a sheet's
/// track (a real file of that name wins), an error when its sheet does not hold (or lost the
/// track). `file_secs` bounds the sheet's indices when known.
pub fn resolve(path: &Path, file_secs: Option<f64>) -> Option<Result<(PathBuf, Span), CueError>> {
    let (audio, n) = split_track_path(path)?;
    if path.exists() || !audio.is_file() {
        return None;
    }
    let sheet = sheet_for(&audio)?;
    Some(read_sheet(&sheet, file_secs).and_then(|s| {
        s.track(n)
            .map(|(_, span)| (audio.clone(), span))
            .ok_or_else(|| CueError {
                path: sheet.clone(),
                reason: format!("no track {n}"),
            })
    }))
}

/// Reads and checks the sheet at `path` (for an audio file of `file_secs`, when known).
pub fn read_sheet(path: &Path, file_secs: Option<f64>) -> Result<CueSheet, CueError> {
    let err = |reason: String| CueError {
        path: path.to_path_buf(),
        reason,
    };
    let (file, len) = super::header::open_regular(path).map_err(|e| match e {
        super::header::OpenRegularError::Io(e) => err(format!("cannot read: {e}")),
        super::header::OpenRegularError::NotRegular(kind) => {
            err(format!("not a regular file: {kind}"))
        }
    })?;
    if len > MAX_SHEET_BYTES {
        return Err(err(format!(
            "{len} bytes (a sheet is at most {MAX_SHEET_BYTES})"
        )));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_SHEET_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| err(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_SHEET_BYTES {
        return Err(err(format!("more than {MAX_SHEET_BYTES} bytes")));
    }
    parse(&decode_text(&bytes), file_secs).map_err(|e| err(e.to_string()))
}

/// The sheet's bytes as text: UTF-8 (with or without a BOM), UTF-16 with a BOM, Shift-JIS
/// when it decodes without an error and gives kana, else Windows-1252.
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom..]);
        return text.into_owned();
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    if let Some(s) =
        encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes)
        && s.chars().any(|c| ('\u{3041}'..='\u{30FF}').contains(&c))
    {
        return s.into_owned();
    }
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

/// The words of a line: quoted strings (without the quotes) and bare words.
fn words(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        if let Some(q) = rest.strip_prefix('"') {
            match q.find('"') {
                Some(end) => {
                    out.push(&q[..end]);
                    rest = q[end + 1..].trim_start();
                }
                None => {
                    out.push(q);
                    rest = "";
                }
            }
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push(&rest[..end]);
            rest = rest[end..].trim_start();
        }
    }
    out
}

/// `MM:SS:FF` as CD frames.
fn parse_msf(s: &str) -> Result<u64, SheetError> {
    let bad = || SheetError::Time(s.to_string());
    let parts: Vec<&str> = s.split(':').collect();
    let [m, sec, f] = parts.as_slice() else {
        return Err(bad());
    };
    let num = |t: &str| -> Result<u64, SheetError> {
        if t.is_empty() || t.len() > 5 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        t.parse().map_err(|_| bad())
    };
    let (m, sec, f) = (num(m)?, num(sec)?, num(f)?);
    if sec >= 60 || f >= FRAMES_PER_SEC {
        return Err(bad());
    }
    Ok((m * 60 + sec) * FRAMES_PER_SEC + f)
}

/// A title or performer: within bounds, without control characters.
fn text(s: &str, what: &str) -> Result<String, SheetError> {
    if s.chars().any(|c| c.is_control()) {
        return Err(SheetError::ControlCharacters(what.to_string()));
    }
    if s.chars().count() > MAX_TEXT_CHARS {
        return Err(SheetError::TooLong(what.to_string()));
    }
    Ok(s.trim().to_string())
}

/// Parses a sheet's text and checks it against an audio file of `file_secs` (when known).
pub fn parse(src: &str, file_secs: Option<f64>) -> Result<CueSheet, SheetError> {
    let mut sheet = CueSheet::default();
    let mut files = 0usize;
    for (no, line) in src.lines().enumerate() {
        let at = |problem: SheetError| SheetError::At {
            line: no + 1,
            problem: Box::new(problem),
        };
        let w = words(line);
        let Some(cmd) = w.first() else { continue };
        let arg = |i: usize| w.get(i).copied().unwrap_or("");
        let in_track = !sheet.tracks.is_empty();
        match cmd.to_ascii_uppercase().as_str() {
            "REM" => match arg(1).to_ascii_uppercase().as_str() {
                "GENRE" if !in_track => {
                    let g = text(&w[2..].join(" "), "genre").map_err(at)?;
                    sheet.genre = (!g.is_empty()).then_some(g);
                }
                "DATE" if !in_track => {
                    sheet.year = arg(2).get(..4).and_then(|y| y.parse().ok());
                }
                _ => {}
            },
            "FILE" => {
                files += 1;
                if files > 1 {
                    return Err(at(SheetError::SeveralFiles));
                }
                if in_track {
                    return Err(at(SheetError::FileAfterTrack));
                }
                sheet.file = text(arg(1), "file name").map_err(at)?;
            }
            "TRACK" => {
                if files == 0 {
                    return Err(at(SheetError::TrackBeforeFile));
                }
                if sheet.tracks.len() >= MAX_TRACKS {
                    return Err(at(SheetError::TooManyTracks));
                }
                let number: u32 = arg(1)
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_TRACKS as u32).contains(n))
                    .ok_or_else(|| at(SheetError::TrackNumber(arg(1).to_string())))?;
                if sheet.tracks.last().is_some_and(|t| t.number >= number) {
                    return Err(at(SheetError::OutOfOrder(number)));
                }
                if !arg(2).eq_ignore_ascii_case("AUDIO") {
                    return Err(at(SheetError::NotAudio(number, arg(2).to_string())));
                }
                sheet.tracks.push(CueTrack {
                    number,
                    title: None,
                    performer: None,
                    start_frames: u64::MAX,
                    pregap_frames: None,
                });
            }
            c @ ("TITLE" | "PERFORMER") => {
                let v = text(arg(1), &c.to_ascii_lowercase()).map_err(at)?;
                let v = (!v.is_empty()).then_some(v);
                match (sheet.tracks.last_mut(), c) {
                    (Some(t), "TITLE") => t.title = v,
                    (Some(t), _) => t.performer = v,
                    (None, "TITLE") => sheet.title = v,
                    (None, _) => sheet.performer = v,
                }
            }
            "INDEX" => {
                let t = sheet
                    .tracks
                    .last_mut()
                    .ok_or_else(|| at(SheetError::IndexBeforeTrack))?;
                let frames = parse_msf(arg(2)).map_err(at)?;
                match arg(1).parse::<u32>() {
                    Ok(0) => t.pregap_frames = Some(frames),
                    Ok(1) => t.start_frames = frames,
                    Ok(n) if n <= 99 => {}
                    _ => return Err(at(SheetError::IndexNumber(arg(1).to_string()))),
                }
            }
            // CATALOG, CDTEXTFILE, FLAGS, ISRC, PREGAP, POSTGAP, SONGWRITER: not used.
            _ => {}
        }
    }
    if files == 0 || sheet.tracks.is_empty() {
        return Err(SheetError::NoTracks);
    }
    let mut last: Option<u64> = None;
    for t in &sheet.tracks {
        if t.start_frames == u64::MAX {
            return Err(SheetError::NoStart(t.number));
        }
        if t.pregap_frames.is_some_and(|p| p > t.start_frames) {
            return Err(SheetError::PregapAfterStart(t.number));
        }
        if last.is_some_and(|l| t.start_frames <= l) {
            return Err(SheetError::NotAfterTheOneBefore(t.number));
        }
        if let Some(end) = file_secs
            && frames_to_secs(t.start_frames) >= end
        {
            return Err(SheetError::PastTheEnd {
                track: t.number,
                start: frames_to_secs(t.start_frames),
                end,
            });
        }
        last = Some(t.start_frames);
    }
    Ok(sheet)
}

#[cfg(test)]
mod tests;
