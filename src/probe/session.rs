//! The stage-by-stage script of one check:
//! connect → [TLS] → greeting → EHLO → [STARTTLS → TLS → EHLO] → AUTH → QUIT.
//!
//! Policy lives here: credentials are never sent before TLS unless the user
//! chose `--tls none`; one AUTH attempt only (no lockouts); nothing from
//! before the TLS handshake is trusted after it (RFC 3207 §4.2).

use super::connect::{self, bare_host};
use super::{Outcome, ProbeOptions, ProbeReport, StageRecord, Stop};
use crate::endpoint::{Endpoint, TlsMode};
use crate::net::tls::{self, TlsInfo};
use crate::net::{Connection, ProbeError, Stream, TlsFailure, Transcript};
use crate::secret::{Credential, Redactor, Secret};
use crate::smtp::sasl::{self, Mechanism};
use crate::smtp::{Capabilities, Command, Reply};
use crate::stage::Stage;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Mutable state of one session; becomes the `ProbeReport`.
struct Session<'a> {
    endpoint: &'a Endpoint,
    opts: &'a ProbeOptions,
    conn: Option<Connection>,
    /// The transcript while no connection holds it.
    transcript: Option<Transcript>,
    stages: Vec<StageRecord>,
    capabilities: Option<Capabilities>,
    tls: Option<TlsInfo>,
    address: Option<String>,
    mechanism: Option<Mechanism>,
    cleartext_auth: bool,
    implicit_tls_detected: bool,
    tls_race_unanswered: bool,
    /// Connect to this address only, not to what the host name resolves to.
    pinned: Option<SocketAddr>,
    /// What the host name resolved to (or the pinned address).
    addresses: Vec<String>,
}

/// Runs one check against `endpoint`. Never panics on server input; always returns.
pub(crate) async fn probe(endpoint: &Endpoint, opts: &ProbeOptions) -> ProbeReport {
    probe_at(endpoint, None, opts).await
}

/// Like [`probe`], but connects to `address` (its IP; the port is the
/// endpoint's) instead of resolving the host name, which still names the
/// server for TLS (SNI, certificate check): `check --all-addresses`.
pub(crate) async fn probe_at(
    endpoint: &Endpoint,
    address: Option<SocketAddr>,
    opts: &ProbeOptions,
) -> ProbeReport {
    let redactor = match &opts.credential {
        Some(c) => Redactor::new(
            opts.user.as_deref().unwrap_or(""),
            c.secret(),
            bare_host(&endpoint.host),
            endpoint.port,
        ),
        None => Redactor::default(),
    };
    let mut s = Session {
        endpoint,
        opts,
        conn: None,
        transcript: Some(Transcript::new(redactor)),
        stages: Vec::new(),
        capabilities: None,
        tls: None,
        address: None,
        mechanism: None,
        cleartext_auth: false,
        implicit_tls_detected: false,
        tls_race_unanswered: false,
        pinned: address,
        addresses: Vec::new(),
    };
    let outcome = s.run().await;
    let outcome = match outcome {
        Outcome::Failed(e) => Outcome::Failed(e),
        other => {
            if let Some(conn) = s.conn.as_mut() {
                let closing = matches!(&other, Outcome::Refused { reply, .. } if reply.code == 421);
                if !closing {
                    conn.quit(opts.timeout.min(Duration::from_secs(2))).await;
                }
            }
            other
        }
    };
    let transcript = match s.conn.take() {
        Some(c) => c.into_transcript(),
        None => s.transcript.take().unwrap_or_default(),
    };
    // Replies can echo what we sent (a server quoting the AUTH payload): scrub.
    let outcome = match outcome {
        Outcome::Refused { stage, mut reply } => {
            for line in &mut reply.lines {
                *line = transcript.scrub(line);
            }
            Outcome::Refused { stage, reply }
        }
        other => other,
    };
    ProbeReport {
        endpoint: endpoint.clone(),
        address: s.address,
        stages: s.stages,
        capabilities: s.capabilities,
        tls: s.tls,
        transcript: transcript.lines(),
        outcome,
        mechanism: s.mechanism,
        cleartext_auth: s.cleartext_auth,
        implicit_tls_detected: s.implicit_tls_detected,
        tls_race_unanswered: s.tls_race_unanswered,
        user: opts.user.clone(),
        addresses: s.addresses,
    }
}

/// Early return with `Outcome::Failed` on a transport error.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Outcome::Failed(e),
        }
    };
}

impl Session<'_> {
    fn record(&mut self, stage: Stage, started: Instant, ok: bool, detail: Option<String>) {
        let elapsed = started.elapsed();
        self.stages.push(StageRecord {
            stage,
            ok,
            ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            us: u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            detail,
        });
    }

    /// Records the stage's outcome from a result, passing the result through.
    fn track<T>(
        &mut self,
        stage: Stage,
        started: Instant,
        r: Result<T, ProbeError>,
    ) -> Result<T, ProbeError> {
        let detail = r.as_ref().err().map(ToString::to_string);
        self.record(stage, started, r.is_ok(), detail);
        r
    }

    fn conn(&mut self) -> &mut Connection {
        self.conn
            .as_mut()
            .expect("connection is open during the dialogue")
    }

    async fn run(&mut self) -> Outcome {
        let t = self.opts.timeout;
        let host = self.endpoint.host.clone();
        let port = self.endpoint.port;

        // Resolve (A and AAAA) and connect (Happy Eyeballs, RFC 8305).
        let resolved = if let Some(a) = self.pinned {
            connect::Resolved {
                addrs: vec![SocketAddr::new(a.ip(), port)],
                ..connect::Resolved::default()
            }
        } else if connect::is_ip_literal(&host) {
            tri!(connect::resolve(self.opts.dns.as_ref(), &host, port, t).await)
        } else {
            let started = Instant::now();
            let r = connect::resolve(self.opts.dns.as_ref(), &host, port, t).await;
            let resolved = tri!(self.track(Stage::Resolve, started, r));
            if let Some(last) = self.stages.last_mut() {
                last.detail = Some(resolved.summary());
            }
            resolved
        };
        self.addresses = resolved.addrs.iter().map(ToString::to_string).collect();
        let started = Instant::now();
        let (tcp, addr) = match connect::connect(&resolved, t).await {
            Ok(c) => {
                self.address = Some(c.addr.to_string());
                self.record(Stage::Connect, started, true, Some(c.detail));
                (c.stream, c.addr)
            }
            Err(f) => {
                self.address = f.addr.map(|a| a.to_string());
                let single = resolved.addrs.len() == 1
                    && resolved.v4_error.is_none()
                    && resolved.v6_error.is_none();
                let detail = if single {
                    f.error.to_string()
                } else {
                    f.detail
                };
                self.record(Stage::Connect, started, false, Some(detail));
                return Outcome::Failed(f.error);
            }
        };

        // Implicit TLS: handshake before anything else (RFC 8314 §3.3).
        let stream = if self.endpoint.tls == TlsMode::Implicit {
            tri!(self.handshake(tcp).await)
        } else {
            Stream::Plain(tcp)
        };
        let transcript = self.transcript.take().unwrap_or_default();
        self.conn = Some(Connection::new(stream, transcript));

        // Greeting (RFC 5321 §4.3.1). A plaintext greeting that is late may
        // mean the port speaks implicit TLS and waits for our ClientHello:
        // race a second connection that asks (see `TLS_RACE_DELAY`).
        let started = Instant::now();
        let greeting = if self.endpoint.tls == TlsMode::Implicit {
            let r = self.conn().read_reply(Stage::Greeting, t).await;
            tri!(self.track(Stage::Greeting, started, r))
        } else {
            match self.greeting_or_tls(addr, t).await {
                Raced::Greeting(r) => tri!(self.track(Stage::Greeting, started, r)),
                Raced::TlsAnswered(how) => {
                    self.implicit_tls_detected = true;
                    let waited = started.elapsed();
                    let detail = format!(
                        "no greeting after {:.1}s; a TLS ClientHello on a second connection was answered ({how})",
                        waited.as_secs_f32()
                    );
                    if let Some(conn) = self.conn.take() {
                        // Closed without QUIT: the server is waiting for TLS
                        // and would not understand it.
                        let mut transcript = conn.into_transcript();
                        transcript.note(&detail);
                        self.transcript = Some(transcript);
                    }
                    self.record(Stage::Greeting, started, false, Some(detail));
                    return Outcome::Failed(ProbeError::Timeout {
                        stage: Stage::Greeting,
                        after: waited,
                        bytes_seen: 0,
                    });
                }
            }
        };
        if !greeting.is_positive() {
            self.fail_last();
            return Outcome::Refused {
                stage: Stage::Greeting,
                reply: greeting,
            };
        }

        // EHLO, with HELO fallback.
        let (mut caps, helo_only) = match self.ehlo().await {
            Ok(c) => c,
            Err(o) => return o,
        };

        match self.endpoint.tls {
            TlsMode::StartTls => {
                if !caps.starttls {
                    self.capabilities = Some(caps);
                    return Outcome::Stopped(Stop::StartTlsNotOffered { helo_only });
                }
                let started = Instant::now();
                let r = self
                    .conn()
                    .command(Stage::StartTls, &Command::StartTls, t)
                    .await;
                let reply = tri!(self.track(Stage::StartTls, started, r));
                if reply.code != 220 {
                    self.fail_last();
                    self.capabilities = Some(caps);
                    return Outcome::Refused {
                        stage: Stage::StartTls,
                        reply,
                    };
                }
                // RFC 3207 §5: anything buffered now was sent before the
                // handshake and could be injected by a man in the middle.
                let conn = self.conn.take().expect("open");
                let (stream, mut transcript) = match conn.into_tls() {
                    Ok(parts) => parts,
                    Err(refused) => {
                        self.transcript = Some(refused.transcript);
                        self.fail_last();
                        return Outcome::Failed(refused.error);
                    }
                };
                let Stream::Plain(tcp) = stream else {
                    unreachable!("STARTTLS only runs on a plain stream")
                };
                transcript.note("TLS handshake (STARTTLS)");
                self.transcript = Some(transcript);
                let stream = tri!(self.handshake(tcp).await);
                let transcript = self.transcript.take().unwrap_or_default();
                self.conn = Some(Connection::new(stream, transcript));
                // RFC 3207 §4.2: forget what EHLO said before TLS; ask again.
                caps = match self.ehlo().await {
                    Ok((c, _)) => c,
                    Err(o) => return o,
                };
            }
            TlsMode::Implicit => {}
            TlsMode::None => {
                if caps.auth.is_none() && caps.starttls {
                    self.capabilities = Some(caps);
                    return Outcome::Stopped(Stop::AuthOnlyAfterStartTls);
                }
            }
        }
        self.capabilities = Some(caps.clone());

        if caps.auth.is_none() {
            return Outcome::Stopped(Stop::AuthNotOffered);
        }
        let Some(credential) = self.opts.credential.clone() else {
            return Outcome::NoCredentials;
        };
        let mechanism = match choose_mechanism(&caps, &credential, self.opts.mechanism) {
            Ok(m) => m,
            Err(stop) => return Outcome::Stopped(stop),
        };
        self.mechanism = Some(mechanism);
        self.cleartext_auth = self.endpoint.tls == TlsMode::None;
        let user = self.opts.user.clone().unwrap_or_default();
        let started = Instant::now();
        let r = self
            .authenticate(mechanism, &user, credential.secret())
            .await;
        match r {
            Ok(reply) if reply.is_positive() => {
                self.record(
                    Stage::Auth,
                    started,
                    true,
                    Some(format!("{mechanism}: {}", reply.one_line())),
                );
                Outcome::Authenticated { mechanism }
            }
            Ok(reply) => {
                self.record(Stage::Auth, started, false, Some(mechanism.to_string()));
                Outcome::Refused {
                    stage: Stage::Auth,
                    reply,
                }
            }
            Err(e) => {
                self.record(Stage::Auth, started, false, Some(e.to_string()));
                Outcome::Failed(e)
            }
        }
    }

    fn fail_last(&mut self) {
        if let Some(last) = self.stages.last_mut() {
            last.ok = false;
        }
    }

    /// TLS handshake, recorded as a stage; keeps the certificate summary.
    async fn handshake(&mut self, tcp: tokio::net::TcpStream) -> Result<Stream, ProbeError> {
        let started = Instant::now();
        let host = bare_host(&self.endpoint.host).to_string();
        let anchors = self.opts.anchors.clone();
        let r = crate::net::with_timeout(Stage::TlsHandshake, self.opts.timeout, async {
            let (r, info) = tls::handshake(tcp, &host, &anchors).await;
            Ok((r, info))
        })
        .await;
        let result = match r {
            Ok((r, info)) => {
                let detail = info.version.clone().map(|v| match &info.cipher {
                    Some(c) => format!("{v} {c}"),
                    None => v,
                });
                self.tls = Some(info);
                r.map(|s| (s, detail))
            }
            Err(e) => Err(e),
        };
        match result {
            Ok((s, detail)) => {
                self.record(Stage::TlsHandshake, started, true, detail.clone());
                if let Some(t) = self.transcript.as_mut() {
                    t.note(&format!("TLS established: {}", detail.unwrap_or_default()));
                }
                Ok(Stream::Tls(Box::new(s)))
            }
            Err(e) => {
                self.record(Stage::TlsHandshake, started, false, Some(e.to_string()));
                Err(e)
            }
        }
    }

    /// Waits for the plaintext greeting for up to `t`; after
    /// [`TLS_RACE_DELAY`] without it, a second connection to the same address
    /// sends a TLS ClientHello while this one keeps waiting. The first
    /// definite answer wins: a greeting here, or a TLS answer there.
    async fn greeting_or_tls(&mut self, addr: SocketAddr, t: Duration) -> Raced {
        let host = bare_host(&self.endpoint.host).to_string();
        let anchors = self.opts.anchors.clone();
        let until = tokio::time::Instant::now() + t;
        let mut race_over = false;
        let raced = {
            let conn = self
                .conn
                .as_mut()
                .expect("connection is open during the dialogue");
            let read = conn.read_reply(Stage::Greeting, t);
            let race = tls_race(addr, host, anchors, until);
            tokio::pin!(read, race);
            loop {
                tokio::select! {
                    r = &mut read => break Raced::Greeting(r),
                    answer = &mut race, if !race_over => {
                        race_over = true;
                        if let Some(how) = answer {
                            break Raced::TlsAnswered(how);
                        }
                    }
                }
            }
        };
        let timed_out = matches!(
            raced,
            Raced::Greeting(Err(ProbeError::Timeout { bytes_seen: 0, .. }))
        );
        self.tls_race_unanswered = race_over && matches!(raced, Raced::Greeting(_));
        if let (true, Some(conn)) = (timed_out, self.conn.as_mut()) {
            conn.transcript.note(if race_over {
                "no greeting; a TLS ClientHello on a second connection was not answered either"
            } else {
                "no greeting"
            });
        }
        raced
    }

    /// EHLO, or HELO when EHLO is refused (RFC 5321 §4.1.4).
    async fn ehlo(&mut self) -> Result<(Capabilities, bool), Outcome> {
        let t = self.opts.timeout;
        let name = self.opts.ehlo_name.clone();
        let started = Instant::now();
        let r = self
            .conn()
            .command(Stage::Ehlo, &Command::Ehlo(name.clone()), t)
            .await;
        let reply = self
            .track(Stage::Ehlo, started, r)
            .map_err(Outcome::Failed)?;
        if reply.is_positive() {
            return Ok((Capabilities::from_ehlo(&reply), false));
        }
        if reply.class() == 5 && reply.code != 554 {
            let started = Instant::now();
            let r = self
                .conn()
                .command(Stage::Ehlo, &Command::Helo(name), t)
                .await;
            let helo = self
                .track(Stage::Ehlo, started, r)
                .map_err(Outcome::Failed)?;
            if helo.is_positive() {
                if let Some(s) = self.stages.last_mut() {
                    s.detail = Some("EHLO refused; HELO accepted (no extensions)".into());
                }
                return Ok((Capabilities::from_helo(), true));
            }
            self.fail_last();
            return Err(Outcome::Refused {
                stage: Stage::Ehlo,
                reply: helo,
            });
        }
        self.fail_last();
        Err(Outcome::Refused {
            stage: Stage::Ehlo,
            reply,
        })
    }

    /// One AUTH exchange. Returns the final reply (positive or not).
    async fn authenticate(
        &mut self,
        mechanism: Mechanism,
        user: &str,
        secret: &Secret,
    ) -> Result<Reply, ProbeError> {
        let t = self.opts.auth_timeout;
        let s = secret.expose();
        let host = bare_host(&self.endpoint.host).to_string();
        let port = self.endpoint.port;
        let conn = self.conn.as_mut().expect("open");
        let auth = |mechanism: &str, ir: Option<String>| Command::Auth {
            mechanism: mechanism.to_string(),
            initial_response: ir,
        };
        match mechanism {
            Mechanism::Plain => {
                let blob = sasl::plain(user, s);
                let reply = conn
                    .command(Stage::Auth, &auth("PLAIN", Some(blob.clone())), t)
                    .await?;
                if reply.code == 334 {
                    // The server ignored the initial response: send it now.
                    return conn
                        .command(Stage::Auth, &Command::AuthResponse(blob), t)
                        .await;
                }
                Ok(reply)
            }
            Mechanism::Login => {
                let reply = conn.command(Stage::Auth, &auth("LOGIN", None), t).await?;
                if reply.code != 334 {
                    return Ok(reply);
                }
                let reply = conn
                    .command(
                        Stage::Auth,
                        &Command::AuthResponse(sasl::b64(user.as_bytes())),
                        t,
                    )
                    .await?;
                if reply.code != 334 {
                    return Ok(reply);
                }
                let reply = conn
                    .command(
                        Stage::Auth,
                        &Command::AuthResponse(sasl::b64(s.as_bytes())),
                        t,
                    )
                    .await?;
                finish_exchange(conn, reply, t).await
            }
            Mechanism::CramMd5 => {
                let reply = conn
                    .command(Stage::Auth, &auth("CRAM-MD5", None), t)
                    .await?;
                if reply.code != 334 {
                    return Ok(reply);
                }
                let Some(challenge) = sasl::decode_challenge(&reply.text()) else {
                    return cancel(conn, "CRAM-MD5 challenge is not base64", t).await;
                };
                let response = sasl::cram_md5(user, s, &challenge);
                conn.transcript.redactor_mut().add(response.clone());
                let reply = conn
                    .command(Stage::Auth, &Command::AuthResponse(response), t)
                    .await?;
                finish_exchange(conn, reply, t).await
            }
            Mechanism::XOAuth2 => {
                let reply = conn
                    .command(
                        Stage::Auth,
                        &auth("XOAUTH2", Some(sasl::xoauth2(user, s))),
                        t,
                    )
                    .await?;
                if reply.code == 334 {
                    // Google/Microsoft: a base64 JSON error; the client must
                    // answer with an empty line to get the final reply.
                    note_oauth_error(conn, &reply);
                    let reply = conn
                        .command(Stage::Auth, &Command::AuthResponse(String::new()), t)
                        .await?;
                    return finish_exchange(conn, reply, t).await;
                }
                Ok(reply)
            }
            Mechanism::OAuthBearer => {
                let blob = sasl::oauthbearer(user, &host, port, s);
                let reply = conn
                    .command(Stage::Auth, &auth("OAUTHBEARER", Some(blob)), t)
                    .await?;
                if reply.code == 334 {
                    // RFC 7628 §3.2.3: acknowledge the error with a single ^A.
                    note_oauth_error(conn, &reply);
                    let ack = Command::AuthResponse(sasl::OAUTHBEARER_ERROR_ACK.to_string());
                    let reply = conn.command(Stage::Auth, &ack, t).await?;
                    return finish_exchange(conn, reply, t).await;
                }
                Ok(reply)
            }
        }
    }
}

/// How long a plaintext greeting may be missing before a second connection
/// asks the port whether it speaks implicit TLS. Most servers greet within
/// milliseconds; Postfix postscreen's greet pause (6 s by default) and
/// tarpits are longer, which is why the first connection keeps waiting and
/// only a TLS answer on the second one ends the wait early.
pub(crate) const TLS_RACE_DELAY: Duration = Duration::from_secs(1);

/// What ended the greeting wait.
enum Raced {
    /// The first connection's greeting (or its error, or its deadline).
    Greeting(Result<Reply, ProbeError>),
    /// The second connection's ClientHello was answered in TLS (how).
    TlsAnswered(String),
}

/// After [`TLS_RACE_DELAY`], connects to `addr` and sends a ClientHello;
/// `Some(how)` when the answer is TLS (a handshake, a certificate, or a TLS
/// alert), `None` for anything else (plaintext, silence, a refusal) before
/// `until`. A plaintext server never answers in TLS, so a server that
/// delays its greeting on purpose is not misread.
async fn tls_race(
    addr: SocketAddr,
    host: String,
    anchors: tls::TrustAnchors,
    until: tokio::time::Instant,
) -> Option<String> {
    tokio::time::sleep(TLS_RACE_DELAY).await;
    let ask = async {
        let tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
        let _ = tcp.set_nodelay(true);
        let (r, info) = tls::handshake(tcp, &host, &anchors).await;
        match r {
            Ok(_) => Some(match info.version {
                Some(v) => format!("{v} handshake"),
                None => "TLS handshake".to_string(),
            }),
            Err(ProbeError::Tls { failure, .. })
                if failure.is_certificate()
                    || matches!(
                        failure,
                        TlsFailure::ProtocolVersion | TlsFailure::AlertReceived(_)
                    ) =>
            {
                Some(format!("TLS, then: {failure}"))
            }
            Err(_) => None,
        }
    };
    crate::net::timeout::before(until, ask).await.flatten()
}

/// A final reply must not be another challenge; if it is, cancel (RFC 4954 §4).
async fn finish_exchange(
    conn: &mut Connection,
    reply: Reply,
    t: Duration,
) -> Result<Reply, ProbeError> {
    if reply.code == 334 {
        return cancel(
            conn,
            "the server sent another challenge after the last response",
            t,
        )
        .await;
    }
    Ok(reply)
}

async fn cancel(conn: &mut Connection, why: &str, t: Duration) -> Result<Reply, ProbeError> {
    let _ = conn
        .command(Stage::Auth, &Command::AuthResponse("*".into()), t)
        .await;
    Err(ProbeError::Malformed {
        stage: Stage::Auth,
        reason: why.to_string(),
        line: String::new(),
    })
}

fn note_oauth_error(conn: &mut Connection, reply: &Reply) {
    if let Some(bytes) = sasl::decode_challenge(&reply.text()) {
        let text = String::from_utf8_lossy(&bytes).to_string();
        conn.transcript
            .note(&format!("OAuth error challenge: {text}"));
    }
}

/// Picks the mechanism for this credential (`--mechanism auto`) or checks the forced one.
pub(crate) fn choose_mechanism(
    caps: &Capabilities,
    credential: &Credential,
    forced: Option<Mechanism>,
) -> Result<Mechanism, Stop> {
    let offered = caps.mechanisms().to_vec();
    if let Some(m) = forced {
        return if caps.offers(m.name()) {
            Ok(m)
        } else {
            Err(Stop::NoCommonMechanism {
                offered,
                wanted: Some(m),
            })
        };
    }
    let preference: &[Mechanism] = if credential.is_token() {
        &Mechanism::TOKEN_PREFERENCE
    } else {
        &Mechanism::PASSWORD_PREFERENCE
    };
    if let Some(m) = preference.iter().find(|m| caps.offers(m.name())) {
        return Ok(*m);
    }
    let oauth_only = !offered.is_empty()
        && offered
            .iter()
            .all(|m| matches!(m.as_str(), "XOAUTH2" | "OAUTHBEARER" | "XOAUTH"));
    if !credential.is_token() && oauth_only {
        return Err(Stop::OnlyOAuth { offered });
    }
    Err(Stop::NoCommonMechanism {
        offered,
        wanted: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::ReplyParser;

    fn caps(auth: &str) -> Capabilities {
        let mut p = ReplyParser::new();
        p.feed("250-host").unwrap();
        Capabilities::from_ehlo(&p.feed(&format!("250 {auth}")).unwrap().unwrap())
    }

    fn password() -> Credential {
        Credential::Password(Secret::new("pw".into()))
    }

    #[test]
    fn prefers_plain_then_login_then_cram() {
        assert_eq!(
            choose_mechanism(&caps("AUTH LOGIN PLAIN CRAM-MD5"), &password(), None),
            Ok(Mechanism::Plain)
        );
        assert_eq!(
            choose_mechanism(&caps("AUTH LOGIN XOAUTH2"), &password(), None),
            Ok(Mechanism::Login)
        );
        assert_eq!(
            choose_mechanism(&caps("AUTH CRAM-MD5"), &password(), None),
            Ok(Mechanism::CramMd5)
        );
    }

    #[test]
    fn oauth_only_server_with_password_stops() {
        assert!(matches!(
            choose_mechanism(&caps("AUTH XOAUTH2"), &password(), None),
            Err(Stop::OnlyOAuth { .. })
        ));
        let token = Credential::Token(Secret::new("t".into()));
        assert_eq!(
            choose_mechanism(&caps("AUTH XOAUTH2"), &token, None),
            Ok(Mechanism::XOAuth2)
        );
    }

    #[test]
    fn ntlm_only_has_no_common_mechanism() {
        assert!(matches!(
            choose_mechanism(&caps("AUTH GSSAPI NTLM"), &password(), None),
            Err(Stop::NoCommonMechanism { wanted: None, .. })
        ));
    }

    #[test]
    fn forced_mechanism_must_be_offered() {
        assert_eq!(
            choose_mechanism(
                &caps("AUTH PLAIN LOGIN"),
                &password(),
                Some(Mechanism::Login)
            ),
            Ok(Mechanism::Login)
        );
        assert!(matches!(
            choose_mechanism(&caps("AUTH PLAIN"), &password(), Some(Mechanism::CramMd5)),
            Err(Stop::NoCommonMechanism {
                wanted: Some(Mechanism::CramMd5),
                ..
            })
        ));
    }
}
