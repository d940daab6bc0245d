//! The HTTP sources of discovery, asked as a mail client's account setup
//! asks them: the provider's autoconfig (`https://autoconfig.<domain>/…`,
//! then `https://<domain>/.well-known/autoconfig/…`), the ISPDB (for the
//! domain, and for the MX host's domain), Outlook's Autodiscover (a plain
//! GET of the POX file), and plain-HTTP autoconfig only as a last resort,
//! marked untrusted.
//!
//! Every request goes through `net::http` (one resolver, redirects ≤ 5 and
//! never https → http, 1 MiB bodies, a deadline per request); this module
//! bounds all of them together and turns each into one [`HttpStep`] line.

use super::autoconfig::{self, Outgoing};
use super::{HttpStep, Source};
use crate::net::dns::Dns;
use crate::net::http::HttpClient;
use std::time::Duration;

/// Thunderbird's ISPDB (autoconfig files for thousands of domains).
pub(crate) const DEFAULT_ISPDB: &str = "https://autoconfig.thunderbird.net/v1.1/";
/// Deadline of one HTTP request.
pub(crate) const STEP: Duration = Duration::from_secs(5);
/// Bound on all HTTP sources of one discovery together.
pub(crate) const BUDGET: Duration = Duration::from_secs(12);

/// The HTTP side of discovery; `None` in the config means `--no-http`.
#[derive(Debug, Clone)]
pub(crate) struct Web {
    pub client: HttpClient,
    /// ISPDB base URL, ending in `/`.
    pub ispdb: String,
    pub budget: Duration,
}

impl Web {
    pub(crate) fn new(client: HttpClient, ispdb: Option<&str>) -> Web {
        let mut base = ispdb.unwrap_or(DEFAULT_ISPDB).trim().to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        Web {
            client,
            ispdb: base,
            budget: BUDGET,
        }
    }
}

/// One server an HTTP source named.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub source: Source,
    pub url: String,
    pub insecure: bool,
    pub server: Outgoing,
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Format {
    Autoconfig,
    Autodiscover,
}

fn describe(o: &Outgoing) -> String {
    format!(
        "SMTP {}:{} ({})",
        o.host,
        o.port,
        match o.tls {
            crate::endpoint::TlsMode::Implicit => "SSL/TLS",
            crate::endpoint::TlsMode::StartTls => "STARTTLS",
            crate::endpoint::TlsMode::None => "no TLS",
        }
    )
}

/// GETs one URL and reads it; the step line and what it named.
async fn ask(
    web: &Web,
    dns: &dyn Dns,
    source: Source,
    url: String,
    format: Format,
    address: Option<&str>,
    domain: &str,
) -> (HttpStep, Option<Found>) {
    let step = |result: String, ok: bool| HttpStep {
        source,
        url: url.clone(),
        result,
        ok,
        unresolved: false,
    };
    let fetched = match web.client.get(&url, dns).await {
        Ok(f) => f,
        Err(e) => {
            let mut s = step(e.to_string(), false);
            s.unresolved = matches!(e, crate::net::http::HttpFailure::Dns(_));
            return (s, None);
        }
    };
    let parsed = match format {
        Format::Autoconfig => autoconfig::parse_config(&fetched.body, address, domain),
        Format::Autodiscover => autoconfig::parse_autodiscover(&fetched.body, address),
    };
    let insecure = !fetched.https;
    match parsed {
        Err(e) => (step(e, false), None),
        Ok(None) => (
            step(
                "no SMTP server with SSL/TLS or STARTTLS in the answer".into(),
                false,
            ),
            None,
        ),
        Ok(Some(server)) => {
            let mut line = describe(&server);
            if fetched.url != url {
                line.push_str(&format!(" (redirected to {})", fetched.url));
            }
            if insecure {
                line.push_str(" — over plain HTTP, untrusted");
            }
            (
                step(line, true),
                Some(Found {
                    source,
                    url: fetched.url,
                    insecure,
                    server,
                }),
            )
        }
    }
}

/// The domain's own sources, all at once: autoconfig, .well-known,
/// ISPDB and Autodiscover, in that order of rank.
pub(crate) async fn ask_domain(
    web: &Web,
    dns: &dyn Dns,
    domain: &str,
    address: Option<&str>,
) -> Vec<(HttpStep, Option<Found>)> {
    let query = address
        .map(|a| format!("?emailaddress={}", encode(a)))
        .unwrap_or_default();
    let (a, b, c, d, e) = tokio::join!(
        ask(
            web,
            dns,
            Source::Autoconfig,
            format!("https://autoconfig.{domain}/mail/config-v1.1.xml{query}"),
            Format::Autoconfig,
            address,
            domain
        ),
        ask(
            web,
            dns,
            Source::AutoconfigWellKnown,
            format!("https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml"),
            Format::Autoconfig,
            address,
            domain
        ),
        ask(
            web,
            dns,
            Source::Ispdb,
            format!("{}{domain}", web.ispdb),
            Format::Autoconfig,
            address,
            domain
        ),
        ask(
            web,
            dns,
            Source::Autodiscover,
            format!("https://autodiscover.{domain}/autodiscover/autodiscover.xml"),
            Format::Autodiscover,
            address,
            domain
        ),
        ask(
            web,
            dns,
            Source::Autodiscover,
            format!("https://{domain}/autodiscover/autodiscover.xml"),
            Format::Autodiscover,
            address,
            domain
        ),
    );
    vec![a, b, c, d, e]
}

/// The ISPDB's entry for the MX host's domain (`ispdb-mx`).
pub(crate) async fn ask_ispdb_mx(
    web: &Web,
    dns: &dyn Dns,
    mx_domain: &str,
    domain: &str,
    address: Option<&str>,
) -> (HttpStep, Option<Found>) {
    ask(
        web,
        dns,
        Source::IspdbMx,
        format!("{}{mx_domain}", web.ispdb),
        Format::Autoconfig,
        address,
        domain,
    )
    .await
}

/// Plain-HTTP autoconfig, the last resort (trust `http`).
pub(crate) async fn ask_plain(
    web: &Web,
    dns: &dyn Dns,
    domain: &str,
    address: Option<&str>,
) -> (HttpStep, Option<Found>) {
    let query = address
        .map(|a| format!("?emailaddress={}", encode(a)))
        .unwrap_or_default();
    ask(
        web,
        dns,
        Source::Autoconfig,
        format!("http://autoconfig.{domain}/mail/config-v1.1.xml{query}"),
        Format::Autoconfig,
        address,
        domain,
    )
    .await
}

/// The MX host's domain for the ISPDB: its last two labels (three when the
/// second-to-last is a short second-level label such as `co.uk`).
pub(crate) fn base_domain(host: &str) -> String {
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    let n = labels.len();
    let take = if n >= 3 && labels[n - 2].len() <= 3 && labels[n - 1].len() == 2 {
        3
    } else {
        2
    };
    labels[n.saturating_sub(take)..].join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded_and_base_domains_found() {
        assert_eq!(encode("a+b@example.com"), "a%2Bb%40example.com");
        assert_eq!(base_domain("mx00.ionos.de"), "ionos.de");
        assert_eq!(base_domain("mx1.mail.example.co.uk"), "example.co.uk");
        assert_eq!(base_domain("localhost"), "localhost");
        assert_eq!(
            Web::new(HttpClient::new(STEP), Some("https://x/v1.1")).ispdb,
            "https://x/v1.1/"
        );
    }
}
