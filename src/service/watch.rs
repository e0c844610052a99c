//! Following the disk: a file watcher on the library folder (inotify through `notify`), a
//! debounce that turns a burst of events into one batch, and the store update for a batch —
//! added, changed, moved and removed files — without walking the whole library.
//!
//! The watcher's thread only forwards events ([`WatchEvent`]); the library thread collects
//! them in a [`Debounce`] and, once the folder has been quiet for [`QUIET`] (or a burst has
//! gone on for [`MAX_WAIT`]), applies the batch with [`apply_changes`]. A kernel queue
//! overflow, or a batch too large to be worth it, becomes a full rescan instead.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use notify::{EventKind, RecursiveMode, Watcher as _};

use crate::audio::is_audio_path;
use crate::library::scan::{ScanError, file_stamp};
use crate::library::tags::read_tags;
use crate::library::{TrackId, TrackRecord};
use crate::store::{Store, StoreError, now_unix};

/// A batch is applied once no event came for this long…
pub const QUIET: Duration = Duration::from_millis(500);
/// …or once its first event is this old, even while events keep coming (a long copy).
pub const MAX_WAIT: Duration = Duration::from_millis(1500);
/// More changed paths than this in one batch: a full rescan is cheaper.
pub const MAX_PATHS: usize = 5000;

/// What the watcher reports.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchEvent {
    /// Something happened at these paths.
    Paths(Vec<PathBuf>),
    /// Events were lost (the kernel's queue overflowed): look at everything.
    Rescan,
    /// The watcher has trouble (its text is for the status line).
    Error(String),
}

/// The running watcher; dropping it stops watching.
pub struct Watcher {
    _inner: notify::RecommendedWatcher,
}

/// A watch error in words, with what to do about it.
fn describe(e: &notify::Error) -> String {
    match &e.kind {
        notify::ErrorKind::MaxFilesWatch => "the library has more folders than the system lets \
             one program watch (raise fs.inotify.max_user_watches); new files show up after a \
             rescan (U)"
            .to_string(),
        _ => format!("watching the library: {e}; new files show up after a rescan (U)"),
    }
}

/// The watcher could not start (said with what to do about it).
#[derive(Debug, thiserror::Error)]
#[error("{}", describe(.0))]
pub struct WatchError(notify::Error);

/// Watches `root` (and every folder below it) and sends what happens to `tx`.
pub fn watch(root: &Path, tx: Sender<WatchEvent>) -> Result<Watcher, WatchError> {
    let handler = move |res: notify::Result<notify::Event>| {
        let ev = match res {
            Ok(ev) if ev.need_rescan() => WatchEvent::Rescan,
            // The player and the analysis open files all the time: reading changes nothing.
            Ok(ev) if matches!(ev.kind, EventKind::Access(_)) => return,
            Ok(ev) if ev.paths.is_empty() => return,
            Ok(ev) => WatchEvent::Paths(ev.paths),
            Err(e) => WatchEvent::Error(describe(&e)),
        };
        let _ = tx.send(ev);
    };
    let mut w = notify::recommended_watcher(handler).map_err(WatchError)?;
    w.watch(root, RecursiveMode::Recursive)
        .map_err(WatchError)?;
    Ok(Watcher { _inner: w })
}

/// Events collected until the folder is quiet.
#[derive(Debug, Default)]
pub struct Debounce {
    paths: BTreeSet<PathBuf>,
    rescan: bool,
    first: Option<Instant>,
    last: Option<Instant>,
}

/// What to do once the folder is quiet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    pub paths: Vec<PathBuf>,
    /// Look at the whole folder instead (events were lost, or too many to go one by one).
    pub rescan: bool,
}

impl Debounce {
    /// Takes in one event at `now`; errors are not collected (the caller shows them).
    pub fn add(&mut self, ev: WatchEvent, now: Instant) {
        match ev {
            WatchEvent::Paths(ps) => {
                // A CUE sheet, or an audio file split by one: the scan lists its tracks.
                if ps.iter().any(|p| touches_cue_sheet(p)) {
                    self.paths.clear();
                    self.rescan = true;
                }
                if !self.rescan {
                    self.paths.extend(ps);
                    if self.paths.len() > MAX_PATHS {
                        self.paths.clear();
                        self.rescan = true;
                    }
                }
            }
            WatchEvent::Rescan => {
                self.paths.clear();
                self.rescan = true;
            }
            WatchEvent::Error(_) => return,
        }
        self.first.get_or_insert(now);
        self.last = Some(now);
    }

    /// When the batch is due (nothing pending: never).
    pub fn deadline(&self) -> Option<Instant> {
        let (first, last) = (self.first?, self.last?);
        Some((last + QUIET).min(first + MAX_WAIT))
    }

    pub fn is_due(&self, now: Instant) -> bool {
        self.deadline().is_some_and(|d| now >= d)
    }

    /// The batch, leaving the debounce empty.
    pub fn take(&mut self) -> Batch {
        let b = Batch {
            paths: std::mem::take(&mut self.paths).into_iter().collect(),
            rescan: self.rescan,
        };
        *self = Debounce::default();
        b
    }
}

/// What a batch changed in the store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeReport {
    /// New tracks (new files, or files moved in or renamed), in path order.
    pub added: Vec<TrackId>,
    /// Tracks whose file changed (their genre vectors were dropped).
    pub changed: Vec<TrackId>,
    /// Tracks whose file is gone (deleted, or moved out of the library).
    pub removed: Vec<TrackId>,
    /// Files renamed or moved within the library (old id → new id): the same audio, so they
    /// keep their genre vectors and when they were added.
    pub moved: Vec<(TrackId, TrackId)>,
    /// How many of `moved` stayed in their folder under a new name (renamed, not moved).
    pub renamed: usize,
    /// Files that could not be looked at, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
}

impl ChangeReport {
    /// Nothing in the library changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.changed.is_empty()
            && self.removed.is_empty()
            && self.moved.is_empty()
    }

    /// "2 new, 1 removed" (empty parts left out).
    pub fn summary(&self) -> String {
        let mut parts = vec![];
        let renamed = self.renamed.min(self.moved.len());
        for (n, what) in [
            (self.added.len(), "new"),
            (self.changed.len(), "changed"),
            (self.removed.len(), "removed"),
            (renamed, "renamed"),
            (self.moved.len() - renamed, "moved"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        if !self.unreadable.is_empty() {
            parts.push(format!("{} unreadable, see the log", self.unreadable.len()));
        }
        parts.join(", ")
    }
}

/// Whether `path` is below `root` and no part of it under the root is hidden (the scan skips
/// dot files and dot folders: editors' and downloaders' temporary files live there).
fn in_library(root: &Path, path: &Path) -> bool {
    match path.strip_prefix(root) {
        Ok(rel) => !rel
            .components()
            .any(|c| c.as_os_str().as_bytes().starts_with(b".")),
        Err(_) => false,
    }
}

/// Audio files at or below folder `dir`, as the scan walks them.
fn audio_files_under(dir: &Path, report: &mut ChangeReport) -> Vec<PathBuf> {
    let mut out = vec![];
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().as_bytes().starts_with(b"."));
    for entry in walker {
        match entry {
            Ok(e)
                if e.file_type().is_file()
                    && is_audio_path(e.path())
                    && crate::audio::cue::sheet_for(e.path()).is_none() =>
            {
                out.push(e.into_path())
            }
            Ok(_) => {}
            Err(e) => {
                let path = e
                    .path()
                    .map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
                report.unreadable.push((path, e.to_string()));
            }
        }
    }
    out
}

/// A `.cue` file, or an audio file with a sheet beside it.
fn touches_cue_sheet(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("cue"))
        || (is_audio_path(p) && crate::audio::cue::sheet_for(p).is_some())
}

/// Brings the store in line with the disk at `paths` (as a watcher reported them): new and
/// changed audio files get their tags read, files and folders that are gone take their tracks
/// with them, a folder that appeared (created, or moved in) is walked. Paths outside `root`
/// or hidden are ignored. When the library folder itself is not there (renamed, unmounted:
/// every file seems gone) nothing is changed: [`ScanError::Offline`].
pub fn apply_changes(
    store: &Store,
    root: &Path,
    paths: &[PathBuf],
) -> Result<ChangeReport, ScanError> {
    let known = || crate::library::root::known_tracks(store, root);
    crate::library::root::check(root, known)?;
    let mut report = ChangeReport::default();
    let (files, gone) = look_at(root, paths, &mut report);
    let mut removed = gone_tracks(store, &gone)?;
    let records = read_changed(store, files, &mut removed, &mut report)?;
    // The folder may have gone while the batch was looked at: then nothing is gone.
    crate::library::root::check(root, known)?;
    // A changed file's old vectors describe other audio: drop them before the new record lands.
    store.invalidate_tracks(&report.changed)?;
    for chunk in records.chunks(1000) {
        store.put_tracks(chunk)?;
    }
    // Moved: what was computed goes with the file, then the old name goes.
    store.carry_derived(&report.moved)?;
    // Their listening history is the history thread's to carry (`Event::TracksMoved`); noted
    // first, so a crash before it does loses nothing.
    store.note_moves(&report.moved)?;
    let old_names: Vec<TrackId> = report.moved.iter().map(|(from, _)| *from).collect();
    store.remove_tracks(&old_names)?;
    let mut removed: Vec<TrackId> = removed.into_iter().collect();
    removed.sort();
    store.remove_tracks(&removed)?;
    report.removed = removed;
    report.moved.sort();
    if !report.is_empty() {
        store.flush()?;
    }
    for (p, why) in &report.unreadable {
        tracing::warn!(path = %p.display(), %why, "unreadable while following the disk");
    }
    Ok(report)
}

/// What is at each changed path in the library now: the audio files to read (a folder's
/// walked), and the paths that are gone. What cannot be looked at goes into `report`.
fn look_at(
    root: &Path,
    paths: &[PathBuf],
    report: &mut ChangeReport,
) -> (BTreeSet<PathBuf>, Vec<PathBuf>) {
    let mut files: BTreeSet<PathBuf> = BTreeSet::new();
    let mut gone: Vec<PathBuf> = vec![];
    for p in paths {
        if !in_library(root, p) {
            continue;
        }
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                // The root itself changing (its own attributes) says nothing about the files.
                if p != root {
                    files.extend(audio_files_under(p, report));
                }
            }
            Ok(m) if m.is_file() => {
                if is_audio_path(p) && crate::audio::cue::sheet_for(p).is_none() {
                    files.insert(p.clone());
                }
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => gone.push(p.clone()),
            Err(e) => {
                tracing::warn!(path = %p.display(), error = %e, "cannot look at a changed file");
                report.unreadable.push((p.clone(), e.to_string()));
            }
        }
    }
    (files, gone)
}

/// The tracks that went with `gone`: the track at that path, or every track below it (a
/// folder went).
fn gone_tracks(store: &Store, gone: &[PathBuf]) -> Result<HashSet<TrackId>, StoreError> {
    let mut removed: HashSet<TrackId> = HashSet::new();
    let mut folders = vec![];
    for g in gone {
        let id = TrackId::of_path(g);
        if store.track(id)?.is_some() {
            removed.insert(id);
        } else {
            folders.push(g);
        }
    }
    if !folders.is_empty() {
        for (id, r) in store.tracks()? {
            let path = r.path();
            if folders.iter().any(|f| path.starts_with(f)) && !path.exists() {
                removed.insert(id);
            }
        }
    }
    Ok(removed)
}

/// What a gone file looked like: its size and modification time (a rename or move keeps
/// both), then its name.
type GoneStamps = HashMap<(u64, i64), Vec<(Vec<u8>, TrackId, u64)>>;

/// Which gone track the new file at `path` is, if it is one: the same size and modification
/// time, and the same file name (moved to another folder) or, under another name, the only
/// gone file with that size and time when `path` is the only new one with it (`rename`).
/// Taken out of `gone` when found.
fn moved_from(
    gone: &mut GoneStamps,
    path: &Path,
    stamp: (u64, i64),
    rename: bool,
) -> Option<(TrackId, u64)> {
    let name = path
        .file_name()
        .map(|n| n.as_bytes().to_vec())
        .unwrap_or_default();
    let same = gone.get_mut(&stamp)?;
    let at = match same.iter().position(|(n, _, _)| *n == name) {
        Some(i) => i,
        None if rename && same.len() == 1 => 0,
        None => return None,
    };
    let (_, id, added) = same.swap_remove(at);
    if same.is_empty() {
        gone.remove(&stamp);
    }
    Some((id, added))
}

/// The records of the new and changed `files` (tags read now). A new file that is one of the
/// `removed` tracks under a new name or in another folder ([`moved_from`]) is that track
/// moved: it keeps its date added (and, in [`apply_changes`], what was computed for it), goes
/// into `report.moved` and out of `removed`. The others go into `report.added` and
/// `report.changed`.
fn read_changed(
    store: &Store,
    files: BTreeSet<PathBuf>,
    removed: &mut HashSet<TrackId>,
    report: &mut ChangeReport,
) -> Result<Vec<TrackRecord>, StoreError> {
    let mut gone_stamps: GoneStamps = HashMap::new();
    let mut gone_paths: HashMap<TrackId, PathBuf> = HashMap::new();
    for id in removed.iter() {
        if let Some(r) = store.track(*id)? {
            let name = r.path().file_name().map(|n| n.as_bytes().to_vec());
            gone_stamps.entry((r.size, r.mtime_ns)).or_default().push((
                name.unwrap_or_default(),
                *id,
                r.added_unix,
            ));
            gone_paths.insert(*id, r.path());
        }
    }
    // A new name only counts among new files of one size and time: two such files are not
    // told apart.
    let mut new_stamps: HashMap<(u64, i64), usize> = HashMap::new();
    let mut looked: Vec<(PathBuf, std::fs::Metadata)> = Vec::with_capacity(files.len());
    for path in files {
        match std::fs::metadata(&path) {
            Ok(m) => {
                *new_stamps.entry(file_stamp(&m)).or_default() += 1;
                looked.push((path, m));
            }
            Err(e) => report.unreadable.push((path, e.to_string())),
        }
    }
    let now = now_unix();
    let mut records = vec![];
    for (path, meta) in looked {
        let (size, mtime_ns) = file_stamp(&meta);
        let id = TrackId::of_path(&path);
        let old = store.track(id)?;
        if let Some(o) = &old
            && o.size == size
            && o.mtime_ns == mtime_ns
        {
            continue;
        }
        let (tags, tag_error) = match read_tags(&path) {
            Ok(t) => (t, None),
            Err(e) => {
                tracing::info!(path = %path.display(), error = %e, "tags unreadable");
                (Default::default(), Some(e.to_string()))
            }
        };
        let unique = new_stamps.get(&(size, mtime_ns)).is_some_and(|n| *n == 1);
        let moved = match &old {
            Some(_) => None,
            None => moved_from(&mut gone_stamps, &path, (size, mtime_ns), unique),
        };
        let added_unix = match (&old, moved) {
            (Some(o), _) => o.added_unix,
            (None, Some((from, added))) => {
                report.moved.push((from, id));
                if gone_paths.get(&from).and_then(|p| p.parent()) == path.parent() {
                    report.renamed += 1;
                }
                removed.remove(&from);
                added
            }
            (None, None) => now,
        };
        match (&old, moved) {
            (Some(_), _) => report.changed.push(id),
            (None, None) => report.added.push(id),
            (None, Some(_)) => {}
        }
        records.push(TrackRecord {
            path: path.as_os_str().as_bytes().to_vec(),
            size,
            mtime_ns,
            tags,
            tag_error,
            added_unix,
        });
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_waits_for_quiet_but_not_forever() {
        let t0 = Instant::now();
        let mut d = Debounce::default();
        assert_eq!(d.deadline(), None);
        d.add(WatchEvent::Paths(vec!["/m/a.mp3".into()]), t0);
        assert_eq!(d.deadline(), Some(t0 + QUIET));
        // Events every 100 ms: the batch still comes by MAX_WAIT.
        let mut t = t0;
        for _ in 0..30 {
            t += Duration::from_millis(100);
            d.add(WatchEvent::Paths(vec!["/m/a.mp3".into()]), t);
        }
        assert_eq!(d.deadline(), Some(t0 + MAX_WAIT));
        assert!(d.is_due(t));
        let b = d.take();
        assert_eq!(b.paths, vec![PathBuf::from("/m/a.mp3")]);
        assert!(!b.rescan);
        assert_eq!(d.deadline(), None);
    }

    #[test]
    fn a_cue_sheet_or_a_file_split_by_one_means_rescan() {
        let dir = tempfile::tempdir().unwrap();
        let (plain, split) = (dir.path().join("a.flac"), dir.path().join("live.flac"));
        std::fs::write(&plain, b"x").unwrap();
        std::fs::write(&split, b"x").unwrap();
        std::fs::write(dir.path().join("live.cue"), b"FILE \"live.flac\" WAVE\n").unwrap();
        let t0 = Instant::now();
        let mut d = Debounce::default();
        d.add(WatchEvent::Paths(vec![plain.clone()]), t0);
        assert!(!d.take().rescan);
        d.add(WatchEvent::Paths(vec![split]), t0);
        assert!(d.take().rescan);
        d.add(WatchEvent::Paths(vec![dir.path().join("gone.CUE")]), t0);
        assert!(d.take().rescan);
    }

    #[test]
    fn errors_are_not_batched_and_overflow_means_rescan() {
        let t0 = Instant::now();
        let mut d = Debounce::default();
        d.add(WatchEvent::Error("x".into()), t0);
        assert_eq!(d.deadline(), None);
        d.add(WatchEvent::Paths(vec!["/m/a.mp3".into()]), t0);
        d.add(WatchEvent::Rescan, t0);
        d.add(WatchEvent::Paths(vec!["/m/b.mp3".into()]), t0);
        let b = d.take();
        assert!(b.rescan);
        assert!(b.paths.is_empty());
    }

    #[test]
    fn too_many_paths_become_a_rescan() {
        let t0 = Instant::now();
        let mut d = Debounce::default();
        let many: Vec<PathBuf> = (0..=MAX_PATHS)
            .map(|i| PathBuf::from(format!("/m/{i}.mp3")))
            .collect();
        d.add(WatchEvent::Paths(many), t0);
        let b = d.take();
        assert!(b.rescan);
        assert!(b.paths.is_empty());
    }

    #[test]
    fn hidden_and_outside_paths_are_not_the_library() {
        let root = Path::new("/m");
        assert!(in_library(root, Path::new("/m/a/b.mp3")));
        assert!(!in_library(root, Path::new("/m/.partial/b.mp3")));
        assert!(!in_library(root, Path::new("/m/a/.b.mp3.part")));
        assert!(!in_library(root, Path::new("/other/b.mp3")));
    }
}
