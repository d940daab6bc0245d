//! `--format nagios` (`--monitoring`): the monitoring-plugins output convention
//! (as `check_smtp` uses it), so Nagios, Icinga, Zabbix or Uptime Kuma can run
//! smtp-doctor unchanged: one status line `SMTP STATE - text | perfdata`,
//! optional long-text lines after it, and exit 0 OK / 1 WARNING / 2 CRITICAL /
//! 3 UNKNOWN.
//!
//! With several endpoints (discovery, `--all`) the status text, the stage
//! times and `cert_days` describe the **best endpoint** (the one the verdict
//! is based on, [`Report::best_endpoint`]), the text names it and says how
//! many candidates were tried, and perfdata adds `candidates_tried`; `time`
//! stays the whole check.
//!
//! Mapping (also in README and `--help`):
//! - OK: category `ok` (or the `--expect` category), certificate not close to expiry;
//! - WARNING: `rate-limited` / `server-temporary-failure` (try again later), a
//!   warning diagnosis (e.g. cleartext AUTH), or fewer than `--cert-warn` days left;
//! - CRITICAL: any other category, an unexpected `ok` under `--expect`, or fewer
//!   than `--cert-crit` days left;
//! - UNKNOWN: usage errors (smtp-doctor could not check at all).

use crate::diagnose::{Category, Severity};
use crate::exit::{ExitStatus, PluginState};
use crate::probe::{Outcome, ProbeReport};
use crate::report::Report;
use crate::stage::Stage;
use std::io::{self, Write};
use std::time::Duration;

/// Certificate-expiry thresholds in days (`--cert-warn`, `--cert-crit`).
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub warn_days: i64,
    pub crit_days: i64,
}

/// The state of one check and the text that explains it.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub state: PluginState,
    pub text: String,
}

/// Who was checked, for the status text.
pub fn label(report: &Report) -> String {
    let target = report.target.as_ref();
    target
        .and_then(|t| t.address.clone().or_else(|| t.user.clone()))
        .or_else(|| report.best_probe().map(host_port))
        .unwrap_or_else(|| "smtp".into())
}

fn host_port(p: &ProbeReport) -> String {
    if p.endpoint.host.contains(':') {
        format!("[{}]:{}", p.endpoint.host, p.endpoint.port)
    } else {
        format!("{}:{}", p.endpoint.host, p.endpoint.port)
    }
}

/// `(tried, candidates)` when the check had a choice of endpoints
/// (discovery, or more than one endpoint probed); `None` for `--host`.
fn candidates_tried(report: &Report) -> Option<(usize, usize)> {
    let tried = report.endpoints.as_ref().map_or(0, Vec::len);
    let total = report
        .discovery
        .as_ref()
        .map_or(tried, |d| d.candidates.len().max(tried));
    (report.discovery.is_some() || tried > 1).then_some((tried, total))
}

/// Days left on a certificate that was accepted in a finished handshake.
fn cert_days(report: &Report) -> Option<(i64, &str)> {
    let p = report.best_probe()?;
    let handshake_ok = p
        .stages
        .iter()
        .any(|s| s.stage == Stage::TlsHandshake && s.ok);
    let c = p.tls.as_ref()?.certificate.as_ref()?;
    handshake_ok.then_some((c.days_left, c.not_after.as_str()))
}

fn worse(a: PluginState, b: PluginState) -> PluginState {
    if b.severity() > a.severity() {
        b
    } else {
        a
    }
}

/// Maps a finished check to a plugin state.
pub fn assess(
    report: &Report,
    expect: Option<Category>,
    elapsed: Duration,
    th: Thresholds,
) -> Assessment {
    let who = label(report);
    let cat = report.category;
    let secs = elapsed.as_secs_f64();
    let (mut state, mut text) = match expect {
        Some(e) if e == cat => (
            PluginState::Ok,
            format!("{who}: {cat}, as expected ({secs:.2}s)"),
        ),
        Some(e) if cat == Category::Ok => (
            PluginState::Critical,
            format!("{who}: ok, but {e} was expected ({secs:.2}s)"),
        ),
        _ if cat == Category::Ok => {
            let authenticated = report
                .best_probe()
                .is_some_and(|p| matches!(p.outcome, Outcome::Authenticated { .. }));
            if authenticated {
                (
                    PluginState::Ok,
                    format!("{who} authenticated in {secs:.2}s"),
                )
            } else {
                (
                    PluginState::Ok,
                    format!(
                        "{who}: connection and TLS OK in {secs:.2}s; login not tested (--no-auth)"
                    ),
                )
            }
        }
        _ => {
            let state = if cat.exit_status() == ExitStatus::Temporary {
                PluginState::Warning
            } else {
                PluginState::Critical
            };
            let what = report
                .diagnoses
                .first()
                .map(|d| format!(": {} [{}]", d.summary, d.id))
                .unwrap_or_default();
            (state, format!("{who}: {cat}{what}"))
        }
    };
    if let (Some((tried, total)), Some(best)) = (candidates_tried(report), report.best_probe()) {
        text.push_str(&format!(
            "; best endpoint {} ({tried} of {total} candidates tried)",
            host_port(best)
        ));
    }
    // Warnings other than the built-in certificate one (thresholds decide that).
    for d in &report.diagnoses {
        if d.severity == Severity::Warning && d.id != "certificate-expires-soon" {
            state = worse(state, PluginState::Warning);
            text.push_str(&format!("; warning: {}", d.summary));
        }
    }
    if let Some((days, not_after)) = cert_days(report) {
        let cert_state = if days < th.crit_days {
            PluginState::Critical
        } else if days < th.warn_days {
            PluginState::Warning
        } else {
            PluginState::Ok
        };
        if cert_state != PluginState::Ok {
            state = worse(state, cert_state);
            text.push_str(&format!(
                "; certificate expires in {days} days ({not_after})"
            ));
        }
    }
    Assessment {
        state,
        text: clean(&text),
    }
}

/// Plugin output must stay on one line and must not contain `|`.
fn clean(s: &str) -> String {
    s.replace('|', "/").replace(['\r', '\n'], " ")
}

fn secs(us: u64) -> String {
    format!("{:.3}s", us as f64 / 1e6)
}

/// `time=0.231s;;;0 connect=0.001s greeting=… tls=0.010s auth=0.120s cert_days=799;14:;7:`,
/// and `candidates_tried=2;;;0;3` after discovery or with several endpoints.
/// The stage times and `cert_days` are the best endpoint's.
///
/// Thresholds use the range syntax of the plugin guidelines: `14:` alerts
/// below 14.
pub fn perfdata(report: &Report, elapsed: Duration, th: Thresholds) -> String {
    let mut perf = vec![format!(
        "time={};;;0",
        secs(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX))
    )];
    if let Some(p) = report.best_probe() {
        for stage in [
            Stage::Connect,
            Stage::Greeting,
            Stage::TlsHandshake,
            Stage::Auth,
        ] {
            let mut seen = false;
            let us: u64 = p
                .stages
                .iter()
                .filter(|s| s.stage == stage)
                .inspect(|_| seen = true)
                .map(|s| s.us)
                .sum();
            if seen {
                perf.push(format!("{}={}", stage.as_str(), secs(us)));
            }
        }
    }
    if let Some((days, _)) = cert_days(report) {
        perf.push(format!(
            "cert_days={days};{}:;{}:",
            th.warn_days, th.crit_days
        ));
    }
    if let Some((tried, total)) = candidates_tried(report) {
        perf.push(format!("candidates_tried={tried};;;0;{total}"));
    }
    perf.join(" ")
}

/// Writes the status line of one check; returns its state.
pub fn render_check(
    report: &Report,
    expect: Option<Category>,
    elapsed: Duration,
    th: Thresholds,
    out: &mut dyn Write,
) -> io::Result<PluginState> {
    let a = assess(report, expect, elapsed, th);
    writeln!(
        out,
        "SMTP {} - {} | {}",
        a.state.as_str(),
        a.text,
        perfdata(report, elapsed, th)
    )?;
    Ok(a.state)
}

/// Writes the status line of a batch (counts and perfdata), then one
/// long-text line per account that is not OK; returns the worst state.
pub fn render_batch(
    accounts: &[Assessment],
    elapsed: Duration,
    out: &mut dyn Write,
) -> io::Result<PluginState> {
    let count = |s: PluginState| accounts.iter().filter(|a| a.state == s).count();
    let (ok, warning, critical) = (
        count(PluginState::Ok),
        count(PluginState::Warning),
        count(PluginState::Critical),
    );
    let worst = accounts
        .iter()
        .fold(PluginState::Ok, |w, a| worse(w, a.state));
    let t = elapsed.as_secs_f64();
    writeln!(
        out,
        "SMTP {} - {}: {ok} OK, {warning} WARNING, {critical} CRITICAL in {t:.2}s | accounts={};;;0 ok={ok};;;0 warning={warning};;;0 critical={critical};;;0 time={t:.3}s;;;0",
        worst.as_str(),
        crate::batch::summary::accounts(accounts.len()),
        accounts.len(),
    )?;
    for a in accounts.iter().filter(|a| a.state != PluginState::Ok) {
        writeln!(out, "{}: {}", a.state.as_str(), a.text)?;
    }
    Ok(worst)
}

/// `SMTP UNKNOWN - message` for a usage error.
pub fn render_unknown(message: &str, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "SMTP UNKNOWN - {}", clean(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::{Candidate, Source};
    use crate::endpoint::{Endpoint, TlsMode};
    use crate::net::tls::{CertificateSummary, TlsInfo};
    use crate::probe::StageRecord;
    use crate::report::{EndpointResult, Target};
    use crate::smtp::sasl::Mechanism;

    fn report(category: Category, days_left: i64) -> Report {
        let stage = |stage, us| StageRecord {
            stage,
            ok: true,
            ms: us / 1000,
            us,
            detail: None,
        };
        let probe = ProbeReport {
            endpoint: Endpoint {
                host: "127.0.0.1".into(),
                port: 587,
                tls: TlsMode::StartTls,
            },
            address: None,
            stages: vec![
                stage(Stage::Connect, 1_000),
                stage(Stage::Greeting, 2_000),
                stage(Stage::TlsHandshake, 10_000),
                stage(Stage::Auth, 120_000),
            ],
            capabilities: None,
            tls: Some(TlsInfo {
                version: None,
                cipher: None,
                certificate: Some(CertificateSummary {
                    subject: String::new(),
                    issuer: String::new(),
                    not_before: String::new(),
                    not_after: "2029-02-02T20:40:12Z".into(),
                    names: Vec::new(),
                    days_left,
                    self_signed: false,
                }),
            }),
            transcript: Vec::new(),
            outcome: Outcome::Authenticated {
                mechanism: Mechanism::Plain,
            },
            mechanism: Some(Mechanism::Plain),
            cleartext_auth: false,
            implicit_tls_detected: false,
            user: None,
        };
        let probe = EndpointResult {
            candidate: Candidate {
                endpoint: probe.endpoint.clone(),
                source: Source::Given,
                detail: "--host".into(),
            },
            probe,
            diagnoses: Vec::new(),
            category,
        };
        Report {
            target: Some(Target {
                address: Some("alice@example.test".into()),
                user: None,
            }),
            endpoints: Some(vec![probe]),
            discovery: None,
            diagnoses: Vec::new(),
            category,
            verbose: false,
            suggested_settings: None,
        }
    }

    const TH: Thresholds = Thresholds {
        warn_days: 14,
        crit_days: 7,
    };

    #[test]
    fn ok_line_has_the_perfdata_of_the_example() {
        let mut out = Vec::new();
        let state = render_check(
            &report(Category::Ok, 799),
            None,
            Duration::from_millis(231),
            TH,
            &mut out,
        )
        .unwrap();
        assert_eq!(state, PluginState::Ok);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "SMTP OK - alice@example.test authenticated in 0.23s | time=0.231s;;;0 connect=0.001s greeting=0.002s tls=0.010s auth=0.120s cert_days=799;14:;7:\n"
        );
    }

    #[test]
    fn certificate_thresholds() {
        let at = |days| assess(&report(Category::Ok, days), None, Duration::ZERO, TH).state;
        assert_eq!(at(14), PluginState::Ok);
        assert_eq!(at(13), PluginState::Warning);
        assert_eq!(at(7), PluginState::Warning);
        assert_eq!(at(6), PluginState::Critical);
    }

    #[test]
    fn categories_map_to_states() {
        let at = |c, e| assess(&report(c, 799), e, Duration::ZERO, TH).state;
        assert_eq!(at(Category::WrongCredentials, None), PluginState::Critical);
        assert_eq!(at(Category::RateLimited, None), PluginState::Warning);
        assert_eq!(at(Category::ConnectionRefused, None), PluginState::Critical);
        assert_eq!(
            at(Category::WrongCredentials, Some(Category::WrongCredentials)),
            PluginState::Ok
        );
        assert_eq!(
            at(Category::Ok, Some(Category::WrongCredentials)),
            PluginState::Critical
        );
    }

    #[test]
    fn several_endpoints_describe_the_best_one_and_count_the_candidates() {
        // Discovery's first candidate refused the connection; the second
        // authenticated. The line and perfdata must be the second's.
        let mut r = report(Category::Ok, 799);
        let mut good = r.endpoints.as_mut().unwrap().remove(0);
        good.probe.endpoint.host = "smtp.example.test".into();
        let refused = ProbeReport {
            endpoint: Endpoint {
                host: "mail.example.test".into(),
                port: 465,
                tls: TlsMode::Implicit,
            },
            stages: vec![StageRecord {
                stage: Stage::Connect,
                ok: false,
                ms: 7,
                us: 7_000,
                detail: None,
            }],
            tls: None,
            outcome: Outcome::NoCredentials,
            mechanism: None,
            ..good.probe.clone()
        };
        let refused = EndpointResult {
            probe: refused,
            category: Category::ConnectionRefused,
            ..good.clone()
        };
        r.endpoints = Some(vec![refused, good]);
        let mut out = Vec::new();
        let state = render_check(&r, None, Duration::from_millis(300), TH, &mut out).unwrap();
        assert_eq!(state, PluginState::Ok);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "SMTP OK - alice@example.test authenticated in 0.30s; best endpoint smtp.example.test:587 (2 of 2 candidates tried) | time=0.300s;;;0 connect=0.001s greeting=0.002s tls=0.010s auth=0.120s cert_days=799;14:;7: candidates_tried=2;;;0;2\n"
        );
    }
}
