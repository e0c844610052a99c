//! Auto playlists: one per genre (tracks whose top genre it is, ranked by confidence, above a
//! minimum confidence), and extended M3U (`.m3u8`) export and reading.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use crate::library::TrackId;
use crate::util::maths::argmax;

/// A genre playlist: tracks and their confidence, best first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenrePlaylist {
    pub genre: String,
    pub tracks: Vec<(TrackId, f32)>,
}

/// One playlist per label, from `(track, genre vector)` pairs; tracks under `min_confidence`
/// stay out. Labels with no tracks give empty playlists (so the list of genres is stable).
pub fn genre_playlists<'a>(
    labels: &[String],
    vectors: impl IntoIterator<Item = (TrackId, &'a [f32])>,
    min_confidence: f32,
) -> Vec<GenrePlaylist> {
    let mut lists: Vec<GenrePlaylist> = labels
        .iter()
        .map(|l| GenrePlaylist {
            genre: l.clone(),
            tracks: vec![],
        })
        .collect();
    for (id, v) in vectors {
        let (i, p) = argmax(v);
        if p >= min_confidence
            && let Some(l) = lists.get_mut(i)
        {
            l.tracks.push((id, p));
        }
    }
    for l in &mut lists {
        l.tracks
            .sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    lists
}

/// An entry of an M3U playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct M3uEntry {
    pub path: PathBuf,
    pub duration_secs: Option<f64>,
    pub artist: String,
    pub title: String,
}

impl M3uEntry {
    /// The entry of a library track: its path, duration, artist and title as the player
    /// shows them.
    pub fn of_track(r: &crate::library::TrackRecord) -> Self {
        M3uEntry {
            path: r.path(),
            duration_secs: r.duration_secs(),
            artist: Some(r.display_artist())
                .filter(|a| a != crate::library::track::UNKNOWN_ARTIST)
                .unwrap_or_default(),
            title: r.display_title(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum M3uError {
    #[error("{}: exists (use --force to overwrite)", .0.display())]
    Exists(PathBuf),
    #[error("{}: {}", .0.display(), .1)]
    Io(PathBuf, std::io::Error),
}

/// `target` relative to folder `base` (with `..` as needed), when both are absolute.
pub fn relative_to(target: &Path, base: &Path) -> Option<PathBuf> {
    if !target.is_absolute() || !base.is_absolute() {
        return None;
    }
    let t: Vec<Component> = target.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    Some(out)
}

/// Text for an `#EXTINF` line: control characters (newlines above all) become spaces.
pub fn clean_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// True when `p` can be written as a plain line of an M3U file and read back unchanged by
/// any reader: UTF-8, no control characters (a newline would split the entry), not starting
/// with `#` (a comment) or whitespace, not ending in whitespace, and not looking like a URI.
fn plain_line_ok(p: &str) -> bool {
    let looks_like_uri = p.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    !p.is_empty()
        && !p.chars().any(char::is_control)
        && !p.starts_with('#')
        && !p.starts_with(char::is_whitespace)
        && !p.ends_with(char::is_whitespace)
        && !looks_like_uri
}

/// The line of an M3U file that names `abs` (an absolute path): the path itself when it can be
/// a plain line, else its `file://` URI.
pub fn location_line(abs: &Path) -> String {
    match abs.to_str() {
        Some(s) if plain_line_ok(s) => s.to_string(),
        _ => file_uri(abs),
    }
}

/// An absolute path as a `file://` URI (RFC 8089): every byte but unreserved characters and
/// `/` percent-encoded, so newlines and non-UTF-8 bytes survive in a line of ASCII.
pub fn file_uri(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::from("file://");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The path a `file:` URI names (`file:///p`, `file://localhost/p` or `file:/p`), with
/// percent-escapes decoded to raw bytes; `None` when it is not a local file URI.
pub fn path_of_file_uri(uri: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let rest = uri.strip_prefix(b"file:")?;
    let rest = if let Some(r) = rest.strip_prefix(b"//") {
        // An authority: empty or localhost means this machine.
        let slash = r.iter().position(|&b| b == b'/')?;
        let host = &r[..slash];
        if !(host.is_empty() || host.eq_ignore_ascii_case(b"localhost")) {
            return None;
        }
        &r[slash..]
    } else {
        rest
    };
    if !rest.starts_with(b"/") {
        return None;
    }
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(rest.len());
    let mut i = 0;
    while i < rest.len() {
        if rest[i] == b'%'
            && let (Some(h), Some(l)) = (
                rest.get(i + 1).copied().and_then(hex),
                rest.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(rest[i]);
            i += 1;
        }
    }
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(&out)))
}

/// Writes an extended M3U8 playlist: `#EXTM3U`, then `#EXTINF:<secs>,<artist> - <title>` and the
/// path per track. Paths are relative to the playlist's folder when the track and the playlist
/// are both under `root` (the library), absolute otherwise. A path that cannot be a plain line
/// (a name with a newline, invalid UTF-8, a leading `#` …) is written as a percent-encoded
/// `file://` URI, which players read and [`read_m3u`] reads back to the same bytes; no track is
/// left out. The file is written whole or not at all (temporary file, then rename). Refuses to
/// replace an existing file unless `force`. Returns the tracks left out (none: kept for
/// callers that report it).
pub fn write_m3u8(
    file: &Path,
    entries: &[M3uEntry],
    root: Option<&Path>,
    force: bool,
) -> Result<usize, M3uError> {
    if file.exists() && !force {
        return Err(M3uError::Exists(file.to_path_buf()));
    }
    let text = m3u8_text(file, entries, root);
    let io = |e| M3uError::Io(file.to_path_buf(), e);
    if let Some(d) = file.parent() {
        std::fs::create_dir_all(d).map_err(io)?;
    }
    let tmp = file.with_extension("m3u8.tmp");
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, file)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(0)
}

/// The text [`write_m3u8`] writes to `file` (paths relative to its folder as it says).
pub fn m3u8_text(file: &Path, entries: &[M3uEntry], root: Option<&Path>) -> String {
    let dir = file
        .parent()
        .map(|d| std::path::absolute(d).unwrap_or_else(|_| d.to_path_buf()))
        .unwrap_or_default();
    let same_root = root.is_some_and(|r| dir.starts_with(r));
    let mut text = String::from("#EXTM3U\n");
    for e in entries {
        let p = if same_root {
            relative_to(&e.path, &dir).unwrap_or_else(|| e.path.clone())
        } else {
            e.path.clone()
        };
        let line = match p.to_str() {
            Some(s) if plain_line_ok(s) => s.to_string(),
            _ => {
                let abs = std::path::absolute(&e.path).unwrap_or_else(|_| e.path.clone());
                file_uri(&abs)
            }
        };
        let secs = e
            .duration_secs
            .filter(|d| d.is_finite() && *d >= 0.0)
            .map_or(-1, |d| d.round() as i64);
        // No artist: the title alone (not " - title").
        let shown = if e.artist.trim().is_empty() {
            clean_text(&e.title)
        } else {
            format!("{} - {}", clean_text(&e.artist), clean_text(&e.title))
        };
        text.push_str(&format!("#EXTINF:{secs},{shown}\n{line}\n"));
    }
    text
}

/// Reads an (extended) M3U playlist; relative paths are resolved against its folder, `file:`
/// URIs are decoded (percent-escapes to raw bytes), and lines are taken as raw bytes, so
/// non-UTF-8 paths of other tools' playlists work too.
pub fn read_m3u(file: &Path) -> std::io::Result<Vec<M3uEntry>> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = std::fs::read(file)?;
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    let mut pending: Option<(Option<f64>, String, String)> = None;
    for line in bytes.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(info) = line.strip_prefix(b"#EXTINF:") {
            let info = String::from_utf8_lossy(info);
            let (secs, name) = info.split_once(',').unwrap_or((&info, ""));
            let secs = secs.trim().parse::<f64>().ok().filter(|s| *s >= 0.0);
            let (artist, title) = name.split_once(" - ").unwrap_or(("", name));
            pending = Some((secs, artist.to_string(), title.to_string()));
        } else if line.is_empty() || line.starts_with(b"#") {
            continue;
        } else {
            let path = match path_of_file_uri(line) {
                Some(p) => p,
                None => {
                    let p = Path::new(std::ffi::OsStr::from_bytes(line));
                    if p.is_absolute() {
                        p.to_path_buf()
                    } else {
                        dir.join(p)
                    }
                }
            };
            let (duration_secs, artist, title) =
                pending
                    .take()
                    .unwrap_or((None, String::new(), String::new()));
            out.push(M3uEntry {
                path,
                duration_secs,
                artist,
                title,
            });
        }
    }
    Ok(out)
}

/// A file name for a playlist from a genre or mix name.
pub fn file_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}.m3u8", s.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playlists_rank_by_confidence_with_a_floor() {
        let labels = vec!["a".to_string(), "b".to_string()];
        let v1 = [0.9f32, 0.1];
        let v2 = [0.6f32, 0.4];
        let v3 = [0.45f32, 0.55];
        let lists = genre_playlists(
            &labels,
            [
                (TrackId(1), &v2[..]),
                (TrackId(2), &v1[..]),
                (TrackId(3), &v3[..]),
            ],
            0.6,
        );
        assert_eq!(
            lists[0].tracks.iter().map(|t| t.0.0).collect::<Vec<_>>(),
            vec![2, 1]
        );
        assert!(
            lists[1].tracks.is_empty(),
            "0.55 is under the floor: {:?}",
            lists[1]
        );
        let all = genre_playlists(&labels, [(TrackId(3), &v3[..])], 0.0);
        assert_eq!(all[1].tracks, vec![(TrackId(3), 0.55)]);
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_to(Path::new("/m/a/b.flac"), Path::new("/m/lists")),
            Some(PathBuf::from("../a/b.flac"))
        );
        assert_eq!(
            relative_to(Path::new("/m/a/b.flac"), Path::new("/m")),
            Some(PathBuf::from("a/b.flac"))
        );
        assert_eq!(relative_to(Path::new("x"), Path::new("/m")), None);
        assert_eq!(file_name("hip/hop: best"), "hip_hop_ best.m3u8");
    }

    #[test]
    fn file_uris_round_trip_any_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let p = PathBuf::from(std::ffi::OsStr::from_bytes(
            b"/m/caf\xe9 new\nline #1%.flac",
        ));
        let uri = file_uri(&p);
        assert_eq!(uri, "file:///m/caf%E9%20new%0Aline%20%231%25.flac");
        assert!(uri.is_ascii() && !uri.contains('\n'));
        assert_eq!(path_of_file_uri(uri.as_bytes()), Some(p));
        assert_eq!(
            path_of_file_uri(b"file://localhost/a%20b"),
            Some(PathBuf::from("/a b"))
        );
        assert_eq!(path_of_file_uri(b"file:/a"), Some(PathBuf::from("/a")));
        assert_eq!(path_of_file_uri(b"file://host/a"), None);
        assert_eq!(path_of_file_uri(b"/a"), None);
        assert!(plain_line_ok("../a/b.flac") && plain_line_ok("Café – x.mp3"));
        for bad in [
            "#x.mp3",
            " x.mp3",
            "x.mp3 ",
            "a\nb",
            "a\rb",
            "file:x.mp3",
            "http://x",
            "",
        ] {
            assert!(!plain_line_ok(bad), "{bad:?}");
        }
    }

    #[test]
    fn awkward_names_are_written_and_read_back() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("music");
        let names: Vec<&[u8]> = vec![
            b"plain.flac",
            b"new\nline.ogg",
            b"latin1 caf\xe9.mp3",
            b"#hash.mp3",
            b"cr\rhere.wav",
            b" leading.mp3",
        ];
        let entries: Vec<M3uEntry> = names
            .iter()
            .map(|n| M3uEntry {
                path: root.join(std::ffi::OsStr::from_bytes(n)),
                duration_secs: Some(61.4),
                artist: "A\nB".into(),
                title: "T".into(),
            })
            .collect();
        let file = root.join("lists/mix.m3u8");
        assert_eq!(write_m3u8(&file, &entries, Some(&root), false).unwrap(), 0);
        let text = std::fs::read_to_string(&file).unwrap();
        // One entry per two lines after the header: nothing broken, nothing left out.
        assert_eq!(text.lines().count(), 1 + 2 * names.len(), "{text}");
        assert!(text.contains("\n../plain.flac\n"), "{text}");
        assert!(text.contains("#EXTINF:61,A B - T"), "{text}");
        let back = read_m3u(&file).unwrap();
        let paths: Vec<PathBuf> = back.iter().map(|e| e.path.clone()).collect();
        // Names that are fine as a relative line ("../#hash.mp3" does not start with '#')
        // come back relative to the playlist's folder; the others as the exact bytes.
        let want: Vec<PathBuf> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let n = std::ffi::OsStr::from_bytes(n);
                if [0, 3, 5].contains(&i) {
                    root.join("lists/..").join(n)
                } else {
                    root.join(n)
                }
            })
            .collect();
        assert_eq!(paths, want);
        assert!(text.contains("file://"), "{text}");
        assert_eq!(back[1].duration_secs, Some(61.0));
    }
}
