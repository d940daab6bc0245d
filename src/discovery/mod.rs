//! Where to probe: from an address (or `--host`) to candidate endpoints,
//! as a careful mail client's account setup finds them.
//!
//! Candidates come in this order, each labelled with its [`Source`] and
//! [`Trust`] and the URL or record it came from:
//! 1. the provider knowledge base (`crate::providers`), by the address's domain;
//! 2. MX records, to recognise a hosted provider for a custom domain (MX
//!    under google.com → smtp.gmail.com:587, …): a Google or Microsoft MX
//!    outranks a web host's autoconfig; an MX host itself is never a
//!    candidate (it is an inbound server, RFC 5321 §5);
//! 3. the HTTP sources (`web.rs`, unless `--no-http`): the provider's
//!    autoconfig, its `.well-known` file, the ISPDB, Autodiscover, and the
//!    ISPDB's entry for the MX host's domain when nothing else answered;
//! 4. DNS SRV, as a cross-check: `_submissions._tcp` (RFC 8314 §5.1,
//!    implicit TLS) before `_submission._tcp` (RFC 6186 §3.1, STARTTLS);
//!    within each, by priority, then highest weight first, then target name
//!    (see [`order_srv`] for why); a target outside the domain is kept but
//!    warned about (RFC 6186 §6), a target of `.` means "not offered"
//!    (RFC 2782); a target the higher sources do not name is noted;
//! 5. plain-HTTP autoconfig, only when nothing else answered (trust `http`);
//! 6. only when 1–5 found nothing: guesses `smtp.<domain>` and
//!    `mail.<domain>` on 587 (STARTTLS) and 465 (implicit TLS).
//!
//! Duplicates keep their first place. The order is pure given the answers of
//! the [`Dns`] trait and the web servers, which the tests fake.

pub(crate) mod autoconfig;
pub(crate) mod hostcheck;
pub(crate) mod settings;
pub(crate) mod web;

use crate::diagnose::{Observation, Signal};
pub(crate) use crate::endpoint::{default_port, default_tls};
use crate::endpoint::{Endpoint, TlsMode};
use crate::net::dns::{self, Dns, DnsError};
use crate::net::DnsFailure;
use crate::providers;
use std::time::Duration;

/// Where a candidate came from (shown in reports, JSON `source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// `--host` on the command line.
    Given,
    /// The provider knowledge base (`crate::providers`).
    ProviderTable,
    /// The provider's own autoconfig: `autoconfig.<domain>/mail/config-v1.1.xml`.
    Autoconfig,
    /// `<domain>/.well-known/autoconfig/mail/config-v1.1.xml`.
    AutoconfigWellKnown,
    /// The ISPDB's entry for the address's domain.
    Ispdb,
    /// The ISPDB's entry for the MX host's domain.
    IspdbMx,
    /// Outlook's Autodiscover (POX) answer.
    Autodiscover,
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
            Source::Autoconfig => "autoconfig",
            Source::AutoconfigWellKnown => "autoconfig-wellknown",
            Source::Ispdb => "ispdb",
            Source::IspdbMx => "ispdb-mx",
            Source::Autodiscover => "autodiscover",
            Source::Srv => "srv",
            Source::MxProvider => "mx-provider",
            Source::Guess => "guess",
        }
    }
}

/// How far a candidate's source can be trusted (JSON `trust`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trust {
    /// Typed by the user.
    Given,
    /// smtp-doctor's own provider knowledge base.
    Builtin,
    /// Fetched over HTTPS with a verified certificate.
    Https,
    /// Fetched over plain HTTP: anyone on the path could have written it.
    Http,
    /// From DNS without DNSSEC validation.
    Dns,
    /// Nothing said so.
    Guess,
}

impl Trust {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Trust::Given => "given",
            Trust::Builtin => "builtin",
            Trust::Https => "https",
            Trust::Http => "http",
            Trust::Dns => "dns",
            Trust::Guess => "guess",
        }
    }
}

/// What a config file said about a candidate beyond host, port and TLS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Hints {
    /// The URL it came from.
    pub url: Option<String>,
    /// Fetched over plain HTTP (trust `http`).
    pub insecure: bool,
    /// The user name the file gives (placeholders filled in).
    pub username: Option<String>,
    /// `<authentication>` values (`password-cleartext`, `OAuth2`…).
    pub authentication: Vec<String>,
}

/// One endpoint to try, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub(crate) endpoint: Endpoint,
    pub(crate) source: Source,
    /// Where exactly it came from, e.g. `SRV _submissions._tcp.example.com priority 0 weight 5`.
    pub(crate) detail: String,
    pub(crate) hints: Hints,
}

impl Candidate {
    pub(crate) fn new(endpoint: Endpoint, source: Source, detail: impl Into<String>) -> Candidate {
        Candidate {
            endpoint,
            source,
            detail: detail.into(),
            hints: Hints::default(),
        }
    }

    pub(crate) fn trust(&self) -> Trust {
        match self.source {
            Source::Given => Trust::Given,
            Source::ProviderTable => Trust::Builtin,
            Source::Srv | Source::MxProvider => Trust::Dns,
            Source::Guess => Trust::Guess,
            _ if self.hints.insecure => Trust::Http,
            _ => Trust::Https,
        }
    }
}

/// One HTTP source asked, and what came of it (a line of the report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpStep {
    pub(crate) source: Source,
    pub(crate) url: String,
    /// What was found, or why nothing was.
    pub(crate) result: String,
    pub(crate) ok: bool,
    /// Its host name did not resolve (so plain HTTP to it is not worth asking).
    pub(crate) unresolved: bool,
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
    /// The HTTP sources asked (autoconfig, ISPDB, Autodiscover).
    pub(crate) http: Vec<HttpStep>,
    /// Where sources disagree, and which one won.
    pub(crate) notes: Vec<String>,
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
        self.push_candidate(Candidate::new(endpoint, source, detail));
    }

    fn push_candidate(&mut self, c: Candidate) {
        if !self.candidates.iter().any(|o| o.endpoint == c.endpoint) {
            self.candidates.push(c);
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

/// Runs every future at once (the few ISPDB questions), results in order.
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
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
#[cfg(test)]
pub(crate) async fn candidates(domain: &str, overrides: Overrides, dns: &dyn Dns) -> Discovery {
    candidates_with(domain, None, overrides, dns, None).await
}

/// The candidates for `domain`, asking the HTTP sources too when `web` is
/// given (`address` fills autoconfig's `emailaddress` and placeholders).
pub(crate) async fn candidates_with(
    domain: &str,
    address: Option<&str>,
    overrides: Overrides,
    dns: &dyn Dns,
    web: Option<&web::Web>,
) -> Discovery {
    // A domain of the knowledge base needs no web lookup (it is what the
    // ISPDB would say, reviewed).
    let web = web.filter(|_| providers::lookup(domain).is_none());
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

    // Everything is asked for at once; the answers are used in rank order.
    let submissions = format!("_submissions._tcp.{domain}");
    let submission = format!("_submission._tcp.{domain}");
    // One bound for every HTTP source of this discovery.
    let web_deadline = tokio::time::Instant::now() + web.map_or(Duration::ZERO, |w| w.budget);
    let asked_web = async {
        match web {
            Some(w) => {
                crate::net::timeout::before(web_deadline, web::ask_domain(w, dns, &domain, address))
                    .await
                    .unwrap_or_else(|| {
                        vec![(
                            HttpStep {
                                source: Source::Autoconfig,
                                url: format!("https://autoconfig.{domain}/…"),
                                result: format!(
                                    "the HTTP sources gave no answer within {}s",
                                    w.budget.as_secs()
                                ),
                                ok: false,
                                unresolved: true,
                            },
                            None,
                        )]
                    })
            }
            None => Vec::new(),
        }
    };
    let (srv_implicit, srv_starttls, mx, web_answers) = tokio::join!(
        dns.srv(&submissions),
        dns.srv(&submission),
        dns.mx(&domain),
        asked_web
    );
    let mut mx_hosts: Vec<String> = Vec::new();

    // 2. MX: recognise a hosted provider; never probe the MX itself. A
    // Google or Microsoft MX outranks a web host's autoconfig (Plesk and
    // cPanel answer autoconfig for every domain, even one whose mail moved).
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
            mx_hosts = records
                .iter()
                .map(|r| r.exchange.trim_end_matches('.').to_ascii_lowercase())
                .collect();
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

    // 3. The HTTP sources, in rank order: autoconfig, .well-known, ISPDB,
    // Autodiscover; a disagreement with a higher source is noted.
    let mut found: Vec<web::Found> = Vec::new();
    for (step, f) in web_answers {
        d.http.push(step);
        found.extend(f);
    }
    if let (Some(w), true) = (web, found.is_empty() && d.candidates.is_empty()) {
        // The ISPDB's entry for the MX host's domain (a hoster's customers):
        // the host minus its first label, and its base domain, at once.
        if let Some(mx) = mx_hosts.first() {
            let mut names: Vec<String> = Vec::new();
            for n in [
                mx.split_once('.').map(|(_, rest)| rest.to_string()),
                Some(web::base_domain(mx)),
            ]
            .into_iter()
            .flatten()
            {
                if n.contains('.') && n != domain && !names.contains(&n) {
                    names.push(n);
                }
            }
            let asks = names
                .iter()
                .map(|n| web::ask_ispdb_mx(w, dns, n, &domain, address));
            let answers = crate::net::timeout::before(web_deadline, futures_join_all(asks)).await;
            for (step, f) in answers.unwrap_or_default() {
                d.http.push(step);
                if found.is_empty() {
                    found.extend(f);
                }
            }
        }
    }
    for f in found {
        let endpoint = overrides.apply(&f.server.host, f.server.port, f.server.tls);
        if let Some(top) = d.candidates.first() {
            if top.endpoint.host != endpoint.host {
                d.notes.push(format!(
                    "{} ({}) names {}, but {} names {}: {} ranks higher",
                    f.source.as_str(),
                    f.url,
                    endpoint.host,
                    top.source.as_str(),
                    top.endpoint.host,
                    top.source.as_str()
                ));
            }
        }
        d.push_candidate(Candidate {
            endpoint,
            source: f.source,
            detail: f.url.clone(),
            hints: Hints {
                url: Some(f.url),
                insecure: f.insecure,
                username: f.server.username,
                authentication: f.server.authentication,
            },
        });
    }

    // 4. SRV: implicit TLS first (RFC 8314 §5.1), then STARTTLS (RFC 6186 §3.1),
    // a cross-check: no mail client reads it any more, so it ranks below
    // the sources above and a disagreement with them is noted.
    let higher: Vec<String> = d
        .candidates
        .iter()
        .map(|c| c.endpoint.host.clone())
        .collect();
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
                    let target = r.target.trim_end_matches('.').to_ascii_lowercase();
                    if !higher.is_empty() && !higher.contains(&target) {
                        d.notes.push(format!(
                            "SRV {name} names {target}:{}, which the higher sources do not ({})",
                            r.port,
                            higher.join(", ")
                        ));
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

    // 5. Plain-HTTP autoconfig, only when nothing else answered (untrusted).
    let https_autoconfig_resolved = d
        .http
        .iter()
        .any(|h| h.source == Source::Autoconfig && !h.unresolved);
    if let (Some(w), true) = (web, d.candidates.is_empty() && https_autoconfig_resolved) {
        let asked =
            crate::net::timeout::before(web_deadline, web::ask_plain(w, dns, &domain, address));
        let (step, f) = asked.await.unwrap_or_else(|| {
            (
                HttpStep {
                    source: Source::Autoconfig,
                    url: format!("http://autoconfig.{domain}/mail/config-v1.1.xml"),
                    result: "not asked: the HTTP sources' time is spent".into(),
                    ok: false,
                    unresolved: false,
                },
                None,
            )
        });
        d.http.push(step);
        if let Some(f) = f {
            d.push_candidate(Candidate {
                endpoint: overrides.apply(&f.server.host, f.server.port, f.server.tls),
                source: f.source,
                detail: format!("{} (plain HTTP: untrusted)", f.url),
                hints: Hints {
                    url: Some(f.url),
                    insecure: true,
                    username: f.server.username,
                    authentication: f.server.authentication,
                },
            });
        }
    }

    // 6. Guesses, only when nothing better was found. A domain that does not
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
