#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Faults a user meets, each with real `genreplay` processes: a corrupted database (truncated,
//! bytes flipped) comes back with the trained model, the active model and the playlists; a
//! database another genreplay holds names that process; a full disk (a 2 MB tmpfs, where
//! mounting is possible) stops a scan at once with a non-zero exit and the space needed, and a
//! read-only one says so; none of them advises `db reset`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use genreplay::library::TrackId;
use genreplay::store::{Store, USER_STATE_FILE, UserPlaylist, read_user_state};
use serde_json::Value;

fn genreplay(data: &Path, library: &Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("genreplay"));
    c.arg("--data-dir").arg(data).arg("--library").arg(library);
    c
}

fn run(c: &mut Command) -> Output {
    let out = c.output().unwrap();
    eprintln!(
        "$ {c:?}\n  exit {:?}\n  stderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).trim_end()
    );
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

/// A small library of synthesised tracks, and a labelled folder of two genres.
fn library(dir: &Path, n: usize) -> (PathBuf, PathBuf) {
    let lib = dir.join("music");
    let mut rng = Rng::new(5);
    for i in 0..n {
        let genre = if i % 2 == 0 { "chirp" } else { "noise" };
        let p = lib.join(format!("a{}/t{i:02}.wav", i % 3));
        write_wav(&p, &synth_genre(genre, &mut rng, 16_000, 3.0), 16_000, 1);
    }
    let labelled = dir.join("labelled");
    for g in ["chirp", "noise"] {
        for i in 0..4 {
            let p = labelled.join(format!("{g}/{g}{i}.wav"));
            write_wav(&p, &synth_genre(g, &mut rng, 16_000, 3.0), 16_000, 1);
        }
    }
    (lib, labelled)
}

/// Damages every file of the sled database in `db` the way `how` says.
fn corrupt(db: &Path, how: &str) {
    let mut rng = Rng::new(77);
    for e in walkdir::WalkDir::new(db).into_iter().filter_map(|e| e.ok()) {
        let p = e.path();
        let name = p.file_name().unwrap().to_string_lossy();
        if !e.file_type().is_file() || name.starts_with("user-state") || name.ends_with(".json") {
            continue;
        }
        let mut b = std::fs::read(p).unwrap();
        match how {
            "truncate" => b.truncate(100.min(b.len())),
            _ => {
                for _ in 0..50 {
                    if !b.is_empty() {
                        let i = (rng.next_u64() % b.len() as u64) as usize;
                        b[i] ^= 0x5a;
                    }
                }
            }
        }
        std::fs::write(p, b).unwrap();
    }
}

#[test]
fn a_corrupted_database_comes_back_with_models_active_model_and_playlists() {
    for how in ["truncate", "flip 50 bytes"] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (lib, labelled) = library(dir.path(), 6);
        // A damaged file too: cut off, so classified from what is there and marked partial.
        let cut = lib.join("cut.wav");
        write_wav(&cut, &tone(330.0, 16_000, 4.0, 0.3), 16_000, 1);
        let b = std::fs::read(&cut).unwrap();
        std::fs::write(&cut, &b[..b.len() * 6 / 10]).unwrap();

        let out = run(genreplay(&data, &lib).args(["scan", "--json"]));
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(json(&out)["classified"], 7);
        assert_eq!(json(&out)["partial"].as_array().unwrap().len(), 1);
        let out = run(genreplay(&data, &lib)
            .args(["train", "--epochs", "3", "--valid-frac", "0", "--no-cache"])
            .arg(&labelled));
        assert!(out.status.success(), "{}", stderr(&out));
        let out = run(genreplay(&data, &lib).args(["models", "list", "--json"]));
        let models = json(&out);
        let trained: Vec<String> = models
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["built_in"] == false)
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(trained.len(), 1, "{models:#}");
        let model = &trained[0];
        let out = run(genreplay(&data, &lib).args(["models", "use", model]));
        assert!(out.status.success(), "{}", stderr(&out));

        // A playlist the user made with an earlier build, which kept playlists in the
        // database and in its plain-file copy (playlists are files now; the old ones are
        // written as files when the player starts, and never dropped meanwhile).
        let first = lib.canonicalize().unwrap().join("a0/t00.wav");
        let tracks = vec![TrackId::of_path(&first)];
        {
            let store = Store::open(&data.join("db")).unwrap();
            store.flush().unwrap();
            let file = data.join("db").join(USER_STATE_FILE);
            let mut state = read_user_state(&file).unwrap();
            state.playlists.push(UserPlaylist {
                name: "for the road".into(),
                tracks: tracks.iter().map(|t| t.hex()).collect(),
                updated_unix: 1_700_000_000,
            });
            std::fs::write(&file, serde_json::to_vec(&state).unwrap()).unwrap();
        }

        corrupt(&data.join("db"), how);

        // Any command recovers: the damaged database is moved aside, a fresh one rebuilt.
        let out = run(genreplay(&data, &lib).args(["library", "--json"]));
        let err = stderr(&out);
        assert!(out.status.success(), "{how}: {err}");
        assert!(err.contains("the database was damaged"), "{how}: {err}");
        assert!(err.contains("kept, not deleted"), "{how}: {err}");
        assert!(!err.contains("db reset"), "{how}: {err}");
        let aside: Vec<_> = std::fs::read_dir(&data)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("db.corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1, "{how}: the damaged database is kept");
        // The library was rescanned at once.
        assert_eq!(json(&out)["tracks"].as_array().unwrap().len(), 7, "{how}");

        // The model is registered again and still active.
        let out = run(genreplay(&data, &lib).args(["models", "list", "--json"]));
        let models = json(&out);
        let m = models
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == model.as_str())
            .unwrap_or_else(|| panic!("{how}: model {model} lost: {models:#}"));
        assert_eq!(m["active"], true, "{how}: {models:#}");

        // Genres come back with a scan (with the trained model).
        let out = run(genreplay(&data, &lib).args(["scan", "--json"]));
        assert!(out.status.success(), "{how}: {}", stderr(&out));
        let v = json(&out);
        assert_eq!(v["model"], model.as_str(), "{how}: {v:#}");
        assert_eq!(v["classified"], 7, "{how}: {v:#}");
        // The damaged file is still partial, with its reason (from the feature cache).
        let partial = v["partial"].as_array().unwrap();
        assert_eq!(partial.len(), 1, "{how}: {v:#}");
        assert!(partial[0]["path"].as_str().unwrap().ends_with("cut.wav"));
        assert!(
            partial[0]["reason"].as_str().unwrap().contains("declares"),
            "{v:#}"
        );

        // The playlist is there, with its track.
        let store = Store::open(&data.join("db")).unwrap();
        let lists = store.unwritten_playlists().unwrap();
        assert_eq!(lists.len(), 1, "{how}: {lists:?}");
        assert_eq!(lists[0].name, "for the road");
        assert_eq!(lists[0].tracks, tracks);
        assert!(store.track(tracks[0]).unwrap().is_some());
        drop(store);

        // `db reset` says what it drops and keeps the trained model.
        let out = run(genreplay(&data, &lib).args(["db", "reset", "--yes"]));
        let err = stderr(&out);
        assert!(out.status.success(), "{how}: {err}");
        assert!(err.contains("1 playlist (for the road)"), "{how}: {err}");
        assert!(
            err.contains("kept: your music files, the 1 trained model"),
            "{how}: {err}"
        );
        let out = run(genreplay(&data, &lib).args(["models", "list", "--json"]));
        assert!(
            json(&out)
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["id"] == model.as_str()),
            "{how}: the model survives a reset"
        );
    }
}

#[test]
fn a_database_in_use_names_the_process_holding_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (lib, _) = library(dir.path(), 2);
    let _held = Store::open(&data.join("db")).unwrap();
    let out = run(genreplay(&data, &lib).arg("library"));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "genreplay is already running (pid {})",
            std::process::id()
        )),
        "{err}"
    );
    assert!(!err.contains("db reset"), "{err}");
}

/// A tmpfs of `size` mounted at `at`, unmounted on drop; `None` where mounting is not allowed.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(at.to_path_buf()))
    }

    fn remount(&self, opts: &str) -> bool {
        Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_stops_a_scan_at_once_and_a_read_only_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (lib, _) = library(dir.path(), 40);
    let data = dir.path().join("small");
    let Some(fs) = Tmpfs::mount(&data, "2m") else {
        crate::common::skipped("cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)");
        return;
    };
    // Fill most of it, so the database runs out of room part-way.
    let filler = data.join("filler");
    let free = genreplay::store::free_bytes(&data).unwrap();
    let _ = std::fs::write(&filler, vec![7u8; free.saturating_sub(100 * 1024) as usize]);
    let out = run(genreplay(&data, &lib).args(["scan", "--json"]));
    let err = stderr(&out);
    assert!(!out.status.success(), "a full disk must not exit 0: {err}");
    assert!(err.contains("is full"), "{err}");
    assert!(err.contains("free at least"), "says how much space: {err}");
    assert!(!err.contains("db reset"), "{err}");
    if let Ok(v) = serde_json::from_slice::<Value>(&out.stdout) {
        // Counters agree, and it stopped at the first failed write: the rest is not tried.
        let failed = v["failed"].as_array().unwrap().len();
        assert_eq!(
            v["failed_total"].as_u64().unwrap() as usize,
            failed,
            "{v:#}"
        );
        assert!(
            v["classified"].as_u64().unwrap() as usize + failed < 40,
            "classification went on after the disk filled: {v:#}"
        );
        assert!(v["error"].as_str().unwrap().contains("is full"), "{v:#}");
    }
    // With room again, the next scan finishes what is left, nothing stored before is lost.
    std::fs::remove_file(&filler).unwrap();
    let out = run(genreplay(&data, &lib).args(["scan", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(genreplay(&data, &lib).args(["library", "--json"]));
    let tracks = json(&out);
    let arr = tracks["tracks"].as_array().unwrap();
    assert_eq!(arr.len(), 40);
    assert!(arr.iter().all(|t| t["genre"].is_string()), "{tracks:#}");

    // Read-only: named as such.
    assert!(fs.remount("ro"));
    let out = run(genreplay(&data, &lib).args(["scan"]));
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("read-only"), "{err}");
    assert!(!err.contains("db reset"), "{err}");
}

#[test]
fn train_and_eval_name_a_fifo_in_the_folder_and_use_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (lib, labelled) = library(dir.path(), 1);
    let fifo = labelled.join("noise/stuck.flac");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let out = run(genreplay(&data, &lib)
        .args([
            "train",
            "--json",
            "--epochs",
            "2",
            "--valid-frac",
            "0",
            "--no-cache",
        ])
        .arg(&labelled));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("stuck.flac: not a regular file: a FIFO"),
        "{err}"
    );
    let v = json(&out);
    assert_eq!(v["train_tracks"], 8, "{v:#}");
    assert!(
        v["failed"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("stuck.flac")
    );
    let model = v["model"].as_str().unwrap().to_string();
    let out = run(genreplay(&data, &lib)
        .args(["eval", "--json", "--model", &model])
        .arg(&labelled));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("stuck.flac: not a regular file: a FIFO"),
        "{err}"
    );
    assert_eq!(json(&out)["tracks"], 8);
}
