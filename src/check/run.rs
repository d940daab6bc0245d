//! Running a plan: discovery, then one probe at a time, then the verdict.
//!
//! Candidates are probed in discovery order until one authenticates or takes
//! the secret (the server answered AUTH): the same secret is never sent to a
//! second endpoint unless `--all` asks for it (no lockouts). The report's
//! verdict is that of the best endpoint (see [`closeness`]).

use super::plan::CheckPlan;
use crate::diagnose::{classify, primary_category, Category, Observation, Signal};
use crate::discovery::{self, hostcheck, Candidate, Discovery, Source};
use crate::endpoint::Endpoint;
use crate::net::dns::Dns;
use crate::net::{DnsFailure, ProbeError};
use crate::probe::{self, Outcome, ProbeOptions, ProbeReport};
use crate::report::{closeness, EndpointResult, Report};
use crate::stage::Stage;
use std::time::{Duration, Instant};

/// True when the endpoint is the right one to judge the account by: it
/// authenticated, was healthy up to AUTH without a secret, or took the secret.
fn answered_auth(r: &ProbeReport) -> bool {
    matches!(
        r.outcome,
        Outcome::Authenticated { .. } | Outcome::NoCredentials
    ) || r.mechanism.is_some()
}

fn dns_timed_out(r: &ProbeReport) -> bool {
    matches!(
        r.outcome,
        Outcome::Failed(ProbeError::Resolve {
            failure: DnsFailure::Timeout,
            ..
        })
    )
}

/// The certificate warning at `--cert-warn` days instead of the catalogue's
/// default: an accepted certificate with fewer days left than `warn_days`.
fn cert_expiry(r: &ProbeReport, warn_days: i64) -> Option<Observation> {
    let cert = r.tls.as_ref()?.certificate.as_ref()?;
    let accepted = r
        .stages
        .iter()
        .any(|s| s.stage == Stage::TlsHandshake && s.ok);
    (accepted && (0..warn_days).contains(&cert.days_left)).then(|| {
        Observation::new(Signal::CertExpiresSoon)
            .at(Stage::TlsHandshake)
            .with_detail(format!(
                "expires {} ({} days left; --cert-warn {warn_days})",
                cert.not_after, cert.days_left
            ))
    })
}

/// Observations of one probe, with discovery's context added to DNS
/// failures and the certificate judged by `--cert-warn`.
fn observe(
    r: &ProbeReport,
    c: &Candidate,
    discovery: Option<&Discovery>,
    cert_warn_days: i64,
) -> Vec<Observation> {
    let mut observations = crate::diagnose::observe(r);
    observations.retain(|o| o.signal != Signal::CertExpiresSoon);
    observations.extend(cert_expiry(r, cert_warn_days));
    if c.source == Source::Guess {
        for o in &mut observations {
            if matches!(
                o.signal,
                Signal::DnsNotFound | Signal::DnsFailure | Signal::DnsNoRecords
            ) {
                let mut detail = format!(
                    "{} was a guess from the address's domain; pass --host",
                    r.endpoint.host
                );
                if let Some(d) = discovery.filter(|d| d.domain_missing) {
                    detail = format!(
                        "the domain {} itself does not exist in DNS (NXDOMAIN): check the address; {detail}",
                        d.domain
                    );
                }
                o.detail = Some(detail);
            }
        }
    }
    observations
}

/// The candidates of a plan: `--host` alone (with its warnings), or discovery.
async fn plan_candidates(
    plan: &CheckPlan,
    dns: &dyn Dns,
) -> (Vec<Candidate>, Option<Discovery>, Vec<Observation>) {
    let Some(domain) = &plan.domain else {
        let given = Candidate {
            endpoint: plan.endpoint.clone(),
            source: Source::Given,
            detail: "--host".into(),
            hints: Default::default(),
        };
        return (vec![given], None, hostcheck::check(&plan.endpoint));
    };
    let mut d = discovery::candidates_with(
        domain,
        plan.target.address.as_deref(),
        plan.overrides,
        dns,
        plan.web.as_ref(),
    )
    .await;
    if plan.source != Source::Guess && d.candidates.iter().all(|c| c.source == Source::Guess) {
        // The plan knew better without DNS (`--oauth microsoft` for a custom domain).
        d.candidates = vec![Candidate {
            endpoint: plan.endpoint.clone(),
            source: plan.source,
            detail: "Microsoft 365 (--oauth microsoft)".into(),
            hints: Default::default(),
        }];
    }
    let warnings = d.observations.clone();
    (d.candidates.clone(), Some(d), warnings)
}

/// One check under way: discovery done, candidates probed one at a time.
///
/// [`check_plan`] drives it straight through; batch runs drive it themselves,
/// so that they can wait for the slot of the endpoint each probe is about to
/// connect to (src/batch/schedule.rs).
pub(crate) struct Checking {
    plan: CheckPlan,
    candidates: Vec<Candidate>,
    discovery: Option<Discovery>,
    warnings: Vec<Observation>,
    reports: Vec<EndpointResult>,
    observations: Vec<Vec<Observation>>,
    next: usize,
    stopped: bool,
    /// Time spent discovering and probing (not waiting for a batch slot).
    busy: Duration,
    /// The control lookup of [`CONTROL_NAME`], once asked: `Some(why)` when
    /// it failed too (resolution is broken).
    control: Option<Option<String>>,
}

/// A name that resolves wherever DNS works (the provider table's Gmail
/// host): when it fails too, the failure is the resolver's, not a typo.
pub(crate) const CONTROL_NAME: &str = "smtp.gmail.com";

impl Checking {
    /// Finds the candidates (discovery without `--host`).
    pub(crate) async fn discover(plan: CheckPlan, dns: &dyn Dns) -> Checking {
        let started = Instant::now();
        let (candidates, discovery, warnings) = plan_candidates(&plan, dns).await;
        Checking {
            plan,
            candidates,
            discovery,
            warnings,
            reports: Vec::new(),
            observations: Vec::new(),
            next: 0,
            stopped: false,
            busy: started.elapsed(),
            control: None,
        }
    }

    /// [`Checking::discover`] for one check, with the candidate known
    /// without DNS (the provider table's, or `--oauth microsoft`'s) probed
    /// while the SRV and MX lookups run: it is probed first anyway, and a
    /// silent DNS server then costs one resolve deadline, not two.
    pub(crate) async fn discover_probing_known(
        plan: CheckPlan,
        options: &ProbeOptions,
    ) -> Checking {
        let known = plan.domain.is_some() && plan.source == Source::ProviderTable && !plan.dry_run;
        if !known {
            let mut checking = Checking::discover(plan, options.dns.as_ref()).await;
            let only_guesses = checking.candidates.len() > 1
                && checking
                    .candidates
                    .iter()
                    .all(|c| c.source == Source::Guess);
            // After a DNS timeout the guesses would only time out again.
            let dns_answered = checking
                .discovery
                .as_ref()
                .is_none_or(|d| d.timed_out().next().is_none());
            if only_guesses && dns_answered && !checking.plan.dry_run {
                let started = Instant::now();
                let notes = super::guess::rank(&mut checking.candidates, options).await;
                if let Some(d) = checking.discovery.as_mut() {
                    d.candidates = checking.candidates.clone();
                    d.notes.extend(notes);
                }
                checking.busy += started.elapsed();
            }
            return checking;
        }
        let started = Instant::now();
        let endpoint = plan.endpoint.clone();
        let (found, first) = tokio::join!(
            plan_candidates(&plan, options.dns.as_ref()),
            probe::probe(&endpoint, options)
        );
        let (candidates, discovery, warnings) = found;
        let mut checking = Checking {
            plan,
            candidates,
            discovery,
            warnings,
            reports: Vec::new(),
            observations: Vec::new(),
            next: 0,
            stopped: false,
            busy: Duration::ZERO,
            control: None,
        };
        // Discovery lists the table's candidate first; if it did not (it
        // cannot today), the early probe is dropped and the order kept.
        if checking.candidates.first().map(|c| &c.endpoint) == Some(&endpoint) {
            checking.next = 1;
            checking.record(0, first, options.dns.as_ref()).await;
        }
        checking.busy = started.elapsed();
        checking
    }

    /// The endpoint the next probe connects to, or `None` when the check is
    /// done: `--dry-run`, no candidates left, an earlier one answered AUTH
    /// (without `--all`), or the resolver timed out (the rest would too:
    /// an earlier probe's resolve, or every one of discovery's lookups).
    pub(crate) fn next_endpoint(&self) -> Option<&Endpoint> {
        if self.stopped || self.plan.dry_run {
            return None;
        }
        let c = self.candidates.get(self.next)?;
        let needs_dns = !probe::is_ip_literal(&c.endpoint.host);
        if needs_dns && (self.reports.iter().any(|r| dns_timed_out(&r.probe)) || self.dns_silent())
        {
            return None;
        }
        Some(&c.endpoint)
    }

    /// Every discovery lookup went unanswered: the DNS server is silent.
    fn dns_silent(&self) -> bool {
        self.discovery
            .as_ref()
            .is_some_and(|d| !d.lookups.is_empty() && d.lookups.len() == d.timed_out().count())
    }

    /// `Some(why)` when name resolution itself is broken: a name that must
    /// exist ([`CONTROL_NAME`]) does not resolve either. Asked once per check,
    /// and only after a lookup failed with an answer (NXDOMAIN, SERVFAIL…),
    /// so it never waits on a silent server.
    async fn resolution_broken(&mut self, dns: &dyn Dns) -> Option<String> {
        if self.control.is_none() {
            let answer = dns.ipv4(CONTROL_NAME).await;
            self.control = Some(answer.err().map(|e| {
                format!(
                    "{CONTROL_NAME}, which exists, does not resolve either ({} {})",
                    e.rtype, e.message
                )
            }));
        }
        self.control.clone().flatten()
    }

    /// Diagnoses the probe of candidate `index` and adds it to the results.
    async fn record(&mut self, index: usize, r: ProbeReport, dns: &dyn Dns) -> Category {
        let c = self.candidates[index].clone();
        let mut obs = observe(&r, &c, self.discovery.as_ref(), self.plan.cert_warn_days);
        if let Outcome::Failed(ProbeError::Resolve { failure, host, .. }) = &r.outcome {
            if *failure != DnsFailure::Timeout {
                // Only a name the user typed (or DNS handed out) can be
                // misspelt; a provider-table host exists, so its failure
                // means the resolver is broken, and a user's name is
                // checked against a control name before "check the spelling".
                let broken = match c.source {
                    Source::ProviderTable | Source::MxProvider => Some(format!(
                        "{host} is a submission host from smtp-doctor's provider table, so it exists"
                    )),
                    _ => self.resolution_broken(dns).await,
                };
                if let Some(why) = broken {
                    for o in &mut obs {
                        if matches!(
                            o.signal,
                            Signal::DnsNotFound
                                | Signal::DnsNoRecords
                                | Signal::DnsServFail
                                | Signal::DnsFailure
                        ) {
                            o.signal = Signal::DnsResolverBroken;
                            o.detail = Some(why.clone());
                        }
                    }
                }
            }
        }
        let diagnoses = classify(&obs);
        let category = primary_category(&diagnoses);
        if answered_auth(&r) && !self.plan.all {
            self.stopped = true;
        }
        self.reports.push(EndpointResult {
            candidate: c,
            probe: r,
            diagnoses,
            category,
        });
        self.observations.push(obs);
        category
    }

    /// Probes [`Checking::next_endpoint`]; returns that endpoint's category
    /// (`None` when the check was already done).
    pub(crate) async fn probe_next(&mut self, options: &ProbeOptions) -> Option<Category> {
        self.next_endpoint()?;
        let started = Instant::now();
        let index = self.next;
        self.next += 1;
        let r = probe::probe(&self.candidates[index].endpoint, options).await;
        let category = self.record(index, r, options.dns.as_ref()).await;
        self.busy += started.elapsed();
        Some(category)
    }

    /// The evidence of the last probe's primary diagnosis (the reply that
    /// decided it), for batch back-off messages.
    pub(crate) fn last_evidence(&self) -> Option<String> {
        self.reports.last()?.diagnoses.first()?.evidence.clone()
    }

    /// The verdict: the best endpoint's diagnoses plus discovery's warnings;
    /// also the time spent discovering and probing.
    pub(crate) fn finish(self, verbose: bool) -> (Report, Duration) {
        let best = self
            .reports
            .iter()
            .enumerate()
            .min_by_key(|(i, r)| (closeness(r.category), *i))
            .map(|(i, _)| i);
        let mut all = best
            .map(|i| self.observations[i].clone())
            .unwrap_or_default();
        if let Some(d) = &self.discovery {
            let unanswered: Vec<String> = d
                .timed_out()
                .map(|l| format!("{} {}", l.name, l.rtype))
                .collect();
            if !unanswered.is_empty() {
                let list = unanswered.join(", ");
                match all.iter_mut().find(|o| o.signal == Signal::DnsTimeout) {
                    // Name every lookup that timed out, not only the probe's.
                    Some(o) => {
                        let mut detail = o.detail.take().unwrap_or_default();
                        if !detail.is_empty() {
                            detail.push_str("; ");
                        }
                        detail.push_str(&format!("discovery's lookups unanswered too: {list}"));
                        o.detail = Some(detail);
                    }
                    // Nothing was probed because the DNS server is silent:
                    // that is the verdict, never an empty (ok) report.
                    None if best.is_none() && !self.plan.dry_run => {
                        let evidence = d
                            .timed_out()
                            .next()
                            .map(|l| format!("{} {}: {}", l.name, l.rtype, l.result));
                        let mut o = Observation::new(Signal::DnsTimeout)
                            .at(Stage::Resolve)
                            .with_detail(format!(
                                "no answer to {list}; the candidates were not probed, their names would need the same server"
                            ));
                        o.evidence = evidence;
                        all.push(o);
                    }
                    None => {}
                }
            }
        }
        all.extend(self.warnings);
        let diagnoses = classify(&all);
        let category = primary_category(&diagnoses);
        let report = Report {
            target: Some(self.plan.target),
            endpoints: Some(self.reports),
            discovery: self.discovery,
            diagnoses,
            category,
            verbose,
            suggested_settings: None,
            other_addresses: Vec::new(),
        };
        (report, self.busy)
    }
}

/// Discovers (without `--host`), probes the candidates in order and
/// diagnoses the best endpoint; also returns the time the check took.
pub(crate) async fn check_plan(
    plan: CheckPlan,
    options: &ProbeOptions,
    verbose: bool,
) -> (Report, Duration) {
    let mut checking = Checking::discover_probing_known(plan, options).await;
    while checking.probe_next(options).await.is_some() {}
    checking.finish(verbose)
}
