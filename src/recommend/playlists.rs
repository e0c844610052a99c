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

fn clean(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// Writes an extended M3U8 playlist: `#EXTM3U`, then `#EXTINF:<secs>,<artist> - <title>` and the
/// path per track. Paths are relative to the playlist's folder when the track and the playlist
/// are both under `root` (the library), absolute otherwise. Refuses to replace an existing file
/// unless `force`. Returns the tracks skipped because their path is not UTF-8.
pub fn write_m3u8(
    file: &Path,
    entries: &[M3uEntry],
    root: Option<&Path>,
    force: bool,
) -> Result<usize, M3uError> {
    if file.exists() && !force {
        return Err(M3uError::Exists(file.to_path_buf()));
    }
    let dir = file
        .parent()
        .map(|d| std::path::absolute(d).unwrap_or_else(|_| d.to_path_buf()))
        .unwrap_or_default();
    let same_root = root.is_some_and(|r| dir.starts_with(r));
    let mut text = String::from("#EXTM3U\n");
    let mut skipped = 0;
    for e in entries {
        let p = if same_root {
            relative_to(&e.path, &dir).unwrap_or_else(|| e.path.clone())
        } else {
            e.path.clone()
        };
        let Some(p) = p.to_str() else {
            tracing::warn!(path = %e.path.display(), "not UTF-8; left out of the playlist");
            skipped += 1;
            continue;
        };
        let secs = e.duration_secs.map_or(-1, |d| d.round() as i64);
        text.push_str(&format!(
            "#EXTINF:{secs},{} - {}\n{p}\n",
            clean(&e.artist),
            clean(&e.title)
        ));
    }
    let io = |e| M3uError::Io(file.to_path_buf(), e);
    if let Some(d) = file.parent() {
        std::fs::create_dir_all(d).map_err(io)?;
    }
    let tmp = file.with_extension("m3u8.tmp");
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, file).map_err(io)?;
    Ok(skipped)
}

/// Reads an (extended) M3U playlist; relative paths are resolved against its folder.
pub fn read_m3u(file: &Path) -> std::io::Result<Vec<M3uEntry>> {
    let text = std::fs::read_to_string(file)?;
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    let mut pending: Option<(Option<f64>, String, String)> = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(info) = line.strip_prefix("#EXTINF:") {
            let (secs, name) = info.split_once(',').unwrap_or((info, ""));
            let secs = secs.trim().parse::<f64>().ok().filter(|s| *s >= 0.0);
            let (artist, title) = name.split_once(" - ").unwrap_or(("", name));
            pending = Some((secs, artist.to_string(), title.to_string()));
        } else if line.is_empty() || line.starts_with('#') {
            continue;
        } else {
            let p = Path::new(line);
            let path = if p.is_absolute() {
                p.to_path_buf()
            } else {
                dir.join(p)
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
}
