//! The listening figures, from the listen log (`store::listen_log`): time heard per day, the top
//! genres, styles and artists of a period (by time heard and by plays), the share of skips per
//! genre, and what the listener's feedback says in words. Pure functions: the caller passes the
//! listens, what it knows of each track, `now` and the local clock's offset from UTC.
//!
//! "This week" is the last 7 days, "this month" the last 30 (counted back from `now`); a day is
//! a calendar day in local time; a listen counts on the day it started.
//!
//! What was learned ("you finish jazz, you skip country") is said from the finish and skip
//! rates per genre over all the log, and only of a genre with at least
//! [`MIN_LISTENS_TO_SAY`] counted listens: a play share of [`FINISH_SHARE`] or more is "you
//! finish", a skip share of [`SKIP_SHARE`] or more is "you skip".

use std::collections::HashMap;

use serde::Serialize;

use crate::store::TrackId;
use crate::store::history::Listen;
use crate::store::listen_log::LoggedListen;

/// The days of the per-day chart unless asked otherwise.
pub const DEFAULT_DAYS: u32 = 28;
/// The most days the per-day chart may have.
pub const MAX_DAYS: u32 = 3660;
/// How many entries each top list has.
pub const TOP_N: usize = 10;
/// A genre is spoken of only with this many counted listens.
pub const MIN_LISTENS_TO_SAY: u32 = 5;
/// "You finish": at least this share of a genre's listens were plays.
pub const FINISH_SHARE: f64 = 0.7;
/// "You skip": at least this share of a genre's listens were skips.
pub const SKIP_SHARE: f64 = 0.5;
const DAY: u64 = 86_400;

/// What the figures need to know of a track.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackFacts {
    pub artist: String,
    /// The top genre of the active model (`None`: not classified).
    pub genre: Option<String>,
    /// The styles it shows.
    pub styles: Vec<String>,
}

/// A span of time the tops are counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Week,
    Month,
    All,
}

impl Period {
    pub const ALL: [Period; 3] = [Period::Week, Period::Month, Period::All];

    pub fn label(self) -> &'static str {
        match self {
            Period::Week => "this week",
            Period::Month => "this month",
            Period::All => "all time",
        }
    }

    /// The next one (week → month → all time → week).
    pub fn next(self) -> Period {
        match self {
            Period::Week => Period::Month,
            Period::Month => Period::All,
            Period::All => Period::Week,
        }
    }

    /// Its first second at `now` (`None`: the beginning).
    pub fn since(self, now: u64) -> Option<u64> {
        match self {
            Period::Week => Some(now.saturating_sub(7 * DAY)),
            Period::Month => Some(now.saturating_sub(30 * DAY)),
            Period::All => None,
        }
    }
}

/// One day of the per-day chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Day {
    /// `YYYY-MM-DD`, local time.
    pub date: String,
    pub secs: u64,
    pub plays: u32,
    pub skips: u32,
}

/// One entry of a top list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Top {
    pub name: String,
    pub secs: u64,
    pub plays: u32,
    pub skips: u32,
}

/// The figures of one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodStats {
    pub period: Period,
    /// Its first second (Unix), `null` for all time.
    pub since_unix: Option<u64>,
    pub secs: u64,
    pub plays: u32,
    pub skips: u32,
    pub genres_by_time: Vec<Top>,
    pub genres_by_plays: Vec<Top>,
    pub styles_by_time: Vec<Top>,
    pub styles_by_plays: Vec<Top>,
    pub artists_by_time: Vec<Top>,
    pub artists_by_plays: Vec<Top>,
}

impl PeriodStats {
    pub fn listens(&self) -> u32 {
        self.plays.saturating_add(self.skips)
    }
}

/// A genre's share of skips (all time).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkipShare {
    pub genre: String,
    pub listens: u32,
    pub skips: u32,
    /// skips / listens.
    pub share: f64,
}

/// What the feedback says of a genre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Finish,
    Skip,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Learned {
    pub genre: String,
    pub verdict: Verdict,
    pub listens: u32,
    pub plays: u32,
    pub skips: u32,
}

/// What was learned, and the sentence that says it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Taste {
    /// The fewest listens a genre needs to be spoken of.
    pub min_listens: u32,
    pub learned: Vec<Learned>,
    pub words: String,
}

/// Every figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub now_unix: u64,
    pub utc_offset_secs: i64,
    /// The listens in the log (all time).
    pub listens: usize,
    /// The last days, oldest first, today last.
    pub days: Vec<Day>,
    pub periods: Vec<PeriodStats>,
    /// Genres by listens, most first.
    pub skip_share: Vec<SkipShare>,
    pub taste: Taste,
}

impl Stats {
    pub fn period(&self, p: Period) -> Option<&PeriodStats> {
        self.periods.iter().find(|s| s.period == p)
    }
}

/// Sums per name.
#[derive(Default)]
struct Tally(HashMap<String, (u64, u32, u32)>);

impl Tally {
    fn add(&mut self, name: &str, l: &LoggedListen) {
        if !self.0.contains_key(name) {
            self.0.insert(name.to_string(), (0, 0, 0));
        }
        let Some(e) = self.0.get_mut(name) else {
            return;
        };
        e.0 += u64::from(l.heard_secs);
        match l.listen {
            Listen::Play => e.1 = e.1.saturating_add(1),
            Listen::Skip => e.2 = e.2.saturating_add(1),
        }
    }

    fn all(&self) -> Vec<Top> {
        self.0
            .iter()
            .map(|(name, &(secs, plays, skips))| Top {
                name: name.clone(),
                secs,
                plays,
                skips,
            })
            .collect()
    }

    /// The top [`TOP_N`] by `key`, most first (ties by name); entries of 0 are left out.
    fn top(&self, key: impl Fn(&Top) -> u64) -> Vec<Top> {
        let mut all: Vec<Top> = self.all().into_iter().filter(|t| key(t) > 0).collect();
        all.sort_by(|a, b| key(b).cmp(&key(a)).then_with(|| a.name.cmp(&b.name)));
        all.truncate(TOP_N);
        all
    }
}

fn period_stats(
    p: Period,
    listens: &[LoggedListen],
    facts: &HashMap<TrackId, TrackFacts>,
    now: u64,
) -> PeriodStats {
    let since = p.since(now);
    let (mut genres, mut styles, mut artists) =
        (Tally::default(), Tally::default(), Tally::default());
    let (mut secs, mut plays, mut skips) = (0u64, 0u32, 0u32);
    for l in listens
        .iter()
        .filter(|l| since.is_none_or(|s| l.started >= s) && l.started <= now)
    {
        secs += u64::from(l.heard_secs);
        match l.listen {
            Listen::Play => plays = plays.saturating_add(1),
            Listen::Skip => skips = skips.saturating_add(1),
        }
        let Some(f) = facts.get(&l.track) else {
            continue;
        };
        if let Some(g) = &f.genre {
            genres.add(g, l);
        }
        for s in &f.styles {
            styles.add(s, l);
        }
        artists.add(&f.artist, l);
    }
    let by_time = |t: &Top| t.secs;
    let by_plays = |t: &Top| u64::from(t.plays);
    PeriodStats {
        period: p,
        since_unix: since,
        secs,
        plays,
        skips,
        genres_by_time: genres.top(by_time),
        genres_by_plays: genres.top(by_plays),
        styles_by_time: styles.top(by_time),
        styles_by_plays: styles.top(by_plays),
        artists_by_time: artists.top(by_time),
        artists_by_plays: artists.top(by_plays),
    }
}

/// The local calendar day (days since 1970-01-01) of a Unix time.
fn local_day(unix: u64, offset: i64) -> i64 {
    (unix as i64).saturating_add(offset).div_euclid(DAY as i64)
}

/// Time heard per day for the `days` days that end today, oldest first.
fn per_day(listens: &[LoggedListen], now: u64, days: u32, offset: i64) -> Vec<Day> {
    let days = days.clamp(1, MAX_DAYS);
    let today = local_day(now, offset);
    let first = today - i64::from(days) + 1;
    let mut out: Vec<Day> = (first..=today)
        .map(|d| Day {
            date: date_of(d),
            secs: 0,
            plays: 0,
            skips: 0,
        })
        .collect();
    for l in listens {
        let d = local_day(l.started, offset);
        if d < first || d > today {
            continue;
        }
        let Some(day) = usize::try_from(d - first).ok().and_then(|i| out.get_mut(i)) else {
            continue;
        };
        day.secs += u64::from(l.heard_secs);
        match l.listen {
            Listen::Play => day.plays = day.plays.saturating_add(1),
            Listen::Skip => day.skips = day.skips.saturating_add(1),
        }
    }
    out
}

fn date_of(day: i64) -> String {
    let (y, m, d) = crate::util::time::civil_date((day.max(0) as u64) * DAY);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The share of skips per genre (all time), most listened first, and what it says.
fn skips_and_taste(
    listens: &[LoggedListen],
    facts: &HashMap<TrackId, TrackFacts>,
) -> (Vec<SkipShare>, Taste) {
    let mut genres = Tally::default();
    for l in listens {
        if let Some(g) = facts.get(&l.track).and_then(|f| f.genre.as_ref()) {
            genres.add(g, l);
        }
    }
    let mut all = genres.all();
    all.sort_by(|a, b| {
        (b.plays + b.skips)
            .cmp(&(a.plays + a.skips))
            .then_with(|| a.name.cmp(&b.name))
    });
    let share = all
        .iter()
        .map(|t| {
            let n = t.plays.saturating_add(t.skips);
            SkipShare {
                genre: t.name.clone(),
                listens: n,
                skips: t.skips,
                share: if n == 0 {
                    0.0
                } else {
                    f64::from(t.skips) / f64::from(n)
                },
            }
        })
        .collect();
    let mut learned: Vec<Learned> = all
        .iter()
        .filter_map(|t| {
            let n = t.plays.saturating_add(t.skips);
            if n < MIN_LISTENS_TO_SAY {
                return None;
            }
            let verdict = if f64::from(t.plays) >= FINISH_SHARE * f64::from(n) {
                Verdict::Finish
            } else if f64::from(t.skips) >= SKIP_SHARE * f64::from(n) {
                Verdict::Skip
            } else {
                return None;
            };
            Some(Learned {
                genre: t.name.clone(),
                verdict,
                listens: n,
                plays: t.plays,
                skips: t.skips,
            })
        })
        .collect();
    // The clearest first: the largest share of the verdict's kind.
    let strength = |l: &Learned| match l.verdict {
        Verdict::Finish => f64::from(l.plays) / f64::from(l.listens),
        Verdict::Skip => f64::from(l.skips) / f64::from(l.listens),
    };
    learned.sort_by(|a, b| {
        (a.verdict == Verdict::Skip)
            .cmp(&(b.verdict == Verdict::Skip))
            .then_with(|| strength(b).total_cmp(&strength(a)))
            .then_with(|| b.listens.cmp(&a.listens))
            .then_with(|| a.genre.cmp(&b.genre))
    });
    let words = taste_words(&learned);
    (
        share,
        Taste {
            min_listens: MIN_LISTENS_TO_SAY,
            learned,
            words,
        },
    )
}

/// "you finish jazz (9 of 10), you skip country (4 of 5)": at most three of each.
fn taste_words(learned: &[Learned]) -> String {
    let said = |v: Verdict, verb: &str| {
        let parts: Vec<String> = learned
            .iter()
            .filter(|l| l.verdict == v)
            .take(3)
            .map(|l| {
                let n = if v == Verdict::Finish {
                    l.plays
                } else {
                    l.skips
                };
                format!("{} ({n} of {})", l.genre, l.listens)
            })
            .collect();
        (!parts.is_empty()).then(|| format!("you {verb} {}", parts.join(", ")))
    };
    let parts: Vec<String> = [said(Verdict::Finish, "finish"), said(Verdict::Skip, "skip")]
        .into_iter()
        .flatten()
        .collect();
    if parts.is_empty() {
        format!(
            "nothing clear yet: a genre is spoken of after {MIN_LISTENS_TO_SAY} counted listens"
        )
    } else {
        parts.join("; ")
    }
}

/// Every figure from `listens` (any order) at `now`, with `days` days in the per-day chart and
/// the local clock `utc_offset_secs` ahead of UTC. Listens after `now` count in no period.
pub fn compute(
    listens: &[LoggedListen],
    facts: &HashMap<TrackId, TrackFacts>,
    now: u64,
    days: u32,
    utc_offset_secs: i64,
) -> Stats {
    let (skip_share, taste) = skips_and_taste(listens, facts);
    Stats {
        now_unix: now,
        utc_offset_secs,
        listens: listens.len(),
        days: per_day(listens, now, days, utc_offset_secs),
        periods: Period::ALL
            .iter()
            .map(|&p| period_stats(p, listens, facts, now))
            .collect(),
        skip_share,
        taste,
    }
}
