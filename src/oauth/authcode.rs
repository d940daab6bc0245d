//! OAuth 2.0 authorization code grant with PKCE and a loopback redirect
//! (RFC 6749 §4.1, RFC 7636, RFC 8252 §7.3), behind `check --oauth`.
//!
//! 1. Listen on `127.0.0.1:<ephemeral>` (RFC 8252 §7.3: the loopback IP
//!    literal, not `localhost`, so no resolver or firewall rule gets a say).
//! 2. Make a PKCE verifier (32 random bytes, base64url: 43 characters,
//!    RFC 7636 §4.1), its S256 challenge (§4.2) and a random `state`.
//! 3. Hand the authorization URL to the caller (which opens a browser or
//!    prints it), then wait for the browser's redirect to the listener: one
//!    request line and its headers, each connection bounded in size and time;
//!    requests without `code`, `error` or `state` (a favicon) get a 404 and
//!    the wait goes on. The first redirect ends the wait and the listener is
//!    closed, so a second redirect is never read.
//! 4. A redirect whose `state` is not ours is refused (RFC 6749 §10.12) and
//!    no code is exchanged; an `error` is diagnosed like the token
//!    endpoint's; a `code` is exchanged at the token endpoint with the
//!    verifier (§4.5).
//!
//! The code, verifier, client secret, access and refresh tokens are
//! `Secret`s or scrubbed by a `Redactor`: no output quotes them.

use super::catalogue as cat;
use super::device::Authority;
use super::platform::{agent, platform_error, post_form, Flow};
use crate::diagnose::Diagnosis;
use crate::secret::{Redactor, Secret};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// Microsoft's SMTP scope and a refresh token (for `--token-cache`).
pub const MICROSOFT_SCOPE: &str = "https://outlook.office.com/SMTP.Send offline_access";
/// Gmail's one scope for IMAP/SMTP/POP (XOAUTH2).
pub const GOOGLE_SCOPE: &str = "https://mail.google.com/";
pub const GOOGLE_AUTHORIZATION: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub const GOOGLE_TOKEN: &str = "https://oauth2.googleapis.com/token";
/// How long smtp-doctor waits for the browser by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(300);
/// Largest request line + headers read from the browser.
const MAX_REQUEST: usize = 8 * 1024;
/// How long one browser connection may take to send its request.
const REQUEST_DEADLINE: Duration = Duration::from_secs(5);

/// Whose identity platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Microsoft,
    Google,
    Custom,
}

/// What to sign in to.
#[derive(Debug, Clone)]
pub struct AuthCodeConfig {
    pub profile: Profile,
    pub authorization: Authority,
    pub token: Authority,
    pub client_id: String,
    /// Google's desktop clients come with a (non-confidential) secret the
    /// token endpoint wants; Microsoft public clients have none.
    pub client_secret: Option<Secret>,
    pub scope: String,
    /// Pre-fills the account in the sign-in page.
    pub login_hint: Option<String>,
    /// How long to wait for the browser.
    pub wait: Duration,
}

fn check_client_id(client_id: &str) -> Result<String, String> {
    let id = client_id.trim();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(format!(
            "--client-id {id:?} must be the application's client id (letters, digits, '-', '.', '_')"
        ));
    }
    Ok(id.to_string())
}

impl AuthCodeConfig {
    /// Microsoft: `{authority}/{tenant}/oauth2/v2.0/{authorize,token}`.
    pub fn microsoft(
        authority: Option<&str>,
        tenant: Option<&str>,
        client_id: &str,
    ) -> Result<AuthCodeConfig, String> {
        // The device flow's checks of authority, tenant and client id.
        let flow = super::device::FlowConfig::new(authority, tenant, client_id)?;
        let base = format!("{}/{}/oauth2/v2.0", flow.authority.as_str(), flow.tenant);
        Ok(AuthCodeConfig {
            profile: Profile::Microsoft,
            authorization: Authority::parse(&format!("{base}/authorize"))?,
            token: Authority::parse(&format!("{base}/token"))?,
            client_id: flow.client_id,
            client_secret: None,
            scope: MICROSOFT_SCOPE.to_string(),
            login_hint: None,
            wait: DEFAULT_WAIT,
        })
    }

    /// Google, or a custom profile: explicit endpoints (Google's by default).
    pub fn endpoints(
        profile: Profile,
        authorization: Option<&str>,
        token: Option<&str>,
        scope: Option<&str>,
        client_id: &str,
    ) -> Result<AuthCodeConfig, String> {
        let (auth_default, token_default, scope_default) = match profile {
            Profile::Google => (
                Some(GOOGLE_AUTHORIZATION),
                Some(GOOGLE_TOKEN),
                Some(GOOGLE_SCOPE),
            ),
            _ => (None, None, None),
        };
        let need = |v: Option<&str>, d: Option<&str>, flag: &str| {
            v.or(d)
                .map(str::to_string)
                .ok_or_else(|| format!("--oauth custom needs {flag}"))
        };
        let authorization = need(authorization, auth_default, "--auth-url")?;
        let token = need(token, token_default, "--token-url")?;
        let scope = need(scope, scope_default, "--scope")?;
        if scope.trim().is_empty() || scope.chars().any(|c| c.is_control()) {
            return Err(format!(
                "--scope {scope:?} must be space-separated scope names"
            ));
        }
        Ok(AuthCodeConfig {
            profile,
            authorization: Authority::parse_endpoint(&authorization, "--auth-url")?,
            token: Authority::parse_endpoint(&token, "--token-url")?,
            client_id: check_client_id(client_id)?,
            client_secret: None,
            scope: scope.trim().to_string(),
            login_hint: None,
            wait: DEFAULT_WAIT,
        })
    }
}

/// What the sign-in gave.
#[derive(Debug)]
pub struct SignedIn {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
}

/// The URL the user opens, and where the answer will come.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub url: String,
    pub redirect_uri: String,
    pub wait: Duration,
}

fn random_b64(n: usize) -> Result<String, Box<Diagnosis>> {
    use ring::rand::SecureRandom;
    let mut bytes = vec![0u8; n];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| {
            Box::new(cat::IDENTITY_PLATFORM_ERROR.sign_in(
                Some("the system random number generator failed".into()),
                None,
            ))
        })?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// RFC 7636 §4.2 S256: base64url(SHA-256(verifier)).
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

/// application/x-www-form-urlencoded, as for a query string.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
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

/// The query parameters of a request target (`/path?a=b&c=d`).
fn query(target: &str) -> Vec<(String, String)> {
    let q = target.split_once('?').map_or("", |(_, q)| q);
    let q = q.split('#').next().unwrap_or("");
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Runs the flow: the tokens, or the diagnosis of why there are none.
/// `on_prompt` shows (or opens) the URL; it runs once the listener is up.
pub fn sign_in(
    cfg: &AuthCodeConfig,
    on_prompt: &mut dyn FnMut(&Prompt),
) -> Result<SignedIn, Box<Diagnosis>> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| {
        Box::new(cat::IDENTITY_PLATFORM_ERROR.sign_in(
            Some(format!(
                "could not listen on 127.0.0.1 for the browser's answer: {e}"
            )),
            None,
        ))
    })?;
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let redirect_uri = format!("http://127.0.0.1:{port}");
    let verifier = Secret::new(random_b64(32)?);
    let state = random_b64(16)?;
    let mut redactor = Redactor::default();
    redactor.add(verifier.expose().to_string());
    if let Some(s) = &cfg.client_secret {
        redactor.add(s.expose().to_string());
    }

    let mut params = vec![
        ("client_id", cfg.client_id.clone()),
        ("response_type", "code".to_string()),
        ("redirect_uri", redirect_uri.clone()),
        ("scope", cfg.scope.clone()),
        ("state", state.clone()),
        ("code_challenge", challenge(verifier.expose())),
        ("code_challenge_method", "S256".to_string()),
    ];
    if cfg.profile == Profile::Google {
        // Without it Google issues no refresh token.
        params.push(("access_type", "offline".to_string()));
    }
    if let Some(hint) = &cfg.login_hint {
        params.push(("login_hint", hint.clone()));
    }
    let url = format!(
        "{}?{}",
        cfg.authorization.as_str(),
        params
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    );
    on_prompt(&Prompt {
        url,
        redirect_uri: redirect_uri.clone(),
        wait: cfg.wait,
    });

    // The listener is closed when this returns: a second redirect finds no
    // one listening.
    let answer = wait_for_redirect(listener, cfg.wait)?;
    let get = |name: &str| {
        answer
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if get("state").as_deref() != Some(state.as_str()) {
        return Err(Box::new(cat::OAUTH_STATE_MISMATCH.sign_in(
            Some("the redirect's state parameter is not the one this run sent; the code in it was not used".into()),
            None,
        )));
    }
    let google = cfg.profile == Profile::Google;
    if let Some(error) = get("error") {
        let mut body = Map::new();
        body.insert("error".into(), Value::String(error));
        if let Some(d) = get("error_description") {
            body.insert("error_description".into(), Value::String(d));
        }
        return Err(platform_error(
            &body,
            0,
            &redactor,
            Flow::AuthCode { google },
        ));
    }
    let Some(code) = get("code").filter(|c| !c.is_empty()).map(Secret::new) else {
        return Err(Box::new(cat::IDENTITY_ENDPOINT_BAD_RESPONSE.sign_in(
            Some("the redirect carried neither a code nor an error (RFC 6749 §4.1.2)".into()),
            None,
        )));
    };
    redactor.add(code.expose().to_string());

    // §4.1.3 Access Token Request, with the PKCE verifier (RFC 7636 §4.5).
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.expose()),
        ("redirect_uri", redirect_uri.as_str()),
        ("client_id", cfg.client_id.as_str()),
        ("code_verifier", verifier.expose()),
    ];
    if let Some(s) = &cfg.client_secret {
        form.push(("client_secret", s.expose()));
    }
    let agent = agent(cfg.token.is_loopback());
    let (status, body) = post_form(&agent, cfg.token.as_str(), &form, &redactor)?;
    tokens(status, body, &redactor, Flow::AuthCode { google })
}

/// RFC 6749 §6: a new access token from a refresh token.
pub fn refresh(cfg: &AuthCodeConfig, refresh_token: &Secret) -> Result<SignedIn, Box<Diagnosis>> {
    let mut redactor = Redactor::default();
    redactor.add(refresh_token.expose().to_string());
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.expose()),
        ("client_id", cfg.client_id.as_str()),
    ];
    if cfg.profile == Profile::Microsoft {
        form.push(("scope", cfg.scope.as_str()));
    }
    if let Some(s) = &cfg.client_secret {
        redactor.add(s.expose().to_string());
        form.push(("client_secret", s.expose()));
    }
    let agent = agent(cfg.token.is_loopback());
    let (status, body) = post_form(&agent, cfg.token.as_str(), &form, &redactor)?;
    let google = cfg.profile == Profile::Google;
    tokens(status, body, &redactor, Flow::AuthCode { google })
}

fn tokens(
    status: u16,
    body: Map<String, Value>,
    redactor: &Redactor,
    flow: Flow,
) -> Result<SignedIn, Box<Diagnosis>> {
    let field = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| Secret::new(s.to_string()))
    };
    match (status, field("access_token")) {
        (200, Some(access_token)) => Ok(SignedIn {
            access_token,
            refresh_token: field("refresh_token"),
        }),
        _ => Err(platform_error(&body, status, redactor, flow)),
    }
}

/// Waits for the first request that carries `code`, `error` or `state`;
/// its query parameters. Closes the listener on return.
fn wait_for_redirect(
    listener: TcpListener,
    wait: Duration,
) -> Result<Vec<(String, String)>, Box<Diagnosis>> {
    let deadline = Instant::now() + wait;
    let _ = listener.set_nonblocking(true);
    loop {
        if Instant::now() >= deadline {
            return Err(Box::new(cat::OAUTH_REDIRECT_TIMEOUT.sign_in(
                Some(format!(
                    "waited {} s for the browser; it never came back to 127.0.0.1 (was the window closed, or the sign-in left unfinished?)",
                    wait.as_secs()
                )),
                None,
            )));
        }
        match listener.accept() {
            Ok((stream, _)) => {
                if let Some(params) = serve(stream) {
                    return Ok(params);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(25)),
        }
    }
}

/// Reads one bounded request; answers it. Some(params) when it is the redirect.
fn serve(mut stream: TcpStream) -> Option<Vec<(String, String)>> {
    let _ = stream.set_nonblocking(false);
    let started = Instant::now();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    // One request line and headers, up to MAX_REQUEST bytes and
    // REQUEST_DEADLINE: a slow or endless client cannot hold the flow.
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && !buf.windows(2).any(|w| w == b"\n\n") {
        let left = REQUEST_DEADLINE.checked_sub(started.elapsed())?;
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .ok()?;
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => return None,
        }
        if buf.len() > MAX_REQUEST {
            let _ = respond(&mut stream, 431, "Request too large.");
            return None;
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let line = text.lines().next().unwrap_or("");
    let mut words = line.split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let params = query(target);
    let is_redirect = method == "GET"
        && params
            .iter()
            .any(|(k, _)| matches!(k.as_str(), "code" | "error" | "state"));
    if !is_redirect {
        let _ = respond(&mut stream, 404, "Not the sign-in answer.");
        return None;
    }
    let page = if params.iter().any(|(k, _)| k == "error") {
        "The sign-in did not succeed. You can close this tab; smtp-doctor says why in the terminal."
    } else {
        "smtp-doctor got the answer. You can close this tab and go back to the terminal."
    };
    let _ = respond(&mut stream, 200, page);
    Some(params)
}

fn respond(stream: &mut TcpStream, status: u16, text: &str) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Request Header Fields Too Large",
    };
    let body =
        format!("<!doctype html><meta charset=utf-8><title>smtp-doctor</title><p>{text}</p>\n");
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_challenge() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn query_parameters_are_decoded() {
        let q = query("/?code=a%2Bb&state=x+y&error_description=AADSTS65004%3a+declined");
        assert_eq!(q[0], ("code".into(), "a+b".into()));
        assert_eq!(q[1], ("state".into(), "x y".into()));
        assert_eq!(q[2].1, "AADSTS65004: declined");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn profiles() {
        let m = AuthCodeConfig::microsoft(None, Some("contoso.com"), "abc-1").unwrap();
        assert_eq!(
            m.authorization.as_str(),
            "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/authorize"
        );
        assert_eq!(m.scope, MICROSOFT_SCOPE);
        let g = AuthCodeConfig::endpoints(Profile::Google, None, None, None, "1.apps").unwrap();
        assert_eq!(g.token.as_str(), GOOGLE_TOKEN);
        assert_eq!(g.scope, GOOGLE_SCOPE);
        assert!(AuthCodeConfig::endpoints(Profile::Custom, None, None, None, "x").is_err());
        assert!(AuthCodeConfig::endpoints(
            Profile::Custom,
            Some("http://idp.example/auth"),
            Some("https://idp.example/token"),
            Some("mail"),
            "x"
        )
        .is_err());
    }
}
