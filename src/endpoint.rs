//! Where to connect: a host, a port and how TLS is used there.
//!
//! A leaf that depends on nothing: `discovery` produces endpoints, `probe`
//! connects to them, `check` and `render` name them.

/// How TLS is used on the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plaintext greeting, then `STARTTLS` (required).
    StartTls,
    /// TLS from the first byte (RFC 8314).
    Implicit,
    /// No TLS at all (only on purpose).
    None,
}

impl TlsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::StartTls => "starttls",
            TlsMode::Implicit => "implicit",
            TlsMode::None => "none",
        }
    }

    /// The mode named by [`TlsMode::as_str`], in any case.
    pub fn parse(s: &str) -> Option<TlsMode> {
        [TlsMode::StartTls, TlsMode::Implicit, TlsMode::None]
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }
}

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
}

/// Default TLS mode for a port: RFC 8314 implicit TLS on 465, STARTTLS elsewhere.
pub fn default_tls(port: u16) -> TlsMode {
    if port == 465 {
        TlsMode::Implicit
    } else {
        TlsMode::StartTls
    }
}

/// Default port for a TLS mode: 465 for implicit TLS, 587 (RFC 6409) otherwise.
pub fn default_port(tls: TlsMode) -> u16 {
    match tls {
        TlsMode::Implicit => 465,
        _ => 587,
    }
}
