//! I/O policy: sockets, TLS, deadlines, bounded line reading, the transcript.
//!
//! Nothing here judges what a reply means; it only gets bytes in and out
//! safely and says precisely why it stopped (`ProbeError`).

pub(crate) mod connection;
pub(crate) mod dns;
pub(crate) mod error;
pub(crate) mod http;
pub(crate) mod timeout;
pub(crate) mod tls;
pub(crate) mod transcript;

pub(crate) use connection::{Connection, Stream};
pub(crate) use error::{DnsFailure, ProbeError, TlsFailure};
pub(crate) use timeout::with_timeout;
pub(crate) use transcript::Transcript;
