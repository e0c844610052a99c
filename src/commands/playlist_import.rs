//! `genreplay playlists --import FILE [--name NAME]`: a playlist file becomes one of the named
//! playlists, as `I` in the player's Playlists view makes it (the same code:
//! `PlaylistDir::import`, keeping the entries that name audio files).

use std::path::Path;
use std::process::ExitCode;

use serde_json::json;

use crate::paths::Paths;
use crate::playlist::{PlaylistDir, imported_message};
use crate::service::playlists::LibraryFinder;

pub fn run(file: &Path, name: Option<&str>, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let config = crate::config::Settings::load(&paths.config_dir).config;
    let dir = PlaylistDir::new(config.playlist_dir_in(&paths.data_dir));
    // The library's tracks count as playable; without a database (a scan holds it) the files
    // on disk are looked at alone.
    let store = super::library::open_store(paths).ok();
    let finder = LibraryFinder::new(store.as_ref());
    let got = dir.import(file, name, &finder)?;
    if json {
        super::print_json(&json!({
            "name": got.playlist.name,
            "path": got.playlist.path.to_string_lossy(),
            "tracks": got.playlist.tracks.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>(),
            "skipped": got.skipped,
        }))?;
    } else {
        println!(
            "{} → {}",
            imported_message(&got),
            got.playlist.path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
