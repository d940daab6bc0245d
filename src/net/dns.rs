//! DNS look-ups (SRV, MX, A, AAAA): the ONE module that uses hickory-resolver.
//!
//! Everything else sees the small [`Dns`] trait, so candidate ordering can be
//! tested with a fake resolver, and hickory's error types are translated here,
//! once, into [`DnsFailure`] (NXDOMAIN, no records, SERVFAIL, timeout).
//!
//! `--dns-server ADDR[:PORT]` asks only that server (UDP, TCP on truncation);
//! without it the system configuration (`/etc/resolv.conf`, `/etc/hosts`) is
//! read. Names are always queried fully qualified, so no search list applies.

use crate::net::DnsFailure;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::{ResolveError, TokioResolver};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::time::Duration;

/// An SRV record (RFC 2782), target without the trailing dot, lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Srv {
    pub(crate) priority: u16,
    pub(crate) weight: u16,
    pub(crate) port: u16,
    pub(crate) target: String,
}

/// An MX record (RFC 5321 §5.1), exchange without the trailing dot, lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mx {
    pub(crate) preference: u16,
    pub(crate) exchange: String,
}

/// A failed look-up: which name and type, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DnsError {
    pub(crate) failure: DnsFailure,
    /// The name asked for (no trailing dot).
    pub(crate) name: String,
    /// The record type asked for: `SRV`, `MX`, `A`, `AAAA`.
    pub(crate) rtype: &'static str,
    /// Who was asked and what it said, for the report.
    pub(crate) message: String,
}

impl std::fmt::Display for DnsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.name, self.rtype, self.message)
    }
}

/// A boxed look-up future (object-safe trait without extra crates).
pub(crate) type DnsFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, DnsError>> + Send + 'a>>;

/// The look-ups discovery and connecting need. Implementations return
/// `Err(NoRecords)` rather than an empty list.
pub(crate) trait Dns: Send + Sync + std::fmt::Debug {
    fn srv<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<Srv>>;
    fn mx<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<Mx>>;
    fn ipv4<'a>(&'a self, host: &'a str) -> DnsFuture<'a, Vec<Ipv4Addr>>;
    fn ipv6<'a>(&'a self, host: &'a str) -> DnsFuture<'a, Vec<Ipv6Addr>>;
}

/// Parses `--dns-server`: `ADDR`, `ADDR:PORT`, `[V6]:PORT` or `V6` (port 53).
pub(crate) fn parse_server(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Ok(sa);
    }
    let bare = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    match bare.parse::<IpAddr>() {
        Ok(ip) => Ok(SocketAddr::new(ip, 53)),
        Err(_) => Err(format!(
            "{s:?} is not an IP address with an optional port (e.g. 127.0.0.1:5353 or [::1]:53)"
        )),
    }
}

/// The hickory-resolver backed implementation.
#[derive(Debug)]
pub(crate) struct HickoryDns {
    resolver: Result<TokioResolver, String>,
    /// How the answers' source is named in messages.
    via: String,
    /// Deadline of one look-up, retries included.
    deadline: Duration,
}

impl HickoryDns {
    /// Resolver options shared by both constructors: per-query timeout from
    /// the stage deadline, two attempts, no cache beyond this run.
    fn options(timeout: Duration) -> ResolverOpts {
        let mut o = ResolverOpts::default();
        o.timeout = (timeout / 2).clamp(Duration::from_millis(100), Duration::from_secs(5));
        o.attempts = 2;
        o.ndots = 0;
        o.edns0 = true;
        o
    }

    /// Only the DNS server at `addr` (UDP, and TCP when an answer is truncated).
    pub(crate) fn server(addr: SocketAddr, timeout: Duration) -> HickoryDns {
        let mut config = ResolverConfig::new();
        config.add_name_server(NameServerConfig::new(addr, Protocol::Udp));
        config.add_name_server(NameServerConfig::new(addr, Protocol::Tcp));
        let mut opts = Self::options(timeout);
        opts.use_hosts_file = ResolveHosts::Never;
        let mut builder =
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default());
        *builder.options_mut() = opts;
        HickoryDns {
            resolver: Ok(builder.build()),
            via: format!("DNS server {addr}"),
            deadline: timeout,
        }
    }

    /// The system configuration (`/etc/resolv.conf`, and `/etc/hosts` for addresses).
    pub(crate) fn system(timeout: Duration) -> HickoryDns {
        let resolver = TokioResolver::builder_tokio()
            .map(|mut b| {
                // Our deadlines, not resolv.conf's `options timeout:`.
                let mut opts = Self::options(timeout);
                opts.use_hosts_file = ResolveHosts::Always;
                *b.options_mut() = opts;
                b.build()
            })
            .map_err(|e| format!("cannot read the system DNS configuration: {e}"));
        HickoryDns {
            resolver,
            via: "the system resolver".into(),
            deadline: timeout,
        }
    }

    fn error(&self, name: &str, rtype: &'static str, e: &ResolveError) -> DnsError {
        let (failure, what) = classify(e);
        DnsError {
            failure,
            name: name.to_string(),
            rtype,
            message: format!("{what} (from {})", self.via),
        }
    }

    fn broken(&self, name: &str, rtype: &'static str, why: &str) -> DnsError {
        DnsError {
            failure: DnsFailure::Other,
            name: name.to_string(),
            rtype,
            message: why.to_string(),
        }
    }
}

/// Always ask for the fully qualified name (no search list, RFC 1535).
fn fqdn(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

fn clean(name: &impl ToString) -> String {
    name.to_string().trim_end_matches('.').to_ascii_lowercase()
}

/// Translates hickory's error into our vocabulary and a short description.
fn classify(e: &ResolveError) -> (DnsFailure, String) {
    let Some(proto) = e.proto() else {
        return (DnsFailure::Other, e.to_string());
    };
    match proto.kind() {
        ProtoErrorKind::NoRecordsFound { response_code, .. } => match *response_code {
            ResponseCode::NXDomain => (DnsFailure::NxDomain, "NXDOMAIN (no such name)".into()),
            ResponseCode::NoError => (DnsFailure::NoRecords, "no records of this type".into()),
            code => (DnsFailure::ServFail, format!("the server answered {code}")),
        },
        ProtoErrorKind::Timeout => (DnsFailure::Timeout, "no answer before the timeout".into()),
        _ if proto.to_string().to_lowercase().contains("timed out") => {
            (DnsFailure::Timeout, "no answer before the timeout".into())
        }
        _ => (DnsFailure::Other, proto.to_string()),
    }
}

/// Runs one look-up and maps an empty answer to `NoRecords`.
macro_rules! lookup {
    ($self:ident, $name:ident, $method:ident, $rtype:literal, |$r:ident| $map:expr) => {
        Box::pin(async move {
            let resolver = match &$self.resolver {
                Ok(r) => r,
                Err(why) => return Err($self.broken($name, $rtype, why)),
            };
            let answer = tokio::time::timeout($self.deadline, resolver.$method(fqdn($name))).await;
            let Ok(answer) = answer else {
                return Err(DnsError {
                    failure: DnsFailure::Timeout,
                    name: $name.trim_end_matches('.').to_string(),
                    rtype: $rtype,
                    message: format!(
                        "no answer within {}s (timeout, {})",
                        $self.deadline.as_secs_f32(),
                        $self.via
                    ),
                });
            };
            match answer {
                Ok(answer) => {
                    let out: Vec<_> = answer.iter().map(|$r| $map).collect();
                    if out.is_empty() {
                        Err(DnsError {
                            failure: DnsFailure::NoRecords,
                            name: $name.trim_end_matches('.').to_string(),
                            rtype: $rtype,
                            message: format!("no records of this type (from {})", $self.via),
                        })
                    } else {
                        Ok(out)
                    }
                }
                Err(e) => Err($self.error($name.trim_end_matches('.'), $rtype, &e)),
            }
        })
    };
}

impl Dns for HickoryDns {
    fn srv<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<Srv>> {
        lookup!(self, name, srv_lookup, "SRV", |r| Srv {
            priority: r.priority(),
            weight: r.weight(),
            port: r.port(),
            target: clean(r.target()),
        })
    }

    fn mx<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<Mx>> {
        lookup!(self, name, mx_lookup, "MX", |r| Mx {
            preference: r.preference(),
            exchange: clean(r.exchange()),
        })
    }

    fn ipv4<'a>(&'a self, host: &'a str) -> DnsFuture<'a, Vec<Ipv4Addr>> {
        lookup!(self, host, ipv4_lookup, "A", |r| r.0)
    }

    fn ipv6<'a>(&'a self, host: &'a str) -> DnsFuture<'a, Vec<Ipv6Addr>> {
        lookup!(self, host, ipv6_lookup, "AAAA", |r| r.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_server_forms() {
        assert_eq!(
            parse_server("127.0.0.1").unwrap(),
            "127.0.0.1:53".parse().unwrap()
        );
        assert_eq!(
            parse_server("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(parse_server("::1").unwrap(), "[::1]:53".parse().unwrap());
        assert_eq!(
            parse_server("[::1]:54").unwrap(),
            "[::1]:54".parse().unwrap()
        );
        assert!(parse_server("dns.example").is_err());
    }

    #[test]
    fn names_are_queried_fully_qualified() {
        assert_eq!(fqdn("example.com"), "example.com.");
        assert_eq!(fqdn("example.com."), "example.com.");
    }
}
