#![allow(dead_code)]
//! A tmux server of our own for the end-to-end tests: start the player in it, type keys, read
//! the screen back.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub const WIDTH: u16 = 120;
pub const HEIGHT: u16 = 34;
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Text that must never reach the screen: stderr chatter from ALSA, the decoders or the log.
pub const STDERR_MARKERS: [&str; 5] = ["ALSA lib", "WARN", "INFO", "symphonia", "panicked"];

/// A tmux server of our own (unique socket) with one session; killed on drop, pass or fail.
pub struct Tmux {
    socket: String,
    pub session: &'static str,
    socket_path: Option<PathBuf>,
}

impl Tmux {
    pub fn start(command: &str) -> Tmux {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let mut t = Tmux {
            socket: format!("genreplay-e2e-{}-{nanos}", std::process::id()),
            session: "player",
            socket_path: None,
        };
        let out = t.run(&[
            "new-session",
            "-d",
            "-s",
            t.session,
            "-x",
            &WIDTH.to_string(),
            "-y",
            &HEIGHT.to_string(),
            command,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t.socket_path = Some(PathBuf::from(t.format("#{socket_path}")));
        t
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("running tmux")
    }

    /// Sends tmux key names ("Enter", "Escape", "q", "?").
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.session];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success());
    }

    /// Types `text` literally.
    pub fn type_text(&self, text: &str) {
        assert!(
            self.run(&["send-keys", "-t", self.session, "-l", text])
                .status
                .success()
        );
    }

    /// The visible screen, one string per row. Fails if stderr output shows on it.
    pub fn screen(&self) -> Vec<String> {
        let out = self.run(&["capture-pane", "-p", "-t", self.session]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        for m in STDERR_MARKERS {
            assert!(
                !text.contains(m),
                "{m:?} (stderr output) is on the screen:\n{text}"
            );
        }
        text.lines().map(str::to_string).collect()
    }

    pub fn format(&self, f: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", self.session, f]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Polls the screen until `ok` holds; fails with the last screen after the timeout.
    pub fn wait_until(&self, what: &str, ok: impl Fn(&[String]) -> bool) -> Vec<String> {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                // A capture can catch a frame half written (the title row new, the rows below
                // still the last view's): a second look a moment later that still matches is
                // the frame whole.
                std::thread::sleep(Duration::from_millis(40));
                let again = self.screen();
                if ok(&again) {
                    return again;
                }
            }
            if start.elapsed() > TIMEOUT {
                panic!(
                    "timed out waiting for {what}; the screen:\n{}",
                    s.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_for(&self, text: &str) -> Vec<String> {
        self.wait_until(&format!("{text:?}"), |s| s.iter().any(|l| l.contains(text)))
    }

    pub fn wait_gone(&self, text: &str) -> Vec<String> {
        self.wait_until(&format!("{text:?} to go"), |s| {
            !s.iter().any(|l| l.contains(text))
        })
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
        // The server leaves its socket file behind.
        if let Some(p) = self.socket_path.as_ref().filter(|p| p.is_absolute()) {
            let _ = std::fs::remove_file(p);
        }
    }
}

pub fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether tmux runs here; when it does not, the running test says it is skipped (and returns:
/// `if !have_tmux() { return; }`).
pub fn have_tmux() -> bool {
    let ok = tmux_available();
    if !ok {
        super::skipped("tmux is not installed");
    }
    ok
}

/// `../shared/data/library-sample`; when it is not there, the running test says it is skipped.
pub fn sample_library() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/library-sample");
    if !p.is_dir() {
        super::skipped("../shared/data/library-sample is not present");
        return None;
    }
    Some(p.canonicalize().unwrap_or(p))
}

/// A sound card is there: keep the test quiet with the player's silent mode.
pub fn has_sound_card() -> bool {
    std::fs::read_to_string("/proc/asound/cards")
        .is_ok_and(|s| !s.trim().is_empty() && !s.contains("no soundcards"))
}

/// "m:ss / m:ss" in `line` → (position, duration) in seconds.
pub fn times(line: &str) -> Option<(u64, u64)> {
    let secs = |t: &str| -> Option<u64> {
        let mut s = 0;
        for part in t.split(':') {
            s = s * 60 + part.parse::<u64>().ok()?;
        }
        Some(s)
    };
    let i = line.find(" / ")?;
    let pos = line[..i]
        .rsplit(|c: char| c.is_whitespace() || !c.is_ascii())
        .next()?;
    let dur = line[i + 3..].split_whitespace().next()?;
    Some((secs(pos)?, secs(dur)?))
}

/// The player bar (the first row below the main view's frame).
pub fn player_bar(s: &[String]) -> &str {
    &s[HEIGHT as usize - 3]
}

pub fn position(s: &[String]) -> Option<u64> {
    times(&s[HEIGHT as usize - 2]).map(|t| t.0)
}

/// The text inside a bordered row.
pub fn inner(row: &str) -> &str {
    row.trim_start_matches('│')
        .trim_end()
        .trim_end_matches('│')
        .trim_end()
}

pub fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// The release binary as the player in a tmux session of its own: silent audio, settings from
/// `config`, data in `data`, music in `lib`; `before` is shell run first (exports, `unset`),
/// `prefix` goes before the program (`setpriv …`). When it ends the pane says
/// "genreplay exited with N" and stays, so the screen can still be read. Waits for the
/// library's first row (or the exit).
pub fn start_player(
    script_dir: &Path,
    config: &Path,
    data: &Path,
    lib: &Path,
    before: &str,
    prefix: &str,
) -> Tmux {
    let bin = assert_cmd::cargo::cargo_bin("genreplay");
    let script = script_dir.join(format!("run-player-{}.sh", std::process::id()));
    std::fs::write(
        &script,
        format!(
            "{before}\nexport GENREPLAY_CONFIG_DIR={config}\nexport GENREPLAY_NO_AUDIO=1\n\
             {prefix} {bin} --data-dir {data} --library {lib}\n\
             echo \"genreplay exited with $?\"\nsleep 600\n",
            config = quote(config),
            bin = quote(&bin),
            data = quote(data),
            lib = quote(lib),
        ),
    )
    .expect("writing the player's script");
    let t = Tmux::start(&format!("sh {}", quote(&script)));
    t.wait_until("the library", |s| {
        s.iter()
            .any(|l| l.starts_with("│▸ ") || l.starts_with("│▾ ") || l.contains("genreplay exited"))
    });
    t
}
