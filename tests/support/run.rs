//! One way to run the real `smtp-doctor` binary in a test.
//!
//! [`Doctor`] builds the invocation: a clean environment (no
//! `SMTP_DOCTOR_PASSWORD`, `SMTP_DOCTOR_TOKEN` or `CLICOLOR_FORCE` from the
//! caller, `NO_COLOR=1` unless [`Doctor::colour`]), stdin null unless given
//! bytes, stdout and stderr read on their own threads, and a hang guard that
//! kills the process after a while. Every run, whatever else happens:
//!
//! - stdout and stderr go through the leak check (tests/support/leak.rs) for
//!   every `(user, secret)` pair given with [`Doctor::secret`], and for any
//!   extra text given with [`Doctor::forbid`];
//! - when stdout is one JSON document, it is validated against the schema
//!   (tests/support/schema.rs) and its `exit_code` must equal the process's;
//!   when it is JSON Lines (a batch, the demo), every line is validated.
//!
//! [`Doctor::run`] panics on a leak, a hang, a signal or a bad document;
//! [`Doctor::try_run`] returns the same failures as text (the interop suite
//! collects them). [`Doctor::command`] gives the bare `Command` (clean
//! environment, arguments, no stdio) for callers that need their own stdio,
//! such as a pseudo-terminal.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{leak, schema};

/// How long a run may take by default before it is killed and fails.
pub const DEFAULT_HANG_GUARD: Duration = Duration::from_secs(60);

/// One invocation of the binary.
#[derive(Clone)]
pub struct Doctor {
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    colour: bool,
    stdin: Option<Vec<u8>>,
    secrets: Vec<(String, String)>,
    forbidden: Vec<(String, String)>,
    hang_guard: Duration,
}

impl Default for Doctor {
    fn default() -> Self {
        Self::new()
    }
}

impl Doctor {
    pub fn new() -> Self {
        Doctor {
            args: Vec::new(),
            env: Vec::new(),
            colour: false,
            stdin: None,
            secrets: Vec::new(),
            forbidden: Vec::new(),
            hang_guard: DEFAULT_HANG_GUARD,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets `key` for the run (after the clean-up of the environment).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Leaves the colour variables alone: no `NO_COLOR=1` (it is removed).
    pub fn colour(mut self) -> Self {
        self.colour = true;
        self
    }

    /// Pipes `bytes` to stdin, then closes it (empty: an empty stdin).
    pub fn stdin_bytes(mut self, bytes: impl AsRef<[u8]>) -> Self {
        self.stdin = Some(bytes.as_ref().to_vec());
        self
    }

    /// No form of `secret` used as `user`'s may appear in any output.
    pub fn secret(mut self, user: impl Into<String>, secret: impl Into<String>) -> Self {
        self.secrets.push((user.into(), secret.into()));
        self
    }

    /// [`Doctor::secret`] for each of `secrets`.
    pub fn secrets<I, S>(self, user: &str, secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        secrets.into_iter().fold(self, |d, s| d.secret(user, s))
    }

    /// `text` (described as `what`) may not appear in any output either.
    pub fn forbid(mut self, what: impl Into<String>, text: impl Into<String>) -> Self {
        self.forbidden.push((what.into(), text.into()));
        self
    }

    /// Kills the run, and fails it, after `secs` seconds.
    pub fn hang_guard(mut self, secs: u64) -> Self {
        self.hang_guard = Duration::from_secs(secs);
        self
    }

    /// The binary with the clean environment and the arguments; stdio is
    /// left to the caller.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_smtp-doctor"));
        cmd.args(&self.args)
            .env_remove("SMTP_DOCTOR_PASSWORD")
            .env_remove("SMTP_DOCTOR_TOKEN")
            .env_remove("CLICOLOR_FORCE")
            // No test may start a real browser (check --oauth); tests that
            // want one set BROWSER themselves.
            .env_remove("BROWSER")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
        if self.colour {
            cmd.env_remove("NO_COLOR");
        } else {
            cmd.env("NO_COLOR", "1");
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Runs the binary; panics on a leak, a hang, a signal, a JSON document
    /// that breaks the schema or an `exit_code` that is not the process's.
    #[track_caller]
    pub fn run(&self) -> Outcome {
        self.try_run().unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Doctor::run`], with its failures returned rather than raised.
    pub fn try_run(&self) -> Result<Outcome, String> {
        let mut cmd = self.command();
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());

        let started = Instant::now();
        let mut child = cmd.spawn().expect("spawn smtp-doctor");
        let writer = child.stdin.take().map(|mut pipe| {
            let bytes = self.stdin.clone().unwrap_or_default();
            // A program that exits without reading makes this fail: no matter.
            thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            })
        });
        let out_reader = read_all(child.stdout.take().expect("stdout pipe"));
        let err_reader = read_all(child.stderr.take().expect("stderr pipe"));
        let mut hung = false;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for smtp-doctor") {
                break status;
            }
            if started.elapsed() > self.hang_guard {
                hung = true;
                let _ = child.kill();
                break child.wait().expect("reap smtp-doctor");
            }
            thread::sleep(Duration::from_millis(20));
        };
        let elapsed = started.elapsed();
        if let Some(w) = writer {
            let _ = w.join();
        }
        let stdout =
            String::from_utf8_lossy(&out_reader.join().expect("stdout reader")).into_owned();
        let stderr =
            String::from_utf8_lossy(&err_reader.join().expect("stderr reader")).into_owned();
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();

        // The leak check comes first and covers every run, hung or not.
        let outputs = [("stdout", stdout.as_str()), ("stderr", stderr.as_str())];
        for (user, secret) in &self.secrets {
            if let Some(leak) = leak::find_leak(user, secret, &outputs) {
                return Err(format!("smtp-doctor {args:?}: {leak}"));
            }
        }
        for (what, text) in &self.forbidden {
            for (stream, output) in outputs {
                if output.contains(text.as_str()) {
                    return Err(format!(
                        "smtp-doctor {args:?}: SECRET LEAK: {what} appears in {stream}"
                    ));
                }
            }
        }

        if hung {
            return Err(format!(
                "smtp-doctor {args:?} did not finish within {:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
                self.hang_guard
            ));
        }
        let Some(code) = status.code() else {
            return Err(format!(
                "smtp-doctor {args:?} killed by a signal: {status:?}\n--- stderr\n{stderr}"
            ));
        };
        let json = serde_json::from_str::<Value>(&stdout).ok();
        let outcome = Outcome {
            args,
            code,
            stdout,
            stderr,
            json,
            elapsed,
        };
        if let Some(doc) = &outcome.json {
            let errors = schema::errors(doc);
            if !errors.is_empty() {
                return Err(format!(
                    "JSON does not match docs/smtp-doctor.schema.json:\n{}\n{}",
                    errors.join("\n"),
                    outcome.context()
                ));
            }
            if doc["exit_code"].as_i64() != Some(i64::from(code)) {
                return Err(format!(
                    "JSON exit_code differs from the process exit code\n{}",
                    outcome.context()
                ));
            }
        } else if let Some(lines) = json_lines(&outcome.stdout) {
            // JSON Lines (check --batch, demo): every line is a document or
            // the batch summary, and each must match the schema.
            for (i, line) in lines.iter().enumerate() {
                let errors = schema::errors(line);
                if !errors.is_empty() {
                    return Err(format!(
                        "JSON line {} does not match docs/smtp-doctor.schema.json:\n{}\n{}",
                        i + 1,
                        errors.join("\n"),
                        outcome.context()
                    ));
                }
            }
        }
        Ok(outcome)
    }
}

/// stdout as JSON Lines: `Some` when it has at least one line and every
/// non-empty line is a JSON object.
fn json_lines(stdout: &str) -> Option<Vec<Value>> {
    let lines: Vec<Value> = stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<Value>(l)
                .ok()
                .filter(Value::is_object)
        })
        .collect::<Option<_>>()?;
    (!lines.is_empty()).then_some(lines)
}

fn read_all(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// What one run did. `json` is stdout parsed as one JSON document, when it
/// is one (already checked against the schema and the exit code).
pub struct Outcome {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub json: Option<Value>,
    pub elapsed: Duration,
}

impl Outcome {
    /// The JSON document on stdout; panics when stdout is not one.
    #[track_caller]
    pub fn expect_json(&self) -> &Value {
        match &self.json {
            Some(doc) => doc,
            None => panic!(
                "stdout is not one JSON document ({}); {}",
                serde_json::from_str::<Value>(&self.stdout)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default(),
                self.context()
            ),
        }
    }

    /// The `id` of every diagnosis, in order (empty without a document).
    pub fn ids(&self) -> Vec<&str> {
        self.json
            .as_ref()
            .and_then(|doc| doc["diagnoses"].as_array())
            .map(|ds| ds.iter().map(|d| d["id"].as_str().unwrap_or("?")).collect())
            .unwrap_or_default()
    }

    /// Everything worth seeing when an assertion fails.
    pub fn context(&self) -> String {
        let report = match &self.json {
            Some(doc) => format!("; category {}; diagnoses {:?}", doc["category"], self.ids()),
            None => String::new(),
        };
        format!(
            "smtp-doctor {:?}: exit code {} after {:?}{report}\n--- stdout\n{}\n--- stderr\n{}",
            self.args, self.code, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// The contract's exit code for a category (None for an unknown one).
pub fn exit_code_for(category: &str) -> Option<i32> {
    Some(match category {
        "ok" => 0,
        "protocol-error" | "other" => 1,
        "dns-failure" | "connection-refused" | "connection-timeout" => 3,
        "starttls-required"
        | "starttls-unavailable"
        | "tls-mode-mismatch"
        | "tls-certificate-invalid"
        | "tls-handshake-failed" => 4,
        "wrong-credentials"
        | "app-password-required"
        | "account-action-required"
        | "username-format"
        | "oauth-token-invalid" => 5,
        "auth-disabled-by-policy"
        | "oauth-required"
        | "no-common-auth-mechanism"
        | "auth-not-offered"
        | "auth-required"
        | "sender-not-permitted"
        | "relay-denied"
        | "client-blocked"
        | "quota-exceeded" => 6,
        "rate-limited" | "server-temporary-failure" => 7,
        _ => return None,
    })
}
