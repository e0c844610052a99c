//! The query language: words, and field filters (`artist:`, `album:`, `title:`, `file:`,
//! `genre:`, `style:`, `year:`, `conf:`) and what the history and the sound add (`plays:`,
//! `skips:`, `rating:`, `played:`, `added:`, `like:`), parsed once per change of the search
//! box. The search box reads a filter that does not parse as words; a smart playlist's rule
//! ([`Query::parse_rule`]) is refused with the word and its place instead. The values are
//! parsed by `rules`.

use super::rules::{self, Age, MAX_RULE_CHARS, MAX_TERMS, Num, RuleError};
use crate::app::catalog::Catalog;
use crate::store::history::Rating;

/// The shortest word matched by scattered letters. cmus and rmpc match words as substrings
/// only; genreplay keeps scattered letters for longer words ("mtllca" finds "Metallica") as a
/// last tier, but a short word's letters turn up scattered in most titles ("reg" in "Escape
/// from chaosland"), so below this length a word only matches as a substring.
pub const FUZZY_MIN_CHARS: usize = 5;

/// One part of a query.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Term {
    Word(String),
    Artist(String),
    Album(String),
    Title(String),
    File(String),
    Genre(String),
    Style(String),
    Year(Num),
    Confidence(Num),
    Plays(Num),
    Skips(Num),
    Rating(Rating),
    /// The time since the track was last played (never played: longer than any).
    Played(Age),
    /// The time since the file entered the library.
    Added(Age),
    /// Sounds like the track called `name` (title, or `artist - title`), by `min`.
    Like {
        name: String,
        min: Num,
    },
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub(super) terms: Vec<Term>,
}

/// A word of the query: where it starts (1-based character), its text with the quotes taken
/// out, and its text as typed (the `like:` value reads its quotes).
struct Token {
    at: usize,
    text: String,
    raw: String,
}

/// Splits on spaces, keeping "double quoted" parts together. The end of the text inside
/// quotes is an error for a rule (`Some(position of the quote)`).
fn tokens(q: &str) -> (Vec<Token>, Option<usize>) {
    let mut out = Vec::new();
    let mut cur = Token {
        at: 0,
        text: String::new(),
        raw: String::new(),
    };
    let mut quoted = None;
    for (i, c) in q.chars().enumerate() {
        if c.is_whitespace() && quoted.is_none() {
            if !cur.raw.is_empty() {
                out.push(std::mem::replace(
                    &mut cur,
                    Token {
                        at: 0,
                        text: String::new(),
                        raw: String::new(),
                    },
                ));
            }
            continue;
        }
        if cur.raw.is_empty() {
            cur.at = i + 1;
        }
        cur.raw.push(c);
        if c == '"' {
            quoted = match quoted {
                Some(_) => None,
                None => Some(i + 1),
            };
        } else {
            cur.text.push(c);
        }
    }
    if !cur.raw.is_empty() {
        out.push(cur);
    }
    (out, quoted)
}

/// The filter a `key:value` word names, or `None` when `key` is no field (then the word is
/// searched as words).
fn filter(key: &str, value: &str, raw: &str) -> Option<Result<Term, &'static str>> {
    let text = |f: fn(String) -> Term| Some(Ok(f(value.to_string())));
    Some(match key {
        "artist" | "a" => return text(Term::Artist),
        "album" | "b" => return text(Term::Album),
        "title" | "t" => return text(Term::Title),
        "file" | "path" => return text(Term::File),
        "genre" | "g" => return text(Term::Genre),
        "style" | "s" => return text(Term::Style),
        "year" | "y" => rules::year(value).map(Term::Year),
        "conf" | "c" => rules::confidence(value).map(Term::Confidence),
        "plays" => rules::count(value).map(Term::Plays),
        "skips" => rules::count(value).map(Term::Skips),
        "rating" => rules::rating(value).map(Term::Rating),
        "played" => rules::age(value, true).map(Term::Played),
        "added" => rules::age(value, false).map(Term::Added),
        "like" => {
            // The value as typed: a quoted name keeps its `>` and spaces.
            let v = raw.split_once(':').map_or("", |(_, v)| v);
            rules::like(v).map(|(name, min)| Term::Like { name, min })
        }
        _ => return None,
    })
}

impl Query {
    /// Parses `text` as the search box does: a filter that does not parse is searched as
    /// words.
    pub fn parse(text: &str) -> Query {
        match Self::parse_with(text, false) {
            Ok(q) => q,
            Err(_) => Query { terms: vec![] },
        }
    }

    /// Parses a smart playlist's rule: every `key:value` must be a field with a value it
    /// takes; what does not is refused with the word and where it starts. At most
    /// [`MAX_RULE_CHARS`] characters and [`MAX_TERMS`] terms.
    pub fn parse_rule(text: &str) -> Result<Query, RuleError> {
        let chars = text.chars().count();
        if chars > MAX_RULE_CHARS {
            return Err(RuleError::TooLong { chars });
        }
        let q = Self::parse_with(text, true)?;
        if q.terms.is_empty() {
            return Err(RuleError::Empty);
        }
        Ok(q)
    }

    fn parse_with(text: &str, strict: bool) -> Result<Query, RuleError> {
        let mut terms = Vec::new();
        let (words, open_quote) = tokens(&text.to_lowercase());
        if let (true, Some(at)) = (strict, open_quote) {
            return Err(RuleError::Quote { at });
        }
        for t in words {
            let term = match t.text.split_once(':') {
                Some((k, v)) if !v.is_empty() => filter(k, v, &t.raw),
                Some((k, _)) if strict && filter(k, "x", "").is_some() => Some(Err("no value")),
                _ => None,
            };
            match term {
                Some(Ok(term)) => terms.push(term),
                Some(Err(why)) if strict => {
                    return Err(RuleError::Value {
                        word: t.raw,
                        at: t.at,
                        why,
                    });
                }
                None if strict && t.text.contains(':') => {
                    return Err(RuleError::Field {
                        word: t.raw,
                        at: t.at,
                    });
                }
                _ => terms.extend(
                    t.text
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|w| !w.is_empty())
                        .map(|w| Term::Word(w.to_string())),
                ),
            }
            if strict && terms.len() > MAX_TERMS {
                return Err(RuleError::TooManyTerms);
            }
        }
        Ok(Query { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether every track that matches `self` also matches `earlier` (so `self` need only
    /// look at `earlier`'s matches): the same terms, or longer text in the same term, plus
    /// any number of new terms. A word of [`FUZZY_MIN_CHARS`] letters or more is never
    /// narrowed from a shorter one (it may match scattered letters the shorter one does not),
    /// nor any word from one letter (which only matches at the start of a word).
    pub fn narrows(&self, earlier: &Query) -> bool {
        earlier.terms.len() <= self.terms.len()
            && earlier
                .terms
                .iter()
                .zip(&self.terms)
                .all(|(e, n)| match (e, n) {
                    _ if e == n => true,
                    (Term::Word(e), Term::Word(n)) => {
                        let fuzzy = |w: &str| w.chars().count() >= FUZZY_MIN_CHARS;
                        // A one-letter word matches only at a word's start; "wa" inside too.
                        e.chars().count() >= 2 && n.contains(e.as_str()) && (fuzzy(e) || !fuzzy(n))
                    }
                    (Term::Artist(e), Term::Artist(n))
                    | (Term::Album(e), Term::Album(n))
                    | (Term::Title(e), Term::Title(n))
                    | (Term::File(e), Term::File(n)) => n.contains(e.as_str()),
                    (Term::Genre(e), Term::Genre(n)) => n.starts_with(e.as_str()),
                    (Term::Style(e), Term::Style(n)) => n.contains(e.as_str()),
                    (Term::Year(e), Term::Year(n)) => n.within(e),
                    _ => false,
                })
    }

    /// Whether the tracks' genres can change what matches (a genre, style, confidence or
    /// `like:` filter, or a word found in a genre name).
    pub fn uses_genres(&self, lib: &Catalog) -> bool {
        let labels = label_sets(lib);
        self.terms.iter().any(|t| match t {
            Term::Genre(_) | Term::Style(_) | Term::Confidence(..) | Term::Like { .. } => true,
            Term::Word(w) => labels
                .iter()
                .flat_map(|l| l.iter())
                .any(|l| word_score(l, w) > 0),
            _ => false,
        })
    }

    /// Whether what matches depends on the history or the clock (`plays:`, `skips:`,
    /// `rating:`, `played:`, `added:`): such a query's results are never remembered.
    pub fn uses_history(&self) -> bool {
        self.terms.iter().any(|t| {
            matches!(
                t,
                Term::Plays(_)
                    | Term::Skips(_)
                    | Term::Rating(_)
                    | Term::Played(_)
                    | Term::Added(_)
            )
        })
    }

    /// The fields the query filters on, by name, each once (`words` for plain words).
    pub fn fields(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for t in &self.terms {
            let f = match t {
                Term::Word(_) => "words",
                Term::Artist(_) => "artist",
                Term::Album(_) => "album",
                Term::Title(_) => "title",
                Term::File(_) => "file",
                Term::Genre(_) => "genre",
                Term::Style(_) => "style",
                Term::Year(_) => "year",
                Term::Confidence(_) => "conf",
                Term::Plays(_) => "plays",
                Term::Skips(_) => "skips",
                Term::Rating(_) => "rating",
                Term::Played(_) => "played",
                Term::Added(_) => "added",
                Term::Like { .. } => "like",
            };
            if !out.contains(&f) {
                out.push(f);
            }
        }
        out
    }

    /// The names `like:` terms look for.
    pub fn like_names(&self) -> Vec<&str> {
        self.terms
            .iter()
            .filter_map(|t| match t {
                Term::Like { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// How well `word` matches `field` (0 = not at all): a whole word, a word's start, inside.
pub(super) fn word_score(field: &str, word: &str) -> u32 {
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

/// The genre labels tracks can have: the active model's, and any earlier model's.
pub(super) fn label_sets(lib: &Catalog) -> Vec<&[String]> {
    let mut sets: Vec<&[String]> = vec![&lib.labels];
    let mut seen: Vec<*const Vec<String>> = Vec::new();
    for (labels, _) in lib.fallback.values() {
        let ptr = std::sync::Arc::as_ptr(labels);
        if !seen.contains(&ptr) {
            seen.push(ptr);
            sets.push(labels.as_slice());
        }
    }
    sets
}
