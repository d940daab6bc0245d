//! Reading a batch file: CSV with a header, or JSON Lines, into validated
//! accounts, each with exactly one secret loaded.
//!
//! Guardrails (SMTP checkers are abused for credential stuffing): one secret
//! per account; an account (user at host) listed twice is refused; inline
//! `password`/`token` columns only in a file no one else can read (mode 0600);
//! a warning on stderr for secret files readable by group or others.
//! Everything is validated before the first connection is made.

use crate::check::{plan_check, CheckConfig, CheckPlan};
use crate::diagnose::Category;
use crate::endpoint::TlsMode;
use crate::error::Error;
use crate::secret::{Credential, Secret};
use crate::smtp::sasl::Mechanism;
use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Largest batch file read.
pub(crate) const MAX_FILE: u64 = 64 << 20;
/// Most accounts in one batch.
pub(crate) const MAX_ACCOUNTS: usize = 100_000;

/// The columns (CSV) or keys (JSON Lines) a batch row may have besides the
/// secret sources in `SECRET_COLUMNS`.
const ACCOUNT_COLUMNS: [&str; 7] = [
    "address",
    "host",
    "port",
    "tls",
    "user",
    "mechanism",
    "expect",
];

/// Every known column: the account columns, then the secret sources.
fn known_columns() -> impl Iterator<Item = &'static str> {
    ACCOUNT_COLUMNS.into_iter().chain(SECRET_COLUMNS)
}

const SECRET_COLUMNS: [&str; 6] = [
    "password_env",
    "token_env",
    "password_file",
    "token_file",
    "password",
    "token",
];

/// One account to check.
pub(crate) struct Account {
    /// The row's settings over the command line's (`expect` column, else `--expect`, …).
    pub(crate) config: CheckConfig,
    pub(crate) plan: CheckPlan,
    pub(crate) credential: Credential,
}

/// What one row sets: each `Some` replaces the command line's value.
#[derive(Debug, Default)]
struct Row {
    address: String,
    host: Option<String>,
    port: Option<u16>,
    tls: Option<TlsMode>,
    user: Option<String>,
    /// `Some(None)`: the row asks for `auto`.
    mechanism: Option<Option<Mechanism>>,
    expect: Option<Category>,
}

impl Row {
    /// The account's settings: the row's columns over `defaults`.
    fn over(self, defaults: &CheckConfig) -> CheckConfig {
        CheckConfig {
            address: Some(self.address),
            host: self.host.or_else(|| defaults.host.clone()),
            port: self.port.or(defaults.port),
            tls: self.tls.or(defaults.tls),
            user: self.user.or_else(|| defaults.user.clone()),
            mechanism: self.mechanism.unwrap_or(defaults.mechanism),
            expect: self.expect.or(defaults.expect),
            ..defaults.clone()
        }
    }
}

/// A loaded batch: the accounts, and the warnings to print on stderr.
pub(crate) struct Batch {
    pub(crate) accounts: Vec<Account>,
    pub(crate) warnings: Vec<String>,
}

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Csv,
    JsonLines,
}

/// By extension (`.csv`; `.jsonl`, `.ndjson`, `.json`), else by the first byte.
pub(crate) fn detect(path: &Path, bytes: &[u8]) -> Format {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Format::Csv,
        Some("jsonl" | "ndjson" | "json") => Format::JsonLines,
        _ => {
            let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
            if first == Some(&b'{') {
                Format::JsonLines
            } else {
                Format::Csv
            }
        }
    }
}

/// A raw row: its line and its non-empty fields.
type Fields = (usize, BTreeMap<String, String>);

fn err(path: &Path, line: usize, message: impl std::fmt::Display) -> Error {
    Error::usage(format!("{}:{line}: {message}", path.display()))
}

fn parse_csv(path: &Path, bytes: &[u8]) -> Result<Vec<Fields>, Error> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| err(path, 1, format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    if !headers.iter().any(|h| h == "address") {
        return Err(Error::usage_hint(
            format!("{}: the CSV header has no `address` column", path.display()),
            "the first line names the columns, e.g. address,host,port,password_env",
        ));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| line_at(bytes, p.byte()));
            // The csv error text never contains field values.
            err(path, line, format!("bad CSV row: {e}"))
        })?;
        // From the byte offset: the csv crate's line count skips comment lines.
        let line = record.position().map_or(0, |p| line_at(bytes, p.byte()));
        let mut fields = BTreeMap::new();
        for (name, value) in headers.iter().zip(record.iter()) {
            if !value.is_empty() {
                fields.insert(name.clone(), value.to_string());
            }
        }
        if !fields.is_empty() {
            rows.push((line, fields));
        }
    }
    Ok(rows)
}

/// 1-based line number of the first line at or after byte `offset` that is
/// not blank and not a `#` comment (a CSV record's position includes the
/// blank and comment lines the reader skipped before it).
fn line_at(bytes: &[u8], offset: u64) -> usize {
    let mut start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let mut line = bytes[..start].iter().filter(|b| **b == b'\n').count() + 1;
    while let Some(len) = bytes[start..].iter().position(|b| *b == b'\n') {
        let text = bytes[start..start + len].trim_ascii();
        if !(text.is_empty() || text.starts_with(b"#")) {
            break;
        }
        start += len + 1;
        line += 1;
    }
    line
}

fn parse_json_lines(path: &Path, bytes: &[u8]) -> Result<Vec<Fields>, Error> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| err(path, 0, format!("not UTF-8 text: {e}")))?;
    let mut rows = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        // serde_json's message names the position, never the value.
        let value: serde_json::Value = serde_json::from_str(raw)
            .map_err(|e| err(path, line, format!("not a JSON object: {e}")))?;
        let serde_json::Value::Object(map) = value else {
            return Err(err(path, line, "each line must be one JSON object"));
        };
        let mut fields = BTreeMap::new();
        for (k, v) in map {
            let v = match v {
                serde_json::Value::Null => continue,
                serde_json::Value::String(s) => s.trim().to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => {
                    return Err(err(
                        path,
                        line,
                        format!("`{k}` must be a string or a number"),
                    ))
                }
            };
            if !v.is_empty() {
                fields.insert(k.to_ascii_lowercase(), v);
            }
        }
        rows.push((line, fields));
    }
    Ok(rows)
}

fn mode_of(path: &Path) -> Option<u32> {
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

/// Reads and validates the batch file; loads every secret. Command-line
/// flags in `defaults` fill the columns a row leaves empty.
pub(crate) fn load(path: &Path, defaults: &CheckConfig) -> Result<Batch, Error> {
    let read_err = |source| Error::Read {
        what: "batch file",
        path: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if meta.len() > MAX_FILE {
        return Err(Error::usage(format!(
            "batch file {} is larger than {} MiB",
            path.display(),
            MAX_FILE >> 20
        )));
    }
    let bytes = std::fs::read(path).map_err(read_err)?;
    let mode = meta.permissions().mode() & 0o777;
    // No warning about the batch file's own mode: a file others may read is
    // refused as soon as it holds an inline secret (below), so a readable one
    // holds only variable names and paths, which are not secret.
    let mut warnings = Vec::new();
    let rows = match detect(path, &bytes) {
        Format::Csv => parse_csv(path, &bytes)?,
        Format::JsonLines => parse_json_lines(path, &bytes)?,
    };
    if rows.is_empty() {
        return Err(Error::usage(format!(
            "batch file {} lists no account",
            path.display()
        )));
    }
    if rows.len() > MAX_ACCOUNTS {
        return Err(Error::usage(format!(
            "batch file {} lists {} accounts; at most {MAX_ACCOUNTS}",
            path.display(),
            rows.len()
        )));
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut secret_files_warned: Vec<PathBuf> = Vec::new();
    let mut inline_warned = false;
    let mut accounts = Vec::with_capacity(rows.len());
    for (line, fields) in rows {
        if let Some(unknown) = fields
            .keys()
            .find(|k| !known_columns().any(|c| c == k.as_str()))
        {
            return Err(Error::usage_hint(
                format!("{}:{line}: unknown column `{unknown}`", path.display()),
                format!(
                    "known columns: {}",
                    known_columns().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let get = |k: &str| fields.get(k).map(String::as_str);
        let Some(address) = get("address") else {
            return Err(err(path, line, "no address"));
        };

        // The account's settings: the row's columns over the command line's flags.
        let mut row = Row {
            address: address.to_string(),
            host: get("host").map(str::to_string),
            user: get("user").map(str::to_string),
            ..Row::default()
        };
        if let Some(p) = get("port") {
            let port = p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| err(path, line, format!("port {p:?} is not a port number")))?;
            row.port = Some(port);
        }
        if let Some(t) = get("tls") {
            row.tls = Some(TlsMode::parse(t).ok_or_else(|| {
                err(
                    path,
                    line,
                    format!("tls {t:?}: use starttls, implicit or none"),
                )
            })?);
        }
        if let Some(m) = get("mechanism") {
            row.mechanism = Some(if m.eq_ignore_ascii_case("auto") {
                None
            } else {
                Some(m.parse::<Mechanism>().map_err(|_| {
                    err(
                        path,
                        line,
                        format!(
                            "mechanism {m:?}: use auto, PLAIN, LOGIN, CRAM-MD5, XOAUTH2 or OAUTHBEARER"
                        ),
                    )
                })?)
            });
        }
        if let Some(e) = get("expect") {
            row.expect = Some(Category::parse(e).ok_or_else(|| {
                err(
                    path,
                    line,
                    format!("expect {e:?} is not a category (see docs/exit-codes.md)"),
                )
            })?);
        }
        let config = row.over(defaults);
        let plan = plan_check(&config).map_err(|e| err(path, line, e))?;

        // Exactly one secret.
        let given: Vec<&str> = SECRET_COLUMNS
            .iter()
            .copied()
            .filter(|c| fields.contains_key(*c))
            .collect();
        let column = match given.as_slice() {
            [one] => *one,
            [] => {
                return Err(Error::usage_hint(
                    format!("{}:{line}: {address} has no secret", path.display()),
                    "give exactly one of password_env, token_env, password_file, token_file",
                ))
            }
            several => {
                return Err(Error::usage_hint(
                    format!(
                        "{}:{line}: {address} has several secrets ({}); exactly one per account",
                        path.display(),
                        several.join(", ")
                    ),
                    "smtp-doctor makes one AUTH attempt per account, with one secret",
                ))
            }
        };
        let value = fields[column].as_str();
        let secret = match column {
            "password_env" | "token_env" => match std::env::var(value) {
                Ok(v) if !v.is_empty() => Secret::new(v),
                _ => {
                    return Err(err(
                        path,
                        line,
                        format!("environment variable {value} ({column}) is not set or empty"),
                    ))
                }
            },
            "password_file" | "token_file" => {
                let file = dir.join(value);
                if let Some(m) = mode_of(&file) {
                    if m & 0o044 != 0 && !secret_files_warned.contains(&file) {
                        warnings.push(format!(
                            "secret file {} is readable by group or others (mode {m:04o}); consider chmod 600",
                            file.display()
                        ));
                        secret_files_warned.push(file.clone());
                    }
                }
                crate::credentials::read_secret_file(column, &file)
                    .map_err(|e| err(path, line, e))?
            }
            _ => {
                if mode & 0o077 != 0 {
                    return Err(Error::usage_hint(
                        format!(
                            "{}:{line}: an inline `{column}` column is refused: the batch file is mode {mode:04o}, not 0600",
                            path.display()
                        ),
                        format!(
                            "use {column}_env or {column}_file, or `chmod 600 {}`",
                            path.display()
                        ),
                    ));
                }
                if !inline_warned {
                    warnings.push(format!(
                        "batch file {} holds inline secrets; prefer password_env or password_file columns",
                        path.display()
                    ));
                    inline_warned = true;
                }
                Secret::new(value.to_string())
            }
        };
        let wants_token = plan.mechanism.is_some_and(Mechanism::uses_token);
        let credential = if column.starts_with("token") || wants_token {
            Credential::Token(secret)
        } else {
            Credential::Password(secret)
        };

        // One account, one attempt.
        let user = plan.target.user.clone().unwrap_or_default();
        let key = (user.to_lowercase(), plan.endpoint.host.to_ascii_lowercase());
        if let Some(first) = seen.get(&key) {
            return Err(Error::usage_hint(
                format!(
                    "{}:{line}: {user} at {} is already listed on line {first}",
                    path.display(),
                    plan.endpoint.host
                ),
                "each account (user at host) may appear once: smtp-doctor makes one AUTH attempt per account",
            ));
        }
        seen.insert(key, line);
        accounts.push(Account {
            config,
            plan,
            credential,
        });
    }
    Ok(Batch { accounts, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_by_extension_then_first_byte() {
        assert_eq!(detect(Path::new("a.csv"), b"{"), Format::Csv);
        assert_eq!(detect(Path::new("a.JSONL"), b"address"), Format::JsonLines);
        assert_eq!(detect(Path::new("a.ndjson"), b""), Format::JsonLines);
        assert_eq!(
            detect(Path::new("a.txt"), b"  \n{\"address\""),
            Format::JsonLines
        );
        assert_eq!(detect(Path::new("accounts"), b"address,host"), Format::Csv);
    }

    #[test]
    fn csv_quoting_comments_and_empty_fields() {
        let text = b"Address, host ,password_env\n# comment\n\"a,b\"@example.test,,PW\n\n";
        let rows = parse_csv(Path::new("x.csv"), text).unwrap();
        assert_eq!(rows.len(), 1);
        let (line, fields) = &rows[0];
        assert_eq!(*line, 3);
        assert_eq!(fields["address"], "a,b@example.test");
        assert!(!fields.contains_key("host"));
        assert_eq!(fields["password_env"], "PW");
    }

    #[test]
    fn json_lines_accept_numbers_and_refuse_nested_values() {
        let rows =
            parse_json_lines(Path::new("x"), b"{\"address\":\"a@b.c\",\"port\":587}\n").unwrap();
        assert_eq!(rows[0].1["port"], "587");
        assert!(parse_json_lines(Path::new("x"), b"{\"address\":[1]}\n").is_err());
        assert!(parse_json_lines(Path::new("x"), b"[1]\n").is_err());
    }
}
