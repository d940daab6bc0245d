//! The classifier: observations in, diagnoses out. Pure and synchronous.
//!
//! Both `check` (live probes, via `probe::observe`) and `explain` (pasted
//! text, via `explain::observe`) reduce what they saw to `Observation`s and
//! run them through the one catalogue in `rules.rs`: first matching rule wins
//! for each observation; diagnoses are then ordered errors first, by how
//! directly their evidence points at the root cause (`tier`), then by rule
//! order (specific before generic).

mod category;
mod live;
mod rule;
pub mod rules;
#[cfg(test)]
mod tests;

pub use category::Category;
pub use live::observe;
pub use rule::{Code, Rule, Severity, When};

use crate::providers::Provider;
use crate::smtp::sasl::Mechanism;
use crate::smtp::{EnhancedStatus, Reply};
use crate::stage::Stage;

/// What kind of thing was observed. `Reply` is a server reply; the others are
/// conditions found by the probe (or recognised in pasted text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// A server reply (code, enhanced status and text are set).
    Reply,
    /// Authentication succeeded.
    Success,
    /// The name does not exist (NXDOMAIN).
    DnsNotFound,
    /// Resolution failed otherwise (no configuration, a socket error…).
    DnsFailure,
    /// The name exists but has no address (NODATA for A and AAAA).
    DnsNoRecords,
    /// The DNS server answered SERVFAIL (or REFUSED…).
    DnsServFail,
    /// The DNS server did not answer in time.
    DnsTimeout,
    /// Discovery: an SRV target outside the address's domain (RFC 6186 §6), warning.
    SrvTargetOutsideDomain,
    /// `--host` looks like an MX (inbound) host, not a submission server (warning).
    HostLooksLikeMx,
    /// `--host` belongs to a provider whose table entry says otherwise (warning).
    HostDiffersFromProviderTable,
    /// TCP connection refused.
    ConnectRefused,
    /// TCP connection did not complete in time.
    ConnectTimeout,
    /// Other connect error (network unreachable…).
    ConnectFailed,
    /// No greeting, and the port turned out to speak TLS at once (or is 465):
    /// a STARTTLS/plain client on an implicit-TLS port.
    ImplicitTlsPort,
    /// No byte of greeting before the deadline.
    GreetingTimeout,
    /// A stage's deadline passed while bytes were still trickling in.
    SlowServer,
    /// A stage other than the greeting timed out.
    StageTimeout,
    /// The server closed the connection mid-dialogue.
    ConnectionClosed,
    /// A socket error mid-dialogue.
    NetworkError,
    /// The answer to our TLS ClientHello was not TLS (plaintext on a STARTTLS port).
    TlsNotTls,
    TlsCertExpired,
    TlsCertNotYetValid,
    TlsCertNameMismatch,
    TlsCertSelfSigned,
    TlsCertUntrusted,
    TlsCertOther,
    /// No TLS version in common (server offers only TLS 1.0/1.1, or only 1.3…).
    TlsProtocolVersion,
    /// The server aborted the handshake with an alert.
    TlsAlert,
    /// Any other handshake failure.
    TlsHandshake,
    /// Bytes after the STARTTLS `220`, before the handshake (RFC 3207 §5).
    StartTlsInjection,
    /// A reply line broke RFC 5321 syntax (or was too long, or too many lines).
    MalformedReply,
    /// TLS was required but the server did not offer STARTTLS.
    StartTlsNotOffered,
    /// No AUTH before TLS, STARTTLS offered, and the client did not use TLS.
    AuthOnlyAfterStartTls,
    /// The EHLO reply has no AUTH keyword at all.
    AuthNotOffered,
    /// No AUTH in EHLO on a submission port (465, 587, or any port spoken to
    /// with implicit TLS): the server offers AUTH elsewhere (another port,
    /// only after STARTTLS) or not to this client, unlike an MX on port 25.
    AuthNotOfferedOnSubmissionPort,
    /// Only OAuth mechanisms are offered and the client has a password.
    OnlyOAuthOffered,
    /// No offered mechanism is one the client can use.
    NoCommonMechanism,
    /// The server's certificate expires soon (warning).
    CertExpiresSoon,
    /// The password crossed the network unencrypted (warning).
    CleartextAuth,
    /// No secret was given, so AUTH was not attempted (info).
    NoCredentials,
    /// The user name was refused by the client library before it reached the
    /// server (e.g. nodemailer "Missing credentials for PLAIN").
    MissingCredentials,
    /// The OAuth token was refused in a way that names the token itself, or
    /// an XOAUTH2/OAUTHBEARER exchange failed (pasted text).
    OAuthTokenRejected,
    /// A live login was refused by a provider that wants the full e-mail
    /// address as user name, and the user name given has no `@`.
    UserNameNotAddress,
    /// A live session ended on a reply no rule explains (e.g. `221` to
    /// `STARTTLS`, a `2xx` that is not the expected one): the server broke
    /// the dialogue.
    UnexpectedReply,
    /// A server's own log records a failed login (Postfix smtpd:
    /// `SASL LOGIN authentication failed`); pasted text only.
    ServerLogAuthFailed,
}

/// Where an observation came from; `classify` uses it to rank diagnoses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Source {
    /// Seen by a live probe (the default).
    #[default]
    Probe,
    /// A server reply found in pasted text.
    Reply,
    /// The pasted text as a whole, or a library/system phrase in it.
    Text,
}

/// One thing that was seen, reduced to what rules can match on.
#[derive(Debug, Clone)]
pub struct Observation {
    pub signal: Signal,
    pub source: Source,
    pub stage: Option<Stage>,
    pub code: Option<u16>,
    pub enhanced: Option<EnhancedStatus>,
    /// Lower-cased text the rules' phrases are searched in.
    pub text: String,
    /// What to show as `evidence` (already scrubbed of secrets).
    pub evidence: Option<String>,
    /// Extra words for the summary (names on a certificate, mechanisms offered…).
    pub detail: Option<String>,
    pub provider: Option<Provider>,
    pub mechanism: Option<Mechanism>,
}

impl Observation {
    pub fn new(signal: Signal) -> Observation {
        Observation {
            signal,
            source: Source::Probe,
            stage: None,
            code: None,
            enhanced: None,
            text: String::new(),
            evidence: None,
            detail: None,
            provider: None,
            mechanism: None,
        }
    }

    /// An observation of a server reply at `stage`.
    pub fn reply(stage: Stage, reply: &Reply) -> Observation {
        let evidence = reply.one_line();
        let text = evidence.to_lowercase();
        Observation {
            stage: Some(stage),
            code: Some(reply.code),
            enhanced: reply.enhanced,
            provider: Provider::detect(&text),
            text,
            evidence: Some(evidence),
            ..Observation::new(Signal::Reply)
        }
    }

    pub fn at(mut self, stage: Stage) -> Observation {
        self.stage = Some(stage);
        self
    }

    pub fn with_evidence(mut self, evidence: impl Into<String>) -> Observation {
        let e = evidence.into();
        if self.text.is_empty() {
            self.text = e.to_lowercase();
        }
        self.evidence = Some(e);
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Observation {
        self.detail = Some(detail.into());
        self
    }

    pub fn from_source(mut self, source: Source) -> Observation {
        self.source = source;
        self
    }
}

/// A finding, ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    pub id: &'static str,
    pub category: Category,
    pub severity: Severity,
    pub stage: Option<Stage>,
    pub summary: String,
    pub detail: Option<String>,
    pub remediation: String,
    pub reference: Option<&'static str>,
    pub evidence: Option<String>,
    /// Position of the rule in the catalogue (lower = more specific).
    pub rank: usize,
}

/// The first rule matching `obs`, with its index.
///
/// Conditions that look at nothing but a reply code (RFC 5321 fallbacks,
/// whether a rule's own or an alternative, `When::or`) are tried only after
/// every other condition of the catalogue, so a phrase or status rule further
/// down still beats a bare code. Otherwise table order decides.
pub fn find_rule(obs: &Observation) -> Option<(usize, &'static Rule)> {
    [false, true].into_iter().find_map(|fallback| {
        rules::RULES.iter().enumerate().find(|(_, r)| {
            r.when
                .branches()
                .any(|w| w.is_code_fallback() == fallback && w.matches_own(obs))
        })
    })
}

/// Diagnoses for one observation (none when no rule matches, e.g. a `250`).
pub fn diagnose_one(obs: &Observation) -> Option<Diagnosis> {
    let (rank, rule) = find_rule(obs)?;
    Some(Diagnosis {
        id: rule.id,
        category: rule.category,
        severity: rule.severity,
        stage: obs.stage,
        summary: rule.summary.to_string(),
        detail: obs.detail.clone(),
        remediation: rule.remediation.to_string(),
        reference: rule.reference,
        evidence: obs.evidence.clone(),
        rank,
    })
}

/// How strongly a diagnosis points at the root cause; lower is stronger.
///
/// Pasted text often shows a problem and its consequences (a TLS failure,
/// then "connection closed"; a refused login, then a refused `MAIL`), and
/// library messages quote advice that mentions other problems. So:
///   0. everything a live probe saw, and the conditions a client library
///      names precisely: DNS, connect and TLS failures, missing credentials,
///      a failed login in the server's own log;
///   1. a server reply matched by a specific rule (provider, phrase, RFC 3463
///      status), and a failed OAuth exchange — in rule order, so a provider's
///      policy refusal comes before the token, the token before generic
///      credential wording;
///   2. what a client library says about the server's capabilities (no
///      STARTTLS, no AUTH, no usable mechanism): the server's own reply, when
///      there is one, explains it better;
///   3. a specific phrase found somewhere in the whole text;
///   4. a server reply matched only by its reply code (RFC 5321 fallbacks);
///   5. a dropped connection, socket error or stalled stage (almost always
///      the consequence of something else).
pub fn tier(obs: &Observation, rule: &Rule) -> u8 {
    if obs.source == Source::Probe {
        return 0;
    }
    match obs.signal {
        Signal::Reply => {
            if rule.when.branch(obs).is_some_and(When::is_code_fallback) {
                4
            } else if obs.source == Source::Reply {
                1
            } else {
                3
            }
        }
        Signal::OAuthTokenRejected => 1,
        Signal::StartTlsNotOffered
        | Signal::AuthOnlyAfterStartTls
        | Signal::AuthNotOffered
        | Signal::AuthNotOfferedOnSubmissionPort
        | Signal::OnlyOAuthOffered
        | Signal::NoCommonMechanism => 2,
        Signal::ConnectionClosed
        | Signal::NetworkError
        | Signal::SlowServer
        | Signal::StageTimeout => 5,
        _ => 0,
    }
}

/// All diagnoses for a set of observations, primary first.
///
/// Order: errors before warnings before info; among errors, the strongest
/// evidence first (see [`tier`]), then the most specific rule (lowest index),
/// so a provider's own explanation beats a generic reading of the same
/// problem. Duplicate ids are kept once, at their best position.
pub fn classify(observations: &[Observation]) -> Vec<Diagnosis> {
    let mut out: Vec<((Severity, u8, usize), Diagnosis)> = Vec::new();
    for obs in observations {
        let Some(d) = diagnose_one(obs) else { continue };
        let key = (d.severity, tier(obs, &rules::RULES[d.rank]), d.rank);
        match out.iter_mut().find(|(_, x)| x.id == d.id) {
            Some(slot) if key < slot.0 => *slot = (key, d),
            Some(_) => {}
            None => out.push((key, d)),
        }
    }
    out.sort_by_key(|(k, _)| *k);
    out.into_iter().map(|(_, d)| d).collect()
}

/// The category a list of diagnoses adds up to (docs/json-output.md: `diagnoses[0]`, or `ok`).
pub fn primary_category(diagnoses: &[Diagnosis]) -> Category {
    diagnoses
        .first()
        .filter(|d| d.severity == Severity::Error)
        .map_or(Category::Ok, |d| d.category)
}
