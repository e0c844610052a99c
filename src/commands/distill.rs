//! `genreplay distill PATH… [--exclude-split S]… [--examples N] [--epochs N] [--out PATH]`:
//! trains the student network to imitate the musicnn trunk (see `model::distill`).

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::Context;

use crate::cli::DistillArgs;
use crate::model::distill::{DistillEpoch, DistillEvent, DistillOptions, distill};
use crate::model::student::{StudentConfig, StudentTrunk};
use crate::paths::Paths;

fn options(args: &DistillArgs) -> DistillOptions {
    let mut student = StudentConfig::shipped();
    if let Some(c) = &args.channels {
        student.channels = c.clone();
    }
    if let Some(s) = args.stem {
        student.stem = s;
    }
    if let Some(h) = args.hidden {
        student.hidden = h;
    }
    student.depthwise = !args.plain;
    DistillOptions {
        sources: args.sources.clone(),
        exclude_splits: args.exclude_splits.clone(),
        holdout_every: args.holdout_every,
        examples: args.examples,
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.learning_rate,
        weight_decay: args.weight_decay,
        seed: args.seed,
        student,
    }
}

fn print_event(ev: DistillEvent) {
    match ev {
        DistillEvent::Decoded {
            done,
            total,
            path: _,
            error,
        } => match error {
            Some(e) => eprintln!("  skipped: {e}"),
            None if done.is_multiple_of(20) || done == total => {
                eprintln!("  decoded {done}/{total}")
            }
            None => {}
        },
        DistillEvent::Labelled {
            done,
            total,
            cached,
        } => {
            if done.is_multiple_of(10) || done == total {
                eprintln!(
                    "  teacher labels {done}/{total}{}",
                    if cached { " (cached)" } else { "" }
                );
            }
        }
        DistillEvent::Epoch(e) => {
            let h = e.holdout.map_or(String::new(), |f| {
                format!(
                    "  held-out R² embedding {:.3} logits {:.3}, tag MAE {:.4}",
                    f.embedding_r2, f.logit_r2, f.tag_prob_mae
                )
            });
            eprintln!(
                "epoch {:>3}/{}  loss {:.4}  lr {:.2e}  {:.0} patches/s  {:.0} s{h}",
                e.epoch, e.epochs, e.loss, e.learning_rate, e.examples_per_sec, e.secs
            );
        }
    }
}

pub fn run(args: &DistillArgs, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let opts = options(args);
    let macs = opts.student.macs(187, 96);
    eprintln!(
        "student: stem {}, blocks {:?} ({}), hidden {}: {:.1} MMAC per 3 s patch",
        opts.student.stem,
        opts.student.channels,
        if opts.student.depthwise {
            "depthwise-separable"
        } else {
            "plain 3x3"
        },
        opts.student.hidden,
        macs as f64 / 1e6
    );
    let cancel = AtomicBool::new(false);
    let cache = (!args.no_cache).then(|| paths.cache_dir.clone());
    let base = &args.out;
    if let Some(parent) = base.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let with_ext = |ext: &str| {
        let mut p = base.clone().into_os_string();
        p.push(ext);
        std::path::PathBuf::from(p)
    };
    let config_path = with_ext(".json");
    let weights_path = with_ext(".safetensors");
    let report_path = with_ext(".report.json");
    // The student after every epoch, so a long run can be looked at (or stopped) on the way.
    let checkpoint_path = with_ext(".checkpoint.safetensors");
    let mut checkpoint = |student: &StudentTrunk, epoch: &DistillEpoch| {
        let written = student
            .to_safetensors()
            .map_err(anyhow::Error::from)
            .and_then(|b| std::fs::write(&checkpoint_path, b).map_err(anyhow::Error::from));
        match written {
            Ok(()) => eprintln!(
                "  epoch {} student saved to {}",
                epoch.epoch,
                checkpoint_path.display()
            ),
            Err(e) => eprintln!("  cannot write {}: {e}", checkpoint_path.display()),
        }
    };
    let out = distill(
        &opts,
        cache.as_deref(),
        &mut print_event,
        &mut checkpoint,
        &cancel,
    )?;
    std::fs::write(&config_path, serde_json::to_vec_pretty(&opts.student)?)
        .with_context(|| format!("writing {}", config_path.display()))?;
    let record = out
        .student
        .to_safetensors()
        .map_err(|e| anyhow::anyhow!("serialising the student: {e}"))?;
    std::fs::write(&weights_path, record)
        .with_context(|| format!("writing {}", weights_path.display()))?;
    let _ = std::fs::remove_file(&checkpoint_path);
    std::fs::write(&report_path, serde_json::to_vec_pretty(&out.report)?)
        .with_context(|| format!("writing {}", report_path.display()))?;
    if json {
        super::print_json(&out.report)?;
    } else {
        let last = out.report.history.last();
        println!(
            "student written to {} and {} ({} parameters, {:.1} MMAC per patch); {} patches from {} files ({} held out); teacher {:.0} s, training {:.0} s{}",
            config_path.display(),
            weights_path.display(),
            out.report.student_params,
            out.report.student_macs as f64 / 1e6,
            out.report.clip_patches + out.report.full_track_patches + out.report.augmented_patches,
            out.report.source_files,
            out.report.holdout_files,
            out.report.teacher_secs,
            out.report.train_secs,
            last.and_then(|e| e.holdout)
                .map_or(String::new(), |f| format!(
                    "; held-out R² embedding {:.3}, logits {:.3}",
                    f.embedding_r2, f.logit_r2
                ))
        );
    }
    Ok(ExitCode::SUCCESS)
}
