//! `genreplay eval DIR [--model PATH] [--split S] [--non-music PATH]...`
//!
//! Accuracy, per-class figures and the confusion matrix on a labelled folder; calibration
//! (ECE, raw and temperature-scaled); the open-set rule's rates (music called known, non-music
//! called unsure: synthesised sounds and any `--non-music` files); and "play next" quality
//! (P@10 and R-precision, with and without the similarity floor).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::{EvalArgs, SplitArg, TtaArg};
use crate::library::TrackId;
use crate::model::backend::inference_device;
use crate::model::dataset::{LabelledSet, LabelledTrack, Split, collect};
use crate::model::eval::{EvalReport, report};
use crate::model::infer::{Classifier, Prediction};
use crate::model::open_set::{OpenSetConfig, Unsure, ece, scale};
use crate::model::registry;
use crate::model::tta::Tta;
use crate::recommend::eval::{QueueMetrics, measure_table, queue_metrics};
use crate::recommend::similar::{Candidate, QueueOptions};
use serde_json::json;

/// Bins of the expected calibration error.
const ECE_BINS: usize = 10;

/// One non-music sound and what the rule said of it.
struct NonMusic {
    name: String,
    genre: String,
    confidence: f32,
    known: bool,
    distance: Option<f32>,
    music: Option<f32>,
}

fn non_music_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = walkdir::WalkDir::new(p)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file() && crate::audio::is_audio_path(e.path()))
                .map(|e| e.into_path())
                .collect();
            v.sort();
            out.extend(v);
        } else {
            out.push(p.clone());
        }
    }
    out
}

fn verdict_of(name: String, labels: &[String], p: &Prediction) -> NonMusic {
    let (top, conf) = p.top();
    NonMusic {
        name,
        genre: labels.get(top).cloned().unwrap_or_default(),
        confidence: p.open_set.map_or(conf, |v| v.confidence),
        known: p.known(),
        distance: p.open_set.map(|v| v.distance),
        music: p.music.map(|m| m.score()),
    }
}

/// A note when the model was trained on the folder being measured: which of its figures are
/// held out, by the split it kept back when it was trained.
fn trained_here(
    model: &crate::model::registry::LoadedModel,
    dir: &std::path::Path,
    split: Option<SplitArg>,
) -> Option<String> {
    let source = model.config.info.source.as_deref()?;
    let same = match (std::fs::canonicalize(source), std::fs::canonicalize(dir)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same {
        return None;
    }
    let m = model.config.info.metrics.as_ref();
    let trained = m.map_or("its".into(), |m| m.train_tracks.to_string());
    let kept_back = m.is_some_and(|m| m.valid_tracks > 0);
    match (kept_back, split) {
        (_, Some(SplitArg::Unlisted)) => None,
        (true, Some(SplitArg::Valid)) => Some(
            "this model was trained on this folder's train rows; the valid rows were held out, \
             but the epoch it kept may have been chosen on them"
                .into(),
        ),
        (false, _) => Some(format!(
            "this model was trained on {trained} tracks of this folder, none kept back: its figures here are not held out"
        )),
        (true, _) => Some(format!(
            "this model was trained on {trained} tracks of this folder: only the tracks it kept back for validation are held out (with an INDEX.tsv: --split valid)"
        )),
    }
}

fn queue_json(q: &QueueMetrics) -> serde_json::Value {
    json!({
        "queue_precision_at_10": q.queue_precision_at_10,
        "r_precision": q.r_precision,
        "mean_queue_len": q.mean_queue_len,
        "artist_repeat_rate": q.artist_repeat_rate,
        "r_queued_precision": q.r_queued_precision,
        "r_fill": q.r_fill,
    })
}

/// Why the music tracks called unsure were, by the rule's cue.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
struct UnsureCauses {
    not_music: usize,
    low_confidence: usize,
    far: usize,
}

impl UnsureCauses {
    fn add(&mut self, rule: &OpenSetConfig, p: &Prediction) {
        let e = rule.evidence(
            &p.vector,
            p.embedding.as_deref(),
            p.music.map(|m| m.score()),
            p.style.as_deref(),
        );
        match rule.unsure_why(&e) {
            Some(Unsure::NotMusic) => self.not_music += 1,
            Some(Unsure::LowConfidence) => self.low_confidence += 1,
            Some(Unsure::Far) => self.far += 1,
            None => {}
        }
    }
}

/// `part` of `whole` as a rate (0 when there is nothing to count).
fn rate_of(part: usize, whole: usize) -> f64 {
    crate::util::maths::share(part as f64, whole as f64)
}

pub fn run(args: &EvalArgs, json: bool) -> anyhow::Result<ExitCode> {
    let device = inference_device();
    let model = registry::load(args.model.as_deref(), &device)?;
    let classifier = Classifier::new(model, device);
    let labels = classifier.labels().to_vec();
    let rule = classifier.model().config.open_set.clone();
    let set = labelled_tracks(args)?;
    let seen = trained_here(classifier.model(), &args.dir, args.split);
    for (p, why) in &set.unreadable {
        eprintln!("error: {}: {why}", p.display());
    }
    let tta = match args.tta {
        TtaArg::None => Tta::None,
        TtaArg::Shift => Tta::Shift,
        TtaArg::Gain => Tta::Gain,
        TtaArg::Both => Tta::Both,
    };
    let music = classify_music(&classifier, rule.as_ref(), &set.tracks, tta);
    if music.unknown > 0 {
        eprintln!(
            "{} tracks have genres the model does not know; left out",
            music.unknown
        );
    }
    let (non_music, non_music_failed) = classify_non_music(&classifier, &args.non_music);
    let failed = set.unreadable.len() + music.failed + non_music_failed;
    let eval = Evaluation::of(&labels, seen, rule, music, non_music);
    if json {
        super::print_json(&eval.to_json(args.tta)?)?;
    } else {
        eval.print(args.tta, tta);
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The folder's labelled tracks, narrowed to the `--split` asked for.
fn labelled_tracks(args: &EvalArgs) -> anyhow::Result<LabelledSet> {
    let source = super::label_source(args.labels, 1);
    let mut set = collect(&args.dir, source, args.split.is_some())?;
    let Some(want) = args.split else {
        return Ok(set);
    };
    if !set.indexed {
        anyhow::bail!(
            "{}: --split needs an INDEX.tsv in the folder",
            args.dir.display()
        );
    }
    match want {
        SplitArg::Train => set.tracks.retain(|t| t.split == Some(Split::Train)),
        SplitArg::Valid => set.tracks.retain(|t| t.split == Some(Split::Valid)),
        SplitArg::Unlisted => {
            // The index left these rows out: they are the folder's other tracks.
            let listed: std::collections::HashSet<PathBuf> =
                set.tracks.iter().map(|t| t.path.clone()).collect();
            let all = collect(&args.dir, source, false)?;
            set.tracks = all
                .tracks
                .into_iter()
                .filter(|t| !listed.contains(&t.path))
                .collect();
        }
    }
    Ok(set)
}

/// What the model said of the labelled music.
#[derive(Default)]
struct MusicRun {
    /// (truth, top guess) per classified track.
    pairs: Vec<(usize, usize)>,
    /// Each track as a "play next" candidate, with its true genre.
    candidates: Vec<(Candidate, usize)>,
    /// Genre vectors with their truth: raw, and temperature-scaled by the rule.
    raw: Vec<(Vec<f32>, usize)>,
    scaled: Vec<(Vec<f32>, usize)>,
    /// Tracks the open-set rule called known, and why the others were unsure.
    known: usize,
    causes: UnsureCauses,
    /// Tracks whose genre the model does not have, left out.
    unknown: usize,
    failed: usize,
}

fn classify_music(
    classifier: &Classifier,
    rule: Option<&OpenSetConfig>,
    tracks: &[LabelledTrack],
    tta: Tta,
) -> MusicRun {
    let labels = classifier.labels();
    let mut run = MusicRun::default();
    for t in tracks {
        let Some(truth) = labels.iter().position(|l| l.eq_ignore_ascii_case(&t.label)) else {
            run.unknown += 1;
            continue;
        };
        match classifier.classify_file_tta(&t.path, tta) {
            Ok(p) => {
                run.pairs.push((truth, p.top().0));
                if p.known() {
                    run.known += 1;
                } else if let Some(r) = rule {
                    run.causes.add(r, &p);
                }
                run.raw.push((p.vector.clone(), truth));
                if let Some(r) = rule {
                    run.scaled.push((scale(&p.vector, r.temperature), truth));
                }
                run.candidates.push((
                    Candidate {
                        id: TrackId::of_path(&t.path),
                        artist: t.artist.clone().unwrap_or_default().to_lowercase(),
                        known: p.known(),
                        genre: p.vector.into(),
                        style: p.style.map(Into::into),
                    },
                    truth,
                ));
            }
            Err(e) => {
                run.failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    run
}

/// Non-music: the synthesised set, then the given files; with how many files failed.
fn classify_non_music(classifier: &Classifier, files: &[PathBuf]) -> (Vec<NonMusic>, usize) {
    let labels = classifier.labels();
    let rate = classifier.model().config.frontend.sample_rate_hz;
    let mut non_music: Vec<NonMusic> = crate::audio::synth::non_music_set(rate, 10.0)
        .into_iter()
        .map(|s| {
            let p = classifier.classify_samples(&s.samples);
            verdict_of(format!("synthesised: {}", s.name), labels, &p)
        })
        .collect();
    let mut failed = 0;
    for f in non_music_files(files) {
        match classifier.classify_file(&f) {
            Ok(p) => non_music.push(verdict_of(f.display().to_string(), labels, &p)),
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    (non_music, failed)
}

/// Every figure `eval` reports, measured.
struct Evaluation {
    /// The note when the model was trained on this folder.
    seen: Option<String>,
    rule: Option<OpenSetConfig>,
    report: EvalReport,
    music: MusicRun,
    non_music: Vec<NonMusic>,
    /// Non-music sounds the rule called unsure.
    nm_unsure: usize,
    /// The shipped queue options, and the queue measures with and without their floor.
    shipped: QueueOptions,
    q: QueueMetrics,
    q0: QueueMetrics,
    table: Vec<(String, QueueMetrics)>,
    ece_raw: f64,
    ece_scaled: Option<f64>,
}

impl Evaluation {
    fn of(
        labels: &[String],
        seen: Option<String>,
        rule: Option<OpenSetConfig>,
        music: MusicRun,
        non_music: Vec<NonMusic>,
    ) -> Self {
        let shipped = QueueOptions::default();
        let no_floor = QueueOptions {
            min_similarity: 0.0,
            ..Default::default()
        };
        Self {
            seen,
            report: report(labels, &music.pairs),
            nm_unsure: non_music.iter().filter(|n| !n.known).count(),
            q: queue_metrics(&shipped, &music.candidates),
            q0: queue_metrics(&no_floor, &music.candidates),
            table: measure_table(&music.candidates),
            ece_raw: ece(&music.raw, ECE_BINS),
            ece_scaled: rule.as_ref().map(|_| ece(&music.scaled, ECE_BINS)),
            shipped,
            rule,
            music,
            non_music,
        }
    }

    /// Music tracks classified.
    fn music_n(&self) -> usize {
        self.music.pairs.len()
    }

    /// Music the rule wrongly called unsure.
    fn false_unsure(&self) -> usize {
        self.music_n() - self.music.known
    }

    fn to_json(&self, tta: TtaArg) -> anyhow::Result<serde_json::Value> {
        let (music_n, known_music) = (self.music_n(), self.music.known);
        let (nm_unsure, nm_n) = (self.nm_unsure, self.non_music.len());
        let rule = self.rule.as_ref();
        let mut v = serde_json::to_value(&self.report)?;
        if let Some(obj) = v.as_object_mut() {
            obj.insert("training_note".into(), json!(self.seen));
            // Beside the accuracy: music the rule wrongly calls unsure, non-music it calls so.
            obj.insert(
                "false_unsure_rate".into(),
                json!(rate_of(self.false_unsure(), music_n)),
            );
            obj.insert(
                "non_music_unsure_rate".into(),
                json!(rate_of(nm_unsure, nm_n)),
            );
            obj.insert(
                "queue_precision_at_10".into(),
                json!(self.q.queue_precision_at_10),
            );
            obj.insert("r_precision".into(), json!(self.q.r_precision));
            obj.insert(
                "artist_repeat_rate".into(),
                json!(self.q.artist_repeat_rate),
            );
            obj.insert(
                "queue".into(),
                json!({
                    "min_similarity": self.shipped.min_similarity,
                    "with_floor": queue_json(&self.q),
                    "without_floor": queue_json(&self.q0),
                }),
            );
            obj.insert("tta".into(), json!(format!("{tta:?}").to_lowercase()));
            obj.insert(
                "calibration".into(),
                json!({
                    "bins": ECE_BINS,
                    "ece_raw": self.ece_raw,
                    "ece_scaled": self.ece_scaled,
                    "temperature": rule.map(|r| r.temperature),
                }),
            );
            obj.insert(
                "open_set".into(),
                json!({
                    "rule": rule.is_some(),
                    "music_tracks": music_n,
                    "music_known": known_music,
                    "music_known_rate": rate_of(known_music, music_n),
                    "false_unsure": self.false_unsure(),
                    "false_unsure_rate": rate_of(self.false_unsure(), music_n),
                    "false_unsure_causes": self.music.causes,
                    "non_music": nm_n,
                    "non_music_unsure": nm_unsure,
                    "non_music_unsure_rate": rate_of(nm_unsure, nm_n),
                    "non_music_sounds": self.non_music.iter().map(|n| json!({
                        "name": n.name, "known": n.known, "top_guess": n.genre,
                        "confidence": n.confidence, "distance": n.distance, "music": n.music,
                    })).collect::<Vec<_>>(),
                }),
            );
            obj.insert(
                "queue_measures".into(),
                json!(self.table
                    .iter()
                    .map(|(n, m)| json!({"measure": n, "queue_precision_at_10": m.queue_precision_at_10, "r_precision": m.r_precision, "artist_repeat_rate": m.artist_repeat_rate}))
                    .collect::<Vec<_>>()),
            );
        }
        Ok(v)
    }

    /// The report as text: accuracy, the open-set rule's rates, calibration, queues.
    fn print(&self, tta_arg: TtaArg, tta: Tta) {
        let (music_n, nm_unsure, nm_n) = (self.music_n(), self.nm_unsure, self.non_music.len());
        if let Some(note) = &self.seen {
            println!("note: {note}");
        }
        if tta != Tta::None {
            println!(
                "test-time augmentation: {tta_arg:?} (patches of the extra views averaged in)"
            );
        }
        print!("{}", self.report.to_text());
        if self.rule.is_some() {
            let causes = &self.music.causes;
            println!(
                "false \"?\" (music called unsure): {}/{music_n} ({:.1}%: {} low confidence, {} far from the training music, {} not music-like); non-music called unsure: {nm_unsure}/{nm_n} ({:.1}%)",
                self.false_unsure(),
                100.0 * rate_of(self.false_unsure(), music_n),
                causes.low_confidence,
                causes.far,
                causes.not_music,
                100.0 * rate_of(nm_unsure, nm_n)
            );
        }
        let ece_raw = self.ece_raw;
        match (&self.rule, self.ece_scaled) {
            (Some(rule), Some(e)) => println!(
                "\ncalibration ({ECE_BINS} bins): ECE {ece_raw:.3} raw, {e:.3} temperature-scaled (T = {:.2})",
                rule.temperature
            ),
            _ => println!("\ncalibration ({ECE_BINS} bins): ECE {ece_raw:.3} (no open-set rule)"),
        }
        match &self.rule {
            Some(rule) => self.print_open_set(rule),
            None => println!(
                "open set: this model has no open-set rule (every track gets its top genre)"
            ),
        }
        self.print_queues();
    }

    /// The open-set rule's thresholds and rates, and what it said of each non-music sound.
    fn print_open_set(&self, rule: &OpenSetConfig) {
        let (music_n, known_music) = (self.music_n(), self.music.known);
        let (nm_unsure, nm_n) = (self.nm_unsure, self.non_music.len());
        println!(
            "open set (unsure below confidence {:.2} or beyond distance {:.3}{}):",
            rule.min_confidence,
            rule.max_distance,
            rule.min_music.map_or(String::new(), |m| format!(
                " or below music-likeness {m:.2}"
            ))
        );
        println!(
            "  music called known:      {known_music}/{music_n} ({:.1}%)",
            100.0 * known_music as f64 / music_n.max(1) as f64
        );
        println!(
            "  non-music called unsure: {nm_unsure}/{nm_n} ({:.1}%)",
            100.0 * nm_unsure as f64 / nm_n.max(1) as f64
        );
        for n in &self.non_music {
            println!(
                "    {} {:<40} {} {:.0}%{}{}",
                if n.known { " " } else { "?" },
                n.name,
                n.genre,
                n.confidence * 100.0,
                n.distance
                    .map_or(String::new(), |d| format!(", distance {d:.3}")),
                n.music
                    .map_or(String::new(), |m| format!(", music-likeness {m:.2}"))
            );
        }
    }

    /// "Play next" quality with and without the similarity floor, then per measure.
    fn print_queues(&self) {
        let (q, q0) = (&self.q, &self.q0);
        println!(
            "\nplay-next queues (each track as seed, from the rest, no randomness):\n  \
             with the floor (similarity ≥ {:.2}): P@10 {:.3}, R-precision {:.3}, {:.1} tracks per 10-track fill, artist repeat rate {:.3}\n  \
             {:<34} R-queues (R = genre size − 1): {:.1}% of what is queued in the seed's genre, {:.1}% of the places filled\n  \
             without a floor:                P@10 {:.3}, R-precision {:.3}",
            self.shipped.min_similarity,
            q.queue_precision_at_10,
            q.r_precision,
            q.mean_queue_len,
            q.artist_repeat_rate,
            "",
            100.0 * q.r_queued_precision,
            100.0 * q.r_fill,
            q0.queue_precision_at_10,
            q0.r_precision
        );
        for (name, m) in &self.table {
            println!(
                "  {name:<28} P@10 {:.3}  R-precision {:.3}",
                m.queue_precision_at_10, m.r_precision
            );
        }
    }
}
