//! Settings as data: `config.toml`, `keymap.toml` and colour themes. Defaults are embedded; files
//! in the XDG config folder override them. A bad file gives an error naming the file and line,
//! and the defaults stay in force.

pub mod scrobble;
pub mod theme;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use crate::keys::{KeySpec, Keymap};
pub use crate::util::toml_file::{ConfigError, FileCheck, line_of, parse_toml, read_user_file};
pub use scrobble::{ScrobbleConfig, Token};
pub use theme::Theme;

/// config.toml.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub theme: String,
    /// Percent, 0–150.
    pub volume: u8,
    /// Analysis workers at most; 0 = one per core (one fewer while playing).
    pub analysis_threads: usize,
    pub library: String,
    /// Tracks a "play next" fill adds.
    pub queue_fill: usize,
    /// 0 = the best matches in order; up to 1 = more varied.
    pub randomness: f32,
    /// No artist again within this many tracks.
    pub artist_window: usize,
    /// Auto-DJ keeps this many tracks queued ahead.
    pub auto_dj_ahead: usize,
    /// "Play next" and auto-DJ avoid tracks played or skipped this many hours ago or less
    /// (0: never avoided).
    pub recent_hours: u64,
    /// Genre playlists leave out tracks less certain than this (0–1).
    pub min_confidence: f32,
    /// Genre playlists also hold the tracks the model is unsure of (under their top guess).
    pub unsure_in_playlists: bool,
    /// "Play next" and auto-DJ never add a track less similar to the seed than this (0-1).
    pub min_similarity: f32,
    /// Where exported playlists go (empty = the data folder's playlists/).
    pub playlist_dir: String,
    /// ReplayGain: "track", "album" or "off".
    pub replaygain: crate::audio::gain::GainMode,
    /// Added to every ReplayGain gain, dB (−20…+20).
    pub replaygain_preamp: f32,
    /// Seconds the end of a track overlaps the start of the next (0–12; 0: gapless).
    pub crossfade: f32,
    /// Crossfade a skip (`n`) too.
    pub crossfade_on_skip: bool,
    /// Cover art in Now playing.
    pub covers: bool,
    /// Media keys and desktop controls over D-Bus (MPRIS 2).
    pub mpris: bool,
    /// A program run on each track and state change with the event (empty: none).
    pub status_program: String,
    /// Sending what is played to ListenBrainz (the `[scrobble]` table).
    pub scrobble: ScrobbleConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigOverride {
    theme: Option<String>,
    volume: Option<u8>,
    analysis_threads: Option<usize>,
    library: Option<String>,
    queue_fill: Option<usize>,
    randomness: Option<f32>,
    artist_window: Option<usize>,
    auto_dj_ahead: Option<usize>,
    recent_hours: Option<u64>,
    min_confidence: Option<f32>,
    unsure_in_playlists: Option<bool>,
    min_similarity: Option<f32>,
    playlist_dir: Option<String>,
    replaygain: Option<crate::audio::gain::GainMode>,
    replaygain_preamp: Option<f32>,
    crossfade: Option<f32>,
    crossfade_on_skip: Option<bool>,
    covers: Option<bool>,
    mpris: Option<bool>,
    status_program: Option<String>,
    scrobble: Option<scrobble::ScrobbleOverride>,
}

pub const DEFAULT_CONFIG: &str = include_str!("defaults/config.toml");

impl Config {
    pub fn defaults() -> Self {
        // The embedded defaults are checked by a test; fall back to literals regardless.
        parse_toml(DEFAULT_CONFIG, Path::new("<built-in config.toml>")).unwrap_or(Config {
            theme: "dark".into(),
            volume: 80,
            analysis_threads: 0,
            library: String::new(),
            queue_fill: 15,
            randomness: 0.3,
            artist_window: 1,
            auto_dj_ahead: 5,
            recent_hours: 8,
            min_confidence: 0.0,
            unsure_in_playlists: false,
            min_similarity: crate::recommend::similar::DEFAULT_MIN_SIMILARITY,
            playlist_dir: String::new(),
            replaygain: crate::audio::gain::GainMode::Track,
            replaygain_preamp: 0.0,
            crossfade: 0.0,
            crossfade_on_skip: false,
            covers: true,
            mpris: true,
            status_program: String::new(),
            scrobble: ScrobbleConfig::default(),
        })
    }

    /// Defaults overridden by the user's `text` (from `file`).
    pub fn with_overrides(text: &str, file: &Path) -> Result<Self, ConfigError> {
        let o: ConfigOverride = parse_toml(text, file)?;
        let mut c = Config::defaults();
        if let Some(t) = o.theme {
            c.theme = t;
        }
        if let Some(v) = o.volume {
            if v > 150 {
                return Err(ConfigError {
                    file: file.to_path_buf(),
                    line: text.find("volume").map(|i| line_of(text, i)),
                    message: format!("volume {v} is out of range (0-150)"),
                });
            }
            c.volume = v;
        }
        if let Some(n) = o.analysis_threads {
            c.analysis_threads = n;
        }
        if let Some(l) = o.library {
            c.library = l;
        }
        let range = |key: &str, ok: bool, what: &str| -> Result<(), ConfigError> {
            if ok {
                Ok(())
            } else {
                Err(ConfigError {
                    file: file.to_path_buf(),
                    line: text.find(key).map(|i| line_of(text, i)),
                    message: format!("{key} is out of range ({what})"),
                })
            }
        };
        if let Some(v) = o.queue_fill {
            range("queue_fill", (1..=500).contains(&v), "1-500")?;
            c.queue_fill = v;
        }
        if let Some(v) = o.randomness {
            range("randomness", (0.0..=1.0).contains(&v), "0-1")?;
            c.randomness = v;
        }
        if let Some(v) = o.artist_window {
            range("artist_window", (1..=50).contains(&v), "1-50")?;
            c.artist_window = v;
        }
        if let Some(v) = o.auto_dj_ahead {
            range("auto_dj_ahead", (1..=100).contains(&v), "1-100")?;
            c.auto_dj_ahead = v;
        }
        if let Some(v) = o.recent_hours {
            range("recent_hours", v <= 24 * 365, "0-8760")?;
            c.recent_hours = v;
        }
        if let Some(v) = o.min_confidence {
            range("min_confidence", (0.0..=1.0).contains(&v), "0-1")?;
            c.min_confidence = v;
        }
        if let Some(v) = o.unsure_in_playlists {
            c.unsure_in_playlists = v;
        }
        if let Some(v) = o.min_similarity {
            range("min_similarity", (0.0..=1.0).contains(&v), "0-1")?;
            c.min_similarity = v;
        }
        if let Some(v) = o.playlist_dir {
            c.playlist_dir = v;
        }
        if let Some(v) = o.replaygain {
            c.replaygain = v;
        }
        if let Some(v) = o.replaygain_preamp {
            range(
                "replaygain_preamp",
                (-20.0..=20.0).contains(&v),
                "-20 to 20 dB",
            )?;
            c.replaygain_preamp = v;
        }
        if let Some(v) = o.crossfade {
            range(
                "crossfade",
                (0.0..=crate::audio::crossfade::MAX_CROSSFADE_SECS).contains(&v),
                "0-12 seconds",
            )?;
            c.crossfade = v;
        }
        if let Some(v) = o.crossfade_on_skip {
            c.crossfade_on_skip = v;
        }
        if let Some(v) = o.covers {
            c.covers = v;
        }
        if let Some(v) = o.mpris {
            c.mpris = v;
        }
        if let Some(v) = o.status_program {
            c.status_program = v;
        }
        if let Some(v) = o.scrobble {
            c.scrobble = c.scrobble.apply(v, text, file)?;
        }
        Ok(c)
    }

    /// The `status_program` to run, if one is set (`~/` is the home folder).
    pub fn status_program(&self) -> Option<PathBuf> {
        let p = self.status_program.trim();
        if p.is_empty() {
            return None;
        }
        match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
            (Some(rest), Some(home)) => Some(PathBuf::from(home).join(rest)),
            _ => Some(PathBuf::from(p)),
        }
    }

    pub fn playlist_dir(&self) -> Option<PathBuf> {
        (!self.playlist_dir.trim().is_empty()).then(|| PathBuf::from(self.playlist_dir.trim()))
    }

    /// The folder of named playlists: `playlist_dir`, else `playlists/` in `data_dir`.
    pub fn playlist_dir_in(&self, data_dir: &Path) -> PathBuf {
        self.playlist_dir()
            .unwrap_or_else(|| data_dir.join("playlists"))
    }

    pub fn library_dir(&self) -> Option<PathBuf> {
        (!self.library.trim().is_empty()).then(|| PathBuf::from(self.library.trim()))
    }
}

/// Everything loaded from the config folder, with the problems found on the way.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: Config,
    pub keymap: Keymap,
    pub themes: Vec<Theme>,
    pub errors: Vec<ConfigError>,
    /// Every file looked at, in order: config.toml, keymap.toml, then the themes.
    pub files: Vec<FileCheck>,
}

/// Reads and parses `dir/name` into `files`; `None` (the defaults) when it is missing or bad.
fn load_one<T>(
    dir: &Path,
    name: &str,
    parse: impl Fn(&str, &Path) -> Result<T, ConfigError>,
    files: &mut Vec<FileCheck>,
) -> Option<T> {
    let file = dir.join(name);
    let (value, found, errors) = match read_user_file(&file) {
        Ok(None) => (None, false, vec![]),
        Ok(Some(text)) => match parse(&text, &file) {
            Ok(v) => (Some(v), true, vec![]),
            Err(e) => (None, true, vec![e]),
        },
        Err(e) => (None, true, vec![e]),
    };
    files.push(FileCheck {
        file,
        found,
        errors,
    });
    value
}

impl Settings {
    /// Loads config.toml, keymap.toml and themes/*.toml from `dir`; missing files are fine.
    /// Only regular files of at most `MAX_FILE_BYTES` are read (a FIFO never blocks).
    pub fn load(dir: &Path) -> Self {
        let mut files = Vec::new();
        let config = load_one(dir, "config.toml", Config::with_overrides, &mut files)
            .unwrap_or_else(Config::defaults);
        let keymap = load_one(dir, "keymap.toml", Keymap::with_overrides, &mut files)
            .unwrap_or_else(Keymap::defaults);
        let (themes, theme_files) = theme::load_all_checked(&dir.join("themes"));
        files.extend(theme_files);
        let errors = files.iter().flat_map(|f| f.errors.clone()).collect();
        Settings {
            config,
            keymap,
            themes,
            errors,
            files,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_overrides_apply() {
        let d = Config::defaults();
        assert_eq!(d.theme, "dark");
        assert_eq!(d.volume, 80);
        let c = Config::with_overrides("volume = 100\ntheme = \"light\"\n", Path::new("c.toml"))
            .unwrap();
        assert_eq!(
            (c.volume, c.theme.as_str(), c.analysis_threads),
            (100, "light", 0)
        );
    }

    #[test]
    fn crossfade_settings_parse_within_their_bounds() {
        let d = Config::defaults();
        assert_eq!((d.crossfade, d.crossfade_on_skip), (0.0, false));
        let c = Config::with_overrides(
            "crossfade = 4\ncrossfade_on_skip = true\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!((c.crossfade, c.crossfade_on_skip), (4.0, true));
        for bad in ["crossfade = 12.5\n", "crossfade = -1\n"] {
            let e = Config::with_overrides(bad, Path::new("c.toml")).unwrap_err();
            assert!(e.to_string().contains("crossfade"), "{e}");
            assert_eq!(e.line, Some(1));
        }
    }

    #[test]
    fn replaygain_settings_parse() {
        use crate::audio::gain::GainMode;
        assert_eq!(Config::defaults().replaygain, GainMode::Track);
        let c = Config::with_overrides(
            "replaygain = \"album\"\nreplaygain_preamp = -3.5\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!((c.replaygain, c.replaygain_preamp), (GainMode::Album, -3.5));
        let e =
            Config::with_overrides("\nreplaygain = \"loud\"\n", Path::new("c.toml")).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        let e =
            Config::with_overrides("replaygain_preamp = 40.0\n", Path::new("c.toml")).unwrap_err();
        assert!(e.message.contains("out of range"), "{e}");
    }

    #[test]
    fn bad_config_names_file_and_line() {
        let e = Config::with_overrides(
            "theme = \"dark\"\nvolume = \"loud\"\n",
            Path::new("/x/config.toml"),
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().starts_with("/x/config.toml:2:"), "{e}");
        let e = Config::with_overrides("\n\ncolour = 1\n", Path::new("c.toml")).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("colour"), "{e}");
        let e = Config::with_overrides("volume = 200\n", Path::new("c.toml")).unwrap_err();
        assert!(e.message.contains("out of range"));
    }

    #[test]
    fn settings_keep_defaults_when_a_file_is_bad() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "volume = [\n").unwrap();
        std::fs::write(dir.path().join("keymap.toml"), "[keys]\nquit = [\"Q\"]\n").unwrap();
        let s = Settings::load(dir.path());
        assert_eq!(s.errors.len(), 1);
        assert_eq!(s.files.len(), 2, "{:?}", s.files);
        assert!(s.files[0].found && !s.files[0].errors.is_empty());
        assert!(s.files[1].found && s.files[1].errors.is_empty());
        assert_eq!(s.config, Config::defaults());
        assert_eq!(
            s.keymap.keys_for(crate::keys::Action::Quit),
            vec!["Q".to_string()]
        );
        assert!(s.themes.len() >= 3);
    }
}
