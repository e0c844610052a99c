#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The analysis pipeline on real files made by the tests: decode (any channels/rate → mono),
//! seeking, the clip rules, resampling, the front end, and bad inputs.

use crate::common;

use common::*;
use genreplay::audio::clip::{ClipSpec, load_clip};
use genreplay::audio::decode::{AudioError, AudioFile, decode_file};
use genreplay::features::{Frontend, FrontendConfig};

fn spec(rate: u32, min_samples: usize) -> ClipSpec {
    ClipSpec {
        sample_rate_hz: rate,
        clip_secs: 60.0,
        centre_secs: 60.0,
        min_samples,
    }
}

#[test]
fn stereo_wav_downmixes_to_mono_at_its_rate() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("stereo.wav");
    write_wav(&p, &vec![0.5; 44_100], 44_100, 2);
    let a = decode_file(&p).unwrap();
    assert_eq!(a.sample_rate_hz, 44_100);
    assert_eq!(a.samples.len(), 44_100);
    // Channels at gain 1.0 and 0.8 → mean 0.45.
    assert!((a.samples[100] - 0.45).abs() < 1e-3, "{}", a.samples[100]);
    assert!((a.track_secs.unwrap() - 1.0).abs() < 1e-6);
}

#[test]
fn six_channel_48k_wav_decodes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("surround.wav");
    write_wav(&p, &tone(1000.0, 48_000, 0.5, 0.5), 48_000, 6);
    let a = decode_file(&p).unwrap();
    assert_eq!(a.sample_rate_hz, 48_000);
    assert_eq!(a.samples.len(), 24_000);
    assert!(a.samples.iter().any(|v| v.abs() > 0.2));
}

#[test]
fn compressed_fixtures_decode_to_about_their_length() {
    for name in ["tone-stereo-44k.flac", "tone.ogg", "tone.mp3", "tone.opus"] {
        let a = decode_file(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let secs = a.samples.len() as f64 / a.sample_rate_hz as f64;
        assert!((secs - 1.5).abs() < 0.06, "{name}: {secs} s");
        let rms = (a.samples.iter().map(|v| v * v).sum::<f32>() / a.samples.len() as f32).sqrt();
        assert!(rms > 0.1 && rms < 0.5, "{name}: rms {rms}");
    }
}

#[test]
fn seeking_decodes_the_requested_window() {
    // A ramp whose value is the time: the first decoded sample tells where the decode began.
    let rate = 8000;
    let secs = 10.0;
    let x: Vec<f32> = (0..(rate as f32 * secs) as usize)
        .map(|i| i as f32 / rate as f32 / 20.0)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ramp.wav");
    write_wav(&p, &x, rate, 1);
    let mut f = AudioFile::open(&p).unwrap();
    let a = f.decode_mono(4.0, Some(2.0)).unwrap();
    assert_eq!(a.samples.len(), 16_000);
    assert!(
        (a.samples[0] - 0.2).abs() < 1e-3,
        "starts at {}",
        a.samples[0] * 20.0
    );
    assert!((a.samples[15_999] - 0.3).abs() < 1e-3);
}

#[test]
fn clip_of_a_long_track_is_centred_on_one_minute_and_resampled() {
    let rate = 8000;
    let secs = 150.0;
    let x: Vec<f32> = (0..(rate as f32 * secs) as usize)
        .map(|i| i as f32 / rate as f32 / 200.0)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("long.wav");
    write_wav(&p, &x, rate, 1);
    let c = load_clip(&p, &spec(16_000, 1000)).unwrap();
    assert_eq!(c.window.start_secs, 30.0);
    assert_eq!(c.samples.len(), 60 * 16_000);
    // Value at the middle of the clip ≈ 60 s / 200.
    assert!((c.samples[30 * 16_000] - 0.3).abs() < 2e-3);
    assert!((c.samples[1000] - (30.0 + 1000.0 / 16_000.0) / 200.0).abs() < 2e-3);
    assert!(!c.padded);
}

#[test]
fn clip_of_a_70s_track_is_centred_on_its_middle() {
    let rate = 8000;
    let x: Vec<f32> = (0..rate as usize * 70)
        .map(|i| i as f32 / rate as f32 / 200.0)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mid.wav");
    write_wav(&p, &x, rate, 1);
    let c = load_clip(&p, &spec(8000, 1000)).unwrap();
    assert_eq!(c.window.start_secs, 5.0);
    assert!((c.samples[0] - 5.0 / 200.0).abs() < 1e-3);
}

#[test]
fn a_track_shorter_than_a_segment_is_repeat_padded() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("blip.wav");
    write_wav(&p, &clicks(16_000, 0.25, 0.05), 16_000, 1);
    let c = load_clip(&p, &spec(16_000, 16_000)).unwrap();
    assert!(c.padded);
    assert_eq!(c.samples.len(), 16_000);
    assert_eq!(c.samples[0], c.samples[4000]);
}

#[test]
fn bad_inputs_give_clear_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.flac");
    std::fs::write(&empty, b"").unwrap();
    let random = dir.path().join("random.mp3");
    let mut rng = Rng::new(5);
    let bytes: Vec<u8> = (0..20_000).map(|_| (rng.next_u64() & 0xff) as u8).collect();
    std::fs::write(&random, bytes).unwrap();
    let missing = dir.path().join("missing.ogg");
    // A FLAC cut inside its first frame: nothing decodes.
    let header_only = dir.path().join("header-only.flac");
    let flac = std::fs::read(fixture("tone-stereo-44k.flac")).unwrap();
    std::fs::write(&header_only, &flac[..flac.len().min(8400)]).unwrap();
    let wavpack = dir.path().join("tone.wv");
    write_wavpack(&wavpack);
    let cases: Vec<(std::path::PathBuf, &str)> = vec![
        (missing, "cannot open"),
        (empty, "empty file"),
        (random, ""),
        (wavpack.clone(), "unsupported format: WavPack"),
        (header_only.clone(), "truncated"),
    ];
    for (p, want) in cases {
        let err =
            load_clip(&p, &spec(16_000, 1000)).expect_err(&format!("{} should fail", p.display()));
        let msg = err.to_string();
        assert!(msg.contains(&p.display().to_string()), "{msg}");
        assert!(msg.contains(want), "{msg}");
        assert_eq!(err.path(), p.as_path());
    }
    assert!(matches!(
        load_clip(&wavpack, &spec(16_000, 1000)),
        Err(AudioError::UnsupportedFormat { .. })
    ));
}

/// The energy of `x` at `freq` Hz (Goertzel), relative to its total energy.
fn share_at(x: &[f32], rate: u32, freq: f32) -> f32 {
    let power = goertzel_power(x, rate, freq);
    let total: f32 = x.iter().map(|v| v * v).sum();
    2.0 * power / (x.len() as f32 * total.max(1e-12))
}

#[test]
fn opus_decodes_through_libopus() {
    // tests/fixtures/tone.opus: 1.5 s, left 440 Hz, right 660 Hz (see its README).
    let p = fixture("tone.opus");
    let mut f = AudioFile::open(&p).unwrap();
    let info = f.info();
    assert_eq!((info.sample_rate_hz, info.channels), (48_000, 2));
    let d = info.duration_secs.unwrap();
    assert!((d - 1.5).abs() < 0.05, "declared {d} s");
    let mut chunk = Vec::new();
    let mut left = Vec::new();
    let mut right = Vec::new();
    while let Some(fmt) = f.next_chunk(&mut chunk).unwrap() {
        assert_eq!((fmt.channels, fmt.sample_rate_hz), (2, 48_000));
        for fr in chunk.chunks_exact(2) {
            left.push(fr[0]);
            right.push(fr[1]);
        }
    }
    assert!(f.damage().describe().is_none(), "{:?}", f.damage());
    let secs = left.len() as f64 / 48_000.0;
    assert!((secs - 1.5).abs() < 0.03, "decoded {secs} s");
    // Each channel holds its own tone (skip the codec's fade-in).
    let (l, r) = (&left[4800..], &right[4800..]);
    assert!(
        share_at(l, 48_000, 440.0) > 0.8,
        "{}",
        share_at(l, 48_000, 440.0)
    );
    assert!(
        share_at(r, 48_000, 660.0) > 0.8,
        "{}",
        share_at(r, 48_000, 660.0)
    );
    assert!(share_at(l, 48_000, 660.0) < 0.05);
    // The analysis clip: resampled to the model's rate, about 1.5 s, with its loudness.
    let c = load_clip(&p, &spec(16_000, 1000)).unwrap();
    assert!((c.samples.len() as f64 / 16_000.0 - 1.5).abs() < 0.05);
    assert!(c.partial().is_none());
    let l = c.loudness.expect("a loudness for 1.5 s of tones");
    // Two tones at −6 dBFS peak (sox's gain −6 on a full-scale sine): about −9 LUFS.
    assert!(l.lufs > -14.0 && l.lufs < -6.0, "{l:?}");
    assert!(l.peak > 0.4 && l.peak < 0.7, "{l:?}");
}

#[test]
fn an_opus_header_output_gain_is_applied() {
    // The same file with its OpusHead output gain set to −6.02 dB (Q7.8: −1541) and the page
    // CRC fixed: every sample is halved.
    let bytes = std::fs::read(fixture("tone.opus")).unwrap();
    let at = bytes.windows(8).position(|w| w == b"OpusHead").unwrap();
    let mut patched = bytes.clone();
    patched[at + 16..at + 18].copy_from_slice(&(-1541i16).to_le_bytes());
    // The first page holds only the header: fix its CRC.
    let nseg = patched[26] as usize;
    let len = 27
        + nseg
        + patched[27..27 + nseg]
            .iter()
            .map(|&b| b as usize)
            .sum::<usize>();
    patched[22..26].fill(0);
    let crc = ogg_crc(&patched[..len]);
    patched[22..26].copy_from_slice(&crc.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let quiet = dir.path().join("quiet.opus");
    std::fs::write(&quiet, &patched).unwrap();
    let a = decode_file(&fixture("tone.opus")).unwrap();
    let b = decode_file(&quiet).unwrap();
    assert_eq!(a.samples.len(), b.samples.len());
    let rms = |x: &[f32]| (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
    let ratio = rms(&b.samples) / rms(&a.samples);
    assert!((ratio - 0.5).abs() < 0.01, "{ratio}");
}

/// Ogg's page CRC (polynomial 0x04c11db7, no reflection, initial 0).
fn ogg_crc(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &b in data {
        crc ^= (b as u32) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[test]
fn a_truncated_file_is_analysed_from_what_decodes_and_marked_partial() {
    // The fixture is the first 40% of a 1.5 s FLAC whose header declares 1.5 s.
    let c = load_clip(&fixture("truncated.flac"), &spec(16_000, 1000)).unwrap();
    let why = c.partial().expect("marked partial");
    assert!(
        why.starts_with("truncated: the FLAC stream ends after 0."),
        "{why}"
    );
    assert!(why.contains("of the declared 1.5 s"), "{why}");
    // Its length is where the stream really ends (its last whole frame), not the header's.
    let got = c.track_secs.unwrap();
    assert!(got > 0.2 && got < 0.7, "decoded {got} s");
    // The clip is the audio that is there (repeat-padded to one segment like any short track).
    assert!((c.window.len_secs - got).abs() < 0.05, "{:?}", c.window);
    assert!(c.samples.iter().all(|v| v.is_finite()));
    // The complete file is not partial.
    let whole = load_clip(&fixture("tone-stereo-44k.flac"), &spec(16_000, 1000)).unwrap();
    assert_eq!(whole.partial(), None);
}

#[test]
fn front_end_on_decoded_audio_is_finite_and_shaped() {
    let c = load_clip(&fixture("tone.ogg"), &spec(16_000, 1000)).unwrap();
    let fe = Frontend::new(&FrontendConfig::musicnn());
    let mel = fe.log_mel(&c.samples);
    assert_eq!(mel.n_mels, 96);
    assert_eq!(mel.frames, 1 + c.samples.len() / 256);
    assert!(mel.data.iter().all(|v| v.is_finite()));
}

#[test]
fn sun_au_files_decode_like_the_same_wav() {
    // GTZAN ships as .au, which symphonia does not read; our reader does.
    let dir = tempfile::tempdir().unwrap();
    let x = tone(330.0, 22_050, 2.0, 0.5);
    let wav = dir.path().join("t.wav");
    write_wav(&wav, &x, 22_050, 1);
    let mut au = b".snd".to_vec();
    let data: Vec<u8> = x
        .iter()
        .flat_map(|v| ((v * 32767.0) as i16).to_be_bytes())
        .collect();
    for w in [24u32, data.len() as u32, 3, 22_050, 1] {
        au.extend_from_slice(&w.to_be_bytes());
    }
    au.extend_from_slice(&data);
    let au_path = dir.path().join("t.au");
    std::fs::write(&au_path, au).unwrap();
    let a = load_clip(&wav, &spec(16_000, 1000)).unwrap();
    let b = load_clip(&au_path, &spec(16_000, 1000)).unwrap();
    assert_eq!(a.samples.len(), b.samples.len());
    let max_diff = a
        .samples
        .iter()
        .zip(&b.samples)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0f32, f32::max);
    assert!(max_diff < 1e-4, "{max_diff}");
    assert!((b.track_secs.unwrap() - 2.0).abs() < 1e-6);
    assert!(genreplay::audio::is_audio_path(&au_path));
}
