#![allow(clippy::unwrap_used, clippy::expect_used)]
//! ReplayGain end to end: gain tags written with lofty into copies of the fixtures (WAV with
//! ID3v2, FLAC and Ogg with Vorbis comments, MP3 with ID3v2 TXXX, M4A freeform atoms from the
//! shared sample, Opus R128 tags) and read back by the scan's tag reader; the loudness
//! estimate of the analysis clip on signals of known loudness; and the gain the app sends to
//! the player and shows in Now playing.

use crate::common;

use std::path::{Path, PathBuf};

use common::*;
use genreplay::audio::clip::{ClipSpec, load_clip};
use genreplay::audio::gain::{GainMode, GainSettings, GainSource, ReplayGainTags, choose};
use genreplay::library::tags::read_tags;
use lofty::config::WriteOptions;
use lofty::prelude::*;
use lofty::tag::{ItemKey, Tag, TagType};

/// Writes `items` as a `kind` tag into `path` (replacing a tag of that kind).
fn write_tag(path: &Path, kind: TagType, items: &[(ItemKey, &str)]) {
    let mut tag = Tag::new(kind);
    // Keep what the fixture had (artist, title) when the file has such a tag already.
    if let Ok(tagged) = lofty::read_from_path(path)
        && let Some(old) = tagged.tag(kind)
    {
        tag = old.clone();
    }
    for (k, v) in items {
        assert!(tag.insert_text(*k, v.to_string()), "{kind:?} takes {k:?}");
    }
    tag.save_to_path(path, WriteOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

const FULL: [(ItemKey, &str); 4] = [
    (ItemKey::ReplayGainTrackGain, "-6.20 dB"),
    (ItemKey::ReplayGainTrackPeak, "0.988831"),
    (ItemKey::ReplayGainAlbumGain, "+1.5 dB"),
    (ItemKey::ReplayGainAlbumPeak, "1.02"),
];

fn want_full() -> ReplayGainTags {
    ReplayGainTags {
        track_gain_db: Some(-6.2),
        track_peak: Some(0.988831),
        album_gain_db: Some(1.5),
        album_peak: Some(1.02),
    }
}

fn copy_fixture(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::copy(fixture(name), &p).unwrap();
    p
}

fn rg_of(path: &Path) -> ReplayGainTags {
    read_tags(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replaygain
        .expect("this build reads gain tags")
}

#[test]
fn gain_tags_are_read_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    // WAV (an ID3v2 chunk), MP3 (ID3v2 TXXX frames), FLAC and Ogg Vorbis (Vorbis comments).
    let wav = dir.path().join("tone.wav");
    write_wav(&wav, &tone(440.0, 22_050, 1.0, 0.3), 22_050, 1);
    let cases = [
        (wav, TagType::Id3v2),
        (copy_fixture(dir.path(), "tone.mp3"), TagType::Id3v2),
        (
            copy_fixture(dir.path(), "tone-stereo-44k.flac"),
            TagType::VorbisComments,
        ),
        (
            copy_fixture(dir.path(), "tone.ogg"),
            TagType::VorbisComments,
        ),
    ];
    for (p, kind) in &cases {
        assert_eq!(rg_of(p), ReplayGainTags::default(), "{}", p.display());
        write_tag(p, *kind, &FULL);
        assert_eq!(rg_of(p), want_full(), "{}", p.display());
    }
    // The tags survive as the scan stores them, and the other tags are still read.
    let t = read_tags(&cases[2].0).unwrap();
    assert_eq!(t.artist.as_deref(), Some("Fixture Artist"));

    // M4A: freeform `----:com.apple.iTunes:replaygain_*` atoms, on a copy of the shared
    // sample's AAC file.
    match shared_data() {
        Some(shared) => {
            let m4a = dir.path().join("track.m4a");
            std::fs::copy(
                shared.join("library-sample/Warzone 2100/Original Soundtrack/01 Track 1.m4a"),
                &m4a,
            )
            .unwrap();
            write_tag(&m4a, TagType::Mp4Ilst, &FULL);
            assert_eq!(rg_of(&m4a), want_full());
        }
        None => crate::common::skipped("the M4A case (../shared/data is not present)"),
    }
}

#[test]
fn opus_r128_gains_are_read_relative_to_the_replaygain_reference() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_fixture(dir.path(), "tone.opus");
    // Q7.8 dB relative to −23 LUFS: −2816 is −11 dB there, −6 dB at −18 LUFS; 384 is +1.5 dB
    // there, +6.5 dB here.
    write_tag(
        &p,
        TagType::VorbisComments,
        &[
            (ItemKey::R128TrackGain, "-2816"),
            (ItemKey::R128AlbumGain, "384"),
        ],
    );
    let rg = rg_of(&p);
    assert_eq!(rg.track_gain_db, Some(-6.0));
    assert_eq!(rg.album_gain_db, Some(6.5));
    assert_eq!(rg.track_peak, None);
}

#[test]
fn garbage_gain_tags_are_ignored_and_good_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_fixture(dir.path(), "tone.ogg");
    write_tag(
        &p,
        TagType::VorbisComments,
        &[
            (ItemKey::ReplayGainTrackGain, "loud"),
            (ItemKey::ReplayGainTrackPeak, "-1"),
            (ItemKey::ReplayGainAlbumGain, "-3.10 dB"),
            (ItemKey::ReplayGainAlbumPeak, "NaN"),
        ],
    );
    let rg = rg_of(&p);
    assert_eq!(
        rg,
        ReplayGainTags {
            album_gain_db: Some(-3.1),
            ..Default::default()
        }
    );
    // Track mode falls back to the album gain.
    let g = choose(
        &rg,
        None,
        &GainSettings {
            mode: GainMode::Track,
            preamp_db: 0.0,
        },
    );
    assert_eq!(
        (g.source, g.label()),
        (GainSource::Album, "RG \u{2212}3.1 dB album".into())
    );
}

/// An interleaved 1 kHz sine at `dbfs` peak on every channel.
fn sine(rate: u32, secs: f32, channels: usize, dbfs: f32) -> Vec<f32> {
    let amp = 10f32.powf(dbfs / 20.0);
    tone(1000.0, rate, secs, amp)
        .into_iter()
        .flat_map(|v| std::iter::repeat_n(v, channels))
        .collect()
}

/// Writes interleaved float samples as a 32-bit float WAV (no per-channel gain).
fn write_float_wav(path: &Path, interleaved: &[f32], rate: u32, channels: u16) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in interleaved {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
}

#[test]
fn the_estimate_is_the_clips_integrated_loudness() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ClipSpec {
        sample_rate_hz: 16_000,
        clip_secs: 60.0,
        centre_secs: 60.0,
        min_samples: 1000,
    };
    // EBU Tech 3341 case 1: stereo 1 kHz at −23 dBFS per channel reads −23.0 LUFS; a mono
    // (one channel) sine at −20 dBFS reads about −23 LUFS too.
    let stereo = dir.path().join("stereo.wav");
    write_float_wav(&stereo, &sine(48_000, 20.0, 2, -23.0), 48_000, 2);
    let mono = dir.path().join("mono.wav");
    write_float_wav(&mono, &sine(44_100, 20.0, 1, -20.0), 44_100, 1);
    for p in [&stereo, &mono] {
        let l = load_clip(p, &spec).unwrap().loudness.unwrap();
        assert!((l.lufs + 23.0).abs() < 0.1, "{}: {l:?}", p.display());
        // The estimated gain is the distance to −18 LUFS: +5 dB, within the peak's room.
        let g = choose(
            &ReplayGainTags::default(),
            Some(&l),
            &GainSettings::default(),
        );
        assert_eq!(g.source, GainSource::Estimated);
        assert!((g.db - 5.0).abs() < 0.1 && !g.peak_limited, "{g:?}");
        assert_eq!(g.label(), "RG +5.0 dB est.");
    }
    // A 4-minute track: only the clip (60 s around 1:00) is measured. Its first 30 s are
    // 20 dB louder than the rest, and the clip starts at 0:30.
    let mut x = sine(16_000, 30.0, 1, -10.0);
    x.extend(sine(16_000, 210.0, 1, -30.0));
    let long = dir.path().join("long.wav");
    write_float_wav(&long, &x, 16_000, 1);
    let c = load_clip(&long, &spec).unwrap();
    assert_eq!(c.window.start_secs, 30.0);
    let l = c.loudness.unwrap();
    assert!((l.lufs + 33.0).abs() < 0.2, "{l:?}");
    assert!((l.secs - 60.0).abs() < 0.01, "{l:?}");
    // Silence has no estimate.
    let quiet = dir.path().join("silence.wav");
    write_float_wav(&quiet, &vec![0.0; 16_000 * 5], 16_000, 1);
    assert_eq!(load_clip(&quiet, &spec).unwrap().loudness, None);
}

#[test]
fn the_estimate_comes_back_from_the_feature_cache_without_decoding() {
    use genreplay::model::backend::inference_device;
    use genreplay::model::infer::Classifier;
    use genreplay::model::registry::load_embedded;
    let dir = tempfile::tempdir().unwrap();
    let d = inference_device();
    let c = Classifier::new(load_embedded(&d).unwrap(), d).with_cache(&dir.path().join("cache"));
    let p = dir.path().join("tone.wav");
    write_float_wav(&p, &sine(22_050, 8.0, 2, -23.0), 22_050, 2);
    let first = c.classify_file(&p).unwrap();
    let l = first.loudness.expect("measured while the clip decoded");
    assert!((l.lufs + 23.0).abs() < 0.1, "{l:?}");
    assert!(first.timings.decode_ms > 0.0);
    // The second time the trunk's outputs come from the cache (nothing is decoded), and so
    // does the loudness: a rebuilt database gets its estimates back with its genres.
    let again = c.classify_file(&p).unwrap();
    assert_eq!(again.timings.decode_ms, 0.0);
    assert_eq!(again.loudness, Some(l));
}
