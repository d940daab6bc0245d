//! Where secrets come from (CONTRACT.md "Secrets"), in this order:
//! `--password-file`, `--password-stdin`, `SMTP_DOCTOR_PASSWORD`, a no-echo
//! prompt on a TTY; tokens likewise with `--token-file`, `--token-stdin`,
//! `SMTP_DOCTOR_TOKEN`. A token, when given, wins over a password.

use crate::error::Error;
use crate::secret::{Credential, Secret};
use std::io::{IsTerminal, Read};
use std::path::Path;

pub const PASSWORD_ENV: &str = "SMTP_DOCTOR_PASSWORD";
pub const TOKEN_ENV: &str = "SMTP_DOCTOR_TOKEN";

/// Where to look; the flags of `check`.
pub struct Sources<'a> {
    pub password_file: Option<&'a Path>,
    pub password_stdin: bool,
    pub token_file: Option<&'a Path>,
    pub token_stdin: bool,
    /// Ask on the terminal when nothing else gave a secret.
    pub prompt_for: Option<&'a str>,
    /// `--mechanism` names an OAuth mechanism: a plain secret is a token.
    pub wants_token: bool,
}

/// The credential to use, or `None` when no secret was supplied anywhere.
pub fn load(src: &Sources<'_>) -> Result<Option<Credential>, Error> {
    if let Some(path) = src.token_file {
        return Ok(Some(Credential::Token(read_file("--token-file", path)?)));
    }
    if src.token_stdin {
        return Ok(Some(Credential::Token(read_stdin("--token-stdin")?)));
    }
    let as_kind = |s: Secret| {
        if src.wants_token {
            Credential::Token(s)
        } else {
            Credential::Password(s)
        }
    };
    if let Some(path) = src.password_file {
        return Ok(Some(as_kind(read_file("--password-file", path)?)));
    }
    if src.password_stdin {
        return Ok(Some(as_kind(read_stdin("--password-stdin")?)));
    }
    if let Some(t) = env_secret(TOKEN_ENV) {
        return Ok(Some(Credential::Token(t)));
    }
    if let Some(p) = env_secret(PASSWORD_ENV) {
        return Ok(Some(as_kind(p)));
    }
    if let Some(user) = src.prompt_for {
        if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
            let pw = rpassword::prompt_password(format!("Password for {user}: ")).map_err(|e| {
                Error::usage(format!("cannot read the password from the terminal: {e}"))
            })?;
            if !pw.is_empty() {
                return Ok(Some(as_kind(Secret::new(pw))));
            }
        }
    }
    Ok(None)
}

fn env_secret(name: &str) -> Option<Secret> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Secret::new)
}

/// Warns on stderr when a secret file can be read by group or others.
pub fn warn_if_shared(flag: &str, path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                eprintln!(
                    "warning: {flag} {} is readable by others (mode {:o}); run `chmod 600 {}`",
                    path.display(),
                    mode & 0o777,
                    path.display()
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (flag, path);
}

/// The first line of a file, after a warning when others can read it.
fn read_file(flag: &'static str, path: &Path) -> Result<Secret, Error> {
    warn_if_shared(flag, path);
    read_secret_file(flag, path)
}

/// The first line of a file, without its line ending. `flag` names where the
/// path came from (`--password-file`, a batch file's `password_file` column).
pub fn read_secret_file(flag: &'static str, path: &Path) -> Result<Secret, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        what: flag,
        path: path.display().to_string(),
        source,
    })?;
    let first = text.lines().next().unwrap_or("").to_string();
    if first.is_empty() {
        return Err(Error::usage_hint(
            format!("{flag} {} is empty", path.display()),
            "put the secret on the first line of the file",
        ));
    }
    Ok(Secret::new(first))
}

fn read_stdin(flag: &'static str) -> Result<Secret, Error> {
    let mut buf = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut buf)
        .map_err(|e| Error::usage(format!("{flag}: cannot read standard input: {e}")))?;
    let secret = buf.trim_end_matches(['\r', '\n']).to_string();
    if secret.is_empty() {
        return Err(Error::usage_hint(
            format!("{flag} was given, but standard input is empty"),
            "pipe the secret in, e.g. `printf %s \"$PASS\" | smtp-doctor check … --password-stdin`",
        ));
    }
    Ok(Secret::new(secret))
}
