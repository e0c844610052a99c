//! What the dialog shows after the form: the folder's preview, live progress, and the
//! finished training's outcome with what stands against accepting it.

use std::path::Path;
use std::time::Instant;

use super::form::TrainSpec;
use crate::model::calibrate::trained::RuleFit;
use crate::model::job::TrainMode;
use crate::model::train::EpochReport;

/// What `prepare` found, as the dialog shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub counts: Vec<(String, usize)>,
    pub train_tracks: usize,
    pub valid_tracks: usize,
    pub warnings: Vec<String>,
    pub skipped: usize,
}

/// Live progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub spec: TrainSpec,
    pub features_done: usize,
    pub features_total: usize,
    pub epochs: Vec<EpochReport>,
    pub started: Instant,
    pub cancelling: bool,
    /// The epoch under way and how far its batches are (full mode: an epoch takes seconds).
    pub step: Option<Step>,
    /// What the training does after its epochs (its "?" rule, the comparison).
    pub after: After,
}

/// Where an epoch under way is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub epoch: usize,
    pub epochs: usize,
    pub done: usize,
    pub total: usize,
    /// Its batches are done; its validation tracks are being scored.
    pub validating: bool,
}

/// What comes after the epochs, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum After {
    #[default]
    Training,
    /// The model's open-set rule is being fitted.
    Calibrating,
    /// The trained and the active model are scored on the validation tracks.
    Comparing,
}

impl Progress {
    /// Seconds left, from the average epoch time (an upper bound: early stopping may end
    /// sooner).
    pub fn eta_secs(&self) -> Option<f64> {
        let last = self.epochs.last()?;
        let avg = self.epochs.iter().map(|e| e.secs).sum::<f64>() / self.epochs.len() as f64;
        Some(avg * last.epochs.saturating_sub(last.epoch) as f64)
    }
}

/// The finished training, as the dialog shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub labels: Vec<String>,
    pub valid_tracks: usize,
    pub train_tracks: usize,
    pub valid_accuracy: Option<f64>,
    /// Per class: (label, recall, support).
    pub recall: Vec<(String, Option<f64>, usize)>,
    pub confusion: Vec<Vec<usize>>,
    /// The active model on the same validation tracks: (its name, accuracy, tracks compared).
    pub active: Option<(String, f64, usize)>,
    pub best_epoch: usize,
    pub epochs: Vec<EpochReport>,
    /// Quick mode fits a head to convergence (its "epochs" are steps of one fit).
    pub mode: TrainMode,
    pub secs: f64,
    /// The name the model is saved under (suggested: the folder's name and the date; editable).
    pub name: String,
    /// Its own open-set rule ("?") and its rates, or why it has none.
    pub open_set: RuleFit,
}

impl Outcome {
    /// Why accepting is not offered as it stands (empty: it is). The user can still force it.
    pub fn blockers(&self) -> Vec<String> {
        let mut why = Vec::new();
        let empty: Vec<&str> = self
            .recall
            .iter()
            .filter(|(_, _, n)| *n == 0)
            .map(|(l, _, _)| l.as_str())
            .collect();
        if self.valid_accuracy.is_none() || self.valid_tracks == 0 {
            why.push("no validation tracks: nothing measured how well it does".to_string());
        } else if !empty.is_empty() {
            why.push(format!(
                "no validation tracks for {}: how well it knows {} is unmeasured",
                empty.join(", "),
                if empty.len() == 1 { "it" } else { "them" }
            ));
        }
        if let (Some(new), Some((name, old, n))) = (self.valid_accuracy, &self.active)
            && new < *old
        {
            why.push(format!(
                "{:.0}% is below the active model ({name}): {:.0}% on the same {}",
                new * 100.0,
                old * 100.0,
                crate::util::text::tracks_n(*n)
            ));
        }
        why
    }
}

impl Outcome {
    /// What accepting and discarding do now, in the same words on the status line and in the
    /// view: `forcing` once accept was asked for although it is not offered.
    pub fn offer(&self, accept: &str, discard: &str, forcing: bool) -> String {
        if self.blockers().is_empty() {
            format!("{accept} accepts · {discard} discards")
        } else if forcing {
            format!("{accept} again accepts it anyway · {discard} discards (recommended)")
        } else {
            format!("{discard} discards (recommended) · {accept} twice accepts it anyway")
        }
    }

    /// The training's curves in words: how loss and validation accuracy went over the epochs,
    /// or, with fewer than two (a quick head fitted in one go), what it measured.
    pub fn curves(&self) -> String {
        let pct = |a: Option<f64>| a.map_or("-".to_string(), |a| format!("{:.0}%", a * 100.0));
        match (self.epochs.first(), self.epochs.last()) {
            (Some(a), Some(b)) if self.epochs.len() >= 2 => format!(
                "{} epochs: loss {:.3} → {:.3}, validation {} → {}",
                self.epochs.len(),
                a.loss,
                b.loss,
                pct(a.valid_track_accuracy),
                pct(b.valid_track_accuracy)
            ),
            _ => format!(
                "{}: no epochs to plot; held-out accuracy {}",
                match self.mode {
                    TrainMode::Quick => "quick mode, one fit to convergence",
                    TrainMode::Full => "one epoch",
                },
                pct(self.valid_accuracy)
            ),
        }
    }
}

/// "rock-and-jazz 2026-12-01": the folder's name and the day, the suggested model name.
pub fn suggested_name(folder: &Path, unix_secs: u64) -> String {
    let base = folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "trained".into());
    let (y, m, d) = crate::util::time::civil_date(unix_secs);
    format!("{base} {y:04}-{m:02}-{d:02}")
}

/// Why the dialog cannot go on, as it says it. The causes come from the trainer's threads as
/// their formatted chain (the event that carries this is `Clone`, an `anyhow::Error` is not).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// Looking at the folder failed: the cause chain.
    #[error("{0}")]
    Prepare(String),
    #[error("the folder changed; look at it again (Esc, Enter)")]
    FolderChanged,
    #[error("training cancelled; nothing changed")]
    Cancelled,
    #[error("training failed: {0}")]
    Failed(String),
}
