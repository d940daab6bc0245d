//! The RFC 8628 device-code flow of `check --oauth microsoft`, against a
//! scripted identity endpoint on loopback (tests/support/identity_mock.rs).
//!
//! Library-level tests drive `oauth::device::sign_in` with a virtual clock,
//! so the polling schedule (interval, `slow_down` +5 s, `expires_in`) is
//! checked without waiting. Binary tests run the real `smtp-doctor check`
//! with `--authority http://127.0.0.1:…`: the token obtained logs in with
//! XOAUTH2 to the in-process fake SMTP server, and no token, device code or
//! refresh token appears in any output.

use crate::support;

use smtp_doctor::oauth::device::{self, FlowConfig, Pacer, Prompt};
use std::time::{Duration, Instant};
use support::certs;
use support::fake_smtp::FakeSmtp;
use support::identity_mock::{
    error, pending, slow_down, success, IdentityMock, DEVICE_CODE, REFRESH_TOKEN, USER_CODE,
    VERIFICATION_URI,
};
use support::run::{Doctor, Outcome};

const USER: &str = "alice@example.test";
const TOKEN: &str = "ya29.Device-Tok3n-Marker-b8Kq";
const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";

/// Virtual time: `sleep` advances the clock and records the interval.
struct FakePacer {
    start: Instant,
    elapsed: Duration,
    sleeps: Vec<u64>,
}

impl FakePacer {
    fn new() -> Self {
        FakePacer {
            start: Instant::now(),
            elapsed: Duration::ZERO,
            sleeps: Vec::new(),
        }
    }
}

impl Pacer for FakePacer {
    fn now(&self) -> Instant {
        self.start + self.elapsed
    }
    fn sleep(&mut self, d: Duration) {
        self.elapsed += d;
        self.sleeps.push(d.as_secs());
    }
}

fn flow(authority: &str) -> FlowConfig {
    FlowConfig::new(Some(authority), Some("contoso.onmicrosoft.com"), CLIENT_ID).unwrap()
}

// ---------------------------------------------------------------------------
// Library level: the polling schedule
// ---------------------------------------------------------------------------

#[test]
fn pending_slow_down_then_success() {
    let idp = IdentityMock::new(1, 900)
        .token_responses(vec![pending(), slow_down(), pending(), success(TOKEN)])
        .spawn();
    let mut pacer = FakePacer::new();
    let mut prompts = Vec::new();
    let token = device::sign_in(&flow(&idp.authority()), &mut pacer, &mut |p: &Prompt| {
        prompts.push(p.clone())
    })
    .expect("token");
    assert_eq!(token.expose(), TOKEN);
    // RFC 8628 §3.5: interval 1 s; slow_down adds 5 s for this and later polls.
    assert_eq!(pacer.sleeps, [1, 1, 6, 6]);
    assert_eq!(prompts.len(), 1);
    assert_eq!(prompts[0].user_code, USER_CODE);
    assert_eq!(prompts[0].verification_uri, VERIFICATION_URI);

    let reqs = idp.requests();
    assert_eq!(reqs.len(), 5);
    assert_eq!(
        reqs[0].path,
        "/contoso.onmicrosoft.com/oauth2/v2.0/devicecode"
    );
    assert_eq!(reqs[0].form["client_id"], CLIENT_ID);
    assert_eq!(
        reqs[0].form["scope"],
        "https://outlook.office.com/SMTP.Send offline_access"
    );
    for r in &reqs[1..] {
        assert_eq!(r.path, "/contoso.onmicrosoft.com/oauth2/v2.0/token");
        assert_eq!(
            r.form["grant_type"],
            "urn:ietf:params:oauth:grant-type:device_code"
        );
        assert_eq!(r.form["device_code"], DEVICE_CODE);
        assert_eq!(r.form["client_id"], CLIENT_ID);
    }
}

#[test]
fn stops_polling_when_the_code_expires() {
    let idp = IdentityMock::new(5, 12).spawn(); // pending forever
    let mut pacer = FakePacer::new();
    let d = device::sign_in(&flow(&idp.authority()), &mut pacer, &mut |_: &Prompt| {})
        .expect_err("must give up");
    assert_eq!(d.id, "device-code-expired");
    assert_eq!(d.category.as_str(), "oauth-token-invalid");
    // Polls at 5 s and 10 s; a third at 15 s would be past expires_in (12 s).
    assert_eq!(pacer.sleeps, [5, 5]);
    assert_eq!(idp.token_polls(), 2);
}

#[test]
fn identity_platform_errors_become_diagnoses() {
    let cases = [
        (
            error(
                "expired_token",
                "AADSTS70019: Verification code expired.",
                &[70019],
            ),
            "device-code-expired",
            "oauth-token-invalid",
        ),
        (
            error("access_denied", "The user denied the request.", &[]),
            "device-sign-in-declined",
            "oauth-token-invalid",
        ),
        (
            error(
                "authorization_declined",
                "AADSTS70000: The user declined.",
                &[70000],
            ),
            "device-sign-in-declined",
            "oauth-token-invalid",
        ),
        (
            error(
                "invalid_grant",
                "AADSTS65001: The user or administrator has not consented to use the application.",
                &[65001],
            ),
            "oauth-consent-required",
            "oauth-required",
        ),
        (
            error(
                "invalid_grant",
                "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
                &[53003],
            ),
            "oauth-conditional-access-blocked",
            "account-action-required",
        ),
        (
            error(
                "interaction_required",
                "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000002-0000-0ff1-ce00-000000000000'.",
                &[50076],
            ),
            "oauth-mfa-required",
            "account-action-required",
        ),
        (
            error(
                "interaction_required",
                "AADSTS50079: The user is required to use multi-factor authentication.",
                &[50079],
            ),
            "oauth-mfa-required",
            "account-action-required",
        ),
        (
            error(
                "invalid_client",
                "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                &[7000218],
            ),
            "oauth-public-client-disabled",
            "oauth-required",
        ),
        (
            error("invalid_grant", "The refresh token has expired.", &[]),
            "oauth-invalid-grant",
            "oauth-token-invalid",
        ),
    ];
    for (response, id, category) in cases {
        let idp = IdentityMock::new(0, 900)
            .token_responses(vec![pending(), response])
            .spawn();
        let d = device::sign_in(
            &flow(&idp.authority()),
            &mut FakePacer::new(),
            &mut |_: &Prompt| {},
        )
        .expect_err(id);
        assert_eq!((d.id, d.category.as_str()), (id, category));
        assert_eq!(d.stage.map(|s| s.as_str()), Some("oauth"), "{id}");
        let evidence = d.evidence.clone().unwrap_or_default();
        assert!(!evidence.contains(DEVICE_CODE), "{evidence}");
    }
}

#[test]
fn unknown_client_is_refused_at_the_device_authorization_request() {
    let (status, body) = error(
        "unauthorized_client",
        "AADSTS700016: Application with identifier '11111111-2222-3333-4444-555555555555' was not found in the directory 'Contoso'.",
        &[700016],
    );
    let idp = IdentityMock::new(0, 900).device(status, body).spawn();
    let d = device::sign_in(
        &flow(&idp.authority()),
        &mut FakePacer::new(),
        &mut |_: &Prompt| {},
    )
    .expect_err("refused");
    assert_eq!(d.id, "oauth-client-not-found");
    assert!(d.evidence.as_deref().unwrap().contains("AADSTS700016"));
    assert_eq!(idp.token_polls(), 0);
}

#[test]
fn unreachable_identity_endpoint() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let d = device::sign_in(
        &flow(&format!("http://127.0.0.1:{port}")),
        &mut FakePacer::new(),
        &mut |_: &Prompt| {},
    )
    .expect_err("unreachable");
    assert_eq!(d.id, "identity-endpoint-unreachable");
    assert_eq!(d.category.as_str(), "connection-refused");
}

// ---------------------------------------------------------------------------
// The binary: check --oauth microsoft
// ---------------------------------------------------------------------------

/// `check --oauth microsoft` against the fake SMTP server on `smtp_port`
/// and the identity mock at `authority`: nothing the identity platform hands
/// out leaks, and stdout is one JSON document.
#[track_caller]
fn run_check(smtp_port: u16, authority: &str) -> Outcome {
    let run = Doctor::new()
        .args(["check", USER, "--host", "127.0.0.1", "--port"])
        .arg(smtp_port.to_string())
        .args(["--tls", "starttls", "--cafile"])
        .arg(certs::ca_file())
        .args(["--timeout", "5", "--format", "json", "--verbose"])
        .args([
            "--oauth",
            "microsoft",
            "--client-id",
            CLIENT_ID,
            "--authority",
            authority,
            "--oauth-flow",
            "device",
        ])
        .hang_guard(40)
        .secrets(USER, [TOKEN, DEVICE_CODE, REFRESH_TOKEN])
        .run();
    run.expect_json();
    run
}

#[test]
fn device_flow_token_logs_in_with_xoauth2() {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![pending(), pending(), success(TOKEN)])
        .spawn();
    let smtp = FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH LOGIN XOAUTH2"])
        .accept_token(USER, TOKEN)
        .spawn();
    let run = run_check(smtp.port(), &idp.authority());
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.expect_json()["category"], "ok");
    assert_eq!(run.expect_json()["endpoints"][0]["mechanism"], "XOAUTH2");
    // The user is told where to go and what to type, on stderr.
    assert!(run.stderr.contains(VERIFICATION_URI), "{}", run.stderr);
    assert!(run.stderr.contains(USER_CODE), "{}", run.stderr);
    assert!(!run.stdout.contains(USER_CODE));
    let auths = smtp.auth_commands();
    assert_eq!(auths.len(), 1, "{}", smtp.dump());
    assert!(auths[0].tls);
    assert_eq!(idp.token_polls(), 3);
}

#[test]
fn refused_token_is_linted_after_the_server_verdict() {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![success(TOKEN)])
        .spawn();
    let smtp = FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH XOAUTH2"])
        .accept_token(USER, "ya29.some-other-token")
        .spawn();
    let run = run_check(smtp.port(), &idp.authority());
    assert_ne!(run.code, 0, "{}", run.stdout);
    let ids = run.ids();
    assert!(ids.contains(&"token-opaque"), "{ids:?}");
    assert_ne!(ids[0], "token-opaque");
}

#[test]
fn declined_sign_in_exits_5_without_connecting() {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![pending(), error("access_denied", "denied", &[])])
        .spawn();
    let smtp = FakeSmtp::starttls().accept_token(USER, TOKEN).spawn();
    let run = run_check(smtp.port(), &idp.authority());
    assert_eq!(run.code, 5, "{}", run.stdout);
    assert_eq!(run.expect_json()["category"], "oauth-token-invalid");
    assert_eq!(
        run.expect_json()["diagnoses"][0]["id"],
        "device-sign-in-declined"
    );
    assert_eq!(smtp.connections(), 0);
}

#[test]
fn expired_code_exits_5() {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![
            pending(),
            error("expired_token", "AADSTS70019: expired", &[70019]),
        ])
        .spawn();
    let run = run_check(1, &idp.authority());
    assert_eq!(run.code, 5, "{}", run.stdout);
    assert_eq!(
        run.expect_json()["diagnoses"][0]["id"],
        "device-code-expired"
    );
}

#[test]
fn consent_required_exits_6() {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![error(
            "invalid_grant",
            "AADSTS65001: consent",
            &[65001],
        )])
        .spawn();
    let run = run_check(1, &idp.authority());
    assert_eq!(run.code, 6, "{}", run.stdout);
    assert_eq!(run.expect_json()["category"], "oauth-required");
}

#[test]
fn plain_http_authority_must_be_loopback() {
    let out = Doctor::new()
        .args(["check", USER, "--host", "127.0.0.1", "--oauth", "microsoft"])
        .args([
            "--client-id",
            CLIENT_ID,
            "--authority",
            "http://login.example.test",
        ])
        .run();
    assert_eq!(out.code, 2);
    let stderr = &out.stderr;
    assert!(stderr.contains("loopback"), "{stderr}");
}
