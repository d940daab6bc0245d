//! Resolve a host and open a TCP connection, each under its own deadline.
//!
//! Addresses are tried in the order the resolver returns them, one after the
//! other; every failure is kept so the report can say which family failed.

use crate::net::{with_timeout, ProbeError};
use crate::stage::Stage;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::net::TcpStream;

/// `host` without brackets (`[::1]` → `::1`).
pub fn bare_host(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// True when `host` is an IP literal (no DNS needed).
pub fn is_ip_literal(host: &str) -> bool {
    bare_host(host).parse::<IpAddr>().is_ok()
}

/// Resolves `host:port` with the system resolver.
pub async fn resolve(
    host: &str,
    port: u16,
    deadline: Duration,
) -> Result<Vec<SocketAddr>, ProbeError> {
    let bare = bare_host(host).to_string();
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let lookup = async {
        match tokio::net::lookup_host((bare.as_str(), port)).await {
            Ok(addrs) => {
                let addrs: Vec<SocketAddr> = addrs.collect();
                if addrs.is_empty() {
                    Err(ProbeError::Resolve {
                        host: bare.clone(),
                        reason: "no addresses".into(),
                        nxdomain: false,
                    })
                } else {
                    Ok(addrs)
                }
            }
            Err(e) => {
                let reason = e.to_string();
                let lower = reason.to_lowercase();
                // getaddrinfo's EAI_NONAME text ("Name or service not known",
                // "No address associated with hostname") means the name is not there.
                let nxdomain = lower.contains("not known")
                    || lower.contains("no address associated")
                    || lower.contains("nodename nor servname");
                Err(ProbeError::Resolve {
                    host: bare.clone(),
                    reason,
                    nxdomain,
                })
            }
        }
    };
    with_timeout(Stage::Resolve, deadline, lookup).await
}

/// Connects to the first address that accepts; returns the stream and address.
pub async fn connect(
    addrs: &[SocketAddr],
    deadline: Duration,
) -> Result<(TcpStream, SocketAddr), (ProbeError, Option<SocketAddr>)> {
    let mut last = None;
    for addr in addrs {
        let attempt = with_timeout(Stage::Connect, deadline, async {
            TcpStream::connect(addr).await.map_err(|e| {
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
            })
        })
        .await;
        match attempt {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok((s, *addr));
            }
            Err(e) => last = Some((e, Some(*addr))),
        }
    }
    Err(last.unwrap_or((
        ProbeError::Connect {
            addr: String::new(),
            reason: "no address to connect to".into(),
        },
        None,
    )))
}
