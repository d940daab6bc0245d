//! The stages of an SMTP submission check, in pipeline order (the OAuth
//! sign-in, when there is one, comes first).
//!
//! Shared vocabulary for `net`, `probe`, `diagnose` and `render`; depends on
//! nothing. The JSON names (`Stage::as_str`) are part of the v1 contract.

use std::fmt;

/// One step of the dialogue smtp-doctor walks a server through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// The OAuth sign-in before the session (`check --oauth`): browser,
    /// loopback redirect, token endpoint, or the device-code flow.
    OAuth,
    /// Host name → addresses.
    Resolve,
    /// TCP connect.
    Connect,
    /// TLS handshake (at once for implicit TLS, after `STARTTLS` otherwise).
    TlsHandshake,
    /// The server's `220` greeting (RFC 5321 §4.3.1).
    Greeting,
    /// `EHLO` (or the `HELO` fallback), before or after TLS.
    Ehlo,
    /// The `STARTTLS` command (RFC 3207).
    StartTls,
    /// `AUTH` (RFC 4954), all its round trips.
    Auth,
    /// `MAIL FROM`/`RCPT TO`/`DATA`: never sent by `check`, but seen in pasted text.
    Mail,
    /// `QUIT`.
    Quit,
}

impl Stage {
    /// Stable name used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::OAuth => "oauth",
            Stage::Resolve => "resolve",
            Stage::Connect => "connect",
            Stage::TlsHandshake => "tls",
            Stage::Greeting => "greeting",
            Stage::Ehlo => "ehlo",
            Stage::StartTls => "starttls",
            Stage::Auth => "auth",
            Stage::Mail => "mail",
            Stage::Quit => "quit",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
