//! A scripted OAuth identity endpoint on 127.0.0.1 (std::net, one thread):
//! enough HTTP/1.1 for smtp-doctor's RFC 8628 device-code flow and its
//! authorization code + PKCE flow (RFC 6749 §4.1, RFC 7636).
//!
//! `POST …/oauth2/v2.0/devicecode` answers the scripted device authorization
//! response; each `POST …/token` answers the next scripted token response
//! (the last one repeats). Every request is recorded (path and the decoded
//! form or query) so tests can check what the client sent.
//!
//! The authorization code flow, with the test as the browser ([`browser`]):
//! `GET …/authorize` (or Google's `…/auth`) records the request and answers
//! a consent page naming a request number; `POST /consent` with that number
//! answers `302` to the client's `redirect_uri` with a fresh code and the
//! `state` (or what [`Authorize`] scripts instead). A token request with
//! `grant_type=authorization_code` must name that code, the same client id
//! and redirect URI, and a `code_verifier` whose S256 is the recorded
//! `code_challenge`, or the mock answers Microsoft's AADSTS501481
//! `invalid_grant`; only then comes the next scripted answer.

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

/// The authorization code the mock hands out (and must never be printed).
pub const AUTH_CODE: &str = "AuthCode-Marker-Qw8Zt2";

/// What the consent step redirects with.
#[derive(Clone, Debug)]
pub enum Authorize {
    /// `?code=AUTH_CODE&state=<the client's>`.
    Approve,
    /// A state that is not the client's (a forged or stale redirect).
    WrongState,
    /// Records a different challenge than the client sent, as if the code
    /// had been requested by someone else: the verifier will not match.
    SwapChallenge,
    /// `?error=…&error_description=…&state=<the client's>`.
    Error(String, String),
}

#[derive(Clone)]
pub struct IdentityMock {
    device: (u16, Value),
    token: Vec<(u16, Value)>,
    authorize: Authorize,
}

/// One authorization request as the mock saw it.
#[derive(Debug, Clone, Default)]
struct Pending {
    client_id: String,
    redirect_uri: String,
    state: String,
    challenge: String,
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
            authorize: Authorize::Approve,
        }
    }

    /// What the consent step answers.
    pub fn authorize(mut self, a: Authorize) -> Self {
        self.authorize = a;
        self
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
            let mut pending: Vec<Pending> = Vec::new();
            let mut issued: Option<Pending> = None;
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let Some(req) = read_request(&stream) else {
                    continue;
                };
                let path = req.path.split('?').next().unwrap_or("").to_string();
                let mut location = None;
                let (status, body) = if path.ends_with("/oauth2/v2.0/devicecode") {
                    self.device.clone()
                } else if path.ends_with("/authorize") || path.ends_with("/auth") {
                    let f = &req.form;
                    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
                    pending.push(Pending {
                        client_id: get("client_id"),
                        redirect_uri: get("redirect_uri"),
                        state: get("state"),
                        challenge: get("code_challenge"),
                    });
                    let page = format!(
                        "<form method=post action=/consent><input type=hidden name=request value={}><button>Accept</button></form>",
                        pending.len() - 1
                    );
                    (200, Value::String(page))
                } else if path == "/consent" {
                    let n: usize = req
                        .form
                        .get("request")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(usize::MAX);
                    match pending.get(n).cloned() {
                        None => (400, json!({"error": "no such request"})),
                        Some(mut p) => {
                            let q = |s: &str| encode(s);
                            let to = match &self.authorize {
                                Authorize::Approve => {
                                    format!("code={AUTH_CODE}&state={}", q(&p.state))
                                }
                                Authorize::WrongState => {
                                    format!("code={AUTH_CODE}&state=forged-{}", q(&p.state))
                                }
                                Authorize::SwapChallenge => {
                                    p.challenge = "not-the-challenge-the-client-sent".into();
                                    format!("code={AUTH_CODE}&state={}", q(&p.state))
                                }
                                Authorize::Error(e, d) => {
                                    format!(
                                        "error={}&error_description={}&state={}",
                                        q(e),
                                        q(d),
                                        q(&p.state)
                                    )
                                }
                            };
                            location = Some(format!("{}/?{to}", p.redirect_uri));
                            issued = Some(p);
                            (302, Value::String(String::new()))
                        }
                    }
                } else if path.ends_with("/token") {
                    let f = &req.form;
                    let refused = if f.get("grant_type").map(String::as_str)
                        == Some("authorization_code")
                    {
                        match &issued {
                            Some(p) if f.get("code").map(String::as_str) == Some(AUTH_CODE)
                                && f.get("client_id") == Some(&p.client_id)
                                && f.get("redirect_uri") == Some(&p.redirect_uri)
                                && f.get("code_verifier").map(|v| s256(v)) == Some(p.challenge.clone()) => None,
                            _ => Some(error(
                                "invalid_grant",
                                "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                                &[501481],
                            )),
                        }
                    } else {
                        None
                    };
                    match refused {
                        Some(r) => r,
                        None => {
                            let i = next_token.min(self.token.len() - 1);
                            next_token += 1;
                            self.token[i].clone()
                        }
                    }
                } else {
                    (404, json!({"error": "not_found"}))
                };
                recorded.lock().unwrap().push(req);
                let body = match body {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                let _ = respond(stream, status, &body, location.as_deref());
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
    let mut text = String::from_utf8_lossy(&body).into_owned();
    if let Some((_, q)) = path.split_once('?') {
        text = format!("{q}&{text}");
    }
    let form = text
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

/// RFC 7636 §4.2 S256.
pub fn s256(verifier: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The test as the browser: opens the authorization URL, accepts on the
/// consent page, and follows the redirect to smtp-doctor's loopback
/// listener (`redirects` times: a second one must be ignored). The
/// redirect `Location`, or why the browser got stuck.
pub fn browser(authorization_url: &str, redirects: usize) -> Result<String, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let mut page = agent
        .get(authorization_url)
        .call()
        .map_err(|e| e.to_string())?;
    let html = page
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    let n = html
        .split("name=request value=")
        .nth(1)
        .and_then(|r| r.split('>').next())
        .ok_or_else(|| format!("no consent form in {html:?}"))?
        .to_string();
    let origin: String = authorization_url
        .splitn(4, '/')
        .take(3)
        .collect::<Vec<_>>()
        .join("/");
    let consent = agent
        .post(format!("{origin}/consent"))
        .send_form([("request", n.as_str()), ("decision", "accept")])
        .map_err(|e| e.to_string())?;
    let location = consent
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or("the consent step did not redirect")?
        .to_string();
    for i in 0..redirects {
        let target = if i == 0 {
            location.clone()
        } else {
            location.replace(AUTH_CODE, "Second-Redirect-Code")
        };
        let answer = agent.get(&target).call();
        if i == 0 {
            answer.map_err(|e| format!("the loopback listener did not answer: {e}"))?;
        }
    }
    Ok(location)
}

/// Runs `cmd` (a `check --oauth … --no-browser`), plays the browser on the
/// authorization URL it prints on stderr; (exit code, stdout, stderr).
/// No form of `secrets`, the mock's code or the verifier the client sent
/// may appear in any output; a JSON stdout must match the schema.
pub fn run_with_browser(
    mut cmd: std::process::Command,
    idp: &Identity,
    user: &str,
    secrets: &[&str],
) -> (i32, String, String) {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run smtp-doctor");
    let mut stdout = child.stdout.take().unwrap();
    let out = thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let (mut err, mut line) = (String::new(), String::new());
    let prefix = format!("{}/", idp.authority());
    while stderr.read_line(&mut line).unwrap_or(0) > 0 {
        err.push_str(&line);
        if line.trim().starts_with(&prefix) {
            browser(line.trim(), 1).expect("browser");
        }
        line.clear();
    }
    let status = child.wait().unwrap();
    let stdout = out.join().unwrap();
    let verifiers: Vec<String> = idp
        .requests()
        .iter()
        .filter_map(|r| r.form.get("code_verifier").cloned())
        .collect();
    let outputs = [("stdout", stdout.as_str()), ("stderr", err.as_str())];
    let all = secrets
        .iter()
        .map(|s| s.to_string())
        .chain([AUTH_CODE.to_string(), REFRESH_TOKEN.to_string()])
        .chain(verifiers);
    for secret in all {
        super::leak::assert_no_leak(user, &secret, &outputs);
    }
    if let Ok(doc) = serde_json::from_str::<Value>(&stdout) {
        super::schema::assert_valid(&doc);
    }
    (status.code().unwrap_or(-1), stdout, err)
}

fn respond(
    mut stream: TcpStream,
    status: u16,
    body: &str,
    location: Option<&str>,
) -> std::io::Result<()> {
    let location = location.map_or(String::new(), |l| format!("Location: {l}\r\n"));
    let kind = if body.starts_with('<') {
        "text/html"
    } else {
        "application/json"
    };
    let reason = match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        _ => "Status",
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\n{location}Content-Type: {kind}; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}
