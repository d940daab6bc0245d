//! Interop suite: every row of `../shared/harness/scenarios.tsv` against the
//! real servers of the harness (Postfix+Dovecot, Exim, OpenSMTPD, provider
//! emulators), with the real binary.
//!
//! Needs the harness running (`.ci/run` starts it). Run with
//! `SMTP_DOCTOR_HARNESS=/path/to/harness cargo test --test interop -- --ignored`.
//! Each scenario asserts its expected category, the contract's exit code,
//! and that no form of its secret appears in stdout or stderr.

mod support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::run::Doctor;

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
    let dir = support::harness::dir();
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

/// The contract's exit code for a category (anything unknown is a policy
/// refusal, 6).
fn exit_code_for(category: &str) -> i32 {
    support::run::exit_code_for(category).unwrap_or(6)
}

/// Runs one scenario; returns a failure description, or None.
fn run(s: &Scenario, ca: &std::path::Path) -> Option<String> {
    let mut doctor = Doctor::new()
        .args([
            "check", &s.user, "--host", &s.host, "--port", &s.port, "--tls", &s.tls,
        ])
        .arg("--cafile")
        .arg(ca)
        .args(["--format", "json", "--verbose"])
        .secret(&s.user, &s.secret);
    if s.mechanism != "auto" {
        doctor = doctor.args(["--mechanism", &s.mechanism]);
    }
    doctor = if s.mechanism == "XOAUTH2" {
        doctor.env("SMTP_DOCTOR_TOKEN", &s.secret)
    } else {
        doctor.env("SMTP_DOCTOR_PASSWORD", &s.secret)
    };
    // A leak, a hang, stdout that breaks the schema or an `exit_code` that is
    // not the process's.
    let out = match doctor.try_run() {
        Ok(out) => out,
        Err(e) => return Some(format!("{}: {e}", s.name)),
    };
    let Some(json) = &out.json else {
        return Some(format!(
            "{}: stdout is not JSON; stderr: {}",
            s.name, out.stderr
        ));
    };
    let (code, elapsed, stdout) = (out.code, out.elapsed, &out.stdout);
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
    let ca = support::harness::ca();
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
