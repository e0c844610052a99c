//! Finding an imported entry's file: as written, else as another system wrote it — a Windows
//! path (`lib\disco\a.flac`, `C:\Music\lib\disco\a.flac`) read with `/` — else the library
//! track whose path ends the same way (the most trailing folders alike; the same case first,
//! then any case; never a guess between two equally good tracks).

use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The longest entry looked at for a Windows form or a tail (bytes).
const MAX_FOREIGN_BYTES: usize = 4096;
/// The most trailing components compared.
const MAX_TAIL_PARTS: usize = 64;

/// What an import asks of the library.
pub trait Finder {
    /// Whether `path` is something to play (a library track, or an audio file there).
    fn playable(&self, path: &Path) -> bool;
    /// The library track whose path ends with `parts` (see [`TailIndex::find`]).
    fn by_tail(&self, _parts: &[&[u8]]) -> Option<PathBuf> {
        None
    }
}

impl<F: Fn(&Path) -> bool> Finder for F {
    fn playable(&self, path: &Path) -> bool {
        self(path)
    }
}

/// The file an entry of a playlist in folder `base` names, read at `path`: itself when it
/// plays, else its Windows form, else the library track it ends like. `None`: nothing found.
pub fn locate(path: &Path, base: &Path, finder: &dyn Finder) -> Option<PathBuf> {
    if finder.playable(path) {
        return Some(path.to_path_buf());
    }
    let bytes = path.as_os_str().as_bytes();
    if bytes.len() > MAX_FOREIGN_BYTES {
        return None;
    }
    // What the file had: the path relative to the playlist's folder when it was relative.
    let written = path
        .strip_prefix(base)
        .map_or(bytes, |r| r.as_os_str().as_bytes());
    let windows = written.contains(&b'\\');
    let mut text: Vec<u8> = written
        .iter()
        .map(|&b| if b == b'\\' { b'/' } else { b })
        .collect();
    let drive = text.len() >= 3 && text[0].is_ascii_alphabetic() && &text[1..3] == b":/";
    if windows && drive {
        text.drain(..2);
    }
    if windows && !drive && !text.starts_with(b"/") {
        let alt = base.join(OsStr::from_bytes(&text));
        if finder.playable(&alt) {
            return Some(alt);
        }
    }
    let parts: Vec<&[u8]> = text
        .split(|&b| b == b'/')
        .filter(|p| !p.is_empty() && *p != b"." && *p != b"..")
        .collect();
    let from = parts.len().saturating_sub(MAX_TAIL_PARTS);
    finder.by_tail(&parts[from..])
}

/// The library's paths by file name, for [`locate`]'s last resort.
#[derive(Debug, Default)]
pub struct TailIndex {
    exact: HashMap<Vec<u8>, Vec<PathBuf>>,
    lower: HashMap<Vec<u8>, Vec<PathBuf>>,
}

impl TailIndex {
    pub fn new(paths: impl IntoIterator<Item = PathBuf>) -> Self {
        let mut ix = TailIndex::default();
        for p in paths {
            let Some(name) = p.file_name().map(|n| n.as_bytes().to_vec()) else {
                continue;
            };
            ix.lower
                .entry(name.to_ascii_lowercase())
                .or_default()
                .push(p.clone());
            ix.exact.entry(name).or_default().push(p);
        }
        ix
    }

    /// The one track whose path ends with the most of `parts` (at least the file's name and
    /// its folder, when `parts` has a folder): compared as they are first, then in any case.
    pub fn find(&self, parts: &[&[u8]]) -> Option<PathBuf> {
        let name = parts.last()?;
        let need = parts.len().min(2);
        let exact = |a: &[u8], b: &[u8]| a == b;
        let any_case = |a: &[u8], b: &[u8]| a.eq_ignore_ascii_case(b);
        let same: Option<PathBuf> = self
            .exact
            .get(*name)
            .and_then(|c| best(c, parts, need, &exact));
        same.or_else(|| {
            self.lower
                .get(&name.to_ascii_lowercase())
                .and_then(|c| best(c, parts, need, &any_case))
        })
    }
}

/// Of `candidates`, the one that ends with the most of `parts` (at least `need`); none when
/// two tie.
fn best(
    candidates: &[PathBuf],
    parts: &[&[u8]],
    need: usize,
    eq: &dyn Fn(&[u8], &[u8]) -> bool,
) -> Option<PathBuf> {
    let mut top: Option<(usize, &PathBuf)> = None;
    let mut tie = false;
    for c in candidates {
        let alike = c
            .components()
            .rev()
            .zip(parts.iter().rev())
            .take_while(|(a, b)| eq(a.as_os_str().as_bytes(), b))
            .count();
        if alike < need {
            continue;
        }
        match top {
            Some((n, _)) if n > alike => {}
            Some((n, _)) if n == alike => tie = true,
            _ => {
                top = Some((alike, c));
                tie = false;
            }
        }
    }
    if tie {
        None
    } else {
        top.map(|(_, p)| p.clone())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A library for the tests: these paths play, and are found by their tails.
    pub(crate) struct Lib(Vec<PathBuf>, TailIndex);

    impl Lib {
        pub(crate) fn of(paths: impl IntoIterator<Item = PathBuf>) -> Lib {
            let v: Vec<PathBuf> = paths.into_iter().collect();
            Lib(v.clone(), TailIndex::new(v))
        }
    }

    impl Finder for Lib {
        fn playable(&self, path: &Path) -> bool {
            self.0.iter().any(|p| p == path)
        }
        fn by_tail(&self, parts: &[&[u8]]) -> Option<PathBuf> {
            self.1.find(parts)
        }
    }

    fn lib(paths: &[&str]) -> Lib {
        Lib::of(paths.iter().map(PathBuf::from))
    }

    #[test]
    fn windows_paths_and_tails_find_library_tracks() {
        let l = lib(&[
            "/m/lib/disco/disco.00002.flac",
            "/m/lib/Rock/a.flac",
            "/m/other/rock/a.flac",
            "/m/x/one/same.flac",
            "/m/y/one/same.flac",
        ]);
        let base = Path::new("/m");
        let at = |s: &str| locate(&base.join(s), base, &l);
        assert_eq!(
            at("lib\\disco\\disco.00002.flac"),
            Some(PathBuf::from("/m/lib/disco/disco.00002.flac")),
            "relative, read with /"
        );
        assert_eq!(
            locate(Path::new("/m/lib/disco/disco.00002.flac"), base, &l),
            Some(PathBuf::from("/m/lib/disco/disco.00002.flac"))
        );
        assert_eq!(
            at("C:\\Users\\me\\Music\\lib\\disco\\disco.00002.flac"),
            Some(PathBuf::from("/m/lib/disco/disco.00002.flac")),
            "a drive path by its tail"
        );
        // The same case first: "Rock" is lib's, "rock" other's.
        assert_eq!(
            at("D:\\Rock\\a.flac"),
            Some(PathBuf::from("/m/lib/Rock/a.flac"))
        );
        assert_eq!(
            at("D:\\rock\\a.flac"),
            Some(PathBuf::from("/m/other/rock/a.flac"))
        );
        assert_eq!(
            at("D:\\ROCK\\A.FLAC"),
            None,
            "two tracks alike in any case: no guess"
        );
        assert_eq!(at("E:\\one\\same.flac"), None, "two equally good: no guess");
        assert_eq!(
            at("E:\\x\\one\\same.flac"),
            Some(PathBuf::from("/m/x/one/same.flac"))
        );
        assert_eq!(
            at("E:\\elsewhere\\same.flac"),
            None,
            "the folder must match too"
        );
        assert_eq!(at("C:\\"), None);
        assert_eq!(at("\\\\\\..\\."), None);
        let long = format!("C:\\{}", "a\\".repeat(5000));
        assert_eq!(at(&long), None);
    }
}
