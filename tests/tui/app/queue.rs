//! The queue: up next (what the user queued, played first, never thrown away) and the context
//! the music plays from; the Queue view's keys; undo.

use super::*;

#[test]
fn a_and_shift_a_add_to_up_next() {
    let mut app = app();
    select(&mut app, "Beta");
    press(&mut app, "l");
    select(&mut app, "Second");
    let fx = press(&mut app, "a");
    assert!(fx.contains(&Effect::Bump(id("Rain"))));
    assert!(fx.contains(&Effect::Bump(id("Snow"))));
    assert!(loads(&fx).is_empty(), "adding does not start playing");
    assert_eq!(up_next_titles(&app), ["Rain", "Snow"]);
    assert_eq!(queue_titles(&app), ["Rain", "Snow"]);
    assert!(
        app.session
            .queue
            .up_next
            .iter()
            .all(|e| e.reason == Reason::Added)
    );
    assert_eq!(
        app.session.status.as_ref().unwrap().text,
        "2 tracks added to the queue"
    );
    assert_eq!(current_row(&app), None);

    // From a track row only that track.
    select(&mut app, "Third");
    press(&mut app, "l");
    select(&mut app, "Wind");
    press(&mut app, "a");
    assert_eq!(up_next_titles(&app), ["Rain", "Snow", "Wind"]);
    assert_eq!(
        app.session.status.as_ref().unwrap().text,
        "1 track added to the queue"
    );

    // Space with nothing loaded starts up next; the entry leaves up next as it plays.
    let fx = press(&mut app, " ");
    assert_eq!(loads(&fx), [path("Rain")]);
    app.update(started("Rain"));
    assert_eq!(playing_title(&app).as_deref(), Some("Rain"));
    assert_eq!(up_next_titles(&app), ["Snow", "Wind"]);
    assert_eq!(queue_titles(&app), ["Rain", "Snow", "Wind"]);
    assert_eq!(current_row(&app), Some(0));

    // A puts a track at the front of up next.
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
fn playing_an_album_keeps_up_next_and_plays_it_first() {
    let mut app = app();
    select(&mut app, "gamma");
    press(&mut app, "a");
    select(&mut app, "Beta");
    press(&mut app, "l");
    select(&mut app, "Third");
    press(&mut app, "a");
    assert_eq!(up_next_titles(&app), ["Echo", "Wind"]);

    // Enter on an album plays it; what the user queued stays, and plays before the album
    // goes on.
    let fx = play_first_album(&mut app);
    assert_eq!(loads(&fx), [path("Dawn")]);
    assert_eq!(up_next_titles(&app), ["Echo", "Wind"]);
    assert_eq!(queue_titles(&app), ["Dawn", "Echo", "Wind", "Noon", "Dusk"]);
    assert_eq!(upcoming_titles(&app), ["Echo", "Wind", "Noon", "Dusk"]);
    assert_eq!(
        row_reasons(&app),
        [
            Reason::From("Alpha / First".into()),
            Reason::Added,
            Reason::Added,
            Reason::From("Alpha / First".into()),
            Reason::From("Alpha / First".into()),
        ]
    );
    assert_eq!(set_next(&fx), Some(Some(path("Echo"))));

    // Playing another album replaces only the context.
    select(&mut app, "Second");
    press_code(&mut app, KeyCode::Enter);
    app.update(started("Rain"));
    assert_eq!(queue_titles(&app), ["Rain", "Echo", "Wind", "Snow"]);

    // At the end of a track, up next goes first, then the album resumes.
    let fx = app.update(ended("Rain"));
    assert_eq!(loads(&fx), [path("Echo")]);
    app.update(started("Echo"));
    assert_eq!(queue_titles(&app), ["Echo", "Wind", "Snow"]);
    app.update(ended("Echo"));
    app.update(started("Wind"));
    let fx = app.update(ended("Wind"));
    assert_eq!(loads(&fx), [path("Snow")]);
}

#[test]
fn queue_view_removes_moves_plays_and_clears() {
    let mut app = app();
    play_first_album(&mut app);
    select(&mut app, "gamma");
    press(&mut app, "a");
    select(&mut app, "Beta");
    press(&mut app, "l");
    select(&mut app, "Second");
    press(&mut app, "a");
    assert_eq!(
        queue_titles(&app),
        ["Dawn", "Echo", "Rain", "Snow", "Noon", "Dusk"]
    );
    press(&mut app, "2");
    assert_eq!(app.view, View::Queue);

    // Move Snow up twice: it plays next.
    select_in_queue(&mut app, "Snow");
    let fx = press(&mut app, "K");
    assert_eq!(up_next_titles(&app), ["Echo", "Snow", "Rain"]);
    assert_eq!(set_next(&fx), Some(Some(path("Echo"))));
    let fx = press(&mut app, "K");
    assert_eq!(up_next_titles(&app), ["Snow", "Echo", "Rain"]);
    assert_eq!(
        queue_selected(&app),
        "Snow",
        "the cursor moves with the entry"
    );
    assert_eq!(set_next(&fx), Some(Some(path("Snow"))));
    // Nothing moves past the ends of up next.
    press(&mut app, "K");
    assert_eq!(up_next_titles(&app), ["Snow", "Echo", "Rain"]);
    // The album plays in its order: moving one of its tracks says how to queue it instead.
    select_in_queue(&mut app, "Noon");
    press(&mut app, "K");
    assert!(
        app.session
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("plays in its order")
    );
    assert_eq!(
        queue_titles(&app),
        ["Dawn", "Snow", "Echo", "Rain", "Noon", "Dusk"]
    );

    // d removes the selected entry: from up next, or from the album's remaining tracks.
    select_in_queue(&mut app, "Echo");
    let fx = press(&mut app, "d");
    assert_eq!(up_next_titles(&app), ["Snow", "Rain"]);
    assert!(set_next(&fx).is_some());
    select_in_queue(&mut app, "Noon");
    press_code(&mut app, KeyCode::Delete);
    assert_eq!(queue_titles(&app), ["Dawn", "Snow", "Rain", "Dusk"]);
    // The playing track is skipped, not removed.
    press(&mut app, "g");
    press(&mut app, "d");
    assert_eq!(queue_titles(&app), ["Dawn", "Snow", "Rain", "Dusk"]);
    assert!(
        app.session
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("playing")
    );

    // u undoes the last change, one at a time.
    press(&mut app, "u");
    assert_eq!(queue_titles(&app), ["Dawn", "Snow", "Rain", "Noon", "Dusk"]);
    press(&mut app, "u");
    assert_eq!(
        queue_titles(&app),
        ["Dawn", "Snow", "Echo", "Rain", "Noon", "Dusk"]
    );

    // Enter on an up-next entry plays it now; it leaves up next.
    select_in_queue(&mut app, "Rain");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(loads(&fx), [path("Rain")]);
    app.update(started("Rain"));
    assert_eq!(queue_titles(&app), ["Rain", "Snow", "Echo", "Noon", "Dusk"]);
    // Enter on an album track jumps there in the album; up next stays.
    select_in_queue(&mut app, "Dusk");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(loads(&fx), [path("Dusk")]);
    app.update(started("Dusk"));
    assert_eq!(queue_titles(&app), ["Dusk", "Snow", "Echo"]);

    // C empties up next and ends the album after the playing track; u brings them back.
    press(&mut app, "C");
    assert_eq!(queue_titles(&app), ["Dusk"]);
    assert_eq!(current_row(&app), Some(0));
    assert_eq!(
        app.session.status.as_ref().unwrap().text,
        "queue cleared (u undoes)"
    );
    assert_eq!(playing_title(&app).as_deref(), Some("Dusk"));
    press(&mut app, "u");
    assert_eq!(queue_titles(&app), ["Dusk", "Snow", "Echo"]);
}

#[test]
fn i_makes_the_cursor_follow_the_playing_track() {
    let mut app = app();
    play_first_album(&mut app);
    press(&mut app, "2");
    press(&mut app, "G");
    assert_eq!(queue_selected(&app), "Dusk");
    press(&mut app, "i");
    assert_eq!(queue_selected(&app), "Dawn");
    app.update(ended("Dawn"));
    app.update(started("Noon"));
    assert_eq!(queue_selected(&app), "Noon", "the cursor went along");
    // Moving the cursor stops following.
    press(&mut app, "j");
    assert!(!app.views.queue.follow);
}

#[test]
fn queue_keys_do_nothing_outside_the_queue_view() {
    let mut app = app();
    play_first_album(&mut app);
    select(&mut app, "gamma");
    press(&mut app, "a");
    press(&mut app, "1");
    press(&mut app, "dKJ");
    assert_eq!(queue_titles(&app), ["Dawn", "Echo", "Noon", "Dusk"]);
}

/// The title of the Queue view's selected row.
fn queue_selected(app: &App) -> String {
    let row = app.views.queue.rows[app.views.queue.nav.selected];
    title_of(app, row.track())
}

/// Moves the Queue view's cursor to the row of `title`.
fn select_in_queue(app: &mut App, title: &str) {
    press(app, "g");
    for _ in 0..app.views.queue.rows.len() {
        if queue_selected(app) == title {
            return;
        }
        press(app, "j");
    }
    panic!("no row {title:?} in {:?}", queue_titles(app));
}
