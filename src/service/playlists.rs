//! Writing a playlist the player asked for, off the UI thread, and what an import keeps.

use std::path::Path;

use crate::library::TrackId;
use crate::playlist::{PlaylistDir, PlaylistError};
use crate::recommend::playlists::{M3uEntry, file_name, m3u8_text};
use crate::store::Store;
use crate::util::private;

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

/// Writes `entries` into `dir` as `<name>.m3u8` (or `<name> (2).m3u8`… : never over a file
/// that is there, however close two exports come). Returns the status line text and whether
/// it is an error.
pub fn export_playlist(
    dir: &Path,
    root: &Path,
    name: &str,
    entries: &[M3uEntry],
) -> (String, bool) {
    if !dir.is_dir()
        && let Err(e) = private::private_dir(dir)
    {
        return (e.to_string(), true);
    }
    let base = file_name(name);
    let stem = base.trim_end_matches(".m3u8").to_string();
    for n in 1..=1000 {
        let file = if n == 1 {
            dir.join(&base)
        } else {
            dir.join(format!("{stem} ({n}).m3u8"))
        };
        let text = m3u8_text(&file, entries, Some(root));
        match private::write_new(&file, text.as_bytes()) {
            Ok(()) => {
                return (
                    format!(
                        "wrote {} ({})",
                        file.display(),
                        crate::app::session::tracks_n(entries.len())
                    ),
                    false,
                );
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return (format!("{}: {e}", file.display()), true),
        }
    }
    (
        format!("{}: 1000 playlists of that name already", dir.display()),
        true,
    )
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
