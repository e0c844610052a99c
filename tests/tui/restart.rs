#![allow(clippy::unwrap_used, clippy::expect_used)]
//! An evening's listening in a real terminal: a queue built by hand survives playing an
//! album, and a quit and restart bring back the same track, paused at the same second, with
//! the queue and the volume.

use std::time::Duration;

use crate::common::tmux;

use tmux::*;

#[test]
fn the_queue_survives_an_album_and_a_restart() {
    if !have_tmux() {
        return;
    }
    let Some(library) = sample_library() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let config = tmp.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "analysis_threads = 1\n").unwrap();
    let bin = assert_cmd::cargo::cargo_bin("genreplay");
    let script = tmp.path().join("run.sh");
    let run = format!(
        "{bin} --data-dir {data} --library {library}",
        bin = quote(&bin),
        data = quote(&data),
        library = quote(&library),
    );
    std::fs::write(
        &script,
        format!(
            "export GENREPLAY_CONFIG_DIR={config}\nexport GENREPLAY_NO_AUDIO=1\n\
             {run}\necho \"first run exited with $?\"; sleep 1\n{run}\n\
             echo \"second run exited with $?\"\nsleep 600\n",
            config = quote(&config),
        ),
    )
    .unwrap();
    let tmux = Tmux::start(&format!("sh {}", quote(&script)));
    tmux.wait_until("the library", |s| {
        s.iter().filter(|l| l.starts_with("│▸ ")).count() >= 3
    });

    // Queue the second and third artists' tracks by hand.
    tmux.keys(&["j", "a"]);
    tmux.wait_for("added to the queue");
    tmux.keys(&["j", "a"]);
    tmux.keys(&["2"]);
    // The count from the title, then the whole frame (a capture can fall between two writes).
    let s = tmux.wait_for(" up next");
    let queued: usize = s[1]
        .split("Queue · ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", s[1]));
    assert!(queued >= 2, "{}", s[1]);
    let plus_rows = |s: &[String]| -> Vec<usize> {
        (0..s.len()).filter(|&i| s[i].starts_with("│+ ")).collect()
    };
    let up_next_rows: Vec<usize> = (2..2 + queued).collect();
    tmux.wait_until("the queued entries", |s| plus_rows(s) == up_next_rows);

    // Enter on the first artist plays it; what was queued is all still there, after the
    // playing track, and the artist's other tracks come after that.
    tmux.keys(&["1", "g", "Enter"]);
    tmux.wait_until("playback", |s| player_bar(s).contains('▶'));
    tmux.keys(&["2"]);
    let after_playing: Vec<usize> = (3..3 + queued).collect();
    let s = tmux.wait_until("the queue after Enter on the album", |s| {
        s[1].contains(&format!("Queue · {queued} up next · from "))
            && s[2].starts_with("│▶")
            && plus_rows(s) == after_playing
    });
    let playing = inner(&s[2]).to_string();
    // The row's first column is the title.
    let title = playing
        .trim_start_matches(|c: char| !c.is_alphabetic())
        .split("  ")
        .next()
        .unwrap()
        .to_string();

    // A little later, louder; then quit.
    tmux.keys(&["+"]);
    let s = tmux.wait_until("3 s in", |s| {
        position(s).is_some_and(|p| p >= 3) && player_bar(s).contains("vol 85%")
    });
    let before = position(&s).unwrap();
    tmux.keys(&["q"]);
    tmux.wait_for("first run exited with 0");

    // The second run: the same track, paused, at the same second, the same queue and volume.
    let s = tmux.wait_until("the restored track", |s| {
        s.len() >= HEIGHT as usize && player_bar(s).contains('⏸')
    });
    assert!(player_bar(&s).contains(&title), "{}", player_bar(&s));
    assert!(player_bar(&s).contains("vol 85%"), "{}", player_bar(&s));
    let after = position(&s).unwrap();
    assert!(
        after.abs_diff(before) <= 1,
        "resumed at {after} s, quit at {before} s"
    );
    // Paused: the position stays (for a fixed time on purpose: that is what is tested).
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(position(&tmux.screen()), Some(after));
    tmux.keys(&["2"]);
    tmux.wait_until("the restored queue", |s| {
        s[1].contains(&format!("Queue · {queued} up next · from "))
            && inner(&s[2]).contains(&title)
            && plus_rows(s) == after_playing
    });
    // Space plays on from there.
    tmux.keys(&["Space"]);
    tmux.wait_until("playing again", |s| player_bar(s).contains('▶'));
    tmux.keys(&["q"]);
    tmux.wait_for("second run exited with 0");
}
