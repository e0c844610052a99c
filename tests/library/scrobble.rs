//! Scrobbling against a real HTTP server on 127.0.0.1 (`scrobble_server`): listens accepted,
//! a 429 with `Retry-After` waited out, a 500 and a slow server retried, a server that comes
//! up late, a refused token; the `scrobble` commands; and the real player killed with
//! `kill -9` while its listen waits for the server, the listen arriving after a restart.

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common;
use crate::scrobble_server::{FakeServer, Reply, TOKEN};
use common::tmux::{have_tmux, start_player};
use common::wait::{wait_for, wait_until};
use common::{genreplay, tagged_track};
use genreplay::config::{ScrobbleConfig, Token};
use genreplay::service::scrobble::{
    ListenQueue, Options, Pending, QueuedListen, Scrobbler, SendState, Status,
};

const WAIT: Duration = Duration::from_secs(20);

fn config(server: &str) -> ScrobbleConfig {
    ScrobbleConfig {
        enabled: true,
        token: Token::new(TOKEN),
        server: server.into(),
    }
}

/// Quick retries, a short timeout: the tests wait seconds, not minutes.
fn quick() -> Options {
    Options {
        timeout: Duration::from_secs(2),
        first_retry: Duration::from_millis(300),
        max_retry: Duration::from_secs(1),
        batch: 100,
    }
}

fn listen(n: u64) -> QueuedListen {
    QueuedListen::new(
        1_765_000_000 + n,
        "The Artist",
        &format!("Song {n}"),
        Some("The Album"),
        Some(183_000),
        Some(n as u32),
    )
    .unwrap()
}

fn titles(listens: &[serde_json::Value]) -> Vec<String> {
    listens
        .iter()
        .map(|l| {
            l["track_metadata"]["track_name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

fn queued(dir: &Path) -> usize {
    ListenQueue::at(dir).count().unwrap()
}

#[test]
fn listens_are_accepted_with_their_metadata_and_leave_the_queue() {
    let server = FakeServer::start();
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("scrobble");
    let mut s = Scrobbler::start(&config(&server.url()), &dir, None, None, quick()).unwrap();
    s.playing_now(Pending::Listen(listen(0)));
    for n in 1..=3 {
        s.queue(listen(n));
    }
    wait_until("three listens", WAIT, || server.listens().len() == 3);
    let got = server.listens();
    assert_eq!(titles(&got), ["Song 1", "Song 2", "Song 3"]);
    let m = &got[0]["track_metadata"];
    assert_eq!(got[0]["listened_at"], 1_765_000_001);
    assert_eq!(m["artist_name"], "The Artist");
    assert_eq!(m["release_name"], "The Album");
    assert_eq!(m["additional_info"]["duration_ms"], 183_000);
    assert_eq!(m["additional_info"]["tracknumber"], 1);
    assert!(
        server
            .seen()
            .iter()
            .all(|r| r.token_ok && r.path == "/1/submit-listens")
    );
    let now = server.playing_now();
    assert_eq!(titles(&now), ["Song 0"]);
    wait_until("an empty queue", WAIT, || queued(&dir) == 0);
    s.finish();
    wait_until("the status after the last batch", WAIT, || {
        Status::load(&dir).is_some_and(|st| st.state == SendState::Ok && st.sent == 3)
    });
}

#[test]
fn a_429_is_waited_out_as_retry_after_says() {
    let server = FakeServer::start();
    server.script(&[Reply::Status(429, vec![("Retry-After", "2".into())])]);
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("scrobble");
    let s = Scrobbler::start(&config(&server.url()), &dir, None, None, quick()).unwrap();
    s.queue(listen(1));
    wait_until("the listen", WAIT, || server.listens().len() == 1);
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let waited = seen[1].at - seen[0].at;
    // Retry-After: 2 — not the 300 ms the client would wait after a failure of its own.
    assert!(waited >= Duration::from_millis(1900), "{waited:?}");
    assert_eq!(titles(&server.listens()), ["Song 1"]);
    wait_until("an empty queue", WAIT, || queued(&dir) == 0);
}

#[test]
fn a_server_error_and_a_slow_server_are_retried_and_nothing_is_lost() {
    let server = FakeServer::start();
    server.script(&[
        Reply::Status(500, vec![]),
        Reply::Slow(Duration::from_secs(4)),
        Reply::Status(503, vec![]),
    ]);
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("scrobble");
    let s = Scrobbler::start(&config(&server.url()), &dir, None, None, quick()).unwrap();
    s.queue(listen(1));
    s.queue(listen(2));
    wait_until("the listens", WAIT, || server.listens().len() >= 2);
    assert_eq!(titles(&server.listens()), ["Song 1", "Song 2"]);
    let seen = server.seen();
    assert!(seen.len() >= 4, "{seen:?}");
    // The slow answer was given up on (2 s timeout) and the next try came after a wait.
    let status = Status::load(&dir).unwrap();
    assert!(status.last_error.is_some(), "{status:?}");
    wait_until("an empty queue", WAIT, || queued(&dir) == 0);
}

#[test]
fn listens_wait_for_a_server_that_is_down_and_arrive_when_it_comes_up() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("scrobble");
    let url = format!("http://{port}");
    let s = Scrobbler::start(&config(&url), &dir, None, None, quick()).unwrap();
    s.queue(listen(1));
    s.queue(listen(2));
    // Refused: the listens are on disk and the status says why they wait.
    wait_until("a refused connection noted", WAIT, || {
        Status::load(&dir).is_some_and(|st| st.state == SendState::Waiting)
    });
    assert_eq!(queued(&dir), 2);
    let err = Status::load(&dir).unwrap().last_error.unwrap();
    assert!(err.contains("refused") || err.contains("connect"), "{err}");
    let server = FakeServer::at(port);
    wait_until("the listens after the server came up", WAIT, || {
        server.listens().len() == 2
    });
    assert_eq!(titles(&server.listens()), ["Song 1", "Song 2"]);
    wait_until("an empty queue", WAIT, || queued(&dir) == 0);
}

#[test]
fn a_refused_token_is_said_on_the_status_line_and_the_listens_are_kept() {
    let server = FakeServer::start();
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("scrobble");
    let mut cfg = config(&server.url());
    cfg.token = Token::new("wrong-token");
    let (tx, rx) = crossbeam_channel::unbounded();
    let s = Scrobbler::start(&cfg, &dir, None, Some(tx), quick()).unwrap();
    s.queue(listen(1));
    let said = wait_for("the status line", WAIT, || match rx.try_recv() {
        Ok(genreplay::app::Event::Notice(text)) => Some((text, true)),
        _ => None,
    });
    assert!(said.1 && said.0.contains("refused the token"), "{said:?}");
    assert!(!said.0.contains("wrong-token"), "{said:?}");
    assert_eq!(queued(&dir), 1);
    let st = Status::load(&dir).unwrap();
    assert_eq!(st.state, SendState::TokenRefused);
    // Nothing more is tried on its own: one request in all.
    s.queue(listen(2));
    wait_until("the second listen queued", WAIT, || queued(&dir) == 2);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(server.seen().len(), 1, "{:?}", server.seen());
    assert!(server.listens().is_empty());
}

fn write_config(dir: &Path, server: &str, token: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!("[scrobble]\nenabled = true\ntoken = \"{token}\"\nserver = \"{server}\"\n"),
    )
    .unwrap();
}

#[test]
fn the_scrobble_commands_report_flush_and_check_the_token_never_printing_it() {
    let server = FakeServer::start();
    let t = tempfile::tempdir().unwrap();
    let (data, conf) = (t.path().join("data"), t.path().join("config"));
    write_config(&conf, &server.url(), TOKEN);
    ListenQueue::open(&data.join("scrobble"))
        .unwrap()
        .push(&[listen(1), listen(2)])
        .unwrap();
    let run = |args: &[&str]| {
        let out = genreplay(&data)
            .env("GENREPLAY_CONFIG_DIR", &conf)
            .args(args)
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(TOKEN), "the token was printed: {all}");
        (out.status.success(), all)
    };
    let (ok, text) = run(&["scrobble", "status", "--json"]);
    assert!(ok, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (v["queued"].as_u64(), v["enabled"].as_bool()),
        (Some(2), Some(true))
    );
    assert_eq!(v["server"], server.url());
    let (ok, text) = run(&["scrobble", "flush"]);
    assert!(ok && text.contains("sent 2"), "{text}");
    assert_eq!(titles(&server.listens()), ["Song 1", "Song 2"]);
    let (ok, text) = run(&["scrobble", "status"]);
    assert!(ok && text.contains("queued: 0"), "{text}");
    let (ok, text) = run(&["scrobble", "check-token"]);
    assert!(ok && text.contains("valid (user listener)"), "{text}");
    write_config(&conf, &server.url(), "not-the-token");
    let (ok, text) = run(&["scrobble", "check-token"]);
    assert!(!ok && text.contains("refused the token"), "{text}");
    // A setting that is wrong is named with its line by `config check`.
    std::fs::write(
        conf.join("config.toml"),
        "[scrobble]\nenabled = true\nserver = \"localhost:42010\"\n",
    )
    .unwrap();
    let (ok, text) = run(&["config", "check"]);
    assert!(
        !ok && text.contains("config.toml:3:") && text.contains("scrobble.server"),
        "{text}"
    );
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `kill -9` of the player (its pid from the database's pid file).
fn kill_9(data: &Path) {
    let pid = std::fs::read_to_string(data.join("db/genreplay.pid")).unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .unwrap();
    assert!(killed.success());
    let proc = Path::new("/proc").join(pid.trim());
    wait_until("the player gone", WAIT, || !proc.exists());
}

#[test]
fn a_listen_queued_while_the_server_is_down_survives_kill_9_and_arrives_after_a_restart() {
    if !have_tmux() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let lib = dir.join("lib");
    std::fs::create_dir_all(lib.join("Night Owls")).unwrap();
    let song = lib.join("Night Owls/01 Lantern.wav");
    tagged_track(&song, 3.0, 7, "Night Owls", "Dusk", "Lantern");
    let plain = lib.join("untagged.wav");
    common::write_wav(&plain, &common::tone(440.0, 16_000, 2.0, 0.3), 16_000, 1);
    let lib = lib.canonicalize().unwrap();
    let (song, plain) = (
        lib.join("Night Owls/01 Lantern.wav"),
        lib.join("untagged.wav"),
    );
    let data = dir.join("data");
    let conf = dir.join("config");
    // Nothing listens on the port while the first player plays.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    write_config(&conf, &format!("http://{port}"), TOKEN);
    let out = genreplay(&data)
        .arg("--library")
        .arg(&lib)
        .arg("scan")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let player = start_player(dir, &conf, &data, &lib, "", "");
    let ctl = |args: &[&str]| genreplay(&data).arg("ctl").args(args).output().unwrap();
    let playing = || {
        let out = ctl(&["status", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        v["track"]["path"].as_str().map(str::to_string)
    };
    // The untagged file plays out first: no artist tag, so nothing is queued for it.
    wait_until("the player plays the untagged file", WAIT, || {
        ctl(&["play", plain.to_str().unwrap()]).status.success()
    });
    wait_until("the untagged file playing", WAIT, || {
        playing().as_deref() == plain.to_str()
    });
    wait_until("the untagged file's end", WAIT, || {
        playing().as_deref() != plain.to_str()
    });
    let queue = ListenQueue::at(&data.join("scrobble"));
    wait_until(
        "the log saying why the untagged file is not sent",
        WAIT,
        || {
            std::fs::read_to_string(data.join("genreplay.log"))
                .is_ok_and(|l| l.contains("untagged.wav has no artist tag"))
        },
    );
    assert_eq!(queue.count().unwrap(), 0);
    let started = now_unix();
    assert!(ctl(&["play", song.to_str().unwrap()]).status.success());
    let waiting = wait_for("the listen in the queue", Duration::from_secs(30), || {
        queue.load().ok().filter(|l| !l.is_empty())
    });
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    let l = &waiting[0];
    assert_eq!(
        (l.artist.as_str(), l.title.as_str()),
        ("Night Owls", "Lantern")
    );
    assert_eq!(l.album.as_deref(), Some("Dusk"));
    assert!(
        l.listened_at >= started && l.listened_at <= started + 3,
        "{} not the start ({started})",
        l.listened_at
    );
    kill_9(&data);
    drop(player);

    // The server comes up, the player starts again: the listen arrives.
    let server = FakeServer::at(port);
    let player = start_player(dir, &conf, &data, &lib, "", "");
    wait_until("the listen at the server", Duration::from_secs(30), || {
        !server.listens().is_empty()
    });
    let got = server.listens();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["listened_at"], l.listened_at);
    assert_eq!(got[0]["track_metadata"]["artist_name"], "Night Owls");
    assert_eq!(got[0]["track_metadata"]["track_name"], "Lantern");
    wait_until("an empty queue", WAIT, || queue.count().ok() == Some(0));
    // Playing again with the server up: "playing now" when it starts.
    let t0 = Instant::now();
    assert!(ctl(&["play", song.to_str().unwrap()]).status.success());
    wait_until("playing now", WAIT, || !server.playing_now().is_empty());
    assert_eq!(
        server.playing_now()[0]["track_metadata"]["track_name"],
        "Lantern"
    );
    assert!(t0.elapsed() < WAIT);
    drop(player);
}
