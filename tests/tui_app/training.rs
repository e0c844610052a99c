//! The Training view: the model list (switch to any model) and the retrain dialog's guards.

use super::*;
use genreplay::app::views::training::ModelRow;

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
