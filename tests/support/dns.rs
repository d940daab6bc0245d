//! A real, authoritative DNS server on 127.0.0.1 for the discovery tests,
//! built with hickory-server: UDP and TCP on the same port, speaking the wire
//! protocol, serving in-memory zones (SOA, A, AAAA, MX, SRV). Names under a
//! zone that are not listed get NXDOMAIN with the zone's SOA (RFC 2308);
//! zones marked `servfail` answer SERVFAIL; `nxdomain_everything()` answers
//! NXDOMAIN for every name (a broken resolver). `silent()` is a server that
//! never answers (for timeouts). Nothing here reaches beyond loopback.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use hickory_server::authority::{Catalog, MessageResponseBuilder, ZoneType};
use hickory_server::proto::op::ResponseCode;
use hickory_server::proto::rr::rdata::{A, AAAA, MX, SOA, SRV};
use hickory_server::proto::rr::{LowerName, Name, RData, Record};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryAuthority;
use hickory_server::ServerFuture;
use tokio::sync::oneshot;

fn name(s: &str) -> Name {
    Name::from_str(&format!("{}.", s.trim_end_matches('.'))).expect("valid DNS name")
}

/// The zones and records to serve.
#[derive(Default)]
pub struct TestDns {
    /// origin → records
    zones: BTreeMap<String, Vec<Record>>,
    servfail: Vec<String>,
    nxdomain_everything: bool,
}

impl TestDns {
    pub fn new() -> Self {
        Self::default()
    }

    /// An authoritative zone (gets an SOA).
    pub fn zone(mut self, origin: &str) -> Self {
        self.zones.entry(origin.to_string()).or_default();
        self
    }

    /// A resolver that answers NXDOMAIN for every name (a broken or
    /// filtering resolver, a captive portal's DNS).
    pub fn nxdomain_everything(mut self) -> Self {
        self.nxdomain_everything = true;
        self
    }

    /// A zone whose every answer is SERVFAIL.
    pub fn servfail(mut self, origin: &str) -> Self {
        self.servfail.push(origin.to_string());
        self
    }

    fn add(&mut self, owner: &str, rdata: RData) {
        let origin = self
            .zones
            .keys()
            .filter(|z| owner == z.as_str() || owner.ends_with(&format!(".{z}")))
            .max_by_key(|z| z.len())
            .cloned()
            .unwrap_or_else(|| panic!("no zone for {owner}: add .zone(...) first"));
        let record = Record::from_rdata(name(owner), 60, rdata);
        self.zones.get_mut(&origin).expect("zone").push(record);
    }

    pub fn a(mut self, owner: &str, ip: &str) -> Self {
        let rdata = match ip.parse::<IpAddr>().expect("IP address") {
            IpAddr::V4(v4) => RData::A(A(v4)),
            IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
        };
        self.add(owner, rdata);
        self
    }

    pub fn mx(mut self, owner: &str, preference: u16, exchange: &str) -> Self {
        self.add(owner, RData::MX(MX::new(preference, name(exchange))));
        self
    }

    pub fn srv(mut self, owner: &str, priority: u16, weight: u16, port: u16, target: &str) -> Self {
        self.add(
            owner,
            RData::SRV(SRV::new(priority, weight, port, name(target))),
        );
        self
    }

    /// Binds 127.0.0.1 (UDP and TCP, one port) and serves in a background thread.
    pub fn spawn(mut self) -> DnsServer {
        // A working resolver resolves smtp-doctor's control name (the
        // provider table's smtp.gmail.com, asked after a failed lookup to
        // tell a typo from broken DNS); loopback, so nothing leaves the machine.
        if !self.nxdomain_everything && !self.zones.contains_key("gmail.com") {
            self = self.zone("gmail.com").a("smtp.gmail.com", "127.0.0.1");
        }
        let (udp, tcp) = bind_pair();
        let port = udp.local_addr().expect("local addr").port();
        let mut catalog = Catalog::new();
        for (origin, records) in self.zones {
            let origin_name = name(&origin);
            let mut authority =
                InMemoryAuthority::empty(origin_name.clone(), ZoneType::Primary, false);
            let soa = SOA::new(
                name(&format!("ns.{origin}")),
                name(&format!("hostmaster.{origin}")),
                1,
                3600,
                600,
                86400,
                60,
            );
            authority.upsert_mut(
                Record::from_rdata(origin_name.clone(), 60, RData::SOA(soa)),
                1,
            );
            for r in records {
                authority.upsert_mut(r, 1);
            }
            catalog.upsert(
                LowerName::new(&origin_name),
                vec![std::sync::Arc::new(authority)],
            );
        }
        let handler = Handler {
            nxdomain_everything: self.nxdomain_everything,
            catalog,
            servfail: self
                .servfail
                .iter()
                .map(|z| LowerName::new(&name(z)))
                .collect(),
        };
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(format!("test-dns-{port}"))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("DNS runtime");
                runtime.block_on(async move {
                    let mut server = ServerFuture::new(handler);
                    udp.set_nonblocking(true).expect("nonblocking udp");
                    tcp.set_nonblocking(true).expect("nonblocking tcp");
                    server.register_socket(tokio::net::UdpSocket::from_std(udp).expect("udp"));
                    server.register_listener(
                        tokio::net::TcpListener::from_std(tcp).expect("tcp"),
                        Duration::from_secs(5),
                    );
                    let _ = stop_rx.await;
                    let _ = server.shutdown_gracefully().await;
                });
            })
            .expect("spawn DNS thread");
        DnsServer {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            _stop: Some(stop_tx),
            _silent: None,
        }
    }

    /// A DNS server that never answers: both sockets are bound, nothing reads.
    pub fn silent() -> DnsServer {
        let (udp, tcp) = bind_pair();
        let addr = udp.local_addr().expect("local addr");
        DnsServer {
            addr,
            _stop: None,
            _silent: Some((udp, tcp)),
        }
    }
}

/// UDP and TCP on the same free loopback port.
fn bind_pair() -> (UdpSocket, TcpListener) {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp 127.0.0.1:0");
        let port = udp.local_addr().expect("local addr").port();
        if let Ok(tcp) = TcpListener::bind(("127.0.0.1", port)) {
            return (udp, tcp);
        }
    }
    panic!("no loopback port free for both UDP and TCP");
}

/// The request handler: SERVFAIL for the broken zones, else the catalog.
struct Handler {
    nxdomain_everything: bool,
    catalog: Catalog,
    servfail: Vec<LowerName>,
}

// hickory-server declares the trait with `#[async_trait]`; this is its
// desugared form, so the tests need no extra crate.
impl RequestHandler for Handler {
    fn handle_request<'a, 'b, 'c, R>(
        &'a self,
        request: &'b Request,
        mut response_handle: R,
    ) -> Pin<Box<dyn Future<Output = ResponseInfo> + Send + 'c>>
    where
        R: ResponseHandler + 'c,
        'a: 'c,
        'b: 'c,
        Self: 'c,
    {
        Box::pin(async move {
            let broken = request
                .request_info()
                .map(|info| self.servfail.iter().any(|z| z.zone_of(info.query.name())))
                .unwrap_or(false);
            if broken || self.nxdomain_everything {
                let code = if broken {
                    ResponseCode::ServFail
                } else {
                    ResponseCode::NXDomain
                };
                let response = MessageResponseBuilder::from_message_request(request)
                    .error_msg(request.header(), code);
                let header = *request.header();
                return response_handle
                    .send_response(response)
                    .await
                    .unwrap_or_else(|_| ResponseInfo::from(header));
            }
            self.catalog.handle_request(request, response_handle).await
        })
    }
}

/// A running DNS server; dropping it stops it.
pub struct DnsServer {
    addr: SocketAddr,
    _stop: Option<oneshot::Sender<()>>,
    _silent: Option<(UdpSocket, TcpListener)>,
}

impl DnsServer {
    /// `127.0.0.1:PORT`, for `--dns-server`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}
