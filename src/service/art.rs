//! The art worker: reads, decodes and scales covers and reads lyrics on its own thread, so the
//! UI never waits on a large picture. Only the newest request counts (a skipped track's cover
//! is never decoded); the last few decoded covers are kept, keyed by where they came from (the
//! audio file for an embedded picture, the picture file for a folder's cover, so one album's
//! tracks share it).
//!
//! The graphics protocol comes from [`query_picker`], asked once before the TUI loop.

use std::collections::VecDeque;
use std::io::IsTerminal;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, unbounded};
use image::DynamicImage;
use ratatui::layout::Size;
use ratatui_image::Resize;
use ratatui_image::picker::Picker;

use crate::app::Event;
use crate::app::event::{ArtRequest, CoverImage};
use crate::library::art::{self, CoverSource};
use crate::library::lyrics;

/// Decoded covers kept.
pub const CACHE_COVERS: usize = 4;

/// How long the terminal has to answer the graphics query.
const QUERY_TIMEOUT: Duration = Duration::from_millis(1000);

/// The terminal's graphics protocol and font size, asked once. Half blocks when covers are
/// off, inside tmux (its passthrough is unreliable), when stdin or stdout is not a terminal
/// (nothing would answer), in a terminal not known for graphics ([`graphics_terminal`]), or
/// when the terminal does not answer in time.
pub fn query_picker(covers: bool) -> Picker {
    if !covers {
        return Picker::halfblocks();
    }
    if std::env::var_os("TMUX").is_some_and(|v| !v.is_empty()) {
        tracing::info!("covers: half blocks (inside tmux)");
        return Picker::halfblocks();
    }
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        tracing::info!("covers: half blocks (no terminal to ask)");
        return Picker::halfblocks();
    }
    // A terminal that does not answer the query leaves ratatui-image's reader thread blocked
    // on stdin for good, where it eats the keys (and the cursor report ratatui asks for): only
    // terminals known to answer, and to have graphics, are asked.
    if !graphics_terminal(&|k| std::env::var(k).ok()) {
        tracing::info!("covers: half blocks (a terminal without known graphics support)");
        return Picker::halfblocks();
    }
    let options = ratatui_image::picker::cap_parser::QueryStdioOptions {
        timeout: QUERY_TIMEOUT,
        ..Default::default()
    };
    match Picker::from_query_stdio_with_options(options) {
        Ok(p) => {
            tracing::info!("covers: {:?}, font {:?}", p.protocol_type(), p.font_size());
            p
        }
        Err(e) => {
            tracing::info!("covers: half blocks (the terminal did not answer: {e})");
            Picker::halfblocks()
        }
    }
}

/// Whether the environment names a terminal with kitty, sixel or iTerm2 graphics that
/// answers the graphics query (kitty, WezTerm, ghostty, iTerm2, foot, Konsole, mlterm,
/// contour, Windows Terminal).
pub fn graphics_terminal(var: &dyn Fn(&str) -> Option<String>) -> bool {
    let set = |k: &str| var(k).is_some_and(|v| !v.is_empty());
    let term = var("TERM").unwrap_or_default().to_ascii_lowercase();
    let program = var("TERM_PROGRAM").unwrap_or_default().to_ascii_lowercase();
    set("KITTY_WINDOW_ID")
        || set("WEZTERM_EXECUTABLE")
        || set("KONSOLE_VERSION")
        || set("WT_SESSION")
        || ["kitty", "ghostty", "foot", "mlterm", "contour", "wezterm"]
            .iter()
            .any(|t| term.contains(t))
        || ["wezterm", "ghostty", "iterm.app"]
            .iter()
            .any(|p| program == *p)
}

enum Msg {
    Picker(Box<Picker>),
    Load(ArtRequest),
}

/// The running art worker.
pub struct ArtService {
    tx: Sender<Msg>,
    thread: Option<JoinHandle<()>>,
}

impl ArtService {
    /// Starts the worker; its answers go to `events` as `CoverReady` / `LyricsReady`. It draws
    /// half blocks until [`ArtService::set_picker`].
    pub fn start(events: Sender<Event>) -> std::io::Result<Self> {
        let (tx, rx) = unbounded();
        let thread = std::thread::Builder::new()
            .name("art".into())
            .spawn(move || run(rx, events))?;
        Ok(ArtService {
            tx,
            thread: Some(thread),
        })
    }

    /// The protocol covers are made for from now on.
    pub fn set_picker(&self, picker: Picker) {
        let _ = self.tx.send(Msg::Picker(Box::new(picker)));
    }

    pub fn load(&self, req: ArtRequest) {
        let _ = self.tx.send(Msg::Load(req));
    }
}

impl Drop for ArtService {
    fn drop(&mut self) {
        // Closing the channel ends the loop; a decode in flight is bounded.
        let (tx, _) = unbounded();
        drop(std::mem::replace(&mut self.tx, tx));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A decoded cover and the last scaled copy made from it.
struct Cached {
    source: CoverSource,
    image: Option<Arc<DynamicImage>>,
    scaled: Option<((u16, u16), CoverImage)>,
}

fn run(rx: Receiver<Msg>, events: Sender<Event>) {
    let mut picker = Picker::halfblocks();
    let mut cache: VecDeque<Cached> = VecDeque::new();
    while let Ok(first) = rx.recv() {
        // The newest request wins; a lyrics request for the same track is kept.
        let mut req: Option<ArtRequest> = None;
        let mut next = Some(first);
        while let Some(msg) = next {
            match msg {
                Msg::Picker(p) => {
                    picker = *p;
                    cache.iter_mut().for_each(|c| c.scaled = None);
                }
                Msg::Load(r) => {
                    let lyrics = r.lyrics
                        || req
                            .as_ref()
                            .is_some_and(|old| old.track == r.track && old.lyrics);
                    let cover = r.cover.or_else(|| {
                        req.as_ref()
                            .filter(|old| old.track == r.track)
                            .and_then(|old| old.cover)
                    });
                    req = Some(ArtRequest { lyrics, cover, ..r });
                }
            }
            next = rx.try_recv().ok();
        }
        let Some(req) = req else { continue };
        if req.lyrics {
            let found = lyrics::load(&req.path);
            if let Err(e) = &found {
                tracing::warn!("lyrics: {e}");
            }
            let _ = events.send(Event::LyricsReady {
                track: req.track,
                lyrics: found.map(|l| l.map(Arc::new)),
            });
        }
        if let Some(cells) = req.cover {
            let cover = cover_for(&req, cells, &picker, &mut cache);
            let _ = events.send(Event::CoverReady {
                track: req.track,
                cells,
                cover,
            });
        }
    }
}

/// The cover of the requested track scaled to `cells`, from the cache when it can be.
fn cover_for(
    req: &ArtRequest,
    cells: (u16, u16),
    picker: &Picker,
    cache: &mut VecDeque<Cached>,
) -> Option<CoverImage> {
    let (source, bytes) = art::find(&req.path)?;
    let at = match cache.iter().position(|c| c.source == source) {
        Some(i) => i,
        None => {
            let image = match art::decode(&source, bytes) {
                Ok(img) => Some(Arc::new(img)),
                Err(e) => {
                    tracing::warn!("cover refused: {e}");
                    None
                }
            };
            if cache.len() >= CACHE_COVERS {
                cache.pop_back();
            }
            cache.push_front(Cached {
                source,
                image,
                scaled: None,
            });
            0
        }
    };
    // Most recent first.
    let entry = cache.remove(at)?;
    cache.push_front(entry);
    let entry = cache.front_mut()?;
    if let Some((c, img)) = &entry.scaled
        && *c == cells
    {
        return Some(img.clone());
    }
    let image = entry.image.clone()?;
    let scaled = scale(&image, cells, picker);
    if let Some(s) = &scaled {
        entry.scaled = Some((cells, s.clone()));
    }
    scaled
}

/// Scales (up or down, keeping the shape) and encodes `image` for `cells`.
pub fn scale(image: &DynamicImage, cells: (u16, u16), picker: &Picker) -> Option<CoverImage> {
    let (w, h) = cells;
    let make = || {
        picker.new_protocol(
            image.clone(),
            Size::new(w, h),
            Resize::Scale(Some(image::imageops::FilterType::Triangle)),
        )
    };
    match crate::audio::guard::catch(make) {
        Ok(Ok(p)) => Some(CoverImage {
            cells,
            protocol: Arc::new(p),
        }),
        Ok(Err(e)) => {
            tracing::warn!("cover: cannot encode it for the terminal: {e}");
            None
        }
        Err(p) => {
            tracing::warn!("cover: internal error while scaling: {p}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::graphics_terminal;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn only_terminals_known_to_answer_are_asked() {
        assert!(graphics_terminal(&env(&[("TERM", "xterm-kitty")])));
        assert!(graphics_terminal(&env(&[("KITTY_WINDOW_ID", "1")])));
        assert!(graphics_terminal(&env(&[("TERM_PROGRAM", "WezTerm")])));
        assert!(graphics_terminal(&env(&[("TERM", "foot")])));
        assert!(graphics_terminal(&env(&[("TERM_PROGRAM", "iTerm.app")])));
        assert!(!graphics_terminal(&env(&[("TERM", "xterm-256color")])));
        assert!(!graphics_terminal(&env(&[("TERM", "screen-256color")])));
        assert!(!graphics_terminal(&env(&[("KITTY_WINDOW_ID", "")])));
        assert!(!graphics_terminal(&env(&[])));
    }
}
