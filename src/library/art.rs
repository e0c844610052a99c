//! Cover art: the picture embedded in a track's tags (the front cover first), else a
//! `cover.*`, `folder.*` or `front.*` (jpg, jpeg, png; any case) in the track's folder.
//! Decoding is bounded: a picture over [`MAX_ENCODED_BYTES`] or larger than [`MAX_SIDE`]
//! pixels on a side is refused, and a broken picture is just no cover.

use std::path::{Path, PathBuf};

use image::DynamicImage;
use lofty::picture::PictureType;
use lofty::prelude::*;

/// The largest encoded picture read (embedded or a file).
pub const MAX_ENCODED_BYTES: usize = 16 * 1024 * 1024;
/// The largest width or height decoded.
pub const MAX_SIDE: u32 = 8000;
/// The decoder's memory allowance (an 8000×8000 RGBA picture and some).
const MAX_DECODE_ALLOC: u64 = 8000 * 8000 * 4 + 16 * 1024 * 1024;

/// The folder files looked for, by stem, in this order of preference.
const FOLDER_STEMS: [&str; 3] = ["cover", "folder", "front"];
const FOLDER_EXTS: [&str; 3] = ["jpg", "jpeg", "png"];

/// Where a track's cover comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CoverSource {
    /// Embedded in the audio file's tags.
    Embedded(PathBuf),
    /// A picture file in the track's folder.
    File(PathBuf),
}

impl CoverSource {
    pub fn describe(&self) -> String {
        match self {
            CoverSource::Embedded(p) => format!("the picture embedded in {}", p.display()),
            CoverSource::File(p) => p.display().to_string(),
        }
    }
}

/// The encoded bytes of the picture embedded in `audio` (the front cover if it has one, else
/// the first picture). `Ok(None)`: no picture; an error names the file.
pub fn embedded_picture(audio: &Path) -> Result<Option<Vec<u8>>, ArtError> {
    let read = || -> Result<Option<Vec<u8>>, ArtError> {
        let tagged = lofty::read_from_path(audio).map_err(|source| ArtError::Tags {
            path: audio.to_path_buf(),
            source,
        })?;
        let mut first: Option<&lofty::picture::Picture> = None;
        for tag in tagged.tags() {
            for p in tag.pictures() {
                if p.pic_type() == PictureType::CoverFront {
                    return Ok(Some(p.data().to_vec()));
                }
                first.get_or_insert(p);
            }
        }
        Ok(first.map(|p| p.data().to_vec()))
    };
    crate::audio::guard::catch(read).map_err(|panic| ArtError::TagsPanicked {
        path: audio.to_path_buf(),
        panic,
    })?
}

/// Why a cover could not be had; names the picture (a file, or the audio file it is in).
#[derive(Debug, thiserror::Error)]
pub enum ArtError {
    #[error("{}: {source}", path.display())]
    Tags {
        path: PathBuf,
        source: lofty::error::FileParseError,
    },
    #[error("{}: internal error while reading the picture: {panic}", path.display())]
    TagsPanicked {
        path: PathBuf,
        panic: crate::audio::guard::Panicked,
    },
    #[error("{what}: {source}")]
    Read {
        what: String,
        source: std::io::Error,
    },
    #[error("{what}: the picture is gone")]
    Gone { what: String },
    #[error("{what}: {why}")]
    Picture { what: String, why: PictureError },
}

/// Why encoded bytes do not decode to a cover within the limits.
#[derive(Debug, thiserror::Error)]
pub enum PictureError {
    #[error("{len} bytes is too large for a cover (at most {MAX_ENCODED_BYTES})")]
    TooLarge { len: usize },
    #[error("not a picture: {0}")]
    NotPicture(std::io::Error),
    #[error("not a JPEG or PNG picture")]
    NotJpegOrPng,
    #[error("the picture is too large to decode (at most {MAX_SIDE}×{MAX_SIDE}): {0}")]
    Limits(image::error::LimitError),
    #[error("broken picture: {0}")]
    Broken(image::ImageError),
    #[error("internal error while decoding the picture: {0}")]
    Panicked(crate::audio::guard::Panicked),
}

/// The cover picture file in `folder`: `cover.*` before `folder.*` before `front.*`, jpg/jpeg
/// before png, names in any case.
pub fn folder_cover(folder: &Path) -> Option<PathBuf> {
    let mut best: Option<(usize, usize, PathBuf)> = None;
    for entry in std::fs::read_dir(folder).ok()?.flatten() {
        let path = entry.path();
        let (Some(stem), Some(ext)) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        let (stem, ext) = (stem.to_ascii_lowercase(), ext.to_ascii_lowercase());
        let (Some(si), Some(ei)) = (
            FOLDER_STEMS.iter().position(|s| *s == stem),
            FOLDER_EXTS.iter().position(|e| *e == ext),
        ) else {
            continue;
        };
        let rank = (si, ei.min(1));
        if best
            .as_ref()
            .is_none_or(|(bs, be, bp)| rank < (*bs, *be) || (rank == (*bs, *be) && path < *bp))
            && path.is_file()
        {
            best = Some((rank.0, rank.1, path));
        }
    }
    best.map(|(_, _, p)| p)
}

/// A cover found: where it is, with the encoded bytes when they were read to know (embedded).
pub type Found = (CoverSource, Option<Vec<u8>>);

/// Where the cover of `audio` is: its embedded picture, else its folder's picture file. The
/// embedded bytes come along (they were read to know). `None`: the track has no cover
/// (unreadable tags are logged and do not hide a folder picture).
pub fn find(audio: &Path) -> Option<Found> {
    // A CUE sheet's track (`album.flac#2`): the picture is its file's.
    let file = match crate::audio::cue::split_track_path(audio) {
        Some((file, _)) if !audio.exists() => file,
        _ => audio.to_path_buf(),
    };
    let audio = file.as_path();
    let embedded = match embedded_picture(audio) {
        Ok(p) => p,
        Err(e) => {
            // Unreadable tags do not hide a folder picture.
            tracing::warn!("cover: {e}");
            None
        }
    };
    if let Some(bytes) = embedded {
        return Some((CoverSource::Embedded(audio.to_path_buf()), Some(bytes)));
    }
    audio
        .parent()
        .and_then(folder_cover)
        .map(|p| (CoverSource::File(p), None))
}

/// Reads (a file source without `bytes`) and decodes a cover, within the limits.
pub fn decode(source: &CoverSource, bytes: Option<Vec<u8>>) -> Result<DynamicImage, ArtError> {
    let what = source.describe();
    let bytes = match (bytes, source) {
        (Some(b), _) => b,
        (None, CoverSource::File(p)) => {
            let read = |source| ArtError::Read {
                what: what.clone(),
                source,
            };
            let len = std::fs::metadata(p).map_err(read)?.len();
            if len > MAX_ENCODED_BYTES as u64 {
                return Err(ArtError::Picture {
                    what,
                    why: PictureError::TooLarge { len: len as usize },
                });
            }
            std::fs::read(p).map_err(read)?
        }
        (None, CoverSource::Embedded(p)) => {
            embedded_picture(p)?.ok_or_else(|| ArtError::Gone { what: what.clone() })?
        }
    };
    decode_bytes(&bytes).map_err(|why| ArtError::Picture { what, why })
}

/// Decodes an encoded JPEG or PNG within the limits.
pub fn decode_bytes(bytes: &[u8]) -> Result<DynamicImage, PictureError> {
    if bytes.len() > MAX_ENCODED_BYTES {
        return Err(PictureError::TooLarge { len: bytes.len() });
    }
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(PictureError::NotPicture)?;
    if reader.format().is_none() {
        return Err(PictureError::NotJpegOrPng);
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let decode = move || reader.decode();
    match crate::audio::guard::catch(decode) {
        Ok(Ok(img)) => Ok(img),
        Ok(Err(image::ImageError::Limits(e))) => Err(PictureError::Limits(e)),
        Ok(Err(e)) => Err(PictureError::Broken(e)),
        Err(p) => Err(PictureError::Panicked(p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_in_order() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let touch =
            |n: &str| std::fs::write(dir.path().join(n), b"x").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(folder_cover(dir.path()), None);
        touch("Front.PNG");
        touch("notes.txt");
        assert_eq!(folder_cover(dir.path()), Some(dir.path().join("Front.PNG")));
        touch("FOLDER.jpeg");
        assert_eq!(
            folder_cover(dir.path()),
            Some(dir.path().join("FOLDER.jpeg"))
        );
        touch("cover.png");
        assert_eq!(folder_cover(dir.path()), Some(dir.path().join("cover.png")));
        touch("Cover.JPG");
        assert_eq!(folder_cover(dir.path()), Some(dir.path().join("Cover.JPG")));
    }
}
