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
pub enum OAuthProvider {
    /// Microsoft identity platform (Exchange Online, Outlook.com).
    Microsoft,
}

/// One check's settings.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    /// The account, user@domain (default user name; discovery starts at its domain).
    pub address: Option<String>,
    /// The submission server (skips discovery).
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<TlsMode>,
    /// The AUTH user name (default: the address).
    pub user: Option<String>,
    /// `None` = choose from the server's list.
    pub mechanism: Option<Mechanism>,
    /// Sign in with OAuth first; the token is used with XOAUTH2.
    pub oauth: Option<OAuthProvider>,
    /// Trust only the CA certificates in this PEM file.
    pub cafile: Option<PathBuf>,
    /// The deadline of each stage, AUTH included (default: [`DEFAULT_TIMEOUT`]
    /// and [`DEFAULT_AUTH_TIMEOUT`]).
    pub timeout: Option<Duration>,
    /// The name sent with EHLO.
    pub ehlo_name: String,
    /// Ask only this DNS server.
    pub dns_server: Option<SocketAddr>,
    /// Probe every candidate, not only up to the first that answers AUTH.
    pub all: bool,
    /// Discover only; connect to nothing.
    pub dry_run: bool,
    /// Keep the transcripts.
    pub verbose: bool,
    /// The category that counts as healthy.
    pub expect: Option<Category>,
    /// `--cert-warn`: a certificate with fewer days left gets the warning
    /// `certificate-expires-soon` (in every format, not only nagios).
    pub cert_warn_days: i64,
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
            dry_run: false,
            verbose: false,
            expect: None,
            cert_warn_days: 14,
        }
    }
}

/// Default deadline of each stage.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default deadline of the AUTH stage: Dovecot delays each failure by 2 s and
/// its anvil penalty grows to 15 s for repeated failures from one address, so
/// a wrong password must not turn into a timeout.
pub const DEFAULT_AUTH_TIMEOUT: Duration = Duration::from_secs(16);

impl CheckConfig {
    /// The deadline of each stage but AUTH.
    pub fn stage_timeout(&self) -> Duration {
        self.timeout.unwrap_or(DEFAULT_TIMEOUT)
    }

    /// The deadline of the AUTH stage.
    pub fn auth_timeout(&self) -> Duration {
        self.timeout.unwrap_or(DEFAULT_AUTH_TIMEOUT)
    }
}
