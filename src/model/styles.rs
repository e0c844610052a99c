//! Styles: the pretrained trunk's 50 Million-Song-Dataset tags (musicnn's, the same order for
//! every built-in trunk) as words a track shows beside its genre — "rock · alternative, indie,
//! 90s". A track's style vector is the mean of the tag probabilities over its patches; the
//! styles it shows are its top few tags above a floor, leaving out tags that only repeat one of
//! the model's genres (the genre is already on the row).

use super::musicnn::{MUSICNN_N_TAGS, MUSICNN_TAGS};

/// At most this many styles per track.
pub const SHOWN: usize = 3;

/// A tag is shown when its mean probability is at least this. Chosen on gtzan-dev's excerpts
/// and library-sample (see `models/MODEL_CARD.md`, "Styles").
pub const MIN_PROBABILITY: f32 = 0.1;

/// The name a tag shows as: lower case, the two spellings of "female vocalist(s)" as one.
pub fn display_name(i: usize) -> Option<&'static str> {
    Some(match *MUSICNN_TAGS.get(i)? {
        "female vocalist" => "female vocalists",
        "Mellow" => "mellow",
        "Hip-Hop" => "hip-hop",
        "Progressive rock" => "progressive rock",
        "House" => "house",
        t => t,
    })
}

/// Every tag's display name, in output order (repeats where two tags show as one).
pub fn all_names() -> impl Iterator<Item = &'static str> {
    (0..MUSICNN_N_TAGS).filter_map(display_name)
}

/// Letters and digits only, lower case: "Hip-Hop" and "hiphop" are the same word.
fn folded(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The tag that names a genre label ("hiphop" → "Hip-Hop", "metal" → "metal"), by the same
/// letters-and-digits comparison as the style filter; `None` when no tag does ("classical",
/// "reggae" and "disco" have none among the 50).
pub fn genre_tag(label: &str) -> Option<usize> {
    let l = folded(label);
    (0..MUSICNN_N_TAGS).find(|&i| display_name(i).is_some_and(|n| folded(n) == l))
}

/// Which tags a model's tracks may show: all but those that name one of its genres.
#[derive(Debug, Clone, PartialEq)]
pub struct StyleFilter {
    skip: [bool; MUSICNN_N_TAGS],
}

impl Default for StyleFilter {
    fn default() -> Self {
        StyleFilter {
            skip: [false; MUSICNN_N_TAGS],
        }
    }
}

impl StyleFilter {
    /// The filter for a model with these genre labels.
    pub fn for_labels(labels: &[String]) -> Self {
        let labels: Vec<String> = labels.iter().map(|l| folded(l)).collect();
        let mut skip = [false; MUSICNN_N_TAGS];
        for (i, s) in skip.iter_mut().enumerate() {
            *s = display_name(i).is_some_and(|n| labels.contains(&folded(n)));
        }
        StyleFilter { skip }
    }

    /// Whether a style of this name can be shown (not a genre of the model).
    pub fn allows(&self, name: &str) -> bool {
        (0..MUSICNN_N_TAGS).any(|i| !self.skip[i] && display_name(i) == Some(name))
    }

    /// The styles a track shows, best first, with their probabilities: at most [`SHOWN`],
    /// each at least [`MIN_PROBABILITY`]. Empty when `style` is not a 50-tag vector (a model
    /// without the pretrained trunk).
    pub fn shown(&self, style: &[f32]) -> Vec<(&'static str, f32)> {
        let mut out: Vec<(&'static str, f32)> = Vec::with_capacity(SHOWN + 1);
        if style.len() != MUSICNN_N_TAGS {
            return out;
        }
        for (i, &p) in style.iter().enumerate() {
            // NaN is never shown.
            if self.skip[i] || p.is_nan() || p < MIN_PROBABILITY {
                continue;
            }
            let Some(name) = display_name(i) else {
                continue;
            };
            if let Some(seen) = out.iter_mut().find(|(n, _)| *n == name) {
                seen.1 = seen.1.max(p);
                continue;
            }
            out.push((name, p));
            // Keep the best `SHOWN`: one sorted insert and a drop of the weakest.
            out.sort_by(|a, b| b.1.total_cmp(&a.1));
            out.truncate(SHOWN);
        }
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out
    }

    /// The shown styles' names, as a row writes them: "alternative, indie, 90s".
    pub fn line(&self, style: &[f32]) -> String {
        let names: Vec<&str> = self.shown(style).into_iter().map(|(n, _)| n).collect();
        names.join(", ")
    }
}

/// The full tag vector as (tag, probability) pairs in output order, as the JSON prints it
/// (`None` when the vector is not a 50-tag one).
pub fn tag_pairs(style: &[f32]) -> Option<Vec<(&'static str, f32)>> {
    if style.len() != MUSICNN_N_TAGS {
        return None;
    }
    Some(
        MUSICNN_TAGS
            .iter()
            .copied()
            .zip(style.iter().copied())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(pairs: &[(&str, f32)]) -> Vec<f32> {
        let mut v = vec![0.01; MUSICNN_N_TAGS];
        for (name, p) in pairs {
            let i = MUSICNN_TAGS
                .iter()
                .position(|t| t == name)
                .unwrap_or_else(|| panic!("no tag {name}"));
            v[i] = *p;
        }
        v
    }

    fn labels() -> Vec<String> {
        [
            "blues",
            "classical",
            "country",
            "disco",
            "hiphop",
            "jazz",
            "metal",
            "pop",
            "reggae",
            "rock",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    #[test]
    fn the_top_tags_above_the_floor_are_shown_best_first() {
        let f = StyleFilter::for_labels(&labels());
        let v = vector(&[
            ("rock", 0.7),
            ("alternative", 0.4),
            ("90s", 0.2),
            ("indie", 0.3),
            ("punk", 0.15),
            ("sad", 0.05),
        ]);
        // "rock" is a genre of the model: not repeated as a style; only three shown.
        assert_eq!(f.line(&v), "alternative, indie, 90s");
        let shown = f.shown(&v);
        assert_eq!(shown.len(), SHOWN);
        assert!((shown[0].1 - 0.4).abs() < 1e-6);
    }

    #[test]
    fn genre_named_tags_are_left_out_in_any_spelling() {
        let f = StyleFilter::for_labels(&labels());
        let v = vector(&[("Hip-Hop", 0.8), ("rnb", 0.3), ("jazz", 0.5)]);
        assert_eq!(f.line(&v), "rnb");
        assert!(!f.allows("hip-hop"));
        assert!(f.allows("rnb"));
        // A model with other genres shows them.
        let other = StyleFilter::for_labels(&["synthwave".to_string()]);
        assert_eq!(other.line(&v), "hip-hop, jazz, rnb");
    }

    #[test]
    fn two_spellings_of_a_tag_show_once() {
        let f = StyleFilter::for_labels(&labels());
        let v = vector(&[("female vocalists", 0.3), ("female vocalist", 0.4)]);
        let shown = f.shown(&v);
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].0, "female vocalists");
        assert!((shown[0].1 - 0.4).abs() < 1e-6);
    }

    #[test]
    fn nothing_is_shown_below_the_floor_or_for_other_vectors() {
        let f = StyleFilter::for_labels(&labels());
        assert_eq!(f.line(&[0.05; MUSICNN_N_TAGS]), "");
        assert_eq!(f.line(&[0.9; 12]), "");
        let mut v = vec![0.0; MUSICNN_N_TAGS];
        v[3] = f32::NAN;
        assert!(f.shown(&v).is_empty());
        assert!(tag_pairs(&[0.5; 3]).is_none());
        assert_eq!(tag_pairs(&v).map(|p| p.len()), Some(MUSICNN_N_TAGS));
    }

    #[test]
    fn a_genre_finds_the_tag_that_names_it() {
        let name = |l: &str| genre_tag(l).map(|i| MUSICNN_TAGS[i]);
        assert_eq!(name("hiphop"), Some("Hip-Hop"));
        assert_eq!(name("Hip Hop"), Some("Hip-Hop"));
        assert_eq!(name("metal"), Some("metal"));
        assert_eq!(name("Rock"), Some("rock"));
        assert_eq!(name("house"), Some("House"));
        for none in ["classical", "reggae", "disco", ""] {
            assert_eq!(name(none), None, "{none}");
        }
    }
}
