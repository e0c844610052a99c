//! State that survives a restart: the queue, the context, the playing track and its second,
//! the settings and the library view, through the JSON files the player writes.

use super::*;
use genreplay::app::state::{SavedQueue, SavedSession};

/// Saves `app` as the player does (through JSON text) and starts a new app on `lib` from it.
fn restart(app: &mut App, lib: Catalog) -> (App, Vec<Effect>) {
    let session: SavedSession =
        serde_json::from_str(&serde_json::to_string(&app.saved_session()).unwrap()).unwrap();
    let queue: SavedQueue =
        serde_json::from_str(&serde_json::to_string(&app.saved_queue()).unwrap()).unwrap();
    let mut next = app_with(lib);
    next.resume_saved(Some(session), Some(queue));
    let fx = next.session.take_effects();
    (next, fx)
}

fn saves(fx: &[Effect]) -> usize {
    fx.iter()
        .filter(|e| matches!(e, Effect::SaveState(_)))
        .count()
}

#[test]
fn a_restart_brings_back_the_queue_the_settings_and_the_second() {
    let mut app = app();
    play_first_album(&mut app);
    press(&mut app, "n");
    app.update(started("Noon"));
    app.update(Event::Player(PlayerEvent::Position { secs: 42.5 }));
    select(&mut app, "gamma");
    press(&mut app, "a");
    press(&mut app, "+rm0");
    select(&mut app, "rock");
    press(&mut app, "l");
    assert_eq!(app.session.repeat, Repeat::All);
    assert!(app.session.playback.muted);

    let (next, fx) = restart(&mut app, library());
    // The playing track is loaded paused and sought to its second.
    assert!(fx.contains(&Effect::Player(PlayerCommand::Load {
        path: path("Noon"),
        paused: true,
    })));
    assert!(fx.contains(&Effect::Player(PlayerCommand::SeekTo(42.5))));
    assert!(
        fx.contains(&Effect::Player(PlayerCommand::SetVolume(0.0))),
        "muted"
    );
    assert_eq!(next.session.playback.position_secs, 42.5);
    assert_eq!(playing_title(&next).as_deref(), Some("Noon"));
    // Up next, then the rest of the album; what played before is not played again.
    assert_eq!(queue_titles(&next), ["Noon", "Echo", "Dusk"]);
    assert_eq!(row_reason(&next, 1), Reason::Added);
    // Settings and the library view.
    assert_eq!(next.session.playback.volume, 85);
    assert!(next.session.playback.muted);
    assert_eq!(next.session.repeat, Repeat::All);
    assert_eq!(next.views.library.mode, BrowseMode::Genre);
    assert_eq!(selected_label(&next), "rock");
    assert!(
        rows(&next).contains(&"  Dawn".to_string()),
        "rock stays open"
    );
    // Nothing changed since the restore: nothing to save.
    let mut next = next;
    assert_eq!(saves(&next.update(Event::Tick)), 0);
    // The album goes on after up next.
    let fx = next.update(ended("Noon"));
    assert_eq!(loads(&fx), [path("Echo")]);
}

#[test]
fn a_change_is_saved_on_the_next_tick() {
    let mut app = app();
    app.mark_saved();
    assert_eq!(saves(&app.update(Event::Tick)), 0);
    select(&mut app, "gamma");
    press(&mut app, "a");
    let fx = app.update(Event::Tick);
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::SaveState(what) if what.to_json().unwrap().contains("Echo")
    )));
    assert_eq!(saves(&app.update(Event::Tick)), 0, "saved once");
    press(&mut app, "+");
    assert_eq!(saves(&app.update(Event::Tick)), 1, "the volume");
}

#[test]
fn tracks_gone_from_the_library_are_left_out_of_the_restored_queue() {
    let mut app = app();
    play_first_album(&mut app);
    select(&mut app, "gamma");
    press(&mut app, "a");
    let mut lib = library();
    lib.tracks
        .retain(|t| t.title != "Echo" && t.title != "Dusk");
    let lib = Catalog::new(lib.root.clone(), lib.tracks, lib.labels.clone());
    let (next, _) = restart(&mut app, lib);
    assert_eq!(queue_titles(&next), ["Dawn", "Noon"]);
}

#[test]
fn a_state_saved_before_the_library_loads_waits_for_it() {
    let mut app = app();
    play_first_album(&mut app);
    select(&mut app, "gamma");
    press(&mut app, "a");
    // The database was rebuilt: the library is empty until the scan is done.
    let (mut next, fx) = restart(&mut app, Catalog::default());
    assert!(next.restore_pending());
    assert!(loads(&fx).is_empty());
    // Nothing is saved over the waiting state, whatever happens meanwhile.
    press(&mut next, "+");
    assert_eq!(saves(&next.update(Event::Tick)), 0);
    // The library arrives: the queue comes back and the track is loaded paused.
    let fx = next.update(Event::LibraryLoaded(Box::new(library())));
    assert!(!next.restore_pending());
    assert!(fx.contains(&Effect::Player(PlayerCommand::Load {
        path: path("Dawn"),
        paused: true,
    })));
    assert_eq!(queue_titles(&next), ["Dawn", "Echo", "Noon", "Dusk"]);
}

#[test]
fn nothing_is_saved_over_a_state_that_waits_for_the_library() {
    let mut app = app();
    play_first_album(&mut app);
    select(&mut app, "gamma");
    press(&mut app, "a");
    let (mut next, _) = restart(&mut app, Catalog::default());
    assert!(next.restore_pending());
    // Quitting now (the run loop saves what `state_now` gives) writes nothing.
    assert!(next.state_now().is_empty());
    // Once the library is there, quitting saves the restored queue.
    next.update(Event::LibraryLoaded(Box::new(library())));
    let saved = next.state_now();
    assert_eq!(saved.len(), 2);
    assert!(saved.iter().any(|s| s.to_json().unwrap().contains("Echo")));
}

#[test]
fn state_files_over_their_bounds_are_refused_and_kept() {
    use genreplay::app::play_queue::{MAX_CONTEXT, MAX_UP_NEXT};
    use genreplay::app::state::MAX_SESSION_FILE;
    use genreplay::service::state::StateWriter;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let entry = r#"{"path":"/music/gamma/Echo.flac","reason":{"kind":"added"}}"#;
    let list = |n: usize, item: &str| format!("[{}]", vec![item; n].join(","));
    // One entry over up next's bound.
    std::fs::write(
        dir.join("queue.json"),
        format!(
            r#"{{"version":1,"up_next":{},"context":null,"current":null,"current_from_context":false}}"#,
            list(MAX_UP_NEXT + 1, entry)
        ),
    )
    .unwrap();
    assert!(StateWriter::load(dir).1.is_none());
    assert!(
        dir.join("queue.json.bad").exists(),
        "kept aside, not deleted"
    );
    // A context one track over its bound.
    std::fs::write(
        dir.join("queue.json"),
        format!(
            r#"{{"version":1,"up_next":[],"context":{{"label":"x","tracks":{},"order":[],"pos":null}},"current":null,"current_from_context":false}}"#,
            list(MAX_CONTEXT + 1, "\"\"")
        ),
    )
    .unwrap();
    assert!(StateWriter::load(dir).1.is_none());
    // A session file larger than any this player writes: ignored, left where it is.
    let big = vec![b' '; MAX_SESSION_FILE as usize + 1];
    std::fs::write(dir.join("session.json"), &big).unwrap();
    assert!(StateWriter::load(dir).0.is_none());
    assert_eq!(
        std::fs::read(dir.join("session.json")).unwrap().len(),
        big.len()
    );
    // At the bounds: read, and restored as far as the library has the tracks.
    std::fs::write(
        dir.join("queue.json"),
        format!(
            r#"{{"version":1,"up_next":{},"context":null,"current":null,"current_from_context":false}}"#,
            list(MAX_UP_NEXT, entry)
        ),
    )
    .unwrap();
    let q = StateWriter::load(dir).1.unwrap();
    assert_eq!(q.up_next.len(), MAX_UP_NEXT);
    let mut app = app();
    app.resume_saved(None, Some(q));
    assert_eq!(app.session.queue.up_next.len(), MAX_UP_NEXT);
}

#[test]
fn an_offline_library_folder_keeps_the_queue_and_says_so() {
    let mut app = app();
    play_first_album(&mut app);
    select(&mut app, "gamma");
    press(&mut app, "a");
    let up_next = up_next_titles(&app);
    let why = "library folder is not there: /music (no such folder)".to_string();
    app.update(Event::LibraryOffline(Some(why.clone())));
    let (text, _, is_error) = genreplay::ui::status_text(&app);
    assert!(text.contains("library folder is not there"), "{text}");
    assert!(is_error);
    // The status line comes back to it after other messages expire.
    app.session.status = None;
    assert_eq!(genreplay::ui::status_text(&app).0, why);
    // Every track fails to load while the folder is away: playback stops where it is,
    // instead of skipping through (and taking) the whole queue.
    press(&mut app, "n");
    app.update(started("Echo"));
    let fx = app.update(error("Echo"));
    assert!(loads(&fx).is_empty(), "no skip to the next track: {fx:?}");
    assert_eq!(app.session.playback.track, None);
    assert_eq!(
        up_next_titles(&app),
        up_next,
        "the entry that failed is back in front"
    );
    assert_eq!(
        upcoming_titles(&app).first().map(String::as_str),
        Some("Echo")
    );
    // Back: said once, and playing works as before.
    app.update(Event::LibraryOffline(None));
    assert_eq!(
        genreplay::ui::status_text(&app).0,
        "the library folder is back"
    );
    assert!(app.session.library_offline.is_none());
}
