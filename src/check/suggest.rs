//! Suggested settings, verified: after a failure that another port or TLS
//! mode on the same host would avoid, probe the other standard combinations
//! there and report the ones that work.
//!
//! The alternatives are the same port in the other TLS mode, 465 with
//! implicit TLS, 587 with STARTTLS, and 25 with STARTTLS (only to say that
//! it is the relay/MX port). They are probed in parallel, within
//! [`SUGGEST_BUDGET`], and **never with the secret**: connect, TLS, EHLO,
//! note whether AUTH is offered and which mechanisms, QUIT. "Verified" means
//! exactly that: a greeting, TLS as named, and AUTH offered.
//!
//! Tests cannot listen on 465/587 without root, so [`PORTS_ENV`] replaces
//! the standard ports (a test-only setting, documented as such).

use crate::diagnose::{Category, Diagnosis};
use crate::endpoint::{Endpoint, TlsMode};
use crate::net::ProbeError;
use crate::probe::{self, Outcome, ProbeOptions, ProbeReport};
use crate::report::{Report, Suggestion};
use crate::stage::Stage;
use std::time::Duration;
use tokio::task::JoinSet;

/// For tests only: replaces the standard alternatives (465/implicit,
/// 587/starttls, 25/starttls/relay) with `PORT/MODE[/relay],…`, so that fake
/// servers on ephemeral ports can stand in for them.
pub(crate) const PORTS_ENV: &str = "SMTP_DOCTOR_SUGGEST_PORTS";

/// All alternatives together get this long (each stage at most
/// [`SUGGEST_STAGE_TIMEOUT`]): a silent port must not hold up the verdict
/// that was already found.
pub(crate) const SUGGEST_BUDGET: Duration = Duration::from_secs(3);

/// The deadline of each stage of an alternative's probe.
pub(crate) const SUGGEST_STAGE_TIMEOUT: Duration = Duration::from_secs(3);

/// True for the categories another port or TLS mode may avoid.
pub(crate) fn applies(category: Category) -> bool {
    matches!(
        category,
        Category::TlsModeMismatch
            | Category::ConnectionRefused
            | Category::ConnectionTimeout
            | Category::StarttlsUnavailable
            | Category::StarttlsRequired
            | Category::AuthNotOffered
    )
}

/// One alternative to try: where, and whether it is the relay port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Alternative {
    port: u16,
    tls: TlsMode,
    relay: bool,
}

fn standard() -> Vec<Alternative> {
    if let Some(list) = std::env::var_os(PORTS_ENV) {
        return parse_ports(&list.to_string_lossy());
    }
    vec![
        Alternative {
            port: 465,
            tls: TlsMode::Implicit,
            relay: false,
        },
        Alternative {
            port: 587,
            tls: TlsMode::StartTls,
            relay: false,
        },
        Alternative {
            port: 25,
            tls: TlsMode::StartTls,
            relay: true,
        },
    ]
}

/// `465/implicit,587/starttls,25/starttls/relay`; malformed items are skipped.
fn parse_ports(list: &str) -> Vec<Alternative> {
    list.split(',')
        .filter_map(|item| {
            let mut parts = item.trim().split('/');
            let port = parts.next()?.parse::<u16>().ok().filter(|p| *p > 0)?;
            let tls = TlsMode::parse(parts.next()?)?;
            let relay = parts.next() == Some("relay");
            Some(Alternative { port, tls, relay })
        })
        .collect()
}

/// The alternatives to `failed`, in the order they are reported: the same
/// port in the other TLS mode (not when nothing listens there), then the
/// standard ports; never `failed` itself.
fn alternatives(failed: &ProbeReport, category: Category) -> Vec<Alternative> {
    let standard = standard();
    let ep = &failed.endpoint;
    let port_closed = category == Category::ConnectionRefused
        || matches!(
            failed.outcome,
            Outcome::Failed(ProbeError::Timeout {
                stage: Stage::Connect,
                ..
            }) | Outcome::Failed(ProbeError::Connect { .. })
        );
    let mut out = Vec::new();
    if !port_closed {
        let other = match ep.tls {
            TlsMode::Implicit => TlsMode::StartTls,
            TlsMode::StartTls | TlsMode::None => TlsMode::Implicit,
        };
        // `--tls none` that was refused for want of TLS: STARTTLS on the same port.
        let other = if category == Category::StarttlsRequired {
            TlsMode::StartTls
        } else {
            other
        };
        let relay = standard.iter().any(|a| a.port == ep.port && a.relay);
        out.push(Alternative {
            port: ep.port,
            tls: other,
            relay,
        });
    }
    for a in standard {
        let same = a.port == ep.port && a.tls == ep.tls;
        if !same && !out.iter().any(|o| o.port == a.port && o.tls == a.tls) {
            out.push(a);
        }
    }
    out
}

/// What one alternative's probe adds up to, or `None` when it says nothing
/// worth a suggestion (refused, silent, broken TLS, a mismatch).
fn judge(alt: &Alternative, r: &ProbeReport) -> Option<Suggestion> {
    let tls_version = r
        .tls
        .as_ref()
        .and_then(|t| t.version.clone())
        .unwrap_or_else(|| "TLS".into());
    let mechanisms = r
        .capabilities
        .as_ref()
        .map(|c| c.mechanisms().to_vec())
        .unwrap_or_default();
    let (verified, why) = match &r.outcome {
        Outcome::NoCredentials => {
            let auth = if mechanisms.is_empty() {
                "AUTH".to_string()
            } else {
                format!("AUTH {}", mechanisms.join(" "))
            };
            let why = if alt.relay {
                format!(
                    "greeting, {tls_version} and {auth} offered (checked without sending the secret); but port {} is the relay/MX port, which ISPs often block: prefer 465 or 587 where they work",
                    alt.port
                )
            } else {
                format!(
                    "greeting, {tls_version} and {auth} offered (checked without sending the secret)"
                )
            };
            (true, why)
        }
        Outcome::Stopped(probe::Stop::AuthNotOffered) if alt.relay => (
            false,
            format!(
                "port {} answers ({}) but offers no AUTH: it is for mail between servers (an MX or a relay), not for logins",
                alt.port, tls_version
            ),
        ),
        _ => return None,
    };
    Some(Suggestion {
        endpoint: Endpoint {
            host: r.endpoint.host.clone(),
            port: alt.port,
            tls: alt.tls,
        },
        verified,
        why,
        relay: alt.relay,
        command: None,
    })
}

/// Probes the alternatives to the report's best endpoint when its category
/// is one another port or mode may avoid; `None` when it is not.
/// `options` are the check's; the secret and the user name are dropped here.
pub(crate) async fn suggest(report: &Report, options: &ProbeOptions) -> Option<Vec<Suggestion>> {
    if !applies(report.category) {
        return None;
    }
    let failed = report.best_probe()?;
    let mut alts = alternatives(failed, report.category);
    // Discovery may have probed some of them already, with a worse result
    // than the best endpoint's: no need to ask again.
    let probed: Vec<&Endpoint> = report
        .endpoints
        .iter()
        .flatten()
        .map(|r| &r.probe.endpoint)
        .collect();
    alts.retain(|a| {
        !probed
            .iter()
            .any(|e| e.host == failed.endpoint.host && e.port == a.port && e.tls == a.tls)
    });
    let mut opts = options.clone();
    opts.credential = None;
    opts.user = None;
    opts.mechanism = None;
    opts.timeout = opts.timeout.min(SUGGEST_STAGE_TIMEOUT);
    opts.auth_timeout = opts.timeout;
    let mut set = JoinSet::new();
    for (i, alt) in alts.iter().enumerate() {
        let endpoint = Endpoint {
            host: failed.endpoint.host.clone(),
            port: alt.port,
            tls: alt.tls,
        };
        let opts = opts.clone();
        set.spawn(async move { (i, probe::probe(&endpoint, &opts).await) });
    }
    let mut found: Vec<(usize, Suggestion)> = Vec::new();
    let deadline = tokio::time::Instant::now() + SUGGEST_BUDGET;
    loop {
        tokio::select! {
            joined = set.join_next() => match joined {
                Some(Ok((i, r))) => {
                    if let Some(s) = judge(&alts[i], &r) {
                        found.push((i, s));
                    }
                }
                Some(Err(_)) => {}
                None => break,
            },
            // The budget is spent: what is still running says nothing.
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    set.abort_all();
    // Verified logins first, then the relay notes; each in alternative order.
    found.sort_by_key(|(i, s)| (!s.verified, s.relay, *i));
    Some(found.into_iter().map(|(_, s)| s).collect())
}

/// Says in the primary diagnosis what the alternatives showed, where the
/// advice depends on it (no AUTH on a submission port: elsewhere, or not to
/// this client).
pub(crate) fn annotate(diagnoses: &mut [Diagnosis], suggestions: &[Suggestion]) {
    let Some(d) = diagnoses
        .iter_mut()
        .find(|d| d.id == "auth-not-offered-on-submission-port")
    else {
        return;
    };
    let elsewhere: Vec<String> = suggestions
        .iter()
        .filter(|s| s.verified && !s.relay)
        .map(|s| {
            format!(
                "port {} with {}",
                s.endpoint.port,
                mode_words(s.endpoint.tls)
            )
        })
        .collect();
    let what = if elsewhere.is_empty() {
        "no other standard port on this host offers AUTH to this client either (checked without sending the secret): the server does not let this client log in; ask its administrator".to_string()
    } else {
        format!(
            "AUTH is offered on {} of the same host (checked without sending the secret): the server takes logins there, not here",
            elsewhere.join(" and ")
        )
    };
    d.detail = Some(match d.detail.take() {
        Some(old) => format!("{old}; {what}"),
        None => what,
    });
}

fn mode_words(tls: TlsMode) -> &'static str {
    match tls {
        TlsMode::Implicit => "implicit TLS",
        TlsMode::StartTls => "STARTTLS",
        TlsMode::None => "no TLS",
    }
}

/// One shell word: quoted when it holds anything but safe characters.
fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `smtp-doctor check BASE… --host H --port P --tls MODE`: `base` are the
/// words that stay (address, user, CA file, secret source…).
pub(crate) fn command_line(base: &[String], endpoint: &Endpoint) -> String {
    let mut words = vec!["smtp-doctor".to_string(), "check".to_string()];
    words.extend(base.iter().map(|w| shell_word(w)));
    words.extend([
        "--host".to_string(),
        shell_word(&endpoint.host),
        "--port".to_string(),
        endpoint.port.to_string(),
        "--tls".to_string(),
        endpoint.tls.as_str().to_string(),
    ]);
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_test_port_list() {
        assert_eq!(
            parse_ports("13465/implicit, 13587/STARTTLS,10525/starttls/relay,x/y,0/none"),
            [
                Alternative {
                    port: 13465,
                    tls: TlsMode::Implicit,
                    relay: false
                },
                Alternative {
                    port: 13587,
                    tls: TlsMode::StartTls,
                    relay: false
                },
                Alternative {
                    port: 10525,
                    tls: TlsMode::StartTls,
                    relay: true
                },
            ]
        );
    }

    #[test]
    fn command_lines_quote_what_the_shell_would_split() {
        let ep = Endpoint {
            host: "mail.example.com".into(),
            port: 465,
            tls: TlsMode::Implicit,
        };
        let base = vec![
            "alice@example.com".to_string(),
            "--cafile".to_string(),
            "/tmp/my ca.pem".to_string(),
        ];
        assert_eq!(
            command_line(&base, &ep),
            "smtp-doctor check alice@example.com --cafile '/tmp/my ca.pem' --host mail.example.com --port 465 --tls implicit"
        );
    }
}
