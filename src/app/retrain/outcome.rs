//! What the dialog shows after the form: the folder's preview, live progress, and the
//! finished training's outcome with what stands against accepting it.

use std::path::Path;
use std::time::Instant;

use super::form::TrainSpec;
use crate::model::calibrate::trained::RuleFit;
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
    /// Training is over; the model's open-set rule is being fitted.
    pub calibrating: bool,
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
                "{:.0}% is below the active model ({name}): {:.0}% on the same {n} tracks",
                new * 100.0,
                old * 100.0
            ));
        }
        why
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
