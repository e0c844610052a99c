//! `genreplay eval DIR [--model PATH]`

use std::process::ExitCode;

use crate::cli::{EvalArgs, SplitArg};
use crate::library::TrackId;
use crate::model::backend::inference_device;
use crate::model::dataset::{Split, collect};
use crate::model::eval::report;
use crate::model::infer::Classifier;
use crate::model::registry;
use crate::recommend::eval::{measure_table, queue_metrics};
use crate::recommend::similar::{Candidate, QueueOptions};
use serde_json::json;

pub fn run(args: &EvalArgs, json: bool) -> anyhow::Result<ExitCode> {
    let device = inference_device();
    let model = registry::load(args.model.as_deref(), &device)?;
    let classifier = Classifier::new(model, device);
    let labels = classifier.labels().to_vec();
    let source = super::label_source(args.labels, 1);
    let mut set = collect(&args.dir, source, args.split.is_some())?;
    if let Some(want) = args.split {
        let want = match want {
            SplitArg::Train => Split::Train,
            SplitArg::Valid => Split::Valid,
        };
        if !set.indexed {
            anyhow::bail!(
                "{}: --split needs an INDEX.tsv in the folder",
                args.dir.display()
            );
        }
        set.tracks.retain(|t| t.split == Some(want));
    }
    let mut pairs = Vec::new();
    let mut candidates: Vec<(Candidate, usize)> = Vec::new();
    let mut failed = set.unreadable.len();
    for (p, why) in &set.unreadable {
        eprintln!("error: {}: {why}", p.display());
    }
    let mut unknown = 0usize;
    for t in &set.tracks {
        let Some(truth) = labels.iter().position(|l| l.eq_ignore_ascii_case(&t.label)) else {
            unknown += 1;
            continue;
        };
        match classifier.classify_file(&t.path) {
            Ok(p) => {
                pairs.push((truth, p.top().0));
                candidates.push((
                    Candidate {
                        id: TrackId::of_path(&t.path),
                        artist: t.artist.clone().unwrap_or_default().to_lowercase(),
                        genre: p.vector,
                        style: p.style,
                    },
                    truth,
                ));
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    if unknown > 0 {
        eprintln!("{unknown} tracks have genres the model does not know; left out");
    }
    let r = report(&labels, &pairs);
    let q = queue_metrics(&QueueOptions::default(), &candidates);
    let table = measure_table(&candidates);
    if json {
        let mut v = serde_json::to_value(&r)?;
        if let Some(obj) = v.as_object_mut() {
            obj.insert(
                "queue_precision_at_10".into(),
                json!(q.queue_precision_at_10),
            );
            obj.insert("artist_repeat_rate".into(), json!(q.artist_repeat_rate));
            obj.insert(
                "queue_measures".into(),
                json!(table
                    .iter()
                    .map(|(n, m)| json!({"measure": n, "queue_precision_at_10": m.queue_precision_at_10, "artist_repeat_rate": m.artist_repeat_rate}))
                    .collect::<Vec<_>>()),
            );
        }
        super::print_json(&v)?;
    } else {
        print!("{}", r.to_text());
        println!(
            "\nplay-next queues (each track as seed, 10 from the rest, no randomness): precision at 10 {:.3}, artist repeat rate {:.3}",
            q.queue_precision_at_10, q.artist_repeat_rate
        );
        for (name, m) in &table {
            println!("  {name:<28} P@10 {:.3}", m.queue_precision_at_10);
        }
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
