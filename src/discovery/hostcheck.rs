//! `--host` given: no discovery, but warn when the host looks like an MX
//! (an inbound server, RFC 5321 §5, that offers no AUTH) or belongs to a
//! provider whose entry in `crate::providers` documents another endpoint. Warnings only
//! (category `ok`), so they never change the exit code.

use crate::diagnose::{Observation, Signal};
use crate::endpoint::{Endpoint, TlsMode};
use crate::providers;
use crate::stage::Stage;

/// True when `host` looks like an MX: a known inbound host, or a first label
/// `mx`, `mx1`, `mx01`, `mx-…` (the common naming of MX hosts).
pub(crate) fn looks_like_mx(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if providers::is_inbound_host(&host) {
        return true;
    }
    let first = host.split('.').next().unwrap_or("");
    host.contains('.')
        && first
            .strip_prefix("mx")
            .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit()) || rest.starts_with('-'))
}

fn mode(tls: TlsMode) -> &'static str {
    match tls {
        TlsMode::StartTls => "STARTTLS",
        TlsMode::Implicit => "implicit TLS",
        TlsMode::None => "no TLS",
    }
}

/// The warnings for an endpoint given with `--host`.
pub(crate) fn check(endpoint: &Endpoint) -> Vec<Observation> {
    let mut out = Vec::new();
    let host = endpoint.host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() {
        return out;
    }
    if looks_like_mx(&host) {
        out.push(
            Observation::new(Signal::HostLooksLikeMx)
                .at(Stage::Resolve)
                .with_detail(format!("{host} is named like an inbound (MX) server")),
        );
    }
    if let Some((_, e)) = providers::by_host(&host) {
        if !e.accepts(endpoint.port, endpoint.tls) {
            let mut documented = vec![format!("{} {}", e.port, mode(e.tls))];
            documented.extend(e.alt.iter().map(|(p, t)| format!("{p} {}", mode(*t))));
            out.push(
                Observation::new(Signal::HostDiffersFromProviderTable)
                    .at(Stage::Connect)
                    .with_detail(format!(
                        "{} documents {} on port {} (see {}); this check uses port {} with {}",
                        e.name,
                        e.host,
                        documented.join(", "),
                        e.source(),
                        endpoint.port,
                        mode(endpoint.tls)
                    )),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(host: &str, port: u16, tls: TlsMode) -> Endpoint {
        Endpoint {
            host: host.into(),
            port,
            tls,
        }
    }

    #[test]
    fn mx_names_are_recognised() {
        for mx in [
            "contoso-com.mail.protection.outlook.com",
            "aspmx.l.google.com",
            "alt1.aspmx.l.google.com",
            "smtp.google.com",
            "mx.example.com",
            "mx01.mail.icloud.com",
            "mx-in.example.org",
            "mta6.am0.yahoodns.net",
        ] {
            assert!(looks_like_mx(mx), "{mx}");
        }
        for host in [
            "smtp.gmail.com",
            "mxroute.com",
            "mail.example.com",
            "smtp.office365.com",
            "mx",
        ] {
            assert!(!looks_like_mx(host), "{host}");
        }
    }

    #[test]
    fn warns_about_mx_and_undocumented_ports_only() {
        let signals = |e: Endpoint| check(&e).into_iter().map(|o| o.signal).collect::<Vec<_>>();
        assert_eq!(
            signals(ep("aspmx.l.google.com", 25, TlsMode::StartTls)),
            [Signal::HostLooksLikeMx]
        );
        assert_eq!(
            signals(ep("smtp.gmail.com", 25, TlsMode::StartTls)),
            [Signal::HostDiffersFromProviderTable]
        );
        assert!(signals(ep("smtp.gmail.com", 465, TlsMode::Implicit)).is_empty());
        assert!(signals(ep("smtp.office365.com", 587, TlsMode::StartTls)).is_empty());
        assert!(signals(ep("127.0.0.1", 2525, TlsMode::StartTls)).is_empty());
        assert!(signals(ep("localhost", 10587, TlsMode::StartTls)).is_empty());
    }
}
