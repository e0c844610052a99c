//! Colour themes: TOML files with named colours ("#rrggbb", ANSI names, or "reset" for the
//! terminal's own). Three are built in (themes/ in the source tree); more can be dropped into
//! the config folder's themes/.

use std::path::Path;

use ratatui::style::Color;
use serde::Deserialize;

use crate::util::toml_file::{ConfigError, FileCheck, line_of, parse_toml, read_user_file};

const BUILT_IN: &[(&str, &str)] = &[
    ("themes/dark.toml", include_str!("../../themes/dark.toml")),
    ("themes/light.toml", include_str!("../../themes/light.toml")),
    (
        "themes/terminal.toml",
        include_str!("../../themes/terminal.toml"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    colors: ColorsFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ColorsFile {
    background: String,
    foreground: String,
    dim: String,
    accent: String,
    highlight_fg: String,
    highlight_bg: String,
    playing: String,
    border: String,
    bar: String,
    error: String,
    warning: String,
}

/// A colour theme.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub background: Color,
    pub foreground: Color,
    pub dim: Color,
    pub accent: Color,
    pub highlight_fg: Color,
    pub highlight_bg: Color,
    pub playing: Color,
    pub border: Color,
    pub bar: Color,
    pub error: Color,
    pub warning: Color,
}

/// Parses a colour: "#rrggbb", "reset", or an ANSI colour name.
pub fn parse_color(s: &str) -> Option<Color> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix('#') {
        if hex.len() != 6 {
            return None;
        }
        let v = u32::from_str_radix(hex, 16).ok()?;
        return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
    }
    Some(match s.to_ascii_lowercase().as_str() {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        _ => return None,
    })
}

impl Theme {
    /// Parses a theme file's text.
    pub fn parse(text: &str, file: &Path) -> Result<Theme, ConfigError> {
        let f: ThemeFile = parse_toml(text, file)?;
        let c = |field: &str, v: &str| {
            parse_color(v).ok_or_else(|| ConfigError {
                file: file.to_path_buf(),
                line: text.find(&format!("{field} ")).map(|i| line_of(text, i)),
                message: format!(
                    "{field}: '{v}' is not a colour (#rrggbb, an ANSI name, or reset)"
                ),
            })
        };
        let k = &f.colors;
        Ok(Theme {
            name: f.name.clone(),
            background: c("background", &k.background)?,
            foreground: c("foreground", &k.foreground)?,
            dim: c("dim", &k.dim)?,
            accent: c("accent", &k.accent)?,
            highlight_fg: c("highlight_fg", &k.highlight_fg)?,
            highlight_bg: c("highlight_bg", &k.highlight_bg)?,
            playing: c("playing", &k.playing)?,
            border: c("border", &k.border)?,
            bar: c("bar", &k.bar)?,
            error: c("error", &k.error)?,
            warning: c("warning", &k.warning)?,
        })
    }

    /// The built-in themes: dark, light, terminal.
    pub fn built_in() -> Vec<Theme> {
        BUILT_IN
            .iter()
            .filter_map(|(file, text)| Theme::parse(text, Path::new(file)).ok())
            .collect()
    }

    /// A theme that needs no file (used if the built-in files were somehow broken).
    pub fn fallback() -> Theme {
        Theme {
            name: "terminal".into(),
            background: Color::Reset,
            foreground: Color::Reset,
            dim: Color::DarkGray,
            accent: Color::Blue,
            highlight_fg: Color::Black,
            highlight_bg: Color::Blue,
            playing: Color::Green,
            border: Color::DarkGray,
            bar: Color::Yellow,
            error: Color::Red,
            warning: Color::Yellow,
        }
    }
}

/// The most theme files read from the folder.
pub const MAX_THEME_FILES: usize = 100;

/// Built-in themes plus the `*.toml` files in `dir` (a user theme with a built-in's name
/// replaces it). Bad files are reported and skipped.
pub fn load_all(dir: &Path) -> (Vec<Theme>, Vec<ConfigError>) {
    let (themes, files) = load_all_checked(dir);
    (themes, files.into_iter().flat_map(|f| f.errors).collect())
}

/// As [`load_all`], with every file looked at and what was wrong with it. At most
/// [`MAX_THEME_FILES`] are read (in name order); only regular files of a bounded size.
pub fn load_all_checked(dir: &Path) -> (Vec<Theme>, Vec<FileCheck>) {
    let mut themes = Theme::built_in();
    let mut checks = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    if files.len() > MAX_THEME_FILES {
        checks.push(FileCheck {
            file: dir.to_path_buf(),
            found: true,
            errors: vec![ConfigError {
                file: dir.to_path_buf(),
                line: None,
                message: format!(
                    "{} theme files; only the first {MAX_THEME_FILES} are read",
                    files.len()
                ),
            }],
        });
        files.truncate(MAX_THEME_FILES);
    }
    for p in files {
        let errors = match read_user_file(&p) {
            Ok(Some(text)) => match Theme::parse(&text, &p) {
                Ok(t) => {
                    themes.retain(|x| x.name != t.name);
                    themes.push(t);
                    vec![]
                }
                Err(e) => vec![e],
            },
            Ok(None) => continue,
            Err(e) => vec![e],
        };
        checks.push(FileCheck {
            file: p,
            found: true,
            errors,
        });
    }
    (themes, checks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_built_in_themes_light_dark_terminal() {
        let t = Theme::built_in();
        let names: Vec<&str> = t.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, vec!["dark", "light", "terminal"]);
        let term = &t[2];
        assert_eq!(term.background, Color::Reset);
        assert_eq!(term.foreground, Color::Reset);
    }

    #[test]
    fn colours_parse() {
        assert_eq!(parse_color("#ff8000"), Some(Color::Rgb(255, 128, 0)));
        assert_eq!(parse_color("LightBlue"), Some(Color::LightBlue));
        assert_eq!(parse_color("reset"), Some(Color::Reset));
        assert_eq!(parse_color("#ff80"), None);
        assert_eq!(parse_color("chartreuse"), None);
    }

    #[test]
    fn bad_theme_files_are_reported_and_user_themes_load() {
        let dir = tempfile::tempdir().unwrap();
        let dark = include_str!("../../themes/dark.toml");
        std::fs::write(
            dir.path().join("mine.toml"),
            dark.replace("name = \"dark\"", "name = \"mine\""),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("broken.toml"),
            dark.replace("#d8dbe2", "not-a-colour"),
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let (themes, errors) = load_all(dir.path());
        assert!(themes.iter().any(|t| t.name == "mine"));
        assert_eq!(errors.len(), 1);
        let e = &errors[0];
        assert!(e.file.ends_with("broken.toml"));
        assert_eq!(e.line, Some(5), "{e}");
        assert!(e.message.contains("foreground"));
    }
}
