//! Smart playlists in the player: made from a rule or from the open search, and worked out
//! again (once a tick) as the history changes.

use std::path::PathBuf;

use super::*;
use genreplay::library::TrackId;
use genreplay::playlist::{Edit, Playlist};
use genreplay::store::history::{HistoryRecord, Listen, Rating};

fn smart(name: &str, rule: &str) -> Playlist {
    Playlist {
        name: name.into(),
        path: PathBuf::from(format!("/lists/{name}.smart")),
        tracks: vec![],
        rule: Some(rule.into()),
    }
}

fn tracks_of(app: &App, name: &str) -> Vec<PathBuf> {
    app.views
        .playlists
        .lists
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.tracks.clone())
        .unwrap_or_default()
}

/// Likes the search's first result for `query` the way a listener does (`/query`, Enter,
/// `L`), then hands the app what the history thread answers after the store wrote it (the
/// track was also played just now).
fn like_found(app: &mut App, query: &str) -> TrackId {
    press(app, &format!("/{query}"));
    press_code(app, KeyCode::Enter);
    let fx = press(app, "L");
    press_code(app, KeyCode::Esc);
    let (track, at) = fx
        .iter()
        .find_map(|e| match e {
            Effect::Rate {
                track,
                rating: Rating::Like,
                at,
            } => Some((*track, *at)),
            _ => None,
        })
        .expect("L rates the selected result");
    let record = HistoryRecord::default()
        .with_listen(Listen::Play, at)
        .with_rating(Rating::Like, at);
    app.update(Event::HistoryChanged { track, record });
    track
}

#[test]
fn a_liked_track_enters_rating_like_played_within_a_week() {
    let mut app = app();
    app.update(Event::PlaylistsLoaded(vec![
        smart("week", "rating:like played:<7d"),
        smart("old", "played:>30d"),
    ]));
    assert!(tracks_of(&app, "week").is_empty());
    assert_eq!(
        tracks_of(&app, "old").len(),
        7,
        "never played counts as long ago"
    );
    let rain = like_found(&mut app, "rain");
    assert_eq!(rain, id("Rain"));
    // Worked out at the tick, not per event.
    assert!(tracks_of(&app, "week").is_empty());
    app.update(Event::Tick);
    assert_eq!(tracks_of(&app, "week"), [path("Rain")]);
    assert_eq!(tracks_of(&app, "old").len(), 6);
    like_found(&mut app, "dawn");
    app.update(Event::Tick);
    assert_eq!(tracks_of(&app, "week"), [path("Dawn"), path("Rain")]);
    // It plays as a context like any playlist.
    press(&mut app, "5");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert_eq!(loads(&fx), [path("Dawn")]);
    assert_eq!(upcoming_titles(&app), ["Rain"]);
    // Its tracks come from the rule: `d` on one says so and changes nothing.
    press(&mut app, "l");
    let fx = press(&mut app, "d");
    assert!(!fx.iter().any(|e| matches!(e, Effect::EditPlaylist { .. })));
    assert!(app.session.status.as_ref().unwrap().text.contains("rule"));
}

#[test]
fn s_saves_the_open_search_as_a_smart_playlist() {
    let mut app = app();
    app.views.playlists.dir = Some(PathBuf::from("/lists"));
    press(&mut app, "/artist:beta");
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "W");
    assert!(app.prompt.is_some(), "S asks for the name");
    press(&mut app, "Beta all");
    let fx = press_code(&mut app, KeyCode::Enter);
    let made = fx.iter().find_map(|e| match e {
        Effect::EditPlaylist {
            path,
            edit: Edit::Rule { rule, create },
            ..
        } => Some((path.clone(), rule.clone(), *create)),
        _ => None,
    });
    assert_eq!(
        made,
        Some((
            PathBuf::from("/lists/Beta all.smart"),
            "artist:beta".to_string(),
            true
        ))
    );
    assert!(
        app.session
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("3 tracks"),
        "{:?}",
        app.session.status
    );
}

#[test]
fn a_refused_rule_is_asked_again_with_the_reason() {
    let mut app = app();
    app.views.playlists.dir = Some(PathBuf::from("/lists"));
    press(&mut app, "5W");
    press(&mut app, "mine");
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "rating:like plays:lots");
    let fx = press_code(&mut app, KeyCode::Enter);
    assert!(!fx.iter().any(|e| matches!(e, Effect::EditPlaylist { .. })));
    let status = app.session.status.as_ref().unwrap();
    assert!(status.error);
    assert!(
        status.text.contains("\"plays:lots\" at character 13"),
        "{}",
        status.text
    );
    let again = app.prompt.as_ref().unwrap();
    assert_eq!(again.text, "rating:like plays:lots");
    assert!(again.label.contains("at character 13"), "{}", again.label);
    // An unknown track for like: is refused the same way.
    press_code(&mut app, KeyCode::Esc);
    press(&mut app, "W");
    press(&mut app, "x");
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "like:\"no such song\"");
    press_code(&mut app, KeyCode::Enter);
    assert!(
        app.session
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("no track of the library is called \"no such song\"")
    );
}

#[test]
fn a_smart_playlist_whose_rule_fails_says_why() {
    let mut app = app();
    app.update(Event::PlaylistsLoaded(vec![smart("bad", "like:nothing")]));
    assert!(tracks_of(&app, "bad").is_empty());
    let why = app
        .views
        .playlists
        .smart_errors
        .get(&PathBuf::from("/lists/bad.smart"))
        .cloned()
        .unwrap_or_default();
    assert!(why.contains("\"nothing\""), "{why}");
}
