//! The labelled set: patches and the teacher's targets, cached in parts on disk.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use burn::prelude::*;
use half::f16;

use crate::model::error::NetError;
use crate::model::head::{MUSICNN_WEIGHTS, shared_fast_trunk};
use crate::model::musicnn::{MUSICNN_FRAMES, MUSICNN_N_TAGS, MUSICNN_PENULTIMATE};

use super::augment::{draw_augment, render};
use super::options::*;
use super::sources::Source;
use crate::audio::clip::{ClipSpec, load_clip};
use crate::features::segment::segment;
use crate::features::{Frontend, Stft};

/// Patches (f16, `n × 187 × 96`) and teacher targets (`n × 250`).
#[derive(Debug, Default)]
pub(super) struct Labelled {
    pub(super) patches: Vec<f16>,
    pub(super) targets: Vec<f32>,
}

impl Labelled {
    pub(super) fn len(&self) -> usize {
        self.targets.len() / TARGETS
    }

    pub(super) fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    pub(super) fn push(&mut self, patch: &[f32], target: &[f32]) {
        self.patches.extend(patch.iter().map(|&v| f16::from_f32(v)));
        self.targets.extend_from_slice(target);
    }

    pub(super) fn append(&mut self, other: Labelled) {
        self.patches.extend(other.patches);
        self.targets.extend(other.targets);
    }

    pub(super) fn patch(&self, i: usize) -> impl Iterator<Item = f32> + '_ {
        self.patches[i * PATCH..(i + 1) * PATCH]
            .iter()
            .map(|v| v.to_f32())
    }

    pub(super) fn target(&self, i: usize) -> &[f32] {
        &self.targets[i * TARGETS..(i + 1) * TARGETS]
    }

    pub(super) fn write(&self, path: &Path) -> std::io::Result<()> {
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

    pub(super) fn read(path: &Path, expect: usize) -> Option<Labelled> {
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
pub(super) fn teach(patches: &[f32], threads: usize) -> Result<Vec<f32>, NetError> {
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
pub(super) fn label(patches: Vec<f32>) -> anyhow::Result<Labelled> {
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

pub(super) fn cache_key(opts: &DistillOptions, files: &[(PathBuf, usize)]) -> String {
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

/// The files' labelled patches: the training files' clip and full-track patches, the held-out
/// files' clip patches.
#[derive(Default)]
pub(super) struct FileSets {
    pub(super) train: Labelled,
    pub(super) holdout: Labelled,
    pub(super) clip_patches: usize,
    pub(super) full_patches: usize,
}

/// Labels every file's patches with the teacher (each file a part of the cache in `dir`).
pub(super) fn label_files(
    sources: &[Source],
    dir: Option<&Path>,
    frontend: &Frontend,
    on_event: &mut dyn FnMut(DistillEvent),
    cancel: &AtomicBool,
) -> anyhow::Result<FileSets> {
    // Clip patches (what the analysis sees) and full-track patches, unaugmented.
    let clip_spec = ClipSpec {
        sample_rate_hz: SR,
        clip_secs: 60.0,
        centre_secs: 60.0,
        min_samples: frontend.config().samples_for_frames(MUSICNN_FRAMES),
    };
    let mut sets = FileSets::default();
    let total_sources = sources.len();
    for (si, s) in sources.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            anyhow::bail!("cancelled");
        }
        let part = dir.map(|d| d.join(format!("file-{si:04}.bin")));
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
            sets.clip_patches += l.len();
            sets.holdout.append(l);
        } else {
            sets.clip_patches += n_clip;
            sets.full_patches += l.len() - n_clip.min(l.len());
            sets.train.append(l);
        }
    }

    Ok(sets)
}

/// What the augmented examples are drawn from.
pub(super) struct Augmenting<'a> {
    pub(super) sources: &'a [Source],
    pub(super) pool: &'a [Vec<usize>],
    pub(super) stft: &'a Stft,
    pub(super) frontend: &'a Frontend,
}

/// Draws, renders and labels the augmented examples in parts of [`PART`] (each a part of the
/// cache in `dir`) into `train_set`; how many there were.
pub(super) fn label_augmented(
    opts: &DistillOptions,
    with: Augmenting<'_>,
    dir: Option<&Path>,
    train_set: &mut Labelled,
    on_event: &mut dyn FnMut(DistillEvent),
    cancel: &AtomicBool,
) -> anyhow::Result<usize> {
    let parts = opts.examples.div_ceil(PART);
    let mut augmented = 0usize;
    for part_i in 0..parts {
        if cancel.load(Ordering::Relaxed) {
            anyhow::bail!("cancelled");
        }
        let lo = part_i * PART;
        let hi = (lo + PART).min(opts.examples);
        let path = dir.map(|d| d.join(format!("aug-{part_i:04}.bin")));
        let cached = path.as_ref().and_then(|p| Labelled::read(p, hi - lo));
        let was_cached = cached.is_some();
        let l = match cached {
            Some(l) => l,
            None => {
                let mut patches = Vec::with_capacity((hi - lo) * PATCH);
                for i in lo..hi {
                    let a = draw_augment(with.sources, with.pool, opts.seed, i);
                    patches.extend(render(with.sources, &a, with.stft, with.frontend));
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
            done: with.sources.len() + part_i + 1,
            total: with.sources.len() + parts,
            cached: was_cached,
        });
    }
    Ok(augmented)
}
