use super::*;
use crate::app::play_queue::Repeat;
use crate::library::TrackId;
use crate::store::history::Rating;

fn track(id: u64, title: &str) -> Arc<MediaTrack> {
    Arc::new(MediaTrack {
        id: TrackId(id),
        path: PathBuf::from(format!("/music/{title}.flac")),
        title: title.into(),
        artist: "A".into(),
        album: "B".into(),
        album_artist: None,
        track_no: None,
        duration_secs: None,
        genre: Some("jazz".into()),
    })
}

fn playing(t: Arc<MediaTrack>) -> MediaState {
    MediaState {
        state: PlayState::Playing,
        track: Some(t),
        volume: 0.8,
        ..MediaState::default()
    }
}

fn names(c: &[Change]) -> Vec<&'static str> {
    c.iter().map(Change::name).collect()
}

#[test]
fn each_difference_is_one_event() {
    let a = playing(track(1, "one"));
    assert!(changes(&a, &a, false).is_empty());
    let b = playing(track(2, "two"));
    assert_eq!(names(&changes(&a, &b, false)), ["track"]);
    let paused = MediaState {
        state: PlayState::Paused,
        ..a.clone()
    };
    assert_eq!(names(&changes(&a, &paused, false)), ["state"]);
    let louder = MediaState {
        volume: 0.85,
        ..a.clone()
    };
    assert_eq!(changes(&a, &louder, false), [Change::Volume { volume: 85 }]);
    let modes = MediaState {
        shuffle: true,
        repeat: Repeat::All,
        rating: Rating::Like,
        queue_changes: 3,
        upcoming: 7,
        ..a.clone()
    };
    assert_eq!(
        names(&changes(&a, &modes, false)),
        ["queue", "shuffle", "repeat", "rating"]
    );
    assert_eq!(names(&changes(&a, &a, true)), ["seek"]);
}

#[test]
fn a_duration_arriving_is_not_a_new_track() {
    let a = playing(track(1, "one"));
    let mut t = (*track(1, "one")).clone();
    t.duration_secs = Some(180.0);
    let b = playing(Arc::new(t));
    assert!(changes(&a, &b, false).is_empty());
}

#[test]
fn events_are_one_line_json_with_the_track() {
    let b = playing(track(2, "two\nlines"));
    let line = changes(&MediaState::default(), &b, false)[0].line();
    assert!(!line.contains('\n'), "{line}");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
    assert_eq!(v["event"], "track");
    assert_eq!(v["track"]["title"], "two\nlines");
    assert_eq!(v["track"]["genre"], "jazz");
    assert_eq!(v["state"], "playing");
}

fn update(prev: &MediaState, now: &MediaState) -> MediaUpdate {
    MediaUpdate {
        prev: Some(prev.clone()),
        now: now.clone(),
        seeked: false,
    }
}

#[test]
fn a_subscriber_gets_the_status_then_changes_and_quit() {
    let hub = EventHub::default();
    let a = playing(track(1, "one"));
    hub.publish(&MediaUpdate {
        prev: None,
        now: a.clone(),
        seeked: false,
    });
    let sub = hub.subscribe().unwrap_or_else(|e| panic!("{e}"));
    hub.publish(&update(&a, &playing(track(2, "two"))));
    hub.close();
    let got: Vec<String> = sub.events.iter().map(|l| l.to_string()).collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got[0].starts_with("{\"event\":\"status\""), "{got:?}");
    assert!(got[1].contains("\"title\":\"two\""), "{got:?}");
    assert_eq!(got[2], "{\"event\":\"quit\"}");
}

#[test]
fn subscribers_are_bounded_and_a_stuck_one_is_dropped_without_blocking() {
    let hub = EventHub::default();
    let subs: Vec<_> = (0..MAX_SUBSCRIBERS)
        .map(|_| hub.subscribe().unwrap_or_else(|e| panic!("{e}")))
        .collect();
    assert!(hub.subscribe().is_err());
    // Nobody reads: the first BACKLOG events fit, the next one drops every subscriber,
    // and publishing never waits.
    let t0 = Instant::now();
    let mut prev = MediaState::default();
    for i in 0..=BACKLOG as u64 {
        let now = MediaState {
            queue_changes: i + 1,
            ..prev.clone()
        };
        hub.publish(&update(&prev, &now));
        prev = now;
    }
    assert!(t0.elapsed() < Duration::from_secs(1));
    assert_eq!(hub.subscribers(), 0);
    assert_eq!(subs[0].events.len(), BACKLOG);
    // A place is free again.
    assert!(hub.subscribe().is_ok());
}

#[test]
fn a_client_that_left_frees_its_place_before_anything_changes() {
    let hub = EventHub::default();
    let mut subs: Vec<_> = (0..MAX_SUBSCRIBERS)
        .map(|_| hub.subscribe().unwrap_or_else(|e| panic!("{e}")))
        .collect();
    assert!(hub.subscribe().is_err());
    subs.pop();
    assert!(hub.subscribe().is_ok());
}
