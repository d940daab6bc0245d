//! Interop suite: every row of `../shared/harness/scenarios.tsv` against the
//! real servers of the harness (Postfix+Dovecot, Exim, OpenSMTPD, provider
//! emulators), with the real binary.
//!
//! Needs the harness running (`.ci/run` starts it). Run with
//! `SMTP_DOCTOR_HARNESS=/path/to/harness cargo test --test interop -- --ignored`.
//! Each scenario asserts its expected category, the contract's exit code,
//! and that no form of its secret appears in stdout or stderr.

// Each of these binaries uses only part of the shared support code.
#[allow(dead_code)]
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

/// One batch row: scenario it comes from, user, host, port, tls, mechanism,
/// secret, expected category.
struct BatchRow {
    scenario: &'static str,
    user: &'static str,
    host: &'static str,
    port: u16,
    tls: &'static str,
    mechanism: &'static str,
    secret: &'static str,
    expected: &'static str,
}

/// Ten harness accounts for `check --batch`. A batch lists each user at a
/// host once, so the rows spread over the three names of loopback
/// (`127.0.0.1`, `localhost`, `::1`; the emulators listen on 127.0.0.1
/// only). Dovecot's wrong-password rows are left out: Dovecot delays each
/// failure by 2 s and more. The Gmail emulator takes its app password, and
/// refuses other passwords, for any user name, so carol and dave stand in
/// where alice and bob already used a host name.
const BATCH_ROWS: [BatchRow; 10] = [
    BatchRow {
        scenario: "postfix-submission-ok",
        user: "alice@example.test",
        host: "127.0.0.1",
        port: 10587,
        tls: "starttls",
        mechanism: "",
        secret: "correct horse",
        expected: "ok",
    },
    BatchRow {
        scenario: "postfix-submission-ok-ipv6",
        user: "alice@example.test",
        host: "::1",
        port: 10587,
        tls: "starttls",
        mechanism: "",
        secret: "correct horse",
        expected: "ok",
    },
    BatchRow {
        scenario: "gmail-app-password-required",
        user: "alice@example.test",
        host: "localhost",
        port: 11001,
        tls: "starttls",
        mechanism: "",
        secret: "correct horse",
        expected: "app-password-required",
    },
    BatchRow {
        scenario: "postfix-submission-ok-login-localhost",
        user: "bob@example.test",
        host: "localhost",
        port: 10587,
        tls: "starttls",
        mechanism: "LOGIN",
        secret: "Tr0ub4dor&3",
        expected: "ok",
    },
    BatchRow {
        scenario: "postfix-implicit-ok-ipv6",
        user: "bob@example.test",
        host: "::1",
        port: 10465,
        tls: "implicit",
        mechanism: "PLAIN",
        secret: "Tr0ub4dor&3",
        expected: "ok",
    },
    BatchRow {
        scenario: "exim-ok-cram-md5",
        user: "bob@example.test",
        host: "127.0.0.1",
        port: 10600,
        tls: "starttls",
        mechanism: "CRAM-MD5",
        secret: "Tr0ub4dor&3",
        expected: "ok",
    },
    BatchRow {
        scenario: "gmail-app-password-ok",
        user: "carol@example.test",
        host: "127.0.0.1",
        port: 11001,
        tls: "starttls",
        mechanism: "",
        secret: "abcdefghijklmnop",
        expected: "ok",
    },
    BatchRow {
        scenario: "exim-wrong-password",
        user: "carol@example.test",
        host: "localhost",
        port: 10600,
        tls: "starttls",
        mechanism: "",
        secret: "wrong horse",
        expected: "wrong-credentials",
    },
    BatchRow {
        scenario: "generic-wrong-password",
        user: "dave@example.test",
        host: "127.0.0.1",
        port: 11008,
        tls: "starttls",
        mechanism: "",
        secret: "correct-horse",
        expected: "wrong-credentials",
    },
    BatchRow {
        scenario: "gmail-wrong-app-password",
        user: "dave@example.test",
        host: "localhost",
        port: 11001,
        tls: "starttls",
        mechanism: "",
        secret: "zyxwvutsrqponmlk",
        expected: "wrong-credentials",
    },
];

#[test]
#[ignore = "needs ../shared/harness running (up.sh); .ci/run runs it"]
fn batch_of_harness_accounts_gives_each_its_category_and_the_worst_exit_code() {
    let dir = harness_dir();
    let ca = support::harness::ca();
    // The rows must still be what scenarios.tsv says (host names aside).
    let all = scenarios(&dir);
    for row in &BATCH_ROWS {
        let s = all
            .iter()
            .find(|s| s.name == row.scenario)
            .unwrap_or_else(|| panic!("scenario {} is gone", row.scenario));
        assert_eq!(
            (s.port.as_str(), s.tls.as_str(), s.expected.as_str()),
            (row.port.to_string().as_str(), row.tls, row.expected),
            "{}",
            row.scenario
        );
        if s.user == row.user {
            assert_eq!(s.secret, row.secret, "{}", row.scenario);
        }
    }

    let work = tempfile::Builder::new()
        .prefix("smtp-doctor-interop-batch-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("tempdir");
    let mut csv = String::from("address,host,port,tls,mechanism,password_env\n");
    let mut doctor = Doctor::new()
        .args(["check", "--batch"])
        .arg(work.path().join("accounts.csv"))
        .arg("--cafile")
        .arg(&ca)
        .args(["--format", "json", "--jobs", "4"])
        .hang_guard(120);
    for (i, row) in BATCH_ROWS.iter().enumerate() {
        let var = format!("INTEROP_BATCH_SECRET_{i}");
        csv.push_str(&format!(
            "{},{},{},{},{},{var}\n",
            row.user, row.host, row.port, row.tls, row.mechanism
        ));
        doctor = doctor.env(&var, row.secret).secret(row.user, row.secret);
    }
    let path = work.path().join("accounts.csv");
    std::fs::write(&path, csv).expect("write the batch file");
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod 0600");

    let out = doctor.run();
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), BATCH_ROWS.len() + 1, "{}", out.context());
    let mut failures = Vec::new();
    for (row, doc) in BATCH_ROWS.iter().zip(&lines) {
        support::schema::assert_valid(doc);
        let category = doc["category"].as_str().unwrap_or("<none>");
        println!(
            "batch: {:<40} {:<24} exit {}",
            row.scenario, category, doc["exit_code"]
        );
        if doc["target"]["address"] != row.user || category != row.expected {
            failures.push(format!(
                "{} ({} at {}:{}): category {category}, expected {}",
                row.scenario, row.user, row.host, row.port, row.expected
            ));
        }
        if doc["exit_code"].as_i64() != Some(i64::from(exit_code_for(row.expected))) {
            failures.push(format!("{}: exit_code {}", row.scenario, doc["exit_code"]));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n{}",
        failures.join("\n"),
        out.context()
    );
    let summary = &lines[BATCH_ROWS.len()]["summary"];
    assert_eq!(summary["accounts"], 10, "{}", out.context());
    assert_eq!(summary["skipped"], 0, "{}", out.context());
    assert_eq!(summary["categories"]["ok"], 6, "{summary}");
    assert_eq!(summary["categories"]["wrong-credentials"], 3, "{summary}");
    assert_eq!(
        summary["categories"]["app-password-required"], 1,
        "{summary}"
    );
    // The worst account: credentials (5); nothing worse in the order
    // 2 > 1 > 3 > 4 > 5 > 6 > 7 > 0.
    assert_eq!(summary["exit_code"], 5, "{summary}");
    assert_eq!(out.code, 5, "{}", out.context());
}

/// A harness row that fails for its port or TLS mode, the alternatives to
/// probe (`SMTP_DOCTOR_SUGGEST_PORTS`: the harness's ports stand in for
/// 465/587/25) and the suggestion that must come first, verified.
struct SuggestRow {
    scenario: &'static str,
    port: u16,
    tls: &'static str,
    alternatives: &'static str,
    expected: &'static str,
    suggested_port: u16,
    suggested_tls: &'static str,
}

const SUGGEST_ROWS: [SuggestRow; 4] = [
    SuggestRow {
        scenario: "postfix-implicit-port-with-starttls",
        port: 10465,
        tls: "starttls",
        alternatives: "10599/implicit",
        expected: "tls-mode-mismatch",
        suggested_port: 10465,
        suggested_tls: "implicit",
    },
    SuggestRow {
        scenario: "postfix-starttls-port-with-implicit",
        port: 10587,
        tls: "implicit",
        alternatives: "10599/implicit",
        expected: "tls-mode-mismatch",
        suggested_port: 10587,
        suggested_tls: "starttls",
    },
    SuggestRow {
        scenario: "aiosmtpd-implicit-no-auth",
        port: 13465,
        tls: "implicit",
        alternatives: "13587/starttls,10525/starttls/relay",
        expected: "auth-not-offered",
        suggested_port: 13587,
        suggested_tls: "starttls",
    },
    SuggestRow {
        scenario: "closed-port",
        port: 10599,
        tls: "starttls",
        alternatives: "10465/implicit,10587/starttls,10525/starttls/relay",
        expected: "connection-refused",
        suggested_port: 10465,
        suggested_tls: "implicit",
    },
];

#[test]
#[ignore = "needs ../shared/harness running (up.sh); .ci/run runs it"]
fn harness_465_587_mix_ups_suggest_a_verified_setting_that_passes_as_printed() {
    let ca = support::harness::ca();
    let (user, secret) = ("alice@example.test", "correct horse");
    let mut problems = Vec::new();
    for row in &SUGGEST_ROWS {
        let out = Doctor::new()
            .args(["check", user, "--host", "127.0.0.1"])
            .args(["--port", &row.port.to_string(), "--tls", row.tls])
            .arg("--cafile")
            .arg(&ca)
            .args(["--format", "json"])
            .secret(user, secret)
            .env("SMTP_DOCTOR_PASSWORD", secret)
            .env("SMTP_DOCTOR_SUGGEST_PORTS", row.alternatives)
            .run();
        let json = out.expect_json();
        let category = json["category"].as_str().unwrap_or("<none>");
        let first = &json["suggested_settings"][0];
        println!(
            "{:<40} {:<20} {} ms, suggests {}:{} verified {}",
            row.scenario,
            category,
            out.elapsed.as_millis(),
            first["port"],
            first["tls"],
            first["verified"]
        );
        if category != row.expected {
            problems.push(format!("{}: category {category}", row.scenario));
            continue;
        }
        if first["port"] != row.suggested_port
            || first["tls"] != row.suggested_tls
            || first["verified"] != true
        {
            problems.push(format!("{}: suggestion {first}", row.scenario));
            continue;
        }
        // The verified suggestion, run as printed, passes.
        let command = first["command"].as_str().unwrap_or("");
        let words: Vec<&str> = command.split_whitespace().collect();
        let again = Doctor::new()
            .args(&words[1..])
            .args(["--format", "json"])
            .secret(user, secret)
            .env("SMTP_DOCTOR_PASSWORD", secret)
            .run();
        if again.expect_json()["category"] != "ok" {
            problems.push(format!(
                "{}: `{command}` gave {}",
                row.scenario,
                again.expect_json()["category"]
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
