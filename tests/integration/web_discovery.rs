//! Discovery's HTTP sources end to end, on loopback only: an in-process
//! HTTPS server (tests/support/web.rs, certificates from the test CA, given
//! with `--cafile`) serves autoconfig files, an ISPDB and Autodiscover
//! answers; the in-process DNS server resolves `autoconfig.<domain>` and
//! friends to 127.0.0.1. `SMTP_DOCTOR_HTTP_PORTS` moves the default https
//! port to the test server's. Every run is `--dry-run`: nothing but the web
//! and DNS servers is contacted, and the candidates are compared.

use crate::support;

use serde_json::Value;
use std::time::{Duration, Instant};
use support::certs;
use support::dns::TestDns;
use support::run::{Doctor, Outcome};
use support::web::{autoconfig, autodiscover, ports_env, Reply, Web, WebServer};

const CONFIG: &str = "/mail/config-v1.1.xml";
const WELL_KNOWN: &str = "/.well-known/autoconfig/mail/config-v1.1.xml";
const AUTODISCOVER: &str = "/autodiscover/autodiscover.xml";

#[track_caller]
fn dry_run(address: &str, dns: std::net::SocketAddr, web: &WebServer, extra: &[&str]) -> Outcome {
    let mut args = vec![
        "check".to_string(),
        address.to_string(),
        "--dry-run".into(),
        "--dns-server".into(),
        dns.to_string(),
        "--cafile".into(),
        certs::ca_file().display().to_string(),
        "--timeout".into(),
        "2".into(),
        "--ispdb".into(),
        format!("https://127.0.0.1:{}/v1.1/", web.port()),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    Doctor::new()
        .args(args)
        .env("SMTP_DOCTOR_HTTP_PORTS", ports_env(web, None))
        .run()
}

fn json(run: &Outcome) -> Value {
    run.expect_json().clone()
}

#[track_caller]
fn json_run(address: &str, dns: std::net::SocketAddr, web: &WebServer) -> (Outcome, Value) {
    let run = dry_run(address, dns, web, &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.context());
    let v = json(&run);
    (run, v)
}

/// `source trust host:port tls` of each candidate.
fn candidates(v: &Value) -> Vec<String> {
    v["discovery"]["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .map(|c| {
            format!(
                "{} {} {}:{} {}",
                c["source"].as_str().unwrap_or("?"),
                c["trust"].as_str().unwrap_or("?"),
                c["host"].as_str().unwrap_or("?"),
                c["port"],
                c["tls"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

fn http_lines(v: &Value) -> Vec<String> {
    v["discovery"]["http"]
        .as_array()
        .expect("http")
        .iter()
        .map(|h| {
            format!(
                "{} {} {}",
                h["source"].as_str().unwrap_or("?"),
                h["url"].as_str().unwrap_or("?"),
                h["result"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

#[test]
fn provider_autoconfig_is_the_first_candidate_with_user_name_and_authentication() {
    let d = "provider.test";
    let web = Web::https()
        .route(
            &format!("autoconfig.{d}"),
            CONFIG,
            Reply::Xml(autoconfig("smtp.%EMAILDOMAIN%", 465, "SSL")),
        )
        .spawn();
    let dns = TestDns::new()
        .zone(d)
        .a(&format!("autoconfig.{d}"), "127.0.0.1")
        .spawn();
    let (run, v) = json_run("alice@provider.test", dns.addr(), &web);
    assert_eq!(
        candidates(&v)[0],
        "autoconfig https smtp.provider.test:465 implicit",
        "{}",
        run.context()
    );
    let c = &v["discovery"]["candidates"][0];
    assert_eq!(c["username"], "alice@provider.test");
    assert_eq!(c["authentication"][0], "password-cleartext");
    assert!(c["url"]
        .as_str()
        .unwrap()
        .starts_with("https://autoconfig.provider.test"));
    // The address was sent as autoconfig asks for it.
    assert!(web
        .seen
        .lock()
        .unwrap()
        .iter()
        .any(|s| s.starts_with("autoconfig.provider.test /mail/")));
    // And the text report says the same.
    let text = dry_run("alice@provider.test", dns.addr(), &web, &[]);
    assert!(
        text.stdout.contains("autoconfig (https)"),
        "{}",
        text.context()
    );
    assert!(
        text.stdout
            .contains("user name alice@provider.test; authentication password-cleartext"),
        "{}",
        text.stdout
    );
}

#[test]
fn well_known_only() {
    let d = "wellknown.test";
    let web = Web::https()
        .route(
            d,
            WELL_KNOWN,
            Reply::Xml(autoconfig("mail.wellknown.test", 587, "STARTTLS")),
        )
        .spawn();
    let dns = TestDns::new().zone(d).a(d, "127.0.0.1").spawn();
    let (run, v) = json_run("bob@wellknown.test", dns.addr(), &web);
    assert_eq!(
        candidates(&v)[0],
        "autoconfig-wellknown https mail.wellknown.test:587 starttls",
        "{}",
        run.context()
    );
}

#[test]
fn ispdb_only() {
    let web = Web::https()
        .route(
            "127.0.0.1",
            "/v1.1/ispdb-only.test",
            Reply::Xml(autoconfig("smtp.ispdb-only.test", 465, "SSL")),
        )
        .spawn();
    let dns = TestDns::new().zone("ispdb-only.test").spawn();
    let (run, v) = json_run("carol@ispdb-only.test", dns.addr(), &web);
    assert_eq!(
        candidates(&v),
        ["ispdb https smtp.ispdb-only.test:465 implicit"],
        "{}",
        run.context()
    );
    // The steps that found nothing are lines too.
    let lines = http_lines(&v);
    assert!(
        lines.iter().any(
            |l| l.starts_with("autoconfig https://autoconfig.ispdb-only.test")
                && l.contains("not resolved")
        ),
        "{lines:?}"
    );
}

#[test]
fn ispdb_entry_of_the_mx_hosts_domain() {
    let web = Web::https()
        .route(
            "127.0.0.1",
            "/v1.1/bighoster.test",
            Reply::Xml(autoconfig("smtp.bighoster.test", 587, "STARTTLS")),
        )
        .spawn();
    let dns = TestDns::new()
        .zone("hoster-customer.test")
        .mx("hoster-customer.test", 10, "mx01.mail.bighoster.test")
        .spawn();
    let (run, v) = json_run("dan@hoster-customer.test", dns.addr(), &web);
    assert_eq!(
        candidates(&v),
        ["ispdb-mx https smtp.bighoster.test:587 starttls"],
        "{}",
        run.context()
    );
    // Both the MX host minus its first label and its base domain were asked.
    let lines = http_lines(&v).join("\n");
    assert!(
        lines.contains("/v1.1/mail.bighoster.test HTTP 404"),
        "{lines}"
    );
    assert!(
        lines.contains("/v1.1/bighoster.test SMTP smtp.bighoster.test:587"),
        "{lines}"
    );
}

#[test]
fn a_google_mx_outranks_a_web_hosts_autoconfig() {
    let d = "webhost-google.test";
    let web = Web::https()
        .route(
            &format!("autoconfig.{d}"),
            CONFIG,
            Reply::Xml(autoconfig("mail.webhost-google.test", 465, "SSL")),
        )
        .spawn();
    let dns = TestDns::new()
        .zone(d)
        .a(&format!("autoconfig.{d}"), "127.0.0.1")
        .mx(d, 1, "aspmx.l.google.com")
        .spawn();
    let (run, v) = json_run("erin@webhost-google.test", dns.addr(), &web);
    assert_eq!(
        candidates(&v),
        [
            "mx-provider dns smtp.gmail.com:587 starttls",
            "autoconfig https mail.webhost-google.test:465 implicit"
        ],
        "{}",
        run.context()
    );
    let notes = v["discovery"]["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("mx-provider ranks higher")),
        "{notes:?}"
    );
}

#[test]
fn autodiscover_pox() {
    let d = "autodiscover.test";
    let web = Web::https()
        .route(
            &format!("autodiscover.{d}"),
            AUTODISCOVER,
            Reply::Xml(autodiscover("smtp.autodiscover.test", 587, "TLS")),
        )
        .spawn();
    let dns = TestDns::new()
        .zone(d)
        .a(&format!("autodiscover.{d}"), "127.0.0.1")
        .spawn();
    let (run, v) = json_run("frank@autodiscover.test", dns.addr(), &web);
    assert_eq!(
        candidates(&v),
        ["autodiscover https smtp.autodiscover.test:587 starttls"],
        "{}",
        run.context()
    );
}

#[test]
fn srv_disagreeing_with_autoconfig_is_noted_and_ranks_below() {
    let d = "srv-disagrees.test";
    let web = Web::https()
        .route(
            &format!("autoconfig.{d}"),
            CONFIG,
            Reply::Xml(autoconfig("smtp.srv-disagrees.test", 465, "SSL")),
        )
        .spawn();
    let dns = TestDns::new()
        .zone(d)
        .a(&format!("autoconfig.{d}"), "127.0.0.1")
        .srv(
            &format!("_submission._tcp.{d}"),
            0,
            1,
            587,
            "old.srv-disagrees.test",
        )
        .spawn();
    let (run, v) = json_run("gina@srv-disagrees.test", dns.addr(), &web);
    assert_eq!(
        candidates(&v),
        [
            "autoconfig https smtp.srv-disagrees.test:465 implicit",
            "srv dns old.srv-disagrees.test:587 starttls"
        ],
        "{}",
        run.context()
    );
    let notes = v["discovery"]["notes"].to_string();
    assert!(
        notes.contains("old.srv-disagrees.test") && notes.contains("higher sources"),
        "{notes}"
    );
}

#[test]
fn hostile_answers_are_each_a_clear_line_and_end_in_time() {
    let d = "hostile.test";
    let web = Web::https()
        .route(&format!("autoconfig.{d}"), CONFIG, Reply::Status(500))
        .route(d, WELL_KNOWN, Reply::Redirect(format!("https://{d}{WELL_KNOWN}")))
        .route("127.0.0.1", "/v1.1/hostile.test", Reply::Huge(50 * 1024 * 1024))
        .route(&format!("autodiscover.{d}"), AUTODISCOVER, Reply::Xml("<Autodiscover><Response>".into()))
        .route(
            d,
            AUTODISCOVER,
            Reply::Xml(r#"<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><Autodiscover>&b;</Autodiscover>"#.into()),
        )
        .spawn();
    let dns = TestDns::new()
        .zone(d)
        .a(d, "127.0.0.1")
        .a(&format!("autoconfig.{d}"), "127.0.0.1")
        .a(&format!("autodiscover.{d}"), "127.0.0.1")
        .spawn();
    let started = Instant::now();
    let (run, v) = json_run("hank@hostile.test", dns.addr(), &web);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    let lines = http_lines(&v).join("\n");
    for want in [
        "autoconfig https://autoconfig.hostile.test/mail/config-v1.1.xml?emailaddress=hank%40hostile.test HTTP 500",
        "more than 5 redirects",
        "answer larger than 1024 KiB, not read",
        "malformed XML",
        "refused: the XML has a DTD",
    ] {
        assert!(lines.contains(want), "missing {want:?} in\n{lines}\n{}", run.context());
    }
    // Nothing usable: the guesses remain (plain HTTP asked last, untrusted).
    assert!(
        candidates(&v).iter().all(|c| c.starts_with("guess guess")),
        "{:?}",
        candidates(&v)
    );
}

#[test]
fn a_silent_https_server_costs_one_step_deadline() {
    let d = "hostile.test";
    let web = Web::silent().spawn();
    let dns = TestDns::new()
        .zone(d)
        .a(&format!("autoconfig.{d}"), "127.0.0.1")
        .spawn();
    let started = Instant::now();
    let (run, v) = json_run("ida@hostile.test", dns.addr(), &web);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let lines = http_lines(&v).join("\n");
    assert!(
        lines.contains("no answer within 5s"),
        "{lines}\n{}",
        run.context()
    );
}

#[test]
fn no_http_asks_no_web_server() {
    let d = "provider.test";
    let web = Web::https()
        .route(
            &format!("autoconfig.{d}"),
            CONFIG,
            Reply::Xml(autoconfig("smtp.provider.test", 465, "SSL")),
        )
        .spawn();
    let dns = TestDns::new()
        .zone(d)
        .a(&format!("autoconfig.{d}"), "127.0.0.1")
        .spawn();
    let run = dry_run(
        "alice@provider.test",
        dns.addr(),
        &web,
        &["--format", "json", "--no-http"],
    );
    let v = json(&run);
    assert!(web.seen.lock().unwrap().is_empty());
    assert_eq!(v["discovery"]["http"].as_array().map(Vec::len), Some(0));
    assert!(candidates(&v).iter().all(|c| c.starts_with("guess")));
}

#[test]
fn plain_http_autoconfig_is_the_last_resort_and_marked_untrusted() {
    let d = "guess-only.test";
    let https = Web::https().spawn();
    let http = Web::http()
        .route(
            &format!("autoconfig.{d}"),
            CONFIG,
            Reply::Xml(autoconfig("smtp.guess-only.test", 587, "STARTTLS")),
        )
        .spawn();
    let dns = TestDns::new()
        .zone(d)
        .a(&format!("autoconfig.{d}"), "127.0.0.1")
        .spawn();
    let run = Doctor::new()
        .args([
            "check",
            "jo@guess-only.test",
            "--dry-run",
            "--format",
            "json",
            "--dns-server",
            &dns.addr().to_string(),
            "--cafile",
            &certs::ca_file().display().to_string(),
            "--ispdb",
            &format!("https://127.0.0.1:{}/v1.1/", https.port()),
        ])
        .env("SMTP_DOCTOR_HTTP_PORTS", ports_env(&https, Some(&http)))
        .run();
    let v = json(&run);
    assert_eq!(
        candidates(&v),
        ["autoconfig http smtp.guess-only.test:587 starttls"],
        "{}",
        run.context()
    );
    assert!(http_lines(&v)
        .iter()
        .any(|l| l.contains("over plain HTTP, untrusted")));
}

#[test]
fn settings_prints_what_to_type_where() {
    let d = "settings.test";
    let web = Web::https()
        .route(
            &format!("autoconfig.{d}"),
            CONFIG,
            Reply::Xml(autoconfig("smtp.settings.test", 465, "SSL")),
        )
        .spawn();
    let dns = TestDns::new()
        .zone(d)
        .a(&format!("autoconfig.{d}"), "127.0.0.1")
        .spawn();
    let run = Doctor::new()
        .args([
            "settings",
            "kim@settings.test",
            "--dns-server",
            &dns.addr().to_string(),
            "--cafile",
            &certs::ca_file().display().to_string(),
            "--ispdb",
            &format!("https://127.0.0.1:{}/v1.1/", web.port()),
        ])
        .env("SMTP_DOCTOR_HTTP_PORTS", ports_env(&web, None))
        .run();
    assert_eq!(run.code, 0, "{}", run.context());
    for want in [
        "Server:     smtp.settings.test",
        "Port:       465",
        "Security:   SSL/TLS",
        "User name:  kim@settings.test",
        "Found by:   autoconfig (https) https://autoconfig.settings.test/mail/config-v1.1.xml?emailaddress=kim%40settings.test",
        "Gmail \"Send mail as\"",
        "SMTP Server smtp.settings.test, Port 465, Username kim@settings.test\n",
        "\"Secured connection using SSL\"",
        "Outlook (",
        "Encryption method SSL/TLS",
        "Thunderbird (",
        "Connection security SSL/TLS, Authentication method Normal password, User Name kim@settings.test",
        "Apple Mail (",
    ] {
        assert!(run.stdout.contains(want), "missing {want:?}\n{}", run.stdout);
    }
    // A personal Outlook.com address: OAuth only, so no Gmail "Send mail as".
    let run = Doctor::new()
        .args([
            "settings",
            "lee@outlook.com",
            "--no-http",
            "--dns-server",
            &dns.addr().to_string(),
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.context());
    assert!(
        run.stdout.contains("Security:   STARTTLS") && run.stdout.contains("only OAuth"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("will not work"), "{}", run.stdout);
}
