//! From a [`CheckConfig`] to a plan: the endpoint (or the domain to
//! discover), the user, the mechanism; and the probe options. No I/O but
//! reading `--cafile`.

use super::config::{CheckConfig, OAuthProvider};
use crate::discovery::{self, Overrides, Source};
use crate::endpoint::{default_port, default_tls, Endpoint, TlsMode};
use crate::error::Error;
use crate::net::dns::{Dns, HickoryDns};
use crate::net::tls::TrustAnchors;
use crate::probe::ProbeOptions;
use crate::report::Target;
use crate::secret::Credential;
use crate::smtp::sasl::Mechanism;
use std::sync::Arc;

/// Microsoft 365's submission host, for `--oauth microsoft` addresses the
/// provider table does not know (custom domains of Exchange Online tenants).
pub(crate) const MICROSOFT_365_HOST: &str = "smtp.office365.com";

/// The endpoint, user and options a `check` runs with.
#[derive(Debug, Clone)]
pub(crate) struct CheckPlan {
    /// `--host`; without it the first candidate known without DNS (provider
    /// table, `--oauth microsoft`, else the guess `smtp.<domain>`), which
    /// discovery replaces. Batch files name accounts by it (one per user and
    /// host); batch limits key on the endpoint actually probed instead.
    pub(crate) endpoint: Endpoint,
    pub(crate) target: Target,
    pub(crate) source: Source,
    pub(crate) mechanism: Option<Mechanism>,
    /// No `--host`: the address's domain, where discovery starts.
    pub(crate) domain: Option<String>,
    /// `--port` / `--tls` for discovered candidates.
    pub(crate) overrides: Overrides,
    /// `--all`: probe every candidate.
    pub(crate) all: bool,
    /// `--dry-run`: discover, connect to nothing.
    pub(crate) dry_run: bool,
    /// `--cert-warn`: days below which the certificate gets a warning.
    pub(crate) cert_warn_days: i64,
    /// The HTTP sources of discovery (`None`: `--no-http` or `--host`).
    pub(crate) web: Option<crate::discovery::web::Web>,
}

/// Validates a check's settings into a plan (no I/O).
pub(crate) fn plan_check(config: &CheckConfig) -> Result<CheckPlan, Error> {
    if let Some(a) = &config.address {
        let valid = a
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') || d == "localhost")
            && !a.contains(char::is_whitespace);
        if !valid {
            return Err(Error::usage_hint(
                format!("{a:?} is not an address of the form user@domain"),
                "give the full address, e.g. alice@example.com, or use --host with --user",
            ));
        }
    }
    let tls = config.tls;
    let port = config.port;
    let mut domain_to_discover = None;
    let (endpoint, source) = match (&config.host, &config.address) {
        (Some(host), _) => {
            let host = host.trim();
            if host.is_empty() {
                return Err(Error::usage("--host is empty"));
            }
            let tls = tls.unwrap_or_else(|| port.map_or(TlsMode::StartTls, default_tls));
            let port = port.unwrap_or_else(|| default_port(tls));
            let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
            (Endpoint { host, port, tls }, Source::Given)
        }
        (None, Some(address)) => {
            let domain = address.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
            domain_to_discover = Some(domain.trim_end_matches('.').to_ascii_lowercase());
            match discovery::candidate(domain, port, tls) {
                (_, Source::Guess) if config.oauth == Some(OAuthProvider::Microsoft) => {
                    let tls = tls.unwrap_or_else(|| port.map_or(TlsMode::StartTls, default_tls));
                    let endpoint = Endpoint {
                        host: MICROSOFT_365_HOST.into(),
                        port: port.unwrap_or_else(|| default_port(tls)),
                        tls,
                    };
                    (endpoint, Source::ProviderTable)
                }
                found => found,
            }
        }
        (None, None) => {
            return Err(Error::usage_hint(
                "nothing to check: give an ADDRESS or --host",
                "smtp-doctor check alice@example.com   or   smtp-doctor check --host smtp.example.com --user alice",
            ))
        }
    };
    let mechanism = match (config.oauth, config.mechanism) {
        (None, m) => m,
        (Some(_), None) => Some(Mechanism::XOAuth2),
        (Some(_), Some(m)) if m.uses_token() => Some(m),
        (Some(_), Some(m)) => {
            return Err(Error::usage(format!(
                "--oauth logs in with a token: --mechanism {m} takes a password (use XOAUTH2 or OAUTHBEARER)"
            )))
        }
    };
    let user = config.user.clone().or_else(|| config.address.clone());
    let web = match (&domain_to_discover, config.http) {
        (Some(_), true) => {
            if let Some(base) = &config.ispdb {
                let b = base.trim().to_ascii_lowercase();
                if !(b.starts_with("https://") || b.starts_with("http://")) {
                    return Err(Error::usage(format!(
                        "--ispdb {base:?} is not an http(s) URL"
                    )));
                }
            }
            let step = crate::discovery::web::STEP;
            let client = match &config.cafile {
                Some(path) => {
                    crate::net::http::HttpClient::with_cafile(step, path).map_err(Error::usage)?
                }
                None => crate::net::http::HttpClient::new(step),
            };
            Some(crate::discovery::web::Web::new(
                client,
                config.ispdb.as_deref(),
            ))
        }
        _ => None,
    };
    Ok(CheckPlan {
        web,
        endpoint,
        target: Target {
            address: config.address.clone(),
            user,
        },
        source,
        mechanism,
        domain: domain_to_discover,
        overrides: Overrides { port, tls },
        all: config.all,
        dry_run: config.dry_run,
        cert_warn_days: config.cert_warn_days,
    })
}

/// The trust anchors of `--cafile`, or the built-in roots.
pub(crate) fn trust_anchors(config: &CheckConfig) -> Result<TrustAnchors, Error> {
    match &config.cafile {
        Some(path) => TrustAnchors::from_pem_file(path).map_err(Error::usage),
        None => Ok(TrustAnchors::webpki()),
    }
}

/// The probe options for `plan` with this credential (deadlines from `--timeout`).
pub(crate) fn probe_options(
    config: &CheckConfig,
    plan: &CheckPlan,
    credential: Option<Credential>,
    anchors: TrustAnchors,
) -> ProbeOptions {
    ProbeOptions {
        user: plan.target.user.clone(),
        credential,
        mechanism: plan.mechanism,
        anchors,
        timeout: config.stage_timeout(),
        auth_timeout: config.auth_timeout(),
        ehlo_name: config.ehlo_name.clone(),
        dns: dns(config),
    }
}

/// The resolver: `--dns-server` only, else the system configuration.
pub(crate) fn dns(config: &CheckConfig) -> Arc<dyn Dns> {
    let timeout = config.stage_timeout();
    match config.dns_server {
        Some(addr) => Arc::new(HickoryDns::server(addr, timeout)),
        None => Arc::new(HickoryDns::system(timeout)),
    }
}
