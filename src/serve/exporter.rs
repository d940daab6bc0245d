//! The exporter's accounts: cached results, one check in flight per account,
//! a minimum interval between real logins, bounded concurrency, back-off,
//! and the Prometheus text exposition of a result.
//!
//! Prometheus scrapes every 15–60 s; a mailbox logged into that often gets
//! locked (Microsoft's smart lockout, fail2ban, Dovecot's anvil). So a scrape
//! only starts a real check when the account's last one is older than its
//! `min_interval`; every other scrape is answered from the cache, with
//! `smtp_doctor_probe_age_seconds`. A check runs in its own task holding the
//! account's check lock, so a scraper that gives up (its scrape timeout) does
//! not cancel it half-way through AUTH. Only the very first scrape of an
//! account waits for a login; once there is a result, a scrape that finds a
//! re-check due starts it in the background and is answered from the cache
//! at once (stale-while-revalidate), so a slow AUTH (Dovecot delays a failed
//! one by seconds) never times a scrape out and never makes a series stale.

use super::config::{Account, ServeConfig};
use crate::batch::schedule::backs_off;
use crate::check::{check_plan, plan_check, probe_options, trust_anchors, CheckPlan};
use crate::diagnose::{Category, Diagnosis, Severity};
use crate::error::Error;
use crate::probe::ProbeOptions;
use crate::report::Report;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;

/// The longest a host is left alone after a rate-limit or temporary failure.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// One finished check, as scrapes see it.
pub(crate) struct Cached {
    pub(crate) report: Report,
    pub(crate) elapsed: Duration,
    /// When the check finished.
    pub(crate) at: Instant,
    /// No real check of this account before this instant.
    pub(crate) next_check: Instant,
    /// True when no login was tried: the host was backed off.
    pub(crate) skipped: bool,
}

/// One configured account and its cache.
struct AccountState {
    account: Account,
    plan: CheckPlan,
    options: ProbeOptions,
    /// The last result; read and replaced, never held across a check.
    last: Mutex<Option<Arc<Cached>>>,
    /// Held for the whole of a check: one login in flight per account.
    checking: tokio::sync::Mutex<()>,
    /// Back-offs in a row (rate-limited / temporary failure).
    strikes: Mutex<u32>,
}

/// Counters about the exporter itself (`GET /metrics`).
#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) scrapes: AtomicU64,
    pub(crate) checks: AtomicU64,
    pub(crate) check_failures: AtomicU64,
    pub(crate) cache_hits: AtomicU64,
    pub(crate) backed_off: AtomicU64,
    pub(crate) unknown_targets: AtomicU64,
    pub(crate) explains: AtomicU64,
    pub(crate) http_errors: AtomicU64,
    pub(crate) in_flight: AtomicU64,
}

/// All accounts, the concurrency bound and the per-host back-offs.
pub(crate) struct Exporter {
    accounts: BTreeMap<String, Arc<AccountState>>,
    permits: Semaphore,
    /// Endpoint (host:port) → no login there before this instant. Internal
    /// only: a host name is never a label.
    hosts: Mutex<HashMap<String, Instant>>,
    pub(crate) stats: Stats,
    pub(crate) header_timeout: Duration,
    pub(crate) body_timeout: Duration,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Exporter {
    /// Plans every account now (trust anchors read, addresses checked), so a
    /// broken config fails at start, not at the first scrape.
    pub(crate) fn new(config: ServeConfig) -> Result<Exporter, Error> {
        let mut accounts = BTreeMap::new();
        for (name, account) in config.accounts {
            let plan = plan_check(&account.check)?;
            let anchors = trust_anchors(&account.check)?;
            let options = probe_options(
                &account.check,
                &plan,
                Some(account.credential.clone()),
                anchors,
            );
            accounts.insert(
                name,
                Arc::new(AccountState {
                    account,
                    plan,
                    options,
                    last: Mutex::new(None),
                    checking: tokio::sync::Mutex::new(()),
                    strikes: Mutex::new(0),
                }),
            );
        }
        Ok(Exporter {
            accounts,
            permits: Semaphore::new(config.max_concurrent_checks),
            hosts: Mutex::new(HashMap::new()),
            stats: Stats::default(),
            header_timeout: config.header_timeout,
            body_timeout: config.body_timeout,
        })
    }

    pub(crate) fn has(&self, target: &str) -> bool {
        self.accounts.contains_key(target)
    }

    pub(crate) fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// The result for `target` (a configured account): cached while fresh;
    /// the last result while a due re-check runs behind it; one real check
    /// when there is no result yet. `None` for an unknown target (nothing
    /// probed).
    pub(crate) async fn probe(self: &Arc<Self>, target: &str) -> Option<Arc<Cached>> {
        let state = self.accounts.get(target)?.clone();
        self.stats.scrapes.fetch_add(1, Ordering::Relaxed);
        let last = lock(&state.last).clone();
        if let Some(c) = last {
            self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
            if Instant::now() >= c.next_check && state.checking.try_lock().is_ok() {
                // Due, and no check in flight (a racing scrape that also
                // passes this test finds the result fresh under the lock).
                let me = self.clone();
                tokio::spawn(async move { me.result(&state).await });
            }
            return Some(c);
        }
        let me = self.clone();
        // Its own task: a scraper hanging up must not cancel a login half-way.
        let task = tokio::spawn(async move { me.result(&state).await });
        task.await.ok()
    }

    /// A real check of `state`'s account unless the last result is fresh or
    /// its host is backed off; waits for a check already in flight.
    async fn result(&self, state: &AccountState) -> Arc<Cached> {
        let _checking = state.checking.lock().await;
        let last = lock(&state.last).clone();
        let now = Instant::now();
        if let Some(c) = last.as_ref() {
            if now < c.next_check {
                // Another scrape's check finished while this one waited.
                self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
                return c.clone();
            }
        }
        let host = host_key(state, last.as_deref());
        let until = lock(&self.hosts).get(&host).copied();
        if let Some(until) = until.filter(|u| now < *u) {
            self.stats.backed_off.fetch_add(1, Ordering::Relaxed);
            let cached = Arc::new(match last.as_ref() {
                // The last real result stays the answer; only its age grows.
                Some(c) => Cached {
                    report: c.report.clone(),
                    elapsed: c.elapsed,
                    at: c.at,
                    next_check: until,
                    skipped: c.skipped,
                },
                None => skipped(state, until, now),
            });
            *lock(&state.last) = Some(cached.clone());
            return cached;
        }
        let _permit = self.permits.acquire().await;
        self.stats.in_flight.fetch_add(1, Ordering::Relaxed);
        self.stats.checks.fetch_add(1, Ordering::Relaxed);
        let (report, elapsed) = check_plan(state.plan.clone(), &state.options, false).await;
        self.stats.in_flight.fetch_sub(1, Ordering::Relaxed);
        let at = Instant::now();
        if report.category != Category::Ok {
            self.stats.check_failures.fetch_add(1, Ordering::Relaxed);
        }
        let interval = state.account.min_interval;
        let mut next_check = at + interval;
        {
            let mut strikes = lock(&state.strikes);
            if backs_off(report.category) {
                *strikes += 1;
                let wait = interval
                    .saturating_mul(1 << (*strikes).min(10))
                    .min(MAX_BACKOFF.max(interval));
                next_check = at + wait;
                let key = endpoint_key(&report).unwrap_or(host.clone());
                lock(&self.hosts).insert(key, next_check);
            } else {
                *strikes = 0;
            }
        }
        eprintln!(
            "serve: checked account {}: {} in {:.1} s{}",
            state.account.name,
            report.category,
            elapsed.as_secs_f64(),
            if next_check > at + interval {
                " (backing off)"
            } else {
                ""
            }
        );
        let cached = Arc::new(Cached {
            report,
            elapsed,
            at,
            next_check,
            skipped: false,
        });
        *lock(&state.last) = Some(cached.clone());
        cached
    }
}

/// Where an account's logins go: the endpoint of its last check, else its
/// configured host (discovery finds the rest on the first check).
fn host_key(state: &AccountState, last: Option<&Cached>) -> String {
    last.and_then(|c| endpoint_key(&c.report))
        .unwrap_or_else(|| format!("{}:{}", state.plan.endpoint.host, state.plan.endpoint.port))
}

fn endpoint_key(report: &Report) -> Option<String> {
    let e = &report.best_endpoint()?.candidate.endpoint;
    Some(format!("{}:{}", e.host, e.port))
}

/// The answer for an account whose host another account's check backed off.
fn skipped(state: &AccountState, until: Instant, now: Instant) -> Cached {
    let d = Diagnosis {
        id: "serve-host-backed-off",
        category: Category::RateLimited,
        severity: Severity::Error,
        stage: None,
        summary: format!(
            "Not checked: the server of this account answered rate-limited or a temporary failure to another account's check; next try in {} s",
            until.saturating_duration_since(now).as_secs()
        ),
        detail: None,
        remediation: "Wait for the back-off to end; if it keeps happening, raise min_interval for the accounts on this server.".into(),
        reference: None,
        evidence: None,
        rank: usize::MAX,
        alternatives: Vec::new(),
        line: None,
    };
    Cached {
        report: Report {
            target: Some(state.plan.target.clone()),
            endpoints: Some(Vec::new()),
            discovery: None,
            category: d.category,
            diagnoses: vec![d],
            verbose: false,
            suggested_settings: None,
            other_addresses: Vec::new(),
        },
        elapsed: Duration::ZERO,
        at: now,
        next_check: until,
        skipped: true,
    }
}

/// A label value, escaped as the exposition format asks (`\`, `"`, newline).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Seconds since the epoch of an RFC 3339 UTC date (`2026-11-25T10:00:00Z`),
/// the form `CertificateSummary::not_after` is written in.
fn unix_seconds(rfc3339: &str) -> Option<i64> {
    let b = rfc3339.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| rfc3339.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    // Days from civil (H. Hinnant), the inverse of timefmt::rfc3339.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// The Prometheus text exposition of one account's (possibly cached) result.
/// Every label value comes from a fixed vocabulary (stage, category,
/// diagnosis id, mechanism): never a host, an address, a secret or a token.
pub(crate) fn probe_metrics(c: &Cached, now: Instant) -> String {
    let r = &c.report;
    let mut out = String::new();
    family(
        &mut out,
        "smtp_doctor_probe_success",
        "gauge",
        "1 when the last check of the account logged in (category ok), else 0.",
    );
    let _ = writeln!(
        out,
        "smtp_doctor_probe_success {}",
        u8::from(r.category == Category::Ok)
    );
    family(
        &mut out,
        "smtp_doctor_probe_duration_seconds",
        "gauge",
        "How long the last real check took.",
    );
    let _ = writeln!(
        out,
        "smtp_doctor_probe_duration_seconds {}",
        c.elapsed.as_secs_f64()
    );
    family(
        &mut out,
        "smtp_doctor_probe_age_seconds",
        "gauge",
        "Seconds since the last real check: scrapes within min_interval are answered from the cache.",
    );
    let _ = writeln!(
        out,
        "smtp_doctor_probe_age_seconds {}",
        now.saturating_duration_since(c.at).as_secs_f64()
    );
    family(
        &mut out,
        "smtp_doctor_exit_code",
        "gauge",
        "The exit code `smtp-doctor check` gives for this result (docs/exit-codes).",
    );
    let _ = writeln!(out, "smtp_doctor_exit_code {}", r.exit_status().code());
    let best = r.best_endpoint();
    let mut stages: BTreeMap<&'static str, u64> = BTreeMap::new();
    for s in best.map(|b| b.probe.stages.as_slice()).unwrap_or(&[]) {
        *stages.entry(s.stage.as_str()).or_default() += s.us;
    }
    family(
        &mut out,
        "smtp_doctor_stage_duration_seconds",
        "gauge",
        "Time spent in each stage of the last real check's session.",
    );
    for (stage, us) in &stages {
        let _ = writeln!(
            out,
            "smtp_doctor_stage_duration_seconds{{stage=\"{stage}\"}} {}",
            *us as f64 / 1e6
        );
    }
    family(
        &mut out,
        "smtp_doctor_diagnosis_info",
        "gauge",
        "The diagnoses of the last result, by category and catalogue id (value always 1).",
    );
    let diagnoses: BTreeSet<(String, &str)> = r
        .diagnoses
        .iter()
        .map(|d| (d.category.to_string(), d.id))
        .collect();
    for (category, id) in &diagnoses {
        let _ = writeln!(
            out,
            "smtp_doctor_diagnosis_info{{category=\"{}\",id=\"{}\"}} 1",
            label(category),
            label(id)
        );
    }
    let not_after = best
        .and_then(|b| b.probe.tls.as_ref())
        .and_then(|t| t.certificate.as_ref())
        .and_then(|cert| unix_seconds(&cert.not_after));
    family(
        &mut out,
        "smtp_doctor_tls_cert_not_after_seconds",
        "gauge",
        "Expiry of the server's certificate, in seconds since the epoch (absent without TLS).",
    );
    if let Some(t) = not_after {
        let _ = writeln!(out, "smtp_doctor_tls_cert_not_after_seconds {t}");
    }
    family(
        &mut out,
        "smtp_doctor_auth_mechanism_info",
        "gauge",
        "The SASL mechanism the last check authenticated with (value always 1).",
    );
    if let Some(m) = best.and_then(|b| b.probe.mechanism) {
        let _ = writeln!(
            out,
            "smtp_doctor_auth_mechanism_info{{mechanism=\"{}\"}} 1",
            m.name()
        );
    }
    out
}

/// `GET /metrics`: counters about the exporter itself.
pub(crate) fn self_metrics(e: &Exporter, started: SystemTime) -> String {
    let s = &e.stats;
    let mut out = String::new();
    let counters: [(&str, &AtomicU64, &str); 8] = [
        (
            "smtp_doctor_exporter_scrapes_total",
            &s.scrapes,
            "Probe requests for a configured account.",
        ),
        (
            "smtp_doctor_exporter_checks_total",
            &s.checks,
            "Real checks run (logins tried).",
        ),
        (
            "smtp_doctor_exporter_check_failures_total",
            &s.check_failures,
            "Real checks whose category was not ok.",
        ),
        (
            "smtp_doctor_exporter_cache_hits_total",
            &s.cache_hits,
            "Probe requests answered from the cache (within min_interval).",
        ),
        (
            "smtp_doctor_exporter_backed_off_total",
            &s.backed_off,
            "Probe requests answered without a check because the server was backed off.",
        ),
        (
            "smtp_doctor_exporter_unknown_targets_total",
            &s.unknown_targets,
            "Probe requests naming no configured account (404, nothing probed).",
        ),
        (
            "smtp_doctor_exporter_explain_requests_total",
            &s.explains,
            "POST /explain requests answered.",
        ),
        (
            "smtp_doctor_exporter_http_errors_total",
            &s.http_errors,
            "HTTP requests refused (bad request, too large, too slow, not found).",
        ),
    ];
    for (name, value, help) in counters {
        family(&mut out, name, "counter", help);
        let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
    }
    family(
        &mut out,
        "smtp_doctor_exporter_checks_in_flight",
        "gauge",
        "Real checks running now.",
    );
    let _ = writeln!(
        out,
        "smtp_doctor_exporter_checks_in_flight {}",
        s.in_flight.load(Ordering::Relaxed)
    );
    family(
        &mut out,
        "smtp_doctor_exporter_accounts",
        "gauge",
        "Accounts in the config.",
    );
    let _ = writeln!(out, "smtp_doctor_exporter_accounts {}", e.account_count());
    family(
        &mut out,
        "smtp_doctor_exporter_start_time_seconds",
        "gauge",
        "When the exporter started, in seconds since the epoch.",
    );
    let start = started
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let _ = writeln!(out, "smtp_doctor_exporter_start_time_seconds {start}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips() {
        for secs in [0, 951_782_400, 1_700_000_000, 4_102_444_800] {
            assert_eq!(unix_seconds(&crate::timefmt::rfc3339(secs)), Some(secs));
        }
        assert_eq!(unix_seconds("not a date"), None);
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
