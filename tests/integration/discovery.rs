//! Discovery end to end: `smtp-doctor check alice@<test domain> --dns-server
//! 127.0.0.1:PORT` with only a password, against a real DNS server on
//! loopback (hickory-server, tests/support/dns.rs) whose SRV/A/AAAA records
//! point at in-process fake SMTP servers. No test touches real DNS or the
//! internet: every name is under `.test`, or is answered by the test server,
//! or is only listed (`--dry-run`), never connected to.

use crate::support;

use std::time::Duration;

use support::certs;
use support::dns::{DnsServer, TestDns};
use support::fake_smtp::FakeSmtp;
use support::run::{Doctor, Outcome};

const PASSWORD: &str = "Disc0very-Marker-7q!";

/// `source host:port tls category` of every endpoint probed.
fn endpoints(run: &Outcome) -> Vec<String> {
    run.expect_json()["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|e| {
            format!(
                "{} {}:{} {} {}",
                e["source"].as_str().unwrap_or("?"),
                e["host"].as_str().unwrap_or("?"),
                e["port"],
                e["tls"].as_str().unwrap_or("?"),
                e["category"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// Runs `smtp-doctor check ADDRESS --dns-server DNS --format json` plus
/// `extra`, with the password for ADDRESS; stdout must be one JSON document.
#[track_caller]
fn check(address: &str, dns: std::net::SocketAddr, extra: &[&str]) -> Outcome {
    let mut args = vec![
        "check".to_string(),
        address.to_string(),
        "--dns-server".into(),
        dns.to_string(),
        "--cafile".into(),
        certs::ca_file().display().to_string(),
        "--format".into(),
        "json".into(),
    ];
    if !extra.contains(&"--timeout") {
        args.extend(["--timeout".into(), "2".into()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let run = Doctor::new()
        .args(args)
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        .secret(address, PASSWORD)
        .run();
    run.expect_json();
    run
}

fn submission_server(user: &str) -> support::fake_smtp::Server {
    FakeSmtp::starttls().accept(user, PASSWORD).spawn()
}

fn implicit_server(user: &str) -> support::fake_smtp::Server {
    FakeSmtp::implicit().accept(user, PASSWORD).spawn()
}

#[test]
fn srv_submissions_is_found_and_probed_first_over_both_families() {
    let user = "alice@srv-ok.test";
    let implicit = implicit_server(user);
    let starttls = submission_server(user);
    let dns = TestDns::new()
        .zone("srv-ok.test")
        .srv(
            "_submissions._tcp.srv-ok.test",
            0,
            1,
            implicit.port(),
            "mail.srv-ok.test",
        )
        .srv(
            "_submission._tcp.srv-ok.test",
            0,
            1,
            starttls.port(),
            "smtp.srv-ok.test",
        )
        .a("mail.srv-ok.test", "127.0.0.1")
        .a("mail.srv-ok.test", "::1")
        .a("smtp.srv-ok.test", "127.0.0.1")
        .spawn();

    let run = check(user, dns.addr(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.expect_json()["category"], "ok");
    assert_eq!(
        endpoints(&run),
        [format!(
            "srv mail.srv-ok.test:{} implicit ok",
            implicit.port()
        )],
        "{}",
        run.stdout
    );
    // Happy Eyeballs: both families tried; IPv4 answered (the fake listens on
    // 127.0.0.1 only), and the connect detail says what happened to IPv6.
    let connect = &run.expect_json()["endpoints"][0]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "connect")
        .expect("connect stage")["detail"];
    let connect = connect.as_str().unwrap();
    assert!(
        connect.starts_with("127.0.0.1:") && connect.contains("(IPv4)"),
        "{connect}"
    );
    assert!(connect.contains("IPv6 [::1]:"), "{connect}");
    // The STARTTLS candidate was listed, but not probed: the first one authenticated.
    assert_eq!(starttls.connections(), 0);
    let cands = run.expect_json()["discovery"]["candidates"]
        .as_array()
        .unwrap();
    assert_eq!(cands.len(), 2, "{}", run.stdout);
    assert_eq!(cands[1]["source"], "srv");
    assert_eq!(cands[1]["tls"], "starttls");
    assert_eq!(cands[1]["probed"], false);

    // --all probes both, in order.
    let run = check(user, dns.addr(), &["--all"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        endpoints(&run),
        [
            format!("srv mail.srv-ok.test:{} implicit ok", implicit.port()),
            format!("srv smtp.srv-ok.test:{} starttls ok", starttls.port()),
        ]
    );
}

/// `srv-ok.test` whose first SRV target (`_submissions`, implicit TLS) is a
/// closed port and whose second (`_submission`) is `working_port`; returns the
/// server and the closed port.
fn closed_then_working(working_port: u16) -> (DnsServer, u16) {
    // Nothing listens on a port that was bound and released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let dns = TestDns::new()
        .zone("srv-ok.test")
        .srv(
            "_submissions._tcp.srv-ok.test",
            0,
            0,
            closed_port,
            "mail.srv-ok.test",
        )
        .srv(
            "_submission._tcp.srv-ok.test",
            0,
            0,
            working_port,
            "smtp.srv-ok.test",
        )
        .a("mail.srv-ok.test", "127.0.0.1")
        .a("smtp.srv-ok.test", "127.0.0.1")
        .spawn();
    (dns, closed_port)
}

#[test]
fn failing_endpoint_falls_through_to_the_next_and_best_outcome_wins() {
    let user = "alice@srv-ok.test";
    let working = submission_server(user);
    let (dns, closed_port) = closed_then_working(working.port());
    let run = check(user, dns.addr(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        endpoints(&run),
        [
            format!("srv mail.srv-ok.test:{closed_port} implicit connection-refused"),
            format!("srv smtp.srv-ok.test:{} starttls ok", working.port()),
        ]
    );
    assert!(
        !run.ids().contains(&"connection-refused"),
        "{:?}",
        run.ids()
    );
}

#[test]
fn srv_target_outside_the_domain_is_used_with_a_warning() {
    let user = "alice@srv-out.test";
    let server = submission_server(user);
    let dns = TestDns::new()
        .zone("srv-out.test")
        .zone("hoster.test")
        .srv(
            "_submission._tcp.srv-out.test",
            0,
            0,
            server.port(),
            "smtp.hoster.test",
        )
        .a("smtp.hoster.test", "127.0.0.1")
        .spawn();
    let run = check(user, dns.addr(), &[]);
    assert_eq!(
        run.code, 0,
        "a warning never changes the exit code\n{}",
        run.stdout
    );
    assert_eq!(run.expect_json()["category"], "ok");
    assert_eq!(
        endpoints(&run),
        [format!(
            "srv smtp.hoster.test:{} starttls ok",
            server.port()
        )]
    );
    assert!(
        run.ids().contains(&"srv-target-outside-domain"),
        "{:?}",
        run.ids()
    );
    let d = &run.expect_json()["diagnoses"].as_array().unwrap()[0];
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["category"], "ok");
}

#[test]
fn mx_of_a_known_provider_is_recognised_and_not_probed() {
    // MX under google.com: a Google Workspace domain. --dry-run lists the
    // candidates and connects to nothing, so smtp.gmail.com is never reached.
    let dns = TestDns::new()
        .zone("custom.test")
        .mx("custom.test", 1, "aspmx.l.google.com")
        .mx("custom.test", 5, "alt1.aspmx.l.google.com")
        .spawn();
    let run = check("alice@custom.test", dns.addr(), &["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.expect_json()["endpoints"].as_array().map(Vec::len),
        Some(0)
    );
    let cands = run.expect_json()["discovery"]["candidates"]
        .as_array()
        .unwrap();
    assert_eq!(cands.len(), 1, "{}", run.stdout);
    assert_eq!(cands[0]["host"], "smtp.gmail.com");
    assert_eq!(cands[0]["port"], 587);
    assert_eq!(cands[0]["tls"], "starttls");
    assert_eq!(cands[0]["source"], "mx-provider");
    assert_eq!(cands[0]["probed"], false);
    assert!(cands[0]["detail"]
        .as_str()
        .unwrap()
        .contains("aspmx.l.google.com"));
    // The MX itself is never a candidate.
    assert!(!run.stdout.contains("\"host\": \"aspmx.l.google.com\""));
}

#[test]
fn nxdomain_is_dns_name_not_found_naming_the_domain() {
    let dns = TestDns::new().zone("nx.test").spawn();
    let run = check("alice@gone.nx.test", dns.addr(), &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.expect_json()["category"], "dns-failure");
    assert_eq!(run.ids()[0], "dns-name-not-found", "{}", run.stdout);
    let detail = run.expect_json()["diagnoses"][0]["detail"]
        .as_str()
        .unwrap_or("");
    assert!(
        detail.contains("gone.nx.test itself does not exist"),
        "{detail}"
    );
    assert_eq!(
        endpoints(&run),
        ["guess smtp.gone.nx.test:587 starttls dns-failure"]
    );
}

#[test]
fn servfail_is_told_apart() {
    let dns = TestDns::new().servfail("broken.test").spawn();
    let run = check("alice@broken.test", dns.addr(), &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.ids()[0], "dns-server-failure", "{}", run.stdout);
}

#[test]
fn name_without_addresses_is_no_records() {
    let dns = TestDns::new()
        .zone("noaddr.test")
        .mx("smtp.noaddr.test", 10, "mx.noaddr.test")
        .spawn();
    let run = check(
        "alice@noaddr.test",
        dns.addr(),
        &["--host", "smtp.noaddr.test"],
    );
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.ids()[0], "dns-no-address-records", "{}", run.stdout);
    assert_eq!(
        endpoints(&run),
        ["given smtp.noaddr.test:587 starttls dns-failure"]
    );
}

#[test]
fn silent_dns_server_is_a_timeout() {
    let dns = TestDns::silent();
    let run = check("alice@slow.test", dns.addr(), &["--timeout", "1"]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.expect_json()["category"], "dns-failure");
    assert_eq!(run.ids()[0], "dns-timeout", "{}", run.stdout);
    let evidence = run.expect_json()["diagnoses"][0]["evidence"]
        .as_str()
        .unwrap_or("");
    assert!(evidence.contains("timeout"), "{evidence}");
    // One deadline: every discovery lookup went unanswered (1 s, in
    // parallel), so no guess is probed through the same silent server.
    assert_eq!(endpoints(&run).len(), 0, "{}", run.stdout);
    assert!(run.elapsed < Duration::from_secs(4), "{:?}", run.elapsed);
}

#[test]
fn given_host_that_looks_like_an_mx_is_warned_about() {
    let user = "alice@mx-warn.test";
    let server = submission_server(user);
    let dns = TestDns::new()
        .zone("mx-warn.test")
        .a("mx1.mx-warn.test", "127.0.0.1")
        .spawn();
    let port = server.port().to_string();
    let run = check(
        user,
        dns.addr(),
        &["--host", "mx1.mx-warn.test", "--port", &port],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.ids(), ["host-looks-like-mx"], "{}", run.stdout);
    assert_eq!(run.expect_json()["endpoints"][0]["source"], "given");
    assert!(run.expect_json().get("discovery").is_none());
}

#[test]
fn nagios_describes_the_best_endpoint_and_counts_the_candidates_tried() {
    let user = "alice@srv-ok.test";
    let working = submission_server(user);
    let (dns, _closed_port) = closed_then_working(working.port());
    let run = Doctor::new()
        .args(["check", user, "--dns-server", &dns.addr().to_string()])
        .arg("--cafile")
        .arg(certs::ca_file())
        .args(["--timeout", "2", "--format", "nagios"])
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        .secret(user, PASSWORD)
        .run();
    assert_eq!(run.code, 0, "{}", run.context());
    let line = run.stdout.lines().next().unwrap();
    println!("{line}");
    let (status, perf) = line.split_once(" | ").expect("perfdata");
    assert!(
        status.starts_with(&format!("SMTP OK - {user} authenticated in ")),
        "{line}"
    );
    assert!(
        status.ends_with(&format!(
            "; best endpoint smtp.srv-ok.test:{} (2 of 2 candidates tried)",
            working.port()
        )),
        "{line}"
    );
    // The stage times and the certificate are the working endpoint's (the
    // refused one has neither TLS nor AUTH).
    for label in ["connect=", "greeting=", "tls=", "auth=", "cert_days="] {
        assert!(perf.contains(label), "{label} missing: {line}");
    }
    assert!(perf.ends_with(" candidates_tried=2;;;0;2"), "{line}");

    // --all with two working endpoints: the first is the best (a tie goes
    // to the earlier candidate), and both count as tried.
    let implicit = implicit_server(user);
    let dns = TestDns::new()
        .zone("srv-ok.test")
        .srv(
            "_submissions._tcp.srv-ok.test",
            0,
            0,
            implicit.port(),
            "mail.srv-ok.test",
        )
        .srv(
            "_submission._tcp.srv-ok.test",
            0,
            0,
            working.port(),
            "smtp.srv-ok.test",
        )
        .a("mail.srv-ok.test", "127.0.0.1")
        .a("smtp.srv-ok.test", "127.0.0.1")
        .spawn();
    let run = Doctor::new()
        .args(["check", user, "--dns-server", &dns.addr().to_string()])
        .arg("--cafile")
        .arg(certs::ca_file())
        .args(["--timeout", "2", "--monitoring", "--all"])
        .env("SMTP_DOCTOR_PASSWORD", PASSWORD)
        .secret(user, PASSWORD)
        .run();
    assert_eq!(run.code, 0, "{}", run.context());
    assert!(
        run.stdout.contains(&format!(
            "; best endpoint mail.srv-ok.test:{} (2 of 2 candidates tried) | ",
            implicit.port()
        )),
        "{}",
        run.context()
    );
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.context());
}

#[test]
fn only_guesses_are_probed_without_the_secret_and_the_one_that_answers_gets_it() {
    // smtp.<domain> resolves to 127.0.0.2, where nothing listens; mail.<domain>
    // to 127.0.0.1, where an implicit-TLS server answers on the port given.
    // (srv-ok.test: the test certificate names its smtp. and mail. hosts; no SRV here.)
    let user = "alice@srv-ok.test";
    let server = implicit_server(user);
    let dns = TestDns::new()
        .zone("srv-ok.test")
        .a("smtp.srv-ok.test", "127.0.0.2")
        .a("mail.srv-ok.test", "127.0.0.1")
        .spawn();
    let port = server.port().to_string();
    let run = check(
        user,
        dns.addr(),
        &["--no-http", "--port", &port, "--tls", "implicit"],
    );
    assert_eq!(run.code, 0, "{}", run.context());
    // Only the guess that answered was probed with the secret.
    assert_eq!(
        endpoints(&run),
        [format!("guess mail.srv-ok.test:{port} implicit ok")],
        "{}",
        run.context()
    );
    let notes = run.expect_json()["discovery"]["notes"].to_string();
    assert!(
        notes.contains("guess smtp.srv-ok.test") && notes.contains("answered up to AUTH"),
        "{notes}"
    );
}
