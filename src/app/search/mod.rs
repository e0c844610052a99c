//! Search: a query of words and field filters, ranked over title, artist, album, album
//! artist, genre (the tag and the classified one), year and file name. Whole-word matches
//! rank before prefixes, prefixes before substrings, substrings before scattered letters; the
//! "Unknown artist/album" placeholders are never searched. Filters: `artist:`, `album:`,
//! `title:`, `file:`, `genre:metal` (`genre:?` the tracks the model is unsure of),
//! `style:indie` (the styles a track shows), `year:1990..1999`, `conf:>0.8` (the top genre's
//! confidence). Results are a list of their own; no view is filtered.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config as MatchConfig, Matcher, Utf32Str};

use memchr::memmem::Finder;

pub mod index;
pub mod query;

pub use query::Query;

use crate::app::catalog::Catalog;
use crate::library::TrackId;
use index::{FIELDS, Field, SearchIndex};
use query::{Cmp, Term, label_sets, word_score};

/// What the user typed after `/`, whether keys still go to it, and whether the results show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchBox {
    pub text: String,
    pub typing: bool,
    pub open: bool,
}

/// The narrowest earlier results a query can start from, and how many queries are kept.
const RECENT: usize = 16;

/// One query's results, kept so that the next key does not search the whole library again.
struct Run {
    query: Query,
    stamp: (u64, usize),
    limit: usize,
    /// Every match (track index, score), in library order.
    matches: Vec<(u32, u32)>,
    /// The best `limit` of them, best first.
    ranked: Vec<TrackId>,
}

/// Runs queries over a catalog. It keeps the last few queries' matches: a query that only
/// narrows one of them (a word typed on, a word added) ranks just those matches again, and a
/// query typed before (a backspace) is answered from memory. [`Searcher::forget`] drops them
/// when the catalog changes.
pub struct Searcher {
    matcher: Matcher,
    buf: Vec<char>,
    recent: Vec<Run>,
}

impl Default for Searcher {
    fn default() -> Self {
        Searcher {
            matcher: Matcher::new(MatchConfig::DEFAULT),
            buf: Vec::new(),
            recent: Vec::new(),
        }
    }
}

/// A query term made ready to run over the index.
enum Prep<'q> {
    Word {
        word: &'q str,
        finder: Finder<'q>,
        chars: usize,
        /// Scattered letters (words of 3 letters or more).
        fuzzy: Option<Pattern>,
        /// The best a genre label scores (0: no track's classified genre can match).
        label_best: u32,
    },
    /// A filter on fields containing the text.
    Contains(&'static [Field], Finder<'q>),
    Genre {
        v: &'q str,
        finder: Finder<'q>,
    },
    Style(&'q str),
    Years(u16, u16),
    Confidence(Cmp, f32),
}

fn prepare<'q>(lib: &Catalog, q: &'q Query) -> Vec<Prep<'q>> {
    let labels = label_sets(lib);
    q.terms
        .iter()
        .map(|t| match t {
            Term::Word(w) => {
                let chars = w.chars().count();
                Prep::Word {
                    word: w,
                    finder: Finder::new(w.as_bytes()),
                    chars,
                    fuzzy: (chars >= 3)
                        .then(|| Pattern::parse(w, CaseMatching::Ignore, Normalization::Smart)),
                    label_best: labels
                        .iter()
                        .flat_map(|l| l.iter())
                        .map(|l| word_score(l, w))
                        .max()
                        .unwrap_or(0),
                }
            }
            Term::Artist(v) => Prep::Contains(
                &[Field::Artist, Field::AlbumArtist],
                Finder::new(v.as_bytes()),
            ),
            Term::Album(v) => Prep::Contains(&[Field::Album], Finder::new(v.as_bytes())),
            Term::Title(v) => Prep::Contains(&[Field::Title], Finder::new(v.as_bytes())),
            Term::File(v) => Prep::Contains(&[Field::File], Finder::new(v.as_bytes())),
            Term::Genre(v) => Prep::Genre {
                v,
                finder: Finder::new(v.as_bytes()),
            },
            Term::Style(v) => Prep::Style(v),
            Term::Years(a, b) => Prep::Years(*a, *b),
            Term::Confidence(c, x) => Prep::Confidence(*c, *x),
        })
        .collect()
}

/// Whether the letters of an ASCII `needle` can appear in order in `hay`; any non-ASCII byte
/// counts as any letter (fuzzy matching folds accents), so `false` is certain.
fn may_be_scattered_in(hay: &[u8], needle: &[u8]) -> bool {
    let mut j = 0;
    for &b in hay {
        if j == needle.len() {
            break;
        }
        if b == needle[j] || b >= 0x80 {
            j += 1;
        }
    }
    j == needle.len()
}

/// The score of the best place `finder`'s word occurs in a track's text (0 = nowhere): a whole
/// word, a word's start, inside a word, times the field's weight.
fn best_hit(txt: &str, at: &[usize; FIELDS + 1], finder: &Finder, len: usize, chars: usize) -> u32 {
    let bytes = txt.as_bytes();
    let base = at[0];
    let mut best = 0;
    for p in finder.find_iter(bytes) {
        let k = (0..FIELDS).rev().find(|&k| at[k] - base <= p).unwrap_or(0);
        let starts = txt
            .get(..p)
            .and_then(|s| s.chars().next_back())
            .is_none_or(|c| !c.is_alphanumeric());
        let ends = txt
            .get(p + len..)
            .and_then(|s| s.chars().next())
            .is_none_or(|c| !c.is_alphanumeric());
        let s = match (starts, ends) {
            (true, true) => 100,
            (true, false) => 60,
            _ if chars >= 2 => 30,
            _ => 0,
        };
        best = best.max(s * Field::WEIGHTS[k]);
        if best >= 100 * Field::WEIGHTS[0] {
            break;
        }
    }
    best
}

/// Everything one track is scored with.
struct Ctx<'a> {
    lib: &'a Catalog,
    idx: &'a SearchIndex,
    matcher: &'a mut Matcher,
    buf: &'a mut Vec<char>,
}

impl Ctx<'_> {
    /// Track `i`'s score for the query (`None`: it does not match).
    fn score(&mut self, i: usize, terms: &[Prep]) -> Option<u32> {
        let t = self.lib.tracks.get(i)?;
        if i >= self.idx.len() {
            return None;
        }
        let (txt, at) = self.idx.track(i);
        let mut total = 0u32;
        for term in terms {
            match term {
                Prep::Word {
                    word,
                    finder,
                    chars,
                    fuzzy,
                    label_best,
                } => {
                    let mut best = best_hit(txt, at, finder, word.len(), *chars);
                    if *label_best * Field::GENRE_WEIGHT > best
                        && let Some((g, _)) = self.lib.genre_of(t.id)
                    {
                        best = best.max(word_score(g, word) * Field::GENRE_WEIGHT);
                    }
                    if best == 0
                        && let Some(p) = fuzzy
                    {
                        // Scattered letters: last, and only over the names (never a
                        // placeholder).
                        let hay = &txt[..at[3] - at[0]];
                        if (!word.is_ascii()
                            || may_be_scattered_in(hay.as_bytes(), word.as_bytes()))
                            && p.score(Utf32Str::new(hay, self.buf), self.matcher)
                                .is_some()
                        {
                            best = 1;
                        }
                    }
                    if best == 0 {
                        return None;
                    }
                    total += best;
                }
                Prep::Contains(fields, finder) => {
                    if !fields
                        .iter()
                        .any(|f| finder.find(self.idx.field(i, *f).as_bytes()).is_some())
                    {
                        return None;
                    }
                }
                Prep::Genre { v, finder } => {
                    // A track the model is unsure of has no genre: only `genre:?` (or
                    // `genre:unsure`) finds it, never its top guess.
                    let known = self.lib.is_known(t.id);
                    let classified = match self.lib.genre_of(t.id) {
                        Some(_) if !known => *v == "?" || "unsure".starts_with(v),
                        Some((g, _)) => g.starts_with(v),
                        None => false,
                    };
                    if !(classified
                        || finder
                            .find(self.idx.field(i, Field::Genre).as_bytes())
                            .is_some())
                    {
                        return None;
                    }
                }
                Prep::Style(v) => {
                    if !self.lib.styles_of(t.id).iter().any(|(n, _)| n.contains(v)) {
                        return None;
                    }
                }
                Prep::Years(a, b) => {
                    if !t.year.is_some_and(|y| (*a..=*b).contains(&y)) {
                        return None;
                    }
                }
                Prep::Confidence(cmp, x) => {
                    let (_, p) = self.lib.genre_of(t.id)?;
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

/// The best `limit` of `matches` (track index, score), best first, ties in library order.
fn rank(lib: &Catalog, matches: &[(u32, u32)], limit: usize) -> Vec<TrackId> {
    let mut order: Vec<(u32, u32)> = matches.iter().map(|&(i, s)| (s, i)).collect();
    let key = |&(s, i): &(u32, u32)| (std::cmp::Reverse(s), i);
    if limit == 0 {
        order.clear();
    } else if order.len() > limit {
        order.select_nth_unstable_by_key(limit - 1, key);
        order.truncate(limit);
    }
    order.sort_unstable_by_key(key);
    order
        .into_iter()
        .filter_map(|(_, i)| lib.tracks.get(i as usize).map(|t| t.id))
        .collect()
}

impl Searcher {
    /// `q`'s results after the genres of `changed` tracks changed: only those tracks are
    /// scored again (the others keep their match and score). Queries remembered that look at
    /// genres are forgotten; without `q` remembered it is searched afresh.
    pub fn rescore(
        &mut self,
        lib: &Catalog,
        q: &Query,
        changed: &[TrackId],
        limit: usize,
    ) -> Vec<TrackId> {
        let stamp = lib.stamp();
        let mine = self
            .recent
            .iter()
            .position(|r| r.query == *q && r.limit == limit && r.stamp == stamp)
            .map(|i| self.recent.remove(i));
        self.forget_if(|q| q.uses_genres(lib));
        let (Some(mut r), true) = (mine, lib.search.len() == lib.tracks.len()) else {
            return self.run(lib, q, limit);
        };
        let mut moved: Vec<u32> = changed
            .iter()
            .filter_map(|id| lib.index.get(id).map(|&i| i as u32))
            .collect();
        moved.sort_unstable();
        moved.dedup();
        r.matches.retain(|(i, _)| moved.binary_search(i).is_err());
        let terms = prepare(lib, q);
        let mut ctx = Ctx {
            lib,
            idx: &lib.search,
            matcher: &mut self.matcher,
            buf: &mut self.buf,
        };
        for i in moved {
            if let Some(s) = ctx.score(i as usize, &terms) {
                r.matches.push((i, s));
            }
        }
        r.matches.sort_unstable_by_key(|m| m.0);
        r.ranked = rank(lib, &r.matches, limit);
        let ranked = r.ranked.clone();
        self.recent.push(r);
        ranked
    }

    /// The tracks that match `q`, best first (ties in library order). At most `limit`.
    pub fn run(&mut self, lib: &Catalog, q: &Query, limit: usize) -> Vec<TrackId> {
        if q.is_empty() {
            return vec![];
        }
        let stamp = lib.stamp();
        self.recent.retain(|r| r.stamp == stamp);
        if let Some(i) = self
            .recent
            .iter()
            .position(|r| r.query == *q && r.limit == limit)
        {
            let r = self.recent.remove(i);
            let ranked = r.ranked.clone();
            self.recent.push(r);
            return ranked;
        }
        // A catalog whose tracks were changed after it was made gets a fresh index.
        let own;
        let idx = if lib.search.len() == lib.tracks.len() {
            &lib.search
        } else {
            own = SearchIndex::build(&lib.tracks);
            &own
        };
        let terms = prepare(lib, q);
        let Searcher {
            matcher,
            buf,
            recent,
        } = self;
        let mut ctx = Ctx {
            lib,
            idx,
            matcher,
            buf,
        };
        let base = recent
            .iter()
            .filter(|r| q.narrows(&r.query))
            .min_by_key(|r| r.matches.len());
        let matches: Vec<(u32, u32)> = match base {
            Some(r) => r
                .matches
                .iter()
                .filter_map(|&(i, _)| ctx.score(i as usize, &terms).map(|s| (i, s)))
                .collect(),
            None => (0..lib.tracks.len())
                .filter_map(|i| ctx.score(i, &terms).map(|s| (i as u32, s)))
                .collect(),
        };
        let ranked = rank(lib, &matches, limit);
        recent.push(Run {
            query: q.clone(),
            stamp,
            limit,
            matches,
            ranked: ranked.clone(),
        });
        if recent.len() > RECENT {
            recent.remove(0);
        }
        ranked
    }

    /// Drops the remembered results (the catalog changed).
    pub fn forget(&mut self) {
        self.recent.clear();
    }

    /// Drops the remembered results of the queries `f` picks.
    pub fn forget_if(&mut self, f: impl Fn(&Query) -> bool) {
        self.recent.retain(|r| !f(&r.query));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::catalog::TrackInfo;

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

    #[test]
    fn narrowing_only_from_what_contains_every_match() {
        let n = |a: &str, b: &str| Query::parse(a).narrows(&Query::parse(b));
        assert!(n("warz", "war"));
        assert!(n("war song", "war"));
        assert!(n("artist:sect", "artist:sec"));
        assert!(n("year:1992..1994", "year:1990..1999"));
        // "war" matches scattered letters that "wa" does not: never narrowed from "wa".
        assert!(!n("war", "wa"));
        assert!(!n("wa", "war"));
        assert!(!n("year:1990", "year:199"));
        assert!(!n("conf:>0.9", "conf:>0.8"));
    }

    #[test]
    fn remembered_and_narrowed_results_are_those_of_a_fresh_search() {
        let lib = catalog();
        // Typed key by key (\u{8} is a backspace), remembered and narrowed as the box does.
        let keys = "war of f\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}wild ar\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\
                    artist:sec war year:1994 t\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\
                    \u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}tales";
        for limit in [100, 2] {
            let mut typing = Searcher::default();
            let mut text = String::new();
            let mut seen = 0;
            for c in keys.chars() {
                if c == '\u{8}' {
                    text.pop();
                } else {
                    text.push(c);
                }
                let q = Query::parse(&text);
                let fresh = Searcher::default().run(&lib, &q, limit);
                assert_eq!(
                    typing.run(&lib, &q, limit),
                    fresh,
                    "{text:?}, limit {limit}"
                );
                seen += fresh.len();
            }
            assert!(seen > 10, "the queries match something");
        }
    }
}
