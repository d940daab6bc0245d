//! `--format nagios` (`--monitoring`): the monitoring-plugins output convention
//! (as `check_smtp` uses it), so Nagios, Icinga, Zabbix or Uptime Kuma can run
//! smtp-doctor unchanged: one status line `SMTP STATE - text | perfdata`,
//! optional long-text lines after it, and exit 0 OK / 1 WARNING / 2 CRITICAL /
//! 3 UNKNOWN.
//!
//! This module only formats: the state and what it rests on come from
//! `check::monitor::assess`. Perfdata is stable, as graphing needs: every
//! label on every line (`time`, `connect`, `greeting`, `ehlo`, `starttls`,
//! `tls`, `auth`, `cert_days`, `candidates_tried`), `U` when a value is
//! unknown (a stage that did not run, no certificate), per the Monitoring
//! Plugins development guidelines. With several endpoints the stage times
//! and `cert_days` are the best endpoint's; `time` is the whole check.

use crate::diagnose::Category;
use crate::exit::PluginState;
use crate::report::monitor::{self, Note, Verdict};
pub use crate::report::monitor::{Assessment, Thresholds};
use crate::report::Report;
use crate::stage::Stage;
use std::io::{self, Write};
use std::time::Duration;

/// The status text of one assessment (after `SMTP STATE - `).
pub fn text(a: &Assessment) -> String {
    let who = &a.who;
    let secs = a.secs;
    let mut text = match &a.verdict {
        Verdict::AsExpected(c) => format!("{who}: {c}, as expected ({secs:.2}s)"),
        Verdict::UnexpectedOk(e) => format!("{who}: ok, but {e} was expected ({secs:.2}s)"),
        Verdict::Authenticated => format!("{who} authenticated in {secs:.2}s"),
        Verdict::NotAttempted => {
            format!("{who}: connection and TLS OK in {secs:.2}s; login not tested (--no-auth)")
        }
        Verdict::Failed {
            category,
            id,
            summary,
        } => match (summary, id) {
            (Some(s), Some(id)) => format!("{who}: {category}: {s} [{id}]"),
            _ => format!("{who}: {category}"),
        },
    };
    if let Some((best, tried, total)) = &a.best {
        text.push_str(&format!(
            "; best endpoint {best} ({tried} of {total} candidates tried)"
        ));
    }
    for n in &a.notes {
        match n {
            Note::Warning(summary) => text.push_str(&format!("; warning: {summary}")),
            Note::Certificate {
                days, not_after, ..
            } => text.push_str(&format!(
                "; certificate expires in {days} days ({not_after})"
            )),
            Note::Slow { secs, limit, state } => text.push_str(&format!(
                "; took {secs:.2}s, over the {} threshold of {limit}s",
                if *state == PluginState::Critical {
                    "critical"
                } else {
                    "warning"
                }
            )),
        }
    }
    clean(&text)
}

/// Plugin output must stay on one line and must not contain `|`.
fn clean(s: &str) -> String {
    s.replace('|', "/").replace(['\r', '\n'], " ")
}

fn secs(us: u64) -> String {
    format!("{:.3}s", us as f64 / 1e6)
}

/// A threshold in perfdata: empty when not set.
fn limit(v: Option<f64>) -> String {
    v.map(|v| format!("{v}")).unwrap_or_default()
}

/// The stages of the perfdata, in session order.
const PERF_STAGES: [Stage; 6] = [
    Stage::Connect,
    Stage::Greeting,
    Stage::Ehlo,
    Stage::StartTls,
    Stage::TlsHandshake,
    Stage::Auth,
];

/// `time=0.231s;W;C;0 connect=0.001s greeting=… ehlo=… starttls=… tls=… auth=…
/// cert_days=799;14:;7: candidates_tried=1;;;0;1`: every label every time, `U`
/// for an unknown value. A stage run twice (EHLO before and after STARTTLS)
/// is the sum of its runs.
///
/// Thresholds use the range syntax of the plugin guidelines: `14:` alerts
/// below 14; `time`'s warning and critical are `-w` and `-c`.
pub fn perfdata(report: &Report, elapsed: Duration, th: Thresholds) -> String {
    let mut perf = vec![format!(
        "time={};{};{};0",
        secs(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)),
        limit(th.warn_secs),
        limit(th.crit_secs)
    )];
    let best = report.best_probe();
    for stage in PERF_STAGES {
        let runs: Vec<u64> = best
            .into_iter()
            .flat_map(|p| p.stages.iter())
            .filter(|s| s.stage == stage)
            .map(|s| s.us)
            .collect();
        let value = if runs.is_empty() {
            "U".to_string()
        } else {
            secs(runs.iter().sum())
        };
        perf.push(format!("{}={value}", stage.as_str()));
    }
    let days = monitor::cert_days(report).map_or("U".to_string(), |(d, _)| d.to_string());
    perf.push(format!(
        "cert_days={days};{}:;{}:",
        th.warn_days, th.crit_days
    ));
    let (tried, total) = monitor::candidates_tried(report);
    perf.push(format!("candidates_tried={tried};;;0;{total}"));
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
    let a = monitor::assess(report, expect, elapsed, th);
    writeln!(
        out,
        "SMTP {} - {} | {}",
        a.state.as_str(),
        text(&a),
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
    let worst = monitor::worst(accounts);
    let t = elapsed.as_secs_f64();
    let n = accounts.len();
    let what = if n == 1 {
        "1 account".to_string()
    } else {
        format!("{n} accounts")
    };
    writeln!(
        out,
        "SMTP {} - {what}: {ok} OK, {warning} WARNING, {critical} CRITICAL in {t:.2}s | accounts={n};;;0 ok={ok};;;0 warning={warning};;;0 critical={critical};;;0 time={t:.3}s;;;0",
        worst.as_str(),
    )?;
    for a in accounts.iter().filter(|a| a.state != PluginState::Ok) {
        writeln!(out, "{}: {}", a.state.as_str(), text(a))?;
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
    use crate::probe::{Outcome, ProbeReport, StageRecord};
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
            tls_race_unanswered: false,
            addresses: Vec::new(),
            user: None,
        };
        let probe = EndpointResult {
            candidate: Candidate {
                endpoint: probe.endpoint.clone(),
                source: Source::Given,
                detail: "--host".into(),
                hints: Default::default(),
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
            other_addresses: Vec::new(),
        }
    }

    const TH: Thresholds = Thresholds {
        warn_days: 14,
        crit_days: 7,
        warn_secs: None,
        crit_secs: None,
    };

    fn assess(r: &Report, e: Option<Category>, d: Duration, th: Thresholds) -> Assessment {
        monitor::assess(r, e, d, th)
    }

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
            "SMTP OK - alice@example.test authenticated in 0.23s | time=0.231s;;;0 connect=0.001s greeting=0.002s ehlo=U starttls=U tls=0.010s auth=0.120s cert_days=799;14:;7: candidates_tried=1;;;0;1\n"
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
            "SMTP OK - alice@example.test authenticated in 0.30s; best endpoint smtp.example.test:587 (2 of 2 candidates tried) | time=0.300s;;;0 connect=0.001s greeting=0.002s ehlo=U starttls=U tls=0.010s auth=0.120s cert_days=799;14:;7: candidates_tried=2;;;0;2\n"
        );
    }
}

#[cfg(test)]
mod stable_perfdata {
    use super::*;

    /// The labels of a perfdata string, in order.
    fn labels(perf: &str) -> Vec<&str> {
        perf.split(' ')
            .map(|kv| kv.split('=').next().unwrap())
            .collect()
    }

    #[test]
    fn every_label_every_time_with_u_for_unknown() {
        let failed = Report {
            target: None,
            endpoints: Some(Vec::new()),
            discovery: None,
            diagnoses: Vec::new(),
            category: Category::ConnectionRefused,
            verbose: false,
            suggested_settings: None,
            other_addresses: Vec::new(),
        };
        let th = Thresholds {
            warn_secs: Some(2.0),
            crit_secs: Some(5.0),
            ..Thresholds::default()
        };
        let perf = perfdata(&failed, Duration::from_millis(5), th);
        assert_eq!(
            labels(&perf),
            [
                "time",
                "connect",
                "greeting",
                "ehlo",
                "starttls",
                "tls",
                "auth",
                "cert_days",
                "candidates_tried"
            ]
        );
        assert!(
            perf.starts_with("time=0.005s;2;5;0 connect=U greeting=U"),
            "{perf}"
        );
        assert!(perf.contains("cert_days=U;14:;7:"), "{perf}");
        assert!(perf.ends_with("candidates_tried=0;;;0;1"), "{perf}");
    }

    #[test]
    fn total_time_thresholds_raise_the_state() {
        let ok = Report {
            target: None,
            endpoints: Some(Vec::new()),
            discovery: None,
            diagnoses: Vec::new(),
            category: Category::Ok,
            verbose: false,
            suggested_settings: None,
            other_addresses: Vec::new(),
        };
        let th = Thresholds {
            warn_secs: Some(1.0),
            crit_secs: Some(3.0),
            ..Thresholds::default()
        };
        let at = |ms| monitor::assess(&ok, None, Duration::from_millis(ms), th).state;
        assert_eq!(at(900), PluginState::Ok);
        assert_eq!(at(1500), PluginState::Warning);
        assert_eq!(at(3500), PluginState::Critical);
        let a = monitor::assess(&ok, None, Duration::from_millis(3500), th);
        assert!(
            text(&a).contains("over the critical threshold of 3s"),
            "{}",
            text(&a)
        );
    }
}
