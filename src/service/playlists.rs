//! Writing a playlist the player asked for, off the UI thread, and what an import keeps.

use std::path::{Path, PathBuf};

use crate::library::TrackId;
use crate::playlist::{
    ExportSource, Finder, PlaylistDir, PlaylistError, TailIndex, playlist_file_name,
};
use crate::recommend::playlists::{M3uEntry, m3u8_text};
use crate::store::Store;
use crate::util::private;

/// Held while the player changes its playlist folder (one change at a time).
pub static FOLDER_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Whether `path` is something to play: a track of the library (`store`), or a regular,
/// non-empty file with an audio extension whose first bytes a decoder reads
/// ([`crate::audio::header::looks_decodable`]). What a playlist import keeps (the Playlists
/// view's `I` and `genreplay playlists --import`).
pub fn is_playable(store: Option<&Store>, path: &Path) -> bool {
    let in_library = store.is_some_and(|s| {
        s.track(TrackId::of_path(path))
            .ok()
            .flatten()
            .is_some_and(|r| r.path() == path)
    });
    in_library || (crate::audio::is_audio_path(path) && crate::audio::header::looks_decodable(path))
}

/// What an import finds its entries' files with: [`is_playable`], and the library's tracks by
/// the end of their paths (read from the store the first time an entry is not found as
/// written).
pub struct LibraryFinder<'a> {
    store: Option<&'a Store>,
    index: std::cell::OnceCell<TailIndex>,
}

impl<'a> LibraryFinder<'a> {
    pub fn new(store: Option<&'a Store>) -> Self {
        LibraryFinder {
            store,
            index: std::cell::OnceCell::new(),
        }
    }
}

impl Finder for LibraryFinder<'_> {
    fn playable(&self, path: &Path) -> bool {
        is_playable(self.store, path)
    }

    fn by_tail(&self, parts: &[&[u8]]) -> Option<PathBuf> {
        let store = self.store?;
        let index = self.index.get_or_init(|| {
            let mut paths = Vec::new();
            if let Err(e) = store.for_each_track(|_, r| paths.push(r.path())) {
                tracing::warn!("reading the library's tracks for an import: {e}");
            }
            TailIndex::new(paths)
        });
        index.find(parts)
    }
}

/// Writes `entries` into `dir` as the playlist of `source` (`metal.m3u8`, with its marker
/// line): a file there that this export wrote before is updated (written over whole); any
/// other file of that name is the user's and never written over — the export takes the first
/// free name (`metal (2)`) or the one of those it wrote before. Returns what the status line
/// says.
pub fn export_playlist(
    dir: &Path,
    root: &Path,
    source: &ExportSource,
    entries: &[M3uEntry],
) -> Result<String, PlaylistError> {
    let write_err = |path: &Path, error| PlaylistError::Write {
        path: path.to_path_buf(),
        error,
    };
    if !dir.is_dir() {
        private::private_dir(dir)
            .map_err(|e| write_err(dir, std::io::Error::other(e.to_string())))?;
    }
    let stem = source.name();
    let n_tracks = crate::app::session::tracks_n(entries.len());
    for n in 1..=1000 {
        let name = if n == 1 {
            stem.clone()
        } else {
            format!("{stem} ({n})")
        };
        let file_name = playlist_file_name(&name, "m3u8").ok_or(PlaylistError::NoName)?;
        let file = dir.join(file_name);
        let text = export_text(&file, root, source, entries);
        if file.symlink_metadata().is_ok() {
            if !source.wrote(&file) {
                continue;
            }
            private::replace(&file, &text).map_err(|e| write_err(&file, e))?;
            return Ok(format!("updated playlist {name} ({n_tracks})"));
        }
        match private::write_new(&file, &text) {
            Ok(()) => {
                return Ok(format!(
                    "wrote playlist {name} ({n_tracks}): {}",
                    file.display()
                ));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(write_err(&file, e)),
        }
    }
    Err(PlaylistError::Exists(stem))
}

/// An export's text: `#EXTM3U`, the marker line, then the entries.
fn export_text(file: &Path, root: &Path, source: &ExportSource, entries: &[M3uEntry]) -> Vec<u8> {
    let text = m3u8_text(file, entries, Some(root));
    let body = text.strip_prefix("#EXTM3U\n").unwrap_or(&text);
    format!("#EXTM3U\n{}\n{body}", source.marker()).into_bytes()
}

/// Writes the playlists an earlier build kept in the database ([`Store::unwritten_playlists`])
/// into the playlist folder as M3U8 files, once (the player's start). A file is never written
/// over: a name that is taken keeps its file, and the database's playlist stays where it was
/// (the old tree and the plain-file copy are never deleted). A write that fails is tried
/// again at the next start.
pub fn write_old_playlists(store: &Store, dir: &Path) {
    let lists = match store.unwritten_playlists() {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!("reading the playlists of an earlier genreplay: {e}");
            return;
        }
    };
    if lists.is_empty() {
        return;
    }
    let dir = PlaylistDir::new(dir);
    let mut done = true;
    for p in &lists {
        let entries: Vec<M3uEntry> = p
            .tracks
            .iter()
            .filter_map(|id| store.track(*id).ok().flatten())
            .map(|r| M3uEntry::of_track(&r))
            .collect();
        match dir.save(&p.name, &entries) {
            Ok(file) => {
                tracing::info!(file = %file.display(), "wrote a playlist of an earlier genreplay")
            }
            Err(PlaylistError::Exists(name)) => tracing::warn!(
                "a playlist file for \"{name}\" is there already: it was left as it is (the database keeps its own copy)"
            ),
            Err(e) => {
                tracing::warn!("writing the playlist \"{}\": {e}", p.name);
                done = false;
            }
        }
    }
    if done && let Err(e) = store.mark_playlists_written() {
        tracing::warn!("{e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::TrackRecord;
    use crate::store::{USER_STATE_FILE, UserPlaylist, read_user_state};

    fn entry(path: &str, title: &str) -> M3uEntry {
        M3uEntry {
            path: path.into(),
            duration_secs: Some(30.0),
            artist: String::new(),
            title: title.into(),
        }
    }

    #[test]
    fn an_export_updates_the_file_it_wrote_and_never_the_users() {
        let d = tempfile::tempdir().unwrap();
        let (dir, root) = (d.path().join("playlists"), d.path().join("music"));
        let metal = ExportSource::Genre("metal".into());
        let said = export_playlist(&dir, &root, &metal, &[entry("/m/a.flac", "A")]).unwrap();
        assert!(said.starts_with("wrote playlist metal (1 track)"), "{said}");
        let file = dir.join("metal.m3u8");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "#EXTM3U\n#GENREPLAY-EXPORT:genre=metal\n#EXTINF:30,A\n/m/a.flac\n"
        );
        let two = [entry("/m/a.flac", "A"), entry("/m/b.flac", "B")];
        let said = export_playlist(&dir, &root, &metal, &two).unwrap();
        assert_eq!(said, "updated playlist metal (2 tracks)");
        assert!(!dir.join("metal (2).m3u8").exists());
        let (lists, _) = PlaylistDir::new(&dir).load_all();
        assert_eq!(lists.len(), 1);
        assert_eq!(lists[0].tracks.len(), 2);
        // The user's own "jazz" is never written over: the export takes "jazz (2)", then
        // updates that one.
        let jazz = ExportSource::Genre("jazz".into());
        std::fs::write(dir.join("jazz.m3u8"), "#EXTM3U\n/mine.flac\n").unwrap();
        for _ in 0..2 {
            export_playlist(&dir, &root, &jazz, &two).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(dir.join("jazz.m3u8")).unwrap(),
            "#EXTM3U\n/mine.flac\n"
        );
        assert!(jazz.wrote(&dir.join("jazz (2).m3u8")));
        assert!(!dir.join("jazz (3).m3u8").exists());
        // A smart playlist's snapshot has a name of its own; a style's too.
        let said = export_playlist(&dir, &root, &ExportSource::Smart("road".into()), &two).unwrap();
        assert!(said.starts_with("wrote playlist road (snapshot)"), "{said}");
        assert!(dir.join("road (snapshot).m3u8").exists());
        export_playlist(&dir, &root, &ExportSource::Style("rock".into()), &two).unwrap();
        assert!(dir.join("style - rock.m3u8").exists());
        // Hostile: a FIFO or a folder of that name is not an export: left alone.
        std::fs::create_dir(dir.join("queue.m3u8")).unwrap();
        let said = export_playlist(&dir, &root, &ExportSource::Queue, &two).unwrap();
        assert!(said.starts_with("wrote playlist queue (2)"), "{said}");
    }

    #[test]
    fn playlists_of_an_earlier_build_become_files_once_and_never_replace_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let track = TrackRecord {
            path: b"/music/a song.flac".to_vec(),
            size: 1,
            mtime_ns: 2,
            tags: Default::default(),
            tag_error: None,
            added_unix: 3,
        };
        store.put_tracks(std::slice::from_ref(&track)).unwrap();
        // The plain-file copy as an earlier build left it: two playlists.
        let file = dir.path().join("db").join(USER_STATE_FILE);
        let mut state = read_user_state(&file).unwrap();
        for name in ["road", "taken"] {
            state.playlists.push(UserPlaylist {
                name: name.into(),
                tracks: vec![track.id().hex()],
                updated_unix: 1,
            });
        }
        std::fs::write(&file, serde_json::to_vec(&state).unwrap()).unwrap();
        let lists = dir.path().join("playlists");
        std::fs::create_dir(&lists).unwrap();
        std::fs::write(lists.join("taken.m3u8"), b"#EXTM3U\n/mine.mp3\n").unwrap();

        write_old_playlists(&store, &lists);
        let road = std::fs::read_to_string(lists.join("road.m3u8")).unwrap();
        assert!(road.contains("/music/a song.flac"), "{road}");
        assert_eq!(
            std::fs::read(lists.join("taken.m3u8")).unwrap(),
            b"#EXTM3U\n/mine.mp3\n",
            "a file that was there is left as it is"
        );
        // Once: a playlist file deleted afterwards does not come back; the copy keeps both.
        assert!(store.unwritten_playlists().unwrap().is_empty());
        std::fs::remove_file(lists.join("road.m3u8")).unwrap();
        write_old_playlists(&store, &lists);
        assert!(!lists.join("road.m3u8").exists());
        assert_eq!(read_user_state(&file).unwrap().playlists.len(), 2);
    }
}
