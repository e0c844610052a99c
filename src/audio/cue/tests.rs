use super::*;

const SHEET: &str = "REM GENRE Rock\r\nREM DATE 1999\r\nPERFORMER \"The Band\"\r\n\
    TITLE \"Live\"\r\nFILE \"live.flac\" WAVE\r\n  TRACK 01 AUDIO\r\n    TITLE \"One\"\r\n\
    \x20   INDEX 01 00:00:00\r\n  TRACK 02 AUDIO\r\n    TITLE \"Two\"\r\n    PERFORMER \"Guest\"\r\n\
    \x20   FLAGS DCP\r\n    INDEX 00 01:59:00\r\n    INDEX 01 02:00:37\r\n  TRACK 03 AUDIO\r\n\
    \x20   TITLE \"Three\"\r\n    REM COMPOSER x\r\n    INDEX 01 05:10:74\r\n";

#[test]
fn a_sheet_gives_its_tracks_and_spans() {
    let s = parse(SHEET, Some(400.0)).unwrap();
    assert_eq!(s.title.as_deref(), Some("Live"));
    assert_eq!(s.performer.as_deref(), Some("The Band"));
    assert_eq!((s.genre.as_deref(), s.year), (Some("Rock"), Some(1999)));
    assert_eq!(s.file, "live.flac");
    let titles: Vec<_> = s.tracks.iter().map(|t| t.title.as_deref()).collect();
    assert_eq!(titles, [Some("One"), Some("Two"), Some("Three")]);
    assert_eq!(s.tracks[1].performer.as_deref(), Some("Guest"));
    // 02:00:37 is 120 s and 37 of 75 frames; the pregap (INDEX 00) stays with track 1.
    assert_eq!(s.tracks[1].start_frames, 120 * 75 + 37);
    assert_eq!(s.tracks[1].pregap_frames, Some(119 * 75));
    let (_, two) = s.track(2).unwrap();
    assert!((two.start_secs - (120.0 + 37.0 / 75.0)).abs() < 1e-9);
    assert!((two.end_secs.unwrap() - (310.0 + 74.0 / 75.0)).abs() < 1e-9);
    assert_eq!(s.track(3).unwrap().1.end_secs, None);
    assert!(
        (s.track(3).unwrap().1.len_secs(Some(400.0)).unwrap() - (400.0 - 310.0 - 74.0 / 75.0))
            .abs()
            < 1e-9
    );
    assert!(s.track(4).is_none());
}

#[test]
fn encodings_are_told_apart() {
    // UTF-8 with a BOM and without.
    assert_eq!(decode_text("TITLE \"Café\"".as_bytes()), "TITLE \"Café\"");
    assert_eq!(
        decode_text(b"\xef\xbb\xbfTITLE \"Caf\xc3\xa9\""),
        "TITLE \"Café\""
    );
    // Latin-1 (Windows-1252): é is 0xE9, also before a letter (a Shift-JIS lead byte).
    assert_eq!(
        decode_text(b"TITLE \"Caf\xe9 \xe9t\xe9\""),
        "TITLE \"Café été\""
    );
    assert_eq!(decode_text(b"TITLE \"\xc9cole\""), "TITLE \"École\"");
    // Shift-JIS: さくら (0x82B3 0x82AD 0x82E7) and 東京 (0x938C 0x8B9E).
    assert_eq!(
        decode_text(b"TITLE \"\x82\xb3\x82\xad\x82\xe7 \x93\x8c\x8b\x9e\""),
        "TITLE \"さくら 東京\""
    );
    // UTF-16 with its BOM.
    let mut u16le = vec![0xff, 0xfe];
    for c in "TITLE \"ñ\"".encode_utf16() {
        u16le.extend(c.to_le_bytes());
    }
    assert_eq!(decode_text(&u16le), "TITLE \"ñ\"");
}

#[test]
fn times_are_minutes_seconds_and_75ths() {
    assert_eq!(parse_msf("00:00:00"), Ok(0));
    assert_eq!(parse_msf("01:02:03"), Ok((62 * 75) + 3));
    assert_eq!(parse_msf("99:59:74"), Ok((99 * 60 + 59) * 75 + 74));
    for bad in [
        "00:60:00",
        "00:00:75",
        "1:2",
        "a:00:00",
        "-1:00:00",
        "00:00:00:00",
        "",
    ] {
        assert!(parse_msf(bad).is_err(), "{bad}");
    }
}

fn sheet_with(tracks: &str) -> String {
    format!("FILE \"a.wav\" WAVE\n{tracks}")
}

#[test]
fn hostile_sheets_are_errors() {
    let cases: Vec<(String, &str)> = vec![
        (
            sheet_with("TRACK 02 AUDIO\nINDEX 01 00:00:00\nTRACK 01 AUDIO\nINDEX 01 00:10:00\n"),
            "out of order",
        ),
        (
            sheet_with("TRACK 01 AUDIO\nINDEX 01 00:20:00\nTRACK 02 AUDIO\nINDEX 01 00:10:00\n"),
            "before the track before",
        ),
        (
            sheet_with("TRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 02 AUDIO\nINDEX 01 09:00:00\n"),
            "past the audio's end",
        ),
        (sheet_with("TRACK 01 AUDIO\nTITLE \"x\"\n"), "no INDEX 01"),
        (
            sheet_with("TRACK 01 AUDIO\nTITLE \"a\x1b[2Jb\"\nINDEX 01 00:00:00\n"),
            "control characters",
        ),
        (
            sheet_with("TRACK 01 AUDIO\nINDEX 00 00:05:00\nINDEX 01 00:01:00\n"),
            "INDEX 00 after",
        ),
        (
            format!("{}FILE \"b.wav\" WAVE\n", sheet_with("")),
            "several FILE",
        ),
        (
            "TRACK 01 AUDIO\nINDEX 01 00:00:00\n".into(),
            "TRACK before FILE",
        ),
        (
            sheet_with("TRACK 01 MODE1/2352\nINDEX 01 00:00:00\n"),
            "not audio",
        ),
        (sheet_with("TRACK 100 AUDIO\n"), "bad track number"),
        (sheet_with(""), "no FILE with tracks"),
        (
            sheet_with(&format!("TRACK 01 AUDIO\nTITLE \"{}\"\n", "x".repeat(2000))),
            "longer than",
        ),
    ];
    for (src, why) in cases {
        let e = parse(&src, Some(60.0)).unwrap_err().to_string();
        assert!(e.contains(why), "{e:?} for {src:?}");
    }
    // 10,000 tracks: refused at the hundredth.
    let mut huge = sheet_with("");
    for i in 1..=10_000 {
        huge.push_str(&format!(
            "TRACK {i:02} AUDIO\nINDEX 01 00:{:02}:00\n",
            i % 60
        ));
    }
    let e = parse(&huge, None).unwrap_err().to_string();
    assert!(
        e.contains("bad track number") || e.contains("more than 99"),
        "{e}"
    );
}

#[test]
fn a_sheet_file_is_bounded_and_errors_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.cue");
    std::fs::write(&big, vec![b' '; MAX_SHEET_BYTES as usize + 1]).unwrap();
    let e = read_sheet(&big, None).unwrap_err();
    assert_eq!(e.path, big);
    assert!(e.to_string().contains("big.cue"), "{e}");
    let bad = dir.path().join("bad.cue");
    std::fs::write(&bad, b"FILE \"a.wav\" WAVE\nTRACK 01 AUDIO\n").unwrap();
    assert!(
        read_sheet(&bad, None)
            .unwrap_err()
            .to_string()
            .contains("bad.cue")
    );
    // Latin-1 on disk.
    let l1 = dir.path().join("l1.cue");
    std::fs::write(
        &l1,
        b"FILE \"a.wav\" WAVE\nTRACK 01 AUDIO\nTITLE \"Ca\xf1\xf3n\"\nINDEX 01 00:00:00\n",
    )
    .unwrap();
    let s = read_sheet(&l1, None).unwrap();
    assert_eq!(s.tracks[0].title.as_deref(), Some("Cañón"));
}

#[test]
fn track_names_round_trip_and_resolve_through_the_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let audio = dir.path().join("live.flac");
    std::fs::write(&audio, b"not really audio").unwrap();
    let p = track_path(&audio, 2);
    assert!(p.to_string_lossy().ends_with("live.flac#2"));
    assert_eq!(split_track_path(&p), Some((audio.clone(), 2)));
    assert_eq!(split_track_path(Path::new("/m/a.flac#0")), None);
    assert_eq!(split_track_path(Path::new("/m/a.flac#100")), None);
    assert_eq!(split_track_path(Path::new("/m/a.flac#x")), None);
    assert_eq!(split_track_path(Path::new("/m/a.flac")), None);
    // No sheet: not a track of one.
    assert!(resolve(&p, None).is_none());
    std::fs::write(dir.path().join("live.cue"), SHEET).unwrap();
    let (a, span) = resolve(&p, None).unwrap().unwrap();
    assert_eq!(a, audio);
    assert!((span.start_secs - (120.0 + 37.0 / 75.0)).abs() < 1e-9);
    assert!(resolve(&track_path(&audio, 9), None).unwrap().is_err());
    // A real file named like a track is that file.
    std::fs::write(&p, b"x").unwrap();
    assert!(resolve(&p, None).is_none());
}
