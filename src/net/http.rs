//! HTTP GET for discovery (autoconfig, ISPDB, Autodiscover): one client with
//! the limits a hostile web server cannot get around.
//!
//! - Every host name is resolved through the same [`Dns`] as the probe, so
//!   `--dns-server` steers HTTP too; ureq only connects to the addresses
//!   given (a fixed resolver per request), never asks the system resolver.
//! - Redirects are followed here, not by ureq: at most [`MAX_REDIRECTS`],
//!   never from `https` to `http`, each hop resolved again.
//! - Bodies are capped ([`MAX_BODY`]); each request has its own deadline and
//!   the caller bounds the whole discovery.
//! - TLS is ureq's rustls (ring), with the `--cafile` roots when given.
//! - No proxy: discovery asks the domain's own servers, as a mail client does.
//!
//! ureq is blocking: each request runs on tokio's blocking pool
//! (`spawn_blocking`), bounded by ureq's global timeout and by
//! [`tokio::time::timeout`] around it.

use super::dns::Dns;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// Redirects followed at most.
pub(crate) const MAX_REDIRECTS: usize = 5;
/// Largest body read (1 MiB): a config file is a few kB.
pub(crate) const MAX_BODY: u64 = 1024 * 1024;

/// Test hook: `https=PORT,http=PORT` replaces the default ports 443 and 80
/// of URLs without a port (the test suite's loopback web servers cannot
/// listen on 443). Documented in docs/json-output.md next to
/// `SMTP_DOCTOR_SUGGEST_PORTS`.
pub(crate) const PORTS_ENV: &str = "SMTP_DOCTOR_HTTP_PORTS";

fn default_port(https: bool) -> u16 {
    let key = if https { "https" } else { "http" };
    std::env::var(PORTS_ENV)
        .ok()
        .and_then(|v| {
            v.split(',').find_map(|kv| {
                let (k, p) = kv.split_once('=')?;
                (k.trim() == key).then(|| p.trim().parse().ok()).flatten()
            })
        })
        .unwrap_or(if https { 443 } else { 80 })
}

/// Why a GET gave no usable answer (one line each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HttpFailure {
    BadUrl(String),
    Dns(String),
    Connect(String),
    Tls(String),
    Timeout(Duration),
    Status(u16),
    TooLarge,
    TooManyRedirects,
    InsecureRedirect(String),
    Other(String),
}

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpFailure::BadUrl(u) => write!(f, "not a usable URL: {u}"),
            HttpFailure::Dns(m) => write!(f, "name not resolved: {m}"),
            HttpFailure::Connect(m) => write!(f, "could not connect: {m}"),
            HttpFailure::Tls(m) => write!(f, "TLS failed: {m}"),
            HttpFailure::Timeout(d) => write!(f, "no answer within {}s", d.as_secs_f32()),
            HttpFailure::Status(s) => write!(f, "HTTP {s}"),
            HttpFailure::TooLarge => {
                write!(f, "answer larger than {} KiB, not read", MAX_BODY / 1024)
            }
            HttpFailure::TooManyRedirects => write!(f, "more than {MAX_REDIRECTS} redirects"),
            HttpFailure::InsecureRedirect(to) => {
                write!(f, "redirect from https to plain http ({to}) not followed")
            }
            HttpFailure::Other(m) => f.write_str(m),
        }
    }
}

/// A successful GET.
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    /// The URL that answered (after redirects).
    pub url: String,
    /// Every hop was https.
    pub https: bool,
    pub body: String,
}

/// The discovery HTTP client: roots, per-request deadline.
#[derive(Clone)]
pub(crate) struct HttpClient {
    roots: ureq::tls::RootCerts,
    pub step: Duration,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HttpClient(step {:?})", self.step)
    }
}

impl HttpClient {
    /// With the built-in (webpki) roots.
    pub(crate) fn new(step: Duration) -> HttpClient {
        HttpClient {
            roots: ureq::tls::RootCerts::WebPki,
            step,
        }
    }

    /// Trusting only the CA certificates of a PEM file (`--cafile`).
    pub(crate) fn with_cafile(step: Duration, path: &Path) -> Result<HttpClient, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("cannot read --cafile {}: {e}", path.display()))?;
        let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&bytes)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(format!(
                "--cafile {} holds no PEM certificate",
                path.display()
            ));
        }
        Ok(HttpClient {
            roots: ureq::tls::RootCerts::Specific(Arc::new(certs)),
            step,
        })
    }

    /// GET `url`, following redirects within the limits above.
    pub(crate) async fn get(&self, url: &str, dns: &dyn Dns) -> Result<Fetched, HttpFailure> {
        let mut current = url.to_string();
        let mut https = true;
        for _ in 0..=MAX_REDIRECTS {
            let target = Target::parse(&current)?;
            https &= target.https;
            let addrs = resolve(&target, dns, self.step).await?;
            let answer = self.one(target.url.clone(), addrs).await?;
            match answer {
                Answer::Body(body) => {
                    return Ok(Fetched {
                        url: current,
                        https,
                        body,
                    })
                }
                Answer::Redirect(location) => {
                    let next = target.join(&location);
                    if target.https && !next.starts_with("https://") {
                        return Err(HttpFailure::InsecureRedirect(next));
                    }
                    current = next;
                }
            }
        }
        Err(HttpFailure::TooManyRedirects)
    }

    /// One request to pre-resolved addresses, on the blocking pool.
    async fn one(&self, url: String, addrs: Vec<SocketAddr>) -> Result<Answer, HttpFailure> {
        let roots = self.roots.clone();
        let step = self.step;
        let work = tokio::task::spawn_blocking(move || request(&url, addrs, roots, step));
        // ureq's own global timeout ends the thread; this one ends the wait
        // even if it did not (a margin for the thread to notice).
        match tokio::time::timeout(step + Duration::from_millis(500), work).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => Err(HttpFailure::Other(format!("request task failed: {e}"))),
            Err(_) => Err(HttpFailure::Timeout(step)),
        }
    }
}

enum Answer {
    Body(String),
    Redirect(String),
}

/// The parts of an http(s) URL discovery needs.
struct Target {
    https: bool,
    host: String,
    port: u16,
    /// `scheme://authority`
    origin: String,
    /// The URL with the port made explicit when the test hook moved it.
    url: String,
}

impl Target {
    fn parse(url: &str) -> Result<Target, HttpFailure> {
        let bad = || HttpFailure::BadUrl(url.to_string());
        let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return Err(bad()),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.is_empty() || authority.contains('@') {
            return Err(bad());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, tail) = v6.split_once(']').ok_or_else(bad)?;
            (h.to_string(), tail.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (authority.to_string(), None),
            }
        };
        let explicit = port.is_some();
        let port = match port {
            Some(p) => p.parse().map_err(|_| bad())?,
            None => default_port(https),
        };
        let scheme = if https { "https" } else { "http" };
        let moved = !explicit && port != if https { 443 } else { 80 };
        let url = if moved {
            format!("{scheme}://{authority}:{port}{}", &rest[authority.len()..])
        } else {
            url.to_string()
        };
        Ok(Target {
            https,
            host: host.to_ascii_lowercase(),
            port,
            origin: format!("{scheme}://{authority}"),
            url,
        })
    }

    /// A Location header made absolute.
    fn join(&self, location: &str) -> String {
        let location = location.trim();
        if location.contains("://") {
            location.to_string()
        } else if location.starts_with('/') {
            format!("{}{location}", self.origin)
        } else {
            format!("{}/{location}", self.origin)
        }
    }
}

/// The addresses of the URL's host, through the one resolver.
async fn resolve(
    target: &Target,
    dns: &dyn Dns,
    step: Duration,
) -> Result<Vec<SocketAddr>, HttpFailure> {
    if let Ok(ip) = target.host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, target.port)]);
    }
    if target.host == "localhost" {
        return Ok(vec![SocketAddr::new([127, 0, 0, 1].into(), target.port)]);
    }
    let both = async {
        let (v4, v6) = tokio::join!(dns.ipv4(&target.host), dns.ipv6(&target.host));
        (v4, v6)
    };
    let (v4, v6) = tokio::time::timeout(step, both).await.map_err(|_| {
        HttpFailure::Dns(format!(
            "{}: no answer within {}s",
            target.host,
            step.as_secs()
        ))
    })?;
    let mut addrs: Vec<SocketAddr> = Vec::new();
    let mut why = None;
    match v4 {
        Ok(a) => addrs.extend(
            a.into_iter()
                .map(|ip| SocketAddr::new(ip.into(), target.port)),
        ),
        Err(e) => why = Some(e.message),
    }
    match v6 {
        Ok(a) => addrs.extend(
            a.into_iter()
                .map(|ip| SocketAddr::new(ip.into(), target.port)),
        ),
        Err(e) => {
            why.get_or_insert(e.message);
        }
    }
    if addrs.is_empty() {
        return Err(HttpFailure::Dns(format!(
            "{}: {}",
            target.host,
            why.unwrap_or_else(|| "no address".into())
        )));
    }
    addrs.truncate(8);
    Ok(addrs)
}

/// A resolver that answers with addresses already looked up through [`Dns`].
#[derive(Debug)]
struct Fixed(Vec<SocketAddr>);

impl Resolver for Fixed {
    fn resolve(
        &self,
        _uri: &ureq::http::Uri,
        _config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let mut out = self.empty();
        for a in &self.0 {
            out.push(*a);
        }
        if out.is_empty() {
            Err(ureq::Error::HostNotFound)
        } else {
            Ok(out)
        }
    }
}

fn request(
    url: &str,
    addrs: Vec<SocketAddr>,
    roots: ureq::tls::RootCerts,
    step: Duration,
) -> Result<Answer, HttpFailure> {
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .root_certs(roots)
        .build();
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(step))
        .max_response_header_size(64 * 1024)
        .user_agent(concat!("smtp-doctor/", env!("CARGO_PKG_VERSION")))
        .proxy(None)
        .tls_config(tls)
        .build();
    let agent = ureq::Agent::with_parts(config, DefaultConnector::new(), Fixed(addrs));
    let mut response = agent
        .get(url)
        .header("Accept", "application/xml, text/xml")
        .call()
        .map_err(|e| failure(&e, step))?;
    let status = response.status().as_u16();
    if (300..400).contains(&status) {
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        return match location {
            Some(l) => Ok(Answer::Redirect(l)),
            None => Err(HttpFailure::Status(status)),
        };
    }
    if status != 200 {
        return Err(HttpFailure::Status(status));
    }
    response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_string()
        .map(Answer::Body)
        .map_err(|e| failure(&e, step))
}

fn failure(e: &ureq::Error, step: Duration) -> HttpFailure {
    use std::io::ErrorKind;
    match e {
        ureq::Error::Timeout(_) => HttpFailure::Timeout(step),
        ureq::Error::Io(io) if io.kind() == ErrorKind::TimedOut => HttpFailure::Timeout(step),
        ureq::Error::Io(io) if io.kind() == ErrorKind::ConnectionRefused => {
            HttpFailure::Connect("connection refused".into())
        }
        ureq::Error::HostNotFound => HttpFailure::Dns("host not found".into()),
        ureq::Error::ConnectionFailed => HttpFailure::Connect("connection failed".into()),
        ureq::Error::Tls(m) => HttpFailure::Tls(m.to_string()),
        ureq::Error::Rustls(r) => HttpFailure::Tls(r.to_string()),
        ureq::Error::BodyExceedsLimit(_) => HttpFailure::TooLarge,
        other => HttpFailure::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_locations() {
        let t = Target::parse("https://Autoconfig.Example.com/mail/config-v1.1.xml?x=1").unwrap();
        assert!(t.https && t.host == "autoconfig.example.com" && t.port == 443);
        assert_eq!(t.join("/a"), "https://Autoconfig.Example.com/a");
        assert_eq!(t.join("http://x/y"), "http://x/y");
        let t = Target::parse("http://127.0.0.1:8080/v1.1/").unwrap();
        assert!(!t.https && t.port == 8080);
        let t = Target::parse("https://[::1]:8443/x").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 8443));
        for bad in [
            "ftp://x/",
            "https://",
            "https://u@x/",
            "x",
            "https://x:port/",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }
}
