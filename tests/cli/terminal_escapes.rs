#![allow(clippy::unwrap_used, clippy::expect_used)]
//! No control character from a file reaches a terminal: a library whose file names and tags
//! hold terminal escapes (OSC 52 writes the clipboard, OSC 0 the window title, `ESC[?1049l`
//! leaves the alternate screen, U+009B is a one-character CSI) and bidi controls (U+202E
//! reverses the text after it). The command line prints them as visible escapes — `scan`,
//! `library` (here and through the running player), `classify`, `ctl status` — in a real
//! terminal (tmux, whose window title and screen mode are checked), `--json` keeps them
//! exact, and the player's screen shows no bidi control.

use crate::common;
use crate::common::tmux;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use tmux::*;

const ARTIST: &str = "Evil\u{1b}]52;c;aGk=\u{7}Artist";
const TITLE: &str = "Title\u{1b}[?1049l\u{9b}31m";
const BIDI_TITLE: &str = "abc\u{202e}fed";
const FILE: &str = "a\u{1b}]0;pwned\u{7}.wav";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// What a terminal must not receive: C0 but newline and tab, DEL, C1, bidi controls.
fn controls(b: &[u8]) -> Vec<char> {
    text(b)
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

fn assert_clean(what: &str, out: &Output) {
    for (name, b) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let c = controls(b);
        assert!(c.is_empty(), "{what}: {name} holds {c:?}:\n{}", text(b));
    }
}

/// The hostile library: one track with escapes in its name and tags, one with a bidi title.
fn library(dir: &Path) -> (PathBuf, PathBuf) {
    let lib = dir.join("music");
    let evil = lib.join("Band").join(FILE);
    tagged_track(&evil, 5.0, 1, ARTIST, "Album\nwith a newline", TITLE);
    let bidi = lib.join("Band/02 bidi.wav");
    tagged_track(&bidi, 5.0, 2, "Band", "Album", BIDI_TITLE);
    (lib.canonicalize().unwrap(), evil.canonicalize().unwrap())
}

fn cli(data: &Path, lib: &Path, args: &[&str]) -> Output {
    Command::new(assert_cmd::cargo::cargo_bin("genreplay"))
        .arg("--data-dir")
        .arg(data)
        .arg("--library")
        .arg(lib)
        .args(args)
        .env("GENREPLAY_CONFIG_DIR", data.join("no-config"))
        .output()
        .unwrap()
}

#[test]
fn the_command_line_shows_escapes_and_json_keeps_them_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, evil) = library(tmp.path());
    let data = tmp.path().join("data");
    let out = cli(&data, &lib, &["scan"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_clean("scan", &out);
    assert!(
        text(&out.stderr).contains("a\\e]0;pwned\\x07.wav"),
        "{}",
        text(&out.stderr)
    );
    let out = cli(&data, &lib, &["library"]);
    assert_clean("library", &out);
    let listed = text(&out.stdout);
    assert!(
        listed.contains("Evil\\e]52;c;aGk=\\x07Artist — Title\\e[?1049l\\u{9b}31m"),
        "{listed}"
    );
    assert!(listed.contains("abc\\u{202e}fed"), "{listed}");
    let out = cli(&data, &lib, &["--json", "library"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tracks = v["tracks"].as_array().unwrap();
    let t = tracks
        .iter()
        .find(|t| t["artist"] == ARTIST)
        .expect("exact");
    assert_eq!(t["title"], TITLE);
    assert_eq!(t["album"], "Album\nwith a newline");
    assert_eq!(t["path"], evil.to_str().unwrap());
    let out = cli(&data, &lib, &["classify", evil.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_clean("classify", &out);
    let out = cli(&data, &lib, &["--json", "classify", evil.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(text(&out.stdout).contains("\\u001b]0;pwned\\u0007"), "{v}");
    // An error that names the file.
    let missing = lib.join("gone\u{1b}]0;x\u{7}.mp3");
    let out = cli(&data, &lib, &["classify", missing.to_str().unwrap()]);
    assert!(!out.status.success());
    assert_clean("classify of a missing file", &out);
}

#[test]
fn in_a_terminal_beside_the_running_player_nothing_escapes() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (lib, evil) = library(tmp.path());
    let data = tmp.path().join("data");
    let config = tmp.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "analysis_threads = 1\n").unwrap();
    let player = start_player(tmp.path(), &config, &data, &lib, "", "");
    let bin = assert_cmd::cargo::cargo_bin("genreplay");
    let title = player.format("#{pane_title}");
    let ctl = |args: &[&str]| {
        Command::new(&bin)
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .env("GENREPLAY_CONFIG_DIR", &config)
            .output()
            .unwrap()
    };
    let bidi = lib.join("Band/02 bidi.wav");
    let out = ctl(&["ctl", "add", evil.to_str().unwrap(), bidi.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_clean("ctl add", &out);
    let out = ctl(&["ctl", "play"]);
    assert_clean("ctl play", &out);
    let out = ctl(&["ctl", "status"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_clean("ctl status", &out);
    assert!(
        text(&out.stdout).contains("Evil\\e]52;c;aGk=\\x07Artist — Title\\e[?1049l"),
        "{}",
        text(&out.stdout)
    );
    let out = ctl(&["--json", "ctl", "status"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["track"]["artist"], ARTIST);
    assert_eq!(v["track"]["title"], TITLE);
    // Run by the player for this process: escaped on both ends.
    let out = ctl(&["library"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_clean("library through the player", &out);
    // The player's own screen (the queue: the bidi title is up next): no bidi control in
    // any row, every row's border in place.
    player.keys(&["2"]);
    let screen = player.wait_for("fed");
    for row in &screen {
        let c = controls(row.as_bytes());
        assert!(c.is_empty(), "{c:?} in {row:?}");
    }
    let bordered: Vec<&String> = screen.iter().filter(|r| r.starts_with('│')).collect();
    assert!(!bordered.is_empty());
    for r in &bordered {
        assert!(r.ends_with('│'), "{r:?}");
    }
    assert_eq!(player.format("#{pane_title}"), title, "the title was set");
    assert_eq!(
        player.format("#{alternate_on}"),
        "1",
        "left the alternate screen"
    );
    player.keys(&["q"]);
    player.wait_for("genreplay exited with 0");

    // The same commands printing into a terminal of their own.
    let shell = tmp.path().join("cli.sh");
    std::fs::write(
        &shell,
        format!(
            "export GENREPLAY_CONFIG_DIR={config}\nsleep 1\n\
             {bin} --data-dir {data} library\n{bin} --data-dir {data} --library {lib} scan\n\
             echo done-printing\nsleep 600\n",
            config = quote(&config),
            bin = quote(&bin),
            data = quote(&data),
            lib = quote(&lib),
        ),
    )
    .unwrap();
    let term = Tmux::start(&format!("sh {}", quote(&shell)));
    // OSC 52 from a program would make a tmux buffer (the test's check below).
    term.run(&["set-option", "-g", "set-clipboard", "on"]);
    let before = term.format("#{pane_title}");
    let screen = term.wait_for("done-printing");
    assert!(
        screen.iter().any(|l| l.contains("\\e]52;c;aGk=\\x07")),
        "{}",
        screen.join("\n")
    );
    assert_eq!(
        term.format("#{pane_title}"),
        before,
        "OSC 0 reached the terminal"
    );
    let buffers = term.run(&["list-buffers"]);
    assert!(
        text(&buffers.stdout).trim().is_empty(),
        "OSC 52 reached the terminal: {}",
        text(&buffers.stdout)
    );
}
