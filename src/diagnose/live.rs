//! Live observations: what a finished probe adds up to, for the classifier.
//!
//! The probe only records (`probe::ProbeReport`); every judgement about what
//! it recorded is made here: which signal a transport error is, whether a
//! refusal no rule explains is an `unexpected-reply`, whether a user name
//! without `@` is the likelier cause at a provider that wants the full
//! address, and when a certificate is close enough to expiry to warn.

use super::{Category, Observation, Signal};
use crate::endpoint::{Endpoint, TlsMode};
use crate::net::{DnsFailure, ProbeError, TlsFailure};
use crate::probe::{Outcome, ProbeReport, Stop};
use crate::providers::Provider;
use crate::smtp::sasl::Mechanism;
use crate::stage::Stage;

/// Warn when the certificate has fewer days left than this.
pub(crate) const CERT_WARN_DAYS: i64 = 14;

/// The observations a finished probe adds up to.
pub(crate) fn observe(report: &ProbeReport) -> Vec<Observation> {
    let mut out = Vec::new();
    let provider = Provider::detect(&report.endpoint.host.to_lowercase());
    match &report.outcome {
        Outcome::Authenticated { .. } => {}
        Outcome::NoCredentials => out.push(Observation::new(Signal::NoCredentials).at(Stage::Auth)),
        Outcome::Refused { stage, reply } => {
            let mut obs = Observation::reply(*stage, reply);
            obs.provider = provider
                .or_else(|| Provider::detect(&obs.text))
                .or_else(|| banner_provider(report));
            obs.mechanism = report.mechanism;
            obs.personal_account = report
                .user
                .iter()
                .chain(report.address.iter())
                .any(|a| crate::providers::personal_account(a));
            if let Some(u) = user_not_fixed_form(report, &obs) {
                out.push(u);
            }
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
            if super::diagnose_one(&obs).is_none() {
                out.push(
                    Observation::new(Signal::UnexpectedReply)
                        .at(*stage)
                        .with_evidence(reply.one_line()),
                );
            }
            out.push(obs);
        }
        Outcome::Failed(e) => out.push(observe_error(e, report)),
        Outcome::Stopped(stop) => out.push(observe_stop(stop, &report.endpoint)),
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
        .filter(|p| crate::providers::wants_full_address(*p))?;
    let refused_as_credentials =
        super::diagnose_one(refusal).is_some_and(|d| d.category == Category::WrongCredentials);
    refused_as_credentials.then(|| {
        Observation::new(Signal::UserNameNotAddress)
            .at(Stage::Auth)
            .with_detail(format!(
                "user name {user:?} has no @ ({provider} expects the full address)"
            ))
    })
}

/// The provider the server's greeting names (`220 … ESMTP SendGrid`), from
/// the transcript's first server line.
fn banner_provider(report: &ProbeReport) -> Option<Provider> {
    let greeting = report.transcript.iter().find(|l| l.starts_with("S: 220"))?;
    Provider::detect(&greeting.to_lowercase())
}

/// A refused password login at a provider whose SMTP user name is fixed
/// (SendGrid: `apikey`), with another user name: the user name is the cause.
fn user_not_fixed_form(report: &ProbeReport, refusal: &Observation) -> Option<Observation> {
    let user = report.user.as_deref()?;
    if refusal.stage != Some(Stage::Auth)
        || refusal.code.is_some_and(|c| c / 100 != 5)
        || report.mechanism.is_some_and(Mechanism::uses_token)
    {
        return None;
    }
    let provider = refusal.provider?;
    let want = crate::providers::fixed_user_name(provider)?;
    (user != want).then(|| {
        Observation::new(Signal::UserNameNotFixedForm)
            .at(Stage::Auth)
            .with_detail(format!(
                "user name {user:?}; {provider} wants the literal user name {want:?}"
            ))
    })
}

/// A submission port: 465 or 587 (RFC 8314, RFC 6409), or any port spoken to
/// with implicit TLS (no MX speaks it). Port 25 and other STARTTLS ports may
/// be an MX or a relay.
fn submission_port(endpoint: &Endpoint) -> bool {
    matches!(endpoint.port, 465 | 587) || endpoint.tls == TlsMode::Implicit
}

fn observe_stop(stop: &Stop, endpoint: &Endpoint) -> Observation {
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
        Stop::AuthNotOffered if submission_port(endpoint) => {
            Observation::new(Signal::AuthNotOfferedOnSubmissionPort)
                .at(Stage::Ehlo)
                .with_detail(format!(
                    "the EHLO reply on port {} ({}) has no AUTH line",
                    endpoint.port,
                    endpoint.tls.as_str()
                ))
        }
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
                "port {} speaks implicit TLS: it answered a TLS ClientHello while the plaintext greeting was missing",
                report.endpoint.port
            ));
            // The wait ended early on purpose: "timed out after 1s" would
            // misstate it; the greeting stage says what happened.
            if let Some(d) = report
                .stages
                .iter()
                .rev()
                .find(|s| s.stage == Stage::Greeting)
                .and_then(|s| s.detail.clone())
            {
                obs.evidence = Some(d);
            }
        }
        (Signal::GreetingTimeout, _) if report.tls_race_unanswered => {
            obs.detail = Some(format!(
                "a TLS ClientHello on a second connection got no TLS answer either: port {} is not an implicit-TLS port",
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
