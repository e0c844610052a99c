//! What can go wrong with the scrobble queue's files, each error naming its file.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ScrobbleError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Folder { path: PathBuf, message: String },
    #[error(
        "{} is damaged ({reason}); it was kept as {} and the queue starts again",
        path.display(),
        kept.display()
    )]
    Damaged {
        path: PathBuf,
        reason: String,
        kept: PathBuf,
    },
    #[error(
        "{} is damaged ({reason}); the player moves it aside when it next queues a listen",
        path.display()
    )]
    Unreadable { path: PathBuf, reason: String },
}
