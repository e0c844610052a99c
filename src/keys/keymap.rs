//! Key bindings: key names ↔ crossterm events, defaults from the embedded keymap.toml, user
//! overrides action by action.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use super::action::{Action, Scope};
use crate::util::toml_file::{ConfigError, line_of, parse_toml};

pub const DEFAULT_KEYMAP: &str = include_str!("../config/defaults/keymap.toml");

/// A key as written in keymap.toml, normalised ("ctrl-d", "G", "space", "shift-right").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeySpec(pub String);

const NAMED: &[&str] = &[
    "enter",
    "esc",
    "tab",
    "backtab",
    "space",
    "up",
    "down",
    "left",
    "right",
    "home",
    "end",
    "pgup",
    "pgdown",
    "delete",
    "backspace",
    "insert",
];

impl KeySpec {
    /// Parses and normalises a key name; `None` when it is not a key.
    pub fn parse(s: &str) -> Option<KeySpec> {
        let (mods, key) = match s.rfind('-') {
            Some(i) if i + 1 < s.len() && i > 0 => (&s[..i], &s[i + 1..]),
            _ => ("", s),
        };
        let mut parts: Vec<&str> = if mods.is_empty() {
            vec![]
        } else {
            mods.split('-').collect()
        };
        for m in &parts {
            if !matches!(*m, "ctrl" | "alt" | "shift") {
                return None;
            }
        }
        parts.sort();
        parts.dedup();
        let key_ok = key.chars().count() == 1
            || NAMED.contains(&key)
            || (key.starts_with('f')
                && key[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)));
        if !key_ok {
            return None;
        }
        let mut out = parts.join("-");
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(key);
        Some(KeySpec(out))
    }

    /// The key name of a terminal key event.
    pub fn from_event(ev: &KeyEvent) -> Option<KeySpec> {
        let key = match ev.code {
            KeyCode::Char(' ') => "space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "enter".into(),
            KeyCode::Esc => "esc".into(),
            KeyCode::Tab => "tab".into(),
            KeyCode::BackTab => "backtab".into(),
            KeyCode::Up => "up".into(),
            KeyCode::Down => "down".into(),
            KeyCode::Left => "left".into(),
            KeyCode::Right => "right".into(),
            KeyCode::Home => "home".into(),
            KeyCode::End => "end".into(),
            KeyCode::PageUp => "pgup".into(),
            KeyCode::PageDown => "pgdown".into(),
            KeyCode::Delete => "delete".into(),
            KeyCode::Backspace => "backspace".into(),
            KeyCode::Insert => "insert".into(),
            KeyCode::F(n) => format!("f{n}"),
            _ => return None,
        };
        let mut mods = Vec::new();
        if ev.modifiers.contains(KeyModifiers::ALT) {
            mods.push("alt");
        }
        if ev.modifiers.contains(KeyModifiers::CONTROL) {
            mods.push("ctrl");
        }
        // Shift is part of the character itself ("G"); it only counts for named keys.
        let is_char = matches!(ev.code, KeyCode::Char(c) if c != ' ');
        if ev.modifiers.contains(KeyModifiers::SHIFT) && !is_char && ev.code != KeyCode::BackTab {
            mods.push("shift");
        }
        mods.sort();
        let mut s = mods.join("-");
        if !s.is_empty() {
            s.push('-');
        }
        s.push_str(&key);
        Some(KeySpec(s))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    keys: BTreeMap<String, toml::Value>,
}

/// Key → actions (one per scope that can apply at once), and action → keys for help.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    by_key: HashMap<KeySpec, Vec<Action>>,
}

fn key_list(v: &toml::Value) -> Option<Vec<String>> {
    match v {
        toml::Value::String(s) => Some(vec![s.clone()]),
        toml::Value::Array(a) => a.iter().map(|x| x.as_str().map(str::to_string)).collect(),
        _ => None,
    }
}

/// Line of the first occurrence of `needle` in `text` (for error messages).
fn find_line(text: &str, needle: &str) -> Option<usize> {
    text.find(needle).map(|i| line_of(text, i))
}

fn parse_bindings(text: &str, file: &Path) -> Result<Vec<(Action, Vec<KeySpec>)>, ConfigError> {
    let parsed: KeymapFile = parse_toml(text, file)?;
    let err = |needle: &str, message: String| ConfigError {
        file: file.to_path_buf(),
        line: find_line(text, needle),
        message,
    };
    let mut out = Vec::new();
    let mut seen: HashMap<KeySpec, Vec<Action>> = HashMap::new();
    for (name, value) in &parsed.keys {
        let action = Action::from_name(name).ok_or_else(|| {
            err(
                name,
                format!("unknown action '{name}' (see the help screen for the list)"),
            )
        })?;
        let keys = key_list(value)
            .ok_or_else(|| err(name, format!("'{name}' must be a key or a list of keys")))?;
        let mut specs = Vec::new();
        for k in keys {
            let spec = KeySpec::parse(&k)
                .ok_or_else(|| err(&format!("\"{k}\""), format!("'{k}' is not a key")))?;
            if let Some(other) = seen.get(&spec).and_then(|v| {
                v.iter()
                    .find(|o| **o != action && o.scope().overlaps(action.scope()))
            }) {
                return Err(ConfigError {
                    file: file.to_path_buf(),
                    line: text
                        .match_indices(&format!("\"{k}\""))
                        .nth(1)
                        .or_else(|| text.match_indices(&format!("\"{k}\"")).next())
                        .map(|(i, _)| line_of(text, i)),
                    message: format!(
                        "key '{k}' is bound to both '{}' and '{}'",
                        other.name(),
                        action.name()
                    ),
                });
            }
            seen.entry(spec.clone()).or_default().push(action);
            specs.push(spec);
        }
        out.push((action, specs));
    }
    Ok(out)
}

impl Keymap {
    /// The embedded defaults.
    pub fn defaults() -> Self {
        let bindings =
            parse_bindings(DEFAULT_KEYMAP, Path::new("<built-in keymap.toml>")).unwrap_or_default();
        let mut km = Keymap {
            by_key: HashMap::new(),
        };
        for (a, keys) in bindings {
            for k in keys {
                km.bind(k, a);
            }
        }
        km
    }

    /// Binds `key` to `action`: actions of overlapping scopes lose the key.
    fn bind(&mut self, key: KeySpec, action: Action) {
        let list = self.by_key.entry(key).or_default();
        list.retain(|a| *a != action && !a.scope().overlaps(action.scope()));
        list.push(action);
        list.sort_by_key(|a| a.scope());
    }

    /// Defaults with the user's bindings from `text` (file `file`): each action listed replaces
    /// its keys; a key the user binds leaves whatever action had it by default.
    pub fn with_overrides(text: &str, file: &Path) -> Result<Self, ConfigError> {
        let user = parse_bindings(text, file)?;
        let mut km = Keymap::defaults();
        for (action, keys) in user {
            for list in km.by_key.values_mut() {
                list.retain(|a| *a != action);
            }
            for k in keys {
                km.bind(k, action);
            }
        }
        km.by_key.retain(|_, list| !list.is_empty());
        Ok(km)
    }

    /// The action of a key in any scope (the broadest scope first).
    pub fn action_for(&self, ev: &KeyEvent) -> Option<Action> {
        self.action_in(ev, &Scope::ALL)
    }

    /// The action of a key among the scopes that apply now, in the order given.
    pub fn action_in(&self, ev: &KeyEvent, scopes: &[Scope]) -> Option<Action> {
        let list = self.by_key.get(&KeySpec::from_event(ev)?)?;
        scopes
            .iter()
            .find_map(|s| list.iter().find(|a| a.scope() == *s).copied())
    }

    /// The first key bound to `action`, for on-screen hints ("f fills the queue"); the
    /// action's name in brackets when the user left it unbound.
    pub fn hint(&self, action: Action) -> String {
        self.keys_for(action)
            .into_iter()
            .next()
            .unwrap_or_else(|| format!("[{}]", action.name()))
    }

    /// The keys bound to `action`, sorted (single characters first).
    pub fn keys_for(&self, action: Action) -> Vec<String> {
        let mut v: Vec<String> = self
            .by_key
            .iter()
            .filter(|(_, list)| list.contains(&action))
            .map(|(k, _)| k.0.clone())
            .collect();
        v.sort_by_key(|k| (k.chars().count() > 1, k.clone()));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn key_names_normalise() {
        assert_eq!(KeySpec::parse("q"), Some(KeySpec("q".into())));
        assert_eq!(KeySpec::parse("ctrl-d"), Some(KeySpec("ctrl-d".into())));
        assert_eq!(
            KeySpec::parse("shift-ctrl-right"),
            Some(KeySpec("ctrl-shift-right".into()))
        );
        assert_eq!(KeySpec::parse("-"), Some(KeySpec("-".into())));
        assert_eq!(KeySpec::parse("f5"), Some(KeySpec("f5".into())));
        assert_eq!(KeySpec::parse("hyper-x"), None);
        assert_eq!(KeySpec::parse("banana"), None);
        assert_eq!(KeySpec::parse("f13"), None);
    }

    #[test]
    fn events_map_to_names() {
        let n = |c, m| KeySpec::from_event(&key(c, m)).unwrap().0;
        assert_eq!(n(KeyCode::Char('G'), KeyModifiers::SHIFT), "G");
        assert_eq!(n(KeyCode::Char('d'), KeyModifiers::CONTROL), "ctrl-d");
        assert_eq!(n(KeyCode::Char(' '), KeyModifiers::NONE), "space");
        assert_eq!(n(KeyCode::Right, KeyModifiers::SHIFT), "shift-right");
        assert_eq!(n(KeyCode::BackTab, KeyModifiers::SHIFT), "backtab");
        assert_eq!(n(KeyCode::Enter, KeyModifiers::NONE), "enter");
    }

    #[test]
    fn defaults_cover_every_action_without_conflicts() {
        let km = Keymap::defaults();
        for &a in Action::ALL {
            assert!(!km.keys_for(a).is_empty(), "{} has no key", a.name());
        }
        assert_eq!(
            km.action_for(&key(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action_for(&key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
    }

    #[test]
    fn user_bindings_override_key_by_key() {
        // 'x' becomes play/pause; 'n' moves from next_track to quit.
        let km = Keymap::with_overrides(
            "[keys]\nplay_pause = [\"x\"]\nquit = [\"n\", \"q\"]\n",
            Path::new("k.toml"),
        )
        .unwrap();
        assert_eq!(km.keys_for(Action::PlayPause), vec!["x"]);
        assert_eq!(
            km.action_for(&key(KeyCode::Char('n'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(km.keys_for(Action::NextTrack), vec!["b"]);
        assert_eq!(
            km.action_for(&key(KeyCode::Char(' '), KeyModifiers::NONE)),
            None
        );
        // Untouched actions keep their defaults.
        assert_eq!(km.keys_for(Action::Help), vec!["?", "f1"]);
    }

    #[test]
    fn one_key_serves_actions_of_scopes_that_never_meet() {
        let km = Keymap::defaults();
        let d = key(KeyCode::Char('d'), KeyModifiers::NONE);
        assert_eq!(km.action_in(&d, &[Scope::Queue]), Some(Action::QueueRemove));
        assert_eq!(
            km.action_in(&d, &[Scope::Training]),
            Some(Action::DiscardModel)
        );
        assert_eq!(km.action_in(&d, &[Scope::Browse]), None);
        // In one file, a global key cannot also serve a view.
        let e = Keymap::with_overrides(
            "[keys]\nquit = [\"x\"]\ncancel_training = [\"x\"]\n",
            Path::new("k"),
        );
        assert!(e.unwrap_err().message.contains("bound to both"));
        // Two views can share one.
        let km = Keymap::with_overrides(
            "[keys]\nqueue_move_up = [\"x\"]\ncancel_training = [\"x\"]\n",
            Path::new("k"),
        )
        .unwrap();
        assert_eq!(km.keys_for(Action::CancelTraining), vec!["x"]);
        // Rebinding a global action to a view's key takes the key from the view.
        let km = Keymap::with_overrides("[keys]\nstop = [\"d\"]\n", Path::new("k")).unwrap();
        assert_eq!(
            km.action_in(&d, &[Scope::Queue, Scope::Global]),
            Some(Action::Stop)
        );
        assert!(
            km.keys_for(Action::QueueRemove)
                .contains(&"delete".to_string())
        );
        assert!(!km.keys_for(Action::QueueRemove).contains(&"d".to_string()));
        assert_eq!(km.hint(Action::Stop), "d");
    }

    #[test]
    fn conflicts_and_bad_entries_name_the_line() {
        let text = "[keys]\nquit = [\"x\"]\nstop = [\"x\"]\n";
        let e = Keymap::with_overrides(text, Path::new("/c/keymap.toml")).unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("bound to both"), "{e}");
        assert!(e.to_string().starts_with("/c/keymap.toml:3:"));
        let e = Keymap::with_overrides("[keys]\n\nfly = [\"f\"]\n", Path::new("k")).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("unknown action 'fly'"));
        let e =
            Keymap::with_overrides("[keys]\nquit = [\"meta-q\"]\n", Path::new("k")).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("not a key"));
        let e = Keymap::with_overrides("[keys]\nquit = 5\n", Path::new("k")).unwrap_err();
        assert!(e.message.contains("must be a key"));
        let e = Keymap::with_overrides("[keys\n", Path::new("k")).unwrap_err();
        assert_eq!(e.line, Some(1));
    }
}
