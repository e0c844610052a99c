//! The search index: every track's searchable fields in one lower-cased buffer, built once per
//! catalog (the catalog owns it; `search` runs queries over it).

use crate::app::catalog::track::TrackInfo;

/// The fields searched, in the index's order (weights fall along it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Title,
    Artist,
    Album,
    AlbumArtist,
    Genre,
    Year,
    File,
}

impl Field {
    pub(super) const ALL: [Field; FIELDS] = [
        Field::Title,
        Field::Artist,
        Field::Album,
        Field::AlbumArtist,
        Field::Genre,
        Field::Year,
        Field::File,
    ];
    pub(super) const WEIGHTS: [u32; FIELDS] = [10, 9, 8, 8, 7, 6, 4];
    pub(super) const GENRE_WEIGHT: u32 = 7;
}

/// Every track's searchable fields, lower-cased, in one buffer (built once per catalog, never
/// per key): track `i`'s fields are `text[fields[i][f]..fields[i][f + 1] - 1]` in the order of
/// [`Field::ALL`] (genre: the tag), each followed by a NUL. The "Unknown artist/album"
/// placeholders are left empty. One contiguous buffer keeps a search over 50,000 tracks a
/// linear scan of a few megabytes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchIndex {
    text: String,
    fields: Vec<[usize; FIELDS + 1]>,
}

pub(super) const FIELDS: usize = 7;

impl SearchIndex {
    pub fn build(tracks: &[TrackInfo]) -> Self {
        let mut text = String::new();
        let mut fields = Vec::with_capacity(tracks.len());
        // ASCII (most tags) is lower-cased in place; the rest as `str::to_lowercase` does.
        let push_lower = |text: &mut String, s: &str| {
            if s.is_ascii() {
                text.extend(s.bytes().map(|b| char::from(b.to_ascii_lowercase())));
            } else {
                text.push_str(&s.to_lowercase());
            }
        };
        for t in tracks {
            let mut at = [0usize; FIELDS + 1];
            for (k, f) in Field::ALL.iter().enumerate() {
                at[k] = text.len();
                match f {
                    Field::Title => push_lower(&mut text, &t.title),
                    Field::Artist if t.has_artist() => push_lower(&mut text, &t.artist),
                    Field::Album if t.has_album() => push_lower(&mut text, &t.album),
                    Field::AlbumArtist => {
                        push_lower(&mut text, t.album_artist.as_deref().unwrap_or(""))
                    }
                    Field::Genre => push_lower(&mut text, t.genre_tag.as_deref().unwrap_or("")),
                    Field::Year => {
                        if let Some(y) = t.year {
                            text.push_str(&y.to_string());
                        }
                    }
                    Field::File => {
                        if let Some(f) = t.path.file_name() {
                            push_lower(&mut text, &f.to_string_lossy());
                        }
                    }
                    Field::Artist | Field::Album => {}
                }
                text.push('\0');
            }
            at[FIELDS] = text.len();
            fields.push(at);
        }
        text.shrink_to_fit();
        SearchIndex { text, fields }
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Track `i`'s text, all fields (NUL-separated).
    pub(super) fn track(&self, i: usize) -> (&str, &[usize; FIELDS + 1]) {
        let at = &self.fields[i];
        (&self.text[at[0]..at[FIELDS]], at)
    }

    /// Track `i`'s field `f`.
    pub(super) fn field(&self, i: usize, f: Field) -> &str {
        let at = &self.fields[i];
        let k = f as usize;
        &self.text[at[k]..at[k + 1] - 1]
    }
}
