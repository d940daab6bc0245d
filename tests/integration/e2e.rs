//! End-to-end tests: the real `smtp-doctor` binary against scripted fake SMTP
//! servers running in-process on 127.0.0.1.
//!
//! Every test asserts, per docs/exit-codes.md and docs/json-output.md: the exit code of the
//! expected category, one JSON document on stdout, `category`, `exit_code`
//! equal to the process's code, `diagnoses[0].category`, and that no secret
//! (in any of its forms) appears in stdout or stderr.

use crate::support;

use base64::engine::general_purpose::STANDARD_NO_PAD as B64_NO_PAD;
use base64::Engine as _;

use support::certs::{self, Cert};
use support::fake_smtp::{FakeSmtp, Hostile, Server};
use support::run::{exit_code_for, Doctor, Outcome};

const USER: &str = "alice@example.test";
const PASSWORD: &str = "S3cret-Marker-9x!";
const TOKEN: &str = "ya29.Tok3n-Marker-Q7zVw";
/// A run that takes longer than this (seconds) is killed and fails the test.
const HANG_GUARD: u64 = 40;

// ---------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------

/// One `smtp-doctor check` invocation.
struct Check {
    port: u16,
    tls: &'static str,
    timeout: u32,
    mechanism: Option<&'static str>,
    use_token: bool,
    /// `--user`, when it differs from the address.
    user: Option<&'static str>,
}

impl Check {
    fn new(port: u16, tls: &'static str) -> Self {
        Check {
            port,
            tls,
            timeout: 3,
            mechanism: None,
            use_token: false,
            user: None,
        }
    }

    fn timeout(mut self, secs: u32) -> Self {
        self.timeout = secs;
        self
    }

    /// Use `--mechanism XOAUTH2` with the token in `SMTP_DOCTOR_TOKEN`.
    fn xoauth2(mut self) -> Self {
        self.mechanism = Some("XOAUTH2");
        self.use_token = true;
        self
    }

    fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "check".into(),
            USER.into(),
            "--host".into(),
            "127.0.0.1".into(),
            "--port".into(),
            self.port.to_string(),
            "--tls".into(),
            self.tls.into(),
            "--cafile".into(),
            certs::ca_file().display().to_string(),
            "--timeout".into(),
            self.timeout.to_string(),
            "--format".into(),
            "json".into(),
        ];
        if let Some(user) = self.user {
            args.extend(["--user".into(), user.into()]);
        }
        args.push("--verbose".into());
        if let Some(m) = self.mechanism {
            args.push("--mechanism".into());
            args.push(m.into());
        }
        args
    }

    /// Run the binary (stdin null, hang guard): no form of the password or
    /// the token leaks, for the address or for `--user`, and stdout is one
    /// JSON document.
    #[track_caller]
    fn run(self) -> Outcome {
        let mut doctor = Doctor::new()
            .args(self.args())
            .hang_guard(HANG_GUARD)
            .secret(USER, PASSWORD)
            .secret(USER, TOKEN)
            // Unpadded: a prefix of the padded form, so it matches both.
            .forbid(
                "base64(user) (AUTH LOGIN / CRAM-MD5 response)",
                B64_NO_PAD.encode(USER),
            );
        if let Some(user) = self.user {
            doctor = doctor.secret(user, PASSWORD).secret(user, TOKEN);
        }
        doctor = if self.use_token {
            doctor.env("SMTP_DOCTOR_TOKEN", TOKEN)
        } else {
            doctor.env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        };
        let run = doctor.run();
        run.expect_json();
        run
    }
}

// ---------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------

/// Category, exit code and JSON shape as the contract says (the runner has
/// checked the schema and `exit_code`).
#[track_caller]
fn assert_category(run: &Outcome, category: &str) {
    let ctx = run.context();
    let json = run.expect_json();
    assert_eq!(
        json["category"].as_str(),
        Some(category),
        "wrong category\n{ctx}"
    );
    let code = exit_code_for(category).unwrap_or_else(|| panic!("unknown category {category}"));
    assert_eq!(run.code, code, "wrong exit code\n{ctx}");
    assert_eq!(json["version"], 1, "JSON version\n{ctx}");
    if category != "ok" {
        assert_eq!(
            json["diagnoses"][0]["category"].as_str(),
            Some(category),
            "diagnoses[0].category must be the top-level category\n{ctx}"
        );
    }
}

/// Run and assert the category: what nearly every test does.
#[track_caller]
fn expect(check: Check, category: &str) -> Outcome {
    let run = check.run();
    assert_category(&run, category);
    run
}

#[track_caller]
fn assert_no_auth_sent(server: &Server) {
    let auths = server.auth_commands();
    assert!(
        auths.is_empty(),
        "no AUTH may be sent here, the server received:\n{}",
        server.dump()
    );
}

#[track_caller]
fn assert_one_auth_sent(server: &Server) {
    let auths = server.auth_commands();
    assert_eq!(
        auths.len(),
        1,
        "exactly one AUTH command expected, the server received:\n{}",
        server.dump()
    );
}

/// The single AUTH was sent inside TLS, with the given mechanism.
#[track_caller]
fn assert_auth_in_tls_with(server: &Server, mechanism: &str) {
    let auths = server.auth_commands();
    assert_eq!(auths.len(), 1, "one AUTH expected:\n{}", server.dump());
    assert!(
        auths[0].tls,
        "AUTH was sent in cleartext:\n{}",
        server.dump()
    );
    let mech = auths[0]
        .line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_ascii_uppercase();
    assert_eq!(mech, mechanism, "mechanism used:\n{}", server.dump());
}

// ---------------------------------------------------------------------------
// Success
// ---------------------------------------------------------------------------

#[test]
fn ok_with_plain_over_starttls() {
    let server = FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH PLAIN"])
        .accept(USER, PASSWORD)
        .spawn();
    let run = expect(Check::new(server.port(), "starttls"), "ok");
    assert_auth_in_tls_with(&server, "PLAIN");
    assert_eq!(server.commands("STARTTLS").len(), 1, "{}", server.dump());
    let transcript = &run.expect_json()["endpoints"][0]["transcript"];
    assert!(
        transcript.as_array().is_some_and(|t| !t.is_empty()),
        "--verbose must include endpoints[0].transcript\n{}",
        run.context()
    );
}

#[test]
fn ok_with_login_over_starttls() {
    let server = FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH LOGIN"])
        .accept(USER, PASSWORD)
        .spawn();
    expect(Check::new(server.port(), "starttls"), "ok");
    assert_auth_in_tls_with(&server, "LOGIN");
}

#[test]
fn ok_with_cram_md5_over_starttls() {
    let server = FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH CRAM-MD5"])
        .accept(USER, PASSWORD)
        .spawn();
    expect(Check::new(server.port(), "starttls"), "ok");
    assert_auth_in_tls_with(&server, "CRAM-MD5");
}

#[test]
fn ok_over_implicit_tls() {
    let server = FakeSmtp::implicit().accept(USER, PASSWORD).spawn();
    expect(Check::new(server.port(), "implicit"), "ok");
    let auths = server.auth_commands();
    assert_eq!(auths.len(), 1, "{}", server.dump());
    assert!(auths[0].tls, "{}", server.dump());
}

#[test]
fn ok_with_xoauth2_token() {
    let server = FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH XOAUTH2"])
        .accept_token(USER, TOKEN)
        .spawn();
    expect(Check::new(server.port(), "starttls").xoauth2(), "ok");
    assert_auth_in_tls_with(&server, "XOAUTH2");
}

/// Live, a definitive refusal of an OAuth mechanism is
/// `oauth-token-invalid`, even in Gmail's password wording (the harness row
/// `xoauth2-only-bad-token` replays it).
#[test]
fn refused_xoauth2_token_is_oauth_token_invalid() {
    let server = FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH XOAUTH2"])
        .auth_reply("535 5.7.8 Error: Username and Password not accepted")
        .spawn();
    let run = expect(
        Check::new(server.port(), "starttls").xoauth2(),
        "oauth-token-invalid",
    );
    assert_eq!(run.expect_json()["diagnoses"][0]["stage"], "auth");
}

#[test]
fn ok_with_tls_none_on_purpose_carries_a_warning() {
    let server = FakeSmtp::plain().accept(USER, PASSWORD).spawn();
    let run = expect(Check::new(server.port(), "none"), "ok");
    let warned = run.expect_json()["diagnoses"]
        .as_array()
        .is_some_and(|ds| ds.iter().any(|d| d["severity"] == "warning"));
    assert!(
        warned,
        "--tls none must carry a warning diagnosis\n{}",
        run.context()
    );
}

#[test]
fn huge_capability_list_is_parsed_to_the_end() {
    let mut caps: Vec<String> = (0..300)
        .map(|i| format!("X-FAKE-EXTENSION-{i:04} some-parameter another-parameter"))
        .collect();
    caps.push("AUTH PLAIN LOGIN".to_string());
    let server = FakeSmtp::starttls()
        .caps_owned(caps)
        .accept(USER, PASSWORD)
        .spawn();
    expect(Check::new(server.port(), "starttls"), "ok");
}

// ---------------------------------------------------------------------------
// Credentials and AUTH policy
// ---------------------------------------------------------------------------

#[test]
fn wrong_password_is_wrong_credentials() {
    let server = FakeSmtp::starttls()
        .accept(USER, "the-right-password")
        .spawn();
    expect(Check::new(server.port(), "starttls"), "wrong-credentials");
    assert_one_auth_sent(&server);
}

#[test]
fn auth_refusal_is_not_retried_with_another_mechanism() {
    let server = FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH PLAIN LOGIN CRAM-MD5"])
        .auth_reply("535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6")
        .spawn();
    expect(Check::new(server.port(), "starttls"), "wrong-credentials");
    assert_one_auth_sent(&server);
}

#[test]
fn gmail_534_multiline_is_app_password_required() {
    let server = FakeSmtp::starttls()
        .caps(&[
            "SIZE 35882577",
            "8BITMIME",
            "AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH",
            "ENHANCEDSTATUSCODES",
            "PIPELINING",
        ])
        .auth_reply(
            "534-5.7.9 Application-specific password required. For more information, go to\n\
             534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor d9443c01a7336-2a1b2c3d4e5sm1234567ab.12 - gsmtp",
        )
        .spawn();
    expect(
        Check::new(server.port(), "starttls"),
        "app-password-required",
    );
    assert_one_auth_sent(&server);
}

#[test]
fn microsoft_5_7_139_smtp_auth_disabled_is_auth_disabled_by_policy() {
    let server = FakeSmtp::starttls()
        .caps(&["SIZE 157286400", "PIPELINING", "AUTH LOGIN XOAUTH2", "8BITMIME"])
        .auth_reply(
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. \
             Visit https://aka.ms/smtp_auth_disabled for more information. [PH0PR07CA0012.namprd07.prod.outlook.com 2025-01-01T00:00:00.000Z 08DD00000000000]",
        )
        .spawn();
    expect(
        Check::new(server.port(), "starttls"),
        "auth-disabled-by-policy",
    );
    assert_one_auth_sent(&server);
}

#[test]
fn only_xoauth2_offered_with_a_password_is_oauth_required() {
    let server = FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH XOAUTH2"])
        .spawn();
    expect(Check::new(server.port(), "starttls"), "oauth-required");
    assert_no_auth_sent(&server);
}

#[test]
fn only_gssapi_and_ntlm_offered_is_no_common_auth_mechanism() {
    let server = FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH GSSAPI NTLM"])
        .spawn();
    expect(
        Check::new(server.port(), "starttls"),
        "no-common-auth-mechanism",
    );
    assert_no_auth_sent(&server);
}

#[test]
fn no_auth_capability_is_auth_not_offered() {
    let server = FakeSmtp::starttls()
        .caps(&["PIPELINING", "SIZE 10240000", "8BITMIME"])
        .spawn();
    expect(Check::new(server.port(), "starttls"), "auth-not-offered");
    assert_no_auth_sent(&server);
}

#[test]
fn too_many_login_attempts_454_is_rate_limited() {
    let server = FakeSmtp::starttls()
        .auth_reply("454 4.7.0 Too many login attempts, please try again later.")
        .spawn();
    expect(Check::new(server.port(), "starttls"), "rate-limited");
    assert_one_auth_sent(&server);
}

#[test]
fn server_echoing_the_auth_payload_is_wrong_credentials_and_redacted() {
    let server = FakeSmtp::starttls().echo_auth_payload().spawn();
    // The leak check in run() covers the echoed payload and decoded password.
    expect(Check::new(server.port(), "starttls"), "wrong-credentials");
    assert_one_auth_sent(&server);
}

// ---------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------

#[test]
fn tls_none_against_auth_only_after_starttls_is_starttls_required() {
    let server = FakeSmtp::starttls()
        .ehlo_before_tls(&["PIPELINING", "8BITMIME", "STARTTLS"])
        .ehlo_after_tls(&["PIPELINING", "8BITMIME", "AUTH PLAIN LOGIN"])
        .spawn();
    expect(Check::new(server.port(), "none"), "starttls-required");
}

#[test]
fn starttls_required_but_not_offered_is_starttls_unavailable_and_sends_no_auth() {
    let server = FakeSmtp::plain().accept(USER, PASSWORD).spawn();
    expect(
        Check::new(server.port(), "starttls"),
        "starttls-unavailable",
    );
    assert_no_auth_sent(&server);
}

#[test]
fn ehlo_refused_then_helo_without_starttls_is_starttls_unavailable() {
    let server = FakeSmtp::plain()
        .ehlo_reply("502 5.5.2 Error: command not recognized")
        .accept(USER, PASSWORD)
        .spawn();
    expect(
        Check::new(server.port(), "starttls"),
        "starttls-unavailable",
    );
    assert_no_auth_sent(&server);
}

#[test]
fn starttls_advertised_but_refused_454_is_starttls_unavailable() {
    let server = FakeSmtp::starttls()
        .starttls_reply("454 4.7.0 TLS not available due to local problem")
        .spawn();
    expect(
        Check::new(server.port(), "starttls"),
        "starttls-unavailable",
    );
    assert_no_auth_sent(&server);
}

#[test]
fn implicit_tls_client_against_plaintext_server_is_tls_mode_mismatch() {
    let server = FakeSmtp::starttls().spawn();
    expect(Check::new(server.port(), "implicit"), "tls-mode-mismatch");
    assert_no_auth_sent(&server);
}

#[test]
fn starttls_client_against_implicit_tls_server_is_tls_mode_mismatch() {
    let server = FakeSmtp::implicit().spawn();
    expect(
        Check::new(server.port(), "starttls").timeout(2),
        "tls-mode-mismatch",
    );
    assert_no_auth_sent(&server);
}

#[test]
fn expired_certificate_is_tls_certificate_invalid() {
    let server = FakeSmtp::starttls().cert(Cert::Expired).spawn();
    expect(
        Check::new(server.port(), "starttls"),
        "tls-certificate-invalid",
    );
    assert_no_auth_sent(&server);
}

#[test]
fn wrong_name_certificate_is_tls_certificate_invalid() {
    let server = FakeSmtp::starttls().cert(Cert::WrongName).spawn();
    expect(
        Check::new(server.port(), "starttls"),
        "tls-certificate-invalid",
    );
    assert_no_auth_sent(&server);
}

#[test]
fn self_signed_certificate_is_tls_certificate_invalid() {
    let server = FakeSmtp::starttls().cert(Cert::SelfSigned).spawn();
    expect(
        Check::new(server.port(), "starttls"),
        "tls-certificate-invalid",
    );
    assert_no_auth_sent(&server);
}

#[test]
fn wrong_name_certificate_over_implicit_tls_is_tls_certificate_invalid() {
    let server = FakeSmtp::implicit().cert(Cert::WrongName).spawn();
    expect(
        Check::new(server.port(), "implicit"),
        "tls-certificate-invalid",
    );
    assert_no_auth_sent(&server);
}

#[test]
fn tls_alert_after_starttls_is_tls_handshake_failed() {
    let server = FakeSmtp::starttls()
        .hostile(Hostile::TlsAlertAfterStartTls)
        .spawn();
    expect(
        Check::new(server.port(), "starttls"),
        "tls-handshake-failed",
    );
    assert_no_auth_sent(&server);
}

#[test]
fn local_part_user_at_gmail_is_username_format() {
    let server = FakeSmtp::starttls()
        .auth_reply("535-5.7.8 Username and Password not accepted. For more information, go to\r\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials x - gsmtp")
        .spawn();
    let mut check = Check::new(server.port(), "starttls");
    check.user = Some("alice");
    let run = expect(check, "username-format");
    support::leak::assert_no_leak(
        "alice",
        PASSWORD,
        &[("stdout", &run.stdout), ("stderr", &run.stderr)],
    );
    assert_eq!(
        run.expect_json()["diagnoses"][0]["id"].as_str(),
        Some("username-not-full-address"),
        "{}",
        run.context()
    );
    // The provider's own reading stays visible as an alternative.
    assert_eq!(
        run.expect_json()["diagnoses"][0]["alternatives"][0]["id"].as_str(),
        Some("gmail-bad-credentials"),
        "{}",
        run.context()
    );
}

#[test]
fn unexpected_reply_to_starttls_is_protocol_error_not_ok() {
    // 221 is a valid code, but not an answer to STARTTLS (RFC 3207 §4: 220,
    // 454 or 501): the session is over and nothing was authenticated.
    let server = FakeSmtp::starttls().starttls_reply("221 2.0.0 Bye").spawn();
    let run = expect(Check::new(server.port(), "starttls"), "protocol-error");
    assert_eq!(
        run.expect_json()["diagnoses"][0]["id"].as_str(),
        Some("unexpected-reply"),
        "{}",
        run.context()
    );
    assert_no_auth_sent(&server);
}

#[test]
fn tls_1_0_only_server_is_named_plainly() {
    let server = FakeSmtp::starttls()
        .hostile(Hostile::TlsLegacyOnlyAfterStartTls)
        .spawn();
    let run = expect(
        Check::new(server.port(), "starttls"),
        "tls-handshake-failed",
    );
    assert_eq!(
        run.expect_json()["diagnoses"][0]["id"].as_str(),
        Some("tls-protocol-version"),
        "{}",
        run.context()
    );
    let summary = run.expect_json()["diagnoses"][0]["summary"]
        .as_str()
        .unwrap_or("");
    assert!(summary.contains("TLS 1.0/1.1"), "{summary}");
    assert_no_auth_sent(&server);
}

#[test]
fn starttls_response_injection_is_protocol_error_and_sends_no_auth() {
    let server = FakeSmtp::starttls()
        .starttls_inject("250-injected.example.test\r\n250 AUTH PLAIN LOGIN\r\n")
        .accept(USER, PASSWORD)
        .spawn();
    let run = expect(Check::new(server.port(), "starttls"), "protocol-error");
    assert_eq!(
        run.expect_json()["diagnoses"][0]["id"].as_str(),
        Some("starttls-response-injection"),
        "{}",
        run.context()
    );
    assert_no_auth_sent(&server);
}

// ---------------------------------------------------------------------------
// Reachability
// ---------------------------------------------------------------------------

#[test]
fn closed_port_is_connection_refused() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    expect(Check::new(port, "starttls"), "connection-refused");
}

#[test]
fn silent_server_is_connection_timeout() {
    let server = FakeSmtp::starttls().hostile(Hostile::Silent).spawn();
    expect(
        Check::new(server.port(), "starttls").timeout(1),
        "connection-timeout",
    );
    assert_no_auth_sent(&server);
}

#[test]
fn slow_drip_greeting_is_connection_timeout() {
    let server = FakeSmtp::starttls().hostile(Hostile::DripGreeting).spawn();
    expect(
        Check::new(server.port(), "starttls").timeout(2),
        "connection-timeout",
    );
    assert_no_auth_sent(&server);
}

#[test]
fn slow_drip_ehlo_reply_is_connection_timeout() {
    let server = FakeSmtp::starttls().hostile(Hostile::DripEhlo).spawn();
    expect(
        Check::new(server.port(), "starttls").timeout(2),
        "connection-timeout",
    );
    assert_no_auth_sent(&server);
}

#[test]
fn greeting_421_is_server_temporary_failure() {
    let server = FakeSmtp::starttls()
        .greeting("421 4.3.2 fake.example.test Service not available, closing transmission channel")
        .spawn();
    expect(
        Check::new(server.port(), "starttls"),
        "server-temporary-failure",
    );
    assert_no_auth_sent(&server);
}

// ---------------------------------------------------------------------------
// Broken servers
// ---------------------------------------------------------------------------

#[test]
fn endless_line_is_protocol_error() {
    let server = FakeSmtp::starttls().hostile(Hostile::EndlessLine).spawn();
    expect(Check::new(server.port(), "starttls"), "protocol-error");
    assert_no_auth_sent(&server);
}

#[test]
fn endless_multiline_reply_is_protocol_error() {
    let server = FakeSmtp::starttls()
        .hostile(Hostile::EndlessMultiline)
        .spawn();
    expect(Check::new(server.port(), "starttls"), "protocol-error");
    assert_no_auth_sent(&server);
}

#[test]
fn binary_garbage_greeting_is_protocol_error() {
    let server = FakeSmtp::starttls()
        .hostile(Hostile::GarbageGreeting)
        .spawn();
    expect(Check::new(server.port(), "starttls"), "protocol-error");
    assert_no_auth_sent(&server);
}

#[test]
fn close_in_the_middle_of_a_reply_is_protocol_error() {
    let server = FakeSmtp::starttls().hostile(Hostile::CloseMidReply).spawn();
    expect(Check::new(server.port(), "starttls"), "protocol-error");
    assert_no_auth_sent(&server);
}

#[test]
fn reply_code_changing_within_a_multiline_reply_is_protocol_error() {
    let server = FakeSmtp::starttls()
        .hostile(Hostile::CodesChange)
        .accept(USER, PASSWORD)
        .spawn();
    expect(Check::new(server.port(), "starttls"), "protocol-error");
    assert_no_auth_sent(&server);
}
