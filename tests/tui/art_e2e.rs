#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Cover and lyrics in a real terminal: the release binary runs inside tmux (which gets half
//! blocks) on a one-track library the test makes (a tagged WAV, a `cover.png` beside it and a
//! `.lrc`), plays it silently (GENREPLAY_NO_AUDIO: the position advances in real time without
//! a sound card) and reads Now playing back with `tmux capture-pane`.

use std::path::Path;

use image::{Rgb, RgbImage};
use lofty::config::WriteOptions;
use lofty::prelude::*;
use lofty::tag::Tag;

use crate::common::tmux;

use tmux::*;

/// A `secs`-second tagged WAV tone at `path`.
fn tagged_wav(path: &Path, secs: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..8000 * secs {
        let v = (i as f32 * 330.0 * std::f32::consts::TAU / 8000.0).sin() * 6000.0;
        w.write_sample(v as i16).unwrap();
    }
    w.finalize().unwrap();
    let mut tagged = lofty::read_from_path(path).unwrap();
    let t = tagged.primary_tag_type();
    tagged.insert_tag(Tag::new(t));
    let tag = tagged.primary_tag_mut().unwrap();
    tag.set_artist("Pictured Artist".into());
    tag.set_album("Covered Album".into());
    tag.set_title("Lyric Tone".into());
    tag.set_track(1);
    tagged.save_to_path(path, WriteOptions::default()).unwrap();
}

#[test]
fn now_playing_shows_the_cover_in_half_blocks_and_the_lyrics_follow() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let album = tmp.path().join("music/Pictured Artist/Covered Album");
    std::fs::create_dir_all(&album).unwrap();
    tagged_wav(&album.join("01 Lyric Tone.wav"), 30);
    // A vertical gradient: every cell's two halves differ, so every cell is ▀ or ▄.
    RgbImage::from_fn(64, 64, |x, y| {
        Rgb([(y * 4) as u8, 255 - (y * 4) as u8, (x * 2) as u8])
    })
    .save(album.join("cover.png"))
    .unwrap();
    std::fs::write(
        album.join("01 Lyric Tone.lrc"),
        "[ti:Lyric Tone]\n[ar:Pictured Artist]\n\
         [00:00.30]first words\n[00:03.00]second words\n[00:06.00]third words\n\
         [00:09.00]fourth words\n",
    )
    .unwrap();
    let data = tmp.path().join("data");
    let config = tmp.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "analysis_threads = 1\n").unwrap();
    let bin = assert_cmd::cargo::cargo_bin("genreplay");
    let script = tmp.path().join("run.sh");
    std::fs::write(
        &script,
        format!(
            "export GENREPLAY_CONFIG_DIR={}\nexport GENREPLAY_NO_AUDIO=1\n\
             {} --data-dir {} --library {}\necho \"genreplay exited with $?\"\nsleep 600\n",
            quote(&config),
            quote(&bin),
            quote(&data),
            quote(&tmp.path().join("music")),
        ),
    )
    .unwrap();
    let tmux = Tmux::start(&format!("sh {}", quote(&script)));
    tmux.wait_until("the library", |s| {
        s.iter().any(|l| l.starts_with("│▸ Pictured Artist"))
    });
    // The artist, its album, play.
    tmux.keys(&["l"]);
    tmux.wait_for("│  ▸ Covered Album");
    tmux.keys(&["j"]);
    tmux.keys(&["Enter"]);
    tmux.wait_until("the track to play", |s| {
        player_bar(s).starts_with(" ▶ Lyric Tone")
    });
    tmux.keys(&["3"]);

    // The cover: the top left of Now playing, all half blocks; the fields right of it.
    let s = tmux.wait_until("the cover", |s| {
        s.get(3)
            .is_some_and(|l| l.chars().skip(1).take(8).all(|c| c == '▀' || c == '▄'))
    });
    let cover_rows: Vec<&String> = s[2..].iter().take_while(|l| l.contains('▀')).collect();
    assert!(cover_rows.len() >= 7, "{}", s.join("\n"));
    let width = cover_rows[0]
        .chars()
        .skip(1)
        .take_while(|c| *c == '▀' || *c == '▄')
        .count();
    assert!(width >= 14, "cover {width} columns wide:\n{}", s.join("\n"));
    let title_row = s.iter().find(|l| l.contains("Lyric Tone")).unwrap();
    let title_col = title_row.chars().position(|c| c == 'L').unwrap();
    assert!(
        title_col > width,
        "the title overlaps the cover: {title_row}"
    );
    assert!(s.iter().any(|l| l.contains("Pictured Artist")));
    assert!(s.iter().any(|l| l.contains("Covered Album")));

    // The lyrics pane marks the line being sung; it moves on as the track plays.
    let marked = |s: &[String]| -> Option<String> {
        s.iter().find_map(|l| {
            l.split("▸ ")
                .nth(1)
                .filter(|t| t.contains(" words"))
                .map(|t| t.split(" words").next().unwrap().to_string())
        })
    };
    let s = tmux.wait_until("a marked lyric line", |s| marked(s).is_some());
    let first = marked(&s).unwrap();
    assert!(
        s.iter().any(|l| l.contains("lyrics")),
        "the pane's title:\n{}",
        s.join("\n")
    );
    let order = ["first", "second", "third", "fourth"];
    let i = order.iter().position(|w| *w == first).unwrap();
    assert!(i < 3, "{first}");
    let next = order[i + 1];
    let s = tmux.wait_until(&format!("the line \"{next} words\" to be marked"), |s| {
        marked(s).as_deref() == Some(next)
    });
    // The position agrees: that line starts at (i + 1) × 3 s.
    let p = position(&s).unwrap();
    assert!(p >= (i as u64 + 1) * 3, "marked {next} at {p} s");
    // Only one line is marked.
    assert_eq!(
        s.iter()
            .filter(|l| l.contains("▸ ") && l.contains(" words"))
            .count(),
        1
    );

    tmux.keys(&["q"]);
    let s = tmux.wait_for("genreplay exited with");
    assert!(
        s.iter().any(|l| l.contains("genreplay exited with 0")),
        "{}",
        s.join("\n")
    );
}
