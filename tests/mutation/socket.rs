//! The control socket: mutated requests (their JSON, and the frame around it: kind, length,
//! cut short, trailing bytes) sent through a real socket to the real server, with a real app
//! answering the commands. Every case gets exactly one answer frame; none panics, none
//! allocates beyond the bound, and the player answers a plain request afterwards.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use genreplay::app::remote::{MAX_ADD_PATHS, RemoteCommand};
use genreplay::service::remote::{
    self, MAX_REQUEST, REQUEST, RESPONSE, RemoteServer, Request, Response,
};
use genreplay::store::Store;

use crate::text::{JSON_TOKENS, grown, mutations, replaced};
use crate::tui_fixture::{Player, ROOT, path};
use crate::{measured, mutation_rng, serial};

/// Eight clients' largest requests parsed, and the answers: well within this.
const SOCKET_BOUND: usize = 64 * 1024 * 1024;

fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![kind];
    v.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// Sends `bytes` (then no more) and reads what comes back: the answer frames' kinds.
fn exchange(sock: &std::path::Path, bytes: &[u8]) -> Result<Vec<(u8, Vec<u8>)>, String> {
    let mut s = UnixStream::connect(sock).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(15)))
        .map_err(|e| e.to_string())?;
    // The player may answer (and close) before all is written: that is fine.
    let _ = s.write_all(bytes);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut back = Vec::new();
    s.read_to_end(&mut back)
        .map_err(|e| format!("reading the answer: {e}"))?;
    let mut frames = Vec::new();
    let mut at = 0;
    while at + 5 <= back.len() {
        let len =
            u32::from_be_bytes([back[at + 1], back[at + 2], back[at + 3], back[at + 4]]) as usize;
        let end = (at + 5 + len).min(back.len());
        frames.push((back[at], back[at + 5..end].to_vec()));
        at = end;
    }
    Ok(frames)
}

/// Whether `bytes` go on past the frame their head declares (or declare one the player
/// refuses by its length alone, without reading it).
fn sent_more_than_its_frame(bytes: &[u8]) -> bool {
    if bytes.len() < 5 {
        return false;
    }
    let len = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
    len > MAX_REQUEST || bytes.len() > 5 + len
}

fn request_seeds() -> Vec<String> {
    let cmds = vec![
        RemoteCommand::Status,
        RemoteCommand::Seek {
            secs: -10.5,
            relative: true,
        },
        RemoteCommand::Volume {
            percent: 40,
            relative: false,
        },
        RemoteCommand::Add {
            paths: vec![
                path("Echo"),
                PathBuf::from(ROOT).join("Alpha"),
                PathBuf::from("/elsewhere/x.flac"),
            ],
        },
        RemoteCommand::SetPosition {
            track: genreplay::library::TrackId(7),
            secs: 3.0,
        },
        RemoteCommand::Repeat { mode: "all".into() },
        RemoteCommand::Shuffle { on: true },
    ];
    let mut out: Vec<String> = cmds
        .into_iter()
        .map(|command| serde_json::to_string(&Request::Ctl { command }).unwrap())
        .collect();
    out.push(serde_json::to_string(&Request::Hello).unwrap());
    out.push(
        serde_json::to_string(&Request::Run {
            argv: vec!["genreplay".into(), "queue".into(), "-n".into(), "5".into()],
            cwd: "/tmp".into(),
        })
        .unwrap(),
    );
    out
}

#[test]
fn the_socket_survives_thousands_of_hostile_requests() {
    let _turn = serial();
    let t0 = Instant::now();
    let mut rng = mutation_rng();
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db")).unwrap();
    let player = Player::start();
    let sock = remote::socket_path(tmp.path());
    let mut server = RemoteServer::start(sock.clone(), player.tx.clone(), store, None).unwrap();

    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    let seeds = request_seeds();
    for (i, seed) in seeds.iter().enumerate() {
        let n = if i == 3 { 2 } else { 1 };
        for _ in 0..n {
            for (what, m) in mutations(seed.as_bytes(), JSON_TOKENS, &mut rng) {
                cases.push((format!("request {i} {what}"), frame(REQUEST, &m)));
            }
        }
    }
    // Well-formed JSON with hostile values where the commands take theirs.
    let long = format!("\"{}\"", "é".repeat(100_000));
    let values = [
        "-1",
        "0",
        "1e308",
        "-1e308",
        "18446744073709551616",
        "-9223372036854775809",
        "true",
        "null",
        "\"\"",
        "\"/\"",
        "\"\\u001b[2J\\u0007\"",
        "[]",
        "{}",
        "[1,2]",
        &long,
    ];
    for seed in &seeds {
        for ptr in [
            "/command/secs",
            "/command/relative",
            "/command/percent",
            "/command/paths/0",
            "/command/paths",
            "/command/track",
            "/command/mode",
            "/command/on",
            "/argv/0",
            "/argv",
            "/cwd",
        ] {
            for v in values {
                if let Some(b) = replaced(seed, ptr, v) {
                    cases.push((
                        format!("{ptr} = {}", v.chars().take(24).collect::<String>()),
                        frame(REQUEST, &b),
                    ));
                }
            }
        }
    }
    // Lists past their bounds; the largest request there is.
    let add = &seeds[3];
    for n in [MAX_ADD_PATHS, MAX_ADD_PATHS + 1, 60_000] {
        let body = grown(add, "/command/paths", n).unwrap();
        cases.push((format!("add of {n} names"), frame(REQUEST, &body)));
    }
    let run = &seeds[seeds.len() - 1];
    cases.push((
        "run with 100,000 arguments".into(),
        frame(REQUEST, &grown(run, "/argv", 100_000).unwrap()),
    ));
    // The frame around a request.
    let hello = seeds[seeds.len() - 2].as_bytes();
    for len in [
        0u32,
        1,
        hello.len() as u32 - 1,
        hello.len() as u32 + 1,
        MAX_REQUEST as u32,
        MAX_REQUEST as u32 + 1,
        u32::MAX,
    ] {
        let mut b = vec![REQUEST];
        b.extend(len.to_be_bytes());
        b.extend(hello);
        cases.push((format!("length {len}"), b));
    }
    for kind in [0u8, RESPONSE, remote::STDOUT, remote::EXIT, 0xff] {
        cases.push((format!("kind {kind}"), frame(kind, hello)));
    }
    let whole = frame(REQUEST, hello);
    for cut in 0..whole.len() {
        cases.push((format!("cut@{cut}"), whole[..cut].to_vec()));
    }
    cases.push((
        "two requests".into(),
        [whole.clone(), whole.clone()].concat(),
    ));
    cases.push((
        "trailing garbage".into(),
        [whole.clone(), vec![0xff; 100]].concat(),
    ));

    let mut failures = Vec::new();
    let mut worst = 0usize;
    let mut answered_ok = 0usize;
    let mut answers_seen: std::collections::BTreeMap<String, usize> = Default::default();
    for (case, bytes) in &cases {
        let m = measured(|| exchange(&sock, bytes));
        m.check(case, SOCKET_BOUND, &mut failures);
        worst = worst.max(m.grew);
        match &m.result {
            Ok(Ok(frames)) => {
                // One answer frame of a response, or nothing at all for a connection that
                // sent nothing (it closed before a frame began).
                let answers: Vec<&(u8, Vec<u8>)> =
                    frames.iter().filter(|(k, _)| *k == RESPONSE).collect();
                if bytes.is_empty() && frames.is_empty() {
                    continue;
                }
                if answers.len() != 1 || frames.len() != 1 {
                    failures.push(format!("{case}: {} frames back", frames.len()));
                    continue;
                }
                match serde_json::from_slice::<Response>(&answers[0].1) {
                    Ok(Response::Error { message }) if message.contains("did not answer") => {
                        failures.push(format!("{case}: the app did not answer"))
                    }
                    Ok(Response::Error { message }) => {
                        let kind: String = message.chars().take(28).collect();
                        *answers_seen.entry(kind).or_insert(0usize) += 1;
                    }
                    Ok(Response::Reply { reply }) => answered_ok += usize::from(reply.ok),
                    Ok(_) => {}
                    Err(e) => failures.push(format!("{case}: unreadable answer: {e}")),
                }
            }
            // A client that sent more than its frame (or a frame refused by its length) may
            // find the connection reset by the player's close: its answer is not owed.
            Ok(Err(e)) if sent_more_than_its_frame(bytes) && e.contains("reset") => {}
            Ok(Err(e)) => failures.push(format!("{case}: {e}")),
            Err(_) => {}
        }
    }
    // The player still answers as usual.
    let frames = exchange(&sock, &whole).unwrap();
    assert!(
        matches!(
            serde_json::from_slice::<Response>(&frames[0].1),
            Ok(Response::Hello { .. })
        ),
        "{frames:?}"
    );
    server.stop();
    // Refused for what they are, not turned away.
    let busy = answers_seen
        .iter()
        .filter(|(k, _)| k.contains("busy"))
        .map(|(_, n)| n)
        .sum::<usize>();
    assert!(
        busy * 20 < cases.len(),
        "{busy} turned away as busy: {answers_seen:?}"
    );
    if std::env::var_os("MUTATION_VERBOSE").is_some() {
        println!("{answers_seen:#?}");
    }
    println!(
        "{} hostile requests in {:.1} s: {answered_ok} carried out, the rest refused with a \
         reason; largest allocation growth {:.1} MB",
        cases.len(),
        t0.elapsed().as_secs_f64(),
        worst as f64 / 1e6
    );
    assert!(cases.len() >= 1500, "only {} cases", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
