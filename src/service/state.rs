//! Writing the player's state files (the session and the queue as JSON) on a thread of their
//! own: each write goes to a temporary file that is renamed over the old one, so a crash
//! leaves the previous state whole; writes that pile up are merged (only the newest of each
//! file is written).

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use crossbeam_channel::{Sender, unbounded};

use crate::app::StateFile;
use crate::app::state::{SavedQueue, SavedSession};

pub struct StateWriter {
    tx: Option<Sender<(StateFile, String)>>,
    thread: Option<JoinHandle<()>>,
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
        let (tx, rx) = unbounded::<(StateFile, String)>();
        let d = dir.clone();
        let thread = std::thread::Builder::new()
            .name("state".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut newest: Vec<(StateFile, String)> = vec![first];
                    for next in rx.try_iter() {
                        newest.retain(|(f, _)| *f != next.0);
                        newest.push(next);
                    }
                    for (file, json) in newest {
                        if let Err(e) = write_atomically(&d, file.name(), &json) {
                            tracing::warn!("saving {}: {e}", d.join(file.name()).display());
                        }
                    }
                }
            })
            .ok();
        StateWriter {
            tx: Some(tx),
            thread,
            dir,
        }
    }

    pub fn save(&self, file: StateFile, json: String) {
        if let Some(tx) = &self.tx {
            let _ = tx.send((file, json));
        }
    }

    /// Writes what is pending and stops the writer.
    pub fn finish(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
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
    if !meta.is_file() || meta.len() > 256 * 1024 * 1024 {
        tracing::warn!("{}: not a state file; ignored", path.display());
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
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
            w.save(StateFile::Session, serde_json::to_string(&s).unwrap());
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
