//! Smart playlists through the real binary: `playlists --new-smart NAME --rule RULE` makes
//! one, `playlists --smart NAME --json` lists what its rule finds with the fields it reads,
//! `playlists --json` lists them with their rules; a refused rule names the word and where
//! it starts, and a hostile `.smart` file is refused, never shown.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Three tagged tracks, scanned and classified (library, data folder).
fn scanned(dir: &Path) -> (PathBuf, PathBuf) {
    let lib = dir.join("music");
    for (i, t) in ["One", "Two", "Three"].iter().enumerate() {
        let p = lib.join(format!("Band/Album/0{} {t}.wav", i + 1));
        tagged_track(&p, 6.0, i as u64, "Band", "Album", t);
    }
    let lib = lib.canonicalize().unwrap();
    let data = dir.join("data");
    let out = run(
        dir,
        &data,
        &["--library", lib.to_str().unwrap(), "scan", "--json"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    (lib, data)
}

fn run(dir: &Path, data: &Path, args: &[&str]) -> Output {
    genreplay(data)
        .args(args)
        .env("GENREPLAY_CONFIG_DIR", dir.join("no-config"))
        .output()
        .unwrap()
}

fn json(dir: &Path, data: &Path, args: &[&str]) -> serde_json::Value {
    let out = run(dir, data, args);
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn smart_playlists_are_made_listed_and_refused_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_lib, data) = scanned(dir);
    let lists = data.join("playlists");

    let made = json(
        dir,
        &data,
        &[
            "--json",
            "playlists",
            "--new-smart",
            "Fresh",
            "--rule",
            "artist:band plays:0 added:<1d",
        ],
    );
    assert_eq!(made["tracks"], 3);
    let file = std::fs::read_to_string(lists.join("Fresh.smart")).unwrap();
    assert!(file.ends_with("artist:band plays:0 added:<1d\n"), "{file}");

    let one = json(dir, &data, &["--json", "playlists", "--smart", "Fresh"]);
    assert_eq!(one["rule"], "artist:band plays:0 added:<1d");
    assert_eq!(
        one["fields"],
        serde_json::json!(["artist", "plays", "added"])
    );
    let tracks = one["tracks"].as_array().unwrap();
    let titles: Vec<&str> = tracks
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["One", "Two", "Three"]);
    for t in tracks {
        assert_eq!(t["artist"], "Band");
        assert_eq!(t["plays"], 0);
        assert!(t["path"].as_str().unwrap().ends_with(".wav"));
        assert!(t["added"].as_str().unwrap().ends_with('Z'), "{t}");
    }

    // Sound: like a track by "artist - title"; each track says how close it is.
    let near = json(
        dir,
        &data,
        &[
            "--json",
            "playlists",
            "--new-smart",
            "Near",
            "--rule",
            "like:\"band - one\">=0",
        ],
    );
    assert_eq!(near["tracks"], 3);
    let near = json(dir, &data, &["--json", "playlists", "--smart", "near"]);
    let first = &near["tracks"][0];
    assert_eq!(first["title"], "One");
    let sim = first["like"][0]["similarity"].as_f64().unwrap();
    assert!((sim - 1.0).abs() < 1e-4, "a track is itself: {sim}");

    // Refused: the word and where it starts; nothing written.
    for (rule, said) in [
        ("artist:band plays:lots", "\"plays:lots\" at character 13"),
        (
            "like:\"no such\"",
            "no track of the library is called \"no such\"",
        ),
        ("mood:calm", "\"mood:calm\" at character 1: no such field"),
    ] {
        let out = run(
            dir,
            &data,
            &["playlists", "--new-smart", "Bad", "--rule", rule],
        );
        assert!(!out.status.success(), "{rule}");
        assert!(
            text(&out.stderr).contains(said),
            "{rule}: {}",
            text(&out.stderr)
        );
    }
    assert!(!lists.join("Bad.smart").exists());
    // A name that is taken is never written over.
    let out = run(
        dir,
        &data,
        &["playlists", "--new-smart", "Fresh", "--rule", "plays:>1"],
    );
    assert!(!out.status.success());
    assert!(
        std::fs::read_to_string(lists.join("Fresh.smart"))
            .unwrap()
            .contains("added:<1d")
    );

    // A hostile file beside them: refused with its name, never printed, the rest listed.
    std::fs::write(lists.join("evil.smart"), b"plays:0 \x1b]0;owned\x07\n").unwrap();
    let out = run(dir, &data, &["--json", "playlists"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains('\u{1b}') && !text(&out.stderr).contains('\u{1b}'));
    assert!(
        text(&out.stderr).contains("evil.smart"),
        "{}",
        text(&out.stderr)
    );
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let smart = all["smart_playlists"].as_array().unwrap();
    let names: Vec<&str> = smart.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Fresh", "Near"]);
    assert_eq!(smart[0]["rule"], "artist:band plays:0 added:<1d");
    assert_eq!(smart[0]["tracks"], 3);
    let out = run(dir, &data, &["playlists", "--smart", "evil"]);
    assert!(!out.status.success());
}
