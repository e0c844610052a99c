#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `genreplay ctl events` and `status_program` against the real player (the release binary in
//! tmux, silent audio, a synthetic library): what a status bar or a script sees.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::common;
use common::tmux::{have_tmux, start_player};
use common::wait::{wait_for, wait_until};
use serde_json::Value;

fn ctl(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(assert_cmd::cargo::cargo_bin("genreplay"))
        .arg("--data-dir")
        .arg(data)
        .arg("ctl")
        .args(args)
        .output()
        .unwrap()
}

/// `genreplay ctl events` running, its lines arriving on the channel as JSON.
fn follow(data: &Path) -> (Child, mpsc::Receiver<Value>) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("genreplay"))
        .arg("--data-dir")
        .arg(data)
        .args(["ctl", "events"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let line = line.unwrap();
            let v: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not one JSON object per line: {line:?}: {e}"));
            if tx.send(v).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// The next event satisfying `ok` (earlier ones are passed over), within 20 s.
fn next_event(rx: &mpsc::Receiver<Value>, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let mut seen = vec![];
    loop {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(v) if ok(&v) => return v,
            Ok(v) => seen.push(v),
            Err(_) => panic!("no {what} event; saw {seen:#?}"),
        }
    }
}

fn is(v: &Value, event: &str) -> bool {
    v["event"] == event
}

#[test]
fn ctl_events_follows_the_running_player_and_status_program_hears_it() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let lib = dir.join("lib");
    let data = dir.join("data");
    let config = dir.join("config");
    std::fs::create_dir_all(&config).unwrap();
    for i in 0..3 {
        common::tagged_track(
            &lib.join(format!("Artist/Album/0{i} Song.wav")),
            30.0,
            i,
            "Artist",
            "Album",
            &format!("Song {i}"),
        );
    }
    // The program appends its argument and the JSON it reads to a file.
    let heard = dir.join("heard.txt");
    let script = dir.join("status.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s ' \"$1\" >> {out}\ncat >> {out}\n",
            out = common::tmux::quote(&heard)
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(
        config.join("config.toml"),
        format!("status_program = {:?}\n", script.to_str().unwrap()),
    )
    .unwrap();

    let t = start_player(dir, &config, &data, &lib, "", "");
    let (mut child, rx) = follow(&data);
    let first = next_event(&rx, "status", |v| is(v, "status"));
    assert!(first["volume"].is_u64(), "{first}");

    let song0 = lib.join("Artist/Album/00 Song.wav");
    // The scan may still be adding the files: ask until the player knows the file.
    wait_until("the player knows the file", Duration::from_secs(30), || {
        ctl(&data, &["play", song0.to_str().unwrap()])
            .status
            .success()
    });
    let v = next_event(&rx, "track", |v| is(v, "track"));
    assert_eq!(v["track"]["title"], "Song 0", "{v}");
    assert_eq!(v["track"]["artist"], "Artist");
    assert_eq!(v["track"]["album"], "Album");
    assert_eq!(v["state"], "playing");
    let path0 = std::fs::canonicalize(&song0).unwrap();
    assert_eq!(v["track"]["path"], path0.to_str().unwrap());

    assert!(ctl(&data, &["next"]).status.success());
    let v = next_event(&rx, "track", |v| is(v, "track"));
    assert_eq!(v["track"]["title"], "Song 1", "{v}");

    assert!(ctl(&data, &["volume", "55"]).status.success());
    let v = next_event(&rx, "volume", |v| is(v, "volume"));
    assert_eq!(v["volume"], 55);

    assert!(ctl(&data, &["seek", "10"]).status.success());
    // The new track's start may be reported as a jump to 0 first (under load it comes late):
    // the seek asked for is the one that reaches 10 s.
    let v = next_event(&rx, "seek to 10 s", |v| {
        is(v, "seek") && v["position"].as_f64().is_some_and(|p| p >= 9.0)
    });
    let at = v["position"].as_f64().unwrap();
    assert!((9.0..12.0).contains(&at), "{v}");

    assert!(ctl(&data, &["pause"]).status.success());
    let v = next_event(&rx, "state", |v| is(v, "state"));
    assert_eq!(v["state"], "paused");

    // The program heard the track changes and the pause, each as its own line of JSON.
    let lines = wait_for("the program's lines", Duration::from_secs(15), || {
        let text = std::fs::read_to_string(&heard).unwrap_or_default();
        (text.lines().filter(|l| l.starts_with("track ")).count() >= 2
            && text.contains("\"paused\""))
        .then_some(text)
    });
    let parsed: Vec<(String, Value)> = lines
        .lines()
        .map(|l| {
            let (arg, json) = l.split_once(' ').unwrap();
            (arg.to_string(), serde_json::from_str(json).unwrap())
        })
        .collect();
    assert!(
        parsed
            .iter()
            .all(|(arg, v)| v["event"] == arg.as_str() && (arg == "track" || arg == "state")),
        "{lines}"
    );
    let titles: Vec<&str> = parsed
        .iter()
        .filter_map(|(_, v)| v["track"]["title"].as_str())
        .collect();
    assert_eq!(titles[..2], ["Song 0", "Song 1"], "{lines}");

    // The player quits: the follower prints `quit` and exits 0.
    assert!(ctl(&data, &["quit"]).status.success());
    next_event(&rx, "quit", |v| is(v, "quit"));
    let status = wait_for("the follower to exit", Duration::from_secs(10), || {
        child.try_wait().unwrap()
    });
    assert!(status.success(), "{status}");
    t.wait_for("genreplay exited");
}

#[test]
fn ctl_events_without_a_player_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ctl(tmp.path(), &["events"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("genreplay is not running"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
