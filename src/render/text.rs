//! Human output: one line per stage with ✓/✗ and timing, then
//! `error[id]: summary` with indented `help:` lines (cargo/just style).
//!
//! Also the one line per account of `check --batch` ([`batch_line`]).
//! Colour (src/render/style.rs) only when the caller says so.

use super::style;
use crate::batch::schedule::{Done, EndpointKey};
use crate::diagnose::Severity;
use crate::discovery::{Discovery, Source};
use crate::endpoint::TlsMode;
use crate::exit::ExitStatus;
use crate::probe::Outcome;
use crate::report::{EndpointResult, Report, Suggestion};
use std::io::{self, Write};

struct Paint {
    on: bool,
}

impl Paint {
    fn red(&self, s: &str) -> String {
        style::paint(self.on, style::ERROR, s)
    }
    fn green(&self, s: &str) -> String {
        style::paint(self.on, style::OK, s)
    }
    fn yellow(&self, s: &str) -> String {
        style::paint(self.on, style::WARNING, s)
    }
    fn bold(&self, s: &str) -> String {
        style::paint(self.on, style::BOLD, s)
    }
    fn dim(&self, s: &str) -> String {
        style::paint(self.on, style::DIM, s)
    }
}

/// `check --dry-run`: every candidate and every DNS lookup (failed ones
/// included: they are why a candidate is missing), discovery's warnings, and
/// a result line that is not a verdict.
pub fn render_dry_run(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let p = Paint { on: color };
    let mut candidates = 0;
    if let Some(d) = &report.discovery {
        candidates = d.candidates.len();
        render_discovery(d, &[], true, &p, out)?;
        writeln!(out)?;
    }
    render_diagnoses(report, &p, out)?;
    let what = match candidates {
        0 => "no candidate found".to_string(),
        1 => "1 candidate".to_string(),
        n => format!("{n} candidates"),
    };
    writeln!(
        out,
        "result: dry run, nothing checked: {what}, none contacted (exit 0)"
    )
}

/// Writes the text report.
pub fn render(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let p = Paint { on: color };
    if let Some(d) = &report.discovery {
        render_discovery(
            d,
            report.endpoints.as_deref().unwrap_or_default(),
            report.verbose,
            &p,
            out,
        )?;
        writeln!(out)?;
    }
    if let Some(endpoints) = &report.endpoints {
        for ep in endpoints {
            render_endpoint(ep, report.verbose, &p, out)?;
            writeln!(out)?;
        }
    }
    if !report.other_addresses.is_empty() {
        writeln!(
            out,
            "{}",
            p.bold("other addresses (--all-addresses; up to AUTH, without the secret):")
        )?;
        for ep in &report.other_addresses {
            render_endpoint(ep, report.verbose, &p, out)?;
            writeln!(out)?;
        }
    }
    render_diagnoses(report, &p, out)?;
    if let Some(list) = &report.suggested_settings {
        render_suggestions(list, &p, out)?;
    }
    let verdict = if report.category.as_str() == "ok" {
        p.green("ok")
    } else {
        p.red(report.category.as_str())
    };
    let authenticated = report
        .endpoints
        .iter()
        .flatten()
        .find_map(|ep| match ep.probe.outcome {
            Outcome::Authenticated { mechanism } => Some(mechanism),
            _ => None,
        });
    let how = match (
        authenticated,
        report.target.as_ref().and_then(|t| t.user.as_deref()),
    ) {
        (Some(m), Some(user)) => format!(" — authenticated as {user} with {m}"),
        (Some(m), None) => format!(" — authenticated with {m}"),
        _ if not_attempted(report) => {
            " — connection and TLS only, login not tested (--no-auth)".into()
        }
        _ => String::new(),
    };
    writeln!(
        out,
        "result: {verdict} (exit {}){how}",
        report.exit_status().code()
    )
}

fn mode(tls: TlsMode) -> &'static str {
    match tls {
        TlsMode::StartTls => "STARTTLS",
        TlsMode::Implicit => "implicit TLS",
        TlsMode::None => "no TLS",
    }
}

/// Every candidate with its source and outcome, in discovery order.
fn render_discovery(
    d: &Discovery,
    probed: &[EndpointResult],
    verbose: bool,
    p: &Paint,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "{} {}", p.bold("discovery:"), d.domain)?;
    if verbose {
        for l in &d.lookups {
            writeln!(
                out,
                "  {} {} {}: {}",
                p.dim("dns"),
                l.name,
                l.rtype,
                l.result
            )?;
        }
    }
    for h in &d.http {
        let line = format!(
            "  {} {} {}: {}",
            if h.ok { "http" } else { "http ✗" },
            h.source.as_str(),
            h.url,
            h.result
        );
        writeln!(out, "{}", if h.ok { p.dim(&line) } else { line.clone() })?;
    }
    for n in &d.notes {
        writeln!(out, "  {} {n}", p.bold("note:"))?;
    }
    for (i, c) in d.candidates.iter().enumerate() {
        let outcome = match probed
            .iter()
            .find(|r| r.probe.endpoint == c.endpoint)
            .map(|r| r.category)
        {
            Some(cat) if cat.as_str() == "ok" => p.green("ok"),
            Some(cat) => p.red(cat.as_str()),
            None => p.dim("not probed"),
        };
        writeln!(
            out,
            "  {}. {:<40} {:<15} {outcome}",
            i + 1,
            format!(
                "{}:{} ({})",
                c.endpoint.host,
                c.endpoint.port,
                mode(c.endpoint.tls)
            ),
            format!("{} ({})", c.source.as_str(), c.trust().as_str()),
        )?;
        writeln!(out, "     {}", p.dim(&c.detail))?;
        if c.hints.username.is_some() || !c.hints.authentication.is_empty() {
            writeln!(
                out,
                "     {}",
                p.dim(&format!(
                    "user name {}; authentication {}",
                    c.hints.username.as_deref().unwrap_or("not given"),
                    if c.hints.authentication.is_empty() {
                        "not given".to_string()
                    } else {
                        c.hints.authentication.join(", ")
                    }
                ))
            )?;
        }
    }
    Ok(())
}

fn render_endpoint(
    result: &EndpointResult,
    verbose: bool,
    p: &Paint,
    out: &mut dyn Write,
) -> io::Result<()> {
    let ep = &result.probe;
    let mode = mode(ep.endpoint.tls);
    let host = if ep.endpoint.host.contains(':') {
        format!("[{}]", ep.endpoint.host)
    } else {
        ep.endpoint.host.clone()
    };
    let source = match result.candidate.source {
        Source::Given => String::new(),
        s => format!(" from {}", s.as_str()),
    };
    writeln!(
        out,
        "{} {}",
        p.bold(&format!("{host}:{}", ep.endpoint.port)),
        p.dim(&format!("({mode}){source}"))
    )?;
    if ep.addresses.len() > 1 {
        writeln!(
            out,
            "  {} {} (this check used {}; --all-addresses checks each)",
            p.dim("addresses:"),
            ep.addresses.join(", "),
            ep.address.as_deref().unwrap_or("none")
        )?;
    }
    for s in &ep.stages {
        let mark = if s.ok { p.green("✓") } else { p.red("✗") };
        let detail = s.detail.as_deref().unwrap_or("");
        writeln!(
            out,
            "  {mark} {:<9} {:>6} ms  {}",
            s.stage.as_str(),
            s.ms,
            p.dim(detail)
        )?;
    }
    if let Some(c) = ep.tls.as_ref().and_then(|t| t.certificate.as_ref()) {
        writeln!(
            out,
            "  {} {} (issuer {}), valid until {} ({} days), names: {}",
            p.dim("certificate:"),
            c.subject,
            c.issuer,
            c.not_after,
            c.days_left,
            if c.names.is_empty() {
                "-".to_string()
            } else {
                c.names.join(", ")
            }
        )?;
    }
    if let Some(caps) = &ep.capabilities {
        if let Some(mechs) = &caps.auth {
            writeln!(
                out,
                "  {} {}",
                p.dim("auth offered:"),
                if mechs.is_empty() {
                    "-".to_string()
                } else {
                    mechs.join(" ")
                }
            )?;
        }
    }
    if verbose && !ep.transcript.is_empty() {
        writeln!(out, "  {}", p.dim("transcript:"))?;
        for line in &ep.transcript {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(())
}

/// `error[id]: summary` blocks, primary first.
fn render_diagnoses(report: &Report, p: &Paint, out: &mut dyn Write) -> io::Result<()> {
    for d in &report.diagnoses {
        let label = match d.severity {
            Severity::Error => p.red(&format!("error[{}]", d.id)),
            Severity::Warning => p.yellow(&format!("warning[{}]", d.id)),
            Severity::Info => p.bold(&format!("note[{}]", d.id)),
        };
        writeln!(out, "{label}: {}", p.bold(&d.summary))?;
        if let Some(detail) = &d.detail {
            writeln!(out, "  {} {detail}", p.dim("detail:"))?;
        }
        if let Some(e) = &d.evidence {
            match d.line {
                Some(n) => writeln!(out, "  {} {e} (line {n})", p.dim("evidence:"))?,
                None => writeln!(out, "  {} {e}", p.dim("evidence:"))?,
            }
        }
        writeln!(out, "  {} {}", p.bold("help:"), d.remediation)?;
        for a in &d.alternatives {
            writeln!(
                out,
                "  {} {} [{}]: {}",
                p.dim("also possible:"),
                a.category.as_str(),
                a.id,
                a.why
            )?;
        }
        if let Some(r) = d.reference {
            writeln!(out, "  {} {r}", p.dim("see:"))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// AUTH was not attempted on the endpoint the verdict is based on (`--no-auth`).
fn not_attempted(report: &Report) -> bool {
    report
        .best_probe()
        .is_some_and(|p| matches!(p.outcome, Outcome::NoCredentials))
}

/// The "try instead" block: verified settings with their command line and
/// mail-client words, then what else was seen (the relay port).
fn render_suggestions(list: &[Suggestion], p: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let (working, notes): (Vec<&Suggestion>, Vec<&Suggestion>) =
        list.iter().partition(|s| s.verified && !s.relay);
    if working.is_empty() {
        writeln!(
            out,
            "{} no other standard port or TLS mode on this host offers AUTH (checked without sending the secret)",
            p.bold("try instead:")
        )?;
    } else {
        writeln!(out, "{}", p.bold("try instead:"))?;
        for s in &working {
            writeln!(
                out,
                "  {} — {}",
                p.green(&s.client_settings()),
                p.dim(&s.why)
            )?;
            if let Some(c) = &s.command {
                writeln!(out, "    {c}")?;
            }
        }
    }
    for s in notes {
        writeln!(out, "  {} {}", p.dim("note:"), s.why)?;
    }
    writeln!(out)
}

/// One text line per account: mark, category, account, endpoint, time,
/// diagnosis (`check --batch`). Always coloured: the command strips the
/// colour on the way out unless `--color` wants it.
pub(crate) fn batch_line(d: &Done, out: &mut dyn Write) -> io::Result<()> {
    let r = &d.report;
    let status = r.exit_status_expecting(d.expect);
    let mark = match (d.skipped, status == ExitStatus::Healthy) {
        (true, _) => style::paint(true, style::SKIPPED, "-"),
        (false, true) => style::paint(true, style::OK, "✓"),
        (false, false) => style::paint(true, style::FAILED, "✗"),
    };
    let who = crate::report::monitor::label(r);
    let endpoint = match (r.best_endpoint(), &d.endpoint) {
        (Some(p), _) if !d.skipped => EndpointKey::of(&p.probe.endpoint).to_string(),
        (_, Some(key)) => key.to_string(),
        _ => "-".to_string(),
    };
    let expected = match d.expect {
        Some(e) if e == r.category => " (expected)".to_string(),
        Some(e) => format!(" (expected {e})"),
        None => String::new(),
    };
    // The primary error; on a healthy row, its warnings (an expiring
    // certificate must not hide behind a plain "✓ ok").
    let diagnosis = match r.diagnoses.first() {
        Some(d) if d.severity == crate::diagnose::Severity::Error => {
            format!("  {}: {}", d.id, d.summary)
        }
        _ => r
            .diagnoses
            .iter()
            .filter(|d| d.severity == crate::diagnose::Severity::Warning)
            .map(|d| match &d.detail {
                Some(detail) => format!("  warning[{}]: {} ({detail})", d.id, d.summary),
                None => format!("  warning[{}]: {}", d.id, d.summary),
            })
            .collect(),
    };
    let time = if d.skipped {
        "skipped".to_string()
    } else {
        format!("{:.2}s", d.elapsed.as_secs_f64())
    };
    writeln!(
        out,
        "{mark} {:<24} {who}  {endpoint}  {time}{expected}{diagnosis}",
        r.category.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::{classify, primary_category};

    /// The report `explain` makes of one server reply.
    fn report_of(text: &str) -> Report {
        let diagnoses = classify(&crate::explain::observe(text.as_bytes()).observations);
        Report {
            target: None,
            endpoints: None,
            discovery: None,
            category: primary_category(&diagnoses),
            diagnoses,
            verbose: false,
            suggested_settings: None,
            other_addresses: Vec::new(),
        }
    }

    fn rendered(report: &Report, color: bool) -> String {
        let mut out = Vec::new();
        render(report, color, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_diagnosis_is_label_evidence_help_then_the_result_line() {
        let r = report_of("535 5.7.8 Error: authentication failed: authentication failure");
        let text = rendered(&r, false);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("error["), "{text}");
        assert!(
            lines.iter().any(|l| l.starts_with("  evidence: 535 5.7.8")),
            "{text}"
        );
        assert!(lines.iter().any(|l| l.starts_with("  help: ")), "{text}");
        assert_eq!(
            lines.last(),
            Some(&"result: wrong-credentials (exit 5)"),
            "{text}"
        );
    }

    #[test]
    fn colour_only_when_asked_and_the_words_stay_the_same() {
        let r = report_of("535 5.7.8 Error: authentication failed: authentication failure");
        let plain = rendered(&r, false);
        let coloured = rendered(&r, true);
        assert!(!plain.contains('\x1b'), "{plain}");
        assert!(coloured.contains('\x1b'), "{coloured}");
        let stripped = regex::Regex::new("\x1b\\[[0-9;]*m")
            .unwrap()
            .replace_all(&coloured, "");
        assert_eq!(stripped, plain);
    }
}
