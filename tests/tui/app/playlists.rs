//! The Playlists view's edits of real playlist files: `d` says what it did, `u` takes the
//! view's edits back (each written to its file, every line as it was) without touching the
//! queue, a redo makes them again; `B` adds the selection or the marks to a playlist, with Tab
//! completing the playlists' names; exports update the one file they wrote.

use std::path::PathBuf;

use genreplay::playlist::{EditStep, ExportSource, PlaylistDir};

use super::*;

/// Carries out the playlist effects among `fx` as the effect runner does, on the real folder:
/// the change, then the folder read back.
fn run(app: &mut App, dir: &PlaylistDir, fx: Vec<Effect>) {
    for e in fx {
        match e {
            Effect::EditPlaylist { path, edit, step } => {
                let undo = dir.edit(&path, &edit).unwrap();
                if let Some(undo) = undo
                    && step != EditStep::Plain
                {
                    app.update(Event::PlaylistEdited { path, undo, step });
                }
            }
            Effect::RenamePlaylist { path, to } => {
                let target = dir.rename(&path, &to).unwrap();
                app.update(Event::PlaylistRenamed {
                    from: path,
                    to: target,
                });
            }
            Effect::AddToPlaylist { name, entries } => {
                let got = dir.append(&name, &entries).unwrap();
                if let Some(u) = got.undo {
                    app.update(Event::PlaylistEdited {
                        path: u.path,
                        undo: u.edit,
                        step: EditStep::Do(u.what),
                    });
                }
                app.update(Event::Status {
                    text: got.said,
                    error: false,
                });
            }
            _ => continue,
        }
        let (lists, problems) = dir.load_all();
        assert!(problems.is_empty(), "{problems:?}");
        app.update(Event::PlaylistsLoaded(lists));
    }
}

fn road_text() -> String {
    let entry = |secs: u32, title: &str, artist: &str| {
        format!(
            "#EXTINF:{secs},{artist} - {title}\n{}\n",
            path(title).display()
        )
    };
    format!(
        "#EXTM3U\n#PLAYLIST:Road\n{}{}#EXTGRP:evening\n{}# the end\n",
        entry(61, "Rain", "Beta"),
        entry(90, "Wind", "Beta"),
        entry(45, "Echo", "gamma"),
    )
}

fn shown_tracks(app: &App) -> Vec<PathBuf> {
    app.views
        .playlists
        .selected()
        .map(|p| p.tracks.clone())
        .unwrap_or_default()
}

/// The app with the playlist folder `dir` read, showing the Playlists view.
fn with_playlists(dir: &PlaylistDir) -> App {
    let mut app = app();
    press(&mut app, "5");
    app.update(Event::PlaylistsLoaded(dir.load_all().0));
    app
}

#[test]
fn d_says_what_it_removed_and_u_takes_the_playlist_edits_back_not_the_queue() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = PlaylistDir::new(tmp.path());
    let file = tmp.path().join("road.m3u8");
    std::fs::write(&file, road_text()).unwrap();
    let mut app = app();
    play_first_album(&mut app);
    press(&mut app, "a"); // a queue change the queue's undo could take back
    let queue_before = (up_next_titles(&app), upcoming_titles(&app));
    press(&mut app, "5");
    app.update(Event::PlaylistsLoaded(dir.load_all().0));

    // d on Wind: the file loses Wind's lines, and the status line says so.
    press(&mut app, "lj");
    let fx = press(&mut app, "d");
    assert_eq!(shown_tracks(&app), [path("Rain"), path("Echo")], "at once");
    run(&mut app, &dir, fx);
    assert_eq!(status_message(&app), "removed 'Wind' from road (u undoes)");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("Wind"), "{text}");
    assert_eq!(shown_tracks(&app), [path("Rain"), path("Echo")]);
    // K moves Echo up.
    let fx = press(&mut app, "K");
    run(&mut app, &dir, fx);
    assert_eq!(shown_tracks(&app), [path("Echo"), path("Rain")]);

    // u: the move, then the removal, taken back; the file as it was, byte for byte.
    let fx = press(&mut app, "u");
    assert!(player(&fx).is_empty(), "{fx:?}");
    run(&mut app, &dir, fx);
    assert_eq!(
        status_message(&app),
        "undone: moved 'Echo' up in road (ctrl-r redoes)"
    );
    assert_eq!(shown_tracks(&app), [path("Rain"), path("Echo")]);
    let fx = press(&mut app, "u");
    run(&mut app, &dir, fx);
    assert_eq!(
        status_message(&app),
        "undone: removed 'Wind' from road (ctrl-r redoes)"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), road_text());
    assert_eq!(
        app.views.playlists.tracks_nav.selected, 1,
        "the track put back is selected"
    );
    press(&mut app, "u");
    assert_eq!(status_message(&app), "no playlist edit to undo");
    assert_eq!(
        (up_next_titles(&app), upcoming_titles(&app)),
        queue_before,
        "the queue is as it was"
    );

    // Redo (ctrl-r): the removal again, then the move.
    let fx = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::CONTROL,
    )));
    run(&mut app, &dir, fx);
    assert_eq!(status_message(&app), "redone: removed 'Wind' from road");
    assert_eq!(shown_tracks(&app), [path("Rain"), path("Echo")]);
    app.views.playlists.redo(&mut app.session);
    let fx = app.session.take_effects();
    run(&mut app, &dir, fx);
    assert_eq!(shown_tracks(&app), [path("Echo"), path("Rain")]);
    // A new edit empties the redo stack; undo still goes back through everything.
    let fx = press(&mut app, "d");
    run(&mut app, &dir, fx);
    app.views.playlists.redo(&mut app.session);
    assert_eq!(status_message(&app), "no playlist edit to redo");
    for _ in 0..3 {
        let fx = press(&mut app, "u");
        run(&mut app, &dir, fx);
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), road_text());

    // Elsewhere u is the queue's undo again.
    press(&mut app, "1");
    press(&mut app, "u");
    assert!(
        status_message(&app).starts_with("queue change undone"),
        "{}",
        status_message(&app)
    );
}

#[test]
fn b_adds_the_selection_or_the_marks_to_a_playlist_with_tab_completing_its_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = PlaylistDir::new(tmp.path());
    let file = tmp.path().join("road.m3u8");
    std::fs::write(&file, road_text()).unwrap();
    std::fs::write(tmp.path().join("rock.smart"), "genre:rock\n").unwrap();
    let mut app = with_playlists(&dir);
    // The selected track in the Library.
    press(&mut app, "1");
    select(&mut app, "Alpha");
    press(&mut app, "l");
    select(&mut app, "First");
    press(&mut app, "l");
    select(&mut app, "Noon");
    press(&mut app, "B");
    assert!(app.prompt.is_some(), "B asks which playlist");
    press(&mut app, "r");
    press_code(&mut app, KeyCode::Tab);
    assert_eq!(
        app.prompt.as_ref().unwrap().text,
        "road",
        "Tab completes the one playlist that is not smart"
    );
    let fx = press_code(&mut app, KeyCode::Enter);
    run(&mut app, &dir, fx);
    assert_eq!(
        status_message(&app),
        "added 1 track to \"road\" (now 4 tracks)"
    );
    // Every line it had is kept; the new entry comes after the last one (before the
    // file's closing comment).
    let noon = format!("#EXTINF:200,Alpha - Noon\n{}\n", path("Noon").display());
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        road_text().replace("# the end\n", &format!("{noon}# the end\n"))
    );
    // The marks, to a new playlist.
    select(&mut app, "Dawn");
    press(&mut app, "y");
    select(&mut app, "Dusk");
    press(&mut app, "y");
    press(&mut app, "B");
    assert!(
        app.prompt.as_ref().unwrap().label.contains("2 tracks"),
        "{}",
        app.prompt.as_ref().unwrap().label
    );
    press(&mut app, "Evening");
    let fx = press_code(&mut app, KeyCode::Enter);
    run(&mut app, &dir, fx);
    assert_eq!(
        status_message(&app),
        "made the new playlist \"Evening\" with 2 tracks"
    );
    let evening = PlaylistDir::new(tmp.path())
        .load_all()
        .0
        .into_iter()
        .find(|p| p.name == "Evening")
        .unwrap();
    assert_eq!(evening.tracks, [path("Dawn"), path("Dusk")]);
    // A smart playlist takes no tracks by hand.
    press(&mut app, "B");
    press(&mut app, "rock");
    let fx = press_code(&mut app, KeyCode::Enter);
    let err = fx.iter().find_map(|e| match e {
        Effect::AddToPlaylist { name, entries } => Some(dir.append(name, entries).map(|a| a.said)),
        _ => None,
    });
    assert!(
        err.unwrap().unwrap_err().to_string().contains("rule"),
        "refused"
    );
    // u in the Playlists view takes the added track back (the new playlist is deleted
    // with its own key, not by an undo); ctrl-r adds it again.
    press(&mut app, "5");
    let fx = press(&mut app, "u");
    run(&mut app, &dir, fx);
    assert_eq!(
        status_message(&app),
        "undone: added 1 track to road (ctrl-r redoes)"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), road_text());
    let fx = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::CONTROL,
    )));
    run(&mut app, &dir, fx);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        road_text().replace("# the end\n", &format!("{noon}# the end\n"))
    );
    // A file changed meanwhile (the added track is not last any more) is not cut.
    let changed = road_text().replace("# the end\n", &format!("{noon}#EXTINF:1,x\n/x.flac\n"));
    std::fs::write(&file, &changed).unwrap();
    let fx = press(&mut app, "u");
    for e in fx {
        if let Effect::EditPlaylist { path, edit, .. } = e {
            assert!(dir.edit(&path, &edit).is_err(), "refused");
        }
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), changed);
}

#[test]
fn e_on_a_smart_playlist_exports_a_snapshot_and_an_ordinary_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = PlaylistDir::new(tmp.path());
    std::fs::write(tmp.path().join("road.m3u8"), road_text()).unwrap();
    std::fs::write(tmp.path().join("beta.smart"), "artist:beta\n").unwrap();
    let mut app = with_playlists(&dir);
    let fx = press(&mut app, "e");
    let source = fx.iter().find_map(|e| match e {
        Effect::ExportPlaylist { source, entries } => Some((source.clone(), entries.len())),
        _ => None,
    });
    assert_eq!(source, Some((ExportSource::Smart("beta".into()), 3)));
    press(&mut app, "j");
    let fx = press(&mut app, "e");
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::ExportPlaylist { .. }))
    );
    assert!(
        status_message(&app).contains("is a playlist file already"),
        "{}",
        status_message(&app)
    );
}

#[test]
fn ctl_playlist_add_adds_files_and_folders_of_the_library_and_refuses_hostile_names() {
    use genreplay::app::remote::{RemoteCommand, RemoteRequest, ReplyTo};
    let tmp = tempfile::tempdir().unwrap();
    let dir = PlaylistDir::new(tmp.path());
    std::fs::write(tmp.path().join("road.m3u8"), road_text()).unwrap();
    let mut app = app();
    let ask = |app: &mut App, name: &str, paths: Vec<PathBuf>| {
        let (tx, _rx) = crossbeam_channel::bounded(1);
        let fx = app.update(Event::Remote(RemoteRequest {
            command: RemoteCommand::PlaylistAdd {
                name: name.into(),
                paths,
            },
            reply: ReplyTo::new(tx),
        }));
        let reply = fx
            .iter()
            .find_map(|e| match e {
                Effect::RemoteReply(_, r) => Some((r.ok, r.message.clone())),
                _ => None,
            })
            .expect("one answer");
        (reply, fx)
    };
    let (reply, fx) = ask(
        &mut app,
        "road",
        vec![
            path("Snow"),
            PathBuf::from("/music/Alpha"),
            "/elsewhere/x.flac".into(),
        ],
    );
    assert_eq!(
        reply,
        (
            true,
            "adding 4 tracks to the playlist \"road\" (1 name not in the library)".into()
        )
    );
    run(&mut app, &dir, fx);
    let road = dir
        .load_all()
        .0
        .into_iter()
        .find(|p| p.name == "road")
        .unwrap();
    assert_eq!(
        road.tracks,
        [
            path("Rain"),
            path("Wind"),
            path("Echo"),
            path("Snow"),
            path("Dawn"),
            path("Noon"),
            path("Dusk")
        ]
    );
    for (name, paths) in [
        ("bad\u{1b}[2J", vec![path("Snow")]),
        ("", vec![path("Snow")]),
        ("road", vec![]),
        ("road", vec![PathBuf::from("/elsewhere/x.flac")]),
        (
            "road",
            vec![PathBuf::from(format!("/{}", "a".repeat(5000)))],
        ),
    ] {
        let ((ok, msg), fx) = ask(&mut app, name, paths);
        assert!(!ok, "{msg}");
        assert!(
            !fx.iter().any(|e| matches!(e, Effect::AddToPlaylist { .. })),
            "{msg}"
        );
    }
}

#[test]
fn undo_follows_a_playlist_renamed_after_the_edit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = PlaylistDir::new(tmp.path());
    let file = tmp.path().join("road.m3u8");
    std::fs::write(&file, road_text()).unwrap();
    let mut app = with_playlists(&dir);
    press(&mut app, "lj");
    let fx = press(&mut app, "d");
    run(&mut app, &dir, fx);
    assert_eq!(shown_tracks(&app), [path("Rain"), path("Echo")]);
    // Rename road to trip (E, the name, Enter), then undo the removal: in trip.
    press(&mut app, "h");
    press(&mut app, "E");
    for _ in 0..10 {
        press_code(&mut app, KeyCode::Backspace);
    }
    press(&mut app, "trip");
    let fx = press_code(&mut app, KeyCode::Enter);
    run(&mut app, &dir, fx);
    let trip = tmp.path().join("trip.m3u8");
    assert!(trip.exists() && !file.exists());
    let fx = press(&mut app, "u");
    run(&mut app, &dir, fx);
    assert_eq!(
        status_message(&app),
        "undone: removed 'Wind' from road (ctrl-r redoes)"
    );
    let text = std::fs::read_to_string(&trip).unwrap();
    assert_eq!(text, road_text());
    assert!(!file.exists(), "no road.m3u8 made again");
}
