//! No false green: every way a check could say OK without having tested the
//! login, run end to end against a fake server that would accept the login,
//! must exit non-zero with a message that names the cause, and connect to
//! nothing when it cannot have a secret.

use crate::support;

use support::certs;
use support::fake_smtp::{FakeSmtp, Server};
use support::run::{Doctor, Outcome};

const USER: &str = "alice@example.test";
const PASSWORD: &str = "S3cret-Verdict-Marker-5j!";

/// A server that accepts `USER` / `PASSWORD`.
fn server() -> Server {
    FakeSmtp::starttls().accept(USER, PASSWORD).spawn()
}

/// `check USER --host 127.0.0.1 --port PORT --cafile CA --timeout 5` plus `extra`.
fn check(server: &Server, extra: &[&str]) -> Doctor {
    Doctor::new()
        .args([
            "check",
            USER,
            "--host",
            "127.0.0.1",
            "--port",
            &server.port().to_string(),
            "--cafile",
            &certs::ca_file().display().to_string(),
            "--timeout",
            "5",
        ])
        .args(extra)
        .secret(USER, PASSWORD)
        .hang_guard(30)
}

/// Exit 2, `needle` on stderr, nothing on stdout, no connection made.
#[track_caller]
fn assert_refused(out: &Outcome, server: &Server, needle: &str) {
    assert_eq!(out.code, 2, "exit 2 expected\n{}", out.context());
    assert!(
        out.stderr.contains(needle),
        "stderr lacks {needle:?}\n{}",
        out.context()
    );
    assert!(out.stdout.is_empty(), "{}", out.context());
    assert_eq!(server.connections(), 0, "connected although refused");
}

/// `--format nagios`: UNKNOWN (3), the message on the status line.
#[track_caller]
fn assert_unknown(out: &Outcome, server: &Server, needle: &str) {
    assert_eq!(out.code, 3, "UNKNOWN expected\n{}", out.context());
    assert!(
        out.stdout.starts_with("SMTP UNKNOWN - ") && out.stdout.contains(needle),
        "{}",
        out.context()
    );
    assert_eq!(server.connections(), 0, "connected although refused");
}

#[test]
fn empty_password_variable_is_a_usage_error_naming_it() {
    let s = server();
    let out = check(&s, &[]).env("SMTP_DOCTOR_PASSWORD", "").run();
    assert_refused(&out, &s, "SMTP_DOCTOR_PASSWORD is set but empty");
    let out = check(&s, &["--format", "nagios"])
        .env("SMTP_DOCTOR_PASSWORD", "")
        .run();
    assert_unknown(&out, &s, "SMTP_DOCTOR_PASSWORD is set but empty");
}

#[test]
fn empty_token_variable_is_a_usage_error_even_with_a_password_set() {
    let s = server();
    let out = check(&s, &[])
        .env("SMTP_DOCTOR_TOKEN", "")
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        .run();
    assert_refused(&out, &s, "SMTP_DOCTOR_TOKEN is set but empty");
}

#[test]
fn empty_password_file_is_a_usage_error_naming_it() {
    let s = server();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pw.txt");
    std::fs::write(&path, "").unwrap();
    let path = path.display().to_string();
    let out = check(&s, &["--password-file", &path]).run();
    assert_refused(&out, &s, &format!("--password-file {path} is empty"));
    // A file whose first line is empty is as empty.
    std::fs::write(&path, format!("\n{PASSWORD}\n")).unwrap();
    let out = check(&s, &["--password-file", &path]).run();
    assert_refused(&out, &s, "is empty");
}

#[test]
fn empty_stdin_with_password_stdin_is_a_usage_error() {
    let s = server();
    let out = check(&s, &["--password-stdin"]).stdin_bytes("").run();
    assert_refused(
        &out,
        &s,
        "--password-stdin was given, but standard input is empty",
    );
}

#[test]
fn password_piped_without_password_stdin_is_not_ignored() {
    let s = server();
    let out = check(&s, &[]).stdin_bytes(format!("{PASSWORD}\n")).run();
    assert_refused(&out, &s, "read only with --password-stdin");
    let out = check(&s, &["--monitoring"])
        .stdin_bytes(format!("{PASSWORD}\n"))
        .run();
    assert_unknown(&out, &s, "--password-stdin");
    // The same bytes with the flag: the login is tested and works.
    let out = check(&s, &["--password-stdin"])
        .stdin_bytes(format!("{PASSWORD}\n"))
        .run();
    assert_eq!(out.code, 0, "{}", out.context());
    assert!(out.stdout.contains("result: ok"), "{}", out.context());
}

#[test]
fn password_redirected_from_a_file_without_the_flag_is_not_ignored() {
    let s = server();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pw.txt");
    std::fs::write(&path, format!("{PASSWORD}\n")).unwrap();
    let mut cmd = check(&s, &[]).command();
    let out = cmd
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("standard input is a file"), "{stderr}");
    assert!(!stderr.contains(PASSWORD));
    assert_eq!(s.connections(), 0);
}

// ---------------------------------------------------------------------------
// No secret, no OK; --no-auth
// ---------------------------------------------------------------------------

#[test]
fn no_secret_is_a_usage_error_that_names_the_sources_looked_at() {
    let s = server();
    let out = check(&s, &[]).run();
    assert_refused(&out, &s, "no secret given, so the login cannot be tested");
    for source in [
        "--password-file",
        "SMTP_DOCTOR_PASSWORD",
        "SMTP_DOCTOR_TOKEN",
        "prompt",
        "--no-auth",
    ] {
        assert!(out.stderr.contains(source), "{}", out.context());
    }
    let out = check(&s, &["--format", "json"]).run();
    assert_refused(&out, &s, "no secret given");
}

#[test]
fn no_secret_in_nagios_mode_is_unknown_not_ok() {
    let s = server();
    let out = check(&s, &["--format", "nagios"]).run();
    assert_unknown(&out, &s, "no secret given");
    assert!(!out.stdout.contains("SMTP OK"), "{}", out.context());
}

#[test]
fn no_auth_checks_connection_and_tls_only_and_says_so() {
    let s = server();
    let text = check(&s, &["--no-auth"]).run();
    assert_eq!(text.code, 0, "{}", text.context());
    assert!(
        text.stdout.contains("note[auth-not-attempted]")
            && text.stdout.contains("result: ok (exit 0)")
            && text.stdout.contains("login not tested (--no-auth)"),
        "{}",
        text.context()
    );
    let json = check(&s, &["--no-auth", "--format", "json"]).run();
    let doc = json.expect_json();
    assert_eq!(doc["category"], "ok", "{}", json.context());
    assert_eq!(json.ids(), ["auth-not-attempted"], "{}", json.context());
    assert_eq!(doc["diagnoses"][0]["severity"], "info");
    let nagios = check(&s, &["--no-auth", "--format", "nagios"]).run();
    assert_eq!(nagios.code, 0, "{}", nagios.context());
    assert!(
        nagios.stdout.starts_with("SMTP OK - ") && nagios.stdout.contains("login not tested"),
        "{}",
        nagios.context()
    );
    // Connected (and started TLS) every time, never sent AUTH.
    assert_eq!(s.connections(), 3);
    assert!(s.auth_commands().is_empty(), "{}", s.dump());
}

#[test]
fn no_auth_ignores_the_password_variable_and_refuses_secret_flags() {
    let s = server();
    let out = check(&s, &["--no-auth"])
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        .run();
    assert_eq!(out.code, 0, "{}", out.context());
    assert!(s.auth_commands().is_empty(), "{}", s.dump());
    let out = check(&s, &["--no-auth", "--password-stdin"])
        .stdin_bytes(PASSWORD)
        .run();
    assert_eq!(out.code, 2, "{}", out.context());
    assert!(out.stderr.contains("--no-auth"), "{}", out.context());
}

#[test]
fn no_auth_against_a_broken_server_still_fails() {
    let s = FakeSmtp::starttls()
        .starttls_reply("454 4.7.0 TLS not available")
        .spawn();
    let out = check(&s, &["--no-auth", "--format", "json"]).run();
    assert_eq!(out.code, 4, "{}", out.context());
    assert_eq!(out.expect_json()["category"], "starttls-unavailable");
}

// ---------------------------------------------------------------------------
// --dry-run is not a verdict
// ---------------------------------------------------------------------------

#[test]
fn dry_run_with_host_in_all_three_formats() {
    let s = server();
    let text = check(&s, &["--dry-run"]).run();
    assert_eq!(text.code, 0, "{}", text.context());
    assert!(
        text.stdout
            .contains("result: dry run, nothing checked: 1 candidate, none contacted (exit 0)"),
        "{}",
        text.context()
    );
    assert!(!text.stdout.contains("result: ok"), "{}", text.context());
    assert!(text.stdout.contains("not probed"), "{}", text.context());

    let json = check(&s, &["--dry-run", "--format", "json"]).run();
    let doc = json.expect_json();
    assert_eq!(doc["dry_run"], true, "{}", json.context());
    assert!(doc["category"].is_null(), "{}", json.context());
    assert_eq!(doc["exit_code"], 0);
    let cands = doc["discovery"]["candidates"].as_array().unwrap();
    assert_eq!(cands.len(), 1, "{}", json.context());
    assert_eq!(cands[0]["host"], "127.0.0.1");
    assert_eq!(cands[0]["source"], "given");
    assert_eq!(cands[0]["probed"], false);

    let nagios = check(&s, &["--dry-run", "--format", "nagios"]).run();
    assert_unknown(&nagios, &s, "--dry-run checks nothing");
    assert!(!nagios.stdout.contains("server answered"));
    assert_eq!(s.connections(), 0, "a dry run connected");
}

#[test]
fn dry_run_shows_failed_lookups() {
    // The domain exists but has no SRV and no MX: each lookup fails, and the
    // dry run says so instead of a bare list of guesses.
    let dns = support::dns::TestDns::new().zone("empty.test").spawn();
    let base = |extra: &[&str]| {
        Doctor::new()
            .args(["check", "alice@empty.test", "--dns-server"])
            .arg(dns.addr().to_string())
            .args(["--timeout", "3", "--dry-run"])
            .args(extra)
            .hang_guard(30)
            .run()
    };
    let text = base(&[]);
    assert_eq!(text.code, 0, "{}", text.context());
    assert!(
        text.stdout.contains("_submission._tcp.empty.test SRV")
            && text.stdout.contains("empty.test MX")
            && text.stdout.contains("result: dry run"),
        "{}",
        text.context()
    );
    let json = base(&["--format", "json"]);
    let doc = json.expect_json();
    assert!(doc["category"].is_null());
    let lookups = doc["discovery"]["lookups"].as_array().unwrap();
    assert!(
        lookups.iter().any(|l| l["type"] == "MX"),
        "{}",
        json.context()
    );
}

// ---------------------------------------------------------------------------
// Monitoring: stable perfdata, -w/-c, certificate thresholds everywhere
// ---------------------------------------------------------------------------

/// The perfdata labels of a nagios status line, in order.
fn perf_labels(line: &str) -> Vec<String> {
    let perf = line.split_once(" | ").map(|(_, p)| p.trim()).unwrap_or("");
    perf.split(' ')
        .map(|kv| kv.split('=').next().unwrap().to_string())
        .collect()
}

const LABELS: [&str; 9] = [
    "time",
    "connect",
    "greeting",
    "ehlo",
    "starttls",
    "tls",
    "auth",
    "cert_days",
    "candidates_tried",
];

#[test]
fn nagios_perfdata_has_every_label_whatever_the_outcome() {
    let s = server();
    let ok = check(&s, &["--format", "nagios"])
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        .run();
    assert_eq!(ok.code, 0, "{}", ok.context());
    assert_eq!(perf_labels(&ok.stdout), LABELS, "{}", ok.stdout);
    assert!(!ok.stdout.contains("=U"), "all known: {}", ok.stdout);
    // A closed port: nothing after connect is known, the labels stay.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port().to_string();
    drop(closed);
    let refused = Doctor::new()
        .args(["check", USER, "--host", "127.0.0.1", "--port", &port])
        .args(["--format", "nagios", "--timeout", "2"])
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        .secret(USER, PASSWORD)
        .run();
    assert_eq!(refused.code, 2, "{}", refused.context());
    assert_eq!(perf_labels(&refused.stdout), LABELS, "{}", refused.stdout);
    assert!(
        refused.stdout.contains("greeting=U")
            && refused.stdout.contains("auth=U")
            && refused.stdout.contains("cert_days=U;14:;7:"),
        "{}",
        refused.stdout
    );
}

#[test]
fn nagios_total_time_thresholds_like_check_smtp() {
    let slow = FakeSmtp::starttls()
        .accept(USER, PASSWORD)
        .greeting_delay(std::time::Duration::from_millis(600))
        .spawn();
    let run = |extra: &[&str]| {
        check(&slow, &["--format", "nagios"])
            .args(extra)
            .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
            .run()
    };
    let ok = run(&["-w", "5", "-c", "10"]);
    assert_eq!(ok.code, 0, "{}", ok.context());
    assert!(ok.stdout.contains("time="), "{}", ok.stdout);
    assert!(ok.stdout.contains(";5;10;0 "), "{}", ok.stdout);
    let warn = run(&["-w", "0.2"]);
    assert_eq!(warn.code, 1, "{}", warn.context());
    assert!(
        warn.stdout.starts_with("SMTP WARNING - ")
            && warn.stdout.contains("over the warning threshold of 0.2s"),
        "{}",
        warn.stdout
    );
    let crit = run(&["--warning", "0.1", "--critical", "0.2"]);
    assert_eq!(crit.code, 2, "{}", crit.context());
    assert!(
        crit.stdout.contains("over the critical threshold"),
        "{}",
        crit.stdout
    );
    let bad = run(&["-w", "3", "-c", "1"]);
    assert_eq!(bad.code, 3, "{}", bad.context());
}

#[test]
fn cert_warn_is_honoured_outside_nagios() {
    let s = server();
    // The test certificate is valid for decades: a huge --cert-warn reaches it.
    let json = check(
        &s,
        &[
            "--format",
            "json",
            "--cert-warn",
            "100000",
            "--cert-crit",
            "1",
        ],
    )
    .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
    .run();
    assert_eq!(json.code, 0, "{}", json.context());
    assert_eq!(json.expect_json()["category"], "ok");
    assert!(
        json.ids().contains(&"certificate-expires-soon"),
        "{}",
        json.context()
    );
    // The default (14 days) does not.
    let quiet = check(&s, &["--format", "json"])
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        .run();
    assert!(
        !quiet.ids().contains(&"certificate-expires-soon"),
        "{}",
        quiet.context()
    );
}

#[test]
fn batch_row_shows_a_certificate_five_days_from_expiry() {
    let s = FakeSmtp::starttls()
        .accept(USER, PASSWORD)
        .cert(certs::Cert::ExpiresSoon)
        .spawn();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("accounts.csv");
    std::fs::write(
        &path,
        format!(
            "address,host,port,password_env\n{USER},127.0.0.1,{},VERDICT_PW\n",
            s.port()
        ),
    )
    .unwrap();
    let out = Doctor::new()
        .args(["check", "--batch"])
        .arg(&path)
        .args(["--cafile", &certs::ca_file().display().to_string()])
        .args(["--timeout", "5", "--format", "text"])
        .env("VERDICT_PW", PASSWORD)
        .secret(USER, PASSWORD)
        .run();
    assert_eq!(out.code, 0, "{}", out.context());
    let row = out.stdout.lines().next().unwrap_or_default();
    assert!(
        row.contains("ok")
            && row.contains("warning[certificate-expires-soon]")
            && row.contains(" days left"),
        "{}",
        out.context()
    );
}

// ---------------------------------------------------------------------------
// Network vs name; one deadline for DNS
// ---------------------------------------------------------------------------

/// `check ADDRESS --dns-server DNS --format json --timeout SECS` plus `extra`,
/// with the password set.
fn check_dns(address: &str, dns: std::net::SocketAddr, secs: &str, extra: &[&str]) -> Outcome {
    Doctor::new()
        .args(["check", address, "--dns-server"])
        .arg(dns.to_string())
        .args(["--format", "json", "--timeout", secs, "--no-suggest"])
        .args(extra)
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        .secret(address, PASSWORD)
        .hang_guard(30)
        .run()
}

#[test]
fn nxdomain_for_a_provider_table_host_is_a_broken_resolver_not_a_typo() {
    let dns = support::dns::TestDns::new().nxdomain_everything().spawn();
    let out = check_dns("alice@gmail.com", dns.addr(), "3", &[]);
    assert_eq!(out.code, 3, "{}", out.context());
    let doc = out.expect_json();
    assert_eq!(doc["category"], "dns-failure");
    let d = &doc["diagnoses"][0];
    assert_eq!(d["id"], "dns-resolution-broken", "{}", out.context());
    assert!(
        d["detail"]
            .as_str()
            .unwrap_or("")
            .contains("provider table"),
        "{}",
        out.context()
    );
    // The resolver used is named.
    let named = format!("DNS server {}", dns.addr());
    assert!(
        d["evidence"].as_str().unwrap_or("").contains(&named),
        "{}",
        out.context()
    );
    assert!(
        !out.stdout.contains("Check the spelling"),
        "{}",
        out.context()
    );
}

#[test]
fn nxdomain_for_everything_turns_a_typed_host_into_a_broken_resolver_too() {
    let dns = support::dns::TestDns::new().nxdomain_everything().spawn();
    let out = check_dns(USER, dns.addr(), "3", &["--host", "smtp.example.test"]);
    assert_eq!(out.code, 3, "{}", out.context());
    assert_eq!(out.ids()[0], "dns-resolution-broken", "{}", out.context());
    let detail = out.expect_json()["diagnoses"][0]["detail"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        detail.contains("smtp.gmail.com, which exists, does not resolve either")
            && detail.contains(&format!("DNS server {}", dns.addr())),
        "{}",
        out.context()
    );
}

#[test]
fn a_typed_host_that_does_not_exist_on_working_dns_is_still_a_typo() {
    // Working DNS: the control name resolves, the typed one does not.
    let dns = support::dns::TestDns::new().zone("example.test").spawn();
    let out = check_dns(
        USER,
        dns.addr(),
        "3",
        &["--host", "smtp.exmaple.example.test"],
    );
    assert_eq!(out.code, 3, "{}", out.context());
    assert_eq!(out.ids()[0], "dns-name-not-found", "{}", out.context());
}

#[test]
fn a_silent_dns_server_costs_one_deadline_for_a_provider_table_domain() {
    let dns = support::dns::TestDns::silent();
    let out = check_dns("alice@gmail.com", dns.addr(), "2", &[]);
    assert_eq!(out.code, 3, "{}", out.context());
    assert_eq!(out.ids()[0], "dns-timeout", "{}", out.context());
    // One 2 s deadline (the table's host was resolved while SRV and MX
    // were asked), not two; generous slack for a loaded machine.
    assert!(
        out.elapsed < std::time::Duration::from_millis(3500),
        "took {:?}\n{}",
        out.elapsed,
        out.context()
    );
    let detail = out.expect_json()["diagnoses"][0]["detail"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        detail.contains("gmail.com MX") && detail.contains("_submission._tcp.gmail.com SRV"),
        "the report names the lookups that timed out\n{}",
        out.context()
    );
    let stage = &out.expect_json()["endpoints"][0]["stages"][0];
    assert_eq!(stage["stage"], "resolve");
    assert!(
        stage["detail"]
            .as_str()
            .unwrap_or("")
            .contains("smtp.gmail.com"),
        "the resolve stage names its lookup\n{}",
        out.context()
    );
}

#[test]
fn a_silent_dns_server_costs_one_deadline_for_any_domain_and_is_never_ok() {
    let dns = support::dns::TestDns::silent();
    let out = check_dns("alice@custom.test", dns.addr(), "2", &[]);
    assert_eq!(out.code, 3, "{}", out.context());
    assert_eq!(out.ids()[0], "dns-timeout", "{}", out.context());
    assert!(
        out.elapsed < std::time::Duration::from_millis(3500),
        "took {:?}\n{}",
        out.elapsed,
        out.context()
    );
    assert!(out.stdout.contains("custom.test MX"), "{}", out.context());
}
