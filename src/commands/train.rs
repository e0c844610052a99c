//! `genreplay train DIR [--mode quick|full] [--preset costa2017] [--head patch|mean|…] [--labels
//! folders|tags] [--epochs N] [--out PATH] [--valid-frac F] [--cv K]`

use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use serde_json::json;

use crate::cli::{HeadArg, ModeArg, PresetArg, TrainArgs, TrunkArg};
use crate::model::config::ArchConfig;
use crate::model::head::HeadPooling;
use crate::model::job::{
    CvReport, Prepared, TrainMode, TrainRequest, TrainResult, cross_validate_with_config, prepare,
    run_with_config,
};
use crate::model::registry::save_dir;
use crate::model::train::TrainEvent;
use crate::model::trunk::TrunkKind;
use crate::model::{ModelConfig, ModelId};
use crate::paths::Paths;
use crate::recommend::eval::{QueueMetrics, measure_table, queue_metrics};
use crate::recommend::similar::{Candidate, QueueOptions};

pub fn request(args: &TrainArgs, paths: &Paths) -> TrainRequest {
    let mode = match args.mode {
        ModeArg::Quick => TrainMode::Quick,
        ModeArg::Full => TrainMode::Full,
    };
    let mut options = mode.default_options();
    if args.preset == Some(PresetArg::Costa2017) {
        options = crate::model::job::costa2017_options();
    }
    if let Some(e) = args.epochs {
        options.epochs = e;
    }
    if let Some(b) = args.batch_size {
        options.batch_size = b;
    }
    if let Some(l) = args.learning_rate {
        options.learning_rate = l;
    }
    if let Some(p) = args.patience {
        options.patience = p;
    }
    options.seed = args.seed;
    TrainRequest {
        dir: args.dir.clone(),
        labels: super::label_source(args.labels, args.min_count),
        mode,
        options,
        valid_frac: args.valid_frac,
        use_index: !args.no_index,
        cache_root: (!args.no_cache).then(|| paths.cache_dir.clone()),
        threads: super::worker_threads().max(2),
    }
}

fn print_event(ev: TrainEvent, failed: &Mutex<Vec<(String, String)>>) {
    if let TrainEvent::Features {
        path,
        error: Some(e),
        ..
    } = &ev
        && let Ok(mut f) = failed.lock()
    {
        f.push((path.to_string_lossy().into_owned(), e.clone()));
    }
    match ev {
        TrainEvent::Features {
            done,
            total,
            path,
            error,
        } => match error {
            Some(e) => eprintln!("  skipped: {e}"),
            None if done.is_multiple_of(10) || done == total => {
                eprintln!("  analysed {done}/{total} ({})", path.display())
            }
            None => {}
        },
        TrainEvent::Epoch(r) => {
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
        // Within an epoch: the epoch's own line says enough here.
        TrainEvent::Batch { .. } | TrainEvent::Validating { .. } | TrainEvent::Comparing => {}
        TrainEvent::Calibrating => {
            eprintln!(
                "fitting the model's open-set rule (\"?\") on its train and validation tracks"
            )
        }
    }
}

/// The model the arguments ask for: the mode's, or with `--trunk` a head on that trunk.
fn config_for(
    args: &TrainArgs,
    req: &TrainRequest,
    labels: Vec<String>,
) -> anyhow::Result<ModelConfig> {
    if let Some(preset) = args.preset {
        if req.mode != TrainMode::Full {
            anyhow::bail!("--preset names a CNN trained whole: use it with --mode full");
        }
        return Ok(match preset {
            PresetArg::Costa2017 => ModelConfig::costa2017(labels),
        });
    }
    if req.mode != TrainMode::Quick {
        if args.trunk.is_some() || args.head.is_some() || args.l2.is_some() {
            anyhow::bail!(
                "--trunk, --head and --l2 shape a head on a pretrained trunk: use them with --mode quick"
            );
        }
        return Ok(req.mode.config(labels));
    }
    let kind = match args.trunk {
        None | Some(TrunkArg::Musicnn) => TrunkKind::Musicnn,
        Some(TrunkArg::Vgg) => TrunkKind::Vgg,
        Some(TrunkArg::Student) => TrunkKind::Student,
    };
    let mut config = match args.head {
        None => ModelConfig::head_on(kind, labels),
        Some(h) => ModelConfig::head_with(
            kind,
            match h {
                HeadArg::Patch | HeadArg::PatchLogreg => HeadPooling::Patch,
                HeadArg::Mean => HeadPooling::Mean,
                HeadArg::MeanStd => HeadPooling::MeanStd,
                HeadArg::MeanMax => HeadPooling::MeanMax,
            },
            labels,
        ),
    };
    if let ArchConfig::MusicnnHead(h) = &mut config.arch {
        if args.head == Some(HeadArg::PatchLogreg) {
            h.l2 = Some(crate::model::config::DEFAULT_L2);
        }
        if let Some(l2) = args.l2 {
            if h.l2.is_none() {
                anyhow::bail!(
                    "--l2 is the penalty of a logistic-regression head (--head patch-logreg|mean|mean-std|mean-max)"
                );
            }
            h.l2 = Some(l2);
        }
    }
    Ok(config)
}

pub fn run(args: &TrainArgs, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let req = request(args, paths);
    let prepared = prepare(&req)?;
    let config = config_for(args, &req, prepared.labels.clone())?;
    print_prepared(&prepared, &req);
    let cancel = AtomicBool::new(false);
    // Files that could not be analysed: skipped (each named as it happens), the rest go on;
    // the exit code is 1 when there were any.
    let failed = Mutex::new(Vec::new());
    // Files named like audio that cannot be read at all (a FIFO, a dangling link) too.
    for (p, why) in &prepared.set.unreadable {
        let reason = format!("{}: {why}", p.display());
        eprintln!("  skipped: {reason}");
        if let Ok(mut f) = failed.lock() {
            f.push((p.to_string_lossy().into_owned(), reason));
        }
    }
    let on_event = |ev| print_event(ev, &failed);
    let code = |failed: &Mutex<Vec<(String, String)>>| {
        let n = failed.lock().map(|f| f.len()).unwrap_or(0);
        if n > 0 {
            eprintln!("{n} files could not be analysed and were left out (named above)");
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    };
    if let Some(k) = args.cv {
        let cv = cross_validate_with_config(&req, &prepared, config, k, &on_event, &cancel)?;
        report_cv(&cv, &req, json)?;
        return Ok(code(&failed));
    }
    let mut result = run_with_config(&req, &prepared, config, &on_event, &cancel)?;
    note_recipe(&mut result.config, args);
    let (out, id) = save_and_register(&result, args, paths)?;
    if json {
        super::print_json(&json!({
            "model": out.to_string_lossy(),
            "model_id": id.as_str(),
            "mode": req.mode,
            "labels": result.config.labels,
            "train_tracks": result.train_tracks,
            "valid_tracks": result.valid_tracks,
            "best_epoch": result.best_epoch,
            "valid_track_accuracy": result.valid_accuracy,
            "history": result.history,
            "open_set": result.open_set,
            "failed": failed.lock().map(|f| f.iter().map(|(p, r)| json!({"path": p, "reason": r})).collect::<Vec<_>>()).unwrap_or_default(),
        }))?;
    } else {
        println!(
            "saved model {} to {} (best epoch {}, valid track accuracy {}); make it active with `genreplay models use {}`",
            id,
            out.display(),
            result.best_epoch,
            result
                .valid_accuracy
                .map_or("n/a".to_string(), |a| format!("{a:.3}")),
            id
        );
        println!("{}", result.open_set.describe());
    }
    Ok(code(&failed))
}

/// What training is about to run on: tracks per genre, the split, the warnings and skips.
fn print_prepared(prepared: &Prepared, req: &TrainRequest) {
    eprintln!(
        "{} tracks in {} genres ({}); {} train / {} valid{}; mode {}",
        prepared.set.tracks.len(),
        prepared.labels.len(),
        prepared
            .counts
            .iter()
            .map(|(l, n)| format!("{l} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        prepared.train_tracks,
        prepared.valid_tracks,
        if prepared.set.indexed {
            " (split from INDEX.tsv)"
        } else {
            " (split by artist/track)"
        },
        req.mode.name()
    );
    for w in &prepared.warnings {
        eprintln!("warning: {w}");
    }
    if prepared.skipped > 0 {
        eprintln!("{} files skipped (see the log for each)", prepared.skipped);
        for (p, why) in &prepared.set.skipped {
            tracing::info!(path = %p.display(), reason = %why, "skipped for training");
        }
    }
}

/// `--cv K`: the cross-validated accuracy, and "play next" quality from the out-of-fold
/// vectors.
fn report_cv(cv: &CvReport, req: &TrainRequest, json: bool) -> anyhow::Result<()> {
    let items: Vec<(Candidate, usize)> = cv
        .out_of_fold
        .iter()
        .map(|o| {
            let c = Candidate {
                id: o.id,
                artist: o.artist.clone(),
                genre: o.genre.as_slice().into(),
                style: o.style.as_deref().map(Into::into),
                known: true,
            };
            (c, o.label)
        })
        .collect();
    let queue = queue_metrics(&QueueOptions::default(), &items);
    let queue_measures = measure_table(&items);
    if json {
        /// The report with "play next" quality from the out-of-fold vectors.
        #[derive(serde::Serialize)]
        struct CvJson<'a> {
            #[serde(flatten)]
            cv: &'a CvReport,
            queue: QueueMetrics,
            queue_measures: &'a [(String, QueueMetrics)],
        }
        return super::print_json(&CvJson {
            cv,
            queue,
            queue_measures: &queue_measures,
        });
    }
    println!(
        "{}-fold cross-validated track accuracy ({} mode, folds {}): {:.3} ± {:.3}",
        cv.folds,
        req.mode.name(),
        cv.grouping,
        cv.mean_accuracy,
        cv.std_accuracy
    );
    println!(
        "per fold: {}",
        cv.fold_accuracy
            .iter()
            .map(|a| format!("{a:.3}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    print!("\npooled over folds:\n{}", cv.pooled.to_text());
    println!(
        "\nplay-next queues from the out-of-fold vectors: precision at 10 {:.3}, artist repeat rate {:.3}",
        queue.queue_precision_at_10, queue.artist_repeat_rate
    );
    for (name, m) in &queue_measures {
        println!("  {name:<28} P@10 {:.3}", m.queue_precision_at_10);
    }
    Ok(())
}

/// Notes in the model how to train it again (the trunk, preset and head when not the
/// defaults), for `genreplay models`.
fn note_recipe(config: &mut ModelConfig, args: &TrainArgs) {
    if let Some(kind) = config.trunk_kind().filter(|k| *k != TrunkKind::Musicnn) {
        config.info.notes = Some(format!(
            "genreplay train --mode quick --trunk {}",
            match kind {
                TrunkKind::Vgg => "vgg",
                TrunkKind::Student => "student",
                TrunkKind::Musicnn => "musicnn",
            }
        ));
    }
    if args.preset == Some(PresetArg::Costa2017) {
        config.info.notes = Some("genreplay train --mode full --preset costa2017".into());
    }
    if args.head.is_some() {
        let head = match args.head {
            Some(HeadArg::PatchLogreg) => "patch-logreg".to_string(),
            _ => config.head_pooling().name().replace('_', "-"),
        };
        let note = config.info.notes.get_or_insert_with(String::new);
        note.push_str(&format!(" --head {head}"));
    }
}

/// Saves the trained model (to `--out`, else the models folder under its id) and registers
/// it so `genreplay models use` and the player know it (not made active).
fn save_and_register(
    result: &TrainResult,
    args: &TrainArgs,
    paths: &Paths,
) -> anyhow::Result<(std::path::PathBuf, ModelId)> {
    let out = match &args.out {
        Some(o) => o.clone(),
        None => {
            let (c, r) = crate::model::registry::to_bytes(&result.config, &result.net)
                .map_err(|e| anyhow::anyhow!(e))?;
            paths.models_dir().join(ModelId::of(&c, &r).as_str())
        }
    };
    let id = save_dir(&out, &result.config, &result.net)?;
    match super::library::open_store(paths) {
        Ok(store) => {
            if let Ok(m) =
                crate::model::registry::load_dir(&out, &crate::model::backend::inference_device())
            {
                let _ = store.put_model(&crate::model::active::record_of(&m));
                let _ = store.flush();
            }
        }
        // The model is saved either way; only the list of models misses it.
        Err(e) => eprintln!(
            "note: the model is saved in {}, but not listed in `genreplay models`: {e:#}",
            out.display()
        ),
    }
    Ok((out, id))
}
