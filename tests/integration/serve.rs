//! `smtp-doctor serve` as a process: the exporter against a fake server that
//! counts AUTH commands, the hostile cases (unknown target, oversized body,
//! slowloris, a flood of scrapes, invalid configs) and `POST /explain`.
//!
//! A tiny HTTP/1.1 client over `std::net::TcpStream` (one request per
//! connection, `Connection: close`) keeps the tests free of an HTTP crate.

use crate::support;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::certs;
use support::fake_smtp::{FakeSmtp, Server};
use support::leak::assert_no_leak;
use support::run::Doctor;

const USER: &str = "alice@example.test";
const PASSWORD: &str = "S3rve-Marker-4q!";

/// A config in a temporary directory, with the secret file mode 600.
struct Config {
    dir: tempfile::TempDir,
    path: PathBuf,
}

fn config(body: &str) -> Config {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    let path = dir.path().join("smtp-doctor.toml");
    let text = body
        .replace("@PW@", &pw.display().to_string())
        .replace("@CA@", &certs::ca_file().display().to_string());
    std::fs::write(&path, text).unwrap();
    Config { dir, path }
}

fn account(server: &Server, extra: &str) -> String {
    format!(
        "min_interval = \"1h\"\ncafile = \"@CA@\"\n{extra}\n[accounts.alerts]\naddress = \"{USER}\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"starttls\"\npassword_file = \"@PW@\"\n",
        server.port()
    )
}

/// A running `smtp-doctor serve`; killed when dropped, its stderr kept.
struct Serve {
    child: Child,
    port: u16,
    stderr: mpsc::Receiver<String>,
    _config: Config,
}

impl Serve {
    fn start(config: Config) -> Serve {
        let mut child = Doctor::new()
            .command()
            .arg("serve")
            .arg("--config")
            .arg(&config.path)
            .args(["--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("serve printed its listening line");
        let port = first
            .rsplit_once("127.0.0.1:")
            .and_then(|(_, rest)| rest.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {first:?}"));
        Serve {
            child,
            port,
            stderr: rx,
            _config: config,
        }
    }

    fn get(&self, path: &str) -> (u16, String) {
        request(
            self.port,
            &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
            b"",
        )
    }

    fn post(&self, path: &str, body: &[u8]) -> (u16, String) {
        request(
            self.port,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
                body.len()
            ),
            body,
        )
    }

    /// A metric's value in `/metrics`.
    fn counter(&self, name: &str) -> f64 {
        let (_, body) = self.get("/metrics");
        value(&body, name).unwrap_or_else(|| panic!("{name} missing from\n{body}"))
    }

    /// SIGTERM, then the exit status and everything it wrote on stderr.
    fn stop(mut self) -> (Option<i32>, String, Duration) {
        let started = Instant::now();
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let took = started.elapsed();
        let mut log = String::new();
        while let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(500)) {
            log.push_str(&line);
            log.push('\n');
        }
        (status, log, took)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn value(exposition: &str, name: &str) -> Option<f64> {
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// The status code and the body of a raw HTTP/1.1 response.
fn status_and_body(raw: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// One request on its own connection; the status and the body.
fn request(port: u16, head: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) and close before the whole body is sent.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    status_and_body(&raw)
}

fn good_server() -> Server {
    FakeSmtp::starttls()
        .caps(&["PIPELINING", "AUTH PLAIN"])
        .accept(USER, PASSWORD)
        .spawn()
}

#[test]
fn probe_reports_a_login_in_prometheus_text_and_never_a_secret_or_host() {
    let server = good_server();
    let serve = Serve::start(config(&account(&server, "")));
    let (status, body) = serve.get("/probe?target=alerts");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        value(&body, "smtp_doctor_probe_success"),
        Some(1.0),
        "{body}"
    );
    assert_eq!(value(&body, "smtp_doctor_exit_code"), Some(0.0), "{body}");
    assert!(
        body.contains("smtp_doctor_stage_duration_seconds{stage=\"auth\"}"),
        "{body}"
    );
    assert!(
        body.contains("smtp_doctor_auth_mechanism_info{mechanism=\"PLAIN\"} 1"),
        "{body}"
    );
    assert!(
        value(&body, "smtp_doctor_tls_cert_not_after_seconds").is_some(),
        "{body}"
    );
    assert!(
        value(&body, "smtp_doctor_probe_age_seconds").is_some(),
        "{body}"
    );
    // Labels carry only fixed words: no host, address or user.
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        assert!(
            !line.contains("127.0.0.1") && !line.contains(USER),
            "{line}"
        );
    }
    let (status, debug) = serve.get("/probe?target=alerts&debug=true");
    assert_eq!(status, 200);
    assert!(debug.contains("result: ok"), "{debug}");
    let (_, log, _) = serve.stop();
    assert_no_leak(
        USER,
        PASSWORD,
        &[("probe", &body), ("debug", &debug), ("stderr", &log)],
    );
}

#[test]
fn a_wrong_password_is_probe_success_0_with_its_category() {
    let server = FakeSmtp::starttls()
        .caps(&["AUTH PLAIN"])
        .accept(USER, "another password")
        .spawn();
    let serve = Serve::start(config(&account(&server, "")));
    let (status, body) = serve.get("/probe?target=alerts");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        value(&body, "smtp_doctor_probe_success"),
        Some(0.0),
        "{body}"
    );
    assert_eq!(value(&body, "smtp_doctor_exit_code"), Some(5.0), "{body}");
    assert!(
        body.contains("smtp_doctor_diagnosis_info{category=\"wrong-credentials\","),
        "{body}"
    );
}

#[test]
fn an_unknown_target_is_404_and_nothing_is_probed() {
    let server = good_server();
    let serve = Serve::start(config(&account(&server, "")));
    for target in ["nope", "smtp.evil.example:25", "127.0.0.1", "", "alerts%00"] {
        let (status, body) = serve.get(&format!("/probe?target={target}"));
        assert_eq!(status, 404, "{target:?}: {body}");
    }
    let (status, _) = serve.get("/probe");
    assert_eq!(status, 400);
    let (status, _) = serve.get("/elsewhere");
    assert_eq!(status, 404);
    assert_eq!(
        server.connections(),
        0,
        "an unknown target must probe nothing"
    );
    assert_eq!(
        serve.counter("smtp_doctor_exporter_unknown_targets_total"),
        5.0
    );
    assert_eq!(serve.counter("smtp_doctor_exporter_checks_total"), 0.0);
}

#[test]
fn a_flood_of_scrapes_is_served_from_the_cache_with_one_login() {
    let server = good_server();
    let serve = Serve::start(config(&account(&server, "")));
    let port = serve.port;
    let scrapes: Vec<_> = (0..40)
        .map(|_| {
            std::thread::spawn(move || {
                request(
                    port,
                    "GET /probe?target=alerts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    b"",
                )
            })
        })
        .collect();
    for s in scrapes {
        let (status, body) = s.join().unwrap();
        assert_eq!(status, 200);
        assert_eq!(
            value(&body, "smtp_doctor_probe_success"),
            Some(1.0),
            "{body}"
        );
    }
    assert_eq!(server.auth_commands().len(), 1, "{}", server.dump());
    assert_eq!(serve.counter("smtp_doctor_exporter_checks_total"), 1.0);
    assert_eq!(serve.counter("smtp_doctor_exporter_cache_hits_total"), 39.0);
}

#[test]
fn after_min_interval_the_next_scrape_logs_in_again() {
    let server = good_server();
    let serve = Serve::start(config(
        &account(&server, "").replace("min_interval = \"1h\"", "min_interval = \"1s\""),
    ));
    let (_, first) = serve.get("/probe?target=alerts");
    let (_, cached) = serve.get("/probe?target=alerts");
    assert_eq!(server.auth_commands().len(), 1, "{}", server.dump());
    assert!(
        value(&cached, "smtp_doctor_probe_age_seconds").unwrap() > 0.0,
        "{first}\n{cached}"
    );
    std::thread::sleep(Duration::from_millis(1200));
    // The due scrape is answered from the cache at once, with its age, and
    // starts the login behind it.
    let (_, due) = serve.get("/probe?target=alerts");
    assert!(
        value(&due, "smtp_doctor_probe_age_seconds").unwrap() >= 1.0,
        "{due}"
    );
    wait_for_auths(&server, 2);
    std::thread::sleep(Duration::from_millis(100));
    let (_, fresh) = serve.get("/probe?target=alerts");
    assert!(
        value(&fresh, "smtp_doctor_probe_age_seconds").unwrap() < 1.0,
        "{fresh}"
    );
    assert_eq!(server.auth_commands().len(), 2, "{}", server.dump());
}

/// Waits (up to 10 s) until `server` has seen `n` AUTH commands.
fn wait_for_auths(server: &Server, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.auth_commands().len() < n {
        assert!(Instant::now() < deadline, "{}", server.dump());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_rate_limited_answer_backs_the_account_off_past_min_interval() {
    let server = FakeSmtp::starttls()
        .caps(&["AUTH PLAIN"])
        .auth_reply("454 4.7.0 Too many login attempts, please try again later")
        .spawn();
    let serve = Serve::start(config(
        &account(&server, "").replace("min_interval = \"1h\"", "min_interval = \"2s\""),
    ));
    let (_, body) = serve.get("/probe?target=alerts");
    assert_eq!(
        value(&body, "smtp_doctor_probe_success"),
        Some(0.0),
        "{body}"
    );
    std::thread::sleep(Duration::from_millis(2300));
    // Past min_interval, but the back-off (twice min_interval) still holds.
    let (_, again) = serve.get("/probe?target=alerts");
    assert_eq!(
        server.auth_commands().len(),
        1,
        "{}\n{again}",
        server.dump()
    );
    // Once the back-off is over, the next scrape tries again (behind the
    // cached answer).
    std::thread::sleep(Duration::from_millis(2000));
    serve.get("/probe?target=alerts");
    wait_for_auths(&server, 2);
}

#[test]
fn an_oversized_body_is_413() {
    let server = good_server();
    let serve = Serve::start(config(&account(&server, "")));
    // Declared too large: refused before a byte of the body is read.
    let (status, _) = request(
        serve.port,
        "POST /explain HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2097152\r\n\r\n",
        b"",
    );
    assert_eq!(status, 413);
    // Chunked, with no length up front: refused once past 1 MiB.
    let chunk = vec![b'a'; 64 * 1024];
    let mut body = Vec::new();
    for _ in 0..20 {
        body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(&chunk);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let (status, _) = request(
        serve.port,
        "POST /explain HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n",
        &body,
    );
    assert_eq!(status, 413);
    // Just under the cap is answered.
    let (status, _) = serve.post("/explain", &vec![b'a'; 1024 * 1024 - 1]);
    assert_eq!(status, 200);
}

#[test]
fn a_slowloris_client_is_closed_within_the_header_deadline() {
    let server = good_server();
    let serve = Serve::start(config(&account(
        &server,
        "header_timeout = \"1s\"\nbody_timeout = \"1s\"",
    )));
    let started = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // One header byte every 200 ms, never the blank line: closed by ~1 s.
    let mut closed = false;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(200));
        if s.write_all(b"X").is_err() {
            closed = true;
            break;
        }
        s.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 512];
        let r = s.read(&mut buf);
        s.set_nonblocking(false).unwrap();
        if matches!(r, Ok(0)) || matches!(r, Ok(n) if n > 0) {
            closed = true;
            break;
        }
    }
    let took = started.elapsed();
    assert!(closed, "still open after {took:?}");
    assert!(took < Duration::from_secs(4), "closed only after {took:?}");
    // A body that stalls is answered 408 after body_timeout.
    let started = Instant::now();
    let (status, _) = request(
        serve.port,
        "POST /explain HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 100\r\n\r\n",
        b"only part of it",
    );
    assert_eq!(status, 408);
    assert!(started.elapsed() < Duration::from_secs(4));
    // The server still serves others.
    assert_eq!(serve.get("/metrics").0, 200);
}

#[test]
fn post_explain_answers_the_json_of_explain_format_json_and_logs_no_paste() {
    let server = good_server();
    let serve = Serve::start(config(&account(&server, "")));
    let paste = "SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials x1-20020a05')";
    let (status, body) = serve.post("/explain", paste.as_bytes());
    assert_eq!(status, 200, "{body}");
    let cli = Doctor::new()
        .args(["explain", "--format", "json"])
        .stdin_bytes(paste)
        .run();
    let served: serde_json::Value = serde_json::from_str(&body).unwrap();
    let printed: serde_json::Value = serde_json::from_str(&cli.stdout).unwrap();
    assert_eq!(served, printed);
    let (status, page) = serve.get("/");
    assert_eq!(status, 200);
    assert!(page.contains("<textarea"), "{page}");
    let (status, _, _) = serve.stop();
    assert_eq!(status, Some(0));
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let server = good_server();
    let serve = Serve::start(config(&account(&server, "")));
    assert_eq!(serve.get("/metrics").0, 200);
    let (status, log, took) = serve.stop();
    assert_eq!(status, Some(0), "{log}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(log.contains("shutting down"), "{log}");
}

/// `serve --check-config` on a config; its exit code and stderr.
fn check_config(c: &Config) -> (Option<i32>, String, String) {
    let out = Doctor::new()
        .command()
        .args(["serve", "--check-config", "--config"])
        .arg(&c.path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn shared_file(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("shared.pw");
    std::fs::write(&p, "x\n").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    p
}

#[test]
fn invalid_configs_exit_2_naming_the_file_and_line() {
    let server = good_server();
    let good = config(&account(&server, ""));
    let (code, out, err) = check_config(&good);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("ok (1 account"), "{out}");
    let cases = [
        (
            "an unknown key",
            account(&server, "").replace("tls = ", "tls_mode = "),
            ":8:",
            "tls_mode",
        ),
        (
            "no secret",
            account(&server, "").replace("password_file = \"@PW@\"\n", ""),
            ":4:",
            "no secret",
        ),
        (
            "an inline password",
            account(&server, "").replace("password_file = \"@PW@\"", "password = \"hunter2\""),
            ":9:",
            "password",
        ),
        (
            "a bad duration",
            account(&server, "").replace("\"1h\"", "\"soon\""),
            ":1:",
            "duration",
        ),
        (
            "a bad tls",
            account(&server, "").replace("\"starttls\"", "\"ssl\""),
            ":8:",
            "tls",
        ),
        (
            "a missing env",
            account(&server, "").replace(
                "password_file = \"@PW@\"",
                "password_env = \"SMTP_DOCTOR_TEST_UNSET\"",
            ),
            ":9:",
            "not set",
        ),
        ("not TOML", "listen = \n".to_string(), ":1:", "expected"),
    ];
    for (what, text, line, word) in cases {
        let c = config(&text);
        let (code, _, err) = check_config(&c);
        assert_eq!(code, Some(2), "{what}: {err}");
        let named = format!("{}{line}", c.path.display());
        assert!(
            err.contains(&named) && err.contains(word),
            "{what}: want {named} and {word:?} in {err}"
        );
    }
    let c = config(&account(&server, ""));
    let shared = shared_file(c.dir.path());
    let text = std::fs::read_to_string(&c.path).unwrap().replace(
        &c.dir.path().join("pw").display().to_string(),
        &shared.display().to_string(),
    );
    std::fs::write(&c.path, text).unwrap();
    let (code, _, err) = check_config(&c);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(":9:") && err.contains("readable by others"),
        "{err}"
    );
    // The server itself refuses to start on it, with the same message.
    let out = Doctor::new()
        .command()
        .args(["serve", "--config"])
        .arg(&c.path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

const WEB_PASSWORD: &str = "W3b-Marker-z8!";

/// A config with `[web]`: TLS from the test PKI and one basic-auth user.
fn web_config(server: &Server) -> Config {
    use std::os::unix::fs::PermissionsExt;
    let leaf = certs::pki().leaf(certs::Cert::Valid);
    let c = config(&account(server, ""));
    let cert = c.dir.path().join("web.crt");
    let key = c.dir.path().join("web.key");
    let pw = c.dir.path().join("web.pw");
    let chain: String = leaf.chain.iter().map(|d| pem("CERTIFICATE", d)).collect();
    std::fs::write(&cert, chain).unwrap();
    std::fs::write(&key, pem("PRIVATE KEY", &leaf.key_pkcs8)).unwrap();
    std::fs::write(&pw, format!("{WEB_PASSWORD}\n")).unwrap();
    for p in [&key, &pw] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let text = std::fs::read_to_string(&c.path).unwrap().replacen(
        "[accounts.alerts]",
        &format!(
            "[web]\ntls_cert_file = {cert:?}\ntls_key_file = {key:?}\nbasic_auth_user = \"prometheus\"\nbasic_auth_password_file = {pw:?}\n\n[accounts.alerts]"
        ),
        1,
    );
    std::fs::write(&c.path, text).unwrap();
    c
}

/// One request over TLS (trusting the test CA); status and body.
fn tls_request(port: u16, head: &str) -> (u16, String) {
    let mut roots = rustls::RootCertStore::empty();
    let ca = std::fs::read(certs::ca_file()).unwrap();
    use rustls::pki_types::pem::PemObject as _;
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&ca) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = "localhost".try_into().unwrap();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut tls = rustls::StreamOwned::new(conn, sock);
    tls.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = tls.read_to_end(&mut raw);
    status_and_body(&raw)
}

#[test]
fn the_web_section_gives_tls_and_basic_auth() {
    use base64::Engine as _;
    let server = good_server();
    let serve = Serve::start(web_config(&server));
    let get = |auth: Option<&str>| {
        let header = auth
            .map(|a| {
                format!(
                    "Authorization: Basic {}\r\n",
                    base64::engine::general_purpose::STANDARD.encode(a)
                )
            })
            .unwrap_or_default();
        tls_request(
            serve.port,
            &format!("GET /probe?target=alerts HTTP/1.1\r\nHost: localhost\r\n{header}Connection: close\r\n\r\n"),
        )
    };
    assert_eq!(get(None).0, 401);
    assert_eq!(get(Some("prometheus:wrong")).0, 401);
    assert_eq!(get(Some(&format!("other:{WEB_PASSWORD}"))).0, 401);
    assert_eq!(
        server.connections(),
        0,
        "nothing probed without the credentials"
    );
    let (status, body) = get(Some(&format!("prometheus:{WEB_PASSWORD}")));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        value(&body, "smtp_doctor_probe_success"),
        Some(1.0),
        "{body}"
    );
    // Plain HTTP on the TLS port gets no answer from the exporter.
    let mut s = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    assert!(!String::from_utf8_lossy(&raw).contains("smtp_doctor_"));
    let (_, log, _) = serve.stop();
    assert!(log.contains("checked account alerts"), "{log}");
    assert_no_leak(
        "prometheus",
        WEB_PASSWORD,
        &[("stderr", &log), ("probe", &body)],
    );
}

#[test]
fn a_half_web_section_is_a_config_error() {
    let server = good_server();
    let c = web_config(&server);
    let text = std::fs::read_to_string(&c.path).unwrap();
    let without_key: String = text
        .lines()
        .filter(|l| !l.starts_with("tls_key_file"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&c.path, without_key).unwrap();
    let (code, _, err) = check_config(&c);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(":4:") && err.contains("tls_key_file"), "{err}");
}

#[test]
fn checks_across_accounts_are_bounded_by_max_concurrent_checks() {
    let server = FakeSmtp::starttls()
        .caps(&["AUTH PLAIN"])
        .accept(USER, PASSWORD)
        .greeting_delay(Duration::from_millis(300))
        .spawn();
    let mut text = account(&server, "max_concurrent_checks = 1");
    for name in ["second", "third"] {
        text.push_str(&format!(
            "[accounts.{name}]\naddress = \"{USER}\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"starttls\"\npassword_file = \"@PW@\"\n",
            server.port()
        ));
    }
    let serve = Serve::start(config(&text));
    let port = serve.port;
    let scrapes: Vec<_> = ["alerts", "second", "third"]
        .into_iter()
        .map(|t| {
            std::thread::spawn(move || {
                request(
                    port,
                    &format!(
                        "GET /probe?target={t} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    ),
                    b"",
                )
            })
        })
        .collect();
    for s in scrapes {
        let (status, body) = s.join().unwrap();
        assert_eq!(
            value(&body, "smtp_doctor_probe_success"),
            Some(1.0),
            "{status} {body}"
        );
    }
    assert_eq!(server.auth_commands().len(), 3, "{}", server.dump());
    assert_eq!(
        server.peak_connections(),
        1,
        "max_concurrent_checks = 1 was exceeded"
    );
}
