//! The integration tests, compiled as one binary (ripgrep's and cargo's
//! pattern): `support/` is built once, dead code in it is a warning, and a
//! test is run by module, e.g. `cargo test --test integration e2e::`.
//!
//! The interop suites against the real servers of the harness stay binaries
//! of their own (tests/interop.rs, tests/interop_oauth.rs; `.ci/run` calls
//! them by name), and so does tests/explain_fixtures.rs.

#[path = "../support/mod.rs"]
mod support;

mod auth_code;
mod batch;
mod cli;
mod device_flow;
mod discovery;
mod e2e;
mod live_only;
mod serve;
mod smoke_real;
mod snapshots;
mod suggest;
mod token_cmd;
mod verdict;
mod web_discovery;
