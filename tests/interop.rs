//! Interop suite: every row of `../shared/harness/scenarios.tsv` against the
//! real servers of the harness (Postfix+Dovecot, Exim, OpenSMTPD, provider
//! emulators), with the real binary.
//!
//! Needs the harness running (`.ci/run` starts it). Run with
//! `SMTP_DOCTOR_HARNESS=/path/to/harness cargo test --test interop -- --ignored`.
//! Each scenario asserts its expected category, the contract's exit code,
//! and that no form of its secret appears in stdout or stderr.

mod support;

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Scenario {
    name: String,
    host: String,
    port: String,
    tls: String,
    user: String,
    secret: String,
    expected: String,
    mechanism: String,
}

fn harness_dir() -> PathBuf {
    let dir = std::env::var_os("SMTP_DOCTOR_HARNESS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/harness"))
        });
    assert!(
        dir.join("scenarios.tsv").exists(),
        "no scenarios.tsv in {}",
        dir.display()
    );
    dir
}

fn scenarios(dir: &std::path::Path) -> Vec<Scenario> {
    let text = std::fs::read_to_string(dir.join("scenarios.tsv")).expect("read scenarios.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let (n, h, p, t, u, pw, e, m) = (
        col("name"),
        col("host"),
        col("port"),
        col("tls"),
        col("username"),
        col("password"),
        col("expected"),
        col("mechanism"),
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Scenario {
                name: f[n].into(),
                host: f[h].into(),
                port: f[p].into(),
                tls: f[t].into(),
                user: f[u].into(),
                secret: f[pw].into(),
                expected: f[e].into(),
                mechanism: f[m].into(),
            }
        })
        .collect()
}

/// The contract's exit code for a category.
fn exit_code_for(category: &str) -> i32 {
    match category {
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
        "rate-limited" | "server-temporary-failure" => 7,
        _ => 6,
    }
}

/// Runs one scenario; returns a failure description, or None.
fn run(s: &Scenario, ca: &std::path::Path) -> Option<String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_smtp-doctor"));
    cmd.args([
        "check", &s.user, "--host", &s.host, "--port", &s.port, "--tls", &s.tls,
    ])
    .args([
        "--cafile",
        ca.to_str().expect("utf-8 path"),
        "--format",
        "json",
        "--verbose",
    ])
    .stdin(Stdio::null())
    .env_remove("SMTP_DOCTOR_PASSWORD")
    .env_remove("SMTP_DOCTOR_TOKEN")
    .env("NO_COLOR", "1");
    if s.mechanism != "auto" {
        cmd.args(["--mechanism", &s.mechanism]);
    }
    if s.mechanism == "XOAUTH2" {
        cmd.env("SMTP_DOCTOR_TOKEN", &s.secret);
    } else {
        cmd.env("SMTP_DOCTOR_PASSWORD", &s.secret);
    }
    let started = Instant::now();
    let out = cmd.output().expect("run smtp-doctor");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let leak = std::panic::catch_unwind(|| {
        support::leak::assert_no_leak(
            &s.user,
            &s.secret,
            &[("stdout", &stdout), ("stderr", &stderr)],
        );
    });
    if leak.is_err() {
        return Some(format!("{}: SECRET LEAK in output", s.name));
    }
    let json: Value = match serde_json::from_str(&stdout) {
        Ok(v) => v,
        Err(e) => {
            return Some(format!(
                "{}: stdout is not JSON ({e}); stderr: {stderr}",
                s.name
            ))
        }
    };
    if std::panic::catch_unwind(|| support::schema::assert_valid(&json)).is_err() {
        return Some(format!(
            "{}: JSON does not match docs/smtp-doctor.schema.json\n{stdout}",
            s.name
        ));
    }
    let code = out.status.code().unwrap_or(-1);
    let category = json["category"].as_str().unwrap_or("<none>");
    let mut problems = Vec::new();
    if category != s.expected {
        problems.push(format!("category {category}, expected {}", s.expected));
    }
    if code != exit_code_for(&s.expected) {
        problems.push(format!(
            "exit {code}, expected {}",
            exit_code_for(&s.expected)
        ));
    }
    if json["exit_code"].as_i64() != Some(i64::from(code)) {
        problems.push("JSON exit_code differs from the process exit code".into());
    }
    // The slowest legitimate cases: a silent server reported at the default
    // 10 s deadline, and Dovecot's failure delay (2 s, growing to 15 s).
    if elapsed > Duration::from_secs(18) {
        problems.push(format!("took {elapsed:?}"));
    }
    println!(
        "{:<45} {:<26} exit {code} {:>6} ms",
        s.name,
        category,
        elapsed.as_millis()
    );
    if problems.is_empty() {
        None
    } else {
        Some(format!("{}: {}\n{}", s.name, problems.join("; "), stdout))
    }
}

#[test]
#[ignore = "needs ../shared/harness running (up.sh); .ci/run runs it"]
fn every_harness_scenario_gives_its_expected_category() {
    let dir = harness_dir();
    let ca = dir.join("run/certs/ca.pem");
    assert!(ca.exists(), "{} missing: is the harness up?", ca.display());
    let all = scenarios(&dir);
    assert!(all.len() >= 40, "only {} scenarios", all.len());
    // Scenarios are independent; run a few at a time (the timeouts dominate).
    // Workers pop from the end: reverse so rows run roughly in file order
    // (successes before the failures that raise Dovecot's per-IP penalty).
    let queue = Arc::new(Mutex::new(all.into_iter().rev().collect::<Vec<_>>()));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let count = Arc::new(Mutex::new(0usize));
    let workers: Vec<_> = (0..6)
        .map(|_| {
            let (queue, failures, count, ca) =
                (queue.clone(), failures.clone(), count.clone(), ca.clone());
            std::thread::spawn(move || loop {
                let Some(s) = queue.lock().unwrap().pop() else {
                    break;
                };
                *count.lock().unwrap() += 1;
                if let Some(f) = run(&s, &ca) {
                    failures.lock().unwrap().push(f);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let failures = failures.lock().unwrap();
    let total = *count.lock().unwrap();
    println!(
        "{} passed, {} failed",
        total - failures.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} scenarios failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
