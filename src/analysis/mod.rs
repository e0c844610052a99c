//! Background classification of the library.

pub mod worker;

pub use worker::{
    AnalysisEvent, Analyzer, FatalStop, Progress, StopHandle, TrackClassifier, pending_tracks,
};
