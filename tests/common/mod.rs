//! The helpers every test binary shares (each `main.rs` loads this folder with
//! `#[path = "../common/mod.rs"] mod common;`): here, synthetic audio (tones, noise bursts,
//! chirps, clicks, written as WAV), tags, the binary under test; in submodules, `skip` (a test
//! that cannot run says so and is counted), `wait` (waiting on a condition with a deadline),
//! `tmux` (the real player in a terminal of our own) and `tui_fixture` (a small hand-made
//! library for the app and screen tests).
#![allow(dead_code)]

pub mod skip;
pub mod tmux;
pub mod tui_fixture;
pub mod wait;

// Not every binary uses each of them.
#[allow(unused_imports)]
pub use skip::skipped;
#[allow(unused_imports)]
pub use wait::{wait_for, wait_until};

use std::path::{Path, PathBuf};

/// A small deterministic PRNG (xorshift) so tests need no extra crates.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }
}

/// The power of `x` at `freq` Hz (Goertzel): `(amplitude × len / 2)²` for a sine of that
/// frequency.
pub fn goertzel_power(x: &[f32], rate: u32, freq: f32) -> f32 {
    let w = std::f32::consts::TAU * freq / rate as f32;
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &v in x {
        let s0 = v + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2
}

pub fn tone(freq: f32, rate: u32, secs: f32, amp: f32) -> Vec<f32> {
    let n = (rate as f32 * secs) as usize;
    (0..n)
        .map(|i| amp * (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin())
        .collect()
}

/// White noise gated on and off in bursts of random length.
pub fn noise_bursts(rng: &mut Rng, rate: u32, secs: f32) -> Vec<f32> {
    let n = (rate as f32 * secs) as usize;
    let mut out = Vec::with_capacity(n);
    let mut on = true;
    while out.len() < n {
        let len = (rng.range(0.05, 0.2) * rate as f32) as usize;
        for _ in 0..len {
            out.push(if on { rng.range(-0.5, 0.5) } else { 0.0 });
        }
        on = !on;
    }
    out.truncate(n);
    out
}

/// Repeated rising sweeps between `f0` and `f1` Hz.
pub fn chirps(rng: &mut Rng, rate: u32, secs: f32, f0: f32, f1: f32) -> Vec<f32> {
    let n = (rate as f32 * secs) as usize;
    let period = (rng.range(0.2, 0.4) * rate as f32) as usize;
    let mut phase = 0.0f32;
    (0..n)
        .map(|i| {
            let t = (i % period) as f32 / period as f32;
            let f = f0 + (f1 - f0) * t;
            phase += 2.0 * std::f32::consts::PI * f / rate as f32;
            0.4 * phase.sin()
        })
        .collect()
}

/// A low tone with a slow tremolo.
pub fn low_tone(rng: &mut Rng, rate: u32, secs: f32) -> Vec<f32> {
    let f = rng.range(90.0, 180.0);
    let trem = rng.range(1.0, 4.0);
    tone(f, rate, secs, 0.5)
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let t = i as f32 / rate as f32;
            v * (0.75 + 0.25 * (2.0 * std::f32::consts::PI * trem * t).sin())
        })
        .collect()
}

/// Clicks every `every_secs`.
pub fn clicks(rate: u32, secs: f32, every_secs: f32) -> Vec<f32> {
    let n = (rate as f32 * secs) as usize;
    let step = ((every_secs * rate as f32) as usize).max(1);
    (0..n)
        .map(|i| if i % step == 0 { 0.9 } else { 0.0 })
        .collect()
}

/// Writes 16-bit PCM WAV. `channels` > 1 duplicates the signal with a gain per channel.
pub fn write_wav(path: &Path, samples: &[f32], rate: u32, channels: u16) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        for c in 0..channels {
            let g = 1.0 - 0.2 * c as f32;
            w.write_sample((s * g * 32767.0).clamp(-32768.0, 32767.0) as i16)
                .unwrap();
        }
    }
    w.finalize().unwrap();
}

/// The synthetic "genres" of the learning tests.
pub const SYNTH_GENRES: [&str; 3] = ["chirp", "low", "noise"];

pub fn synth_genre(genre: &str, rng: &mut Rng, rate: u32, secs: f32) -> Vec<f32> {
    match genre {
        "low" => low_tone(rng, rate, secs),
        "noise" => noise_bursts(rng, rate, secs),
        _ => chirps(rng, rate, secs, 2000.0, 3500.0),
    }
}

/// Writes `per_genre` tracks of each synthetic genre under `root/<genre>/`.
pub fn synth_genre_tree(
    root: &Path,
    per_genre: usize,
    rate: u32,
    secs: f32,
    seed: u64,
) -> Vec<(PathBuf, String)> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for g in SYNTH_GENRES {
        for i in 0..per_genre {
            let p = root.join(g).join(format!("{g}-{i:02}.wav"));
            write_wav(&p, &synth_genre(g, &mut rng, rate, secs), rate, 1);
            out.push((p, g.to_string()));
        }
    }
    out
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// `../shared/data` when present.
pub fn shared_data() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if p.is_dir() {
        Some(p)
    } else {
        skipped("../shared/data is not present");
        None
    }
}

/// Appends a RIFF `LIST/INFO` chunk (artist, album, title, genre) to a WAV file, as tagging
/// programs do, so lofty reads tags from it.
pub fn tag_wav(path: &Path, artist: &str, album: &str, title: &str, genre: Option<&str>) {
    let mut bytes = std::fs::read(path).unwrap();
    let mut info = b"INFO".to_vec();
    let mut field = |id: &[u8; 4], value: &str| {
        let mut data = value.as_bytes().to_vec();
        data.push(0);
        info.extend_from_slice(id);
        info.extend_from_slice(&(data.len() as u32).to_le_bytes());
        info.extend_from_slice(&data);
        if data.len() % 2 == 1 {
            info.push(0);
        }
    };
    field(b"IART", artist);
    field(b"IPRD", album);
    field(b"INAM", title);
    if let Some(g) = genre {
        field(b"IGNR", g);
    }
    bytes.extend_from_slice(b"LIST");
    bytes.extend_from_slice(&(info.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&info);
    let riff_len = (bytes.len() - 8) as u32;
    bytes[4..8].copy_from_slice(&riff_len.to_le_bytes());
    std::fs::write(path, bytes).unwrap();
}

/// Writes the start of a WavPack file (its block magic and a zeroed header): a format the
/// decoder knows by name and cannot read, so it is reported as "unsupported format: WavPack".
pub fn write_wavpack(path: &Path) {
    let mut bytes = b"wvpk".to_vec();
    bytes.extend_from_slice(&[0u8; 60]);
    std::fs::write(path, bytes).unwrap();
}

/// Writes a tagged synthetic track.
pub fn tagged_track(path: &Path, secs: f32, seed: u64, artist: &str, album: &str, title: &str) {
    let mut rng = Rng::new(seed);
    let g = SYNTH_GENRES[(seed % 3) as usize];
    write_wav(path, &synth_genre(g, &mut rng, 16_000, secs), 16_000, 1);
    tag_wav(path, artist, album, title, Some(g));
}

/// The genreplay binary with its data in `data_dir`.
pub fn genreplay(data_dir: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("genreplay").unwrap();
    c.arg("--data-dir").arg(data_dir);
    c
}

/// Runs a genreplay command that prints JSON: asserts it succeeded (showing its stderr if
/// not) and returns what it printed.
pub fn json_of(mut cmd: assert_cmd::Command) -> serde_json::Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `mp3` (an MP3 with or without an ID3v2 tag) with its tag replaced by an ID3v2.3 tag holding
/// one USLT (lyrics) frame of `text` (Latin-1), written by hand so that any size can be made.
pub fn mp3_with_uslt(mp3: &[u8], text: &[u8]) -> Vec<u8> {
    let audio = if mp3.starts_with(b"ID3") && mp3.len() >= 10 {
        let size = mp3[6..10]
            .iter()
            .fold(0usize, |n, &b| (n << 7) | (b & 0x7f) as usize);
        &mp3[(10 + size).min(mp3.len())..]
    } else {
        mp3
    };
    let mut frame = vec![0u8];
    frame.extend(b"eng\0");
    frame.extend(text);
    let mut tag = b"USLT".to_vec();
    tag.extend((frame.len() as u32).to_be_bytes());
    tag.extend([0, 0]);
    tag.extend(frame);
    let n = tag.len();
    let mut out = b"ID3\x03\x00\x00".to_vec();
    out.extend(
        [
            (n >> 21) & 0x7f,
            (n >> 14) & 0x7f,
            (n >> 7) & 0x7f,
            n & 0x7f,
        ]
        .map(|b| b as u8),
    );
    out.extend(tag);
    out.extend(audio);
    out
}
