//! A one-line prompt at the bottom of the screen: a name for a playlist (Tab completes the
//! playlists' names when adding to one), a file to import, a time to go to, or a yes/no. Keys go to it while it is open; Enter submits, Esc cancels.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::retrain::complete_path;
use crate::library::TrackId;

/// What the answer is for.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptKind {
    SaveQueue,
    RenamePlaylist(PathBuf),
    /// Yes/no: `y` confirms, anything else cancels.
    ConfirmDelete(PathBuf),
    ImportPlaylist,
    SeekTo,
    /// The `:` command line (`app::command_line`).
    Command,
    /// A new smart playlist's name; its rule given (an open search's query) or asked next.
    SmartName {
        rule: Option<String>,
    },
    /// A smart playlist's rule: a new one called `name`, or the rule of the file at `path`.
    SmartRule {
        name: String,
        path: Option<PathBuf>,
    },
    /// The playlist to add `tracks` to (a new one when no playlist has the name); Tab
    /// completes over `names`, the playlists that are not smart.
    AddToPlaylist {
        tracks: Vec<TrackId>,
        names: Vec<String>,
    },
}

/// The names Tab completes in an `AddToPlaylist` prompt: the playlists that are not smart
/// (at most 10,000; a name a terminal could not show as typed is left out).
pub fn playlist_names(lists: &[crate::playlist::Playlist]) -> Vec<String> {
    lists
        .iter()
        .filter(|p| p.rule.is_none())
        .map(|p| p.name.clone())
        .filter(|n| !n.chars().any(crate::util::text::needs_escape))
        .take(10_000)
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub label: String,
    pub text: String,
    /// Candidates of the last Tab (file prompts).
    pub completions: Vec<String>,
}

/// What a key did to the prompt.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptOutcome {
    Open,
    Cancelled,
    Submitted(PromptKind, String),
}

impl Prompt {
    pub fn new(kind: PromptKind, label: String, text: &str) -> Self {
        Prompt {
            kind,
            label,
            text: text.to_string(),
            completions: vec![],
        }
    }

    /// The playlist folder was read again: an `AddToPlaylist` prompt completes over its names.
    pub fn playlists_loaded(&mut self, lists: &[crate::playlist::Playlist]) {
        if let PromptKind::AddToPlaylist { names, .. } = &mut self.kind {
            *names = playlist_names(lists);
        }
    }

    /// Tab in an `AddToPlaylist` prompt: the names that begin with the text (any case); one
    /// is taken, several give their common beginning, and Tab again goes to the next one.
    fn complete_name(&mut self) {
        let PromptKind::AddToPlaylist { names, .. } = &self.kind else {
            return;
        };
        if let Some(i) = self.completions.iter().position(|c| *c == self.text) {
            self.text = self.completions[(i + 1) % self.completions.len()].clone();
            return;
        }
        let typed = self.text.to_lowercase();
        let found: Vec<String> = names
            .iter()
            .filter(|n| n.to_lowercase().starts_with(&typed))
            .cloned()
            .collect();
        match found.as_slice() {
            [] => {}
            [one] => self.text = one.clone(),
            [first, rest @ ..] => {
                let mut common: Vec<char> = first.chars().collect();
                for n in rest {
                    let same = common
                        .iter()
                        .zip(n.chars())
                        .take_while(|(a, b)| **a == *b)
                        .count();
                    common.truncate(same);
                }
                if common.len() >= self.text.chars().count() {
                    self.text = common.into_iter().collect();
                }
            }
        }
        self.completions = if found.len() > 1 { found } else { vec![] };
    }

    pub fn on_key(&mut self, k: KeyEvent) -> PromptOutcome {
        if let PromptKind::ConfirmDelete(_) = self.kind {
            return match k.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    PromptOutcome::Submitted(self.kind.clone(), "y".into())
                }
                _ => PromptOutcome::Cancelled,
            };
        }
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Esc => return PromptOutcome::Cancelled,
            KeyCode::Enter => {
                return PromptOutcome::Submitted(self.kind.clone(), self.text.trim().to_string());
            }
            KeyCode::Backspace => {
                self.text.pop();
            }
            KeyCode::Char('u') if ctrl => self.text.clear(),
            KeyCode::Tab if self.kind == PromptKind::Command => {
                let (text, shown) = super::command_line::complete(&self.text);
                self.text = text;
                self.completions = shown;
            }
            KeyCode::Tab if self.kind == PromptKind::ImportPlaylist => {
                let (text, options) = complete_path(&self.text, false);
                self.text = text;
                self.completions = options;
            }
            KeyCode::Tab => self.complete_name(),
            KeyCode::Char(c) if !ctrl && self.text.chars().count() < 4096 => self.text.push(c),
            _ => {}
        }
        PromptOutcome::Open
    }
}

/// Parses a time typed by the user: `90`, `1:30`, `1:02:03`, `+30`, `-10` (relative to `now`).
pub fn parse_time(s: &str, now: f64) -> Option<f64> {
    let s = s.trim();
    let (sign, body) = match s.as_bytes().first() {
        Some(b'+') => (1.0, &s[1..]),
        Some(b'-') => (-1.0, &s[1..]),
        _ => (0.0, s),
    };
    let mut secs = 0.0f64;
    let parts: Vec<&str> = body.split(':').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    for (i, p) in parts.iter().enumerate() {
        let v: f64 = p.trim().parse().ok()?;
        if !v.is_finite() || v < 0.0 || (i > 0 && v >= 60.0) {
            return None;
        }
        secs = secs * 60.0 + v;
    }
    Some(if sign == 0.0 { secs } else { now + sign * secs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse() {
        assert_eq!(parse_time("90", 0.0), Some(90.0));
        assert_eq!(parse_time("1:30", 0.0), Some(90.0));
        assert_eq!(parse_time("1:02:03", 0.0), Some(3723.0));
        assert_eq!(parse_time("+30", 10.0), Some(40.0));
        assert_eq!(parse_time("-5", 10.0), Some(5.0));
        assert_eq!(parse_time("1:75", 0.0), None);
        assert_eq!(parse_time("abc", 0.0), None);
        assert_eq!(parse_time("", 0.0), None);
        assert_eq!(parse_time("inf", 0.0), None);
    }

    #[test]
    fn keys_edit_submit_and_cancel() {
        let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
        let mut p = Prompt::new(PromptKind::SaveQueue, "name".into(), "");
        for c in "Road".chars() {
            p.on_key(key(KeyCode::Char(c)));
        }
        p.on_key(key(KeyCode::Backspace));
        assert_eq!(
            p.on_key(key(KeyCode::Enter)),
            PromptOutcome::Submitted(PromptKind::SaveQueue, "Roa".into())
        );
        let mut c = Prompt::new(PromptKind::ConfirmDelete("/x".into()), "sure?".into(), "");
        assert_eq!(c.on_key(key(KeyCode::Char('n'))), PromptOutcome::Cancelled);
        assert!(matches!(
            c.on_key(key(KeyCode::Char('y'))),
            PromptOutcome::Submitted(..)
        ));
    }
}
