//! Named playlists: each is an M3U8 file in one folder of the data dir (the file is the
//! playlist: edit it with anything, genreplay reads it back). Saving writes a temporary file
//! and renames it over the old one, so a crash never leaves half a playlist. Any M3U, M3U8 or
//! PLS file can be imported.

pub mod format;

use std::path::{Path, PathBuf};

use crate::recommend::playlists::{M3uEntry, file_name, write_m3u8};
pub use format::{PlaylistError, read_playlist};

/// A saved playlist: its name and the tracks' paths in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Playlist {
    pub name: String,
    pub path: PathBuf,
    pub tracks: Vec<PathBuf>,
}

/// The folder of named playlists.
#[derive(Debug, Clone)]
pub struct PlaylistDir {
    dir: PathBuf,
}

impl PlaylistDir {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        PlaylistDir { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file_of(&self, name: &str) -> PathBuf {
        self.dir.join(file_name(name))
    }

    /// Every playlist, by name; a file that cannot be read is listed with the reason in
    /// `problems` and left alone.
    pub fn load_all(&self) -> (Vec<Playlist>, Vec<String>) {
        let mut lists = Vec::new();
        let mut problems = Vec::new();
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return (lists, problems);
        };
        for e in rd.filter_map(Result::ok) {
            let path = e.path();
            let ext = path
                .extension()
                .and_then(|x| x.to_str())
                .map(str::to_ascii_lowercase);
            if !matches!(ext.as_deref(), Some("m3u8" | "m3u" | "pls")) {
                continue;
            }
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with('.') {
                continue;
            }
            match read_playlist(&path) {
                Ok(tracks) => lists.push(Playlist { name, path, tracks }),
                Err(PlaylistError::Empty(_)) => lists.push(Playlist {
                    name,
                    path,
                    tracks: vec![],
                }),
                Err(e) => problems.push(e.to_string()),
            }
        }
        lists.sort_by_key(|p| p.name.to_lowercase());
        (lists, problems)
    }

    /// Saves `entries` as playlist `name` (replacing one of that name when `replace`).
    pub fn save(&self, name: &str, entries: &[M3uEntry], replace: bool) -> anyhow::Result<PathBuf> {
        let name = name.trim();
        if name.is_empty() {
            anyhow::bail!("a playlist needs a name");
        }
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| anyhow::anyhow!("{}: {e}", self.dir.display()))?;
        let file = self.file_of(name);
        if file.exists() && !replace {
            anyhow::bail!("a playlist called \"{name}\" exists already");
        }
        let tmp = self.dir.join(format!(".{}.tmp", file_name(name)));
        write_m3u8(&tmp, entries, None, true)?;
        std::fs::rename(&tmp, &file).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            anyhow::anyhow!("{}: {e}", file.display())
        })?;
        Ok(file)
    }

    /// Renames playlist `from` to `to` (refused when `to` exists).
    pub fn rename(&self, from: &Path, to: &str) -> anyhow::Result<PathBuf> {
        let to = to.trim();
        if to.is_empty() {
            anyhow::bail!("a playlist needs a name");
        }
        let target = self.file_of(to);
        if target.exists() {
            anyhow::bail!("a playlist called \"{to}\" exists already");
        }
        if from.extension().and_then(|e| e.to_str()) == Some("m3u8") {
            std::fs::rename(from, &target)
                .map_err(|e| anyhow::anyhow!("{}: {e}", from.display()))?;
        } else {
            // An .m3u or .pls file is rewritten as M3U8 under the new name.
            let tracks = read_playlist(from)?;
            write_m3u8(&target, &entries_of(&tracks), None, false)?;
            std::fs::remove_file(from).map_err(|e| anyhow::anyhow!("{}: {e}", from.display()))?;
        }
        Ok(target)
    }

    /// Deletes the playlist file at `path` (inside this folder only).
    pub fn delete(&self, path: &Path) -> anyhow::Result<()> {
        if path.parent() != Some(self.dir.as_path()) {
            anyhow::bail!("{}: not one of the saved playlists", path.display());
        }
        std::fs::remove_file(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// Imports the M3U, M3U8 or PLS file at `file` as a named playlist (its file name, made
    /// unique). Returns the new playlist.
    pub fn import(&self, file: &Path) -> anyhow::Result<Playlist> {
        let tracks = read_playlist(file)?;
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "imported".into());
        let mut name = stem.clone();
        let mut n = 2;
        while self.file_of(&name).exists() {
            name = format!("{stem} ({n})");
            n += 1;
        }
        let path = self.save(&name, &entries_of(&tracks), false)?;
        Ok(Playlist { name, path, tracks })
    }
}

/// Entries for writing, from paths alone (the file's name as the title).
pub fn entries_of(tracks: &[PathBuf]) -> Vec<M3uEntry> {
    tracks
        .iter()
        .map(|p| M3uEntry {
            path: p.clone(),
            duration_secs: None,
            artist: String::new(),
            title: p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_load_rename_delete_import() {
        let d = tempfile::tempdir().unwrap();
        let pl = PlaylistDir::new(d.path().join("playlists"));
        let tracks = vec![
            PathBuf::from("/music/a b.flac"),
            PathBuf::from("/music/c.ogg"),
        ];
        let f = pl.save("Road trip", &entries_of(&tracks), false).unwrap();
        assert!(pl.save("Road trip", &entries_of(&tracks), false).is_err());
        let (all, problems) = pl.load_all();
        assert!(problems.is_empty());
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].name, "Road trip");
        assert_eq!(all[0].tracks, tracks);
        let g = pl.rename(&f, "Holiday").unwrap();
        assert!(!f.exists() && g.exists());
        let pls = d.path().join("old.pls");
        std::fs::write(&pls, "[playlist]\nFile1=/music/c.ogg\nNumberOfEntries=1\n").unwrap();
        let imported = pl.import(&pls).unwrap();
        assert_eq!(imported.name, "old");
        assert_eq!(imported.tracks, vec![PathBuf::from("/music/c.ogg")]);
        assert_eq!(pl.import(&pls).unwrap().name, "old (2)");
        assert!(pl.delete(&pls).is_err(), "only files of the folder");
        pl.delete(&g).unwrap();
        assert_eq!(pl.load_all().0.len(), 2);
    }
}
