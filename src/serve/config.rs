//! `serve --config smtp-doctor.toml`: the TOML file → one resolved
//! [`CheckConfig`] and secret per account, every error naming the file and
//! the line (exit 2), every secret loaded before the server listens.
//!
//! Secrets are never inline: `password_file`, `password_env`, `token_file`
//! or `token_env`. A secret file others can read is refused, not warned
//! about: a server runs unattended, nobody reads its warnings.

use crate::check::{plan_check, CheckConfig};
use crate::endpoint::TlsMode;
use crate::error::Error;
use crate::secret::{Credential, Secret};
use crate::smtp::sasl::Mechanism;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use toml::Spanned;

/// The default `listen`: loopback only, so a fresh install is no open service.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:9725";
/// The default `min_interval` between two real logins of one account.
pub(crate) const DEFAULT_MIN_INTERVAL: Duration = Duration::from_secs(300);
/// The default `header_timeout`: the whole request head within 10 s.
pub(crate) const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The default `body_timeout`: a pasted text (at most 1 MiB) within 30 s.
pub(crate) const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// The default `max_concurrent_checks` across accounts.
pub(crate) const DEFAULT_MAX_CONCURRENT: usize = 4;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    listen: Option<Spanned<String>>,
    min_interval: Option<Spanned<String>>,
    cafile: Option<PathBuf>,
    timeout: Option<Spanned<String>>,
    ehlo_name: Option<String>,
    max_concurrent_checks: Option<Spanned<usize>>,
    header_timeout: Option<Spanned<String>>,
    body_timeout: Option<Spanned<String>>,
    web: Option<Spanned<RawWeb>>,
    #[serde(default)]
    accounts: BTreeMap<String, Spanned<RawAccount>>,
}

/// The HTTP side's own protection, as Prometheus's exporter-toolkit web
/// config offers it: TLS and one basic-auth user.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeb {
    tls_cert_file: Option<Spanned<PathBuf>>,
    tls_key_file: Option<Spanned<PathBuf>>,
    basic_auth_user: Option<Spanned<String>>,
    basic_auth_password_file: Option<Spanned<PathBuf>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    address: Spanned<String>,
    host: Option<String>,
    port: Option<u16>,
    tls: Option<Spanned<String>>,
    user: Option<String>,
    mechanism: Option<Spanned<String>>,
    min_interval: Option<Spanned<String>>,
    cafile: Option<PathBuf>,
    password_file: Option<Spanned<PathBuf>>,
    password_env: Option<Spanned<String>>,
    token_file: Option<Spanned<PathBuf>>,
    token_env: Option<Spanned<String>>,
}

/// One configured account: what to check, with which secret, how often.
pub(crate) struct Account {
    pub(crate) name: String,
    pub(crate) check: CheckConfig,
    pub(crate) credential: Credential,
    pub(crate) min_interval: Duration,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The credential's own Debug redacts; say only which kind it is.
        f.debug_struct("Account")
            .field("name", &self.name)
            .field("address", &self.check.address)
            .field("token", &self.credential.is_token())
            .field("min_interval", &self.min_interval)
            .finish()
    }
}

/// The whole file, resolved.
#[derive(Debug)]
pub(crate) struct ServeConfig {
    pub(crate) listen: SocketAddr,
    pub(crate) max_concurrent_checks: usize,
    /// A client must send its request headers within this time (slowloris).
    pub(crate) header_timeout: Duration,
    /// … and a request body within this time.
    pub(crate) body_timeout: Duration,
    pub(crate) accounts: BTreeMap<String, Account>,
    /// `[web]`: TLS for the HTTP side (rustls on ring, as the probe uses).
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
    /// `[web]`: the one user (and password) every request must present.
    pub(crate) basic_auth: Option<(String, Secret)>,
}

/// `path:line: message`, the form editors and CI logs link to.
struct At<'a> {
    path: &'a Path,
    text: &'a str,
}

impl At<'_> {
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn err(&self, span: std::ops::Range<usize>, message: impl std::fmt::Display) -> Error {
        Error::usage(format!(
            "{}:{}: {message}",
            self.path.display(),
            self.line(span.start)
        ))
    }

    fn err_hint(
        &self,
        span: std::ops::Range<usize>,
        message: impl std::fmt::Display,
        hint: &str,
    ) -> Error {
        Error::usage_hint(
            format!(
                "{}:{}: {message}",
                self.path.display(),
                self.line(span.start)
            ),
            hint,
        )
    }
}

/// `"5m"`, `"30s"`, `"1h"`, `"500ms"`, `"1m30s"`: a positive duration.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration (write e.g. \"30s\", \"5m\", \"1h\")");
    let mut total = Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            _ => return Err(bad()),
        };
        total = total.saturating_add(unit);
        rest = &rest[unit_len..];
    }
    if total.is_zero() {
        return Err(format!("{text:?} is zero; give a positive duration"));
    }
    Ok(total)
}

/// Reads and resolves the config file at `path`.
pub(crate) fn load(path: &Path) -> Result<ServeConfig, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        what: "config file",
        path: path.display().to_string(),
        source,
    })?;
    parse(path, &text)
}

/// Resolves the config `text` read from `path` (named in every error).
pub(crate) fn parse(path: &Path, text: &str) -> Result<ServeConfig, Error> {
    let at = At { path, text };
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let message = e.message().to_string();
        match e.span() {
            Some(span) => at.err(span, message),
            None => Error::usage(format!("{}: {message}", path.display())),
        }
    })?;
    let listen = match &raw.listen {
        None => DEFAULT_LISTEN
            .parse()
            .expect("the default listen address parses"),
        Some(l) => l.get_ref().parse().map_err(|_| {
            at.err_hint(
                l.span(),
                format!("listen = {:?} is not an address:port", l.get_ref()),
                "write e.g. listen = \"127.0.0.1:9725\"",
            )
        })?,
    };
    let duration = |d: &Option<Spanned<String>>, default: Duration| -> Result<Duration, Error> {
        match d {
            None => Ok(default),
            Some(d) => parse_duration(d.get_ref()).map_err(|m| at.err(d.span(), m)),
        }
    };
    let min_interval = duration(&raw.min_interval, DEFAULT_MIN_INTERVAL)?;
    let timeout = match &raw.timeout {
        None => None,
        Some(_) => Some(duration(&raw.timeout, Duration::ZERO)?),
    };
    let max_concurrent_checks = match &raw.max_concurrent_checks {
        None => DEFAULT_MAX_CONCURRENT,
        Some(n) if *n.get_ref() == 0 => {
            return Err(at.err(n.span(), "max_concurrent_checks must be at least 1"))
        }
        Some(n) => *n.get_ref(),
    };
    if raw.accounts.is_empty() {
        return Err(Error::usage_hint(
            format!("{}: no [accounts.NAME] section", path.display()),
            "add at least one account, e.g. [accounts.alerts] with address and password_file",
        ));
    }
    let mut accounts = BTreeMap::new();
    for (name, acc) in &raw.accounts {
        let span = acc.span();
        let acc = acc.get_ref();
        if !valid_name(name) {
            return Err(at.err_hint(
                span,
                format!("account name {name:?} is not usable as a target"),
                "use letters, digits, '-', '_' and '.' only",
            ));
        }
        let tls = match &acc.tls {
            None => None,
            Some(t) => Some(match t.get_ref().as_str() {
                "starttls" => TlsMode::StartTls,
                "implicit" => TlsMode::Implicit,
                "none" => TlsMode::None,
                other => {
                    return Err(at.err(
                        t.span(),
                        format!("tls = {other:?}: expected \"starttls\", \"implicit\" or \"none\""),
                    ))
                }
            }),
        };
        let mechanism = match &acc.mechanism {
            None => None,
            Some(m) if m.get_ref() == "auto" => None,
            Some(m) => Some(m.get_ref().parse::<Mechanism>().map_err(|_| {
                at.err(
                    m.span(),
                    format!(
                        "mechanism = {:?}: expected auto, plain, login, cram-md5, xoauth2 or oauthbearer",
                        m.get_ref()
                    ),
                )
            })?),
        };
        let credential = secret(&at, name, acc, span.clone(), mechanism)?;
        let check = CheckConfig {
            address: Some(acc.address.get_ref().clone()),
            host: acc.host.clone(),
            port: acc.port,
            tls,
            user: acc.user.clone(),
            mechanism,
            cafile: acc.cafile.clone().or_else(|| raw.cafile.clone()),
            timeout,
            ehlo_name: raw.ehlo_name.clone().unwrap_or_else(|| "localhost".into()),
            ..CheckConfig::default()
        };
        // The same checks `check` makes of its command line, now, not at the first scrape.
        plan_check(&check).map_err(|e| at.err(acc.address.span(), e))?;
        if let Some(cafile) = &check.cafile {
            crate::check::trust_anchors(&check)
                .map_err(|e| at.err(span.clone(), format!("cafile {}: {e}", cafile.display())))?;
        }
        let account_interval = duration(&acc.min_interval, min_interval)?;
        accounts.insert(
            name.clone(),
            Account {
                name: name.clone(),
                check,
                credential,
                min_interval: account_interval,
            },
        );
    }
    let (tls, basic_auth) = match &raw.web {
        None => (None, None),
        Some(web) => self::web(&at, web.get_ref(), web.span())?,
    };
    Ok(ServeConfig {
        tls,
        basic_auth,
        listen,
        max_concurrent_checks,
        header_timeout: duration(&raw.header_timeout, DEFAULT_HEADER_TIMEOUT)?,
        body_timeout: duration(&raw.body_timeout, DEFAULT_BODY_TIMEOUT)?,
        accounts,
    })
}

/// `[web]`: TLS (both files or neither) and basic auth (both keys or neither).
#[allow(clippy::type_complexity)]
fn web(
    at: &At<'_>,
    web: &RawWeb,
    span: std::ops::Range<usize>,
) -> Result<(Option<Arc<rustls::ServerConfig>>, Option<(String, Secret)>), Error> {
    let tls = match (&web.tls_cert_file, &web.tls_key_file) {
        (None, None) => None,
        (Some(cert), Some(key)) => {
            // The key is a secret: the same rule as a password file.
            private(at, key)?;
            let certs = std::fs::read(cert.get_ref()).map_err(|e| {
                at.err(
                    cert.span(),
                    format!("cannot read {}: {e}", cert.get_ref().display()),
                )
            })?;
            let keys = std::fs::read(key.get_ref()).map_err(|e| {
                at.err(
                    key.span(),
                    format!("cannot read {}: {e}", key.get_ref().display()),
                )
            })?;
            Some(super::http::tls_config(&certs, &keys).map_err(|e| at.err(cert.span(), e))?)
        }
        _ => {
            return Err(at.err(
                span,
                "[web] needs both tls_cert_file and tls_key_file, or neither",
            ))
        }
    };
    let auth = match (&web.basic_auth_user, &web.basic_auth_password_file) {
        (None, None) => None,
        (Some(user), Some(pw)) if !user.get_ref().is_empty() && !user.get_ref().contains(':') => {
            Some((user.get_ref().clone(), secret_file(at, pw)?))
        }
        (Some(user), Some(_)) => {
            return Err(at.err(
                user.span(),
                "basic_auth_user must be non-empty and without ':'",
            ))
        }
        _ => {
            return Err(at.err(
                span,
                "[web] needs both basic_auth_user and basic_auth_password_file, or neither",
            ))
        }
    };
    Ok((tls, auth))
}

/// Account names become the `target` of a scrape URL and a log word.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The one secret of an account, loaded now.
fn secret(
    at: &At<'_>,
    name: &str,
    acc: &RawAccount,
    span: std::ops::Range<usize>,
    mechanism: Option<Mechanism>,
) -> Result<Credential, Error> {
    let given = [
        acc.password_file.is_some(),
        acc.password_env.is_some(),
        acc.token_file.is_some(),
        acc.token_env.is_some(),
    ]
    .iter()
    .filter(|&&g| g)
    .count();
    if given == 0 {
        return Err(at.err_hint(
            span,
            format!("account {name:?} has no secret"),
            "add password_file, password_env, token_file or token_env (secrets are never inline)",
        ));
    }
    if given > 1 {
        return Err(at.err(
            span,
            format!("account {name:?} has more than one of password_file, password_env, token_file, token_env"),
        ));
    }
    let wants_token = mechanism.is_some_and(Mechanism::uses_token);
    let password = |s: Secret| {
        if wants_token {
            Credential::Token(s)
        } else {
            Credential::Password(s)
        }
    };
    if let Some(f) = &acc.password_file {
        return Ok(password(secret_file(at, f)?));
    }
    if let Some(f) = &acc.token_file {
        return Ok(Credential::Token(secret_file(at, f)?));
    }
    if let Some(v) = &acc.password_env {
        return Ok(password(secret_env(at, v)?));
    }
    let v = acc.token_env.as_ref().expect("one source was given");
    Ok(Credential::Token(secret_env(at, v)?))
}

fn secret_file(at: &At<'_>, path: &Spanned<PathBuf>) -> Result<Secret, Error> {
    private(at, path)?;
    let p = path.get_ref();
    let text = std::fs::read_to_string(p)
        .map_err(|e| at.err(path.span(), format!("cannot read {}: {e}", p.display())))?;
    let first = text.lines().next().unwrap_or("");
    if first.is_empty() {
        return Err(at.err_hint(
            path.span(),
            format!("{} is empty", p.display()),
            "put the secret on the first line of the file",
        ));
    }
    Ok(Secret::new(first.to_string()))
}

/// Refuses a secret file (password, token, TLS key) that others can read.
fn private(at: &At<'_>, path: &Spanned<PathBuf>) -> Result<(), Error> {
    let p = path.get_ref();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(p)
            .map_err(|e| at.err(path.span(), format!("cannot read {}: {e}", p.display())))?;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(at.err_hint(
                path.span(),
                format!(
                    "{} is readable by others (mode {:o})",
                    p.display(),
                    mode & 0o777
                ),
                &format!("run `chmod 600 {}`", p.display()),
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (at, p);
    Ok(())
}

fn secret_env(at: &At<'_>, var: &Spanned<String>) -> Result<Secret, Error> {
    match std::env::var(var.get_ref()) {
        Ok(v) if !v.is_empty() => Ok(Secret::new(v)),
        Ok(_) => Err(at.err(var.span(), format!("${} is set but empty", var.get_ref()))),
        Err(_) => Err(at.err(var.span(), format!("${} is not set", var.get_ref()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(Path::new("x.toml"), text).unwrap_err().to_string()
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["", "5", "m", "5 m", "5d", "0s", "-1s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let e = err("listen = \"127.0.0.1:1\"\n\n[accounts.a]\naddress = \"a@example.com\"\nbogus = 1\npassword_env = \"HOME\"\n");
        assert!(e.starts_with("x.toml:5: "), "{e}");
        assert!(e.contains("bogus"), "{e}");
        let e = err("[accounts.a]\naddress = \"a@example.com\"\n");
        assert!(
            e.starts_with("x.toml:1: ") && e.contains("no secret"),
            "{e}"
        );
        let e = err("min_interval = \"soon\"\n[accounts.a]\naddress = \"a@example.com\"\npassword_env = \"HOME\"\n");
        assert!(e.starts_with("x.toml:1: "), "{e}");
        let e = err("[accounts.a]\naddress = \"a@example.com\"\npassword_env = \"SMTP_DOCTOR_SURELY_UNSET_VAR\"\n");
        assert!(e.starts_with("x.toml:3: ") && e.contains("not set"), "{e}");
        let e = err("[accounts.a]\naddress = \"not-an-address\"\npassword_env = \"HOME\"\n");
        assert!(e.starts_with("x.toml:2: "), "{e}");
        let e = err("");
        assert!(e.contains("no [accounts.NAME]"), "{e}");
    }

    #[test]
    fn a_shared_secret_file_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "hunter2\n").unwrap();
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o644)).unwrap();
        let text = format!(
            "[accounts.a]\naddress = \"a@example.com\"\npassword_file = {:?}\n",
            pw.display().to_string()
        );
        let e = err(&text);
        assert!(
            e.starts_with("x.toml:3: ") && e.contains("readable by others"),
            "{e}"
        );
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
        let c = parse(Path::new("x.toml"), &text).unwrap();
        let a = &c.accounts["a"];
        assert_eq!(a.credential.secret().expose(), "hunter2");
        assert_eq!(a.min_interval, DEFAULT_MIN_INTERVAL);
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn the_example_of_docs_monitoring_md_is_a_valid_config() {
        use std::os::unix::fs::PermissionsExt;
        let doc = include_str!("../../docs/monitoring.md");
        let block = doc
            .split("```toml\n")
            .nth(1)
            .and_then(|b| b.split("```").next())
            .expect("a toml block in docs/monitoring.md");
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "secret\n").unwrap();
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
        let pw = pw.display().to_string();
        // Every commented-out key is used too; the files become ours.
        let text: String = block
            .lines()
            .filter(|l| !l.starts_with("cafile") && !l.contains("[web]"))
            .map(|l| {
                let l = match l.strip_prefix("# ") {
                    Some(key) if key.contains(" = ") => key,
                    _ => l,
                };
                let l = l.replace("/etc/smtp-doctor/alerts.pw", &pw).replace(
                    "token_env = \"HELPDESK_TOKEN\"",
                    &format!("token_file = {pw:?}"),
                );
                format!("{l}\n")
            })
            .collect();
        let c = parse(Path::new("example.toml"), &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(c.accounts.len(), 2);
        assert_eq!(c.accounts["alerts"].min_interval, Duration::from_secs(900));
        assert_eq!(c.accounts["helpdesk"].min_interval, DEFAULT_MIN_INTERVAL);
        assert!(c.accounts["helpdesk"].credential.is_token());
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
    }
}
