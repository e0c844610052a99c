//! Background classification of the library.

pub mod worker;

pub use worker::{AnalysisEvent, Analyzer, Progress, TrackClassifier, pending_tracks};
