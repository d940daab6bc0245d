//! Interop: the device-code and the authorization code + PKCE flows of
//! `check --oauth` (identity endpoint mocked on loopback; the test plays the
//! browser) feeding the harness's real XOAUTH2 listener
//! (127.0.0.1:11006, user alice@example.test, token ya29.harness-token-alice).
//!
//! Needs the harness running (`.ci/run` starts it). Run with
//! `SMTP_DOCTOR_HARNESS=/path/to/harness cargo test --test interop_oauth -- --ignored`.

// Each of these binaries uses only part of the shared support code.
#[allow(dead_code)]
mod support;

use serde_json::Value;
use support::identity_mock::{
    pending, run_with_browser, success, IdentityMock, DEVICE_CODE, REFRESH_TOKEN,
};
use support::run::Doctor;

const USER: &str = "alice@example.test";
const GOOD_TOKEN: &str = "ya29.harness-token-alice";
const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";

/// Runs the check with a token from the mock; (exit code, JSON).
fn check_with_device_token(token: &str) -> (i32, Value) {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![pending(), success(token)])
        .spawn();
    let run = Doctor::new()
        .args(["check", USER, "--host", "127.0.0.1", "--port", "11006"])
        .args(["--tls", "starttls", "--cafile"])
        .arg(support::harness::ca())
        .args(["--format", "json", "--verbose", "--oauth", "microsoft"])
        .args(["--client-id", CLIENT_ID, "--authority", &idp.authority()])
        .args(["--oauth-flow", "device"])
        .secrets(USER, [token, DEVICE_CODE, REFRESH_TOKEN])
        .run();
    let (code, json, stderr) = (run.code, run.expect_json().clone(), &run.stderr);
    assert_eq!(idp.token_polls(), 2, "{stderr}");
    println!(
        "device flow + harness XOAUTH2: {} exit {code}",
        json["category"]
    );
    (code, json)
}

#[test]
#[ignore = "needs ../shared/harness running (up.sh); .ci/run runs it"]
fn device_flow_token_logs_in_to_the_harness() {
    let (code, json) = check_with_device_token(GOOD_TOKEN);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["category"], "ok");
    assert_eq!(json["endpoints"][0]["mechanism"], "XOAUTH2");
}

#[test]
#[ignore = "needs ../shared/harness running (up.sh); .ci/run runs it"]
fn refused_device_flow_token_is_diagnosed() {
    let (code, json) = check_with_device_token("ya29.expired-token");
    assert_eq!(code, 5, "{json:#}");
    let ids: Vec<&str> = json["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["id"].as_str())
        .collect();
    assert!(ids.contains(&"token-opaque"), "{ids:?}");
}

/// The authorization code + PKCE flow (the test plays the browser) feeding
/// the harness's XOAUTH2 listener; (exit code, JSON).
fn check_with_browser_token(google: bool) -> (i32, Value) {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![success(GOOD_TOKEN)])
        .spawn();
    let base = idp.authority();
    let provider: Vec<String> = if google {
        [
            "--oauth",
            "google",
            "--client-id",
            "1-x.apps.googleusercontent.com",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain(["--auth-url".into(), format!("{base}/o/oauth2/v2/auth")])
        .chain(["--token-url".into(), format!("{base}/token")])
        .collect()
    } else {
        [
            "--oauth",
            "microsoft",
            "--client-id",
            CLIENT_ID,
            "--authority",
            &base,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let cmd = Doctor::new()
        .args(["check", USER, "--host", "127.0.0.1", "--port", "11006"])
        .args(["--tls", "starttls", "--cafile"])
        .arg(support::harness::ca())
        .args(["--format", "json", "--verbose", "--no-browser"])
        .args(["--sign-in-timeout", "30"])
        .args(provider)
        .command();
    let (code, stdout, stderr) = run_with_browser(cmd, &idp, USER, &[GOOD_TOKEN]);
    let json: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stdout}\n{stderr}"));
    println!(
        "auth code + PKCE ({}) + harness XOAUTH2: {} exit {code}",
        if google { "google" } else { "microsoft" },
        json["category"]
    );
    (code, json)
}

#[test]
#[ignore = "needs ../shared/harness running (up.sh); .ci/run runs it"]
fn browser_flow_token_logs_in_to_the_harness_microsoft() {
    let (code, json) = check_with_browser_token(false);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["endpoints"][0]["mechanism"], "XOAUTH2");
}

#[test]
#[ignore = "needs ../shared/harness running (up.sh); .ci/run runs it"]
fn browser_flow_token_logs_in_to_the_harness_google() {
    let (code, json) = check_with_browser_token(true);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["endpoints"][0]["mechanism"], "XOAUTH2");
}
