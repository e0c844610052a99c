use super::rules::Cmp;
use super::*;
use crate::app::catalog::TrackInfo;

#[test]
fn queries_parse_filters_and_words() {
    let q = Query::parse("War artist:\"iron maiden\" year:1990..1999 conf:>0.8 genre:metal x:y");
    assert_eq!(
        q.terms,
        vec![
            Term::Word("war".into()),
            Term::Artist("iron maiden".into()),
            Term::Year(Num::Range(1990.0, 1999.0)),
            Term::Confidence(Num::Cmp(Cmp::Gt, 0.8)),
            Term::Genre("metal".into()),
            Term::Word("x".into()),
            Term::Word("y".into()),
        ]
    );
    assert_eq!(
        Query::parse("conf:>=75%").terms,
        vec![Term::Confidence(Num::Cmp(Cmp::Ge, 0.75))]
    );
    assert_eq!(
        Query::parse("year:..1980").terms,
        vec![Term::Year(Num::Range(f64::NEG_INFINITY, 1980.0))]
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
        .run(lib, Facts::none(), &Query::parse(q), 100)
        .into_iter()
        .filter_map(|id| lib.track(id).map(|t| t.title.clone()))
        .collect()
}

#[test]
fn ranked_results_and_the_placeholder_never_matches() {
    let lib = catalog();
    // Whole word, then prefix (an artist), then inside a word; a three-letter word never
    // matches scattered letters ("Wild arrows" has w·a·r in it, so has "Unknown artist",
    // which is never searched anyway).
    assert_eq!(
        titles(&lib, "war"),
        ["War of freedom", "Track 1", "The coward"]
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
    // Words under five letters match only as substrings: "war" narrows "wa"; "warzo" may
    // match scattered letters that "warz" does not; "w" matches only at a word's start.
    assert!(n("war", "wa"));
    assert!(!n("warzo", "warz"));
    assert!(n("warzon", "warzo"));
    assert!(!n("wa", "w"));
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
            let fresh = Searcher::default().run(&lib, Facts::none(), &q, limit);
            assert_eq!(
                typing.run(&lib, Facts::none(), &q, limit),
                fresh,
                "{text:?}, limit {limit}"
            );
            seen += fresh.len();
        }
        assert!(seen > 10, "the queries match something");
    }
}
