//! Named playlists: each is a playlist file in one folder of the data dir (the file is the
//! playlist: edit it with anything, genreplay reads it back). A new playlist is an M3U8 file
//! created only where no file is; an edit writes the playlist's own file back (temporary
//! file, then rename: a crash never leaves half a playlist), changing only the entries edited
//! — every other line, `#EXTINF` included, stays as it was; a rename never replaces another
//! playlist. Any M3U, M3U8 or PLS file can be imported: its entries that name audio files.
//! A smart playlist is a `NAME.smart` file holding a rule (`smart`); the player fills in its
//! tracks.

pub mod export;
pub mod find;
pub mod format;
pub mod smart;

use std::path::{Path, PathBuf};

use crate::recommend::playlists::{M3uEntry, clean_text, location_line};
use crate::util::private;
pub use export::ExportSource;
pub use find::{Finder, TailIndex};
pub use format::{Edit, PlaylistError, PlaylistFile, read_playlist};

/// What an edit of a playlist file is to the Playlists view's undo: `Plain` is not recorded
/// (a smart playlist's rule); `Do` is a new edit (its inverse goes on the undo stack, the redo
/// stack is emptied), `Undo` and `Redo` take a step back or forward (the inverse goes on the
/// other stack). The text says what the edit did ("removed 'Dawn' from road").
#[derive(Debug, Clone, PartialEq)]
pub enum EditStep {
    Plain,
    Do(String),
    Undo(String),
    Redo(String),
}

/// A saved playlist: its name and the tracks' paths in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Playlist {
    pub name: String,
    pub path: PathBuf,
    pub tracks: Vec<PathBuf>,
    /// A smart playlist's rule (its tracks are filled in by whoever evaluates it).
    pub rule: Option<String>,
}

/// What an import made.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub playlist: Playlist,
    /// Entries left out: they name no audio file (or no file at all).
    pub skipped: usize,
}

/// What the status line and the CLI say of an import.
pub fn imported_message(got: &Imported) -> String {
    let n = got.playlist.tracks.len();
    format!(
        "imported \"{}\" ({n} track{}{})",
        got.playlist.name,
        if n == 1 { "" } else { "s" },
        match got.skipped {
            0 => String::new(),
            k => format!(
                "; {k} entr{} left out: no audio file there",
                if k == 1 { "y" } else { "ies" }
            ),
        }
    )
}

/// The longest file name a playlist gets (in bytes, before `.m3u8`).
const MAX_NAME_BYTES: usize = 200;

/// The file name of a new playlist called `name`: the name itself, with only what a file name
/// cannot hold replaced (`/`, control characters, a leading dot), so different names rarely
/// meet in one file name — and when they do, the second is refused, never written over the
/// first. `None` for a name with nothing left.
pub fn playlist_file_name(name: &str, ext: &str) -> Option<String> {
    let mut s: String = name
        .trim()
        .chars()
        .map(|c| {
            if c == '/' || c.is_control() || crate::util::text::is_layout_control(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    while s.starts_with('.') {
        s.remove(0);
    }
    if s.len() > MAX_NAME_BYTES {
        let mut cut = MAX_NAME_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    let s = s.trim();
    (!s.is_empty()).then(|| format!("{s}.{ext}"))
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

    /// The folder, made (mode 0700) when missing; an existing one is left as it is (it may be
    /// a folder of the user's that other programs read).
    fn ensure(&self) -> Result<(), PlaylistError> {
        if self.dir.is_dir() {
            return Ok(());
        }
        private::private_dir(&self.dir).map_err(|e| PlaylistError::Write {
            path: self.dir.clone(),
            error: std::io::Error::other(e.to_string()),
        })
    }

    /// `path`, when it is a file of this folder.
    fn own(&self, path: &Path) -> Result<(), PlaylistError> {
        if path.parent() == Some(self.dir.as_path()) {
            Ok(())
        } else {
            Err(PlaylistError::Outside(path.to_path_buf()))
        }
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
            if !matches!(
                ext.as_deref(),
                Some("m3u8" | "m3u" | "pls" | smart::SMART_EXT)
            ) {
                continue;
            }
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with('.') {
                continue;
            }
            if ext.as_deref() == Some(smart::SMART_EXT) {
                match smart::read_rule(&path) {
                    Ok(rule) => lists.push(Playlist {
                        name,
                        path,
                        tracks: vec![],
                        rule: Some(rule),
                    }),
                    Err(e) => problems.push(e.to_string()),
                }
                continue;
            }
            match read_playlist(&path) {
                Ok(tracks) => lists.push(Playlist {
                    name,
                    path,
                    tracks,
                    rule: None,
                }),
                Err(PlaylistError::Empty(_)) => lists.push(Playlist {
                    name,
                    path,
                    tracks: vec![],
                    rule: None,
                }),
                Err(e) => problems.push(e.to_string()),
            }
        }
        lists.sort_by_key(|p| p.name.to_lowercase());
        (lists, problems)
    }

    /// Saves `entries` as a new playlist `name`; refused when a playlist file of that name
    /// exists (nothing is written over it).
    pub fn save(&self, name: &str, entries: &[M3uEntry]) -> Result<PathBuf, PlaylistError> {
        let file_name = playlist_file_name(name, "m3u8").ok_or(PlaylistError::NoName)?;
        self.ensure()?;
        let file = self.dir.join(&file_name);
        self.write_new(&file, name.trim(), &m3u8_text(entries))?;
        Ok(file)
    }

    fn write_new(&self, file: &Path, name: &str, bytes: &[u8]) -> Result<(), PlaylistError> {
        private::write_new(file, bytes).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                PlaylistError::Exists(name.to_string())
            } else {
                PlaylistError::Write {
                    path: file.to_path_buf(),
                    error: e,
                }
            }
        })
    }

    /// Applies `edit` to the playlist file at `path` (a file of this folder), read afresh:
    /// the file is written back in its own format under its own name, with every entry that
    /// stays as it was. Returns the edit that undoes it (none for a rule).
    pub fn edit(&self, path: &Path, edit: &Edit) -> Result<Option<Edit>, PlaylistError> {
        self.own(path)?;
        if let Edit::Rule { rule, create } = edit {
            return self.write_rule(path, rule, *create).map(|()| None);
        }
        let mut file = PlaylistFile::read(path)?;
        let undo = file.apply(edit, path)?;
        private::replace(path, &file.to_bytes()).map_err(|error| PlaylistError::Write {
            path: path.to_path_buf(),
            error,
        })?;
        Ok(Some(undo))
    }

    /// Writes a smart playlist's rule to `path` (a `.smart` file of this folder): a new file
    /// when `create` (refused when one is there), else the file replaced.
    fn write_rule(&self, path: &Path, rule: &str, create: bool) -> Result<(), PlaylistError> {
        if path.extension().and_then(|e| e.to_str()) != Some(smart::SMART_EXT) {
            return Err(PlaylistError::Outside(path.to_path_buf()));
        }
        let bytes = smart::rule_text(rule);
        if create {
            self.ensure()?;
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            return self.write_new(path, &name, &bytes);
        }
        private::replace(path, &bytes).map_err(|error| PlaylistError::Write {
            path: path.to_path_buf(),
            error,
        })
    }

    /// The file a new smart playlist called `name` gets.
    pub fn smart_path(&self, name: &str) -> Option<PathBuf> {
        playlist_file_name(name, smart::SMART_EXT).map(|f| self.dir.join(f))
    }

    /// Adds `entries` at the end of the playlist called `name` (its file written back, every
    /// line it had kept), or saves them as a new playlist when none has that name (the exact
    /// name first, else the one name that matches in any case). A smart playlist is refused:
    /// its tracks come from its rule. Returns what the status line says.
    pub fn append(&self, name: &str, entries: &[M3uEntry]) -> Result<Appended, PlaylistError> {
        let name = name.trim();
        let (lists, _) = self.load_all();
        let exact = lists.iter().find(|p| p.name == name);
        let lower = name.to_lowercase();
        let mut like = lists.iter().filter(|p| p.name.to_lowercase() == lower);
        let found = exact.or_else(|| match (like.next(), like.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        });
        let n = entries.len();
        let Some(p) = found else {
            self.save(name, entries)?;
            return Ok(Appended {
                said: format!("made the new playlist \"{name}\" with {}", tracks_n(n)),
                undo: None,
            });
        };
        if p.rule.is_some() {
            return Err(PlaylistError::Smart(p.path.clone()));
        }
        let mut file = PlaylistFile::read(&p.path)?;
        if file.truncated || file.entries.len() + n > format::MAX_ENTRIES {
            return Err(PlaylistError::TooMany(p.path.clone()));
        }
        for e in entries {
            let abs = std::path::absolute(&e.path).unwrap_or_else(|_| e.path.clone());
            let secs = e
                .duration_secs
                .filter(|d| d.is_finite() && *d >= 0.0 && *d < 1e9)
                .map(|d| d.round() as i64);
            file.push_entry(e.path.clone(), secs, &shown(e), &location_line(&abs));
        }
        private::replace(&p.path, &file.to_bytes()).map_err(|error| PlaylistError::Write {
            path: p.path.clone(),
            error,
        })?;
        let paths: Vec<PathBuf> = entries.iter().map(|e| e.path.clone()).collect();
        Ok(Appended {
            said: format!(
                "added {} to \"{}\" (now {})",
                tracks_n(n),
                p.name,
                tracks_n(file.tracks().len())
            ),
            undo: (!paths.is_empty()).then(|| AppendUndo {
                path: p.path.clone(),
                edit: Edit::Truncate { paths },
                what: format!("added {} to {}", tracks_n(n), p.name),
            }),
        })
    }

    /// Renames playlist `from` to `to`: the same file (its format and contents unchanged)
    /// under the new name; refused when a playlist file of that name exists.
    pub fn rename(&self, from: &Path, to: &str) -> Result<PathBuf, PlaylistError> {
        self.own(from)?;
        let ext = from
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_else(|| "m3u8".into());
        let file_name = playlist_file_name(to, &ext).ok_or(PlaylistError::NoName)?;
        let target = self.dir.join(file_name);
        if target == from {
            return Ok(target);
        }
        private::rename_new(from, &target).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                PlaylistError::Exists(to.trim().to_string())
            } else {
                PlaylistError::Write {
                    path: from.to_path_buf(),
                    error: e,
                }
            }
        })?;
        Ok(target)
    }

    /// Deletes the playlist file at `path` (inside this folder only).
    pub fn delete(&self, path: &Path) -> Result<(), PlaylistError> {
        self.own(path)?;
        std::fs::remove_file(path).map_err(|error| PlaylistError::Write {
            path: path.to_path_buf(),
            error,
        })
    }

    /// Imports the M3U, M3U8 or PLS file at `file` as a new playlist called `name` (else the
    /// file's name; made unique). Only entries `finder` finds a playable file for are kept
    /// (as written, in their Windows form, or a library track they end like:
    /// [`find::locate`]), with what the file says of them: `#EXTINF`'s length and
    /// `artist - title`, PLS titles and lengths. A file with none is refused.
    pub fn import(
        &self,
        file: &Path,
        name: Option<&str>,
        finder: &dyn Finder,
    ) -> Result<Imported, PlaylistError> {
        let source = PlaylistFile::read(file)?;
        if source.truncated {
            return Err(PlaylistError::TooMany(file.to_path_buf()));
        }
        if source.entries.is_empty() {
            return Err(PlaylistError::Empty(file.to_path_buf()));
        }
        let base = file.parent().unwrap_or(Path::new("/"));
        let base = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
        let mut skipped = 0;
        let mut entries = Vec::new();
        for e in &source.entries {
            let found = e
                .path
                .as_deref()
                .and_then(|p| find::locate(p, &base, finder));
            let Some(p) = found else {
                skipped += 1;
                continue;
            };
            // The file's own words for it (`#EXTINF:30,Someone - Rock zero` stays so), else
            // the file's name.
            let title = e.title.clone().filter(|t| !t.trim().is_empty());
            entries.push(M3uEntry {
                duration_secs: e.secs.map(|s| s as f64),
                artist: String::new(),
                title: title.unwrap_or_else(|| {
                    p.file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default()
                }),
                path: p,
            });
        }
        if entries.is_empty() {
            return Err(PlaylistError::NoPlayable(file.to_path_buf()));
        }
        let stem = match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => n.to_string(),
            None => file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "imported".into()),
        };
        self.ensure()?;
        let bytes = m3u8_text(&entries);
        let tracks: Vec<PathBuf> = entries.into_iter().map(|e| e.path).collect();
        // The first free name: "stem", "stem (2)", … (never written over another playlist).
        for n in 1..=1000 {
            let name = if n == 1 {
                stem.clone()
            } else {
                format!("{stem} ({n})")
            };
            let file_name = playlist_file_name(&name, "m3u8").ok_or(PlaylistError::NoName)?;
            let path = self.dir.join(file_name);
            match self.write_new(&path, &name, &bytes) {
                Ok(()) => {
                    return Ok(Imported {
                        playlist: Playlist {
                            name,
                            path,
                            tracks,
                            rule: None,
                        },
                        skipped,
                    });
                }
                Err(PlaylistError::Exists(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(PlaylistError::Exists(stem))
    }
}

/// A new M3U8 playlist's text: `#EXTM3U`, then `#EXTINF:<secs>,<artist - title or title>` and
/// the track's absolute path (or `file://` URI) per entry.
fn m3u8_text(entries: &[M3uEntry]) -> Vec<u8> {
    let mut text = String::from("#EXTM3U\n");
    for e in entries {
        let secs = e
            .duration_secs
            .filter(|d| d.is_finite() && *d >= 0.0 && *d < 1e9)
            .map_or(-1, |d| d.round() as i64);
        let shown = shown(e);
        let abs = std::path::absolute(&e.path).unwrap_or_else(|_| e.path.clone());
        text.push_str(&format!(
            "#EXTINF:{secs},{shown}\n{}\n",
            location_line(&abs)
        ));
    }
    text.into_bytes()
}

use crate::util::text::tracks_n;

/// What an `#EXTINF` line shows of an entry: `artist - title`, or the title alone.
fn shown(e: &M3uEntry) -> String {
    if e.artist.is_empty() {
        clean_text(&e.title)
    } else {
        format!("{} - {}", clean_text(&e.artist), clean_text(&e.title))
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
        let f = pl.save("Road trip", &entries_of(&tracks)).unwrap();
        assert!(matches!(
            pl.save("Road trip", &entries_of(&tracks)),
            Err(PlaylistError::Exists(_))
        ));
        let (all, problems) = pl.load_all();
        assert!(problems.is_empty());
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].name, "Road trip");
        assert_eq!(all[0].tracks, tracks);
        let g = pl.rename(&f, "Holiday").unwrap();
        assert!(!f.exists() && g.exists());
        let pls = d.path().join("old.pls");
        std::fs::write(&pls, "[playlist]\nFile1=/music/c.ogg\nNumberOfEntries=1\n").unwrap();
        let all_files = |_: &Path| true;
        let imported = pl.import(&pls, None, &all_files).unwrap();
        assert_eq!(imported.playlist.name, "old");
        assert_eq!(
            imported.playlist.tracks,
            vec![PathBuf::from("/music/c.ogg")]
        );
        assert_eq!(
            pl.import(&pls, None, &all_files).unwrap().playlist.name,
            "old (2)"
        );
        assert!(pl.delete(&pls).is_err(), "only files of the folder");
        pl.delete(&g).unwrap();
        assert_eq!(pl.load_all().0.len(), 2);
    }

    #[test]
    fn names_that_meet_in_one_file_never_overwrite_each_other() {
        let d = tempfile::tempdir().unwrap();
        let pl = PlaylistDir::new(d.path());
        let one = vec![PathBuf::from("/m/one.flac")];
        let a = pl.save("Rock & Roll", &entries_of(&one)).unwrap();
        assert!(a.ends_with("Rock & Roll.m3u8"), "{}", a.display());
        let b = pl.save("Rock _ Roll", &entries_of(&one)).unwrap();
        assert_ne!(a, b);
        assert!(matches!(
            pl.rename(&b, "Rock & Roll"),
            Err(PlaylistError::Exists(_))
        ));
        assert!(b.exists() && a.exists());
        assert!(matches!(
            pl.save("a/b", &entries_of(&one)),
            Ok(p) if p.ends_with("a_b.m3u8")
        ));
        assert!(matches!(
            pl.save(" .. ", &entries_of(&one)),
            Err(PlaylistError::NoName)
        ));
        assert_eq!(
            playlist_file_name("x\u{1b}]0;t\u{7}", "m3u8").as_deref(),
            Some("x_]0;t_.m3u8")
        );
    }

    #[test]
    fn an_import_keeps_what_plays_and_refuses_a_file_with_none() {
        let d = tempfile::tempdir().unwrap();
        let pl = PlaylistDir::new(d.path().join("lists"));
        let text = d.path().join("shadow");
        std::fs::write(
            &text,
            "root:$6$x:19000:0:99999:7:::\ndaemon:*:19000::::::\n",
        )
        .unwrap();
        let nothing = |_: &Path| false;
        assert!(matches!(
            pl.import(&text, None, &nothing),
            Err(PlaylistError::NoPlayable(_))
        ));
        assert!(!pl.dir().exists() || pl.load_all().0.is_empty());
        let m3u = d.path().join("mix.m3u");
        std::fs::write(
            &m3u,
            "#EXTM3U\n#EXTINF:61,Beta - Rain\n/m/rain.flac\n/etc/passwd\n#EXTINF:5,Gone\n/m/gone.mp3\n",
        )
        .unwrap();
        let only_rain = |p: &Path| p == Path::new("/m/rain.flac");
        let got = pl.import(&m3u, Some("My mix"), &only_rain).unwrap();
        assert_eq!(got.skipped, 2);
        assert_eq!(got.playlist.name, "My mix");
        assert_eq!(
            std::fs::read_to_string(&got.playlist.path).unwrap(),
            "#EXTM3U\n#EXTINF:61,Beta - Rain\n/m/rain.flac\n"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&got.playlist.path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    use super::find::tests::Lib;

    #[test]
    fn an_import_keeps_extinf_and_finds_windows_paths_in_the_library() {
        let d = tempfile::tempdir().unwrap();
        let root = std::path::absolute(d.path()).unwrap();
        let rock = root.join("lib/rock/rock.00000.flac");
        let disco = root.join("lib/disco/disco.00002.flac");
        let lib = Lib::of([rock.clone(), disco.clone()]);
        let m3u = root.join("win.m3u");
        std::fs::write(
            &m3u,
            "#EXTM3U\r\n#EXTINF:30,Someone - Rock zero\r\nlib\\rock\\rock.00000.flac\r\n\
             #EXTINF:31,\r\nC:\\Users\\me\\Music\\lib\\disco\\disco.00002.flac\r\n\
             D:\\elsewhere\\gone.flac\r\n",
        )
        .unwrap();
        let pl = PlaylistDir::new(root.join("lists"));
        let got = pl.import(&m3u, None, &lib).unwrap();
        assert_eq!(got.skipped, 1);
        assert_eq!(got.playlist.tracks, [rock.clone(), disco.clone()]);
        assert_eq!(
            std::fs::read_to_string(&got.playlist.path).unwrap(),
            format!(
                "#EXTM3U\n#EXTINF:30,Someone - Rock zero\n{}\n#EXTINF:31,disco.00002\n{}\n",
                rock.display(),
                disco.display()
            )
        );
    }

    #[test]
    fn append_adds_in_the_files_own_format_and_makes_a_new_playlist_for_a_new_name() {
        let d = tempfile::tempdir().unwrap();
        let pl = PlaylistDir::new(d.path());
        let pls = d.path().join("old.pls");
        std::fs::write(
            &pls,
            "[playlist]\nFile1=/m/a.mp3\nTitle1=A\nNumberOfEntries=1\nVersion=2\n",
        )
        .unwrap();
        let add = [M3uEntry {
            path: "/m/b.flac".into(),
            duration_secs: Some(61.2),
            artist: "Beta".into(),
            title: "Rain".into(),
        }];
        let got = pl.append("OLD", &add).unwrap();
        assert_eq!(
            got.said, "added 1 track to \"old\" (now 2 tracks)",
            "the one name alike in any case"
        );
        let added = "[playlist]\nFile1=/m/a.mp3\nTitle1=A\nFile2=/m/b.flac\nTitle2=Beta - Rain\nLength2=61\nNumberOfEntries=2\nVersion=2\n";
        assert_eq!(std::fs::read_to_string(&pls).unwrap(), added);
        // Its undo takes the entry back; the undo of that puts it back.
        let undo = got.undo.unwrap();
        assert_eq!(undo.what, "added 1 track to old");
        let redo = pl.edit(&undo.path, &undo.edit).unwrap().unwrap();
        assert_eq!(
            std::fs::read_to_string(&pls).unwrap(),
            "[playlist]\nFile1=/m/a.mp3\nTitle1=A\nNumberOfEntries=1\nVersion=2\n"
        );
        pl.edit(&undo.path, &redo).unwrap();
        assert_eq!(std::fs::read_to_string(&pls).unwrap(), added);
        let got = pl.append(" new one ", &add).unwrap();
        assert_eq!(got.said, "made the new playlist \"new one\" with 1 track");
        assert_eq!(got.undo, None);
        assert_eq!(
            read_playlist(&d.path().join("new one.m3u8")).unwrap(),
            [PathBuf::from("/m/b.flac")]
        );
        std::fs::write(d.path().join("r.smart"), "genre:rock\n").unwrap();
        assert!(matches!(pl.append("r", &add), Err(PlaylistError::Smart(_))));
    }
}

/// What [`PlaylistDir::append`] did: what the status line says, and for tracks added to an
/// existing playlist, the edit that takes them back.
#[derive(Debug, Clone, PartialEq)]
pub struct Appended {
    pub said: String,
    pub undo: Option<AppendUndo>,
}

/// The edit that takes an append back (`Edit::Truncate` of the file at `path`), and what the
/// append did, in words for the undo's status line.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendUndo {
    pub path: PathBuf,
    pub edit: Edit,
    pub what: String,
}
