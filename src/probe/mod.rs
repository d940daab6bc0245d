//! Orchestration: run one session against one endpoint and record what happened.
//!
//! `probe()` never judges; it returns a `ProbeReport` (stages, capabilities,
//! certificate, transcript, how it ended). `observe()` turns that report into
//! the `Observation`s the classifier reads.

mod connect;
mod session;

pub use connect::is_ip_literal;
pub use session::probe;

use crate::diagnose::{Observation, Signal};
use crate::net::tls::{TlsInfo, TrustAnchors};
use crate::net::{DnsFailure, ProbeError, TlsFailure};
use crate::providers::Provider;
use crate::secret::Credential;
use crate::smtp::sasl::Mechanism;
use crate::smtp::{Capabilities, Reply};
use crate::stage::Stage;
use std::time::Duration;

/// How TLS is used on the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plaintext greeting, then `STARTTLS` (required).
    StartTls,
    /// TLS from the first byte (RFC 8314).
    Implicit,
    /// No TLS at all (only on purpose).
    None,
}

impl TlsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::StartTls => "starttls",
            TlsMode::Implicit => "implicit",
            TlsMode::None => "none",
        }
    }
}

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
}

/// What to do there.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    pub user: Option<String>,
    pub credential: Option<Credential>,
    /// `None` = choose from the server's list (`--mechanism auto`).
    pub mechanism: Option<Mechanism>,
    pub anchors: TrustAnchors,
    /// Deadline of each stage.
    pub timeout: Duration,
    /// Deadline of the AUTH stage (servers delay failures on purpose).
    pub auth_timeout: Duration,
    /// The name sent with EHLO.
    pub ehlo_name: String,
    /// How host names are resolved (`--dns-server`, else the system's).
    pub dns: std::sync::Arc<dyn crate::discovery::dns::Dns>,
}

/// One stage's result for the report.
#[derive(Debug, Clone)]
pub struct StageRecord {
    pub stage: Stage,
    pub ok: bool,
    pub ms: u64,
    /// The same duration in microseconds (for batch statistics; JSON shows `ms`).
    pub us: u64,
    pub detail: Option<String>,
}

/// How the session ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// AUTH succeeded with this mechanism.
    Authenticated { mechanism: Mechanism },
    /// Everything up to AUTH worked; no secret was given.
    NoCredentials,
    /// A reply ended the session at `stage`.
    Refused { stage: Stage, reply: Reply },
    /// The transport broke or a deadline passed.
    Failed(ProbeError),
    /// smtp-doctor stopped on purpose (nothing was sent that should not be).
    Stopped(Stop),
}

/// Why smtp-doctor stopped without trying further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// `--tls starttls`, but no STARTTLS in EHLO (or only HELO worked).
    StartTlsNotOffered { helo_only: bool },
    /// `--tls none`, STARTTLS offered, AUTH only after it.
    AuthOnlyAfterStartTls,
    /// No AUTH keyword in EHLO.
    AuthNotOffered,
    /// Only OAuth mechanisms, and the secret is a password.
    OnlyOAuth { offered: Vec<String> },
    /// Nothing usable for this secret.
    NoCommonMechanism {
        offered: Vec<String>,
        wanted: Option<Mechanism>,
    },
}

/// Everything a probe saw.
#[derive(Debug, Clone)]
pub struct ProbeReport {
    pub endpoint: Endpoint,
    /// The address that was used (or the last one tried).
    pub address: Option<String>,
    pub stages: Vec<StageRecord>,
    /// Capabilities from the last EHLO (after TLS when TLS was used).
    pub capabilities: Option<Capabilities>,
    pub tls: Option<TlsInfo>,
    pub transcript: Vec<String>,
    pub outcome: Outcome,
    /// The mechanism AUTH was attempted with, if any.
    pub mechanism: Option<Mechanism>,
    /// AUTH happened without TLS.
    pub cleartext_auth: bool,
    /// After a silent greeting, the port answered a TLS ClientHello.
    pub implicit_tls_detected: bool,
    /// The user name AUTH was attempted with (not secret).
    pub user: Option<String>,
    /// Where the endpoint came from (set by `check`, not by the probe).
    pub source: Option<crate::discovery::Source>,
    /// The discovery detail behind `source` (SRV name, MX host, table entry).
    pub source_detail: Option<String>,
    /// This endpoint's own verdict (set by `check` after classifying).
    pub category: Option<crate::diagnose::Category>,
}

/// Warn when the certificate has fewer days left than this.
pub const CERT_WARN_DAYS: i64 = 14;

/// The observations a finished probe adds up to.
pub fn observe(report: &ProbeReport) -> Vec<Observation> {
    let mut out = Vec::new();
    let provider = Provider::detect(&report.endpoint.host.to_lowercase());
    match &report.outcome {
        Outcome::Authenticated { .. } => {}
        Outcome::NoCredentials => out.push(Observation::new(Signal::NoCredentials).at(Stage::Auth)),
        Outcome::Refused { stage, reply } => {
            let mut obs = Observation::reply(*stage, reply);
            obs.provider = provider.or_else(|| Provider::detect(&obs.text));
            obs.mechanism = report.mechanism;
            if let Some(u) = user_not_address(report, &obs) {
                out.push(u);
            }
            // A definitive refusal of an OAuth mechanism refuses the token,
            // whatever generic words the server uses (Gmail's XOAUTH2 `535
            // 5.7.8 Username and Password not accepted`).
            if *stage == Stage::Auth
                && reply.code / 100 == 5
                && report.mechanism.is_some_and(Mechanism::uses_token)
            {
                out.push(
                    Observation::new(Signal::OAuthTokenRejected)
                        .at(Stage::Auth)
                        .with_evidence(reply.one_line()),
                );
            }
            // A reply that ended the session but that no rule explains (a
            // positive or intermediate code where another was due) must not
            // leave the verdict at `ok`.
            if crate::diagnose::diagnose_one(&obs).is_none() {
                out.push(
                    Observation::new(Signal::UnexpectedReply)
                        .at(*stage)
                        .with_evidence(reply.one_line()),
                );
            }
            out.push(obs);
        }
        Outcome::Failed(e) => out.push(observe_error(e, report)),
        Outcome::Stopped(stop) => out.push(observe_stop(stop)),
    }
    if report.cleartext_auth {
        out.push(Observation::new(Signal::CleartextAuth).at(Stage::Auth));
    }
    if let Some(cert) = report.tls.as_ref().and_then(|t| t.certificate.as_ref()) {
        if (0..CERT_WARN_DAYS).contains(&cert.days_left)
            && report
                .stages
                .iter()
                .any(|s| s.stage == Stage::TlsHandshake && s.ok)
        {
            out.push(
                Observation::new(Signal::CertExpiresSoon)
                    .at(Stage::TlsHandshake)
                    .with_detail(format!(
                        "expires {} ({} days left)",
                        cert.not_after, cert.days_left
                    )),
            );
        }
    }
    out
}

/// Providers whose submission servers want the full address as user name
/// (their help pages: Google, Microsoft, Yahoo, Zoho, Fastmail, GMX). iCloud
/// accepts the local part, and SendGrid's user name is the literal `apikey`,
/// so they are not listed.
const FULL_ADDRESS_PROVIDERS: [Provider; 6] = [
    Provider::Google,
    Provider::Microsoft,
    Provider::Yahoo,
    Provider::Zoho,
    Provider::Fastmail,
    Provider::Gmx,
];

/// A refused password login whose user name lacks `@` at a provider that
/// wants the full address: the user name is the likelier cause.
fn user_not_address(report: &ProbeReport, refusal: &Observation) -> Option<Observation> {
    let user = report.user.as_deref()?;
    if user.contains('@')
        || refusal.stage != Some(Stage::Auth)
        || report.mechanism.is_some_and(Mechanism::uses_token)
    {
        return None;
    }
    let provider = refusal
        .provider
        .filter(|p| FULL_ADDRESS_PROVIDERS.contains(p))?;
    let refused_as_credentials = crate::diagnose::diagnose_one(refusal)
        .is_some_and(|d| d.category == crate::diagnose::Category::WrongCredentials);
    refused_as_credentials.then(|| {
        Observation::new(Signal::UserNameNotAddress)
            .at(Stage::Auth)
            .with_detail(format!(
                "user name {user:?} has no @ ({provider} expects the full address)"
            ))
    })
}

fn observe_stop(stop: &Stop) -> Observation {
    match stop {
        Stop::StartTlsNotOffered { helo_only } => {
            let obs = Observation::new(Signal::StartTlsNotOffered).at(Stage::StartTls);
            if *helo_only {
                obs.with_detail(
                    "the server refused EHLO and answered only HELO, which has no STARTTLS",
                )
            } else {
                obs.with_detail("STARTTLS is missing from the EHLO reply")
            }
        }
        Stop::AuthOnlyAfterStartTls => Observation::new(Signal::AuthOnlyAfterStartTls)
            .at(Stage::Ehlo)
            .with_detail("EHLO lists STARTTLS but no AUTH"),
        Stop::AuthNotOffered => Observation::new(Signal::AuthNotOffered)
            .at(Stage::Ehlo)
            .with_detail("the EHLO reply has no AUTH line"),
        Stop::OnlyOAuth { offered } => Observation::new(Signal::OnlyOAuthOffered)
            .at(Stage::Auth)
            .with_detail(format!("offered: AUTH {}", offered.join(" "))),
        Stop::NoCommonMechanism { offered, wanted } => {
            let detail = match wanted {
                Some(m) => format!(
                    "--mechanism {m} is not offered; offered: AUTH {}",
                    offered.join(" ")
                ),
                None => format!("offered: AUTH {}", offered.join(" ")),
            };
            Observation::new(Signal::NoCommonMechanism)
                .at(Stage::Auth)
                .with_detail(detail)
        }
    }
}

fn observe_error(e: &ProbeError, report: &ProbeReport) -> Observation {
    let evidence = e.to_string();
    let signal = match e {
        ProbeError::Resolve { failure, .. } => match failure {
            DnsFailure::NxDomain => Signal::DnsNotFound,
            DnsFailure::NoRecords => Signal::DnsNoRecords,
            DnsFailure::ServFail => Signal::DnsServFail,
            DnsFailure::Timeout => Signal::DnsTimeout,
            DnsFailure::Other => Signal::DnsFailure,
        },
        ProbeError::ConnectRefused { .. } => Signal::ConnectRefused,
        ProbeError::Connect { .. } => Signal::ConnectFailed,
        ProbeError::Timeout {
            stage: Stage::Connect,
            ..
        } => Signal::ConnectTimeout,
        ProbeError::Timeout {
            stage: Stage::Greeting,
            bytes_seen: 0,
            ..
        } => {
            if report.implicit_tls_detected {
                Signal::ImplicitTlsPort
            } else {
                Signal::GreetingTimeout
            }
        }
        ProbeError::Timeout { bytes_seen, .. } if *bytes_seen > 0 => Signal::SlowServer,
        ProbeError::Timeout {
            stage: Stage::TlsHandshake,
            ..
        } => Signal::TlsHandshake,
        ProbeError::Timeout { .. } => Signal::StageTimeout,
        ProbeError::ConnectionClosed { .. } => Signal::ConnectionClosed,
        ProbeError::Io { .. } => Signal::NetworkError,
        ProbeError::Tls { failure, .. } => match failure {
            TlsFailure::CertificateExpired => Signal::TlsCertExpired,
            TlsFailure::CertificateNotYetValid => Signal::TlsCertNotYetValid,
            TlsFailure::NameMismatch => Signal::TlsCertNameMismatch,
            TlsFailure::SelfSigned => Signal::TlsCertSelfSigned,
            TlsFailure::UnknownIssuer => Signal::TlsCertUntrusted,
            TlsFailure::CertificateOther(_) => Signal::TlsCertOther,
            TlsFailure::NotTls => Signal::TlsNotTls,
            TlsFailure::ProtocolVersion => Signal::TlsProtocolVersion,
            TlsFailure::AlertReceived(_) => Signal::TlsAlert,
            TlsFailure::ClosedDuringHandshake | TlsFailure::Other(_) => Signal::TlsHandshake,
        },
        ProbeError::StartTlsInjection { .. } => Signal::StartTlsInjection,
        ProbeError::Malformed { .. } | ProbeError::LineTooLong { .. } => Signal::MalformedReply,
    };
    let mut obs = Observation::new(signal)
        .at(e.stage())
        .with_evidence(evidence);
    let cert = report.tls.as_ref().and_then(|t| t.certificate.as_ref());
    match (signal, cert) {
        (Signal::TlsCertNameMismatch, Some(c)) => {
            obs.detail = Some(format!(
                "connected to {:?}; the certificate is for: {}",
                report.endpoint.host,
                if c.names.is_empty() {
                    c.subject.clone()
                } else {
                    c.names.join(", ")
                }
            ));
        }
        (Signal::TlsCertExpired, Some(c)) => {
            obs.detail = Some(format!(
                "expired {} ({} days ago)",
                c.not_after, -c.days_left
            ));
        }
        (Signal::TlsCertSelfSigned | Signal::TlsCertUntrusted, Some(c)) => {
            obs.detail = Some(format!("subject {}; issuer {}", c.subject, c.issuer));
        }
        (Signal::ImplicitTlsPort, _) => {
            obs.detail = Some(format!(
                "no greeting on port {}; a TLS handshake on the same connection was answered",
                report.endpoint.port
            ));
        }
        (Signal::SlowServer, _) => {
            if let ProbeError::Timeout {
                bytes_seen, after, ..
            } = e
            {
                obs.detail = Some(format!(
                    "{bytes_seen} bytes arrived in {}s, but no complete reply",
                    after.as_secs_f32()
                ));
            }
        }
        _ => {}
    }
    obs
}
