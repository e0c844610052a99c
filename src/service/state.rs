//! Writing the player's state files (the session and the queue as JSON) on a thread of their
//! own: the JSON is made here, not on the UI thread; each write goes to a temporary file that
//! is renamed over the old one, so a crash leaves the previous state whole; writes that pile
//! up are merged (only the newest of each file is written). Reading them back is bounded: a
//! file over its size, or a list over its bound, is not a state file this player wrote.

use super::batch::BatchThread;
use crate::app::state::{MAX_QUEUE_FILE, MAX_SESSION_FILE, SavedQueue, SavedSession};
use crate::app::{StateFile, StateSave};
use std::path::{Path, PathBuf};

pub struct StateWriter {
    thread: BatchThread<StateSave>,
    dir: PathBuf,
}

/// Writes `json` to `dir/name` through a temporary file.
fn write_atomically(dir: &Path, name: &str, json: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, dir.join(name))
}

impl StateWriter {
    pub fn start(dir: PathBuf) -> Self {
        let d = dir.clone();
        let thread = BatchThread::start(
            "state",
            || {},
            move |batch: Vec<StateSave>| {
                // Only the newest of each file is written.
                let mut newest: Vec<StateSave> = Vec::new();
                for next in batch {
                    newest.retain(|s| s.file() != next.file());
                    newest.push(next);
                }
                for what in newest {
                    let file = what.file();
                    let written = what
                        .to_json()
                        .map_err(std::io::Error::other)
                        .and_then(|json| write_atomically(&d, file.name(), &json));
                    if let Err(e) = written {
                        tracing::warn!("saving {}: {e}", d.join(file.name()).display());
                    }
                }
            },
        );
        StateWriter { thread, dir }
    }

    pub fn save(&self, what: StateSave) {
        self.thread.send(what);
    }

    /// Writes what is pending and stops the writer.
    pub fn finish(&mut self) {
        self.thread.finish();
    }

    /// Reads the saved state; a missing, unreadable or unparsable file is `None` (and a bad
    /// one is logged and kept aside as `*.bad`, never deleted).
    pub fn load(dir: &Path) -> (Option<SavedSession>, Option<SavedQueue>) {
        (read(dir, StateFile::Session), read(dir, StateFile::Queue))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn read<T: serde::de::DeserializeOwned>(dir: &Path, file: StateFile) -> Option<T> {
    let path = dir.join(file.name());
    let meta = std::fs::metadata(&path).ok()?;
    let max = match file {
        StateFile::Session => MAX_SESSION_FILE,
        StateFile::Queue => MAX_QUEUE_FILE,
    };
    if !meta.is_file() || meta.len() > max {
        tracing::warn!(
            "{}: not a state file ({} bytes; at most {max}); ignored and kept",
            path.display(),
            meta.len()
        );
        return None;
    }
    // No further than the bound, should the file grow meanwhile.
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut std::io::Read::take(std::fs::File::open(&path).ok()?, max),
        &mut text,
    )
    .ok()?;
    match serde_json::from_str(&text) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(
                "{}: {e}; starting afresh (the file is kept as .bad)",
                path.display()
            );
            let _ = std::fs::rename(&path, path.with_extension("json.bad"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_whole_files_and_bad_ones_are_kept_aside() {
        let d = tempfile::tempdir().unwrap();
        let mut w = StateWriter::start(d.path().to_path_buf());
        let s = SavedSession {
            version: 1,
            volume: 42,
            ..Default::default()
        };
        for v in 0..20u8 {
            let s = SavedSession {
                volume: v,
                ..s.clone()
            };
            w.save(StateSave::Session(Box::new(s)));
        }
        w.finish();
        let (session, queue) = StateWriter::load(d.path());
        assert_eq!(session.unwrap().volume, 19, "the newest write wins");
        assert!(queue.is_none());
        std::fs::write(d.path().join("queue.json"), "{ not json").unwrap();
        assert!(StateWriter::load(d.path()).1.is_none());
        assert!(d.path().join("queue.json.bad").exists());
    }
}
