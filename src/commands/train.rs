//! `genreplay train DIR [--labels folders|tags] [--epochs N] [--out PATH] [--valid-frac F]`

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use serde_json::json;

use crate::cli::TrainArgs;
use crate::model::config::{ModelConfig, TrainMetrics};
use crate::model::dataset::{collect, split};
use crate::model::registry::save_dir;
use crate::model::train::{TrainEvent, TrainOptions, extract_features, train};
use crate::paths::Paths;

pub fn run(args: &TrainArgs, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let source = super::label_source(args.labels, args.min_count);
    let set = collect(&args.dir, source, !args.no_index)?;
    let labels = set.labels();
    if labels.len() < 2 {
        anyhow::bail!(
            "{}: found {} genre(s) ({}); training needs at least 2",
            args.dir.display(),
            labels.len(),
            labels.join(", ")
        );
    }
    let (train_ix, valid_ix) = split(&set, args.valid_frac, args.seed);
    eprintln!(
        "{} tracks in {} genres ({}); {} train / {} valid{}",
        set.tracks.len(),
        labels.len(),
        set.counts()
            .iter()
            .map(|(l, n)| format!("{l} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        train_ix.len(),
        valid_ix.len(),
        if set.indexed {
            " (split from INDEX.tsv)"
        } else {
            " (split by artist/track)"
        }
    );
    if !set.skipped.is_empty() {
        eprintln!("{} files skipped (see the log for each)", set.skipped.len());
        for (p, why) in &set.skipped {
            tracing::info!(path = %p.display(), reason = %why, "skipped for training");
        }
    }
    let mut config = ModelConfig::costa_default(labels.clone());
    let label_index = |l: &str| labels.iter().position(|x| x == l).unwrap_or(0);
    let files = |ix: &[usize]| -> Vec<(PathBuf, usize)> {
        ix.iter()
            .map(|&i| {
                (
                    set.tracks[i].path.clone(),
                    label_index(&set.tracks[i].label),
                )
            })
            .collect()
    };
    let cancel = AtomicBool::new(false);
    let report = |ev: TrainEvent| {
        if let TrainEvent::Features {
            done,
            total,
            path,
            error,
        } = ev
        {
            match error {
                Some(e) => eprintln!("  skipped: {e}"),
                None if done.is_multiple_of(10) || done == total => {
                    eprintln!("  analysed {done}/{total} ({})", path.display())
                }
                None => {}
            }
        }
    };
    let threads = super::worker_threads().max(2);
    let train_feats = extract_features(&config, &files(&train_ix), threads, &report, &cancel);
    let valid_feats = extract_features(&config, &files(&valid_ix), threads, &report, &cancel);
    let opts = TrainOptions {
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.learning_rate,
        patience: args.patience,
        seed: args.seed,
    };
    let mut on_event = |ev: TrainEvent| {
        if let TrainEvent::Epoch(r) = ev {
            let valid = r
                .valid_track_accuracy
                .map_or("-".to_string(), |a| format!("{a:.3}"));
            eprintln!(
                "epoch {:>3}/{}  loss {:.4}  train acc (segments) {:.3}  valid acc (tracks) {}  {:.0} seg/s{}",
                r.epoch,
                r.epochs,
                r.loss,
                r.train_segment_accuracy,
                valid,
                r.segments_per_sec,
                if r.best { "  *best" } else { "" }
            );
        }
    };
    let outcome = train(
        &config,
        &train_feats,
        &valid_feats,
        &opts,
        &mut on_event,
        &cancel,
    )?;
    config.info.created_unix_secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    config.info.source = Some(args.dir.to_string_lossy().into_owned());
    config.info.metrics = Some(TrainMetrics {
        train_tracks: train_feats.len(),
        valid_tracks: valid_feats.len(),
        valid_track_accuracy: outcome.best_valid_accuracy,
        best_epoch: outcome.best_epoch,
        epochs_run: outcome.history.len(),
    });
    let out = args.out.clone().unwrap_or_else(|| {
        paths
            .models_dir()
            .join(format!("trained-{}", config.info.created_unix_secs))
    });
    let id = save_dir(&out, &config, &outcome.net)?;
    if json {
        super::print_json(&json!({
            "model": out.to_string_lossy(),
            "model_id": id.as_str(),
            "labels": labels,
            "train_tracks": train_feats.len(),
            "valid_tracks": valid_feats.len(),
            "best_epoch": outcome.best_epoch,
            "valid_track_accuracy": outcome.best_valid_accuracy,
            "history": outcome.history,
        }))?;
    } else {
        println!(
            "saved model {} to {} (best epoch {}, valid track accuracy {})",
            id,
            out.display(),
            outcome.best_epoch,
            outcome
                .best_valid_accuracy
                .map_or("n/a".to_string(), |a| format!("{a:.3}"))
        );
    }
    Ok(ExitCode::SUCCESS)
}
