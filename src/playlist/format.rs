//! One concern at ~740 lines (a quarter of them tests): the two playlist formats read into
//! one model that an edit writes back unchanged where it did not touch, under the bounds and
//! path rules both share.
//!
//! Reading playlist files: M3U and extended M3U/M3U8 (plain paths, relative to the playlist,
//! or `file://` URIs with percent-encoding) and PLS (`FileN=`). Hostile files are bounded:
//! at most [`MAX_BYTES`] are read and [`MAX_ENTRIES`] entries kept, and only regular files are
//! opened (a FIFO never blocks).
//!
//! A file is read as a [`PlaylistFile`]: every entry with what the file says of it (an M3U
//! entry's own lines — `#EXTINF` and the rest — as they are; a PLS entry's title and length),
//! so an edit ([`Edit`]) writes back the entries that stay exactly as they were, and what
//! names no file (a stream URL, a comment) stays where it was.

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The largest playlist file read.
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;
/// The most entries kept from one file.
pub const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum PlaylistError {
    #[error("{}: cannot read: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: cannot write: {error}", path.display())]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: not a regular file", .0.display())]
    NotAFile(PathBuf),
    #[error("{}: larger than {} MB; not a playlist", .0.display(), MAX_BYTES / 1024 / 1024)]
    TooLarge(PathBuf),
    #[error("{}: not a smart playlist: {why}", path.display())]
    BadRule { path: PathBuf, why: &'static str },
    #[error("{}: a smart playlist: its tracks come from its rule", .0.display())]
    Smart(PathBuf),
    #[error("{}: more than {MAX_ENTRIES} entries; not read whole", .0.display())]
    TooMany(PathBuf),
    #[error("{}: no entries (not an M3U, M3U8 or PLS playlist?)", .0.display())]
    Empty(PathBuf),
    #[error(
        "{}: no playable entries (none names an audio file that is there, or a track of the \
         library)",
        .0.display()
    )]
    NoPlayable(PathBuf),
    #[error("{}: the file changed since it was read; it was read again, try once more", .0.display())]
    Changed(PathBuf),
    #[error("a playlist called \"{0}\" exists already")]
    Exists(String),
    #[error("{}: not one of the saved playlists", .0.display())]
    Outside(PathBuf),
    #[error("a playlist needs a name")]
    NoName,
}

/// The two syntaxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// M3U and M3U8, plain or extended.
    M3u,
    /// PLS (`[playlist]`, `FileN=`).
    Pls,
}

/// One entry of a playlist file.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The file it names; `None` for a stream URL or a line that names no file.
    pub path: Option<PathBuf>,
    /// Its length in seconds, as the file gives it (`#EXTINF:<secs>,`, `LengthN=`).
    pub secs: Option<i64>,
    /// Its title as the file gives it (`#EXTINF:…,<text>`, `TitleN=`).
    pub title: Option<String>,
    /// M3U: the entry's lines as in the file (its `#` lines, then its location), each ending
    /// in a newline. PLS: the `FileN` value.
    raw: Vec<u8>,
}

impl Entry {
    /// The bytes it holds (what keeping it for an undo costs).
    pub fn size(&self) -> usize {
        self.raw.len() + self.title.as_ref().map_or(0, String::len)
    }
}

/// A whole playlist file, ready to be edited and written back.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaylistFile {
    pub kind: Kind,
    /// M3U: the lines before the first entry (`#EXTM3U`, `#PLAYLIST:`, comments), as they
    /// are. PLS: unused.
    header: Vec<u8>,
    pub entries: Vec<Entry>,
    /// M3U: the lines after the last entry. PLS: the lines that are no entry's
    /// (`Version=2`, other keys), in order.
    trailer: Vec<u8>,
    /// More than [`MAX_ENTRIES`] entries: only the first are here (never written back).
    pub truncated: bool,
}

/// A change to a playlist's tracks (the entries that name files, counted from 0), with the
/// track's path as the one who asked saw it: a file changed meanwhile is not edited blindly.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    Remove {
        track: usize,
        path: PathBuf,
    },
    /// Swaps track `from` with track `to`.
    Move {
        from: usize,
        to: usize,
        path: PathBuf,
    },
    /// Puts `entry` back as track `track` (before the entry that is track `track` now, or
    /// after the last entry): what undoes a `Remove`, with the entry's own lines.
    Insert {
        track: usize,
        entry: Entry,
    },
    /// Takes away the playlist's last tracks when they are `paths`, in order (with their own
    /// lines): what undoes tracks added at the end.
    Truncate {
        paths: Vec<PathBuf>,
    },
    /// Puts `entries` back after the last entry, each with its own lines: what undoes a
    /// `Truncate`.
    Extend {
        entries: Vec<Entry>,
    },
    /// Sets a smart playlist's rule (`create`: a new file, refused when one is there).
    Rule {
        rule: String,
        create: bool,
    },
}

/// Reads at most [`MAX_BYTES`] of the regular file at `path` (opened without blocking, so a
/// FIFO swapped in is refused rather than waited on).
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, PlaylistError> {
    read_within(path, MAX_BYTES)
}

/// Reads the regular file at `path` when it holds at most `max` bytes (else `TooLarge`).
pub fn read_within(path: &Path, max: u64) -> Result<Vec<u8>, PlaylistError> {
    let io = |error| PlaylistError::Io {
        path: path.to_path_buf(),
        error,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(PlaylistError::NotAFile(path.to_path_buf()));
    }
    if meta.len() > max {
        return Err(PlaylistError::TooLarge(path.to_path_buf()));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(io)?;
    if !file.metadata().map_err(io)?.is_file() {
        return Err(PlaylistError::NotAFile(path.to_path_buf()));
    }
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > max {
        return Err(PlaylistError::TooLarge(path.to_path_buf()));
    }
    Ok(bytes)
}

impl PlaylistFile {
    /// Reads the playlist at `path`. The format is told by the content (`[playlist]` starts a
    /// PLS file), else by the extension; relative paths are taken from the file's folder.
    pub fn read(path: &Path) -> Result<Self, PlaylistError> {
        let bytes = read_bounded(path)?;
        let base = path.parent().unwrap_or(Path::new("/"));
        let base = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
        let pls_ext = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("pls"));
        Ok(Self::parse(&bytes, &base, pls_ext))
    }

    /// Parses `bytes` (entries relative to `base`); `pls_ext` when the file is named `.pls`.
    pub fn parse(bytes: &[u8], base: &Path, pls_ext: bool) -> Self {
        let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        if pls_ext || first_line(text).eq_ignore_ascii_case(b"[playlist]") {
            parse_pls(text, base)
        } else {
            parse_m3u(bytes, base)
        }
    }

    /// The files it names, in order.
    pub fn tracks(&self) -> Vec<PathBuf> {
        self.entries.iter().filter_map(|e| e.path.clone()).collect()
    }

    /// Adds an entry for `path` at the end, as this file's format writes one: M3U lines
    /// `#EXTINF:<secs>,<shown>` and `location`; a PLS `FileN`, `TitleN`, `LengthN`. `shown`
    /// and `location` must be one line each (the caller's `clean_text`, `location_line`).
    pub fn push_entry(&mut self, path: PathBuf, secs: Option<i64>, shown: &str, location: &str) {
        let raw = match self.kind {
            Kind::M3u => format!("#EXTINF:{},{shown}\n{location}\n", secs.unwrap_or(-1)),
            Kind::Pls => location.to_string(),
        };
        self.entries.push(Entry {
            path: Some(path),
            secs,
            title: (!shown.is_empty()).then(|| shown.to_string()),
            raw: raw.into_bytes(),
        });
    }

    /// The index in `entries` of track `n` (the n-th entry that names a file).
    fn entry_of_track(&self, n: usize) -> Option<usize> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.path.is_some())
            .nth(n)
            .map(|(i, _)| i)
    }

    /// Applies `edit` and returns the edit that undoes it; `Changed` when the file's track is
    /// not the one the edit names.
    pub fn apply(&mut self, edit: &Edit, file: &Path) -> Result<Edit, PlaylistError> {
        let changed = || PlaylistError::Changed(file.to_path_buf());
        if self.truncated {
            return Err(PlaylistError::TooMany(file.to_path_buf()));
        }
        let at = |track: usize, path: &Path| -> Result<usize, PlaylistError> {
            let i = self.entry_of_track(track).ok_or_else(changed)?;
            if self.entries[i].path.as_deref() == Some(path) {
                Ok(i)
            } else {
                Err(changed())
            }
        };
        match edit {
            Edit::Remove { track, path } => {
                let i = at(*track, path)?;
                let entry = self.entries.remove(i);
                Ok(Edit::Insert {
                    track: *track,
                    entry,
                })
            }
            Edit::Move { from, to, path } => {
                let i = at(*from, path)?;
                let j = self.entry_of_track(*to).ok_or_else(changed)?;
                self.entries.swap(i, j);
                Ok(Edit::Move {
                    from: *to,
                    to: *from,
                    path: path.clone(),
                })
            }
            Edit::Insert { track, entry } => {
                let Some(path) = entry.path.clone() else {
                    return Err(changed());
                };
                let count = self.entries.iter().filter(|e| e.path.is_some()).count();
                if *track > count || self.entries.len() >= MAX_ENTRIES {
                    return Err(changed());
                }
                let i = match self.entry_of_track(*track) {
                    Some(i) => i,
                    None => self.entries.len(),
                };
                self.entries.insert(i, entry.clone());
                Ok(Edit::Remove {
                    track: *track,
                    path,
                })
            }
            Edit::Truncate { paths } => {
                let tracks: Vec<usize> = (0..self.entries.len())
                    .filter(|&i| self.entries[i].path.is_some())
                    .collect();
                let Some(first) = tracks.len().checked_sub(paths.len()) else {
                    return Err(changed());
                };
                let tail = &tracks[first..];
                let same = tail
                    .iter()
                    .zip(paths)
                    .all(|(&i, p)| self.entries[i].path.as_deref() == Some(p.as_path()));
                if paths.is_empty() || !same {
                    return Err(changed());
                }
                let mut entries: Vec<Entry> =
                    tail.iter().rev().map(|&i| self.entries.remove(i)).collect();
                entries.reverse();
                Ok(Edit::Extend { entries })
            }
            Edit::Extend { entries } => {
                let paths: Option<Vec<PathBuf>> = entries.iter().map(|e| e.path.clone()).collect();
                let Some(paths) = paths.filter(|p| !p.is_empty()) else {
                    return Err(changed());
                };
                if self.entries.len() + entries.len() > MAX_ENTRIES {
                    return Err(PlaylistError::TooMany(file.to_path_buf()));
                }
                self.entries.extend(entries.iter().cloned());
                Ok(Edit::Truncate { paths })
            }
            Edit::Rule { .. } => Err(PlaylistError::Smart(file.to_path_buf())),
        }
    }

    /// The file's bytes: what was read, with the edits applied.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self.kind {
            Kind::M3u => {
                let mut out = self.header.clone();
                // A file that began with an entry (no header) and lost it: the next one must
                // not begin the file in a way that reads differently (a byte-order mark,
                // which would be taken off, or "[playlist]", which starts a PLS file).
                let bom: &[u8] = b"\xef\xbb\xbf";
                if first_line(out.strip_prefix(bom).unwrap_or(&out)).is_empty()
                    && let Some(first) = self.entries.first()
                    && ((out.is_empty() && first.raw.starts_with(bom))
                        || first_line(&first.raw).eq_ignore_ascii_case(b"[playlist]"))
                {
                    out.extend_from_slice(b"#EXTM3U\n");
                }
                for e in &self.entries {
                    out.extend_from_slice(&e.raw);
                }
                out.extend_from_slice(&self.trailer);
                out
            }
            Kind::Pls => {
                let mut out = b"[playlist]\n".to_vec();
                for (k, e) in self.entries.iter().enumerate() {
                    let n = k + 1;
                    out.extend_from_slice(format!("File{n}=").as_bytes());
                    out.extend_from_slice(&e.raw);
                    out.push(b'\n');
                    if let Some(t) = &e.title {
                        out.extend_from_slice(format!("Title{n}={t}\n").as_bytes());
                    }
                    if let Some(s) = e.secs {
                        out.extend_from_slice(format!("Length{n}={s}\n").as_bytes());
                    }
                }
                out.extend_from_slice(
                    format!("NumberOfEntries={}\n", self.entries.len()).as_bytes(),
                );
                out.extend_from_slice(&self.trailer);
                out
            }
        }
    }
}

/// Reads the entries of the playlist at `path` that name files, in order, as absolute paths.
/// `Empty` when there are none.
pub fn read_playlist(path: &Path) -> Result<Vec<PathBuf>, PlaylistError> {
    let tracks = PlaylistFile::read(path)?.tracks();
    if tracks.is_empty() {
        return Err(PlaylistError::Empty(path.to_path_buf()));
    }
    Ok(tracks)
}

fn first_line(text: &[u8]) -> &[u8] {
    text.split(|&b| b == b'\n')
        .map(trim)
        .find(|l| !l.is_empty())
        .unwrap_or(&[])
}

fn trim(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &line[start..end.max(start)]
}

/// `#` lines that belong to the entry after them (the rest before the first entry is the
/// file's header).
fn entry_directive(line: &[u8]) -> bool {
    const PER_ENTRY: &[&[u8]] = &[
        b"#EXTINF",
        b"#EXTGRP",
        b"#EXTALB",
        b"#EXTART",
        b"#EXTGENRE",
        b"#EXTIMG",
        b"#EXTBYT",
        b"#EXTBIN",
        b"#EXTVLCOPT",
        b"#KODIPROP",
    ];
    PER_ENTRY
        .iter()
        .any(|d| line.len() >= d.len() && line[..d.len()].eq_ignore_ascii_case(d))
}

/// `#EXTINF:<secs>[ attributes],<title>` → (secs, title).
fn extinf(line: &[u8]) -> Option<(Option<i64>, String)> {
    let info = line
        .get(..8)
        .filter(|p| p.eq_ignore_ascii_case(b"#EXTINF:"))
        .map(|_| &line[8..])?;
    let info = String::from_utf8_lossy(info);
    let (head, title) = info.split_once(',').unwrap_or((&info, ""));
    let secs = head
        .split_whitespace()
        .next()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e9)
        .map(|s| s.round() as i64);
    Some((secs, title.trim().to_string()))
}

/// M3U: one entry per location line; the `#` lines before it are its own (after the header).
pub fn parse_m3u(bytes: &[u8], base: &Path) -> PlaylistFile {
    let mut file = PlaylistFile {
        kind: Kind::M3u,
        header: Vec::new(),
        entries: Vec::new(),
        trailer: Vec::new(),
        truncated: false,
    };
    let (bom, text) = match bytes.strip_prefix(b"\xef\xbb\xbf") {
        Some(rest) => (&bytes[..3], rest),
        None => (&bytes[..0], bytes),
    };
    file.header.extend_from_slice(bom);
    let mut pending: Vec<u8> = Vec::new();
    let mut info: Option<(Option<i64>, String)> = None;
    let mut in_header = true;
    let mut rest = text;
    while !rest.is_empty() {
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..=i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        let t = trim(line);
        let location = !t.is_empty() && !t.starts_with(b"#");
        if in_header && !location && !entry_directive(t) {
            file.header.extend_from_slice(line);
            continue;
        }
        in_header = false;
        pending.extend_from_slice(line);
        if !pending.ends_with(b"\n") {
            pending.push(b'\n');
        }
        if !location {
            if let Some(i) = extinf(t) {
                info = Some(i);
            }
            continue;
        }
        if file.entries.len() >= MAX_ENTRIES {
            file.truncated = true;
            break;
        }
        let (secs, title) = info.take().map_or((None, None), |(s, t)| (s, Some(t)));
        file.entries.push(Entry {
            path: entry_path(t, base),
            secs,
            title,
            raw: std::mem::take(&mut pending),
        });
    }
    file.trailer = pending;
    file
}

/// PLS: `FileN=…` entries in the order of N, with their `TitleN` and `LengthN`.
pub fn parse_pls(text: &[u8], base: &Path) -> PlaylistFile {
    use std::collections::BTreeMap;
    let mut files: BTreeMap<u32, Entry> = BTreeMap::new();
    let mut titles: BTreeMap<u32, String> = BTreeMap::new();
    let mut lengths: BTreeMap<u32, i64> = BTreeMap::new();
    let mut trailer = Vec::new();
    let mut truncated = false;
    for line in text.split(|&b| b == b'\n') {
        let l = trim(line);
        if l.is_empty() || l.eq_ignore_ascii_case(b"[playlist]") {
            continue;
        }
        let numbered = |key: &[u8], prefix: &[u8]| -> Option<u32> {
            let n = key
                .get(..prefix.len())
                .filter(|p| p.eq_ignore_ascii_case(prefix))
                .map(|_| &key[prefix.len()..])?;
            std::str::from_utf8(n).ok()?.trim().parse().ok()
        };
        let Some(eq) = l.iter().position(|&b| b == b'=') else {
            trailer.extend_from_slice(l);
            trailer.push(b'\n');
            continue;
        };
        let (key, value) = (&l[..eq], trim(&l[eq + 1..]));
        if let Some(n) = numbered(key, b"File") {
            if files.len() >= MAX_ENTRIES && !files.contains_key(&n) {
                truncated = true;
                continue;
            }
            files.insert(
                n,
                Entry {
                    path: entry_path(value, base),
                    secs: None,
                    title: None,
                    raw: value.to_vec(),
                },
            );
        } else if let Some(n) = numbered(key, b"Title") {
            if titles.len() < MAX_ENTRIES {
                titles.insert(n, String::from_utf8_lossy(value).into_owned());
            }
        } else if let Some(n) = numbered(key, b"Length") {
            if let Some(s) = std::str::from_utf8(value)
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                && lengths.len() < MAX_ENTRIES
            {
                lengths.insert(n, s);
            }
        } else if !key.eq_ignore_ascii_case(b"NumberOfEntries") {
            trailer.extend_from_slice(l);
            trailer.push(b'\n');
        }
    }
    let entries = files
        .into_iter()
        .map(|(n, mut e)| {
            e.title = titles.remove(&n);
            e.secs = lengths.remove(&n).filter(|s| *s >= 0);
            e
        })
        .collect();
    PlaylistFile {
        kind: Kind::Pls,
        header: Vec::new(),
        entries,
        trailer,
        truncated,
    }
}

/// One entry: a `file://` URI (percent-decoded), an absolute path, or a path relative to the
/// playlist. Other URLs (http…) are not files: `None`.
fn entry_path(raw: &[u8], base: &Path) -> Option<PathBuf> {
    if raw.is_empty() || raw.contains(&0) {
        return None;
    }
    let lower: Vec<u8> = raw.iter().take(8).map(u8::to_ascii_lowercase).collect();
    if lower.starts_with(b"file://") {
        let rest = &raw[7..];
        // file:///abs/path or file://localhost/abs/path
        let rest = rest.strip_prefix(b"localhost").unwrap_or(rest);
        let decoded = percent_decode(rest);
        if decoded.contains(&0) || !decoded.starts_with(b"/") {
            return None;
        }
        return Some(PathBuf::from(OsStr::from_bytes(&decoded)));
    }
    if raw.windows(3).any(|w| w == b"://") {
        return None;
    }
    let p = Path::new(OsStr::from_bytes(raw));
    Some(if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    })
}

/// Decodes `%XX` escapes; a malformed escape is kept as it is.
pub fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%'
            && i + 2 < s.len()
            && let (Some(h), Some(l)) = (hex(s[i + 1]), hex(s[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m3u_tracks(text: &[u8], base: &str) -> Vec<PathBuf> {
        parse_m3u(text, Path::new(base)).tracks()
    }

    #[test]
    fn m3u_with_comments_relative_paths_and_uris() {
        let text = b"#EXTM3U\r\n#EXTINF:61,Beta - Rain\r\nBeta/01 Rain.flac\r\n\r\n/abs/x.mp3\nfile:///music/a%20b%0Ac.ogg\nhttp://radio/stream\nfile://localhost/m/%FF.wav\n";
        assert_eq!(
            m3u_tracks(text, "/lists"),
            vec![
                PathBuf::from("/lists/Beta/01 Rain.flac"),
                PathBuf::from("/abs/x.mp3"),
                PathBuf::from("/music/a b\nc.ogg"),
                PathBuf::from(OsStr::from_bytes(b"/m/\xff.wav")),
            ]
        );
        let f = parse_m3u(text, Path::new("/lists"));
        assert_eq!(f.entries[0].secs, Some(61));
        assert_eq!(f.entries[0].title.as_deref(), Some("Beta - Rain"));
        assert_eq!(f.entries[3].path, None, "the stream stays an entry");
        assert_eq!(
            f.to_bytes(),
            text.to_vec(),
            "read and written back: the same bytes"
        );
    }

    #[test]
    fn pls_in_file_number_order() {
        let text =
            b"[playlist]\nFile2=/b.mp3\nTitle2=B\nFile1=a.mp3\nNumberOfEntries=2\nFileX=/bad\n";
        let f = parse_pls(text, Path::new("/p"));
        assert_eq!(
            f.tracks(),
            vec![PathBuf::from("/p/a.mp3"), PathBuf::from("/b.mp3")]
        );
        assert_eq!(f.entries[1].title.as_deref(), Some("B"));
    }

    #[test]
    fn edits_keep_every_other_line_as_it_was() {
        let text = b"#EXTM3U\n#PLAYLIST:Road\n# a comment of mine\n#EXTINF:61,Beta - Rain\nrain.flac\n#EXTINF:200,Gamma - Sun\n#EXTGRP:summer\n/m/sun.mp3\nhttp://radio/x\n#EXTINF:5,Delta - Wind\r\n/m/wind.ogg\r\n# the end\n";
        let mut f = parse_m3u(text, Path::new("/l"));
        let rain = PathBuf::from("/l/rain.flac");
        // Asked about a track that is not where the asker saw it: refused, nothing changes.
        let stale = Edit::Remove {
            track: 1,
            path: rain.clone(),
        };
        assert!(matches!(
            f.apply(&stale, Path::new("x")),
            Err(PlaylistError::Changed(_))
        ));
        f.apply(
            &Edit::Remove {
                track: 0,
                path: rain,
            },
            Path::new("x"),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(f.to_bytes()).unwrap(),
            "#EXTM3U\n#PLAYLIST:Road\n# a comment of mine\n#EXTINF:200,Gamma - Sun\n#EXTGRP:summer\n/m/sun.mp3\nhttp://radio/x\n#EXTINF:5,Delta - Wind\r\n/m/wind.ogg\r\n# the end\n"
        );
        f.apply(
            &Edit::Move {
                from: 1,
                to: 0,
                path: PathBuf::from("/m/wind.ogg"),
            },
            Path::new("x"),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(f.to_bytes()).unwrap(),
            "#EXTM3U\n#PLAYLIST:Road\n# a comment of mine\n#EXTINF:5,Delta - Wind\r\n/m/wind.ogg\r\nhttp://radio/x\n#EXTINF:200,Gamma - Sun\n#EXTGRP:summer\n/m/sun.mp3\n# the end\n"
        );
        let pls = b"[playlist]\nFile1=/a.mp3\nTitle1=A\nLength1=61\nFile2=http://s\nFile3=/c.mp3\nNumberOfEntries=3\nVersion=2\n";
        let mut p = parse_pls(pls, Path::new("/"));
        p.apply(
            &Edit::Remove {
                track: 1,
                path: PathBuf::from("/c.mp3"),
            },
            Path::new("x"),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(p.to_bytes()).unwrap(),
            "[playlist]\nFile1=/a.mp3\nTitle1=A\nLength1=61\nFile2=http://s\nNumberOfEntries=2\nVersion=2\n"
        );
    }

    #[test]
    fn what_begins_the_file_after_an_edit_reads_as_it_did() {
        for text in [
            &b"/m/a.mp3\n\xef\xbb\xbf/m/b.mp3\n"[..],
            b"\n/m/a.mp3\n[playlist]\n",
        ] {
            let mut f = parse_m3u(text, Path::new("/l"));
            let tracks = f.tracks();
            f.apply(
                &Edit::Remove {
                    track: 0,
                    path: tracks[0].clone(),
                },
                Path::new("x"),
            )
            .unwrap();
            let back = PlaylistFile::parse(&f.to_bytes(), Path::new("/l"), false);
            assert_eq!(back.kind, Kind::M3u);
            assert_eq!(
                back.tracks(),
                tracks[1..],
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn hostile_input_is_bounded_and_never_panics() {
        assert_eq!(percent_decode(b"%"), b"%");
        assert_eq!(percent_decode(b"%4"), b"%4");
        assert_eq!(percent_decode(b"%zz%41"), b"%zzA");
        let garbage: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 256) as u8).collect();
        let _ = parse_m3u(&garbage, Path::new("/"));
        let _ = parse_pls(&garbage, Path::new("/"));
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_playlist(dir.path()),
            Err(PlaylistError::NotAFile(_))
        ));
        let empty = dir.path().join("e.m3u");
        std::fs::write(&empty, "#EXTM3U\n").unwrap();
        assert!(matches!(
            read_playlist(&empty),
            Err(PlaylistError::Empty(_))
        ));
        let many = dir.path().join("many.m3u");
        std::fs::write(&many, "x.mp3\n".repeat(MAX_ENTRIES + 10)).unwrap();
        assert_eq!(read_playlist(&many).unwrap().len(), MAX_ENTRIES);
        let f = PlaylistFile::read(&many).unwrap();
        assert!(f.truncated);
        let mut g = f.clone();
        assert!(matches!(
            g.apply(
                &Edit::Remove {
                    track: 0,
                    path: dir.path().join("x.mp3")
                },
                &many
            ),
            Err(PlaylistError::TooMany(_))
        ));
        let fifo = dir.path().join("fifo.m3u");
        let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_playlist(&fifo),
            Err(PlaylistError::NotAFile(_))
        ));
    }
}
