//! No false green: every way a check could say OK without having tested the
//! login, run end to end against a fake server that would accept the login,
//! must exit non-zero with a message that names the cause, and connect to
//! nothing when it cannot have a secret.

mod support;

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
