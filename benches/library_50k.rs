//! A 50,000-track library on disk, measured with the real binary. Builds (once) a music folder
//! of 50,000 files (hard links of one short WAV: 2,500 artists × 4 albums × 5 tracks, tagged in
//! the database), a database with their records and four in five classified by the built-in
//! model, then runs `genreplay library --json` under `/usr/bin/time -v` and reports its peak
//! memory, time and output. The folder stays (`GENREPLAY_SCALE_DIR`, default
//! `target/scale-50k`) for trying the player on it:
//!
//!     GENREPLAY_NO_AUDIO=1 target/release/genreplay --data-dir target/scale-50k/data \
//!         --library target/scale-50k/music
//!
//! Run: `cargo build --release && cargo bench --bench library_50k` (`GENREPLAY_SCALE_BIN=…`
//! measures another build of genreplay on the same library).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use genreplay::library::tags::Tags;
use genreplay::library::{TrackId, TrackRecord};
use genreplay::store::{Store, VectorRecord};

const TRACKS: usize = 50_000;
const GENRES: [&str; 10] = [
    "Blues",
    "Classical",
    "Country",
    "Disco",
    "Hip-Hop",
    "Jazz",
    "Metal",
    "Pop",
    "Reggae",
    "Rock",
];

fn wav(path: &Path) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22_050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let mut x: u32 = 1;
    for i in 0..22_050 * 2 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let tone = ((i as f32) * 0.05).sin() * 6000.0;
        let noise = ((x >> 16) as f32 / 65_536.0 - 0.5) * 3000.0;
        w.write_sample((tone + noise) as i16).unwrap();
    }
    w.finalize().unwrap();
}

fn build(dir: &Path) {
    let music = dir.join("music");
    let data = dir.join("data");
    std::fs::create_dir_all(&music).unwrap();
    std::fs::create_dir_all(&data).unwrap();
    let source = dir.join("source.wav");
    wav(&source);
    let store = Store::open(&data.join("db")).unwrap();
    let device = genreplay::model::backend::inference_device();
    let model = genreplay::model::active::load_active(&store, None, &device).unwrap();
    genreplay::model::active::set_active(&store, &model).unwrap();
    let labels = model.config.labels.len();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut records = Vec::with_capacity(1000);
    for i in 0..TRACKS {
        let (artist, album, n) = (i / 20, (i / 5) % 4, i % 5 + 1);
        let folder = music.join(format!("artist {artist}/album {album}"));
        if n == 1 {
            std::fs::create_dir_all(&folder).unwrap();
        }
        let path = folder.join(format!("{n:02} track {i}.wav"));
        if !path.exists() {
            std::fs::hard_link(&source, &path).unwrap();
        }
        let meta = std::fs::metadata(&path).unwrap();
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::MetadataExt;
        records.push(TrackRecord {
            path: path.as_os_str().as_bytes().to_vec(),
            size: meta.len(),
            mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            tags: Tags {
                artist: Some(format!("Artist {artist} of the {}", GENRES[artist % 10])),
                album: Some(format!("Album {album} ({})", 1970 + artist % 50)),
                album_artist: None,
                title: Some(format!("Track {i} of a war song")),
                track_no: Some(n as u32),
                year: Some(1970 + (artist % 50) as u16),
                genre: Some(GENRES[artist % 10].to_string()),
                duration_ms: Some(2_000),
                replaygain: Some(Default::default()),
            },
            tag_error: None,
            added_unix: now,
        });
        if records.len() == 1000 {
            store.put_tracks(&records).unwrap();
            records.clear();
        }
        if i % 5 != 0 {
            let mut v = vec![0.3 / labels as f32; labels];
            v[(i * 7 + artist) % labels] += 0.7;
            let style = Some((0..50).map(|k| ((i + k) % 13) as f32 / 13.0).collect());
            store
                .put_vector(
                    &model.id,
                    TrackId::of_path(&path),
                    &VectorRecord {
                        vector: v,
                        segments: 1,
                        style,
                        computed_unix: now,
                        // One track in ten unsure, as a library with odds and ends has.
                        open_set: Some(genreplay::store::OpenSetRecord {
                            known: i % 10 != 0,
                            confidence: 0.5,
                            distance: 1.0,
                            music: None,
                        }),
                    },
                )
                .unwrap();
        }
    }
    store.put_tracks(&records).unwrap();
    store
        .meta_set("library_root", &music.to_string_lossy())
        .unwrap();
    store.flush().unwrap();
    std::fs::write(dir.join("built"), "50000\n").unwrap();
}

/// Runs `genreplay ARGS` under `/usr/bin/time -v`: (peak RSS in MB, seconds, stdout bytes).
fn measure(bin: &Path, data: &Path, args: &[&str]) -> (f64, f64, usize) {
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(bin)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let field = |name: &str| {
        err.lines()
            .find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().to_string()))
            .unwrap_or_default()
    };
    let kb: f64 = field("Maximum resident set size (kbytes):")
        .parse()
        .unwrap_or(0.0);
    let wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss):");
    let secs = wall
        .split(':')
        .fold(0.0, |acc, p| acc * 60.0 + p.parse::<f64>().unwrap_or(0.0));
    if args.contains(&"--json") {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["tracks"].as_array().map(Vec::len), Some(TRACKS));
    }
    (kb / 1024.0, secs, out.stdout.len())
}

fn main() {
    let dir = std::env::var_os("GENREPLAY_SCALE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/scale-50k"));
    if !dir.join("built").exists() {
        eprintln!("building a 50,000-track library in {}", dir.display());
        build(&dir);
    }
    // Another build to compare with: GENREPLAY_SCALE_BIN=/path/to/genreplay.
    let bin = std::env::var_os("GENREPLAY_SCALE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/genreplay")
        });
    if !bin.exists() {
        eprintln!(
            "{} is missing: run `cargo build --release` first",
            bin.display()
        );
        return;
    }
    let data = dir.join("data");
    for args in [&["library", "--json"][..], &["library"][..]] {
        let (mb, secs, bytes) = measure(&bin, &data, args);
        println!(
            "genreplay {:<16} peak RSS {mb:>6.1} MB  {secs:>5.2} s  {:.1} MB out",
            args.join(" "),
            bytes as f64 / 1e6
        );
    }
    println!(
        "the player on it: GENREPLAY_NO_AUDIO=1 {} --data-dir {} --library {}",
        bin.display(),
        data.display(),
        dir.join("music").display()
    );
}
