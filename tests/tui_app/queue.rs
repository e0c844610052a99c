//! The Queue view: adding, removing, moving, clearing.

use super::*;

#[test]
fn a_and_shift_a_add_to_the_queue() {
    let mut app = app();
    select(&mut app, "Beta");
    press(&mut app, "l");
    select(&mut app, "Second");
    let fx = press(&mut app, "a");
    assert!(fx.contains(&Effect::Bump(id("Rain"))));
    assert!(fx.contains(&Effect::Bump(id("Snow"))));
    assert!(loads(&fx).is_empty(), "adding does not start playing");
    assert_eq!(queue_titles(&app), ["Rain", "Snow"]);
    assert!(
        app.session
            .queue
            .entries
            .iter()
            .all(|e| e.reason == Reason::Added)
    );
    assert_eq!(
        app.session.status.as_ref().unwrap().text,
        "2 tracks added to the queue"
    );
    assert_eq!(app.session.queue.current, None);

    // From a track row only that track.
    select(&mut app, "Third");
    press(&mut app, "l");
    select(&mut app, "Wind");
    press(&mut app, "a");
    assert_eq!(queue_titles(&app), ["Rain", "Snow", "Wind"]);
    assert_eq!(
        app.session.status.as_ref().unwrap().text,
        "1 track added to the queue"
    );

    // Play the first, then A puts a track right after it.
    press(&mut app, " ");
    assert_eq!(playing_title(&app).as_deref(), Some("Rain"));
    select(&mut app, "gamma");
    let fx = press(&mut app, "A");
    assert_eq!(queue_titles(&app), ["Rain", "Echo", "Snow", "Wind"]);
    assert_eq!(
        app.session.status.as_ref().unwrap().text,
        "1 track will play next"
    );
    // The player hears about the new next track for gapless playback.
    assert_eq!(set_next(&fx), Some(Some(path("Echo"))));
}

#[test]
fn queue_view_removes_moves_plays_and_clears() {
    let mut app = app();
    play_first_album(&mut app);
    select(&mut app, "gamma");
    press(&mut app, "a");
    assert_eq!(queue_titles(&app), ["Dawn", "Noon", "Dusk", "Echo"]);
    press(&mut app, "2");
    assert_eq!(app.view, View::Queue);
    assert_eq!(app.views.queue.nav.selected, 0);

    // Move Echo up twice: it plays next.
    press(&mut app, "G");
    assert_eq!(app.views.queue.nav.selected, 3);
    let fx = press(&mut app, "K");
    assert_eq!(queue_titles(&app), ["Dawn", "Noon", "Echo", "Dusk"]);
    assert_eq!(set_next(&fx), Some(Some(path("Noon"))));
    let fx = press(&mut app, "K");
    assert_eq!(queue_titles(&app), ["Dawn", "Echo", "Noon", "Dusk"]);
    assert_eq!(app.views.queue.nav.selected, 1);
    assert_eq!(set_next(&fx), Some(Some(path("Echo"))));
    // Moving the playing entry keeps it playing.
    press(&mut app, "g");
    press(&mut app, "J");
    assert_eq!(queue_titles(&app), ["Echo", "Dawn", "Noon", "Dusk"]);
    assert_eq!(app.session.queue.current, Some(1));
    assert_eq!(app.views.queue.nav.selected, 1);
    // Nothing moves past the ends.
    press(&mut app, "g");
    press(&mut app, "K");
    assert_eq!(queue_titles(&app), ["Echo", "Dawn", "Noon", "Dusk"]);
    press(&mut app, "G");
    press(&mut app, "J");
    assert_eq!(queue_titles(&app), ["Echo", "Dawn", "Noon", "Dusk"]);

    // d removes the selected entry; Delete too.
    let fx = press(&mut app, "d");
    assert_eq!(queue_titles(&app), ["Echo", "Dawn", "Noon"]);
    assert_eq!(
        app.views.queue.nav.selected, 2,
        "the selection stays in the list"
    );
    assert!(set_next(&fx).is_some());
    press(&mut app, "g");
    press_code(&mut app, KeyCode::Delete);
    assert_eq!(queue_titles(&app), ["Dawn", "Noon"]);
    assert_eq!(app.session.queue.current, Some(0));

    // Enter plays the selected entry.
    press(&mut app, "j");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(loads(&fx), [path("Noon")]);
    assert_eq!(app.session.queue.current, Some(1));
    app.update(started("Noon"));

    // C keeps only the playing entry.
    press(&mut app, "C");
    assert_eq!(queue_titles(&app), ["Noon"]);
    assert_eq!(app.session.queue.current, Some(0));
    assert_eq!(app.session.status.as_ref().unwrap().text, "queue cleared");
    assert_eq!(playing_title(&app).as_deref(), Some("Noon"));
}

#[test]
fn queue_keys_do_nothing_outside_the_queue_view() {
    let mut app = app();
    play_first_album(&mut app);
    press(&mut app, "dKJ");
    assert_eq!(queue_titles(&app), ["Dawn", "Noon", "Dusk"]);
}
