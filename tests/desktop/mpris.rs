#![allow(clippy::unwrap_used, clippy::expect_used)]
//! MPRIS 2 with a real D-Bus client against the real player: each test starts a private
//! session bus (`dbus-daemon --session --fork`), runs the release binary in tmux on a library
//! of synthesised tracks with that bus, and drives it with `dbus-send` as a desktop would,
//! checking what it answers against `genreplay ctl status --json`. Skipped with a message where
//! dbus-daemon, dbus-send or tmux is missing (`.ci/run` installs them).

use crate::common;
use crate::common::tmux;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tmux::*;

const DEST: &str = "org.mpris.MediaPlayer2.genreplay";
const OBJECT: &str = "/org/mpris/MediaPlayer2";
const PLAYER: &str = "org.mpris.MediaPlayer2.Player";

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn tools_missing() -> Option<&'static str> {
    ["dbus-daemon", "dbus-send", "dbus-monitor"]
        .into_iter()
        .find(|p| !have(p))
        .or_else(|| (!tmux_available()).then_some("tmux"))
}

/// Whether the tools are all here; when one is not, the running test says it is skipped.
fn have_tools() -> bool {
    let missing = tools_missing();
    if let Some(p) = missing {
        crate::common::skipped(format_args!(
            "{p} is not installed (apt-get install dbus-daemon dbus-bin tmux)"
        ));
    }
    missing.is_none()
}

/// A private session bus; the daemon is killed on drop, pass or fail.
struct Bus {
    address: String,
    pid: u32,
}

impl Bus {
    fn start() -> Bus {
        let out = Command::new("dbus-daemon")
            .args([
                "--session",
                "--fork",
                "--nosyslog",
                "--print-address=1",
                "--print-pid=1",
            ])
            .stderr(Stdio::inherit())
            .output()
            .expect("running dbus-daemon");
        assert!(out.status.success(), "dbus-daemon failed");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut lines = text.lines();
        let address = lines.next().expect("an address").trim().to_string();
        let pid = lines
            .next()
            .and_then(|l| l.trim().parse().ok())
            .expect("a pid");
        Bus { address, pid }
    }

    fn send(&self, args: &[&str]) -> Output {
        Command::new("dbus-send")
            .arg(format!("--bus={}", self.address))
            .arg("--print-reply")
            .arg("--reply-timeout=5000")
            .args(args)
            .output()
            .expect("running dbus-send")
    }

    /// Calls `method` on the player interface; fails the test if the call fails.
    fn call(&self, method: &str, args: &[&str]) -> String {
        let dest = format!("--dest={DEST}");
        let m = format!("{PLAYER}.{method}");
        let mut a = vec![dest.as_str(), OBJECT, m.as_str()];
        a.extend_from_slice(args);
        let out = self.send(&a);
        assert!(
            out.status.success(),
            "{method}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn get(&self, interface: &str, property: &str) -> String {
        let dest = format!("--dest={DEST}");
        let i = format!("string:{interface}");
        let p = format!("string:{property}");
        let out = self.send(&[&dest, OBJECT, "org.freedesktop.DBus.Properties.Get", &i, &p]);
        assert!(
            out.status.success(),
            "Get {property}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn set(&self, property: &str, value: &str) {
        let dest = format!("--dest={DEST}");
        let i = format!("string:{PLAYER}");
        let p = format!("string:{property}");
        let v = format!("variant:{value}");
        let out = self.send(&[
            &dest,
            OBJECT,
            "org.freedesktop.DBus.Properties.Set",
            &i,
            &p,
            &v,
        ]);
        assert!(
            out.status.success(),
            "Set {property}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn has_owner(&self, name: &str) -> bool {
        let n = format!("string:{name}");
        let out = self.send(&[
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            &n,
        ]);
        String::from_utf8_lossy(&out.stdout).contains("boolean true")
    }

    fn wait_for_name(&self, name: &str, present: bool) {
        let t0 = Instant::now();
        while self.has_owner(name) != present {
            assert!(
                t0.elapsed() < TIMEOUT,
                "{name} {} the bus",
                if present {
                    "never appeared on"
                } else {
                    "never left"
                }
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.pid.to_string()).status();
    }
}

/// The value that follows `key` in a printed `a{sv}` (dbus-send's Metadata), as printed:
/// `string "x"`, `int64 3`, `array [ string "a" ]`… joined on one line; None without the key.
fn meta(printed: &str, key: &str) -> Option<String> {
    let lines: Vec<&str> = printed.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim() == format!("string \"{key}\""))?;
    let mut value = vec![];
    for l in &lines[at + 1..] {
        if l.trim() == ")" {
            break;
        }
        value.extend(l.split_whitespace());
    }
    Some(value.join(" "))
}

/// The first quoted string in `s`.
fn quoted(s: &str) -> Option<String> {
    let a = s.find('"')?;
    let b = s[a + 1..].find('"')?;
    Some(s[a + 1..a + 1 + b].to_string())
}

/// The printed reply's single value ("variant  string \"Playing\"" → "Playing",
/// "variant double 0.5" → "0.5").
fn scalar(printed: &str) -> String {
    let last = printed
        .lines()
        .filter(|l| !l.starts_with("method return"))
        .collect::<Vec<_>>()
        .join(" ");
    quoted(&last).unwrap_or_else(|| {
        last.split_whitespace()
            .last()
            .unwrap_or_default()
            .to_string()
    })
}

/// Appends a RIFF INFO chunk with the track number as well as the usual tags.
fn tag_numbered(path: &Path, artist: &str, album: &str, title: &str, n: u32) {
    let mut bytes = std::fs::read(path).unwrap();
    let mut info = b"INFO".to_vec();
    for (id, value) in [
        (b"IART", artist.to_string()),
        (b"IPRD", album.to_string()),
        (b"INAM", title.to_string()),
        (b"ITRK", n.to_string()),
    ] {
        let mut data = value.into_bytes();
        data.push(0);
        info.extend_from_slice(id);
        info.extend_from_slice(&(data.len() as u32).to_le_bytes());
        info.extend_from_slice(&data);
        if data.len() % 2 == 1 {
            info.push(0);
        }
    }
    bytes.extend_from_slice(b"LIST");
    bytes.extend_from_slice(&(info.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&info);
    let riff_len = (bytes.len() - 8) as u32;
    bytes[4..8].copy_from_slice(&riff_len.to_le_bytes());
    std::fs::write(path, bytes).unwrap();
}

/// A player in tmux on a library of three tagged tracks (with a cover picture), on `bus`.
struct Player {
    tmux: Tmux,
    data: PathBuf,
    config: PathBuf,
    album: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Player {
    fn start(bus_address: &str, config_toml: &str) -> Player {
        let tmp = tempfile::tempdir().unwrap();
        let library = tmp.path().join("lib");
        let album = library.join("Tone Makers").join("Test Album");
        for (n, title) in [(1, "One"), (2, "Two"), (3, "Three")] {
            let path = album.join(format!("0{n} {title}.wav"));
            let mut rng = common::Rng::new(n as u64);
            let g = common::SYNTH_GENRES[n as usize % 3];
            common::write_wav(
                &path,
                &common::synth_genre(g, &mut rng, 16_000, 12.0),
                16_000,
                1,
            );
            tag_numbered(&path, "Tone Makers", "Test Album", title, n);
        }
        std::fs::write(album.join("Cover.jpg"), b"not decoded by MPRIS").unwrap();
        let library = library.canonicalize().unwrap();
        let album = album.canonicalize().unwrap();
        let data = tmp.path().join("data");
        let config = tmp.path().join("config");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(config.join("config.toml"), config_toml).unwrap();
        let bin = assert_cmd::cargo::cargo_bin("genreplay");
        let script = tmp.path().join("run.sh");
        std::fs::write(
            &script,
            format!(
                "export GENREPLAY_CONFIG_DIR={config}\nexport GENREPLAY_NO_AUDIO=1\n\
                 export DBUS_SESSION_BUS_ADDRESS={bus}\n\
                 {bin} --data-dir {data} --library {library}\n\
                 echo \"genreplay exited with $?\"\nsleep 600\n",
                config = quote(&config),
                bus = quote(Path::new(bus_address)),
                bin = quote(&bin),
                data = quote(&data),
                library = quote(&library),
            ),
        )
        .unwrap();
        let tmux = Tmux::start(&format!("sh {}", quote(&script)));
        tmux.wait_until("the library", |s| s.iter().any(|l| l.starts_with("│▸ ")));
        Player {
            tmux,
            data,
            config,
            album,
            _tmp: tmp,
        }
    }

    fn ctl(&self, args: &[&str]) -> Output {
        Command::new(assert_cmd::cargo::cargo_bin("genreplay"))
            .arg("--data-dir")
            .arg(&self.data)
            .args(args)
            .env("GENREPLAY_CONFIG_DIR", &self.config)
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .output()
            .unwrap()
    }

    fn status(&self) -> serde_json::Value {
        let out = self.ctl(&["ctl", "status", "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn wait_status(
        &self,
        what: &str,
        ok: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let t0 = Instant::now();
        loop {
            let v = self.status();
            if ok(&v) {
                return v;
            }
            assert!(t0.elapsed() < TIMEOUT, "timed out waiting for {what}: {v}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.data.join("genreplay.log")).unwrap_or_default()
    }
}

fn wait_until(what: &str, ok: impl FnMut() -> bool) {
    crate::common::wait_until(what, TIMEOUT, ok);
}

#[test]
fn a_desktop_drives_the_player_over_its_session_bus() {
    if !have_tools() {
        return;
    }
    let bus = Bus::start();
    // Every signal the player sends, as a desktop widget hears them.
    let signals_file = tempfile::NamedTempFile::new().unwrap();
    let mut monitor = Command::new("dbus-monitor")
        .arg("--address")
        .arg(&bus.address)
        .arg(format!("type='signal',path='{OBJECT}'"))
        .stdout(signals_file.reopen().unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let signals = || std::fs::read_to_string(signals_file.path()).unwrap_or_default();

    let player = Player::start(&bus.address, "analysis_threads = 1\n");
    bus.wait_for_name(DEST, true);

    // What the desktop sees before anything plays.
    assert_eq!(scalar(&bus.get(PLAYER, "PlaybackStatus")), "Stopped");
    assert_eq!(
        scalar(&bus.get("org.mpris.MediaPlayer2", "Identity")),
        "genreplay"
    );
    assert_eq!(
        scalar(&bus.get("org.mpris.MediaPlayer2", "DesktopEntry")),
        "genreplay"
    );
    assert!(bus.get(PLAYER, "CanControl").contains("boolean true"));
    let m = bus.get(PLAYER, "Metadata");
    assert!(
        m.contains("/org/mpris/MediaPlayer2/TrackList/NoTrack"),
        "no track yet: {m}"
    );

    // Queue the album from the command line, start it from the desktop.
    let out = player.ctl(&["ctl", "add", player.album.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    bus.call("Play", &[]);
    wait_until("Playing", || {
        scalar(&bus.get(PLAYER, "PlaybackStatus")) == "Playing"
    });
    let m = bus.get(PLAYER, "Metadata");
    assert_eq!(
        meta(&m, "xesam:title").and_then(|v| quoted(&v)),
        Some("One".into()),
        "{m}"
    );

    // Next: the title changes to the next track, still playing; ctl agrees.
    bus.call("Next", &[]);
    let m = bus.get(PLAYER, "Metadata");
    assert_eq!(
        meta(&m, "xesam:title").and_then(|v| quoted(&v)),
        Some("Two".into()),
        "{m}"
    );
    assert_eq!(scalar(&bus.get(PLAYER, "PlaybackStatus")), "Playing");
    let v = player.status();
    assert_eq!(v["state"], "playing");
    assert_eq!(v["track"]["title"], "Two");
    player.tmux.wait_until("the new track on screen", |s| {
        player_bar(s).starts_with(" ▶ Two — Tone Makers")
    });

    // The rest of the track's metadata.
    let two = player.album.join("02 Two.wav");
    assert_eq!(
        meta(&m, "xesam:artist").and_then(|v| quoted(&v)),
        Some("Tone Makers".into())
    );
    assert_eq!(
        meta(&m, "xesam:album").and_then(|v| quoted(&v)),
        Some("Test Album".into())
    );
    assert_eq!(
        meta(&m, "xesam:trackNumber").as_deref(),
        Some("variant int32 2")
    );
    let len = meta(&m, "mpris:length").unwrap();
    let micros: i64 = len.split_whitespace().last().unwrap().parse().unwrap();
    assert!((micros - 12_000_000).abs() < 100_000, "{len}");
    let art = format!("file://{}", player.album.join("Cover.jpg").display()).replace(' ', "%20");
    assert_eq!(meta(&m, "mpris:artUrl").and_then(|v| quoted(&v)), Some(art));
    assert_eq!(
        meta(&m, "xesam:url").and_then(|v| quoted(&v)),
        Some(format!("file://{}", two.display()).replace(' ', "%20"))
    );
    let trackid = meta(&m, "mpris:trackid").unwrap();
    let trackid = trackid
        .split_whitespace()
        .last()
        .unwrap()
        .trim_matches('"')
        .to_string();
    assert!(trackid.starts_with("/org/genreplay/track/"), "{trackid}");

    // The genre: the classifier's, once the track is classified; none for a track the model
    // is unsure of (synthesised tones usually are).
    let t0 = Instant::now();
    let (genre, known) = loop {
        let out = player.ctl(&["library", "--json"]);
        let lib: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let t = lib["tracks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["path"] == two.to_str().unwrap())
            .cloned()
            .unwrap();
        if t["genre"].is_string() {
            break (t["genre"].as_str().unwrap().to_string(), t["known"] == true);
        }
        assert!(
            t0.elapsed() < TIMEOUT,
            "track two was never classified: {t}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    wait_until("the genre in Metadata", || {
        let m = bus.get(PLAYER, "Metadata");
        let g = meta(&m, "xesam:genre").and_then(|v| quoted(&v));
        g == known.then(|| genre.clone())
    });

    // Volume, repeat and shuffle set from the desktop show in ctl status, and read back.
    bus.set("Volume", "double:0.5");
    assert_eq!(player.status()["volume"], 50);
    assert_eq!(scalar(&bus.get(PLAYER, "Volume")), "0.5");
    player.tmux.wait_for("vol 50%");
    for (mpris, ctl) in [("Track", "one"), ("Playlist", "all"), ("None", "off")] {
        bus.set("LoopStatus", &format!("string:{mpris}"));
        assert_eq!(player.status()["repeat"], ctl);
        assert_eq!(scalar(&bus.get(PLAYER, "LoopStatus")), mpris);
    }
    bus.set("Shuffle", "boolean:true");
    assert_eq!(player.status()["shuffle"], true);
    assert!(bus.get(PLAYER, "Shuffle").contains("boolean true"));
    bus.set("Shuffle", "boolean:false");
    assert_eq!(player.status()["shuffle"], false);
    // And the other way: changed by ctl, seen on the bus.
    assert!(player.ctl(&["ctl", "repeat", "all"]).status.success());
    wait_until("LoopStatus Playlist", || {
        scalar(&bus.get(PLAYER, "LoopStatus")) == "Playlist"
    });

    // Pause, then positions: SetPosition with the track's id moves; a stale id is ignored;
    // Seek moves by an offset.
    bus.call("Pause", &[]);
    assert_eq!(player.status()["state"], "paused");
    assert_eq!(scalar(&bus.get(PLAYER, "PlaybackStatus")), "Paused");
    let tid = format!("objpath:{trackid}");
    bus.call("SetPosition", &[&tid, "int64:4000000"]);
    player.wait_status("position 4 s", |v| {
        (v["position_secs"].as_f64().unwrap() - 4.0).abs() < 0.05
    });
    let stale = "objpath:/org/genreplay/track/0000000000000001";
    bus.call("SetPosition", &[stale, "int64:1000000"]);
    bus.call("Seek", &["int64:2000000"]);
    player.wait_status("position 6 s", |v| {
        (v["position_secs"].as_f64().unwrap() - 6.0).abs() < 0.05
    });
    wait_until("Position 6 s while paused", || {
        scalar(&bus.get(PLAYER, "Position")) == "6000000"
    });
    bus.call("PlayPause", &[]);
    assert_eq!(player.status()["state"], "playing");

    // Previous goes back to the first track (the position is past 3 s: first to the start).
    bus.call("Previous", &[]);
    player.wait_status("the start of the track", |v| {
        v["position_secs"].as_f64().unwrap() < 3.0
    });
    bus.call("Previous", &[]);
    let m = bus.get(PLAYER, "Metadata");
    assert_eq!(
        meta(&m, "xesam:title").and_then(|v| quoted(&v)),
        Some("One".into()),
        "{m}"
    );

    // The signals a widget relies on came: the track, status, volume, loop, shuffle, seeks.
    wait_until("the Seeked signals", || {
        signals().matches("member=Seeked").count() >= 2
    });
    let sig = signals();
    for property in [
        "Metadata",
        "PlaybackStatus",
        "Volume",
        "LoopStatus",
        "Shuffle",
    ] {
        assert!(
            sig.contains(&format!("string \"{property}\"")),
            "no PropertiesChanged for {property}:\n{sig}"
        );
    }
    // One signal per change, each with the new value: zbus answers a client's set with a
    // signal of its own, and the player's change must not send a second one.
    // (The player's first snapshot announces its starting volume, 0.8, as well.)
    let lines: Vec<&str> = sig.lines().map(str::trim).collect();
    let changes: Vec<(&str, &str)> = lines
        .windows(2)
        .filter_map(|w| {
            let name = w[0].strip_prefix("string \"")?.strip_suffix('"')?;
            let value = w[1].strip_prefix("variant")?.trim();
            Some((name, value))
        })
        .collect();
    for (property, value, times) in [
        ("Volume", "double 0.5", 1),
        ("LoopStatus", "string \"Track\"", 1),
        ("LoopStatus", "string \"Playlist\"", 2),
        ("LoopStatus", "string \"None\"", 1),
        ("Shuffle", "boolean true", 1),
        ("Shuffle", "boolean false", 1),
    ] {
        let n = changes.iter().filter(|c| **c == (property, value)).count();
        assert_eq!(n, times, "{property} {value}:\n{sig}");
    }
    assert!(sig.contains("int64 4000000"), "Seeked to 4 s:\n{sig}");
    assert!(sig.contains("int64 6000000"), "Seeked to 6 s:\n{sig}");

    // Stop, then Quit: the player ends cleanly and leaves the bus.
    bus.call("Stop", &[]);
    assert_eq!(scalar(&bus.get(PLAYER, "PlaybackStatus")), "Stopped");
    bus.send(&[
        &format!("--dest={DEST}"),
        OBJECT,
        "org.mpris.MediaPlayer2.Quit",
    ]);
    player.tmux.wait_for("genreplay exited with 0");
    bus.wait_for_name(DEST, false);
    let log = player.log();
    assert!(
        log.contains("MPRIS: org.mpris.MediaPlayer2.genreplay on the session bus"),
        "{log}"
    );

    let _ = monitor.kill();
    let _ = monitor.wait();
}

#[test]
fn without_a_session_bus_the_player_plays_and_logs_one_line() {
    if !have_tmux() {
        return;
    }
    let nowhere = tempfile::tempdir().unwrap();
    let address = format!("unix:path={}", nowhere.path().join("no-bus").display());
    let player = Player::start(&address, "analysis_threads = 1\n");
    let out = player.ctl(&["ctl", "add", player.album.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(player.ctl(&["ctl", "play"]).status.success());
    player.tmux.wait_until("the first track on screen", |s| {
        player_bar(s).starts_with(" ▶ One — Tone Makers")
    });
    assert!(player.ctl(&["ctl", "next"]).status.success());
    player.wait_status("track two", |v| v["track"]["title"] == "Two");
    let screen = player.tmux.screen().join("\n");
    assert!(!screen.contains("MPRIS"), "{screen}");
    player.tmux.keys(&["q"]);
    player.tmux.wait_for("genreplay exited with 0");
    let log = player.log();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("MPRIS")).collect();
    assert_eq!(lines.len(), 1, "{log}");
    assert!(lines[0].contains("MPRIS is off"), "{}", lines[0]);
    let noisy: Vec<&str> = log
        .lines()
        .filter(|l| l.to_lowercase().contains("dbus") || l.contains("zbus"))
        .filter(|l| !l.contains("MPRIS"))
        .collect();
    assert!(noisy.is_empty(), "other bus lines in the log: {noisy:?}");
}

#[test]
fn mpris_false_keeps_the_player_off_the_bus() {
    if !have_tools() {
        return;
    }
    let bus = Bus::start();
    let player = Player::start(&bus.address, "analysis_threads = 1\nmpris = false\n");
    // The player is up (its socket answers) and has had time to register, but did not (a fixed
    // time on purpose: what is tested is that nothing happens).
    player.wait_status("the player", |v| v["state"] == "stopped");
    std::thread::sleep(Duration::from_millis(300));
    assert!(!bus.has_owner(DEST));
    assert!(!player.log().contains("MPRIS"), "{}", player.log());
    player.tmux.keys(&["q"]);
    player.tmux.wait_for("genreplay exited with 0");
}

impl Bus {
    /// The unique name that owns `name` (None when nobody does).
    fn owner_of(&self, name: &str) -> Option<String> {
        let n = format!("string:{name}");
        let out = self.send(&[
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.GetNameOwner",
            &n,
        ]);
        out.status
            .success()
            .then(|| scalar(&String::from_utf8_lossy(&out.stdout)))
    }

    /// The well-known names on the bus that start with `prefix`.
    fn names(&self, prefix: &str) -> Vec<String> {
        let out = self.send(&[
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.ListNames",
        ]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(quoted)
            .filter(|n| n.starts_with(prefix))
            .collect()
    }

    fn get_from(&self, dest: &str, property: &str) -> String {
        let d = format!("--dest={dest}");
        let i = format!("string:{PLAYER}");
        let p = format!("string:{property}");
        let out = self.send(&[&d, OBJECT, "org.freedesktop.DBus.Properties.Get", &i, &p]);
        assert!(
            out.status.success(),
            "Get {property} from {dest}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        scalar(&String::from_utf8_lossy(&out.stdout))
    }
}

#[test]
fn a_second_player_on_the_bus_never_takes_the_first_ones_name() {
    if !have_tools() {
        return;
    }
    let bus = Bus::start();
    let first = Player::start(&bus.address, "analysis_threads = 1\n");
    bus.wait_for_name(DEST, true);
    let owner = bus.owner_of(DEST).expect("the first player owns the name");
    let instances = format!("{DEST}.instance");
    assert!(bus.names(&instances).is_empty(), "{:?}", bus.names(""));

    let second = Player::start(&bus.address, "analysis_threads = 1\n");
    wait_until("the second player on the bus", || {
        !bus.names(&instances).is_empty()
    });
    let second_name = bus.names(&instances).remove(0);
    assert!(
        second_name[instances.len()..]
            .chars()
            .all(|c| c.is_ascii_digit()),
        "{second_name}"
    );
    assert_eq!(
        bus.owner_of(DEST).as_deref(),
        Some(owner.as_str()),
        "the second player took the name"
    );
    assert_ne!(bus.owner_of(&second_name).as_deref(), Some(owner.as_str()));

    // Each name drives its own player.
    let out = first.ctl(&["ctl", "add", first.album.to_str().unwrap()]);
    assert!(out.status.success());
    bus.call("Play", &[]);
    first.wait_status("the first playing", |v| v["state"] == "playing");
    wait_until("Playing on the plain name", || {
        bus.get_from(DEST, "PlaybackStatus") == "Playing"
    });
    assert_eq!(bus.get_from(&second_name, "PlaybackStatus"), "Stopped");
    assert_eq!(second.status()["state"], "stopped");
    assert!(
        first
            .log()
            .contains(&format!("MPRIS: {DEST} on the session bus")),
        "{}",
        first.log()
    );
    assert!(
        second
            .log()
            .contains(&format!("MPRIS: {second_name} on the session bus")),
        "{}",
        second.log()
    );

    for p in [&first, &second] {
        p.tmux.keys(&["q"]);
        p.tmux.wait_for("genreplay exited with 0");
    }
    bus.wait_for_name(DEST, false);
    assert!(bus.names(&instances).is_empty());
}
