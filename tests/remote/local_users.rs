#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Another local user and the player: the real player in tmux, the real socket, a second uid
//! (65534, "nobody") through `setpriv` or a forked process that drops to it. Another user can
//! neither read the data folder, nor talk to the player, nor stand in for it: not at the
//! socket's place (it is in the private data folder however long its path, never at a
//! predictable place in /tmp), and not by listening there with a uid of its own (the client
//! asks the kernel who listens before it sends a byte; the player asks who connects).
//!
//! The tests need root (to be two users) and `setpriv`; they are skipped with a message
//! where either is missing, or where uid 65534 cannot run the test binary.

use crate::common;
use crate::common::tmux;

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::*;
use tmux::*;

const NOBODY: u32 = 65534;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("genreplay")
}

/// Whether the two-user tests can run here; when not, the running test says why it is skipped.
fn can_run() -> bool {
    let why = cannot_run();
    if let Some(why) = &why {
        crate::common::skipped(why);
    }
    why.is_none()
}

/// Why the two-user tests cannot run here, if they cannot.
fn cannot_run() -> Option<String> {
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root: one user only".into());
    }
    if !tmux_available() {
        return Some("tmux is not installed".into());
    }
    match Command::new("setpriv")
        .args(nobody_args())
        .arg(bin())
        .arg("--version")
        .output()
    {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!(
            "uid {NOBODY} cannot run {}: {}",
            bin().display(),
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Some(format!("setpriv: {e}")),
    }
}

fn nobody_args() -> [String; 4] {
    [
        format!("--reuid={NOBODY}"),
        format!("--regid={NOBODY}"),
        "--clear-groups".into(),
        "--".into(),
    ]
}

/// Runs `program args` as uid 65534.
fn as_nobody(program: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut c = Command::new("setpriv");
    c.args(nobody_args()).arg(program).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

/// A folder under /tmp that every user may pass through (a tempdir is 0700: another user
/// could not even try).
fn open_root() -> tempfile::TempDir {
    let t = tempfile::Builder::new()
        .prefix("genreplay-users-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    t
}

/// A small library every user may read.
fn library(root: &Path) -> PathBuf {
    let lib = root.join("lib");
    for (i, title) in ["One", "Two"].iter().enumerate() {
        let p = lib.join(format!("Artist/Album/0{i} {title}.wav"));
        tagged_track(&p, 6.0, i as u64, "Artist", "Album", title);
    }
    for d in [&lib, &lib.join("Artist"), &lib.join("Artist/Album")] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    lib.canonicalize().unwrap()
}

fn config(root: &Path) -> PathBuf {
    let c = root.join("config");
    std::fs::create_dir_all(&c).unwrap();
    std::fs::write(
        c.join("config.toml"),
        "analysis_threads = 1\nmpris = false\n",
    )
    .unwrap();
    std::fs::set_permissions(&c, std::fs::Permissions::from_mode(0o755)).unwrap();
    c
}

/// The player in tmux (`prefix`: "setpriv …" to run it as another user), without
/// XDG_RUNTIME_DIR, with HOME in `root`.
fn start_player(root: &Path, data: &Path, lib: &Path, prefix: &str) -> Tmux {
    let before = format!("unset XDG_RUNTIME_DIR\nexport HOME={}", quote(root));
    tmux::start_player(root, &config(root), data, lib, &before, prefix)
}

fn ctl(data: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("XDG_RUNTIME_DIR")
        .output()
        .unwrap()
}

fn has_terminal_controls(b: &[u8]) -> bool {
    let s = String::from_utf8_lossy(b);
    s.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t') || ('\u{202a}'..='\u{202e}').contains(&c)
    })
}

// ------------------------------------------------------------------ a listener of another uid

/// A process of uid 65534 listening on a Unix socket at `path`: it counts the bytes each
/// client sends it and answers with a frame that would write the terminal's clipboard (OSC 52)
/// and its title. Bound as root first when `bind_as_root` (so it can sit in root's folder),
/// listening as 65534 either way: the kernel gives clients the listener's credentials.
struct Impostor {
    pid: libc::pid_t,
    /// Read end: one byte per connection, the number of bytes received (capped at 255).
    report: std::fs::File,
}

impl Impostor {
    fn start(path: &Path, bind_as_root: bool) -> Impostor {
        // Everything the child needs is made before the fork: it only makes system calls.
        let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
        addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
        let bytes = path.as_os_str().as_bytes();
        assert!(bytes.len() < addr.sun_path.len(), "{}", path.display());
        for (d, s) in addr.sun_path.iter_mut().zip(bytes) {
            *d = *s as libc::c_char;
        }
        let body = br#"{"type":"reply","reply":{"ok":true,"message":"owned\u001b]52;c;aGk=\u0007\u001b]0;title\u0007","status":{"state":"playing","position_secs":0.0,"volume":100,"muted":false,"shuffle":false,"repeat":"off","auto_dj":false,"queue":[],"track":null,"context":null}}}"#;
        let mut frame = vec![b'R'];
        frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
        frame.extend_from_slice(body);
        let mut fds = [0; 2];
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            unsafe {
                let drop_to_nobody = || {
                    let none: [libc::gid_t; 0] = [];
                    libc::syscall(libc::SYS_setgroups, 0, none.as_ptr());
                    libc::syscall(libc::SYS_setresgid, NOBODY, NOBODY, NOBODY);
                    libc::syscall(libc::SYS_setresuid, NOBODY, NOBODY, NOBODY) == 0
                };
                if !bind_as_root && !drop_to_nobody() {
                    libc::_exit(3);
                }
                let s = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
                let len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
                if libc::bind(s, (&addr as *const libc::sockaddr_un).cast(), len) != 0 {
                    libc::_exit(4);
                }
                libc::chmod(
                    addr.sun_path.as_ptr(),
                    0o777, // anyone may connect: the impostor wants visitors
                );
                if bind_as_root && !drop_to_nobody() {
                    libc::_exit(3);
                }
                if libc::listen(s, 8) != 0 {
                    libc::_exit(5);
                }
                loop {
                    let c = libc::accept(s, std::ptr::null_mut(), std::ptr::null_mut());
                    if c < 0 {
                        continue;
                    }
                    let tv = libc::timeval {
                        tv_sec: 2,
                        tv_usec: 0,
                    };
                    libc::setsockopt(
                        c,
                        libc::SOL_SOCKET,
                        libc::SO_RCVTIMEO,
                        (&tv as *const libc::timeval).cast(),
                        std::mem::size_of::<libc::timeval>() as libc::socklen_t,
                    );
                    let mut buf = [0u8; 4096];
                    let n = libc::read(c, buf.as_mut_ptr().cast(), buf.len());
                    let got = [n.clamp(0, 255) as u8];
                    libc::write(fds[1], got.as_ptr().cast(), 1);
                    libc::write(c, frame.as_ptr().cast(), frame.len());
                    libc::close(c);
                }
            }
        }
        unsafe { libc::close(fds[1]) };
        use std::os::fd::FromRawFd;
        let report = unsafe { std::fs::File::from_raw_fd(fds[0]) };
        // Listening before the test goes on.
        wait_until("the impostor to bind", TIMEOUT, || {
            std::fs::symlink_metadata(path).is_ok()
        });
        // Bound, then listening: a fixed time, because connecting to check would be a visit.
        std::thread::sleep(Duration::from_millis(100));
        Impostor { pid, report }
    }

    /// The byte counts of the connections it had so far.
    fn visits(&mut self) -> Vec<u8> {
        use std::io::Read;
        use std::os::fd::AsRawFd;
        let fd = self.report.as_raw_fd();
        unsafe { libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK) };
        let mut buf = [0u8; 64];
        match self.report.read(&mut buf) {
            Ok(n) => buf[..n].to_vec(),
            Err(_) => vec![],
        }
    }
}

impl Drop for Impostor {
    fn drop(&mut self) {
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            libc::waitpid(self.pid, std::ptr::null_mut(), 0);
        }
    }
}

// ------------------------------------------------------------------ the tests

#[test]
fn another_user_can_neither_read_the_data_folder_nor_reach_the_player() {
    if !can_run() {
        return;
    }
    let root = open_root();
    let lib = library(root.path());
    // An install from before: the data folder and its files open to everyone.
    let data = root.path().join("data");
    std::fs::create_dir_all(data.join("playlists")).unwrap();
    let old = data.join("playlists/old.m3u8");
    std::fs::write(&old, "#EXTM3U\n/somewhere/x.mp3\n").unwrap();
    for (p, m) in [
        (&data, 0o755),
        (&data.join("playlists"), 0o755),
        (&old, 0o644),
    ] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    }
    let tmux = start_player(root.path(), &data, &lib, "");
    assert_eq!(mode(&data), 0o700, "the data folder is private");
    wait_until("old.m3u8 made private (0600)", TIMEOUT, || {
        mode(&old) == 0o600
    });
    assert_eq!(
        std::fs::read_to_string(&old).unwrap(),
        "#EXTM3U\n/somewhere/x.mp3\n",
        "tightened, not touched"
    );
    assert_eq!(mode(&data.join("genreplay.log")), 0o600);
    let sock = data.join("genreplay.sock");
    assert!(sock.exists(), "the socket is in the data folder");

    // The other user: no listing, no log, no socket.
    let ls = as_nobody(Path::new("/bin/ls"), &[data.to_str().unwrap()], &[]);
    assert!(!ls.status.success(), "{}", text(&ls.stdout));
    let cat = as_nobody(
        Path::new("/bin/cat"),
        &[data.join("genreplay.log").to_str().unwrap()],
        &[],
    );
    assert!(!cat.status.success());
    assert!(text(&cat.stderr).contains("Permission denied"), "{cat:?}");
    let sock_cat = as_nobody(Path::new("/bin/cat"), &[sock.to_str().unwrap()], &[]);
    assert!(
        text(&sock_cat.stderr).contains("Permission denied"),
        "{sock_cat:?}"
    );
    let home = root.path().to_path_buf();
    let out = as_nobody(
        &bin(),
        &["--data-dir", data.to_str().unwrap(), "ctl", "status"],
        &[("HOME", &home)],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        text(&out.stderr).contains("belongs to another user"),
        "{}",
        text(&out.stderr)
    );
    // Our user goes on as before.
    let out = ctl(&data, &["ctl", "status", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    tmux.keys(&["q"]);
    tmux.wait_for("genreplay exited with 0");
}

#[test]
fn a_long_data_folder_keeps_its_socket_and_nobody_can_stand_in_for_the_player() {
    if !can_run() {
        return;
    }
    let root = open_root();
    let lib = library(root.path());
    let data = root.path().join("d".repeat(120)).join("data");
    std::fs::create_dir_all(&data).unwrap();
    let data = data.canonicalize().unwrap();
    assert!(data.join("genreplay.sock").as_os_str().len() > 107);
    // Where genreplay used to put the socket of such a folder (XDG_RUNTIME_DIR unset): another
    // user gets there first and listens.
    let hash = blake3::hash(data.as_os_str().as_bytes()).to_hex();
    let predictable =
        std::env::temp_dir().join(format!("genreplay-0-{}.sock", &hash.as_str()[..16]));
    let _ = std::fs::remove_file(&predictable);
    let mut impostor = Impostor::start(&predictable, false);

    let tmux = start_player(root.path(), &data, &lib, "");
    let screen = tmux.screen().join("\n");
    assert!(
        !screen.contains("genreplay exited"),
        "the player did not start:\n{screen}"
    );
    assert!(
        data.join("genreplay.sock").exists(),
        "the socket is in the data folder"
    );
    let out = ctl(&data, &["ctl", "status"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("stopped"),
        "{}",
        text(&out.stdout)
    );
    assert!(!has_terminal_controls(&out.stdout) && !has_terminal_controls(&out.stderr));
    let listed = ctl(&data, &["library"]);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    assert!(
        text(&listed.stdout).contains("Artist — One"),
        "{}",
        text(&listed.stdout)
    );
    assert_eq!(
        impostor.visits(),
        Vec::<u8>::new(),
        "nobody asked the impostor"
    );
    tmux.keys(&["q"]);
    tmux.wait_for("genreplay exited with 0");
    let _ = std::fs::remove_file(&predictable);
}

#[test]
fn the_client_sends_nothing_to_a_listener_of_another_user() {
    if !can_run() {
        return;
    }
    let root = open_root();
    let data = root.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    // In our own folder — only root itself could put it there — but listening as 65534.
    let mut impostor = Impostor::start(&data.join("genreplay.sock"), true);
    for args in [&["ctl", "status"][..], &["library"][..]] {
        let out = ctl(&data, args);
        assert!(!out.status.success(), "{args:?}: {}", text(&out.stdout));
        let err = text(&out.stderr);
        assert!(
            err.contains("another user (uid 65534)") && err.contains("refusing"),
            "{args:?}: {err}"
        );
        assert!(
            !has_terminal_controls(&out.stdout) && !has_terminal_controls(&out.stderr),
            "{args:?}: {out:?}"
        );
    }
    // It was called on (connecting is how the client learns who listens) and heard nothing.
    let visits = impostor.visits();
    assert!(!visits.is_empty(), "the client never connected");
    assert!(
        visits.iter().all(|&n| n == 0),
        "bytes sent to the impostor: {visits:?}"
    );
    // Nor does a player start beside it as if the impostor were one of ours.
    let lib = library(root.path());
    let out = Command::new(bin())
        .arg("--data-dir")
        .arg(&data)
        .arg("--library")
        .arg(&lib)
        .env("GENREPLAY_NO_AUDIO", "1")
        .env("GENREPLAY_CONFIG_DIR", config(root.path()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("another user (uid 65534)"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_player_answers_only_its_own_user() {
    if !can_run() {
        return;
    }
    let root = open_root();
    let lib = library(root.path());
    // The player runs as 65534 in a folder of its own.
    let home = root.path().join("nobody");
    std::fs::create_dir_all(&home).unwrap();
    let c = CString::new(home.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::chown(c.as_ptr(), NOBODY, NOBODY) }, 0);
    let data = home.join("data");
    let setpriv = format!("setpriv {}", nobody_args().join(" "));
    let tmux = start_player(root.path(), &data, &lib, &setpriv);
    let sock = data.join("genreplay.sock");
    assert!(sock.exists(), "{}", tmux.screen().join("\n"));
    // Root reaches the socket (no folder stops root), and is not answered.
    let mut s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    use std::io::{Read, Write};
    let body = br#"{"op":"hello"}"#;
    let mut frame = vec![b'Q'];
    frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
    frame.extend_from_slice(body);
    let _ = s.write_all(&frame);
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    assert!(
        answer.is_empty(),
        "answered another user: {}",
        text(&answer)
    );
    // Root's own client refuses the folder before that.
    let out = ctl(&data, &["ctl", "status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("belongs to another user"),
        "{out:?}"
    );
    // Its own user drives it.
    let out = as_nobody(
        &bin(),
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "ctl",
            "status",
            "--json",
        ],
        &[("HOME", &home)],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["state"], "stopped");
    tmux.keys(&["q"]);
    tmux.wait_for("genreplay exited with 0");
}
