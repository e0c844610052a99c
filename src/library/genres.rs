//! Genre tags as labels: one tag may hold several genres ("Rock; Pop", "Rock/Pop", "Rock, Pop",
//! or several GENRE fields), and one genre has many spellings ("Hip-Hop", "hip hop", "HipHop").
//! Training from tags (`genreplay train --labels tags`, the retrain dialog's "the genre tags in
//! my library") and the dialog's count of what a library's tags could train both go through
//! [`GenreTally`], so the two never disagree.

use std::collections::{BTreeMap, HashMap};

/// At most this many genres are read from one tag (a tag is text from a file: bounded).
const MAX_VALUES: usize = 16;
/// A genre name longer than this is not a genre (bounded, like every tag).
const MAX_VALUE_CHARS: usize = 64;

/// The genres one tag names, in order: split at `;`, `/`, `,`, `|` and NUL (how taggers
/// write several values in one field), trimmed, empty values and repeats dropped.
pub fn genre_values(tag: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in tag.split([';', '/', ',', '|', '\0']) {
        let v = v.trim();
        if v.is_empty() || v.chars().count() > MAX_VALUE_CHARS {
            continue;
        }
        if !out.iter().any(|o| genre_key(o) == genre_key(v)) {
            out.push(v.to_string());
        }
        if out.len() == MAX_VALUES {
            break;
        }
    }
    out.retain(|v| !genre_key(v).is_empty());
    out
}

/// The key spellings of one genre share: its letters and digits, lower case ("Hip-Hop",
/// "hip hop" and "HipHop" are all "hiphop"; "R&B" is "rb").
pub fn genre_key(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// How many tracks name each genre, and how each genre is spelt.
#[derive(Debug, Clone, Default)]
pub struct GenreTally {
    /// Per key: tracks naming it, and each spelling with its count.
    keys: HashMap<String, (usize, BTreeMap<String, usize>)>,
    /// Tracks with at least one genre.
    tagged: usize,
}

impl GenreTally {
    /// Counts the genre tags of a set of tracks (`None`: untagged).
    pub fn of<'a>(tags: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        let mut t = GenreTally::default();
        for tag in tags {
            t.add(tag);
        }
        t
    }

    /// Counts one track's genre tag; a track counts once per genre it names.
    pub fn add(&mut self, tag: Option<&str>) {
        let values = tag.map(genre_values).unwrap_or_default();
        if values.is_empty() {
            return;
        }
        self.tagged += 1;
        for v in values {
            let e = self.keys.entry(genre_key(&v)).or_default();
            e.0 += 1;
            *e.1.entry(v).or_default() += 1;
        }
    }

    /// Tracks with a genre tag.
    pub fn tagged(&self) -> usize {
        self.tagged
    }

    /// Tracks naming the genre of `value` (any spelling).
    pub fn count(&self, value: &str) -> usize {
        self.keys.get(&genre_key(value)).map_or(0, |e| e.0)
    }

    /// The name a genre is shown and trained under: its most common spelling (ties: the first
    /// in sort order). `None` when no track names it.
    pub fn label(&self, value: &str) -> Option<String> {
        let (_, spellings) = self.keys.get(&genre_key(value))?;
        spellings
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(s, _)| s.clone())
    }

    /// A track's label: its first genre that at least `min_count` tracks name (so "Rock; Pop"
    /// trains as rock, or as pop where rock is too rare), in its shown spelling. `Err` with the
    /// reason otherwise.
    pub fn label_of(&self, tag: Option<&str>, min_count: usize) -> Result<String, Unlabelled> {
        let values = tag.map(genre_values).unwrap_or_default();
        if values.is_empty() {
            return Err(Unlabelled::NoTag);
        }
        values
            .iter()
            .find(|v| self.count(v) >= min_count)
            .and_then(|v| self.label(v))
            .ok_or_else(|| Unlabelled::TooFew {
                genre: values.join("; "),
                min_count,
            })
    }

    /// The genres at least `min_count` tracks name, with their counts, by name.
    pub fn genres(&self, min_count: usize) -> Vec<(String, usize)> {
        let mut v: Vec<(String, usize)> = self
            .keys
            .iter()
            .filter(|(_, (n, _))| *n >= min_count)
            .filter_map(|(k, (n, _))| Some((self.label(k)?, *n)))
            .collect();
        v.sort();
        v
    }
}

/// Why a track's genre tag gives it no label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unlabelled {
    #[error("no genre tag")]
    NoTag,
    #[error("genre '{genre}' has fewer than {min_count} tracks")]
    TooFew { genre: String, min_count: usize },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_genres_in_one_tag_are_split() {
        assert_eq!(genre_values("Rock; Pop"), vec!["Rock", "Pop"]);
        assert_eq!(genre_values("Rock/Pop"), vec!["Rock", "Pop"]);
        assert_eq!(genre_values(" Rock , Pop ,, "), vec!["Rock", "Pop"]);
        assert_eq!(genre_values("Rock\0Pop|Jazz"), vec!["Rock", "Pop", "Jazz"]);
        // Repeats in other spellings, empty and punctuation-only values are dropped.
        assert_eq!(genre_values("Hip-Hop; hip hop; -- ;"), vec!["Hip-Hop"]);
        assert!(genre_values("   ").is_empty());
        // Bounded: a hostile tag gives at most 16 values, none absurdly long.
        let long = vec!["x"; 1000].join(";") + ";" + &"y".repeat(500);
        assert!(genre_values(&long).len() <= 16);
        assert!(genre_values(&"g".repeat(65)).is_empty());
    }

    #[test]
    fn spellings_merge_and_the_common_one_names_the_genre() {
        let tags = [
            Some("Hip-Hop"),
            Some("hip hop"),
            Some("HipHop"),
            Some("Hip-Hop"),
            Some("Rock; Pop"),
            Some("rock"),
            Some("Rock/Pop"),
            Some("ROCK"),
            Some("Jazz"),
            None,
            Some(""),
        ];
        let t = GenreTally::of(tags);
        assert_eq!(t.tagged(), 9);
        assert_eq!(t.count("hip-hop"), 4);
        assert_eq!(t.label("HIPHOP").as_deref(), Some("Hip-Hop"));
        assert_eq!(t.count("Rock"), 4);
        assert_eq!(t.count("pop"), 2);
        assert_eq!(t.label("rock").as_deref(), Some("Rock"));
        assert_eq!(
            t.genres(3),
            vec![("Hip-Hop".to_string(), 4), ("Rock".to_string(), 4)]
        );
        // The first genre with enough tracks is the label; a rare one is skipped with a reason.
        assert_eq!(t.label_of(Some("Pop; Rock"), 3).as_deref(), Ok("Rock"));
        assert_eq!(t.label_of(Some("hip hop"), 3).as_deref(), Ok("Hip-Hop"));
        assert_eq!(t.label_of(None, 3), Err(super::Unlabelled::NoTag));
        assert!(
            t.label_of(Some("Jazz"), 3)
                .unwrap_err()
                .to_string()
                .contains("fewer than 3")
        );
        // Ties go to the first spelling in sort order.
        let t = GenreTally::of([Some("soul"), Some("Soul")]);
        assert_eq!(t.label("SOUL").as_deref(), Some("Soul"));
    }
}
