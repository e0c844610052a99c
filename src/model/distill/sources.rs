//! The unlabelled audio a student learns from: the files, decoded once at 16 kHz.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::audio::clip::repeat_pad;
use crate::audio::decode::{AudioError, decode_file};
use crate::audio::is_audio_path;
use crate::audio::resample::resample_mono;
use crate::model::musicnn::MUSICNN_FRAMES;

use super::options::*;

pub(super) struct Source {
    pub(super) path: PathBuf,
    /// The folder (index into the options' sources) it came from.
    pub(super) group: usize,
    /// The whole file at 16 kHz, repeat-padded to at least one patch.
    pub(super) audio: Vec<f32>,
    pub(super) holdout: bool,
}

pub(super) fn read_index_splits(root: &Path) -> Option<std::collections::HashMap<PathBuf, String>> {
    let text = std::fs::read_to_string(root.join("INDEX.tsv")).ok()?;
    let mut map = std::collections::HashMap::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if let [file, _, split, ..] = cols.as_slice() {
            map.insert(root.join(file.trim()), split.trim().to_string());
        }
    }
    Some(map)
}

pub(super) fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut items: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    items.sort();
    for p in items {
        if p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else if is_audio_path(&p) {
            out.push(p);
        }
    }
}

/// The audio files of `opts.sources` (sorted per source), each with its source index; rows of
/// excluded splits are left out. An empty or missing source is an error naming it.
pub fn list_sources(opts: &DistillOptions) -> anyhow::Result<Vec<(PathBuf, usize)>> {
    let mut files = Vec::new();
    for (g, src) in opts.sources.iter().enumerate() {
        if src.is_file() {
            files.push((src.clone(), g));
            continue;
        }
        if !src.is_dir() {
            anyhow::bail!("{}: no such folder or file", src.display());
        }
        let splits = read_index_splits(src);
        let mut found = Vec::new();
        walk(src, &mut found);
        let before = files.len();
        for p in found {
            let excluded = splits.as_ref().is_some_and(|m| {
                m.get(&p)
                    .is_some_and(|s| opts.exclude_splits.iter().any(|e| e == s))
            });
            if !excluded {
                files.push((p, g));
            }
        }
        if files.len() == before {
            anyhow::bail!("{}: no audio files to distil from", src.display());
        }
    }
    Ok(files)
}

pub(super) fn decode_16k(path: &Path) -> Result<Vec<f32>, AudioError> {
    let audio = decode_file(path)?;
    let mut s = resample_mono(&audio.samples, audio.sample_rate_hz, SR).map_err(|e| {
        AudioError::Analysis {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    })?;
    if s.is_empty() {
        return Err(AudioError::NoAudio {
            path: path.to_path_buf(),
        });
    }
    repeat_pad(&mut s, (MUSICNN_FRAMES + 2) * HOP);
    Ok(s)
}

/// Decodes every file once (a file that does not decode is skipped, with the reason) and
/// pools the training files' indices per source folder.
#[allow(clippy::type_complexity)]
pub(super) fn decode_sources(
    opts: &DistillOptions,
    files: &[(PathBuf, usize)],
    on_event: &mut dyn FnMut(DistillEvent),
    cancel: &AtomicBool,
) -> anyhow::Result<(Vec<Source>, Vec<(PathBuf, String)>, Vec<Vec<usize>>)> {
    let mut sources: Vec<Source> = Vec::new();
    let mut skipped = Vec::new();
    for (i, (path, group)) in files.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            anyhow::bail!("cancelled");
        }
        let r = decode_16k(path);
        on_event(DistillEvent::Decoded {
            done: i + 1,
            total: files.len(),
            path: path.clone(),
            error: r.as_ref().err().map(ToString::to_string),
        });
        match r {
            Ok(audio) => {
                let k = sources.len() + 1;
                let holdout = opts.holdout_every > 0 && k.is_multiple_of(opts.holdout_every);
                sources.push(Source {
                    path: path.clone(),
                    group: *group,
                    audio,
                    holdout,
                });
            }
            Err(e) => skipped.push((path.clone(), e.to_string())),
        }
    }
    let mut pool: Vec<Vec<usize>> = vec![vec![]; opts.sources.len()];
    for (i, s) in sources.iter().enumerate() {
        if !s.holdout {
            pool[s.group].push(i);
        }
    }
    pool.retain(|g| !g.is_empty());
    if pool.is_empty() {
        anyhow::bail!("no audio could be decoded from the sources");
    }

    Ok((sources, skipped, pool))
}
