//! Reading tags (artist, album, title, genre, …) and the duration with lofty.

use std::path::Path;

use lofty::prelude::*;

use crate::audio::gain::{ReplayGainTags, parse_gain_db, parse_peak, parse_r128_gain};

/// The tags genreplay uses: kept with the store's records (the record holds them).
pub use crate::store::records::Tags;

fn clean(s: Option<std::borrow::Cow<'_, str>>) -> Option<String> {
    s.map(|v| v.trim().trim_matches('\0').to_string())
        .filter(|v| !v.is_empty())
}

/// Reads the tags of `path`. An error means the file's container could not be parsed at all;
/// files without tags give empty [`Tags`]. Only regular files are read (a FIFO would block),
/// a panic in the tag reader on a hostile file is an error, and a duration the header claims
/// beyond what the file's bytes can hold at its bit rate is cut to what they can.
pub fn read_tags(path: &Path) -> Result<Tags, TagError> {
    let (file, len) = crate::audio::header::open_regular(path).map_err(|e| match e {
        crate::audio::header::OpenRegularError::Io(e) => TagError::Open(e),
        crate::audio::header::OpenRegularError::NotRegular(kind) => TagError::NotRegular(kind),
    })?;
    drop(file);
    if len == 0 {
        return Err(TagError::Empty);
    }
    crate::audio::guard::catch(|| read_tags_inner(path, len)).map_err(TagError::Internal)?
}

/// Why a file's tags could not be read (the caller knows the file's name).
#[derive(Debug, thiserror::Error)]
pub enum TagError {
    #[error("{0}")]
    Open(std::io::Error),
    #[error("not a regular file: {0}")]
    NotRegular(&'static str),
    #[error("empty file (0 bytes)")]
    Empty,
    #[error("a {id} tag item of {bytes} bytes (at most {max}); tags not read")]
    TooLarge { id: String, bytes: u64, max: u64 },
    #[error("{0}")]
    Unreadable(#[from] lofty::error::FileParseError),
    #[error("internal error while reading tags: {0}")]
    Internal(crate::audio::guard::Panicked),
}

fn read_tags_inner(path: &Path, file_len: u64) -> Result<Tags, TagError> {
    // The tag reader would decode it whole: a file with a huge text frame is refused first.
    if let Some((id, bytes)) = super::tag_size::oversized_text_frame(path) {
        return Err(TagError::TooLarge {
            id: id.to_string(),
            bytes,
            max: super::tag_size::MAX_TEXT_FRAME,
        });
    }
    let tagged = lofty::read_from_path(path)?;
    let props = tagged.properties();
    // Uncompressed audio has an exact bit rate; compressed formats' declared rates are only
    // estimates, so only the former are checked.
    let exact_rate = matches!(
        tagged.file_type(),
        lofty::file::FileType::Wav | lofty::file::FileType::Aiff
    );
    let duration = if exact_rate {
        plausible_duration(
            props.duration(),
            props.audio_bitrate().or(props.overall_bitrate()),
            file_len,
        )
    } else if tagged.file_type() == lofty::file::FileType::Flac {
        // FLAC declares its exact length; a cut-off file (or a lying header) ends earlier.
        match crate::audio::container::flac_real_secs(path) {
            Some(real) => std::time::Duration::from_secs_f64(real),
            None => props.duration(),
        }
    } else {
        props.duration()
    };
    let mut tags = Tags {
        duration_ms: (!duration.is_zero()).then_some(duration.as_millis() as u64),
        replaygain: Some(replaygain_of(path, tagged.tags())),
        ..Tags::default()
    };
    if let Some(tag) = tagged.primary_tag().or_else(|| tagged.first_tag()) {
        tags.artist = clean(tag.artist());
        tags.album = clean(tag.album());
        tags.title = clean(tag.title());
        // Every GENRE field, as one tag ("rock; pop": `library::genres` splits it again).
        let genres: Vec<&str> = tag.get_strings(ItemKey::Genre).take(16).collect();
        tags.genre = clean(Some(genres.join("; ").into())).map(|g| normalise_genre(&g));
        tags.track_no = tag.track();
        tags.year = tag.date().map(|d| d.year);
        tags.album_artist = clean(tag.get_string(ItemKey::AlbumArtist).map(Into::into));
    }
    Ok(tags)
}

/// The ReplayGain values of a file's tags (the first tag holding each value wins). A value
/// that does not parse is left out, with a line in the log.
pub fn replaygain_of(path: &Path, tags: &[lofty::tag::Tag]) -> ReplayGainTags {
    use lofty::tag::ItemKey;
    let mut rg = ReplayGainTags::default();
    let mut r128_track = None;
    let mut r128_album = None;
    for tag in tags {
        for item in tag.items() {
            let Some(text) = item.value().text() else {
                continue;
            };
            let (slot, parsed) = match item.key() {
                ItemKey::ReplayGainTrackGain => (&mut rg.track_gain_db, parse_gain_db(text)),
                ItemKey::ReplayGainAlbumGain => (&mut rg.album_gain_db, parse_gain_db(text)),
                ItemKey::ReplayGainTrackPeak => (&mut rg.track_peak, parse_peak(text)),
                ItemKey::ReplayGainAlbumPeak => (&mut rg.album_peak, parse_peak(text)),
                ItemKey::R128TrackGain => (&mut r128_track, parse_r128_gain(text)),
                ItemKey::R128AlbumGain => (&mut r128_album, parse_r128_gain(text)),
                _ => continue,
            };
            match parsed {
                Some(v) => {
                    slot.get_or_insert(v);
                }
                None => tracing::info!(
                    path = %path.display(),
                    key = ?item.key(),
                    value = text,
                    "ignoring a ReplayGain tag that does not parse"
                ),
            }
        }
    }
    // Opus files carry R128 gains (their REPLAYGAIN_* tags, if any, are not standard there).
    if r128_track.is_some() || r128_album.is_some() {
        rg.track_gain_db = r128_track.or(rg.track_gain_db);
        rg.album_gain_db = r128_album.or(rg.album_gain_db);
    }
    rg
}

/// The duration a header declares, cut to what `file_len` bytes hold at `kbps` (a WAV whose
/// data length lies would otherwise show as 27 hours).
pub fn plausible_duration(
    declared: std::time::Duration,
    kbps: Option<u32>,
    file_len: u64,
) -> std::time::Duration {
    match kbps {
        Some(k) if k > 0 => {
            let max_secs = file_len as f64 * 8.0 / (k as f64 * 1000.0);
            // 5% slack for headers and rounding of the bit rate.
            if declared.as_secs_f64() > max_secs * 1.05 + 1.0 {
                std::time::Duration::from_secs_f64(max_secs)
            } else {
                declared
            }
        }
        _ => declared,
    }
}

/// A genre tag as a label: trimmed and lower-cased, so "Rock" and "rock " group together.
pub fn normalise_genre(g: &str) -> String {
    g.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn durations_beyond_the_file_are_cut() {
        // 1411 kbit/s (CD audio) in 220 KB is 1.25 s, not 27 hours.
        let d = plausible_duration(Duration::from_secs(97_392), Some(1411), 220_000);
        assert!((d.as_secs_f64() - 1.247).abs() < 0.01, "{d:?}");
        let ok = plausible_duration(Duration::from_secs(180), Some(128), 2_900_000);
        assert_eq!(ok, Duration::from_secs(180));
        assert_eq!(
            plausible_duration(Duration::from_secs(5), None, 10),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn fifos_and_folders_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("song.mp3");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let e = read_tags(&fifo).unwrap_err();
        assert!(e.to_string().contains("not a regular file: a FIFO"), "{e}");
        let d = dir.path().join("x.mp3");
        std::fs::create_dir(&d).unwrap();
        assert!(
            read_tags(&d)
                .unwrap_err()
                .to_string()
                .contains("a directory")
        );
    }
}
