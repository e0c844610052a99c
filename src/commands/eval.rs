//! `genreplay eval DIR [--model PATH]`

use std::process::ExitCode;

use crate::cli::{EvalArgs, SplitArg};
use crate::model::backend::inference_device;
use crate::model::dataset::{Split, collect};
use crate::model::eval::report;
use crate::model::infer::Classifier;
use crate::model::registry;

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
    let mut failed = 0usize;
    let mut unknown = 0usize;
    for t in &set.tracks {
        let Some(truth) = labels.iter().position(|l| l.eq_ignore_ascii_case(&t.label)) else {
            unknown += 1;
            continue;
        };
        match classifier.classify_file(&t.path) {
            Ok(p) => pairs.push((truth, p.top().0)),
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
    if json {
        super::print_json(&r)?;
    } else {
        print!("{}", r.to_text());
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
