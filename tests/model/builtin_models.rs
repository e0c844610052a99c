#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The built-in models (a genre head on musicnn, on MSD_vgg, on the distilled student) as a
//! user picks them: `--model builtin:NAME`, `models use NAME`, `train --trunk NAME`.

use crate::common;

use common::*;
use genreplay::model::Classifier;
use genreplay::model::backend::inference_device;
use genreplay::model::registry::{BUILTINS, DEFAULT_BUILTIN, load_builtin};
use genreplay::model::trunk::TrunkKind;
use serde_json::Value;

#[test]
fn every_builtin_loads_and_classifies_on_its_trunk() {
    let device = inference_device();
    let names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
    assert_eq!(names, ["musicnn", "vgg", "student"]);
    assert_eq!(DEFAULT_BUILTIN, "musicnn");
    let mut rng = Rng::new(5);
    let clip = chirps(&mut rng, 16_000, 7.0, 300.0, 3000.0);
    for (name, trunk) in [
        ("musicnn", TrunkKind::Musicnn),
        ("vgg", TrunkKind::Vgg),
        ("student", TrunkKind::Student),
    ] {
        let m = load_builtin(name, &device).unwrap();
        assert_eq!(m.config.trunk_kind(), Some(trunk), "{name}");
        assert_eq!(m.config.labels.len(), 10, "{name}");
        let p = Classifier::new(m, device.clone()).classify_samples(&clip);
        assert_eq!(p.segments, 2, "{name}");
        let sum: f32 = p.vector.iter().sum();
        assert!((sum - 1.0).abs() < 1e-4, "{name}: {sum}");
        let style = p.style.unwrap();
        assert_eq!(style.len(), 50, "{name}");
        assert!(style.iter().all(|v| (0.0..=1.0).contains(v)), "{name}");
    }
    let err = load_builtin("nope", &device).unwrap_err().to_string();
    assert!(
        err.contains("nope") && err.contains("musicnn, vgg, student"),
        "{err}"
    );
}

#[test]
fn builtin_models_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tone.wav");
    write_wav(&wav, &tone(440.0, 22_050, 4.0, 0.4), 22_050, 1);
    for name in ["vgg", "student"] {
        let out = genreplay(dir.path())
            .args(["classify", "--json", "--model", &format!("builtin:{name}")])
            .arg(&wav)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v[0]["vector"].as_object().unwrap().len(), 10, "{name}");
    }
    let out = genreplay(dir.path())
        .args(["classify", "--model", "builtin:tiny"])
        .arg(&wav)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no built-in model 'tiny'"), "{stderr}");

    // `models use` takes a built-in name; `models list` shows every built-in model.
    let out = genreplay(dir.path())
        .args(["models", "use", "student", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = genreplay(dir.path())
        .args(["models", "list", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let models = v.as_array().unwrap();
    let names: Vec<&str> = models.iter().map(|m| m["name"].as_str().unwrap()).collect();
    for n in ["musicnn-genre", "vgg-genre", "student-genre"] {
        assert!(names.contains(&n), "{names:?}");
    }
    let active: Vec<&str> = models
        .iter()
        .filter(|m| m["active"] == true)
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(active, ["student-genre"]);
}

#[test]
fn quick_training_on_another_trunk() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("labelled");
    synth_genre_tree(&data, 3, 16_000, 3.2, 11);
    for (arg, trunk) in [("student", "student_musicnn"), ("vgg", "msd_vgg")] {
        let out_dir = dir.path().join(format!("model-{arg}"));
        let out = genreplay(dir.path())
            .args([
                "train",
                "--epochs",
                "2",
                "--valid-frac",
                "0",
                "--trunk",
                arg,
                "--out",
            ])
            .arg(&out_dir)
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{arg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let config: Value =
            serde_json::from_slice(&std::fs::read(out_dir.join("config.json")).unwrap()).unwrap();
        assert_eq!(config["arch"]["trunk"], trunk);
        // The saved model classifies.
        let out = genreplay(dir.path())
            .args(["classify", "--model"])
            .arg(&out_dir)
            .arg(data.join("low/low-00.wav"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // --trunk only means something for a head.
    let out = genreplay(dir.path())
        .args(["train", "--mode", "full", "--trunk", "vgg"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--mode quick"));
}
