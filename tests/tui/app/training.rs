//! The Training view: the model list (switch to any model) and the retrain dialog's guards.

use super::*;
use genreplay::app::event::ModelRow;

fn row(id: &str, name: &str, built_in: bool) -> ModelRow {
    ModelRow {
        id: id.into(),
        name: name.into(),
        genres: 10,
        valid_accuracy: (!built_in).then_some(0.7),
        built_in,
        classified: 3,
        source: (!built_in).then(|| "/music/by-genre".into()),
    }
}

#[test]
fn any_model_can_be_made_active_from_the_training_view() {
    let mut app = app();
    let fx = press(&mut app, "6");
    assert_eq!(app.view, View::Training);
    assert!(
        fx.iter().any(|e| matches!(e, Effect::LoadModels)),
        "the view asks for the models: {fx:?}"
    );
    app.update(Event::ModelsLoaded(vec![
        row("aaa", "by-genre 2026-12-01", false),
        row("bbb", "musicnn-genre", true),
    ]));
    app.update(Event::ModelActivated {
        id: "bbb".into(),
        name: "musicnn-genre".into(),
        labels: app.session.lib.labels.clone(),
    });
    // The active one again: said, nothing done.
    press(&mut app, "j");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::UseModel(_))),
        "{fx:?}"
    );
    assert!(
        app.session
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("already active")
    );
    // The trained one: switched to.
    press(&mut app, "k");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::UseModel(id) if id == "aaa")),
        "{fx:?}"
    );
    // Keys do not leave the list: j past the end stays on the last model.
    press(&mut app, "jjjj");
    assert_eq!(app.views.training.cursor, 1);
}

#[test]
fn the_retrain_dialog_offers_the_library_s_own_genre_tags_when_enough_are_tagged() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    // Six hip-hop tracks in three spellings, six rock ones (some "Rock; Pop"), two untagged.
    let tags = [
        Some("hip-hop"),
        Some("hip hop"),
        Some("hiphop"),
        Some("hip-hop"),
        Some("hip-hop"),
        Some("hip hop"),
        Some("rock; pop"),
        Some("rock"),
        Some("rock/pop"),
        Some("rock"),
        Some("rock"),
        Some("rock"),
        None,
        None,
    ];
    let tracks: Vec<genreplay::app::catalog::TrackInfo> = tags
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let path = root.join(format!("{i:02}.flac"));
            genreplay::app::catalog::TrackInfo {
                id: genreplay::library::TrackId::of_path(&path),
                path,
                title: format!("T{i}"),
                artist: format!("A{}", i % 5),
                album: "X".into(),
                folder: ".".into(),
                genre_tag: g.map(str::to_string),
                ..Default::default()
            }
        })
        .collect();
    let lib = Catalog::new(root.clone(), tracks, vec!["a".into(), "b".into()]);
    let mut app = app_with(lib);
    press(&mut app, "6");
    press(&mut app, "R");
    let form = match &app.views.training.retrain.as_ref().unwrap().stage {
        genreplay::app::retrain::Stage::Form(f) => f.clone(),
        s => panic!("{s:?}"),
    };
    assert_eq!(form.labels, genreplay::app::retrain::Labels::LibraryTags);
    let note = form.note.clone().unwrap();
    assert!(
        note.contains("12 tagged tracks, 2 genres (hip-hop 6, rock 6)")
            && note.contains("the 2 untagged ones get its genre, or \"?\""),
        "{note}"
    );
    // Enter looks at the library with its tags (spellings merged by the same code).
    let fx = press_code(&mut app, KeyCode::Enter);
    let spec = fx
        .iter()
        .find_map(|e| match e {
            Effect::PrepareTraining(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{fx:?}"));
    assert_eq!(spec.folder, root);
    assert_eq!(
        spec.labels,
        genreplay::model::dataset::LabelSource::Tags { min_count: 5 }
    );
}

#[test]
fn without_enough_tags_the_dialog_starts_from_folders() {
    let mut app = app();
    press(&mut app, "6");
    press(&mut app, "R");
    match &app.views.training.retrain.as_ref().unwrap().stage {
        genreplay::app::retrain::Stage::Form(f) => {
            assert_eq!(f.labels, genreplay::app::retrain::Labels::Folders);
            assert!(f.library.is_none());
        }
        s => panic!("{s:?}"),
    }
}

#[test]
fn the_active_model_s_classified_count_follows_the_re_classification() {
    let mut app = app();
    press(&mut app, "6");
    // Accepted: the model is active before the store has any of its vectors.
    app.update(Event::ModelActivated {
        id: "new".into(),
        name: "train4".into(),
        labels: app.session.lib.labels.clone(),
    });
    let mut trained = row("new", "train4", false);
    trained.classified = 0;
    app.update(Event::ModelsLoaded(vec![
        trained,
        row("bbb", "musicnn-genre", true),
    ]));
    let count = |app: &App, i: usize| {
        let v = &app.views.training;
        v.classified(&v.models[i], &app.session)
    };
    assert_eq!(count(&app, 0), 0);
    // Re-classified track by track: the row follows, without reading the list again.
    for t in ["Dawn", "Noon", "Dusk"] {
        app.update(Event::VectorReady {
            track: id(t),
            vector: vector("rock", 0.8),
            style: None,
            open_set: None,
        });
    }
    assert_eq!(count(&app, 0), 3);
    // Another model's count is what the store said.
    assert_eq!(count(&app, 1), 3);
    app.update(Event::VectorReady {
        track: id("Echo"),
        vector: vector("jazz", 0.8),
        style: None,
        open_set: None,
    });
    assert_eq!(count(&app, 0), 4);
}
