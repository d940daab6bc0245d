//! `smtp-doctor token`: lint an OAuth access token offline, render.

use super::write_report;
use crate::cli::{ColorArg, TokenArgs};
use crate::credentials::{self, TOKEN_ENV};
use crate::diagnose::primary_category;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::oauth::lint;
use crate::report::{Report, Target};
use crate::secret::{Credential, Secret};

/// The report for `token` linted for `user` at `now` (seconds since the epoch).
pub fn token_report(token: &Secret, user: Option<&str>, now: i64) -> Report {
    let diagnoses = lint::lint(token, user, now);
    let category = primary_category(&diagnoses);
    Report {
        target: Some(Target {
            address: None,
            user: user.map(str::to_string),
        }),
        endpoints: None,
        discovery: None,
        diagnoses,
        category,
        verbose: false,
        suggested_settings: None,
        other_addresses: Vec::new(),
    }
}

pub(crate) fn run(args: &TokenArgs, color: ColorArg) -> Result<ExitStatus, Error> {
    // Only token sources: a password in SMTP_DOCTOR_PASSWORD is not a token.
    let credential = credentials::load(&credentials::Sources {
        password_file: None,
        password_stdin: false,
        token_file: args.token_file.as_deref(),
        token_stdin: args.token_stdin,
        prompt_for: None,
        wants_token: false,
        tokens_only: true,
    })?;
    let Some(Credential::Token(token)) = credential else {
        return Err(Error::usage_hint(
            "no token to lint",
            format!("pass it with --token-file PATH, --token-stdin or {TOKEN_ENV}"),
        ));
    };
    let report = token_report(&token, args.user.as_deref(), lint::unix_now());
    write_report(&report, args.format.into(), color)?;
    Ok(report.exit_status())
}
