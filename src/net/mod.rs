//! I/O policy: sockets, TLS, deadlines, bounded line reading, the transcript.
//!
//! Nothing here judges what a reply means; it only gets bytes in and out
//! safely and says precisely why it stopped (`ProbeError`).

pub mod connection;
pub mod dns;
pub mod error;
pub mod timeout;
pub mod tls;
pub mod transcript;

pub use connection::{Connection, Stream};
pub use error::{DnsFailure, ProbeError, TlsFailure};
pub use timeout::with_timeout;
pub use transcript::Transcript;
