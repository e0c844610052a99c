//! Writing a playlist the player asked for, off the UI thread, and what an import keeps.

use std::path::Path;

use crate::library::TrackId;
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
