//! Why a probe stopped early: `ProbeError`, always tagged with its stage.
//!
//! A server *reply* is never a `ProbeError`; only transport failures, broken
//! syntax and deadlines are. TLS failures are translated once, in `net::tls`,
//! into `TlsFailure`, so nothing else needs to know rustls's error types.

use crate::stage::Stage;
use std::time::Duration;

/// A TLS failure, in the terms the classifier needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TlsFailure {
    /// The certificate's validity ended.
    CertificateExpired,
    /// The certificate is not valid yet.
    CertificateNotYetValid,
    /// The certificate is not valid for the host name we connected to.
    NameMismatch,
    /// The certificate is self-signed and not trusted.
    SelfSigned,
    /// The issuer is not a trusted CA.
    UnknownIssuer,
    /// Revoked, bad signature, unsupported or otherwise unacceptable certificate.
    CertificateOther(String),
    /// The peer answered the ClientHello with something that is not TLS, e.g.
    /// a plaintext `220` greeting (implicit TLS spoken to a STARTTLS port).
    NotTls,
    /// No common protocol version (e.g. the server offers only TLS 1.0/1.1).
    ProtocolVersion,
    /// The peer sent a TLS alert.
    AlertReceived(String),
    /// The connection closed during the handshake.
    ClosedDuringHandshake,
    /// Anything else rustls reports.
    Other(String),
}

impl TlsFailure {
    pub(crate) fn is_certificate(&self) -> bool {
        matches!(
            self,
            TlsFailure::CertificateExpired
                | TlsFailure::CertificateNotYetValid
                | TlsFailure::NameMismatch
                | TlsFailure::SelfSigned
                | TlsFailure::UnknownIssuer
                | TlsFailure::CertificateOther(_)
        )
    }
}

impl std::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsFailure::CertificateExpired => f.write_str("certificate has expired"),
            TlsFailure::CertificateNotYetValid => f.write_str("certificate is not valid yet"),
            TlsFailure::NameMismatch => f.write_str("certificate is not valid for this host name"),
            TlsFailure::SelfSigned => f.write_str("certificate is self-signed"),
            TlsFailure::UnknownIssuer => f.write_str("certificate issuer is not trusted"),
            TlsFailure::CertificateOther(s) => write!(f, "certificate rejected: {s}"),
            TlsFailure::NotTls => f.write_str(
                "the server did not answer in TLS (plaintext reply to the TLS ClientHello)",
            ),
            TlsFailure::ProtocolVersion => f.write_str("no TLS protocol version in common"),
            TlsFailure::AlertReceived(a) => write!(f, "server sent TLS alert {a}"),
            TlsFailure::ClosedDuringHandshake => {
                f.write_str("connection closed during the TLS handshake")
            }
            TlsFailure::Other(s) => f.write_str(s),
        }
    }
}

/// A DNS failure, in the terms the classifier needs. Translated once, in
/// `net::dns`, from the resolver's error types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DnsFailure {
    /// NXDOMAIN: the name does not exist (RFC 1035 §4.1.1 RCODE 3).
    NxDomain,
    /// The name exists but has no record of the type asked for (NODATA, RFC 2308 §2.2).
    NoRecords,
    /// The DNS server answered SERVFAIL (or REFUSED, or another error RCODE).
    ServFail,
    /// No answer from the DNS server before the deadline.
    Timeout,
    /// Anything else (no DNS configuration, a socket error…).
    Other,
}

impl DnsFailure {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DnsFailure::NxDomain => "NXDOMAIN",
            DnsFailure::NoRecords => "no records",
            DnsFailure::ServFail => "SERVFAIL",
            DnsFailure::Timeout => "timeout",
            DnsFailure::Other => "error",
        }
    }
}

/// Why a probe stopped before it was done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ProbeError {
    /// The host name did not resolve.
    #[error("could not resolve {host}: {reason}")]
    Resolve {
        host: String,
        reason: String,
        failure: DnsFailure,
    },
    /// The TCP connection was refused.
    #[error("connection refused by {addr}")]
    ConnectRefused { addr: String },
    /// Some other connect error (unreachable network, reset…).
    #[error("could not connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
    /// No complete result before the stage's deadline.
    #[error("timed out after {}s during {stage}", after.as_secs_f32())]
    Timeout {
        stage: Stage,
        after: Duration,
        bytes_seen: usize,
    },
    /// The server closed the connection.
    #[error("connection closed by the server during {stage}")]
    ConnectionClosed {
        stage: Stage,
        partial: Option<String>,
    },
    /// A socket error mid-dialogue.
    #[error("network error during {stage}: {reason}")]
    Io { stage: Stage, reason: String },
    /// TLS handshake or certificate verification failed.
    #[error("TLS handshake failed: {failure}")]
    Tls { failure: TlsFailure, detail: String },
    /// Data arrived after the STARTTLS `220`, before the handshake (RFC 3207 §5).
    #[error("server sent data after its STARTTLS reply, before the TLS handshake")]
    StartTlsInjection { injected: String },
    /// A reply line broke RFC 5321 syntax.
    #[error("malformed reply during {stage}: {reason}")]
    Malformed {
        stage: Stage,
        reason: String,
        line: String,
    },
    /// A reply line longer than the cap.
    #[error("reply line longer than {limit} bytes during {stage}")]
    LineTooLong { stage: Stage, limit: usize },
}

impl ProbeError {
    /// The stage this error belongs to.
    pub(crate) fn stage(&self) -> Stage {
        match self {
            ProbeError::Resolve { .. } => Stage::Resolve,
            ProbeError::ConnectRefused { .. } | ProbeError::Connect { .. } => Stage::Connect,
            ProbeError::Tls { .. } => Stage::TlsHandshake,
            ProbeError::StartTlsInjection { .. } => Stage::StartTls,
            ProbeError::Timeout { stage, .. }
            | ProbeError::ConnectionClosed { stage, .. }
            | ProbeError::Io { stage, .. }
            | ProbeError::Malformed { stage, .. }
            | ProbeError::LineTooLong { stage, .. } => *stage,
        }
    }
}
