//! The values filters take: comparisons (`>3`, `<=0.8`, `=1994`, `1990..1999`, `2000..`,
//! `..1980`), ages (`<30d`, `>2w`, `1m..1y`; `played:never`), ratings, and `like:`'s name and
//! threshold; and why a smart playlist's rule was refused ([`RuleError`]: the word and the
//! character it starts at).

use crate::recommend::similar::DEFAULT_MIN_SIMILARITY;
use crate::store::history::Rating;

/// The longest rule (in characters).
pub const MAX_RULE_CHARS: usize = 1000;
/// The most terms (filters and words) in a rule.
pub const MAX_TERMS: usize = 32;
/// The longest name `like:` looks for.
const MAX_NAME_CHARS: usize = 300;

/// Why a rule was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    #[error("the rule is empty")]
    Empty,
    #[error("the rule is {chars} characters long; a rule has at most {MAX_RULE_CHARS}")]
    TooLong { chars: usize },
    #[error("the rule has more than {MAX_TERMS} terms")]
    TooManyTerms,
    #[error("the quote at character {at} is not closed")]
    Quote { at: usize },
    #[error(
        "\"{word}\" at character {at}: no such field (artist, album, title, file, genre, \
         style, year, conf, plays, skips, rating, played, added, like)"
    )]
    Field { word: String, at: usize },
    #[error("\"{word}\" at character {at}: {why}")]
    Value {
        word: String,
        at: usize,
        why: &'static str,
    },
    #[error("like: no track of the library is called \"{name}\"")]
    NoTrack { name: String },
    #[error("like: {n} tracks are called \"{name}\" ({examples}); name one as \"artist - title\"")]
    Ambiguous {
        name: String,
        n: usize,
        examples: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

/// A comparison with a number, or a range (both ends in it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Cmp(Cmp, f64),
    Range(f64, f64),
}

impl Num {
    pub fn holds(&self, x: f64) -> bool {
        match *self {
            Num::Cmp(Cmp::Gt, v) => x > v,
            Num::Cmp(Cmp::Ge, v) => x >= v,
            Num::Cmp(Cmp::Lt, v) => x < v,
            Num::Cmp(Cmp::Le, v) => x <= v,
            Num::Cmp(Cmp::Eq, v) => x == v,
            Num::Range(a, b) => a <= x && x <= b,
        }
    }

    /// Whether everything `self` holds for, `outer` holds for too.
    pub fn within(&self, outer: &Num) -> bool {
        let (a, b) = self.bounds();
        let (c, d) = outer.bounds();
        self == outer || (c <= a && b <= d && !matches!(outer, Num::Cmp(Cmp::Gt | Cmp::Lt, _)))
    }

    /// The closed interval it holds for (open ends as infinities).
    fn bounds(&self) -> (f64, f64) {
        match *self {
            Num::Cmp(Cmp::Gt | Cmp::Ge, v) => (v, f64::INFINITY),
            Num::Cmp(Cmp::Lt | Cmp::Le, v) => (f64::NEG_INFINITY, v),
            Num::Cmp(Cmp::Eq, v) => (v, v),
            Num::Range(a, b) => (a, b),
        }
    }
}

/// An age filter: never (played), or a comparison of the age in seconds (never played counts
/// as older than any age).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Age {
    Never,
    Span(Num),
}

impl Age {
    /// Whether a track whose time is `at` (Unix seconds; `None`: never) matches at `now`.
    pub fn holds(&self, at: Option<u64>, now: u64) -> bool {
        match (self, at) {
            (Age::Never, at) => at.is_none(),
            (Age::Span(n), None) => n.holds(f64::INFINITY),
            (Age::Span(n), Some(t)) => n.holds(now.saturating_sub(t) as f64),
        }
    }
}

/// `>x`, `>=x`, `<x`, `<=x`, `=x`, `x` (equal), `a..b`, `a..`, `..b`, with `value` reading
/// each number.
fn compare(v: &str, value: impl Fn(&str) -> Option<f64>) -> Option<Num> {
    if let Some((a, b)) = v.split_once("..") {
        let a = if a.is_empty() {
            f64::NEG_INFINITY
        } else {
            value(a)?
        };
        let b = if b.is_empty() {
            f64::INFINITY
        } else {
            value(b)?
        };
        return (a.is_finite() || b.is_finite()).then_some(Num::Range(a.min(b), a.max(b)));
    }
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
    value(rest.trim()).map(|x| Num::Cmp(cmp, x))
}

/// `year:` — whole years.
pub fn year(v: &str) -> Result<Num, &'static str> {
    compare(v, |s| s.parse::<u16>().ok().map(f64::from))
        .ok_or("a year, a comparison or a range (1994, >2000, <=1999, 1990..1999, 2000..)")
}

/// A fraction 0–1, or a percentage.
fn fraction(s: &str) -> Option<f64> {
    let x = match s.strip_suffix('%') {
        Some(p) => p.parse::<f64>().ok()? / 100.0,
        None => s.parse::<f64>().ok()?,
    };
    (x.is_finite() && (0.0..=1.0).contains(&x)).then_some(x)
}

/// `conf:` — the top genre's confidence; `=x` is within half a percent.
pub fn confidence(v: &str) -> Result<Num, &'static str> {
    match compare(v, fraction) {
        Some(Num::Cmp(Cmp::Eq, x)) => Ok(Num::Range(x - 0.005, x + 0.005)),
        Some(n) => Ok(n),
        None => Err("a confidence 0–1 or a percentage, compared (>0.8, <=75%, 0.5..0.9)"),
    }
}

/// `plays:`, `skips:` — whole counts.
pub fn count(v: &str) -> Result<Num, &'static str> {
    compare(v, |s| s.parse::<u32>().ok().map(f64::from))
        .ok_or("a count, a comparison or a range (0, >3, <=10, 2..5)")
}

/// `rating:` — like, dislike or none.
pub fn rating(v: &str) -> Result<Rating, &'static str> {
    match v {
        "like" | "liked" => Ok(Rating::Like),
        "dislike" | "disliked" => Ok(Rating::Dislike),
        "none" | "unrated" => Ok(Rating::None),
        _ => Err("like, dislike or none"),
    }
}

/// An age in seconds: a whole number and a unit (h, d, w, m = 30 days, y = 365 days).
fn span(s: &str) -> Option<f64> {
    let unit = s.chars().last()?;
    let secs = match unit {
        'h' => 3_600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        'm' => 30 * 86_400,
        'y' => 365 * 86_400,
        _ => return None,
    };
    let n: u32 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    (n <= 100_000).then(|| f64::from(n) * f64::from(secs))
}

/// `played:`, `added:` — an age: `<30d` within the last 30 days (also `30d`), `>30d` longer
/// ago (for `played:`, never played too), `1w..1m`; `played:never`.
pub fn age(v: &str, played: bool) -> Result<Age, &'static str> {
    const WHY: &str = "an age with a unit (h, d, w, m, y), compared: <30d, >1y, 1w..1m";
    if v == "never" {
        return if played {
            Ok(Age::Never)
        } else {
            Err("a file is always added some time: an age such as <7d")
        };
    }
    if v.starts_with('=') {
        return Err("an age takes <, > or a range (=7d means nothing)");
    }
    match compare(v, span) {
        // An age alone: within it.
        Some(Num::Cmp(Cmp::Eq, x)) => Ok(Age::Span(Num::Cmp(Cmp::Lt, x))),
        Some(n) => Ok(Age::Span(n)),
        None => Err(WHY),
    }
}

/// `like:` — a track's name (quoted when it has spaces: `like:"take five">0.8`, or
/// `like:"dave brubeck - take five"`) and the similarity it takes (default: play next's
/// floor).
pub fn like(v: &str) -> Result<(String, Num), &'static str> {
    let (name, rest) = match v.strip_prefix('"') {
        Some(q) => q.split_once('"').ok_or("a quote is not closed")?,
        None => match v.find(['>', '<', '=']) {
            Some(i) => (&v[..i], &v[i..]),
            None => (v, ""),
        },
    };
    let name = name.trim();
    if name.is_empty() {
        return Err("a track's title (or \"artist - title\") to sound like");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err("a name of at most 300 characters");
    }
    let min = if rest.is_empty() {
        Num::Cmp(Cmp::Ge, f64::from(DEFAULT_MIN_SIMILARITY))
    } else {
        compare(rest, fraction).ok_or("a similarity 0–1 after the name (like:\"take five\">0.8)")?
    };
    Ok((name.to_string(), min))
}
