//! Background classification of the library.

pub mod budget;
pub mod worker;

pub use budget::{Priority, ThreadBudget, available_cores, set_current_thread_priority};
pub use worker::{
    AnalysisEvent, Analyzer, Classified, FatalStop, Progress, StartError, StopHandle,
    TrackClassifier, pending_tracks,
};
