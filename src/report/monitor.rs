//! The monitoring state of a finished check (`--format nagios`), decided here
//! and only formatted by `render/nagios.rs`.
//!
//! - OK: category `ok` (or the `--expect` category), certificate not close to
//!   expiry, total time within `-w`; with `--no-auth`, connection and TLS
//!   healthy (the status text says "login not tested");
//! - WARNING: `rate-limited` / `server-temporary-failure` (try again later), a
//!   warning diagnosis (e.g. cleartext AUTH), fewer than `--cert-warn` days
//!   left, or a total time over `-w SECONDS`;
//! - CRITICAL: any other category, an unexpected `ok` under `--expect`, fewer
//!   than `--cert-crit` days left, or a total time over `-c SECONDS`;
//! - UNKNOWN: smtp-doctor could not check (usage errors, no secret,
//!   `--dry-run`); those never reach this module.
//!
//! With several endpoints (discovery, `--all`) the state describes the **best
//! endpoint** (the one the verdict is based on, `Report::best_endpoint`).

use super::Report;
use crate::diagnose::{Category, Severity};
use crate::exit::{ExitStatus, PluginState};
use crate::probe::{Outcome, ProbeReport};
use crate::stage::Stage;
use std::time::Duration;

/// The id of the certificate-expiry warning; the thresholds below decide
/// its monitoring state, so it is not counted as a plain warning too.
pub const CERT_EXPIRES_SOON: &str = "certificate-expires-soon";

/// `--cert-warn` / `--cert-crit` (days) and `-w` / `-c` (seconds of total time).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub warn_days: i64,
    pub crit_days: i64,
    pub warn_secs: Option<f64>,
    pub crit_secs: Option<f64>,
}

impl Default for Thresholds {
    /// check_smtp-like defaults: 14 and 7 days, no time limits.
    fn default() -> Thresholds {
        Thresholds {
            warn_days: 14,
            crit_days: 7,
            warn_secs: None,
            crit_secs: None,
        }
    }
}

/// What the check came to, before any wording.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// `--expect CATEGORY` and that category came back.
    AsExpected(Category),
    /// `ok`, but `--expect` wanted this category.
    UnexpectedOk(Category),
    /// Logged in.
    Authenticated,
    /// `--no-auth`: healthy up to AUTH, login not tested.
    NotAttempted,
    /// Anything else: the category and its primary diagnosis.
    Failed {
        category: Category,
        id: Option<&'static str>,
        summary: Option<String>,
    },
}

/// Something that raised (or could raise) the state besides the verdict.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// A warning diagnosis (its summary).
    Warning(String),
    /// The certificate expires within a threshold.
    Certificate {
        days: i64,
        not_after: String,
        state: PluginState,
    },
    /// The whole check took longer than `-w` or `-c`.
    Slow {
        secs: f64,
        limit: f64,
        state: PluginState,
    },
}

/// The monitoring state of one check and what it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub state: PluginState,
    /// Who was checked (address, user, or host:port).
    pub who: String,
    pub verdict: Verdict,
    /// The whole check, seconds.
    pub secs: f64,
    /// With a choice of endpoints: the best one, `(host:port, tried, candidates)`.
    pub best: Option<(String, usize, usize)>,
    pub notes: Vec<Note>,
}

/// Who was checked, for status texts and batch lines.
pub fn label(report: &Report) -> String {
    let target = report.target.as_ref();
    target
        .and_then(|t| t.address.clone().or_else(|| t.user.clone()))
        .or_else(|| report.best_probe().map(host_port))
        .unwrap_or_else(|| "smtp".into())
}

/// `host:port`, with brackets around an IPv6 literal.
pub(crate) fn host_port(p: &ProbeReport) -> String {
    if p.endpoint.host.contains(':') {
        format!("[{}]:{}", p.endpoint.host, p.endpoint.port)
    } else {
        format!("{}:{}", p.endpoint.host, p.endpoint.port)
    }
}

/// `(tried, candidates)`: how many endpoints were probed out of how many
/// were found (1 of 1 for `--host`).
pub fn candidates_tried(report: &Report) -> (usize, usize) {
    let tried = report.endpoints.as_ref().map_or(0, Vec::len);
    let total = report
        .discovery
        .as_ref()
        .map_or(tried.max(1), |d| d.candidates.len().max(tried));
    (tried, total)
}

/// Days left on the best endpoint's certificate, when it was accepted in a
/// finished handshake.
pub fn cert_days(report: &Report) -> Option<(i64, &str)> {
    let p = report.best_probe()?;
    let handshake_ok = p
        .stages
        .iter()
        .any(|s| s.stage == Stage::TlsHandshake && s.ok);
    let c = p.tls.as_ref()?.certificate.as_ref()?;
    handshake_ok.then_some((c.days_left, c.not_after.as_str()))
}

/// The worse of two states: CRITICAL > WARNING > UNKNOWN > OK.
pub fn worse(a: PluginState, b: PluginState) -> PluginState {
    if b.severity() > a.severity() {
        b
    } else {
        a
    }
}

/// Maps a finished check to a monitoring state.
pub fn assess(
    report: &Report,
    expect: Option<Category>,
    elapsed: Duration,
    th: Thresholds,
) -> Assessment {
    let cat = report.category;
    let (mut state, verdict) = match expect {
        Some(e) if e == cat => (PluginState::Ok, Verdict::AsExpected(e)),
        Some(e) if cat == Category::Ok => (PluginState::Critical, Verdict::UnexpectedOk(e)),
        _ if cat == Category::Ok => {
            let authenticated = report
                .best_probe()
                .is_some_and(|p| matches!(p.outcome, Outcome::Authenticated { .. }));
            let verdict = if authenticated {
                Verdict::Authenticated
            } else {
                Verdict::NotAttempted
            };
            (PluginState::Ok, verdict)
        }
        _ => {
            let state = if cat.exit_status() == ExitStatus::Temporary {
                PluginState::Warning
            } else {
                PluginState::Critical
            };
            let primary = report.diagnoses.first();
            (
                state,
                Verdict::Failed {
                    category: cat,
                    id: primary.map(|d| d.id),
                    summary: primary.map(|d| d.summary.clone()),
                },
            )
        }
    };
    let mut notes = Vec::new();
    for d in &report.diagnoses {
        if d.severity == Severity::Warning && d.id != CERT_EXPIRES_SOON {
            state = worse(state, PluginState::Warning);
            notes.push(Note::Warning(d.summary.clone()));
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
            notes.push(Note::Certificate {
                days,
                not_after: not_after.to_string(),
                state: cert_state,
            });
        }
    }
    let secs = elapsed.as_secs_f64();
    let slow = match (th.crit_secs, th.warn_secs) {
        (Some(c), _) if secs > c => Some((c, PluginState::Critical)),
        (_, Some(w)) if secs > w => Some((w, PluginState::Warning)),
        _ => None,
    };
    if let Some((limit, s)) = slow {
        state = worse(state, s);
        notes.push(Note::Slow {
            secs,
            limit,
            state: s,
        });
    }
    let (tried, total) = candidates_tried(report);
    let choice = report.discovery.is_some() || tried > 1;
    let best = report
        .best_probe()
        .filter(|_| choice)
        .map(|p| (host_port(p), tried, total));
    Assessment {
        state,
        who: label(report),
        verdict,
        secs,
        best,
        notes,
    }
}

/// The state of a batch: the worst account's (CRITICAL > WARNING > UNKNOWN > OK).
pub fn worst(accounts: &[Assessment]) -> PluginState {
    accounts
        .iter()
        .fold(PluginState::Ok, |w, a| worse(w, a.state))
}
