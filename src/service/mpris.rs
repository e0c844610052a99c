//! One concern at ~715 lines: MPRIS' two interfaces (the properties and methods the
//! specification fixes), the thread that serves them and the snapshot it keeps.
//!
//! MPRIS 2 on the D-Bus session bus: media keys, the desktop's player widget and `playerctl`
//! see and drive the player as `org.mpris.MediaPlayer2.genreplay`
//! (`org.mpris.MediaPlayer2.genreplay.instance<pid>` when another genreplay has that name).
//!
//! The D-Bus side runs on its own thread (`mpris`) under zbus's small executor
//! (`zbus::block_on`, no other async runtime); the UI thread never waits for it.
//!
//! - **Calls from the bus** (Next, `Volume = 0.5`, `LoopStatus = "Track"`, Quit…) become the same
//!   `Event::Remote` requests as `genreplay ctl`'s, carried out by the app with the session's
//!   own operations (the ones the keys use); a method returns once the app has answered.
//! - **The other way**, the UI thread takes a [`MediaState`] snapshot after each batch of events
//!   (`service::media_feed`, shared with `ctl events`) and [`Mpris::sync`] sends it over a
//!   channel when it differs from the last one. The thread
//!   keeps it for property reads (the position is extrapolated from when it was taken), and
//!   emits `PropertiesChanged` for what changed and `Seeked` after a seek.
//!
//! Without a session bus (no `DBUS_SESSION_BUS_ADDRESS` and nothing at
//! `$XDG_RUNTIME_DIR/bus`, or the bus refuses us) the thread logs one line and ends; the
//! player goes on without it, and [`Mpris::sync`] then costs nothing.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use mpris_server::zbus::{self, fdo};
use mpris_server::{
    LoopStatus, Metadata, PlaybackRate, PlaybackStatus, PlayerInterface, Property, RootInterface,
    Server, Signal, Time, TrackId as MprisTrackId, Volume,
};

use crate::app::Event;
use crate::app::media::{MediaState, MediaTrack};
use crate::app::play_queue::Repeat;
use crate::app::remote::{
    MAX_VOLUME, PlayState, RemoteCommand, RemoteReply, RemoteRequest, ReplyTo,
};
use crate::library::TrackId;
use crate::library::art::CoverSource;
use crate::service::art_cache;
use crate::service::media_feed::MediaUpdate;

/// The bus name's suffix: `org.mpris.MediaPlayer2.genreplay`.
pub const BUS_NAME_SUFFIX: &str = "genreplay";
/// Where the tracks' ids live (`mpris:trackid`): `/org/genreplay/track/<16 hex digits>`.
pub const TRACK_PATH: &str = "/org/genreplay/track/";
/// Tracks whose cover lookup is remembered.
const COVER_CACHE: usize = 256;

enum Msg {
    State(MediaState),
    Seeked(f64),
    /// The answer to a call from the bus, sent after the state of the batch that made it.
    Reply(ReplyTo, Box<RemoteReply>),
    Stop,
}

/// The UI thread's end: takes snapshots, sends changes, and stops the thread.
pub struct Mpris {
    tx: async_channel::Sender<Msg>,
    done: Receiver<()>,
    /// Answers to calls from the bus, until the batch's snapshot is sent.
    replies: Vec<(ReplyTo, Box<RemoteReply>)>,
}

impl Mpris {
    /// Starts the D-Bus thread; calls from the bus reach the app over `events`.
    /// `art_dir`: where embedded covers are written for `mpris:artUrl` (the cache's `art`).
    pub fn start(events: Sender<Event>, art_dir: Option<PathBuf>) -> std::io::Result<Mpris> {
        let (tx, rx) = async_channel::unbounded();
        let (done_tx, done) = crossbeam_channel::bounded(1);
        std::thread::Builder::new()
            .name("mpris".into())
            .spawn(move || {
                serve(rx, events, art_dir);
                let _ = done_tx.send(());
            })?;
        Ok(Mpris {
            tx,
            done,
            replies: vec![],
        })
    }

    /// Whether the bus side is still there (false once it found no session bus).
    pub fn is_running(&self) -> bool {
        !self.tx.is_closed()
    }

    /// Keeps the answer to a call from the bus until [`Mpris::sync`] has sent the snapshot
    /// of this batch (it goes out after it).
    pub fn hold_reply(&mut self, to: ReplyTo, reply: Box<RemoteReply>) {
        self.replies.push((to, reply));
    }

    /// After a batch of events: sends what media controls see when it changed (and `Seeked`
    /// after a seek), then the answers to the batch's calls from the bus. Never blocks.
    pub fn sync(&mut self, u: &MediaUpdate) {
        if !self.is_running() {
            // Nobody waits on the bus side any more; answer directly (they are dropped).
            for (to, r) in self.replies.drain(..) {
                to.send(*r);
            }
            return;
        }
        if u.changed() {
            let _ = self.tx.try_send(Msg::State(u.now.clone()));
        }
        if u.seeked {
            let _ = self.tx.try_send(Msg::Seeked(u.now.position_secs));
        }
        for (to, r) in self.replies.drain(..) {
            let _ = self.tx.try_send(Msg::Reply(to, r));
        }
    }

    /// Releases the bus name; waits up to `wait` for the thread to finish.
    pub fn stop(&mut self, wait: Duration) {
        if self.tx.try_send(Msg::Stop).is_ok() {
            let _ = self.done.recv_timeout(wait);
        }
        self.tx.close();
    }
}

impl Drop for Mpris {
    fn drop(&mut self) {
        self.tx.close();
    }
}

// ------------------------------------------------------------------ the bus side

/// What property reads answer from: the last snapshot and when it was taken.
struct Shared {
    state: MediaState,
    at: Instant,
    metadata: Metadata,
}

#[derive(Clone)]
struct Imp {
    shared: Arc<Mutex<Shared>>,
    events: Sender<Event>,
}

fn serve(rx: async_channel::Receiver<Msg>, events: Sender<Event>, art_dir: Option<PathBuf>) {
    zbus::block_on(async move {
        let shared = Arc::new(Mutex::new(Shared {
            state: MediaState::default(),
            at: Instant::now(),
            metadata: no_track(),
        }));
        let imp = Imp {
            shared: shared.clone(),
            events,
        };
        // Every genreplay registers under its own instance name first (never anyone else's);
        // the first on the bus then takes the plain name as well — asked for without
        // replacing an owner and without letting a later one replace it — and gives its
        // instance name back. A second genreplay finds the plain name taken and keeps
        // `…genreplay.instance<pid>`, as the MPRIS specification allows.
        let instance = format!("{BUS_NAME_SUFFIX}.instance{}", std::process::id());
        let server = match Server::new(&instance, imp).await {
            Ok(s) => s,
            Err(e) => {
                tracing::info!("MPRIS is off (no media keys or desktop controls): {e}");
                return;
            }
        };
        let name = claim_plain_name(&server).await;
        tracing::info!("MPRIS: {name} on the session bus");
        let mut covers = Covers::new(art_dir);
        while let Ok(msg) = rx.recv().await {
            match msg {
                Msg::State(new) => {
                    let changed = apply(&shared, new, &mut covers);
                    if !changed.is_empty()
                        && let Err(e) = server.properties_changed(changed).await
                    {
                        tracing::debug!("MPRIS PropertiesChanged: {e}");
                    }
                }
                Msg::Seeked(secs) => {
                    let position = Time::from_micros(micros(secs));
                    if let Err(e) = server.emit(Signal::Seeked { position }).await {
                        tracing::debug!("MPRIS Seeked: {e}");
                    }
                }
                Msg::Reply(to, r) => to.send(*r),
                Msg::Stop => break,
            }
        }
        // The answer to a Quit call (or any call answered just now) goes out before the
        // connection closes.
        sleep(Duration::from_millis(50)).await;
    });
}

/// Asks for `org.mpris.MediaPlayer2.genreplay` on the server's connection, never taking it
/// from its owner and never letting it be taken (no replacement flags); on success the
/// instance name goes. Returns the name the player is on.
async fn claim_plain_name(server: &Server<Imp>) -> String {
    let conn = server.connection();
    let plain = format!("org.mpris.MediaPlayer2.{BUS_NAME_SUFFIX}");
    let instance = server.bus_name().to_string();
    match conn
        .request_name_with_flags(plain.as_str(), fdo::RequestNameFlags::DO_NOT_QUEUE)
        .await
    {
        Ok(fdo::RequestNameReply::PrimaryOwner | fdo::RequestNameReply::AlreadyOwner) => {
            if let Err(e) = conn.release_name(instance.as_str()).await {
                tracing::debug!("MPRIS: keeping {instance} as well: {e}");
            }
            plain
        }
        Ok(_) | Err(_) => instance,
    }
}

/// Takes the new snapshot; returns the properties that changed.
fn apply(shared: &Mutex<Shared>, new: MediaState, covers: &mut Covers) -> Vec<Property> {
    let Ok(old) = shared.lock().map(|s| s.state.clone()) else {
        return vec![];
    };
    // Built outside the lock: finding the cover reads the album folder.
    let metadata = (old.track != new.track).then(|| match &new.track {
        Some(t) => metadata_of(t, covers.of(&t.path).as_deref()),
        None => no_track(),
    });
    let mut changed = vec![];
    if let Some(m) = &metadata {
        changed.push(Property::Metadata(m.clone()));
    }
    if old.state != new.state {
        changed.push(Property::PlaybackStatus(playback_status(new.state)));
    }
    if old.volume != new.volume {
        changed.push(Property::Volume(new.volume));
    }
    if old.shuffle != new.shuffle {
        changed.push(Property::Shuffle(new.shuffle));
    }
    if old.repeat != new.repeat {
        changed.push(Property::LoopStatus(loop_status(new.repeat)));
    }
    if old.can_next != new.can_next {
        changed.push(Property::CanGoNext(new.can_next));
    }
    if old.can_previous != new.can_previous {
        changed.push(Property::CanGoPrevious(new.can_previous));
    }
    if old.can_play != new.can_play {
        changed.push(Property::CanPlay(new.can_play));
    }
    if old.has_track() != new.has_track() {
        changed.push(Property::CanPause(new.has_track()));
        changed.push(Property::CanSeek(new.has_track()));
    }
    if let Ok(mut s) = shared.lock() {
        s.state = new;
        s.at = Instant::now();
        if let Some(m) = metadata {
            s.metadata = m;
        }
    }
    changed
}

fn playback_status(s: PlayState) -> PlaybackStatus {
    match s {
        PlayState::Playing => PlaybackStatus::Playing,
        PlayState::Paused => PlaybackStatus::Paused,
        PlayState::Stopped => PlaybackStatus::Stopped,
    }
}

fn loop_status(r: Repeat) -> LoopStatus {
    match r {
        Repeat::Off => LoopStatus::None,
        Repeat::One => LoopStatus::Track,
        Repeat::All => LoopStatus::Playlist,
    }
}

fn repeat_of(l: LoopStatus) -> Repeat {
    match l {
        LoopStatus::None => Repeat::Off,
        LoopStatus::Track => Repeat::One,
        LoopStatus::Playlist => Repeat::All,
    }
}

fn micros(secs: f64) -> i64 {
    (secs.max(0.0) * 1e6).round() as i64
}

/// The object path a track goes by on the bus.
pub fn track_object_path(id: TrackId) -> String {
    format!("{TRACK_PATH}{}", id.hex())
}

/// The track an object path names, if it is one of ours.
pub fn track_of_object_path(path: &str) -> Option<TrackId> {
    let hex = path.strip_prefix(TRACK_PATH)?;
    (hex.len() == 16).then(|| TrackId::parse_hex(hex)).flatten()
}

fn no_track() -> Metadata {
    let mut m = Metadata::new();
    m.set_trackid(Some(MprisTrackId::NO_TRACK));
    m
}

fn metadata_of(t: &MediaTrack, art: Option<&Path>) -> Metadata {
    let id = MprisTrackId::try_from(track_object_path(t.id)).unwrap_or(MprisTrackId::NO_TRACK);
    let mut b = Metadata::builder()
        .trackid(id)
        .title(t.title.clone())
        .album(t.album.clone());
    if !t.artist.is_empty() {
        b = b.artist([t.artist.clone()]);
    }
    if let Some(a) = &t.album_artist {
        b = b.album_artist([a.clone()]);
    }
    if let Some(d) = t.duration_secs {
        b = b.length(Time::from_micros(micros(d)));
    }
    if let Some(n) = t.track_no.and_then(|n| i32::try_from(n).ok()) {
        b = b.track_number(n);
    }
    if let Some(g) = &t.genre {
        b = b.genre([g.clone()]);
    }
    if !t.path.as_os_str().is_empty() {
        b = b.url(file_url(&t.path));
    }
    if let Some(a) = art {
        b = b.art_url(file_url(a));
    }
    b.build()
}

/// `file://` URL of an absolute path, bytes outside the unreserved set percent-encoded.
pub fn file_url(path: &Path) -> String {
    let mut s = String::from("file://");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            s.push(b as char);
        } else {
            let _ = write!(s, "%{b:02X}");
        }
    }
    s
}

/// The cover `mpris:artUrl` points at, remembered per track: a folder picture as it is, an
/// embedded picture written once to the art cache (named by its content, so an album's tracks
/// share one file) — desktop widgets can only show a file.
struct Covers {
    /// Where embedded pictures are written (`<cache>/art`); `None`: only folder pictures.
    dir: Option<PathBuf>,
    known: HashMap<PathBuf, Option<PathBuf>>,
}

impl Covers {
    fn new(dir: Option<PathBuf>) -> Self {
        if let Some(d) = &dir {
            art_cache::prune(d, art_cache::MAX_FILES, art_cache::MAX_BYTES);
        }
        Covers {
            dir,
            known: HashMap::new(),
        }
    }

    fn of(&mut self, track: &Path) -> Option<PathBuf> {
        if let Some(c) = self.known.get(track) {
            return c.clone();
        }
        if self.known.len() >= COVER_CACHE {
            self.known.clear();
        }
        let c = match crate::library::art::find(track) {
            Some((CoverSource::File(p), _)) => Some(p),
            Some((CoverSource::Embedded(_), Some(bytes))) => self
                .dir
                .as_deref()
                .and_then(|d| art_cache::store(d, &bytes)),
            _ => None,
        };
        self.known.insert(track.to_path_buf(), c.clone());
        c
    }
}

/// Waits `d` without holding up the executor (a helper thread wakes it).
async fn sleep(d: Duration) {
    let (tx, rx) = async_channel::bounded::<()>(1);
    let spawned = std::thread::Builder::new()
        .name("mpris-timer".into())
        .spawn(move || {
            std::thread::sleep(d);
            let _ = tx.try_send(());
        });
    if spawned.is_ok() {
        let _ = rx.recv().await;
    }
}

impl Imp {
    /// Asks the app to carry out `command` and waits for its answer. A refusal (nothing to
    /// play, say) is not an error on the bus: MPRIS calls that cannot apply have no effect.
    async fn ask(&self, command: RemoteCommand) -> fdo::Result<()> {
        self.ask_done(command).await.map(|_| ())
    }

    /// A client sets a property. zbus answers a set with a `PropertiesChanged` of its own,
    /// carrying what the getter says then; the snapshot after the player's change would send a
    /// second one. So the value is taken here first: zbus's signal carries the new value, and
    /// the snapshot finds nothing changed — one signal per set, never a stale one. When the
    /// player refuses, the old value is put back.
    async fn set_property(&self, set: SetProperty, command: RemoteCommand) -> zbus::Result<()> {
        let before = self.shared.lock().ok().map(|mut s| set.apply(&mut s.state));
        let done = self.ask_done(command).await;
        if !matches!(done, Ok(true))
            && let (Some(old), Ok(mut s)) = (before, self.shared.lock())
        {
            old.apply(&mut s.state);
        }
        done.map(|_| ()).map_err(to_zbus)
    }

    /// Sends `command` to the player; whether it did it.
    async fn ask_done(&self, command: RemoteCommand) -> fdo::Result<bool> {
        let (tx, rx) = async_channel::bounded(1);
        let what = format!("{command:?}");
        self.events
            .send(Event::Remote(RemoteRequest {
                command,
                reply: ReplyTo::to_async(tx),
            }))
            .map_err(|_| fdo::Error::Failed("genreplay is quitting".into()))?;
        match rx.recv().await {
            Ok(r) => {
                if !r.ok {
                    tracing::debug!("MPRIS {what}: {}", r.message);
                }
                Ok(r.ok)
            }
            Err(_) => Err(fdo::Error::Failed("genreplay is quitting".into())),
        }
    }

    fn read<T>(&self, f: impl FnOnce(&Shared) -> T) -> fdo::Result<T> {
        self.shared
            .lock()
            .map(|s| f(&s))
            .map_err(|_| fdo::Error::Failed("the player's state is unavailable".into()))
    }
}

/// A property a client sets, with its new value.
#[derive(Debug, Clone, Copy)]
enum SetProperty {
    Volume(f64),
    Shuffle(bool),
    Repeat(Repeat),
}

impl SetProperty {
    /// Puts the value into `state`; returns the one it replaced.
    fn apply(self, state: &mut MediaState) -> SetProperty {
        match self {
            SetProperty::Volume(v) => SetProperty::Volume(std::mem::replace(&mut state.volume, v)),
            SetProperty::Shuffle(on) => {
                SetProperty::Shuffle(std::mem::replace(&mut state.shuffle, on))
            }
            SetProperty::Repeat(r) => SetProperty::Repeat(std::mem::replace(&mut state.repeat, r)),
        }
    }
}

fn to_zbus(e: fdo::Error) -> zbus::Error {
    zbus::Error::FDO(Box::new(e))
}

impl RootInterface for Imp {
    async fn raise(&self) -> fdo::Result<()> {
        // A terminal program has no window of its own to raise (CanRaise is false).
        Ok(())
    }

    async fn quit(&self) -> fdo::Result<()> {
        self.ask(RemoteCommand::Quit).await
    }

    async fn can_quit(&self) -> fdo::Result<bool> {
        Ok(true)
    }

    async fn fullscreen(&self) -> fdo::Result<bool> {
        Ok(false)
    }

    async fn set_fullscreen(&self, _fullscreen: bool) -> zbus::Result<()> {
        Ok(())
    }

    async fn can_set_fullscreen(&self) -> fdo::Result<bool> {
        Ok(false)
    }

    async fn can_raise(&self) -> fdo::Result<bool> {
        Ok(false)
    }

    async fn has_track_list(&self) -> fdo::Result<bool> {
        Ok(false)
    }

    async fn identity(&self) -> fdo::Result<String> {
        Ok("genreplay".into())
    }

    async fn desktop_entry(&self) -> fdo::Result<String> {
        Ok("genreplay".into())
    }

    async fn supported_uri_schemes(&self) -> fdo::Result<Vec<String>> {
        Ok(vec![])
    }

    async fn supported_mime_types(&self) -> fdo::Result<Vec<String>> {
        Ok(vec![])
    }
}

impl PlayerInterface for Imp {
    async fn next(&self) -> fdo::Result<()> {
        self.ask(RemoteCommand::Next).await
    }

    async fn previous(&self) -> fdo::Result<()> {
        self.ask(RemoteCommand::Prev).await
    }

    async fn pause(&self) -> fdo::Result<()> {
        self.ask(RemoteCommand::Pause).await
    }

    async fn play_pause(&self) -> fdo::Result<()> {
        self.ask(RemoteCommand::Toggle).await
    }

    async fn stop(&self) -> fdo::Result<()> {
        self.ask(RemoteCommand::Stop).await
    }

    async fn play(&self) -> fdo::Result<()> {
        self.ask(RemoteCommand::Play).await
    }

    async fn seek(&self, offset: Time) -> fdo::Result<()> {
        // Past the end the player stops half a second before it, so the next track follows.
        self.ask(RemoteCommand::Seek {
            secs: offset.as_micros() as f64 / 1e6,
            relative: true,
        })
        .await
    }

    async fn set_position(&self, track_id: MprisTrackId, position: Time) -> fdo::Result<()> {
        // A stale or foreign track id is ignored, as the specification asks.
        let Some(track) = track_of_object_path(track_id.as_str()) else {
            return Ok(());
        };
        self.ask(RemoteCommand::SetPosition {
            track,
            secs: position.as_micros() as f64 / 1e6,
        })
        .await
    }

    async fn open_uri(&self, _uri: String) -> fdo::Result<()> {
        Err(fdo::Error::NotSupported(
            "genreplay plays its library; queue files with `genreplay ctl add`".into(),
        ))
    }

    async fn playback_status(&self) -> fdo::Result<PlaybackStatus> {
        self.read(|s| playback_status(s.state.state))
    }

    async fn loop_status(&self) -> fdo::Result<LoopStatus> {
        self.read(|s| loop_status(s.state.repeat))
    }

    async fn set_loop_status(&self, loop_status: LoopStatus) -> zbus::Result<()> {
        let repeat = repeat_of(loop_status);
        self.set_property(
            SetProperty::Repeat(repeat),
            RemoteCommand::Repeat {
                mode: repeat.label().into(),
            },
        )
        .await
    }

    async fn rate(&self) -> fdo::Result<PlaybackRate> {
        Ok(1.0)
    }

    async fn set_rate(&self, rate: PlaybackRate) -> zbus::Result<()> {
        // Only the normal rate; 0 means pause, as the specification says.
        if rate == 0.0 {
            self.ask(RemoteCommand::Pause).await.map_err(to_zbus)?;
        }
        Ok(())
    }

    async fn shuffle(&self) -> fdo::Result<bool> {
        self.read(|s| s.state.shuffle)
    }

    async fn set_shuffle(&self, shuffle: bool) -> zbus::Result<()> {
        self.set_property(
            SetProperty::Shuffle(shuffle),
            RemoteCommand::Shuffle { on: shuffle },
        )
        .await
    }

    async fn metadata(&self) -> fdo::Result<Metadata> {
        self.read(|s| s.metadata.clone())
    }

    async fn volume(&self) -> fdo::Result<Volume> {
        self.read(|s| s.state.volume)
    }

    async fn set_volume(&self, volume: Volume) -> zbus::Result<()> {
        let percent = if volume.is_finite() {
            (volume * 100.0).round().clamp(0.0, f64::from(MAX_VOLUME)) as i32
        } else {
            return Ok(());
        };
        self.set_property(
            SetProperty::Volume(f64::from(percent) / 100.0),
            RemoteCommand::Volume {
                percent,
                relative: false,
            },
        )
        .await
    }

    async fn position(&self) -> fdo::Result<Time> {
        self.read(|s| {
            let st = &s.state;
            let mut pos = st.position_secs;
            if st.state == PlayState::Playing {
                pos += s.at.elapsed().as_secs_f64();
            }
            if let Some(d) = st.track.as_ref().and_then(|t| t.duration_secs) {
                pos = pos.min(d);
            }
            Time::from_micros(micros(pos))
        })
    }

    async fn minimum_rate(&self) -> fdo::Result<PlaybackRate> {
        Ok(1.0)
    }

    async fn maximum_rate(&self) -> fdo::Result<PlaybackRate> {
        Ok(1.0)
    }

    async fn can_go_next(&self) -> fdo::Result<bool> {
        self.read(|s| s.state.can_next)
    }

    async fn can_go_previous(&self) -> fdo::Result<bool> {
        self.read(|s| s.state.can_previous)
    }

    async fn can_play(&self) -> fdo::Result<bool> {
        self.read(|s| s.state.can_play)
    }

    async fn can_pause(&self) -> fdo::Result<bool> {
        self.read(|s| s.state.has_track())
    }

    async fn can_seek(&self) -> fdo::Result<bool> {
        self.read(|s| s.state.has_track())
    }

    async fn can_control(&self) -> fdo::Result<bool> {
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn track_ids_round_trip_through_object_paths() {
        let id = TrackId::of_path(Path::new("/music/a b/ü.flac"));
        let p = track_object_path(id);
        assert!(p.starts_with("/org/genreplay/track/"), "{p}");
        assert!(
            MprisTrackId::try_from(p.clone()).is_ok(),
            "{p} is an object path"
        );
        assert_eq!(track_of_object_path(&p), Some(id));
        assert_eq!(
            track_of_object_path("/org/mpris/MediaPlayer2/TrackList/NoTrack"),
            None
        );
        assert_eq!(track_of_object_path("/org/genreplay/track/xyz"), None);
    }

    #[test]
    fn file_urls_escape_what_a_url_cannot_hold() {
        assert_eq!(
            file_url(Path::new("/m/AC DC/#1 ü?.jpg")),
            "file:///m/AC%20DC/%231%20%C3%BC%3F.jpg"
        );
    }

    #[test]
    fn a_folder_cover_is_used_as_is() {
        let d = tempfile::tempdir().unwrap();
        let art = d.path().join("cache/art");
        // A track without an embedded picture: its folder's cover file.
        let album = d.path().join("album");
        std::fs::create_dir(&album).unwrap();
        std::fs::write(album.join("Cover.JPG"), b"x").unwrap();
        let mut covers = Covers::new(Some(art));
        let track = album.join("01.flac");
        std::fs::write(&track, b"not audio").unwrap();
        assert_eq!(covers.of(&track), Some(album.join("Cover.JPG")));
        // No cache dir and no folder picture: no art URL.
        let bare = d.path().join("bare");
        std::fs::create_dir(&bare).unwrap();
        assert_eq!(Covers::new(None).of(&bare.join("x.flac")), None);
    }

    #[test]
    fn loop_status_and_repeat_map_both_ways() {
        for r in [Repeat::Off, Repeat::All, Repeat::One] {
            assert_eq!(repeat_of(loop_status(r)), r);
        }
        assert_eq!(loop_status(Repeat::One), LoopStatus::Track);
        assert_eq!(loop_status(Repeat::All), LoopStatus::Playlist);
    }
}
