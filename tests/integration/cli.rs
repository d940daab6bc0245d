//! The command line as people and shells meet it: help, version, completions,
//! man page, usage errors (exit 2, one clear line), colour only on a terminal,
//! the no-echo password prompt and Ctrl-C, the demo, and the JSON schema.

use crate::support;

use clap::CommandFactory;
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;
use support::run::{Doctor, Outcome};

/// The binary with a clean environment that leaves colour to the terminal
/// and the flags (no `NO_COLOR`, no `CLICOLOR_FORCE`). Its `command()` leaves
/// stdio to the caller (a pty needs it untouched).
fn bin() -> Doctor {
    Doctor::new().colour()
}

#[track_caller]
fn run(args: &[&str]) -> Outcome {
    bin().args(args).run()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A port with nothing listening (bind, read the port, close).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `check a@example.test` against a port on 127.0.0.1 with nothing listening.
fn check_closed_port() -> Doctor {
    bin()
        .args(["check", "a@example.test", "--host", "127.0.0.1", "--port"])
        .arg(closed_port().to_string())
}

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/explain/providers/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

const GMAIL_FIXTURE: &str = "gmail-534-app-password-nodemailer-stack.txt";

#[test]
fn long_help_has_examples_and_exit_codes_short_help_stays_short() {
    let long = run(&["check", "--help"]).stdout;
    assert!(
        long.contains("Examples:") && long.contains("Exit codes:") && long.contains("7  temporary"),
        "{long}"
    );
    let short = run(&["check", "-h"]).stdout;
    assert!(!short.contains("Exit codes:"), "{short}");
    assert!(short.lines().count() < long.lines().count());
    let top = run(&["--help"]).stdout;
    for sub in ["check", "explain", "demo", "completions", "man"] {
        assert!(top.contains(sub), "--help lists {sub}");
    }
    // Where the secret comes from, and where every category is explained.
    for needle in [
        "SMTP_DOCTOR_PASSWORD",
        "SMTP_DOCTOR_TOKEN",
        "no-echo prompt",
        "docs/exit-codes.md",
        "account-action-required",
    ] {
        assert!(long.contains(needle), "check --help lacks {needle}: {long}");
    }
    for args in [&["--help"][..], &["explain", "--help"]] {
        let help = run(args).stdout;
        assert!(help.contains("docs/exit-codes.md"), "{args:?}: {help}");
    }
    let demo = run(&["demo", "--help"]).stdout;
    assert!(demo.contains("JSON Lines"), "{demo}");
}

#[test]
fn version_names_the_commit() {
    let out = run(&["--version"]).stdout;
    assert!(
        out.starts_with(concat!("smtp-doctor ", env!("CARGO_PKG_VERSION"), " (")),
        "{out}"
    );
    assert!(out.trim_end().ends_with(')'), "{out}");
}

/// Every long flag of every subcommand, from the real clap definition.
fn all_long_flags() -> Vec<String> {
    let cmd = smtp_doctor::cli::Cli::command();
    let mut flags = Vec::new();
    for sub in cmd.get_subcommands() {
        for arg in sub.get_arguments() {
            if let Some(l) = arg.get_long() {
                flags.push(format!("--{l}"));
            }
        }
    }
    flags.sort();
    flags.dedup();
    assert!(flags.contains(&"--password-file".to_string()));
    flags
}

#[test]
fn completions_cover_every_flag_for_each_shell() {
    let flags = all_long_flags();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.code, 0, "{shell}");
        let script = &out.stdout;
        for f in &flags {
            // fish writes `-l password-file`, the others `--password-file`.
            let bare = f.trim_start_matches('-');
            assert!(
                script.contains(f.as_str()) || script.contains(&format!("-l {bare}")),
                "{shell} completion lacks {f}"
            );
        }
    }
}

#[test]
fn man_pages_document_every_subcommand_and_flag_one_name_each() {
    let top = run(&["man"]);
    assert_eq!(top.code, 0);
    assert_eq!(top.stdout.matches(".TH ").count(), 1, "{}", top.stdout);
    assert!(top.stdout.contains(".TH SMTP-DOCTOR 1"), "{}", top.stdout);
    let mut all = top.stdout.clone();
    for sub in [
        "check",
        "explain",
        "token",
        "demo",
        "serve",
        "completions",
        "man",
    ] {
        // The top page lists each command by a page that exists.
        assert!(
            top.stdout.contains(&format!("smtp\\-doctor\\-{sub}(1)")),
            "smtp-doctor(1) lacks {sub}"
        );
        let page = run(&["man", sub]);
        assert_eq!(page.code, 0, "{}", page.context());
        let roff = &page.stdout;
        assert_eq!(roff.matches(".SH NAME").count(), 1, "{sub}: {roff}");
        assert!(
            roff.contains(".SH \"SEE ALSO\"\n.BR smtp\\-doctor (1)"),
            "{sub}: {roff}"
        );
        all.push_str(roff);
    }
    assert_eq!(top.stdout.matches(".SH NAME").count(), 1);
    for f in all_long_flags() {
        assert!(all.contains(&f.replace('-', "\\-")), "man lacks {f}");
    }
    // Examples are kept as typed (no-fill), not reflowed into prose.
    let check = run(&["man", "check"]).stdout;
    assert!(
        check.contains(".SH EXAMPLES\n.PP\n.RS 4\n.nf\nSMTP_DOCTOR_PASSWORD="),
        "{check}"
    );
    for needle in [
        "SMTP_DOCTOR_PASSWORD",
        "SMTP_DOCTOR_TOKEN",
        "prompt",
        ".SH \"EXIT STATUS\"",
    ] {
        assert!(check.contains(needle), "check(1) lacks {needle}");
    }
    // Every category with its exit code.
    assert!(top.stdout.contains(".SH CATEGORIES"));
    assert!(
        top.stdout.contains("account\\-action\\-required \" (5)\""),
        "{}",
        top.stdout
    );
}

#[test]
fn man_dir_writes_every_page_and_man_reads_them_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.context());
    let pages = smtp_doctor::commands::shell::page_names();
    assert_eq!(out.stdout.lines().count(), pages.len(), "{}", out.stdout);
    for name in &pages {
        let path = dir.path().join(format!("{name}.1"));
        assert!(path.exists(), "{name}.1 not written");
        // `man --warnings` where man-db is installed (CI installs it).
        if let Ok(o) = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(&path)
            .env("MANWIDTH", "80")
            .env("LC_ALL", "C.UTF-8")
            .output()
        {
            assert!(o.status.success(), "man {name}: {}", text(&o.stderr));
            assert!(
                o.stderr.is_empty(),
                "man --warnings {name}: {}",
                text(&o.stderr)
            );
        }
    }
}

#[track_caller]
fn assert_usage_error(out: &Outcome, needle: &str) {
    let err = &out.stderr;
    assert_eq!(out.code, 2, "exit 2 expected; stderr: {err}");
    assert!(err.contains(needle), "stderr lacks {needle:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty(), "nothing on stdout: {}", out.stdout);
}

#[test]
fn bad_input_is_a_clear_usage_error() {
    assert_usage_error(
        &run(&["check", "alice@example.test", "--tls", "ssl"]),
        "invalid value 'ssl'",
    );
    assert_usage_error(
        &run(&["check", "alice@example.test", "--port", "70000"]),
        "70000",
    );
    assert_usage_error(
        &run(&["check", "alice@example.test", "--port", "0"]),
        "--port",
    );
    assert_usage_error(
        &run(&["check", "not-an-address"]),
        "is not an address of the form user@domain",
    );
    assert_usage_error(&run(&["check"]), "give an ADDRESS or --host");
    assert_usage_error(
        &run(&[
            "check",
            "a@example.test",
            "--host",
            "127.0.0.1",
            "--password-file",
            "/nonexistent/pw",
        ]),
        "cannot read --password-file /nonexistent/pw",
    );
    assert_usage_error(
        &run(&["check", "a@example.test", "--timeout", "0"]),
        "--timeout",
    );
    assert_usage_error(
        &run(&["explain", "/nonexistent/ticket.txt"]),
        "cannot read input file",
    );
    assert_usage_error(
        &run(&[
            "check",
            "a@example.test",
            "--cafile",
            "/nonexistent/ca.pem",
            "--host",
            "127.0.0.1",
        ]),
        "--cafile",
    );
}

#[test]
fn empty_password_stdin_is_refused_with_a_hint() {
    let out = check_closed_port()
        .arg("--password-stdin")
        .stdin_bytes("")
        .run();
    assert_usage_error(&out, "standard input is empty");
    assert!(out.stderr.contains("hint:"));
}

#[test]
fn password_file_readable_by_others_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pw");
    std::fs::write(&path, "File-S3cret\n").unwrap();
    // Both runs: no form of the file's secret in any output.
    let check = check_closed_port()
        .arg("--password-file")
        .arg(&path)
        .secret("a@example.test", "File-S3cret");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = check.run();
    assert!(
        out.stderr.contains("is readable by others"),
        "{}",
        out.stderr
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = check.run();
    assert!(!out.stderr.contains("readable by others"));
    assert_eq!(out.code, 3, "the secret was read and the check ran");
}

#[test]
fn implicit_tls_on_587_warns() {
    let out = bin()
        .args([
            "check",
            "a@example.test",
            "--host",
            "127.0.0.1",
            "--port",
            "587",
            "--tls",
            "implicit",
            "--timeout",
            "1",
            "--no-auth",
        ])
        .run();
    assert!(
        out.stderr.contains("587 normally uses STARTTLS"),
        "{}",
        out.stderr
    );
}

#[test]
fn password_from_stdin_is_used_and_never_printed() {
    let secret = "Stdin-S3cret-Marker";
    let out = check_closed_port()
        .args(["--password-stdin", "--format", "json", "--verbose"])
        .stdin_bytes(format!("{secret}\n"))
        .secret("a@example.test", secret)
        .run();
    assert_eq!(out.code, 3);
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let f = fixture(GMAIL_FIXTURE);
    let piped = run(&["explain", &f]);
    assert!(!piped.stdout.contains('\x1b'), "no escape codes when piped");
    let forced = run(&["--color", "always", "explain", &f]);
    assert!(forced.stdout.contains("\x1b["), "--color always colours");
    let cli_force = bin().args(["explain", &f]).env("CLICOLOR_FORCE", "1").run();
    assert!(cli_force.stdout.contains("\x1b["), "CLICOLOR_FORCE colours");
    let never = bin()
        .args(["--color", "never", "explain", &f])
        .env("CLICOLOR_FORCE", "1")
        .run();
    assert!(!never.stdout.contains('\x1b'), "--color never wins");
    let json = run(&["--color", "always", "explain", "--format", "json", &f]);
    assert!(!json.stdout.contains('\x1b'), "JSON is never coloured");
}

/// Runs `cmd` in a pseudo-terminal and returns everything it printed.
fn in_pty(cmd: Command, drive: impl FnOnce(&mut expectrl::session::Session)) -> String {
    let mut session = expectrl::session::Session::spawn(cmd).expect("spawn in a pty");
    session.set_expect_timeout(Some(Duration::from_secs(20)));
    drive(&mut session);
    let found = session.expect(expectrl::Eof).expect("program ends");
    // The Eof needle matches everything left in the buffer.
    text(found.as_bytes())
}

#[test]
fn terminal_output_is_coloured_unless_no_color() {
    let f = fixture(GMAIL_FIXTURE);
    let cmd = bin().args(["explain", &f]).command();
    assert!(
        in_pty(cmd, |_| {}).contains("\x1b["),
        "a terminal gets colour"
    );
    let cmd = bin().args(["explain", &f]).env("NO_COLOR", "1").command();
    assert!(
        !in_pty(cmd, |_| {}).contains("\x1b["),
        "NO_COLOR turns it off"
    );
}

#[test]
fn password_prompt_does_not_echo() {
    let secret = "Pty-S3cret-Marker";
    let cmd = check_closed_port().args(["--color", "never"]).command();
    let out = in_pty(cmd, |s| {
        s.expect("Password for a@example.test: ").expect("prompt");
        s.send_line(secret).expect("type the password");
    });
    assert!(out.contains("connection-refused"), "{out}");
    assert!(!out.contains(secret), "the password was echoed: {out}");
}

#[test]
fn ctrl_c_mid_check_leaves_no_half_written_report() {
    // A server that accepts and never greets, so the check is mid-greeting.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || {
        let conns: Vec<_> = listener.incoming().take(1).collect();
        std::thread::sleep(Duration::from_secs(3));
        drop(conns);
    });
    let cmd = bin()
        .args([
            "check",
            "a@example.test",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--timeout",
            "10",
        ])
        .env("SMTP_DOCTOR_PASSWORD", "x")
        .command();
    let started = std::time::Instant::now();
    let out = in_pty(cmd, |s| {
        std::thread::sleep(Duration::from_millis(700));
        s.send(expectrl::ControlCode::EndOfText)
            .expect("send Ctrl-C");
    });
    // The check would run for 10 s; Ctrl-C ended it, and nothing of a
    // report was written (reports are written in one piece at the end).
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "Ctrl-C did not stop the check"
    );
    assert!(
        !out.contains("result:") && !out.contains("127.0.0.1:"),
        "partial report after Ctrl-C: {out:?}"
    );
    holder.join().unwrap();
}

#[test]
fn demo_runs_every_scenario_as_expected_and_its_json_validates() {
    let out = run(&["demo"]);
    let stdout = &out.stdout;
    assert_eq!(out.code, 0, "{stdout}");
    for id in [
        "gmail-app-password-required",
        "microsoft-smtp-auth-disabled-tenant",
        "implicit-tls-on-starttls-port",
        "result: ok",
    ] {
        assert!(stdout.contains(id), "demo output lacks {id}");
    }
    assert!(!stdout.contains("NOT what the demo expected"));
    let json = run(&["demo", "--format", "json"]);
    // JSON Lines: one document per line (the runner validated each).
    let docs: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    assert_eq!(docs.len(), 4);
    for d in &docs {
        support::schema::assert_valid(d);
    }
    let cats: Vec<&str> = docs
        .iter()
        .map(|d| d["category"].as_str().unwrap())
        .collect();
    assert_eq!(
        cats,
        [
            "app-password-required",
            "auth-disabled-by-policy",
            "tls-mode-mismatch",
            "ok"
        ]
    );
}

#[test]
fn explain_json_of_every_fixture_validates_against_the_schema() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/explain");
    let mut n = 0;
    for group in std::fs::read_dir(root).unwrap().flatten() {
        for f in std::fs::read_dir(group.path()).unwrap().flatten() {
            if f.path().extension().is_some_and(|e| e == "txt") {
                let report = smtp_doctor::explain_bytes(&std::fs::read(f.path()).unwrap());
                let mut buf = Vec::new();
                smtp_doctor::render::json::render(&report, &mut buf).unwrap();
                support::schema::assert_valid(&serde_json::from_slice(&buf).unwrap());
                n += 1;
            }
        }
    }
    assert!(n > 100);
}

#[test]
fn schema_rejects_documents_that_break_the_contract() {
    let bad =
        serde_json::json!({"version": 1, "category": "kaput", "exit_code": 9, "diagnoses": []});
    assert!(std::panic::catch_unwind(|| support::schema::assert_valid(&bad)).is_err());
    let extra = serde_json::json!({"version": 1, "category": "ok", "exit_code": 0, "diagnoses": [], "surprise": true});
    assert!(std::panic::catch_unwind(|| support::schema::assert_valid(&extra)).is_err());
    // The batch summary line is the only other shape, and only on its own.
    let mixed = serde_json::json!({"version": 1, "category": "ok", "exit_code": 0, "diagnoses": [], "summary": {}});
    assert!(std::panic::catch_unwind(|| support::schema::assert_valid(&mixed)).is_err());
    let summary = serde_json::json!({"summary": {"version": 1, "accounts": 1}});
    assert!(std::panic::catch_unwind(|| support::schema::assert_valid(&summary)).is_err());
}

#[test]
fn a_closed_stdout_exits_0_without_a_word() {
    // `smtp-doctor explain big.txt | head -1`: the reader has gone before the
    // report is written. Closing the pipe before the input arrives makes the
    // write fail every time, not only when the report outgrows the pipe.
    use std::io::Write;
    use std::process::Stdio;
    let mut child = bin()
        .command()
        .args(["explain", "--color", "never"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    let paste = std::fs::read(fixture(GMAIL_FIXTURE)).unwrap();
    stdin.write_all(&paste.repeat(50)).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
}
