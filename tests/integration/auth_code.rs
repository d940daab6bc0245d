//! The authorization code + PKCE flow of `check --oauth` (RFC 6749 §4.1,
//! RFC 7636, RFC 8252 §7.3), against the scripted identity endpoint on
//! loopback (tests/support/identity_mock.rs) with the test as the browser.
//!
//! Library-level tests drive `oauth::authcode::sign_in`: the prompt callback
//! starts a thread that follows the authorization URL, accepts on the
//! consent page and is redirected to smtp-doctor's loopback listener.
//! Binary tests run `smtp-doctor check --oauth … --no-browser`, read the URL
//! from stderr, play the browser, and log in with XOAUTH2 to the in-process
//! fake SMTP server; no code, verifier, access or refresh token appears in
//! any output.

use crate::support;

use smtp_doctor::oauth::authcode::{self, AuthCodeConfig, Profile, Prompt};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::certs;
use support::fake_smtp::FakeSmtp;
use support::identity_mock::{
    browser, error, run_with_browser, success, Authorize, Identity, IdentityMock, AUTH_CODE,
    REFRESH_TOKEN,
};
use support::run::Doctor;

const USER: &str = "alice@example.test";
const TOKEN: &str = "ya29.AuthCode-Tok3n-Marker-p4Ls";
const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
const GOOGLE_CLIENT: &str = "123456-abc.apps.googleusercontent.com";
const GOOGLE_SECRET: &str = "GOCSPX-Secret-Marker-r7Yw";

fn microsoft(idp: &Identity) -> AuthCodeConfig {
    let mut cfg =
        AuthCodeConfig::microsoft(Some(&idp.authority()), Some("contoso.com"), CLIENT_ID).unwrap();
    cfg.wait = Duration::from_secs(15);
    cfg
}

fn google(idp: &Identity) -> AuthCodeConfig {
    let base = idp.authority();
    let mut cfg = AuthCodeConfig::endpoints(
        Profile::Google,
        Some(&format!("{base}/o/oauth2/v2/auth")),
        Some(&format!("{base}/token")),
        None,
        GOOGLE_CLIENT,
    )
    .unwrap();
    cfg.client_secret = Some(smtp_doctor::secret::Secret::new(GOOGLE_SECRET.into()));
    cfg.wait = Duration::from_secs(15);
    cfg
}

/// Runs the flow with the test as the browser (following the redirect
/// `redirects` times); the result and what the browser saw.
type Outcome = Result<authcode::SignedIn, Box<smtp_doctor::diagnose::Diagnosis>>;
/// What the browser saw: the redirect `Location`, or why it got stuck.
type Seen = Arc<Mutex<Vec<Result<String, String>>>>;

fn run(cfg: &AuthCodeConfig, redirects: usize) -> (Outcome, Seen) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    let result = authcode::sign_in(cfg, &mut |p: &Prompt| {
        let (url, seen) = (p.url.clone(), seen.clone());
        handles.push(std::thread::spawn(move || {
            let r = browser(&url, redirects);
            seen.lock().unwrap().push(r);
        }));
    });
    for h in handles {
        h.join().unwrap();
    }
    (result, seen)
}

fn token_requests(idp: &Identity) -> Vec<support::identity_mock::Request> {
    idp.requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/token"))
        .collect()
}

#[test]
fn microsoft_profile_signs_in_with_pkce() {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![success(TOKEN)])
        .spawn();
    let (result, seen) = run(&microsoft(&idp), 1);
    let signed = result.expect("token");
    assert_eq!(signed.access_token.expose(), TOKEN);
    assert_eq!(signed.refresh_token.unwrap().expose(), REFRESH_TOKEN);
    let location = seen.lock().unwrap()[0].clone().unwrap();
    assert!(location.starts_with("http://127.0.0.1:"), "{location}");

    let reqs = idp.requests();
    let auth = &reqs[0];
    assert!(
        auth.path.starts_with("/contoso.com/oauth2/v2.0/authorize?"),
        "{}",
        auth.path
    );
    assert_eq!(auth.form["response_type"], "code");
    assert_eq!(auth.form["code_challenge_method"], "S256");
    assert_eq!(
        auth.form["scope"],
        "https://outlook.office.com/SMTP.Send offline_access"
    );
    let tokens = token_requests(&idp);
    assert_eq!(tokens.len(), 1);
    let t = &tokens[0].form;
    assert_eq!(t["grant_type"], "authorization_code");
    assert_eq!(t["code"], AUTH_CODE);
    assert_eq!(t["redirect_uri"], auth.form["redirect_uri"]);
    // RFC 7636 §4.1: 43 characters of base64url; its S256 is the challenge.
    assert_eq!(t["code_verifier"].len(), 43);
    assert_eq!(
        support::identity_mock::s256(&t["code_verifier"]),
        auth.form["code_challenge"]
    );
    assert!(!t.contains_key("client_secret"));
    assert!(auth.form["state"].len() >= 20);
}

#[test]
fn google_profile_signs_in_with_its_client_secret() {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![success(TOKEN)])
        .spawn();
    let (result, _) = run(&google(&idp), 1);
    assert_eq!(result.expect("token").access_token.expose(), TOKEN);
    let reqs = idp.requests();
    assert!(reqs[0].path.starts_with("/o/oauth2/v2/auth?"));
    assert_eq!(reqs[0].form["scope"], "https://mail.google.com/");
    assert_eq!(reqs[0].form["access_type"], "offline");
    let t = &token_requests(&idp)[0].form;
    assert_eq!(t["client_secret"], GOOGLE_SECRET);
    assert_eq!(t["client_id"], GOOGLE_CLIENT);
}

#[test]
fn custom_profile_signs_in_with_its_endpoints_and_scope() {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![success(TOKEN)])
        .spawn();
    let base = idp.authority();
    let mut cfg = AuthCodeConfig::endpoints(
        Profile::Custom,
        Some(&format!("{base}/realms/mail/protocol/openid-connect/auth")),
        Some(&format!("{base}/realms/mail/protocol/openid-connect/token")),
        Some("openid email smtp"),
        "smtp-doctor",
    )
    .unwrap();
    cfg.wait = Duration::from_secs(15);
    let (result, _) = run(&cfg, 1);
    assert_eq!(result.expect("token").access_token.expose(), TOKEN);
    let reqs = idp.requests();
    assert!(reqs[0]
        .path
        .starts_with("/realms/mail/protocol/openid-connect/auth?"));
    assert_eq!(reqs[0].form["scope"], "openid email smtp");
    assert!(!reqs[0].form.contains_key("access_type"));
    assert_eq!(token_requests(&idp)[0].form["client_id"], "smtp-doctor");
}

#[test]
fn state_mismatch_is_refused_without_a_token_exchange() {
    let idp = IdentityMock::new(0, 900)
        .authorize(Authorize::WrongState)
        .token_responses(vec![success(TOKEN)])
        .spawn();
    let (result, _) = run(&microsoft(&idp), 1);
    let d = result.expect_err("refused");
    assert_eq!(d.id, "oauth-state-mismatch");
    assert_eq!(d.stage.map(|s| s.as_str()), Some("oauth"));
    assert!(token_requests(&idp).is_empty());
}

#[test]
fn wrong_pkce_verifier_is_refused_by_the_mock_and_diagnosed() {
    let idp = IdentityMock::new(0, 900)
        .authorize(Authorize::SwapChallenge)
        .token_responses(vec![success(TOKEN)])
        .spawn();
    let (result, _) = run(&microsoft(&idp), 1);
    let d = result.expect_err("refused");
    assert_eq!(d.id, "oauth-pkce-verifier-mismatch");
    assert!(d.evidence.as_deref().unwrap().contains("AADSTS501481"));
    let t = &token_requests(&idp)[0].form;
    let evidence = d.evidence.clone().unwrap();
    assert!(!evidence.contains(&t["code_verifier"]) && !evidence.contains(AUTH_CODE));
}

#[test]
fn identity_platform_answers_become_their_diagnoses() {
    let token_cases = [
        (false, error("invalid_grant", "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.", &[53003]), "oauth-conditional-access-blocked"),
        (false, error("interaction_required", "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access 'x'.", &[50076]), "oauth-mfa-required"),
        (false, error("interaction_required", "AADSTS50079: The user is required to use multi-factor authentication.", &[50079]), "oauth-mfa-required"),
        (false, error("invalid_grant", "AADSTS65001: The user or administrator has not consented to use the application with ID 'x'.", &[65001]), "oauth-consent-required"),
        (false, error("unauthorized_client", "AADSTS700016: Application with identifier 'x' was not found in the directory 'Contoso'.", &[700016]), "oauth-client-not-found"),
        (false, error("invalid_client", "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", &[7000218]), "oauth-public-client-disabled"),
        (false, error("invalid_grant", "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.", &[70008]), "oauth-invalid-grant"),
        (true, error("invalid_client", "The OAuth client was not found.", &[]), "google-oauth-client-not-found"),
        (true, error("redirect_uri_mismatch", "Bad Request", &[]), "google-redirect-uri-mismatch"),
        (true, error("invalid_grant", "Bad Request", &[]), "oauth-invalid-grant"),
    ];
    for (is_google, answer, id) in token_cases {
        let idp = IdentityMock::new(0, 900)
            .token_responses(vec![answer])
            .spawn();
        let cfg = if is_google {
            google(&idp)
        } else {
            microsoft(&idp)
        };
        let d = run(&cfg, 1).0.expect_err(id);
        assert_eq!(d.id, id);
        assert_eq!(d.stage.map(|s| s.as_str()), Some("oauth"), "{id}");
    }
    // Errors the authorization step redirects with (RFC 6749 §4.1.2.1).
    let redirect_cases = [
        (
            false,
            "access_denied",
            "AADSTS65004: User declined to consent to access the app.",
            "oauth-sign-in-declined",
        ),
        (
            false,
            "access_denied",
            "AADSTS53003: Access has been blocked by Conditional Access policies.",
            "oauth-conditional-access-blocked",
        ),
        (true, "access_denied", "", "google-app-not-verified"),
    ];
    for (is_google, e, desc, id) in redirect_cases {
        let idp = IdentityMock::new(0, 900)
            .authorize(Authorize::Error(e.into(), desc.into()))
            .token_responses(vec![success(TOKEN)])
            .spawn();
        let cfg = if is_google {
            google(&idp)
        } else {
            microsoft(&idp)
        };
        let d = run(&cfg, 1).0.expect_err(id);
        assert_eq!(d.id, id);
        assert!(
            token_requests(&idp).is_empty(),
            "{id}: no exchange after an error"
        );
    }
}

#[test]
fn closing_the_browser_ends_in_a_timeout_with_a_clear_message() {
    let idp = IdentityMock::new(0, 900).spawn();
    let mut cfg = microsoft(&idp);
    cfg.wait = Duration::from_secs(1);
    let started = std::time::Instant::now();
    // The "browser" opens the page and is closed: nobody comes back.
    let d = authcode::sign_in(&cfg, &mut |_: &Prompt| {}).expect_err("timeout");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(d.id, "oauth-redirect-timeout");
    assert!(d.detail.as_deref().unwrap().contains("waited 1 s"), "{d:?}");
    assert!(d.summary.contains("did not come back"));
}

#[test]
fn a_second_redirect_is_ignored() {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![success(TOKEN)])
        .spawn();
    let (result, _) = run(&microsoft(&idp), 2);
    assert_eq!(result.expect("token").access_token.expose(), TOKEN);
    let tokens = token_requests(&idp);
    assert_eq!(tokens.len(), 1, "one exchange, with the first code");
    assert_eq!(tokens[0].form["code"], AUTH_CODE);
}

#[test]
fn a_stray_request_before_the_redirect_does_not_end_the_wait() {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![success(TOKEN)])
        .spawn();
    let cfg = microsoft(&idp);
    let mut handles = Vec::new();
    let result = authcode::sign_in(&cfg, &mut |p: &Prompt| {
        let (url, redirect) = (p.url.clone(), p.redirect_uri.clone());
        handles.push(std::thread::spawn(move || {
            // A favicon request and an endless header first.
            let _ = ureq::get(format!("{redirect}/favicon.ico")).call();
            let mut slow =
                std::net::TcpStream::connect(redirect.trim_start_matches("http://")).unwrap();
            std::io::Write::write_all(&mut slow, b"GET /?code=x HTTP/1.1\r\nX: ").unwrap();
            browser(&url, 1).unwrap();
            drop(slow);
        }));
    });
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(result.expect("token").access_token.expose(), TOKEN);
}

// ---------------------------------------------------------------------------
// The binary: check --oauth … --no-browser, the test as the browser
// ---------------------------------------------------------------------------

/// Runs `check` with `extra` arguments and plays the browser on the URL it
/// prints; (exit code, stdout, stderr), leak-checked and schema-checked.
fn check_in_browser(idp: &Identity, smtp_port: u16, extra: &[&str]) -> (i32, String, String) {
    let cmd = Doctor::new()
        .args(["check", USER, "--host", "127.0.0.1", "--port"])
        .arg(smtp_port.to_string())
        .args(["--tls", "starttls", "--cafile"])
        .arg(certs::ca_file())
        .args(["--timeout", "5", "--format", "json", "--verbose"])
        .args(["--no-browser", "--sign-in-timeout", "20"])
        .args(extra)
        .command();
    run_with_browser(cmd, idp, USER, &[TOKEN, REFRESH_TOKEN, GOOGLE_SECRET])
}

#[test]
fn check_signs_in_with_the_browser_flow_and_logs_in_with_xoauth2() {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![success(TOKEN)])
        .spawn();
    let smtp = FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH LOGIN XOAUTH2"])
        .accept_token(USER, TOKEN)
        .spawn();
    let authority = idp.authority();
    let (code, stdout, stderr) = check_in_browser(
        &idp,
        smtp.port(),
        &[
            "--oauth",
            "microsoft",
            "--client-id",
            CLIENT_ID,
            "--authority",
            &authority,
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["category"], "ok");
    assert_eq!(json["endpoints"][0]["mechanism"], "XOAUTH2");
    assert!(
        stderr.contains("Open this address in a browser"),
        "{stderr}"
    );
    assert_eq!(smtp.auth_commands().len(), 1, "{}", smtp.dump());
}

#[test]
fn check_with_the_google_profile_logs_in_with_xoauth2() {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![success(TOKEN)])
        .spawn();
    let smtp = FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH XOAUTH2"])
        .accept_token(USER, TOKEN)
        .spawn();
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("client-secret");
    std::fs::write(&secret, format!("{GOOGLE_SECRET}\n")).unwrap();
    let base = idp.authority();
    let (auth, token) = (format!("{base}/o/oauth2/v2/auth"), format!("{base}/token"));
    let (code, stdout, stderr) = check_in_browser(
        &idp,
        smtp.port(),
        &[
            "--oauth",
            "google",
            "--client-id",
            GOOGLE_CLIENT,
            "--auth-url",
            &auth,
            "--token-url",
            &token,
            "--client-secret-file",
            secret.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(token_requests(&idp)[0].form["client_secret"], GOOGLE_SECRET);
}

#[test]
fn check_reports_a_refused_sign_in_with_stage_oauth() {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![error(
            "invalid_grant",
            "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
            &[53003],
        )])
        .spawn();
    let authority = idp.authority();
    let (code, stdout, _) = check_in_browser(
        &idp,
        1,
        &[
            "--oauth",
            "microsoft",
            "--client-id",
            CLIENT_ID,
            "--authority",
            &authority,
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        json["diagnoses"][0]["id"],
        "oauth-conditional-access-blocked"
    );
    assert_eq!(json["diagnoses"][0]["stage"], "oauth");
    assert_eq!(json["endpoints"], serde_json::json!([]));
    assert_eq!(code, json["exit_code"].as_i64().unwrap() as i32);
}

#[test]
fn without_a_browser_microsoft_falls_back_to_the_device_flow_and_says_so() {
    // Doctor removes DISPLAY, WAYLAND_DISPLAY and BROWSER: no browser here.
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![error("access_denied", "denied", &[])])
        .spawn();
    let run = Doctor::new()
        .args(["check", USER, "--host", "127.0.0.1", "--port", "1"])
        .args(["--format", "json", "--oauth", "microsoft"])
        .args(["--client-id", CLIENT_ID, "--authority", &idp.authority()])
        .run();
    if cfg!(any(target_os = "macos", windows)) {
        return;
    }
    assert!(
        run.stderr
            .contains("signs in with the device-code flow instead"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.expect_json()["diagnoses"][0]["id"],
        "device-sign-in-declined"
    );
}

#[test]
fn device_flow_is_microsoft_only() {
    let run = Doctor::new()
        .args([
            "check",
            USER,
            "--oauth",
            "google",
            "--client-id",
            GOOGLE_CLIENT,
        ])
        .args(["--oauth-flow", "device"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("Microsoft's only"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------
// --token-cache and token --refresh
// ---------------------------------------------------------------------------

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn token_cache_is_0600_and_the_next_check_needs_no_browser() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.json");
    let cache_arg = cache.to_str().unwrap().to_string();
    let smtp = FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH XOAUTH2"])
        .accept_token(USER, TOKEN)
        .spawn();
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![success(TOKEN)])
        .spawn();
    let authority = idp.authority();
    let ms = [
        "--oauth",
        "microsoft",
        "--client-id",
        CLIENT_ID,
        "--authority",
        &authority,
        "--token-cache",
        &cache_arg,
    ];
    let (code, stdout, stderr) = check_in_browser(&idp, smtp.port(), &ms);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(mode(&cache), 0o600);
    let stored = std::fs::read_to_string(&cache).unwrap();
    assert!(
        stored.contains(REFRESH_TOKEN) && !stored.contains(TOKEN),
        "{stored}"
    );

    // The second run signs in with the refresh token: no browser, no prompt.
    let run = Doctor::new()
        .args(["check", USER, "--host", "127.0.0.1", "--port"])
        .arg(smtp.port().to_string())
        .args(["--tls", "starttls", "--cafile"])
        .arg(certs::ca_file())
        .args(["--format", "json", "--no-browser", "--sign-in-timeout", "2"])
        .args(ms)
        .secrets(USER, [TOKEN, REFRESH_TOKEN, AUTH_CODE])
        .run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("refresh token of"), "{}", run.stderr);
    assert!(!run.stderr.contains("Open this address"), "{}", run.stderr);
    let reqs = idp.requests();
    let last = reqs.last().unwrap();
    assert_eq!(last.form["grant_type"], "refresh_token");
    assert_eq!(last.form["refresh_token"], REFRESH_TOKEN);
    assert_eq!(
        reqs.iter()
            .filter(|r| r.path.contains("/authorize"))
            .count(),
        1,
        "the second run opened no authorization request"
    );
}

#[cfg(unix)]
#[test]
fn a_token_cache_others_can_read_is_refused_before_any_request() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.json");
    std::fs::write(&cache, format!("{{\"refresh_token\":\"{REFRESH_TOKEN}\"}}")).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o644)).unwrap();
    let idp = IdentityMock::new(0, 900).spawn();
    let run = Doctor::new()
        .args(["check", USER, "--host", "127.0.0.1", "--port", "1"])
        .args([
            "--no-browser",
            "--oauth",
            "microsoft",
            "--client-id",
            CLIENT_ID,
        ])
        .args(["--authority", &idp.authority(), "--token-cache"])
        .arg(&cache)
        .secrets(USER, [REFRESH_TOKEN])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("mode 644"), "{}", run.stderr);
    assert!(idp.requests().is_empty());
    // token --refresh refuses it the same way.
    let run = Doctor::new()
        .args(["token", "--refresh", "--token-cache"])
        .arg(&cache)
        .secrets(USER, [REFRESH_TOKEN])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
}

/// A 0600 cache pointing at the mock's token endpoint.
#[cfg(unix)]
fn write_cache(dir: &std::path::Path, idp: &Identity) -> std::path::PathBuf {
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join("cache.json");
    let doc = serde_json::json!({
        "version": 1, "profile": "microsoft", "client_id": CLIENT_ID,
        "token_url": format!("{}/contoso.com/oauth2/v2.0/token", idp.authority()),
        "scope": "https://outlook.office.com/SMTP.Send offline_access",
        "refresh_token": "0.Old-Refresh-Marker-k3",
    });
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut f, doc.to_string().as_bytes()).unwrap();
    path
}

#[cfg(unix)]
#[test]
fn token_refresh_exchanges_the_cached_token_and_lints_the_new_one() {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![success(TOKEN)])
        .spawn();
    let dir = tempfile::tempdir().unwrap();
    let cache = write_cache(dir.path(), &idp);
    let run = Doctor::new()
        .args(["token", "--refresh", "--format", "json", "--user", USER])
        .arg("--token-cache")
        .arg(&cache)
        .secrets(USER, [TOKEN, REFRESH_TOKEN, "0.Old-Refresh-Marker-k3"])
        .run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.ids().contains(&"token-opaque"), "{:?}", run.ids());
    let t = &token_requests(&idp)[0].form;
    assert_eq!(t["grant_type"], "refresh_token");
    assert_eq!(t["refresh_token"], "0.Old-Refresh-Marker-k3");
    // The identity platform rotated the refresh token: the cache has the new one.
    let stored = std::fs::read_to_string(&cache).unwrap();
    assert!(stored.contains(REFRESH_TOKEN), "{stored}");
    assert_eq!(mode(&cache), 0o600);
}

#[cfg(unix)]
#[test]
fn token_refresh_refused_is_diagnosed() {
    let idp = IdentityMock::new(0, 900)
        .token_responses(vec![error(
            "invalid_grant",
            "AADSTS700082: The refresh token has expired due to inactivity.",
            &[700082],
        )])
        .spawn();
    let dir = tempfile::tempdir().unwrap();
    let cache = write_cache(dir.path(), &idp);
    let run = Doctor::new()
        .args(["token", "--refresh", "--format", "json", "--token-cache"])
        .arg(&cache)
        .secrets(USER, ["0.Old-Refresh-Marker-k3"])
        .run();
    assert_eq!(run.code, 5, "{}", run.stdout);
    assert_eq!(
        run.expect_json()["diagnoses"][0]["id"],
        "oauth-invalid-grant"
    );
    assert_eq!(run.expect_json()["diagnoses"][0]["stage"], "oauth");
}
