//! Where secrets come from, in this order: `--password-file`,
//! `--password-stdin`, `SMTP_DOCTOR_PASSWORD`, a no-echo prompt on a TTY;
//! tokens likewise with `--token-file`, `--token-stdin`, `SMTP_DOCTOR_TOKEN`.
//! A token, when given, wins over a password.
//!
//! A source that is present but empty (an empty variable, an empty file, empty
//! standard input, an empty answer to the prompt) is a usage error naming it,
//! never a silent skip: a typo must not turn into "login not tested". So is a
//! secret piped on standard input without `--password-stdin`/`--token-stdin`.

use crate::error::Error;
use crate::secret::{Credential, Secret};
use std::io::{IsTerminal, Read};
use std::path::Path;

pub(crate) const PASSWORD_ENV: &str = "SMTP_DOCTOR_PASSWORD";
pub(crate) const TOKEN_ENV: &str = "SMTP_DOCTOR_TOKEN";

/// Where to look; the flags of `check`.
pub(crate) struct Sources<'a> {
    pub(crate) password_file: Option<&'a Path>,
    pub(crate) password_stdin: bool,
    pub(crate) token_file: Option<&'a Path>,
    pub(crate) token_stdin: bool,
    /// Ask on the terminal when nothing else gave a secret.
    pub(crate) prompt_for: Option<&'a str>,
    /// `--mechanism` names an OAuth mechanism: a plain secret is a token.
    pub(crate) wants_token: bool,
    /// Only token sources exist (`smtp-doctor token`): errors name those.
    pub(crate) tokens_only: bool,
}

/// The credential to use, or `None` when no secret was supplied anywhere.
pub(crate) fn load(src: &Sources<'_>) -> Result<Option<Credential>, Error> {
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
    if let Some(t) = env_secret(TOKEN_ENV)? {
        return Ok(Some(Credential::Token(t)));
    }
    if let Some(p) = env_secret(PASSWORD_ENV)? {
        return Ok(Some(as_kind(p)));
    }
    if let Some(piped) = stdin_is_piped() {
        // Without this, `printf %s "$PW" | smtp-doctor check …` would run
        // without a secret and the password would be silently dropped.
        let flag = if src.wants_token || src.tokens_only {
            "--token-stdin"
        } else {
            "--password-stdin"
        };
        return Err(Error::usage_hint(
            format!("standard input is {piped}, but it is read only with {flag}"),
            format!(
                "add {flag} to read the secret from it, or run without redirecting standard input"
            ),
        ));
    }
    if let Some(user) = src.prompt_for {
        if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
            let pw = rpassword::prompt_password(format!("Password for {user}: ")).map_err(|e| {
                Error::usage(format!("cannot read the password from the terminal: {e}"))
            })?;
            if pw.is_empty() {
                return Err(Error::usage_hint(
                    "the password typed at the prompt is empty",
                    "type the password, or give it with --password-file or SMTP_DOCTOR_PASSWORD",
                ));
            }
            return Ok(Some(as_kind(Secret::new(pw))));
        }
    }
    Ok(None)
}

/// The places [`load`] looked, for the "no secret" error: what a user needs
/// to see to find the typo.
pub(crate) fn looked_at(src: &Sources<'_>) -> String {
    let prompt = if src.prompt_for.is_none() {
        "no prompt (no user name)"
    } else if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        "the terminal prompt"
    } else {
        "no prompt (standard input or standard error is not a terminal)"
    };
    format!(
        "--password-file, --password-stdin, --token-file, --token-stdin (none given), \
         {PASSWORD_ENV} and {TOKEN_ENV} (not set), {prompt}"
    )
}

/// A secret from the environment variable `name`: `None` when it is not
/// set, an error when it is set but empty (a typo in the assignment must not
/// become an unauthenticated check).
fn env_secret(name: &str) -> Result<Option<Secret>, Error> {
    match std::env::var_os(name) {
        None => Ok(None),
        Some(v) if v.is_empty() => Err(Error::usage_hint(
            format!("{name} is set but empty"),
            format!("put the secret in {name}, or unset it (`unset {name}`)"),
        )),
        Some(v) => match v.into_string() {
            Ok(s) => Ok(Some(Secret::new(s))),
            Err(_) => Err(Error::usage(format!("{name} is not valid UTF-8"))),
        },
    }
}

/// `Some("a pipe")` / `Some("a file")` when standard input carries data that
/// could be a secret: a pipe, or a non-empty regular file (`< pw.txt`). A
/// terminal, `/dev/null` and a closed stdin are `None`.
fn stdin_is_piped() -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::FileTypeExt;
        let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
        let meta = std::fs::File::from(fd).metadata().ok()?;
        let kind = meta.file_type();
        if kind.is_fifo() {
            return Some("a pipe");
        }
        if kind.is_file() && meta.len() > 0 {
            return Some("a file");
        }
    }
    None
}

/// Warns on stderr when a secret file can be read by group or others.
pub(crate) fn warn_if_shared(flag: &str, path: &Path) {
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
pub(crate) fn read_secret_file(flag: &'static str, path: &Path) -> Result<Secret, Error> {
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
