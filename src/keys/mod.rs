//! Keys: every action a key can do (with its scope), the key bindings, and the help lines built
//! from them. Both the settings loader and the app use this room; it uses neither.

pub mod action;
pub mod keymap;

pub use action::{Action, Scope};
pub use keymap::{KeySpec, Keymap};

/// One line of help: where it applies (`None` for Esc's line), the keys, what they do.
#[derive(Debug, Clone, PartialEq)]
pub struct HelpLine {
    pub scope: Option<Scope>,
    pub keys: String,
    pub description: String,
}

/// The help lines: Esc's line first, then every bound action with its keys, grouped by scope
/// in [`Scope::ALL`] order.
pub fn help_lines(keymap: &Keymap) -> Vec<HelpLine> {
    let mut out = vec![HelpLine {
        scope: None,
        keys: "Esc".to_string(),
        description: "Close this help / clear the search".to_string(),
    }];
    for scope in Scope::ALL {
        out.extend(
            Action::ALL
                .iter()
                .filter(|a| a.scope() == scope)
                .filter_map(|&a| {
                    let keys = keymap.keys_for(a);
                    (!keys.is_empty()).then(|| HelpLine {
                        scope: Some(scope),
                        keys: keys.join(", "),
                        description: a.description().to_string(),
                    })
                }),
        );
    }
    out
}
