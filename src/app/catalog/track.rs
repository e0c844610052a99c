//! A track as the player shows it: display fields made once from the stored record.

use std::path::{Path, PathBuf};

use crate::library::{TrackId, TrackRecord};

/// A track with what the views show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackInfo {
    pub id: TrackId,
    pub path: PathBuf,
    pub title: String,
    pub artist: String,
    pub album: String,
    pub track_no: Option<u32>,
    pub duration_secs: Option<f64>,
    /// Folder relative to the library root.
    pub folder: String,
    /// The file's genre tag, if any.
    pub genre_tag: Option<String>,
    pub album_artist: Option<String>,
    pub year: Option<u16>,
    /// The file's ReplayGain tags (all `None` without them).
    pub replaygain: crate::audio::gain::ReplayGainTags,
    /// When the file entered the library (Unix seconds: the scan that first saw it).
    pub added_unix: u64,
}

impl TrackInfo {
    /// Whether a tag names the artist (an untagged file's is "Unknown artist").
    pub fn has_artist(&self) -> bool {
        self.artist != crate::library::track::UNKNOWN_ARTIST
    }

    /// Whether a tag names the album.
    pub fn has_album(&self) -> bool {
        self.album != crate::library::track::UNKNOWN_ALBUM
    }

    /// "Title — Artist"; the title alone (an untagged file's is its file name) when no tag
    /// names the artist: a list of untagged files reads as their names, not as "Unknown
    /// artist" again and again.
    pub fn title_artist(&self) -> String {
        if self.has_artist() {
            format!("{} — {}", self.title, self.artist)
        } else {
            self.title.clone()
        }
    }

    /// "Title — Artist · Album", leaving out what no tag names; a file without artist and
    /// album tags says the folder it is in instead.
    pub fn full_line(&self) -> String {
        let mut s = self.title_artist();
        if self.has_album() {
            s.push_str(" · ");
            s.push_str(&self.album);
        } else if !self.has_artist() {
            s.push_str(" · ");
            s.push_str(&self.folder);
            s.push('/');
        }
        s
    }

    /// The player's view of a stored track; the record's strings are moved, not copied (at
    /// 50,000 tracks this is on the way to the first screen).
    pub fn from_record(id: TrackId, r: TrackRecord, root: &Path) -> Self {
        let path = PathBuf::from(
            <std::ffi::OsString as std::os::unix::ffi::OsStringExt>::from_vec(r.path),
        );
        let folder = path
            .parent()
            .map(|p| {
                p.strip_prefix(root)
                    .unwrap_or(p)
                    .to_string_lossy()
                    .into_owned()
            })
            .unwrap_or_default();
        let added_unix = r.added_unix;
        let tags = r.tags;
        let title = tags.title.unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let artist = match (tags.artist, &tags.album_artist) {
            (Some(a), _) => a,
            (None, Some(aa)) => aa.clone(),
            (None, None) => crate::library::track::UNKNOWN_ARTIST.into(),
        };
        TrackInfo {
            id,
            title,
            artist,
            album: tags
                .album
                .unwrap_or_else(|| crate::library::track::UNKNOWN_ALBUM.into()),
            track_no: tags.track_no,
            duration_secs: tags.duration_ms.map(|ms| ms as f64 / 1000.0),
            folder: if folder.is_empty() {
                ".".into()
            } else {
                folder
            },
            genre_tag: tags.genre,
            album_artist: tags.album_artist,
            year: tags.year,
            replaygain: tags.replaygain.unwrap_or_default(),
            added_unix,
            path,
        }
    }
}
