//! The Stats view: the listening figures (`recommend::stats`) as charts, for one period at a
//! time (this week, this month, all time: ←/→ or Enter switch). The figures are made on the
//! history thread from the store (`service::history`, the same as `genreplay stats`) and
//! arrive as `Event::StatsReady`; the view asks for them when it is shown and again, at most
//! once a second, while it is on screen and the history changed — never while drawing.

use std::time::{Duration, Instant};

use super::Handled;
use crate::app::event::Effect;
use crate::app::session::Session;
use crate::keys::Action;
use crate::recommend::stats::{DEFAULT_DAYS, Period, Stats};

/// The least time between two asks.
const MIN_GAP: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct StatsView {
    /// The period the tops are shown for.
    pub period: Period,
    /// The last figures that arrived.
    pub stats: Option<Box<Stats>>,
    /// The history changed since the figures were asked for.
    stale: bool,
    /// When they were last asked for.
    asked: Option<Instant>,
}

impl Default for StatsView {
    fn default() -> Self {
        StatsView {
            period: Period::Week,
            stats: None,
            stale: true,
            asked: None,
        }
    }
}

impl StatsView {
    /// The history changed: the figures are asked for again (`want`).
    pub fn history_changed(&mut self) {
        self.stale = true;
    }

    /// Asks for the figures when they are stale (or ten minutes old: today moves on) and the
    /// last ask is a second old; `on_screen`: only while the view shows.
    pub fn want(&mut self, s: &mut Session, on_screen: bool) {
        if !on_screen {
            return;
        }
        let old = self
            .asked
            .is_some_and(|a| a.elapsed() >= Duration::from_secs(600));
        if !(self.stale || old) || self.asked.is_some_and(|a| a.elapsed() < MIN_GAP) {
            return;
        }
        self.stale = false;
        self.asked = Some(Instant::now());
        s.push(Effect::LoadStats { days: DEFAULT_DAYS });
    }

    /// The figures arrived.
    pub fn ready(&mut self, stats: Box<Stats>) {
        self.stats = Some(stats);
    }
}

impl super::View for StatsView {
    fn on_action(&mut self, a: Action, _s: &mut Session) -> Handled {
        match a {
            Action::Expand | Action::Activate => {
                self.period = self.period.next();
            }
            Action::Collapse => {
                self.period = self.period.next().next();
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }
}

#[cfg(test)]
mod tests {
    use super::super::View as _;
    use super::*;

    #[test]
    fn keys_switch_the_period_both_ways() {
        let mut v = StatsView::default();
        let mut s = Session::new(
            crate::app::Catalog::new("/m".into(), Vec::new(), Vec::new()),
            crate::keys::Keymap::defaults(),
            50,
        );
        assert_eq!(v.on_action(Action::Expand, &mut s), Handled::Yes);
        assert_eq!(v.period, Period::Month);
        v.on_action(Action::Activate, &mut s);
        assert_eq!(v.period, Period::All);
        v.on_action(Action::Collapse, &mut s);
        assert_eq!(v.period, Period::Month);
        assert_eq!(v.on_action(Action::Like, &mut s), Handled::No);
        // Asked once on show, not again within the second, and not when off screen.
        v.want(&mut s, false);
        assert!(s.take_effects().is_empty());
        v.want(&mut s, true);
        v.history_changed();
        v.want(&mut s, true);
        let asked = s.take_effects();
        assert_eq!(asked.len(), 1, "{asked:?}");
        assert!(matches!(asked[0], Effect::LoadStats { days: DEFAULT_DAYS }));
    }
}
