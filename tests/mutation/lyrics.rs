//! Lyrics: LRC text straight into the parser, `.lrc` files beside a track, and lyrics in the
//! tags (an ID3 USLT frame in an MP3, a Vorbis LYRICS comment in a FLAC) with the tag bytes
//! themselves damaged. Every case is lyrics, none, or a refusal; within the bounds.

use std::path::Path;
use std::time::Instant;

use genreplay::library::lyrics::{self, Lyrics, MAX_LINES, MAX_OUTPUT_BYTES, parse_lrc};

use crate::common::{Rng, fixture, mp3_with_uslt};
use crate::text::mutations;
use crate::{measured, mutation_rng, serial};

/// The most a lyrics read may grow the heap by: the text read (1 MB, and its copy), a tag
/// item (4 MB, and the tag reader's copies), the lines out (4 MB).
const LYRICS_BOUND: usize = 40 * 1024 * 1024;

const SEEDS: &[&str] = &[
    "\u{feff}[ti:Song]\n[ar:Someone]\n[offset:+250]\n[00:01.50]one\n[00:04]two\n\
     [00:07.250][00:37.25]chorus, twice\n[01:02.5]four\n[length:03:10]\n",
    "Plain words\n[chorus]\nno stamps at all\r\n\r\nlast line\n",
    "[00:00.00]<00:00.00>word <00:00.50>by <00:01.00>word\n[00:02.00]\n[99:59.99]end\n",
    "\u{feff}[00:01]\r\n[00:02]\r\n[al:]\r\n[:]\r\n[00:03.1]a\r\n[00:03.12]b\r\n[00:03.123]c",
    "[00:05.00]We walked along the river\n[00:09.30]Under a sky of grey\n\
     [00:13.80][01:13.80]And every word you whispered\n[00:18.10][01:18.10]Was carried far away\n\
     [00:22.40]The water knew our secrets\n[00:26.90]The willows heard them too\n\
     [00:31.20]\n[00:35.00]So sing it like the morning\n[00:39.50]Sing it bright and true\n",
];

const LRC_TOKENS: &[&str] = &[
    "[00:00]",
    "[0:0]",
    "[99999:59.999]",
    "[00:60]",
    "[offset:+1e308]",
    "[offset:-99999999999]",
    "[offset:NaN]",
    "[ar:",
    "]",
    "[",
    "\n",
    "\r\n",
    "\u{feff}",
    "\u{202e}",
    "\u{1b}[?1049l",
    "00000000000000000000000000",
    "[00:00.0000]",
];

/// Properties of lyrics that came back.
fn sane(l: &Lyrics) -> Result<(), String> {
    if l.lines.len() > MAX_LINES {
        return Err(format!("{} lines", l.lines.len()));
    }
    let text: usize = l.lines.iter().map(|x| x.text.len()).sum();
    if text > MAX_OUTPUT_BYTES {
        return Err(format!("{text} bytes of lines"));
    }
    if l.synced {
        let at: Vec<f64> = l.lines.iter().filter_map(|x| x.at).collect();
        if at.len() != l.lines.len() || at.iter().any(|t| !t.is_finite() || *t < 0.0) {
            return Err(format!("bad times {:?}", &at[..at.len().min(5)]));
        }
        if at.windows(2).any(|w| w[0] > w[1]) {
            return Err("times out of order".into());
        }
        let _ = l.current(1e9);
    } else if l.lines.iter().any(|x| x.at.is_some()) {
        return Err("a timed line in unsynced lyrics".into());
    }
    Ok(())
}

/// The FLAC fixture with a Vorbis LYRICS comment of `text`, and where the comment is.
fn flac_with_lyrics(dir: &Path, text: &str) -> (Vec<u8>, usize) {
    use lofty::config::WriteOptions;
    use lofty::prelude::*;
    let p = dir.join("seed.flac");
    std::fs::copy(fixture("tone-stereo-44k.flac"), &p).unwrap();
    let mut tagged = lofty::read_from_path(&p).unwrap();
    if tagged.primary_tag().is_none() {
        let t = tagged.primary_tag_type();
        tagged.insert_tag(lofty::tag::Tag::new(t));
    }
    let tag = tagged.primary_tag_mut().unwrap();
    assert!(tag.insert_text(ItemKey::Lyrics, text.into()));
    tagged.save_to_path(&p, WriteOptions::default()).unwrap();
    let bytes = std::fs::read(&p).unwrap();
    let at = bytes
        .windows(7)
        .position(|w| w.eq_ignore_ascii_case(b"LYRICS="))
        .unwrap();
    (bytes, at)
}

/// Damage to a tag: bytes flipped around `at` (the frame or comment and its length fields)
/// and in the tag's header.
fn tag_mutations(seed: &[u8], at: usize, rng: &mut Rng) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let near = |rng: &mut Rng| {
        let lo = at.saturating_sub(16);
        lo + (rng.next_u64() % 48) as usize
    };
    for _ in 0..60 {
        let mut m = seed.to_vec();
        let i = near(rng).min(m.len() - 1);
        m[i] = rng.next_u64() as u8;
        out.push((format!("tag byte@{i}"), m));
    }
    for _ in 0..30 {
        let mut m = seed.to_vec();
        let i = (rng.next_u64() % 64) as usize;
        m[i] = rng.next_u64() as u8;
        out.push((format!("header byte@{i}"), m));
    }
    for fill in [0x00u8, 0x7f, 0xff] {
        for back in [4usize, 6, 8, 10, 12] {
            let mut m = seed.to_vec();
            let i = at.saturating_sub(back);
            for x in m.iter_mut().skip(i).take(4) {
                *x = fill;
            }
            out.push((format!("length {fill:#x}@{i}"), m));
        }
    }
    for cut in [at, at + 3, at + 100, seed.len() / 2] {
        out.push((format!("cut@{cut}"), seed[..cut.min(seed.len())].to_vec()));
    }
    out
}

#[test]
fn lyrics_survive_thousands_of_hostile_texts_files_and_tags() {
    let _turn = serial();
    let t0 = Instant::now();
    let mut rng = mutation_rng();
    let mut failures: Vec<String> = Vec::new();
    let (mut cases, mut found, mut refused, mut worst) = (0usize, 0usize, 0usize, 0usize);

    // Text into the parser.
    let mut texts: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, seed) in SEEDS.iter().enumerate() {
        for (what, m) in mutations(seed.as_bytes(), LRC_TOKENS, &mut rng) {
            texts.push((format!("seed {i} {what}"), m));
        }
    }
    for (case, bytes) in &texts {
        let text = String::from_utf8_lossy(bytes);
        let m = measured(|| parse_lrc(&text));
        m.check(case, LYRICS_BOUND, &mut failures);
        worst = worst.max(m.grew);
        match &m.result {
            Ok(Ok(l)) => {
                found += 1;
                if let Err(why) = sane(l) {
                    failures.push(format!("{case}: {why}"));
                }
            }
            Ok(Err(_)) => refused += 1,
            Err(_) => {}
        }
        cases += 1;
    }

    // The same texts as `.lrc` files beside a track (every other), read the player's way.
    let dir = tempfile::tempdir().unwrap();
    let track = dir.path().join("song.mp3");
    std::fs::copy(fixture("tone.mp3"), &track).unwrap();
    let lrc = dir.path().join("song.lrc");
    let mut load = |case: &str, failures: &mut Vec<String>| {
        let m = measured(|| lyrics::load(&track));
        m.check(case, LYRICS_BOUND, failures);
        worst = worst.max(m.grew);
        match &m.result {
            Ok(Ok(Some(l))) => {
                found += 1;
                if let Err(why) = sane(l) {
                    failures.push(format!("{case}: {why}"));
                }
            }
            Ok(Ok(None)) => {}
            Ok(Err(_)) => refused += 1,
            Err(_) => {}
        }
        cases += 1;
    };
    for (case, bytes) in texts.iter().step_by(2) {
        std::fs::write(&lrc, bytes).unwrap();
        load(&format!("lrc file {case}"), &mut failures);
    }
    // Larger than the bound, and a file that grows past it.
    std::fs::write(&lrc, vec![b'x'; lyrics::MAX_LYRICS_BYTES as usize + 1]).unwrap();
    load("lrc file over the bound", &mut failures);
    std::fs::remove_file(&lrc).unwrap();

    // Lyrics in an MP3's ID3 tag: the other texts as the frame, then the tag damaged.
    let mp3 = std::fs::read(fixture("tone.mp3")).unwrap();
    for (case, bytes) in texts.iter().skip(1).step_by(2) {
        std::fs::write(&track, mp3_with_uslt(&mp3, bytes)).unwrap();
        load(&format!("USLT {case}"), &mut failures);
    }
    let seed = mp3_with_uslt(&mp3, SEEDS[0].as_bytes());
    let frame = seed.windows(4).position(|w| w == b"USLT").unwrap();
    for (what, m) in tag_mutations(&seed, frame + 4, &mut rng) {
        std::fs::write(&track, m).unwrap();
        load(&format!("USLT {what}"), &mut failures);
    }
    for size in [5 << 20, 50 << 20] {
        std::fs::write(&track, mp3_with_uslt(&mp3, &vec![b'['; size])).unwrap();
        load(&format!("USLT of {} MB", size >> 20), &mut failures);
    }

    // A Vorbis LYRICS comment in a FLAC, damaged.
    let flac = dir.path().join("song.flac");
    let (seed, at) = flac_with_lyrics(dir.path(), SEEDS[0]);
    let track = flac;
    let mut load = |case: &str, failures: &mut Vec<String>| {
        let m = measured(|| lyrics::load(&track));
        m.check(case, LYRICS_BOUND, failures);
        worst = worst.max(m.grew);
        if let Ok(Ok(Some(l))) = &m.result {
            found += 1;
            if let Err(why) = sane(l) {
                failures.push(format!("{case}: {why}"));
            }
        }
        cases += 1;
    };
    for (what, m) in tag_mutations(&seed, at, &mut rng) {
        std::fs::write(&track, m).unwrap();
        load(&format!("FLAC {what}"), &mut failures);
    }

    println!(
        "{cases} hostile lyrics in {:.1} s: {found} parsed, {refused} refused; largest \
         allocation growth {:.1} MB",
        t0.elapsed().as_secs_f64(),
        worst as f64 / 1e6
    );
    assert!(cases >= 1500, "only {cases} cases");
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
