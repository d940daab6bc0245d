//! The check engine, below the command line: a resolved [`CheckConfig`] →
//! [`plan_check`] → discovery → probes → [`Report`](crate::report::Report).
//!
//! `commands/check.rs` (one account) and `commands/batch.rs` (a file of
//! accounts, each row a set of overrides of the command line's config) are
//! thin drivers over this module; it knows nothing of clap, of output
//! formats or of the terminal.

pub mod addresses;
mod config;
mod plan;
mod run;
pub mod suggest;

pub use config::{CheckConfig, OAuthProvider, DEFAULT_AUTH_TIMEOUT, DEFAULT_TIMEOUT};
pub use plan::{plan_check, probe_options, trust_anchors, CheckPlan, MICROSOFT_365_HOST};
pub use run::{check_plan, Checking};
