//! What a distillation is asked to do and what it reports.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::musicnn::{MUSICNN_FRAMES, MUSICNN_MELS, MUSICNN_N_TAGS, MUSICNN_PENULTIMATE};
use crate::model::student::{StudentConfig, StudentTrunk};

/// Values the teacher gives per patch: the penultimate embedding, then the tag logits.
pub const TARGETS: usize = MUSICNN_PENULTIMATE + MUSICNN_N_TAGS;
pub(super) const PATCH: usize = MUSICNN_FRAMES * MUSICNN_MELS;
pub(super) const SR: u32 = 16_000;
pub(super) const HOP: usize = 256;
/// Examples per cache part.
pub(super) const PART: usize = 1024;
/// Bumped whenever the example generation changes (part of the cache key).
pub(super) const AUGMENT_VERSION: u32 = 1;

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
