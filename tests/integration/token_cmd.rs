//! End-to-end tests of `smtp-doctor token`: the real binary on hand-made
//! tokens (no network). Each run checks the exit code against the JSON
//! document and that no form of the token appears in stdout or stderr.

use crate::support;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};
use support::run::Doctor;

const USER: &str = "alice@example.test";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn jwt(claims: Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"RS256"}"#);
    format!(
        "{header}.{}.U2lnbmF0dXJlLU1hcmtlcg",
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

fn claims(exp_in: i64) -> Value {
    json!({"aud": "https://outlook.office.com", "scp": "SMTP.Send", "upn": USER,
           "exp": now() + exp_in, "nbf": now() - 300, "tid": "11111111-2222-3333-4444-555555555555"})
}

enum Source {
    Env,
    Stdin,
    File,
}

/// Runs `token` with `secret` and returns (exit code, JSON, stdout, stderr).
#[track_caller]
fn run(secret: &str, source: Source, extra: &[&str]) -> (i32, Value, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut doctor = Doctor::new()
        .args(["token", "--format", "json"])
        .args(extra)
        .secret(USER, secret);
    // `--user` may name someone else: no form of the secret as theirs either.
    if let Some(user) = extra.windows(2).find(|w| w[0] == "--user").map(|w| w[1]) {
        doctor = doctor.secret(user, secret);
    }
    // Nor the JWT payload alone (a token's middle part is base64 of its claims).
    if let Some(payload) = secret.split('.').nth(1) {
        doctor = doctor.forbid("the JWT payload", payload);
    }
    doctor = match source {
        Source::Env => doctor.env("SMTP_DOCTOR_TOKEN", secret),
        Source::Stdin => doctor.arg("--token-stdin").stdin_bytes(secret),
        Source::File => {
            let path = dir.path().join("token.txt");
            std::fs::write(&path, format!("{secret}\n")).unwrap();
            doctor.arg("--token-file").arg(path)
        }
    };
    let run = doctor.run();
    let json = run.expect_json().clone();
    assert_eq!(json["version"], 1);
    (run.code, json, run.stdout, run.stderr)
}

fn ids(json: &Value) -> Vec<String> {
    json["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn valid_token_is_ok_from_every_source() {
    let t = jwt(claims(3600));
    for source in [Source::Env, Source::Stdin, Source::File] {
        let (code, json, _, _) = run(&t, source, &["--user", USER]);
        assert_eq!(code, 0, "{json}");
        assert_eq!(json["category"], "ok");
        assert_eq!(ids(&json), ["token-claims"]);
        assert_eq!(json["target"]["user"], USER);
        let d = &json["diagnoses"][0];
        for field in ["category", "severity", "summary", "remediation"] {
            assert!(d[field].is_string(), "{field} missing: {d}");
        }
    }
}

#[test]
fn problems_exit_5_with_their_ids() {
    let mut wrong_aud = claims(3600);
    wrong_aud["aud"] = json!("https://graph.microsoft.com");
    let mut no_scope = claims(3600);
    no_scope["scp"] = json!("Mail.Read");
    let cases = [
        (jwt(claims(-60)), "token-expired"),
        (jwt(claims(120)), "token-expires-soon"),
        (jwt(wrong_aud), "token-wrong-audience"),
        (jwt(no_scope), "token-missing-smtp-scope"),
        (
            "eyJhbGciOiJSUzI1NiJ9.truncat".to_string(),
            "token-malformed",
        ),
    ];
    for (token, id) in cases {
        let (code, json, _, _) = run(&token, Source::Env, &["--user", USER]);
        assert_eq!(code, 5, "{id}: {json}");
        assert_eq!(json["category"], "oauth-token-invalid", "{id}");
        assert_eq!(json["diagnoses"][0]["id"], id);
        assert_eq!(json["diagnoses"][0]["category"], "oauth-token-invalid");
    }
    let (code, json, _, _) = run(
        &jwt(claims(3600)),
        Source::Env,
        &["--user", "bob@example.test"],
    );
    assert_eq!(
        (code, json["diagnoses"][0]["id"].as_str()),
        (5, Some("token-user-mismatch"))
    );
}

#[test]
fn xoauth2_blobs_are_checked_then_their_token() {
    let good = STANDARD.encode(format!(
        "user={USER}\x01auth=Bearer {}\x01\x01",
        jwt(claims(3600))
    ));
    let (code, json, _, _) = run(&good, Source::Stdin, &[]);
    assert_eq!((code, ids(&json)), (0, vec!["token-claims".to_string()]));

    let inner = jwt(claims(-60));
    let bad = STANDARD.encode(format!("user={USER}^Aauth=Bearer {inner}^A^A"));
    let (code, json, stdout, _) = run(&bad, Source::Stdin, &[]);
    assert_eq!(code, 5);
    assert_eq!(ids(&json)[..2], ["xoauth2-blob-malformed", "token-expired"]);
    assert!(!stdout.contains(&inner));
}

#[test]
fn opaque_google_token_is_a_note() {
    let (code, json, _, _) = run("ya29.Opaque-Tok3n-Marker", Source::Env, &[]);
    assert_eq!(code, 0);
    assert_eq!(json["category"], "ok");
    assert_eq!(json["diagnoses"][0]["id"], "token-opaque");
    assert_eq!(json["diagnoses"][0]["severity"], "info");
}

#[test]
fn no_token_is_a_usage_error() {
    let out = Doctor::new()
        .arg("token")
        .env("SMTP_DOCTOR_PASSWORD", "not-a-token")
        .secret(USER, "not-a-token")
        .run();
    assert_eq!(out.code, 2);
    assert!(!out.stderr.contains("not-a-token"));
}
