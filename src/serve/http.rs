//! The HTTP side: hyper's HTTP/1.1 server, routes, limits, optional TLS
//! (tokio-rustls on ring) and basic auth from `[web]`, shutdown.
//!
//! Limits are what keep a loopback service from being a soft target: header
//! read deadline (slowloris), body read deadline and a 1 MiB body cap
//! (checked on `Content-Length` before reading, and while reading), a cap on
//! open connections. The pasted text of `/explain` is never logged and never
//! leaves the process.

use super::exporter::{probe_metrics, self_metrics, Exporter};
use super::ExplainFn;
use super::Web;
use crate::error::Error;
use crate::render;
use crate::secret::Secret;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::Watcher;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The largest request body accepted (`POST /explain`).
pub(crate) const MAX_BODY: usize = 1024 * 1024;
/// Connections open at once; more wait in the kernel's accept queue.
const MAX_CONNECTIONS: usize = 256;
/// How long shutdown waits for requests under way (a check can take 30 s).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

const PAGE: &str = include_str!("page.html");
const TEXT: &str = "text/plain; charset=utf-8";
const EXPOSITION: &str = "text/plain; version=0.0.4; charset=utf-8";

struct App {
    exporter: Arc<Exporter>,
    explain: ExplainFn,
    started: SystemTime,
    /// `[web]` basic auth: the `Authorization` header value to expect.
    basic_auth: Option<Secret>,
}

/// The rustls server config of `[web]`'s PEM certificate chain and key,
/// on ring (the one crypto provider of the crate).
pub(crate) fn tls_config(certs: &[u8], key: &[u8]) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_slice_iter(certs)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("tls_cert_file is not valid PEM: {e}"))?;
    if chain.is_empty() {
        return Err("tls_cert_file holds no PEM certificate".into());
    }
    let key = PrivateKeyDer::from_pem_slice(key)
        .map_err(|e| format!("tls_key_file holds no usable private key: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("tls_cert_file and tls_key_file do not fit together: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Compares without stopping at the first difference, so the time taken
/// does not tell an attacker how much of a guess was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

type Answer = Response<Full<Bytes>>;

fn answer(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Answer {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("cache-control", HeaderValue::from_static("no-store"));
    r
}

impl App {
    fn refuse(&self, status: StatusCode, why: &str) -> Answer {
        self.exporter
            .stats
            .http_errors
            .fetch_add(1, Ordering::Relaxed);
        answer(status, TEXT, format!("{why}\n"))
    }

    async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Answer {
        if let Some(expected) = &self.basic_auth {
            let given = req
                .headers()
                .get(hyper::header::AUTHORIZATION)
                .map(|v| v.as_bytes())
                .unwrap_or(b"");
            if !same(given, expected.expose().as_bytes()) {
                let mut r = self.refuse(StatusCode::UNAUTHORIZED, "authentication required");
                r.headers_mut().insert(
                    hyper::header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"smtp-doctor\", charset=\"UTF-8\""),
                );
                return r;
            }
        }
        let path = req.uri().path().to_string();
        match (req.method(), path.as_str()) {
            (&Method::GET, "/probe") => self.probe(req.uri().query().unwrap_or("")).await,
            (&Method::GET, "/metrics") => answer(
                StatusCode::OK,
                EXPOSITION,
                self_metrics(&self.exporter, self.started),
            ),
            (&Method::GET, "/") => {
                let mut r = answer(StatusCode::OK, "text/html; charset=utf-8", PAGE);
                // The page talks to this process only: no other origin, no
                // external script, font or image, even if one were injected.
                r.headers_mut().insert(
                    "content-security-policy",
                    HeaderValue::from_static(
                        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
                    ),
                );
                r.headers_mut()
                    .insert("referrer-policy", HeaderValue::from_static("no-referrer"));
                r
            }
            (&Method::POST, "/explain") => self.explain(req).await,
            (_, "/probe" | "/metrics" | "/") => {
                self.refuse(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
            }
            (_, "/explain") => self.refuse(StatusCode::METHOD_NOT_ALLOWED, "use POST"),
            _ => self.refuse(StatusCode::NOT_FOUND, "not found"),
        }
    }

    async fn probe(&self, query: &str) -> Answer {
        let mut target = None;
        let mut debug = false;
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match &*k {
                "target" => target = Some(v.into_owned()),
                "debug" => debug = v == "true" || v == "1",
                _ => {}
            }
        }
        let Some(target) = target else {
            return self.refuse(StatusCode::BAD_REQUEST, "missing ?target=ACCOUNT");
        };
        if !self.exporter.has(&target) {
            // Not an open proxy: only accounts of the config, nothing probed.
            self.exporter
                .stats
                .unknown_targets
                .fetch_add(1, Ordering::Relaxed);
            return self.refuse(
                StatusCode::NOT_FOUND,
                "unknown target: name an account of the config ([accounts.NAME])",
            );
        }
        let Some(cached) = self.exporter.probe(&target).await else {
            return self.refuse(StatusCode::INTERNAL_SERVER_ERROR, "the check failed to run");
        };
        let now = Instant::now();
        if debug {
            let mut buf = Vec::new();
            let _ = writeln_header(&mut buf, &target, &cached, now);
            let _ = render::text::render(&cached.report, false, &mut buf);
            return answer(StatusCode::OK, TEXT, buf);
        }
        answer(StatusCode::OK, EXPOSITION, probe_metrics(&cached, now))
    }

    async fn explain(&self, req: Request<Incoming>) -> Answer {
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY as u64) {
            return self.refuse(StatusCode::PAYLOAD_TOO_LARGE, "the text is over 1 MiB");
        }
        let body = Limited::new(req.into_body(), MAX_BODY).collect();
        let body = tokio::select! {
            b = body => b,
            _ = tokio::time::sleep(self.exporter.body_timeout) => {
                return self.refuse(StatusCode::REQUEST_TIMEOUT, "the request body came too slowly");
            }
        };
        let bytes = match body {
            Ok(b) => b.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return self.refuse(StatusCode::PAYLOAD_TOO_LARGE, "the text is over 1 MiB");
            }
            Err(_) => return self.refuse(StatusCode::BAD_REQUEST, "the request body broke off"),
        };
        self.exporter.stats.explains.fetch_add(1, Ordering::Relaxed);
        let report = (self.explain)(&bytes);
        let mut buf = Vec::new();
        if render::render(&report, render::Format::Json, false, &mut buf).is_err() {
            return self.refuse(StatusCode::INTERNAL_SERVER_ERROR, "could not render");
        }
        answer(StatusCode::OK, "application/json", buf)
    }
}

/// The lines above `&debug=true`'s report: whose result, how old.
fn writeln_header(
    buf: &mut Vec<u8>,
    target: &str,
    cached: &super::exporter::Cached,
    now: Instant,
) -> std::io::Result<()> {
    use std::io::Write;
    let age = now.saturating_duration_since(cached.at).as_secs();
    let next = cached.next_check.saturating_duration_since(now).as_secs();
    writeln!(
        buf,
        "account {target}: result of {age} s ago; next real check in {next} s or later\n"
    )
}

/// Serves until SIGTERM or Ctrl-C, then lets requests under way finish.
pub(crate) async fn serve(
    listen: SocketAddr,
    exporter: Exporter,
    explain: ExplainFn,
    web: Web,
) -> Result<(), Error> {
    let listener = TcpListener::bind(listen).await.map_err(|e| {
        Error::usage_hint(
            format!("cannot listen on {listen}: {e}"),
            "choose another address with --listen or `listen` in the config",
        )
    })?;
    let local = listener.local_addr().map_err(Error::Output)?;
    eprintln!(
        "serve: listening on {}://{local}/ ({} accounts{})",
        if web.tls.is_some() { "https" } else { "http" },
        exporter.account_count(),
        if web.basic_auth.is_some() {
            ", basic auth"
        } else {
            ""
        }
    );
    use base64::Engine as _;
    let basic_auth = web.basic_auth.map(|(user, password)| {
        let pair = format!("{user}:{}", password.expose());
        Secret::new(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        ))
    });
    let tls = web.tls.map(tokio_rustls::TlsAcceptor::from);
    let app = Arc::new(App {
        exporter: Arc::new(exporter),
        explain,
        started: SystemTime::now(),
        basic_auth,
    });
    let header_timeout = app.exporter.header_timeout;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut stop = std::pin::pin!(shutdown_signal());
    loop {
        let permit = tokio::select! {
            p = connections.clone().acquire_owned() => p,
            _ = &mut stop => break,
        };
        let Ok(permit) = permit else { break };
        let (stream, _) = tokio::select! {
            a = listener.accept() => match a {
                Ok(a) => a,
                // EMFILE and friends: wait a moment rather than spin.
                Err(_) => { tokio::time::sleep(Duration::from_millis(100)).await; continue; }
            },
            _ = &mut stop => break,
        };
        let app = app.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => connection(TokioIo::new(stream), app, watcher, header_timeout).await,
                Some(acceptor) => {
                    // The handshake gets the header deadline too: a client
                    // that stalls in it must not hold a connection slot.
                    let shake = tokio::select! {
                        s = acceptor.accept(stream) => s,
                        _ = tokio::time::sleep(header_timeout) => return,
                    };
                    if let Ok(stream) = shake {
                        connection(TokioIo::new(stream), app, watcher, header_timeout).await;
                    }
                }
            }
            drop(permit);
        });
    }
    eprintln!("serve: shutting down");
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(SHUTDOWN_GRACE) => {
            eprintln!("serve: requests still under way after {} s, stopping", SHUTDOWN_GRACE.as_secs());
        }
    }
    Ok(())
}

/// One HTTP/1.1 connection, plain or TLS, watched for graceful shutdown.
async fn connection<I>(io: I, app: Arc<App>, watcher: Watcher, header_timeout: Duration)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let app = app.clone();
        async move { Ok::<_, std::convert::Infallible>(app.handle(req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(64 * 1024)
        .serve_connection(io, service);
    let _ = watcher.watch(conn).await;
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
