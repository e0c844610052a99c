//! The ListenBrainz API over HTTP (ureq): `POST /1/submit-listens` ("playing now", one
//! listen, or an import of many) and `GET /1/validate-token`, each within a short timeout;
//! the server's answer becomes an [`Answer`] the sender acts on (rate limits from
//! `Retry-After` and `X-RateLimit-Reset-In`). The token goes only into the `Authorization`
//! header; answers are read within [`MAX_ANSWER_BYTES`].

use std::time::Duration;

use serde_json::{Value, json};

use super::queue::QueuedListen;
use crate::config::ScrobbleConfig;

/// An answer's body is read up to this many bytes (an error message, the token check).
const MAX_ANSWER_BYTES: u64 = 64 * 1024;
/// A wait the server asks for is honoured up to this long.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(3600);
/// A server message shown to the user is cut to this many characters.
const MAX_MESSAGE_CHARS: usize = 300;

/// What a submission is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    PlayingNow,
    Single,
    Import,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::PlayingNow => "playing_now",
            Kind::Single => "single",
            Kind::Import => "import",
        }
    }
}

/// What the server said to a submission.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Taken. `pause`: the rate limit is used up for now (`X-RateLimit-Remaining: 0`).
    Accepted { pause: Option<Duration> },
    /// 429: wait this long (the server's `Retry-After` or `X-RateLimit-Reset-In`, if any).
    RateLimited(Option<Duration>),
    /// 401: the token is not valid.
    TokenRefused(String),
    /// 400 or 413: the listens themselves were refused.
    Invalid { status: u16, message: String },
    /// Another status (5xx, 404…): try again later.
    Failed { status: u16, message: String },
    /// No answer: refused connection, unknown host, timeout, TLS.
    Unreachable(String),
}

/// What `validate-token` said.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenCheck {
    Valid { user: Option<String> },
    Invalid(String),
}

/// A client for one server and token.
pub struct Client {
    agent: ureq::Agent,
    server: String,
    token: crate::config::Token,
}

impl Client {
    /// A client for `cfg`'s server; each request ends after `timeout` at the latest.
    pub fn new(cfg: &ScrobbleConfig, timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(Duration::from_secs(5))))
            .http_status_as_error(false)
            // A redirect would carry the token to another address.
            .max_redirects(0)
            .user_agent(format!("genreplay/{}", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: ureq::Agent::new_with_config(config),
            server: cfg.server.trim_end_matches('/').to_string(),
            token: cfg.token.clone(),
        }
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    fn auth(&self) -> String {
        format!("Token {}", self.token.secret())
    }

    /// Sends `listens` as `kind` (one for "playing now" and a single listen).
    pub fn submit(&self, kind: Kind, listens: &[QueuedListen]) -> Answer {
        let body = payload(kind, listens).to_string();
        let url = format!("{}/1/submit-listens", self.server);
        let sent = self
            .agent
            .post(&url)
            .header("Authorization", &self.auth())
            .content_type("application/json")
            .send(body.as_bytes());
        match sent {
            Ok(mut r) => {
                let status = r.status().as_u16();
                let headers = r.headers().clone();
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .and_then(seconds)
                };
                let mut message = || read_message(&mut r);
                match status {
                    200..=299 => Answer::Accepted {
                        pause: (header("X-RateLimit-Remaining") == Some(Duration::ZERO))
                            .then(|| header("X-RateLimit-Reset-In"))
                            .flatten()
                            .filter(|d| !d.is_zero()),
                    },
                    429 => Answer::RateLimited(
                        header("Retry-After").or_else(|| header("X-RateLimit-Reset-In")),
                    ),
                    401 => Answer::TokenRefused(message()),
                    400 | 413 => Answer::Invalid {
                        status,
                        message: message(),
                    },
                    _ => Answer::Failed {
                        status,
                        message: message(),
                    },
                }
            }
            Err(e) => Answer::Unreachable(describe(&e)),
        }
    }

    /// Asks the server whether the token is valid.
    pub fn validate_token(&self) -> Result<TokenCheck, String> {
        let url = format!("{}/1/validate-token", self.server);
        let mut r = self
            .agent
            .get(&url)
            .header("Authorization", &self.auth())
            .call()
            .map_err(|e| describe(&e))?;
        let status = r.status().as_u16();
        let body = r
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_string()
            .unwrap_or_default();
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let message = v["message"]
            .as_str()
            .map(short)
            .unwrap_or_else(|| format!("HTTP {status}"));
        match (status, v["valid"].as_bool()) {
            (200, Some(true)) => Ok(TokenCheck::Valid {
                user: v["user_name"].as_str().map(short),
            }),
            (200, Some(false)) | (400 | 401 | 403, _) => Ok(TokenCheck::Invalid(message)),
            _ => Err(format!("the server answered {message}")),
        }
    }
}

/// The JSON ListenBrainz takes.
pub fn payload(kind: Kind, listens: &[QueuedListen]) -> Value {
    let items: Vec<Value> = listens
        .iter()
        .map(|l| {
            let mut info = json!({
                "submission_client": "genreplay",
                "submission_client_version": env!("CARGO_PKG_VERSION"),
                "media_player": "genreplay",
            });
            if let Some(d) = l.duration_ms {
                info["duration_ms"] = json!(d);
            }
            if let Some(n) = l.track_number {
                info["tracknumber"] = json!(n);
            }
            let mut meta = json!({
                "artist_name": l.artist,
                "track_name": l.title,
                "additional_info": info,
            });
            if let Some(a) = &l.album {
                meta["release_name"] = json!(a);
            }
            if kind == Kind::PlayingNow {
                json!({ "track_metadata": meta })
            } else {
                json!({ "listened_at": l.listened_at, "track_metadata": meta })
            }
        })
        .collect();
    json!({ "listen_type": kind.name(), "payload": items })
}

/// A header's whole seconds (`Retry-After` as a number; an HTTP date is not used).
fn seconds(v: &str) -> Option<Duration> {
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.ceil()).min(MAX_SERVER_WAIT))
}

/// The server's error message (its JSON `error` or `message`, else the text), short and
/// without control characters.
fn read_message(r: &mut ureq::http::Response<ureq::Body>) -> String {
    let status = r.status();
    let text = r
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER_BYTES)
        .read_to_string()
        .unwrap_or_default();
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let said = v["error"]
        .as_str()
        .or_else(|| v["message"].as_str())
        .map(str::to_string)
        .unwrap_or(text);
    let said = short(said.trim());
    if said.is_empty() {
        format!("HTTP {}", status.as_u16())
    } else {
        format!("HTTP {}: {said}", status.as_u16())
    }
}

/// At most [`MAX_MESSAGE_CHARS`] characters, control characters out.
fn short(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(MAX_MESSAGE_CHARS)
        .collect()
}

/// What went wrong on the way, in words (never the request: it holds the token).
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "no answer in time".into(),
        ureq::Error::HostNotFound => "the server's host is not found".into(),
        ureq::Error::ConnectionFailed => "cannot connect to the server".into(),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "the server refused the connection (is it running?)".into()
        }
        ureq::Error::Io(io) => short(&format!("network: {io}")),
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => {
            "the server redirects (set scrobble.server to the address it redirects to)".into()
        }
        other => short(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_is_listenbrainz_json() {
        let l = QueuedListen::new(1_700_000_000, "A", "T", Some("R"), Some(5000), Some(3)).unwrap();
        let v = payload(Kind::Import, &[l.clone(), l.clone()]);
        assert_eq!(v["listen_type"], "import");
        assert_eq!(v["payload"].as_array().unwrap().len(), 2);
        let p = &v["payload"][0];
        assert_eq!(p["listened_at"], 1_700_000_000);
        assert_eq!(p["track_metadata"]["artist_name"], "A");
        assert_eq!(p["track_metadata"]["track_name"], "T");
        assert_eq!(p["track_metadata"]["release_name"], "R");
        let info = &p["track_metadata"]["additional_info"];
        assert_eq!(info["duration_ms"], 5000);
        assert_eq!(info["tracknumber"], 3);
        assert_eq!(info["submission_client"], "genreplay");
        let now = payload(Kind::PlayingNow, &[l]);
        assert_eq!(now["listen_type"], "playing_now");
        assert!(now["payload"][0].get("listened_at").is_none());
    }

    #[test]
    fn waits_are_read_from_seconds_and_capped() {
        assert_eq!(seconds("7"), Some(Duration::from_secs(7)));
        assert_eq!(seconds(" 1.2 "), Some(Duration::from_secs(2)));
        assert_eq!(seconds("999999999"), Some(MAX_SERVER_WAIT));
        assert_eq!(seconds("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(seconds("-3"), None);
    }
}
