#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Cover art from files the tests make: pictures written with the image crate, embedded in
//! WAV, FLAC and MP3 files with lofty, or put beside them as `cover.jpg`; the real art worker
//! decodes and scales them; the real app and drawing show them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use genreplay::app::catalog::{Catalog, TrackInfo};
use genreplay::app::event::ArtRequest;
use genreplay::app::views::now_playing::CoverState;
use genreplay::app::{App, Effect, Event};
use genreplay::audio::player::PlayerEvent;
use genreplay::config::{Keymap, Theme};
use genreplay::library::TrackId;
use genreplay::library::art::{self, CoverSource, MAX_ENCODED_BYTES, MAX_SIDE};
use genreplay::service::art::ArtService;
use image::{ImageFormat, Rgb, RgbImage};
use lofty::config::WriteOptions;
use lofty::picture::{MimeType, Picture, PictureType};
use lofty::prelude::*;
use lofty::tag::Tag;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A `w`×`h` picture, one colour, encoded as `format`.
fn picture(w: u32, h: u32, rgb: [u8; 3], format: ImageFormat) -> Vec<u8> {
    let img = RgbImage::from_pixel(w, h, Rgb(rgb));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A PNG of noise that does not compress: about `side`² × 3 bytes.
fn noise_png(side: u32) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let img = RgbImage::from_fn(side, side, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        Rgb([state as u8, (state >> 8) as u8, (state >> 16) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A one-second WAV tone at `path`.
fn wav(path: &Path) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..8000 {
        let v = (i as f32 * 440.0 * std::f32::consts::TAU / 8000.0).sin() * 8000.0;
        w.write_sample(v as i16).unwrap();
    }
    w.finalize().unwrap();
}

/// Adds `pictures` ((type, bytes, mime)) to the primary tag of the audio file at `path`.
fn embed(path: &Path, pictures: &[(PictureType, Vec<u8>, MimeType)]) {
    let mut tagged = lofty::read_from_path(path).unwrap();
    if tagged.primary_tag().is_none() {
        let t = tagged.primary_tag_type();
        tagged.insert_tag(Tag::new(t));
    }
    let tag = tagged.primary_tag_mut().unwrap();
    for (ty, bytes, mime) in pictures {
        tag.push_picture(
            Picture::unchecked(bytes.clone())
                .pic_type(*ty)
                .mime_type(mime.clone())
                .build(),
        );
    }
    tagged.save_to_path(path, WriteOptions::default()).unwrap();
}

/// The audio fixture `name` (in tests/fixtures, or "wav" for a made one) copied to `dir`.
fn audio(dir: &Path, name: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    if name == "wav" {
        let p = dir.join("track.wav");
        wav(&p);
        return p;
    }
    let p = dir.join(name);
    std::fs::copy(fixtures().join(name), &p).unwrap();
    p
}

fn decoded(path: &Path) -> (CoverSource, image::DynamicImage) {
    let (source, bytes) = art::find(path).expect("a cover");
    let img = art::decode(&source, bytes).unwrap();
    (source, img)
}

#[test]
fn embedded_front_cover_in_wav_flac_and_mp3() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, name) in ["wav", "tone-stereo-44k.flac", "tone.mp3"]
        .iter()
        .enumerate()
    {
        let dir = tmp.path().join(format!("album{i}"));
        let path = audio(&dir, name);
        assert_eq!(art::find(&path), None, "{name}: no cover yet");
        // A back cover first, then the front: the front is the one used.
        embed(
            &path,
            &[
                (
                    PictureType::CoverBack,
                    picture(5, 5, [0, 0, 255], ImageFormat::Png),
                    MimeType::Png,
                ),
                (
                    PictureType::CoverFront,
                    picture(12, 8, [255, 0, 0], ImageFormat::Jpeg),
                    MimeType::Jpeg,
                ),
            ],
        );
        let (source, img) = decoded(&path);
        assert_eq!(source, CoverSource::Embedded(path.clone()), "{name}");
        assert_eq!((img.width(), img.height()), (12, 8), "{name}");
        let px = img.to_rgb8().get_pixel(6, 4).0;
        assert!(
            px[0] > 200 && px[2] < 60,
            "{name}: the front cover, got {px:?}"
        );
    }
}

#[test]
fn any_picture_when_there_is_no_front_cover() {
    let tmp = tempfile::tempdir().unwrap();
    let path = audio(tmp.path(), "tone-stereo-44k.flac");
    embed(
        &path,
        &[(
            PictureType::Other,
            picture(3, 4, [0, 255, 0], ImageFormat::Png),
            MimeType::Png,
        )],
    );
    let (_, img) = decoded(&path);
    assert_eq!((img.width(), img.height()), (3, 4));
}

#[test]
fn folder_cover_when_nothing_is_embedded_and_embedded_first() {
    let tmp = tempfile::tempdir().unwrap();
    let a = audio(tmp.path(), "tone.mp3");
    let b = audio(tmp.path(), "tone-stereo-44k.flac");
    std::fs::write(
        tmp.path().join("folder.png"),
        picture(4, 4, [9, 9, 9], ImageFormat::Png),
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("Cover.JPG"),
        picture(20, 10, [0, 0, 250], ImageFormat::Jpeg),
    )
    .unwrap();
    // cover.* before folder.*, whatever the case of the name.
    let (source, img) = decoded(&a);
    assert_eq!(source, CoverSource::File(tmp.path().join("Cover.JPG")));
    assert_eq!((img.width(), img.height()), (20, 10));
    // The embedded picture beats the folder's.
    embed(
        &b,
        &[(
            PictureType::CoverFront,
            picture(7, 7, [1, 2, 3], ImageFormat::Png),
            MimeType::Png,
        )],
    );
    let (source, img) = decoded(&b);
    assert_eq!(source, CoverSource::Embedded(b.clone()));
    assert_eq!((img.width(), img.height()), (7, 7));
}

#[test]
fn size_limits_and_broken_pictures() {
    let tmp = tempfile::tempdir().unwrap();
    // Over the encoded limit: refused before it is read.
    let big = tmp.path().join("cover.jpg");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(MAX_ENCODED_BYTES as u64 + 1).unwrap();
    let e = art::decode(&CoverSource::File(big.clone()), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("too large") && e.contains("cover.jpg"), "{e}");
    // Wider than the decoded limit (a small file all the same).
    let wide = picture(MAX_SIDE + 1, 1, [5, 5, 5], ImageFormat::Png);
    assert!(wide.len() < 100_000);
    let e = art::decode_bytes(&wide).unwrap_err().to_string();
    assert!(e.contains("too large to decode"), "{e}");
    // At the limit it decodes.
    let ok = picture(MAX_SIDE, 1, [5, 5, 5], ImageFormat::Png);
    assert_eq!(art::decode_bytes(&ok).unwrap().width(), MAX_SIDE);
    // A truncated JPEG and a file that is no picture at all.
    let mut jpeg = picture(64, 64, [200, 10, 10], ImageFormat::Jpeg);
    jpeg.truncate(jpeg.len() / 3);
    assert!(art::decode_bytes(&jpeg).is_err());
    let e = art::decode_bytes(b"definitely not a picture")
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a JPEG or PNG"), "{e}");
}

/// An app playing `path` (one track), on Now playing, 100×30.
fn playing_app(path: &Path) -> (App, Vec<Effect>) {
    let id = TrackId::of_path(path);
    let lib = Catalog::new(
        path.parent().unwrap().to_path_buf(),
        vec![TrackInfo {
            id,
            path: path.to_path_buf(),
            title: "Tone".into(),
            artist: "Tester".into(),
            album: "Fixtures".into(),
            duration_secs: Some(1.0),
            ..Default::default()
        }],
        vec!["blues".into(), "jazz".into()],
    );
    let mut app = App::new(lib, Keymap::defaults(), Theme::built_in(), "dark", 80);
    app.update(Event::Resize(100, 30));
    app.update(Event::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('3'),
        crossterm::event::KeyModifiers::NONE,
    )));
    let fx = app.update(Event::Player(PlayerEvent::Started {
        path: path.to_path_buf(),
        duration_secs: Some(1.0),
    }));
    (app, fx)
}

fn draw(app: &App) -> Vec<String> {
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    term.draw(|f| genreplay::ui::draw(f, app)).unwrap();
    let buf = term.backend().buffer().clone();
    (0..30)
        .map(|y| (0..100).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect()
}

fn art_request(fx: &[Effect]) -> ArtRequest {
    fx.iter()
        .find_map(|e| match e {
            Effect::LoadArt(r) => Some(r.clone()),
            _ => None,
        })
        .expect("the app asks for the cover")
}

/// Waits (bounded) for the worker's cover answer, handing every event to the app.
fn until_cover(app: &mut App, rx: &crossbeam_channel::Receiver<Event>) {
    loop {
        let ev = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the worker answers");
        let done = matches!(ev, Event::CoverReady { .. });
        app.update(ev);
        if done {
            return;
        }
    }
}

#[test]
fn a_5_mb_cover_is_decoded_by_the_worker_while_the_app_draws() {
    let tmp = tempfile::tempdir().unwrap();
    let path = audio(tmp.path(), "tone-stereo-44k.flac");
    let png = noise_png(1300);
    assert!(png.len() > 5_000_000, "{} bytes", png.len());
    embed(&path, &[(PictureType::CoverFront, png, MimeType::Png)]);

    let (mut app, fx) = playing_app(&path);
    let req = art_request(&fx);
    assert_eq!(req.path, path);
    assert!(req.lyrics);
    let cells = req.cover.expect("Now playing has room for a cover");
    assert_eq!(app.views.now_playing.art.cover, CoverState::Loading);

    let (tx, rx) = crossbeam_channel::unbounded();
    let worker = ArtService::start(tx).unwrap();
    worker.load(req);
    // The app draws with the request out, and nothing it does depends on the worker (the
    // worker only speaks through events): all the fields are there, where they are without
    // a cover, until the cover arrives.
    let s = draw(&app);
    assert!(s.iter().any(|l| l.starts_with("│Tone")), "{}", s.join("\n"));
    assert!(s.iter().any(|l| l.contains("0:00 / 0:01")));
    // Keys keep working meanwhile.
    app.update(Event::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('+'),
        crossterm::event::KeyModifiers::NONE,
    )));
    assert_eq!(app.session.playback.volume, 85);
    assert_eq!(app.views.now_playing.art.cover, CoverState::Loading);

    until_cover(&mut app, &rx);
    let CoverState::Ready(c) = &app.views.now_playing.art.cover else {
        panic!("no cover: {:?}", app.views.now_playing.art.cover);
    };
    assert_eq!(c.cells, cells);
    let s = draw(&app);
    // Half blocks in the cover area (the worker had no terminal to ask: half blocks).
    let area: Vec<String> = s[2..2 + cells.1 as usize]
        .iter()
        .map(|l| l.chars().skip(1).take(cells.0 as usize).collect())
        .collect();
    let blocks = area
        .iter()
        .flat_map(|l| l.chars())
        .filter(|c| *c == '▀' || *c == '▄')
        .count();
    assert!(
        blocks > (cells.0 as usize * cells.1 as usize) / 2,
        "{}",
        area.join("\n")
    );
    assert!(!s.iter().any(|l| l.contains("loading cover…")));
    // The fields moved right of the cover, all still there.
    let title = s.iter().find(|l| l.contains("Tone")).unwrap();
    assert!(title.chars().position(|c| c == 'T').unwrap() > cells.0 as usize);
}

#[test]
fn a_broken_or_oversized_cover_is_no_cover_and_the_fields_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let path = audio(tmp.path(), "tone.mp3");
    let mut jpeg = picture(64, 64, [200, 10, 10], ImageFormat::Jpeg);
    jpeg.truncate(200);
    std::fs::write(tmp.path().join("cover.jpg"), jpeg).unwrap();
    let (mut app, fx) = playing_app(&path);
    let (tx, rx) = crossbeam_channel::unbounded();
    let worker = ArtService::start(tx).unwrap();
    worker.load(art_request(&fx));
    until_cover(&mut app, &rx);
    assert_eq!(app.views.now_playing.art.cover, CoverState::Missing);
    let s = draw(&app);
    // No cover area: the fields are at the left edge as without covers.
    assert!(s.iter().any(|l| l.starts_with("│Tone")), "{}", s.join("\n"));
}

#[test]
fn narrow_terminals_drop_the_cover_not_the_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let path = audio(tmp.path(), "tone.mp3");
    std::fs::write(
        tmp.path().join("cover.png"),
        picture(8, 8, [0, 200, 0], ImageFormat::Png),
    )
    .unwrap();
    let (mut app, _) = playing_app(&path);
    // 60 columns: no room for the cover beside the fields.
    let fx = app.update(Event::Resize(60, 30));
    assert!(
        fx.iter().all(|e| !matches!(e, Effect::LoadArt(_))),
        "{fx:?}"
    );
    let r = genreplay::app::layout::now_playing_cover(genreplay::app::layout::now_playing_inner(
        genreplay::app::layout::frame(ratatui::layout::Rect::new(0, 0, 60, 30))[1],
    ));
    assert_eq!(r, None);
    let mut term = Terminal::new(TestBackend::new(60, 30)).unwrap();
    term.draw(|f| genreplay::ui::draw(f, &app)).unwrap();
    let buf = term.backend().buffer().clone();
    let s: Vec<String> = (0..30)
        .map(|y| (0..60).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect();
    assert!(s.iter().any(|l| l.starts_with("│Tone")), "{}", s.join("\n"));
    assert!(s.iter().any(|l| l.contains("0:00 / 0:01")));
}
