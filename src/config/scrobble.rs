//! The `[scrobble]` table of `config.toml`: sending what is played to ListenBrainz (or a
//! server that speaks its API, such as Maloja). Off by default; the token is never shown by
//! `Debug` or in an error.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, line_of};

/// ListenBrainz itself.
pub const DEFAULT_SERVER: &str = "https://api.listenbrainz.org";
/// A token longer than this is not a token.
const MAX_TOKEN_LEN: usize = 256;
/// A server address longer than this is refused.
const MAX_SERVER_LEN: usize = 2048;

/// The user's token. `Debug` and `Display` show only whether there is one.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    pub fn new(s: impl Into<String>) -> Self {
        Token(s.into())
    }

    /// The token itself, for the `Authorization` header only.
    pub fn secret(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "Token(none)"
        } else {
            "Token(hidden)"
        })
    }
}

/// The scrobbling settings in force.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScrobbleConfig {
    /// Send "playing now" and listens.
    pub enabled: bool,
    pub token: Token,
    /// The API's root (`https://api.listenbrainz.org`; a self-hosted server's own).
    pub server: String,
}

impl Default for ScrobbleConfig {
    fn default() -> Self {
        ScrobbleConfig {
            enabled: false,
            token: Token::default(),
            server: DEFAULT_SERVER.into(),
        }
    }
}

/// What the user's file may set; spans give the errors their lines.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ScrobbleOverride {
    enabled: Option<bool>,
    token: Option<Spanned<String>>,
    server: Option<Spanned<String>>,
}

impl ScrobbleConfig {
    /// `base` with the user's `o` applied, checked: a server that is an http(s) address, a
    /// token without spaces or control characters, and a token when scrobbling is on.
    pub(super) fn apply(
        mut self,
        o: ScrobbleOverride,
        text: &str,
        file: &Path,
    ) -> Result<Self, ConfigError> {
        let err = |at: Option<usize>, message: String| ConfigError {
            file: file.to_path_buf(),
            line: at.map(|i| line_of(text, i)),
            message,
        };
        if let Some(e) = o.enabled {
            self.enabled = e;
        }
        if let Some(t) = o.token {
            let at = t.span().start;
            let v = t.into_inner().trim().to_string();
            if v.len() > MAX_TOKEN_LEN {
                return Err(err(
                    Some(at),
                    format!("scrobble.token is too long (at most {MAX_TOKEN_LEN} characters)"),
                ));
            }
            if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(err(
                    Some(at),
                    "scrobble.token holds spaces or control characters".into(),
                ));
            }
            self.token = Token(v);
        }
        if let Some(s) = o.server {
            let at = s.span().start;
            let v = s.into_inner().trim().trim_end_matches('/').to_string();
            check_server(&v).map_err(|m| err(Some(at), m))?;
            self.server = v;
        }
        if self.enabled && self.token.is_empty() {
            return Err(err(
                text.find("[scrobble]"),
                "scrobble.enabled is true but scrobble.token is empty (your ListenBrainz \
                 user token, from its settings page)"
                    .into(),
            ));
        }
        Ok(self)
    }
}

/// A server address the client can use: `http://` or `https://`, a host, no spaces.
fn check_server(v: &str) -> Result<(), String> {
    if v.len() > MAX_SERVER_LEN {
        return Err(format!(
            "scrobble.server is too long (at most {MAX_SERVER_LEN} characters)"
        ));
    }
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"));
    match rest {
        Some(r)
            if !r.is_empty()
                && !r.starts_with('/')
                && !r.chars().any(|c| c.is_whitespace() || c.is_control())
                && !r.contains(['?', '#']) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "scrobble.server must be an http:// or https:// address without spaces, a query \
             or a fragment (e.g. {DEFAULT_SERVER}), not \"{}\"",
            crate::util::text::escape(v)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    #[test]
    fn off_by_default_with_listenbrainz_as_the_server() {
        let c = Config::defaults().scrobble;
        assert!(!c.enabled);
        assert!(c.token.is_empty());
        assert_eq!(c.server, DEFAULT_SERVER);
    }

    #[test]
    fn settings_apply_and_the_token_is_never_shown() {
        let c = Config::with_overrides(
            "[scrobble]\nenabled = true\ntoken = \"abc-123\"\nserver = \"http://127.0.0.1:42010/apis/listenbrainz/\"\n",
            Path::new("c.toml"),
        )
        .unwrap()
        .scrobble;
        assert!(c.enabled);
        assert_eq!(c.token.secret(), "abc-123");
        assert_eq!(c.server, "http://127.0.0.1:42010/apis/listenbrainz");
        let shown = format!("{c:?}");
        assert!(!shown.contains("abc-123"), "{shown}");
    }

    #[test]
    fn bad_settings_name_their_line() {
        let cases = [
            (
                "volume = 80\n[scrobble]\nserver = \"ftp://x\"\n",
                3,
                "server",
            ),
            ("[scrobble]\n\ntoken = \"a b\"\n", 3, "token"),
            ("[scrobble]\nenabled = true\n", 1, "token is empty"),
            ("[scrobble]\nenabled = \"yes\"\n", 2, "bool"),
            ("[scrobble]\nuser = \"me\"\n", 2, "user"),
        ];
        for (text, line, says) in cases {
            let e = Config::with_overrides(text, Path::new("c.toml")).unwrap_err();
            assert_eq!(e.line, Some(line), "{text}: {e}");
            assert!(e.message.contains(says), "{text}: {e}");
        }
        let e = Config::with_overrides(
            "[scrobble]\ntoken = \"secret-token x\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(!e.to_string().contains("secret-token"), "{e}");
    }
}
