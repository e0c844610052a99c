//! Where genreplay keeps things: XDG data (database, models, log), config and cache folders,
//! and the default music folder. `--data-dir` and `--library` override.

use std::path::{Path, PathBuf};

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
}

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
