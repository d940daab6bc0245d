//! `smtp-doctor explain`: read pasted text, classify it offline, render.

use super::write_report;
use crate::cli::{ColorArg, ExplainArgs};
use crate::diagnose::{self, classify, primary_category, Category};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::explain;
use crate::report::Report;
use std::io::IsTerminal;

/// Classifies pasted text (bytes, any encoding) into a report.
pub fn explain_bytes(input: &[u8]) -> Report {
    report(explain::observe(input))
}

/// The report for what `explain` found in a text.
fn report(findings: explain::Findings) -> Report {
    let mut diagnoses = classify(&findings.observations);
    let category = if diagnoses
        .iter()
        .any(|d| d.severity == diagnose::Severity::Error)
    {
        if let Some(client) = findings.client {
            diagnose::for_client(&mut diagnoses, client.where_to_change());
        }
        primary_category(&diagnoses)
    } else if findings.success {
        Category::Ok
    } else {
        diagnoses.insert(0, unrecognised());
        Category::Other
    };
    Report {
        target: None,
        endpoints: None,
        discovery: None,
        diagnoses,
        category,
        verbose: false,
        suggested_settings: None,
        other_addresses: Vec::new(),
    }
}

fn unrecognised() -> diagnose::Diagnosis {
    diagnose::Diagnosis {
        id: "unrecognised-text",
        category: Category::Other,
        severity: diagnose::Severity::Error,
        stage: None,
        summary: "No SMTP error smtp-doctor knows was found in this text".into(),
        detail: None,
        remediation: "Paste the server's full reply (the line with the three-digit code, e.g. `535 5.7.8 …`) or the client's error message; or run `smtp-doctor check` to test the login live.".into(),
        reference: None,
        evidence: None,
        rank: usize::MAX,
        alternatives: Vec::new(),
        line: None,
    }
}

pub(crate) fn run(args: &ExplainArgs, color: ColorArg) -> Result<ExitStatus, Error> {
    let _ = color;
    let findings = match args.file.as_deref() {
        Some(p) if p.as_os_str() != "-" => {
            let f = std::fs::File::open(p).map_err(|source| Error::Read {
                what: "input file",
                path: p.display().to_string(),
                source,
            })?;
            explain::observe_reader(std::io::BufReader::new(f)).map_err(|source| Error::Read {
                what: "input file",
                path: p.display().to_string(),
                source,
            })?
        }
        _ => {
            if std::io::stdin().is_terminal() {
                eprintln!("Paste the error text, then press Ctrl-D:");
            }
            explain::observe_reader(std::io::stdin().lock()).map_err(|source| Error::Read {
                what: "standard input",
                path: "-".into(),
                source,
            })?
        }
    };
    let report = report(findings);
    write_report(&report, args.format.into(), color)?;
    Ok(report.exit_status())
}
