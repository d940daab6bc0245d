//! A scripted, in-process fake SMTP server for the end-to-end tests.
//!
//! `FakeSmtp` is a builder describing one server's behaviour; `spawn()` binds
//! 127.0.0.1:0 *before* returning (so the port is ready, no sleeps needed) and
//! serves every connection with the same script on a current-thread tokio
//! runtime in its own std thread. Every line a client sends is recorded, with
//! whether it arrived inside TLS, so tests can assert what was (not) sent.
//! Dropping the returned `Server` stops it.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use md5::Md5;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

use super::certs::{self, Cert};

/// The name the fake server uses in its greeting and EHLO reply.
pub const HOSTNAME: &str = "fake.example.test";

/// Longest client line the fake server buffers before giving up.
const MAX_CLIENT_LINE: usize = 1 << 20;
/// Upper bound for the "endless" hostile writers, so they always terminate.
const ENDLESS_LIMIT: usize = 512 << 20;
/// How long `Server::received` waits for connections to finish.
const IDLE_WAIT: Duration = Duration::from_secs(5);

/// How the server speaks TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// No TLS at all; `STARTTLS` is refused with 502.
    Plain,
    /// Plaintext greeting; `STARTTLS` upgrades the connection.
    StartTls,
    /// TLS from the first byte (port 465 style).
    Implicit,
}

/// Disruptive behaviours; each replaces part of the normal dialogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hostile {
    /// Accept the connection, read everything, never write a byte.
    Silent,
    /// Greeting `220 ` followed by megabytes without CRLF.
    EndlessLine,
    /// Answer EHLO with `250-...` lines forever.
    EndlessMultiline,
    /// Send the greeting one byte per second.
    DripGreeting,
    /// Normal greeting; answer EHLO one byte per second.
    DripEhlo,
    /// The greeting is binary garbage / invalid UTF-8 (not TLS-looking).
    GarbageGreeting,
    /// Close the connection in the middle of the EHLO reply.
    CloseMidReply,
    /// The EHLO reply changes its code between lines (250 / 251 / 250).
    CodesChange,
    /// After `220 Ready to start TLS`, read the ClientHello and answer with a
    /// fatal TLS `handshake_failure` alert.
    TlsAlertAfterStartTls,
    /// After `220 Ready to start TLS`, answer the ClientHello the way an
    /// OpenSSL server limited to TLS 1.0/1.1 does: a fatal `protocol_version`
    /// alert in a TLS 1.0 record.
    TlsLegacyOnlyAfterStartTls,
}

#[derive(Clone, Debug)]
enum AuthPolicy {
    /// The same reply to every AUTH attempt (after collecting its payloads).
    Reply(Vec<String>),
    /// 235 only for these password credentials (PLAIN, LOGIN, CRAM-MD5).
    Accept { user: String, password: String },
    /// 235 only for this OAuth token (XOAUTH2, OAUTHBEARER).
    AcceptToken { user: String, token: String },
}

/// One line received from a client.
#[derive(Clone, Debug)]
pub struct Received {
    /// 1-based number of the connection it arrived on.
    pub conn: usize,
    /// Whether it arrived inside TLS.
    pub tls: bool,
    /// The line, without CRLF (lossy UTF-8).
    pub line: String,
}

impl Received {
    /// The first word of the line, upper-cased (the SMTP verb for commands).
    pub fn verb(&self) -> String {
        self.line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase()
    }
}

/// The script of a fake server. Build it, then `spawn()` it.
#[derive(Clone, Debug)]
pub struct FakeSmtp {
    mode: TlsMode,
    greeting: Vec<String>,
    ehlo_before: Vec<String>,
    ehlo_after: Vec<String>,
    ehlo_refusal: Option<Vec<String>>,
    starttls_reply: Vec<String>,
    starttls_inject: Option<String>,
    auth: AuthPolicy,
    echo_auth: bool,
    cert: Cert,
    hostile: Option<Hostile>,
    greeting_delay: Duration,
}

impl Default for FakeSmtp {
    fn default() -> Self {
        Self::new()
    }
}

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Split reply text into lines: `"534-a\n534 b"` → two lines (CR ignored).
fn reply_lines(text: &str) -> Vec<String> {
    text.split('\n')
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

impl FakeSmtp {
    /// Same as [`FakeSmtp::starttls`].
    pub fn new() -> Self {
        Self::starttls()
    }

    fn base(mode: TlsMode) -> Self {
        FakeSmtp {
            mode,
            greeting: vec![format!("220 {HOSTNAME} ESMTP FakeSmtp")],
            ehlo_before: Vec::new(),
            ehlo_after: Vec::new(),
            ehlo_refusal: None,
            starttls_reply: vec!["220 2.0.0 Ready to start TLS".to_string()],
            starttls_inject: None,
            auth: AuthPolicy::Reply(vec![
                "535 5.7.8 Error: authentication failed: authentication failure".to_string(),
            ]),
            echo_auth: false,
            cert: Cert::Valid,
            hostile: None,
            greeting_delay: Duration::ZERO,
        }
    }

    /// A submission server (port 587 style): STARTTLS before, AUTH after TLS.
    pub fn starttls() -> Self {
        let mut s = Self::base(TlsMode::StartTls);
        s.ehlo_before = owned(&["PIPELINING", "SIZE 35882577", "8BITMIME", "STARTTLS"]);
        s.ehlo_after = owned(&[
            "PIPELINING",
            "SIZE 35882577",
            "8BITMIME",
            "AUTH PLAIN LOGIN",
        ]);
        s
    }

    /// An implicit-TLS server (port 465 style).
    pub fn implicit() -> Self {
        let mut s = Self::base(TlsMode::Implicit);
        s.ehlo_after = owned(&[
            "PIPELINING",
            "SIZE 35882577",
            "8BITMIME",
            "AUTH PLAIN LOGIN",
        ]);
        s
    }

    /// A plaintext server without TLS, offering AUTH in the clear.
    pub fn plain() -> Self {
        let mut s = Self::base(TlsMode::Plain);
        s.ehlo_before = owned(&[
            "PIPELINING",
            "SIZE 35882577",
            "8BITMIME",
            "AUTH PLAIN LOGIN",
        ]);
        s
    }

    /// The greeting reply (may be multi-line, lines separated by `\n`).
    pub fn greeting(mut self, text: &str) -> Self {
        self.greeting = reply_lines(text);
        self
    }

    /// EHLO capabilities before TLS (used by Plain and StartTls servers).
    pub fn ehlo_before_tls(mut self, caps: &[&str]) -> Self {
        self.ehlo_before = owned(caps);
        self
    }

    /// EHLO capabilities inside TLS (used by StartTls and Implicit servers).
    pub fn ehlo_after_tls(mut self, caps: &[&str]) -> Self {
        self.ehlo_after = owned(caps);
        self
    }

    /// The capabilities of the phase where AUTH happens: before TLS for a
    /// plain server, inside TLS otherwise.
    pub fn caps(mut self, caps: &[&str]) -> Self {
        match self.mode {
            TlsMode::Plain => self.ehlo_before = owned(caps),
            TlsMode::StartTls | TlsMode::Implicit => self.ehlo_after = owned(caps),
        }
        self
    }

    /// Like [`FakeSmtp::caps`] with owned strings (e.g. a generated list).
    pub fn caps_owned(mut self, caps: Vec<String>) -> Self {
        match self.mode {
            TlsMode::Plain => self.ehlo_before = caps,
            TlsMode::StartTls | TlsMode::Implicit => self.ehlo_after = caps,
        }
        self
    }

    /// Refuse EHLO with this reply (e.g. `502 5.5.2 ...`); HELO still works.
    pub fn ehlo_reply(mut self, text: &str) -> Self {
        self.ehlo_refusal = Some(reply_lines(text));
        self
    }

    /// The reply to STARTTLS. Anything but 2xx means "no upgrade".
    pub fn starttls_reply(mut self, text: &str) -> Self {
        self.starttls_reply = reply_lines(text);
        self
    }

    /// Bytes written right after the STARTTLS `220`, in the same write
    /// (RFC 3207 response injection). `extra` is sent verbatim.
    pub fn starttls_inject(mut self, extra: &str) -> Self {
        self.starttls_inject = Some(extra.to_string());
        self
    }

    /// The reply to every AUTH attempt (may be multi-line).
    pub fn auth_reply(mut self, text: &str) -> Self {
        self.auth = AuthPolicy::Reply(reply_lines(text));
        self
    }

    /// Reply 235 only for these credentials (PLAIN/LOGIN/CRAM-MD5), else 535.
    pub fn accept(mut self, user: &str, password: &str) -> Self {
        self.auth = AuthPolicy::Accept {
            user: user.to_string(),
            password: password.to_string(),
        };
        self
    }

    /// Reply 235 only for this OAuth token (XOAUTH2/OAUTHBEARER), else fail.
    pub fn accept_token(mut self, user: &str, token: &str) -> Self {
        self.auth = AuthPolicy::AcceptToken {
            user: user.to_string(),
            token: token.to_string(),
        };
        self
    }

    /// Refuse AUTH with a 535 whose text echoes the client's payload and the
    /// decoded secret.
    pub fn echo_auth_payload(mut self) -> Self {
        self.echo_auth = true;
        self
    }

    /// The certificate presented in TLS.
    pub fn cert(mut self, cert: Cert) -> Self {
        self.cert = cert;
        self
    }

    /// Wait this long before the greeting (keeps connections open, so that
    /// tests can observe how many a client holds at once).
    pub fn greeting_delay(mut self, delay: Duration) -> Self {
        self.greeting_delay = delay;
        self
    }

    /// Misbehave.
    pub fn hostile(mut self, hostile: Hostile) -> Self {
        self.hostile = Some(hostile);
        self
    }

    /// Bind 127.0.0.1:0 and serve in a background thread.
    pub fn spawn(self) -> Server {
        self.spawn_at("127.0.0.1:0")
    }

    /// Bind `addr` (a loopback address; port 0 for any) and serve in a
    /// background thread: e.g. a second server on 127.0.0.2 and the same
    /// port as one on 127.0.0.1, for a host name with two addresses.
    pub fn spawn_at(self, addr: &str) -> Server {
        let listener =
            std::net::TcpListener::bind(addr).unwrap_or_else(|e| panic!("bind {addr}: {e}"));
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let port = listener.local_addr().expect("local addr").port();
        // Built here so certificate problems fail the test thread, not the server.
        let acceptor = TlsAcceptor::from(certs::server_config(self.cert));
        let shared = Arc::new(Shared::default());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let script = Arc::new(self);
        let thread_shared = shared.clone();
        std::thread::Builder::new()
            .name(format!("fake-smtp-{port}"))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("fake SMTP runtime");
                runtime.block_on(accept_loop(
                    listener,
                    script,
                    acceptor,
                    thread_shared,
                    stop_rx,
                ));
                // Dropping the runtime cancels the connection tasks.
            })
            .expect("spawn fake SMTP thread");
        Server {
            port,
            shared,
            _stop: stop_tx,
        }
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    active: Mutex<usize>,
    idle: Condvar,
    connections: AtomicUsize,
    /// Connections inside the greeting delay now, and the most at once.
    delayed: AtomicUsize,
    peak: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Decrements the active-connection count when a connection task ends
/// (also when the runtime is dropped and cancels it).
struct ActiveGuard(Arc<Shared>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        let mut active = lock(&self.0.active);
        *active = active.saturating_sub(1);
        self.0.idle.notify_all();
    }
}

/// A running fake server. Dropping it stops the server.
pub struct Server {
    port: u16,
    shared: Arc<Shared>,
    _stop: oneshot::Sender<()>,
}

impl Server {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Number of TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Most connections that were waiting for their greeting at the same
    /// time (needs `greeting_delay`): a client-side concurrency measure that
    /// does not depend on when the server notices a closed connection.
    pub fn peak_connections(&self) -> usize {
        self.shared.peak.load(Ordering::SeqCst)
    }

    /// Every line received so far, after waiting (up to 5 s) for all
    /// connections to end, so that nothing the client sent is still unread.
    pub fn received(&self) -> Vec<Received> {
        let active = lock(&self.shared.active);
        let _still_active = self
            .shared
            .idle
            .wait_timeout_while(active, IDLE_WAIT, |n| *n > 0)
            .unwrap_or_else(|e| e.into_inner());
        lock(&self.shared.received).clone()
    }

    /// Received lines that are AUTH commands (not their continuation lines).
    pub fn auth_commands(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.verb() == "AUTH")
            .collect()
    }

    /// Received lines with this verb (e.g. "STARTTLS", "HELO", "QUIT").
    pub fn commands(&self, verb: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.verb().eq_ignore_ascii_case(verb))
            .collect()
    }

    /// A readable dump of what the server received, for assertion messages.
    /// It contains the test secrets: only use it in this test binary's output.
    pub fn dump(&self) -> String {
        self.received()
            .iter()
            .map(|r| {
                format!(
                    "  [conn {} {}] {}\n",
                    r.conn,
                    if r.tls { "tls" } else { "plain" },
                    r.line
                )
            })
            .collect()
    }
}

async fn accept_loop(
    listener: std::net::TcpListener,
    script: Arc<FakeSmtp>,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    mut stop: oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                let id = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
                *lock(&shared.active) += 1;
                let guard = ActiveGuard(shared.clone());
                let conn = Conn {
                    io: None,
                    buf: Vec::new(),
                    tls: false,
                    authenticated: false,
                    id,
                    script: script.clone(),
                    shared: shared.clone(),
                    acceptor: acceptor.clone(),
                };
                tokio::spawn(async move {
                    let _guard = guard;
                    let _ = conn.serve(stream).await;
                });
            }
        }
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

struct Conn {
    io: Option<Box<dyn Io>>,
    buf: Vec<u8>,
    tls: bool,
    authenticated: bool,
    id: usize,
    script: Arc<FakeSmtp>,
    shared: Arc<Shared>,
    acceptor: TlsAcceptor,
}

/// Result of one step of a SASL exchange.
enum Step {
    Data(String),
    /// The client cancelled (`*`) or went away; the exchange is over.
    Over,
}

/// What a client's AUTH payloads decoded to.
enum Creds {
    Password {
        user: String,
        password: String,
    },
    Cram {
        user: String,
        digest: String,
        challenge: String,
    },
    Token {
        user: String,
        token: String,
    },
    Undecodable,
    Unsupported,
}

impl Creds {
    fn matches_password(&self, want_user: &str, want_password: &str) -> bool {
        match self {
            Creds::Password { user, password } => user == want_user && password == want_password,
            Creds::Cram {
                user,
                digest,
                challenge,
            } => user == want_user && *digest == cram_md5_digest(want_password, challenge),
            _ => false,
        }
    }

    fn matches_token(&self, want_user: &str, want_token: &str) -> bool {
        matches!(self, Creds::Token { user, token } if user == want_user && token == want_token)
    }

    fn describe(&self) -> String {
        match self {
            Creds::Password { user, password } => format!("user={user} password={password}"),
            Creds::Cram { user, .. } => format!("user={user}"),
            Creds::Token { user, token } => format!("user={user} token={token}"),
            Creds::Undecodable | Creds::Unsupported => String::new(),
        }
    }
}

fn cram_md5_digest(password: &str, challenge: &str) -> String {
    let mut mac =
        Hmac::<Md5>::new_from_slice(password.as_bytes()).expect("HMAC takes any key length");
    mac.update(challenge.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.is_empty() || text == "=" {
        return Some(Vec::new());
    }
    B64.decode(text).ok()
}

fn b64_text(text: &str) -> Option<String> {
    b64_decode(text).map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn decode_plain(payload: &str) -> Creds {
    let Some(bytes) = b64_decode(payload) else {
        return Creds::Undecodable;
    };
    let parts: Vec<&[u8]> = bytes.split(|&b| b == 0).collect();
    if parts.len() != 3 {
        return Creds::Undecodable;
    }
    Creds::Password {
        user: String::from_utf8_lossy(parts[1]).into_owned(),
        password: String::from_utf8_lossy(parts[2]).into_owned(),
    }
}

/// `user=U\x01auth=Bearer T\x01\x01`
fn decode_xoauth2(payload: &str) -> Creds {
    let Some(text) = b64_text(payload) else {
        return Creds::Undecodable;
    };
    let mut user = None;
    let mut token = None;
    for field in text.split('\x01') {
        if let Some(u) = field.strip_prefix("user=") {
            user = Some(u.to_string());
        } else if let Some(a) = field.strip_prefix("auth=") {
            token = a
                .strip_prefix("Bearer ")
                .or_else(|| a.strip_prefix("bearer "))
                .map(str::to_string);
        }
    }
    match (user, token) {
        (Some(user), Some(token)) => Creds::Token { user, token },
        _ => Creds::Undecodable,
    }
}

/// `n,a=U,\x01host=..\x01port=..\x01auth=Bearer T\x01\x01` (RFC 7628)
fn decode_oauthbearer(payload: &str) -> Creds {
    let Some(text) = b64_text(payload) else {
        return Creds::Undecodable;
    };
    let mut fields = text.split('\x01');
    let gs2 = fields.next().unwrap_or("");
    let user = gs2
        .split(',')
        .find_map(|p| p.strip_prefix("a="))
        .unwrap_or("")
        .replace("=2C", ",")
        .replace("=3D", "=");
    let token = fields.find_map(|f| {
        f.strip_prefix("auth=")
            .and_then(|a| {
                a.strip_prefix("Bearer ")
                    .or_else(|| a.strip_prefix("bearer "))
            })
            .map(str::to_string)
    });
    match token {
        Some(token) => Creds::Token { user, token },
        None => Creds::Undecodable,
    }
}

/// The mechanisms named by `AUTH ...` / `AUTH=...` capability lines.
fn offered_mechs(caps: &[String]) -> Vec<String> {
    caps.iter()
        .filter_map(|c| {
            let upper = c.to_ascii_uppercase();
            upper
                .strip_prefix("AUTH ")
                .or_else(|| upper.strip_prefix("AUTH="))
                .map(|rest| {
                    rest.split_whitespace()
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
        })
        .flatten()
        .collect()
}

fn ehlo_lines(caps: &[String]) -> Vec<String> {
    let mut items = vec![format!("{HOSTNAME} Hello, pleased to meet you")];
    items.extend(caps.iter().cloned());
    let last = items.len() - 1;
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| format!("250{}{item}", if i == last { ' ' } else { '-' }))
        .collect()
}

fn unique_challenge(conn: usize) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("<{}.{nanos}.{conn}@{HOSTNAME}>", std::process::id())
}

impl Conn {
    fn io(&mut self) -> io::Result<&mut Box<dyn Io>> {
        self.io
            .as_mut()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "stream gone"))
    }

    fn record(&self, line: String) {
        lock(&self.shared.received).push(Received {
            conn: self.id,
            tls: self.tls,
            line,
        });
    }

    async fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        let io = self.io()?;
        io.write_all(bytes).await?;
        io.flush().await
    }

    /// Write reply lines (CRLF-terminated) in one write.
    async fn send(&mut self, lines: &[String]) -> io::Result<()> {
        let mut out = String::new();
        for line in lines {
            out.push_str(line);
            out.push_str("\r\n");
        }
        self.write_raw(out.as_bytes()).await
    }

    async fn send_line(&mut self, line: &str) -> io::Result<()> {
        self.send(&[line.to_string()]).await
    }

    /// Read one CRLF/LF-terminated line; `None` at end of stream.
    async fn read_line(&mut self) -> io::Result<Option<String>> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let raw: Vec<u8> = self.buf.drain(..=pos).collect();
                let line = String::from_utf8_lossy(&raw)
                    .trim_end_matches(['\r', '\n'])
                    .to_string();
                self.record(line.clone());
                return Ok(Some(line));
            }
            if self.buf.len() > MAX_CLIENT_LINE {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "client line too long",
                ));
            }
            let mut chunk = [0u8; 8192];
            let n = self.io()?.read(&mut chunk).await?;
            if n == 0 {
                if !self.buf.is_empty() {
                    let rest = std::mem::take(&mut self.buf);
                    self.record(String::from_utf8_lossy(&rest).into_owned());
                }
                return Ok(None);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    async fn drain(&mut self) {
        while let Ok(Some(_)) = self.read_line().await {}
    }

    /// Half-close our side, then read (and record) until the client is gone.
    async fn close(&mut self) {
        if let Ok(io) = self.io() {
            let _ = io.shutdown().await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.drain()).await;
    }

    async fn upgrade(&mut self) -> io::Result<()> {
        // Anything pipelined before the handshake is discarded (RFC 3207).
        self.buf.clear();
        let io = self
            .io
            .take()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "stream gone"))?;
        let tls = self.acceptor.accept(io).await?;
        self.io = Some(Box::new(tls));
        self.tls = true;
        Ok(())
    }

    fn current_caps(&self) -> Vec<String> {
        if self.tls {
            self.script.ehlo_after.clone()
        } else {
            self.script.ehlo_before.clone()
        }
    }

    async fn serve(mut self, tcp: TcpStream) -> io::Result<()> {
        let _ = tcp.set_nodelay(true);
        self.io = Some(Box::new(tcp));
        let script = self.script.clone();

        if script.mode == TlsMode::Implicit {
            self.upgrade().await?;
        }

        match script.hostile {
            Some(Hostile::Silent) => {
                self.drain().await;
                return Ok(());
            }
            Some(Hostile::EndlessLine) => {
                self.write_raw(b"220 ").await?;
                let chunk = vec![b'A'; 64 * 1024];
                let mut sent = 0;
                while sent < ENDLESS_LIMIT {
                    self.write_raw(&chunk).await?;
                    sent += chunk.len();
                }
                return Ok(());
            }
            Some(Hostile::DripGreeting) => {
                let greeting = format!("220 {HOSTNAME} ESMTP FakeSmtp, dripping very slowly\r\n");
                return self.drip(greeting.as_bytes()).await;
            }
            Some(Hostile::GarbageGreeting) => {
                self.write_raw(
                    b"\xff\xfe\xfd\x00\x01\x80\x81 \xc3\x28\xa0\xa1 ~~not smtp~~ \xe2\x28\xa1\r\n\
                      \x00\x00\xf0\x28\x8c\xbc\x9b\x80\x7f\xfe\r\n",
                )
                .await?;
                self.drain().await;
                return Ok(());
            }
            _ => {}
        }

        if !script.greeting_delay.is_zero() {
            let now = self.shared.delayed.fetch_add(1, Ordering::SeqCst) + 1;
            self.shared.peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(script.greeting_delay).await;
            self.shared.delayed.fetch_sub(1, Ordering::SeqCst);
        }
        self.send(&script.greeting).await?;
        let greeting_ok = script.greeting.last().is_some_and(|l| l.starts_with('2'));
        if !greeting_ok {
            // 421/554 greeting: the server closes the connection.
            self.close().await;
            return Ok(());
        }

        loop {
            let Some(line) = self.read_line().await? else {
                return Ok(());
            };
            let verb = line
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            match verb.as_str() {
                "EHLO" => {
                    if !self.ehlo().await? {
                        return Ok(());
                    }
                }
                "HELO" => self.send_line(&format!("250 {HOSTNAME}")).await?,
                "STARTTLS" => {
                    if !self.starttls().await? {
                        return Ok(());
                    }
                }
                "AUTH" => self.auth(&line).await?,
                "QUIT" => {
                    self.send_line("221 2.0.0 Bye").await?;
                    self.close().await;
                    return Ok(());
                }
                "NOOP" | "RSET" => self.send_line("250 2.0.0 OK").await?,
                "MAIL" | "RCPT" => self.send_line("250 2.1.0 OK").await?,
                "DATA" => {
                    self.send_line("554 5.5.1 Error: no valid recipients")
                        .await?
                }
                _ => {
                    self.send_line("500 5.5.2 Error: command not recognized")
                        .await?
                }
            }
        }
    }

    async fn drip(&mut self, bytes: &[u8]) -> io::Result<()> {
        for b in bytes {
            self.write_raw(&[*b]).await?;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        self.drain().await;
        Ok(())
    }

    /// Answer EHLO. Returns false when the connection is over.
    async fn ehlo(&mut self) -> io::Result<bool> {
        let script = self.script.clone();
        match script.hostile {
            Some(Hostile::EndlessMultiline) => {
                let mut chunk = String::new();
                let mut i = 0usize;
                let mut sent = 0usize;
                while sent < ENDLESS_LIMIT {
                    chunk.clear();
                    while chunk.len() < 64 * 1024 {
                        chunk.push_str(&format!("250-X-FAKE-ENDLESS-EXTENSION-{i:08}\r\n"));
                        i += 1;
                    }
                    self.write_raw(chunk.as_bytes()).await?;
                    sent += chunk.len();
                }
                return Ok(false);
            }
            Some(Hostile::DripEhlo) => {
                let reply = ehlo_lines(&self.current_caps()).join("\r\n") + "\r\n";
                self.drip(reply.as_bytes()).await?;
                return Ok(false);
            }
            Some(Hostile::CloseMidReply) => {
                self.write_raw(format!("250-{HOSTNAME} Hello\r\n250-PIPELI").as_bytes())
                    .await?;
                self.close().await;
                return Ok(false);
            }
            Some(Hostile::CodesChange) => {
                let caps = self.current_caps();
                let mut lines = ehlo_lines(&caps);
                if lines.len() < 3 {
                    lines = ehlo_lines(&owned(&["PIPELINING", "8BITMIME"]));
                }
                lines[1].replace_range(0..3, "251");
                self.send(&lines).await?;
                return Ok(true);
            }
            _ => {}
        }
        if let Some(refusal) = &script.ehlo_refusal {
            self.send(refusal).await?;
        } else {
            let lines = ehlo_lines(&self.current_caps());
            self.send(&lines).await?;
        }
        Ok(true)
    }

    /// Answer STARTTLS. Returns false when the connection is over.
    async fn starttls(&mut self) -> io::Result<bool> {
        let script = self.script.clone();
        if self.tls {
            self.send_line("554 5.5.1 Error: TLS already active")
                .await?;
            return Ok(true);
        }
        if script.mode != TlsMode::StartTls {
            self.send_line("502 5.5.1 Error: command not implemented")
                .await?;
            return Ok(true);
        }
        let proceed = script
            .starttls_reply
            .last()
            .is_some_and(|l| l.starts_with('2'));
        if !proceed {
            self.send(&script.starttls_reply).await?;
            return Ok(true);
        }
        let alert = match script.hostile {
            // Level 2 (fatal), description 40 handshake_failure, TLS 1.2 record.
            Some(Hostile::TlsAlertAfterStartTls) => {
                Some([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])
            }
            // Level 2 (fatal), description 70 protocol_version, TLS 1.0 record.
            Some(Hostile::TlsLegacyOnlyAfterStartTls) => {
                Some([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])
            }
            _ => None,
        };
        if let Some(alert) = alert {
            self.send(&script.starttls_reply).await?;
            // Wait for (part of) the ClientHello, then the fatal alert.
            let mut hello = [0u8; 4096];
            let _ = tokio::time::timeout(Duration::from_secs(5), self.io()?.read(&mut hello)).await;
            self.write_raw(&alert).await?;
            self.buf.clear();
            let io = self.io()?;
            let _ = io.shutdown().await;
            let _ = tokio::time::timeout(Duration::from_secs(5), async {
                let mut sink = [0u8; 4096];
                while let Ok(n) = io.read(&mut sink).await {
                    if n == 0 {
                        break;
                    }
                }
            })
            .await;
            return Ok(false);
        }
        let mut out = String::new();
        for line in &script.starttls_reply {
            out.push_str(line);
            out.push_str("\r\n");
        }
        if let Some(extra) = &script.starttls_inject {
            out.push_str(extra);
        }
        self.write_raw(out.as_bytes()).await?;
        self.upgrade().await?;
        Ok(true)
    }

    /// Send a SASL challenge and read the client's answer.
    async fn challenge(&mut self, prompt: &str) -> io::Result<Step> {
        self.send_line(prompt).await?;
        match self.read_line().await? {
            None => Ok(Step::Over),
            Some(answer) if answer.trim() == "*" => {
                self.send_line("501 5.7.0 Authentication aborted").await?;
                Ok(Step::Over)
            }
            Some(answer) => Ok(Step::Data(answer.trim().to_string())),
        }
    }

    /// The initial response if given, else an empty `334 ` challenge.
    async fn initial_or_prompt(&mut self, initial: Option<String>) -> io::Result<Step> {
        match initial {
            Some(ir) => Ok(Step::Data(ir)),
            None => self.challenge("334 ").await,
        }
    }

    async fn auth(&mut self, line: &str) -> io::Result<()> {
        let script = self.script.clone();
        let words: Vec<&str> = line.split_whitespace().collect();
        let mech = words
            .get(1)
            .map(|m| m.to_ascii_uppercase())
            .unwrap_or_default();
        let initial = words.get(2).map(|s| s.to_string());

        if self.authenticated {
            return self
                .send_line("503 5.5.1 Error: already authenticated")
                .await;
        }
        let offered = offered_mechs(&self.current_caps());
        if offered.is_empty() {
            let reply = if script.mode == TlsMode::StartTls && !self.tls {
                "530 5.7.0 Must issue a STARTTLS command first"
            } else {
                "503 5.5.1 Error: authentication not enabled"
            };
            return self.send_line(reply).await;
        }
        if !offered.contains(&mech) {
            return self
                .send_line("504 5.5.4 Unrecognized authentication type")
                .await;
        }

        let mut payloads: Vec<String> = Vec::new();
        let creds = match mech.as_str() {
            "PLAIN" => {
                let Step::Data(p) = self.initial_or_prompt(initial).await? else {
                    return Ok(());
                };
                payloads.push(p.clone());
                decode_plain(&p)
            }
            "LOGIN" => {
                let user_b64 = match initial {
                    Some(ir) => ir,
                    None => {
                        let Step::Data(u) = self.challenge("334 VXNlcm5hbWU6").await? else {
                            return Ok(());
                        };
                        u
                    }
                };
                payloads.push(user_b64.clone());
                let Step::Data(pass_b64) = self.challenge("334 UGFzc3dvcmQ6").await? else {
                    return Ok(());
                };
                payloads.push(pass_b64.clone());
                match (b64_text(&user_b64), b64_text(&pass_b64)) {
                    (Some(user), Some(password)) => Creds::Password { user, password },
                    _ => Creds::Undecodable,
                }
            }
            "CRAM-MD5" => {
                let challenge = unique_challenge(self.id);
                let prompt = format!("334 {}", B64.encode(&challenge));
                let Step::Data(resp) = self.challenge(&prompt).await? else {
                    return Ok(());
                };
                payloads.push(resp.clone());
                match b64_text(&resp).and_then(|t| {
                    t.rsplit_once(' ')
                        .map(|(u, d)| (u.to_string(), d.to_ascii_lowercase()))
                }) {
                    Some((user, digest)) => Creds::Cram {
                        user,
                        digest,
                        challenge,
                    },
                    None => Creds::Undecodable,
                }
            }
            "XOAUTH2" => {
                let Step::Data(p) = self.initial_or_prompt(initial).await? else {
                    return Ok(());
                };
                payloads.push(p.clone());
                decode_xoauth2(&p)
            }
            "OAUTHBEARER" => {
                let Step::Data(p) = self.initial_or_prompt(initial).await? else {
                    return Ok(());
                };
                payloads.push(p.clone());
                decode_oauthbearer(&p)
            }
            _ => Creds::Unsupported,
        };

        if matches!(creds, Creds::Undecodable) {
            return self.send_line("501 5.5.2 Cannot decode response").await;
        }

        if script.echo_auth {
            let reply = format!(
                "535 5.7.8 Authentication failed for {} ({})",
                payloads.join(" "),
                creds.describe()
            );
            return self.send_line(&reply).await;
        }

        let success = "235 2.7.0 Authentication successful";
        match &script.auth {
            AuthPolicy::Reply(lines) => {
                if lines.last().is_some_and(|l| l.starts_with("235")) {
                    self.authenticated = true;
                }
                self.send(lines).await
            }
            AuthPolicy::Accept { user, password } => {
                if creds.matches_password(user, password) {
                    self.authenticated = true;
                    self.send_line(success).await
                } else {
                    self.send_line("535 5.7.8 Error: authentication failed: authentication failure")
                        .await
                }
            }
            AuthPolicy::AcceptToken { user, token } => {
                if creds.matches_token(user, token) {
                    self.authenticated = true;
                    self.send_line(success).await
                } else if matches!(mech.as_str(), "XOAUTH2" | "OAUTHBEARER") {
                    // Google-style: a 334 with a JSON error, the client answers
                    // with an empty line, then the final 535.
                    let error = B64.encode(
                        r#"{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}"#,
                    );
                    if let Step::Data(_) = self.challenge(&format!("334 {error}")).await? {
                        self.send_line("535 5.7.8 Username and Password not accepted")
                            .await?;
                    }
                    Ok(())
                } else {
                    self.send_line("535 5.7.8 Error: authentication failed: authentication failure")
                        .await
                }
            }
        }
    }
}
