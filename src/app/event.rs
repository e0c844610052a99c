//! What reaches the app (`Event`) and what it asks of the outside world (`Effect`). The app
//! turns one into the other without blocking; the service layer carries the effects out and
//! answers with more events.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyEvent, MouseEvent};

use super::catalog::Catalog;
use super::retrain;
use crate::analysis::AnalysisEvent;
use crate::audio::player::{PlayerCommand, PlayerEvent};
use crate::library::TrackId;

/// Everything that reaches the app.
#[derive(Debug, Clone)]
pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// Terminal size (columns, rows).
    Resize(u16, u16),
    Tick,
    Player(PlayerEvent),
    Analysis(AnalysisEvent),
    /// A vector was stored for a track (the run loop reads it after `TrackDone`).
    VectorReady {
        track: TrackId,
        vector: Vec<f32>,
        style: Option<Vec<f32>>,
        /// The open-set verdict, when the model has a rule.
        open_set: Option<crate::store::OpenSetRecord>,
    },
    /// The loudness of a track's analysis clip was stored (its ReplayGain estimate).
    LoudnessReady {
        track: TrackId,
        loudness: crate::audio::loudness::Loudness,
    },
    /// Something the listener must see (scrobbling's refused token): on the status line until
    /// a key is pressed.
    Notice(String),
    /// A background job (scan, model load) has news for the status line.
    Status {
        text: String,
        error: bool,
    },
    /// The library (re)loaded from the store.
    LibraryLoaded(Box<Catalog>),
    /// The library folder is not there (`Some(what to say)`: renamed, unmounted; its tracks,
    /// the queue and the state are kept), or it is back (`None`).
    LibraryOffline(Option<String>),
    /// Files that moved on disk (old id → new id); the catalog with the new ids follows.
    TracksMoved(Vec<(TrackId, TrackId)>),
    /// The named playlists as the playlist folder has them.
    PlaylistsLoaded(Vec<crate::playlist::Playlist>),
    /// A playlist file was edited: `undo` takes the edit back (sent before the folder is read
    /// again; `step` is the effect's, for the Playlists view's undo and redo).
    PlaylistEdited {
        path: PathBuf,
        undo: crate::playlist::Edit,
        step: crate::playlist::EditStep,
    },
    /// A playlist file was renamed (its undo and redo steps follow it).
    PlaylistRenamed {
        from: PathBuf,
        to: PathBuf,
    },
    /// The retrain dialog's folder was looked at.
    TrainPrepared(Result<retrain::Preview, retrain::TrainError>),
    /// Training progress.
    Training(crate::model::train::TrainEvent),
    /// Training ended (the model waits for accept or discard).
    TrainingFinished(Result<Box<retrain::Outcome>, retrain::TrainError>),
    /// A model became active (after accept, or a switch): the library shows its genres as
    /// they come, the previous model's until then.
    ModelActivated {
        id: String,
        name: String,
        labels: Vec<String>,
    },
    /// The models the store knows (answered to [`Effect::LoadModels`]).
    ModelsLoaded(Vec<ModelRow>),
    /// Every track's history and rating, read from the store at the start.
    HistoryLoaded(std::collections::HashMap<TrackId, crate::store::history::HistoryRecord>),
    /// A track's history as the store has it after a change.
    HistoryChanged {
        track: TrackId,
        record: crate::store::history::HistoryRecord,
    },
    /// The listening figures (answered to [`Effect::LoadStats`]).
    StatsReady(Box<crate::recommend::stats::Stats>),
    /// A remote client (`genreplay ctl`) asks something; the answer goes out as
    /// [`Effect::RemoteReply`].
    Remote(super::remote::protocol::RemoteRequest),
    /// The art worker's cover for a track at a size (`None`: it has none, or it is unusable).
    CoverReady {
        track: TrackId,
        cells: (u16, u16),
        cover: Option<CoverImage>,
    },
    /// The art worker's lyrics for a track (`Ok(None)`: it has none; an error: they could
    /// not be read, or are over the lyrics bounds).
    LyricsReady {
        track: TrackId,
        lyrics: Result<
            Option<std::sync::Arc<crate::library::lyrics::Lyrics>>,
            crate::library::lyrics::LyricsError,
        >,
    },
}

/// What the app asks the outside world to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Player(PlayerCommand),
    /// Classify this track before the others.
    Bump(TrackId),
    /// Look at a folder for training.
    PrepareTraining(retrain::TrainSpec),
    /// Start training (one at a time).
    StartTraining(retrain::TrainSpec),
    CancelTraining,
    /// Save the trained model under this name, make it active, re-classify the library.
    AcceptModel(String),
    /// List the models (answered by `ModelsLoaded`).
    LoadModels,
    /// Make the model with this id active.
    UseModel(String),
    DiscardModel,
    /// Make the built-in model active again.
    UseBuiltInModel,
    /// Write a playlist file (the service picks the folder, updates the file the same export
    /// wrote before, reports back and reads the folder again).
    ExportPlaylist {
        source: crate::playlist::ExportSource,
        entries: Vec<crate::recommend::playlists::M3uEntry>,
    },
    /// Read the named playlists (answered by `PlaylistsLoaded`).
    LoadPlaylists,
    /// Save a named playlist (refused when one of that name exists).
    SavePlaylist {
        name: String,
        entries: Vec<crate::recommend::playlists::M3uEntry>,
    },
    /// Change a playlist's file (take a track out, move one): the file is read again, the
    /// edit made if the file still holds the track where it was, and written back.
    EditPlaylist {
        path: PathBuf,
        edit: crate::playlist::Edit,
        /// What it is to the Playlists view's undo (`Plain`: nothing).
        step: crate::playlist::EditStep,
    },
    /// Add tracks at the end of the playlist called `name` (a new playlist when there is none).
    AddToPlaylist {
        name: String,
        entries: Vec<crate::recommend::playlists::M3uEntry>,
    },
    RenamePlaylist {
        path: PathBuf,
        to: String,
    },
    DeletePlaylist {
        path: PathBuf,
    },
    ImportPlaylist {
        file: PathBuf,
    },
    /// Write what survives a restart (`service::state` makes the JSON and writes the file on
    /// its own thread).
    SaveState(StateSave),
    /// Give the terminal back until the user brings genreplay to the foreground (ctrl-z).
    Suspend,
    /// Make the listening figures (the per-day chart of `days` days) and send them back as
    /// `Event::StatsReady` (on the history thread, after what it has to write).
    LoadStats {
        days: u32,
    },
    /// Count a play or a skip of `track` at `at` (Unix seconds) in the history, and log the
    /// listen: it started at `started` and `heard_secs` of it were heard.
    Listened {
        track: TrackId,
        listen: crate::store::history::Listen,
        at: u64,
        started: u64,
        heard_secs: u32,
    },
    /// Files moved on disk (old id → new id): their listening history and ratings go to the
    /// new ids, after what was sent before (the history thread's order).
    HistoryMoved(Vec<(TrackId, TrackId)>),
    /// Set the listener's rating of `track`.
    Rate {
        track: TrackId,
        rating: crate::store::history::Rating,
        at: u64,
    },
    /// Look at the library folder again now (the rescan key, `ctl rescan`).
    Rescan,
    /// The answer to a remote request.
    RemoteReply(
        super::remote::protocol::ReplyTo,
        Box<super::remote::protocol::RemoteReply>,
    ),
    /// Read the playing track's cover and/or lyrics (answered by `CoverReady`, `LyricsReady`).
    LoadArt(ArtRequest),
    Quit,
}

/// One of the state files' contents, to write.
#[derive(Debug, Clone, PartialEq)]
pub enum StateSave {
    Session(Box<super::saved::SavedSession>),
    Queue(Box<super::saved::SavedQueue>),
}

impl StateSave {
    pub fn file(&self) -> StateFile {
        match self {
            StateSave::Session(_) => StateFile::Session,
            StateSave::Queue(_) => StateFile::Queue,
        }
    }

    /// The file's text.
    pub fn to_json(&self) -> serde_json::Result<String> {
        match self {
            StateSave::Session(s) => serde_json::to_string(s),
            StateSave::Queue(q) => serde_json::to_string(q),
        }
    }
}

/// The files the player's state is saved in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFile {
    Session,
    Queue,
}

impl StateFile {
    pub fn name(self) -> &'static str {
        match self {
            StateFile::Session => "session.json",
            StateFile::Queue => "queue.json",
        }
    }
}

// The payloads events and effects carry, kept here so `Event` and `Effect` import no view.

/// A cover scaled and encoded for the terminal, ready to draw.
#[derive(Clone)]
pub struct CoverImage {
    /// The cover area it was made for (columns, rows).
    pub cells: (u16, u16),
    pub protocol: Arc<ratatui_image::protocol::Protocol>,
}

impl std::fmt::Debug for CoverImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let size = self.protocol.size();
        f.debug_struct("CoverImage")
            .field("cells", &self.cells)
            .field("drawn", &(size.width, size.height))
            .finish()
    }
}

impl PartialEq for CoverImage {
    fn eq(&self, other: &Self) -> bool {
        self.cells == other.cells && Arc::ptr_eq(&self.protocol, &other.protocol)
    }
}

/// What the art worker is asked for one track.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtRequest {
    pub track: TrackId,
    pub path: PathBuf,
    /// The cover, scaled to fit this many cells (columns, rows).
    pub cover: Option<(u16, u16)>,
    /// The lyrics too.
    pub lyrics: bool,
}

/// One model in the Training view's list.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRow {
    pub id: String,
    pub name: String,
    pub genres: usize,
    /// Validation track accuracy when it was trained (trained models).
    pub valid_accuracy: Option<f64>,
    pub built_in: bool,
    /// Tracks of the library it has classified.
    pub classified: usize,
    pub source: Option<String>,
}
