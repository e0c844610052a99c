//! Undo steps within a budget: at most `LEVELS` steps and `BYTES` of memory; the oldest go
//! first, the newest is always kept. A step says what it holds beyond what it shares with the
//! step before it, so a large part that many steps share (the queue's context) counts once.
//! (A redo is a second stack of the same: an undo pushes the state it leaves there.)

/// What one step holds.
pub trait Step {
    /// Memory the step holds beyond what it shares with `older`, the step before it.
    fn bytes(&self, older: Option<&Self>) -> usize;
}

#[derive(Debug, Clone, PartialEq)]
pub struct UndoStack<S, const LEVELS: usize, const BYTES: usize> {
    steps: Vec<S>,
}

impl<S, const LEVELS: usize, const BYTES: usize> Default for UndoStack<S, LEVELS, BYTES> {
    fn default() -> Self {
        UndoStack { steps: Vec::new() }
    }
}

impl<S: Step, const LEVELS: usize, const BYTES: usize> UndoStack<S, LEVELS, BYTES> {
    /// Memory the steps hold.
    pub fn bytes(&self) -> usize {
        let mut older = None;
        let mut total = 0;
        for s in &self.steps {
            total += std::mem::size_of::<S>() + s.bytes(older);
            older = Some(s);
        }
        total
    }

    /// Remembers `step`; the oldest steps go while over a bound (never the newest).
    pub fn push(&mut self, step: S) {
        self.steps.push(step);
        if self.steps.len() > LEVELS {
            self.steps.remove(0);
        }
        while self.steps.len() > 1 && self.bytes() > BYTES {
            self.steps.remove(0);
        }
    }

    pub fn pop(&mut self) -> Option<S> {
        self.steps.pop()
    }

    /// The newest step.
    pub fn last(&self) -> Option<&S> {
        self.steps.last()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn clear(&mut self) {
        self.steps.clear();
    }

    /// Oldest first.
    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = &S> {
        self.steps.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut S> {
        self.steps.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A step of `own` bytes, sharing `shared` bytes with an older step of the same `group`.
    struct Part {
        own: usize,
        group: u32,
        shared: usize,
    }

    impl Step for Part {
        fn bytes(&self, older: Option<&Self>) -> usize {
            self.own
                + if older.is_some_and(|o| o.group == self.group) {
                    0
                } else {
                    self.shared
                }
        }
    }

    #[test]
    fn the_oldest_steps_go_first_and_shared_parts_count_once() {
        let step = |own, group| Part {
            own,
            group,
            shared: 1000,
        };
        let mut u: UndoStack<Part, 4, 5000> = UndoStack::default();
        for _ in 0..3 {
            u.push(step(10, 1));
        }
        let size = std::mem::size_of::<Part>();
        assert_eq!(
            u.bytes(),
            3 * size + 30 + 1000,
            "the shared part counts once"
        );
        u.push(step(10, 2));
        u.push(step(10, 3));
        assert_eq!(u.len(), 4, "at most four steps");
        assert_eq!(u.iter().next().map(|s| s.group), Some(1));
        // Over the budget: the oldest go until it fits.
        u.push(step(2000, 4));
        assert!(u.bytes() <= 5000, "{}", u.bytes());
        assert_eq!(u.iter().map(|s| s.group).collect::<Vec<_>>(), [3, 4]);
        // The newest stays, however large.
        u.push(step(1 << 20, 5));
        assert_eq!(u.len(), 1);
    }
}
