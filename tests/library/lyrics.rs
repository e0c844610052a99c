#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Lyrics: LRC parsing and timing, the `.lrc` beside a track before its embedded lyrics, the
//! embedded ones (Vorbis LYRICS in FLAC, ID3 USLT in MP3) read with lofty, and the pane in
//! Now playing following the position.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use genreplay::app::catalog::{Catalog, TrackInfo};
use genreplay::app::views::now_playing::LyricsState;
use genreplay::app::{App, Event};
use genreplay::audio::player::PlayerEvent;
use genreplay::config::{Keymap, Theme};
use genreplay::library::TrackId;
use genreplay::library::lyrics::{self, Lyrics, LyricsError, LyricsLimit, parse_lrc};
use lofty::config::WriteOptions;
use lofty::prelude::*;
use lofty::tag::Tag;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn texts(l: &Lyrics) -> Vec<(Option<f64>, &str)> {
    l.lines.iter().map(|x| (x.at, x.text.as_str())).collect()
}

/// The text of the line current at `secs`.
fn at(l: &Lyrics, secs: f64) -> Option<&str> {
    l.current(secs).map(|i| l.lines[i].text.as_str())
}

#[test]
fn stamps_with_and_without_hundredths_and_metadata_ignored() {
    let l = parse_lrc(
        "\u{feff}[ti:A Song]\n[ar:Someone]\n[al:Album]\n[by:me]\n[length:03:10]\n\
         [00:01.50]one\n[00:04]two\n[00:07.250]three\n\n[01:02.5]four\n",
    )
    .unwrap();
    assert!(l.synced);
    assert_eq!(
        texts(&l),
        vec![
            (Some(1.5), "one"),
            (Some(4.0), "two"),
            (Some(7.25), "three"),
            (Some(62.5), "four"),
        ]
    );
}

#[test]
fn the_current_line_at_positions() {
    let l = parse_lrc("[00:01.00]one\n[00:04.00]two\n[00:07.00]three\n").unwrap();
    assert_eq!(at(&l, 0.0), None, "before the first line nothing is sung");
    assert_eq!(at(&l, 0.99), None);
    assert_eq!(at(&l, 1.0), Some("one"), "a line starts at its stamp");
    assert_eq!(at(&l, 3.99), Some("one"));
    assert_eq!(at(&l, 4.0), Some("two"));
    assert_eq!(at(&l, 6.5), Some("two"));
    assert_eq!(at(&l, 7.0), Some("three"));
    assert_eq!(at(&l, 500.0), Some("three"), "the last line stays");
}

#[test]
fn several_stamps_on_a_line_repeat_it_in_time_order() {
    let l = parse_lrc("[00:10.00][00:30.00]chorus\n[00:20.00]verse\n[00:40]end\n").unwrap();
    assert_eq!(
        texts(&l),
        vec![
            (Some(10.0), "chorus"),
            (Some(20.0), "verse"),
            (Some(30.0), "chorus"),
            (Some(40.0), "end"),
        ]
    );
    assert_eq!(at(&l, 25.0), Some("verse"));
    assert_eq!(at(&l, 31.0), Some("chorus"));
    assert_eq!(l.current(31.0), Some(2));
}

#[test]
fn the_offset_tag_moves_every_line() {
    // A positive offset shows the lines earlier, a negative one later.
    let l = parse_lrc("[offset:+500]\n[00:02.00]a\n[00:05.00]b\n").unwrap();
    assert_eq!(texts(&l), vec![(Some(1.5), "a"), (Some(4.5), "b")]);
    assert_eq!(at(&l, 1.6), Some("a"));
    let l = parse_lrc("[00:02.00]a\n[offset:-1000]\n[00:05.00]b\n").unwrap();
    assert_eq!(texts(&l), vec![(Some(3.0), "a"), (Some(6.0), "b")]);
    assert_eq!(at(&l, 2.5), None);
    // Never before the start.
    let l = parse_lrc("[offset:3000]\n[00:01.00]a\n").unwrap();
    assert_eq!(texts(&l), vec![(Some(0.0), "a")]);
}

#[test]
fn text_without_stamps_is_plain_lyrics() {
    let l = parse_lrc("\nFirst line\n[chorus]\nSecond line\n\n").unwrap();
    assert!(!l.synced);
    assert_eq!(
        texts(&l),
        vec![
            (None, "First line"),
            (None, "[chorus]"),
            (None, "Second line")
        ]
    );
    assert_eq!(l.current(10.0), None);
    // Garbage stamps are not time stamps.
    let l = parse_lrc("[xx:yy]hello\n[00:99]bad seconds\n").unwrap();
    assert!(!l.synced);
    assert!(l.lines.is_empty(), "{:?}", l.lines);
}

fn copy_fixture(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
        &p,
    )
    .unwrap();
    p
}

fn embed_lyrics(path: &Path, key: ItemKey, text: &str) {
    let mut tagged = lofty::read_from_path(path).unwrap();
    if tagged.primary_tag().is_none() {
        let t = tagged.primary_tag_type();
        tagged.insert_tag(Tag::new(t));
    }
    let tag = tagged.primary_tag_mut().unwrap();
    assert!(tag.insert_text(key, text.into()));
    tagged.save_to_path(path, WriteOptions::default()).unwrap();
}

#[test]
fn embedded_lyrics_in_flac_and_mp3_and_the_sidecar_first() {
    let tmp = tempfile::tempdir().unwrap();
    let flac = copy_fixture(tmp.path(), "tone-stereo-44k.flac");
    assert_eq!(lyrics::load(&flac).unwrap(), None);
    embed_lyrics(
        &flac,
        ItemKey::Lyrics,
        "[00:00.50]vorbis one\n[00:01.00]vorbis two",
    );
    let l = lyrics::load(&flac).unwrap().unwrap();
    assert!(l.synced);
    assert_eq!(l.source, "embedded");
    assert_eq!(at(&l, 0.7), Some("vorbis one"));

    let mp3 = copy_fixture(tmp.path(), "tone.mp3");
    embed_lyrics(&mp3, ItemKey::UnsyncLyrics, "plain id3 words\nsecond");
    let l = lyrics::load(&mp3).unwrap().unwrap();
    assert!(!l.synced);
    assert_eq!(texts(&l), vec![(None, "plain id3 words"), (None, "second")]);

    // The .lrc beside the file comes first.
    std::fs::write(
        tmp.path().join("tone-stereo-44k.lrc"),
        "[00:00.20]from the file\n",
    )
    .unwrap();
    let l = lyrics::load(&flac).unwrap().unwrap();
    assert_eq!(texts(&l), vec![(Some(0.2), "from the file")]);
    assert!(l.source.ends_with("tone-stereo-44k.lrc"));
}

#[test]
fn a_huge_lrc_is_refused_with_its_name() {
    let tmp = tempfile::tempdir().unwrap();
    let mp3 = copy_fixture(tmp.path(), "tone.mp3");
    let lrc = tmp.path().join("tone.lrc");
    let f = std::fs::File::create(&lrc).unwrap();
    f.set_len(lyrics::MAX_LYRICS_BYTES + 1).unwrap();
    let e = lyrics::load(&mp3).unwrap_err().to_string();
    assert!(e.contains("tone.lrc") && e.contains("too large"), "{e}");
}

/// The review's file: one line of 100,000 `[0:0]` stamps and long text, inside the 1 MB cap
/// (its copy per stamp asked for ≈ 48 GB), then the other bounds one at a time.
#[test]
fn hostile_lrc_text_is_refused_before_anything_is_copied() {
    let text = format!("{}{}\n", "[0:0]".repeat(100_000), "la ".repeat(150_000));
    assert!(text.len() as u64 <= lyrics::MAX_LYRICS_BYTES);
    assert_eq!(parse_lrc(&text), Err(LyricsLimit::Stamps(1)));
    // Many short timed lines.
    let text = "[00:01][00:02]x\n".repeat(6_000);
    assert_eq!(parse_lrc(&text), Err(LyricsLimit::Lines));
    // Plain text of many lines.
    assert_eq!(parse_lrc(&"word\n".repeat(20_000)), Err(LyricsLimit::Lines));
    // Within the line and stamp bounds, but every copy long: the output bound.
    let line = format!("{}{}\n", "[0:0]".repeat(100), "y".repeat(9_000));
    let text = line.repeat(100);
    assert!(text.len() as u64 <= lyrics::MAX_LYRICS_BYTES);
    assert_eq!(parse_lrc(&text), Err(LyricsLimit::Output));
    // Just inside every bound: parsed whole.
    let text = format!("{}chorus\n", "[00:01]".repeat(lyrics::MAX_STAMPS_PER_LINE));
    let l = parse_lrc(&text).unwrap();
    assert_eq!(l.lines.len(), lyrics::MAX_STAMPS_PER_LINE);
    // Nonsense offsets and minutes are not time.
    let l = parse_lrc("[offset:NaN]\n[offset:1e999]\n[99999999999:00]x\n[00:01]y\n").unwrap();
    assert_eq!(texts(&l), vec![(Some(1.0), "y")]);

    // From a file beside a track: refused with its name.
    let tmp = tempfile::tempdir().unwrap();
    let mp3 = copy_fixture(tmp.path(), "tone.mp3");
    let lrc = tmp.path().join("tone.lrc");
    std::fs::write(
        &lrc,
        format!("{}{}\n", "[0:0]".repeat(100_000), "la ".repeat(150_000)),
    )
    .unwrap();
    let e = lyrics::load(&mp3).unwrap_err();
    assert!(matches!(e, LyricsError::TooLarge { .. }), "{e}");
    let e = e.to_string();
    assert!(
        e.contains("tone.lrc") && e.contains("lyrics too large"),
        "{e}"
    );
}

#[test]
fn huge_embedded_lyrics_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = std::fs::read(common::fixture("tone.mp3")).unwrap();
    // A real USLT frame of ordinary lyrics reads as before.
    let ok = tmp.path().join("ok.mp3");
    std::fs::write(
        &ok,
        common::mp3_with_uslt(&seed, b"[00:00.50]one\n[00:01]two"),
    )
    .unwrap();
    let l = lyrics::load(&ok).unwrap().unwrap();
    assert_eq!(texts(&l), vec![(Some(0.5), "one"), (Some(1.0), "two")]);
    // 3 MB of stamps in the tag: over the lyrics bound, refused with the file's name.
    let big = tmp.path().join("big.mp3");
    let text = format!("{}x\n", "[0:0]".repeat(600_000));
    std::fs::write(&big, common::mp3_with_uslt(&seed, text.as_bytes())).unwrap();
    let e = lyrics::load(&big).unwrap_err();
    assert!(e.to_string().contains("big.mp3"), "{e}");
    assert!(e.short().starts_with("lyrics too large"), "{e}");
    // 50 MB: the tag reader is not allowed to allocate it; no lyrics come of it.
    let huge = tmp.path().join("huge.mp3");
    let text = "[0:0]".repeat(10_000_000);
    std::fs::write(&huge, common::mp3_with_uslt(&seed, text.as_bytes())).unwrap();
    let r = lyrics::load(&huge);
    assert!(!matches!(r, Ok(Some(_))), "{r:?}");
}

/// The app on Now playing with "/music/a/song.flac" (100 s) just started, and its id.
fn playing_song() -> (App, TrackId) {
    let path = PathBuf::from("/music/a/song.flac");
    let id = TrackId::of_path(&path);
    let lib = Catalog::new(
        PathBuf::from("/music"),
        vec![TrackInfo {
            id,
            path: path.clone(),
            title: "Song".into(),
            artist: "Singer".into(),
            album: "Album".into(),
            duration_secs: Some(100.0),
            ..Default::default()
        }],
        vec!["blues".into()],
    );
    let mut app = App::new(lib, Keymap::defaults(), Theme::built_in(), "dark", 80);
    app.update(Event::Resize(100, 30));
    app.update(Event::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('3'),
        crossterm::event::KeyModifiers::NONE,
    )));
    app.update(Event::Player(PlayerEvent::Started {
        path,
        duration_secs: Some(100.0),
    }));
    (app, id)
}

/// The screen as drawn on a 100×30 terminal, a string per row.
fn screen(app: &App) -> Vec<String> {
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    term.draw(|f| genreplay::ui::draw(f, app)).unwrap();
    let buf = term.backend().buffer().clone();
    (0..30)
        .map(|y| (0..100).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect()
}

#[test]
fn the_pane_says_why_lyrics_are_missing() {
    let (mut app, id) = playing_song();
    app.update(Event::LyricsReady {
        track: id,
        lyrics: Err(LyricsError::TooLarge {
            from: "/music/a/song.lrc".into(),
            why: LyricsLimit::Lines.to_string(),
        }),
    });
    let s = screen(&app).join("\n");
    assert!(
        s.contains("lyrics too large (more than 10000 lines)"),
        "{s}"
    );
}

#[test]
fn the_pane_marks_the_current_line_and_keeps_it_centred() {
    let (mut app, id) = playing_song();
    assert_eq!(app.views.now_playing.art.lyrics, LyricsState::Loading);
    let text: String = (0..40)
        .map(|i| format!("[00:{:02}.00]line {i}\n", i))
        .collect();
    app.update(Event::LyricsReady {
        track: id,
        lyrics: Ok(Some(Arc::new(parse_lrc(&text).unwrap()))),
    });
    // An answer for another track is ignored.
    app.update(Event::LyricsReady {
        track: TrackId::of_path(Path::new("/elsewhere.flac")),
        lyrics: Ok(None),
    });
    let marked = |s: &[String]| -> (usize, String) {
        let (y, l) = s
            .iter()
            .enumerate()
            .find(|(_, l)| l.contains("▸ line "))
            .unwrap_or_else(|| panic!("no marked line:\n{}", s.join("\n")));
        let t = l.split("▸ ").nth(1).unwrap().trim_end_matches(['│', ' ']);
        (y, t.to_string())
    };
    let s = screen(&app);
    assert!(s.iter().any(|l| l.contains("lyrics")), "{}", s.join("\n"));
    assert_eq!(marked(&s).1, "line 0");
    app.update(Event::Player(PlayerEvent::Position { secs: 20.4 }));
    let s = screen(&app);
    let (y20, t) = marked(&s);
    assert_eq!(t, "line 20");
    // Neighbours above and below: the current line is in the middle of the pane.
    assert!(s[y20 - 1].contains("line 19") && s[y20 + 1].contains("line 21"));
    app.update(Event::Player(PlayerEvent::Position { secs: 25.0 }));
    let s = screen(&app);
    let (y25, t) = marked(&s);
    assert_eq!(t, "line 25");
    assert_eq!(
        y25, y20,
        "the current line stays at the same row as it moves on"
    );
}
