//! Smoke tests against the real providers' submission servers. They reach the
//! internet, so they are `#[ignore]`d and run by hand only:
//!
//! ```sh
//! cargo test --test integration smoke_real -- --ignored --nocapture
//! ```
//!
//! No secret is sent: without a password the check stops after EHLO (AUTH is
//! not attempted), which is enough to see the real greeting, STARTTLS, the
//! certificate chain under webpki-roots and the AUTH mechanisms offered. With
//! `SMOKE_GMAIL_USER` and `SMOKE_GMAIL_APP_PASSWORD` set, the Gmail test also
//! logs in (one AUTH attempt).

use crate::support;

use support::run::Doctor;

#[track_caller]
fn reaches_auth(host: &str, port: &str, tls: &str, mechanism: &str) {
    let out = Doctor::new()
        .args([
            "check", "--host", host, "--port", port, "--tls", tls, "--format", "json",
        ])
        .hang_guard(60)
        .run();
    let json = out.expect_json();
    assert_eq!(json["category"], "ok", "{}", out.context());
    let caps: Vec<&str> = json["endpoints"][0]["capabilities"]
        .as_array()
        .expect("capabilities")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(
        caps.iter()
            .any(|c| c.starts_with("AUTH") && c.contains(mechanism)),
        "{host} should offer {mechanism}: {caps:?}"
    );
    assert!(
        json["endpoints"][0]["certificate"]["days_left"]
            .as_i64()
            .unwrap_or(0)
            > 0
    );
}

#[test]
#[ignore = "contacts smtp.gmail.com"]
fn gmail_587_starttls_offers_xoauth2() {
    reaches_auth("smtp.gmail.com", "587", "starttls", "XOAUTH2");
}

#[test]
#[ignore = "contacts smtp.gmail.com"]
fn gmail_465_implicit_tls_offers_plain() {
    reaches_auth("smtp.gmail.com", "465", "implicit", "PLAIN");
}

#[test]
#[ignore = "contacts smtp.office365.com"]
fn office365_587_offers_login_and_xoauth2() {
    reaches_auth("smtp.office365.com", "587", "starttls", "XOAUTH2");
}

#[test]
#[ignore = "contacts smtp.mail.yahoo.com"]
fn yahoo_465_offers_plain() {
    reaches_auth("smtp.mail.yahoo.com", "465", "implicit", "PLAIN");
}

#[test]
#[ignore = "contacts smtp.gmail.com with a real app password"]
fn gmail_app_password_logs_in() {
    let (Ok(user), Ok(pass)) = (
        std::env::var("SMOKE_GMAIL_USER"),
        std::env::var("SMOKE_GMAIL_APP_PASSWORD"),
    ) else {
        panic!("set SMOKE_GMAIL_USER and SMOKE_GMAIL_APP_PASSWORD to run this test");
    };
    let out = Doctor::new()
        .args(["check", &user, "--format", "json", "--verbose"])
        .env("SMTP_DOCTOR_PASSWORD", &pass)
        .secret(user.as_str(), pass.as_str())
        .hang_guard(60)
        .run();
    assert_eq!(out.expect_json()["category"], "ok", "{}", out.context());
}
