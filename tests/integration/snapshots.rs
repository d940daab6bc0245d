//! Snapshots of the text a person reads: `explain` on one real paste per
//! category, and `check` against the scripted server for the live families.
//! A change to wording, order or layout shows up as a diff of a `.snap` file
//! in tests/integration/snapshots/, to be reviewed like code.
//!
//! To accept a change: `cargo insta review`, or
//! `INSTA_UPDATE=always cargo test --test integration snapshots` and read the
//! `git diff`. (Under CI=true insta writes nothing and fails on a difference.)
//!
//! Only what varies from run to run is masked: milliseconds (keeping the
//! column width), fractions of seconds, the port of the scripted server, and
//! days left on (or since) the test certificates.

use crate::support;
use regex::Regex;
use support::certs::{self, Cert};
use support::fake_smtp::FakeSmtp;
use support::run::Doctor;

const USER: &str = "alice@example.test";
const PASSWORD: &str = "S3cret-Marker-9x!";

/// One real paste per category (the shortest of its folder's MANIFEST.tsv
/// rows when this list was made); `oauth-required` is covered live below.
const EXPLAIN: &[(&str, &str)] = &[
    ("ok", "generic/ok-sendgrid-telnet-250-ok-queued.txt"),
    (
        "wrong-credentials",
        "more/webmail-lite-535-incorrect-authentication-data-parenthesised.txt",
    ),
    (
        "app-password-required",
        "generic/app-password-purelymail-login-failed-create-app-password.txt",
    ),
    (
        "account-action-required",
        "providers/gmail-534-579-web-browser-nodemailer.txt",
    ),
    (
        "username-format",
        "more/gitlab-ruby-smtp-auth-requested-missing-secret-phrase.txt",
    ),
    (
        "oauth-token-invalid",
        "providers/gmail-xoauth2-wrong-scope-postfix-bad-protocol.txt",
    ),
    (
        "auth-disabled-by-policy",
        "more/163-550-user-has-no-permission-smtplib-12306.txt",
    ),
    (
        "no-common-auth-mechanism",
        "generic/auth-mech-msmtp-server-does-not-support-login.txt",
    ),
    (
        "auth-not-offered",
        "generic/auth-not-offered-mx-port-25-stalwart.txt",
    ),
    (
        "auth-required",
        "generic/auth-required-mailkit-5-7-1-client-not-authenticated.txt",
    ),
    (
        "sender-not-permitted",
        "generic/sender-postal-530-smtplib-smtpdataerror.txt",
    ),
    (
        "relay-denied",
        "generic/relay-454-4-7-1-relay-access-denied-bare.txt",
    ),
    (
        "client-blocked",
        "generic/client-blocked-cpanel-550-invalid-helo-name.txt",
    ),
    (
        "quota-exceeded",
        "providers/gmail-550-545-daily-quota-bare.txt",
    ),
    (
        "starttls-required",
        "providers/gmail-530-starttls-first-passbolt.txt",
    ),
    (
        "starttls-unavailable",
        "more/gomail-panic-454-470-tls-not-available.txt",
    ),
    (
        "tls-mode-mismatch",
        "providers/outlook-wrong-version-number-smtp-ssl-bare.txt",
    ),
    (
        "tls-certificate-invalid",
        "providers/gmail-self-signed-cert-in-chain-avast-old-nodemailer.txt",
    ),
    (
        "tls-handshake-failed",
        "more/bounce-403-470-tls-handshake-failed.txt",
    ),
    (
        "dns-failure",
        "generic/dns-go-lookup-no-such-host-resolver.txt",
    ),
    (
        "connection-refused",
        "generic/refused-go-dial-tcp-loopback-25-postal.txt",
    ),
    (
        "connection-timeout",
        "generic/timeout-go-dial-tcp-io-timeout-bare.txt",
    ),
    (
        "rate-limited",
        "generic/rate-421-too-many-concurrent-connections-bare.txt",
    ),
    (
        "server-temporary-failure",
        "generic/temp-450-greylisted.txt",
    ),
    (
        "protocol-error",
        "more/forkcms-503-bad-sequence-of-commands.txt",
    ),
    ("other", "providers/yahoo-554-message-not-allowed-299.txt"),
];

/// Snapshots named `<name>.snap` next to this file, with `info` saying what
/// produced them.
fn settings(info: &str) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_snapshot_path("snapshots");
    s.set_description(info);
    s
}

#[test]
fn explain_text_for_one_paste_of_each_category() {
    for (category, file) in EXPLAIN {
        let path = format!(
            "{}/tests/fixtures/explain/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let run = Doctor::new()
            .args(["--color", "never", "explain"])
            .arg(&path)
            .run();
        assert_eq!(run.stderr, "", "{}", run.context());
        settings(&format!(
            "smtp-doctor explain tests/fixtures/explain/{file}"
        ))
        .bind(|| {
            insta::assert_snapshot!(format!("explain-{category}"), run.stdout);
        });
    }
}

/// The text of `check` with what changes between runs masked.
fn masked(text: &str, port: u16) -> String {
    let port = Regex::new(&format!(r"\b{port}\b")).unwrap();
    let text = port.replace_all(text, "PORT");
    let ms = Regex::new(r"( *)(\d+) ms").unwrap();
    let text = ms.replace_all(&text, |c: &regex::Captures| {
        let width = c[1].len() + c[2].len();
        format!("{:>width$} ms", "N")
    });
    let secs = Regex::new(r"\d+\.\d+s\b").unwrap();
    let text = secs.replace_all(&text, "N.Ns");
    let days = Regex::new(r"-?\d+ days").unwrap();
    days.replace_all(&text, "N days").into_owned()
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `check` in text form against `server`, with the password in the environment.
fn check_text(port: u16, tls: &str, name: &str, what: &str) {
    let run = Doctor::new()
        .args(["--color", "never", "check", USER, "--host", "127.0.0.1"])
        .args(["--port", &port.to_string(), "--tls", tls, "--timeout", "3"])
        .arg("--cafile")
        .arg(certs::ca_file())
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        // The alternatives a failure makes it probe: only a closed port here
        // (not whatever listens on this machine's 465/587/25).
        .env(
            "SMTP_DOCTOR_SUGGEST_PORTS",
            format!("{}/starttls", closed_port()),
        )
        .secret(USER, PASSWORD)
        .hang_guard(40)
        .run();
    // The suggested command lines name the CA file, whose path changes.
    let stdout = run
        .stdout
        .replace(&certs::ca_file().display().to_string(), "CA.pem");
    settings(what).bind(|| {
        insta::assert_snapshot!(format!("check-{name}"), masked(&stdout, port));
    });
}

#[test]
fn check_text_ok() {
    let server = FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH PLAIN LOGIN"])
        .accept(USER, PASSWORD)
        .spawn();
    check_text(
        server.port(),
        "starttls",
        "ok",
        "PLAIN over STARTTLS, accepted",
    );
}

#[test]
fn check_text_wrong_credentials() {
    let server = FakeSmtp::starttls()
        .auth_reply("535 5.7.8 Error: authentication failed: authentication failure")
        .spawn();
    check_text(
        server.port(),
        "starttls",
        "wrong-credentials",
        "535 5.7.8 to AUTH PLAIN",
    );
}

#[test]
fn check_text_app_password_required() {
    let server = FakeSmtp::starttls()
        .auth_reply("534-5.7.9 Application-specific password required. For more information, go to\r\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor")
        .spawn();
    check_text(
        server.port(),
        "starttls",
        "app-password-required",
        "Gmail's 534 5.7.9 to AUTH",
    );
}

#[test]
fn check_text_oauth_required() {
    let server = FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH XOAUTH2 OAUTHBEARER"])
        .spawn();
    check_text(
        server.port(),
        "starttls",
        "oauth-required",
        "only OAuth mechanisms offered, a password given",
    );
}

#[test]
fn check_text_starttls_unavailable() {
    let server = FakeSmtp::plain()
        .caps(&["PIPELINING", "AUTH PLAIN"])
        .spawn();
    check_text(
        server.port(),
        "starttls",
        "starttls-unavailable",
        "--tls starttls against a server without STARTTLS",
    );
}

#[test]
fn check_text_tls_certificate_expired() {
    let server = FakeSmtp::starttls().cert(Cert::Expired).spawn();
    check_text(
        server.port(),
        "starttls",
        "tls-certificate-expired",
        "an expired certificate after STARTTLS",
    );
}

#[test]
fn check_text_tls_mode_mismatch() {
    let server = FakeSmtp::implicit().spawn();
    check_text(
        server.port(),
        "starttls",
        "tls-mode-mismatch",
        "--tls starttls against an implicit-TLS port",
    );
}

#[test]
fn check_text_connection_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    check_text(
        port,
        "starttls",
        "connection-refused",
        "a port with nothing listening",
    );
}
