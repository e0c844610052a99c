//! The player's state files (`queue.json`, `session.json`): mutated JSON parsed as the player
//! reads it, and what parses restored into a real app on a library; a sample also goes through
//! the state reader's files. Every case is a state or a refusal, within the bounds.

use std::time::Instant;

use genreplay::app::play_queue::{MAX_CONTEXT, MAX_UP_NEXT};
use genreplay::app::state::{
    STATE_VERSION, SavedContext, SavedEntry, SavedPath, SavedQueue, SavedReason, SavedRow,
    SavedSession,
};
use genreplay::service::state::StateWriter;

use crate::text::{JSON_TOKENS, grown, mutations, replaced};
use crate::tui_fixture::{app, path};
use crate::{measured, mutation_rng, serial};

/// A state file is at most 64 MB; parsed, a few times that is fine, not more.
const STATE_BOUND: usize = 96 * 1024 * 1024;

fn queue_seed() -> String {
    let p = |t: &str| SavedPath::of(&path(t));
    let q = SavedQueue {
        version: STATE_VERSION,
        up_next: vec![
            SavedEntry {
                path: p("Echo"),
                reason: SavedReason::Added,
            },
            SavedEntry {
                path: p("Rain"),
                reason: SavedReason::Similar {
                    seed: "Dawn".into(),
                    genre: "rock".into(),
                    similarity: 0.8,
                },
            },
            SavedEntry {
                path: SavedPath::Bytes {
                    bytes: b"/music/\xff\xfe.flac".to_vec(),
                },
                reason: SavedReason::From {
                    what: "Alpha — First".into(),
                },
            },
        ],
        context: Some(SavedContext {
            label: "Alpha — First".into(),
            tracks: std::sync::Arc::new(vec![p("Dawn"), p("Noon"), p("Dusk")]),
            order: vec![2, 0, 1],
            pos: Some(1),
        }),
        current: Some(SavedEntry {
            path: p("Noon"),
            reason: SavedReason::Added,
        }),
        current_from_context: true,
    };
    serde_json::to_string(&q).unwrap()
}

fn session_seed() -> String {
    let s = SavedSession {
        version: STATE_VERSION,
        position_secs: 42.5,
        volume: 85,
        muted: false,
        shuffle: true,
        repeat: "all".into(),
        auto_dj: true,
        view: "queue".into(),
        browse: "genre".into(),
        sort: "year".into(),
        expanded: vec![vec!["rock".into()], vec!["Alpha".into(), "First".into()]],
        selected: Some(SavedRow::Group {
            path: vec!["rock".into()],
        }),
        retrain_folder: Some(SavedPath::of(std::path::Path::new("/music"))),
    };
    serde_json::to_string(&s).unwrap()
}

/// Structural cases: lists grown past (and to) their bounds, numbers out of range.
fn structural(queue: &str, session: &str) -> Vec<(String, bool, Vec<u8>)> {
    let mut out = Vec::new();
    let q = |what: &str, b: Option<Vec<u8>>| (what.to_string(), true, b.unwrap());
    let s = |what: &str, b: Option<Vec<u8>>| (what.to_string(), false, b.unwrap());
    out.push(q(
        "up next at its bound",
        grown(queue, "/up_next", MAX_UP_NEXT),
    ));
    out.push(q("up next over", grown(queue, "/up_next", MAX_UP_NEXT + 1)));
    out.push(q("up next x10", grown(queue, "/up_next", MAX_UP_NEXT * 10)));
    out.push(q(
        "context at its bound",
        grown(queue, "/context/tracks", MAX_CONTEXT),
    ));
    out.push(q(
        "context over",
        grown(queue, "/context/tracks", MAX_CONTEXT + 1),
    ));
    out.push(q(
        "order over",
        grown(queue, "/context/order", MAX_CONTEXT + 1),
    ));
    out.push(q("order huge", grown(queue, "/context/order", 300_000)));
    for (ptr, v) in [
        ("/context/pos", "18446744073709551615"),
        ("/context/pos", "-1"),
        ("/context/order/0", "18446744073709551615"),
        ("/version", "4294967295"),
        ("/version", "0"),
        ("/up_next/1/reason/similarity", "1e38"),
        ("/up_next/1/reason/similarity", "-1e38"),
        ("/up_next/2/path/bytes", "[255,0,47,47,47]"),
        ("/up_next/0/path", "\"\""),
        ("/up_next/0/path", "\"relative/path.flac\""),
        ("/up_next/0/path", "\"/music/../../etc/passwd\""),
        ("/current", "null"),
        ("/context", "null"),
    ] {
        out.push(q(&format!("{ptr} = {v}"), replaced(queue, ptr, v)));
    }
    let bytes = format!("[{}]", vec!["255"; 5000].join(","));
    out.push(q(
        "path bytes over",
        replaced(queue, "/up_next/2/path/bytes", &bytes),
    ));
    let long = format!("\"/music/{}\"", "x".repeat(1 << 20));
    out.push(q("a 1 MB path", replaced(queue, "/up_next/0/path", &long)));
    out.push(s("expanded over", grown(session, "/expanded", 10_001)));
    out.push(s("a deep group", grown(session, "/expanded/1", 17)));
    for (ptr, v) in [
        ("/volume", "255"),
        ("/volume", "256"),
        ("/position_secs", "1e308"),
        ("/position_secs", "-1e308"),
        ("/view", "\"\\u001b[?1049l\""),
        ("/repeat", "\"sometimes\""),
        ("/selected", "{\"kind\":\"track\",\"path\":\"/nowhere\"}"),
    ] {
        out.push(s(&format!("{ptr} = {v}"), replaced(session, ptr, v)));
    }
    out
}

#[test]
fn state_files_survive_thousands_of_hostile_variants() {
    let _turn = serial();
    let t0 = Instant::now();
    let mut rng = mutation_rng();
    let queue = queue_seed();
    let session = session_seed();
    // The seeds themselves restore.
    let (q, s): (SavedQueue, SavedSession) = (
        serde_json::from_str(&queue).unwrap(),
        serde_json::from_str(&session).unwrap(),
    );
    let mut a = app();
    a.resume_saved(Some(s), Some(q));
    // Echo and Rain come back first (the undecodable third path is dropped); auto-DJ, on in
    // the saved session, may append its own picks after them.
    let restored: Vec<_> = a
        .session
        .queue
        .up_next
        .iter()
        .take(2)
        .map(|e| e.track)
        .collect();
    let expected: Vec<_> = ["Echo", "Rain"]
        .iter()
        .map(|t| a.session.lib.by_path(&path(t)).unwrap().id)
        .collect();
    assert_eq!(restored, expected, "Echo and Rain");

    let mut variants: Vec<(String, bool, Vec<u8>)> = structural(&queue, &session);
    for round in 0..3 {
        for (what, m) in mutations(queue.as_bytes(), JSON_TOKENS, &mut rng) {
            variants.push((format!("queue {round} {what}"), true, m));
        }
        for (what, m) in mutations(session.as_bytes(), JSON_TOKENS, &mut rng) {
            variants.push((format!("session {round} {what}"), false, m));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let (mut cases, mut parsed, mut worst) = (0usize, 0usize, 0usize);
    for (i, (case, is_queue, bytes)) in variants.iter().enumerate() {
        // Parsed as the player reads it, then restored into an app on the library.
        let m = measured(|| {
            let mut app = app();
            let restored = if *is_queue {
                serde_json::from_slice::<SavedQueue>(bytes)
                    .map(|q| app.resume_saved(None, Some(q)))
                    .is_ok()
            } else {
                serde_json::from_slice::<SavedSession>(bytes)
                    .map(|s| app.resume_saved(Some(s), None))
                    .is_ok()
            };
            let q = &app.session.queue;
            let ok = q.up_next.len() <= MAX_UP_NEXT
                && q.context
                    .as_ref()
                    .is_none_or(|c| c.tracks.len() <= MAX_CONTEXT)
                && app.session.playback.volume <= 150
                && app.session.playback.position_secs.is_finite();
            // What it saves next is well-formed again.
            let saved = app.state_now();
            let again = saved.iter().all(|s| s.to_json().is_ok());
            (restored, ok && again)
        });
        m.check(case, STATE_BOUND, &mut failures);
        worst = worst.max(m.grew);
        match m.result {
            Ok((restored, true)) => parsed += usize::from(restored),
            Ok((_, false)) => failures.push(format!("{case}: restored out of bounds")),
            Err(_) => {}
        }
        cases += 1;
        // Every tenth through the state reader's files too.
        if i % 10 == 0 {
            let name = if *is_queue {
                "queue.json"
            } else {
                "session.json"
            };
            std::fs::write(dir.path().join(name), bytes).unwrap();
            let m = measured(|| StateWriter::load(dir.path()));
            m.check(&format!("file {case}"), STATE_BOUND, &mut failures);
            cases += 1;
        }
    }
    println!(
        "{cases} hostile state files in {:.1} s: {parsed} restored, the rest refused; largest \
         allocation growth {:.1} MB",
        t0.elapsed().as_secs_f64(),
        worst as f64 / 1e6
    );
    assert!(cases >= 1000, "only {cases} cases");
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
