//! Writing a playlist the player asked for, off the UI thread.

use std::path::Path;

use crate::recommend::playlists::{M3uEntry, file_name, write_m3u8};

/// Writes `entries` into `dir` as `<name>.m3u8` (or `<name> (2).m3u8`… rather than replacing
/// a file). Returns the status line text and whether it is an error.
pub fn export_playlist(
    dir: &Path,
    root: &Path,
    name: &str,
    entries: &[M3uEntry],
) -> (String, bool) {
    if let Err(e) = std::fs::create_dir_all(dir) {
        return (format!("{}: {e}", dir.display()), true);
    }
    let base = file_name(name);
    let stem = base.trim_end_matches(".m3u8").to_string();
    let mut file = dir.join(&base);
    let mut n = 2;
    while file.exists() {
        file = dir.join(format!("{stem} ({n}).m3u8"));
        n += 1;
    }
    match write_m3u8(&file, entries, Some(root), false) {
        Ok(skipped) => (
            format!(
                "wrote {} ({}{})",
                file.display(),
                crate::app::session::tracks_n(entries.len() - skipped),
                if skipped > 0 {
                    format!(", {skipped} non-UTF-8 paths left out")
                } else {
                    String::new()
                }
            ),
            false,
        ),
        Err(e) => (e.to_string(), true),
    }
}
