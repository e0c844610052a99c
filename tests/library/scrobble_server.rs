//! A ListenBrainz-like server for the scrobbling tests, on 127.0.0.1: it accepts
//! `POST /1/submit-listens` (and `GET /1/validate-token`), checks the token header and the
//! JSON, and answers as the test scripts it (429 with `Retry-After`, 500, slow, 401). Requests
//! are read with httparse; one request per connection.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const TOKEN: &str = "0f8d3c2e-test-token-5b1a";

/// What the server answers to the next submission.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200, the listens taken.
    Ok,
    /// This status with these headers; the listens not taken.
    Status(u16, Vec<(&'static str, String)>),
    /// No answer for this long, then the connection closes.
    Slow(Duration),
}

/// One request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub path: String,
    pub token_ok: bool,
    pub body: Value,
    /// Whether the listens were taken (a 200).
    pub accepted: bool,
}

#[derive(Default)]
struct Shared {
    script: VecDeque<Reply>,
    seen: Vec<Seen>,
}

pub struct FakeServer {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
}

impl FakeServer {
    /// A server on a free port.
    pub fn start() -> FakeServer {
        Self::on(TcpListener::bind("127.0.0.1:0").unwrap())
    }

    /// A server on `addr` (a port the test chose while nothing listened there).
    pub fn at(addr: SocketAddr) -> FakeServer {
        Self::on(TcpListener::bind(addr).unwrap())
    }

    fn on(listener: TcpListener) -> FakeServer {
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (sh, st) = (shared.clone(), stop.clone());
        std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let sh = sh.clone();
                        std::thread::spawn(move || serve(conn, &sh));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        FakeServer { addr, shared, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next submissions are answered so, in order (then 200).
    pub fn script(&self, replies: &[Reply]) {
        self.shared
            .lock()
            .unwrap()
            .script
            .extend(replies.iter().cloned());
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.lock().unwrap().seen.clone()
    }

    /// The listens taken so far (`listen_type` single or import), in order.
    pub fn listens(&self) -> Vec<Value> {
        self.seen()
            .into_iter()
            .filter(|s| s.accepted && s.body["listen_type"] != "playing_now")
            .flat_map(|s| s.body["payload"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// The "playing now" submissions taken.
    pub fn playing_now(&self) -> Vec<Value> {
        self.seen()
            .into_iter()
            .filter(|s| s.accepted && s.body["listen_type"] == "playing_now")
            .map(|s| s.body["payload"][0].clone())
            .collect()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads one request (headers with httparse, then the body by its length).
fn read_request(conn: &mut TcpStream) -> Option<(String, String, Option<String>, Vec<u8>)> {
    conn.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        if let httparse::Status::Complete(end) = req.parse(&buf).ok()? {
            let method = req.method?.to_string();
            let path = req.path?.to_string();
            let header = |name: &str| {
                req.headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case(name))
                    .map(|h| String::from_utf8_lossy(h.value).into_owned())
            };
            let auth = header("Authorization");
            let len: usize = header("Content-Length")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            assert!(len < 16 << 20, "a body of {len} bytes");
            let mut body = buf[end..].to_vec();
            while body.len() < len {
                let n = conn.read(&mut chunk).ok()?;
                if n == 0 {
                    return None;
                }
                body.extend_from_slice(&chunk[..n]);
            }
            return Some((method, path, auth, body));
        }
    }
}

fn answer(conn: &mut TcpStream, status: u16, headers: &[(&str, String)], body: &str) {
    let mut text = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    let _ = conn.write_all(text.as_bytes());
}

fn serve(mut conn: TcpStream, shared: &Mutex<Shared>) {
    let Some((method, path, auth, body)) = read_request(&mut conn) else {
        return;
    };
    let token_ok = auth.as_deref() == Some(&format!("Token {TOKEN}"));
    if path == "/1/validate-token" {
        let b = if token_ok {
            r#"{"code":200,"message":"Token valid.","valid":true,"user_name":"listener"}"#
        } else {
            r#"{"code":200,"message":"Token invalid.","valid":false}"#
        };
        answer(&mut conn, 200, &[], b);
        return;
    }
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let valid = method == "POST" && path == "/1/submit-listens" && well_formed(&json);
    let reply = shared
        .lock()
        .unwrap()
        .script
        .pop_front()
        .unwrap_or(Reply::Ok);
    let accepted = token_ok && valid && matches!(reply, Reply::Ok);
    shared.lock().unwrap().seen.push(Seen {
        at: Instant::now(),
        path: path.clone(),
        token_ok,
        body: json,
        accepted,
    });
    if !token_ok {
        answer(
            &mut conn,
            401,
            &[],
            r#"{"code":401,"error":"Invalid authorization token."}"#,
        );
        return;
    }
    if !valid {
        answer(
            &mut conn,
            400,
            &[],
            r#"{"code":400,"error":"Invalid JSON document submitted."}"#,
        );
        return;
    }
    match reply {
        Reply::Ok => answer(&mut conn, 200, &[], r#"{"status":"ok"}"#),
        Reply::Status(code, headers) => {
            answer(&mut conn, code, &headers, r#"{"error":"scripted"}"#)
        }
        Reply::Slow(d) => std::thread::sleep(d),
    }
}

/// The submission's shape as ListenBrainz checks it.
fn well_formed(v: &Value) -> bool {
    let kind = v["listen_type"].as_str().unwrap_or("");
    let Some(items) = v["payload"].as_array() else {
        return false;
    };
    let count_ok = match kind {
        "single" | "playing_now" => items.len() == 1,
        "import" => (1..=1000).contains(&items.len()),
        _ => false,
    };
    count_ok
        && items.iter().all(|l| {
            let m = &l["track_metadata"];
            let timed = l["listened_at"].as_u64().is_some();
            m["artist_name"].as_str().is_some_and(|s| !s.is_empty())
                && m["track_name"].as_str().is_some_and(|s| !s.is_empty())
                && m["additional_info"]["submission_client"] == "genreplay"
                && if kind == "playing_now" { !timed } else { timed }
        })
}
