//! Shared support for the end-to-end and interop tests: a scripted fake SMTP
//! server, a scripted OAuth identity endpoint, a test PKI generated at run
//! time, the secret-leak and schema checks, and the one runner of the binary
//! (run.rs) that applies them.

pub mod certs;
pub mod dns;
pub mod fake_smtp;
// Only the interop binaries (tests/interop*.rs) use the harness.
#[allow(dead_code)]
pub mod harness;
pub mod identity_mock;
pub mod leak;
pub mod run;
pub mod schema;
pub mod web;
