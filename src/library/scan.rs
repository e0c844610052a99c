//! Scanning a music folder into the store: walk (following symlinks, never looping), read tags
//! of new and changed files (size + mtime), drop removed files. Unreadable folders and files and
//! unreadable tags are counted and logged, never fatal. A library folder that is not there
//! (see [`super::root`]) is refused before anything is walked or removed: its tracks are kept.

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde::Serialize;

use super::tags::{Tags, read_tags};
use super::track::{TrackId, TrackRecord};
use crate::audio::cue::{CueError, CueSheet, read_sheet, sheet_for, track_path};
use crate::audio::is_audio_path;
use crate::store::{Store, StoreError, now_unix};

/// Progress of a scan.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanEvent {
    /// Audio files found so far while walking.
    Walking { found: usize },
    /// Tags read for new or changed files.
    Reading { done: usize, total: usize },
}

/// What a scan did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanReport {
    pub root: PathBuf,
    /// Tracks under the root after the scan.
    pub tracks: usize,
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// Files renamed or moved within the library since the last scan (one gone file and one
    /// new file of the same size and modification time): they keep what was computed.
    pub moved: usize,
    /// Those moves, old id → new id.
    #[serde(skip)]
    pub moves: Vec<(TrackId, TrackId)>,
    /// Files whose tags could not be read (kept, shown by file name).
    pub tag_errors: usize,
    /// Folders or files that could not be read, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
    pub secs: f64,
}

/// Why a file's tags are read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Seen {
    New,
    /// Changed since it was recorded (when it entered the library: kept).
    Changed(u64),
    /// Unchanged, recorded (at this time) without the tags this build reads.
    Retag(u64),
    /// A gone track's file under a new name or in another folder (recorded at this time).
    Moved(u64),
}

/// A track of a CUE sheet found by the walk: the audio file's tags (read once for all its
/// tracks) and the sheet.
struct CueTrack {
    tags: std::sync::Arc<Result<Tags, crate::library::tags::TagError>>,
    sheet: std::sync::Arc<CueSheet>,
    index: usize,
}

/// The tracks of the sheet beside `audio`, if there is one: `None` when there is none,
/// an error naming the sheet when it does not hold (the file is then listed whole).
fn cue_tracks(audio: &Path) -> Option<Result<Vec<CueTrack>, CueError>> {
    let sheet = sheet_for(audio)?;
    let tags = read_tags(audio);
    let secs = tags
        .as_ref()
        .ok()
        .and_then(|t| t.duration_ms)
        .map(|ms| ms as f64 / 1000.0);
    Some(read_sheet(&sheet, secs).map(|s| {
        let (tags, sheet) = (std::sync::Arc::new(tags), std::sync::Arc::new(s));
        (0..sheet.tracks.len())
            .map(|index| CueTrack {
                tags: tags.clone(),
                sheet: sheet.clone(),
                index,
            })
            .collect()
    }))
}

/// A sheet's track's tags: the sheet's title, performer and number over the file's tags, its
/// span's length as the duration.
fn cue_track_tags(t: &CueTrack) -> (Tags, Option<String>) {
    let (mut tags, tag_error) = match t.tags.as_ref() {
        Ok(tags) => (tags.clone(), None),
        Err(e) => (Tags::default(), Some(e.to_string())),
    };
    let s = &t.sheet;
    let Some(track) = s.tracks.get(t.index) else {
        return (tags, tag_error);
    };
    let file_secs = tags.duration_ms.map(|ms| ms as f64 / 1000.0);
    tags.title = Some(
        track
            .title
            .clone()
            .unwrap_or_else(|| format!("Track {:02}", track.number)),
    );
    tags.artist = track
        .performer
        .clone()
        .or_else(|| s.performer.clone())
        .or(tags.artist);
    tags.album_artist = s.performer.clone().or(tags.album_artist);
    tags.album = s.title.clone().or(tags.album);
    tags.genre = s.genre.clone().or(tags.genre);
    tags.year = s.year.or(tags.year);
    tags.track_no = Some(track.number);
    tags.duration_ms = s
        .span(t.index)
        .and_then(|sp| sp.len_secs(file_secs))
        .map(|secs| (secs * 1000.0).round() as u64);
    (tags, tag_error)
}

/// Size and modification time (ns) of a file.
pub fn file_stamp(meta: &std::fs::Metadata) -> (u64, i64) {
    use std::os::unix::fs::MetadataExt;
    (meta.len(), meta.mtime() * 1_000_000_000 + meta.mtime_nsec())
}

/// Why a scan did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The library folder is not there: nothing was changed.
    #[error(transparent)]
    Offline(#[from] super::root::Offline),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Scans `root` into `store`. `threads` read tags in parallel. A moved file keeps what was
/// computed for it and what the listener did with it (`Store::carry_listening`).
pub fn scan(
    store: &Store,
    root: &Path,
    threads: usize,
    progress: &(dyn Fn(ScanEvent) + Sync),
) -> Result<ScanReport, ScanError> {
    scan_with(store, root, threads, progress, Listening::Carry)
}

/// What a scan does with the listening history of moved files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listening {
    /// Carries it to the new track ids itself (nothing else writes the history).
    Carry,
    /// Leaves it to the caller, who owns the history's writes (the running player: its history
    /// thread gets the report's `moves`).
    LeaveToCaller,
}

/// [`scan`], with the moved files' history carried or left to the caller.
pub fn scan_with(
    store: &Store,
    root: &Path,
    threads: usize,
    progress: &(dyn Fn(ScanEvent) + Sync),
    listening: Listening,
) -> Result<ScanReport, ScanError> {
    let t0 = Instant::now();
    let root = std::fs::canonicalize(root)
        .or_else(|_| std::path::absolute(root))
        .unwrap_or_else(|_| root.to_path_buf());
    let mut report = ScanReport {
        root: root.clone(),
        ..Default::default()
    };
    let mut known = known_under(store, &root)?;
    // Not there (or an empty mount point where tracks were): nothing is taken for deleted.
    let known_here = known.len();
    super::root::check(&root, || known_here)?;

    let mut to_read = walk(&root, &mut known, &mut report, progress);
    let moves = find_moves(&mut to_read, &mut known);

    // Whatever is left in `known` is gone from disk, unless the folder itself went during
    // the walk.
    super::root::check(&root, || known_here)?;
    let removed: Vec<TrackId> = known.keys().copied().collect();
    report.removed = removed.len();
    store.remove_tracks(&removed)?;

    let records = read_records(&to_read, threads, progress);
    report.tag_errors = records.iter().filter(|r| r.tag_error.is_some()).count();
    let changed: Vec<TrackId> = to_read
        .iter()
        .filter(|t| matches!(t.seen, Seen::Changed(_)))
        .map(|t| TrackId::of_path(&t.path))
        .collect();
    report.changed = changed.len();
    report.new = to_read.iter().filter(|t| t.seen == Seen::New).count();
    // A changed file's old vectors describe other audio: drop them before the new record lands.
    store.invalidate_tracks(&changed)?;
    for chunk in records.chunks(1000) {
        store.put_tracks(chunk)?;
    }
    // Moved: what was computed goes with the file, then the old name goes.
    store.carry_derived(&moves)?;
    match listening {
        Listening::Carry => {
            // With any a player noted and did not carry (it ended first), in their order.
            let mut all = store.pending_moves()?;
            all.extend_from_slice(&moves);
            store.carry_listening(&all)?;
        }
        Listening::LeaveToCaller => store.note_moves(&moves)?,
    }
    let old_names: Vec<TrackId> = moves.iter().map(|(from, _)| *from).collect();
    store.remove_tracks(&old_names)?;
    report.moved = moves.len();
    report.moves = moves;
    store.meta_set("library_root", &root.to_string_lossy())?;
    store.flush()?;
    report.tracks = report.unchanged + report.new + report.changed + report.moved;
    report.secs = t0.elapsed().as_secs_f64();
    Ok(report)
}

/// What the store already has of a track under the root: only what the walk compares (the
/// library may hold 50,000).
struct Known {
    stamp: (u64, i64),
    /// Recorded by a build that did not read ReplayGain tags.
    retag: bool,
    added_unix: u64,
}

/// The tracks the store has under `root`.
fn known_under(store: &Store, root: &Path) -> Result<HashMap<TrackId, Known>, StoreError> {
    let mut known: HashMap<TrackId, Known> = HashMap::new();
    store.for_each_track(|id, r| {
        if r.path().starts_with(root) {
            let retag = r.tags.replaygain.is_none() && r.tag_error.is_none();
            known.insert(
                id,
                Known {
                    stamp: (r.size, r.mtime_ns),
                    retag,
                    added_unix: r.added_unix,
                },
            );
        }
    })?;
    Ok(known)
}

/// The new files that are gone tracks under a new name or in another folder: the only new
/// file and the only gone track with one size and modification time (a rename or a move
/// keeps both; CUE sheet tracks are left alone). They are marked [`Seen::Moved`] and taken
/// out of `known`; the moves are returned, old id → new id.
fn find_moves(
    to_read: &mut [ToRead],
    known: &mut HashMap<TrackId, Known>,
) -> Vec<(TrackId, TrackId)> {
    let mut gone: HashMap<(u64, i64), Vec<TrackId>> = HashMap::new();
    for (id, k) in known.iter() {
        gone.entry(k.stamp).or_default().push(*id);
    }
    let mut new: HashMap<(u64, i64), usize> = HashMap::new();
    for t in to_read
        .iter()
        .filter(|t| t.seen == Seen::New && t.cue.is_none())
    {
        *new.entry((t.size, t.mtime_ns)).or_default() += 1;
    }
    let mut moves = vec![];
    for t in to_read.iter_mut() {
        let stamp = (t.size, t.mtime_ns);
        if t.seen != Seen::New || t.cue.is_some() || new.get(&stamp) != Some(&1) {
            continue;
        }
        let Some([from]) = gone.get(&stamp).map(Vec::as_slice) else {
            continue;
        };
        if let Some(k) = known.remove(from) {
            moves.push((*from, TrackId::of_path(&t.path)));
            t.seen = Seen::Moved(k.added_unix);
        }
    }
    moves.sort();
    moves
}

/// A track whose tags the scan reads: a file, or a CUE sheet's track in one.
struct ToRead {
    path: PathBuf,
    size: u64,
    mtime_ns: i64,
    seen: Seen,
    cue: Option<CueTrack>,
}

/// Walks `root` (following symlinks, skipping hidden entries) for the tracks to read: new,
/// changed, or recorded without the tags this build reads. Every track found is taken out
/// of `known`, so what is left there is gone; what cannot be read goes into `report`.
fn walk(
    root: &Path,
    known: &mut HashMap<TrackId, Known>,
    report: &mut ScanReport,
    progress: &(dyn Fn(ScanEvent) + Sync),
) -> Vec<ToRead> {
    let mut to_read = Vec::new();
    let mut found = 0usize;
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().as_bytes().starts_with(b"."));
    for entry in walker {
        let Some((path, meta)) = audio_file(entry, root, report) else {
            continue;
        };
        found += 1;
        if found.is_multiple_of(500) {
            progress(ScanEvent::Walking { found });
        }
        let (size, mtime_ns) = file_stamp(&meta);
        for (path, mtime_ns, cue) in tracks_of(path, mtime_ns, report) {
            let id = TrackId::of_path(&path);
            let seen = match known.remove(&id) {
                // Unchanged, but recorded by a build that did not read ReplayGain tags: its
                // tags are read again (what was computed for it stays).
                Some(old) if old.stamp == (size, mtime_ns) && old.retag => {
                    report.unchanged += 1;
                    Seen::Retag(old.added_unix)
                }
                Some(old) if old.stamp == (size, mtime_ns) => {
                    report.unchanged += 1;
                    continue;
                }
                Some(old) => Seen::Changed(old.added_unix),
                None => Seen::New,
            };
            to_read.push(ToRead {
                path,
                size,
                mtime_ns,
                seen,
                cue,
            });
        }
    }
    progress(ScanEvent::Walking { found });
    to_read
}

/// A walked entry that is a readable regular audio file, with its metadata; anything else
/// named like audio that cannot be read (a walk error, a FIFO, a device) goes into `report`.
fn audio_file(
    entry: walkdir::Result<walkdir::DirEntry>,
    root: &Path,
    report: &mut ScanReport,
) -> Option<(PathBuf, std::fs::Metadata)> {
    let entry = match entry {
        Ok(e) => e,
        Err(e) => {
            let path = e
                .path()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| root.to_path_buf());
            let reason = if e.loop_ancestor().is_some() {
                "symlink loop (not followed)".to_string()
            } else {
                e.io_error()
                    .map(|io| io.to_string())
                    .unwrap_or_else(|| e.to_string())
            };
            tracing::warn!(path = %path.display(), %reason, "cannot read");
            report.unreadable.push((path, reason));
            return None;
        }
    };
    if !is_audio_path(entry.path()) {
        return None;
    }
    if !entry.file_type().is_file() {
        // A FIFO, device or socket named like music is listed with what it is (never
        // opened: a FIFO would block); a folder named `x.mp3` is walked like any folder.
        if !entry.file_type().is_dir()
            && let Ok(meta) = std::fs::metadata(entry.path())
            && let Some(kind) = crate::audio::header::non_regular_kind(&meta)
        {
            let path = entry.into_path();
            tracing::warn!(path = %path.display(), kind, "not a regular file");
            report
                .unreadable
                .push((path, format!("not a regular file: {kind}")));
        }
        return None;
    }
    let path = entry.into_path();
    match std::fs::metadata(&path) {
        Ok(m) => Some((path, m)),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot stat");
            report.unreadable.push((path, e.to_string()));
            None
        }
    }
}

/// The tracks of an audio file, with the mtime each is compared by: a CUE sheet's tracks
/// when one beside it holds (the sheet's changes count as the file's), else the file whole
/// (a sheet that does not hold goes into `report`).
fn tracks_of(
    path: PathBuf,
    mtime_ns: i64,
    report: &mut ScanReport,
) -> Vec<(PathBuf, i64, Option<CueTrack>)> {
    match cue_tracks(&path) {
        Some(Ok(tracks)) => {
            let sheet_mtime = sheet_for(&path)
                .and_then(|s| std::fs::metadata(s).ok())
                .map_or(0, |m| file_stamp(&m).1);
            let stamp = mtime_ns.max(sheet_mtime);
            tracks
                .into_iter()
                .filter_map(|t| {
                    let number = t.sheet.tracks.get(t.index)?.number;
                    Some((track_path(&path, number), stamp, Some(t)))
                })
                .collect()
        }
        Some(Err(e)) => {
            tracing::warn!("{e}; the file is listed whole");
            report.unreadable.push((e.path.clone(), e.reason.clone()));
            vec![(path, mtime_ns, None)]
        }
        None => vec![(path, mtime_ns, None)],
    }
}

/// Reads the tags of `to_read` on `threads` threads (in no particular order).
fn read_records(
    to_read: &[ToRead],
    threads: usize,
    progress: &(dyn Fn(ScanEvent) + Sync),
) -> Vec<TrackRecord> {
    let total = to_read.len();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let records = std::sync::Mutex::new(Vec::with_capacity(total));
    let now = now_unix();
    let read_all = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = to_read.get(i) else {
                return;
            };
            let rec = record_of(item, now);
            if let Ok(mut r) = records.lock() {
                r.push(rec);
            }
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(100) || n == total {
                progress(ScanEvent::Reading { done: n, total });
            }
        }
    };
    std::thread::scope(|s| {
        // A thread the system will not start (its limit on threads) leaves the work to the
        // others, or to this one.
        let mut started = 0;
        for _ in 0..threads.clamp(1, total.max(1)) {
            match std::thread::Builder::new().spawn_scoped(s, read_all) {
                Ok(_) => started += 1,
                Err(e) => {
                    tracing::warn!("scan: cannot start a thread to read tags: {e}");
                    break;
                }
            }
        }
        if started == 0 {
            read_all();
        }
    });
    records.into_inner().unwrap_or_default()
}

/// A track's record with its tags read now (`now`: when a new track was added).
fn record_of(item: &ToRead, now: u64) -> TrackRecord {
    let path = &item.path;
    let (tags, tag_error) = match &item.cue {
        Some(t) => cue_track_tags(t),
        None => match read_tags(path) {
            Ok(t) => (t, None),
            Err(e) => {
                tracing::info!(path = %path.display(), error = %e, "tags unreadable");
                (Default::default(), Some(e.to_string()))
            }
        },
    };
    TrackRecord {
        path: path.as_os_str().as_bytes().to_vec(),
        size: item.size,
        mtime_ns: item.mtime_ns,
        tags,
        tag_error,
        added_unix: match item.seen {
            Seen::Retag(added) | Seen::Changed(added) | Seen::Moved(added) => added,
            _ => now,
        },
    }
}
