#![allow(clippy::unwrap_used, clippy::expect_used)]
//! What the user made and what the user wrote, with the real player in tmux and the real
//! command line on real files: editing a playlist keeps its own file, its `#EXTINF` lines and
//! every other playlist; an import keeps only what plays and refuses a file with nothing to
//! play; settings errors stay on the screen until a key is pressed; a FIFO as `config.toml`
//! never hangs the start; `analysis_threads` beyond the machine is clamped and said.

use crate::common;
use crate::common::tmux;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;
use tmux::*;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Three tagged tracks.
fn library(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let lib = dir.join("music");
    let tracks: Vec<PathBuf> = ["One", "Two", "Three"]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let p = lib.join(format!("Band/Album/0{} {t}.wav", i + 1));
            tagged_track(&p, 6.0, i as u64, "Band", "Album", t);
            p.canonicalize().unwrap()
        })
        .collect();
    (lib.canonicalize().unwrap(), tracks)
}

struct Player {
    tmux: Tmux,
    data: PathBuf,
    config: PathBuf,
}

/// The player in tmux on `lib` with `config_toml` (None: no config.toml written).
fn start(dir: &Path, lib: &Path, config_toml: Option<&str>) -> Player {
    let data = dir.join("data");
    let config = dir.join("config");
    std::fs::create_dir_all(&config).unwrap();
    if let Some(c) = config_toml {
        std::fs::write(config.join("config.toml"), c).unwrap();
    }
    let tmux = start_player(dir, &config, &data, lib, "", "");
    Player { tmux, data, config }
}

impl Player {
    fn cli(&self, args: &[&str]) -> Output {
        Command::new(assert_cmd::cargo::cargo_bin("genreplay"))
            .arg("--data-dir")
            .arg(&self.data)
            .args(args)
            .env("GENREPLAY_CONFIG_DIR", &self.config)
            .output()
            .unwrap()
    }

    fn status_line(&self) -> String {
        self.tmux.screen()[HEIGHT as usize - 1].clone()
    }

    fn quit(&self) {
        self.tmux.keys(&["q"]);
        self.tmux.wait_for("genreplay exited with 0");
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn editing_a_playlist_keeps_its_file_its_lines_and_every_other_playlist() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (lib, t) = library(tmp.path());
    let lists = tmp.path().join("data/playlists");
    std::fs::create_dir_all(&lists).unwrap();
    let (one, two, three) = (t[0].display(), t[1].display(), t[2].display());
    // Hand-made, as the README invites: two names that one sanitised file name would merge.
    let rock_and_roll = format!(
        "#EXTM3U\n#PLAYLIST:Friday\n#EXTINF:183,The Band - First Song\n{one}\n\
         # a note of mine\nhttp://radio.example/stream\n#EXTINF:201,The Band - Second Song\n\
         {two}\n#EXTINF:99,The Band - Third Song\n{three}\n"
    );
    let rock_under_roll = format!("#EXTM3U\n#EXTINF:42,Other - Kept\n{three}\n");
    let pls = format!(
        "[playlist]\nFile1={one}\nTitle1=Old One\nLength1=61\nFile2={two}\nTitle2=Old Two\n\
         NumberOfEntries=2\nVersion=2\n"
    );
    std::fs::write(lists.join("Rock & Roll.m3u8"), &rock_and_roll).unwrap();
    std::fs::write(lists.join("Rock _ Roll.m3u8"), &rock_under_roll).unwrap();
    std::fs::write(lists.join("Old.pls"), &pls).unwrap();
    let p = start(tmp.path(), &lib, Some("analysis_threads = 1\n"));
    p.tmux.keys(&["5"]);
    p.tmux.wait_for("Old · 2 tracks");
    let names: Vec<String> = p.tmux.screen().iter().take(6).cloned().collect();
    assert!(names.iter().any(|l| l.contains("Rock _ Roll")), "{names:?}");
    // The list: Old, Rock & Roll, Rock _ Roll. Take the second track out of "Rock & Roll".
    p.tmux.keys(&["j"]);
    p.tmux.wait_for("Rock & Roll · 3 tracks");
    p.tmux.keys(&["l", "j", "d"]);
    p.tmux.wait_for("Rock & Roll · 2 tracks");
    assert_eq!(
        std::fs::read_to_string(lists.join("Rock & Roll.m3u8")).unwrap(),
        format!(
            "#EXTM3U\n#PLAYLIST:Friday\n#EXTINF:183,The Band - First Song\n{one}\n\
             # a note of mine\nhttp://radio.example/stream\n#EXTINF:99,The Band - Third Song\n\
             {three}\n"
        ),
        "its own file, every other line as it was"
    );
    assert_eq!(
        std::fs::read_to_string(lists.join("Rock _ Roll.m3u8")).unwrap(),
        rock_under_roll,
        "the other playlist is untouched"
    );
    // Moved within the PLS file: still PLS, titles and lengths with their tracks.
    p.tmux.keys(&["h", "k"]);
    p.tmux.wait_for("Old · 2 tracks");
    p.tmux.keys(&["l", "J"]);
    let t0 = Instant::now();
    let moved = format!(
        "[playlist]\nFile1={two}\nTitle1=Old Two\nFile2={one}\nTitle2=Old One\nLength2=61\n\
         NumberOfEntries=2\nVersion=2\n"
    );
    while std::fs::read_to_string(lists.join("Old.pls")).unwrap() != moved {
        assert!(
            t0.elapsed() < TIMEOUT,
            "{}",
            std::fs::read_to_string(lists.join("Old.pls")).unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // A rename onto a name whose file exists is refused; both stay.
    p.tmux.keys(&["h", "j", "j"]);
    p.tmux.wait_for("Rock _ Roll · 1 track");
    p.tmux.keys(&["E", "C-u"]);
    p.tmux.type_text("Rock & Roll");
    p.tmux.keys(&["Enter"]);
    p.tmux.wait_for("exists already");
    assert_eq!(
        std::fs::read_to_string(lists.join("Rock _ Roll.m3u8")).unwrap(),
        rock_under_roll
    );
    assert_eq!(
        files_in(&lists),
        ["Old.pls", "Rock & Roll.m3u8", "Rock _ Roll.m3u8"],
        "no file lost, none left over"
    );
    p.quit();
}

#[test]
fn an_import_keeps_what_plays_and_refuses_a_file_with_nothing_to_play() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, t) = library(tmp.path());
    let data = tmp.path().join("data");
    let lists = data.join("playlists");
    let cli = |args: &[&str]| {
        Command::new(assert_cmd::cargo::cargo_bin("genreplay"))
            .arg("--data-dir")
            .arg(&data)
            .arg("--library")
            .arg(&lib)
            .args(args)
            .env("GENREPLAY_CONFIG_DIR", tmp.path().join("no-config"))
            .output()
            .unwrap()
    };
    // A text file of secrets is no playlist: nothing is copied anywhere.
    let secrets = tmp.path().join("shadow");
    std::fs::write(
        &secrets,
        "root:$6$salt$hash:19000:0:99999:7:::\nuser:$6$x$y:19000:0:99999:7:::\n",
    )
    .unwrap();
    let mut refused = vec![secrets.clone()];
    if std::fs::read("/etc/shadow").is_ok() {
        refused.push(PathBuf::from("/etc/shadow"));
    }
    for f in &refused {
        let out = cli(&["playlists", "--import", f.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", f.display());
        assert!(
            text(&out.stderr).contains("no playable entries"),
            "{}",
            text(&out.stderr)
        );
        assert!(!text(&out.stdout).contains("root:") && !text(&out.stderr).contains("root:"));
    }
    assert!(!lists.exists() || files_in(&lists).is_empty());
    // A playlist of tracks among things that are not.
    let outside = tmp.path().join("elsewhere/loose.wav");
    tagged_track(&outside, 4.0, 7, "Loose", "None", "Loose");
    let fake = tmp.path().join("notes.mp3");
    std::fs::write(&fake, "not audio at all\n").unwrap();
    let m3u = tmp.path().join("mix.m3u");
    std::fs::write(
        &m3u,
        format!(
            "#EXTM3U\n#EXTINF:6,Band - One\n{}\n/etc/passwd\n{}\n#EXTINF:4,Loose - Loose\n{}\n\
             /no/such/file.flac\nhttp://radio.example/stream\n",
            t[0].display(),
            fake.display(),
            outside.display()
        ),
    )
    .unwrap();
    let out = cli(&[
        "--json",
        "playlists",
        "--import",
        m3u.to_str().unwrap(),
        "--name",
        "Mix",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["name"], "Mix");
    assert_eq!(v["skipped"], 4);
    assert_eq!(
        v["tracks"],
        serde_json::json!([t[0].to_str().unwrap(), outside.to_str().unwrap()])
    );
    let file = PathBuf::from(v["path"].as_str().unwrap());
    assert_eq!(file, lists.join("Mix.m3u8"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!(
            "#EXTM3U\n#EXTINF:6,Band - One\n{}\n#EXTINF:4,Loose - Loose\n{}\n",
            t[0].display(),
            outside.display()
        )
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Again: a new name, never over the first.
    let out = cli(&[
        "playlists",
        "--import",
        m3u.to_str().unwrap(),
        "--name",
        "Mix",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("imported \"Mix (2)\" (2 tracks; 4 entries left out"));
    assert_eq!(files_in(&lists), ["Mix (2).m3u8", "Mix.m3u8"]);
}

#[test]
fn imports_through_the_running_player_and_its_i_key_share_the_rules() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (lib, t) = library(tmp.path());
    let p = start(tmp.path(), &lib, Some("analysis_threads = 1\n"));
    let m3u = tmp.path().join("road.m3u");
    std::fs::write(&m3u, format!("{}\n{}\n", t[1].display(), t[2].display())).unwrap();
    // The CLI while the player runs: the player runs it, and its view shows the new list.
    let out = p.cli(&["playlists", "--import", m3u.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("imported \"road\" (2 tracks)"),
        "{}",
        text(&out.stdout)
    );
    p.tmux.keys(&["5"]);
    p.tmux.wait_for("road · 2 tracks");
    // `I` in the view: the same rules.
    let secrets = tmp.path().join("secrets.txt");
    std::fs::write(&secrets, "password=hunter2\n").unwrap();
    p.tmux.keys(&["I"]);
    p.tmux.type_text(secrets.to_str().unwrap());
    p.tmux.keys(&["Enter"]);
    p.tmux.wait_for("no playable entries");
    assert_eq!(files_in(&p.data.join("playlists")), ["road.m3u8"]);
    p.quit();
}

#[test]
fn settings_errors_stay_on_screen_until_a_key_and_config_check_lists_them() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (lib, _) = library(tmp.path());
    let config = tmp.path().join("config");
    std::fs::create_dir_all(config.join("themes")).unwrap();
    std::fs::write(
        config.join("themes/broken.toml"),
        "name = \"broken\"\n[colors]\nbackground = \"not a colour\"\n",
    )
    .unwrap();
    let p = start(
        tmp.path(),
        &lib,
        Some("analysis_threads = 1\nvolume = \"loud\"\n"),
    );
    // Well after the scan's summary would have replaced it (a fixed time on purpose: the test
    // is that the message stays).
    p.tmux.wait_for("3 tracks");
    std::thread::sleep(Duration::from_millis(1500));
    let line = p.status_line();
    assert!(
        line.contains("2 settings problems (genreplay config check)")
            && line.contains("config.toml:2: invalid type"),
        "{line}"
    );
    p.tmux.keys(&["j"]);
    p.tmux.wait_until("the notice to go", |s| {
        !s[HEIGHT as usize - 1].contains("config.toml")
    });
    let out = p.cli(&["config", "check"]);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    assert!(report.contains("config.toml:2: invalid type"), "{report}");
    assert!(
        report.contains("keymap.toml (not there: the defaults)"),
        "{report}"
    );
    assert!(report.contains("broken.toml"), "{report}");
    assert!(report.contains("2 errors"), "{report}");
    let out = p.cli(&["--json", "config", "check"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["files"].as_array().unwrap().len(), 3);
    assert_eq!(v["files"][0]["errors"][0]["line"], 2);
    p.quit();
    // Fixed: nothing to say.
    std::fs::write(config.join("config.toml"), "volume = 50\n").unwrap();
    std::fs::remove_file(config.join("themes/broken.toml")).unwrap();
    let out = p.cli(&["config", "check"]);
    assert!(out.status.success(), "{}", text(&out.stdout));
}

#[test]
fn a_fifo_as_config_toml_never_hangs_the_start() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (lib, _) = library(tmp.path());
    let config = tmp.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    let fifo = std::ffi::CString::new(config.join("config.toml").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let t0 = Instant::now();
    let out = Command::new(assert_cmd::cargo::cargo_bin("genreplay"))
        .args(["config", "check"])
        .env("GENREPLAY_CONFIG_DIR", &config)
        .arg("--data-dir")
        .arg(tmp.path().join("data"))
        .output()
        .unwrap();
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("config.toml: a FIFO (named pipe): not read"),
        "{out:?}"
    );
    let p = start(tmp.path(), &lib, None);
    let screen = p.tmux.screen().join("\n");
    assert!(!screen.contains("genreplay exited"), "{screen}");
    assert!(p.status_line().contains("FIFO"), "{}", p.status_line());
    p.quit();
}

#[test]
fn analysis_threads_beyond_the_machine_are_clamped_and_said() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (lib, _) = library(tmp.path());
    let cores = std::thread::available_parallelism().unwrap().get();
    let p = start(tmp.path(), &lib, Some("analysis_threads = 5000\n"));
    let line = p.status_line();
    assert!(
        line.contains(&format!(
            "analysis_threads = 5000 is more than this machine's {cores} core"
        )) && line.contains(&format!(": {cores} used")),
        "{line}"
    );
    p.tmux.keys(&["j"]);
    // And the analysis works: every track classified.
    p.tmux.wait_for("3 tracks · 3 classified");
    let log = std::fs::read_to_string(p.data.join("genreplay.log")).unwrap();
    assert!(log.contains("analysis_threads = 5000"), "{log}");
    assert!(!log.contains("failed to spawn"), "{log}");
    p.quit();
}
