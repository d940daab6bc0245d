//! The check engine, below the command line: a resolved [`CheckConfig`] →
//! [`plan_check`] → discovery → probes → [`Report`](crate::report::Report).
//!
//! `commands/check.rs` (one account) and `commands/batch.rs` (a file of
//! accounts, each row a set of overrides of the command line's config) are
//! thin drivers over this module; it knows nothing of clap, of output
//! formats or of the terminal.

pub(crate) mod addresses;
mod config;
mod guess;
mod plan;
mod run;
pub(crate) mod suggest;

pub(crate) use config::{CheckConfig, OAuthProvider};
pub(crate) use plan::{plan_check, probe_options, trust_anchors, CheckPlan};
pub(crate) use run::{check_plan, Checking};
