//! Remote control, the app's side: what `genreplay ctl` may ask ([`RemoteCommand`]), how each
//! request maps onto the session's own operations (the same ones the keys use), and the status
//! it answers with ([`PlayerStatus`]). Pure like the rest of the app: a request arrives as
//! `Event::Remote`, its answer leaves as `Effect::RemoteReply`; the socket and everything
//! hostile about it belong to the service layer (`service::remote`).

use std::path::{Path, PathBuf};

pub mod protocol;

pub use protocol::*;

use crate::app::catalog::TrackInfo;
use crate::app::event::Effect;
use crate::app::play_queue::Repeat;
use crate::app::session::Session;
use crate::audio::player::PlayerCommand;
use crate::library::TrackId;
use crate::store::history::Rating;

/// The loudest the player goes (percent), as the volume keys allow.
pub const MAX_VOLUME: i32 = 150;

/// Seeks beyond this (seconds, either way) are refused as nonsense rather than clamped.
const MAX_SEEK_SECS: f64 = 24.0 * 3600.0;

/// Why a request was refused: the message the client is answered with (`ok: false`), as the
/// session's operations word it for the person who typed the `ctl` command.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

impl From<&str> for Refused {
    fn from(m: &str) -> Self {
        Refused(m.to_string())
    }
}

impl From<String> for Refused {
    fn from(m: String) -> Self {
        Refused(m)
    }
}

/// Carries out `req` on the session and queues its answer as an effect.
pub fn handle(s: &mut Session, req: RemoteRequest) {
    let (ok, message) = match apply(s, req.command) {
        Ok(m) => (true, m),
        Err(Refused(m)) => (false, m),
    };
    let reply = RemoteReply {
        ok,
        message,
        status: status(s),
    };
    s.push(Effect::RemoteReply(req.reply, Box::new(reply)));
}

/// Asks the service to look at the library folder again (the rescan key and `ctl rescan`).
pub fn rescan(s: &mut Session) {
    s.push(Effect::Rescan);
    s.set_status("rescanning the library…", false);
}

/// The player's status as a remote client sees it.
pub fn status(s: &Session) -> PlayerStatus {
    let p = &s.playback;
    let state = match (p.track, p.paused) {
        (None, _) => PlayState::Stopped,
        (Some(_), true) => PlayState::Paused,
        (Some(_), false) => PlayState::Playing,
    };
    let track = p.track.map(|id| match s.lib.track(id) {
        Some(t) => {
            let genre = s.lib.genre_of(id);
            TrackStatus {
                path: t.path.to_string_lossy().into_owned(),
                title: t.title.clone(),
                artist: t.artist.clone(),
                album: t.album.clone(),
                duration_secs: p.duration_secs.or(t.duration_secs),
                genre: genre.map(|(g, _)| g.to_string()),
                confidence: genre.map(|(_, c)| c),
                rating: s.rating_of(id).name().map(str::to_string),
            }
        }
        // Playing a file the catalog no longer has (removed from disk while it plays).
        None => TrackStatus {
            path: String::new(),
            title: "(not in the library)".into(),
            artist: String::new(),
            album: String::new(),
            duration_secs: p.duration_secs,
            genre: None,
            confidence: None,
            rating: None,
        },
    });
    PlayerStatus {
        state,
        track,
        position_secs: if p.track.is_some() {
            p.position_secs.max(0.0)
        } else {
            0.0
        },
        volume: p.volume,
        muted: p.muted,
        shuffle: s.shuffle,
        repeat: repeat_name(s.repeat).into(),
        auto_dj: s.auto_dj,
        queue: paths_of(s, s.queue.up_next.iter().map(|e| e.track)),
        context: s.queue.context.as_ref().map(|c| ContextStatus {
            label: c.label.clone(),
            remaining: paths_of(s, c.remaining().take(STATUS_CONTEXT_PATHS)),
            remaining_count: c.remaining_indices().count(),
        }),
    }
}

fn paths_of(s: &Session, ids: impl Iterator<Item = TrackId>) -> Vec<String> {
    ids.filter_map(|id| s.lib.track(id))
        .map(|t| t.path.to_string_lossy().into_owned())
        .collect()
}

/// Stable names for scripts (the UI's labels may change).
fn repeat_name(r: Repeat) -> &'static str {
    match r {
        Repeat::Off => "off",
        Repeat::All => "all",
        Repeat::One => "one",
    }
}

fn describe(t: &TrackInfo) -> String {
    if t.has_artist() {
        format!("{} — {}", t.artist, t.title)
    } else {
        t.title.clone()
    }
}

fn now_playing(s: &Session) -> String {
    match s.playback.track.and_then(|id| s.lib.track(id)) {
        Some(t) => format!("playing {}", describe(t)),
        None => "stopped".into(),
    }
}

fn apply(s: &mut Session, cmd: RemoteCommand) -> Result<String, Refused> {
    if matches!(
        cmd,
        RemoteCommand::Play | RemoteCommand::Toggle | RemoteCommand::Next | RemoteCommand::Prev
    ) {
        // As for the keys: the user starts something, earlier failures no longer count.
        s.reset_play_errors();
    }
    match cmd {
        RemoteCommand::Play => play(s),
        RemoteCommand::Pause => {
            if s.playback.track.is_some() {
                s.push(Effect::Player(PlayerCommand::Pause));
                Ok("paused".into())
            } else {
                Err("nothing is playing".into())
            }
        }
        RemoteCommand::Toggle => toggle(s),
        RemoteCommand::Next => next(s),
        RemoteCommand::Prev => {
            s.previous();
            if s.playback.track.is_some() {
                Ok(now_playing(s))
            } else {
                Err("nothing is playing".into())
            }
        }
        RemoteCommand::Stop => {
            s.stop();
            Ok("stopped".into())
        }
        RemoteCommand::Seek { secs, relative } => seek(s, secs, relative),
        RemoteCommand::Volume { percent, relative } => volume(s, percent, relative),
        RemoteCommand::SetPosition { track, secs } => set_position(s, track, secs),
        RemoteCommand::Shuffle { on } => {
            s.set_shuffle(on);
            Ok(format!("shuffle {}", if on { "on" } else { "off" }))
        }
        RemoteCommand::Repeat { mode } => match Repeat::from_label(&mode) {
            Some(r) => {
                s.set_repeat(r);
                Ok(format!("repeat {}", r.label()))
            }
            None => Err(Refused(format!("repeat is off, all or one, not {mode:?}"))),
        },
        // The app quits after answering (`App::update`).
        RemoteCommand::Quit => Ok("quitting".into()),
        RemoteCommand::Add { paths } => add(s, &paths),
        RemoteCommand::PlaylistAdd { name, paths } => playlist_add(s, name, &paths),
        RemoteCommand::PlayFile { path } => play_file(s, &path),
        RemoteCommand::AutoDj { on } => {
            if s.auto_dj != on {
                s.toggle_auto_dj(s.playback.track);
            }
            Ok(format!("auto-DJ {}", if on { "on" } else { "off" }))
        }
        RemoteCommand::Rate { rating, path } => rate(s, rating, path),
        RemoteCommand::Status => Ok(String::new()),
        RemoteCommand::Rescan => {
            rescan(s);
            Ok("rescanning the library".into())
        }
        // The app runs command lines itself (`App::remote_command`): they may reach the views.
        RemoteCommand::Command { .. } => Err("a command line goes to the app, not here".into()),
    }
}

/// `play`: resumes what is paused, or starts the queue.
fn play(s: &mut Session) -> Result<String, Refused> {
    if s.playback.track.is_some() {
        s.push(Effect::Player(PlayerCommand::Play));
        Ok(now_playing(s))
    } else if s.toggle_pause() {
        Ok(now_playing(s))
    } else {
        Err("nothing to play: the queue is empty".into())
    }
}

/// `toggle`: pauses what plays, else plays.
fn toggle(s: &mut Session) -> Result<String, Refused> {
    let was_playing = s.playback.track.is_some() && !s.playback.paused;
    if !s.toggle_pause() {
        return Err("nothing to play: the queue is empty".into());
    }
    Ok(if was_playing {
        "paused".into()
    } else {
        now_playing(s)
    })
}

/// `next`: the next track, or the end of the queue.
fn next(s: &mut Session) -> Result<String, Refused> {
    if s.playback.track.is_none() && s.queue.current_track().is_none() && !s.queue.has_upcoming() {
        return Err("nothing to play: the queue is empty".into());
    }
    let before = s.playback.track;
    s.next_track(true);
    match (before, s.playback.track) {
        (_, Some(_)) => Ok(now_playing(s)),
        (Some(_), None) => Ok("end of the queue: stopped".into()),
        (None, None) => Err("nothing to play: the queue is empty".into()),
    }
}

/// `seek`: by `secs` (relative) or to `secs`, within bounds.
fn seek(s: &mut Session, secs: f64, relative: bool) -> Result<String, Refused> {
    if !secs.is_finite() || secs.abs() > MAX_SEEK_SECS {
        return Err(Refused(format!("cannot seek by {secs} s")));
    }
    if s.playback.track.is_none() {
        return Err("nothing is playing".into());
    }
    if relative {
        s.seek_by(secs);
        Ok(format!("seek {secs:+} s"))
    } else if secs < 0.0 {
        Err("a position is 0 s or more (use +S or -S to seek by S)".into())
    } else {
        s.seek_to(secs);
        Ok(format!("seek to {}", crate::util::time::fmt_time(secs)))
    }
}

/// `volume`: by `percent` (relative) or to `percent`, 0 to [`MAX_VOLUME`].
fn volume(s: &mut Session, percent: i32, relative: bool) -> Result<String, Refused> {
    let current = i32::from(s.playback.volume);
    let target = if relative {
        if !(-MAX_VOLUME..=MAX_VOLUME).contains(&percent) {
            return Err(Refused(format!("cannot change the volume by {percent}")));
        }
        (current + percent).clamp(0, MAX_VOLUME)
    } else if (0..=MAX_VOLUME).contains(&percent) {
        percent
    } else {
        return Err(Refused(format!(
            "the volume goes from 0 to {MAX_VOLUME} (percent), not {percent}"
        )));
    };
    // As the keys: a volume change unmutes.
    s.change_volume(target - current);
    Ok(format!("volume {}%", s.playback.volume))
}

/// MPRIS' `SetPosition`: a seek that only holds while `track` still plays.
fn set_position(s: &mut Session, track: TrackId, secs: f64) -> Result<String, Refused> {
    if s.playback.track != Some(track) {
        return Err("that track is no longer playing".into());
    }
    let end = s.playback.duration_secs.unwrap_or(f64::MAX);
    if !secs.is_finite() || secs < 0.0 || secs > end {
        return Err(Refused(format!("{secs} s is not a position in this track")));
    }
    s.seek_to(secs);
    Ok(format!("seek to {}", crate::util::time::fmt_time(secs)))
}

/// `play FILE`: its album from that track on.
fn play_file(s: &mut Session, path: &Path) -> Result<String, Refused> {
    let id = one_track(s, path)?;
    let Some((tracks, start, label)) = s.lib.album_of(id) else {
        return Err(Refused(format!("{}: not in the library", path.display())));
    };
    s.reset_play_errors();
    s.play_tracks(tracks, start, label);
    Ok(now_playing(s))
}

/// `like`/`dislike`/`unrate [FILE]`: the file's track, or the one playing.
fn rate(s: &mut Session, rating: Rating, path: Option<PathBuf>) -> Result<String, Refused> {
    let id = match path {
        Some(p) => one_track(s, &p)?,
        None => s
            .playback
            .track
            .ok_or("nothing is playing: name a file to rate")?,
    };
    s.rate(Some(id), rating);
    let title = s.lib.track(id).map(describe).unwrap_or_default();
    Ok(match rating {
        Rating::Like => format!("liked {title}"),
        Rating::Dislike => format!("disliked {title}"),
        Rating::None => format!("{title}: no rating"),
    })
}

/// The most names one `add` may carry (as many as up next holds); a folder counts once.
pub const MAX_ADD_PATHS: usize = super::play_queue::MAX_UP_NEXT;
/// The longest path the player looks up (the system's own limit).
pub const MAX_PATH_BYTES: usize = 4096;
/// Names an error lists one by one; the rest are counted.
const LISTED: usize = 10;

/// The library tracks `path` stands for: the track itself, or every track under a folder
/// (in the library's order). A hash for a file, a binary search for a folder: never a walk
/// through the library, so thousands of names cost milliseconds.
fn tracks_for(s: &Session, path: &Path) -> Vec<TrackId> {
    if let Some(t) = s.lib.by_path(path) {
        return vec![t.id];
    }
    if !path.starts_with(&s.lib.root) && !s.lib.root.starts_with(path) {
        // Outside the library: nothing under it can be a track.
        return Vec::new();
    }
    s.lib.under(path)
}

/// The library track at `path` (one file; a client may send anything: bounded here too).
fn one_track(s: &Session, path: &Path) -> Result<TrackId, Refused> {
    if path.as_os_str().len() > MAX_PATH_BYTES {
        return Err(Refused(format!(
            "a name of {} bytes; a path has at most {MAX_PATH_BYTES}",
            path.as_os_str().len()
        )));
    }
    match s.lib.by_path(path) {
        Some(t) => Ok(t.id),
        None if path.starts_with(&s.lib.root) => Err(Refused(format!(
            "{}: not a track of the library (yet: `genreplay ctl rescan` looks now)",
            path.display()
        ))),
        None => Err(Refused(format!(
            "{}: not in the library (the player's library is {})",
            path.display(),
            s.lib.root.display()
        ))),
    }
}

/// The longest playlist name `playlist-add` takes (bytes).
const MAX_PLAYLIST_NAME: usize = 255;

/// `playlist-add NAME PATH...`: the tracks of the paths go to the end of the playlist `NAME`
/// (the service writes the file and says on the status line what it did).
fn playlist_add(s: &mut Session, name: String, paths: &[PathBuf]) -> Result<String, Refused> {
    let name = name.trim().to_string();
    if name.is_empty() || name.len() > MAX_PLAYLIST_NAME || name.chars().any(char::is_control) {
        return Err(Refused(format!(
            "a playlist's name: 1 to {MAX_PLAYLIST_NAME} bytes, no control characters"
        )));
    }
    if paths.is_empty() || paths.len() > MAX_ADD_PATHS {
        return Err(Refused(format!(
            "name 1 to {MAX_ADD_PATHS} files or folders of the library"
        )));
    }
    if paths.iter().any(|p| p.as_os_str().len() > MAX_PATH_BYTES) {
        return Err(Refused(format!(
            "a path has at most {MAX_PATH_BYTES} bytes"
        )));
    }
    let most = crate::playlist::format::MAX_ENTRIES;
    let mut ids: Vec<TrackId> = Vec::new();
    let mut missing = 0usize;
    for p in paths {
        let found = tracks_for(s, p);
        if found.is_empty() {
            missing += 1;
        }
        ids.extend(found.into_iter().take(most.saturating_sub(ids.len())));
    }
    if ids.is_empty() {
        return Err(Refused("none of these is a track of the library".into()));
    }
    let entries = s.entries_of(&ids);
    let what = format!(
        "adding {} to the playlist \"{name}\"{}",
        crate::app::session::tracks_n(ids.len()),
        match missing {
            0 => String::new(),
            n => format!(
                " ({n} name{} not in the library)",
                if n == 1 { "" } else { "s" }
            ),
        }
    );
    s.push(Effect::AddToPlaylist { name, entries });
    Ok(what)
}

fn add(s: &mut Session, paths: &[PathBuf]) -> Result<String, Refused> {
    if paths.is_empty() {
        return Err("add what? name files or folders of the library".into());
    }
    // A client may skip `genreplay ctl` and send anything: the bounds hold here too.
    if paths.len() > MAX_ADD_PATHS {
        return Err(Refused(format!(
            "{} names in one add; at most {MAX_ADD_PATHS} (name their folders instead)",
            paths.len()
        )));
    }
    if let Some(p) = paths.iter().find(|p| p.as_os_str().len() > MAX_PATH_BYTES) {
        return Err(Refused(format!(
            "a name of {} bytes; a path has at most {MAX_PATH_BYTES}",
            p.as_os_str().len()
        )));
    }
    // Only as many tracks as up next has room for are ever collected: a folder named ten
    // thousand times (or the whole library) is looked up until up next is full, and the
    // names after that are not looked at.
    let room = s.queue.room();
    let mut ids = Vec::new();
    let mut missing = Vec::new();
    let (mut over, mut unread) = (0usize, 0usize);
    for p in paths {
        if ids.len() >= room {
            unread += 1;
            continue;
        }
        let found = tracks_for(s, p);
        if found.is_empty() {
            missing.push(p);
        }
        let take = room - ids.len();
        over += found.len().saturating_sub(take);
        ids.extend(found.into_iter().take(take));
    }
    // What was found is queued even when some names were not.
    let added = s.enqueue(ids, false);
    let mut what = format!(
        "{added} track{} added to the queue",
        if added == 1 { "" } else { "s" }
    );
    let full = over + unread > 0;
    if full {
        let mut left = vec![];
        if over > 0 {
            left.push(format!(
                "{over} more track{}",
                if over == 1 { "" } else { "s" }
            ));
        }
        if unread > 0 {
            left.push(format!(
                "{unread} more name{}",
                if unread == 1 { "" } else { "s" }
            ));
        }
        what = format!(
            "{what}; up next is full ({}): {} not added",
            super::play_queue::MAX_UP_NEXT,
            left.join(" and ")
        );
    }
    if missing.is_empty() {
        return if full { Err(Refused(what)) } else { Ok(what) };
    }
    let root = s.lib.root.clone();
    let mut why: Vec<String> = missing
        .iter()
        .take(LISTED)
        .map(|p| {
            if p.starts_with(&root) {
                format!(
                    "{}: not in the library yet (new files show up within seconds; `genreplay ctl rescan` looks now)",
                    p.display()
                )
            } else {
                format!(
                    "{}: not in the library (the player's library is {})",
                    p.display(),
                    root.display()
                )
            }
        })
        .collect();
    if missing.len() > LISTED {
        why.push(format!(
            "and {} more names not in the library",
            missing.len() - LISTED
        ));
    }
    Err(Refused(if added > 0 || full {
        format!("{what}; {}", why.join("; "))
    } else {
        why.join("; ")
    }))
}
