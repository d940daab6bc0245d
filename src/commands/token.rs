//! `smtp-doctor token`: lint an OAuth access token offline, render; with
//! `--refresh`, exchange the refresh token of `--token-cache` first.

use super::write_report;
use crate::cli::{ColorArg, TokenArgs};
use crate::credentials::{self, TOKEN_ENV};
use crate::diagnose::primary_category;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::oauth::{authcode, cache, lint};
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

/// `token --refresh`: the cache's refresh token exchanged, the new access
/// token linted (or the diagnosis of the refused exchange).
fn refresh(args: &TokenArgs, path: &std::path::Path, color: ColorArg) -> Result<ExitStatus, Error> {
    let cached = match cache::load(path) {
        Ok(c) => c,
        Err(cache::CacheError::Missing) => {
            return Err(Error::usage_hint(
                format!("--token-cache {} does not exist", path.display()),
                "sign in once with check --oauth … --token-cache PATH",
            ))
        }
        Err(cache::CacheError::Refused(why)) => {
            return Err(Error::usage(format!("--token-cache {why}")))
        }
    };
    let mut cfg = cached.config().map_err(Error::usage)?;
    cfg.client_secret = super::check::client_secret(args.client_secret_file.as_deref())?;
    let report = match authcode::refresh(&cfg, &cached.refresh_token) {
        Ok(signed) => {
            if let Some(new) = &signed.refresh_token {
                cache::store(path, &cfg, new).map_err(Error::usage)?;
            }
            token_report(&signed.access_token, args.user.as_deref(), lint::unix_now())
        }
        Err(d) => {
            let diagnoses = vec![*d];
            Report {
                target: Some(Target {
                    address: None,
                    user: args.user.clone(),
                }),
                endpoints: None,
                discovery: None,
                category: primary_category(&diagnoses),
                diagnoses,
                verbose: false,
                suggested_settings: None,
                other_addresses: Vec::new(),
            }
        }
    };
    write_report(&report, args.format.into(), color)?;
    Ok(report.exit_status())
}

pub(crate) fn run(args: &TokenArgs, color: ColorArg) -> Result<ExitStatus, Error> {
    if let (true, Some(path)) = (args.refresh, &args.token_cache) {
        return refresh(args, path, color);
    }
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
