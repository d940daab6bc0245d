//! The rules tests/explain_fixtures.rs exempts as "live-only" (no pasted text
//! can trigger them) are asserted by id here or elsewhere in this binary, so
//! an exemption never hides a rule nothing tests.

use crate::support;
use std::path::Path;
use support::certs::{self, Cert};
use support::dns::TestDns;
use support::fake_smtp::{FakeSmtp, Hostile};
use support::run::{Doctor, Outcome};

const USER: &str = "alice@example.test";
const PASSWORD: &str = "L1ve-Only-Marker-7q!";

/// Live-only rules no test here can provoke yet, and why.
const NOT_PROVOKED: &[(&str, &str)] = &[(
    "network-error",
    "a socket error other than reset/EOF, which loopback does not produce on demand",
)];

/// `check` in JSON against 127.0.0.1 (or `host` via `dns`), password in the
/// environment, no form of it in any output.
fn check_at(host: &str, port: u16, tls: &str, extra: &[&str]) -> Outcome {
    Doctor::new()
        .args(["check", USER, "--host", host, "--port", &port.to_string()])
        .args(["--tls", tls, "--timeout", "2", "--format", "json"])
        .arg("--cafile")
        .arg(certs::ca_file())
        .args(extra)
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        .secret(USER, PASSWORD)
        .hang_guard(40)
        .run()
}

fn check(port: u16, tls: &str) -> Outcome {
    check_at("127.0.0.1", port, tls, &[])
}

#[track_caller]
fn assert_id(run: &Outcome, id: &str) {
    assert!(
        run.ids().contains(&id),
        "expected diagnosis {id}\n{}",
        run.context()
    );
}

#[test]
fn cleartext_auth_is_warned_about() {
    let server = FakeSmtp::plain().accept(USER, PASSWORD).spawn();
    let run = check(server.port(), "none");
    assert_eq!(run.code, 0, "{}", run.context());
    assert_id(&run, "cleartext-auth");
}

#[test]
fn a_certificate_close_to_expiry_is_warned_about() {
    let server = FakeSmtp::starttls()
        .cert(Cert::ExpiresSoon)
        .accept(USER, PASSWORD)
        .spawn();
    let run = check(server.port(), "starttls");
    assert_eq!(run.code, 0, "{}", run.context());
    assert_id(&run, "certificate-expires-soon");
}

#[test]
fn a_reply_that_drips_is_a_slow_server() {
    let server = FakeSmtp::starttls().hostile(Hostile::DripEhlo).spawn();
    assert_id(&check(server.port(), "starttls"), "slow-server");
}

#[test]
fn a_greeting_that_is_not_smtp_is_a_malformed_reply() {
    let server = FakeSmtp::starttls()
        .hostile(Hostile::GarbageGreeting)
        .spawn();
    assert_id(&check(server.port(), "starttls"), "malformed-reply");
}

#[test]
fn auth_offered_only_inside_tls_is_named_under_tls_none() {
    let server = FakeSmtp::starttls()
        .ehlo_before_tls(&["PIPELINING", "STARTTLS"])
        .ehlo_after_tls(&["PIPELINING", "AUTH PLAIN"])
        .spawn();
    assert_id(&check(server.port(), "none"), "auth-only-after-starttls");
}

#[test]
fn a_server_with_only_oauth_mechanisms_refuses_every_password() {
    let server = FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH XOAUTH2 OAUTHBEARER"])
        .spawn();
    let run = check(server.port(), "starttls");
    assert_id(&run, "oauth-only-server");
    assert_eq!(run.ids()[0], "oauth-only-server", "{}", run.context());
}

#[test]
fn a_provider_host_on_an_undocumented_port_is_warned_about() {
    let server = FakeSmtp::plain().accept(USER, PASSWORD).spawn();
    let dns = TestDns::new()
        .zone("gmail.com")
        .a("smtp.gmail.com", "127.0.0.1")
        .spawn();
    let dns_server = dns.addr().to_string();
    let run = check_at(
        "smtp.gmail.com",
        server.port(),
        "none",
        &["--dns-server", &dns_server],
    );
    assert_id(&run, "host-differs-from-provider-table");
}

/// The ids in tests/explain_fixtures.rs's `LIVE_ONLY` list.
fn live_only_ids() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let text = std::fs::read_to_string(dir.join("explain_fixtures.rs")).unwrap();
    let list = text
        .split("const LIVE_ONLY")
        .nth(1)
        .and_then(|rest| rest.split("\n];").next())
        .expect("tests/explain_fixtures.rs has a LIVE_ONLY list");
    let first_string = regex::Regex::new(r#"\(\s*"([a-z0-9-]+)""#).unwrap();
    first_string
        .captures_iter(list)
        .map(|c| c[1].to_string())
        .collect()
}

#[test]
fn every_live_only_rule_is_asserted_by_id_in_a_live_test() {
    let ids = live_only_ids();
    assert!(ids.len() >= 10, "LIVE_ONLY parsed as {ids:?}");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration");
    let mut sources = String::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            sources.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    // This file's NOT_PROVOKED list names ids too; leave it out of the search.
    let this = std::fs::read_to_string(dir.join("live_only.rs")).unwrap();
    let table_end = this.find("/// `check` in JSON").unwrap();
    let sources = sources.replace(&this[..table_end], "");
    let mut missing = Vec::new();
    for id in &ids {
        let asserted = sources.contains(&format!("\"{id}\""));
        let excused = NOT_PROVOKED.iter().any(|(i, _)| i == id);
        match (asserted, excused) {
            (false, false) => missing.push(id.clone()),
            (true, true) => panic!("{id} is tested now: take it off NOT_PROVOKED"),
            _ => {}
        }
    }
    assert!(
        missing.is_empty(),
        "live-only rules that no test in tests/integration/ asserts by id: {missing:?}"
    );
    for (id, _) in NOT_PROVOKED {
        assert!(ids.contains(&id.to_string()), "{id} is not live-only");
    }
}

/// Live context the catalogue decides (docs/exit-codes.md): the same
/// Microsoft reply means "OAuth only" for a personal account.
#[test]
fn basic_auth_disabled_for_a_personal_outlook_account_is_oauth_required() {
    let server = FakeSmtp::starttls()
        .auth_reply("535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [BN9PR03CA0123.namprd03.prod.outlook.com]")
        .spawn();
    let run = Doctor::new()
        .args(["check", "alice@outlook.com", "--host", "127.0.0.1"])
        .args(["--port", &server.port().to_string(), "--tls", "starttls"])
        .args(["--timeout", "2", "--format", "json", "--no-suggest"])
        .arg("--cafile")
        .arg(certs::ca_file())
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        .secret("alice@outlook.com", PASSWORD)
        .hang_guard(40)
        .run();
    assert_eq!(run.code, 6, "{}", run.context());
    assert_eq!(
        run.ids()[0],
        "microsoft-personal-account-oauth-only",
        "{}",
        run.context()
    );
    // A tenant address gets the administrator's reading.
    let tenant = check(server.port(), "starttls");
    assert_eq!(
        tenant.ids()[0],
        "microsoft-basic-auth-disabled",
        "{}",
        tenant.context()
    );
}

/// SendGrid's user name is the literal `apikey`: a refused login with
/// another user name is `username-format`, known from the banner.
#[test]
fn sendgrid_login_with_another_user_name_is_username_format() {
    let server = FakeSmtp::starttls()
        .greeting("220 SG ESMTP service ready at geopod-ismtpd-3 (SendGrid)")
        .auth_reply("535 Authentication failed: Bad username / password")
        .spawn();
    let run = check(server.port(), "starttls");
    assert_eq!(run.code, 5, "{}", run.context());
    assert_eq!(
        run.ids()[0],
        "sendgrid-user-not-apikey",
        "{}",
        run.context()
    );
}

/// Yahoo's `#AUTH005` live is the harness's `rate-limited`; pasted, the
/// contract reads it as `wrong-credentials` (tests/fixtures, round6).
#[test]
fn yahoo_auth005_live_is_rate_limited() {
    let server = FakeSmtp::starttls()
        .auth_reply("535 5.7.0 (#AUTH005) Too many bad auth attempts.")
        .spawn();
    let run = check(server.port(), "starttls");
    assert_eq!(run.code, 7, "{}", run.context());
    assert_eq!(run.ids()[0], "yahoo-too-many-bad-auth", "{}", run.context());
}
