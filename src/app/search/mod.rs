//! Search: a query of words and field filters, ranked over title, artist, album, album
//! artist, genre (the tag and the classified one), year and file name. Whole-word matches
//! rank before prefixes, prefixes before substrings; a word of [`FUZZY_MIN_CHARS`] letters or
//! more may also match its letters scattered in order inside one name (title, artist, album),
//! always last; the "Unknown artist/album" placeholders are never searched. Filters:
//! `artist:`, `album:`, `title:`, `file:`, `genre:metal` (`genre:?` the tracks the model is
//! unsure of), `style:indie` (the styles a track shows), `year:1990..1999` (or `>2000`,
//! `<=1999`, `1994`), `conf:>0.8` (the top genre's confidence), and from the history and the
//! sound `plays:>3`, `skips:0`, `rating:like`, `played:<30d`, `added:<7d`,
//! `like:"take five">0.8`. Results are a list of their own; no view is filtered. A smart
//! playlist (`smart`) is a saved query.

use std::collections::HashMap;

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config as MatchConfig, Matcher, Utf32Str};

use memchr::memmem::Finder;

pub mod index;
pub mod names;
pub mod query;
pub mod rules;
pub mod smart;

pub use query::{FUZZY_MIN_CHARS, Query};
pub use rules::RuleError;

use crate::app::catalog::Catalog;
use crate::library::TrackId;
use crate::recommend::similar::{Candidate, QueueOptions, similarity};
use crate::store::history::{HistoryRecord, Rating};
use index::{FIELDS, Field, SearchIndex};
use query::{Term, label_sets, word_score};
use rules::{Age, Num};

/// What a query's history filters read: the listening history and the time now.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub history: Option<&'a HashMap<TrackId, HistoryRecord>>,
    /// Unix seconds.
    pub now: u64,
}

impl<'a> Facts<'a> {
    pub fn new(history: &'a HashMap<TrackId, HistoryRecord>, now: u64) -> Self {
        Facts {
            history: Some(history),
            now,
        }
    }

    /// No history (every track unplayed, unrated), the time now.
    pub fn none() -> Facts<'static> {
        Facts {
            history: None,
            now: crate::util::time::now_unix(),
        }
    }

    fn of(&self, id: TrackId) -> HistoryRecord {
        self.history
            .and_then(|h| h.get(&id).copied())
            .unwrap_or_default()
    }
}

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
        /// Scattered letters (words of [`FUZZY_MIN_CHARS`] letters or more).
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
    Year(Num),
    Confidence(Num),
    Plays(Num),
    Skips(Num),
    Rating(Rating),
    Played(Age),
    Added(Age),
    /// Sounds like `seed` (`None`: no such track, or it has no vector: nothing matches).
    Like {
        seed: Option<Candidate>,
        min: Num,
    },
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
                    fuzzy: (chars >= FUZZY_MIN_CHARS)
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
            Term::Year(n) => Prep::Year(*n),
            Term::Confidence(n) => Prep::Confidence(*n),
            Term::Plays(n) => Prep::Plays(*n),
            Term::Skips(n) => Prep::Skips(*n),
            Term::Rating(r) => Prep::Rating(*r),
            Term::Played(a) => Prep::Played(*a),
            Term::Added(a) => Prep::Added(*a),
            Term::Like { name, min } => Prep::Like {
                seed: names::resolve(lib, name)
                    .ok()
                    .and_then(|id| candidate(lib, id)),
                min: *min,
            },
        })
        .collect()
}

/// Track `id` as play next compares it (its genre and style vectors), when it has a vector.
fn candidate(lib: &Catalog, id: TrackId) -> Option<Candidate> {
    lib.vectors.get(&id).map(|v| Candidate {
        id,
        artist: String::new(),
        genre: v.clone(),
        style: lib.styles.get(&id).cloned(),
        known: true,
    })
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
    facts: Facts<'a>,
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
        let mut total = 0u32;
        for term in terms {
            match term {
                Prep::Word { .. } => total += self.word(i, term)?,
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
                _ => {
                    if !self.holds(t, term) {
                        return None;
                    }
                }
            }
        }
        Some(total)
    }

    /// The number filters, the history's and the sound's.
    fn holds(&self, t: &crate::app::catalog::TrackInfo, term: &Prep) -> bool {
        let h = || self.facts.of(t.id);
        match term {
            Prep::Year(n) => t.year.is_some_and(|y| n.holds(f64::from(y))),
            // To six places: the 0.9 a track shows is 0.8999999761 as an f32 widened.
            Prep::Confidence(n) => self
                .lib
                .genre_of(t.id)
                .is_some_and(|(_, p)| n.holds((f64::from(p) * 1e6).round() / 1e6)),
            Prep::Plays(n) => n.holds(f64::from(h().plays)),
            Prep::Skips(n) => n.holds(f64::from(h().skips)),
            Prep::Rating(r) => h().rating == *r,
            Prep::Played(a) => a.holds(h().last_played_unix, self.facts.now),
            Prep::Added(a) => a.holds(Some(t.added_unix), self.facts.now),
            Prep::Like { seed, min } => seed.as_ref().is_some_and(|seed| {
                candidate(self.lib, t.id).is_some_and(|c| {
                    let sim = similarity(&QueueOptions::default(), seed, &c);
                    min.holds(f64::from(sim))
                })
            }),
            _ => true,
        }
    }

    /// A word's score in track `i` (`None`: it is not there).
    fn word(&mut self, i: usize, term: &Prep) -> Option<u32> {
        let Prep::Word {
            word,
            finder,
            chars,
            fuzzy,
            label_best,
        } = term
        else {
            return None;
        };
        let (txt, at) = self.idx.track(i);
        let id = self.lib.tracks.get(i)?.id;
        let mut best = best_hit(txt, at, finder, word.len(), *chars);
        if *label_best * Field::GENRE_WEIGHT > best
            && let Some((g, _)) = self.lib.genre_of(id)
        {
            best = best.max(word_score(g, word) * Field::GENRE_WEIGHT);
        }
        if best == 0
            && let Some(p) = fuzzy
        {
            // Scattered letters: last, only inside one name (never a placeholder).
            for f in [
                Field::Title,
                Field::Artist,
                Field::Album,
                Field::AlbumArtist,
            ] {
                let hay = self.idx.field(i, f);
                if (!word.is_ascii() || may_be_scattered_in(hay.as_bytes(), word.as_bytes()))
                    && p.score(Utf32Str::new(hay, self.buf), self.matcher)
                        .is_some()
                {
                    best = 1;
                    break;
                }
            }
        }
        (best > 0).then_some(best)
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
        facts: Facts,
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
            return self.run(lib, facts, q, limit);
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
            facts,
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

    /// The tracks that match `q`, best first (ties in library order). At most `limit`. A
    /// query that reads the history or the clock is neither answered from nor kept in memory.
    pub fn run(&mut self, lib: &Catalog, facts: Facts, q: &Query, limit: usize) -> Vec<TrackId> {
        if q.is_empty() {
            return vec![];
        }
        let stamp = lib.stamp();
        self.recent.retain(|r| r.stamp == stamp);
        let keep = !q.uses_history();
        if keep
            && let Some(i) = self
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
            facts,
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
        if !keep {
            return ranked;
        }
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
mod rule_tests;
#[cfg(test)]
mod tests;
