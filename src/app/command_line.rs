//! The `:` command line: every action by its name (the names of keymap.toml; `-` may stand for
//! `_`, and a name may be cut short while only one action starts so), optionally followed by the
//! answer to the question the action asks (`:seek_to 1:30`, `:save_queue evening`,
//! `:search miles davis`). Tab completes a name. Parsing and completing are pure functions of
//! the text; `App::run_command` carries a parsed command out with the keys' own code.

use crate::keys::Action;

/// What a command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub action: Action,
    /// The rest of the line, trimmed ("" when none).
    pub arg: String,
}

/// Why a command line means nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandError {
    #[error("no command typed")]
    Empty,
    #[error("no command '{0}' (Tab lists them)")]
    Unknown(String),
    #[error("'{word}' could be {}", .names.join(", "))]
    Ambiguous { word: String, names: Vec<String> },
}

/// Short names users of other players type.
const ALIASES: [(&str, Action); 6] = [
    ("sort", Action::CycleSort),
    ("q", Action::Quit),
    ("seek", Action::SeekTo),
    ("w", Action::SaveQueue),
    ("next", Action::NextTrack),
    ("prev", Action::PrevTrack),
];

fn normal(word: &str) -> String {
    word.trim().to_lowercase().replace('-', "_")
}

/// The actions whose name starts with `word` (an exact name or alias alone when there is one).
fn matching(word: &str) -> Vec<Action> {
    let w = normal(word);
    if let Some(&(_, a)) = ALIASES.iter().find(|(n, _)| *n == w) {
        return vec![a];
    }
    if let Some(a) = Action::from_name(&w) {
        return vec![a];
    }
    Action::ALL
        .iter()
        .copied()
        .filter(|a| a.name().starts_with(&w))
        .collect()
}

/// Parses a command line (without its `:`).
pub fn parse(text: &str) -> Result<Command, CommandError> {
    let text = text.trim().trim_start_matches(':').trim_start();
    let (word, arg) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    if word.is_empty() {
        return Err(CommandError::Empty);
    }
    let found = matching(word);
    match found.as_slice() {
        [] => Err(CommandError::Unknown(word.to_string())),
        [a] => Ok(Command {
            action: *a,
            arg: arg.trim().to_string(),
        }),
        many => Err(CommandError::Ambiguous {
            word: word.to_string(),
            names: many.iter().take(6).map(|a| a.name().to_string()).collect(),
        }),
    }
}

/// Tab on `text`: the completed text and what to show beside it (the candidates, or the one
/// action's description).
pub fn complete(text: &str) -> (String, Vec<String>) {
    let trimmed = text.trim_start();
    if trimmed.contains(char::is_whitespace) {
        // The name is typed: its description says what the argument is for.
        return match parse(trimmed) {
            Ok(c) => (text.to_string(), vec![c.action.description().to_string()]),
            Err(e) => (text.to_string(), vec![e.to_string()]),
        };
    }
    let w = normal(trimmed);
    let names: Vec<&'static str> = Action::ALL
        .iter()
        .map(|a| a.name())
        .filter(|n| n.starts_with(&w))
        .collect();
    match names.as_slice() {
        [] => (
            text.to_string(),
            vec![format!("no command starts '{trimmed}'")],
        ),
        [one] => {
            let desc = Action::from_name(one).map_or("", Action::description);
            (format!("{one} "), vec![desc.to_string()])
        }
        many => {
            let common = common_prefix(many);
            let shown = if common.len() > w.len() {
                common
            } else {
                trimmed.to_string()
            };
            (shown, many.iter().map(|n| n.to_string()).collect())
        }
    }
}

fn common_prefix(names: &[&str]) -> String {
    let Some(first) = names.first() else {
        return String::new();
    };
    let mut len = first.len();
    for n in &names[1..] {
        len = len.min(
            first
                .bytes()
                .zip(n.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    first[..len].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_aliases_prefixes_and_arguments_parse() {
        let cmd = |a, arg: &str| {
            Ok(Command {
                action: a,
                arg: arg.into(),
            })
        };
        assert_eq!(parse("toggle_shuffle"), cmd(Action::ToggleShuffle, ""));
        assert_eq!(parse("  toggle-shuffle "), cmd(Action::ToggleShuffle, ""));
        assert_eq!(parse(":q"), cmd(Action::Quit, ""));
        assert_eq!(parse("seek 1:30"), cmd(Action::SeekTo, "1:30"));
        assert_eq!(parse("seek_to   +30 "), cmd(Action::SeekTo, "+30"));
        assert_eq!(
            parse("search miles davis"),
            cmd(Action::Search, "miles davis")
        );
        // A prefix only one name starts with.
        assert_eq!(parse("toggle_vis"), cmd(Action::ToggleVisualiser, ""));
        // An exact name wins over the longer names it starts (`undo` is not ambiguous).
        assert_eq!(parse("undo"), cmd(Action::Undo, ""));
        assert_eq!(parse(""), Err(CommandError::Empty));
        assert_eq!(parse("fly"), Err(CommandError::Unknown("fly".into())));
        match parse("toggle") {
            Err(CommandError::Ambiguous { names, .. }) => {
                assert!(names.contains(&"toggle_shuffle".to_string()), "{names:?}")
            }
            other => panic!("{other:?}"),
        }
        // Every action is reachable by its own name.
        for &a in Action::ALL {
            assert_eq!(parse(a.name()), cmd(a, ""), "{}", a.name());
        }
    }

    #[test]
    fn tab_completes_to_the_common_part_and_lists_the_rest() {
        let (text, shown) = complete("toggle_s");
        assert_eq!(text, "toggle_shuffle ");
        assert_eq!(shown, [Action::ToggleShuffle.description()]);
        let (text, shown) = complete("vie");
        assert_eq!(text, "view_");
        assert!(shown.contains(&"view_queue".to_string()), "{shown:?}");
        let (text, shown) = complete("zzz");
        assert_eq!(text, "zzz");
        assert_eq!(shown.len(), 1);
        let (text, shown) = complete("seek_to 1");
        assert_eq!(text, "seek_to 1");
        assert_eq!(shown, [Action::SeekTo.description()]);
    }
}
