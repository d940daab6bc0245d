//! Resolve a host (A and AAAA) and connect with Happy Eyeballs (RFC 8305).
//!
//! Both address families are asked for at once (§3); the addresses are
//! interleaved IPv6 first (§4); connection attempts start 250 ms apart, or at
//! once when the previous attempt failed, and the first to succeed wins (§5).
//! What each family did is kept for the connect stage's detail.

use crate::net::dns::{Dns, DnsError};
use crate::net::{with_timeout, DnsFailure, ProbeError};
use crate::stage::Stage;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// RFC 8305 §5: the recommended "Connection Attempt Delay".
pub(crate) const ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// `host` without brackets (`[::1]` → `::1`).
pub(crate) fn bare_host(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// True when `host` is an IP literal (no DNS needed).
pub(crate) fn is_ip_literal(host: &str) -> bool {
    bare_host(host).parse::<IpAddr>().is_ok()
}

/// The addresses of a host, and what the family that gave none said.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolved {
    /// Interleaved, IPv6 first (RFC 8305 §4).
    pub(crate) addrs: Vec<SocketAddr>,
    /// Why A gave no address, when it did not.
    pub(crate) v4_error: Option<DnsError>,
    /// Why AAAA gave no address, when it did not.
    pub(crate) v6_error: Option<DnsError>,
}

impl Resolved {
    /// The resolve stage's detail: `AAAA ::1; A 127.0.0.1` or `A: no records`.
    pub(crate) fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (rtype, v6, error) in [("AAAA", true, &self.v6_error), ("A", false, &self.v4_error)] {
            let ips: Vec<String> = self
                .addrs
                .iter()
                .filter(|a| a.is_ipv6() == v6)
                .map(|a| a.ip().to_string())
                .collect();
            if !ips.is_empty() {
                parts.push(format!("{rtype} {}", ips.join(" ")));
            } else if let Some(e) = error {
                parts.push(format!("{rtype}: {}", e.failure.as_str()));
            }
        }
        parts.join("; ")
    }
}

/// Interleaves the families, IPv6 first (RFC 8305 §4, "First Address Family Count" 1).
fn interleave(v6: &[Ipv6Addr], v4: &[Ipv4Addr], port: u16) -> Vec<SocketAddr> {
    let mut out = Vec::with_capacity(v6.len() + v4.len());
    for i in 0..v6.len().max(v4.len()) {
        if let Some(a) = v6.get(i) {
            out.push(SocketAddr::new(IpAddr::V6(*a), port));
        }
        if let Some(a) = v4.get(i) {
            out.push(SocketAddr::new(IpAddr::V4(*a), port));
        }
    }
    out
}

/// The more telling of two failures (both families failed): a name that does
/// not exist beats one without addresses; a timeout or SERVFAIL beats both,
/// since then nothing is known about the name.
fn worse(a: DnsError, b: DnsError) -> DnsError {
    let rank = |f: DnsFailure| match f {
        DnsFailure::Timeout => 0,
        DnsFailure::ServFail => 1,
        DnsFailure::Other => 2,
        DnsFailure::NxDomain => 3,
        DnsFailure::NoRecords => 4,
    };
    if rank(b.failure) < rank(a.failure) {
        b
    } else {
        a
    }
}

/// Resolves `host:port`: IP literals directly, `localhost` to loopback
/// (RFC 6761 §6.3), anything else through `dns`, A and AAAA concurrently.
pub(crate) async fn resolve(
    dns: &dyn Dns,
    host: &str,
    port: u16,
    deadline: Duration,
) -> Result<Resolved, ProbeError> {
    let bare = bare_host(host).trim_end_matches('.').to_ascii_lowercase();
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(Resolved {
            addrs: vec![SocketAddr::new(ip, port)],
            ..Resolved::default()
        });
    }
    if bare == "localhost" || bare.ends_with(".localhost") {
        return Ok(Resolved {
            addrs: interleave(&[Ipv6Addr::LOCALHOST], &[Ipv4Addr::LOCALHOST], port),
            ..Resolved::default()
        });
    }
    let lookup = async {
        let (v4, v6) = tokio::join!(dns.ipv4(&bare), dns.ipv6(&bare));
        let (v4, v4_error) = match v4 {
            Ok(a) => (a, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        let (v6, v6_error) = match v6 {
            Ok(a) => (a, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        if v4.is_empty() && v6.is_empty() {
            let e = match (v4_error, v6_error) {
                (Some(a), Some(b)) => worse(a, b),
                (Some(e), None) | (None, Some(e)) => e,
                (None, None) => DnsError {
                    failure: DnsFailure::NoRecords,
                    name: bare.clone(),
                    rtype: "A/AAAA",
                    message: "no addresses".into(),
                },
            };
            let reason = match e.failure {
                DnsFailure::NoRecords => format!("no A or AAAA records ({})", e.message),
                _ => format!("{} {}", e.rtype, e.message),
            };
            return Err(ProbeError::Resolve {
                host: bare.clone(),
                reason,
                failure: e.failure,
            });
        }
        Ok(Resolved {
            addrs: interleave(&v6, &v4, port),
            v4_error,
            v6_error,
        })
    };
    match with_timeout(Stage::Resolve, deadline, lookup).await {
        Err(ProbeError::Timeout { .. }) => Err(ProbeError::Resolve {
            host: bare.clone(),
            reason: format!(
                "A and AAAA {bare}: no answer from DNS within {}s (timeout)",
                deadline.as_secs_f32()
            ),
            failure: DnsFailure::Timeout,
        }),
        other => other,
    }
}

fn family(addr: &SocketAddr) -> &'static str {
    if addr.is_ipv6() {
        "IPv6"
    } else {
        "IPv4"
    }
}

fn connect_error(addr: SocketAddr, e: &std::io::Error) -> ProbeError {
    if e.kind() == std::io::ErrorKind::ConnectionRefused {
        ProbeError::ConnectRefused {
            addr: addr.to_string(),
        }
    } else {
        ProbeError::Connect {
            addr: addr.to_string(),
            reason: e.to_string(),
        }
    }
}

/// The connect stage's detail: the address that worked (or none), then what
/// failed, per family: `127.0.0.1:587 (IPv4); IPv6 [::1]:587: connection refused`.
fn detail(
    won: Option<&SocketAddr>,
    resolved: &Resolved,
    failures: &[(SocketAddr, String)],
) -> String {
    let mut parts = Vec::new();
    if let Some(a) = won {
        if resolved.addrs.len() > 1 || resolved.v4_error.is_some() || resolved.v6_error.is_some() {
            parts.push(format!("{a} ({})", family(a)));
        } else {
            parts.push(a.to_string());
        }
    }
    for (addr, why) in failures {
        parts.push(format!("{} {addr}: {why}", family(addr)));
    }
    for e in [&resolved.v6_error, &resolved.v4_error]
        .into_iter()
        .flatten()
    {
        let fam = if e.rtype == "AAAA" { "IPv6" } else { "IPv4" };
        parts.push(format!(
            "{fam}: no address ({} {})",
            e.rtype,
            e.failure.as_str()
        ));
    }
    parts.join("; ")
}

/// A connection and the connect stage's detail.
pub(crate) struct Connected {
    pub(crate) stream: TcpStream,
    pub(crate) addr: SocketAddr,
    pub(crate) detail: String,
}

/// A failed connect: the error, the last address tried and the stage detail.
pub(crate) struct ConnectFailed {
    pub(crate) error: ProbeError,
    pub(crate) addr: Option<SocketAddr>,
    pub(crate) detail: String,
}

/// Races connections to `resolved.addrs` (RFC 8305 §5), all within `deadline`.
pub(crate) async fn connect(
    resolved: &Resolved,
    deadline: Duration,
) -> Result<Connected, ConnectFailed> {
    let addrs = &resolved.addrs;
    if addrs.is_empty() {
        return Err(ConnectFailed {
            error: ProbeError::Connect {
                addr: String::new(),
                reason: "no address to connect to".into(),
            },
            addr: None,
            detail: "no address to connect to".into(),
        });
    }
    let until = tokio::time::Instant::now() + deadline;
    let mut attempts: JoinSet<(SocketAddr, std::io::Result<TcpStream>)> = JoinSet::new();
    let mut failures: Vec<(SocketAddr, String)> = Vec::new();
    let mut last_error = None;
    let mut next = 0;
    loop {
        if let Some(&addr) = addrs.get(next) {
            next += 1;
            attempts.spawn(async move { (addr, TcpStream::connect(addr).await) });
        }
        let more = next < addrs.len();
        let wake = if more {
            (tokio::time::Instant::now() + ATTEMPT_DELAY).min(until)
        } else {
            until
        };
        // Wait for a result, the next attempt's start, or the deadline.
        loop {
            tokio::select! {
                Some(joined) = attempts.join_next() => {
                    let Ok((addr, result)) = joined else { continue };
                    match result {
                        Ok(stream) => {
                            let _ = stream.set_nodelay(true);
                            let detail = detail(Some(&addr), resolved, &failures);
                            return Ok(Connected { stream, addr, detail });
                        }
                        Err(e) => {
                            let err = connect_error(addr, &e);
                            failures.push((addr, short(&err)));
                            last_error = Some((err, addr));
                            if more {
                                break; // §5: start the next one now
                            }
                            if attempts.is_empty() {
                                let (error, addr) = last_error.take().expect("just set");
                                return Err(ConnectFailed {
                                    error,
                                    addr: Some(addr),
                                    detail: detail(None, resolved, &failures),
                                });
                            }
                        }
                    }
                }
                _ = tokio::time::sleep_until(wake) => {
                    if more && wake < until {
                        break;
                    }
                    let addr = last_error.as_ref().map(|(_, a)| *a).or_else(|| addrs.first().copied());
                    let mut d = detail(None, resolved, &failures);
                    let pending: Vec<String> = addrs[..next]
                        .iter()
                        .filter(|a| !failures.iter().any(|(f, _)| f == *a))
                        .map(|a| format!("{} {a}: no answer", family(a)))
                        .collect();
                    if !pending.is_empty() {
                        if !d.is_empty() {
                            d.push_str("; ");
                        }
                        d.push_str(&pending.join("; "));
                    }
                    return Err(ConnectFailed {
                        error: ProbeError::Timeout { stage: Stage::Connect, after: deadline, bytes_seen: 0 },
                        addr,
                        detail: d,
                    });
                }
            }
        }
    }
}

/// A failure's short form for the detail line.
fn short(e: &ProbeError) -> String {
    match e {
        ProbeError::ConnectRefused { .. } => "connection refused".into(),
        ProbeError::Connect { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaves_ipv6_first() {
        let v6 = [Ipv6Addr::LOCALHOST, Ipv6Addr::UNSPECIFIED];
        let v4 = [Ipv4Addr::LOCALHOST];
        let got: Vec<String> = interleave(&v6, &v4, 25)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(got, ["[::1]:25", "127.0.0.1:25", "[::]:25"]);
    }

    #[tokio::test]
    async fn races_families_and_reports_the_loser() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // Nothing listens on [::1]:port (or IPv6 is absent): that attempt fails.
        let resolved = Resolved {
            addrs: interleave(&[Ipv6Addr::LOCALHOST], &[Ipv4Addr::LOCALHOST], port),
            ..Resolved::default()
        };
        let c = connect(&resolved, Duration::from_secs(5))
            .await
            .ok()
            .unwrap();
        assert_eq!(c.addr, SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
        assert!(
            c.detail.starts_with(&format!("127.0.0.1:{port} (IPv4)")),
            "{}",
            c.detail
        );
        assert!(
            c.detail.contains(&format!("IPv6 [::1]:{port}")),
            "{}",
            c.detail
        );
    }

    #[tokio::test]
    async fn all_refused_is_refused() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let resolved = Resolved {
            addrs: vec![SocketAddr::from((Ipv4Addr::LOCALHOST, port))],
            ..Resolved::default()
        };
        let f = connect(&resolved, Duration::from_secs(5))
            .await
            .err()
            .unwrap();
        assert!(
            matches!(f.error, ProbeError::ConnectRefused { .. }),
            "{:?}",
            f.error
        );
    }
}
