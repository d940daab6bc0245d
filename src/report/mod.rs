//! The finished result of a command: what `render` prints; and, in
//! [`monitor`], what it means for a monitoring system.

pub mod monitor;

use crate::diagnose::{Category, Diagnosis};
use crate::discovery::{Candidate, Discovery};
use crate::endpoint::{Endpoint, TlsMode};
use crate::exit::ExitStatus;
use crate::probe::ProbeReport;

/// The `version` of every JSON document and of the batch summary line: one
/// number for the whole output contract, so batch (which writes the summary)
/// need not import the renderer.
pub const JSON_VERSION: u32 = 1;

/// One probed endpoint: where it came from, what the probe saw, and what
/// that adds up to on its own.
#[derive(Debug, Clone)]
pub(crate) struct EndpointResult {
    /// The candidate probed (endpoint, discovery source and detail).
    pub(crate) candidate: Candidate,
    /// What the probe observed.
    pub(crate) probe: ProbeReport,
    /// This endpoint's own diagnoses (without discovery's warnings).
    pub(crate) diagnoses: Vec<Diagnosis>,
    /// This endpoint's own verdict.
    pub(crate) category: Category,
}

/// Another port or TLS mode on the same host, probed without the secret
/// after a failure it may avoid (`check::suggest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Suggestion {
    pub(crate) endpoint: Endpoint,
    /// A greeting, TLS as named and AUTH offered (checked without the secret).
    pub(crate) verified: bool,
    /// What was seen there, in a sentence.
    pub(crate) why: String,
    /// The relay/MX port (25): a note, not a setting for logins.
    pub(crate) relay: bool,
    /// The `smtp-doctor check` command line for this endpoint (set by the
    /// command-line driver, which knows the flags).
    pub(crate) command: Option<String>,
}

impl Suggestion {
    /// The words mail clients use: "Port 465, SSL/TLS".
    pub(crate) fn client_settings(&self) -> String {
        let mode = match self.endpoint.tls {
            TlsMode::Implicit => "SSL/TLS",
            TlsMode::StartTls => "STARTTLS",
            TlsMode::None => "no encryption",
        };
        format!("Port {}, {mode}", self.endpoint.port)
    }
}

/// Who is being checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Target {
    pub(crate) address: Option<String>,
    pub(crate) user: Option<String>,
}

/// One command's result: `check` fills `endpoints`, `explain` does not.
#[derive(Debug, Clone)]
pub struct Report {
    pub(crate) target: Option<Target>,
    pub(crate) endpoints: Option<Vec<EndpointResult>>,
    /// What discovery found (`check` without `--host`).
    pub(crate) discovery: Option<Discovery>,
    pub diagnoses: Vec<Diagnosis>,
    pub category: Category,
    /// Include transcripts.
    pub verbose: bool,
    /// Other ports or TLS modes on the same host, probed without the secret;
    /// `None` when none were probed (no failure they avoid, `--no-suggest`,
    /// batch, monitoring output).
    pub(crate) suggested_settings: Option<Vec<Suggestion>>,
    /// `check --all-addresses`: the best endpoint probed again at each other
    /// address its host resolved to, without the secret. Kept apart from
    /// `endpoints`, so that a login-less probe never becomes the best endpoint.
    pub(crate) other_addresses: Vec<EndpointResult>,
}

impl Report {
    pub fn exit_status(&self) -> ExitStatus {
        self.category.exit_status()
    }

    /// The endpoint the verdict is based on: the probed endpoint closest to a
    /// working login ([`closeness`]), the earlier one on a tie. `check` with
    /// several candidates (discovery, `--all`) probes more than one.
    pub(crate) fn best_endpoint(&self) -> Option<&EndpointResult> {
        best(self.endpoints.as_deref()?)
    }

    /// What the probe of [`Report::best_endpoint`] observed.
    pub(crate) fn best_probe(&self) -> Option<&ProbeReport> {
        self.best_endpoint().map(|r| &r.probe)
    }

    /// The exit status under `--expect`: healthy when the category is the
    /// expected one; an unexpected `ok` is a problem (exit 1), never 0.
    pub fn exit_status_expecting(&self, expect: Option<Category>) -> ExitStatus {
        match expect {
            Some(e) if e == self.category => ExitStatus::Healthy,
            Some(_) if self.category == Category::Ok => ExitStatus::Problem,
            _ => self.exit_status(),
        }
    }
}

/// The endpoint closest to a working login, the earlier one on a tie.
pub(crate) fn best(endpoints: &[EndpointResult]) -> Option<&EndpointResult> {
    endpoints
        .iter()
        .enumerate()
        .min_by_key(|(i, r)| (closeness(r.category), *i))
        .map(|(_, r)| r)
}

/// How close an endpoint's verdict is to a working login; lower is better.
/// Authenticated (or healthy up to AUTH), then the server judged the
/// credentials, then an account/server policy, then "try later", then TLS,
/// then a broken dialogue, then unreachable. Ties go to the earlier candidate.
pub(crate) fn closeness(category: Category) -> u8 {
    match category.exit_status() {
        ExitStatus::Healthy => 0,
        ExitStatus::Credentials => 1,
        ExitStatus::Policy => 2,
        ExitStatus::Temporary => 3,
        ExitStatus::Tls => 4,
        ExitStatus::Problem => 5,
        ExitStatus::Unreachable => 6,
        ExitStatus::Usage | ExitStatus::Plugin(_) => 7,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(category: Category) -> Report {
        Report {
            target: None,
            endpoints: None,
            discovery: None,
            diagnoses: Vec::new(),
            category,
            verbose: false,
            suggested_settings: None,
            other_addresses: Vec::new(),
        }
    }

    #[test]
    fn expect_turns_the_expected_category_into_exit_0() {
        let wrong = report(Category::WrongCredentials);
        assert_eq!(wrong.exit_status_expecting(None), ExitStatus::Credentials);
        assert_eq!(
            wrong.exit_status_expecting(Some(Category::WrongCredentials)),
            ExitStatus::Healthy
        );
        assert_eq!(
            wrong.exit_status_expecting(Some(Category::RateLimited)),
            ExitStatus::Credentials
        );
        // A canary that suddenly logs in must not pass.
        let ok = report(Category::Ok);
        assert_eq!(
            ok.exit_status_expecting(Some(Category::WrongCredentials)),
            ExitStatus::Problem
        );
        assert_eq!(
            ok.exit_status_expecting(Some(Category::Ok)),
            ExitStatus::Healthy
        );
    }
}
