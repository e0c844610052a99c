#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The player and damaged files or signals: the real player in tmux, on a library with
//! damaged files, ended the ways a user ends it (SIGTERM and SIGHUP, a closed terminal, leave a
//! sane terminal: main screen, cooked mode, echo on; `q` while the library is being classified
//! returns the terminal at once), and Now playing saying why a damaged track is partial.

use crate::common;
use crate::common::tmux;
use crate::common::tui_fixture;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use tmux::*;

/// A library of synthesised tracks with a few damaged files among them.
fn library(dir: &Path, n: usize) -> std::path::PathBuf {
    let lib = dir.join("music");
    let mut rng = Rng::new(9);
    for i in 0..n {
        let g = SYNTH_GENRES[i % SYNTH_GENRES.len()];
        let p = lib.join(format!("artist{}/album/{i:02} track.wav", i % 4));
        write_wav(&p, &synth_genre(g, &mut rng, 16_000, 20.0), 16_000, 1);
    }
    let flac = std::fs::read(fixture("tone-stereo-44k.flac")).unwrap();
    std::fs::write(lib.join("cut.flac"), &flac[..flac.len() / 2]).unwrap();
    std::fs::write(lib.join("garbage.mp3"), vec![0x5au8; 50_000]).unwrap();
    // A float WAV of NaN.
    let data: Vec<u8> = (0..16_000).flat_map(|_| f32::NAN.to_le_bytes()).collect();
    let mut wav = b"RIFF".to_vec();
    wav.extend((36 + data.len() as u32).to_le_bytes());
    wav.extend(b"WAVEfmt ");
    wav.extend(16u32.to_le_bytes());
    for v in [3u16, 1] {
        wav.extend(v.to_le_bytes());
    }
    wav.extend(16_000u32.to_le_bytes());
    wav.extend(64_000u32.to_le_bytes());
    for v in [4u16, 32] {
        wav.extend(v.to_le_bytes());
    }
    wav.extend(b"data");
    wav.extend((data.len() as u32).to_le_bytes());
    wav.extend(data);
    std::fs::write(lib.join("nan.wav"), wav).unwrap();
    let c = std::ffi::CString::new(lib.join("stuck.mp3").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    lib
}

/// Starts the player in tmux; returns the session and the file its pid is written to.
fn start(tmp: &Path, lib: &Path) -> (Tmux, std::path::PathBuf) {
    let data = tmp.join("data");
    let config = tmp.join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "analysis_threads = 1\n").unwrap();
    let pidfile = tmp.join("pid");
    let _ = std::fs::remove_file(&pidfile);
    let bin = assert_cmd::cargo::cargo_bin("genreplay");
    let script = tmp.join("run.sh");
    std::fs::write(
        &script,
        format!(
            "export GENREPLAY_CONFIG_DIR={config}\nexport GENREPLAY_NO_AUDIO=1\n\
             sh -c 'echo $$ > {pid}; exec {bin} --data-dir {data} --library {lib}'\n\
             echo \"genreplay exited with $?\"\n\
             stty -a | tr ' ;' '\\n\\n' | grep -E -x -- '-?(icanon|echo)' | tr '\\n' ' '\n\
             echo\n\
             sleep 600\n",
            config = quote(&config),
            pid = quote(&pidfile),
            bin = quote(&bin),
            data = quote(&data),
            lib = quote(lib),
        ),
    )
    .unwrap();
    (Tmux::start(&format!("sh {}", quote(&script))), pidfile)
}

/// After the player ended: the terminal is back in cooked mode with echo, on the main screen.
fn assert_sane_terminal(tmux: &Tmux, how: &str) -> String {
    let s = tmux.wait_for("genreplay exited with");
    let exit = s
        .iter()
        .find(|l| l.contains("genreplay exited with"))
        .unwrap()
        .trim()
        .to_string();
    let modes = tmux.wait_until("the terminal modes", |s| {
        s.iter().any(|l| l.contains("icanon"))
    });
    let modes = modes.iter().find(|l| l.contains("icanon")).unwrap();
    eprintln!("{how}: {exit}; terminal modes: {modes}");
    assert!(
        modes.split_whitespace().any(|m| m == "icanon"),
        "{how}: {modes}"
    );
    assert!(
        modes.split_whitespace().any(|m| m == "echo"),
        "{how}: {modes}"
    );
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "{how}: still on the alternate screen"
    );
    exit
}

#[test]
fn signals_and_q_mid_classification_leave_a_sane_terminal() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lib = library(tmp.path(), 24);
    for (name, sig) in [("SIGTERM", libc::SIGTERM), ("SIGHUP", libc::SIGHUP)] {
        let (tmux, pidfile) = start(tmp.path(), &lib);
        tmux.wait_until("the library", |s| s.iter().any(|l| l.starts_with("│▸ ")));
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
        assert_sane_terminal(&tmux, name);
    }
    // A fresh database: the whole library is still to classify when q comes.
    let _ = std::fs::remove_dir_all(tmp.path().join("data"));
    let (tmux, _) = start(tmp.path(), &lib);
    tmux.wait_until("the library", |s| s.iter().any(|l| l.starts_with("│▸ ")));
    let t0 = Instant::now();
    tmux.keys(&["q"]);
    let exit = assert_sane_terminal(&tmux, "q");
    let took = t0.elapsed();
    eprintln!("q to a restored terminal (screen polled every 50 ms): {took:?}");
    assert_eq!(exit, "genreplay exited with 0");
    // Generous for a loaded machine; waiting for the track in flight took seconds.
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[test]
fn now_playing_says_why_a_damaged_track_is_partial() {
    use genreplay::app::Event;
    use genreplay::audio::player::PlayerEvent;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let mut lib = tui_fixture::library();
    lib.partial.insert(
        tui_fixture::id("Noon"),
        "truncated: the FLAC stream ends after 1:12 of the declared 3:20".into(),
    );
    let mut app = tui_fixture::app_with(lib);
    app.update(Event::Player(PlayerEvent::Started {
        path: tui_fixture::path("Noon"),
        duration_secs: Some(72.0),
    }));
    tui_fixture::press(&mut app, "3");
    app.update(Event::Resize(140, 30));
    let mut term = Terminal::new(TestBackend::new(140, 30)).unwrap();
    term.draw(|f| genreplay::ui::draw(f, &app)).unwrap();
    let buf = term.backend().buffer().clone();
    let rows: Vec<String> = (0..30)
        .map(|y| (0..140).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect();
    let genre = rows.iter().find(|r| r.contains("genre: ")).unwrap();
    assert!(
        genre.contains("partial: truncated: the FLAC stream ends after 1:12 of the declared 3:20"),
        "{}",
        rows.join("\n")
    );
    // A whole track says nothing of the kind.
    app.update(Event::Player(PlayerEvent::Started {
        path: tui_fixture::path("Dawn"),
        duration_secs: Some(180.0),
    }));
    term.draw(|f| genreplay::ui::draw(f, &app)).unwrap();
    let buf = term.backend().buffer().clone();
    let text: String = (0..30)
        .flat_map(|y| (0..140).map(move |x| (x, y)))
        .map(|(x, y)| buf[(x, y)].symbol().to_string())
        .collect();
    assert!(!text.contains("partial:"));
}

/// The player reads the catalog's trees once, as its check of them (it does not read them a
/// second time when it opens the database): a damaged database still comes up as a library,
/// recovered, as every other command does.
#[test]
fn the_player_starts_on_a_damaged_database() {
    if !have_tmux() {
        return;
    }
    for how in ["truncate", "flip"] {
        let tmp = tempfile::tempdir().unwrap();
        let lib = library(tmp.path(), 4);
        let (tmux, _) = start(tmp.path(), &lib);
        tmux.wait_until("the library", |s| s.iter().any(|l| l.starts_with("│▸ ")));
        tmux.keys(&["q"]);
        tmux.wait_for("genreplay exited with 0");
        drop(tmux);
        let db = tmp.path().join("data/db");
        let mut rng = Rng::new(5);
        for e in walkdir::WalkDir::new(&db)
            .into_iter()
            .filter_map(|e| e.ok())
        {
            let name = e.file_name().to_string_lossy().into_owned();
            if !e.file_type().is_file() || name.starts_with("user-state") || name.ends_with(".pid")
            {
                continue;
            }
            let mut b = std::fs::read(e.path()).unwrap();
            if how == "truncate" {
                b.truncate(100.min(b.len()));
            } else {
                for _ in 0..50 {
                    if !b.is_empty() {
                        let i = (rng.next_u64() % b.len() as u64) as usize;
                        b[i] ^= 0x5a;
                    }
                }
            }
            std::fs::write(e.path(), b).unwrap();
        }
        let (tmux, _) = start(tmp.path(), &lib);
        let screen = tmux.wait_until("the library after the damage", |s| {
            s.iter().any(|l| l.starts_with("│▸ "))
        });
        assert!(
            !screen.iter().any(|l| l.contains("genreplay exited with")),
            "{how}: {}",
            screen.join("\n")
        );
        tmux.keys(&["q"]);
        tmux.wait_for("genreplay exited with 0");
    }
}

/// `genreplay ctl …` (or any command) against the player `start` ran in `tmp`.
fn genreplay_in(tmp: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("genreplay"))
        .arg("--data-dir")
        .arg(tmp.join("data"))
        .args(args)
        .env("GENREPLAY_CONFIG_DIR", tmp.join("config"))
        .output()
        .unwrap()
}

fn pid_of(pidfile: &Path) -> i32 {
    std::fs::read_to_string(pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The resident memory of process `pid`, in MB.
fn rss_mb(pid: i32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024)
}

/// An abort (what running out of memory, or a stack overflow, ends a process with) cannot be
/// hooked like a panic: the signal handler gives the terminal back before the process ends.
#[test]
fn an_abort_leaves_a_sane_terminal() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lib = library(tmp.path(), 4);
    let (tmux, pidfile) = start(tmp.path(), &lib);
    tmux.wait_until("the library", |s| s.iter().any(|l| l.starts_with("│▸ ")));
    assert_eq!(tmux.format("#{alternate_on}"), "1");
    assert_eq!(unsafe { libc::kill(pid_of(&pidfile), libc::SIGABRT) }, 0);
    let exit = assert_sane_terminal(&tmux, "SIGABRT");
    assert_eq!(exit, "genreplay exited with 134");
}

/// The review's lyrics: a `.lrc` of 100,000 `[0:0]` stamps on a line of long text (inside the
/// 1 MB cap) and a 50 MB lyrics frame in an MP3. Played in the real player: it says the
/// lyrics are too large, stays well under 300 MB and goes on answering.
#[test]
fn hostile_lyrics_never_kill_the_player() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lib = library(tmp.path(), 2);
    let stamped = lib.join("artist0/album/00 track.wav");
    std::fs::write(
        stamped.with_extension("lrc"),
        format!("{}{}\n", "[0:0]".repeat(100_000), "la ".repeat(150_000)),
    )
    .unwrap();
    let mp3 = lib.join("framed.mp3");
    let seed = std::fs::read(fixture("tone.mp3")).unwrap();
    std::fs::write(
        &mp3,
        mp3_with_uslt(&seed, "[0:0]".repeat(10_000_000).as_bytes()),
    )
    .unwrap();
    let (tmux, pidfile) = start(tmp.path(), &lib);
    tmux.wait_until("the library", |s| s.iter().any(|l| l.starts_with("│▸ ")));
    let pid = pid_of(&pidfile);
    tmux.keys(&["3"]);
    for (file, name) in [(&stamped, "00 track.lrc"), (&mp3, "framed.mp3")] {
        let out = genreplay_in(tmp.path(), &["ctl", "add", file.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = genreplay_in(tmp.path(), &["ctl", "next"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux.wait_for("lyrics too large");
        let mut peak = 0;
        for _ in 0..20 {
            peak = peak.max(rss_mb(pid).expect("the player is alive"));
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("{name}: the player's resident memory at most {peak} MB");
        assert!(peak < 300, "{peak} MB");
        let out = genreplay_in(tmp.path(), &["ctl", "status"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    tmux.keys(&["q"]);
    assert_eq!(
        assert_sane_terminal(&tmux, "q after lyrics"),
        "genreplay exited with 0"
    );
}

/// The queue as saved in the state file: its up next's paths.
fn saved_up_next(tmp: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(tmp.join("data/state/queue.json")).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    v["up_next"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["path"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A library folder renamed away (or an empty mount point left where it was) while the player
/// runs, and missing at the start: offline, not deleted. The tracks, the queue and its saved
/// state stay; the status line and `library` say so; when it is back, it is followed again.
#[test]
fn a_library_folder_that_goes_away_keeps_the_tracks_and_the_queue() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lib = library(tmp.path(), 4);
    let away = tmp.path().join("music.away");
    let (tmux, _) = start(tmp.path(), &lib);
    tmux.wait_until("the library", |s| s.iter().any(|l| l.starts_with("│▸ ")));
    let queued: Vec<std::path::PathBuf> = (0..2)
        .map(|i| lib.join(format!("artist{i}/album/{i:02} track.wav")))
        .collect();
    for f in &queued {
        let out = genreplay_in(tmp.path(), &["ctl", "add", f.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    wait_until("the queue saved", Duration::from_secs(10), || {
        saved_up_next(tmp.path()).len() == 2
    });
    let tracks = |tmp: &Path| -> usize {
        let out = genreplay_in(tmp, &["library", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["tracks"].as_array().unwrap().len()
    };
    let known = tracks(tmp.path());

    for how in ["renamed", "an empty mount point"] {
        std::fs::rename(&lib, &away).unwrap();
        if how == "an empty mount point" {
            std::fs::create_dir(&lib).unwrap();
        }
        tmux.wait_for("library folder is not there");
        // Played meanwhile: it fails, and stops rather than eating the queue (a fixed time on
        // purpose: what is tested is what does not happen to the queue meanwhile).
        let _ = genreplay_in(tmp.path(), &["ctl", "play"]);
        std::thread::sleep(Duration::from_secs(3));
        let out = genreplay_in(tmp.path(), &["ctl", "status", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["queue"].as_array().map(Vec::len), Some(2), "{how}: {v}");
        assert_eq!(saved_up_next(tmp.path()).len(), 2, "{how}: the saved queue");
        assert_eq!(tracks(tmp.path()), known, "{how}: the tracks are kept");
        let out = genreplay_in(tmp.path(), &["library"]);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("is not there"),
            "{how}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = genreplay_in(tmp.path(), &["ctl", "rescan"]);
        assert!(out.status.success());
        tmux.wait_for("cannot rescan");
        // Back: said, and the folder is followed again (a new file shows up).
        if how == "an empty mount point" {
            std::fs::remove_dir(&lib).unwrap();
        }
        std::fs::rename(&away, &lib).unwrap();
        tmux.wait_for("the library folder is back");
        assert_eq!(tracks(tmp.path()), known, "{how}");
    }
    let new = lib.join("artist9/album/09 new.wav");
    let mut rng = Rng::new(3);
    write_wav(&new, &synth_genre("low", &mut rng, 16_000, 5.0), 16_000, 1);
    wait_until("the new file", Duration::from_secs(20), || {
        tracks(tmp.path()) == known + 1
    });
    tmux.keys(&["q"]);
    assert_eq!(assert_sane_terminal(&tmux, "q"), "genreplay exited with 0");
    drop(tmux);
    assert_eq!(saved_up_next(tmp.path()).len(), 2);

    // Missing at the start: the player starts with what the database knows, and says so.
    std::fs::rename(&lib, &away).unwrap();
    let (tmux, _) = start(tmp.path(), &lib);
    tmux.wait_until("the library", |s| s.iter().any(|l| l.starts_with("│▸ ")));
    tmux.wait_for("library folder is not there");
    tmux.keys(&["q"]);
    assert_eq!(
        assert_sane_terminal(&tmux, "q offline"),
        "genreplay exited with 0"
    );
    assert_eq!(saved_up_next(tmp.path()).len(), 2, "nothing saved over it");
    // A folder never scanned that is not there is still an error.
    std::fs::rename(&away, &lib).unwrap();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("genreplay"))
        .args(["--data-dir"])
        .arg(tmp.path().join("data2"))
        .arg("--library")
        .arg(tmp.path().join("nowhere"))
        .env("GENREPLAY_CONFIG_DIR", tmp.path().join("config"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such folder"));
}
