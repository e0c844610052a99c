//! The query language: words, and field filters (`artist:`, `album:`, `title:`, `file:`,
//! `genre:`, `style:`, `year:`, `conf:`), parsed once per change of the search box.

use crate::app::catalog::Catalog;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

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
    Years(u16, u16),
    Confidence(Cmp, f32),
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub(super) terms: Vec<Term>,
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
                    "style" | "s" => Some(Term::Style(v.to_string())),
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

    /// Whether every track that matches `self` also matches `earlier` (so `self` need only
    /// look at `earlier`'s matches): the same terms, or longer text in the same term, plus
    /// any number of new terms. A word shorter than 3 letters is never narrowed from: "wa"
    /// only matches inside words while "war" also matches scattered letters.
    pub fn narrows(&self, earlier: &Query) -> bool {
        earlier.terms.len() <= self.terms.len()
            && earlier
                .terms
                .iter()
                .zip(&self.terms)
                .all(|(e, n)| match (e, n) {
                    _ if e == n => true,
                    (Term::Word(e), Term::Word(n)) => {
                        e.chars().count() >= 3 && n.contains(e.as_str())
                    }
                    (Term::Artist(e), Term::Artist(n))
                    | (Term::Album(e), Term::Album(n))
                    | (Term::Title(e), Term::Title(n))
                    | (Term::File(e), Term::File(n)) => n.contains(e.as_str()),
                    (Term::Genre(e), Term::Genre(n)) => n.starts_with(e.as_str()),
                    (Term::Style(e), Term::Style(n)) => n.contains(e.as_str()),
                    (Term::Years(a, b), Term::Years(c, d)) => a <= c && d <= b,
                    _ => false,
                })
    }

    /// Whether the tracks' genres can change what matches (a genre or confidence filter, or a
    /// word found in a genre name).
    pub fn uses_genres(&self, lib: &Catalog) -> bool {
        let labels = label_sets(lib);
        self.terms.iter().any(|t| match t {
            Term::Genre(_) | Term::Style(_) | Term::Confidence(..) => true,
            Term::Word(w) => labels
                .iter()
                .flat_map(|l| l.iter())
                .any(|l| word_score(l, w) > 0),
            _ => false,
        })
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
