//! What up next holds: an entry, why it is there (`Reason`), and where the playing track came
//! from (`Current`, `Source`); repeat's modes.

use crate::library::TrackId;

/// Why a track is in the queue (shown in the Queue view).
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// Added by hand.
    Added,
    /// Part of an album, folder, genre or playlist that was played.
    From(String),
    /// Picked by the recommender for sounding like `seed`.
    Similar {
        seed: String,
        genre: String,
        similarity: f32,
    },
    /// Picked as `Similar`, and the listener's feedback moved it.
    Learned {
        seed: String,
        genre: String,
        similarity: f32,
        moved: Moved,
    },
    /// Picked by a station (your mix, a path, a mix of marked tracks), with its reason.
    Station(String),
}

pub use crate::recommend::taste::Moved;

impl Reason {
    /// Chosen by the recommender ("play next", auto-DJ).
    pub fn is_pick(&self) -> bool {
        matches!(
            self,
            Reason::Similar { .. } | Reason::Learned { .. } | Reason::Station(_)
        )
    }

    pub fn describe(&self) -> String {
        match self {
            Reason::Added => "added".into(),
            Reason::From(what) => format!("from {what}"),
            Reason::Station(why) => why.clone(),
            Reason::Similar {
                seed,
                genre,
                similarity,
            } => format!("{genre}, {:.0}% like {seed}", similarity * 100.0),
            Reason::Learned {
                seed,
                genre,
                similarity,
                moved,
            } => format!(
                "{genre}, {:.0}% like {seed} · {}",
                similarity * 100.0,
                moved.describe()
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueueEntry {
    pub track: TrackId,
    pub reason: Reason,
    /// Which addition this is (the queue numbers entries as they come; 0 = not yet), so
    /// undo never brings back an entry that has played since.
    pub uid: u64,
}

impl QueueEntry {
    pub fn new(track: TrackId, reason: Reason) -> Self {
        QueueEntry {
            track,
            reason,
            uid: 0,
        }
    }
}

/// Repeat modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    Off,
    All,
    One,
}

impl Repeat {
    pub fn next(self) -> Self {
        match self {
            Repeat::Off => Repeat::All,
            Repeat::All => Repeat::One,
            Repeat::One => Repeat::Off,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Repeat::Off => "off",
            Repeat::All => "all",
            Repeat::One => "one",
        }
    }
    pub fn from_label(s: &str) -> Option<Self> {
        match s {
            "off" => Some(Repeat::Off),
            "all" => Some(Repeat::All),
            "one" => Some(Repeat::One),
            _ => None,
        }
    }
}

/// Where the playing track came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Taken from up next (it left the list when it started).
    UpNext,
    /// The context's current track.
    Context,
}

/// The playing track.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    pub entry: QueueEntry,
    pub source: Source,
}

impl QueueEntry {
    /// Memory the entry holds (its reason's text included).
    pub(super) fn bytes(&self) -> usize {
        std::mem::size_of::<QueueEntry>()
            + match &self.reason {
                Reason::Added => 0,
                Reason::From(w) | Reason::Station(w) => w.capacity(),
                Reason::Similar { seed, genre, .. } | Reason::Learned { seed, genre, .. } => {
                    seed.capacity() + genre.capacity()
                }
            }
    }
}
