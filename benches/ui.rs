//! The player's UI at scale: 50,000 tracks (2,500 artists × 4 albums × 5 tracks, ten genres),
//! each key handled by `App::update` and the frame drawn on a 120×40 `TestBackend`, as the
//! run loop does. Target: every key within 16 ms including the redraw. The `search_*_cold` and
//! `tick_*` rows time only the key (or the tick) named and its redraw, after their setup keys.
//!
//! `remote_20k_tracks`: what a `genreplay ctl` request costs the UI thread on a 20,000-track
//! library (target: well within 100 ms): an add of 10,000 names outside the library, of
//! 10,000 library files, of 10,000 folders; a status with a full up next and the whole
//! library as the context; and the tick that saves that queue (its JSON is made on the state
//! writer's thread: `state_json_*` times that part).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use genreplay::app::catalog::{Catalog, TrackInfo};
use genreplay::app::remote::{RemoteCommand, RemoteRequest, ReplyTo};
use genreplay::app::{App, Effect, Event};
use genreplay::config::{Keymap, Theme};
use genreplay::library::TrackId;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const LABELS: [&str; 10] = [
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
];

fn catalog(n: usize) -> Catalog {
    let tracks: Vec<TrackInfo> = (0..n)
        .map(|i| {
            let artist = i / 20;
            let album = (i / 5) % 4;
            let path = PathBuf::from(format!(
                "/music/artist {artist}/album {album}/{:02} track {i}.flac",
                i % 5 + 1
            ));
            TrackInfo {
                id: TrackId::of_path(&path),
                title: format!("track {i} of a war song"),
                artist: format!("artist {artist}"),
                album: format!("album {album}"),
                track_no: Some((i % 5 + 1) as u32),
                duration_secs: Some(200.0),
                folder: format!("artist {artist}/album {album}"),
                path,
                ..Default::default()
            }
        })
        .collect();
    let ids: Vec<TrackId> = tracks.iter().map(|t| t.id).collect();
    let mut lib = Catalog::new(
        PathBuf::from("/music"),
        tracks,
        LABELS.iter().map(|s| s.to_string()).collect(),
    );
    // Four in five classified.
    for (i, id) in ids.iter().enumerate().filter(|(i, _)| i % 5 != 0) {
        lib.vectors.insert(*id, vector(i).into());
    }
    lib
}

fn vector(i: usize) -> Vec<f32> {
    let mut v = vec![0.02f32; 10];
    v[i % 10] = 0.82;
    v
}

fn key(c: char) -> Event {
    let mods = if c.is_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Event::Key(KeyEvent::new(KeyCode::Char(c), mods))
}

fn ctrl_u() -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL))
}

/// Opens the search box (typing) unless it is open: each search row runs on its own too.
fn open_search(app: &mut App) {
    if !app.search.typing {
        app.update(Event::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
        app.update(key('/'));
    }
}

fn bench(c: &mut Criterion) {
    let lib = catalog(50_000);
    let mut app = App::new(lib, Keymap::defaults(), Theme::built_in(), "dark", 80);
    app.update(Event::Resize(120, 40));
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut frame = |app: &App| {
        term.draw(|f| genreplay::ui::draw(f, app)).unwrap();
    };
    // Open an artist and play an album so the queue and the player bar are busy.
    app.update(key('l'));
    app.update(Event::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));

    let mut g = c.benchmark_group("ui_50k_tracks");
    g.bench_function("key_j_and_redraw", |b| {
        b.iter(|| {
            app.update(key('j'));
            frame(&app);
        })
    });
    g.bench_function("key_a_adds_to_up_next_and_redraw", |b| {
        b.iter(|| {
            app.update(key('a'));
            frame(&app);
        })
    });
    g.bench_function("queue_view_key_j_and_redraw", |b| {
        app.update(key('2'));
        b.iter(|| {
            app.update(key('j'));
            frame(&app);
        })
    });
    app.update(key('1'));
    let mut i = 0;
    g.bench_function("a_vector_arrives_and_redraw", |b| {
        b.iter(|| {
            i += 5;
            let id = app.session.lib.tracks[i % 50_000].id;
            app.update(Event::VectorReady {
                track: id,
                vector: vector(i / 5),
                style: None,
                open_set: None,
            });
            frame(&app);
        })
    });
    g.bench_function("tick_rebuilds_the_views_after_vectors", |b| {
        b.iter(|| {
            i += 5;
            let id = app.session.lib.tracks[i % 50_000].id;
            app.update(Event::VectorReady {
                track: id,
                vector: vector(i / 5),
                style: None,
                open_set: None,
            });
            app.update(Event::Tick);
            frame(&app);
        })
    });
    g.bench_function("search_typing_one_letter_and_redraw", |b| {
        app.update(key('/'));
        app.update(key('w'));
        app.update(key('a'));
        b.iter(|| {
            app.update(key('r'));
            frame(&app);
            app.update(Event::Key(KeyEvent::new(
                KeyCode::Backspace,
                KeyModifiers::NONE,
            )));
        })
    });
    // A new query's first letter: nothing remembered to start from (26 letters in turn, more
    // than the searcher remembers), the whole library is searched.
    let mut letter = 0u8;
    g.bench_function("search_first_letter_of_a_new_query_cold", |b| {
        open_search(&mut app);
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                app.update(ctrl_u());
                let c = (b'a' + letter % 26) as char;
                letter += 1;
                let t = Instant::now();
                app.update(key(c));
                frame(&app);
                spent += t.elapsed();
            }
            spent
        })
    });
    // Three letters that match nothing: every track is tried for scattered letters.
    g.bench_function("search_third_letter_nothing_matches_cold", |b| {
        open_search(&mut app);
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                app.update(ctrl_u());
                app.update(key('z'));
                app.update(key('q'));
                let c = (b'a' + letter % 26) as char;
                letter += 1;
                let t = Instant::now();
                app.update(key(c));
                frame(&app);
                spent += t.elapsed();
            }
            spent
        })
    });
    // Typing on: each letter after the third narrows the last results ("artist 1234").
    let word: Vec<char> = "artist 1234".chars().collect();
    let mut typed = word.len();
    g.bench_function("search_typing_on_a_long_word", |b| {
        open_search(&mut app);
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                if typed == word.len() {
                    app.update(ctrl_u());
                    for &c in &word[..3] {
                        app.update(key(c));
                    }
                    typed = 3;
                }
                let t = Instant::now();
                app.update(key(word[typed]));
                frame(&app);
                spent += t.elapsed();
                typed += 1;
            }
            spent
        })
    });
    app.update(Event::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    // The analysis running while the library is browsed by genre and a genre search is open:
    // 20 vectors arrive, then the tick that moves them (timed with its redraw).
    app.update(key('m'));
    app.update(key('/'));
    for c in "genre:rock".chars() {
        app.update(key(c));
    }
    g.bench_function("tick_after_20_vectors_genre_tree_and_genre_search", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                for _ in 0..20 {
                    i += 7;
                    let id = app.session.lib.tracks[i % 50_000].id;
                    app.update(Event::VectorReady {
                        track: id,
                        vector: vector(i / 3),
                        style: None,
                        open_set: None,
                    });
                }
                let t = Instant::now();
                app.update(Event::Tick);
                frame(&app);
                spent += t.elapsed();
            }
            spent
        })
    });
    g.finish();
    c.bench_function("first_screen_50k_tracks", |b| {
        b.iter(|| {
            let mut app = App::new(
                catalog(50_000),
                Keymap::defaults(),
                Theme::built_in(),
                "dark",
                80,
            );
            app.update(Event::Resize(120, 40));
            frame(&app);
        })
    });
}

/// A `ctl` request as the socket hands it to the app; returns the answer's `ok`.
fn remote(app: &mut App, command: RemoteCommand) -> bool {
    let (tx, rx) = crossbeam_channel::bounded(1);
    for fx in app.update(Event::Remote(RemoteRequest {
        command,
        reply: ReplyTo::new(tx),
    })) {
        if let Effect::RemoteReply(to, r) = fx {
            to.send(*r);
        }
    }
    rx.try_recv().map(|r| r.ok).unwrap_or(false)
}

fn bench_remote(c: &mut Criterion) {
    let n = 20_000;
    let lib = catalog(n);
    let files: Vec<PathBuf> = lib.tracks.iter().map(|t| t.path.clone()).collect();
    let folders: Vec<PathBuf> = files
        .iter()
        .take(10_000)
        .map(|p| p.parent().unwrap().to_path_buf())
        .collect();
    let mut app = App::new(lib, Keymap::defaults(), Theme::built_in(), "dark", 80);
    app.update(Event::Resize(120, 40));
    let outside: Vec<PathBuf> = (0..10_000)
        .map(|i| PathBuf::from(format!("/elsewhere/artist {i}/album/{i:05} a track.flac")))
        .collect();
    let mut g = c.benchmark_group("remote_20k_tracks");
    g.bench_function("ctl_add_10000_names_outside_the_library", |b| {
        b.iter(|| {
            assert!(!remote(
                &mut app,
                RemoteCommand::Add {
                    paths: outside.clone()
                }
            ))
        })
    });
    let mut add = |name: &str, paths: &[PathBuf]| {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    app.session.queue.clear();
                    let paths = paths.to_vec();
                    let t = Instant::now();
                    remote(&mut app, RemoteCommand::Add { paths });
                    spent += t.elapsed();
                }
                spent
            })
        });
    };
    add("ctl_add_10000_library_files", &files[..10_000]);
    add("ctl_add_10000_folders", &folders);
    // Up next full, the whole library playing as the context.
    app.session.queue.clear();
    remote(
        &mut app,
        RemoteCommand::Add {
            paths: files[..10_000].to_vec(),
        },
    );
    let all = app.session.lib.tracks.iter().map(|t| t.id).collect();
    app.session.play_tracks(all, 0, "the library".into());
    g.bench_function("ctl_status_full_up_next_20000_context", |b| {
        b.iter(|| assert!(remote(&mut app, RemoteCommand::Status)))
    });
    g.bench_function("tick_that_saves_a_full_queue", |b| {
        b.iter(|| {
            // A change the tick then saves (the playing track moves on).
            app.session.queue.swap(0, 1);
            app.update(Event::Tick)
        })
    });
    app.session.queue.swap(0, 1);
    let saved: Vec<_> = app.update(Event::Tick);
    let queue = saved.into_iter().find_map(|fx| match fx {
        Effect::SaveState(s @ genreplay::app::StateSave::Queue(_)) => Some(s),
        _ => None,
    });
    if let Some(q) = queue {
        g.bench_function("state_json_of_a_full_queue_on_the_writer_thread", |b| {
            b.iter(|| q.to_json().unwrap().len())
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench, bench_remote
}
criterion_main!(benches);
