#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The player's state machine without a terminal: keys, player and analysis events go into
//! `App::update`, and the tests check the state and the effects that come out.

mod tui_fixture;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use genreplay::analysis::{AnalysisEvent, Progress};
use genreplay::app::catalog::Catalog;
use genreplay::app::catalog::{BrowseMode, FAILED_GROUP, PENDING_GROUP};
use genreplay::app::play_queue::{Reason, Repeat};
use genreplay::app::{App, Effect, Event, RowKind, View};
use genreplay::audio::player::{PlayerCommand, PlayerEvent};
use genreplay::config::{Keymap, Theme};
use genreplay::keys::Action;
use genreplay::model::ModelId;
use tui_fixture::*;

fn started(title: &str) -> Event {
    Event::Player(PlayerEvent::Started {
        path: path(title),
        duration_secs: None,
    })
}

fn ended(title: &str) -> Event {
    Event::Player(PlayerEvent::Ended { path: path(title) })
}

fn error(title: &str) -> Event {
    Event::Player(PlayerEvent::Error {
        path: path(title),
        message: format!("cannot decode {title}"),
    })
}

/// Plays the album First (Dawn, Noon, Dusk) from its first track.
fn play_first_album(app: &mut App) -> Vec<Effect> {
    select(app, "Alpha");
    press(app, "l");
    select(app, "First");
    let fx = press_code(app, KeyCode::Enter);
    app.update(started("Dawn"));
    fx
}

fn player(fx: &[Effect]) -> Vec<PlayerCommand> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Player(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

// ------------------------------------------------------------------- library navigation

#[test]
fn library_tree_expands_and_collapses() {
    let mut app = app();
    assert_eq!(app.view, View::Library);
    assert_eq!(app.views.library.mode, BrowseMode::Artist);
    // Artists sort case-insensitively; everything starts collapsed.
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);
    assert_eq!(app.views.library.rows[0].count, 3);
    assert_eq!(app.views.library.rows[1].count, 3);
    assert_eq!(selected_label(&app), "Alpha");

    press(&mut app, "l");
    assert_eq!(rows(&app), ["Alpha", "  First", "Beta", "gamma"]);
    assert!(app.views.library.rows[0].expanded);
    press(&mut app, "j");
    press_code(&mut app, KeyCode::Right);
    assert_eq!(
        rows(&app),
        [
            "Alpha", "  First", "    Dawn", "    Noon", "    Dusk", "Beta", "gamma"
        ]
    );
    // Expanding a track does nothing.
    press(&mut app, "jj");
    assert_eq!(selected_label(&app), "Noon");
    press(&mut app, "l");
    assert_eq!(app.views.library.rows.len(), 7);

    // Left on a track goes to its album and closes it; again closes the artist.
    press_code(&mut app, KeyCode::Left);
    assert_eq!(selected_label(&app), "First");
    assert_eq!(rows(&app), ["Alpha", "  First", "Beta", "gamma"]);
    press(&mut app, "h");
    assert_eq!(selected_label(&app), "Alpha");
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);
    // Collapsing a closed top-level group is harmless.
    press(&mut app, "h");
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);
}

#[test]
fn selection_moves_and_stays_in_bounds() {
    let mut app = app();
    press(&mut app, "k");
    assert_eq!(app.views.library.nav.selected, 0);
    press(&mut app, "G");
    assert_eq!(selected_label(&app), "gamma");
    press(&mut app, "jjj");
    assert_eq!(selected_label(&app), "gamma");
    press(&mut app, "g");
    assert_eq!(selected_label(&app), "Alpha");
    press_code(&mut app, KeyCode::End);
    assert_eq!(app.views.library.nav.selected, 2);
    press_code(&mut app, KeyCode::Home);
    assert_eq!(app.views.library.nav.selected, 0);
    press_code(&mut app, KeyCode::PageDown);
    assert_eq!(app.views.library.nav.selected, 2);
    press_code(&mut app, KeyCode::PageUp);
    assert_eq!(app.views.library.nav.selected, 0);
    press_code(&mut app, KeyCode::Down);
    assert_eq!(selected_label(&app), "Beta");
    press_code(&mut app, KeyCode::Up);
    assert_eq!(selected_label(&app), "Alpha");
}

#[test]
fn a_long_list_scrolls_with_the_selection() {
    let mut app = app();
    // 3 rows of list in an 9-row terminal.
    app.update(Event::Resize(80, 9));
    assert_eq!(app.session.list_height, 3);
    for label in ["Alpha", "First", "Beta"] {
        select(&mut app, label);
        press(&mut app, "l");
    }
    select(&mut app, "Second");
    press(&mut app, "l");
    assert_eq!(app.views.library.rows.len(), 11);
    press(&mut app, "g");
    assert_eq!(app.views.library.nav.offset, 0);
    press(&mut app, "jjjj");
    assert_eq!(app.views.library.nav.selected, 4);
    assert_eq!(
        app.views.library.nav.offset, 2,
        "the selection stays on screen"
    );
    press(&mut app, "G");
    assert_eq!(app.views.library.nav.offset, 8);
    press(&mut app, "g");
    assert_eq!(app.views.library.nav.offset, 0);
}

#[test]
fn moving_onto_a_track_asks_for_it_to_be_analysed_first() {
    let mut app = app();
    press(&mut app, "ljl");
    let fx = press(&mut app, "j");
    assert_eq!(selected_label(&app), "Dawn");
    assert!(fx.contains(&Effect::Bump(id("Dawn"))), "{fx:?}");
    // Groups ask for nothing.
    let fx = press(&mut app, "k");
    assert!(fx.is_empty(), "{fx:?}");
}

#[test]
fn m_cycles_browse_modes() {
    let mut app = app();
    let fx = press(&mut app, "m");
    assert!(fx.is_empty());
    assert_eq!(app.views.library.mode, BrowseMode::Genre);
    assert_eq!(app.session.status.as_ref().unwrap().text, "browse by genre");
    // Genres in label order (only those with tracks), then the waiting and failed tracks.
    assert_eq!(
        rows(&app),
        ["blues", "jazz", "rock", PENDING_GROUP, FAILED_GROUP]
    );
    let counts: Vec<usize> = app.views.library.rows.iter().map(|r| r.count).collect();
    assert_eq!(counts, [1, 1, 2, 2, 1]);
    // Inside a genre, the most confident first.
    select(&mut app, "rock");
    press(&mut app, "l");
    assert_eq!(
        rows(&app)[2..5],
        ["rock", "  Snow", "  Dawn"].map(String::from)
    );
    select(&mut app, PENDING_GROUP);
    press(&mut app, "l");
    assert!(rows(&app).contains(&"  Echo".to_string()));

    press(&mut app, "m");
    assert_eq!(app.views.library.mode, BrowseMode::Folder);
    assert_eq!(
        app.session.status.as_ref().unwrap().text,
        "browse by folder"
    );
    assert_eq!(
        rows(&app),
        ["Alpha/First", "Beta/Second", "Beta/Third", "gamma"]
    );
    assert_eq!(app.views.library.nav.selected, 0);
    select(&mut app, "Beta/Second");
    press(&mut app, "l");
    assert_eq!(
        rows(&app),
        [
            "Alpha/First",
            "Beta/Second",
            "  Rain",
            "  Snow",
            "Beta/Third",
            "gamma"
        ]
    );

    // m from another view comes back to the library.
    press(&mut app, "2");
    assert_eq!(app.view, View::Queue);
    press(&mut app, "m");
    assert_eq!(app.view, View::Library);
    assert_eq!(app.views.library.mode, BrowseMode::Artist);
    assert_eq!(
        app.session.status.as_ref().unwrap().text,
        "browse by artist → album"
    );
}

#[test]
fn views_switch_by_number_and_tab() {
    let mut app = app();
    for (k, v) in [
        ('2', View::Queue),
        ('3', View::NowPlaying),
        ('4', View::Genres),
        ('1', View::Library),
    ] {
        press(&mut app, &k.to_string());
        assert_eq!(app.view, v);
    }
    press_code(&mut app, KeyCode::Tab);
    assert_eq!(app.view, View::Queue);
    app.update(Event::Key(KeyEvent::new(
        KeyCode::BackTab,
        KeyModifiers::SHIFT,
    )));
    assert_eq!(app.view, View::Library);
    press_code(&mut app, KeyCode::BackTab);
    assert_eq!(app.view, View::Training);
    press_code(&mut app, KeyCode::Tab);
    assert_eq!(app.view, View::Library);
}

// ------------------------------------------------------------------- playing

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
        app.session
            .queue
            .entries
            .iter()
            .all(|e| e.reason == Reason::From("Alpha / First".into()))
    );
    assert_eq!(
        app.session.queue.entries[0].reason.describe(),
        "from Alpha / First"
    );
    assert_eq!(app.session.queue.current, Some(0));
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
    assert_eq!(queue_titles(&app), ["Dawn", "Noon", "Dusk"]);
    assert_eq!(app.session.queue.current, Some(1));
}

#[test]
fn enter_on_an_artist_plays_all_their_albums() {
    let mut app = app();
    select(&mut app, "Beta");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(loads(&fx), [path("Rain")]);
    assert_eq!(queue_titles(&app), ["Rain", "Snow", "Wind"]);
    assert_eq!(
        app.session.queue.entries[0].reason,
        Reason::From("Beta".into())
    );
}

#[test]
fn enter_in_genre_and_folder_modes() {
    let mut app = app();
    press(&mut app, "m");
    select(&mut app, "rock");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(loads(&fx), [path("Snow")]);
    assert_eq!(queue_titles(&app), ["Snow", "Dawn"]);
    assert_eq!(app.session.queue.entries[0].reason.describe(), "from rock");

    press(&mut app, "m");
    select(&mut app, "Beta/Second");
    press(&mut app, "l");
    select(&mut app, "Snow");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(loads(&fx), [path("Snow")]);
    assert_eq!(queue_titles(&app), ["Rain", "Snow"]);
    assert_eq!(app.session.queue.current, Some(1));
    assert_eq!(
        app.session.queue.entries[1].reason.describe(),
        "from Beta/Second"
    );
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

#[test]
fn next_and_previous() {
    let mut app = app();
    play_first_album(&mut app);
    let fx = press(&mut app, "n");
    assert_eq!(loads(&fx), [path("Noon")]);
    assert_eq!(set_next(&fx), Some(Some(path("Dusk"))));
    app.update(started("Noon"));
    assert_eq!(app.session.queue.current, Some(1));
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
    // No gapless next while shuffling: the next track is picked when this one ends.
    assert_eq!(set_next(&fx), Some(None));
    // Shuffle plays each entry once, then stops.
    let mut seen = vec!["Dawn".to_string()];
    for _ in 0..2 {
        let fx = app.update(ended(playing_title(&app).as_deref().unwrap()));
        let p = loads(&fx);
        assert_eq!(p.len(), 1, "{fx:?}");
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
    assert_eq!(app.session.queue.current, Some(2));
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

// ------------------------------------------------------------------- search

#[test]
fn search_filters_as_you_type_and_esc_clears() {
    let mut app = app();
    press(&mut app, "/");
    assert!(app.search.typing);
    press(&mut app, "s");
    // The match is fuzzy ("s" is in most tracks' text); groups with a match open by themselves.
    assert!(rows(&app).iter().any(|r| r.trim() == "Snow"));
    assert!(app.views.library.rows.len() > 3);
    press(&mut app, "now");
    assert_eq!(app.search.text, "snow");
    assert_eq!(rows(&app), ["Beta", "  Second", "    Snow"]);
    assert!(
        app.views
            .library
            .rows
            .iter()
            .all(|r| r.expanded || matches!(r.kind, RowKind::Track(_)))
    );
    // Keys that are bound to actions are typed while searching: q does not quit.
    let fx = press(&mut app, "q");
    assert!(!app.should_quit && fx.is_empty());
    assert!(app.views.library.rows.is_empty(), "nothing matches 'snowq'");
    press_code(&mut app, KeyCode::Backspace);
    assert_eq!(rows(&app), ["Beta", "  Second", "    Snow"]);
    // Arrow keys still move.
    press_code(&mut app, KeyCode::Down);
    assert_eq!(app.views.library.nav.selected, 1);
    // Esc leaves the search and clears it.
    press_code(&mut app, KeyCode::Esc);
    assert!(!app.search.typing);
    assert_eq!(app.search.text, "");
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);

    // Enter keeps the filter and gives the keys back; Esc then clears it.
    press(&mut app, "/ech");
    press_code(&mut app, KeyCode::Enter);
    assert!(!app.search.typing);
    assert_eq!(rows(&app), ["gamma", "  Loose", "    Echo"]);
    press(&mut app, "G");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(loads(&fx), [path("Echo")]);
    press_code(&mut app, KeyCode::Esc);
    assert_eq!(app.search.text, "");
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);
}

#[test]
fn search_filters_the_queue_and_genres_too() {
    let mut app = app();
    play_first_album(&mut app);
    press(&mut app, "2/dusk");
    assert_eq!(app.views.queue.visible, [2]);
    // Entries do not move while the view is filtered.
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "JK");
    assert_eq!(queue_titles(&app), ["Dawn", "Noon", "Dusk"]);
    press(&mut app, "/");
    // d removes the entry shown, not the entry at the same row of the whole queue.
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "d");
    assert_eq!(queue_titles(&app), ["Dawn", "Noon"]);
    press_code(&mut app, KeyCode::Esc);

    press(&mut app, "4/snow");
    let lists: Vec<(String, usize)> = app
        .views
        .genres
        .lists
        .iter()
        .map(|(g, t)| (g.clone(), t.len()))
        .collect();
    assert_eq!(
        lists,
        [("blues".into(), 0), ("jazz".into(), 0), ("rock".into(), 1)]
    );
}

// ------------------------------------------------------------------- help, themes, quit

#[test]
fn help_opens_and_closes() {
    let mut app = app();
    press(&mut app, "?");
    assert!(app.help.open);
    // While it is open, keys do not reach the player or the views.
    let fx = press(&mut app, "n+2");
    assert!(fx.is_empty());
    assert_eq!(app.view, View::Library);
    assert_eq!(app.session.playback.volume, 80);
    press(&mut app, "jj");
    assert_eq!(app.help.scroll, 2);
    press(&mut app, "k");
    assert_eq!(app.help.scroll, 1);
    // It does not scroll past its last line.
    let last = genreplay::ui::help_lines(&app).len() - 1;
    press(&mut app, &"j".repeat(100));
    assert_eq!(app.help.scroll, last);
    press_code(&mut app, KeyCode::PageDown);
    assert_eq!(app.help.scroll, last);
    press(&mut app, "k");
    assert_eq!(app.help.scroll, last - 1);
    press_code(&mut app, KeyCode::PageUp);
    assert_eq!(app.help.scroll, last - 1 - app.session.list_height);
    press_code(&mut app, KeyCode::PageUp);
    assert_eq!(app.help.scroll, 0);
    press_code(&mut app, KeyCode::Esc);
    assert!(!app.help.open);
    app.update(Event::Key(KeyEvent::new(KeyCode::F(1), KeyModifiers::NONE)));
    assert!(app.help.open);
    assert_eq!(app.help.scroll, 0, "help opens at the top");
    press(&mut app, "?");
    assert!(!app.help.open);
    // q closes the help rather than quitting.
    press(&mut app, "?q");
    assert!(!app.help.open);
    assert!(!app.should_quit);
}

#[test]
fn help_lists_every_action_with_its_keys() {
    let app = app();
    let lines = genreplay::ui::help_lines(&app);
    assert_eq!(lines.len(), Action::ALL.len() + 1);
    assert!(lines.contains(&("q, ctrl-c".into(), "Quit genreplay".into())));
    assert!(lines.contains(&("?, f1".into(), "Show or hide this help".into())));
    assert!(lines.contains(&("+, =".into(), "Volume up".into())));
}

#[test]
fn t_cycles_the_themes() {
    let mut app = app();
    assert_eq!(app.theme().name, "dark");
    press(&mut app, "t");
    assert_eq!(app.theme().name, "light");
    assert_eq!(app.session.status.as_ref().unwrap().text, "theme: light");
    press(&mut app, "t");
    assert_eq!(app.theme().name, "terminal");
    press(&mut app, "t");
    assert_eq!(app.theme().name, "dark");
    // An unknown theme name starts on the first theme; no themes at all falls back.
    let app = App::new(library(), Keymap::defaults(), Theme::built_in(), "nope", 80);
    assert_eq!(app.theme().name, "dark");
    let mut app = App::new(library(), Keymap::defaults(), vec![], "dark", 80);
    assert_eq!(app.theme().name, "terminal");
    press(&mut app, "t");
    assert_eq!(app.theme().name, "terminal");
}

#[test]
fn q_quits() {
    let mut app = app();
    let fx = press(&mut app, "q");
    assert_eq!(fx, [Effect::Quit]);
    assert!(app.should_quit);
}

#[test]
fn i_selects_the_playing_track() {
    let mut app = app();
    select(&mut app, "Beta");
    press(&mut app, "l");
    select(&mut app, "Third");
    press_code(&mut app, KeyCode::Enter);
    // Close everything and move away; i opens the way back to the track.
    press(&mut app, "hgh4");
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);
    press(&mut app, "i");
    assert_eq!(app.view, View::Library);
    assert_eq!(selected_label(&app), "Wind");
    // In folder mode too.
    press(&mut app, "mm");
    press(&mut app, "i");
    assert_eq!(selected_label(&app), "Wind");
}

#[test]
fn i_finds_a_playing_track_in_the_genre_tree() {
    let mut app = app();
    press(&mut app, "m");
    // Noon (jazz) plays; i finds it under jazz.
    select(&mut app, "jazz");
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "i");
    assert_eq!(selected_label(&app), "Noon");
    // Echo is waiting for analysis.
    select(&mut app, PENDING_GROUP);
    press(&mut app, "l");
    select(&mut app, "Echo");
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "g");
    press(&mut app, "i");
    assert_eq!(selected_label(&app), "Echo");
    // Wind could not be analysed: it sits under the failed group.
    select(&mut app, FAILED_GROUP);
    press(&mut app, "l");
    select(&mut app, "Wind");
    press_code(&mut app, KeyCode::Enter);
    select(&mut app, FAILED_GROUP);
    press(&mut app, "hg");
    press(&mut app, "i");
    assert_eq!(
        selected_label(&app),
        "Wind",
        "i must open the failed group to reach the playing track: {:?}",
        rows(&app)
    );
}

#[test]
fn i_finds_a_track_whose_artist_differs_in_case() {
    // "alpha" sorts into the group that "Alpha" named.
    let mut lib = library();
    let mut extra = lib.track(id("Dusk")).unwrap().clone();
    extra.path = std::path::PathBuf::from("/music/Alpha/First/04 Late.flac");
    extra.id = genreplay::library::TrackId::of_path(&extra.path);
    extra.title = "Late".into();
    extra.artist = "alpha".into();
    extra.album = "first".into();
    extra.track_no = Some(4);
    let mut tracks = lib.tracks.clone();
    tracks.push(extra);
    lib = Catalog::new(lib.root.clone(), tracks, lib.labels.clone());
    let mut app = app_with(lib);
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);
    press(&mut app, "ljl");
    select(&mut app, "Late");
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "hhg");
    assert_eq!(rows(&app), ["Alpha", "Beta", "gamma"]);
    press(&mut app, "i");
    assert_eq!(selected_label(&app), "Late", "{:?}", rows(&app));
}

// ------------------------------------------------------------------- genres view

#[test]
fn genres_view_plays_an_auto_playlist() {
    let mut app = app();
    press(&mut app, "4");
    assert_eq!(app.views.genres.lists.len(), 3);
    assert_eq!(app.views.genres.lists[2].0, "rock");
    assert_eq!(
        app.views.genres.lists[2]
            .1
            .iter()
            .map(|t| t.0)
            .collect::<Vec<_>>(),
        [id("Snow"), id("Dawn")]
    );
    press(&mut app, "jj");
    assert_eq!(app.views.genres.nav.selected, 2);
    // l moves the focus to the tracks; Enter plays from the selected one.
    press(&mut app, "l");
    assert!(app.views.genres.focus_tracks);
    press(&mut app, "j");
    assert_eq!(app.views.genres.tracks_nav.selected, 1);
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(loads(&fx), [path("Dawn")]);
    assert_eq!(queue_titles(&app), ["Snow", "Dawn"]);
    assert_eq!(app.session.queue.current, Some(1));
    assert_eq!(
        app.session.queue.entries[0].reason.describe(),
        "from rock playlist"
    );
    // h back to the genres; moving there resets the track selection.
    press(&mut app, "h");
    assert!(!app.views.genres.focus_tracks);
    press(&mut app, "k");
    assert_eq!(app.views.genres.nav.selected, 1);
    assert_eq!(app.views.genres.tracks_nav.selected, 0);
    // a adds the whole playlist from the genre list, one track from the track list.
    press(&mut app, "a");
    assert_eq!(queue_titles(&app), ["Snow", "Dawn", "Noon"]);
    press(&mut app, "jla");
    assert_eq!(queue_titles(&app), ["Snow", "Dawn", "Noon", "Snow"]);
}

#[test]
fn adding_from_a_track_list_the_search_emptied_does_not_panic() {
    let mut app = app();
    // Focus rock's tracks, then search for something none of them matches.
    press(&mut app, "4jjl");
    assert!(app.views.genres.focus_tracks);
    press(&mut app, "/zzz");
    press_code(&mut app, KeyCode::Enter);
    assert!(app.views.genres.selected_tracks().is_empty());
    for k in ["a", "A"] {
        let fx = press(&mut app, k);
        assert!(fx.is_empty(), "{fx:?}");
    }
    press_code(&mut app, KeyCode::Enter);
    assert!(app.session.queue.entries.is_empty());
    // An empty genre adds nothing either (and says nothing about "0 tracks").
    press_code(&mut app, KeyCode::Esc);
    let mut lib = library();
    lib.vectors.remove(&id("Rain"));
    let mut app = app_with(lib);
    press(&mut app, "4a");
    assert!(app.session.queue.entries.is_empty());
    assert_eq!(app.session.status, None);
}

#[test]
fn genres_view_with_empty_genre_does_not_focus_tracks() {
    let mut lib = library();
    lib.vectors.clear();
    let mut app = app_with(lib);
    press(&mut app, "4");
    press(&mut app, "l");
    assert!(!app.views.genres.focus_tracks);
    let fx = press_code(&mut app, KeyCode::Enter);
    assert!(fx.is_empty());
    assert!(app.session.queue.entries.is_empty());
}

// ------------------------------------------------------------------- player events

#[test]
fn a_gapless_start_of_the_next_entry_moves_the_queue_along() {
    let mut app = app();
    play_first_album(&mut app);
    // The player went on to Noon by itself (SetNext) and says so.
    let fx = app.update(Event::Player(PlayerEvent::Started {
        path: path("Noon"),
        duration_secs: Some(199.5),
    }));
    assert_eq!(app.session.queue.current, Some(1));
    assert_eq!(playing_title(&app).as_deref(), Some("Noon"));
    assert_eq!(app.session.playback.duration_secs, Some(199.5));
    assert_eq!(app.session.playback.position_secs, 0.0);
    // ... and is told what follows.
    assert_eq!(player(&fx), [PlayerCommand::SetNext(Some(path("Dusk")))]);
    app.update(started("Dusk"));
    assert_eq!(app.session.queue.current, Some(2));
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
    assert_eq!(app.session.queue.current, Some(0));
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
fn removing_the_playing_entry_carries_on_after_it() {
    let mut app = app();
    play_first_album(&mut app);
    select(&mut app, "Beta");
    press(&mut app, "a");
    // Dawn Noon Dusk Rain Snow Wind; Noon plays.
    press(&mut app, "n");
    app.update(started("Noon"));
    press(&mut app, "2j");
    assert_eq!(app.views.queue.nav.selected, 1);
    let fx = press(&mut app, "d");
    assert_eq!(queue_titles(&app), ["Dawn", "Dusk", "Rain", "Snow", "Wind"]);
    // Noon goes on playing; what comes after it is still Dusk, not the top of the queue.
    assert_eq!(playing_title(&app).as_deref(), Some("Noon"));
    assert_eq!(
        set_next(&fx),
        Some(Some(path("Dusk"))),
        "after removing the playing entry the queue starts over from the top"
    );
    let fx = app.update(ended("Noon"));
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

// ------------------------------------------------------------------- analysis and library

#[test]
fn analysis_events_update_the_status() {
    let mut app = app();
    app.update(Event::Analysis(AnalysisEvent::Started {
        model: ModelId("m1".into()),
        total: 3,
    }));
    assert!(app.session.analysis.running);
    assert_eq!(app.session.analysis.model.as_deref(), Some("m1"));
    assert_eq!(app.session.analysis.progress.as_ref().unwrap().total, 3);
    app.update(Event::Analysis(AnalysisEvent::Progress(Progress {
        done: 2,
        total: 3,
        failed: 1,
        current: Some(path("Echo")),
        eta_secs: Some(12.0),
    })));
    assert_eq!(app.session.analysis.progress.as_ref().unwrap().done, 2);
    assert_eq!(app.session.analysis.failed, 1);
    app.update(Event::Analysis(AnalysisEvent::TrackDone {
        track: id("Dusk"),
        result: Err("too short".into()),
    }));
    assert_eq!(
        app.session.lib.failed.get(&id("Dusk")).map(String::as_str),
        Some("too short")
    );
    app.update(Event::Analysis(AnalysisEvent::Finished {
        classified: 1,
        failed: 2,
        cancelled: false,
    }));
    assert!(!app.session.analysis.running);
    assert_eq!(app.session.analysis.failed, 2);
    // Nothing to analyse: not running.
    let mut app = tui_fixture::app();
    app.update(Event::Analysis(AnalysisEvent::Started {
        model: ModelId("m1".into()),
        total: 0,
    }));
    assert!(!app.session.analysis.running);
}

#[test]
fn a_ready_vector_moves_a_track_into_its_genre() {
    let mut app = app();
    press(&mut app, "m");
    select(&mut app, PENDING_GROUP);
    press(&mut app, "l");
    assert_eq!(
        rows(&app)[3..],
        ["(not classified yet)", "  Dusk", "  Echo", FAILED_GROUP].map(String::from)
    );
    app.update(Event::VectorReady {
        track: id("Echo"),
        vector: vector("jazz", 0.95),
        style: None,
    });
    let r = rows(&app);
    assert_eq!(r[1], "jazz");
    assert_eq!(app.views.library.rows[1].count, 2);
    select(&mut app, "jazz");
    press(&mut app, "l");
    assert_eq!(
        rows(&app)[1..4],
        ["jazz", "  Echo", "  Noon"].map(String::from)
    );
    assert_eq!(app.views.genres.lists[1].1[0].0, id("Echo"));
    assert_eq!(app.session.lib.classified(), 5);
    // A failed track that gets a vector later leaves the failed group.
    app.update(Event::VectorReady {
        track: id("Wind"),
        vector: vector("blues", 0.5),
        style: None,
    });
    assert!(!rows(&app).contains(&FAILED_GROUP.to_string()));
    assert!(!app.session.lib.failed.contains_key(&id("Wind")));
}

#[test]
fn a_reloaded_library_drops_missing_files_from_the_queue() {
    let mut app = app();
    play_first_album(&mut app);
    let mut lib = library();
    let keep: Vec<_> = lib
        .tracks
        .iter()
        .filter(|t| t.title != "Noon")
        .cloned()
        .collect();
    lib = Catalog::new(lib.root.clone(), keep, lib.labels.clone());
    app.update(Event::LibraryLoaded(Box::new(lib)));
    assert_eq!(queue_titles(&app), ["Dawn", "Dusk"]);
    assert_eq!(app.session.queue.current, Some(0));
    assert_eq!(app.session.lib.classified(), 0);
}

#[test]
fn status_messages_come_from_background_jobs() {
    let mut app = app();
    app.update(Event::Status {
        text: "scan failed: permission denied".into(),
        error: true,
    });
    let s = app.session.status.as_ref().unwrap();
    assert!(s.error);
    assert_eq!(s.text, "scan failed: permission denied");
    // A tick soon after keeps it.
    app.update(Event::Tick);
    assert!(app.session.status.is_some());
}

#[test]
fn an_empty_library_is_harmless() {
    let mut app = app_with(Catalog::default());
    assert!(app.views.library.rows.is_empty());
    let fx = press(&mut app, "jkgGlhanpv.,+ sr/x");
    press_code(&mut app, KeyCode::Esc);
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "2dJKC3i4l");
    press_code(&mut app, KeyCode::Enter);
    assert!(loads(&fx).is_empty());
    assert!(app.session.queue.entries.is_empty());
    assert_eq!(app.session.playback.track, None);
}
