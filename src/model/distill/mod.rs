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
//! The parts: `options` (what is asked, what is reported), `sources` (the files), `augment`
//! (the augmented examples), `labels` (the teacher's labelled set and its cache); the training
//! loop and the fidelity measure are here.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use burn::optim::{AdamWConfig, GradientsParams};
use burn::prelude::*;
use rand::SeedableRng;
use rand::seq::SliceRandom;

use super::backend::{inference_device, training_device};
use super::error::WeightsError;
use super::head::{MUSICNN_WEIGHTS, shared_fast_trunk};
use super::musicnn::SafetensorsF32;
use super::musicnn::{MUSICNN_FRAMES, MUSICNN_MELS, MUSICNN_N_TAGS, MUSICNN_PENULTIMATE};
use super::student::StudentTrunk;
use crate::audio::clip::{ClipSpec, load_clip};
use crate::features::segment::segment;
use crate::features::{Frontend, FrontendConfig, Stft};

mod augment;
mod labels;
mod options;
mod sources;

use labels::*;
pub use options::*;
pub use sources::list_sources;
use sources::*;

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

    let (sources, skipped, pool) = decode_sources(opts, &files, on_event, cancel)?;
    let key = cache_key(opts, &files);
    let dir = cache_dir.map(|d| d.join("distill").join(&key));
    if let Some(d) = &dir {
        std::fs::create_dir_all(d).map_err(|e| anyhow::anyhow!("creating {}: {e}", d.display()))?;
    }
    let mut sets = label_files(&sources, dir.as_deref(), &frontend, on_event, cancel)?;
    let augmented = label_augmented(
        opts,
        Augmenting {
            sources: &sources,
            pool: &pool,
            stft: &stft,
            frontend: &frontend,
        },
        dir.as_deref(),
        &mut sets.train,
        on_event,
        cancel,
    )?;
    let teacher_secs = t_teacher.elapsed().as_secs_f64();

    // Train.
    let t_train = Instant::now();
    let (student, history) = train_student(
        opts,
        &sets.train,
        &sets.holdout,
        on_event,
        on_student,
        cancel,
    )?;
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
            clip_patches: sets.clip_patches,
            full_track_patches: sets.full_patches,
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
    use super::augment::*;
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
