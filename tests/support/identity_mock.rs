//! A scripted OAuth identity endpoint on 127.0.0.1 (std::net, one thread):
//! enough HTTP/1.1 for the RFC 8628 device-code flow of smtp-doctor.
//!
//! `POST …/oauth2/v2.0/devicecode` answers the scripted device authorization
//! response; each `POST …/oauth2/v2.0/token` answers the next scripted token
//! response (the last one repeats). Every request is recorded (path and the
//! decoded form) so tests can check what the client sent.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

pub const DEVICE_CODE: &str = "DevCode-Marker-7h3Qx9";
pub const USER_CODE: &str = "HJK4-PQ7W";
pub const VERIFICATION_URI: &str = "https://microsoft.com/devicelogin";
pub const REFRESH_TOKEN: &str = "0.Refresh-Marker-zz91";

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub form: BTreeMap<String, String>,
}

#[derive(Clone)]
pub struct IdentityMock {
    device: (u16, Value),
    token: Vec<(u16, Value)>,
}

/// A running mock.
pub struct Identity {
    port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Identity {
    /// The `--authority` to pass.
    pub fn authority(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    pub fn token_polls(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.path.ends_with("/token"))
            .count()
    }
}

/// RFC 8628 §3.2 device authorization response.
pub fn device_response(interval: u64, expires_in: u64) -> Value {
    json!({
        "device_code": DEVICE_CODE,
        "user_code": USER_CODE,
        "verification_uri": VERIFICATION_URI,
        "expires_in": expires_in,
        "interval": interval,
        "message": format!("To sign in, use a web browser to open the page {VERIFICATION_URI} and enter the code {USER_CODE} to authenticate."),
    })
}

/// RFC 6749 §5.2 / RFC 8628 §3.5 error response.
pub fn error(code: &str, description: &str, codes: &[u64]) -> (u16, Value) {
    (
        400,
        json!({"error": code, "error_description": description, "error_codes": codes}),
    )
}

pub fn pending() -> (u16, Value) {
    error(
        "authorization_pending",
        "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        &[70016],
    )
}

pub fn slow_down() -> (u16, Value) {
    error("slow_down", "Slow down.", &[])
}

/// RFC 6749 §5.1 success, with a refresh token the client must drop.
pub fn success(access_token: &str) -> (u16, Value) {
    (
        200,
        json!({"token_type": "Bearer", "scope": "https://outlook.office.com/SMTP.Send",
               "expires_in": 3599, "ext_expires_in": 3599,
               "access_token": access_token, "refresh_token": REFRESH_TOKEN}),
    )
}

impl IdentityMock {
    pub fn new(interval: u64, expires_in: u64) -> Self {
        IdentityMock {
            device: (200, device_response(interval, expires_in)),
            token: vec![pending()],
        }
    }

    /// The answer to the device authorization request.
    pub fn device(mut self, status: u16, body: Value) -> Self {
        self.device = (status, body);
        self
    }

    /// Token-endpoint answers, in order (the last repeats).
    pub fn token_responses(mut self, responses: Vec<(u16, Value)>) -> Self {
        self.token = responses;
        self
    }

    pub fn spawn(self) -> Identity {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        thread::spawn(move || {
            let mut next_token = 0usize;
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let Some(req) = read_request(&stream) else {
                    continue;
                };
                let (status, body) = if req.path.ends_with("/oauth2/v2.0/devicecode") {
                    self.device.clone()
                } else if req.path.ends_with("/oauth2/v2.0/token") {
                    let i = next_token.min(self.token.len() - 1);
                    next_token += 1;
                    self.token[i].clone()
                } else {
                    (404, json!({"error": "not_found"}))
                };
                recorded.lock().unwrap().push(req);
                let _ = respond(stream, status, &body.to_string());
            }
        });
        Identity { port, requests }
    }
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let form = String::from_utf8_lossy(&body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    Some(Request { path, form })
}

/// application/x-www-form-urlencoded decoding.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(b)) => {
                out.push(b);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn respond(mut stream: TcpStream, status: u16, body: &str) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        _ => "Status",
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}
