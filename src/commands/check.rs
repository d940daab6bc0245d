//! `smtp-doctor check`: the command line → a `CheckConfig`, the secret
//! (a file, stdin, the environment, the prompt, or an OAuth sign-in), then
//! the engine in `crate::check`, then the report in the `--format` asked for.
//! `--batch` hands over to `commands/batch.rs`.

use super::write_stdout;
use crate::check::{
    self, plan_check, probe_options, suggest, trust_anchors, CheckConfig, OAuthProvider,
};
use crate::cli::{self, CheckArgs, CheckFormat, ColorArg, MechanismArg, TlsArg};
use crate::credentials;
use crate::diagnose::primary_category;
use crate::discovery::{Candidate, Discovery, Source};
use crate::endpoint::{Endpoint, TlsMode};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::oauth::{authcode, cache, device, lint};
use crate::render::{json, nagios, text};
use crate::report::Report;
use crate::secret::Credential;
use crate::smtp::sasl::Mechanism;
use clap::ValueEnum;
use std::io::Write;
use std::time::Duration;

/// The settings the command line asks for, resolved (no clap types below here).
pub(crate) fn config(args: &CheckArgs) -> CheckConfig {
    CheckConfig {
        address: args.address.clone(),
        host: args.host.clone(),
        port: args.port,
        tls: args.tls.map(|t| match t {
            TlsArg::Starttls => TlsMode::StartTls,
            TlsArg::Implicit => TlsMode::Implicit,
            TlsArg::None => TlsMode::None,
        }),
        user: args.user.clone(),
        mechanism: match args.mechanism {
            MechanismArg::Auto => None,
            MechanismArg::Plain => Some(Mechanism::Plain),
            MechanismArg::Login => Some(Mechanism::Login),
            MechanismArg::CramMd5 => Some(Mechanism::CramMd5),
            MechanismArg::Xoauth2 => Some(Mechanism::XOAuth2),
            MechanismArg::Oauthbearer => Some(Mechanism::OAuthBearer),
        },
        oauth: args.oauth.map(|p| match p {
            cli::OAuthProvider::Microsoft => OAuthProvider::Microsoft,
            cli::OAuthProvider::Google => OAuthProvider::Google,
            cli::OAuthProvider::Custom => OAuthProvider::Custom,
        }),
        cafile: args.cafile.clone(),
        timeout: args.timeout.map(Duration::from_secs_f64),
        ehlo_name: args.ehlo_name.clone(),
        dns_server: args.dns_server,
        all: args.all,
        http: !args.no_http,
        ispdb: args.ispdb.clone(),
        dry_run: args.dry_run,
        verbose: args.verbose,
        expect: args.expect,
        cert_warn_days: args.cert_warn,
    }
}

/// The `--cert-warn` / `--cert-crit` thresholds.
pub(crate) fn thresholds(args: &CheckArgs) -> Result<nagios::Thresholds, Error> {
    if args.cert_crit > args.cert_warn {
        return Err(Error::usage(format!(
            "--cert-crit {} is more than --cert-warn {}",
            args.cert_crit, args.cert_warn
        )));
    }
    if let (Some(w), Some(c)) = (args.warning, args.critical) {
        if w > c {
            return Err(Error::usage(format!(
                "-w {w} is more than -c {c}: the warning time must not exceed the critical one"
            )));
        }
    }
    Ok(nagios::Thresholds {
        warn_days: args.cert_warn,
        crit_days: args.cert_crit,
        warn_secs: args.warning,
        crit_secs: args.critical,
    })
}

/// `--dry-run`: the candidates (with `--host`, the one given) and every DNS
/// lookup, never a verdict: text ends in `result: dry run`, JSON has
/// `"dry_run": true` and `"category": null`; exit 0 (nothing was checked,
/// nothing failed). `--format nagios` was refused before discovery.
fn emit_dry_run(
    mut report: Report,
    given: Endpoint,
    args: &CheckArgs,
    color: ColorArg,
) -> Result<ExitStatus, Error> {
    if report.discovery.is_none() {
        report.discovery = Some(Discovery {
            domain: given.host.clone(),
            candidates: vec![Candidate {
                endpoint: given,
                source: Source::Given,
                detail: "--host".into(),
                hints: Default::default(),
            }],
            ..Discovery::default()
        });
    }
    let mut buf = Vec::new();
    match args.output_format() {
        CheckFormat::Json => json::render_dry_run(&report, &mut buf)?,
        _ => text::render_dry_run(&report, true, &mut buf)?,
    }
    write_stdout(&buf, color)?;
    Ok(ExitStatus::Healthy)
}

/// Writes one check's report in the `--format` asked for; returns the exit
/// status (`--expect` applied; a plugin state for `--format nagios`).
fn emit(
    report: &Report,
    args: &CheckArgs,
    elapsed: Duration,
    color: ColorArg,
) -> Result<ExitStatus, Error> {
    let th = thresholds(args)?;
    let mut buf = Vec::new();
    let status = match args.output_format() {
        CheckFormat::Nagios => ExitStatus::Plugin(nagios::render_check(
            report,
            args.expect,
            elapsed,
            th,
            &mut buf,
        )?),
        CheckFormat::Json => {
            json::render_expecting(report, args.expect, true, &mut buf)?;
            report.exit_status_expecting(args.expect)
        }
        CheckFormat::Text => {
            text::render(report, true, &mut buf)?;
            let status = report.exit_status_expecting(args.expect);
            if let Some(e) = args.expect {
                let verdict = if e == report.category {
                    "met"
                } else {
                    "NOT met"
                };
                writeln!(buf, "expect: {e}: {verdict} (exit {})", status.code())?;
            }
            status
        }
    };
    write_stdout(&buf, color)?;
    Ok(status)
}

pub(crate) fn run(args: &CheckArgs, color: ColorArg) -> Result<ExitStatus, Error> {
    if args.batch.is_some() {
        return super::batch::run(args, color);
    }
    thresholds(args)?;
    if args.dry_run && args.output_format() == CheckFormat::Nagios {
        // A monitoring system must never read "OK" from a run that tested nothing.
        return Err(Error::usage_hint(
            "--dry-run checks nothing, so it has no monitoring state",
            "run without --dry-run, or use --format text or json to list the candidates",
        ));
    }
    let config = config(args);
    let plan = plan_check(&config)?;
    let anchors = trust_anchors(&config)?;
    let flow = match (config.oauth, &args.client_id) {
        (Some(provider), Some(client_id)) if !config.dry_run && !args.no_auth => {
            if plan.target.user.is_none() {
                return Err(Error::usage_hint(
                    "--oauth needs the user name the token is for",
                    "pass the ADDRESS or --user",
                ));
            }
            Some(sign_in_plan(
                args,
                provider,
                client_id,
                plan.target.user.as_deref(),
            )?)
        }
        _ => None,
    };
    let credential = match &flow {
        _ if config.dry_run || args.no_auth => None,
        Some(flow) => match sign_in(flow) {
            Ok(token) => Some(Credential::Token(token)),
            Err(diagnosis) => {
                // No token, so no SMTP session: the sign-in failure is the result.
                let report = Report {
                    category: primary_category(std::slice::from_ref(&diagnosis)),
                    target: Some(plan.target),
                    endpoints: Some(Vec::new()),
                    discovery: None,
                    diagnoses: vec![*diagnosis],
                    verbose: config.verbose,
                    suggested_settings: None,
                    other_addresses: Vec::new(),
                };
                return emit(&report, args, Duration::ZERO, color);
            }
        },
        None => {
            let sources = credentials::Sources {
                password_file: args.password_file.as_deref(),
                password_stdin: args.password_stdin,
                token_file: args.token_file.as_deref(),
                token_stdin: args.token_stdin,
                prompt_for: plan.target.user.as_deref(),
                wants_token: plan.mechanism.is_some_and(Mechanism::uses_token),
                tokens_only: false,
            };
            match credentials::load(&sources)? {
                Some(c) => Some(c),
                // No secret, no OK: a check that cannot log in must not pass
                // for one that did (a typo in a variable name, a lost file).
                None => {
                    return Err(Error::usage_hint(
                        format!(
                            "no secret given, so the login cannot be tested; looked at {}",
                            credentials::looked_at(&sources)
                        ),
                        "give the password with --password-file, --password-stdin or SMTP_DOCTOR_PASSWORD \
                         (a token with --token-file, --token-stdin or SMTP_DOCTOR_TOKEN), \
                         or pass --no-auth to check only the connection and TLS",
                    ))
                }
            }
        }
    };
    let oauth_token = match (&flow, &credential) {
        (Some(_), Some(Credential::Token(t))) => Some(t.clone()),
        _ => None,
    };
    if credential.is_some() && plan.target.user.is_none() {
        return Err(Error::usage_hint(
            "a secret was given but no user name",
            "pass the ADDRESS or --user",
        ));
    }
    if config.tls == Some(TlsMode::Implicit) && plan.endpoint.port == 587 {
        eprintln!("warning: port 587 normally uses STARTTLS, not implicit TLS (use --tls starttls or port 465)");
    }
    let options = probe_options(&config, &plan, credential, anchors);
    let user = plan.target.user.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Output)?;
    let given = plan.endpoint.clone();
    let (mut report, elapsed) = runtime.block_on(check::check_plan(plan, &options, config.verbose));
    if args.dry_run {
        return emit_dry_run(report, given, args, color);
    }
    if let (Some(token), false) = (
        &oauth_token,
        report.category == crate::diagnose::Category::Ok,
    ) {
        // The server refused the token we just got: say what the token says,
        // after the server's own verdict (which stays the primary diagnosis).
        report
            .diagnoses
            .extend(lint::lint(token, user.as_deref(), lint::unix_now()));
        report.diagnoses.sort_by_key(|d| d.severity);
    }
    if !args.no_suggest && args.output_format() != CheckFormat::Nagios {
        if let Some(mut found) = runtime.block_on(suggest::suggest(&report, &options)) {
            let base = suggest_base(args);
            for s in &mut found {
                s.command = Some(suggest::command_line(&base, &s.endpoint));
            }
            suggest::annotate(&mut report.diagnoses, &found);
            report.suggested_settings = Some(found);
        }
    }
    // After the suggestions, which are about the endpoint checked, not about
    // a broken sibling address.
    if args.all_addresses {
        runtime.block_on(check::addresses::check_others(&mut report, &options));
    }
    emit(&report, args, elapsed, color)
}

/// The words of a suggested command line that stay as the user gave them:
/// the account, user name, CA file, secret source, mechanism and deadlines
/// (host, port and TLS mode are the suggestion's). No secret is a flag value.
fn suggest_base(args: &CheckArgs) -> Vec<String> {
    let mut words: Vec<String> = args.address.iter().cloned().collect();
    let mut flag = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            words.push(name.to_string());
            words.push(v);
        }
    };
    flag("--user", args.user.clone());
    flag(
        "--cafile",
        args.cafile.as_ref().map(|p| p.display().to_string()),
    );
    flag(
        "--mechanism",
        (args.mechanism != MechanismArg::Auto)
            .then(|| args.mechanism.to_possible_value())
            .flatten()
            .map(|v| v.get_name().to_string()),
    );
    flag(
        "--password-file",
        args.password_file.as_ref().map(|p| p.display().to_string()),
    );
    flag(
        "--token-file",
        args.token_file.as_ref().map(|p| p.display().to_string()),
    );
    flag(
        "--oauth",
        args.oauth
            .and_then(|o| o.to_possible_value())
            .map(|v| v.get_name().to_string()),
    );
    flag("--client-id", args.client_id.clone());
    flag("--tenant", args.tenant.clone());
    flag("--authority", args.authority.clone());
    flag("--auth-url", args.auth_url.clone());
    flag("--token-url", args.token_url.clone());
    flag("--scope", args.scope.clone());
    flag(
        "--client-secret-file",
        args.client_secret_file
            .as_ref()
            .map(|p| p.display().to_string()),
    );
    flag("--timeout", args.timeout.map(|t| t.to_string()));
    flag("--dns-server", args.dns_server.map(|a| a.to_string()));
    flag(
        "--ehlo-name",
        (args.ehlo_name != "localhost").then(|| args.ehlo_name.clone()),
    );
    if args.password_stdin {
        words.push("--password-stdin".into());
    }
    if args.token_stdin {
        words.push("--token-stdin".into());
    }
    words
}

/// The client secret of `--client-secret-file`, if given.
pub(crate) fn client_secret(
    path: Option<&std::path::Path>,
) -> Result<Option<crate::secret::Secret>, Error> {
    let Some(path) = path else { return Ok(None) };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("--client-secret-file {}: {e}", path.display())))?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(Error::usage(format!(
            "--client-secret-file {} is empty",
            path.display()
        )));
    }
    Ok(Some(crate::secret::Secret::new(secret.to_string())))
}

/// How this run signs in (`--oauth`, `--oauth-flow`).
enum SignIn {
    Device(device::FlowConfig),
    Browser {
        cfg: Box<authcode::AuthCodeConfig>,
        /// Open a browser (else only print the URL).
        open: bool,
        /// `--token-cache`, and what it held (None on a first run).
        cache: Option<(std::path::PathBuf, Option<cache::Cached>)>,
    },
}

/// Whether a browser can be opened on this machine: `$BROWSER`, a
/// graphical session on Unix (DISPLAY, WAYLAND_DISPLAY), always on macOS
/// and Windows. A terminal over SSH has none of these.
fn browser_available() -> bool {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    set("BROWSER")
        || cfg!(any(target_os = "macos", windows))
        || set("DISPLAY")
        || set("WAYLAND_DISPLAY")
}

/// Starts the browser on `url`; the reason when it cannot.
fn open_browser(url: &str) -> Result<(), String> {
    use std::process::{Command, Stdio};
    let mut cmd = match std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty())
    {
        // $BROWSER: a command, or a ':'-separated list (the first is used);
        // `%s` stands for the URL, else the URL is the last argument.
        Some(b) => {
            let first = b.split(':').next().unwrap_or("").to_string();
            let mut words = first.split_whitespace().map(str::to_string);
            let program = words.next().ok_or("BROWSER is empty")?;
            let mut args: Vec<String> = words.collect();
            if args.iter().any(|a| a.contains("%s")) {
                args = args.iter().map(|a| a.replace("%s", url)).collect();
            } else {
                args.push(url.to_string());
            }
            let mut c = Command::new(program);
            c.args(args);
            c
        }
        None if cfg!(target_os = "macos") => {
            let mut c = Command::new("open");
            c.arg(url);
            c
        }
        None if cfg!(windows) => {
            let mut c = Command::new("rundll32");
            c.args(["url.dll,FileProtocolHandler", url]);
            c
        }
        None => {
            let mut c = Command::new("xdg-open");
            c.arg(url);
            c
        }
    };
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{:?}: {e}", cmd.get_program()))?;
    // Reaped in the background: xdg-open returns at once, a browser may not.
    std::thread::spawn(move || {
        let mut child = child;
        let _ = child.wait();
    });
    Ok(())
}

fn sign_in_plan(
    args: &CheckArgs,
    provider: OAuthProvider,
    client_id: &str,
    user: Option<&str>,
) -> Result<SignIn, Error> {
    use cli::OAuthFlowArg as F;
    if provider != OAuthProvider::Microsoft && (args.tenant.is_some() || args.authority.is_some()) {
        return Err(Error::usage_hint(
            "--tenant and --authority are for --oauth microsoft",
            "give --auth-url and --token-url for other identity platforms",
        ));
    }
    let device = || {
        device::FlowConfig::new(args.authority.as_deref(), args.tenant.as_deref(), client_id)
            .map_err(Error::usage)
    };
    let flow = match args.oauth_flow {
        F::Device if provider != OAuthProvider::Microsoft => {
            return Err(Error::usage_hint(
                "--oauth-flow device is Microsoft's only (Google has no device flow for the Gmail scope)",
                "use --oauth-flow browser (add --no-browser to print the URL)",
            ))
        }
        F::Device if args.token_cache.is_some() => {
            return Err(Error::usage_hint(
                "--token-cache works with the browser flow only",
                "drop --oauth-flow device, or --token-cache",
            ))
        }
        F::Device => return Ok(SignIn::Device(device()?)),
        F::Auto
            if !args.no_browser
                && !browser_available()
                && provider == OAuthProvider::Microsoft =>
        {
            eprintln!(
                "note: no browser can be opened here (no DISPLAY, WAYLAND_DISPLAY or BROWSER), so smtp-doctor \
                 signs in with the device-code flow instead (--oauth-flow browser --no-browser prints the browser \
                 flow's URL; it must be opened on this machine)."
            );
            if args.token_cache.is_some() {
                eprintln!("note: the device-code flow does not use --token-cache; nothing is stored.");
            }
            return Ok(SignIn::Device(device()?));
        }
        F::Auto | F::Browser => !args.no_browser,
    };
    let mut cfg = match provider {
        OAuthProvider::Microsoft => {
            if args.auth_url.is_some() || args.token_url.is_some() {
                return Err(Error::usage_hint(
                    "--auth-url and --token-url are for --oauth google or custom",
                    "for Microsoft give --authority and --tenant",
                ));
            }
            let mut cfg = authcode::AuthCodeConfig::microsoft(
                args.authority.as_deref(),
                args.tenant.as_deref(),
                client_id,
            )
            .map_err(Error::usage)?;
            if let Some(scope) = &args.scope {
                cfg.scope = scope.clone();
            }
            cfg
        }
        OAuthProvider::Google | OAuthProvider::Custom => authcode::AuthCodeConfig::endpoints(
            if provider == OAuthProvider::Google {
                authcode::Profile::Google
            } else {
                authcode::Profile::Custom
            },
            args.auth_url.as_deref(),
            args.token_url.as_deref(),
            args.scope.as_deref(),
            client_id,
        )
        .map_err(Error::usage)?,
    };
    cfg.client_secret = client_secret(args.client_secret_file.as_deref())?;
    cfg.login_hint = user.map(str::to_string);
    if let Some(secs) = args.sign_in_timeout {
        cfg.wait = Duration::from_secs(secs);
    }
    // Read (and judge) the cache before anything goes on the network: a
    // cache others can read is refused, not used and not replaced.
    let cache = match &args.token_cache {
        None => None,
        Some(path) => match cache::load(path) {
            Ok(c) => Some((path.clone(), Some(c))),
            Err(cache::CacheError::Missing) => Some((path.clone(), None)),
            Err(cache::CacheError::Refused(why)) => {
                return Err(Error::usage(format!("--token-cache {why}")))
            }
        },
    };
    Ok(SignIn::Browser {
        cfg: Box::new(cfg),
        open: flow,
        cache,
    })
}

/// The access token from the cache's refresh token; None means sign in
/// interactively (said on stderr: another client's cache, or a refused
/// refresh token, is replaced after the new sign-in).
fn from_cache(
    path: &std::path::Path,
    cached: &cache::Cached,
    cfg: &authcode::AuthCodeConfig,
) -> Option<crate::secret::Secret> {
    if cached.client_id != cfg.client_id || cached.token_url != cfg.token.as_str() {
        eprintln!(
            "note: {} belongs to another client or identity platform; signing in again (it will be replaced).",
            path.display()
        );
        return None;
    }
    match authcode::refresh(cfg, &cached.refresh_token) {
        Ok(signed) => {
            if let Some(new) = &signed.refresh_token {
                if let Err(why) = cache::store(path, cfg, new) {
                    eprintln!("warning: could not store the new refresh token: {why}");
                }
            }
            Some(signed.access_token)
        }
        Err(d) => {
            eprintln!(
                "note: the cached refresh token was refused ({}: {}); signing in again.",
                d.id, d.summary
            );
            None
        }
    }
}

/// Runs the sign-in, talking to the user on stderr (stdout is the report).
fn sign_in(flow: &SignIn) -> Result<crate::secret::Secret, Box<crate::diagnose::Diagnosis>> {
    let token = match flow {
        SignIn::Device(flow) => {
            let mut prompt = |p: &device::Prompt| {
                eprintln!(
                    "To sign in, open {} in a browser and enter the code {} (it expires in {} min).",
                    p.verification_uri,
                    p.user_code,
                    p.expires_in.div_ceil(60)
                );
                eprintln!(
                    "Waiting for the sign-in; the token is used for this check only and never stored…"
                );
            };
            device::sign_in(flow, &mut device::RealPacer, &mut prompt)?
        }
        SignIn::Browser { cfg, open, cache } => {
            if let Some((path, Some(cached))) = cache {
                if let Some(token) = from_cache(path, cached, cfg) {
                    eprintln!(
                        "Signed in with the refresh token of {}; checking the SMTP login with XOAUTH2.",
                        path.display()
                    );
                    return Ok(token);
                }
            }
            let mut prompt = |p: &authcode::Prompt| {
                let opened = if *open {
                    match open_browser(&p.url) {
                        Ok(()) => true,
                        Err(why) => {
                            eprintln!("note: could not start a browser ({why}).");
                            false
                        }
                    }
                } else {
                    false
                };
                eprintln!(
                    "{} this address in a browser on this machine to sign in:\n  {}",
                    if opened { "Opened" } else { "Open" },
                    p.url
                );
                eprintln!(
                    "Waiting up to {} s for the browser to come back to {}; the token is used for this check only and never shown…",
                    p.wait.as_secs(),
                    p.redirect_uri
                );
            };
            let signed = authcode::sign_in(cfg, &mut prompt)?;
            if let (Some((path, _)), Some(refresh)) = (cache, &signed.refresh_token) {
                match cache::store(path, cfg, refresh) {
                    Ok(()) => eprintln!(
                        "Stored the refresh token in {} (mode 0600).",
                        path.display()
                    ),
                    Err(why) => eprintln!("warning: could not store the refresh token: {why}"),
                }
            }
            signed.access_token
        }
    };
    eprintln!("Signed in; checking the SMTP login with XOAUTH2.");
    Ok(token)
}
