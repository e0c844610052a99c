//! The rule language (each field, operator, unit, error and bound) and smart playlists'
//! tracks on a catalog and a history built here.

use std::collections::HashMap;

use super::rules::{Age, Cmp, Num};
use super::smart::{SmartRule, resolve};
use super::*;
use crate::app::catalog::TrackInfo;

const DAY: u64 = 86_400;
const NOW: u64 = 1_800_000_000;

fn terms(rule: &str) -> Vec<Term> {
    Query::parse_rule(rule)
        .unwrap_or_else(|e| panic!("{rule}: {e}"))
        .terms
}

#[test]
fn every_field_and_operator_parses() {
    let cases: Vec<(&str, Term)> = vec![
        ("year:>2000", Term::Year(Num::Cmp(Cmp::Gt, 2000.0))),
        ("year:<2000", Term::Year(Num::Cmp(Cmp::Lt, 2000.0))),
        ("year:>=1994", Term::Year(Num::Cmp(Cmp::Ge, 1994.0))),
        ("year:<=1994", Term::Year(Num::Cmp(Cmp::Le, 1994.0))),
        ("year:=1994", Term::Year(Num::Cmp(Cmp::Eq, 1994.0))),
        ("year:1994", Term::Year(Num::Cmp(Cmp::Eq, 1994.0))),
        ("year:1999..1990", Term::Year(Num::Range(1990.0, 1999.0))),
        ("year:2000..", Term::Year(Num::Range(2000.0, f64::INFINITY))),
        ("conf:>80%", Term::Confidence(Num::Cmp(Cmp::Gt, 0.8))),
        ("conf:0.5..0.9", Term::Confidence(Num::Range(0.5, 0.9))),
        ("plays:>3", Term::Plays(Num::Cmp(Cmp::Gt, 3.0))),
        ("plays:2..5", Term::Plays(Num::Range(2.0, 5.0))),
        ("skips:0", Term::Skips(Num::Cmp(Cmp::Eq, 0.0))),
        ("rating:like", Term::Rating(Rating::Like)),
        ("rating:dislike", Term::Rating(Rating::Dislike)),
        ("rating:none", Term::Rating(Rating::None)),
        (
            "played:<30d",
            Term::Played(Age::Span(Num::Cmp(Cmp::Lt, 30.0 * DAY as f64))),
        ),
        (
            "played:>2w",
            Term::Played(Age::Span(Num::Cmp(Cmp::Gt, 14.0 * DAY as f64))),
        ),
        ("played:never", Term::Played(Age::Never)),
        (
            "added:7d",
            Term::Added(Age::Span(Num::Cmp(Cmp::Lt, 7.0 * DAY as f64))),
        ),
        (
            "added:1m..1y",
            Term::Added(Age::Span(Num::Range(30.0 * DAY as f64, 365.0 * DAY as f64))),
        ),
        (
            "like:\"Take Five\">0.8",
            Term::Like {
                name: "take five".into(),
                min: Num::Cmp(Cmp::Gt, 0.8),
            },
        ),
        (
            "like:Dawn",
            Term::Like {
                name: "dawn".into(),
                min: Num::Cmp(
                    Cmp::Ge,
                    f64::from(crate::recommend::similar::DEFAULT_MIN_SIMILARITY),
                ),
            },
        ),
        ("genre:jazz", Term::Genre("jazz".into())),
        ("style:piano", Term::Style("piano".into())),
        ("artist:\"iron maiden\"", Term::Artist("iron maiden".into())),
    ];
    for (rule, want) in cases {
        assert_eq!(terms(rule), vec![want], "{rule}");
    }
    assert_eq!(
        Query::parse_rule("rating:like played:<7d")
            .unwrap()
            .fields(),
        ["rating", "played"]
    );
}

#[test]
fn errors_name_the_word_and_where_it_starts() {
    let value = |rule: &str| match Query::parse_rule(rule) {
        Err(RuleError::Value { word, at, .. }) => (word, at),
        other => panic!("{rule}: {other:?}"),
    };
    assert_eq!(
        value("rating:like plays:lots"),
        ("plays:lots".to_string(), 13)
    );
    assert_eq!(value("played:30"), ("played:30".to_string(), 1));
    assert_eq!(
        value("genre:jazz played:=7d"),
        ("played:=7d".to_string(), 12)
    );
    assert_eq!(value("added:never"), ("added:never".to_string(), 1));
    assert_eq!(value("rating:loved"), ("rating:loved".to_string(), 1));
    assert_eq!(value("conf:>2"), ("conf:>2".to_string(), 1));
    assert_eq!(value("year:"), ("year:".to_string(), 1));
    assert_eq!(value("like:>0.8"), ("like:>0.8".to_string(), 1));
    assert_eq!(
        value("é like:\"x\">lots"),
        ("like:\"x\">lots".to_string(), 3),
        "positions count characters"
    );
    assert!(matches!(
        Query::parse_rule("jazz mood:calm"),
        Err(RuleError::Field { word, at: 6 }) if word == "mood:calm"
    ));
    assert!(matches!(
        Query::parse_rule("genre:jazz like:\"take five"),
        Err(RuleError::Quote { at: 17 })
    ));
    let e = Query::parse_rule("rating:like plays:lots").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("\"plays:lots\" at character 13: a count"),
        "{e}"
    );
    // The search box reads the same words leniently: a filter that does not parse is words.
    assert_eq!(
        Query::parse("plays:lots").terms,
        [Term::Word("plays".into()), Term::Word("lots".into())]
    );
}

#[test]
fn rules_are_bounded() {
    assert_eq!(Query::parse_rule("   "), Err(RuleError::Empty));
    let long = "a".repeat(rules::MAX_RULE_CHARS + 1);
    assert!(matches!(
        Query::parse_rule(&long),
        Err(RuleError::TooLong { .. })
    ));
    let many = vec!["x"; rules::MAX_TERMS + 1].join(" ");
    assert_eq!(Query::parse_rule(&many), Err(RuleError::TooManyTerms));
    let enough = vec!["x"; rules::MAX_TERMS].join(" ");
    assert!(Query::parse_rule(&enough).is_ok());
    assert!(matches!(
        Query::parse_rule(&format!("like:\"{}\"", "n".repeat(400))),
        Err(RuleError::Value { .. })
    ));
}

/// Six tracks (blues/jazz/rock vectors on four of them), added at different times.
fn catalog() -> Catalog {
    let t = |title: &str, artist: &str, year: Option<u16>, added_days_ago: u64| TrackInfo {
        id: id_of(artist, title),
        path: format!("/m/{artist}/{title}.flac").into(),
        title: title.into(),
        artist: artist.into(),
        album: "A".into(),
        year,
        added_unix: NOW - added_days_ago * DAY,
        ..Default::default()
    };
    let mut lib = Catalog::new(
        "/m".into(),
        vec![
            t("Take Five", "Brubeck", Some(1959), 400),
            t("So What", "Davis", Some(1959), 3),
            t("Paranoid", "Sabbath", Some(1970), 40),
            t("Escape from chaosland", "Noise", Some(2005), 1),
            t("Reggae night", "Cliff", Some(2001), 100),
            t("Dup", "One", None, 10),
            t("Dup", "Two", None, 10),
        ],
        vec!["blues".into(), "jazz".into(), "rock".into()],
    );
    for (title, v) in [
        ("Take Five", [0.05, 0.9, 0.05]),
        ("So What", [0.1, 0.85, 0.05]),
        ("Paranoid", [0.05, 0.05, 0.9]),
        ("Reggae night", [0.5, 0.3, 0.2]),
    ] {
        lib.set_vector(id(title), v.to_vec());
    }
    lib
}

fn id_of(artist: &str, title: &str) -> TrackId {
    TrackId::of_path(std::path::Path::new(&format!("/m/{artist}/{title}.flac")))
}

/// The track called `title` (the fixture's titles other than "Dup" are one track each).
fn id(title: &str) -> TrackId {
    let artist = match title {
        "Take Five" => "Brubeck",
        "So What" => "Davis",
        "Paranoid" => "Sabbath",
        "Escape from chaosland" => "Noise",
        _ => "Cliff",
    };
    id_of(artist, title)
}

fn history() -> HashMap<TrackId, HistoryRecord> {
    let h = |plays, skips, last_days: Option<u64>, rating| HistoryRecord {
        plays,
        skips,
        last_played_unix: last_days.map(|d| NOW - d * DAY),
        last_skipped_unix: None,
        rating,
        updated_unix: NOW,
    };
    HashMap::from([
        (id("Take Five"), h(5, 0, Some(2), Rating::Like)),
        (id("So What"), h(4, 1, Some(45), Rating::Like)),
        (id("Paranoid"), h(1, 3, Some(10), Rating::Dislike)),
        (id("Reggae night"), h(0, 2, None, Rating::None)),
    ])
}

fn found(lib: &Catalog, history: &HashMap<TrackId, HistoryRecord>, rule: &str) -> Vec<String> {
    let mut titles: Vec<String> = SmartRule::parse(rule)
        .unwrap_or_else(|e| panic!("{rule}: {e}"))
        .tracks(lib, Facts::new(history, NOW))
        .unwrap_or_else(|e| panic!("{rule}: {e}"))
        .into_iter()
        .filter_map(|i| lib.track(i).map(|t| format!("{} {}", t.title, t.artist)))
        .collect();
    titles.sort();
    titles
}

#[test]
fn smart_rules_find_exact_track_sets() {
    let lib = catalog();
    let h = history();
    let f = |rule: &str| found(&lib, &h, rule);
    assert_eq!(f("plays:>3"), ["So What Davis", "Take Five Brubeck"]);
    assert_eq!(f("plays:>=5"), ["Take Five Brubeck"]);
    assert_eq!(
        f("skips:0"),
        [
            "Dup One",
            "Dup Two",
            "Escape from chaosland Noise",
            "Take Five Brubeck"
        ]
    );
    assert_eq!(f("skips:1..2"), ["Reggae night Cliff", "So What Davis"]);
    assert_eq!(f("rating:like"), ["So What Davis", "Take Five Brubeck"]);
    assert_eq!(f("rating:dislike"), ["Paranoid Sabbath"]);
    assert_eq!(f("rating:none").len(), 4);
    assert_eq!(f("played:<30d"), ["Paranoid Sabbath", "Take Five Brubeck"]);
    // Longer ago, or never played.
    assert_eq!(
        f("played:>30d"),
        [
            "Dup One",
            "Dup Two",
            "Escape from chaosland Noise",
            "Reggae night Cliff",
            "So What Davis"
        ]
    );
    assert_eq!(f("played:never").len(), 4);
    assert_eq!(f("played:1w..1m"), ["Paranoid Sabbath"]);
    assert_eq!(f("rating:like played:<7d"), ["Take Five Brubeck"]);
    assert_eq!(
        f("added:<7d"),
        ["Escape from chaosland Noise", "So What Davis"]
    );
    assert_eq!(f("added:>1y"), ["Take Five Brubeck"]);
    assert_eq!(
        f("year:>2000"),
        ["Escape from chaosland Noise", "Reggae night Cliff"]
    );
    assert_eq!(f("year:<1960"), ["So What Davis", "Take Five Brubeck"]);
    assert_eq!(f("genre:jazz skips:>0"), ["So What Davis"]);
    assert_eq!(f("conf:>=0.9"), ["Paranoid Sabbath", "Take Five Brubeck"]);
    // Sound: the named track itself, and what is near it; names by title or artist - title.
    assert_eq!(
        f("like:\"take five\">0.9"),
        ["So What Davis", "Take Five Brubeck"]
    );
    assert_eq!(f("like:\"sabbath - paranoid\">0.99"), ["Paranoid Sabbath"]);
}

#[test]
fn like_names_an_unknown_or_ambiguous_track_clearly() {
    let lib = catalog();
    assert_eq!(resolve(&lib, "one - dup"), Ok(id_of("One", "Dup")));
    assert_eq!(resolve(&lib, "take five"), Ok(id("Take Five")));
    let h = history();
    let err = |rule: &str| {
        SmartRule::parse(rule)
            .unwrap()
            .tracks(&lib, Facts::new(&h, NOW))
            .unwrap_err()
    };
    assert_eq!(
        err("like:\"Blue in green\""),
        RuleError::NoTrack {
            name: "blue in green".into()
        }
    );
    match err("like:dup") {
        RuleError::Ambiguous { n, examples, .. } => {
            assert_eq!(n, 2);
            assert!(examples.contains("One - Dup") && examples.contains("Two - Dup"));
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn short_words_never_match_scattered_letters() {
    let lib = catalog();
    let h = history();
    let search = |q: &str| -> Vec<String> {
        Searcher::default()
            .run(&lib, Facts::new(&h, NOW), &Query::parse(q), 100)
            .into_iter()
            .filter_map(|i| lib.track(i).map(|t| t.title.clone()))
            .collect()
    };
    // r·e·g are scattered through "Escape from chaosland Noise": not a match.
    assert_eq!(search("reg"), ["Reggae night"]);
    assert_eq!(search("chaos"), ["Escape from chaosland"]);
    // A long word may still match scattered letters, after every real match.
    assert_eq!(search("rggae"), ["Reggae night"]);
    assert_eq!(
        search("year:>2000"),
        ["Reggae night", "Escape from chaosland"]
    );
    assert_eq!(search("year:<2000").len(), 3);
    assert_eq!(search("year:<=2001").len(), 4);
    // History filters work in the search box too.
    assert_eq!(search("rating:like plays:>4"), ["Take Five"]);
}
