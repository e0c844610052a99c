//! What the Training view draws while a training runs and when it is done: every phase named
//! as it starts (never "analysing 45/45" while something else happens), a quick training's
//! one fit said in words, and the same offer on the status line as in the view.

use crate::common::tui_fixture::*;

use genreplay::app::retrain::{After, Form, Outcome, Progress, Retrain, Stage};
use genreplay::app::{App, Event, View};
use genreplay::model::calibrate::trained::RuleFit;
use genreplay::model::job::TrainMode;
use genreplay::model::train::{EpochReport, TrainEvent};

fn screen(app: &App) -> String {
    drawn_lines(app, 120, 40).join("\n")
}

/// The Training view with a training under way in `mode`, its 45 tracks analysed.
fn training(mode: TrainMode) -> App {
    let mut app = app();
    app.update(Event::Resize(120, 40));
    app.view = View::Training;
    let dir = tempfile::tempdir().unwrap();
    let mut form = Form::new(&dir.path().to_string_lossy());
    form.mode = mode;
    let mut rt = Retrain::new(dir.path());
    rt.stage = Stage::Training(Progress {
        spec: form.spec().unwrap(),
        features_done: 45,
        features_total: 45,
        epochs: vec![],
        started: std::time::Instant::now(),
        cancelling: false,
        step: None,
        after: After::Training,
    });
    app.views.training.retrain = Some(rt);
    app
}

fn epoch(n: usize, epochs: usize) -> EpochReport {
    EpochReport {
        epoch: n,
        epochs,
        loss: 1.0 / n as f64,
        train_segment_accuracy: 0.5,
        valid_track_accuracy: Some(0.4 + 0.1 * n as f64),
        valid_loss: None,
        segments_per_sec: 100.0,
        secs: 4.0,
        best: true,
    }
}

#[test]
fn a_full_training_names_each_phase_after_the_analysis() {
    let mut app = training(TrainMode::Full);
    let s = screen(&app);
    assert!(s.contains("analysed 45 tracks; starting to train…"), "{s}");
    assert!(s.contains("the loss and accuracy curves start after the second epoch"));
    let ev = |app: &mut App, e| app.update(Event::Training(e));
    ev(
        &mut app,
        TrainEvent::Batch {
            epoch: 1,
            epochs: 30,
            done: 3,
            total: 12,
        },
    );
    let s = screen(&app);
    assert!(s.contains("epoch 1/30: batch 3/12"), "{s}");
    assert!(
        !s.contains("analysing") && !s.contains("analysed 45"),
        "{s}"
    );
    ev(
        &mut app,
        TrainEvent::Validating {
            epoch: 1,
            epochs: 30,
        },
    );
    assert!(screen(&app).contains("epoch 1/30: scoring the validation tracks"));
    ev(&mut app, TrainEvent::Epoch(epoch(1, 30)));
    let s = screen(&app);
    assert!(s.contains("epoch 1/30 · loss 1.000 · valid acc 50%"), "{s}");
    assert!(
        s.contains("epoch 1: loss 1.000, validation 50%; the curves start"),
        "{s}"
    );
    ev(
        &mut app,
        TrainEvent::Batch {
            epoch: 2,
            epochs: 30,
            done: 0,
            total: 12,
        },
    );
    let s = screen(&app);
    assert!(
        s.contains("epoch 2/30: batch 0/12 · last epoch: loss 1.000"),
        "{s}"
    );
    ev(&mut app, TrainEvent::Epoch(epoch(2, 30)));
    let s = screen(&app);
    assert!(
        s.contains(" loss ") && s.contains("validation (tracks)"),
        "{s}"
    );
    ev(&mut app, TrainEvent::Calibrating);
    assert!(screen(&app).contains("fitting the model's \"?\" rule"));
    ev(&mut app, TrainEvent::Comparing);
    assert!(screen(&app).contains("comparing it with the active model"));
}

#[test]
fn a_quick_training_says_what_it_has_until_there_are_curves() {
    let mut app = training(TrainMode::Quick);
    let s = screen(&app);
    assert!(
        s.contains("the loss and accuracy curves start after the second epoch"),
        "{s}"
    );
    app.update(Event::Training(TrainEvent::Epoch(epoch(1, 10))));
    let s = screen(&app);
    assert!(s.contains("epoch 1: loss 1.000, validation 50%"), "{s}");
    assert!(s.contains("epoch 1/10 · loss 1.000"), "{s}");
}

fn outcome(active: Option<f64>) -> Outcome {
    Outcome {
        labels: vec!["blues".into(), "jazz".into()],
        valid_tracks: 4,
        train_tracks: 10,
        valid_accuracy: Some(0.75),
        recall: vec![
            ("blues".into(), Some(0.5), 2),
            ("jazz".into(), Some(1.0), 2),
        ],
        confusion: vec![vec![1, 1], vec![0, 2]],
        active: active.map(|a| ("musicnn".to_string(), a, 4)),
        best_epoch: 1,
        epochs: vec![epoch(1, 10)],
        mode: TrainMode::Quick,
        secs: 1.4,
        name: "mine".into(),
        open_set: RuleFit::Skipped("no \"?\" rule: too few tracks".into()),
    }
}

#[test]
fn the_status_line_offers_what_the_view_offers() {
    // Below the active model: accept is not offered, and neither place says "a accepts".
    let mut app = training(TrainMode::Quick);
    app.update(Event::TrainingFinished(Ok(Box::new(outcome(Some(1.0))))));
    let offer = "d discards (recommended) · a twice accepts it anyway";
    let status = app.session.status.clone().unwrap().text;
    assert!(status.contains(offer), "{status}");
    let s = screen(&app);
    assert!(s.contains(offer), "{s}");
    assert!(!s.contains("a accepts"), "{s}");
    assert!(
        s.contains("quick mode, one fit to convergence: no epochs to plot; held-out accuracy 75%"),
        "{s}"
    );
    // The first `a` arms it: both say so.
    press(&mut app, "a");
    let again = "a again accepts it anyway · d discards (recommended)";
    let status = app.session.status.clone().unwrap().text;
    assert!(status.contains(again), "{status}");
    assert!(screen(&app).contains(again));
    // Offered: the same words in both places.
    let mut app = training(TrainMode::Quick);
    app.update(Event::TrainingFinished(Ok(Box::new(outcome(Some(0.5))))));
    let status = app.session.status.clone().unwrap().text;
    assert!(status.contains("a accepts · d discards"), "{status}");
    assert!(screen(&app).contains("a accepts · d discards"));
}

#[test]
fn the_result_shows_the_curves_beside_the_figures() {
    let mut app = training(TrainMode::Quick);
    let mut o = outcome(None);
    o.epochs = (1..=24).map(|n| epoch(n, 60)).collect();
    app.update(Event::TrainingFinished(Ok(Box::new(o))));
    let s = screen(&app);
    assert!(
        s.contains("24 epochs: loss 1.000 → 0.042, validation 50% →"),
        "{s}"
    );
    assert!(
        s.contains("validation (tracks)") && s.contains("training loss"),
        "{s}"
    );
}
