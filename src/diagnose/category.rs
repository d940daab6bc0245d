//! The diagnosis categories (docs/exit-codes.md) and the exit code of each.
//!
//! Which exit status each category has is decided here, once
//! ([`Category::exit_status`]); the numbers of the statuses are in `exit.rs`.
//! Everything else asks these two (batch order, nagios states, closeness).

use crate::exit::ExitStatus;
use std::fmt;

/// Every diagnosis belongs to exactly one category (docs/exit-codes.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Ok,
    WrongCredentials,
    AppPasswordRequired,
    AccountActionRequired,
    UsernameFormat,
    OauthTokenInvalid,
    AuthDisabledByPolicy,
    OauthRequired,
    NoCommonAuthMechanism,
    AuthNotOffered,
    AuthRequired,
    SenderNotPermitted,
    RelayDenied,
    ClientBlocked,
    QuotaExceeded,
    StarttlsRequired,
    StarttlsUnavailable,
    TlsModeMismatch,
    TlsCertificateInvalid,
    TlsHandshakeFailed,
    DnsFailure,
    ConnectionRefused,
    ConnectionTimeout,
    RateLimited,
    ServerTemporaryFailure,
    ProtocolError,
    Other,
}

impl Category {
    pub const ALL: [Category; 27] = [
        Category::Ok,
        Category::WrongCredentials,
        Category::AppPasswordRequired,
        Category::AccountActionRequired,
        Category::UsernameFormat,
        Category::OauthTokenInvalid,
        Category::AuthDisabledByPolicy,
        Category::OauthRequired,
        Category::NoCommonAuthMechanism,
        Category::AuthNotOffered,
        Category::AuthRequired,
        Category::SenderNotPermitted,
        Category::RelayDenied,
        Category::ClientBlocked,
        Category::QuotaExceeded,
        Category::StarttlsRequired,
        Category::StarttlsUnavailable,
        Category::TlsModeMismatch,
        Category::TlsCertificateInvalid,
        Category::TlsHandshakeFailed,
        Category::DnsFailure,
        Category::ConnectionRefused,
        Category::ConnectionTimeout,
        Category::RateLimited,
        Category::ServerTemporaryFailure,
        Category::ProtocolError,
        Category::Other,
    ];

    /// The stable identifier used in JSON and `--expect`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Ok => "ok",
            Category::WrongCredentials => "wrong-credentials",
            Category::AppPasswordRequired => "app-password-required",
            Category::AccountActionRequired => "account-action-required",
            Category::UsernameFormat => "username-format",
            Category::OauthTokenInvalid => "oauth-token-invalid",
            Category::AuthDisabledByPolicy => "auth-disabled-by-policy",
            Category::OauthRequired => "oauth-required",
            Category::NoCommonAuthMechanism => "no-common-auth-mechanism",
            Category::AuthNotOffered => "auth-not-offered",
            Category::AuthRequired => "auth-required",
            Category::SenderNotPermitted => "sender-not-permitted",
            Category::RelayDenied => "relay-denied",
            Category::ClientBlocked => "client-blocked",
            Category::QuotaExceeded => "quota-exceeded",
            Category::StarttlsRequired => "starttls-required",
            Category::StarttlsUnavailable => "starttls-unavailable",
            Category::TlsModeMismatch => "tls-mode-mismatch",
            Category::TlsCertificateInvalid => "tls-certificate-invalid",
            Category::TlsHandshakeFailed => "tls-handshake-failed",
            Category::DnsFailure => "dns-failure",
            Category::ConnectionRefused => "connection-refused",
            Category::ConnectionTimeout => "connection-timeout",
            Category::RateLimited => "rate-limited",
            Category::ServerTemporaryFailure => "server-temporary-failure",
            Category::ProtocolError => "protocol-error",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The exit code of the category (docs/exit-codes.md).
    pub fn exit_status(self) -> ExitStatus {
        use Category::*;
        match self {
            Ok => ExitStatus::Healthy,
            ProtocolError | Other => ExitStatus::Problem,
            DnsFailure | ConnectionRefused | ConnectionTimeout => ExitStatus::Unreachable,
            StarttlsRequired
            | StarttlsUnavailable
            | TlsModeMismatch
            | TlsCertificateInvalid
            | TlsHandshakeFailed => ExitStatus::Tls,
            WrongCredentials
            | AppPasswordRequired
            | AccountActionRequired
            | UsernameFormat
            | OauthTokenInvalid => ExitStatus::Credentials,
            AuthDisabledByPolicy
            | OauthRequired
            | NoCommonAuthMechanism
            | AuthNotOffered
            | AuthRequired
            | SenderNotPermitted
            | RelayDenied
            | ClientBlocked
            | QuotaExceeded => ExitStatus::Policy,
            RateLimited | ServerTemporaryFailure => ExitStatus::Temporary,
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in Category::ALL {
            assert!(seen.insert(c.as_str()));
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
    }

    #[test]
    fn exit_codes_follow_the_contract_table() {
        let expect = [
            ("ok", 0),
            ("wrong-credentials", 5),
            ("app-password-required", 5),
            ("account-action-required", 5),
            ("username-format", 5),
            ("oauth-token-invalid", 5),
            ("auth-disabled-by-policy", 6),
            ("oauth-required", 6),
            ("no-common-auth-mechanism", 6),
            ("auth-not-offered", 6),
            ("auth-required", 6),
            ("sender-not-permitted", 6),
            ("relay-denied", 6),
            ("client-blocked", 6),
            ("quota-exceeded", 6),
            ("starttls-required", 4),
            ("starttls-unavailable", 4),
            ("tls-mode-mismatch", 4),
            ("tls-certificate-invalid", 4),
            ("tls-handshake-failed", 4),
            ("dns-failure", 3),
            ("connection-refused", 3),
            ("connection-timeout", 3),
            ("rate-limited", 7),
            ("server-temporary-failure", 7),
            ("protocol-error", 1),
            ("other", 1),
        ];
        assert_eq!(expect.len(), Category::ALL.len());
        for (name, code) in expect {
            assert_eq!(
                Category::parse(name).unwrap().exit_status().code(),
                code,
                "{name}"
            );
        }
    }
}
