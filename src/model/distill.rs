//! Distilling the `MSD_musicnn` trunk into a small [`StudentTrunk`]: the teacher labels log-mel
//! patches of unlabelled audio with its 200-d penultimate embedding and 50 tag logits, and the
//! student learns to reproduce both. No genre labels are used anywhere in this file.
//!
//! The patches are (1) every patch the analysis itself would cut from each file (the ≤ 20
//! patches of the 60 s clip, exactly as [`crate::model::infer`] cuts them), (2) every other
//! non-overlapping 3 s patch of files longer than the clip, and (3) `examples` augmented patches
//! at random positions: tempo change (spectrogram frames stretched, pitch kept), pitch shift
//! (spectrum rescaled in frequency, tempo kept), EQ (a tilt and two peaks), gain, a second file
//! mixed in, added noise. Each augmented patch is a deterministic function of the seed and its
//! index, so a run is reproducible, and the teacher's labels are cached in parts on disk, so an
//! interrupted run resumes where it stopped.
//!
//! One file on purpose: the teacher cache, the augmentation and the training loop share one
//! patch format and change together; split, each part would be meaningless alone.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use burn::optim::{AdamWConfig, GradientsParams};
use burn::prelude::*;
use half::f16;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::backend::{inference_device, training_device};
use super::error::{NetError, WeightsError};
use super::head::{MUSICNN_WEIGHTS, shared_fast_trunk};
use super::musicnn::SafetensorsF32;
use super::musicnn::{MUSICNN_FRAMES, MUSICNN_MELS, MUSICNN_N_TAGS, MUSICNN_PENULTIMATE};
use super::student::{StudentConfig, StudentTrunk};
use crate::audio::clip::{ClipSpec, load_clip, repeat_pad};
use crate::audio::decode::{AudioError, decode_file};
use crate::audio::is_audio_path;
use crate::audio::resample::resample_mono;
use crate::features::segment::segment;
use crate::features::{Frontend, FrontendConfig, LogCompression, Stft};

/// Values the teacher gives per patch: the penultimate embedding, then the tag logits.
pub const TARGETS: usize = MUSICNN_PENULTIMATE + MUSICNN_N_TAGS;
const PATCH: usize = MUSICNN_FRAMES * MUSICNN_MELS;
const SR: u32 = 16_000;
const HOP: usize = 256;
/// Examples per cache part.
const PART: usize = 1024;
/// Bumped whenever the example generation changes (part of the cache key).
const AUGMENT_VERSION: u32 = 1;

/// What to distil from and how.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DistillOptions {
    /// Folders (searched recursively) or files of audio.
    pub sources: Vec<PathBuf>,
    /// Rows of an `INDEX.tsv` (file, genre, split) at a source folder's root whose split is one
    /// of these are left out (e.g. the splits accuracy is measured on).
    pub exclude_splits: Vec<String>,
    /// Every n-th source file (in sorted order) is held out of training; its clip patches
    /// measure how well the student imitates the teacher on unseen audio. 0 = none.
    pub holdout_every: usize,
    /// Augmented examples on top of the clip and full-track patches.
    pub examples: usize,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// Decoupled weight decay (AdamW).
    #[serde(default)]
    pub weight_decay: f64,
    pub seed: u64,
    pub student: StudentConfig,
}

impl Default for DistillOptions {
    fn default() -> Self {
        DistillOptions {
            sources: vec![],
            exclude_splits: vec![],
            holdout_every: 10,
            examples: 24_000,
            epochs: 30,
            batch_size: 64,
            learning_rate: 2e-3,
            weight_decay: 1e-4,
            seed: 1,
            student: StudentConfig::shipped(),
        }
    }
}

/// Progress.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum DistillEvent {
    Decoded {
        done: usize,
        total: usize,
        path: PathBuf,
        error: Option<String>,
    },
    Labelled {
        done: usize,
        total: usize,
        cached: bool,
    },
    Epoch(DistillEpoch),
}

/// How closely the student follows the teacher on a set of patches.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct Fidelity {
    pub patches: usize,
    /// 1 − Σ(student − teacher)² / Σ(teacher − mean)², over the 200 embedding values.
    pub embedding_r2: f64,
    /// The same over the 50 tag logits.
    pub logit_r2: f64,
    /// Mean |student − teacher| of the 50 tag probabilities.
    pub tag_prob_mae: f64,
}

/// One epoch's figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DistillEpoch {
    pub epoch: usize,
    pub epochs: usize,
    /// Mean standardised squared error (embedding and logits, each value divided by the
    /// teacher's standard deviation of it) over the epoch's batches.
    pub loss: f64,
    pub learning_rate: f64,
    /// On the held-out files' clip patches.
    pub holdout: Option<Fidelity>,
    pub examples_per_sec: f64,
    pub secs: f64,
}

/// What a run produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DistillReport {
    pub options: DistillOptions,
    pub student_macs: u64,
    pub student_params: usize,
    pub source_files: usize,
    pub holdout_files: usize,
    pub skipped_files: Vec<(PathBuf, String)>,
    pub clip_patches: usize,
    pub full_track_patches: usize,
    pub augmented_patches: usize,
    pub history: Vec<DistillEpoch>,
    pub teacher_secs: f64,
    pub train_secs: f64,
}

/// The trained student and its report.
pub struct Distilled {
    pub student: StudentTrunk,
    pub report: DistillReport,
}

// ---------------------------------------------------------------------------------------------
// sources

struct Source {
    path: PathBuf,
    /// The folder (index into the options' sources) it came from.
    group: usize,
    /// The whole file at 16 kHz, repeat-padded to at least one patch.
    audio: Vec<f32>,
    holdout: bool,
}

fn read_index_splits(root: &Path) -> Option<std::collections::HashMap<PathBuf, String>> {
    let text = std::fs::read_to_string(root.join("INDEX.tsv")).ok()?;
    let mut map = std::collections::HashMap::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if let [file, _, split, ..] = cols.as_slice() {
            map.insert(root.join(file.trim()), split.trim().to_string());
        }
    }
    Some(map)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut items: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    items.sort();
    for p in items {
        if p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else if is_audio_path(&p) {
            out.push(p);
        }
    }
}

/// The audio files of `opts.sources` (sorted per source), each with its source index; rows of
/// excluded splits are left out. An empty or missing source is an error naming it.
pub fn list_sources(opts: &DistillOptions) -> anyhow::Result<Vec<(PathBuf, usize)>> {
    let mut files = Vec::new();
    for (g, src) in opts.sources.iter().enumerate() {
        if src.is_file() {
            files.push((src.clone(), g));
            continue;
        }
        if !src.is_dir() {
            anyhow::bail!("{}: no such folder or file", src.display());
        }
        let splits = read_index_splits(src);
        let mut found = Vec::new();
        walk(src, &mut found);
        let before = files.len();
        for p in found {
            let excluded = splits.as_ref().is_some_and(|m| {
                m.get(&p)
                    .is_some_and(|s| opts.exclude_splits.iter().any(|e| e == s))
            });
            if !excluded {
                files.push((p, g));
            }
        }
        if files.len() == before {
            anyhow::bail!("{}: no audio files to distil from", src.display());
        }
    }
    Ok(files)
}

fn decode_16k(path: &Path) -> Result<Vec<f32>, AudioError> {
    let audio = decode_file(path)?;
    let mut s = resample_mono(&audio.samples, audio.sample_rate_hz, SR).map_err(|e| {
        AudioError::Analysis {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    })?;
    if s.is_empty() {
        return Err(AudioError::NoAudio {
            path: path.to_path_buf(),
        });
    }
    repeat_pad(&mut s, (MUSICNN_FRAMES + 2) * HOP);
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// augmentation

/// The augmentation of one example (drawn from its own seeded generator).
#[derive(Debug, Clone, PartialEq)]
struct Augment {
    source: usize,
    /// First output frame's position in the source, in frames.
    start_frame: usize,
    /// Source frames per output frame (> 1 = faster).
    tempo: f64,
    /// Spectrum scale factor (> 1 = higher).
    pitch: f64,
    gain_db: f32,
    /// EQ: tilt in dB per octave around 1 kHz, and (centre Hz, width octaves, gain dB) peaks.
    tilt_db_per_octave: f32,
    peaks: Vec<(f32, f32, f32)>,
    /// A second source mixed in: (source, start frame, gain dB).
    mix: Option<(usize, usize, f32)>,
    /// Noise: (SNR dB, brown instead of white).
    noise: Option<(f32, bool)>,
    noise_seed: u64,
}

fn pick_source(sources: &[Source], pool: &[Vec<usize>], rng: &mut impl Rng) -> usize {
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

fn draw_augment(sources: &[Source], pool: &[Vec<usize>], seed: u64, index: usize) -> Augment {
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
fn chunk(audio: &[f32], f0: usize, n: usize) -> Vec<f32> {
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

fn power_db_gain(db: f32) -> f32 {
    10f32.powf(db / 10.0)
}

/// Renders one augmented log-mel patch (`187 × 96`, row-major).
fn render(sources: &[Source], a: &Augment, stft: &Stft, frontend: &Frontend) -> Vec<f32> {
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

// ---------------------------------------------------------------------------------------------
// the labelled set

/// Patches (f16, `n × 187 × 96`) and teacher targets (`n × 250`).
#[derive(Debug, Default)]
struct Labelled {
    patches: Vec<f16>,
    targets: Vec<f32>,
}

impl Labelled {
    fn len(&self) -> usize {
        self.targets.len() / TARGETS
    }

    fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    fn push(&mut self, patch: &[f32], target: &[f32]) {
        self.patches.extend(patch.iter().map(|&v| f16::from_f32(v)));
        self.targets.extend_from_slice(target);
    }

    fn append(&mut self, other: Labelled) {
        self.patches.extend(other.patches);
        self.targets.extend(other.targets);
    }

    fn patch(&self, i: usize) -> impl Iterator<Item = f32> + '_ {
        self.patches[i * PATCH..(i + 1) * PATCH]
            .iter()
            .map(|v| v.to_f32())
    }

    fn target(&self, i: usize) -> &[f32] {
        &self.targets[i * TARGETS..(i + 1) * TARGETS]
    }

    fn write(&self, path: &Path) -> std::io::Result<()> {
        use std::io::Write;
        let tmp = path.with_extension("tmp");
        {
            let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
            f.write_all(b"GRDIST01")?;
            f.write_all(&(self.len() as u64).to_le_bytes())?;
            for v in &self.patches {
                f.write_all(&v.to_bits().to_le_bytes())?;
            }
            for v in &self.targets {
                f.write_all(&v.to_le_bytes())?;
            }
            f.flush()?;
        }
        std::fs::rename(tmp, path)
    }

    fn read(path: &Path, expect: usize) -> Option<Labelled> {
        let b = std::fs::read(path).ok()?;
        if b.len() < 16 || &b[..8] != b"GRDIST01" {
            return None;
        }
        let n = u64::from_le_bytes(b[8..16].try_into().ok()?) as usize;
        if n != expect || b.len() != 16 + n * PATCH * 2 + n * TARGETS * 4 {
            return None;
        }
        let body = &b[16..];
        let (p, t) = body.split_at(n * PATCH * 2);
        Some(Labelled {
            patches: p
                .chunks_exact(2)
                .map(|c| f16::from_bits(u16::from_le_bytes([c[0], c[1]])))
                .collect(),
            targets: t
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        })
    }
}

/// The teacher's targets for `patches` (`n × 187 × 96`): the compiled musicnn trunk (the same
/// outputs as burn's `MusicnnTrunk` to < 1e-6, ~10× cheaper) on `threads` threads.
fn teach(patches: &[f32], threads: usize) -> Result<Vec<f32>, NetError> {
    let n = patches.len() / PATCH;
    let out = shared_fast_trunk()
        .map_err(NetError::weights("musicnn"))?
        .forward_with(patches, n, MUSICNN_FRAMES, threads, true)?;
    let mut v = Vec::with_capacity(n * TARGETS);
    for (p, l) in out
        .penultimate
        .chunks_exact(MUSICNN_PENULTIMATE)
        .zip(out.logits.chunks_exact(MUSICNN_N_TAGS))
    {
        v.extend_from_slice(p);
        v.extend_from_slice(l);
    }
    Ok(v)
}

/// Labels `patches` with the teacher; patches whose targets are not finite are dropped.
fn label(patches: Vec<f32>) -> anyhow::Result<Labelled> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let targets = teach(&patches, threads).map_err(|e| anyhow::anyhow!("teacher: {e}"))?;
    let mut l = Labelled::default();
    for (p, t) in patches
        .chunks_exact(PATCH)
        .zip(targets.chunks_exact(TARGETS))
    {
        if t.iter().all(|v| v.is_finite()) {
            l.push(p, t);
        }
    }
    Ok(l)
}

fn cache_key(opts: &DistillOptions, files: &[(PathBuf, usize)]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(
        format!(
            "v{AUGMENT_VERSION}/seed{}/hold{}",
            opts.seed, opts.holdout_every
        )
        .as_bytes(),
    );
    h.update(MUSICNN_WEIGHTS.len().to_le_bytes().as_slice());
    for (p, g) in files {
        h.update(p.as_os_str().as_encoded_bytes());
        h.update(&g.to_le_bytes());
        if let Ok(m) = std::fs::metadata(p) {
            let (size, mtime) = crate::library::scan::file_stamp(&m);
            h.update(&size.to_le_bytes());
            h.update(&mtime.to_le_bytes());
        }
    }
    h.finalize().to_hex().as_str()[..16].to_string()
}

// ---------------------------------------------------------------------------------------------
// training

/// Per-target standard deviations of the teacher's outputs (floored), for the loss weights.
fn target_scale(set: &Labelled) -> Vec<f32> {
    let n = set.len().max(1) as f64;
    let mut mean = vec![0.0f64; TARGETS];
    let mut sq = vec![0.0f64; TARGETS];
    for i in 0..set.len() {
        for (d, &v) in set.target(i).iter().enumerate() {
            mean[d] += v as f64;
            sq[d] += (v as f64) * (v as f64);
        }
    }
    (0..TARGETS)
        .map(|d| {
            let m = mean[d] / n;
            ((sq[d] / n - m * m).max(0.0).sqrt().max(1e-2)) as f32
        })
        .collect()
}

/// Student outputs `[n × 250]` (embedding ‖ logits) for the patches of `set`.
fn student_outputs(student: &StudentTrunk, set: &Labelled, device: &Device) -> Vec<f32> {
    let mut out = Vec::with_capacity(set.len() * TARGETS);
    let mut i = 0;
    while i < set.len() {
        let b = (set.len() - i).min(64);
        let data: Vec<f32> = (i..i + b).flat_map(|j| set.patch(j)).collect();
        let x = Tensor::<4>::from_data(
            TensorData::new(data, [b, 1, MUSICNN_FRAMES, MUSICNN_MELS]),
            device,
        );
        let o = student.forward(x);
        let t = Tensor::cat(vec![o.embedding, o.logits], 1);
        out.extend(t.into_data().try_into_vec::<f32>().unwrap_or_default());
        i += b;
    }
    out
}

/// How closely `student` follows the teacher's targets in `set`.
fn fidelity(student: &StudentTrunk, set: &Labelled, device: &Device) -> Fidelity {
    let n = set.len();
    if n == 0 {
        return Fidelity::default();
    }
    let s = student_outputs(student, set, device);
    let r2 = |lo: usize, hi: usize| {
        let mut mean = vec![0.0f64; hi - lo];
        for i in 0..n {
            for (d, m) in mean.iter_mut().enumerate() {
                *m += set.target(i)[lo + d] as f64 / n as f64;
            }
        }
        let (mut err, mut var) = (0.0f64, 0.0f64);
        for i in 0..n {
            let t = set.target(i);
            for d in lo..hi {
                err += ((s[i * TARGETS + d] - t[d]) as f64).powi(2);
                var += (t[d] as f64 - mean[d - lo]).powi(2);
            }
        }
        1.0 - err / var.max(1e-12)
    };
    let sig = |v: f32| 1.0 / (1.0 + (-v).exp());
    let mut mae = 0.0f64;
    for i in 0..n {
        let t = set.target(i);
        for d in MUSICNN_PENULTIMATE..TARGETS {
            mae += (sig(s[i * TARGETS + d]) - sig(t[d])).abs() as f64;
        }
    }
    Fidelity {
        patches: n,
        embedding_r2: r2(0, MUSICNN_PENULTIMATE),
        logit_r2: r2(MUSICNN_PENULTIMATE, TARGETS),
        tag_prob_mae: mae / (n * MUSICNN_N_TAGS) as f64,
    }
}

/// The teacher's last dense layer (penultimate → tag logits): the student's tag layer starts
/// from it.
fn teacher_tag_layer(device: &Device) -> Result<(Tensor<2>, Tensor<1>), WeightsError> {
    let st = SafetensorsF32::parse(MUSICNN_WEIGHTS)?;
    let w = st.get_shaped(
        "backend.dense2.kernel",
        &[MUSICNN_PENULTIMATE, MUSICNN_N_TAGS],
    )?;
    let b = st.get_shaped("backend.dense2.bias", &[MUSICNN_N_TAGS])?;
    Ok((
        Tensor::from_data(
            TensorData::new(w, [MUSICNN_PENULTIMATE, MUSICNN_N_TAGS]),
            device,
        ),
        Tensor::from_data(TensorData::new(b, [MUSICNN_N_TAGS]), device),
    ))
}

/// Called after every epoch with the student so far (e.g. to save a checkpoint).
pub type OnStudent<'a> = &'a mut dyn FnMut(&StudentTrunk, &DistillEpoch);

/// Runs a whole distillation: decode, label with the teacher (cached in `cache_dir`), train.
pub fn distill(
    opts: &DistillOptions,
    cache_dir: Option<&Path>,
    on_event: &mut dyn FnMut(DistillEvent),
    on_student: OnStudent<'_>,
    cancel: &AtomicBool,
) -> anyhow::Result<Distilled> {
    let files = list_sources(opts)?;
    let frontend = Frontend::new(&FrontendConfig::musicnn());
    let stft = Stft::new(512, HOP);
    shared_fast_trunk().map_err(|e| anyhow::anyhow!("the musicnn trunk: {e}"))?;
    let t_teacher = Instant::now();

    // Decode every file once.
    let mut sources: Vec<Source> = Vec::new();
    let mut skipped = Vec::new();
    for (i, (path, group)) in files.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            anyhow::bail!("cancelled");
        }
        let r = decode_16k(path);
        on_event(DistillEvent::Decoded {
            done: i + 1,
            total: files.len(),
            path: path.clone(),
            error: r.as_ref().err().map(ToString::to_string),
        });
        match r {
            Ok(audio) => {
                let k = sources.len() + 1;
                let holdout = opts.holdout_every > 0 && k.is_multiple_of(opts.holdout_every);
                sources.push(Source {
                    path: path.clone(),
                    group: *group,
                    audio,
                    holdout,
                });
            }
            Err(e) => skipped.push((path.clone(), e.to_string())),
        }
    }
    let mut pool: Vec<Vec<usize>> = vec![vec![]; opts.sources.len()];
    for (i, s) in sources.iter().enumerate() {
        if !s.holdout {
            pool[s.group].push(i);
        }
    }
    pool.retain(|g| !g.is_empty());
    if pool.is_empty() {
        anyhow::bail!("no audio could be decoded from the sources");
    }

    // Clip patches (what the analysis sees) and full-track patches, unaugmented.
    let clip_spec = ClipSpec {
        sample_rate_hz: SR,
        clip_secs: 60.0,
        centre_secs: 60.0,
        min_samples: frontend.config().samples_for_frames(MUSICNN_FRAMES),
    };
    let key = cache_key(opts, &files);
    let dir = cache_dir.map(|d| d.join("distill").join(&key));
    if let Some(d) = &dir {
        std::fs::create_dir_all(d).map_err(|e| anyhow::anyhow!("creating {}: {e}", d.display()))?;
    }
    let mut train_set = Labelled::default();
    let mut holdout_set = Labelled::default();
    let (mut clip_patches, mut full_patches) = (0usize, 0usize);
    let total_sources = sources.len();
    for (si, s) in sources.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            anyhow::bail!("cancelled");
        }
        let part = dir.as_ref().map(|d| d.join(format!("file-{si:04}.bin")));
        let clip = load_clip(&s.path, &clip_spec).map_err(|e| anyhow::anyhow!("{e}"))?;
        let seg = segment(&frontend.log_mel(&clip.samples), MUSICNN_FRAMES, 20);
        let mut patches = seg.data.clone();
        let n_clip = seg.count;
        let track_secs = s.audio.len() as f64 / SR as f64;
        if !s.holdout && track_secs > clip_spec.clip_secs + 3.0 {
            let full = segment(&frontend.log_mel(&s.audio), MUSICNN_FRAMES, usize::MAX);
            patches.extend_from_slice(&full.data);
        }
        let n = patches.len() / PATCH;
        let cached = part.as_ref().and_then(|p| Labelled::read(p, n));
        let was_cached = cached.is_some();
        let l = match cached {
            Some(l) => l,
            None => {
                let l = label(patches)?;
                if let Some(p) = &part {
                    l.write(p)
                        .map_err(|e| anyhow::anyhow!("writing {}: {e}", p.display()))?;
                }
                l
            }
        };
        on_event(DistillEvent::Labelled {
            done: si + 1,
            total: total_sources,
            cached: was_cached,
        });
        if s.holdout {
            clip_patches += l.len();
            holdout_set.append(l);
        } else {
            clip_patches += n_clip;
            full_patches += l.len() - n_clip.min(l.len());
            train_set.append(l);
        }
    }

    // Augmented patches, in parts of PART.
    let parts = opts.examples.div_ceil(PART);
    let mut augmented = 0usize;
    for part_i in 0..parts {
        if cancel.load(Ordering::Relaxed) {
            anyhow::bail!("cancelled");
        }
        let lo = part_i * PART;
        let hi = (lo + PART).min(opts.examples);
        let path = dir.as_ref().map(|d| d.join(format!("aug-{part_i:04}.bin")));
        let cached = path.as_ref().and_then(|p| Labelled::read(p, hi - lo));
        let was_cached = cached.is_some();
        let l = match cached {
            Some(l) => l,
            None => {
                let mut patches = Vec::with_capacity((hi - lo) * PATCH);
                for i in lo..hi {
                    let a = draw_augment(&sources, &pool, opts.seed, i);
                    patches.extend(render(&sources, &a, &stft, &frontend));
                }
                let l = label(patches)?;
                if let Some(p) = &path {
                    l.write(p)
                        .map_err(|e| anyhow::anyhow!("writing {}: {e}", p.display()))?;
                }
                l
            }
        };
        augmented += l.len();
        train_set.append(l);
        on_event(DistillEvent::Labelled {
            done: total_sources + part_i + 1,
            total: total_sources + parts,
            cached: was_cached,
        });
    }
    let teacher_secs = t_teacher.elapsed().as_secs_f64();

    // Train.
    let t_train = Instant::now();
    let (student, history) =
        train_student(opts, &train_set, &holdout_set, on_event, on_student, cancel)?;
    let student_params = student.num_params();
    Ok(Distilled {
        student,
        report: DistillReport {
            options: opts.clone(),
            student_macs: opts.student.macs(MUSICNN_FRAMES, MUSICNN_MELS),
            student_params,
            source_files: sources.len(),
            holdout_files: sources.iter().filter(|s| s.holdout).count(),
            skipped_files: skipped,
            clip_patches,
            full_track_patches: full_patches,
            augmented_patches: augmented,
            history,
            teacher_secs,
            train_secs: t_train.elapsed().as_secs_f64(),
        },
    })
}

fn train_student(
    opts: &DistillOptions,
    train_set: &Labelled,
    holdout_set: &Labelled,
    on_event: &mut dyn FnMut(DistillEvent),
    on_student: OnStudent<'_>,
    cancel: &AtomicBool,
) -> anyhow::Result<(StudentTrunk, Vec<DistillEpoch>)> {
    if train_set.is_empty() {
        anyhow::bail!("no training patches");
    }
    let device = training_device();
    device.seed(opts.seed);
    let mut model = opts.student.init(&device);
    let (w, b) = teacher_tag_layer(&device).map_err(|e| anyhow::anyhow!(e))?;
    model.set_tag_layer(w, b);
    let inv_scale: Vec<f32> = target_scale(train_set).iter().map(|s| 1.0 / s).collect();
    let inv = Tensor::<2>::from_data(TensorData::new(inv_scale, [1, TARGETS]), &device);
    let mut optim = AdamWConfig::new()
        .with_weight_decay(opts.weight_decay as f32)
        .init();
    let mut rng = rand::rngs::StdRng::seed_from_u64(opts.seed);
    let n = train_set.len();
    let bs = opts.batch_size.max(1);
    let steps_per_epoch = n.div_ceil(bs);
    let total_steps = (steps_per_epoch * opts.epochs).max(1);
    let mut step = 0usize;
    let mut history = Vec::new();
    let mut order: Vec<usize> = (0..n).collect();
    for epoch in 1..=opts.epochs {
        let t0 = Instant::now();
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0f64;
        let mut seen = 0usize;
        let mut lr = opts.learning_rate;
        for batch in order.chunks(bs) {
            if cancel.load(Ordering::Relaxed) {
                anyhow::bail!("cancelled");
            }
            let b = batch.len();
            let data: Vec<f32> = batch.iter().flat_map(|&i| train_set.patch(i)).collect();
            let target: Vec<f32> = batch
                .iter()
                .flat_map(|&i| train_set.target(i).iter().copied())
                .collect();
            let x = Tensor::<4>::from_data(
                TensorData::new(data, [b, 1, MUSICNN_FRAMES, MUSICNN_MELS]),
                &device,
            );
            let t = Tensor::<2>::from_data(TensorData::new(target, [b, TARGETS]), &device);
            let o = model.forward(x);
            let s = Tensor::cat(vec![o.embedding, o.logits], 1);
            let d = (s - t) * inv.clone();
            let loss = (d.clone() * d).mean();
            loss_sum += loss.clone().into_scalar::<f32>() as f64 * b as f64;
            seen += b;
            // Cosine decay from the learning rate to 2 % of it.
            let progress = step as f64 / total_steps as f64;
            lr = opts.learning_rate
                * (0.02 + 0.98 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()));
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
            step += 1;
        }
        let secs = t0.elapsed().as_secs_f64();
        let current = model.valid();
        let holdout =
            (!holdout_set.is_empty()).then(|| fidelity(&current, holdout_set, &inference_device()));
        let report = DistillEpoch {
            epoch,
            epochs: opts.epochs,
            loss: loss_sum / seen.max(1) as f64,
            learning_rate: lr,
            holdout,
            examples_per_sec: seen as f64 / secs.max(1e-9),
            secs,
        };
        on_event(DistillEvent::Epoch(report.clone()));
        on_student(&current, &report);
        history.push(report);
    }
    Ok((model.valid(), history))
}

/// Fidelity of a trained student against the teacher on the clip patches of `files` (for the
/// model card: measured on audio neither saw in training).
pub fn measure_fidelity(student: &StudentTrunk, files: &[PathBuf]) -> anyhow::Result<Fidelity> {
    let frontend = Frontend::new(&FrontendConfig::musicnn());
    let device = inference_device();
    let spec = ClipSpec {
        sample_rate_hz: SR,
        clip_secs: 60.0,
        centre_secs: 60.0,
        min_samples: frontend.config().samples_for_frames(MUSICNN_FRAMES),
    };
    let mut set = Labelled::default();
    for f in files {
        let clip = load_clip(f, &spec).map_err(|e| anyhow::anyhow!("{e}"))?;
        let seg = segment(&frontend.log_mel(&clip.samples), MUSICNN_FRAMES, 20);
        set.append(label(seg.data)?);
    }
    Ok(fidelity(student, &set, &device))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone_source(f: f32, secs: f32, group: usize) -> Source {
        let n = (secs * SR as f32) as usize;
        Source {
            path: PathBuf::from(format!("tone-{f}")),
            group,
            audio: (0..n)
                .map(|i| 0.3 * (2.0 * std::f32::consts::PI * f * i as f32 / SR as f32).sin())
                .collect(),
            holdout: false,
        }
    }

    fn peak_band(patch: &[f32], frame: usize) -> usize {
        let row = &patch[frame * MUSICNN_MELS..(frame + 1) * MUSICNN_MELS];
        row.iter()
            .enumerate()
            .fold(
                (0, f32::MIN),
                |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) },
            )
            .0
    }

    fn plain(source: usize) -> Augment {
        Augment {
            source,
            start_frame: 10,
            tempo: 1.0,
            pitch: 1.0,
            gain_db: 0.0,
            tilt_db_per_octave: 0.0,
            peaks: vec![],
            mix: None,
            noise: None,
            noise_seed: 0,
        }
    }

    /// Without augmentation, a rendered patch is exactly the front end's log-mel of the file.
    #[test]
    fn unaugmented_render_is_the_front_end() {
        let sources = vec![tone_source(440.0, 8.0, 0)];
        let fe = Frontend::new(&FrontendConfig::musicnn());
        let stft = Stft::new(512, HOP);
        let patch = render(&sources, &plain(0), &stft, &fe);
        let mel = fe.log_mel(&sources[0].audio);
        let want = &mel.data[10 * MUSICNN_MELS..(10 + MUSICNN_FRAMES) * MUSICNN_MELS];
        let diff = patch
            .iter()
            .zip(want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(diff < 1e-5, "{diff}");
    }

    /// Pitch moves a tone up the mel axis; tempo and gain do not move it.
    #[test]
    fn pitch_shift_moves_the_tone() {
        let sources = vec![tone_source(1000.0, 8.0, 0)];
        let fe = Frontend::new(&FrontendConfig::musicnn());
        let stft = Stft::new(512, HOP);
        let base = peak_band(&render(&sources, &plain(0), &stft, &fe), 50);
        let up = Augment {
            pitch: 2f64.powf(3.0 / 12.0),
            ..plain(0)
        };
        let faster = Augment {
            tempo: 1.2,
            gain_db: -6.0,
            ..plain(0)
        };
        assert!(peak_band(&render(&sources, &up, &stft, &fe), 50) > base);
        assert_eq!(peak_band(&render(&sources, &faster, &stft, &fe), 50), base);
    }

    #[test]
    fn augmentations_are_deterministic_and_varied() {
        let sources = vec![tone_source(300.0, 10.0, 0), tone_source(2000.0, 4.0, 1)];
        let pool = vec![vec![0], vec![1]];
        let a = draw_augment(&sources, &pool, 7, 3);
        assert_eq!(a, draw_augment(&sources, &pool, 7, 3));
        let all: Vec<Augment> = (0..200)
            .map(|i| draw_augment(&sources, &pool, 7, i))
            .collect();
        assert!(all.iter().any(|a| a.tempo != 1.0));
        assert!(all.iter().any(|a| a.pitch != 1.0));
        assert!(all.iter().any(|a| a.mix.is_some()));
        assert!(all.iter().any(|a| a.noise.is_some()));
        assert!(all.iter().any(|a| a.source == 0) && all.iter().any(|a| a.source == 1));
        // Every rendered patch is finite and inside the log range.
        let fe = Frontend::new(&FrontendConfig::musicnn());
        let stft = Stft::new(512, HOP);
        for a in all.iter().take(20) {
            let p = render(&sources, a, &stft, &fe);
            assert_eq!(p.len(), PATCH);
            assert!(p.iter().all(|v| v.is_finite() && *v >= 0.0));
        }
    }

    #[test]
    fn cache_parts_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Labelled::default();
        let patch: Vec<f32> = (0..PATCH).map(|i| (i % 7) as f32 * 0.25).collect();
        let target: Vec<f32> = (0..TARGETS).map(|i| i as f32 - 3.5).collect();
        l.push(&patch, &target);
        l.push(&patch, &target);
        let p = dir.path().join("part.bin");
        l.write(&p).unwrap();
        let back = Labelled::read(&p, 2).unwrap();
        assert_eq!(back.targets, l.targets);
        assert_eq!(back.patch(1).collect::<Vec<_>>(), patch);
        assert!(Labelled::read(&p, 3).is_none());
    }
}
