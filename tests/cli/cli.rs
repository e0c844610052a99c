#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The CLI as a user runs it: `classify`, `train`, `eval`, with `--json`, and bad inputs.

use crate::common;

use common::*;
use serde_json::Value;

#[test]
fn classify_json_gives_genre_confidence_and_full_vector() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("noise.wav");
    let mut rng = Rng::new(3);
    write_wav(&p, &noise_bursts(&mut rng, 22_050, 4.0), 22_050, 2);
    let out = genreplay(dir.path())
        .args(["classify", "--json"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = &v.as_array().unwrap()[0];
    assert_eq!(entry["path"], p.to_string_lossy().as_ref());
    let vector = entry["vector"].as_object().unwrap();
    assert!(vector.len() >= 2);
    let sum: f64 = vector.values().map(|x| x.as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-3);
    let genre = entry["genre"].as_str().unwrap();
    let conf = entry["confidence"].as_f64().unwrap();
    assert_eq!(vector[genre].as_f64().unwrap(), conf);
    assert!(vector.values().all(|x| x.as_f64().unwrap() <= conf));
}

#[test]
fn bad_files_are_named_and_the_rest_still_classified() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.wav");
    write_wav(&good, &tone(220.0, 16_000, 3.0, 0.5), 16_000, 1);
    let empty = dir.path().join("empty.mp3");
    std::fs::write(&empty, b"").unwrap();
    let random = dir.path().join("random.mp3");
    let mut rng = Rng::new(9);
    std::fs::write(
        &random,
        (0..30_000)
            .map(|_| (rng.next_u64() & 0xff) as u8)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let missing = dir.path().join("missing.flac");
    let truncated = fixture("truncated.flac");
    let wavpack = dir.path().join("tone.wv");
    write_wavpack(&wavpack);
    let files = [&missing, &empty, &random, &truncated, &wavpack, &good];
    let out = genreplay(dir.path())
        .args(["classify", "--json"])
        .args(files)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for bad in [&missing, &empty, &random, &truncated, &wavpack] {
        assert!(
            stderr.contains(&bad.display().to_string()),
            "{} not named in:\n{stderr}",
            bad.display()
        );
    }
    assert!(stderr.contains("unsupported format: WavPack"), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 6);
    // One policy for damaged files: the truncated FLAC is classified from what decodes and
    // marked partial with the reason (named on stderr as a warning); the rest are errors.
    let ok: Vec<_> = arr.iter().filter(|e| e.get("genre").is_some()).collect();
    assert_eq!(ok.len(), 2, "{v:#}");
    assert_eq!(ok[1]["path"], good.to_string_lossy().as_ref());
    assert!(ok[1]["partial"].is_null(), "{v:#}");
    assert_eq!(ok[0]["path"], truncated.to_string_lossy().as_ref());
    let why = ok[0]["partial"].as_str().unwrap();
    assert!(why.contains("truncated"), "{why}");
    assert!(stderr.contains("partial: truncated"), "{stderr}");
    assert_eq!(arr.iter().filter(|e| e.get("error").is_some()).count(), 4);

    // The readable form names them too.
    let out = genreplay(dir.path())
        .arg("classify")
        .args([&wavpack, &good])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("genre:"), "{stdout}");
}

#[test]
fn missing_or_broken_models_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.wav");
    write_wav(&good, &tone(220.0, 16_000, 3.0, 0.5), 16_000, 1);
    let nowhere = dir.path().join("no-such-model");
    let out = genreplay(dir.path())
        .arg("classify")
        .arg("--model")
        .arg(&nowhere)
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&nowhere.display().to_string()) && stderr.contains("not found"),
        "{stderr}"
    );

    // Train a quick model through the CLI, then break its files one at a time.
    let data = dir.path().join("labelled");
    synth_genre_tree(&data, 4, 16_000, 2.5, 4);
    let model = dir.path().join("model");
    let out = genreplay(dir.path())
        .args(["train", "--epochs", "1", "--json", "--out"])
        .arg(&model)
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["labels"], serde_json::json!(["chirp", "low", "noise"]));
    assert_eq!(v["history"].as_array().unwrap().len(), 1);
    assert!(v["model_id"].as_str().unwrap().len() == 16);

    // It loads and classifies.
    let ok = genreplay(dir.path())
        .arg("classify")
        .arg("--model")
        .arg(&model)
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    // eval --json has the documented keys.
    let out = genreplay(dir.path())
        .args(["eval", "--json", "--model"])
        .arg(&model)
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["tracks", "accuracy", "labels", "per_class", "confusion"] {
        assert!(r.get(key).is_some(), "missing {key} in {r}");
    }
    assert_eq!(r["tracks"], 12);
    assert_eq!(r["confusion"].as_array().unwrap().len(), 3);
    // Beside the accuracy: music called unsure, non-music called unsure (rates, 0-1), the
    // causes, and the R-queues' precision and fill.
    let rate = |v: &Value| v.as_f64().unwrap_or_else(|| panic!("{r}"));
    let false_unsure = rate(&r["false_unsure_rate"]);
    assert!((false_unsure - (1.0 - rate(&r["open_set"]["music_known_rate"]))).abs() < 1e-9);
    assert!((0.0..=1.0).contains(&rate(&r["non_music_unsure_rate"])));
    for cause in ["not_music", "low_confidence", "far"] {
        assert!(r["open_set"]["false_unsure_causes"][cause].is_u64(), "{r}");
    }
    for key in ["r_queued_precision", "r_fill"] {
        assert!(
            (0.0..=1.0).contains(&rate(&r["queue"]["with_floor"][key])),
            "{r}"
        );
    }
    // The model was trained on this folder (no index: its own split by track), so eval says
    // the figures are not all held out; on another folder it says nothing.
    let note = r["training_note"].as_str().unwrap_or_else(|| panic!("{r}"));
    assert!(
        note.contains("trained on") && note.contains("this folder"),
        "{note}"
    );
    let other = dir.path().join("other");
    synth_genre_tree(&other, 2, 16_000, 2.5, 9);
    let mut c = genreplay(dir.path());
    c.args(["eval", "--json", "--model"])
        .arg(&model)
        .arg(&other);
    assert_eq!(json_of(c)["training_note"], Value::Null);

    // Truncated weights.
    let bpk = model.join("model.bpk");
    let bytes = std::fs::read(&bpk).unwrap();
    std::fs::write(&bpk, &bytes[..bytes.len() / 2]).unwrap();
    let out = genreplay(dir.path())
        .arg("classify")
        .arg("--model")
        .arg(&model)
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&bpk.display().to_string()), "{stderr}");
    std::fs::write(&bpk, &bytes).unwrap();

    // A config that does not parse.
    let cfg = model.join("config.json");
    std::fs::write(&cfg, b"{ not json").unwrap();
    let out = genreplay(dir.path())
        .arg("classify")
        .arg("--model")
        .arg(&model)
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&cfg.display().to_string()), "{stderr}");
}

#[test]
fn train_refuses_a_single_genre() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("one");
    write_wav(
        &data.join("rock/a.wav"),
        &tone(300.0, 16_000, 2.5, 0.4),
        16_000,
        1,
    );
    write_wav(
        &data.join("rock/b.wav"),
        &tone(400.0, 16_000, 2.5, 0.4),
        16_000,
        1,
    );
    let out = genreplay(dir.path())
        .arg("train")
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("at least 2"), "{stderr}");
}

#[test]
fn classify_real_library_files_when_shared_data_is_present() {
    let Some(data) = shared_data() else { return };
    let lib = data.join("library-sample");
    let dir = tempfile::tempdir().unwrap();
    let files = [
        lib.join("Sectoid/Songs/01 Metal madness.mp3"),
        lib.join("Warzone 2100/Original Soundtrack/02 Track 2.flac"),
        lib.join("Warzone 2100/Original Soundtrack/01 Track 1.m4a"),
        lib.join("Misc/robin-chirp-2s.ogg"),
    ];
    let out = genreplay(dir.path())
        .args(["classify", "--json"])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 4);
}
