//! Library and system error phrases, mapped to the probe's `Signal`s.
//!
//! These are the words OpenSSL, Node.js, Python, Java, .NET, Go, curl, swaks
//! and msmtp use for conditions the live probe detects itself (a refused
//! connection, a plaintext answer to a ClientHello, an expired certificate).
//! Phrases are lower-case; the first group with a phrase present adds its
//! signal once.

use crate::diagnose::Signal;

/// (signal, phrases). Order within the table does not matter for ranking —
/// the catalogue's rule order does — but each signal is reported once.
const TABLE: &[(Signal, &[&str])] = &[
    (
        Signal::TlsNotTls,
        &[
            "wrong version number",
            "wrong_version_number",
            "packet length too long",
            "packet_length_too_long",
            "unknown protocol",
            "unsupported record version",
            "unrecognized ssl message",
            "plaintext connection?",
            "first record does not look like a tls handshake",
            "ssl3_get_record",
            "record layer failure",
            "tls_get_more_records",
            "invalid tls record",
            "http_request",
            "received corrupt message",
            "bad record mac",
            "ssl_r_wrong_version",
            "tls record header",
            "not an ssl/tls record",
            "err_ssl_wrong_version_number",
            "invalidcontenttype",
        ],
    ),
    (
        Signal::TlsCertExpired,
        &[
            "certificate has expired",
            "cert_has_expired",
            "certificate expired",
            "certificate_expired",
            "certificate is expired",
            "expired certificate",
            "notafter",
        ],
    ),
    (
        Signal::TlsCertNotYetValid,
        &[
            "certificate is not yet valid",
            "cert_not_yet_valid",
            "certificate not yet valid",
        ],
    ),
    (
        Signal::TlsCertNameMismatch,
        &[
            "does not match certificate's altnames",
            "err_tls_cert_altname_invalid",
            "hostname mismatch",
            "certificate is valid for",
            "certificate is not valid for",
            "no alternative certificate subject name",
            "doesn't match any of the subject alternative names",
            "does not match target host name",
            "hostname verification failed",
            "ip address mismatch",
            "certificate name mismatch",
            "remotecertificatenamemismatch",
            "name mismatch",
            "not match the host name",
            "does not match the server name",
            "x509: certificate is valid",
            "subject alternative name",
            "host name does not match",
        ],
    ),
    (
        Signal::TlsCertSelfSigned,
        &[
            "self signed certificate",
            "self-signed certificate",
            "self_signed_cert_in_chain",
            "depth_zero_self_signed_cert",
            "selfsigned",
        ],
    ),
    (
        Signal::TlsCertUntrusted,
        &[
            "unable to get local issuer certificate",
            "unable_to_get_issuer_cert",
            "unable_to_verify_leaf_signature",
            "unable to verify the first certificate",
            "certificate verify failed",
            "pkix path building failed",
            "certificate signed by unknown authority",
            "remote certificate is invalid",
            "unknown ca",
            "unable to find valid certification path",
            "remotecertificatechainerrors",
            "certificate_verify_failed",
            "untrusted certificate",
            "not trusted",
            "ssl certificate problem",
            "certificate chain",
            "x509: certificate",
            "invalid certificate",
            "untrusted root",
        ],
    ),
    (
        Signal::TlsProtocolVersion,
        &[
            "unsupported protocol",
            "no protocols available",
            "alert protocol version",
            "protocol_version",
            "tls 1.0 and 1.1 are not supported",
            "tlsv1 alert protocol",
            "wrong ssl version",
            "unsupported_protocol",
            "server does not support tls 1.2",
            "inappropriate fallback",
        ],
    ),
    (
        Signal::TlsAlert,
        &[
            "alert internal error",
            "alert handshake failure",
            "sslv3 alert",
            "tlsv1 alert",
            "alert number",
            "handshake_failure",
            "internal_error",
        ],
    ),
    (
        Signal::TlsHandshake,
        &[
            "handshake failed",
            "ssl handshake",
            "tls handshake",
            "sslhandshakeexception",
            "eproto",
            "ssl operation failed",
            "stream_socket_enable_crypto",
            "tls startup failed",
            "ssl routines",
            "could not establish",
            "sslerror",
            "ssl error",
            "tls error",
            "authenticationexception",
            "remote host terminated the handshake",
            "connection reset during handshake",
        ],
    ),
    (
        Signal::StartTlsNotOffered,
        &[
            "starttls extension not supported",
            "does not support starttls",
            "server does not support tls",
            "smtp server does not support tls",
            "no starttls",
            "starttls is not supported",
            "starttls not supported",
            "server doesn't support starttls",
            "starttls required but not",
            "tls not available",
            "does not advertise starttls",
            "not offer starttls",
            "starttls command not advertised",
            "server does not support secure connections",
        ],
    ),
    (
        Signal::AuthNotOffered,
        &[
            "smtp auth extension not supported",
            "auth extension not supported",
            "server does not support authentication",
            "does not support authentication",
            "authentication not supported",
            "auth not supported",
            "smtp auth not supported",
            "server doesn't support auth",
            "server does not support smtp authentication",
            "no auth mechanisms",
            "authentication is not supported",
        ],
    ),
    (
        Signal::NoCommonMechanism,
        &[
            "no supported authentication methods",
            "no suitable authentication",
            "no compatible authentication",
            "no matching authentication",
            "none of the authentication mechanisms",
            "unsupported authentication mechanism",
            "no authentication mechanism",
            "no auth method",
            "authentication mechanisms are supported",
        ],
    ),
    (
        Signal::MissingCredentials,
        &[
            "missing credentials",
            "credentials missing",
            "no username",
            "username is empty",
            "empty username",
            "username and password are required",
            "username not set",
            "missing username",
            "no credentials",
        ],
    ),
    (
        Signal::DnsNotFound,
        &[
            "enotfound",
            "name or service not known",
            "no such host",
            "nodename nor servname",
            "unknownhostexception",
            "could not resolve host",
            "nxdomain",
            "name does not resolve",
            "no address associated",
            "getaddrinfo failed",
            "host not found",
            "unknown host",
            "errno -2",
            "errno 11001",
            "socket.gaierror",
            "name resolution failed",
            "couldn't resolve host",
            "no such host is known",
            "php_network_getaddresses",
        ],
    ),
    (
        Signal::DnsFailure,
        &[
            "eai_again",
            "temporary failure in name resolution",
            "server misbehaving",
            "servfail",
            "errno -3",
        ],
    ),
    (
        Signal::ConnectRefused,
        &[
            "econnrefused",
            "connection refused",
            "actively refused",
            "errno 111",
            "errno 61",
            "errno 10061",
            "refused to connect",
            "connectexception: connection refused",
            "connection was refused",
        ],
    ),
    (
        Signal::GreetingTimeout,
        &[
            "greeting never received",
            "greeting timeout",
            "timeout waiting for greeting",
            "no greeting",
        ],
    ),
    (
        Signal::ConnectTimeout,
        &[
            "etimedout",
            "connection timed out",
            "connect timed out",
            "i/o timeout",
            "operation timed out",
            "errno 110",
            "errno 60",
            "errno 10060",
            "timed out",
            "timeout",
            "sockettimeoutexception",
            "connection attempt failed because the connected party did not properly respond",
        ],
    ),
    (
        Signal::ConnectFailed,
        &[
            "network is unreachable",
            "no route to host",
            "enetunreach",
            "ehostunreach",
            "errno 101",
            "errno 113",
        ],
    ),
    (
        Signal::ConnectionClosed,
        &[
            "connection closed",
            "unexpectedly closed",
            "connection unexpectedly",
            "econnreset",
            "connection reset",
            "server disconnected",
            "smtpserverdisconnected",
            "unexpected socket close",
            "unexpected eof",
            "broken pipe",
            "epipe",
            "closed the connection",
            "connection lost",
            "connection dropped",
            "forcibly closed",
            "socket closed",
            "eof occurred",
        ],
    ),
];

/// Signals whose phrases occur in `lower`, with the line that showed it.
pub fn find(lower: &str, original: &str) -> Vec<(Signal, String)> {
    let mut out = Vec::new();
    for (signal, phrases) in TABLE {
        if let Some(p) = phrases.iter().find(|p| lower.contains(*p)) {
            out.push((*signal, evidence_line(lower, original, p)));
        }
    }
    out
}

/// True when the text shows a successful login.
pub fn shows_success(lower: &str) -> bool {
    [
        "authentication successful",
        "authentication succeeded",
        "authenticated successfully",
        "login successful",
        "2.7.0 accepted",
    ]
    .iter()
    .any(|p| lower.contains(p))
}

/// The original line containing `phrase` (found in the lower-cased copy).
fn evidence_line(lower: &str, original: &str, phrase: &str) -> String {
    let Some(pos) = lower.find(phrase) else {
        return phrase.to_string();
    };
    // Lower-casing can change byte lengths for non-ASCII text; fall back to
    // the phrase when the positions no longer line up.
    if lower.len() != original.len() || !original.is_char_boundary(pos) {
        return phrase.to_string();
    }
    let start = original[..pos].rfind('\n').map_or(0, |i| i + 1);
    let end = original[pos..]
        .find('\n')
        .map_or(original.len(), |i| pos + i);
    let line = original[start..end].trim();
    if line.chars().count() > 300 {
        line.chars().take(300).collect::<String>() + "…"
    } else {
        line.to_string()
    }
}
