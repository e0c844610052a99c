//! Marked tracks (the Library's multi-select): in the order marked, each a seed of the mix of
//! marked tracks or "less like this". What the marks are for is the app's (queue them, mix
//! them, a path between two); this keeps them.

use std::collections::HashMap;

use crate::app::stations::Seeds;
use crate::library::TrackId;

/// The most tracks marked at once (as many as up next holds).
pub const MAX_MARKS: usize = crate::recommend::similar::MAX_PICKS;

/// How a track is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A seed: sound like this.
    Like,
    /// Sound less like this.
    Less,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Marks {
    order: Vec<TrackId>,
    kind: HashMap<TrackId, Mark>,
}

impl Marks {
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn get(&self, id: TrackId) -> Option<Mark> {
        self.kind.get(&id).copied()
    }

    /// Marks `id` as `mark` (a track marked otherwise changes its mark). False when full.
    pub fn set(&mut self, id: TrackId, mark: Mark) -> bool {
        if self.kind.insert(id, mark).is_none() {
            if self.order.len() >= MAX_MARKS {
                self.kind.remove(&id);
                return false;
            }
            self.order.push(id);
        }
        true
    }

    pub fn unset(&mut self, id: TrackId) {
        if self.kind.remove(&id).is_some() {
            self.order.retain(|t| *t != id);
        }
    }

    /// Marks `id` as `mark`, or unmarks it when it is marked so already.
    pub fn toggle(&mut self, id: TrackId, mark: Mark) {
        if self.get(id) == Some(mark) {
            self.unset(id);
        } else {
            self.set(id, mark);
        }
    }

    /// Marks all of `ids` (a group), or unmarks them when all are marked already. How many
    /// are marked after.
    pub fn toggle_all(&mut self, ids: &[TrackId]) -> usize {
        if !ids.is_empty() && ids.iter().all(|id| self.get(*id) == Some(Mark::Like)) {
            let out: std::collections::HashSet<TrackId> = ids.iter().copied().collect();
            self.order.retain(|t| !out.contains(t));
            self.kind.retain(|t, _| !out.contains(t));
        } else {
            for id in ids {
                if !self.set(*id, Mark::Like) {
                    break;
                }
            }
        }
        self.len()
    }

    pub fn clear(&mut self) {
        self.order.clear();
        self.kind.clear();
    }

    /// Every marked track, in the order marked.
    pub fn tracks(&self) -> &[TrackId] {
        &self.order
    }

    /// The tracks marked as seeds and those marked "less like this", each in the order marked.
    pub fn seeds(&self) -> Seeds {
        let mut s = Seeds::default();
        for id in &self.order {
            match self.kind.get(id) {
                Some(Mark::Like) => s.like.push(*id),
                Some(Mark::Less) => s.less.push(*id),
                None => {}
            }
        }
        s
    }

    /// Drops the marks of tracks that left the library.
    pub fn retain(&mut self, keep: impl Fn(TrackId) -> bool) {
        self.order.retain(|t| keep(*t));
        self.kind.retain(|t, _| keep(*t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_toggle_keep_their_order_and_split_into_seeds() {
        let mut m = Marks::default();
        let (a, b, c) = (TrackId(1), TrackId(2), TrackId(3));
        m.toggle(a, Mark::Like);
        m.toggle(b, Mark::Less);
        m.toggle(c, Mark::Like);
        assert_eq!(m.tracks(), &[a, b, c]);
        assert_eq!(
            m.seeds(),
            Seeds {
                like: vec![a, c],
                less: vec![b]
            }
        );
        // Less on a seed changes its mark, twice unmarks.
        m.toggle(a, Mark::Less);
        assert_eq!(m.get(a), Some(Mark::Less));
        m.toggle(a, Mark::Less);
        assert_eq!((m.get(a), m.len()), (None, 2));
        // A group: all marked, then all unmarked.
        assert_eq!(m.toggle_all(&[a, c]), 3);
        assert_eq!(m.toggle_all(&[a, c]), 1);
        m.retain(|t| t != b);
        assert!(m.is_empty());
    }
}
