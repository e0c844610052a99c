//! `genreplay classify [--model PATH] FILE...`
//!
//! Each file on its own: a file that cannot be classified is reported (naming it) and the rest
//! go on; the JSON holds an entry per file, and the exit code is 1 when any failed. A damaged
//! file classified from what could be decoded is marked `partial` with the reason.

use std::path::Path;
use std::process::ExitCode;

use serde_json::{Map, Value, json};

use crate::cli::ClassifyArgs;
use crate::model::backend::inference_device;
use crate::model::infer::{Classifier, Prediction};
use crate::model::kernels::Kernel;
use crate::model::registry;
use crate::model::trunk::TrunkKind;

/// The `n` most likely genres with their probabilities, best first.
pub(crate) fn top_guesses(labels: &[String], vector: &[f32], n: usize) -> Vec<Value> {
    let mut ranked: Vec<(&String, f32)> = labels.iter().zip(vector.iter().copied()).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
        .into_iter()
        .take(n)
        .map(|(l, v)| json!({"genre": l, "probability": v}))
        .collect()
}

/// A track's styles for the JSON: the shown ones (`"styles": [tag, …]`, best first) and the
/// full tag vector (`"tags": {tag: probability}`, in the trunk's order); `null` for a model
/// without the pretrained trunk's tags.
pub(crate) fn styles_json(
    filter: &crate::model::styles::StyleFilter,
    style: Option<&Vec<f32>>,
) -> (Value, Value) {
    let Some(v) = style else {
        return (Value::Null, Value::Null);
    };
    let Some(pairs) = crate::model::styles::tag_pairs(v) else {
        return (Value::Null, Value::Null);
    };
    let shown: Vec<&str> = filter.shown(v).into_iter().map(|(n, _)| n).collect();
    let mut tags = Map::new();
    for (t, p) in pairs {
        tags.insert(t.to_string(), json!(p));
    }
    (json!(shown), Value::Object(tags))
}

pub fn run(args: &ClassifyArgs, json: bool) -> anyhow::Result<ExitCode> {
    let device = inference_device();
    let model = registry::load(args.model.as_deref(), &device)?;
    let classifier =
        Classifier::new(model, device).with_threads(crate::analysis::available_cores());
    let labels = classifier.labels().to_vec();
    let shown = Shown {
        // Which kernel the compiled musicnn trunk runs on (`GENREPLAY_KERNEL`), for `--timings`.
        kernel: (classifier.model().config.trunk_kind() == Some(TrunkKind::Musicnn))
            .then(|| Kernel::selected().isa().name()),
        style_filter: crate::model::styles::StyleFilter::for_labels(&labels),
        labels,
        timings: args.timings,
    };
    let mut out = Vec::new();
    let mut failed = 0usize;
    for path in &args.files {
        match classifier.classify_file(path) {
            Ok(p) => {
                if let Some(why) = &p.partial {
                    eprintln!("warning: {}: partial: {why}", path.display());
                }
                if json {
                    out.push(shown.json(path, &p));
                } else {
                    shown.print(path, &p);
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
                if json {
                    out.push(json!({"path": path.to_string_lossy(), "error": e.to_string()}));
                }
            }
        }
    }
    if json {
        super::print_json(&out)?;
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// How a prediction is shown: the model's genres and styles, and with `--timings` where the
/// time went (and on which kernel).
struct Shown {
    labels: Vec<String>,
    style_filter: crate::model::styles::StyleFilter,
    kernel: Option<&'static str>,
    timings: bool,
}

impl Shown {
    /// A file's entry of the JSON.
    fn json(&self, path: &Path, p: &Prediction) -> Value {
        let labels = &self.labels;
        let (top, conf) = p.top();
        let genre = labels.get(top).cloned().unwrap_or_default();
        let mut vector = Map::new();
        for (l, v) in labels.iter().zip(&p.vector) {
            vector.insert(l.clone(), json!(v));
        }
        // `genre` stays the top guess; `known: false` says the model is unsure of it.
        let mut entry = json!({
            "path": path.to_string_lossy(),
            "genre": genre,
            "confidence": conf,
            "known": p.known(),
            "top_guesses": top_guesses(labels, &p.vector, 3),
            "vector": Value::Object(vector),
            "partial": p.partial,
        });
        let (styles, tags) = styles_json(&self.style_filter, p.style.as_ref());
        if let Some(obj) = entry.as_object_mut() {
            obj.insert("styles".into(), styles);
            obj.insert("tags".into(), tags);
        }
        if let (Some(v), Some(obj)) = (p.open_set, entry.as_object_mut()) {
            obj.insert(
                "open_set".into(),
                json!({
                    "calibrated_confidence": v.confidence,
                    "distance": v.distance,
                    "music": p.music.map(|m| m.score()),
                    "music_cues": p.music,
                }),
            );
        }
        if self.timings
            && let Some(obj) = entry.as_object_mut()
        {
            obj.insert("segments".into(), json!(p.segments));
            obj.insert("clip_start_secs".into(), json!(p.clip_start_secs));
            obj.insert("clip_secs".into(), json!(p.clip_secs));
            obj.insert("timings_ms".into(), json!(p.timings));
            obj.insert("kernel".into(), json!(self.kernel));
        }
        entry
    }

    /// A file's report as text.
    fn print(&self, path: &Path, p: &Prediction) {
        let (top, conf) = p.top();
        let genre = self.labels.get(top).cloned().unwrap_or_default();
        let mut ranked: Vec<(&String, f32)> =
            self.labels.iter().zip(p.vector.iter().copied()).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        println!("{}", path.display());
        if p.known() {
            println!("  genre: {genre} ({:.1}%)", conf * 100.0);
        } else {
            let guesses: Vec<String> = ranked
                .iter()
                .take(3)
                .map(|(l, v)| format!("{l} {:.0}%", v * 100.0))
                .collect();
            println!("  genre: ? unsure (top guesses: {})", guesses.join(", "));
        }
        let styles = p
            .style
            .as_ref()
            .map(|v| self.style_filter.line(v))
            .unwrap_or_default();
        if !styles.is_empty() {
            println!("  styles: {styles}");
        }
        if let Some(v) = p.open_set {
            println!(
                "  open set: calibrated confidence {:.2}, distance {:.3}{}",
                v.confidence,
                v.distance,
                p.music.map_or(String::new(), |m| format!(
                    ", music-likeness {:.2}",
                    m.score()
                ))
            );
        }
        if let Some(why) = &p.partial {
            println!("  partial: {why}");
        }
        let vec_text: Vec<String> = ranked
            .iter()
            .map(|(l, v)| format!("{l} {:.3}", v))
            .collect();
        println!("  vector: {}", vec_text.join("  "));
        if self.timings {
            println!(
                "  timings: decode {:.0} ms, front end {:.0} ms, cnn {:.0} ms{} ({} segments, clip {:.1}s from {:.1}s)",
                p.timings.decode_ms,
                p.timings.frontend_ms,
                p.timings.cnn_ms,
                self.kernel
                    .map_or(String::new(), |k| format!(" ({k} kernel)")),
                p.segments,
                p.clip_secs,
                p.clip_start_secs
            );
        }
    }
}
