//! An in-process HTTP(S) server on loopback for the web discovery tests:
//! autoconfig files, an ISPDB and Autodiscover answers, and the hostile
//! cases (HTTP 500, a redirect loop, a 50 MB body, a silent server).
//!
//! One tokio runtime per server in a background thread; routes by `Host`
//! header and path (the query is ignored); TLS with the test PKI's valid
//! leaf for the test domains (tokio-rustls, ring), so smtp-doctor trusts it with `--cafile`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The web discovery tests' domains; the web server's certificate names each
/// (and its `autoconfig.` and `autodiscover.` hosts).
pub const DOMAINS: &[&str] = &[
    "provider.test",
    "wellknown.test",
    "ispdb-only.test",
    "webhost-google.test",
    "autodiscover.test",
    "srv-disagrees.test",
    "guess-only.test",
    "hostile.test",
    "hoster-customer.test",
    "settings.test",
];

/// What a route answers.
#[derive(Clone, Debug)]
pub enum Reply {
    Xml(String),
    Status(u16),
    Redirect(String),
    /// This many bytes of `a` (sent as fast as the client reads).
    Huge(usize),
}

pub struct WebServer {
    pub addr: SocketAddr,
    /// Requests seen: `host path`.
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl WebServer {
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

/// `SMTP_DOCTOR_HTTP_PORTS` for smtp-doctor: https (and http) to these servers.
pub fn ports_env(https: &WebServer, http: Option<&WebServer>) -> String {
    match http {
        Some(h) => format!("https={},http={}", https.port(), h.port()),
        None => format!("https={},http=9", https.port()),
    }
}

#[derive(Default)]
pub struct Web {
    routes: HashMap<(String, String), Reply>,
    tls: bool,
    silent: bool,
}

impl Web {
    pub fn https() -> Web {
        Web {
            tls: true,
            ..Web::default()
        }
    }

    pub fn http() -> Web {
        Web::default()
    }

    /// Accepts connections and never answers (not even the TLS handshake).
    pub fn silent() -> Web {
        Web {
            silent: true,
            ..Web::default()
        }
    }

    /// `host` is matched without port; `path` without query.
    pub fn route(mut self, host: &str, path: &str, reply: Reply) -> Web {
        self.routes.insert((host.into(), path.into()), reply);
        self
    }

    pub fn spawn(self) -> WebServer {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind web server");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        let routes = Arc::new(self.routes);
        let tls = self.tls;
        let silent = self.silent;
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("listener");
                let acceptor =
                    tokio_rustls::TlsAcceptor::from(crate::support::certs::web_server_config());
                let mut held = Vec::new();
                loop {
                    let Ok((sock, _)) = listener.accept().await else {
                        continue;
                    };
                    if silent {
                        held.push(sock);
                        continue;
                    }
                    let routes = routes.clone();
                    let seen = seen2.clone();
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        if tls {
                            if let Ok(s) = acceptor.accept(sock).await {
                                serve(s, &routes, &seen).await;
                            }
                        } else {
                            serve(sock, &routes, &seen).await;
                        }
                    });
                }
            });
        });
        WebServer { addr, seen }
    }
}

async fn serve<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut s: S,
    routes: &HashMap<(String, String), Reply>,
    seen: &Mutex<Vec<String>>,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head).to_string();
    let path = text
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .split('?')
        .next()
        .unwrap_or("/")
        .to_string();
    let host = text
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("host").then(|| v.trim().to_string())
        })
        .unwrap_or_default();
    let host = host
        .rsplit_once(':')
        .map(|(h, _)| h.to_string())
        .unwrap_or(host);
    seen.lock().unwrap().push(format!("{host} {path}"));
    let reply = routes
        .get(&(host.clone(), path.clone()))
        .cloned()
        .unwrap_or(Reply::Status(404));
    let _ = match reply {
        Reply::Xml(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            s.write_all(head.as_bytes())
                .await
                .and(s.write_all(body.as_bytes()).await)
        }
        Reply::Status(code) => {
            let head =
                format!("HTTP/1.1 {code} Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            s.write_all(head.as_bytes()).await
        }
        Reply::Redirect(to) => {
            let head = format!(
                "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            s.write_all(head.as_bytes()).await
        }
        Reply::Huge(n) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n"
            );
            let chunk = vec![b'a'; 64 * 1024];
            let mut r = s.write_all(head.as_bytes()).await;
            let mut left = n;
            while r.is_ok() && left > 0 {
                let k = left.min(chunk.len());
                r = s.write_all(&chunk[..k]).await;
                left -= k;
            }
            r
        }
    };
    let _ = s.shutdown().await;
}

/// A config-v1.1.xml naming one SMTP server.
pub fn autoconfig(host: &str, port: u16, socket: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="x">
    <outgoingServer type="smtp">
      <hostname>{host}</hostname>
      <port>{port}</port>
      <socketType>{socket}</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>"#
    )
}

/// An Autodiscover POX answer naming one SMTP server.
pub fn autodiscover(host: &str, port: u16, encryption: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
 <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
  <Account><AccountType>email</AccountType><Action>settings</Action>
   <Protocol><Type>SMTP</Type><Server>{host}</Server><Port>{port}</Port><SSL>on</SSL><Encryption>{encryption}</Encryption></Protocol>
  </Account>
 </Response>
</Autodiscover>"#
    )
}
