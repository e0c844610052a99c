//! Feeds the spectrum visualiser: while it is shown (Now playing on screen, the visualiser on,
//! a track loaded) the player's tap copies what it plays ([`Scope::set_on`]), and at most
//! every [`FRAME`] the UI loop asks for a frame: the latest samples are analysed
//! (`audio::spectrum`), smoothed, and set as the app's bars. While it is not shown nothing
//! is copied or computed.

use std::time::{Duration, Instant};

use crate::app::{App, View};
use crate::audio::scope::Scope;
use crate::audio::spectrum::{Analyzer, Smoother, WINDOW};

/// The visualiser's frame interval (25 frames a second: a redraw of the screen is what costs,
/// not the analysis).
pub const FRAME: Duration = Duration::from_millis(40);
/// Bars at least and at most.
const MIN_BANDS: usize = 8;
const MAX_BANDS: usize = 64;

/// What a call to [`SpectrumFeed::tick`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    /// The bars changed: draw.
    pub drew: bool,
    /// When the next frame is due (none while nothing is shown or moving).
    pub next: Option<Instant>,
}

#[derive(Default)]
pub struct SpectrumFeed {
    analyzer: Analyzer,
    smoother: Smoother,
    samples: Vec<f32>,
    silence: Vec<f32>,
    last: Option<Instant>,
}

/// How many bars fit a terminal `columns` wide (a bar of two cells and a gap).
pub fn bands_for(columns: u16) -> usize {
    (usize::from(columns.saturating_sub(4)) / 3).clamp(MIN_BANDS, MAX_BANDS)
}

impl SpectrumFeed {
    /// Whether the bars are on screen.
    pub fn shown(app: &App) -> bool {
        app.view == View::NowPlaying
            && app.visualiser.on(&app.session)
            && app.session.playback.track.is_some()
    }

    /// A frame when one is due; the tap copies only while the bars are shown.
    pub fn tick(&mut self, app: &mut App, scope: &Scope) -> Tick {
        let shown = Self::shown(app);
        if scope.is_on() != shown {
            scope.set_on(shown);
        }
        if !shown {
            self.last = None;
            let drew = !app.visualiser.levels.is_empty();
            app.visualiser.levels.clear();
            return Tick { drew, next: None };
        }
        let now = Instant::now();
        if let Some(last) = self.last
            && now.duration_since(last) < FRAME
        {
            return Tick {
                drew: false,
                next: Some(last + FRAME),
            };
        }
        let dt = self.last.map_or(FRAME, |l| now.duration_since(l));
        let bands = bands_for(app.size.0);
        let target = if app.session.playback.paused {
            // What the ring holds is from before the pause: the bars fall.
            self.silence.resize(bands, 0.0);
            self.silence.clone()
        } else {
            self.samples.resize(WINDOW, 0.0);
            scope.latest(&mut self.samples);
            self.analyzer.bands(&self.samples, scope.rate(), bands)
        };
        let levels = self.smoother.step(&target, dt.as_secs_f32());
        // Only a change the bars show (they are drawn in whole percent) is worth a redraw.
        let shown_as = |l: f32| (l * 100.0).round() as u8;
        let drew = app.visualiser.levels.len() != levels.len()
            || app
                .visualiser
                .levels
                .iter()
                .zip(levels)
                .any(|(&a, &b)| shown_as(a) != shown_as(b));
        if drew {
            app.visualiser.levels.clear();
            app.visualiser.levels.extend_from_slice(levels);
        }
        // Paused and fallen: nothing moves until playing again (a key or an event redraws).
        let still = app.session.playback.paused && levels.iter().all(|&l| l == 0.0);
        self.last = Some(now);
        Tick {
            drew,
            next: (!still).then_some(now + FRAME),
        }
    }
}
