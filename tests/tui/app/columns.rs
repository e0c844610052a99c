//! Track lists in columns sorted by any of them (issue 27): the search results, a playlist's
//! tracks (the view only: the file keeps its order) and the queue's up next (once, as an edit
//! undo takes back), by `ctrl-s` and `:sort NAME`.

use genreplay::app::views::sort::SortKey;
use genreplay::playlist::PlaylistDir;

use super::*;

fn ctrl_s(app: &mut App) -> Vec<Effect> {
    app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    )))
}

fn command(app: &mut App, line: &str) -> Vec<Effect> {
    let mut fx = press(app, ":");
    fx.extend(press(app, line));
    fx.extend(press_code(app, KeyCode::Enter));
    fx
}

fn titles(app: &App, ids: &[genreplay::library::TrackId]) -> Vec<String> {
    ids.iter()
        .filter_map(|id| app.session.lib.track(*id).map(|t| t.title.clone()))
        .collect()
}

fn with_years() -> App {
    app_with(library_with_years())
}

#[test]
fn search_results_sort_by_any_column_and_back_to_the_best_match() {
    let mut app = with_years();
    command(&mut app, "search year:1900..2100");
    let best: Vec<String> = titles(&app, &app.views.search.results);
    assert_eq!(best.len(), 6, "{best:?}");
    // ctrl-s: the next column, title.
    ctrl_s(&mut app);
    assert_eq!(app.views.search.sort, SortKey::Title);
    let mut by_title = best.clone();
    by_title.sort();
    assert_eq!(titles(&app, &app.views.search.results), by_title);
    assert_eq!(status_message(&app), "sorted: title");
    // By year: the oldest first (equal years keep the order they had).
    command(&mut app, "sort year");
    let years: Vec<u16> = app
        .views
        .search
        .results
        .iter()
        .filter_map(|id| app.session.lib.track(*id).and_then(|t| t.year))
        .collect();
    assert!(years.windows(2).all(|w| w[0] <= w[1]), "{years:?}");
    assert_eq!(years.first(), Some(&1971));
    // The title says the order and the sorted column shows, even at 80 columns.
    let s = drawn_lines(&app, 80, 24);
    assert!(s[1].contains("by year, oldest first"), "{}", s[1]);
    let rain = s.iter().find(|l| l.contains("Rain")).unwrap();
    assert!(rain.contains("1971"), "{rain}");
    // The selection stays on its track through a sort.
    press_code(&mut app, KeyCode::Down);
    press_code(&mut app, KeyCode::Down);
    let chosen = app.views.search.results[app.views.search.nav.selected];
    command(&mut app, "sort length");
    assert_eq!(
        app.views.search.results[app.views.search.nav.selected],
        chosen
    );
    // By genre: the classified tracks by genre name, the surest first; the rest after.
    command(&mut app, "sort genre");
    let genres: Vec<String> = titles(&app, &app.views.search.results);
    assert_eq!(
        genres[..3],
        ["Rain", "Noon", "Snow"].map(String::from),
        "{genres:?}"
    );
    // Back to the best match first.
    command(&mut app, "sort list");
    assert_eq!(titles(&app, &app.views.search.results), best);
    assert_eq!(status_message(&app), "sorted: best match first");
}

#[test]
fn a_playlist_sorts_in_the_view_and_its_file_keeps_its_order() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = PlaylistDir::new(tmp.path());
    let file = tmp.path().join("road.m3u8");
    let text = format!(
        "#EXTM3U\n{}\n{}\n{}\n",
        path("Wind").display(),
        path("Echo").display(),
        path("Rain").display()
    );
    std::fs::write(&file, &text).unwrap();
    let mut app = app();
    press(&mut app, "5");
    app.update(Event::PlaylistsLoaded(dir.load_all().0));
    press(&mut app, "l");
    command(&mut app, "sort title");
    assert_eq!(status_message(&app), "sorted: title");
    let s = drawn_lines(&app, 100, 40);
    let order: Vec<usize> = ["Echo", "Rain", "Wind"]
        .iter()
        .map(|t| {
            s.iter()
                .position(|l| l.contains(&format!(" {t} ")))
                .unwrap()
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "{order:?}\n{}",
        s.join("\n")
    );
    assert!(s[1].contains("road · 3 tracks · by title"), "{}", s[1]);
    // Enter on the first row plays Echo, then the rest in the order shown.
    press(&mut app, "g");
    press_code(&mut app, KeyCode::Enter);
    assert_eq!(app.session.queue.current_track(), Some(id("Echo")));
    assert_eq!(upcoming_titles(&app), ["Rain", "Wind"]);
    // d on the second row (Rain) takes Rain out of the file, not the file's second entry.
    press(&mut app, "j");
    let fx = press(&mut app, "d");
    for e in fx {
        if let Effect::EditPlaylist { path, edit, .. } = e {
            dir.edit(&path, &edit).unwrap();
        }
    }
    let now = std::fs::read_to_string(&file).unwrap();
    assert!(!now.contains("Rain"), "{now}");
    assert!(now.contains("Wind") && now.contains("Echo"), "{now}");
    // Moving a track needs the playlist's own order.
    press(&mut app, "K");
    assert!(
        status_message(&app).contains(":sort list"),
        "{}",
        status_message(&app)
    );
    // The file's own order, untouched by the sort.
    let wind = now.find("Wind").unwrap();
    let echo = now.find("Echo").unwrap();
    assert!(wind < echo, "{now}");
}

#[test]
fn up_next_sorts_once_and_undo_takes_it_back() {
    let mut app = with_years();
    play_first_album(&mut app);
    for t in ["Wind", "Echo", "Rain"] {
        command(&mut app, &format!("search {t}"));
        press(&mut app, "a");
        press_code(&mut app, KeyCode::Esc);
    }
    let up = up_next_titles;
    assert_eq!(up(&app), ["Wind", "Echo", "Rain"]);
    press(&mut app, "2");
    command(&mut app, "sort year");
    assert_eq!(up(&app), ["Rain", "Wind", "Echo"], "no year last");
    assert_eq!(
        status_message(&app),
        "up next sorted: year, oldest first (u undoes)"
    );
    command(&mut app, "sort year");
    assert!(status_message(&app).contains("in that order already"));
    press(&mut app, "u");
    assert_eq!(up(&app), ["Wind", "Echo", "Rain"]);
    // ctrl-s goes on from the last order: length, longest first.
    ctrl_s(&mut app);
    assert_eq!(app.views.queue.sort, SortKey::Added);
    ctrl_s(&mut app);
    ctrl_s(&mut app);
    assert_eq!(app.views.queue.sort, SortKey::Length);
    assert_eq!(up(&app), ["Wind", "Rain", "Echo"]);
    // The Queue's rows are columns: the why column starts at one place.
    let s = drawn_lines(&app, 100, 40);
    let whys: Vec<usize> = s
        .iter()
        .filter(|l| l.contains("added"))
        .map(|l| l[..l.find("added").unwrap()].chars().count())
        .collect();
    assert_eq!(whys.len(), 3, "{}", s.join("\n"));
    assert!(whys.iter().all(|&w| w == whys[0]), "{whys:?}");
    // Sorting the queue's context is not a thing: with nothing up next it says so.
    press(&mut app, "u");
    app.session.queue.up_next.clear();
    ctrl_s(&mut app);
    assert!(
        status_message(&app).starts_with("nothing up next to sort"),
        "{}",
        status_message(&app)
    );
}
