//! End-to-end tests of the greeting race, the verified suggestions and the
//! per-address checks: the real binary against in-process fake servers on
//! 127.0.0.1 (tests/support/fake_smtp.rs). Times are never asserted here;
//! benches/mode_mismatch.sh measures them against real servers.

use crate::support;

use std::time::Duration;

use support::certs;
use support::dns::TestDns;
use support::fake_smtp::{FakeSmtp, Hostile, Server};
use support::run::{exit_code_for, Doctor, Outcome};

const USER: &str = "alice@example.test";
const PASSWORD: &str = "S3cret-Suggest-Marker-4k!";

/// `check` against 127.0.0.1:PORT with --tls MODE, JSON, the password in the
/// environment (the runner checks no form of it leaks), and `extra` flags.
/// The alternatives probed after a failure are `alternatives`
/// (`SMTP_DOCTOR_SUGGEST_PORTS`), never the real 465/587/25.
fn check(port: u16, tls: &str, timeout: u32, extra: &[&str]) -> Outcome {
    check_with(
        port,
        tls,
        timeout,
        extra,
        &format!("{}/starttls", closed_port()),
    )
}

fn check_with(port: u16, tls: &str, timeout: u32, extra: &[&str], alternatives: &str) -> Outcome {
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
        .env("SMTP_DOCTOR_SUGGEST_PORTS", alternatives)
        .run();
    run.expect_json();
    run
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn suggestions(run: &Outcome) -> Vec<serde_json::Value> {
    run.expect_json()["suggested_settings"]
        .as_array()
        .unwrap_or_else(|| panic!("no suggested_settings\n{}", run.context()))
        .clone()
}

/// The first suggestion is verified, for this port and mode, with its
/// command line and mail-client words; returns the command line.
#[track_caller]
fn assert_verified_first(run: &Outcome, port: u16, tls: &str, words: &str) -> String {
    let list = suggestions(run);
    let first = list
        .first()
        .unwrap_or_else(|| panic!("no suggestion\n{}", run.context()));
    assert_eq!(first["port"], port, "{}", run.context());
    assert_eq!(first["tls"], tls, "{}", run.context());
    assert_eq!(first["host"], "127.0.0.1", "{}", run.context());
    assert_eq!(first["verified"], true, "{}", run.context());
    assert_eq!(
        first["client_settings"],
        format!("Port {port}, {words}"),
        "{}",
        run.context()
    );
    let command = first["command"].as_str().expect("command").to_string();
    assert!(
        command.ends_with(&format!("--host 127.0.0.1 --port {port} --tls {tls}")),
        "{command}"
    );
    command
}

/// Runs a suggested command line as printed (with --format json added) and
/// returns the outcome.
fn run_as_printed(command: &str) -> Outcome {
    assert!(
        !command.contains('\''),
        "the test paths need no quoting: {command}"
    );
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(&words[..2], ["smtp-doctor", "check"], "{command}");
    let run = Doctor::new()
        .args(&words[1..])
        .args(["--format", "json"])
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

// ---------------------------------------------------------------------------
// Suggested settings, verified without the secret
// ---------------------------------------------------------------------------

#[test]
fn starttls_on_implicit_port_suggests_implicit_tls_there_verified() {
    let server = FakeSmtp::implicit().accept(USER, PASSWORD).spawn();
    let run = check(server.port(), "starttls", 10, &[]);
    assert_category(&run, "tls-mode-mismatch");
    let command = assert_verified_first(&run, server.port(), "implicit", "SSL/TLS");
    // The suggestion was probed, but the secret never reached it.
    assert_no_auth_sent(&server);
    // Run as printed, it passes (and only then does the secret go there).
    let ok = run_as_printed(&command);
    assert_category(&ok, "ok");
    assert_eq!(server.auth_commands().len(), 1, "{}", server.dump());
}

#[test]
fn implicit_on_starttls_port_suggests_starttls_there_verified() {
    let server = FakeSmtp::starttls().accept(USER, PASSWORD).spawn();
    let run = check(server.port(), "implicit", 10, &[]);
    assert_category(&run, "tls-mode-mismatch");
    let command = assert_verified_first(&run, server.port(), "starttls", "STARTTLS");
    assert_no_auth_sent(&server);
    let ok = run_as_printed(&command);
    assert_category(&ok, "ok");
}

#[test]
fn refused_587_with_a_working_465_suggests_465() {
    let submissions = FakeSmtp::implicit().accept(USER, PASSWORD).spawn();
    let closed = closed_port();
    let alternatives = format!("{}/implicit,{closed}/starttls", submissions.port());
    let run = check_with(closed, "starttls", 5, &[], &alternatives);
    assert_category(&run, "connection-refused");
    let list = suggestions(&run);
    assert_eq!(list.len(), 1, "{}", run.context());
    assert_verified_first(&run, submissions.port(), "implicit", "SSL/TLS");
    assert_no_auth_sent(&submissions);
}

#[test]
fn port_silent_in_both_modes_claims_no_verified_suggestion() {
    let server = FakeSmtp::starttls().hostile(Hostile::Silent).spawn();
    let run = check(server.port(), "starttls", 2, &[]);
    assert_category(&run, "connection-timeout");
    for s in suggestions(&run) {
        assert_ne!(s["verified"], true, "{}", run.context());
    }
    assert_no_auth_sent(&server);
}

#[test]
fn no_auth_on_implicit_tls_names_the_port_that_offers_it() {
    // aiosmtpd's way: implicit TLS without AUTH, STARTTLS on another port with it.
    let implicit = FakeSmtp::implicit()
        .caps(&["PIPELINING", "8BITMIME"])
        .spawn();
    let submission = FakeSmtp::starttls().accept(USER, PASSWORD).spawn();
    let alternatives = format!("{}/starttls", submission.port());
    let run = check_with(implicit.port(), "implicit", 5, &[], &alternatives);
    assert_category(&run, "auth-not-offered");
    let d = &run.expect_json()["diagnoses"][0];
    assert_eq!(
        d["id"],
        "auth-not-offered-on-submission-port",
        "{}",
        run.context()
    );
    let detail = d["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains(&format!("port {} with STARTTLS", submission.port())),
        "{}",
        run.context()
    );
    assert_verified_first(&run, submission.port(), "starttls", "STARTTLS");
    assert_no_auth_sent(&implicit);
    assert_no_auth_sent(&submission);
}

#[test]
fn no_auth_anywhere_says_this_client_is_not_let_in() {
    let implicit = FakeSmtp::implicit().caps(&["PIPELINING"]).spawn();
    let run = check(implicit.port(), "implicit", 5, &[]);
    assert_category(&run, "auth-not-offered");
    let d = &run.expect_json()["diagnoses"][0];
    assert_eq!(
        d["id"],
        "auth-not-offered-on-submission-port",
        "{}",
        run.context()
    );
    assert!(
        d["detail"]
            .as_str()
            .unwrap_or("")
            .contains("does not let this client log in"),
        "{}",
        run.context()
    );
}

#[test]
fn no_suggest_and_nagios_probe_no_alternative() {
    let alternative = FakeSmtp::implicit().accept(USER, PASSWORD).spawn();
    let closed = closed_port();
    let alternatives = format!("{}/implicit", alternative.port());
    let run = check_with(closed, "starttls", 5, &["--no-suggest"], &alternatives);
    assert_category(&run, "connection-refused");
    assert!(
        run.expect_json().get("suggested_settings").is_none(),
        "{}",
        run.context()
    );
    let nagios = Doctor::new()
        .args([
            "check",
            USER,
            "--host",
            "127.0.0.1",
            "--port",
            &closed.to_string(),
            "--format",
            "nagios",
        ])
        .secret(USER, PASSWORD)
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        .env("SMTP_DOCTOR_SUGGEST_PORTS", &alternatives)
        .run();
    assert_eq!(nagios.code, 2, "{}", nagios.context());
    assert_eq!(alternative.connections(), 0);
}

#[test]
fn text_output_has_a_try_instead_block_with_the_command() {
    let server = FakeSmtp::implicit().spawn();
    let run = Doctor::new()
        .args([
            "check",
            USER,
            "--host",
            "127.0.0.1",
            "--port",
            &server.port().to_string(),
            "--tls",
            "starttls",
            "--cafile",
            &certs::ca_file().display().to_string(),
        ])
        .secret(USER, PASSWORD)
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        .env(
            "SMTP_DOCTOR_SUGGEST_PORTS",
            format!("{}/starttls", closed_port()),
        )
        .run();
    assert_eq!(run.code, 4, "{}", run.context());
    assert!(run.stdout.contains("try instead:"), "{}", run.context());
    assert!(
        run.stdout
            .contains(&format!("Port {}, SSL/TLS", server.port())),
        "{}",
        run.context()
    );
    assert!(
        run.stdout.contains(&format!(
            "--host 127.0.0.1 --port {} --tls implicit",
            server.port()
        )),
        "{}",
        run.context()
    );
    assert_no_auth_sent(&server);
}

// ---------------------------------------------------------------------------
// Per address: localhost is [::1] and 127.0.0.1; the fake server listens on
// 127.0.0.1 only, so the other address refuses.
// ---------------------------------------------------------------------------

fn check_localhost(port: u16, extra: &[&str]) -> Outcome {
    let mut args: Vec<String> = [
        "check",
        USER,
        "--host",
        "localhost",
        "--port",
        &port.to_string(),
        "--tls",
        "starttls",
        "--format",
        "json",
        "--cafile",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(certs::ca_file().display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    let run = Doctor::new()
        .args(args)
        .hang_guard(40)
        .secret(USER, PASSWORD)
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        .env(
            "SMTP_DOCTOR_SUGGEST_PORTS",
            format!("{}/starttls", closed_port()),
        )
        .run();
    run.expect_json();
    run
}

#[test]
fn several_addresses_say_which_was_used_and_that_others_exist() {
    let server = FakeSmtp::starttls().accept(USER, PASSWORD).spawn();
    let run = check_localhost(server.port(), &[]);
    assert_category(&run, "ok");
    let ep = &run.expect_json()["endpoints"][0];
    let used = format!("127.0.0.1:{}", server.port());
    assert_eq!(ep["address"], used.as_str(), "{}", run.context());
    let addresses: Vec<&str> = ep["addresses"]
        .as_array()
        .unwrap_or_else(|| panic!("no addresses\n{}", run.context()))
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    assert_eq!(
        addresses,
        [format!("[::1]:{}", server.port()), used.clone()],
        "{}",
        run.context()
    );
    assert!(run.expect_json().get("other_addresses").is_none());
}

#[test]
fn all_addresses_reports_each_and_names_the_one_that_refuses() {
    let server = FakeSmtp::starttls().accept(USER, PASSWORD).spawn();
    let run = check_localhost(server.port(), &["--all-addresses"]);
    // The check at 127.0.0.1 logs in, but clients that pick ::1 fail.
    assert_category(&run, "connection-refused");
    let json = run.expect_json();
    assert_eq!(json["endpoints"][0]["category"], "ok", "{}", run.context());
    let others = json["other_addresses"].as_array().expect("other_addresses");
    assert_eq!(others.len(), 1, "{}", run.context());
    let v6 = format!("[::1]:{}", server.port());
    assert_eq!(others[0]["address"], v6.as_str(), "{}", run.context());
    assert_eq!(others[0]["category"], "connection-refused");
    let detail = json["diagnoses"][0]["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains(&format!("at {v6}, one of the 2 addresses of localhost")),
        "{}",
        run.context()
    );
    // One login per check: the secret went to one address only.
    assert_eq!(server.auth_commands().len(), 1, "{}", server.dump());
}

#[test]
fn all_addresses_never_sends_the_secret_to_a_second_address() {
    // mail.two.test has two A records, 127.0.0.1 and 127.0.0.2, and both
    // answer (plaintext, so no certificate names get in the way): the login
    // happens at one, the other sees EHLO and QUIT, never AUTH.
    let first = FakeSmtp::plain().accept(USER, PASSWORD).spawn();
    let second = FakeSmtp::plain()
        .accept(USER, PASSWORD)
        .spawn_at(&format!("127.0.0.2:{}", first.port()));
    let dns = TestDns::new()
        .zone("two.test")
        .a("mail.two.test", "127.0.0.1")
        .a("mail.two.test", "127.0.0.2")
        .spawn();
    let run = Doctor::new()
        .args(["check", USER, "--host", "mail.two.test"])
        .args(["--port", &first.port().to_string(), "--tls", "none"])
        .args(["--dns-server", &dns.addr().to_string()])
        .args(["--format", "json", "--all-addresses"])
        .hang_guard(40)
        .secret(USER, PASSWORD)
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        .run();
    // Both addresses work; --tls none on purpose leaves its warning.
    assert_category(&run, "ok");
    let json = run.expect_json();
    let others = json["other_addresses"].as_array().expect("other_addresses");
    assert_eq!(others.len(), 1, "{}", run.context());
    assert_eq!(others[0]["category"], "ok", "{}", run.context());
    let auths = first.auth_commands().len() + second.auth_commands().len();
    assert_eq!(
        auths,
        1,
        "one login per check:\n{}\n{}",
        first.dump(),
        second.dump()
    );
    assert_eq!(
        first.commands("EHLO").len() + second.commands("EHLO").len(),
        2
    );
}
