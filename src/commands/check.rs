//! `smtp-doctor check`: plan, discover candidates, load the secret, probe
//! them in order, diagnose, render.
//!
//! Candidates are probed in discovery order until one authenticates or takes
//! the secret (the server answered AUTH): the same secret is never sent to a
//! second endpoint unless `--all` asks for it (no lockouts). The report's
//! verdict is that of the best endpoint (see [`closeness`]).

use super::write_stdout;
use crate::cli::{CheckArgs, CheckFormat, ColorArg, MechanismArg, OAuthProvider, TlsArg};
use crate::diagnose::{classify, primary_category, Category, Observation, Signal};
use crate::discovery::{hostcheck, Candidate, Discovery, Overrides, Source};
use crate::endpoint::{Endpoint, TlsMode};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::net::dns::{Dns, HickoryDns};
use crate::net::tls::TrustAnchors;
use crate::net::{DnsFailure, ProbeError};
use crate::oauth::{device, lint};
use crate::probe::{self, Outcome, ProbeOptions, ProbeReport};
use crate::render::{json, nagios, text};
use crate::report::{EndpointResult, Report, Target};
use crate::secret::Credential;
use crate::smtp::sasl::Mechanism;
use crate::{credentials, discovery};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Default deadline of each stage.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default deadline of the AUTH stage: Dovecot delays each failure by 2 s and
/// its anvil penalty grows to 15 s for repeated failures from one address, so
/// a wrong password must not turn into a timeout.
pub const DEFAULT_AUTH_TIMEOUT: Duration = Duration::from_secs(16);

/// Microsoft 365's submission host, for `--oauth microsoft` addresses the
/// provider table does not know (custom domains of Exchange Online tenants).
pub const MICROSOFT_365_HOST: &str = "smtp.office365.com";

/// The endpoint, user and options a `check` runs with.
pub struct CheckPlan {
    /// `--host`; without it the first candidate known without DNS (provider
    /// table, `--oauth microsoft`, else the guess `smtp.<domain>`), which
    /// discovery replaces. Batch files name accounts by it (one per user and
    /// host); batch limits key on the endpoint actually probed instead.
    pub endpoint: Endpoint,
    pub target: Target,
    pub source: discovery::Source,
    pub mechanism: Option<Mechanism>,
    /// No `--host`: the address's domain, where discovery starts.
    pub domain: Option<String>,
    /// `--port` / `--tls` for discovered candidates.
    pub overrides: Overrides,
    /// `--all`: probe every candidate.
    pub all: bool,
    /// `--dry-run`: discover, connect to nothing.
    pub dry_run: bool,
}

/// Validates the `check` arguments into a plan (no I/O).
pub fn plan_check(args: &CheckArgs) -> Result<CheckPlan, Error> {
    if let Some(a) = &args.address {
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
    let tls = args.tls.map(|t| match t {
        TlsArg::Starttls => TlsMode::StartTls,
        TlsArg::Implicit => TlsMode::Implicit,
        TlsArg::None => TlsMode::None,
    });
    let mut domain_to_discover = None;
    let (endpoint, source) = match (&args.host, &args.address) {
        (Some(host), _) => {
            let host = host.trim();
            if host.is_empty() {
                return Err(Error::usage("--host is empty"));
            }
            let tls = tls.unwrap_or_else(|| args.port.map_or(TlsMode::StartTls, discovery::default_tls));
            let port = args.port.unwrap_or_else(|| discovery::default_port(tls));
            let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
            (Endpoint { host, port, tls }, discovery::Source::Given)
        }
        (None, Some(address)) => {
            let domain = address.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
            domain_to_discover = Some(domain.trim_end_matches('.').to_ascii_lowercase());
            match discovery::candidate(domain, args.port, tls) {
                (_, discovery::Source::Guess) if args.oauth == Some(OAuthProvider::Microsoft) => {
                    let tls = tls.unwrap_or_else(|| args.port.map_or(TlsMode::StartTls, discovery::default_tls));
                    let endpoint = Endpoint {
                        host: MICROSOFT_365_HOST.into(),
                        port: args.port.unwrap_or_else(|| discovery::default_port(tls)),
                        tls,
                    };
                    (endpoint, discovery::Source::ProviderTable)
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
    let mechanism = match args.mechanism {
        MechanismArg::Auto => None,
        MechanismArg::Plain => Some(Mechanism::Plain),
        MechanismArg::Login => Some(Mechanism::Login),
        MechanismArg::CramMd5 => Some(Mechanism::CramMd5),
        MechanismArg::Xoauth2 => Some(Mechanism::XOAuth2),
        MechanismArg::Oauthbearer => Some(Mechanism::OAuthBearer),
    };
    let mechanism = match (args.oauth, mechanism) {
        (None, m) => m,
        (Some(_), None) => Some(Mechanism::XOAuth2),
        (Some(_), Some(m)) if m.uses_token() => Some(m),
        (Some(_), Some(m)) => {
            return Err(Error::usage(format!(
                "--oauth logs in with a token: --mechanism {m} takes a password (use XOAUTH2 or OAUTHBEARER)"
            )))
        }
    };
    let user = args.user.clone().or_else(|| args.address.clone());
    Ok(CheckPlan {
        endpoint,
        target: Target {
            address: args.address.clone(),
            user,
        },
        source,
        mechanism,
        domain: domain_to_discover,
        overrides: Overrides {
            port: args.port,
            tls,
        },
        all: args.all,
        dry_run: args.dry_run,
    })
}

/// The trust anchors of `--cafile`, or the built-in roots.
pub fn trust_anchors(args: &CheckArgs) -> Result<TrustAnchors, Error> {
    match &args.cafile {
        Some(path) => TrustAnchors::from_pem_file(path).map_err(Error::usage),
        None => Ok(TrustAnchors::webpki()),
    }
}

/// The probe options for `plan` with this credential (deadlines from `--timeout`).
pub fn probe_options(
    args: &CheckArgs,
    plan: &CheckPlan,
    credential: Option<Credential>,
    anchors: TrustAnchors,
) -> ProbeOptions {
    ProbeOptions {
        user: plan.target.user.clone(),
        credential,
        mechanism: plan.mechanism,
        anchors,
        timeout: args
            .timeout
            .map_or(DEFAULT_TIMEOUT, Duration::from_secs_f64),
        auth_timeout: args
            .timeout
            .map_or(DEFAULT_AUTH_TIMEOUT, Duration::from_secs_f64),
        ehlo_name: args.ehlo_name.clone(),
        dns: dns(args),
    }
}

/// The resolver: `--dns-server` only, else the system configuration.
pub fn dns(args: &CheckArgs) -> Arc<dyn Dns> {
    let timeout = args
        .timeout
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs_f64);
    match args.dns_server {
        Some(addr) => Arc::new(HickoryDns::server(addr, timeout)),
        None => Arc::new(HickoryDns::system(timeout)),
    }
}

pub use crate::report::closeness;

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

/// Observations of one probe, with discovery's context added to DNS failures.
fn observe(r: &ProbeReport, c: &Candidate, discovery: Option<&Discovery>) -> Vec<Observation> {
    let mut observations = crate::diagnose::observe(r);
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
        };
        return (vec![given], None, hostcheck::check(&plan.endpoint));
    };
    let mut d = discovery::candidates(domain, plan.overrides, dns).await;
    if plan.source != Source::Guess && d.candidates.iter().all(|c| c.source == Source::Guess) {
        // The plan knew better without DNS (`--oauth microsoft` for a custom domain).
        d.candidates = vec![Candidate {
            endpoint: plan.endpoint.clone(),
            source: plan.source,
            detail: "Microsoft 365 (--oauth microsoft)".into(),
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
pub struct Checking {
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
}

impl Checking {
    /// Finds the candidates (discovery without `--host`).
    pub async fn discover(plan: CheckPlan, dns: &dyn Dns) -> Checking {
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
        }
    }

    /// The endpoint the next probe connects to, or `None` when the check is
    /// done: `--dry-run`, no candidates left, an earlier one answered AUTH
    /// (without `--all`), or the resolver timed out (the rest would too).
    pub fn next_endpoint(&self) -> Option<&Endpoint> {
        if self.stopped || self.plan.dry_run {
            return None;
        }
        let c = self.candidates.get(self.next)?;
        let needs_dns = !probe::is_ip_literal(&c.endpoint.host);
        if needs_dns && self.reports.iter().any(|r| dns_timed_out(&r.probe)) {
            return None;
        }
        Some(&c.endpoint)
    }

    /// Probes [`Checking::next_endpoint`]; returns that endpoint's category
    /// (`None` when the check was already done).
    pub async fn probe_next(&mut self, options: &ProbeOptions) -> Option<Category> {
        self.next_endpoint()?;
        let started = Instant::now();
        let c = &self.candidates[self.next];
        self.next += 1;
        let r = probe::probe(&c.endpoint, options).await;
        let obs = observe(&r, c, self.discovery.as_ref());
        let diagnoses = classify(&obs);
        let category = primary_category(&diagnoses);
        if answered_auth(&r) && !self.plan.all {
            self.stopped = true;
        }
        self.reports.push(EndpointResult {
            candidate: c.clone(),
            probe: r,
            diagnoses,
            category,
        });
        self.observations.push(obs);
        self.busy += started.elapsed();
        Some(category)
    }

    /// The evidence of the last probe's primary diagnosis (the reply that
    /// decided it), for batch back-off messages.
    pub fn last_evidence(&self) -> Option<String> {
        self.reports.last()?.diagnoses.first()?.evidence.clone()
    }

    /// How many endpoints were probed so far.
    pub fn probed(&self) -> usize {
        self.reports.len()
    }

    /// The verdict: the best endpoint's diagnoses plus discovery's warnings;
    /// also the time spent discovering and probing.
    pub fn finish(self, verbose: bool) -> (Report, Duration) {
        let best = self
            .reports
            .iter()
            .enumerate()
            .min_by_key(|(i, r)| (closeness(r.category), *i))
            .map(|(i, _)| i);
        let mut all = best
            .map(|i| self.observations[i].clone())
            .unwrap_or_default();
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
        };
        (report, self.busy)
    }
}

/// Discovers (without `--host`), probes the candidates in order and
/// diagnoses the best endpoint; also returns the time the check took.
pub async fn check_plan(
    plan: CheckPlan,
    options: &ProbeOptions,
    verbose: bool,
) -> (Report, Duration) {
    let mut checking = Checking::discover(plan, options.dns.as_ref()).await;
    while checking.probe_next(options).await.is_some() {}
    checking.finish(verbose)
}

/// The `--cert-warn` / `--cert-crit` thresholds.
pub fn thresholds(args: &CheckArgs) -> Result<nagios::Thresholds, Error> {
    if args.cert_crit > args.cert_warn {
        return Err(Error::usage(format!(
            "--cert-crit {} is more than --cert-warn {}",
            args.cert_crit, args.cert_warn
        )));
    }
    Ok(nagios::Thresholds {
        warn_days: args.cert_warn,
        crit_days: args.cert_crit,
    })
}

/// Writes one check's report in the `--format` asked for; returns the exit
/// status (`--expect` applied; a plugin state for `--format nagios`).
fn emit(
    report: &Report,
    args: &CheckArgs,
    elapsed: Duration,
    color: ColorArg,
) -> Result<ExitStatus, Error> {
    let th = thresholds(args)?;
    let mut buf = Vec::new();
    let status = match args.output_format() {
        CheckFormat::Nagios => ExitStatus::Plugin(nagios::render_check(
            report,
            args.expect,
            elapsed,
            th,
            &mut buf,
        )?),
        CheckFormat::Json => {
            json::render_expecting(report, args.expect, true, &mut buf)?;
            report.exit_status_expecting(args.expect)
        }
        CheckFormat::Text => {
            text::render(report, true, &mut buf)?;
            let status = report.exit_status_expecting(args.expect);
            if let Some(e) = args.expect {
                let verdict = if e == report.category {
                    "met"
                } else {
                    "NOT met"
                };
                writeln!(buf, "expect: {e}: {verdict} (exit {})", status.code())?;
            }
            status
        }
    };
    write_stdout(&buf, color)?;
    Ok(status)
}

pub fn run(args: &CheckArgs, color: ColorArg) -> Result<ExitStatus, Error> {
    if args.batch.is_some() {
        return crate::batch::run(args, color);
    }
    thresholds(args)?;
    let plan = plan_check(args)?;
    let anchors = trust_anchors(args)?;
    let flow = match (args.oauth, &args.client_id) {
        (Some(OAuthProvider::Microsoft), Some(client_id)) if !args.dry_run => {
            if plan.target.user.is_none() {
                return Err(Error::usage_hint(
                    "--oauth needs the user name the token is for",
                    "pass the ADDRESS or --user",
                ));
            }
            Some(
                device::FlowConfig::new(
                    args.authority.as_deref(),
                    args.tenant.as_deref(),
                    client_id,
                )
                .map_err(Error::usage)?,
            )
        }
        _ => None,
    };
    let credential = match &flow {
        _ if args.dry_run => None,
        Some(flow) => match sign_in(flow) {
            Ok(token) => Some(Credential::Token(token)),
            Err(diagnosis) => {
                // No token, so no SMTP session: the sign-in failure is the result.
                let report = Report {
                    category: primary_category(std::slice::from_ref(&diagnosis)),
                    target: Some(plan.target),
                    endpoints: Some(Vec::new()),
                    discovery: None,
                    diagnoses: vec![*diagnosis],
                    verbose: args.verbose,
                };
                return emit(&report, args, Duration::ZERO, color);
            }
        },
        None => credentials::load(&credentials::Sources {
            password_file: args.password_file.as_deref(),
            password_stdin: args.password_stdin,
            token_file: args.token_file.as_deref(),
            token_stdin: args.token_stdin,
            prompt_for: plan.target.user.as_deref(),
            wants_token: plan.mechanism.is_some_and(Mechanism::uses_token),
        })?,
    };
    let oauth_token = match (&flow, &credential) {
        (Some(_), Some(Credential::Token(t))) => Some(t.clone()),
        _ => None,
    };
    if credential.is_some() && plan.target.user.is_none() {
        return Err(Error::usage_hint(
            "a secret was given but no user name",
            "pass the ADDRESS or --user",
        ));
    }
    if args.tls == Some(TlsArg::Implicit) && plan.endpoint.port == 587 {
        eprintln!("warning: port 587 normally uses STARTTLS, not implicit TLS (use --tls starttls or port 465)");
    }
    let options = probe_options(args, &plan, credential, anchors);
    let user = plan.target.user.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Output)?;
    let (mut report, elapsed) = runtime.block_on(check_plan(plan, &options, args.verbose));
    if let (Some(token), false) = (
        &oauth_token,
        report.category == crate::diagnose::Category::Ok,
    ) {
        // The server refused the token we just got: say what the token says,
        // after the server's own verdict (which stays the primary diagnosis).
        report
            .diagnoses
            .extend(lint::lint(token, user.as_deref(), lint::unix_now()));
        report.diagnoses.sort_by_key(|d| d.severity);
    }
    emit(&report, args, elapsed, color)
}

/// Runs the device-code flow, talking to the user on stderr (stdout is the report).
fn sign_in(
    flow: &device::FlowConfig,
) -> Result<crate::secret::Secret, Box<crate::diagnose::Diagnosis>> {
    let mut prompt = |p: &device::Prompt| {
        eprintln!(
            "To sign in, open {} in a browser and enter the code {} (it expires in {} min).",
            p.verification_uri,
            p.user_code,
            p.expires_in.div_ceil(60)
        );
        eprintln!(
            "Waiting for the sign-in; the token is used for this check only and never stored…"
        );
    };
    let token = device::sign_in(flow, &mut device::RealPacer, &mut prompt)?;
    eprintln!("Signed in; checking the SMTP login with XOAUTH2.");
    Ok(token)
}
