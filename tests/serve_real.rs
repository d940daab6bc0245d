//! `smtp-doctor serve` with the real things around it, `#[ignore]`d in
//! `cargo test` and run by `.ci/run`:
//!
//! - a real Prometheus (Debian's `prometheus`) on loopback scrapes the
//!   exporter with the relabelling of docs/monitoring/prometheus.yml, against
//!   the harness's Postfix + Dovecot; its HTTP API must show success 1 for the
//!   good account and 0 with `wrong-credentials` for the bad one, Dovecot's
//!   log at most one AUTH of the bad account per `min_interval`, and
//!   `promtool check metrics` must pass on what the exporter served;
//!   `SMTP_DOCTOR_HARNESS=… cargo test --test serve_real prometheus -- --ignored`
//! - `promtool check metrics` on every kind of answer, against fake servers
//!   (no harness needed);
//!   `cargo test --test serve_real promtool -- --ignored`
//! - a real headless Chromium (Debian's `chromium` + `chromium-driver`),
//!   driven over WebDriver with plain HTTP calls: paste an error, see the
//!   diagnosis, no request to anything but the server; a screenshot (into
//!   docs/triage-page.png with `SMTP_DOCTOR_SCREENSHOT=docs/triage-page.png`).
//!   `cargo test --test serve_real chromium -- --ignored`

#[allow(dead_code)]
mod support;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::run::Doctor;

/// A child process killed (and reaped) when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request on its own connection: status and body.
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(90))).unwrap();
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        payload.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(payload.as_bytes()).unwrap();
    // Read the head, then exactly the body: chromedriver keeps connections
    // open whatever `Connection: close` says.
    let mut r = BufReader::new(s);
    let mut status_line = String::new();
    r.read_line(&mut status_line).unwrap();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut length = None;
    let mut chunked = false;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse::<usize>().ok();
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).unwrap();
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).unwrap();
            body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        r.read_exact(&mut body).unwrap();
    } else {
        let _ = r.read_to_end(&mut body);
    }
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Starts `smtp-doctor serve` on a free port with `config`; waits until it listens.
fn serve(config: &Path) -> (Guard, u16) {
    let port = free_port();
    let child = Doctor::new()
        .command()
        .args(["serve", "--config"])
        .arg(config)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let guard = Guard(child);
    wait_for_port(port, Duration::from_secs(20));
    (guard, port)
}

fn wait_for_port(port: u16, within: Duration) {
    let deadline = Instant::now() + within;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn secret_file(dir: &Path, name: &str, secret: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, format!("{secret}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

/// Prometheus's instant query: the value of the single series, if any.
fn query(port: u16, promql: &str) -> Vec<Value> {
    let q: String = url_encode(promql);
    let (status, body) = http(port, "GET", &format!("/api/v1/query?query={q}"), None);
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn sample(series: &[Value]) -> Option<f64> {
    series.first()?["value"][1].as_str()?.parse().ok()
}

#[test]
#[ignore = "needs Debian's prometheus and the harness; run by .ci/run"]
fn prometheus_scrapes_the_exporter_with_the_documented_relabelling() {
    let harness = support::harness::dir();
    let ca = support::harness::ca();
    let dovecot_log = harness.join("run/dovecot/dovecot.log");
    let tmp = tempfile::tempdir().unwrap();
    let good = secret_file(tmp.path(), "good.pw", "correct horse");
    let bad = secret_file(tmp.path(), "bad.pw", "not the password");
    // A user name nobody else uses, so Dovecot's log lines for it are ours.
    let bad_user = format!("serve-ci-{}@example.test", std::process::id());
    let min_interval = 4;
    let config = tmp.path().join("smtp-doctor.toml");
    std::fs::write(
        &config,
        format!(
            "min_interval = \"{min_interval}s\"\ncafile = {ca:?}\n\
             [accounts.good]\naddress = \"alice@example.test\"\nhost = \"localhost\"\nport = 10587\ntls = \"starttls\"\npassword_file = {good:?}\n\
             [accounts.bad]\naddress = {bad_user:?}\nhost = \"localhost\"\nport = 10587\ntls = \"starttls\"\npassword_file = {bad:?}\n",
        ),
    )
    .unwrap();
    let (_serve, exporter) = serve(&config);

    // The documented scrape config, pointed at this exporter and scraping fast.
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/monitoring");
    let scrape = std::fs::read_to_string(docs.join("prometheus.yml"))
        .unwrap()
        .replace("127.0.0.1:9725", &format!("127.0.0.1:{exporter}"))
        .replace("targets: [alerts, helpdesk]", "targets: [good, bad]")
        .replace("scrape_interval: 30s", "scrape_interval: 1s")
        .replace("scrape_timeout: 25s", "scrape_timeout: 1s");
    assert!(scrape.contains("targets: [good, bad]"), "{scrape}");
    let prom_dir = tmp.path().join("prometheus");
    std::fs::create_dir(&prom_dir).unwrap();
    std::fs::write(prom_dir.join("prometheus.yml"), &scrape).unwrap();
    std::fs::copy(
        docs.join("smtp-doctor.rules.yml"),
        prom_dir.join("smtp-doctor.rules.yml"),
    )
    .unwrap();
    let before = count_lines(&dovecot_log, &bad_user);
    let prom_port = free_port();
    let started = Instant::now();
    let _prometheus = Guard(
        Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                prom_dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                prom_dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("prometheus (Debian package `prometheus`) is installed"),
    );
    wait_for_port(prom_port, Duration::from_secs(60));
    let deadline = Instant::now() + Duration::from_secs(60);
    while http(prom_port, "GET", "/-/ready", None).0 != 200 {
        assert!(Instant::now() < deadline, "prometheus not ready after 60 s");
        std::thread::sleep(Duration::from_millis(200));
    }

    // Wait until both accounts have a sample, then some more scrapes.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let good = sample(&query(
            prom_port,
            "smtp_doctor_probe_success{instance=\"good\"}",
        ));
        let bad = sample(&query(
            prom_port,
            "smtp_doctor_probe_success{instance=\"bad\"}",
        ));
        if good.is_some() && bad.is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "no samples after 60 s");
        std::thread::sleep(Duration::from_millis(500));
    }
    std::thread::sleep(Duration::from_secs(10));
    let good = query(prom_port, "smtp_doctor_probe_success{instance=\"good\"}");
    assert_eq!(sample(&good), Some(1.0), "{good:?}");
    assert_eq!(good[0]["metric"]["job"], "smtp-doctor", "{good:?}");
    let bad = query(prom_port, "smtp_doctor_probe_success{instance=\"bad\"}");
    assert_eq!(sample(&bad), Some(0.0), "{bad:?}");
    let why = query(prom_port, "smtp_doctor_diagnosis_info{instance=\"bad\"}");
    assert!(
        why.iter()
            .any(|s| s["metric"]["category"] == "wrong-credentials"),
        "{why:?}"
    );
    let scrapes = query(
        prom_port,
        "count_over_time(smtp_doctor_probe_success{instance=\"good\"}[5m])",
    );
    let scrapes = sample(&scrapes).unwrap_or(0.0);
    assert!(scrapes >= 5.0, "only {scrapes} scrapes");
    let up = query(prom_port, "up{job=\"smtp-doctor-exporter\"}");
    assert_eq!(sample(&up), Some(1.0), "{up:?}");
    // Re-checks run behind the cached answer: past the first check, no
    // scrape of the bad account (whose failed AUTH Dovecot delays past the
    // 1 s scrape timeout) times out.
    let bad_up = query(
        prom_port,
        "min_over_time(up{job=\"smtp-doctor\",instance=\"bad\"}[8s])",
    );
    assert_eq!(sample(&bad_up), Some(1.0), "{bad_up:?}");

    // Lockout protection: Dovecot saw at most one AUTH of the bad account per
    // min_interval (plus the first), however many scrapes Prometheus made.
    let elapsed = started.elapsed().as_secs();
    let auths = count_lines(&dovecot_log, &bad_user) - before;
    let allowed = elapsed / min_interval + 1;
    eprintln!("{scrapes} scrapes of good in {elapsed} s; Dovecot logged {auths} AUTH of the bad account (allowed {allowed})");
    assert!(auths >= 1, "Dovecot logged no AUTH for {bad_user}");
    assert!(
        auths <= allowed,
        "{auths} AUTHs in {elapsed} s with min_interval {min_interval}s"
    );
    let (_, own) = http(exporter, "GET", "/metrics", None);
    let checks = own
        .lines()
        .find_map(|l| l.strip_prefix("smtp_doctor_exporter_checks_total "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap();
    assert!(checks <= 2 * allowed, "{checks} checks\n{own}");

    // promtool's linter on what the exporter serves.
    promtool_check_metrics(
        exporter,
        &["/probe?target=good", "/probe?target=bad", "/metrics"],
    );
}

/// `promtool check metrics` on each path's answer.
fn promtool_check_metrics(exporter: u16, paths: &[&str]) {
    for path in paths {
        let (status, body) = http(exporter, "GET", path, None);
        assert_eq!(status, 200, "{path}: {body}");
        let mut promtool = Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("promtool (Debian package `prometheus`) is installed");
        promtool
            .stdin
            .take()
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        let out = promtool.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "promtool check metrics on {path}: {}{}\n{body}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
#[ignore = "needs Debian's prometheus (promtool); run by .ci/run"]
fn promtool_accepts_every_answer_of_the_exporter() {
    use support::fake_smtp::FakeSmtp;
    // Without the harness too: fake servers for a good login, a wrong
    // password and a certificate-less plaintext server, so every family
    // (with and without its optional series) is linted.
    let good = FakeSmtp::starttls()
        .caps(&["AUTH PLAIN"])
        .accept("a@example.test", "right")
        .spawn();
    let bad = FakeSmtp::starttls()
        .caps(&["AUTH PLAIN"])
        .accept("a@example.test", "other")
        .spawn();
    let plain = FakeSmtp::plain()
        .caps(&["AUTH PLAIN"])
        .accept("a@example.test", "right")
        .spawn();
    let tmp = tempfile::tempdir().unwrap();
    let pw = secret_file(tmp.path(), "pw", "right");
    let ca = support::certs::ca_file();
    let mut text = format!("cafile = {ca:?}\n");
    for (name, port, tls) in [
        ("good", good.port(), "starttls"),
        ("bad", bad.port(), "starttls"),
        ("plain", plain.port(), "none"),
    ] {
        text.push_str(&format!(
            "[accounts.{name}]\naddress = \"a@example.test\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"{tls}\"\npassword_file = {pw:?}\n"
        ));
    }
    let config = tmp.path().join("smtp-doctor.toml");
    std::fs::write(&config, text).unwrap();
    let (_serve, exporter) = serve(&config);
    promtool_check_metrics(
        exporter,
        &[
            "/probe?target=good",
            "/probe?target=bad",
            "/probe?target=plain",
            "/metrics",
        ],
    );
}

fn count_lines(path: &Path, needle: &str) -> u64 {
    let Ok(f) = std::fs::File::open(path) else {
        return 0;
    };
    BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter(|l| l.contains(needle))
        .count() as u64
}

/// The W3C WebDriver element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct WebDriver {
    port: u16,
    session: String,
}

impl WebDriver {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, text) = http(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body.as_ref(),
        );
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(status, 200, "{method} {path}: {text}");
        v["value"].clone()
    }

    fn find(&self, css: &str) -> Option<String> {
        let (status, text) = http(
            self.port,
            "POST",
            &format!("/session/{}/element", self.session),
            Some(&json!({"using": "css selector", "value": css})),
        );
        if status != 200 {
            return None;
        }
        let v: Value = serde_json::from_str(&text).ok()?;
        v["value"][ELEMENT].as_str().map(str::to_string)
    }

    fn text(&self, element: &str) -> String {
        self.call("GET", &format!("/element/{element}/text"), None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

#[test]
#[ignore = "needs Debian's chromium and chromium-driver; run by .ci/run"]
fn chromium_shows_the_diagnosis_of_a_pasted_error() {
    let tmp = tempfile::tempdir().unwrap();
    let pw = secret_file(tmp.path(), "pw", "unused");
    let config = tmp.path().join("smtp-doctor.toml");
    // One account the page never touches (nothing listens on port 9).
    std::fs::write(
        &config,
        format!("[accounts.unused]\naddress = \"a@example.test\"\nhost = \"127.0.0.1\"\nport = 9\npassword_file = {pw:?}\n"),
    )
    .unwrap();
    let (_serve, port) = serve(&config);
    let driver_port = free_port();
    let _driver = Guard(
        Command::new("chromedriver")
            .arg(format!("--port={driver_port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package `chromium-driver`) is installed"),
    );
    wait_for_port(driver_port, Duration::from_secs(30));
    let profile = tmp.path().join("chromium-profile");
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1000,900",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    }}});
    let (status, text) = http(driver_port, "POST", "/session", Some(&caps));
    assert_eq!(status, 200, "new session: {text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    let session = v["value"]["sessionId"].as_str().unwrap().to_string();
    let wd = WebDriver {
        port: driver_port,
        session,
    };
    let page = format!("http://127.0.0.1:{port}/");
    wd.call("POST", "/url", Some(json!({"url": page})));
    let paste = wd.find("#paste").expect("the paste box");
    let error = "smtplib.SMTPAuthenticationError: (535, b'5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. [AM0PR02CA0001.eurprd02.prod.outlook.com]')";
    wd.call(
        "POST",
        &format!("/element/{paste}/value"),
        Some(json!({"text": error})),
    );
    let go = wd.find("#go").expect("the button");
    wd.call("POST", &format!("/element/{go}/click"), Some(json!({})));
    let deadline = Instant::now() + Duration::from_secs(20);
    let verdict = loop {
        if let Some(v) = wd.find("#verdict") {
            break wd.text(&v);
        }
        assert!(Instant::now() < deadline, "no verdict on the page");
        std::thread::sleep(Duration::from_millis(200));
    };
    let cli = Doctor::new()
        .args(["explain", "--format", "json"])
        .stdin_bytes(error)
        .run();
    let doc: Value = serde_json::from_str(&cli.stdout).unwrap();
    let category = doc["category"].as_str().unwrap();
    assert_eq!(
        verdict,
        format!("result: {category} (exit {})", doc["exit_code"]),
        "{}",
        cli.stdout
    );
    let result = wd.find("#result").unwrap();
    let shown = wd.text(&result);
    let first = &doc["diagnoses"][0];
    for key in ["summary", "remediation", "reference"] {
        let want = first[key].as_str().unwrap();
        assert!(shown.contains(want), "{key} {want:?} not shown in\n{shown}");
    }
    assert!(shown.contains("what to do"), "{shown}");
    // Every request the page made went to this server.
    let urls = wd.call(
        "POST",
        "/execute/sync",
        Some(json!({"script": "return [location.href].concat(performance.getEntriesByType('resource').map(function (e) { return e.name; }));", "args": []})),
    );
    let urls: Vec<&str> = urls
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(urls.len() >= 2, "{urls:?}");
    for u in &urls {
        assert!(u.starts_with(&page), "a request left the server: {u}");
    }
    let png = wd.call("GET", "/screenshot", None);
    use base64::Engine as _;
    let png = base64::engine::general_purpose::STANDARD
        .decode(png.as_str().unwrap())
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    let out = std::env::var_os("SMTP_DOCTOR_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("triage-page.png"));
    std::fs::write(&out, &png).unwrap();
    eprintln!(
        "screenshot: {} ({} bytes); shown:\n{shown}",
        out.display(),
        png.len()
    );
    let _ = http(
        driver_port,
        "DELETE",
        &format!("/session/{}", wd.session),
        None,
    );
}
