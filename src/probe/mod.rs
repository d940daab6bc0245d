//! Orchestration: run one session against one endpoint and record what happened.
//!
//! `probe()` never judges; it returns a `ProbeReport` (stages, capabilities,
//! certificate, transcript, how it ended). `diagnose::observe` turns that
//! report into the `Observation`s the classifier reads; nothing here imports
//! `diagnose`, so a new rule cannot change what a probe records.

mod connect;
mod session;

pub(crate) use connect::is_ip_literal;
pub(crate) use session::{probe, probe_at};

use crate::endpoint::Endpoint;
use crate::net::tls::{TlsInfo, TrustAnchors};
use crate::net::ProbeError;
use crate::secret::Credential;
use crate::smtp::sasl::Mechanism;
use crate::smtp::{Capabilities, Reply};
use crate::stage::Stage;
use std::time::Duration;

/// What to do there.
#[derive(Debug, Clone)]
pub(crate) struct ProbeOptions {
    pub(crate) user: Option<String>,
    pub(crate) credential: Option<Credential>,
    /// `None` = choose from the server's list (`--mechanism auto`).
    pub(crate) mechanism: Option<Mechanism>,
    pub(crate) anchors: TrustAnchors,
    /// Deadline of each stage.
    pub(crate) timeout: Duration,
    /// Deadline of the AUTH stage (servers delay failures on purpose).
    pub(crate) auth_timeout: Duration,
    /// The name sent with EHLO.
    pub(crate) ehlo_name: String,
    /// How host names are resolved (`--dns-server`, else the system's).
    pub(crate) dns: std::sync::Arc<dyn crate::net::dns::Dns>,
}

/// One stage's result for the report.
#[derive(Debug, Clone)]
pub(crate) struct StageRecord {
    pub(crate) stage: Stage,
    pub(crate) ok: bool,
    pub(crate) ms: u64,
    /// The same duration in microseconds (for batch statistics; JSON shows `ms`).
    pub(crate) us: u64,
    pub(crate) detail: Option<String>,
}

/// How the session ended.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// AUTH succeeded with this mechanism.
    Authenticated { mechanism: Mechanism },
    /// Everything up to AUTH worked; no secret was given.
    NoCredentials,
    /// A reply ended the session at `stage`.
    Refused { stage: Stage, reply: Reply },
    /// The transport broke or a deadline passed.
    Failed(ProbeError),
    /// smtp-doctor stopped on purpose (nothing was sent that should not be).
    Stopped(Stop),
}

/// Why smtp-doctor stopped without trying further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    /// `--tls starttls`, but no STARTTLS in EHLO (or only HELO worked).
    StartTlsNotOffered { helo_only: bool },
    /// `--tls none`, STARTTLS offered, AUTH only after it.
    AuthOnlyAfterStartTls,
    /// No AUTH keyword in EHLO.
    AuthNotOffered,
    /// Only OAuth mechanisms, and the secret is a password.
    OnlyOAuth { offered: Vec<String> },
    /// Nothing usable for this secret.
    NoCommonMechanism {
        offered: Vec<String>,
        wanted: Option<Mechanism>,
    },
}

/// Everything a probe saw.
#[derive(Debug, Clone)]
pub(crate) struct ProbeReport {
    pub(crate) endpoint: Endpoint,
    /// The address that was used (or the last one tried).
    pub(crate) address: Option<String>,
    pub(crate) stages: Vec<StageRecord>,
    /// Capabilities from the last EHLO (after TLS when TLS was used).
    pub(crate) capabilities: Option<Capabilities>,
    pub(crate) tls: Option<TlsInfo>,
    pub(crate) transcript: Vec<String>,
    pub(crate) outcome: Outcome,
    /// The mechanism AUTH was attempted with, if any.
    pub(crate) mechanism: Option<Mechanism>,
    /// AUTH happened without TLS.
    pub(crate) cleartext_auth: bool,
    /// While the greeting was late, the port answered a TLS ClientHello on a
    /// second connection (the greeting race, `session::TLS_RACE_DELAY`).
    pub(crate) implicit_tls_detected: bool,
    /// The greeting race asked for TLS on a second connection and got no TLS
    /// answer: the port is not an implicit-TLS port waiting for us.
    pub(crate) tls_race_unanswered: bool,
    /// The user name AUTH was attempted with (not secret).
    pub(crate) user: Option<String>,
    /// Every address the host resolved to, in the order tried (`address` is
    /// the one used); with `check --all-addresses`, the one address probed.
    pub(crate) addresses: Vec<String>,
}
