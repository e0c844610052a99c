//! A small hand-made library and key helpers shared by the TUI state and screen tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use genreplay::app::catalog::{Catalog, TrackInfo};
use genreplay::app::{App, Effect, Event};
use genreplay::audio::player::PlayerCommand;
use genreplay::config::{Keymap, Theme};
use genreplay::library::TrackId;

pub const ROOT: &str = "/music";
pub const LABELS: [&str; 3] = ["blues", "jazz", "rock"];

/// (artist, album, track number, title, folder under the root, seconds)
type Spec = (
    &'static str,
    &'static str,
    Option<u32>,
    &'static str,
    &'static str,
    f64,
);

const TRACKS: &[Spec] = &[
    ("Alpha", "First", Some(1), "Dawn", "Alpha/First", 180.0),
    ("Alpha", "First", Some(2), "Noon", "Alpha/First", 200.0),
    ("Alpha", "First", Some(3), "Dusk", "Alpha/First", 220.0),
    ("Beta", "Second", Some(1), "Rain", "Beta/Second", 61.0),
    ("Beta", "Second", Some(2), "Snow", "Beta/Second", 3725.0),
    ("Beta", "Third", Some(1), "Wind", "Beta/Third", 90.0),
    ("gamma", "Loose", None, "Echo", "gamma", 45.0),
];

/// The file path of a track of the fixture, by title.
pub fn path(title: &str) -> PathBuf {
    let (_, _, no, t, folder, _) = TRACKS
        .iter()
        .find(|t| t.3 == title)
        .unwrap_or_else(|| panic!("no track {title}"));
    let file = match no {
        Some(n) => format!("{n:02} {t}.flac"),
        None => format!("{t}.flac"),
    };
    Path::new(ROOT).join(folder).join(file)
}

pub fn id(title: &str) -> TrackId {
    TrackId::of_path(&path(title))
}

/// A genre vector over [`LABELS`] with `p` on `genre` and the rest shared out.
pub fn vector(genre: &str, p: f32) -> Vec<f32> {
    let rest = (1.0 - p) / (LABELS.len() - 1) as f32;
    LABELS
        .iter()
        .map(|l| if *l == genre { p } else { rest })
        .collect()
}

/// A 50-tag style vector (the trunk's tags) with the given tags' probabilities, 0.01 elsewhere.
pub fn style(tags: &[(&str, f32)]) -> Vec<f32> {
    let names = genreplay::model::musicnn::MUSICNN_TAGS;
    let mut v = vec![0.01; names.len()];
    for (t, p) in tags {
        let i = names
            .iter()
            .position(|n| n == t)
            .unwrap_or_else(|| panic!("no tag {t}"));
        v[i] = *p;
    }
    v
}

/// Seven tracks by three artists (one in lower case), four albums; Dawn, Noon, Rain and Snow
/// are classified, Wind could not be analysed, Dusk and Echo wait.
pub fn library() -> Catalog {
    let tracks: Vec<TrackInfo> = TRACKS
        .iter()
        .rev() // Catalog::new sorts
        .map(|&(artist, album, no, title, folder, secs)| TrackInfo {
            id: id(title),
            path: path(title),
            title: title.into(),
            artist: artist.into(),
            album: album.into(),
            track_no: no,
            duration_secs: Some(secs),
            folder: folder.into(),
            ..Default::default()
        })
        .collect();
    let mut lib = Catalog::new(
        PathBuf::from(ROOT),
        tracks,
        LABELS.iter().map(|s| s.to_string()).collect(),
    );
    lib.vectors.insert(id("Dawn"), vector("rock", 0.7).into());
    lib.vectors.insert(id("Noon"), vector("jazz", 0.6).into());
    lib.vectors.insert(id("Rain"), vector("blues", 0.9).into());
    lib.vectors.insert(id("Snow"), vector("rock", 0.8).into());
    lib.failed
        .insert(id("Wind"), "unsupported codec in this file".into());
    lib
}

/// The fixture library with year tags: Rain and Snow 1971, Wind 1999, Echo none, the rest
/// 1985.
pub fn library_with_years() -> Catalog {
    let mut lib = library();
    for t in &mut lib.tracks {
        t.year = match t.title.as_str() {
            "Rain" | "Snow" => Some(1971),
            "Wind" => Some(1999),
            "Echo" => None,
            _ => Some(1985),
        };
    }
    lib
}

/// `app` drawn on a `w`×`h` test terminal.
pub fn drawn(app: &App, w: u16, h: u16) -> ratatui::buffer::Buffer {
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    term.draw(|f| genreplay::ui::draw(f, app)).unwrap();
    term.backend().buffer().clone()
}

/// The rows of `buf` as text, trailing blanks trimmed.
pub fn buffer_lines(buf: &ratatui::buffer::Buffer) -> Vec<String> {
    let a = buf.area;
    (a.top()..a.bottom())
        .map(|y| {
            (a.left()..a.right())
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect()
}

/// `app` drawn on a `w`×`h` test terminal, as its rows of text.
pub fn drawn_lines(app: &App, w: u16, h: u16) -> Vec<String> {
    buffer_lines(&drawn(app, w, h))
}

/// The app on the fixture library with the default keymap and built-in themes, dark theme,
/// volume 80, a 40-row terminal.
pub fn app() -> App {
    app_with(library())
}

pub fn app_with(lib: Catalog) -> App {
    let mut app = App::new(lib, Keymap::defaults(), Theme::built_in(), "dark", 80);
    app.update(Event::Resize(100, 40));
    app
}

/// The key event a terminal sends for `c` (upper case comes with Shift).
pub fn char_key(c: char) -> KeyEvent {
    let mods = if c.is_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    KeyEvent::new(KeyCode::Char(c), mods)
}

pub fn code(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Types each character of `keys` as a key press; returns all effects.
pub fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    keys.chars()
        .flat_map(|c| app.update(Event::Key(char_key(c))))
        .collect()
}

pub fn press_code(app: &mut App, c: KeyCode) -> Vec<Effect> {
    app.update(code(c))
}

/// The library rows as "indent + label" strings.
pub fn rows(app: &App) -> Vec<String> {
    app.views
        .library
        .rows
        .iter()
        .map(|r| format!("{}{}", "  ".repeat(r.depth), r.label))
        .collect()
}

pub fn selected_label(app: &App) -> String {
    app.views.library.rows[app.views.library.nav.selected]
        .label
        .clone()
}

/// The status line's message ("" when none).
pub fn status_message(app: &App) -> String {
    app.session
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

/// Moves the library selection to the row labelled `label`.
pub fn select(app: &mut App, label: &str) {
    press(app, "g");
    for _ in 0..app.views.library.rows.len() {
        if selected_label(app) == label {
            return;
        }
        press(app, "j");
    }
    panic!("no row {label:?} in {:?}", rows(app));
}

/// The paths of the `Load` effects among `fx`.
pub fn loads(fx: &[Effect]) -> Vec<PathBuf> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Player(PlayerCommand::Load { path, .. }) => Some(path.clone()),
            _ => None,
        })
        .collect()
}

/// The last `SetNext` among `fx` (`None` when there is none, `Some(None)` for "nothing next").
pub fn set_next(fx: &[Effect]) -> Option<Option<PathBuf>> {
    fx.iter().rev().find_map(|e| match e {
        Effect::Player(PlayerCommand::SetNext(p)) => Some(p.clone()),
        _ => None,
    })
}

/// The Queue view's tracks by title, in its order: the playing track when it came from up
/// next, up next, then the context's tracks.
pub fn queue_titles(app: &App) -> Vec<String> {
    app.views
        .queue
        .rows
        .iter()
        .map(|r| title_of(app, r.track()))
        .collect()
}

/// Up next by title.
pub fn up_next_titles(app: &App) -> Vec<String> {
    app.session
        .queue
        .up_next
        .iter()
        .map(|e| title_of(app, e.track))
        .collect()
}

/// What plays after the current track, by title.
pub fn upcoming_titles(app: &App) -> Vec<String> {
    app.session
        .upcoming()
        .into_iter()
        .map(|t| title_of(app, t))
        .collect()
}

pub fn title_of(app: &App, id: TrackId) -> String {
    app.session
        .lib
        .track(id)
        .map(|t| t.title.clone())
        .unwrap_or_default()
}

pub fn playing_title(app: &App) -> Option<String> {
    app.session
        .playback
        .track
        .and_then(|t| app.session.lib.track(t))
        .map(|t| t.title.clone())
}

/// The Queue view's row of the playing track.
pub fn current_row(app: &App) -> Option<usize> {
    app.views.queue.playing_row(&app.session)
}

/// Why the Queue view's row `i` is there.
pub fn row_reason(app: &App, i: usize) -> genreplay::app::play_queue::Reason {
    use genreplay::app::play_queue::Reason;
    use genreplay::app::views::queue::QueueRow;
    let q = &app.session.queue;
    match app.views.queue.rows[i] {
        QueueRow::Playing(_) => q.current.as_ref().map(|c| c.entry.reason.clone()).unwrap(),
        QueueRow::UpNext(j, _) => q.up_next[j].reason.clone(),
        QueueRow::Context(..) => Reason::From(q.context.as_ref().unwrap().label.clone()),
    }
}

/// Why each row of the Queue view is there.
pub fn row_reasons(app: &App) -> Vec<genreplay::app::play_queue::Reason> {
    (0..app.views.queue.rows.len())
        .map(|i| row_reason(app, i))
        .collect()
}

/// The app's event loop on its own thread, as the terminal loop runs it: events in, effects
/// out, the remote replies carried out (a player behind a socket, for the socket's tests).
pub struct Player {
    pub tx: crossbeam_channel::Sender<Event>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Player {
    pub fn start() -> Player {
        let (tx, rx) = crossbeam_channel::unbounded::<Event>();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut app = app();
            while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                let Ok(ev) = rx.recv_timeout(std::time::Duration::from_millis(20)) else {
                    continue;
                };
                for fx in app.update(ev) {
                    if let Effect::RemoteReply(to, r) = fx {
                        to.send(*r);
                    }
                }
            }
        });
        Player {
            tx,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
