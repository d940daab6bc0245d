//! Where to probe: from an address (or `--host`) to candidate endpoints.
//!
//! Candidates come in this order, each labelled with its [`Source`]:
//! 1. the provider knowledge base (`crate::providers`), by the address's domain;
//! 2. DNS SRV: `_submissions._tcp` (RFC 8314 §5.1, implicit TLS) before
//!    `_submission._tcp` (RFC 6186 §3.1, STARTTLS); within each, by priority,
//!    then highest weight first, then target name: a fixed order instead of
//!    RFC 2782's weighted random choice (see [`order_srv`] for why); a target
//!    outside the domain is kept but warned about (RFC 6186 §6), a target of
//!    `.` means "not offered" (RFC 2782);
//! 3. MX records, only to recognise a hosted provider for a custom domain
//!    (MX under google.com → smtp.gmail.com:587, …); an MX host itself is
//!    never a candidate (it is an inbound server, RFC 5321 §5);
//! 4. only when 1–3 found nothing: guesses `smtp.<domain>` and
//!    `mail.<domain>` on 587 (STARTTLS) and 465 (implicit TLS).
//!
//! Duplicates keep their first place. The order is pure given the answers of
//! the [`Dns`] trait, which the unit tests fake.

pub(crate) mod hostcheck;

use crate::diagnose::{Observation, Signal};
pub(crate) use crate::endpoint::{default_port, default_tls};
use crate::endpoint::{Endpoint, TlsMode};
use crate::net::dns::{self, Dns, DnsError};
use crate::net::DnsFailure;
use crate::providers;

/// Where a candidate came from (shown in reports, JSON `source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// `--host` on the command line.
    Given,
    /// The curated provider table.
    ProviderTable,
    /// A DNS SRV record (RFC 6186 / RFC 8314).
    Srv,
    /// A hosted provider recognised from the domain's MX records.
    MxProvider,
    /// A guess (`smtp.<domain>`, `mail.<domain>`).
    Guess,
}

impl Source {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Source::Given => "given",
            Source::ProviderTable => "provider-table",
            Source::Srv => "srv",
            Source::MxProvider => "mx-provider",
            Source::Guess => "guess",
        }
    }
}

/// One endpoint to try, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub(crate) endpoint: Endpoint,
    pub(crate) source: Source,
    /// Where exactly it came from, e.g. `SRV _submissions._tcp.example.com priority 0 weight 5`.
    pub(crate) detail: String,
}

/// One DNS question discovery asked, and the answer in a few words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lookup {
    pub(crate) name: String,
    pub(crate) rtype: &'static str,
    pub(crate) result: String,
    /// How it failed (`None`: it was answered).
    pub(crate) failure: Option<DnsFailure>,
}

/// What discovery found for a domain.
#[derive(Debug, Clone, Default)]
pub(crate) struct Discovery {
    pub(crate) domain: String,
    pub(crate) candidates: Vec<Candidate>,
    pub(crate) lookups: Vec<Lookup>,
    /// Warnings about the candidates (SRV target outside the domain).
    pub(crate) observations: Vec<Observation>,
    /// The domain itself does not exist (NXDOMAIN for its MX query).
    pub(crate) domain_missing: bool,
}

/// `--port` / `--tls` given together with an address (no `--host`): they
/// apply to every candidate.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Overrides {
    pub(crate) port: Option<u16>,
    pub(crate) tls: Option<TlsMode>,
}

impl Overrides {
    fn apply(self, host: &str, port: u16, tls: TlsMode) -> Endpoint {
        let tls_out = self.tls.unwrap_or(tls);
        let port = self.port.unwrap_or(if tls_out == tls {
            port
        } else {
            default_port(tls_out)
        });
        Endpoint {
            host: host.to_string(),
            port,
            tls: tls_out,
        }
    }
}

/// The first candidate known without DNS: the provider table's entry for
/// `domain`, else the guess `smtp.<domain>`. `check` plans with it (batch runs
/// key hosts on it) before discovery proper replaces it.
pub(crate) fn candidate(
    domain: &str,
    port: Option<u16>,
    tls: Option<TlsMode>,
) -> (Endpoint, Source) {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let overrides = Overrides { port, tls };
    if let Some((_, e)) = providers::lookup(&domain) {
        return (
            overrides.apply(e.host, e.port, e.tls),
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

impl Discovery {
    fn push(&mut self, endpoint: Endpoint, source: Source, detail: String) {
        if !self.candidates.iter().any(|c| c.endpoint == endpoint) {
            self.candidates.push(Candidate {
                endpoint,
                source,
                detail,
            });
        }
    }

    fn note(&mut self, name: &str, rtype: &'static str, result: String) {
        self.lookups.push(Lookup {
            name: name.to_string(),
            rtype,
            result,
            failure: None,
        });
    }

    fn note_error(&mut self, e: &DnsError) {
        self.lookups.push(Lookup {
            name: e.name.clone(),
            rtype: e.rtype,
            result: e.message.clone(),
            failure: Some(e.failure),
        });
    }

    /// The lookups that got no answer before the deadline.
    pub(crate) fn timed_out(&self) -> impl Iterator<Item = &Lookup> {
        self.lookups
            .iter()
            .filter(|l| l.failure == Some(DnsFailure::Timeout))
    }
}

/// SRV records in a fixed order: lowest priority first (as RFC 2782
/// requires), then, among equal priorities, highest weight first, then by
/// target name.
///
/// RFC 2782 ("Usage rules") asks a client to pick among the records of one
/// priority at random, each with a probability proportional to its weight,
/// so that many clients spread their load. smtp-doctor deliberately does
/// not: it is a diagnostic tool run a few times by a person (or once a
/// minute by a monitor), not a mail client, so it adds no load worth
/// spreading, and two runs against unchanged DNS must probe the same
/// endpoints in the same order to be comparable (a diff of two JSON
/// reports, a monitoring graph that does not flap between servers, a bug
/// report that reproduces). Highest weight first probes the server the
/// domain sends most clients to, which is the one most worth diagnosing;
/// `--all` probes every target when the others matter too. The order never
/// depends on the order the DNS server returned the records in.
fn order_srv(mut records: Vec<dns::Srv>) -> Vec<dns::Srv> {
    records.sort_by(|a, b| {
        a.priority
            .cmp(&b.priority)
            .then(b.weight.cmp(&a.weight))
            .then(a.target.cmp(&b.target))
    });
    records
}

/// The candidates for `domain` (lower-cased, trailing dot removed).
pub(crate) async fn candidates(domain: &str, overrides: Overrides, dns: &dyn Dns) -> Discovery {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let mut d = Discovery {
        domain: domain.clone(),
        ..Discovery::default()
    };

    // 1. The provider table.
    if let Some((_, e)) = providers::lookup(&domain) {
        d.push(
            overrides.apply(e.host, e.port, e.tls),
            Source::ProviderTable,
            format!("{} ({}, checked {})", e.name, e.source(), e.checked),
        );
    }

    // 2 and 3 are asked for at once; their answers are used in order.
    let submissions = format!("_submissions._tcp.{domain}");
    let submission = format!("_submission._tcp.{domain}");
    let (srv_implicit, srv_starttls, mx) =
        tokio::join!(dns.srv(&submissions), dns.srv(&submission), dns.mx(&domain));

    // 2. SRV: implicit TLS first (RFC 8314 §5.1), then STARTTLS (RFC 6186 §3.1).
    for (name, answer, tls) in [
        (&submissions, srv_implicit, TlsMode::Implicit),
        (&submission, srv_starttls, TlsMode::StartTls),
    ] {
        match answer {
            Err(e) => d.note_error(&e),
            Ok(records) => {
                let records = order_srv(records);
                d.note(
                    name,
                    "SRV",
                    records
                        .iter()
                        .map(|r| format!("{} {} {} {}", r.priority, r.weight, r.port, r.target))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
                for r in records {
                    // RFC 2782: a target of "." means the service is not offered.
                    if r.target.is_empty() || r.target == "." || r.port == 0 {
                        continue;
                    }
                    // RFC 6186 §6: the target should lie within the domain.
                    if !providers::under(&r.target, &domain) {
                        d.observations.push(
                            Observation::new(Signal::SrvTargetOutsideDomain)
                                .at(crate::stage::Stage::Resolve)
                                .with_detail(format!(
                                    "{name} points to {}:{}, which is not inside {domain}",
                                    r.target, r.port
                                )),
                        );
                    }
                    d.push(
                        overrides.apply(&r.target, r.port, tls),
                        Source::Srv,
                        format!("SRV {name} priority {} weight {}", r.priority, r.weight),
                    );
                }
            }
        }
    }

    // 3. MX: recognise a hosted provider; never probe the MX itself.
    match mx {
        Err(e) => {
            d.domain_missing = e.failure == DnsFailure::NxDomain;
            d.note_error(&e);
        }
        Ok(mut records) => {
            records.sort_by(|a, b| {
                a.preference
                    .cmp(&b.preference)
                    .then(a.exchange.cmp(&b.exchange))
            });
            d.note(
                &domain,
                "MX",
                records
                    .iter()
                    .map(|r| format!("{} {}", r.preference, r.exchange))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            for r in &records {
                if let Some((_, e)) = providers::by_mx(&r.exchange) {
                    d.push(
                        overrides.apply(e.host, e.port, e.tls),
                        Source::MxProvider,
                        format!("MX {} → {} ({})", r.exchange, e.name, e.source()),
                    );
                }
            }
        }
    }

    // 4. Guesses, only when nothing better was found. A domain that does not
    // exist has no subdomains either (RFC 8020), so one guess is enough to
    // show the failure.
    if d.candidates.is_empty() {
        let pairs: Vec<(u16, TlsMode)> = match (overrides.port, overrides.tls) {
            (None, None) => vec![(587, TlsMode::StartTls), (465, TlsMode::Implicit)],
            (p, t) => {
                let tls = t.unwrap_or_else(|| p.map_or(TlsMode::StartTls, default_tls));
                vec![(p.unwrap_or_else(|| default_port(tls)), tls)]
            }
        };
        let prefixes: &[&str] = if d.domain_missing {
            &["smtp"]
        } else {
            &["smtp", "mail"]
        };
        for prefix in prefixes {
            for (i, (port, tls)) in pairs.iter().enumerate() {
                if d.domain_missing && i > 0 {
                    break;
                }
                d.push(
                    Endpoint {
                        host: format!("{prefix}.{domain}"),
                        port: *port,
                        tls: *tls,
                    },
                    Source::Guess,
                    "a guess: no provider entry, SRV record or known MX".into(),
                );
            }
        }
    }
    d
}

#[cfg(test)]
mod tests;
