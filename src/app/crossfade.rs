//! The session's side of crossfading: the user's setting (`crossfade`, `crossfade_on_skip`,
//! the key that turns it off and on) and which transitions overlap (the `Session` methods
//! that apply them: `fade_between`, `toggle_crossfade`). The mixing itself is
//! `audio::crossfade`, in the player.

use crate::audio::crossfade::MAX_CROSSFADE_SECS;

use super::catalog::TrackInfo;

/// The crossfade settings and what the player was last told.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Crossfade {
    /// The overlap, seconds (0–[`MAX_CROSSFADE_SECS`]); 0 = gapless.
    pub secs: f32,
    /// Overlap a skip (`n`) too.
    pub on_skip: bool,
    /// Turned off with the key (the setting's value is kept for turning it on again).
    pub off: bool,
    /// The overlap the player was last sent (`SetCrossfade`), so it is only sent on a change.
    pub(super) sent: f32,
}

impl Crossfade {
    pub fn new(secs: f32, on_skip: bool) -> Self {
        Crossfade {
            secs: secs.clamp(0.0, MAX_CROSSFADE_SECS),
            on_skip,
            off: false,
            sent: 0.0,
        }
    }

    /// The overlap in force (0 when off).
    pub fn active_secs(&self) -> f32 {
        if self.off { 0.0 } else { self.secs }
    }

    /// What the status line says: "crossfade 4 s", "crossfade off".
    pub fn label(&self) -> String {
        match self.active_secs() {
            s if s > 0.0 => format!("crossfade {} s", fmt_secs(s)),
            _ => "crossfade off".into(),
        }
    }
}

fn fmt_secs(s: f32) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s:.1}")
    }
}

/// Whether `b` follows `a` on its album in order: the same album and folder, and the next
/// track number. Such transitions stay gapless (a live album, a DJ mix, a symphony).
pub fn album_in_order(a: &TrackInfo, b: &TrackInfo) -> bool {
    a.album == b.album
        && a.folder == b.folder
        && matches!((a.track_no, b.track_no), (Some(x), Some(y)) if x.checked_add(1) == Some(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_say_the_seconds_or_off() {
        assert_eq!(Crossfade::new(4.0, false).label(), "crossfade 4 s");
        assert_eq!(Crossfade::new(2.5, false).label(), "crossfade 2.5 s");
        assert_eq!(Crossfade::new(0.0, false).label(), "crossfade off");
        let mut c = Crossfade::new(4.0, false);
        c.off = true;
        assert_eq!(c.label(), "crossfade off");
        assert_eq!(Crossfade::new(99.0, false).secs, MAX_CROSSFADE_SECS);
    }
}
