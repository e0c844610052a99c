#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `genreplay distill` end to end on a tiny synthesised folder: it labels patches with the
//! musicnn teacher (cached), trains a student, writes its files, and the student loads.

use crate::common;

use assert_cmd::Command;
use common::*;
use genreplay::model::backend::inference_device;
use genreplay::model::distill::{DistillOptions, list_sources};
use genreplay::model::student::StudentTrunk;
use serde_json::Value;

#[test]
fn distill_writes_a_student_that_loads_and_reuses_the_teacher_labels() {
    let dir = tempfile::tempdir().unwrap();
    let audio = dir.path().join("audio");
    synth_genre_tree(&audio, 1, 22_050, 6.5, 3);
    // A file in an excluded split of an INDEX.tsv is left out; a broken file is reported.
    std::fs::write(
        audio.join("INDEX.tsv"),
        "file\tgenre\tsplit\nlow/low-00.wav\tlow\tvalid\nnoise/noise-00.wav\tnoise\ttrain\n",
    )
    .unwrap();
    std::fs::write(audio.join("broken.mp3"), b"not audio at all").unwrap();
    let opts = DistillOptions {
        sources: vec![audio.clone()],
        exclude_splits: vec!["valid".into()],
        ..DistillOptions::default()
    };
    let files: Vec<String> = list_sources(&opts)
        .unwrap()
        .into_iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["broken.mp3", "chirp-00.wav", "noise-00.wav"]);

    let out_base = dir.path().join("student");
    let run = || {
        Command::cargo_bin("genreplay")
            .unwrap()
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["distill", "--exclude-split", "valid", "--examples", "24"])
            .args(["--epochs", "1", "--holdout-every", "0", "--batch-size", "8"])
            .args([
                "--channels",
                "8,16",
                "--stem",
                "4",
                "--hidden",
                "16",
                "--json",
            ])
            .arg("--out")
            .arg(&out_base)
            .arg(&audio)
            .output()
            .unwrap()
    };
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("broken.mp3"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["source_files"], 2);
    assert_eq!(report["augmented_patches"], 24);
    // 6.5 s files: two clip patches each.
    assert_eq!(report["clip_patches"], 4);
    assert_eq!(report["history"].as_array().unwrap().len(), 1);
    let loss = report["history"][0]["loss"].as_f64().unwrap();
    assert!(loss.is_finite() && loss > 0.0, "{loss}");

    let config = std::fs::read(dir.path().join("student.json")).unwrap();
    let weights = std::fs::read(dir.path().join("student.safetensors")).unwrap();
    assert!(dir.path().join("student.report.json").is_file());
    let student =
        StudentTrunk::from_safetensors_bytes(&config, &weights, &inference_device()).unwrap();
    let x = burn::prelude::Tensor::<4>::zeros([1, 1, 187, 96], &inference_device());
    assert_eq!(student.features(x).dims(), [1, 250]);

    // A second run finds every teacher label in the cache.
    let again = run();
    assert!(again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("(cached)"), "{stderr}");
}

#[test]
fn distill_names_a_missing_source() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("genreplay")
        .unwrap()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["distill", "--epochs", "0"])
        .arg(dir.path().join("nowhere"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nowhere") && stderr.contains("no such folder"),
        "{stderr}"
    );
}
