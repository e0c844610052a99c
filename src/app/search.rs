//! Search: a query of words and field filters, ranked over title, artist, album, album
//! artist, genre (the tag and the classified one), year and file name. Whole-word matches
//! rank before prefixes, prefixes before substrings, substrings before scattered letters; the
//! "Unknown artist/album" placeholders are never searched. Filters: `artist:`, `album:`,
//! `title:`, `file:`, `genre:metal`, `year:1990..1999`, `conf:>0.8` (the top genre's
//! confidence). Results are a list of their own; no view is filtered.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config as MatchConfig, Matcher, Utf32Str};

use super::catalog::{Catalog, TrackInfo};
use crate::library::TrackId;

/// What the user typed after `/`, whether keys still go to it, and whether the results show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchBox {
    pub text: String,
    pub typing: bool,
    pub open: bool,
}

/// The lower-cased fields a track is searched by (placeholders left empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchKeys {
    pub title: String,
    pub artist: String,
    pub album: String,
    pub album_artist: String,
    pub genre_tag: String,
    pub file: String,
    pub year: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Artist,
    Album,
    AlbumArtist,
    Genre,
    Year,
    File,
}

impl Field {
    const ALL: [Field; 7] = [
        Field::Title,
        Field::Artist,
        Field::Album,
        Field::AlbumArtist,
        Field::Genre,
        Field::Year,
        Field::File,
    ];
    fn weight(self) -> u32 {
        match self {
            Field::Title => 10,
            Field::Artist => 9,
            Field::Album | Field::AlbumArtist => 8,
            Field::Genre => 7,
            Field::Year => 6,
            Field::File => 4,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

/// One part of a query.
#[derive(Debug, Clone, PartialEq)]
enum Term {
    Word(String),
    Artist(String),
    Album(String),
    Title(String),
    File(String),
    Genre(String),
    Years(u16, u16),
    Confidence(Cmp, f32),
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    terms: Vec<Term>,
}

/// Splits on spaces, keeping "double quoted" parts together.
fn tokens(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in q.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn parse_years(v: &str) -> Option<(u16, u16)> {
    match v.split_once("..") {
        Some((a, b)) => {
            let a: u16 = if a.is_empty() { 0 } else { a.parse().ok()? };
            let b: u16 = if b.is_empty() {
                u16::MAX
            } else {
                b.parse().ok()?
            };
            Some((a.min(b), a.max(b)))
        }
        None => v.parse().ok().map(|y| (y, y)),
    }
}

fn parse_conf(v: &str) -> Option<(Cmp, f32)> {
    let (cmp, rest) = if let Some(r) = v.strip_prefix(">=") {
        (Cmp::Ge, r)
    } else if let Some(r) = v.strip_prefix("<=") {
        (Cmp::Le, r)
    } else if let Some(r) = v.strip_prefix('>') {
        (Cmp::Gt, r)
    } else if let Some(r) = v.strip_prefix('<') {
        (Cmp::Lt, r)
    } else {
        (Cmp::Eq, v.strip_prefix('=').unwrap_or(v))
    };
    let rest = rest.trim();
    let x: f32 = match rest.strip_suffix('%') {
        Some(p) => p.parse::<f32>().ok()? / 100.0,
        None => rest.parse().ok()?,
    };
    x.is_finite().then_some((cmp, x))
}

impl Query {
    /// Parses `text`; a filter that does not parse is searched as words.
    pub fn parse(text: &str) -> Query {
        let mut terms = Vec::new();
        for t in tokens(&text.to_lowercase()) {
            let term = match t.split_once(':') {
                Some((k, v)) if !v.is_empty() => match k {
                    "artist" | "a" => Some(Term::Artist(v.to_string())),
                    "album" | "b" => Some(Term::Album(v.to_string())),
                    "title" | "t" => Some(Term::Title(v.to_string())),
                    "file" | "path" => Some(Term::File(v.to_string())),
                    "genre" | "g" => Some(Term::Genre(v.to_string())),
                    "year" | "y" => parse_years(v).map(|(a, b)| Term::Years(a, b)),
                    "conf" | "c" => parse_conf(v).map(|(c, x)| Term::Confidence(c, x)),
                    _ => None,
                },
                _ => None,
            };
            match term {
                Some(term) => terms.push(term),
                None => terms.extend(
                    t.split(|c: char| !c.is_alphanumeric())
                        .filter(|w| !w.is_empty())
                        .map(|w| Term::Word(w.to_string())),
                ),
            }
        }
        Query { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// How well `word` matches `field` (0 = not at all): a whole word, a word's start, inside.
fn word_score(field: &str, word: &str) -> u32 {
    // Every kind of match contains the word: most fields are ruled out by one fast scan.
    if field.is_empty() || word.is_empty() || !field.contains(word) {
        return 0;
    }
    let mut best = 0;
    for w in field.split(|c: char| !c.is_alphanumeric()) {
        if w == word {
            return 100;
        }
        if w.starts_with(word) {
            best = best.max(60);
        }
    }
    if best == 0 && word.chars().count() >= 2 {
        best = 30;
    }
    best
}

fn contains(field: &str, v: &str) -> bool {
    !field.is_empty() && field.contains(v)
}

/// Runs queries over a catalog.
pub struct Searcher {
    matcher: Matcher,
}

impl Default for Searcher {
    fn default() -> Self {
        Searcher {
            matcher: Matcher::new(MatchConfig::DEFAULT),
        }
    }
}

impl Searcher {
    /// The tracks that match `q`, best first (ties in library order). At most `limit`.
    pub fn run(&mut self, lib: &Catalog, q: &Query, limit: usize) -> Vec<TrackId> {
        if q.is_empty() {
            return vec![];
        }
        let fuzzy: Vec<Pattern> = q
            .terms
            .iter()
            .filter_map(|t| match t {
                Term::Word(w) if w.chars().count() >= 3 => Some(Pattern::parse(
                    w,
                    CaseMatching::Ignore,
                    Normalization::Smart,
                )),
                _ => None,
            })
            .collect();
        let mut scored: Vec<(u32, usize)> = Vec::new();
        let mut buf = Vec::new();
        for (i, t) in lib.tracks.iter().enumerate() {
            if let Some(s) = self.score(lib, t, q, &fuzzy, &mut buf) {
                scored.push((s, i));
            }
        }
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored
            .into_iter()
            .take(limit)
            .map(|(_, i)| lib.tracks[i].id)
            .collect()
    }

    fn field<'a>(lib: &'a Catalog, t: &'a TrackInfo, f: Field, year: &'a str) -> [&'a str; 2] {
        let k = &t.keys;
        match f {
            Field::Title => [&k.title, ""],
            Field::Artist => [&k.artist, ""],
            Field::Album => [&k.album, ""],
            Field::AlbumArtist => [&k.album_artist, ""],
            Field::Genre => [&k.genre_tag, lib.genre_of(t.id).map_or("", |(g, _)| g)],
            Field::Year => [year, ""],
            Field::File => [&k.file, ""],
        }
    }

    fn score(
        &mut self,
        lib: &Catalog,
        t: &TrackInfo,
        q: &Query,
        fuzzy: &[Pattern],
        buf: &mut Vec<char>,
    ) -> Option<u32> {
        let k = &t.keys;
        // Made only when a word needs them (most tracks are decided by their title).
        let mut year: Option<String> = None;
        let mut total = 0u32;
        let mut fuzzy_i = 0;
        for term in &q.terms {
            match term {
                Term::Word(w) => {
                    let mut best = 0;
                    for f in Field::ALL {
                        if best >= 100 * f.weight() {
                            // No later field can score higher (weights only fall).
                            break;
                        }
                        let y = if f == Field::Year {
                            year.get_or_insert_with(|| {
                                k.year.map(|y| y.to_string()).unwrap_or_default()
                            })
                            .as_str()
                        } else {
                            ""
                        };
                        for text in Self::field(lib, t, f, y) {
                            best = best.max(word_score(text, w) * f.weight());
                        }
                    }
                    let is_fuzzy = w.chars().count() >= 3;
                    if best == 0 && is_fuzzy {
                        // Scattered letters: last, and only over the names (never a
                        // placeholder).
                        let hay = format!("{} {} {}", k.title, k.artist, k.album);
                        if let Some(p) = fuzzy.get(fuzzy_i)
                            && p.score(Utf32Str::new(&hay, buf), &mut self.matcher)
                                .is_some()
                        {
                            best = 1;
                        }
                    }
                    if is_fuzzy {
                        fuzzy_i += 1;
                    }
                    if best == 0 {
                        return None;
                    }
                    total += best;
                }
                Term::Artist(v) => {
                    if !(contains(&k.artist, v) || contains(&k.album_artist, v)) {
                        return None;
                    }
                }
                Term::Album(v) => {
                    if !contains(&k.album, v) {
                        return None;
                    }
                }
                Term::Title(v) => {
                    if !contains(&k.title, v) {
                        return None;
                    }
                }
                Term::File(v) => {
                    if !contains(&k.file, v) {
                        return None;
                    }
                }
                Term::Genre(v) => {
                    let classified = lib
                        .genre_of(t.id)
                        .is_some_and(|(g, _)| g.starts_with(v.as_str()));
                    if !(classified || contains(&k.genre_tag, v)) {
                        return None;
                    }
                }
                Term::Years(a, b) => {
                    if !k.year.is_some_and(|y| (*a..=*b).contains(&y)) {
                        return None;
                    }
                }
                Term::Confidence(cmp, x) => {
                    let (_, p) = lib.genre_of(t.id)?;
                    let ok = match cmp {
                        Cmp::Gt => p > *x,
                        Cmp::Ge => p >= *x,
                        Cmp::Lt => p < *x,
                        Cmp::Le => p <= *x,
                        Cmp::Eq => (p - x).abs() < 0.005,
                    };
                    if !ok {
                        return None;
                    }
                }
            }
        }
        Some(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_filters_and_words() {
        let q =
            Query::parse("War artist:\"iron maiden\" year:1990..1999 conf:>0.8 genre:metal x:y");
        assert_eq!(
            q.terms,
            vec![
                Term::Word("war".into()),
                Term::Artist("iron maiden".into()),
                Term::Years(1990, 1999),
                Term::Confidence(Cmp::Gt, 0.8),
                Term::Genre("metal".into()),
                Term::Word("x".into()),
                Term::Word("y".into()),
            ]
        );
        assert_eq!(
            Query::parse("conf:>=75%").terms,
            vec![Term::Confidence(Cmp::Ge, 0.75)]
        );
        assert_eq!(
            Query::parse("year:..1980").terms,
            vec![Term::Years(0, 1980)]
        );
        // A filter that does not parse is words.
        assert_eq!(
            Query::parse("year:soon").terms,
            vec![Term::Word("year".into()), Term::Word("soon".into())]
        );
        assert!(Query::parse("  ").is_empty());
    }

    #[test]
    fn whole_words_beat_prefixes_beat_substrings() {
        assert_eq!(word_score("war of freedom", "war"), 100);
        assert_eq!(word_score("warzone 2100", "war"), 60);
        assert_eq!(word_score("the coward", "war"), 30);
        assert_eq!(word_score("", "war"), 0);
        assert_eq!(
            word_score("unknown", "w"),
            0,
            "one letter only as a word or a start"
        );
    }

    fn catalog() -> Catalog {
        let t = |title: &str, artist: &str, album: &str, year: Option<u16>| TrackInfo {
            id: TrackId::of_path(std::path::Path::new(&format!("/m/{title}.mp3"))),
            path: format!("/m/{title}.mp3").into(),
            title: title.into(),
            artist: artist.into(),
            album: album.into(),
            year,
            ..Default::default()
        };
        Catalog::new(
            "/m".into(),
            vec![
                t("The coward", "Sectoid", "Tales", Some(1994)),
                t("Track 1", "Warzone 2100", "Original Soundtrack", Some(1999)),
                t("War of freedom", "Sectoid", "Tales", Some(1994)),
                t(
                    "Untitled",
                    crate::library::track::UNKNOWN_ARTIST,
                    crate::library::track::UNKNOWN_ALBUM,
                    None,
                ),
                t("Wild arrows", "Other", "Far", Some(2005)),
            ],
            vec![],
        )
    }

    fn titles(lib: &Catalog, q: &str) -> Vec<String> {
        Searcher::default()
            .run(lib, &Query::parse(q), 100)
            .into_iter()
            .filter_map(|id| lib.track(id).map(|t| t.title.clone()))
            .collect()
    }

    #[test]
    fn ranked_results_and_the_placeholder_never_matches() {
        let lib = catalog();
        // Whole word, then prefix (an artist), then inside a word, then scattered letters;
        // "Unknown artist" has w·a·r in it but is never searched.
        assert_eq!(
            titles(&lib, "war"),
            ["War of freedom", "Track 1", "The coward", "Wild arrows"]
        );
        assert_eq!(titles(&lib, "unknown"), Vec::<String>::new());
        assert_eq!(
            titles(&lib, "year:1990..1995"),
            ["The coward", "War of freedom"]
        );
        assert_eq!(
            titles(&lib, "artist:sectoid war"),
            ["War of freedom", "The coward"]
        );
        assert_eq!(titles(&lib, "1999"), ["Track 1"]);
        assert_eq!(titles(&lib, "file:wild"), ["Wild arrows"]);
    }
}
