//! A tiny scripted SMTP server for `demo`: greeting, EHLO/HELO, STARTTLS,
//! AUTH PLAIN/LOGIN, QUIT. Loopback only; one task per connection.

use crate::smtp::sasl;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// What the server says.
#[derive(Debug, Clone)]
pub(crate) struct Script {
    /// Greeting text after `220 `.
    pub(crate) greeting: String,
    /// EHLO keyword lines before TLS.
    pub(crate) ehlo_plain: Vec<String>,
    /// EHLO keyword lines after TLS.
    pub(crate) ehlo_tls: Vec<String>,
    /// The password that authenticates, if any.
    pub(crate) accept_password: Option<String>,
    /// The full reply lines sent for a refused AUTH.
    pub(crate) auth_failure: Vec<String>,
}

/// A running demo server.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    /// The CA certificate that signed the server's certificate.
    pub(crate) ca: CertificateDer<'static>,
}

impl Server {
    /// Binds 127.0.0.1:0, generates a CA and a `localhost`/127.0.0.1
    /// certificate, and serves `script` in the background.
    pub(crate) async fn start(script: Script) -> Result<Server, String> {
        let (ca, chain, key) = certificates()?;
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| e.to_string())?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let script = Arc::new(script);
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let _ = tcp.set_nodelay(true);
                let (script, acceptor) = (script.clone(), acceptor.clone());
                tokio::spawn(async move {
                    if let Some(tcp) = dialogue(tcp, false, &script).await {
                        if let Ok(tls) = acceptor.accept(tcp).await {
                            let _ = dialogue(tls, true, &script).await;
                        }
                    }
                });
            }
        });
        Ok(Server { addr, ca })
    }
}

type Certs = (
    CertificateDer<'static>,
    Vec<CertificateDer<'static>>,
    PrivateKeyDer<'static>,
);

fn certificates() -> Result<Certs, String> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
    let err = |e: rcgen::Error| e.to_string();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "smtp-doctor demo CA");
    let ca_key = KeyPair::generate().map_err(err)?;
    let ca = ca_params.self_signed(&ca_key).map_err(err)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).map_err(err)?;
    params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    // A realistic validity (rcgen's default runs to the year 4096).
    let year = 1970
        + std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 31_556_952) as i32;
    params.not_before = rcgen::date_time_ymd(year - 1, 1, 1);
    params.not_after = rcgen::date_time_ymd(year + 2, 1, 1);
    let key = KeyPair::generate().map_err(err)?;
    let leaf = params.signed_by(&key, &ca, &ca_key).map_err(err)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((ca.der().clone(), vec![leaf.der().clone()], key))
}

/// Serves one connection. Returns the stream when the client asked for
/// STARTTLS (so the caller can upgrade it); `None` when the session ended.
async fn dialogue<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    tls: bool,
    script: &Script,
) -> Option<S> {
    let mut io = BufReader::new(stream);
    if !tls {
        send(&mut io, &[format!("220 {}", script.greeting)]).await?;
    }
    let mut line = String::new();
    loop {
        line.clear();
        // Bound what one client line may take (a demo client is well-behaved).
        let n = (&mut io).take(4096).read_line(&mut line).await.ok()?;
        if n == 0 {
            return None;
        }
        let cmd = line.trim_end();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            let caps = if tls {
                &script.ehlo_tls
            } else {
                &script.ehlo_plain
            };
            let mut lines = vec![format!("250-{}", host(&script.greeting))];
            for (i, c) in caps.iter().enumerate() {
                let sep = if i + 1 == caps.len() { ' ' } else { '-' };
                lines.push(format!("250{sep}{c}"));
            }
            if caps.is_empty() {
                lines[0].replace_range(3..4, " ");
            }
            send(&mut io, &lines).await?;
        } else if upper.starts_with("HELO") {
            send(&mut io, &[format!("250 {}", host(&script.greeting))]).await?;
        } else if upper == "STARTTLS" && !tls {
            send(&mut io, &["220 2.0.0 Ready to start TLS".to_string()]).await?;
            return Some(io.into_inner());
        } else if let Some(rest) = upper.strip_prefix("AUTH ") {
            let password = match rest.split_whitespace().next() {
                Some("PLAIN") => {
                    let ir = cmd.split_whitespace().nth(2).map(str::to_string);
                    let blob = match ir {
                        Some(b) => b,
                        None => {
                            send(&mut io, &["334 ".to_string()]).await?;
                            read_line(&mut io).await?
                        }
                    };
                    sasl::decode_challenge(&blob).map(|b| {
                        String::from_utf8_lossy(&b)
                            .rsplit('\0')
                            .next()
                            .unwrap_or("")
                            .to_string()
                    })
                }
                Some("LOGIN") => {
                    send(&mut io, &["334 VXNlcm5hbWU6".to_string()]).await?;
                    read_line(&mut io).await?;
                    send(&mut io, &["334 UGFzc3dvcmQ6".to_string()]).await?;
                    let p = read_line(&mut io).await?;
                    sasl::decode_challenge(&p).map(|b| String::from_utf8_lossy(&b).to_string())
                }
                _ => {
                    send(
                        &mut io,
                        &["504 5.7.4 Unrecognized authentication type".to_string()],
                    )
                    .await?;
                    continue;
                }
            };
            let ok = password.is_some() && password == script.accept_password;
            if ok {
                send(
                    &mut io,
                    &["235 2.7.0 Authentication successful".to_string()],
                )
                .await?;
            } else {
                send(&mut io, &script.auth_failure).await?;
            }
        } else if upper == "QUIT" {
            send(&mut io, &["221 2.0.0 Bye".to_string()]).await?;
            return None;
        } else {
            send(
                &mut io,
                &["502 5.5.2 Error: command not recognized".to_string()],
            )
            .await?;
        }
    }
}

fn host(greeting: &str) -> &str {
    greeting.split_whitespace().next().unwrap_or("localhost")
}

async fn read_line<S: AsyncRead + AsyncWrite + Unpin>(io: &mut BufReader<S>) -> Option<String> {
    let mut line = String::new();
    let n = io.take(4096).read_line(&mut line).await.ok()?;
    (n > 0).then(|| line.trim_end().to_string())
}

async fn send<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<S>,
    lines: &[String],
) -> Option<()> {
    let mut out = String::new();
    for l in lines {
        out.push_str(l);
        out.push_str("\r\n");
    }
    io.get_mut().write_all(out.as_bytes()).await.ok()?;
    io.get_mut().flush().await.ok()
}
