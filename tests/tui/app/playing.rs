//! Playing: Enter, play/pause/stop, next/previous, shuffle/repeat, volume, seeking, player events.

use super::*;

#[test]
fn enter_on_an_album_plays_it() {
    let mut app = app();
    select(&mut app, "Alpha");
    press(&mut app, "l");
    select(&mut app, "First");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(
        player(&fx),
        [
            PlayerCommand::Load {
                path: path("Dawn"),
                paused: false
            },
            PlayerCommand::SetNext(Some(path("Noon"))),
        ]
    );
    assert!(fx.contains(&Effect::Bump(id("Dawn"))));
    assert_eq!(queue_titles(&app), ["Dawn", "Noon", "Dusk"]);
    assert!(
        row_reasons(&app)
            .iter()
            .all(|r| *r == Reason::From("Alpha / First".into()))
    );
    assert_eq!(row_reason(&app, 0).describe(), "from Alpha / First");
    assert_eq!(current_row(&app), Some(0));
    assert_eq!(playing_title(&app).as_deref(), Some("Dawn"));
    // The duration is known from the library before the player says so.
    assert_eq!(app.session.playback.duration_secs, Some(180.0));
    assert_eq!(app.session.playback.position_secs, 0.0);
}

#[test]
fn enter_on_a_track_plays_its_album_from_there() {
    let mut app = app();
    press(&mut app, "ljl");
    select(&mut app, "Noon");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(loads(&fx), [path("Noon")]);
    assert_eq!(set_next(&fx), Some(Some(path("Dusk"))));
    // The Queue view shows what plays from here; the album is the context, whole.
    assert_eq!(queue_titles(&app), ["Noon", "Dusk"]);
    assert_eq!(current_row(&app), Some(0));
    let context: Vec<String> = app
        .session
        .queue
        .context
        .as_ref()
        .unwrap()
        .tracks
        .iter()
        .map(|&t| title_of(&app, t))
        .collect();
    assert_eq!(context, ["Dawn", "Noon", "Dusk"]);
}

#[test]
fn enter_on_an_artist_plays_all_their_albums() {
    let mut app = app();
    select(&mut app, "Beta");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(loads(&fx), [path("Rain")]);
    assert_eq!(queue_titles(&app), ["Rain", "Snow", "Wind"]);
    assert_eq!(row_reason(&app, 0), Reason::From("Beta".into()));
}

#[test]
fn enter_in_genre_and_folder_modes() {
    let mut app = app();
    press(&mut app, "m");
    select(&mut app, "rock");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(loads(&fx), [path("Snow")]);
    assert_eq!(queue_titles(&app), ["Snow", "Dawn"]);
    assert_eq!(row_reason(&app, 0).describe(), "from rock");

    press(&mut app, "mm");
    select(&mut app, "Beta");
    press(&mut app, "l");
    select(&mut app, "Second");
    press(&mut app, "l");
    select(&mut app, "Snow");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(loads(&fx), [path("Snow")]);
    assert_eq!(queue_titles(&app), ["Snow"]);
    assert_eq!(current_row(&app), Some(0));
    assert_eq!(row_reason(&app, 0).describe(), "from Beta/Second");
}

#[test]
fn space_plays_pauses_and_v_stops() {
    let mut app = app();
    // With nothing playing and an empty queue, space plays the selection.
    select(&mut app, "gamma");
    let fx = press(&mut app, " ");
    assert_eq!(loads(&fx), [path("Echo")]);
    app.update(started("Echo"));
    let fx = press(&mut app, " ");
    assert_eq!(player(&fx), [PlayerCommand::TogglePause]);
    app.update(Event::Player(PlayerEvent::Paused(true)));
    assert!(app.session.playback.paused);
    app.update(Event::Player(PlayerEvent::Paused(false)));
    assert!(!app.session.playback.paused);
    let fx = press(&mut app, "v");
    assert_eq!(player(&fx), [PlayerCommand::Stop]);
    assert_eq!(app.session.playback.track, None);
    // Stopped, space starts the queue again.
    let fx = press(&mut app, "c");
    assert_eq!(loads(&fx), [path("Echo")]);
}

#[test]
fn next_and_previous() {
    let mut app = app();
    play_first_album(&mut app);
    let fx = press(&mut app, "n");
    assert_eq!(loads(&fx), [path("Noon")]);
    assert_eq!(set_next(&fx), Some(Some(path("Dusk"))));
    app.update(started("Noon"));
    assert_eq!(current_row(&app), Some(0));
    assert_eq!(queue_titles(&app), ["Noon", "Dusk"]);
    // Early in a track, previous goes back a track.
    app.update(Event::Player(PlayerEvent::Position { secs: 2.0 }));
    let fx = press(&mut app, "p");
    assert_eq!(loads(&fx), [path("Dawn")]);
    app.update(started("Dawn"));
    // Later in it, previous restarts it.
    app.update(Event::Player(PlayerEvent::Position { secs: 42.0 }));
    assert_eq!(app.session.playback.position_secs, 42.0);
    let fx = press(&mut app, "z");
    assert_eq!(player(&fx), [PlayerCommand::SeekTo(0.0)]);
    // At the first entry with nothing before, previous does nothing.
    app.update(Event::Player(PlayerEvent::Position { secs: 1.0 }));
    let fx = press(&mut app, "p");
    assert!(fx.is_empty(), "{fx:?}");
    // Next past the end stops.
    press(&mut app, "n");
    press(&mut app, "b");
    let fx = press(&mut app, "n");
    assert_eq!(player(&fx), [PlayerCommand::Stop]);
    assert_eq!(app.session.playback.track, None);
    assert_eq!(
        app.session.status.as_ref().unwrap().text,
        "end of the queue"
    );
}

#[test]
fn shuffle_and_repeat() {
    let mut app = app();
    play_first_album(&mut app);
    let fx = press(&mut app, "s");
    assert!(app.session.shuffle);
    assert_eq!(app.session.status.as_ref().unwrap().text, "shuffle on");
    // The shuffled order is drawn up front, so the player still preloads the next track.
    let mut next = set_next(&fx).flatten().expect("a next track");
    assert!(next == path("Noon") || next == path("Dusk"), "{next:?}");
    // Shuffle plays each entry once, then stops.
    let mut seen = vec!["Dawn".to_string()];
    for _ in 0..2 {
        let fx = app.update(ended(playing_title(&app).as_deref().unwrap()));
        let p = loads(&fx);
        assert_eq!(p, [next.clone()], "the preloaded track plays");
        if let Some(Some(n)) = set_next(&fx) {
            next = n;
        }
        let title = app.session.lib.by_path(&p[0]).unwrap().title.clone();
        app.update(started(&title));
        seen.push(title);
    }
    seen.sort();
    assert_eq!(seen, ["Dawn", "Dusk", "Noon"]);
    let fx = app.update(ended(playing_title(&app).as_deref().unwrap()));
    assert_eq!(player(&fx), [PlayerCommand::Stop]);
    let fx = press(&mut app, "s");
    assert!(!app.session.shuffle);
    assert_eq!(app.session.status.as_ref().unwrap().text, "shuffle off");
    assert!(set_next(&fx).is_some());

    // Repeat: off → all → one → off.
    let mut app = tui_fixture::app();
    play_first_album(&mut app);
    press(&mut app, "nn");
    app.update(started("Dusk"));
    assert_eq!(app.session.repeat, Repeat::Off);
    let fx = press(&mut app, "r");
    assert_eq!(app.session.repeat, Repeat::All);
    assert_eq!(app.session.status.as_ref().unwrap().text, "repeat all");
    assert_eq!(set_next(&fx), Some(Some(path("Dawn"))));
    let fx = press(&mut app, "r");
    assert_eq!(app.session.repeat, Repeat::One);
    assert_eq!(set_next(&fx), Some(Some(path("Dusk"))));
    // Repeat one: a gapless restart of the same track stays on it; n still moves on.
    app.update(started("Dusk"));
    assert_eq!(playing_title(&app).as_deref(), Some("Dusk"));
    let fx = press(&mut app, "n");
    assert_eq!(loads(&fx), [path("Dawn")]);
    let fx = press(&mut app, "r");
    assert_eq!(app.session.repeat, Repeat::Off);
    assert_eq!(app.session.status.as_ref().unwrap().text, "repeat off");
    assert_eq!(set_next(&fx), Some(Some(path("Noon"))));
}

#[test]
fn volume_steps_and_clamps() {
    let mut app = app();
    assert_eq!(app.session.playback.volume, 80);
    let fx = press(&mut app, "+");
    assert_eq!(app.session.playback.volume, 85);
    assert_eq!(player(&fx), [PlayerCommand::SetVolume(0.85)]);
    assert_eq!(app.session.status.as_ref().unwrap().text, "volume 85%");
    press(&mut app, &"=".repeat(30));
    assert_eq!(app.session.playback.volume, 150);
    let fx = press(&mut app, "+");
    assert_eq!(app.session.playback.volume, 150);
    assert_eq!(player(&fx), [PlayerCommand::SetVolume(1.5)]);
    press(&mut app, &"-".repeat(40));
    assert_eq!(app.session.playback.volume, 0);
    let fx = press(&mut app, "-");
    assert_eq!(player(&fx), [PlayerCommand::SetVolume(0.0)]);
    assert_eq!(app.session.status.as_ref().unwrap().text, "volume 0%");
    // A start-up volume over the top is clamped too.
    let app = App::new(
        library(),
        Keymap::defaults(),
        Theme::built_in(),
        "dark",
        200,
    );
    assert_eq!(app.session.playback.volume, 150);
}

#[test]
fn seeking_only_while_playing() {
    let mut app = app();
    assert!(press(&mut app, ".,").is_empty());
    play_first_album(&mut app);
    assert_eq!(player(&press(&mut app, ".")), [PlayerCommand::SeekBy(5.0)]);
    assert_eq!(player(&press(&mut app, ",")), [PlayerCommand::SeekBy(-5.0)]);
    let fx = app.update(Event::Key(KeyEvent::new(
        KeyCode::Right,
        KeyModifiers::SHIFT,
    )));
    assert_eq!(player(&fx), [PlayerCommand::SeekBy(5.0)]);
    let fx = app.update(Event::Key(KeyEvent::new(
        KeyCode::Left,
        KeyModifiers::SHIFT,
    )));
    assert_eq!(player(&fx), [PlayerCommand::SeekBy(-5.0)]);
    app.update(Event::Player(PlayerEvent::Position { secs: 65.4 }));
    assert_eq!(app.session.playback.position_secs, 65.4);
}

#[test]
fn a_gapless_start_of_the_next_entry_moves_the_queue_along() {
    let mut app = app();
    play_first_album(&mut app);
    // The player went on to Noon by itself (SetNext) and says so.
    let fx = app.update(Event::Player(PlayerEvent::Started {
        path: path("Noon"),
        duration_secs: Some(199.5),
    }));
    assert_eq!(queue_titles(&app), ["Noon", "Dusk"]);
    assert_eq!(playing_title(&app).as_deref(), Some("Noon"));
    assert_eq!(app.session.playback.duration_secs, Some(199.5));
    assert_eq!(app.session.playback.position_secs, 0.0);
    // ... and is told what follows.
    assert_eq!(player(&fx), [PlayerCommand::SetNext(Some(path("Dusk")))]);
    app.update(started("Dusk"));
    assert_eq!(queue_titles(&app), ["Dusk"]);
    // The last one ended with nothing after it: stop.
    let fx = app.update(ended("Dusk"));
    assert_eq!(player(&fx), [PlayerCommand::Stop]);
    assert_eq!(app.session.playback.track, None);
    assert_eq!(
        app.session.status.as_ref().unwrap().text,
        "end of the queue"
    );
}

#[test]
fn ended_moves_on_and_repeat_all_wraps() {
    let mut app = app();
    play_first_album(&mut app);
    let fx = app.update(ended("Dawn"));
    assert_eq!(loads(&fx), [path("Noon")]);
    press(&mut app, "r");
    app.update(started("Noon"));
    app.update(ended("Noon"));
    app.update(started("Dusk"));
    let fx = app.update(ended("Dusk"));
    assert_eq!(loads(&fx), [path("Dawn")]);
    assert_eq!(current_row(&app), Some(0));
}

#[test]
fn a_broken_track_is_skipped() {
    let mut app = app();
    play_first_album(&mut app);
    let fx = app.update(error("Dawn"));
    assert_eq!(loads(&fx), [path("Noon")]);
    let st = app.session.status.as_ref().unwrap();
    assert!(st.error);
    assert_eq!(st.text, "cannot decode Dawn");
    app.update(started("Noon"));
    // An error about another file (say the preloaded next one) only shows.
    let fx = app.update(error("Dusk"));
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(playing_title(&app).as_deref(), Some("Noon"));
}

#[test]
fn a_queue_of_only_broken_tracks_stops() {
    for repeat in [Repeat::Off, Repeat::All, Repeat::One] {
        let mut app = app();
        select(&mut app, "Alpha");
        let mut fx = press_code(&mut app, KeyCode::Enter);
        app.session.repeat = repeat;
        let mut loaded = loads(&fx).len();
        for _ in 0..20 {
            let Some(title) = playing_title(&app) else {
                break;
            };
            fx = app.update(error(&title));
            loaded += loads(&fx).len();
        }
        assert_eq!(app.session.playback.track, None, "{repeat:?}");
        assert!(player(&fx).contains(&PlayerCommand::Stop), "{repeat:?}");
        assert!(
            loaded <= 3,
            "{repeat:?}: {loaded} loads for 3 broken tracks"
        );
    }
    // One broken track alone stops at once.
    let mut app = app();
    select(&mut app, "gamma");
    press_code(&mut app, KeyCode::Enter);
    let fx = app.update(error("Echo"));
    assert_eq!(player(&fx), [PlayerCommand::Stop]);
}

#[test]
fn repeat_one_skips_a_broken_track() {
    let mut app = app();
    select(&mut app, "Alpha");
    press_code(&mut app, KeyCode::Enter);
    app.session.repeat = Repeat::One;
    // Dawn is broken; repeat-one must not retry it, the good Noon should play.
    let fx = app.update(error("Dawn"));
    assert_eq!(
        loads(&fx),
        [path("Noon")],
        "a broken track under repeat-one is retried instead of skipped"
    );
}

#[test]
fn broken_tracks_earlier_do_not_stop_a_new_album() {
    let mut app = app();
    // Echo alone is broken: stop.
    select(&mut app, "gamma");
    press_code(&mut app, KeyCode::Enter);
    app.update(error("Echo"));
    assert_eq!(app.session.playback.track, None);
    // Now the user plays Alpha's album, whose first two files are broken but Dusk is fine:
    // the count of failures must start again, and Dusk must play.
    select(&mut app, "Alpha");
    press_code(&mut app, KeyCode::Enter);
    let fx = app.update(error("Dawn"));
    assert_eq!(loads(&fx), [path("Noon")]);
    let fx = app.update(error("Noon"));
    assert_eq!(
        loads(&fx),
        [path("Dusk")],
        "an old failure count stops a fresh queue early"
    );
}

#[test]
fn removing_the_next_track_re_chooses_the_preloaded_one() {
    let mut app = app();
    play_first_album(&mut app);
    press(&mut app, "2j");
    assert_eq!(app.views.queue.nav.selected, 1);
    let fx = press(&mut app, "d");
    assert_eq!(queue_titles(&app), ["Dawn", "Dusk"]);
    // Dawn goes on playing; the player is told that Dusk, not Noon, comes next.
    assert_eq!(playing_title(&app).as_deref(), Some("Dawn"));
    assert_eq!(set_next(&fx), Some(Some(path("Dusk"))));
    let fx = app.update(ended("Dawn"));
    assert_eq!(loads(&fx), [path("Dusk")]);
}

#[test]
fn playback_output_is_recorded() {
    let mut app = app();
    app.update(Event::Player(PlayerEvent::Output {
        silent: true,
        detail: "no default output device".into(),
    }));
    assert_eq!(
        app.session.playback.silent.as_deref(),
        Some("no default output device")
    );
    let mut app = tui_fixture::app();
    app.update(Event::Player(PlayerEvent::Output {
        silent: false,
        detail: "pipewire".into(),
    }));
    assert_eq!(app.session.playback.output.as_deref(), Some("pipewire"));
    assert_eq!(app.session.playback.silent, None);
}

#[test]
fn a_start_that_comes_after_a_stop_leaves_the_player_stopped() {
    // Queued (up next): a stop puts the cut-short track back in front of up next.
    let mut app = app();
    select(&mut app, "Alpha");
    press(&mut app, "l");
    select(&mut app, "First");
    press(&mut app, "a");
    press(&mut app, "c");
    app.update(started("Dawn"));
    assert_eq!(playing_title(&app).as_deref(), Some("Dawn"));
    let fx = press(&mut app, "n");
    assert_eq!(loads(&fx), [path("Noon")]);
    // Stopped before the player said that Noon started; its word comes late.
    let fx = press(&mut app, "v");
    assert_eq!(player(&fx), [PlayerCommand::Stop]);
    app.update(started("Noon"));
    assert_eq!(
        app.session.playback.track, None,
        "stopped, whatever comes late"
    );
    let status = genreplay::app::remote::status(&app.session);
    assert_eq!(status.state, genreplay::app::remote::PlayState::Stopped);
    // Moved on before a start arrived: the late one does not take the place of the new one.
    let mut app = tui_fixture::app();
    play_first_album(&mut app);
    let fx = press(&mut app, "n");
    assert_eq!(loads(&fx), [path("Noon")]);
    let fx = press(&mut app, "n");
    assert_eq!(loads(&fx), [path("Dusk")]);
    app.update(started("Noon"));
    assert_eq!(playing_title(&app).as_deref(), Some("Dusk"));
    app.update(started("Dusk"));
    assert_eq!(playing_title(&app).as_deref(), Some("Dusk"));
}
