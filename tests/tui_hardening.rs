#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The player and damaged files or signals: the real player in tmux, on a library with
//! damaged files, ended the ways a user ends it (SIGTERM and SIGHUP, a closed terminal, leave a
//! sane terminal: main screen, cooked mode, echo on; `q` while the library is being classified
//! returns the terminal at once), and Now playing saying why a damaged track is partial.

mod common;
mod tmux;
mod tui_fixture;

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
    if !tmux_available() {
        eprintln!("skipping: tmux is not installed");
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
    if !tmux_available() {
        eprintln!("skipping: tmux is not installed");
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
