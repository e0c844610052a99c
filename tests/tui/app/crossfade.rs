//! Crossfade as the app decides it: which transitions overlap (never an album in order), the
//! overlap sent to the player before the next track, skips with `crossfade_on_skip`, the key.

use super::*;
use genreplay::app::crossfade::Crossfade;

fn with_crossfade(secs: f32, on_skip: bool) -> App {
    let mut app = app();
    app.session.crossfade = Crossfade::new(secs, on_skip);
    app
}

#[test]
fn an_album_in_order_stays_gapless_and_other_transitions_overlap() {
    let app = with_crossfade(4.0, false);
    let s = &app.session;
    assert_eq!(s.fade_between(Some(id("Dawn")), id("Noon")), 0.0);
    assert_eq!(s.fade_between(Some(id("Rain")), id("Snow")), 0.0);
    // The same album out of order, another album, no track number: an overlap.
    assert_eq!(s.fade_between(Some(id("Dawn")), id("Dusk")), 4.0);
    assert_eq!(s.fade_between(Some(id("Noon")), id("Dawn")), 4.0);
    assert_eq!(s.fade_between(Some(id("Dusk")), id("Rain")), 4.0);
    assert_eq!(s.fade_between(Some(id("Snow")), id("Wind")), 4.0);
    assert_eq!(s.fade_between(None, id("Echo")), 4.0);
    // Off: nothing overlaps.
    let off = with_crossfade(0.0, false);
    assert_eq!(off.session.fade_between(Some(id("Dusk")), id("Rain")), 0.0);
}

#[test]
fn the_overlap_goes_to_the_player_before_the_next_track_when_it_changes() {
    let mut app = with_crossfade(4.0, false);
    // Dawn → Noon: the album in order, gapless as before (nothing new is sent).
    let fx = play_first_album(&mut app);
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
    // Rain queued next: another album, so the transition overlaps by 4 s.
    select(&mut app, "Beta");
    press(&mut app, "l");
    select(&mut app, "Second");
    press(&mut app, "l");
    select(&mut app, "Rain");
    let fx = press(&mut app, "A");
    assert_eq!(
        player(&fx),
        [
            PlayerCommand::SetCrossfade(4.0),
            PlayerCommand::SetNext(Some(path("Rain"))),
        ]
    );
    // The key turns it off (the player is told) and on again.
    let fx = press(&mut app, "F");
    assert_eq!(app.session.status.as_ref().unwrap().text, "crossfade off");
    assert_eq!(
        player(&fx),
        [
            PlayerCommand::SetCrossfade(0.0),
            PlayerCommand::SetNext(Some(path("Rain"))),
        ]
    );
    let fx = press(&mut app, "F");
    assert_eq!(app.session.status.as_ref().unwrap().text, "crossfade 4 s");
    assert_eq!(player(&fx)[0], PlayerCommand::SetCrossfade(4.0));
}

#[test]
fn a_skip_crossfades_only_with_crossfade_on_skip() {
    // Rain and Snow (their album) queued after Dawn; n skips to Rain.
    let queue_rain = |app: &mut App| {
        play_first_album(app);
        select(app, "Beta");
        press(app, "l");
        select(app, "Second");
        press(app, "A");
    };
    let mut plain = with_crossfade(4.0, false);
    queue_rain(&mut plain);
    assert_eq!(loads(&press(&mut plain, "n")), [path("Rain")]);

    let mut app = with_crossfade(4.0, true);
    queue_rain(&mut app);
    let fx = press(&mut app, "n");
    assert_eq!(
        player(&fx)[0],
        PlayerCommand::CrossfadeTo {
            path: path("Rain"),
            secs: 4.0
        }
    );
    assert_eq!(playing_title(&app).as_deref(), Some("Rain"));
    // Rain → Snow is its album in order: that skip is a plain load.
    app.update(started("Rain"));
    assert_eq!(loads(&press(&mut app, "n")), [path("Snow")]);
}

#[test]
fn the_key_says_how_to_turn_it_on_when_the_setting_is_zero() {
    let mut app = app();
    let fx = press(&mut app, "F");
    assert!(player(&fx).is_empty());
    assert!(
        app.session
            .status
            .as_ref()
            .unwrap()
            .text
            .starts_with("crossfade off")
    );
}
