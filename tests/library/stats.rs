#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The listening figures (`recommend::stats`) from a listen log built here, with exact numbers;
//! the listen log in a real store on disk: `genreplay stats --json` reads it through the real
//! binary, and it survives a damaged database from its plain-file copy.

use std::collections::HashMap;
use std::path::Path;

use crate::common::genreplay;
use genreplay::recommend::stats::{Period, TrackFacts, Verdict, compute};
use genreplay::store::TrackId;
use genreplay::store::history::Listen;
use genreplay::store::listen_log::{LISTENS_FILE, LoggedListen};

/// 2025-12-06 12:00 UTC.
const NOW: u64 = 1_765_022_400;
const H: u64 = 3600;
const D: u64 = 86_400;

fn l(track: u64, ago: u64, heard_secs: u32, listen: Listen) -> LoggedListen {
    LoggedListen {
        track: TrackId(track),
        started: NOW - ago,
        heard_secs,
        listen,
    }
}

fn facts(artist: &str, genre: &str, styles: &[&str]) -> TrackFacts {
    TrackFacts {
        artist: artist.into(),
        genre: Some(genre.into()),
        styles: styles.iter().map(|s| s.to_string()).collect(),
    }
}

/// Jazz finished, country skipped, metal once, across today, this week, this month and before;
/// track 5 is not in the library any more.
fn evening() -> (Vec<LoggedListen>, HashMap<TrackId, TrackFacts>) {
    use Listen::{Play, Skip};
    let listens = vec![
        l(1, H, 300, Play),
        l(3, 2 * H, 10, Skip),
        l(2, 2 * D, 200, Play),
        l(3, 2 * D + 60, 5, Skip),
        l(3, 2 * D + 120, 20, Skip),
        l(3, 2 * D + 180, 8, Skip),
        l(1, 3 * D, 250, Play),
        l(4, 10 * D, 400, Play),
        l(1, 10 * D + H, 100, Play),
        l(2, 20 * D, 150, Play),
        l(3, 40 * D, 180, Play),
        l(5, 40 * D + H, 60, Play),
    ];
    let facts = HashMap::from([
        (TrackId(1), facts("Miles", "jazz", &["smooth"])),
        (TrackId(2), facts("Miles", "jazz", &[])),
        (TrackId(3), facts("Dolly", "country", &["folk"])),
        (TrackId(4), facts("Iron", "metal", &[])),
    ]);
    (listens, facts)
}

/// (name, secs, plays, skips) of a top list.
fn top(list: &[genreplay::recommend::stats::Top]) -> Vec<(&str, u64, u32, u32)> {
    list.iter()
        .map(|t| (t.name.as_str(), t.secs, t.plays, t.skips))
        .collect()
}

#[test]
fn the_figures_of_an_evening_are_exact() {
    let (listens, facts) = evening();
    let s = compute(&listens, &facts, NOW, 28, 0);
    assert_eq!(s.listens, 12);
    // Per day: 28 days, today last.
    assert_eq!(s.days.len(), 28);
    assert_eq!(s.days[0].date, "2025-11-09");
    let today = &s.days[27];
    assert_eq!(
        (today.date.as_str(), today.secs, today.plays, today.skips),
        ("2025-12-06", 310, 1, 1)
    );
    assert_eq!(
        (s.days[25].secs, s.days[25].plays, s.days[25].skips),
        (233, 1, 3)
    );
    assert_eq!(s.days[24].secs, 250);
    assert_eq!((s.days[17].secs, s.days[17].plays), (500, 2));
    assert_eq!(s.days[7].secs, 150);
    assert_eq!(
        s.days.iter().map(|d| d.secs).sum::<u64>(),
        310 + 233 + 250 + 500 + 150
    );

    let week = s.period(Period::Week).unwrap();
    assert_eq!((week.secs, week.plays, week.skips), (793, 3, 4));
    assert_eq!(week.since_unix, Some(NOW - 7 * D));
    assert_eq!(
        top(&week.genres_by_time),
        vec![("jazz", 750, 3, 0), ("country", 43, 0, 4)]
    );
    // By plays: country has none, so it is not on that list.
    assert_eq!(top(&week.genres_by_plays), vec![("jazz", 750, 3, 0)]);
    assert_eq!(
        top(&week.styles_by_time),
        vec![("smooth", 550, 2, 0), ("folk", 43, 0, 4)]
    );
    assert_eq!(
        top(&week.artists_by_time),
        vec![("Miles", 750, 3, 0), ("Dolly", 43, 0, 4)]
    );

    let month = s.period(Period::Month).unwrap();
    assert_eq!((month.secs, month.plays, month.skips), (1443, 6, 4));
    assert_eq!(
        top(&month.genres_by_time),
        vec![
            ("jazz", 1000, 5, 0),
            ("metal", 400, 1, 0),
            ("country", 43, 0, 4)
        ]
    );

    let all = s.period(Period::All).unwrap();
    // The track no longer in the library counts in the totals, in no top list.
    assert_eq!((all.secs, all.plays, all.skips), (1683, 8, 4));
    assert_eq!(all.since_unix, None);
    assert_eq!(
        top(&all.artists_by_time),
        vec![
            ("Miles", 1000, 5, 0),
            ("Iron", 400, 1, 0),
            ("Dolly", 223, 1, 4)
        ]
    );
    assert_eq!(
        top(&all.genres_by_plays),
        vec![
            ("jazz", 1000, 5, 0),
            ("country", 223, 1, 4),
            ("metal", 400, 1, 0)
        ]
    );

    // The share of skips per genre, most listened first (ties by name).
    let share: Vec<(&str, u32, u32, f64)> = s
        .skip_share
        .iter()
        .map(|x| (x.genre.as_str(), x.listens, x.skips, x.share))
        .collect();
    assert_eq!(
        share,
        vec![
            ("country", 5, 4, 0.8),
            ("jazz", 5, 0, 0.0),
            ("metal", 1, 0, 0.0)
        ]
    );
    // What was learned: only genres with 5 listens, in words.
    let learned: Vec<(&str, Verdict)> = s
        .taste
        .learned
        .iter()
        .map(|x| (x.genre.as_str(), x.verdict))
        .collect();
    assert_eq!(
        learned,
        vec![("jazz", Verdict::Finish), ("country", Verdict::Skip)]
    );
    assert_eq!(
        s.taste.words,
        "you finish jazz (5 of 5); you skip country (4 of 5)"
    );

    // One listen fewer of country: too few to say anything of it.
    let fewer: Vec<LoggedListen> = listens
        .iter()
        .copied()
        .filter(|x| x.started != NOW - (2 * D + 180))
        .collect();
    let s = compute(&fewer, &facts, NOW, 28, 0);
    assert_eq!(s.taste.words, "you finish jazz (5 of 5)");
    // Nothing at all: said, not guessed.
    let s = compute(&[], &facts, NOW, 7, 0);
    assert!(
        s.taste.words.starts_with("nothing clear yet"),
        "{}",
        s.taste.words
    );
    assert_eq!(s.days.len(), 7);
    assert!(s.days.iter().all(|d| d.secs == 0));
}

#[test]
fn a_day_is_a_local_day() {
    // 23:30 UTC yesterday is 01:30 today two hours east of Greenwich, and 12:00 UTC today
    // is still today there.
    let late = LoggedListen {
        track: TrackId(1),
        started: NOW - 12 * H - 30 * 60,
        heard_secs: 90,
        listen: Listen::Play,
    };
    let utc = compute(&[late], &HashMap::new(), NOW, 2, 0);
    assert_eq!((utc.days[0].secs, utc.days[1].secs), (90, 0));
    let east = compute(&[late], &HashMap::new(), NOW, 2, 2 * H as i64);
    assert_eq!((east.days[0].secs, east.days[1].secs), (0, 90));
    assert_eq!(east.days[1].date, "2025-12-06");
}

/// A store in `data/db` with the built-in model, tracks 1–4 of [`evening`] as files of the
/// library with their artists and genre vectors, and the evening's listens logged.
fn filled_store(data: &Path) {
    use genreplay::store::{ModelId, Store, TrackRecord, VectorRecord};
    let store = Store::open(&data.join("db")).unwrap();
    genreplay::model::active::register_builtins(&store).unwrap();
    let model = genreplay::service::stats::active_model(&store)
        .unwrap()
        .expect("the built-in model is registered");
    let (listens, facts) = evening();
    let mut ids = HashMap::new();
    for n in 1..=4u64 {
        let f = &facts[&TrackId(n)];
        let tags = genreplay::store::records::Tags {
            artist: Some(f.artist.clone()),
            ..Default::default()
        };
        let rec = TrackRecord {
            path: format!("/music/{n}.flac").into_bytes(),
            size: 1,
            mtime_ns: 1,
            tags,
            tag_error: None,
            added_unix: 0,
        };
        let genre = f.genre.as_deref().unwrap();
        let vector: Vec<f32> = model
            .labels
            .iter()
            .map(|l| if l == genre { 0.9 } else { 0.01 })
            .collect();
        assert!(
            vector.contains(&0.9),
            "{genre} is a label of {:?}",
            model.labels
        );
        store.put_tracks(std::slice::from_ref(&rec)).unwrap();
        store
            .put_vector(
                &ModelId(model.id.clone()),
                rec.id(),
                &VectorRecord {
                    vector,
                    segments: 1,
                    style: None,
                    computed_unix: 0,
                    open_set: None,
                },
            )
            .unwrap();
        ids.insert(TrackId(n), rec.id());
    }
    // Today's listens, so the per-day figures do not depend on the clock (the test's "now"
    // is the binary's): the evening moved to end now.
    let shift = genreplay::store::now_unix() - NOW;
    let logged: Vec<LoggedListen> = listens
        .iter()
        .map(|x| LoggedListen {
            track: ids.get(&x.track).copied().unwrap_or(x.track),
            started: x.started + shift,
            ..*x
        })
        .collect();
    store.log_listens(&logged).unwrap();
    store.flush().unwrap();
}

fn stats_json(data: &Path) -> (serde_json::Value, String) {
    let out = genreplay(data)
        .args(["stats", "--json", "--days", "60"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    (serde_json::from_slice(&out.stdout).unwrap(), err)
}

#[test]
fn stats_json_reads_the_log_and_the_log_survives_a_damaged_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    filled_store(&data);
    let (s, _) = stats_json(&data);
    assert_eq!(s["listens"], 12);
    assert_eq!(s["days"].as_array().unwrap().len(), 60);
    let periods = s["periods"].as_array().unwrap();
    let all = periods.iter().find(|p| p["period"] == "all").unwrap();
    assert_eq!(
        (&all["secs"], &all["plays"], &all["skips"]),
        (&1683.into(), &8.into(), &4.into())
    );
    let week = periods.iter().find(|p| p["period"] == "week").unwrap();
    assert_eq!(week["genres_by_time"][0]["name"], "jazz");
    assert_eq!(week["genres_by_time"][0]["secs"], 750);
    assert_eq!(week["artists_by_time"][1]["name"], "Dolly");
    assert_eq!(s["skip_share"][0]["genre"], "country");
    assert_eq!(s["skip_share"][0]["share"], 0.8);
    assert_eq!(
        s["taste"]["words"],
        "you finish jazz (5 of 5); you skip country (4 of 5)"
    );
    // The log's plain-file copy is there, one line per listen after its header.
    let log = std::fs::read_to_string(data.join("db").join(LISTENS_FILE)).unwrap();
    assert_eq!(log.lines().filter(|l| !l.starts_with('#')).count(), 12);

    // Every database file damaged (the plain copies are left alone): the database is rebuilt
    // and the listens come back from the copy. (The tracks come back with the next scan, so
    // until then the figures have no genres.)
    for e in walkdir::WalkDir::new(data.join("db"))
        .into_iter()
        .filter_map(|e| e.ok())
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().is_file()
            && !name.ends_with(".json")
            && !name.ends_with(".log")
            && !name.ends_with(".pid")
        {
            std::fs::write(e.path(), b"damaged").unwrap();
        }
    }
    let (s, err) = stats_json(&data);
    assert!(err.contains("(12 listens)"), "{err}");
    assert_eq!(s["listens"], 12);
    let all = s["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["period"] == "all")
        .unwrap()
        .clone();
    assert_eq!(
        (&all["secs"], &all["plays"], &all["skips"]),
        (&1683.into(), &8.into(), &4.into())
    );
    // The fresh database has its own copy; the moved-aside one keeps the old.
    let fresh = std::fs::read_to_string(data.join("db").join(LISTENS_FILE)).unwrap();
    assert_eq!(fresh.lines().filter(|l| !l.starts_with('#')).count(), 12);
    let aside = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().starts_with("db.corrupt-"))
        .expect("the damaged database was moved aside");
    assert!(aside.path().join(LISTENS_FILE).exists());
}
