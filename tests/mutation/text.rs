//! Mutations of text inputs (LRC, JSON): truncated, bytes flipped and replaced, tokens of the
//! format inserted where they do not belong, ranges deleted or repeated thousands of times,
//! garbage spliced in; and for JSON, a list of the seed grown past its bound.

use crate::common::Rng;

/// At most this large a mutated text (the readers' own bounds are around 1 MB).
const MAX_TEXT: usize = 2 << 20;

fn pick(rng: &mut Rng, n: usize) -> usize {
    (rng.next_u64() % n.max(1) as u64) as usize
}

/// Mutations of `seed`, with `tokens` (pieces of its format) inserted and repeated.
pub fn mutations(seed: &[u8], tokens: &[&str], rng: &mut Rng) -> Vec<(String, Vec<u8>)> {
    let len = seed.len();
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for k in 0..16 {
        let c = k * len / 16 + pick(rng, len / 16 + 1);
        out.push((format!("truncate@{c}"), seed[..c.min(len)].to_vec()));
    }
    for _ in 0..30 {
        let mut m = seed.to_vec();
        let at = pick(rng, len);
        m[at] ^= 1 << pick(rng, 8);
        out.push((format!("bitflip@{at}"), m));
    }
    let specials = [
        0u8, 0xff, 0xc3, 0x80, b'\n', b'\r', 0x1b, b'"', b'\\', b'[', b']', b':',
    ];
    for _ in 0..30 {
        let mut m = seed.to_vec();
        let at = pick(rng, len);
        m[at] = if rng.next_u64().is_multiple_of(2) {
            specials[pick(rng, specials.len())]
        } else {
            rng.next_u64() as u8
        };
        out.push((format!("byte@{at}"), m));
    }
    for _ in 0..60 {
        let mut m = seed.to_vec();
        let at = pick(rng, len + 1);
        let t = tokens[pick(rng, tokens.len())];
        m.splice(at..at, t.bytes());
        out.push((format!("insert {t:?}@{at}"), m));
    }
    for _ in 0..10 {
        let a = pick(rng, len);
        let b = (a + 1 + pick(rng, 200)).min(len);
        let mut m = seed.to_vec();
        m.drain(a..b);
        out.push((format!("delete {a}..{b}"), m));
    }
    // A range (or a token) repeated: many lines, many stamps, deep nesting, long strings.
    for times in [10usize, 300, 5_000, 60_000] {
        for _ in 0..3 {
            let a = pick(rng, len);
            let b = (a + 1 + pick(rng, 40)).min(len);
            let piece: Vec<u8> = if rng.next_u64().is_multiple_of(2) {
                seed[a..b].to_vec()
            } else {
                tokens[pick(rng, tokens.len())].as_bytes().to_vec()
            };
            let n = times.min(MAX_TEXT / piece.len().max(1));
            let mut m = seed[..a].to_vec();
            for _ in 0..n {
                m.extend_from_slice(&piece);
            }
            m.extend_from_slice(&seed[a..]);
            out.push((format!("repeat {}x{n}@{a}", piece.len()), m));
        }
    }
    let garbage: Vec<u8> = (0..4096).map(|_| rng.next_u64() as u8).collect();
    let at = pick(rng, len);
    out.push((
        "garbage-in".into(),
        [&seed[..at], &garbage, &seed[at..]].concat(),
    ));
    out.push(("garbage-only".into(), garbage));
    out.push(("empty".into(), Vec::new()));
    out.push(("one-MB-of-one-byte".into(), vec![b'['; 1 << 20]));
    out
}

/// Pieces of JSON that mean trouble where a value goes.
pub const JSON_TOKENS: &[&str] = &[
    "-1",
    "1e308",
    "-1e308",
    "18446744073709551616",
    "1.5",
    "NaN",
    "null",
    "true",
    "[]",
    "{}",
    "\"\"",
    "\"\\u0000\\u001b[?1049l\"",
    "\"\\ud800\"",
    "[[[[[[[[[[",
    "]]]]]",
    "{\"a\":",
    ",",
    ":",
    "\"",
    "\\",
];

/// `seed` (JSON) with the list at `pointer` (a JSON pointer) grown to `n` items by repeating
/// its first one; `None` when the seed has no such list.
pub fn grown(seed: &str, pointer: &str, n: usize) -> Option<Vec<u8>> {
    let mut v: serde_json::Value = serde_json::from_str(seed).ok()?;
    let list = v.pointer_mut(pointer)?.as_array_mut()?;
    let first = list.first()?.clone();
    list.resize(n, first);
    serde_json::to_vec(&v).ok()
}

/// `seed` (JSON) with the value at `pointer` replaced by `with` (JSON text).
pub fn replaced(seed: &str, pointer: &str, with: &str) -> Option<Vec<u8>> {
    let mut v: serde_json::Value = serde_json::from_str(seed).ok()?;
    *v.pointer_mut(pointer)? = serde_json::from_str(with).ok()?;
    serde_json::to_vec(&v).ok()
}
