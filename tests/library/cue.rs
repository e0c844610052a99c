//! CUE sheets on real files: a synthetic three-track WAV with its sheet beside it is three
//! tracks of the library (titles, numbers and spans from the sheet, the file not listed
//! whole), each decoded only within its span; a sheet that does not hold leaves its file
//! whole; `ctl play file.wav#2` on the real player starts the second track at its start.

use crate::common;
use crate::common::tmux;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;

const RATE: u32 = 22_050;

/// `dir/live.wav`: 220 Hz for 3 s, 660 Hz for 3 s, 1320 Hz for 4 s; its sheet (Latin-1, CRLF)
/// names the tracks.
fn live_album(dir: &Path) -> PathBuf {
    let mut samples = tone(220.0, RATE, 3.0, 0.4);
    samples.extend(tone(660.0, RATE, 3.0, 0.4));
    samples.extend(tone(1320.0, RATE, 4.0, 0.4));
    let wav = dir.join("live.wav");
    write_wav(&wav, &samples, RATE, 1);
    let sheet = b"REM GENRE Jazz\r\nPERFORMER \"The Tr\xeeo\"\r\nTITLE \"Live \xe0 Paris\"\r\n\
        FILE \"live.wav\" WAVE\r\n  TRACK 01 AUDIO\r\n    TITLE \"Ouverture\"\r\n\
        \x20   INDEX 01 00:00:00\r\n  TRACK 02 AUDIO\r\n    TITLE \"Caf\xe9\"\r\n\
        \x20   PERFORMER \"Guest\"\r\n    INDEX 00 00:02:50\r\n    INDEX 01 00:03:00\r\n\
        \x20 TRACK 03 AUDIO\r\n    TITLE \"Fin\"\r\n    INDEX 01 00:06:00\r\n";
    std::fs::write(dir.join("live.cue"), sheet).unwrap();
    wav
}

/// The frequency of a steady tone, from its zero crossings.
fn frequency(x: &[f32]) -> f32 {
    let crossings = x
        .windows(2)
        .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
        .count();
    crossings as f32 / 2.0 / (x.len() as f32 / RATE as f32)
}

fn tracks(data: &Path, lib: &Path) -> Vec<serde_json::Value> {
    let mut c = genreplay(data);
    c.arg("--library").arg(lib).args(["--json", "library"]);
    json_of(c)["tracks"].as_array().unwrap().clone()
}

#[test]
fn a_sheet_splits_its_file_into_tracks_each_decoded_within_its_span() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    let wav = live_album(&lib);
    // A sheet whose second track starts past its file's end: that file stays whole.
    write_wav(&lib.join("bad.wav"), &tone(440.0, RATE, 2.0, 0.4), RATE, 1);
    std::fs::write(
        lib.join("bad.cue"),
        "FILE \"bad.wav\" WAVE\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 02 AUDIO\nINDEX 01 05:00:00\n",
    )
    .unwrap();
    let data = tmp.path().join("data");
    let mut scan = genreplay(&data);
    scan.arg("--library").arg(&lib).args(["--json", "scan"]);
    let report = json_of(scan);
    let unreadable = report["unreadable"].to_string();
    assert!(
        unreadable.contains("bad.cue") && unreadable.contains("past the audio's end"),
        "{report}"
    );

    let all = tracks(&data, &lib);
    let mut paths: Vec<String> = all
        .iter()
        .map(|t| t["path"].as_str().unwrap().to_string())
        .collect();
    paths.sort();
    let wav_s = wav.canonicalize().unwrap().to_string_lossy().into_owned();
    let bad_s = lib
        .join("bad.wav")
        .canonicalize()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(
        paths,
        [
            bad_s.clone(),
            format!("{wav_s}#1"),
            format!("{wav_s}#2"),
            format!("{wav_s}#3")
        ]
    );
    let by_no = |n: u64| {
        all.iter()
            .find(|t| t["path"] == format!("{wav_s}#{n}"))
            .unwrap()
    };
    let expect = [
        (1, "Ouverture", "The Trîo", 0.0, Some(3.0)),
        (2, "Café", "Guest", 3.0, Some(6.0)),
        (3, "Fin", "The Trîo", 6.0, None),
    ];
    for (n, title, artist, start, end) in expect {
        let t = by_no(n);
        assert_eq!(t["title"], title, "{t}");
        assert_eq!(t["artist"], artist, "{t}");
        assert_eq!(t["album"], "Live à Paris", "{t}");
        assert_eq!(t["album_artist"], "The Trîo", "{t}");
        assert_eq!(t["genre_tag"], "Jazz", "{t}");
        assert_eq!(t["track_no"], n, "{t}");
        assert_eq!(t["cue"]["track"], n, "{t}");
        assert_eq!(t["cue"]["file"], wav_s.as_str(), "{t}");
        assert_eq!(t["cue"]["start_secs"].as_f64(), Some(start), "{t}");
        assert_eq!(t["cue"]["end_secs"].as_f64(), end, "{t}");
        let len = end.unwrap_or(10.0) - start;
        assert!(
            (t["duration_secs"].as_f64().unwrap() - len).abs() < 0.01,
            "{t}"
        );
        // Each track was analysed on its own span.
        assert_eq!(t["status"], "classified", "{t}");
    }
    assert!(by_no(1)["id"] != by_no(2)["id"]);

    // The second track, decoded: the 660 Hz tone and nothing of its neighbours, 3 s long.
    let two = PathBuf::from(format!("{wav_s}#2"));
    let src = genreplay::audio::player::TrackSource::open(&two).unwrap();
    assert!((rodio::Source::total_duration(&src).unwrap().as_secs_f64() - 3.0).abs() < 1e-6);
    let samples: Vec<f32> = src.collect();
    assert_eq!(samples.len(), 3 * RATE as usize);
    let f = frequency(&samples);
    assert!((f - 660.0).abs() < 5.0, "{f} Hz");
    let f_end = frequency(&samples[samples.len() - RATE as usize / 10..]);
    assert!((f_end - 660.0).abs() < 30.0, "{f_end} Hz at the end");
    // The analysis path sees the same span.
    let mono = genreplay::audio::decode::decode_file(&two).unwrap();
    assert_eq!(mono.samples.len(), 3 * RATE as usize);
    assert!((frequency(&mono.samples) - 660.0).abs() < 5.0);
    // A seek is within the track: 1 s into track 3 is 7 s into the file (1320 Hz).
    let mut f3 =
        genreplay::audio::decode::AudioFile::open(&PathBuf::from(format!("{wav_s}#3"))).unwrap();
    assert!(f3.seek(1.0));
    let rest = f3.decode_mono(0.0, None).unwrap();
    assert_eq!(rest.samples.len(), 3 * RATE as usize);
    assert!((frequency(&rest.samples) - 1320.0).abs() < 5.0);
}

#[test]
fn ctl_plays_a_sheets_track_from_its_start() {
    if !tmux::have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    let wav = live_album(&lib);
    let data = tmp.path().join("data");
    let config = tmp.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    let t = tmux::start_player(tmp.path(), &config, &data, &lib, "", "");
    t.wait_for("3 tracks · 3 classified");
    let two = format!("{}#2", wav.display());
    let ctl = |args: &[&str]| {
        genreplay(&data)
            .env("GENREPLAY_CONFIG_DIR", &config)
            .arg("ctl")
            .args(args)
            .output()
            .unwrap()
    };
    let out = ctl(&["play", &two]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t0 = Instant::now();
    let status = loop {
        let out = ctl(&["status", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if v["state"] == "playing" || t0.elapsed() > Duration::from_secs(10) {
            break v;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status["track"]["title"], "Café", "{status}");
    let path = status["track"]["path"].as_str().unwrap();
    assert!(path.ends_with("live.wav#2"), "{status}");
    // At its own start (the file's 3 s), and 3 s long.
    let pos = status["position_secs"].as_f64().unwrap_or(0.0);
    assert!(pos < 1.5, "{status}");
    assert!(
        (status["track"]["duration_secs"].as_f64().unwrap() - 3.0).abs() < 0.01,
        "{status}"
    );
    let _ = ctl(&["quit"]);
    t.wait_for("genreplay exited");
}
