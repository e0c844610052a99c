//! The augmented examples: each a deterministic function of the seed and its index.

use rand::{Rng, SeedableRng};

use crate::features::{Frontend, LogCompression, Stft};
use crate::model::musicnn::{MUSICNN_FRAMES, MUSICNN_MELS};

use super::options::*;
use super::sources::Source;

/// The augmentation of one example (drawn from its own seeded generator).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Augment {
    pub(super) source: usize,
    /// First output frame's position in the source, in frames.
    pub(super) start_frame: usize,
    /// Source frames per output frame (> 1 = faster).
    pub(super) tempo: f64,
    /// Spectrum scale factor (> 1 = higher).
    pub(super) pitch: f64,
    pub(super) gain_db: f32,
    /// EQ: tilt in dB per octave around 1 kHz, and (centre Hz, width octaves, gain dB) peaks.
    pub(super) tilt_db_per_octave: f32,
    pub(super) peaks: Vec<(f32, f32, f32)>,
    /// A second source mixed in: (source, start frame, gain dB).
    pub(super) mix: Option<(usize, usize, f32)>,
    /// Noise: (SNR dB, brown instead of white).
    pub(super) noise: Option<(f32, bool)>,
    pub(super) noise_seed: u64,
}

pub(super) fn pick_source(sources: &[Source], pool: &[Vec<usize>], rng: &mut impl Rng) -> usize {
    // A folder uniformly, then a file weighted by length: every folder counts the same however
    // long its files are.
    let g = &pool[rng.random_range(0..pool.len())];
    let total: usize = g.iter().map(|&i| sources[i].audio.len()).sum();
    let mut r = rng.random_range(0..total.max(1));
    for &i in g {
        let n = sources[i].audio.len();
        if r < n {
            return i;
        }
        r -= n;
    }
    g[g.len() - 1]
}

pub(super) fn draw_augment(
    sources: &[Source],
    pool: &[Vec<usize>],
    seed: u64,
    index: usize,
) -> Augment {
    let mut rng = rand::rngs::StdRng::seed_from_u64(
        seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(index as u64),
    );
    let source = pick_source(sources, pool, &mut rng);
    let tempo = if rng.random_bool(0.5) {
        rng.random_range(0.8f64.ln()..1.25f64.ln()).exp()
    } else {
        1.0
    };
    let pitch = if rng.random_bool(0.5) {
        2f64.powf(rng.random_range(-3.0..3.0) / 12.0)
    } else {
        1.0
    };
    let frames_of = |s: &Source| s.audio.len() / HOP;
    let need = (MUSICNN_FRAMES as f64 * tempo).ceil() as usize + 2;
    let start_in = |s: &Source, rng: &mut rand::rngs::StdRng| {
        rng.random_range(0..=frames_of(s).saturating_sub(need))
    };
    let start_frame = start_in(&sources[source], &mut rng);
    let gain_db = if rng.random_bool(0.7) {
        rng.random_range(-12.0..6.0)
    } else {
        0.0
    };
    let (tilt, peaks) = if rng.random_bool(0.5) {
        let tilt = rng.random_range(-2.0..2.0);
        let peaks = (0..2)
            .map(|_| {
                (
                    rng.random_range(80f32.ln()..6000f32.ln()).exp(),
                    rng.random_range(0.5..2.0),
                    rng.random_range(-9.0..9.0),
                )
            })
            .collect();
        (tilt, peaks)
    } else {
        (0.0, vec![])
    };
    let mix = if sources.len() > 1 && rng.random_bool(0.3) {
        let mut other = pick_source(sources, pool, &mut rng);
        if other == source {
            other = (other + 1 + rng.random_range(0..sources.len() - 1)) % sources.len();
        }
        // Only training sources are mixed in.
        if sources[other].holdout {
            None
        } else {
            let st = start_in(&sources[other], &mut rng);
            Some((other, st, rng.random_range(-15.0..-3.0)))
        }
    } else {
        None
    };
    let noise = rng
        .random_bool(0.3)
        .then(|| (rng.random_range(10.0..40.0), rng.random_bool(0.5)));
    Augment {
        source,
        start_frame,
        tempo,
        pitch,
        gain_db,
        tilt_db_per_octave: tilt,
        peaks,
        mix,
        noise,
        noise_seed: rng.random(),
    }
}

/// Samples covering source frames `[f0, f0 + n)` and one frame either side (zeros outside the
/// audio), so that frame `t + 1` of the chunk's centred STFT is source frame `f0 + t`.
pub(super) fn chunk(audio: &[f32], f0: usize, n: usize) -> Vec<f32> {
    let start = (f0 * HOP) as isize - HOP as isize;
    let len = (n + 1) * HOP;
    (0..len as isize)
        .map(|i| {
            let j = start + i;
            if j >= 0 && (j as usize) < audio.len() {
                audio[j as usize]
            } else {
                0.0
            }
        })
        .collect()
}

pub(super) fn power_db_gain(db: f32) -> f32 {
    10f32.powf(db / 10.0)
}

/// Renders one augmented log-mel patch (`187 × 96`, row-major).
pub(super) fn render(
    sources: &[Source],
    a: &Augment,
    stft: &Stft,
    frontend: &Frontend,
) -> Vec<f32> {
    let n_src = (MUSICNN_FRAMES as f64 * a.tempo).ceil() as usize + 2;
    let mut x = chunk(&sources[a.source].audio, a.start_frame, n_src);
    let amp = |db: f32| 10f32.powf(db / 20.0);
    if let Some((other, st, db)) = a.mix {
        let y = chunk(&sources[other].audio, st, n_src);
        let g = amp(db);
        for (xi, yi) in x.iter_mut().zip(&y) {
            *xi += g * yi;
        }
    }
    if let Some((snr_db, brown)) = a.noise {
        let rms = (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt();
        let mut rng = rand::rngs::StdRng::seed_from_u64(a.noise_seed);
        let mut noise: Vec<f32> = (0..x.len())
            .map(|_| rng.random_range(-1.0f32..1.0))
            .collect();
        if brown {
            let mut acc = 0.0f32;
            for v in noise.iter_mut() {
                acc = 0.98 * acc + *v;
                *v = acc;
            }
        }
        let nrms = (noise.iter().map(|v| v * v).sum::<f32>() / noise.len().max(1) as f32)
            .sqrt()
            .max(1e-9);
        let g = rms.max(1e-4) / nrms * amp(-snr_db);
        for (xi, ni) in x.iter_mut().zip(&noise) {
            *xi += g * ni;
        }
    }
    let gain = amp(a.gain_db);
    for v in x.iter_mut() {
        *v *= gain;
    }
    let spec = stft.power(&x);
    let bins = spec.bins;
    // Per-bin EQ gain (power).
    let nyquist = SR as f32 / 2.0;
    let eq: Vec<f32> = (0..bins)
        .map(|k| {
            let f = (k as f32 * nyquist / (bins - 1) as f32).max(20.0);
            let oct = (f / 1000.0).log2();
            let mut db = a.tilt_db_per_octave * oct;
            for &(c, w, g) in &a.peaks {
                let d = (f / c).log2() / w;
                db += g * (-0.5 * d * d).exp();
            }
            power_db_gain(db)
        })
        .collect();
    let fb = frontend.filterbank();
    let log: LogCompression = frontend.config().log;
    let mut frame = vec![0.0f32; bins];
    let mut mel = vec![0.0f32; MUSICNN_MELS];
    let mut out = Vec::with_capacity(PATCH);
    for j in 0..MUSICNN_FRAMES {
        // Tempo: interpolate between source frames (chunk frame 1 = source frame f0).
        let pos = 1.0 + j as f64 * a.tempo;
        let i0 = (pos.floor() as usize).min(spec.frames - 1);
        let i1 = (i0 + 1).min(spec.frames - 1);
        let w = (pos - i0 as f64) as f32;
        let (r0, r1) = (spec.frame(i0), spec.frame(i1));
        for k in 0..bins {
            // Pitch: bin k reads the source at k / pitch.
            let sp = k as f64 / a.pitch;
            let b0 = sp.floor() as usize;
            let v = if b0 + 1 < bins {
                let wb = (sp - b0 as f64) as f32;
                let at = |r: &[f32]| (1.0 - wb) * r[b0] + wb * r[b0 + 1];
                (1.0 - w) * at(r0) + w * at(r1)
            } else if b0 < bins {
                (1.0 - w) * r0[b0] + w * r1[b0]
            } else {
                0.0
            };
            frame[k] = v * eq[k];
        }
        fb.apply_frame(&frame, &mut mel);
        out.extend(mel.iter().map(|&m| log.apply(m)));
    }
    out
}
