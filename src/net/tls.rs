//! TLS client setup, handshake, and the one place rustls errors are read.
//!
//! Trust anchors are webpki-roots, or only the `--cafile` PEM when given (as
//! curl's `--cacert` and msmtp's `tls_trust_file` do). A wrapping verifier
//! keeps a copy of the server's certificate even when verification fails, so
//! a report can say *which* names an unusable certificate has.

use super::{ProbeError, TlsFailure};
use crate::timefmt::rfc3339;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// What the report shows of the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertificateSummary {
    pub(crate) subject: String,
    pub(crate) issuer: String,
    pub(crate) not_before: String,
    pub(crate) not_after: String,
    /// DNS names and IP addresses from subjectAltName.
    pub(crate) names: Vec<String>,
    /// Whole days until `not_after`, negative once expired.
    pub(crate) days_left: i64,
    pub(crate) self_signed: bool,
}

/// Facts about a finished (or failed) handshake.
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsInfo {
    pub(crate) version: Option<String>,
    pub(crate) cipher: Option<String>,
    pub(crate) certificate: Option<CertificateSummary>,
}

/// A verifier that records the end-entity certificate, then lets webpki decide.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    seen: Arc<Mutex<Option<CertificateDer<'static>>>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut slot) = self.seen.lock() {
            *slot = Some(end_entity.clone().into_owned());
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Trust anchors: the `--cafile` certificates, or the webpki-roots bundle.
#[derive(Clone)]
pub(crate) struct TrustAnchors(Arc<RootCertStore>);

impl std::fmt::Debug for TrustAnchors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrustAnchors({} roots)", self.0.len())
    }
}

impl TrustAnchors {
    pub(crate) fn webpki() -> TrustAnchors {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        TrustAnchors(Arc::new(roots))
    }

    /// Trust exactly these CA certificates (used by `demo`).
    pub(crate) fn from_der(certs: Vec<CertificateDer<'static>>) -> Result<TrustAnchors, String> {
        let mut roots = RootCertStore::empty();
        for c in certs {
            roots
                .add(c)
                .map_err(|e| format!("unusable CA certificate: {e}"))?;
        }
        Ok(TrustAnchors(Arc::new(roots)))
    }

    /// Reads a PEM file of CA certificates. The error is a one-line message.
    pub(crate) fn from_pem_file(path: &Path) -> Result<TrustAnchors, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("cannot read --cafile {}: {e}", path.display()))?;
        let mut roots = RootCertStore::empty();
        let mut count = 0;
        for cert in CertificateDer::pem_slice_iter(&bytes) {
            let cert =
                cert.map_err(|e| format!("--cafile {} is not valid PEM: {e}", path.display()))?;
            roots
                .add(cert)
                .map_err(|e| format!("--cafile {}: unusable certificate: {e}", path.display()))?;
            count += 1;
        }
        if count == 0 {
            return Err(format!(
                "--cafile {} holds no PEM certificate",
                path.display()
            ));
        }
        Ok(TrustAnchors(Arc::new(roots)))
    }
}

/// Runs the TLS handshake over `tcp` for `host`.
///
/// On failure the `TlsInfo` still carries the certificate when one was seen.
pub(crate) async fn handshake(
    tcp: TcpStream,
    host: &str,
    anchors: &TrustAnchors,
) -> (Result<TlsStream<TcpStream>, ProbeError>, TlsInfo) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let seen = Arc::new(Mutex::new(None));
    let mut info = TlsInfo::default();
    let inner =
        match WebPkiServerVerifier::builder_with_provider(anchors.0.clone(), provider.clone())
            .build()
        {
            Ok(v) => v,
            Err(e) => {
                let err = ProbeError::Tls {
                    failure: TlsFailure::Other(e.to_string()),
                    detail: e.to_string(),
                };
                return (Err(err), info);
            }
        };
    let verifier = Arc::new(RecordingVerifier {
        inner,
        seen: seen.clone(),
    });
    let config =
        match ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions() {
            Ok(b) => b
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth(),
            Err(e) => {
                let err = ProbeError::Tls {
                    failure: TlsFailure::Other(e.to_string()),
                    detail: e.to_string(),
                };
                return (Err(err), info);
            }
        };
    let name = match ServerName::try_from(host.trim_end_matches('.').to_string()) {
        Ok(n) => n,
        Err(e) => {
            let err = ProbeError::Tls {
                failure: TlsFailure::Other(format!("invalid server name {host:?}: {e}")),
                detail: e.to_string(),
            };
            return (Err(err), info);
        }
    };
    let connector = TlsConnector::from(Arc::new(config));
    let result = connector.connect(name, tcp).await;
    let cert = seen.lock().ok().and_then(|mut s| s.take());
    info.certificate = cert.as_ref().and_then(|c| summarize(c));
    match result {
        Ok(stream) => {
            let (_, conn) = stream.get_ref();
            info.version = conn
                .protocol_version()
                .map(|v| format!("{v:?}").replace('_', "."));
            info.cipher = conn
                .negotiated_cipher_suite()
                .map(|c| format!("{:?}", c.suite()));
            (Ok(stream), info)
        }
        Err(e) => {
            let self_signed = info.certificate.as_ref().is_some_and(|c| c.self_signed);
            (Err(map_error(&e, self_signed)), info)
        }
    }
}

/// Translates the `io::Error` tokio-rustls returns into our `TlsFailure`.
fn map_error(e: &std::io::Error, self_signed: bool) -> ProbeError {
    let detail = e.to_string();
    let failure = match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(ce)) => match ce {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                TlsFailure::CertificateExpired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                TlsFailure::CertificateNotYetValid
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsFailure::NameMismatch
            }
            CertificateError::UnknownIssuer if self_signed => TlsFailure::SelfSigned,
            CertificateError::UnknownIssuer => TlsFailure::UnknownIssuer,
            other => TlsFailure::CertificateOther(format!("{other:?}")),
        },
        // A plaintext "220 …" answered our ClientHello: the first byte is no
        // TLS content type (RFC 8446 §5.1), so the record layer rejects it.
        Some(rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType
            | rustls::InvalidMessage::UnknownProtocolVersion,
        )) => TlsFailure::NotTls,
        Some(rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion))
        | Some(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13,
        )) => TlsFailure::ProtocolVersion,
        Some(rustls::Error::PeerIncompatible(p)) => {
            TlsFailure::Other(format!("peer incompatible: {p:?}"))
        }
        Some(rustls::Error::AlertReceived(a)) => TlsFailure::AlertReceived(alert_name(*a)),
        Some(other) => TlsFailure::Other(other.to_string()),
        None if e.kind() == std::io::ErrorKind::UnexpectedEof
            || e.kind() == std::io::ErrorKind::ConnectionReset =>
        {
            TlsFailure::ClosedDuringHandshake
        }
        None => TlsFailure::Other(detail.clone()),
    };
    ProbeError::Tls { failure, detail }
}

fn alert_name(a: rustls::AlertDescription) -> String {
    let code: u8 = a.into();
    // RFC 8446 §6 names are snake_case; rustls's Debug is CamelCase.
    let camel = format!("{a:?}");
    let mut snake = String::new();
    for (i, ch) in camel.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(ch.to_ascii_lowercase());
    }
    format!("{snake} ({code})")
}

/// Reads the fields the report shows; `None` if the DER does not parse.
pub(crate) fn summarize(der: &CertificateDer<'_>) -> Option<CertificateSummary> {
    use x509_parser::extensions::GeneralName;
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                GeneralName::DNSName(d) => names.push((*d).to_string()),
                GeneralName::IPAddress(ip) => match ip.len() {
                    4 => {
                        names.push(std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string())
                    }
                    16 => {
                        let mut b = [0u8; 16];
                        b.copy_from_slice(ip);
                        names.push(std::net::Ipv6Addr::from(b).to_string());
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
    let not_after = cert.validity().not_after.timestamp();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Some(CertificateSummary {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: rfc3339(cert.validity().not_before.timestamp()),
        not_after: rfc3339(not_after),
        names,
        days_left: (not_after - now).div_euclid(86_400),
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_names_are_snake_case() {
        assert_eq!(
            alert_name(rustls::AlertDescription::InternalError),
            "internal_error (80)"
        );
    }
}
