//! The v1 JSON document (docs/json-output.md), as Serialize-only view types.
//!
//! The view types are separate from the domain types so the domain can change
//! without breaking scripts. Every field is documented in docs/json-output.md.

use crate::diagnose::{Category, Diagnosis};
use crate::discovery::Discovery;
use crate::report::{EndpointResult, Report};
use serde::Serialize;
use std::io::{self, Write};

/// Schema version of the document.
pub use crate::report::JSON_VERSION as VERSION;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    /// `None` (null) only for `--dry-run`, which is not a verdict.
    category: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dry_run: Option<bool>,
    exit_code: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<TargetView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoints: Option<Vec<EndpointView<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    discovery: Option<DiscoveryView<'a>>,
    diagnoses: Vec<DiagnosisView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suggested_settings: Option<Vec<SuggestionView<'a>>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    other_addresses: Vec<EndpointView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expect: Option<ExpectView>,
}

/// Another port or TLS mode on the same host, probed without the secret.
#[derive(Serialize)]
struct SuggestionView<'a> {
    host: &'a str,
    port: u16,
    tls: &'static str,
    verified: bool,
    why: &'a str,
    /// "Port 465, SSL/TLS": the words of a mail client's settings dialog.
    client_settings: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    command: Option<&'a str>,
}

/// `--expect CATEGORY` (or a batch file's `expect` column) and whether it held.
#[derive(Serialize)]
struct ExpectView {
    category: &'static str,
    met: bool,
}

#[derive(Serialize)]
struct TargetView<'a> {
    address: Option<&'a str>,
    user: Option<&'a str>,
}

#[derive(Serialize)]
struct DiscoveryView<'a> {
    domain: &'a str,
    candidates: Vec<CandidateView<'a>>,
    lookups: Vec<LookupView<'a>>,
    /// The HTTP sources asked (autoconfig, ISPDB, Autodiscover), one line each.
    http: Vec<HttpStepView<'a>>,
    /// Where sources disagree, and which one won.
    notes: &'a [String],
}

#[derive(Serialize)]
struct HttpStepView<'a> {
    source: &'static str,
    url: &'a str,
    ok: bool,
    result: &'a str,
}

#[derive(Serialize)]
struct CandidateView<'a> {
    host: &'a str,
    port: u16,
    tls: &'static str,
    source: &'static str,
    trust: &'static str,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    authentication: &'a [String],
    probed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'static str>,
}

#[derive(Serialize)]
struct LookupView<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    rtype: &'static str,
    result: &'a str,
}

#[derive(Serialize)]
struct EndpointView<'a> {
    host: &'a str,
    port: u16,
    tls: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<&'a str>,
    /// Every address the host resolved to, when there were several.
    #[serde(skip_serializing_if = "Option::is_none")]
    addresses: Option<&'a [String]>,
    stages: Vec<StageView<'a>>,
    capabilities: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate: Option<CertificateView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mechanism: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transcript: Option<&'a [String]>,
}

#[derive(Serialize)]
struct StageView<'a> {
    stage: &'static str,
    ok: bool,
    ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

#[derive(Serialize)]
struct CertificateView<'a> {
    subject: &'a str,
    issuer: &'a str,
    not_before: &'a str,
    not_after: &'a str,
    days_left: i64,
    names: &'a [String],
    self_signed: bool,
}

#[derive(Serialize)]
struct DiagnosisView<'a> {
    id: &'static str,
    category: &'static str,
    severity: &'static str,
    stage: Option<&'static str>,
    summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    remediation: &'a str,
    reference: Option<&'static str>,
    evidence: Option<&'a str>,
    /// 1-based line of the pasted text where the evidence starts (`explain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    /// Other categories the same evidence fits.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    alternatives: Vec<AlternativeView<'a>>,
}

#[derive(Serialize)]
struct AlternativeView<'a> {
    category: &'static str,
    id: &'static str,
    why: &'a str,
}

fn endpoint_view(r: &EndpointResult, verbose: bool) -> EndpointView<'_> {
    let p = &r.probe;
    let tls = p.tls.as_ref();
    EndpointView {
        host: &p.endpoint.host,
        port: p.endpoint.port,
        tls: p.endpoint.tls.as_str(),
        source: Some(r.candidate.source.as_str()),
        source_detail: Some(&r.candidate.detail),
        category: Some(r.category.as_str()),
        address: p.address.as_deref(),
        addresses: (p.addresses.len() > 1).then_some(p.addresses.as_slice()),
        stages: p
            .stages
            .iter()
            .map(|s| StageView {
                stage: s.stage.as_str(),
                ok: s.ok,
                ms: s.ms,
                detail: s.detail.as_deref(),
            })
            .collect(),
        capabilities: p
            .capabilities
            .as_ref()
            .map(|c| c.lines.iter().map(String::as_str).collect())
            .unwrap_or_default(),
        tls_version: tls.and_then(|t| t.version.as_deref()),
        certificate: tls
            .and_then(|t| t.certificate.as_ref())
            .map(|c| CertificateView {
                subject: &c.subject,
                issuer: &c.issuer,
                not_before: &c.not_before,
                not_after: &c.not_after,
                days_left: c.days_left,
                names: &c.names,
                self_signed: c.self_signed,
            }),
        mechanism: p.mechanism.map(|m| m.name()),
        transcript: verbose.then_some(p.transcript.as_slice()),
    }
}

fn discovery_view<'a>(d: &'a Discovery, probed: &'a [EndpointResult]) -> DiscoveryView<'a> {
    DiscoveryView {
        domain: &d.domain,
        candidates: d
            .candidates
            .iter()
            .map(|c| {
                let report = probed.iter().find(|p| p.probe.endpoint == c.endpoint);
                CandidateView {
                    host: &c.endpoint.host,
                    port: c.endpoint.port,
                    tls: c.endpoint.tls.as_str(),
                    source: c.source.as_str(),
                    trust: c.trust().as_str(),
                    detail: &c.detail,
                    url: c.hints.url.as_deref(),
                    username: c.hints.username.as_deref(),
                    authentication: &c.hints.authentication,
                    probed: report.is_some(),
                    category: report.map(|p| p.category.as_str()),
                }
            })
            .collect(),
        http: d
            .http
            .iter()
            .map(|h| HttpStepView {
                source: h.source.as_str(),
                url: &h.url,
                ok: h.ok,
                result: &h.result,
            })
            .collect(),
        notes: &d.notes,
        lookups: d
            .lookups
            .iter()
            .map(|l| LookupView {
                name: &l.name,
                rtype: l.rtype,
                result: &l.result,
            })
            .collect(),
    }
}

fn diagnosis_view(d: &Diagnosis) -> DiagnosisView<'_> {
    DiagnosisView {
        id: d.id,
        category: d.category.as_str(),
        severity: d.severity.as_str(),
        stage: d.stage.map(|s| s.as_str()),
        summary: &d.summary,
        detail: d.detail.as_deref(),
        remediation: &d.remediation,
        reference: d.reference,
        evidence: d.evidence.as_deref(),
        line: d.line,
        alternatives: d
            .alternatives
            .iter()
            .map(|a| AlternativeView {
                category: a.category.as_str(),
                id: a.id,
                why: &a.why,
            })
            .collect(),
    }
}

/// Writes the document (pretty-printed) and a final newline.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    render_expecting(report, None, true, out)
}

/// Writes the document with `expect` (and `exit_code` following it, see
/// `Report::exit_status_expecting`), pretty or on one line, and a newline.
pub fn render_expecting(
    report: &Report,
    expect: Option<Category>,
    pretty: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_document(document(report, expect), pretty, out)
}

/// `check --dry-run`: the same document with `"dry_run": true`,
/// `"category": null` and `exit_code` 0 (pretty-printed).
pub fn render_dry_run(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut doc = document(report, None);
    doc.category = None;
    doc.dry_run = Some(true);
    doc.exit_code = 0;
    write_document(doc, true, out)
}

fn write_document(doc: Document<'_>, pretty: bool, out: &mut dyn Write) -> io::Result<()> {
    if pretty {
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    } else {
        serde_json::to_writer(&mut *out, &doc).map_err(io::Error::other)?;
    }
    writeln!(out)
}

fn document(report: &Report, expect: Option<Category>) -> Document<'_> {
    Document {
        version: VERSION,
        category: Some(report.category.as_str()),
        dry_run: None,
        exit_code: report.exit_status_expecting(expect).code(),
        target: report.target.as_ref().map(|t| TargetView {
            address: t.address.as_deref(),
            user: t.user.as_deref(),
        }),
        endpoints: report.endpoints.as_ref().map(|eps| {
            eps.iter()
                .map(|p| endpoint_view(p, report.verbose))
                .collect()
        }),
        discovery: report
            .discovery
            .as_ref()
            .map(|d| discovery_view(d, report.endpoints.as_deref().unwrap_or_default())),
        diagnoses: report.diagnoses.iter().map(diagnosis_view).collect(),
        other_addresses: report
            .other_addresses
            .iter()
            .map(|p| endpoint_view(p, report.verbose))
            .collect(),
        suggested_settings: report.suggested_settings.as_ref().map(|list| {
            list.iter()
                .map(|s| SuggestionView {
                    host: &s.endpoint.host,
                    port: s.endpoint.port,
                    tls: s.endpoint.tls.as_str(),
                    verified: s.verified,
                    why: &s.why,
                    client_settings: s.client_settings(),
                    command: s.command.as_deref(),
                })
                .collect()
        }),
        expect: expect.map(|e| ExpectView {
            category: e.as_str(),
            met: e == report.category,
        }),
    }
}
