//! End-to-end tests of `check --batch`, `--expect` and `--format nagios`:
//! the real binary against the in-process fake SMTP servers on 127.0.0.1.
//!
//! Every run's stdout and stderr go through the leak check
//! (tests/support/leak.rs) for every user and secret these tests use.

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use support::certs;
use support::fake_smtp::{FakeSmtp, Server};
use support::run::{Doctor, Outcome};
use support::schema::assert_valid;

const ALICE: &str = "alice@example.test";
const BOB: &str = "bob@example.test";
const CAROL: &str = "carol@example.test";
const DAVE: &str = "dave@example.test";
const USERS: [&str; 4] = [ALICE, BOB, CAROL, DAVE];
const PASSWORD: &str = "S3cret-Batch-Marker-4q!";
const WRONG: &str = "Wr0ng-Batch-Marker-7z?";
const INLINE: &str = "Inl1ne-Batch-Marker-2k#";
const TOKEN: &str = "ya29.Batch-Tok3n-Marker-Q7";
const SECRETS: [&str; 4] = [PASSWORD, WRONG, INLINE, TOKEN];

// ---------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------

/// stdout as JSON Lines; every line (the summary too) must match the schema.
#[track_caller]
fn json_lines(r: &Outcome) -> Vec<Value> {
    r.stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}\n{}", r.context()));
            assert_valid(&v);
            v
        })
        .collect()
}

#[track_caller]
fn summary(r: &Outcome) -> Value {
    let lines = json_lines(r);
    let last = lines.last().expect("a summary line");
    last["summary"].clone()
}

/// Runs smtp-doctor with `args` and extra environment; leak-checks both
/// streams for every user and secret of these tests.
#[track_caller]
fn run(args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut doctor = Doctor::new().args(args);
    for (k, v) in env {
        doctor = doctor.env(k, v);
    }
    for user in USERS {
        doctor = doctor.secrets(user, SECRETS);
    }
    doctor.run()
}

/// The secrets' environment variables, as batch files name them.
const ENV: [(&str, &str); 3] = [
    ("BATCH_PW", PASSWORD),
    ("BATCH_WRONG", WRONG),
    ("BATCH_TOKEN", TOKEN),
];

/// A batch file in a fresh directory, with `mode`.
struct BatchFile {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl BatchFile {
    fn new(name: &str, text: &str, mode: u32) -> BatchFile {
        let dir = tempfile::Builder::new()
            .prefix("smtp-doctor-batch-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write batch file");
        chmod(&path, mode);
        BatchFile { dir, path }
    }

    fn path(&self) -> &str {
        self.path.to_str().unwrap()
    }

    /// A file next to the batch file (for `password_file`).
    fn secret_file(&self, name: &str, secret: &str, mode: u32) {
        let p = self.dir.path().join(name);
        std::fs::write(&p, format!("{secret}\n")).unwrap();
        chmod(&p, mode);
    }
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn ca() -> String {
    certs::ca_file().display().to_string()
}

/// `check --batch FILE --cafile CA --timeout 5 --format json` plus `extra`.
#[track_caller]
fn batch(file: &BatchFile, extra: &[&str]) -> Outcome {
    let ca = ca();
    let mut args = vec![
        "check",
        "--batch",
        file.path(),
        "--cafile",
        &ca,
        "--timeout",
        "5",
    ];
    args.extend_from_slice(extra);
    if !extra.contains(&"--format") && !extra.contains(&"--monitoring") {
        args.extend_from_slice(&["--format", "json"]);
    }
    run(&args, &ENV)
}

fn ok_server() -> Server {
    FakeSmtp::starttls().accept(ALICE, PASSWORD).spawn()
}

fn wrong_server() -> Server {
    FakeSmtp::starttls()
        .auth_reply("535 5.7.8 Error: authentication failed: authentication failure")
        .spawn()
}

// ---------------------------------------------------------------------------
// Input: CSV, JSON Lines, guardrails
// ---------------------------------------------------------------------------

#[test]
fn csv_batch_one_document_per_account_in_file_order_then_summary() {
    let ok = ok_server();
    let wrong = wrong_server();
    let csv = format!(
        "address,host,port,password_env\n\
         {ALICE},127.0.0.1,{ok},BATCH_PW\n\
         # a comment line\n\
         {BOB},127.0.0.1,{wrong},BATCH_WRONG\n",
        ok = ok.port(),
        wrong = wrong.port()
    );
    let f = BatchFile::new("accounts.csv", &csv, 0o600);
    let r = batch(&f, &[]);
    assert_eq!(
        r.code,
        5,
        "worst account is wrong-credentials\n{}",
        r.context()
    );
    let lines = json_lines(&r);
    assert_eq!(lines.len(), 3, "{}", r.context());
    assert_eq!(lines[0]["target"]["address"], ALICE);
    assert_eq!(lines[0]["category"], "ok");
    assert_eq!(lines[0]["exit_code"], 0);
    assert_eq!(lines[1]["target"]["address"], BOB);
    assert_eq!(lines[1]["category"], "wrong-credentials");
    assert_eq!(lines[1]["exit_code"], 5);
    assert_eq!(lines[1]["version"], 1);
    let s = summary(&r);
    assert_eq!(s["accounts"], 2);
    assert_eq!(s["checked"], 2);
    assert_eq!(s["categories"]["ok"], 1);
    assert_eq!(s["categories"]["wrong-credentials"], 1);
    assert_eq!(s["exit_code"], 5);
    assert!(s["slowest_endpoints"].as_array().unwrap().len() == 2);
    // One AUTH per account.
    assert_eq!(ok.auth_commands().len(), 1, "{}", ok.dump());
    assert_eq!(wrong.auth_commands().len(), 1);
    // No progress bar when stderr is not a terminal.
    assert!(r.stderr.is_empty(), "{}", r.context());
}

#[test]
fn json_lines_detected_by_first_byte_with_token_and_password_file() {
    let ok = ok_server();
    let oauth = FakeSmtp::starttls()
        .caps(&["AUTH XOAUTH2"])
        .accept_token(BOB, TOKEN)
        .spawn();
    let jsonl = format!(
        "{{\"address\": \"{ALICE}\", \"host\": \"127.0.0.1\", \"port\": {}, \"password_file\": \"alice.pw\"}}\n\
         \n\
         {{\"address\": \"{BOB}\", \"host\": \"localhost\", \"port\": \"{}\", \"mechanism\": \"xoauth2\", \"token_env\": \"BATCH_TOKEN\"}}\n",
        ok.port(),
        oauth.port()
    );
    let f = BatchFile::new("accounts.txt", &jsonl, 0o600);
    f.secret_file("alice.pw", PASSWORD, 0o600);
    let r = batch(&f, &[]);
    assert_eq!(r.code, 0, "{}", r.context());
    let lines = json_lines(&r);
    assert_eq!(lines[0]["category"], "ok", "{}", r.context());
    assert_eq!(lines[1]["category"], "ok", "{}", r.context());
    assert_eq!(lines[1]["endpoints"][0]["mechanism"], "XOAUTH2");
    assert_eq!(summary(&r)["categories"]["ok"], 2);
}

#[test]
fn the_same_account_twice_is_refused_before_any_connection() {
    let ok = ok_server();
    let other = ok_server();
    // Same user at the same host, on another port: still the same account.
    let csv = format!(
        "address,host,port,password_env\n\
         {ALICE},127.0.0.1,{},BATCH_PW\n\
         {CAROL},127.0.0.1,{},BATCH_PW\n\
         {},127.0.0.1,{},BATCH_WRONG\n",
        ok.port(),
        ok.port(),
        ALICE.to_uppercase(),
        other.port()
    );
    let f = BatchFile::new("dup.csv", &csv, 0o600);
    let r = batch(&f, &[]);
    assert_eq!(r.code, 2, "{}", r.context());
    assert!(
        r.stderr.contains("already listed on line 2"),
        "{}",
        r.context()
    );
    assert!(r.stdout.is_empty());
    assert_eq!(ok.connections() + other.connections(), 0);
}

#[test]
fn several_secrets_or_none_for_one_account_are_refused() {
    let ok = ok_server();
    let csv = format!(
        "address,host,port,password_env,token_env\n{ALICE},127.0.0.1,{},BATCH_PW,BATCH_TOKEN\n",
        ok.port()
    );
    let f = BatchFile::new("two.csv", &csv, 0o600);
    let r = batch(&f, &[]);
    assert_eq!(r.code, 2, "{}", r.context());
    assert!(r.stderr.contains("several secrets"), "{}", r.context());

    let csv = format!("address,host,port\n{ALICE},127.0.0.1,{}\n", ok.port());
    let f = BatchFile::new("none.csv", &csv, 0o600);
    let r = batch(&f, &[]);
    assert_eq!(r.code, 2, "{}", r.context());
    assert!(r.stderr.contains("has no secret"), "{}", r.context());

    let csv = format!(
        "address,host,port,pasword_env\n{ALICE},127.0.0.1,{},BATCH_PW\n",
        ok.port()
    );
    let f = BatchFile::new("typo.csv", &csv, 0o600);
    let r = batch(&f, &[]);
    assert_eq!(r.code, 2, "{}", r.context());
    assert!(
        r.stderr.contains("unknown column `pasword_env`"),
        "{}",
        r.context()
    );

    let csv = format!(
        "address,host,port,password_env\n{ALICE},127.0.0.1,{},BATCH_UNSET_VARIABLE\n",
        ok.port()
    );
    let f = BatchFile::new("unset.csv", &csv, 0o600);
    let r = batch(&f, &[]);
    assert_eq!(r.code, 2, "{}", r.context());
    assert!(r.stderr.contains("BATCH_UNSET_VARIABLE"), "{}", r.context());
    assert_eq!(ok.connections(), 0);
}

#[test]
fn inline_password_is_refused_unless_the_file_is_0600() {
    let server = FakeSmtp::starttls().accept(ALICE, INLINE).spawn();
    let csv = format!(
        "address,host,port,password\n{ALICE},127.0.0.1,{},{INLINE}\n",
        server.port()
    );
    let f = BatchFile::new("inline.csv", &csv, 0o644);
    let r = batch(&f, &[]);
    assert_eq!(r.code, 2, "{}", r.context());
    assert!(
        r.stderr.contains("inline `password` column is refused"),
        "{}",
        r.context()
    );
    assert!(r.stderr.contains("mode 0644"), "{}", r.context());
    assert_eq!(server.connections(), 0);

    chmod(&f.path, 0o600);
    let r = batch(&f, &[]);
    assert_eq!(r.code, 0, "{}", r.context());
    assert!(r.stderr.contains("holds inline secrets"), "{}", r.context());
    assert_eq!(json_lines(&r)[0]["category"], "ok");
}

#[test]
fn readable_secret_files_are_warned_about_a_readable_batch_file_of_names_is_not() {
    let ok = ok_server();
    let csv = format!(
        "address,host,port,password_file\n{ALICE},127.0.0.1,{},secret.txt\n",
        ok.port()
    );
    let f = BatchFile::new("open.csv", &csv, 0o644);
    f.secret_file("secret.txt", PASSWORD, 0o644);
    let r = batch(&f, &[]);
    assert_eq!(r.code, 0, "{}", r.context());
    // The batch file holds a path, not a secret: nothing to warn about.
    assert!(!r.stderr.contains("warning: batch file"), "{}", r.context());
    assert!(
        r.stderr.contains("warning: secret file")
            && r.stderr.contains("readable by group or others"),
        "{}",
        r.context()
    );

    // Only variable names, mode 0644: no warning at all.
    let names = format!(
        "address,host,port,password_env\n{ALICE},127.0.0.1,{},BATCH_PW\n",
        ok.port()
    );
    let g = BatchFile::new("names.csv", &names, 0o644);
    let r = batch(&g, &[]);
    assert_eq!(r.code, 0, "{}", r.context());
    assert!(r.stderr.is_empty(), "{}", r.context());

    // 0600 everywhere: no warning.
    chmod(&f.path, 0o600);
    f.secret_file("secret.txt", PASSWORD, 0o600);
    let r = batch(&f, &[]);
    assert_eq!(r.code, 0, "{}", r.context());
    assert!(r.stderr.is_empty(), "{}", r.context());
}

// ---------------------------------------------------------------------------
// Scheduling: per-host limit, jobs, back-off
// ---------------------------------------------------------------------------

/// `n` accounts (distinct users) on one host, all with the wrong password.
fn accounts_on(host: &str, port: u16, n: usize) -> String {
    (0..n)
        .map(|i| format!("user{i}@example.test,{host},{port},BATCH_WRONG\n"))
        .collect()
}

#[test]
fn per_host_limit_caps_connections_to_one_host() {
    let slow = FakeSmtp::starttls()
        .greeting_delay(Duration::from_millis(150))
        .spawn();
    let csv = format!(
        "address,host,port,password_env\n{}",
        accounts_on("127.0.0.1", slow.port(), 7)
    );
    let f = BatchFile::new("slow.csv", &csv, 0o600);
    let r = batch(&f, &["--jobs", "8", "--per-host", "2"]);
    assert_eq!(r.code, 5, "{}", r.context());
    assert_eq!(slow.connections(), 7);
    assert_eq!(slow.peak_connections(), 2, "--per-host 2");
    assert_eq!(slow.auth_commands().len(), 7, "one AUTH per account");

    let slow1 = FakeSmtp::starttls()
        .greeting_delay(Duration::from_millis(100))
        .spawn();
    let csv = format!(
        "address,host,port,password_env\n{}",
        accounts_on("127.0.0.1", slow1.port(), 4)
    );
    let f = BatchFile::new("slow1.csv", &csv, 0o600);
    let r = batch(&f, &["--jobs", "8", "--per-host", "1"]);
    assert_eq!(r.code, 5, "{}", r.context());
    assert_eq!(slow1.peak_connections(), 1, "--per-host 1");
}

#[test]
fn jobs_caps_connections_across_hosts() {
    let a = FakeSmtp::starttls()
        .greeting_delay(Duration::from_millis(100))
        .spawn();
    let b = FakeSmtp::starttls()
        .greeting_delay(Duration::from_millis(100))
        .spawn();
    let csv = format!(
        "address,host,port,password_env\n{}{}",
        accounts_on("127.0.0.1", a.port(), 3),
        accounts_on("localhost", b.port(), 3)
    );
    let f = BatchFile::new("jobs.csv", &csv, 0o600);
    let r = batch(&f, &["--jobs", "1", "--per-host", "4"]);
    assert_eq!(r.code, 5, "{}", r.context());
    assert_eq!(a.connections() + b.connections(), 6);
    assert_eq!(a.peak_connections(), 1);
    assert_eq!(b.peak_connections(), 1);
    assert_eq!(summary(&r)["jobs"], 1);
}

#[test]
fn a_host_answering_421_gets_one_connection_and_is_backed_off() {
    let busy = FakeSmtp::starttls()
        .greeting("421 4.7.0 fake.example.test Too many connections, try again later")
        .spawn();
    let ok = ok_server();
    let csv = format!(
        "address,host,port,password_env\n{}{ALICE},localhost,{},BATCH_PW\n",
        accounts_on("127.0.0.1", busy.port(), 4),
        ok.port()
    );
    let f = BatchFile::new("busy.csv", &csv, 0o600);
    let r = batch(&f, &["--per-host", "2"]);
    assert_eq!(busy.connections(), 1, "{}", r.context());
    assert_eq!(r.code, 7, "{}", r.context());
    let lines = json_lines(&r);
    let first_category = lines[0]["category"].as_str().unwrap().to_string();
    assert!(
        first_category == "rate-limited" || first_category == "server-temporary-failure",
        "{}",
        r.context()
    );
    for skipped in &lines[1..4] {
        assert_eq!(
            skipped["diagnoses"][0]["id"],
            "batch-host-backed-off",
            "{}",
            r.context()
        );
        assert_eq!(skipped["category"], first_category.as_str());
        assert_eq!(skipped["exit_code"], 7);
    }
    // Other hosts go on.
    assert_eq!(lines[4]["category"], "ok", "{}", r.context());
    let s = summary(&r);
    assert_eq!(s["skipped"], 3);
    assert_eq!(s["backed_off"][0]["host"], "127.0.0.1");
    assert_eq!(s["backed_off"][0]["skipped"], 3);
}

#[test]
fn a_454_to_auth_backs_off_the_host_in_text_output_too() {
    let limited = FakeSmtp::starttls()
        .auth_reply("454 4.7.0 Too many login attempts, please try again later.")
        .spawn();
    let csv = format!(
        "address,host,port,password_env\n{}",
        accounts_on("127.0.0.1", limited.port(), 5)
    );
    let f = BatchFile::new("limited.csv", &csv, 0o600);
    let r = batch(&f, &["--format", "text", "--per-host", "3"]);
    assert_eq!(r.code, 7, "{}", r.context());
    assert_eq!(limited.connections(), 1, "{}", r.context());
    assert_eq!(limited.auth_commands().len(), 1);
    assert!(r.stdout.contains("skipped"), "{}", r.context());
    assert!(
        r.stdout.contains("backed off: 127.0.0.1"),
        "{}",
        r.context()
    );
    assert!(
        r.stdout.contains("2 > 1 > 3 > 4 > 5 > 6 > 7 > 0"),
        "{}",
        r.context()
    );
}

// ---------------------------------------------------------------------------
// --expect
// ---------------------------------------------------------------------------

#[track_caller]
fn single(port: u16, password: &str, extra: &[&str]) -> Outcome {
    let ca = ca();
    let port = port.to_string();
    let mut args = vec![
        "check",
        ALICE,
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--cafile",
        &ca,
        "--timeout",
        "5",
    ];
    args.extend_from_slice(extra);
    run(&args, &[("SMTP_DOCTOR_PASSWORD", password)])
}

#[test]
fn expect_makes_the_expected_category_exit_0() {
    let server = ok_server();
    // A canary whose wrong password must keep failing.
    let r = single(
        server.port(),
        WRONG,
        &["--expect", "wrong-credentials", "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.context());
    // One document, checked against the schema by the runner.
    let doc = r.expect_json();
    assert_eq!(doc["category"], "wrong-credentials");
    assert_eq!(doc["exit_code"], 0);
    assert_eq!(doc["expect"]["met"], true);

    // The canary suddenly logs in: never exit 0.
    let r = single(
        server.port(),
        PASSWORD,
        &["--expect", "wrong-credentials", "--format", "text"],
    );
    assert_eq!(r.code, 1, "{}", r.context());
    assert!(
        r.stdout
            .contains("expect: wrong-credentials: NOT met (exit 1)"),
        "{}",
        r.context()
    );

    // Another category than expected: its normal code.
    let r = single(server.port(), WRONG, &["--expect", "rate-limited"]);
    assert_eq!(r.code, 5, "{}", r.context());

    // Unknown category: usage error.
    let r = single(server.port(), WRONG, &["--expect", "wrong-password"]);
    assert_eq!(r.code, 2, "{}", r.context());
}

#[test]
fn expect_column_per_account_in_a_batch() {
    let ok = ok_server();
    let wrong = wrong_server();
    let csv = format!(
        "address,host,port,password_env,expect\n\
         {ALICE},127.0.0.1,{},BATCH_PW,\n\
         {BOB},127.0.0.1,{},BATCH_WRONG,wrong-credentials\n",
        ok.port(),
        wrong.port()
    );
    let f = BatchFile::new("expect.csv", &csv, 0o600);
    let r = batch(&f, &[]);
    assert_eq!(r.code, 0, "{}", r.context());
    let lines = json_lines(&r);
    assert_eq!(lines[1]["exit_code"], 0);
    assert_eq!(lines[1]["expect"]["met"], true);
    assert_eq!(summary(&r)["expect"]["met"], 1);

    // --expect is the default for rows without the column.
    let r = batch(&f, &["--expect", "ok"]);
    assert_eq!(r.code, 0, "{}", r.context());
}

// ---------------------------------------------------------------------------
// --format nagios
// ---------------------------------------------------------------------------

#[test]
fn nagios_ok_line_with_perfdata() {
    let server = ok_server();
    let r = single(server.port(), PASSWORD, &["--format", "nagios"]);
    assert_eq!(r.code, 0, "{}", r.context());
    let line = r.stdout.lines().next().unwrap();
    assert!(
        line.starts_with(&format!("SMTP OK - {ALICE} authenticated in ")),
        "{line}"
    );
    let (_, perf) = line.split_once(" | ").expect("perfdata");
    for label in ["time=", "connect=", "tls=", "auth=", "cert_days="] {
        assert!(perf.contains(label), "{label} missing: {perf}");
    }
    assert!(perf.contains(";14:;7:"), "{perf}");
    assert_eq!(r.stdout.lines().count(), 1);
}

#[test]
fn nagios_warning_when_the_certificate_expires_within_the_threshold() {
    let server = ok_server();
    // The test certificate is valid until 2099: about 26,000 days.
    let r = single(
        server.port(),
        PASSWORD,
        &["--monitoring", "--cert-warn", "40000", "--cert-crit", "7"],
    );
    assert_eq!(r.code, 1, "{}", r.context());
    assert!(r.stdout.starts_with("SMTP WARNING - "), "{}", r.context());
    assert!(
        r.stdout.contains("certificate expires in"),
        "{}",
        r.context()
    );

    let r = single(
        server.port(),
        PASSWORD,
        &[
            "--monitoring",
            "--cert-warn",
            "50000",
            "--cert-crit",
            "40000",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.context());
    assert!(r.stdout.starts_with("SMTP CRITICAL - "), "{}", r.context());
}

#[test]
fn nagios_critical_for_wrong_credentials() {
    let server = wrong_server();
    let r = single(server.port(), WRONG, &["--format", "nagios"]);
    assert_eq!(r.code, 2, "{}", r.context());
    assert!(
        r.stdout
            .starts_with(&format!("SMTP CRITICAL - {ALICE}: wrong-credentials")),
        "{}",
        r.context()
    );
    // With --expect it is the canary's normal state.
    let r = single(
        server.port(),
        WRONG,
        &["--format", "nagios", "--expect", "wrong-credentials"],
    );
    assert_eq!(r.code, 0, "{}", r.context());
    assert!(r.stdout.starts_with("SMTP OK - "), "{}", r.context());
}

#[test]
fn nagios_unknown_for_usage_problems() {
    let server = ok_server();
    let r = single(
        server.port(),
        PASSWORD,
        &["--format", "nagios", "--cafile", "/nonexistent/ca.pem"],
    );
    assert_eq!(r.code, 3, "{}", r.context());
    assert!(r.stdout.starts_with("SMTP UNKNOWN - "), "{}", r.context());
    // A bad flag, too (clap's own error path).
    let r = run(&["check", ALICE, "--monitoring", "--no-such-flag"], &[]);
    assert_eq!(r.code, 3, "{}", r.context());
    assert!(r.stdout.starts_with("SMTP UNKNOWN - "), "{}", r.context());
    assert_eq!(server.connections(), 0);
}

#[test]
fn nagios_batch_is_one_status_with_long_text() {
    let ok = ok_server();
    let wrong = wrong_server();
    let csv = format!(
        "address,host,port,password_env\n{ALICE},127.0.0.1,{},BATCH_PW\n{BOB},127.0.0.1,{},BATCH_WRONG\n",
        ok.port(),
        wrong.port()
    );
    let f = BatchFile::new("mon.csv", &csv, 0o600);
    let r = batch(&f, &["--format", "nagios"]);
    assert_eq!(r.code, 2, "{}", r.context());
    let mut lines = r.stdout.lines();
    let first = lines.next().unwrap();
    assert!(
        first.starts_with("SMTP CRITICAL - 2 accounts: 1 OK, 0 WARNING, 1 CRITICAL"),
        "{first}"
    );
    assert!(first.contains("| accounts=2;;;0"), "{first}");
    let rest: Vec<&str> = lines.collect();
    assert_eq!(rest.len(), 1, "{}", r.context());
    assert!(rest[0].starts_with(&format!("CRITICAL: {BOB}: wrong-credentials")));
}

// ---------------------------------------------------------------------------
// Limits key on the endpoint actually probed (after discovery)
// ---------------------------------------------------------------------------

/// A DNS server where each of `domains` has an SRV record pointing at
/// `smtp.hoster.test:port` (one hosting provider serving several customer
/// domains): before discovery each account's candidate is its own
/// `smtp.<domain>` guess, after it they all share one endpoint.
fn shared_hoster_dns(domains: &[&str], port: u16) -> support::dns::DnsServer {
    let mut dns = support::dns::TestDns::new().zone("hoster.test");
    for d in domains {
        dns = dns.zone(d).srv(
            &format!("_submission._tcp.{d}"),
            0,
            0,
            port,
            "smtp.hoster.test",
        );
    }
    dns.a("smtp.hoster.test", "127.0.0.1").spawn()
}

const HOSTED: [&str; 4] = ["one.test", "two.test", "three.test", "four.test"];

/// One account per hosted domain, address only (discovery finds the server).
fn hosted_accounts() -> String {
    let mut csv = String::from("address,password_env\n");
    for (i, d) in HOSTED.iter().enumerate() {
        csv.push_str(&format!("user{i}@{d},BATCH_WRONG\n"));
    }
    csv
}

#[test]
fn per_host_limit_applies_to_the_discovered_endpoint_not_the_first_guess() {
    let server = FakeSmtp::starttls()
        .greeting_delay(Duration::from_millis(150))
        .spawn();
    let dns = shared_hoster_dns(&HOSTED, server.port());
    let f = BatchFile::new("hosted.csv", &hosted_accounts(), 0o600);
    let dns_addr = dns.addr().to_string();
    let r = batch(
        &f,
        &["--dns-server", &dns_addr, "--jobs", "8", "--per-host", "1"],
    );
    assert_eq!(r.code, 5, "{}", r.context());
    assert_eq!(server.connections(), 4, "{}", r.context());
    assert_eq!(
        server.peak_connections(),
        1,
        "four domains, one server: --per-host 1 holds\n{}",
        r.context()
    );
    let lines = json_lines(&r);
    for line in &lines[..4] {
        assert_eq!(line["category"], "wrong-credentials", "{}", r.context());
        assert_eq!(line["endpoints"][0]["host"], "smtp.hoster.test");
        assert_eq!(line["endpoints"][0]["source"], "srv");
    }
    let slowest = &summary(&r)["slowest_endpoints"];
    assert_eq!(slowest.as_array().unwrap().len(), 1, "{slowest}");
    assert_eq!(slowest[0]["checks"], 4);
}

#[test]
fn back_off_applies_to_the_discovered_endpoint_across_domains() {
    let busy = FakeSmtp::starttls()
        .greeting("421 4.7.0 smtp.hoster.test Too many connections, try again later")
        .spawn();
    let dns = shared_hoster_dns(&HOSTED, busy.port());
    let f = BatchFile::new("hosted-busy.csv", &hosted_accounts(), 0o600);
    let dns_addr = dns.addr().to_string();
    let r = batch(&f, &["--dns-server", &dns_addr, "--per-host", "2"]);
    assert_eq!(r.code, 7, "{}", r.context());
    assert_eq!(
        busy.connections(),
        1,
        "the first check of the endpoint runs alone, then it is left alone\n{}",
        r.context()
    );
    let lines = json_lines(&r);
    let probed: Vec<&Value> = lines[..4]
        .iter()
        .filter(|l| l["endpoints"].as_array().is_some_and(|e| !e.is_empty()))
        .collect();
    assert_eq!(probed.len(), 1, "{}", r.context());
    let category = probed[0]["category"].as_str().unwrap();
    for line in lines[..4]
        .iter()
        .filter(|l| l["endpoints"] == Value::Array(vec![]))
    {
        assert_eq!(line["diagnoses"][0]["id"], "batch-host-backed-off");
        assert_eq!(line["category"], category);
        let summary_text = line["diagnoses"][0]["summary"].as_str().unwrap();
        assert!(
            summary_text.contains(&format!("smtp.hoster.test:{}", busy.port())),
            "{summary_text}"
        );
    }
    let s = summary(&r);
    assert_eq!(s["skipped"], 3, "{}", r.context());
    assert_eq!(s["backed_off"][0]["host"], "smtp.hoster.test");
    assert_eq!(s["backed_off"][0]["port"], busy.port());
    assert_eq!(s["backed_off"][0]["skipped"], 3);
}

// ---------------------------------------------------------------------------
// The progress bar: on a terminal only
// ---------------------------------------------------------------------------

/// Runs `cmd` on a pseudo-terminal; returns everything it wrote there.
fn in_pty(cmd: std::process::Command) -> String {
    let mut session = expectrl::session::Session::spawn(cmd).expect("spawn in a pty");
    session.set_expect_timeout(Some(Duration::from_secs(30)));
    let found = session.expect(expectrl::Eof).expect("program ends");
    String::from_utf8_lossy(found.as_bytes()).into_owned()
}

/// A text batch of 4 accounts on one slow server, one at a time (about a
/// second), as a `Doctor` for `command()`.
fn slow_text_batch(f: &BatchFile) -> Doctor {
    let ca = ca();
    let mut d = Doctor::new()
        .args(["check", "--batch", f.path(), "--cafile", &ca])
        .args(["--timeout", "5", "--format", "text", "--per-host", "1"])
        .env("TERM", "xterm-256color");
    for (k, v) in ENV {
        d = d.env(k, v);
    }
    d
}

/// The bar's template ends each draw with `N/4 accounts (`.
const BAR: &str = "/4 accounts (";

#[test]
fn progress_bar_is_drawn_on_a_terminal_and_never_when_stderr_is_not_one() {
    let server = FakeSmtp::starttls()
        .greeting_delay(Duration::from_millis(250))
        .spawn();
    let csv = format!(
        "address,host,port,password_env\n{}",
        accounts_on("127.0.0.1", server.port(), 4)
    );
    let f = BatchFile::new("pty.csv", &csv, 0o600);

    // stdout and stderr on the terminal: the bar is drawn, then cleared,
    // and the account lines and summary still arrive.
    let out = in_pty(slow_text_batch(&f).command());
    assert!(out.contains(BAR), "no progress bar on a terminal: {out:?}");
    assert!(
        out.contains("4/4 accounts ("),
        "the bar reaches the end: {out:?}"
    );
    assert!(out.contains("summary: 4 accounts in"), "{out:?}");
    assert!(!out.contains(WRONG), "the password leaked: {out:?}");

    // stdout on the terminal, stderr to a file: nothing of the bar anywhere.
    let err = tempfile::NamedTempFile::new_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let inner = slow_text_batch(&f).command();
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(r#"exec "$0" "$@" 2>"$BATCH_STDERR_FILE""#)
        .arg(inner.get_program())
        .args(inner.get_args())
        .env("BATCH_STDERR_FILE", err.path());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = in_pty(cmd);
    assert!(out.contains("summary: 4 accounts in"), "{out:?}");
    assert!(
        !out.contains(BAR),
        "bar drawn with stderr not a terminal: {out:?}"
    );
    let stderr = std::fs::read_to_string(err.path()).unwrap();
    assert!(stderr.is_empty(), "stderr is not a terminal: {stderr:?}");
    assert_eq!(server.connections(), 8);
}

#[test]
fn one_account_is_one_account_not_1_accounts() {
    let ok = ok_server();
    let csv = format!(
        "address,host,port,password_env\n{ALICE},127.0.0.1,{},BATCH_PW\n",
        ok.port()
    );
    let f = BatchFile::new("one.csv", &csv, 0o600);
    let text = batch(&f, &["--format", "text"]);
    assert!(
        text.stdout.contains("summary: 1 account in"),
        "{}",
        text.context()
    );
    let nagios = batch(&f, &["--format", "nagios"]);
    assert!(
        nagios.stdout.starts_with("SMTP OK - 1 account: 1 OK"),
        "{}",
        nagios.context()
    );
    assert!(!format!("{}{}", text.stdout, nagios.stdout).contains("1 accounts"));
}
