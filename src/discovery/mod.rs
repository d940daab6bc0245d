//! Where to probe: from an address (or `--host`) to candidate endpoints.
//!
//! Today: `--host` as given, else the curated provider table, else the
//! conventional guess `smtp.<domain>` (marked as a guess). DNS SRV/MX
//! discovery is tracked in the project's issues.

pub mod table;

use crate::probe::{Endpoint, TlsMode};

/// Where a candidate came from (shown in reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `--host` on the command line.
    Given,
    /// The curated provider table.
    ProviderTable,
    /// A guess (`smtp.<domain>`).
    Guess,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Given => "given",
            Source::ProviderTable => "provider-table",
            Source::Guess => "guess",
        }
    }
}

/// Default TLS mode for a port: RFC 8314 implicit TLS on 465, STARTTLS elsewhere.
pub fn default_tls(port: u16) -> TlsMode {
    if port == 465 {
        TlsMode::Implicit
    } else {
        TlsMode::StartTls
    }
}

/// Default port for a TLS mode: 465 for implicit TLS, 587 (RFC 6409) otherwise.
pub fn default_port(tls: TlsMode) -> u16 {
    match tls {
        TlsMode::Implicit => 465,
        _ => 587,
    }
}

/// The endpoint to check for `domain` when no host was given.
pub fn candidate(domain: &str, port: Option<u16>, tls: Option<TlsMode>) -> (Endpoint, Source) {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    if let Some(entry) = table::lookup(&domain) {
        let tls = tls.unwrap_or(entry.tls);
        let port = port.unwrap_or(if tls == entry.tls {
            entry.port
        } else {
            default_port(tls)
        });
        return (
            Endpoint {
                host: entry.host.to_string(),
                port,
                tls,
            },
            Source::ProviderTable,
        );
    }
    let tls = tls.unwrap_or_else(|| port.map_or(TlsMode::StartTls, default_tls));
    let port = port.unwrap_or_else(|| default_port(tls));
    (
        Endpoint {
            host: format!("smtp.{domain}"),
            port,
            tls,
        },
        Source::Guess,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_provider_uses_table() {
        let (e, s) = candidate("gmail.com", None, None);
        assert_eq!(
            (e.host.as_str(), e.port, e.tls, s),
            (
                "smtp.gmail.com",
                587,
                TlsMode::StartTls,
                Source::ProviderTable
            )
        );
        let (e, _) = candidate("GMail.com.", None, Some(TlsMode::Implicit));
        assert_eq!((e.port, e.tls), (465, TlsMode::Implicit));
    }

    #[test]
    fn unknown_domain_is_a_marked_guess() {
        let (e, s) = candidate("example.org", Some(465), None);
        assert_eq!(
            (e.host.as_str(), e.port, e.tls, s),
            ("smtp.example.org", 465, TlsMode::Implicit, Source::Guess)
        );
    }
}
