#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Mutation test of every decoder path: seeds of each container/codec genreplay reads (WAV
//! PCM/float/A-law/µ-law/IMA-ADPCM/extensible, AIFF and AIFF-C, Sun .au in each encoding,
//! Matroska PCM, and the FLAC, MP3, Ogg Vorbis and Opus fixtures; with ../shared/data also
//! a real AAC .m4a, shortened) are truncated, byte-flipped, garbage-prefixed/suffixed, have
//! their header fields set to 0, to all ones and to random values, and float payloads filled
//! with NaN, ±Inf and huge values. Each case goes through the analysis clip, a whole-file
//! decode and the player's source (with a seek), and must return `Ok` or `Err`: no panic gets
//! out, finite samples, and no more than [`ALLOC_BOUND`] bytes allocated at once (measured by
//! the counting allocator below; a single request of [`HUGE`] bytes or more counts as a
//! failure too). Panics the decode layer contains are allowed only where they come from inside
//! symphonia itself (known bugs: its Matroska seek, its AAC decoder on zeroed packets), and
//! are listed.
//!
//! The parsers of the other hostile inputs go through the same mill, each case `Ok` or `Err`,
//! never a panic, with its allocation bounded: lyrics (LRC text, `.lrc` files, lyrics in ID3
//! and Vorbis tags; `mutation/lyrics.rs`), the player's state files (`mutation/state.rs`) and
//! the control socket's protocol, through a real socket to the real server
//! (`mutation/socket.rs`). The tests take turns (the counters are the whole process's).

#[path = "../common/mod.rs"]
mod common;
mod lyrics;
mod socket;
mod state;
mod text;
use common::tui_fixture;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use genreplay::audio::clip::{ClipSpec, load_clip};
use genreplay::audio::decode::decode_file;
use genreplay::audio::guard::{caught_panics, last_caught_panic};
use genreplay::audio::player::TrackSource;
use rodio::Source;

/// Live heap bytes may not grow by more than this during one case.
const ALLOC_BOUND: usize = 96 * 1024 * 1024;
/// A single allocation this large is refused and reported (it would be a header-sized buffer).
const HUGE: usize = 512 * 1024 * 1024;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static HUGE_SEEN: AtomicUsize = AtomicUsize::new(0);

// The same, for the calling thread alone (tests run side by side: the text-format test
// measures its own allocations with these).
thread_local! {
    static T_LIVE: std::cell::Cell<isize> = const { std::cell::Cell::new(0) };
    static T_PEAK: std::cell::Cell<isize> = const { std::cell::Cell::new(0) };
}

fn thread_grew(by: isize) {
    let _ = T_LIVE.try_with(|l| {
        let now = l.get() + by;
        l.set(now);
        let _ = T_PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= HUGE {
            HUGE_SEEN.store(layout.size(), Ordering::SeqCst);
            return std::ptr::null_mut();
        }
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
            thread_grew(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        thread_grew(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= HUGE {
            HUGE_SEEN.store(new_size, Ordering::SeqCst);
            return std::ptr::null_mut();
        }
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let now = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
            thread_grew(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The tests of this binary one at a time: the allocation counters are process-wide.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// What one case did: its result (`Err`: it panicked), the most the live heap grew while it
/// ran, and the size of a single allocation of [`HUGE`] bytes or more it tried (0: none).
struct Measured<T> {
    result: std::thread::Result<T>,
    grew: usize,
    huge: usize,
}

/// The mutations' random numbers: MUTATION_SEED=N explores other mutations locally; CI uses
/// the fixed seed.
fn mutation_rng() -> Rng {
    Rng::new(
        std::env::var("MUTATION_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(2024),
    )
}

fn measured<T>(f: impl FnOnce() -> T) -> Measured<T> {
    let base = LIVE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    HUGE_SEEN.store(0, Ordering::SeqCst);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    Measured {
        result,
        grew: PEAK.load(Ordering::SeqCst).saturating_sub(base),
        huge: HUGE_SEEN.load(Ordering::SeqCst),
    }
}

impl<T> Measured<T> {
    /// The case's failures against `bound` bytes of growth, into `failures`.
    fn check(&self, case: &str, bound: usize, failures: &mut Vec<String>) {
        if self.result.is_err() {
            failures.push(format!("{case}: panicked"));
        }
        if self.grew > bound {
            failures.push(format!("{case}: {} MB allocated at once", self.grew >> 20));
        }
        if self.huge > 0 {
            failures.push(format!(
                "{case}: tried to allocate {} MB in one go",
                self.huge >> 20
            ));
        }
    }
}

// ---------------------------------------------------------------- seeds

/// A seed file: bytes, extension, and header fields (offset, width in bytes) to mutate.
struct Seed {
    name: String,
    ext: &'static str,
    bytes: Vec<u8>,
    fields: Vec<(usize, usize)>,
    /// Byte range holding float samples (little- or big-endian 4-byte words), for NaN payloads.
    floats: Option<(usize, usize, bool)>,
}

fn le16(v: u16) -> [u8; 2] {
    v.to_le_bytes()
}
fn le32(v: u32) -> [u8; 4] {
    v.to_le_bytes()
}

fn sine_i16(n: usize, period: f32) -> Vec<i16> {
    (0..n)
        .map(|i| ((i as f32 * std::f32::consts::TAU / period).sin() * 12_000.0) as i16)
        .collect()
}

/// RIFF/WAVE with a `fmt ` chunk body and data.
fn riff(fmt_body: &[u8], extra_chunks: &[u8], data: &[u8]) -> Vec<u8> {
    let mut v = b"RIFF".to_vec();
    v.extend(le32(
        (4 + 8 + fmt_body.len() + extra_chunks.len() + 8 + data.len()) as u32,
    ));
    v.extend(b"WAVEfmt ");
    v.extend(le32(fmt_body.len() as u32));
    v.extend(fmt_body);
    v.extend(extra_chunks);
    v.extend(b"data");
    v.extend(le32(data.len() as u32));
    v.extend(data);
    v
}

fn fmt_body(tag: u16, ch: u16, rate: u32, bits: u16, block: u16) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend(le16(tag));
    f.extend(le16(ch));
    f.extend(le32(rate));
    f.extend(le32(rate * block as u32));
    f.extend(le16(block));
    f.extend(le16(bits));
    f
}

/// Header fields of a canonical WAV (no extra chunks before `data`, 16-byte fmt).
fn wav_fields(fmt_len: usize) -> Vec<(usize, usize)> {
    let data = 20 + fmt_len;
    vec![
        (4, 4),
        (16, 4),
        (20, 2),
        (22, 2),
        (24, 4),
        (28, 4),
        (32, 2),
        (34, 2),
        (data, 4),
        (data + 4, 4),
    ]
}

fn wav_seeds() -> Vec<Seed> {
    let rate = 8000;
    let n = 12_000;
    let pcm: Vec<u8> = sine_i16(n, 37.0)
        .iter()
        .flat_map(|s| s.to_le_bytes())
        .collect();
    let mut out = vec![Seed {
        name: "wav-pcm16".into(),
        ext: "wav",
        bytes: riff(&fmt_body(1, 1, rate, 16, 2), &[], &pcm),
        fields: wav_fields(16),
        floats: None,
    }];
    // 24-bit stereo.
    let p24: Vec<u8> = sine_i16(n, 23.0)
        .iter()
        .flat_map(|s| {
            let v = (*s as i32) << 8;
            let b = v.to_le_bytes();
            [b[0], b[1], b[2], b[0], b[1], b[2]]
        })
        .collect();
    out.push(Seed {
        name: "wav-pcm24-stereo".into(),
        ext: "wav",
        bytes: riff(&fmt_body(1, 2, rate, 24, 6), &[], &p24),
        fields: wav_fields(16),
        floats: None,
    });
    // 8-bit unsigned.
    let p8: Vec<u8> = sine_i16(n, 19.0)
        .iter()
        .map(|s| ((*s >> 8) as i8 as u8) ^ 0x80)
        .collect();
    out.push(Seed {
        name: "wav-pcm8".into(),
        ext: "wav",
        bytes: riff(&fmt_body(1, 1, rate, 8, 1), &[], &p8),
        fields: wav_fields(16),
        floats: None,
    });
    // Float 32 and 64 (with a fact chunk, as float files have).
    let fact = {
        let mut f = b"fact".to_vec();
        f.extend(le32(4));
        f.extend(le32(n as u32));
        f
    };
    let f32s: Vec<u8> = sine_i16(n, 41.0)
        .iter()
        .flat_map(|s| (*s as f32 / 32768.0).to_le_bytes())
        .collect();
    let bytes = riff(&fmt_body(3, 1, rate, 32, 4), &fact, &f32s);
    let start = bytes.len() - f32s.len();
    out.push(Seed {
        name: "wav-float32".into(),
        ext: "wav",
        floats: Some((start, bytes.len(), true)),
        bytes,
        fields: wav_fields(16),
    });
    let f64s: Vec<u8> = sine_i16(n / 2, 41.0)
        .iter()
        .flat_map(|s| (*s as f64 / 32768.0).to_le_bytes())
        .collect();
    out.push(Seed {
        name: "wav-float64".into(),
        ext: "wav",
        bytes: riff(&fmt_body(3, 1, rate, 64, 8), &fact, &f64s),
        fields: wav_fields(16),
        floats: None,
    });
    // A-law and µ-law.
    let g711: Vec<u8> = (0..n).map(|i| (i * 7 % 256) as u8).collect();
    for (tag, name) in [(6u16, "wav-alaw"), (7u16, "wav-mulaw")] {
        // G.711 format chunks carry the (empty) extension size: 18 bytes.
        let mut fmt = fmt_body(tag, 1, rate, 8, 1);
        fmt.extend(le16(0));
        out.push(Seed {
            name: name.into(),
            ext: "wav",
            bytes: riff(&fmt, &fact, &g711),
            fields: wav_fields(18),
            floats: None,
        });
    }
    // IMA ADPCM: 256-byte blocks of 505 samples.
    let mut fmt = fmt_body(0x11, 1, rate, 4, 256);
    fmt.extend(le16(2));
    fmt.extend(le16(505));
    let mut rng = Rng::new(11);
    let mut adpcm = Vec::new();
    for _ in 0..24 {
        adpcm.extend(le16(0));
        adpcm.push((rng.next_u64() % 60) as u8);
        adpcm.push(0);
        adpcm.extend((0..252).map(|_| (rng.next_u64() & 0xff) as u8));
    }
    out.push(Seed {
        name: "wav-ima-adpcm".into(),
        ext: "wav",
        bytes: riff(&fmt, &fact, &adpcm),
        fields: wav_fields(20),
        floats: None,
    });
    // WAVE_FORMAT_EXTENSIBLE, PCM 16 stereo.
    let mut fmt = fmt_body(0xfffe, 2, rate, 16, 4);
    fmt.extend(le16(22));
    fmt.extend(le16(16));
    fmt.extend(le32(3));
    fmt.extend([
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b,
        0x71,
    ]);
    let st: Vec<u8> = sine_i16(n, 29.0)
        .iter()
        .flat_map(|s| [s.to_le_bytes(), (s / 2).to_le_bytes()].concat())
        .collect();
    out.push(Seed {
        name: "wav-extensible".into(),
        ext: "wav",
        bytes: riff(&fmt, &[], &st),
        fields: wav_fields(40),
        floats: None,
    });
    out
}

fn extended(rate: f64) -> [u8; 10] {
    // 80-bit IEEE extended for a positive integer rate.
    let r = rate as u64;
    let shift = r.leading_zeros();
    let mant = r << shift;
    let exp = 16383 + 63 - shift as u16;
    let mut b = [0u8; 10];
    b[..2].copy_from_slice(&exp.to_be_bytes());
    b[2..].copy_from_slice(&mant.to_be_bytes());
    b
}

fn aiff_seeds() -> Vec<Seed> {
    let n = 12_000u32;
    let pcm_be: Vec<u8> = sine_i16(n as usize, 31.0)
        .iter()
        .flat_map(|s| s.to_be_bytes())
        .collect();
    let build = |form: &[u8; 4], comm_extra: &[u8], data: &[u8], bits: u16| {
        let mut comm = Vec::new();
        comm.extend(1u16.to_be_bytes());
        comm.extend(n.to_be_bytes());
        comm.extend(bits.to_be_bytes());
        comm.extend(extended(8000.0));
        comm.extend(comm_extra);
        let mut v = b"FORM".to_vec();
        let total = 4 + 8 + comm.len() + 8 + 8 + data.len();
        v.extend((total as u32).to_be_bytes());
        v.extend(form);
        v.extend(b"COMM");
        v.extend((comm.len() as u32).to_be_bytes());
        v.extend(&comm);
        v.extend(b"SSND");
        v.extend(((8 + data.len()) as u32).to_be_bytes());
        v.extend([0u8; 8]);
        v.extend(data);
        v
    };
    let fields = |comm_len: usize| {
        let ssnd = 20 + comm_len;
        vec![
            (4, 4),
            (16, 4),
            (20, 2),
            (22, 4),
            (26, 2),
            (28, 2),
            (30, 8),
            (ssnd + 4, 4),
            (ssnd + 8, 4),
        ]
    };
    let sowt: Vec<u8> = sine_i16(n as usize, 31.0)
        .iter()
        .flat_map(|s| s.to_le_bytes())
        .collect();
    let fl32: Vec<u8> = sine_i16(n as usize, 17.0)
        .iter()
        .flat_map(|s| (*s as f32 / 32768.0).to_be_bytes())
        .collect();
    let mut sowt_extra = b"sowt".to_vec();
    sowt_extra.extend([4, b'n', b'o', b'n', b'e', 0]);
    let mut fl_extra = b"fl32".to_vec();
    fl_extra.extend([4, b'n', b'o', b'n', b'e', 0]);
    let fl = build(b"AIFC", &fl_extra, &fl32, 32);
    let fl_start = fl.len() - fl32.len();
    vec![
        Seed {
            name: "aiff-pcm16".into(),
            ext: "aiff",
            bytes: build(b"AIFF", &[], &pcm_be, 16),
            fields: fields(18),
            floats: None,
        },
        Seed {
            name: "aifc-sowt".into(),
            ext: "aifc",
            bytes: build(b"AIFC", &sowt_extra, &sowt, 16),
            fields: fields(28),
            floats: None,
        },
        Seed {
            name: "aifc-fl32".into(),
            ext: "aifc",
            floats: Some((fl_start, fl.len(), false)),
            bytes: fl,
            fields: fields(28),
        },
    ]
}

fn au_seeds() -> Vec<Seed> {
    let n = 12_000usize;
    let s = sine_i16(n, 27.0);
    let mut out = Vec::new();
    let encodings: [(u32, &str, Vec<u8>); 7] = [
        (1, "au-mulaw", (0..n).map(|i| (i * 5 % 256) as u8).collect()),
        (27, "au-alaw", (0..n).map(|i| (i * 3 % 256) as u8).collect()),
        (2, "au-pcm8", s.iter().map(|v| (v >> 8) as u8).collect()),
        (
            3,
            "au-pcm16",
            s.iter().flat_map(|v| v.to_be_bytes()).collect(),
        ),
        (
            4,
            "au-pcm24",
            s.iter()
                .flat_map(|v| {
                    let b = ((*v as i32) << 8).to_be_bytes();
                    [b[1], b[2], b[3]]
                })
                .collect(),
        ),
        (
            6,
            "au-float32",
            s.iter()
                .flat_map(|v| (*v as f32 / 32768.0).to_be_bytes())
                .collect(),
        ),
        (
            7,
            "au-float64",
            s.iter()
                .take(n / 2)
                .flat_map(|v| (*v as f64 / 32768.0).to_be_bytes())
                .collect(),
        ),
    ];
    for (code, name, data) in encodings {
        let mut v = b".snd".to_vec();
        for w in [32u32, data.len() as u32, code, 8000, 1, 0, 0] {
            v.extend(w.to_be_bytes());
        }
        v.truncate(32);
        let start = v.len();
        v.extend(&data);
        let len = v.len();
        out.push(Seed {
            name: name.into(),
            ext: "au",
            bytes: v,
            fields: vec![(4, 4), (8, 4), (12, 4), (16, 4), (20, 4)],
            floats: (code == 6).then_some((start, len, false)),
        });
    }
    out
}

/// EBML element: id bytes, size as an 8-byte vint, body.
fn ebml(id: &[u8], body: &[u8]) -> Vec<u8> {
    let mut v = id.to_vec();
    let len = body.len() as u64;
    v.push(0x01);
    v.extend(&len.to_be_bytes()[1..]);
    v.extend(body);
    v
}

/// The MPEG audio frames of an MP3 file (after an ID3v2 tag), with the frame's sample rate.
fn mp3_frames(b: &[u8]) -> (Vec<&[u8]>, u32, u8) {
    let mut at = 0;
    if b.starts_with(b"ID3") && b.len() > 10 {
        let size = b[6..10]
            .iter()
            .fold(0usize, |a, &x| (a << 7) | (x & 0x7f) as usize);
        at = 10 + size;
    }
    let (mut frames, mut rate, mut channels) = (Vec::new(), 0, 2);
    const KBPS1: [u32; 16] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0,
    ];
    const KBPS2: [u32; 16] = [
        0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0,
    ];
    const RATES1: [u32; 4] = [44_100, 48_000, 32_000, 0];
    const RATES2: [u32; 4] = [22_050, 24_000, 16_000, 0];
    while at + 4 <= b.len() {
        let h = &b[at..at + 4];
        // Layer III, MPEG-1 (0xfb/0xfa) or MPEG-2 (0xf3/0xf2).
        let mpeg1 = h[1] & 0xfe == 0xfa;
        if h[0] != 0xff || !(mpeg1 || h[1] & 0xfe == 0xf2) {
            at += 1;
            continue;
        }
        let (kbps, sr) = if mpeg1 {
            (
                KBPS1[(h[2] >> 4) as usize],
                RATES1[((h[2] >> 2) & 3) as usize],
            )
        } else {
            (
                KBPS2[(h[2] >> 4) as usize],
                RATES2[((h[2] >> 2) & 3) as usize],
            )
        };
        if kbps == 0 || sr == 0 {
            at += 1;
            continue;
        }
        let per = if mpeg1 { 144 } else { 72 };
        let len = (per * kbps * 1000 / sr) as usize + ((h[2] >> 1) & 1) as usize;
        if at + len > b.len() {
            break;
        }
        rate = sr;
        channels = if h[3] >> 6 == 3 { 1 } else { 2 };
        frames.push(&b[at..at + len]);
        at += len;
    }
    (frames, rate, channels)
}

/// A Matroska audio file holding the MP3 fixture's frames, one per block.
fn mkv_seeds() -> Vec<Seed> {
    let mp3 = std::fs::read(fixture("tone.mp3")).unwrap();
    let (frames, rate, channels) = mp3_frames(&mp3);
    assert!(frames.len() > 10, "the MP3 fixture parses into frames");
    let header = ebml(
        &[0x1a, 0x45, 0xdf, 0xa3],
        &[
            ebml(&[0x42, 0x82], b"matroska"),
            ebml(&[0x42, 0x87], &[4]),
            ebml(&[0x42, 0x85], &[2]),
        ]
        .concat(),
    );
    let info = ebml(
        &[0x15, 0x49, 0xa9, 0x66],
        &ebml(&[0x2a, 0xd7, 0xb1], &1_000_000u32.to_be_bytes()),
    );
    let audio = ebml(
        &[0xe1],
        &[
            ebml(&[0xb5], &(rate as f64).to_be_bytes()),
            ebml(&[0x9f], &[channels]),
        ]
        .concat(),
    );
    let track = ebml(
        &[0xae],
        &[
            ebml(&[0xd7], &[1]),
            ebml(&[0x73, 0xc5], &[7]),
            ebml(&[0x83], &[2]),
            ebml(&[0x86], b"A_MPEG/L3"),
            audio,
        ]
        .concat(),
    );
    let tracks = ebml(&[0x16, 0x54, 0xae, 0x6b], &track);
    let mut blocks = Vec::new();
    for (k, f) in frames.iter().enumerate() {
        let per_frame = if rate >= 32_000 { 1152 } else { 576 };
        let ms = (k as u64 * per_frame * 1000 / rate as u64) as i16;
        let mut block = vec![0x81];
        block.extend(ms.to_be_bytes());
        block.push(0x80);
        block.extend(*f);
        blocks.push(ebml(&[0xa3], &block));
    }
    let cluster = ebml(
        &[0x1f, 0x43, 0xb6, 0x75],
        &[ebml(&[0xe7], &0u32.to_be_bytes()), blocks.concat()].concat(),
    );
    let segment = ebml(&[0x18, 0x53, 0x80, 0x67], &[info, tracks, cluster].concat());
    let bytes = [header, segment].concat();
    vec![Seed {
        name: "mkv-mp3".into(),
        ext: "mka",
        fields: (0..24).map(|i| (i * 7, 4)).collect(),
        bytes,
        floats: None,
    }]
}

fn fixture_seeds() -> Vec<Seed> {
    let mut out = Vec::new();
    for (file, ext) in [
        ("tone-stereo-44k.flac", "flac"),
        ("tone.mp3", "mp3"),
        ("tone.ogg", "ogg"),
        ("tone.opus", "opus"),
    ] {
        let bytes = std::fs::read(fixture(file)).unwrap();
        // FLAC: STREAMINFO's block sizes, frame sizes, rate/channels/bits/total samples.
        let fields = if ext == "flac" {
            vec![(8, 2), (10, 2), (12, 3), (15, 3), (18, 4), (22, 4), (26, 4)]
        } else {
            (0..24).map(|i| (i * 6, 4)).collect()
        };
        out.push(Seed {
            name: file.into(),
            ext,
            bytes,
            fields,
            floats: None,
        });
    }
    out
}

/// A real AAC `.m4a` from the shared library, made small: its `moov` moved to the front (the
/// chunk offsets adjusted) and only the first 48 KB of `mdat` kept, so it declares minutes
/// and holds seconds: a truncated MP4 whose sample tables are all there to mutate.
fn shared_m4a_seed() -> Option<Seed> {
    let lib = shared_data()?.join("library-sample");
    let path = walkdir::WalkDir::new(&lib)
        .into_iter()
        .filter_map(|e| e.ok())
        .find(|e| e.path().extension().is_some_and(|x| x == "m4a"))?
        .into_path();
    let b = std::fs::read(&path).ok()?;
    let atom = |at: usize| -> Option<(usize, [u8; 4])> {
        let size = u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize;
        Some((size, b.get(at + 4..at + 8)?.try_into().ok()?))
    };
    let (mut at, mut ftyp, mut moov, mut mdat) = (0, None, None, None);
    while let Some((size, kind)) = atom(at) {
        if size < 8 {
            return None;
        }
        match &kind {
            b"ftyp" => ftyp = Some(at..at + size),
            b"moov" => moov = Some(at..at + size),
            b"mdat" => mdat = Some(at..at + size),
            _ => {}
        }
        at += size;
    }
    let (ftyp, moov, mdat) = (ftyp?, moov?, mdat?);
    let keep = (mdat.len() - 8).min(48 * 1024);
    let mut moov_bytes = b[moov.clone()].to_vec();
    let new_mdat_start = ftyp.len() + moov_bytes.len();
    let delta = new_mdat_start as i64 - mdat.start as i64;
    // Shift every stco chunk offset by the move.
    let mut i = 0;
    while i + 8 <= moov_bytes.len() {
        if &moov_bytes[i + 4..i + 8] == b"stco" {
            let count = u32::from_be_bytes(moov_bytes[i + 12..i + 16].try_into().ok()?) as usize;
            for k in 0..count {
                let o = i + 16 + 4 * k;
                let v = u32::from_be_bytes(moov_bytes.get(o..o + 4)?.try_into().ok()?) as i64;
                moov_bytes[o..o + 4].copy_from_slice(&((v + delta) as u32).to_be_bytes());
            }
        }
        i += 1;
    }
    let mut out = b[ftyp.clone()].to_vec();
    out.extend(&moov_bytes);
    out.extend(((keep + 8) as u32).to_be_bytes());
    out.extend(b"mdat");
    out.extend(&b[mdat.start + 8..mdat.start + 8 + keep]);
    let moov_start = ftyp.len();
    // Box sizes and the sample tables' entry counts, plus points spread over `moov`.
    let mut fields: Vec<(usize, usize)> = (0..30)
        .map(|k| (moov_start + 8 + k * moov_bytes.len() / 31, 4))
        .collect();
    for i in 0..moov_bytes.len().saturating_sub(8) {
        let kind = &moov_bytes[i + 4..i + 8];
        let count_at = match kind {
            b"stco" | b"co64" | b"stts" | b"stsc" | b"stss" | b"ctts" => Some(12),
            b"stsz" => Some(16),
            b"esds" | b"mp4a" | b"hdlr" | b"mdhd" | b"trak" | b"stbl" => Some(0),
            _ => None,
        };
        if let Some(c) = count_at {
            fields.push((moov_start + i, 4));
            if c > 0 {
                fields.push((moov_start + i + c, 4));
            }
        }
    }
    Some(Seed {
        name: "shared-aac.m4a".into(),
        ext: "m4a",
        fields,
        bytes: out,
        floats: None,
    })
}

// ---------------------------------------------------------------- mutations

fn mutations(seed: &Seed, rng: &mut Rng) -> Vec<(String, Vec<u8>)> {
    let b = &seed.bytes;
    let len = b.len();
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let pick = |rng: &mut Rng, n: usize| (rng.next_u64() % n.max(1) as u64) as usize;
    // Truncations: tiny, inside the header, and spread over the file.
    let mut cuts: Vec<usize> = vec![
        0, 1, 2, 3, 4, 7, 8, 11, 12, 16, 20, 24, 28, 36, 44, 45, 60, 64,
    ];
    cuts.extend((1..24).map(|k| k * len / 24));
    for c in cuts.into_iter().filter(|&c| c < len) {
        out.push((format!("truncate@{c}"), b[..c].to_vec()));
    }
    // Single flips in the first 256 bytes and anywhere; multi-byte and burst damage.
    for _ in 0..30 {
        let mut m = b.clone();
        let at = pick(rng, len.min(256));
        m[at] ^= 1 << pick(rng, 8);
        out.push((format!("bitflip@{at}"), m));
    }
    for _ in 0..20 {
        let mut m = b.clone();
        let at = pick(rng, len);
        m[at] = rng.next_u64() as u8;
        out.push((format!("byte@{at}"), m));
    }
    for _ in 0..20 {
        let mut m = b.clone();
        for _ in 0..12 {
            let at = pick(rng, len);
            m[at] = rng.next_u64() as u8;
        }
        out.push(("12bytes".into(), m));
    }
    for _ in 0..8 {
        let mut m = b.clone();
        let at = pick(rng, len);
        for x in m.iter_mut().skip(at).take(64) {
            *x = rng.next_u64() as u8;
        }
        out.push((format!("burst@{at}"), m));
    }
    // Header fields at 0, all ones, random, and just past the data.
    for &(off, width) in &seed.fields {
        if off + width > len {
            continue;
        }
        for (label, fill) in [
            ("zero", vec![0u8; width]),
            ("max", vec![0xffu8; width]),
            ("max-1", {
                let mut v = vec![0xffu8; width];
                v[width - 1] = 0x7f;
                v
            }),
            ("one", {
                let mut v = vec![0u8; width];
                v[0] = 1;
                v
            }),
            ("one-be", {
                let mut v = vec![0u8; width];
                v[width - 1] = 1;
                v
            }),
            ("random", (0..width).map(|_| rng.next_u64() as u8).collect()),
            (
                "random2",
                (0..width).map(|_| rng.next_u64() as u8).collect(),
            ),
        ] {
            let mut m = b.clone();
            m[off..off + width].copy_from_slice(&fill);
            out.push((format!("field@{off}={label}"), m));
        }
    }
    // Two fields at once.
    for _ in 0..6 {
        let mut m = b.clone();
        for _ in 0..2 {
            if let Some(&(off, width)) = seed.fields.get(pick(rng, seed.fields.len()))
                && off + width <= len
            {
                for x in &mut m[off..off + width] {
                    *x = rng.next_u64() as u8;
                }
            }
        }
        out.push(("two-fields".into(), m));
    }
    // Garbage around it.
    let garbage: Vec<u8> = (0..4096).map(|_| rng.next_u64() as u8).collect();
    out.push(("garbage-suffix".into(), [b.as_slice(), &garbage].concat()));
    out.push((
        "garbage-prefix".into(),
        [&garbage[..999], b.as_slice()].concat(),
    ));
    out.push(("zeros-suffix".into(), [b.as_slice(), &[0u8; 8192]].concat()));
    // NaN/Inf/huge payloads.
    if let Some((start, end, le)) = seed.floats {
        let word = |v: f32| if le { v.to_le_bytes() } else { v.to_be_bytes() };
        for (label, v) in [
            ("nan", f32::NAN),
            ("inf", f32::INFINITY),
            ("-inf", f32::NEG_INFINITY),
            ("huge", 1e30),
            ("-huge", -3e38),
            ("denormal", 1e-45),
        ] {
            for density in [1usize, 50, 100] {
                let mut m = b.clone();
                let mut i = start + ((end - start) / 4 / 3) * 4;
                let step = 4 * (101 - density.min(100)).max(1);
                while i + 4 <= end {
                    m[i..i + 4].copy_from_slice(&word(v));
                    if density == 1 {
                        break;
                    }
                    i += step;
                }
                out.push((format!("{label}x{density}"), m));
            }
        }
    }
    out
}

// ---------------------------------------------------------------- the test

struct Worst {
    case: String,
    bytes: usize,
}

/// Runs every decoder path on `path`; returns a description of a failed property.
fn exercise(path: &Path) -> Result<(), String> {
    let spec = ClipSpec {
        sample_rate_hz: 16_000,
        clip_secs: 60.0,
        centre_secs: 60.0,
        min_samples: 1000,
    };
    if let Ok(c) = load_clip(path, &spec) {
        if c.samples.len() < spec.min_samples {
            return Err(format!("clip of {} samples", c.samples.len()));
        }
        if let Some(v) = c.samples.iter().find(|v| !v.is_finite()) {
            return Err(format!("clip sample {v}"));
        }
    }
    if let Ok(a) = decode_file(path)
        && let Some(v) = a.samples.iter().find(|v| !v.is_finite())
    {
        return Err(format!("decoded sample {v}"));
    }
    if let Ok(mut src) = TrackSource::open(path) {
        let _ = src.total_duration();
        let mut n = 0usize;
        for v in src.by_ref().take(400_000) {
            if !v.is_finite() {
                return Err(format!("played sample {v}"));
            }
            n += 1;
        }
        let _ = src.try_seek(Duration::from_millis(300));
        for v in src.take(20_000) {
            if !v.is_finite() {
                return Err(format!("played sample {v} after a seek"));
            }
        }
        let _ = n;
    }
    Ok(())
}

#[test]
fn every_decoder_path_survives_thousands_of_hostile_files() {
    let _turn = serial();
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let mut seeds = Vec::new();
    seeds.extend(wav_seeds());
    seeds.extend(aiff_seeds());
    seeds.extend(au_seeds());
    seeds.extend(mkv_seeds());
    seeds.extend(fixture_seeds());
    match shared_m4a_seed() {
        Some(s) => seeds.push(s),
        None => crate::common::skipped("the AAC/MP4 seed (no .m4a in ../shared/data)"),
    }
    // Every seed decodes as it is (so the mutations start from working files).
    for s in &seeds {
        let p = dir.path().join(format!("seed-{}.{}", s.name, s.ext));
        std::fs::write(&p, &s.bytes).unwrap();
        let spec = ClipSpec {
            sample_rate_hz: 16_000,
            clip_secs: 60.0,
            centre_secs: 60.0,
            min_samples: 1000,
        };
        let c = load_clip(&p, &spec).unwrap_or_else(|e| panic!("seed {}: {e}", s.name));
        assert!(
            c.partial().is_none() || s.name.contains("m4a"),
            "seed {}: {:?}",
            s.name,
            c.partial()
        );
    }
    let panics_before = caught_panics();
    let mut rng = mutation_rng();
    let mut cases = 0usize;
    let mut failures: Vec<String> = Vec::new();
    let mut worst = Worst {
        case: String::new(),
        bytes: 0,
    };
    let mut ok_clips = 0usize;
    let mut contained: std::collections::BTreeMap<String, usize> = Default::default();
    for seed in &seeds {
        for (i, (what, bytes)) in mutations(seed, &mut rng).into_iter().enumerate() {
            let case = format!("{} {what}", seed.name);
            let p = dir.path().join(format!("m{i}.{}", seed.ext));
            std::fs::write(&p, &bytes).unwrap();
            if let Some(d) = std::env::var_os("MUTATION_TRACE") {
                // The case about to run, for a crash that kills the process (an abort).
                std::fs::create_dir_all(&d).unwrap();
                std::fs::write(Path::new(&d).join(format!("current.{}", seed.ext)), &bytes)
                    .unwrap();
                std::fs::write(Path::new(&d).join("current.txt"), &case).unwrap();
            }
            let base = LIVE.load(Ordering::SeqCst);
            PEAK.store(base, Ordering::SeqCst);
            HUGE_SEEN.store(0, Ordering::SeqCst);
            let panics = caught_panics();
            let r = std::panic::catch_unwind(|| exercise(&p));
            let grew = PEAK.load(Ordering::SeqCst).saturating_sub(base);
            if grew > worst.bytes {
                worst = Worst {
                    case: case.clone(),
                    bytes: grew,
                };
            }
            if std::env::var_os("MUTATION_DUMP").is_some()
                && (caught_panics() > panics || !matches!(r, Ok(Ok(()))))
            {
                let d = Path::new(&std::env::var_os("MUTATION_DUMP").unwrap()).to_path_buf();
                std::fs::create_dir_all(&d).unwrap();
                let name = case.replace(['/', ' ', '@', '='], "_");
                std::fs::write(d.join(format!("{name}.{}", seed.ext)), &bytes).unwrap();
            }
            match r {
                Ok(Ok(())) => {}
                Ok(Err(why)) => failures.push(format!("{case}: {why}")),
                Err(_) => failures.push(format!("{case}: panicked")),
            }
            if caught_panics() > panics {
                // Contained by the decode layer's last line of defence: allowed only for the
                // few known bugs inside symphonia's own readers and decoders (listed below),
                // never for genreplay's code.
                let msg = last_caught_panic().unwrap_or_default();
                let site = msg
                    .split_once("/src/index.crates.io-")
                    .and_then(|(_, rest)| rest.split_once('/'))
                    .map(|(_, file)| file.split(':').take(2).collect::<Vec<_>>().join(":"))
                    .unwrap_or_else(|| msg.clone());
                if site.starts_with("symphonia-") {
                    *contained.entry(site).or_insert(0) += 1;
                } else {
                    failures.push(format!("{case}: a panic in genreplay's own code: {msg}"));
                }
            }
            if grew > ALLOC_BOUND {
                failures.push(format!("{case}: {} MB allocated at once", grew >> 20));
            }
            let huge = HUGE_SEEN.load(Ordering::SeqCst);
            if huge > 0 {
                failures.push(format!(
                    "{case}: tried to allocate {} MB in one go",
                    huge >> 20
                ));
            }
            if load_clip(
                &p,
                &ClipSpec {
                    sample_rate_hz: 16_000,
                    clip_secs: 1.0,
                    centre_secs: 0.5,
                    min_samples: 100,
                },
            )
            .is_ok()
            {
                ok_clips += 1;
            }
            cases += 1;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{cases} hostile files from {} seeds in {secs:.1} s: {ok_clips} still gave a clip, the rest an error; \
         largest allocation growth {:.1} MB ({}); {} panics caught inside the decode layer",
        seeds.len(),
        worst.bytes as f64 / 1e6,
        worst.case,
        caught_panics() - panics_before
    );
    for (site, n) in &contained {
        println!("  contained panic inside symphonia ({n}x): {site}");
    }
    // Rare: a handful of thousands, each a symphonia bug the decode layer turns into an error.
    assert!(
        contained.values().sum::<usize>() * 100 < cases,
        "too many contained panics: {contained:?}"
    );
    assert!(cases >= 2000, "only {cases} cases");
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------- text formats

/// Runs `f` and returns what it returned and how far this thread's live heap grew meanwhile.
fn measured_here<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = T_LIVE.with(|l| l.get());
    T_PEAK.with(|p| p.set(base));
    let r = f();
    let peak = T_PEAK.with(|p| p.get());
    (r, (peak - base).max(0) as usize)
}

fn text_seed(name: &str, ext: &'static str, text: &[u8]) -> Seed {
    Seed {
        name: name.into(),
        ext,
        bytes: text.to_vec(),
        fields: vec![],
        floats: None,
    }
}

/// Mutations of a text file beyond the byte damage of [`mutations`]: what a hostile or broken
/// text holds (every line repeated to the entry cap and past it, one huge line, deep nesting,
/// NUL bytes, invalid UTF-8, absurd numbers, escapes).
fn text_mutations(seed: &Seed, rng: &mut Rng) -> Vec<(String, Vec<u8>)> {
    let b = &seed.bytes;
    let mut out = mutations(seed, rng);
    let lines: Vec<&[u8]> = b.split(|&c| c == b'\n').collect();
    let pick = |rng: &mut Rng, n: usize| (rng.next_u64() % n.max(1) as u64) as usize;
    for _ in 0..6 {
        let l = lines[pick(rng, lines.len())];
        let mut m = b.clone();
        for _ in 0..(20_000 / (l.len() + 1)).max(1) {
            m.extend_from_slice(l);
            m.push(b'\n');
        }
        out.push(("line-repeated".into(), m));
    }
    // Past the playlist entry cap: 100,001 and more entries.
    out.push(("over-the-cap".into(), b"x.mp3\n".repeat(100_050)));
    out.push((
        "pls-over-the-cap".into(),
        (1..=100_050)
            .flat_map(|i| format!("File{i}=/m/{i}.mp3\n").into_bytes())
            .collect(),
    ));
    out.push(("one-long-line".into(), vec![b'a'; 2 << 20]));
    out.push(("deep-arrays".into(), {
        let mut m = b"volume = ".to_vec();
        m.extend(std::iter::repeat_n(b'[', 50_000));
        m
    }));
    out.push(("deep-tables".into(), {
        let mut m = b"x = ".to_vec();
        m.extend(std::iter::repeat_n(b"{a=".as_slice(), 20_000).flatten());
        m
    }));
    out.push(("dotted-keys".into(), {
        let mut m = vec![b'k'];
        m.extend(std::iter::repeat_n(b".k".as_slice(), 50_000).flatten());
        m.extend_from_slice(b" = 1\n");
        m
    }));
    for (label, ins) in [
        ("nul", b"\0\0\0".to_vec()),
        ("bad-utf8", b"\xff\xfe\xc3".to_vec()),
        ("crlf", b"\r\n\r\n".to_vec()),
        ("escapes", "\u{1b}]52;c;aGk=\u{7}\u{202e}\u{9b}".as_bytes().to_vec()),
        ("huge-number", b"\nvolume = 99999999999999999999999\nanalysis_threads = 18446744073709551615\nqueue_fill = -1\n".to_vec()),
        ("uri", b"\nfile://%00/%ZZ%\nfile:///%2e%2e/%2F\nfile://host/x\n".to_vec()),
        ("extinf", b"\n#EXTINF:1e308,A - B\n#EXTINF:-5,\n#EXTINF:NaN\n#EXTINF\n".to_vec()),
        ("pls-keys", b"\nFile0=\nFile4294967295=/x\nFile99999999999=/y\nTitle-1=z\nLength2=-9\n".to_vec()),
    ] {
        let mut m = b.clone();
        let at = pick(rng, m.len() + 1);
        m.splice(at..at, ins);
        out.push((format!("insert-{label}@{at}"), m));
    }
    out
}

/// A playlist through every path that reads or writes one; the properties that must hold.
fn exercise_playlist(path: &Path, out_dir: &Path) -> Result<(), String> {
    use genreplay::playlist::format::MAX_ENTRIES;
    use genreplay::playlist::{Edit, PlaylistDir, PlaylistFile, read_playlist};
    let _ = read_playlist(path);
    let Ok(file) = PlaylistFile::read(path) else {
        return Ok(());
    };
    let tracks = file.tracks();
    if tracks.len() > MAX_ENTRIES {
        return Err(format!("{} tracks kept", tracks.len()));
    }
    let base = path.parent().unwrap();
    let pls = path.extension().is_some_and(|e| e == "pls");
    let reread = |f: &PlaylistFile| PlaylistFile::parse(&f.to_bytes(), base, pls).tracks();
    if !file.truncated {
        if reread(&file) != tracks {
            return Err("written back unedited, it reads differently".into());
        }
        if let Some(first) = tracks.first() {
            let mut f = file.clone();
            f.apply(
                &Edit::Remove {
                    track: 0,
                    path: first.clone(),
                },
                path,
            )
            .map_err(|e| format!("remove: {e}"))?;
            if reread(&f) != tracks[1..] {
                return Err("a removal changed other entries".into());
            }
        }
        if tracks.len() >= 2 {
            let mut f = file.clone();
            let last = tracks.len() - 1;
            f.apply(
                &Edit::Move {
                    from: last,
                    to: last - 1,
                    path: tracks[last].clone(),
                },
                path,
            )
            .map_err(|e| format!("move: {e}"))?;
            let mut want = tracks.clone();
            want.swap(last, last - 1);
            if reread(&f) != want {
                return Err("a move changed other entries".into());
            }
        }
    }
    // Imported (every entry "plays" here): written as M3U8 and read back the same.
    let dir = PlaylistDir::new(out_dir);
    if let Ok(got) = dir.import(path, Some("imported"), &|_: &Path| true) {
        let back = read_playlist(&got.playlist.path).map_err(|e| format!("reimport: {e}"))?;
        if back != got.playlist.tracks {
            return Err(format!(
                "an import reads back differently: {} vs {} entries",
                back.len(),
                got.playlist.tracks.len()
            ));
        }
        let _ = std::fs::remove_file(&got.playlist.path);
    }
    Ok(())
}

/// Random text of the characters that make trouble, with ordinary ones between.
fn random_text(rng: &mut Rng, len: usize) -> String {
    const POOL: &[char] = &[
        'a', 'Z', ' ', '/', '\\', '%', '#', '=', '[', ']', '"', '\'', ',', '-', ':', '\n', '\r',
        '\t', '\0', '\u{1b}', '\u{7}', '\u{7f}', '\u{85}', '\u{9b}', '\u{9c}', '\u{202e}',
        '\u{2066}', '\u{200f}', '\u{61c}', '\u{2028}', 'é', '—', '😀', '\u{feff}', '\u{fffd}',
    ];
    (0..len)
        .map(|_| POOL[(rng.next_u64() % POOL.len() as u64) as usize])
        .collect()
}

fn bad_for_terminal(s: &str, keep_lines: bool) -> Option<char> {
    s.chars().find(|&c| {
        !(keep_lines && (c == '\n' || c == '\t'))
            && (c.is_control() || genreplay::util::text::is_layout_control(c))
    })
}

#[test]
fn playlists_settings_and_escapes_survive_thousands_of_hostile_texts() {
    let _turn = serial();
    use genreplay::config::Settings;
    use genreplay::util::text::{TerminalFilter, escape, escape_lines};
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let rng_seed = std::env::var("MUTATION_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2024);
    let mut rng = Rng::new(rng_seed);
    let mut failures: Vec<String> = Vec::new();
    let mut cases = 0usize;
    let mut worst = Worst {
        case: String::new(),
        bytes: 0,
    };
    let mut check = |case: String,
                     r: std::thread::Result<Result<(), String>>,
                     grew: usize,
                     failures: &mut Vec<String>| {
        match r {
            Ok(Ok(())) => {}
            Ok(Err(why)) => failures.push(format!("{case}: {why}")),
            Err(_) => failures.push(format!("{case}: panicked")),
        }
        if grew > ALLOC_BOUND {
            failures.push(format!("{case}: {} MB allocated at once", grew >> 20));
        }
        if grew > worst.bytes {
            worst = Worst {
                case: case.clone(),
                bytes: grew,
            };
        }
    };
    HUGE_SEEN.store(0, Ordering::SeqCst);

    // Playlists: M3U (extended, with a BOM and CRLF, relative paths, URIs), PLS.
    let m3u = "\u{feff}#EXTM3U\r\n#PLAYLIST:Mix\r\n#EXTINF:61,Beta - Rain\r\nBeta/01 Rain.flac\r\n\
               # mine\r\n/abs/x y.mp3\r\nfile:///music/a%20b%0Ac.ogg\r\nhttp://radio/stream\r\n\
               #EXTINF:-1,Gamma\r\n#EXTGRP:g\r\nfile://localhost/m/%FF.wav\r\n../up/z.opus\r\n";
    let pls = "[playlist]\nFile1=/m/a.mp3\nTitle1=A\nLength1=61\nFile3=rel/c.ogg\nFile2=http://s\n\
               Title2=Stream\nNumberOfEntries=3\nVersion=2\n";
    let playlist_seeds = [
        text_seed("m3u8", "m3u8", m3u.as_bytes()),
        text_seed("m3u", "m3u", m3u.replace("\r\n", "\n").as_bytes()),
        text_seed("pls", "pls", pls.as_bytes()),
    ];
    let imports = dir.path().join("imported");
    let mut n_playlists = 0;
    for seed in &playlist_seeds {
        let mut all = text_mutations(seed, &mut rng);
        // Generated ones: random lines of entries, directives and junk.
        for k in 0..400 {
            let n = 1 + (rng.next_u64() % 40) as usize;
            let mut t = String::new();
            for _ in 0..n {
                let len = (rng.next_u64() % 30) as usize;
                match rng.next_u64() % 5 {
                    0 => t.push_str(&format!(
                        "#EXTINF:{},{}",
                        rng.next_u64() % 999,
                        random_text(&mut rng, len)
                    )),
                    1 => t.push_str(&format!(
                        "File{}={}",
                        rng.next_u64() % 9,
                        random_text(&mut rng, len)
                    )),
                    2 => t.push_str(&format!("file://{}", random_text(&mut rng, len))),
                    _ => t.push_str(&random_text(&mut rng, len)),
                }
                t.push('\n');
            }
            all.push((format!("generated{k}"), t.into_bytes()));
        }
        for (i, (what, bytes)) in all.into_iter().enumerate() {
            let case = format!("playlist {} {what}", seed.name);
            let p = dir.path().join(format!("list{i}.{}", seed.ext));
            std::fs::write(&p, &bytes).unwrap();
            let (r, grew) =
                measured_here(|| std::panic::catch_unwind(|| exercise_playlist(&p, &imports)));
            // A failing case shows its start, to be made again.
            let r = r.map(|r| {
                r.map_err(|why| {
                    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(400)]);
                    format!("{why}; the file begins {head:?}")
                })
            });
            check(case, r, grew, &mut failures);
            cases += 1;
            n_playlists += 1;
        }
    }

    // Settings: config.toml, keymap.toml and a theme, each read as the player reads them.
    let settings_seeds = [
        (
            "config.toml",
            text_seed(
                "config",
                "toml",
                genreplay::config::DEFAULT_CONFIG.as_bytes(),
            ),
        ),
        (
            "keymap.toml",
            text_seed(
                "keymap",
                "toml",
                genreplay::keys::keymap::DEFAULT_KEYMAP.as_bytes(),
            ),
        ),
        (
            "themes/t.toml",
            text_seed("theme", "toml", include_bytes!("../../themes/dark.toml")),
        ),
    ];
    let cfg = dir.path().join("config");
    std::fs::create_dir_all(cfg.join("themes")).unwrap();
    let mut n_settings = 0;
    for (file, seed) in &settings_seeds {
        let mut all = text_mutations(seed, &mut rng);
        for k in 0..300 {
            let len = (rng.next_u64() % 200) as usize;
            all.push((
                format!("generated{k}"),
                random_text(&mut rng, len).into_bytes(),
            ));
        }
        for (what, bytes) in all {
            let case = format!("settings {file} {what}");
            std::fs::write(cfg.join(file), &bytes).unwrap();
            let (r, grew) = measured_here(|| {
                std::panic::catch_unwind(|| {
                    let s = Settings::load(&cfg);
                    match s.errors.iter().find(|e| !e.file.starts_with(&cfg)) {
                        Some(e) => Err(format!("an error names another file: {e}")),
                        None => Ok(()),
                    }
                })
            });
            check(case, r, grew, &mut failures);
            cases += 1;
            n_settings += 1;
        }
        let _ = std::fs::remove_file(cfg.join(file));
    }

    // Tags and names on their way to a terminal.
    let mut n_text = 0;
    for k in 0..3000 {
        let len = (rng.next_u64() % 120) as usize;
        let s = random_text(&mut rng, len);
        let (r, grew) = measured_here(|| {
            std::panic::catch_unwind(|| {
                if let Some(c) = bad_for_terminal(&escape(&s), false) {
                    return Err(format!("escape let {c:?} through"));
                }
                if let Some(c) = bad_for_terminal(&escape_lines(&s), true) {
                    return Err(format!("escape_lines let {c:?} through"));
                }
                // The byte stream filter, cut anywhere, on text and on raw bytes.
                let mut bytes = s.clone().into_bytes();
                if k % 3 == 0 {
                    let at = k % (bytes.len() + 1);
                    bytes.insert(at, 0xff);
                }
                let cut = k % (bytes.len() + 1);
                let mut f = TerminalFilter::default();
                let mut out = f.filter(&bytes[..cut]);
                out.extend(f.filter(&bytes[cut..]));
                out.extend(f.finish());
                let shown = String::from_utf8_lossy(&out);
                if let Some(c) = bad_for_terminal(&shown, true) {
                    return Err(format!("the stream filter let {c:?} through"));
                }
                Ok(())
            })
        });
        check(format!("text {k} {s:?}"), r, grew, &mut failures);
        cases += 1;
        n_text += 1;
    }

    let huge = HUGE_SEEN.load(Ordering::SeqCst);
    println!(
        "{cases} hostile texts ({n_playlists} playlists, {n_settings} settings files, {n_text} \
         tags/names) in {:.1} s; largest allocation growth {:.1} MB ({})",
        t0.elapsed().as_secs_f64(),
        worst.bytes as f64 / 1e6,
        worst.case
    );
    assert!(cases >= 3000, "only {cases} cases");
    assert_eq!(huge, 0, "a single allocation of {} MB", huge >> 20);
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
