//! End-to-end tests of the greeting race, the verified suggestions and the
//! per-address checks: the real binary against in-process fake servers on
//! 127.0.0.1 (tests/support/fake_smtp.rs). Times are never asserted here;
//! benches/mode_mismatch.sh measures them against real servers.

use crate::support;

use std::time::Duration;

use support::certs;
use support::fake_smtp::{FakeSmtp, Hostile, Server};
use support::run::{exit_code_for, Doctor, Outcome};

const USER: &str = "alice@example.test";
const PASSWORD: &str = "S3cret-Suggest-Marker-4k!";

/// `check` against 127.0.0.1:PORT with --tls MODE, JSON, the password in the
/// environment (the runner checks no form of it leaks), and `extra` flags.
fn check(port: u16, tls: &str, timeout: u32, extra: &[&str]) -> Outcome {
    let mut args: Vec<String> = [
        "check",
        USER,
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--tls",
        tls,
        "--timeout",
        &timeout.to_string(),
        "--format",
        "json",
        "--verbose",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push("--cafile".into());
    args.push(certs::ca_file().display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    let run = Doctor::new()
        .args(args)
        .hang_guard(40)
        .secret(USER, PASSWORD)
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        .run();
    run.expect_json();
    run
}

#[track_caller]
fn assert_category(run: &Outcome, category: &str) {
    let json = run.expect_json();
    assert_eq!(
        json["category"].as_str(),
        Some(category),
        "{}",
        run.context()
    );
    assert_eq!(
        Some(run.code),
        exit_code_for(category),
        "exit code\n{}",
        run.context()
    );
}

#[track_caller]
fn assert_no_auth_sent(server: &Server) {
    assert!(
        server.auth_commands().is_empty(),
        "no AUTH may reach this server:\n{}",
        server.dump()
    );
}

fn stage<'a>(run: &'a Outcome, name: &str) -> Option<&'a serde_json::Value> {
    run.expect_json()["endpoints"][0]["stages"]
        .as_array()?
        .iter()
        .find(|s| s["stage"] == name)
}

// ---------------------------------------------------------------------------
// The greeting race
// ---------------------------------------------------------------------------

#[test]
fn greeting_delayed_three_seconds_stays_ok() {
    // Longer than the race delay: the second connection's ClientHello gets a
    // plaintext greeting, which is no TLS answer, so the first one waits on.
    let server = FakeSmtp::starttls()
        .accept(USER, PASSWORD)
        .greeting_delay(Duration::from_secs(3))
        .spawn();
    let run = check(server.port(), "starttls", 10, &[]);
    assert_category(&run, "ok");
    let greeting = stage(&run, "greeting").expect("greeting stage");
    assert_eq!(greeting["ok"], true, "{}", run.context());
    assert_eq!(server.auth_commands().len(), 1, "{}", server.dump());
}

#[test]
fn starttls_on_implicit_port_is_a_mismatch_from_the_race() {
    let server = FakeSmtp::implicit().spawn();
    // A deadline far beyond the race delay: the verdict must not wait for it.
    let run = check(server.port(), "starttls", 10, &[]);
    assert_category(&run, "tls-mode-mismatch");
    let json = run.expect_json();
    assert_eq!(
        json["diagnoses"][0]["id"],
        "starttls-client-on-implicit-tls-port"
    );
    let evidence = json["diagnoses"][0]["evidence"].as_str().unwrap_or("");
    assert!(evidence.contains("second connection"), "{}", run.context());
    assert_no_auth_sent(&server);
}

#[test]
fn port_silent_in_both_modes_is_connection_timeout() {
    let server = FakeSmtp::starttls().hostile(Hostile::Silent).spawn();
    let run = check(server.port(), "starttls", 2, &[]);
    assert_category(&run, "connection-timeout");
    // The race did ask, and was not answered.
    assert!(server.connections() >= 2, "{}", run.context());
    assert_no_auth_sent(&server);
}
