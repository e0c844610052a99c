//! Where genreplay keeps things: XDG data (database, models, log), config and cache folders,
//! and the default music folder. `--data-dir` and `--library` override.

use std::path::{Path, PathBuf};

use crate::util::private::{PrivateError, private_dir, tighten_tree};

#[derive(Debug, Clone)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub config_dir: PathBuf,
    pub cache_dir: PathBuf,
}

impl Paths {
    /// XDG folders, or everything under `data_dir` when it is given (config excepted: it stays
    /// the user's, unless `GENREPLAY_CONFIG_DIR` names another).
    pub fn resolve(data_dir: Option<&Path>) -> Self {
        let proj = directories::ProjectDirs::from("", "", "genreplay");
        let home_fallback = || {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("."))
        };
        let config_dir = std::env::var_os("GENREPLAY_CONFIG_DIR")
            .map(PathBuf::from)
            .or_else(|| proj.as_ref().map(|p| p.config_dir().to_path_buf()))
            .unwrap_or_else(|| home_fallback().join(".config/genreplay"));
        match data_dir {
            Some(d) => Paths {
                data_dir: d.to_path_buf(),
                cache_dir: d.join("cache"),
                config_dir,
            },
            None => Paths {
                data_dir: proj
                    .as_ref()
                    .map(|p| p.data_dir().to_path_buf())
                    .unwrap_or_else(|| home_fallback().join(".local/share/genreplay")),
                cache_dir: proj
                    .as_ref()
                    .map(|p| p.cache_dir().to_path_buf())
                    .unwrap_or_else(|| home_fallback().join(".cache/genreplay")),
                config_dir,
            },
        }
    }

    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join("genreplay.log")
    }

    pub fn models_dir(&self) -> PathBuf {
        self.data_dir.join("models")
    }

    pub fn db_dir(&self) -> PathBuf {
        self.data_dir.join("db")
    }

    /// Makes the data folder private: created with mode 0700, or tightened to it when it is
    /// ours and more open. Another user's folder is an error.
    pub fn make_private(&self) -> Result<(), PrivateError> {
        private_dir(&self.data_dir)
    }

    /// Takes the group and other permissions off everything genreplay keeps in the data
    /// folder ([`OWN_ENTRIES`]; the rest of the folder is the user's business) and off the
    /// cache folder and its first level (the tens of thousands of cached features below are
    /// derived data, behind a private folder), on a thread of its own: the data folder itself
    /// is private already, so nobody else reaches them meanwhile. Nothing is deleted.
    pub fn tighten_in_background(&self) {
        let roots: Vec<(PathBuf, usize)> = OWN_ENTRIES
            .iter()
            .map(|e| {
                let depth = if *e == "cache" { 1 } else { usize::MAX };
                (self.data_dir.join(e), depth)
            })
            .chain(std::iter::once((self.cache_dir.clone(), 1)))
            .collect();
        let cache = self.cache_dir.clone();
        let spawned = std::thread::Builder::new()
            .name("privacy".into())
            .spawn(move || {
                if let Err(e) = private_dir(&cache) {
                    tracing::warn!("{e}");
                }
                let n: usize = roots.iter().map(|(r, d)| tighten_tree(r, *d)).sum();
                if n > 0 {
                    tracing::info!("made {n} files and folders of the data folder private");
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot check the data folder's permissions: {e}");
        }
    }
}

/// What genreplay keeps in its data folder.
pub const OWN_ENTRIES: &[&str] = &[
    "db",
    "models",
    "playlists",
    "state",
    "cache",
    "genreplay.log",
];

/// The user's music folder (XDG `MUSIC` dir, else `~/Music`).
pub fn default_music_dir() -> PathBuf {
    directories::UserDirs::new()
        .and_then(|u| u.audio_dir().map(Path::to_path_buf))
        .unwrap_or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("."))
                .join("Music")
        })
}
