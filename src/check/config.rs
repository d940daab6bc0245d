//! What a check is asked to do, resolved: no clap types, no I/O.
//!
//! The command line (`commands/check.rs`), a batch row (`batch/input.rs`,
//! over the command line's values) or a later configuration file each build
//! a [`CheckConfig`]; everything below reads only this.

use crate::diagnose::Category;
use crate::endpoint::TlsMode;
use crate::smtp::sasl::Mechanism;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Whose identity platform signs in before the check (`--oauth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OAuthProvider {
    /// Microsoft identity platform (Exchange Online, Outlook.com).
    Microsoft,
    /// Google (Gmail, Workspace).
    Google,
    /// Another identity platform, by its endpoints.
    Custom,
}

/// One check's settings.
#[derive(Debug, Clone)]
pub(crate) struct CheckConfig {
    /// The account, user@domain (default user name; discovery starts at its domain).
    pub(crate) address: Option<String>,
    /// The submission server (skips discovery).
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
    pub(crate) tls: Option<TlsMode>,
    /// The AUTH user name (default: the address).
    pub(crate) user: Option<String>,
    /// `None` = choose from the server's list.
    pub(crate) mechanism: Option<Mechanism>,
    /// Sign in with OAuth first; the token is used with XOAUTH2.
    pub(crate) oauth: Option<OAuthProvider>,
    /// Trust only the CA certificates in this PEM file.
    pub(crate) cafile: Option<PathBuf>,
    /// The deadline of each stage, AUTH included (default: [`DEFAULT_TIMEOUT`]
    /// and [`DEFAULT_AUTH_TIMEOUT`]).
    pub(crate) timeout: Option<Duration>,
    /// The name sent with EHLO.
    pub(crate) ehlo_name: String,
    /// Ask only this DNS server.
    pub(crate) dns_server: Option<SocketAddr>,
    /// Probe every candidate, not only up to the first that answers AUTH.
    pub(crate) all: bool,
    /// Ask the HTTP sources of discovery (autoconfig, ISPDB, Autodiscover);
    /// `--no-http` turns it off.
    pub(crate) http: bool,
    /// `--ispdb`: the ISPDB base URL (default: Thunderbird's).
    pub(crate) ispdb: Option<String>,
    /// Discover only; connect to nothing.
    pub(crate) dry_run: bool,
    /// Keep the transcripts.
    pub(crate) verbose: bool,
    /// The category that counts as healthy.
    pub(crate) expect: Option<Category>,
    /// `--cert-warn`: a certificate with fewer days left gets the warning
    /// `certificate-expires-soon` (in every format, not only nagios).
    pub(crate) cert_warn_days: i64,
}

impl Default for CheckConfig {
    fn default() -> CheckConfig {
        CheckConfig {
            address: None,
            host: None,
            port: None,
            tls: None,
            user: None,
            mechanism: None,
            oauth: None,
            cafile: None,
            timeout: None,
            ehlo_name: "localhost".into(),
            dns_server: None,
            all: false,
            http: true,
            ispdb: None,
            dry_run: false,
            verbose: false,
            expect: None,
            cert_warn_days: 14,
        }
    }
}

/// Default deadline of each stage.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default deadline of the AUTH stage: Dovecot delays each failure by 2 s and
/// its anvil penalty grows to 15 s for repeated failures from one address, so
/// a wrong password must not turn into a timeout.
pub(crate) const DEFAULT_AUTH_TIMEOUT: Duration = Duration::from_secs(16);

impl CheckConfig {
    /// The deadline of each stage but AUTH.
    pub(crate) fn stage_timeout(&self) -> Duration {
        self.timeout.unwrap_or(DEFAULT_TIMEOUT)
    }

    /// The deadline of the AUTH stage.
    pub(crate) fn auth_timeout(&self) -> Duration {
        self.timeout.unwrap_or(DEFAULT_AUTH_TIMEOUT)
    }
}
