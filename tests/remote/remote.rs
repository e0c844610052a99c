#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Remote control: `ctl` commands mapped onto the player's real state machine, the socket
//! server with hostile clients, the real `genreplay ctl` client against it, and CLI commands
//! run through the player with its database handle while it holds the database.

use crate::common::tui_fixture;

use crate::common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use genreplay::app::remote::{PlayState, RemoteCommand, RemoteReply, RemoteRequest, ReplyTo};
use genreplay::app::{App, Effect, Event};
use genreplay::audio::player::{PlayerCommand, PlayerEvent};
use genreplay::paths::Paths;
use genreplay::service::remote::{
    self, Client, MAX_CLIENTS, REQUEST, REQUEST_DEADLINE, RESPONSE, RemoteServer, Request,
    Response, write_frame,
};
use genreplay::store::Store;
use tui_fixture::*;

// ------------------------------------------------------------------ the app's side

/// Sends `cmd` to the app; returns its answer and the other effects. The answer must leave
/// as exactly one `RemoteReply` addressed to the asking client.
fn ask(app: &mut App, cmd: RemoteCommand) -> (RemoteReply, Vec<Effect>) {
    let (tx, _rx) = crossbeam_channel::bounded(1);
    let to = ReplyTo::new(tx);
    let fx = app.update(Event::Remote(RemoteRequest {
        command: cmd,
        reply: to.clone(),
    }));
    let mut replies = vec![];
    let mut rest = vec![];
    for e in fx {
        match e {
            Effect::RemoteReply(t, r) => {
                assert_eq!(t, to, "the answer goes to the client that asked");
                replies.push(*r);
            }
            e => rest.push(e),
        }
    }
    assert_eq!(replies.len(), 1, "one answer per request");
    (replies.remove(0), rest)
}

fn players(fx: &[Effect]) -> Vec<PlayerCommand> {
    fx.iter()
        .filter_map(|e| match e {
            // The gain for each track loaded is ReplayGain's (its own tests).
            Effect::Player(PlayerCommand::SetGain { .. }) => None,
            Effect::Player(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

fn loads(fx: &[Effect]) -> Vec<PathBuf> {
    players(fx)
        .into_iter()
        .filter_map(|c| match c {
            PlayerCommand::Load { path, .. } => Some(path),
            _ => None,
        })
        .collect()
}

fn p(title: &str) -> String {
    path(title).to_string_lossy().into_owned()
}

#[test]
fn ctl_commands_map_onto_the_players_own_operations() {
    let mut app = app();

    // Stopped, nothing queued: the status says so, in the documented shape.
    let (r, fx) = ask(&mut app, RemoteCommand::Status);
    assert!(r.ok);
    assert!(fx.is_empty());
    let s = &r.status;
    assert_eq!(s.state, PlayState::Stopped);
    assert_eq!(s.track, None);
    assert_eq!((s.volume, s.shuffle, s.repeat.as_str()), (80, false, "off"));
    assert!(s.queue.is_empty());
    let json = serde_json::to_value(&r.status).unwrap();
    for key in [
        "state",
        "track",
        "position_secs",
        "volume",
        "muted",
        "shuffle",
        "repeat",
        "queue",
        "context",
    ] {
        assert!(json.get(key).is_some(), "status lacks {key:?}: {json}");
    }
    assert_eq!(json["state"], "stopped");
    assert!(json["track"].is_null());
    assert!(json["context"].is_null());

    // Nothing to play, pause or seek: refused, and nothing is sent to the player.
    for cmd in [
        RemoteCommand::Play,
        RemoteCommand::Toggle,
        RemoteCommand::Next,
        RemoteCommand::Pause,
        RemoteCommand::Seek {
            secs: 5.0,
            relative: true,
        },
    ] {
        let (r, fx) = ask(&mut app, cmd.clone());
        assert!(!r.ok, "{cmd:?}: {r:?}");
        assert!(players(&fx).is_empty(), "{cmd:?}: {fx:?}");
    }

    // A folder adds its tracks in album order; what is not in the library is named.
    let (r, _) = ask(
        &mut app,
        RemoteCommand::Add {
            paths: vec![Path::new(ROOT).join("Alpha/First")],
        },
    );
    assert!(r.ok, "{r:?}");
    assert_eq!(r.message, "3 tracks added to the queue");
    assert_eq!(r.status.queue, vec![p("Dawn"), p("Noon"), p("Dusk")]);
    let (r, _) = ask(
        &mut app,
        RemoteCommand::Add {
            paths: vec!["/elsewhere/x.flac".into()],
        },
    );
    assert!(!r.ok);
    assert!(
        r.message.contains("/elsewhere/x.flac: not in the library"),
        "{}",
        r.message
    );
    assert_eq!(r.status.queue.len(), 3, "nothing was added");
    let (r, _) = ask(&mut app, RemoteCommand::Add { paths: vec![] });
    assert!(!r.ok);

    // Play starts the queue.
    let (r, fx) = ask(&mut app, RemoteCommand::Play);
    assert!(r.ok, "{r:?}");
    assert_eq!(loads(&fx), vec![path("Dawn")]);
    assert_eq!(r.message, "playing Alpha — Dawn");
    assert_eq!(r.status.state, PlayState::Playing);
    let t = r.status.track.clone().unwrap();
    assert_eq!(
        (t.path.as_str(), t.title.as_str(), t.artist.as_str()),
        (p("Dawn").as_str(), "Dawn", "Alpha")
    );
    assert_eq!(t.genre.as_deref(), Some("rock"));
    assert_eq!(r.status.queue, vec![p("Noon"), p("Dusk")]);
    app.update(Event::Player(PlayerEvent::Started {
        path: path("Dawn"),
        duration_secs: Some(180.0),
    }));
    app.update(Event::Player(PlayerEvent::Position { secs: 12.5 }));
    assert_eq!(
        ask(&mut app, RemoteCommand::Status).0.status.position_secs,
        12.5
    );

    // Next and previous, as the keys.
    let (r, fx) = ask(&mut app, RemoteCommand::Next);
    assert_eq!(loads(&fx), vec![path("Noon")]);
    assert_eq!(r.message, "playing Alpha — Noon");
    assert_eq!(r.status.queue, vec![p("Dusk")]);
    let (_, fx) = ask(&mut app, RemoteCommand::Prev);
    assert_eq!(loads(&fx), vec![path("Dawn")]);
    ask(&mut app, RemoteCommand::Next);

    // Seeks: by, to; nonsense is refused.
    let (r, fx) = ask(
        &mut app,
        RemoteCommand::Seek {
            secs: -10.0,
            relative: true,
        },
    );
    assert!(r.ok);
    assert_eq!(players(&fx), vec![PlayerCommand::SeekBy(-10.0)]);
    let (_, fx) = ask(
        &mut app,
        RemoteCommand::Seek {
            secs: 30.0,
            relative: false,
        },
    );
    assert_eq!(players(&fx), vec![PlayerCommand::SeekTo(30.0)]);
    for secs in [-5.0, f64::NAN, f64::INFINITY, 1e300] {
        let (r, fx) = ask(
            &mut app,
            RemoteCommand::Seek {
                secs,
                relative: secs != -5.0,
            },
        );
        assert!(!r.ok, "seek {secs}");
        assert!(players(&fx).is_empty(), "seek {secs}: {fx:?}");
    }

    // Volume: set, change, limits.
    let (r, fx) = ask(
        &mut app,
        RemoteCommand::Volume {
            percent: 50,
            relative: false,
        },
    );
    assert_eq!(r.status.volume, 50);
    assert_eq!(players(&fx), vec![PlayerCommand::SetVolume(0.5)]);
    let (r, _) = ask(
        &mut app,
        RemoteCommand::Volume {
            percent: 10,
            relative: true,
        },
    );
    assert_eq!(r.status.volume, 60);
    for (percent, relative) in [
        (151, false),
        (-1, false),
        (i32::MAX, true),
        (i32::MIN, true),
    ] {
        let (r, fx) = ask(&mut app, RemoteCommand::Volume { percent, relative });
        assert!(!r.ok, "volume {percent}");
        assert!(players(&fx).is_empty());
        assert_eq!(r.status.volume, 60);
    }
    let (r, _) = ask(
        &mut app,
        RemoteCommand::Volume {
            percent: -100,
            relative: true,
        },
    );
    assert_eq!(r.status.volume, 0, "a change stops at 0");

    // Pause is a pause (twice is still paused), play resumes, toggle toggles.
    let (_, fx) = ask(&mut app, RemoteCommand::Pause);
    assert_eq!(players(&fx), vec![PlayerCommand::Pause]);
    app.update(Event::Player(PlayerEvent::Paused(true)));
    let (r, fx) = ask(&mut app, RemoteCommand::Pause);
    assert_eq!(players(&fx), vec![PlayerCommand::Pause]);
    assert_eq!(r.status.state, PlayState::Paused);
    let (_, fx) = ask(&mut app, RemoteCommand::Play);
    assert_eq!(players(&fx), vec![PlayerCommand::Play]);
    let (_, fx) = ask(&mut app, RemoteCommand::Toggle);
    assert_eq!(players(&fx), vec![PlayerCommand::TogglePause]);

    // Partly known: what was found is queued, the rest named.
    let missing = Path::new(ROOT).join("Alpha/First/09 New.flac");
    let (r, _) = ask(
        &mut app,
        RemoteCommand::Add {
            paths: vec![path("Rain"), missing.clone()],
        },
    );
    assert!(!r.ok);
    assert!(
        r.message.starts_with("1 track added to the queue; "),
        "{}",
        r.message
    );
    assert!(
        r.message
            .contains(&format!("{}: not in the library yet", missing.display())),
        "{}",
        r.message
    );
    assert_eq!(r.status.queue, vec![p("Dusk"), p("Rain")]);

    // Rescan is the service's job.
    let (r, fx) = ask(&mut app, RemoteCommand::Rescan);
    assert!(r.ok);
    assert!(fx.contains(&Effect::Rescan), "{fx:?}");

    // Stop.
    let (r, fx) = ask(&mut app, RemoteCommand::Stop);
    assert_eq!(players(&fx), vec![PlayerCommand::Stop]);
    assert_eq!(r.status.state, PlayState::Stopped);
    assert_eq!(r.status.track, None);
    assert_eq!(r.status.position_secs, 0.0);

    // An album played from the player is the context: added files play first, then it goes
    // on; status shows both, in order.
    app.session
        .play_tracks(vec![id("Rain"), id("Snow")], 0, "Beta — Second".into());
    let (r, _) = ask(
        &mut app,
        RemoteCommand::Add {
            paths: vec![path("Echo")],
        },
    );
    assert!(r.ok, "{r:?}");
    assert_eq!(r.status.track.as_ref().unwrap().title, "Rain");
    assert_eq!(r.status.queue[r.status.queue.len() - 1], p("Echo"));
    let c = r.status.context.clone().unwrap();
    assert_eq!(c.label, "Beta — Second");
    assert_eq!(c.remaining, vec![p("Snow")]);
    let json = serde_json::to_value(&r.status).unwrap();
    assert_eq!(json["context"]["remaining"], serde_json::json!([p("Snow")]));
    // Next plays what was added before the album goes on.
    let mut order = vec![];
    for _ in 0..r.status.queue.len() + 1 {
        let (r, _) = ask(&mut app, RemoteCommand::Next);
        order.push(r.status.track.map(|t| t.title).unwrap_or_default());
    }
    assert_eq!(order.last().map(String::as_str), Some("Snow"), "{order:?}");
    assert_eq!(order[order.len() - 2], "Echo", "{order:?}");

    // Muted: the volume is kept, and said.
    press(&mut app, "0");
    let (r, _) = ask(&mut app, RemoteCommand::Status);
    assert!(r.status.muted);
    assert_eq!(r.status.volume, 0, "the volume set above");
    let (r, _) = ask(
        &mut app,
        RemoteCommand::Volume {
            percent: 30,
            relative: false,
        },
    );
    assert!(!r.status.muted, "a volume change unmutes, as the keys do");
    assert_eq!(r.status.volume, 30);
}

#[test]
fn the_rescan_key_asks_the_service() {
    let mut app = app();
    let fx = press(&mut app, "U");
    assert!(fx.contains(&Effect::Rescan), "{fx:?}");
}

// ------------------------------------------------------------------ a player behind a socket

fn genreplay(data: &Path, args: &[&str]) -> Output {
    Command::new(assert_cmd::cargo::cargo_bin("genreplay"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("GENREPLAY_CONFIG_DIR", data.join("config"))
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Sends raw bytes as a client would and reads the one response frame.
fn raw(path: &Path, bytes: &[u8]) -> Option<Response> {
    let mut s = UnixStream::connect(path).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(bytes);
    read_response(&mut s)
}

fn read_response(s: &mut UnixStream) -> Option<Response> {
    let mut head = [0u8; 5];
    s.read_exact(&mut head).ok()?;
    assert_eq!(head[0], RESPONSE);
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    let mut body = vec![0; len];
    s.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![kind];
    v.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn error_of(r: Option<Response>) -> String {
    match r {
        Some(Response::Error { message }) => message,
        other => panic!("expected an error answer, got {other:?}"),
    }
}

fn hello(data: &Path) -> u32 {
    let mut c = Client::connect(data).unwrap().expect("the player listens");
    match c.ask(&Request::Hello, Duration::from_secs(5)) {
        Ok(Response::Hello { pid, .. }) => pid,
        other => panic!("hello: {other:?}"),
    }
}

#[test]
fn ctl_drives_the_player_over_its_socket() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();

    // No player yet: ctl says so and exits 1.
    let out = genreplay(&data, &["ctl", "status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("genreplay is not running"),
        "{}",
        text(&out.stderr)
    );
    let store = Store::open(&data.join("db")).unwrap();
    let player = Player::start();

    let sock = remote::socket_path(&data);
    let mut server =
        RemoteServer::start(sock.clone(), player.tx.clone(), store.clone(), None).unwrap();
    assert_eq!(hello(&data), std::process::id());
    assert_eq!(
        remote::running_player(&data).unwrap(),
        Some(std::process::id())
    );
    // One player per socket.
    assert!(RemoteServer::start(sock.clone(), player.tx.clone(), store.clone(), None).is_err());

    let out = genreplay(&data, &["ctl", "status", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["state"], "stopped");
    assert!(v["track"].is_null());
    assert_eq!(v["queue"], serde_json::json!([]));

    // The fixture's files are not on disk (ctl add resolves real files): queue over the
    // protocol, then play and skip with the real client.
    let mut c = Client::connect(&data).unwrap().unwrap();
    let r = c
        .ask(
            &Request::Ctl {
                command: RemoteCommand::Add {
                    paths: vec![Path::new(ROOT).join("Alpha/First")],
                },
            },
            Duration::from_secs(5),
        )
        .unwrap();
    assert!(
        matches!(r, Response::Reply { ref reply } if reply.ok),
        "{r:?}"
    );
    let out = genreplay(&data, &["ctl", "play"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "playing Alpha — Dawn");
    let out = genreplay(&data, &["ctl", "next"]);
    assert_eq!(text(&out.stdout).trim(), "playing Alpha — Noon");
    let out = genreplay(&data, &["ctl", "status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["state"], "playing");
    assert_eq!(v["track"]["title"], "Noon");
    assert_eq!(v["track"]["artist"], "Alpha");
    assert_eq!(v["track"]["path"], p("Noon"));
    assert_eq!(v["queue"], serde_json::json!([p("Dusk")]));
    let out = genreplay(&data, &["ctl", "status"]);
    let s = text(&out.stdout);
    assert!(s.starts_with("playing: Alpha — Noon (First)\n"), "{s}");
    assert!(s.contains("up next (1):"), "{s}");
    let out = genreplay(&data, &["ctl", "volume", "-5"]);
    assert_eq!(text(&out.stdout).trim(), "volume 75%");
    let out = genreplay(&data, &["ctl", "seek", "-0:05"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A command line: the add is undone, then redone; the answer is the status line's.
    let out = genreplay(&data, &["ctl", "run", "undo"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "queue change undone (ctrl-r redoes)"
    );
    let out = genreplay(&data, &["ctl", "run", "redo"]);
    assert_eq!(text(&out.stdout).trim(), "queue change redone");
    let out = genreplay(&data, &["ctl", "run", "sort", "year"]);
    assert_eq!(
        text(&out.stdout).trim(),
        "library sorted: year, oldest first"
    );
    // What only works in a view, an unknown name, a question left open: refused (exit 1).
    for (args, says) in [
        (&["ctl", "run", "queue_remove"][..], "works in a view"),
        (&["ctl", "run", "fly"][..], "no command 'fly'"),
        (
            &["ctl", "run", "save_queue"][..],
            "give the answer after the name",
        ),
    ] {
        let out = genreplay(&data, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            text(&out.stderr).contains(says),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    // Refused by the player: exit 1 with its reason.
    let out = genreplay(&data, &["ctl", "add", tmp.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not in the library"),
        "{}",
        text(&out.stderr)
    );
    // Refused before asking: exit 2.
    for args in [["ctl", "volume", "200"], ["ctl", "seek", "soon"]] {
        let out = genreplay(&data, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).starts_with("error: "), "{args:?}");
    }
    let out = genreplay(&data, &["ctl", "add", "/no/such/file.flac"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/no/such/file.flac"));

    // A second player start on the same data says who runs.
    let lib = tmp.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    let out = genreplay(&data, &["--library", lib.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains(&format!(
            "genreplay is already running (pid {})",
            std::process::id()
        )),
        "{}",
        text(&out.stderr)
    );

    // Gone: the socket file goes with it, and ctl says nobody runs.
    server.stop();
    drop(server);
    drop(store);
    assert!(!sock.exists());
    let out = genreplay(&data, &["ctl", "next"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("genreplay is not running"));
}

#[test]
fn a_player_that_is_starting_answers_once_it_serves() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().to_path_buf();
    // Bound before the database is opened, as the player does.
    let listening = remote::Listening::bind(remote::socket_path(&data)).unwrap();
    assert!(remote::socket_path(&data).exists());
    let early = {
        let data = data.clone();
        std::thread::spawn(move || {
            let t0 = Instant::now();
            let out = genreplay(&data, &["ctl", "status", "--json"]);
            (t0.elapsed(), out)
        })
    };
    // The server comes up late on purpose: the early client must wait for it.
    std::thread::sleep(Duration::from_millis(700));
    let store = Store::open(&data.join("db")).unwrap();
    let player = Player::start();
    let _server = listening.serve(player.tx.clone(), store, None).unwrap();
    let (waited, out) = early.join().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["state"], "stopped");
    assert!(
        waited >= Duration::from_millis(600),
        "answered after {waited:?}"
    );

    // Bound and never served (the start failed): the socket goes with it.
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let l = remote::Listening::bind(remote::socket_path(&other)).unwrap();
    drop(l);
    assert!(!remote::socket_path(&other).exists());
    let out = genreplay(&other, &["ctl", "status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("genreplay is not running"));
}

#[test]
fn a_deleted_socket_file_comes_back_and_never_stops_a_quit() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().to_path_buf();
    let store = Store::open(&data.join("db")).unwrap();
    let player = Player::start();
    let sock = remote::socket_path(&data);
    let mut server =
        RemoteServer::start(sock.clone(), player.tx.clone(), store.clone(), None).unwrap();
    std::fs::remove_file(&sock).unwrap();
    let t0 = Instant::now();
    loop {
        let out = genreplay(&data, &["ctl", "status", "--json"]);
        if out.status.success() {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "{}",
            text(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("listening again after {:?}", t0.elapsed());
    // Deleted, then quit at once: the quit does not wait for a client that never comes.
    std::fs::remove_file(&sock).unwrap();
    let t0 = Instant::now();
    server.stop();
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    assert!(!sock.exists());

    // Someone else's socket at our path when we quit stays.
    let mut server = RemoteServer::start(sock.clone(), player.tx.clone(), store, None).unwrap();
    std::fs::remove_file(&sock).unwrap();
    let other = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    server.stop();
    assert!(sock.exists(), "another listener's socket was removed");
    drop(other);
}

#[test]
fn hostile_clients_get_an_error_and_the_player_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().to_path_buf();
    let store = Store::open(&data.join("db")).unwrap();
    let player = Player::start();
    let sock = remote::socket_path(&data);
    // A socket file left by a player that died is taken over.
    drop(std::os::unix::net::UnixListener::bind(&sock).unwrap());
    assert!(sock.exists());
    let _server = RemoteServer::start(sock.clone(), player.tx.clone(), store, None).unwrap();

    // A slow client (half a header, then nothing) is answered and dropped by the deadline,
    // while others are served meanwhile.
    let slow_sock = sock.clone();
    let slow = std::thread::spawn(move || {
        let t0 = Instant::now();
        let r = raw(&slow_sock, &[REQUEST, 0, 0]);
        (t0.elapsed(), r)
    });

    let garbage: Vec<(&str, Vec<u8>)> = vec![
        ("not a frame", b"hello there, player\n".to_vec()),
        ("4 GB claimed", vec![REQUEST, 0xff, 0xff, 0xff, 0xff]),
        ("wrong kind", frame(b'Z', b"{}")),
        ("bad UTF-8", frame(REQUEST, &[0xff, 0xfe, b'{', 0xc3])),
        ("bad JSON", frame(REQUEST, b"{\"op\":")),
        ("not an object", frame(REQUEST, b"[1,2,3]")),
        ("unknown op", frame(REQUEST, br#"{"op":"format_disk"}"#)),
        (
            "unknown command",
            frame(REQUEST, br#"{"op":"ctl","command":{"command":"explode"}}"#),
        ),
        (
            "extra field",
            frame(REQUEST, br#"{"op":"hello","and":"more"}"#),
        ),
        (
            "number out of range",
            frame(
                REQUEST,
                br#"{"op":"ctl","command":{"command":"volume","percent":99999999999,"relative":true}}"#,
            ),
        ),
        (
            "wrong type",
            frame(
                REQUEST,
                br#"{"op":"ctl","command":{"command":"add","paths":"/etc/passwd"}}"#,
            ),
        ),
        ("empty", frame(REQUEST, b"")),
        (
            "deeply nested",
            frame(REQUEST, "[".repeat(100_000).as_bytes()),
        ),
    ];
    for (what, bytes) in &garbage {
        let e = error_of(raw(&sock, bytes));
        assert!(!e.is_empty(), "{what}");
        eprintln!("{what}: {e}");
    }
    assert!(error_of(raw(&sock, &[REQUEST, 0xff, 0xff, 0xff, 0xff])).contains("too large"));
    assert!(error_of(raw(&sock, &frame(REQUEST, &[0xff]))).contains("not UTF-8"));

    // Valid JSON the app refuses: an answer that says why.
    let r = raw(
        &sock,
        &frame(
            REQUEST,
            br#"{"op":"ctl","command":{"command":"seek","secs":1e308,"relative":true}}"#,
        ),
    );
    match r {
        Some(Response::Reply { reply }) => assert!(!reply.ok),
        other => panic!("{other:?}"),
    }

    // Clients that leave without reading the answer, or in the middle of a request.
    for _ in 0..20 {
        let mut s = UnixStream::connect(&sock).unwrap();
        let _ = s.write_all(&frame(
            REQUEST,
            br#"{"op":"ctl","command":{"command":"status"}}"#,
        ));
        drop(s);
        let mut s = UnixStream::connect(&sock).unwrap();
        let _ = s.write_all(&frame(REQUEST, b"{\"op\":\"ctl\",")[..8]);
        drop(s);
    }
    // Their connections end on their own threads: busy for a moment at most.
    let t0 = Instant::now();
    loop {
        match raw(&sock, &frame(REQUEST, br#"{"op":"hello"}"#)) {
            Some(Response::Hello { pid, .. }) => {
                assert_eq!(pid, std::process::id());
                break;
            }
            Some(Response::Error { message }) if message.contains("busy") => {
                assert!(t0.elapsed() < Duration::from_secs(3), "still busy");
                std::thread::sleep(Duration::from_millis(20));
            }
            other => panic!("{other:?}"),
        }
    }

    // Many clients at once: the first ones are served, the rest told the player is busy.
    let (t_slow, r_slow) = slow.join().unwrap();
    assert!(error_of(r_slow).contains("did not arrive"));
    assert!(
        t_slow >= REQUEST_DEADLINE - Duration::from_millis(100)
            && t_slow < REQUEST_DEADLINE + Duration::from_secs(3),
        "the slow client was dropped after {t_slow:?}"
    );
    // Wait until the slow client's slot is free again, then until the server holds every idle
    // client. Fixed times: the server's slot count is not visible from outside, and a probe
    // would take a slot itself.
    std::thread::sleep(Duration::from_millis(200));
    let idle: Vec<UnixStream> = (0..MAX_CLIENTS)
        .map(|_| UnixStream::connect(&sock).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let t0 = Instant::now();
    let busy = error_of(raw(&sock, &frame(REQUEST, br#"{"op":"hello"}"#)));
    assert!(busy.contains("busy"), "{busy}");
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "busy took {:?}",
        t0.elapsed()
    );
    drop(idle);
    // Their slots free up as their connections end.
    let t0 = Instant::now();
    loop {
        match raw(&sock, &frame(REQUEST, br#"{"op":"hello"}"#)) {
            Some(Response::Hello { pid, .. }) => {
                assert_eq!(pid, std::process::id());
                break;
            }
            other => {
                assert!(t0.elapsed() < Duration::from_secs(5), "{other:?}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

// ------------------------------------------------------------------ commands through the player

#[test]
fn read_commands_run_through_the_player_while_it_holds_the_database() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let lib = tmp.path().join("lib");
    for i in 0..2 {
        common::tagged_track(
            &lib.join(format!("Artist/Album/0{i} Song.wav")),
            3.0,
            i,
            "Artist",
            "Album",
            &format!("Song {i}"),
        );
    }
    let store = Store::open(&data.join("db")).unwrap();
    genreplay::library::scan::scan(&store, &lib, 1, &|_| {}).unwrap();
    let player = Player::start();
    let paths = Paths::resolve(Some(&data));
    let runner = genreplay::commands::forward::command_runner(paths);
    let mut server = RemoteServer::start(
        remote::socket_path(&data),
        player.tx.clone(),
        store.clone(),
        Some(runner),
    )
    .unwrap();

    // This process holds the database; the commands get their answers through it.
    let out = genreplay(&data, &["library", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tracks = v["tracks"].as_array().unwrap();
    assert_eq!(tracks.len(), 2);
    assert!(tracks.iter().all(|t| t["status"] == "pending"));
    assert_eq!(tracks[0]["title"], "Song 0");
    let out = genreplay(&data, &["library"]);
    assert!(
        text(&out.stdout).contains("2 tracks, 0 classified, 0 failed"),
        "{}",
        text(&out.stdout)
    );
    let out = genreplay(&data, &["models"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("(built in)"),
        "{}",
        text(&out.stdout)
    );

    // Relative paths are the client's: a playlist export lands in its working folder.
    let classifier = {
        let d = genreplay::model::backend::inference_device();
        genreplay::model::infer::Classifier::new(
            genreplay::model::registry::load_embedded(&d).unwrap(),
            d,
        )
    };
    let a = genreplay::analysis::Analyzer::start(store.clone(), classifier, 1).unwrap();
    a.join();
    let cwd = tmp.path().join("here");
    std::fs::create_dir_all(&cwd).unwrap();
    let out = Command::new(assert_cmd::cargo::cargo_bin("genreplay"))
        .current_dir(&cwd)
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "playlists",
            // The synthetic tones are unsure (none of the model's genres): asked in.
            "--include-unsure",
            "--export",
            "lists",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written: Vec<_> = std::fs::read_dir(cwd.join("lists")).unwrap().collect();
    assert!(!written.is_empty(), "{}", text(&out.stdout));
    let out = Command::new(assert_cmd::cargo::cargo_bin("genreplay"))
        .current_dir(&lib)
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "queue",
            "--seed",
            "Artist/Album/00 Song.wav",
            "-n",
            "1",
            "--min-similarity",
            "0",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Song 1"),
        "{}",
        text(&out.stdout)
    );
    // Errors of the command come back as they would locally.
    let out = genreplay(&data, &["queue", "--seed", "/no/such.wav"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("/no/such.wav"),
        "{}",
        text(&out.stderr)
    );

    // What needs the database to itself says who has it.
    for args in [
        vec!["db", "reset", "--yes"],
        vec!["scan"],
        vec!["models", "use", "default"],
    ] {
        let out = genreplay(&data, &args);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            text(&out.stderr).contains(&format!(
                "genreplay is running (pid {})",
                std::process::id()
            )),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert!(data.join("db").exists(), "db reset was refused");

    // A reader that goes away early (`| head`) and one that never reads a long answer do
    // not stop the player. (Thousands of tracks make the answer longer than a socket holds.)
    let records: Vec<genreplay::library::TrackRecord> = (0..3000)
        .map(|i| genreplay::library::TrackRecord {
            path: format!("{}/Many/{i:04} Track.flac", lib.display()).into_bytes(),
            size: 1000,
            mtime_ns: 1,
            tags: Default::default(),
            tag_error: None,
            added_unix: 0,
        })
        .collect();
    store.put_tracks(&records).unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("genreplay"))
        .args(["--data-dir", data.to_str().unwrap(), "library", "--json"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 8];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let _ = child.wait();
    let mut stuck = UnixStream::connect(remote::socket_path(&data)).unwrap();
    let req = serde_json::to_vec(&Request::Run {
        argv: vec!["genreplay".into(), "library".into(), "--json".into()],
        cwd: tmp.path().to_path_buf(),
    })
    .unwrap();
    write_frame(&mut stuck, REQUEST, &req).unwrap();
    let t0 = Instant::now();
    assert_eq!(hello(&data), std::process::id());
    assert!(t0.elapsed() < Duration::from_secs(2));
    drop(stuck);

    // Commands the player does not run for others, sent by hand.
    let mut c = Client::connect(&data).unwrap().unwrap();
    c.send(&Request::Run {
        argv: vec![
            "genreplay".into(),
            "db".into(),
            "reset".into(),
            "--yes".into(),
        ],
        cwd: tmp.path().to_path_buf(),
    })
    .unwrap();
    let mut err = Vec::new();
    let code = loop {
        match c.next_frame(Duration::from_secs(10)).unwrap() {
            (remote::STDERR, b) => err.extend(b),
            (remote::EXIT, b) => break b[0],
            (k, _) => panic!("frame {k}"),
        }
    };
    assert_eq!(code, 2);
    assert!(text(&err).contains("only runs"), "{}", text(&err));
    assert!(data.join("db").exists());

    // Without the player's socket the database is still held (the answers above came
    // through it): every command that needs it says who holds it, and never to reset it.
    server.stop();
    let holder = format!("genreplay is already running (pid {})", std::process::id());
    for args in [
        vec!["library"],
        vec!["library", "--json"],
        vec!["models"],
        vec!["playlists"],
        vec!["scan", "--library", lib.to_str().unwrap()],
        vec!["db", "reset", "--yes"],
    ] {
        let out = genreplay(&data, &args);
        assert!(!out.status.success(), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains(&holder), "{args:?}: {err}");
        assert!(!err.contains("reset"), "{args:?}: {err}");
    }
    assert!(data.join("db").exists(), "db reset was refused");
    let out = genreplay(&data, &["ctl", "status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(&format!(
            "another genreplay process (pid {}) has the database",
            std::process::id()
        )),
        "{}",
        text(&out.stderr)
    );
}

// ------------------------------------------------------------------ bounds on what clients send

#[test]
fn counts_and_names_from_clients_are_bounded() {
    use genreplay::app::play_queue::MAX_UP_NEXT;
    use genreplay::app::remote::{MAX_ADD_PATHS, MAX_PATH_BYTES};
    let mut app = app();
    // More names than one add takes: refused before any is looked at.
    let (r, fx) = ask(
        &mut app,
        RemoteCommand::Add {
            paths: vec![path("Echo"); MAX_ADD_PATHS + 1],
        },
    );
    assert!(
        !r.ok && r.message.contains("at most 10000"),
        "{}",
        r.message
    );
    assert!(r.status.queue.is_empty() && fx.is_empty());
    // A name longer than any path.
    let (r, _) = ask(
        &mut app,
        RemoteCommand::Add {
            paths: vec![Path::new(ROOT).join("x".repeat(MAX_PATH_BYTES))],
        },
    );
    assert!(!r.ok && r.message.contains("at most 4096"), "{}", r.message);
    // Names outside the library are answered without looking through it, and listed in
    // part.
    let outside: Vec<PathBuf> = (0..MAX_ADD_PATHS)
        .map(|i| PathBuf::from(format!("/elsewhere/{i:05}.flac")))
        .collect();
    let (r, _) = ask(&mut app, RemoteCommand::Add { paths: outside });
    assert!(!r.ok);
    assert!(
        r.message.contains("and 9990 more names not in the library"),
        "{}",
        &r.message[..r.message.len().min(300)]
    );
    assert!(r.message.len() < 2_000, "{} bytes", r.message.len());
    // Up next fills to its bound and says so; the rest is not added.
    let album = Path::new(ROOT).join("Alpha/First");
    let (r, _) = ask(
        &mut app,
        RemoteCommand::Add {
            paths: vec![album; MAX_ADD_PATHS],
        },
    );
    assert!(!r.ok);
    assert_eq!(
        r.message,
        "10000 tracks added to the queue; up next is full (10000): 2 more tracks and 6666 \
         more names not added"
    );
    assert_eq!(r.status.queue.len(), MAX_UP_NEXT);
    let (r, _) = ask(
        &mut app,
        RemoteCommand::Add {
            paths: vec![path("Echo")],
        },
    );
    assert!(
        !r.ok && r.message.contains("up next is full"),
        "{}",
        r.message
    );
    assert_eq!(app.session.queue.up_next.len(), MAX_UP_NEXT);
    // The whole library named ten thousand times, into a full up next: nothing is looked
    // up (at 20,000 tracks this once took 1.6 GB and seconds per request).
    let (r, _) = ask(
        &mut app,
        RemoteCommand::Add {
            paths: vec![PathBuf::from(ROOT); MAX_ADD_PATHS],
        },
    );
    assert_eq!(
        r.message,
        "0 tracks added to the queue; up next is full (10000): 10000 more names not added"
    );
    // The keys meet the same bound.
    select(&mut app, "gamma");
    press(&mut app, "a");
    assert_eq!(app.session.queue.up_next.len(), MAX_UP_NEXT);
    let status = app.session.status.as_ref().unwrap();
    assert!(status.text.contains("up next is full (10000)") && status.error);
}

#[test]
fn a_large_add_does_not_hold_up_other_clients() {
    use genreplay::app::remote::MAX_ADD_PATHS;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().to_path_buf();
    let store = Store::open(&data.join("db")).unwrap();
    let player = Player::start();
    let sock = remote::socket_path(&data);
    let _server = RemoteServer::start(sock.clone(), player.tx.clone(), store, None).unwrap();
    // 10,000 names outside the library in one request (≈ 600 KB: the large-request path),
    // from three clients at once, while a fourth asks for the status again and again.
    let paths: Vec<PathBuf> = (0..MAX_ADD_PATHS)
        .map(|i| {
            tmp.path()
                .join(format!("elsewhere/{i:05} a track of some length.flac"))
        })
        .collect();
    let body = serde_json::to_vec(&Request::Ctl {
        command: RemoteCommand::Add { paths },
    })
    .unwrap();
    assert!(body.len() > remote::LARGE_REQUEST && body.len() < remote::MAX_REQUEST);
    let adders: Vec<_> = (0..3)
        .map(|_| {
            let (sock, body) = (sock.clone(), body.clone());
            std::thread::spawn(move || {
                let t0 = Instant::now();
                let r = raw(&sock, &frame(REQUEST, &body));
                (t0.elapsed(), r)
            })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    let status = frame(REQUEST, br#"{"op":"ctl","command":{"command":"status"}}"#);
    for _ in 0..40 {
        let t0 = Instant::now();
        match raw(&sock, &status) {
            Some(Response::Reply { reply }) => assert!(reply.ok),
            other => panic!("{other:?}"),
        }
        slowest = slowest.max(t0.elapsed());
    }
    for a in adders {
        let (took, r) = a.join().unwrap();
        match r {
            Some(Response::Reply { reply }) => {
                assert!(!reply.ok && reply.message.contains("not in the library"));
                eprintln!("an add of 10,000 names outside the library answered in {took:?}");
            }
            other => panic!("{other:?}"),
        }
    }
    eprintln!("the slowest of 40 status calls meanwhile: {slowest:?}");
    // Loose: the numbers are in `cargo bench --bench ui`.
    assert!(slowest < Duration::from_secs(2), "{slowest:?}");
}

#[test]
fn a_mistyped_count_is_refused_by_the_cli_and_by_the_player() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let lib = tmp.path().join("lib");
    let files: Vec<PathBuf> = (0..2)
        .map(|i| lib.join(format!("Artist/Album/0{i} Song.wav")))
        .collect();
    for (i, f) in files.iter().enumerate() {
        common::tagged_track(f, 3.0, i as u64, "Artist", "Album", &format!("Song {i}"));
    }
    // A classified library (vectors put in by hand): `queue` gets as far as choosing.
    {
        let store = Store::open(&data.join("db")).unwrap();
        genreplay::library::scan::scan(&store, &lib, 1, &|_| {}).unwrap();
        let d = genreplay::model::backend::inference_device();
        let model = genreplay::model::active::load_active(&store, None, &d).unwrap();
        let n = model.config.labels.len();
        for (i, f) in files.iter().enumerate() {
            let mut v = vec![0.5 / n as f32; n];
            v[0] += 0.5 - i as f32 * 0.01;
            let rec = genreplay::store::VectorRecord {
                vector: v,
                segments: 1,
                style: None,
                computed_unix: 0,
                open_set: None,
            };
            let id = genreplay::library::TrackId::of_path(&f.canonicalize().unwrap());
            store.put_vector(&model.id, id, &rec).unwrap();
        }
        store.flush().unwrap();
    }
    let seed = files[0].to_str().unwrap();
    let refused = |out: &Output| {
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains("999999999999") && err.contains("1..=10000"),
            "{err}"
        );
    };
    // No player: the CLI refuses it (it used to reserve memory for them and abort).
    let args = [
        "queue",
        "--seed",
        seed,
        "-n",
        "999999999999",
        "--min-similarity",
        "0",
    ];
    refused(&genreplay(&data, &args));
    let out = genreplay(
        &data,
        &["queue", "--seed", seed, "-n", "5", "--min-similarity", "0"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Song 1"),
        "{}",
        text(&out.stdout)
    );
    // With a player holding the database: run by the player, refused the same way, and the
    // player answers on.
    let store = Store::open(&data.join("db")).unwrap();
    let player = Player::start();
    let runner = genreplay::commands::forward::command_runner(Paths::resolve(Some(&data)));
    let _server = RemoteServer::start(
        remote::socket_path(&data),
        player.tx.clone(),
        store,
        Some(runner),
    )
    .unwrap();
    refused(&genreplay(&data, &args));
    // A client that skips the CLI sends the same command line: the player parses it with the
    // same bounds.
    let mut c = Client::connect(&data).unwrap().unwrap();
    let mut argv = vec!["genreplay".to_string()];
    argv.extend(args.iter().map(|s| s.to_string()));
    c.send(&Request::Run {
        argv,
        cwd: tmp.path().to_path_buf(),
    })
    .unwrap();
    let code = loop {
        if let (remote::EXIT, b) = c.next_frame(Duration::from_secs(30)).unwrap() {
            break b[0];
        }
    };
    assert_eq!(code, 2);
    assert_eq!(hello(&data), std::process::id());
}
