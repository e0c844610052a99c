//! The spectrum visualiser's state in the app: whether it is shown and the bars to draw. The
//! bars are computed outside the app (`service::visualiser`, from the samples being played)
//! and set here once a frame; `ui::now_playing` draws them.

use super::session::Session;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Visualiser {
    /// The user's choice (the key); until then it is on with a sound card and off without.
    chosen: Option<bool>,
    /// The bars, 0..1, low to high frequencies (empty: nothing to draw yet).
    pub levels: Vec<f32>,
}

impl Visualiser {
    /// Whether it is on.
    pub fn on(&self, s: &Session) -> bool {
        self.chosen
            .unwrap_or(s.playback.output.is_some() && s.playback.silent.is_none())
    }

    /// The key: on ↔ off, with what the status line says.
    pub fn toggle(&mut self, s: &mut Session) {
        let on = !self.on(s);
        self.chosen = Some(on);
        if !on {
            self.levels.clear();
        }
        let text = match (on, s.playback.silent.is_some()) {
            (true, true) => "visualiser on (no audio output: the bars show what would play)",
            (true, false) => "visualiser on",
            (false, _) => "visualiser off",
        };
        s.set_status(text, false);
    }
}
