//! Running a batch's accounts concurrently, politely.
//!
//! - at most `jobs` checks at once (one semaphore);
//! - at most `per_host` connections to one host name at a time (one semaphore
//!   per host name, all ports together), and the first check of each host runs
//!   alone: only when it did not come back rate-limited does the host open up;
//! - a host whose check comes back `rate-limited` or `server-temporary-failure`
//!   (`421`, `454`, "too many…") is backed off for the rest of the run: its
//!   remaining accounts are reported as skipped, with a diagnosis, and never
//!   connected to.
//!
//! Each account gets exactly one `probe` (one AUTH attempt at most).

use super::input::Account;
use crate::cli::CheckArgs;
use crate::commands::check::{check_plan, probe_options};
use crate::diagnose::{Category, Diagnosis, Severity};
use crate::net::tls::TrustAnchors;
use crate::report::Report;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Semaphore};

/// Concurrency limits (`--jobs`, `--per-host`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub jobs: usize,
    pub per_host: usize,
}

/// Why a host was backed off.
#[derive(Debug, Clone)]
pub struct BackOff {
    pub category: Category,
    /// The account whose check got the refusal.
    pub address: String,
    pub evidence: Option<String>,
}

/// One finished (or skipped) account.
pub struct Done {
    /// Position in the batch file.
    pub index: usize,
    pub line: usize,
    pub report: Report,
    pub elapsed: Duration,
    pub expect: Option<Category>,
    /// Not probed: its host was backed off.
    pub skipped: bool,
    /// The host name (lower case) the limits and back-off apply to.
    pub host: String,
}

/// Per-host state.
struct Gate {
    /// The host's accounts in file order: whoever gets a slot takes the next
    /// one, so the first account of a host is the one checked first.
    queue: Mutex<VecDeque<(usize, Account)>>,
    slots: Semaphore,
    opened: AtomicBool,
    backoff: Mutex<Option<BackOff>>,
}

impl Gate {
    fn backed_off(&self) -> Option<BackOff> {
        self.backoff.lock().ok().and_then(|b| b.clone())
    }
}

/// True for the categories that make smtp-doctor leave a host alone.
pub fn backs_off(category: Category) -> bool {
    matches!(
        category,
        Category::RateLimited | Category::ServerTemporaryFailure
    )
}

/// The report of an account that was not checked because its host was backed off.
fn skipped_report(account: Account, host: &str, why: &BackOff, verbose: bool) -> Report {
    Report {
        target: Some(account.plan.target),
        endpoints: Some(Vec::new()),
        discovery: None,
        diagnoses: vec![Diagnosis {
            id: "batch-host-backed-off",
            category: why.category,
            severity: Severity::Error,
            stage: None,
            summary: format!(
                "Not checked: {host} answered {} earlier in this run (checking {}), so smtp-doctor left it alone",
                why.category, why.address
            ),
            detail: None,
            remediation: "Check this account again later, when the host's limit has reset (usually minutes to an hour), and with fewer --jobs / --per-host if the batch tripped it.".into(),
            reference: None,
            evidence: why.evidence.clone(),
            rank: usize::MAX,
        }],
        category: why.category,
        verbose,
    }
}

/// Spawns one task per account on the current runtime; each sends its `Done`
/// on `tx` (in completion order). The channel closes when all are done.
pub fn spawn_all(
    accounts: Vec<Account>,
    args: Arc<CheckArgs>,
    anchors: TrustAnchors,
    limits: Limits,
    tx: mpsc::UnboundedSender<Done>,
) {
    let jobs = Arc::new(Semaphore::new(limits.jobs.max(1)));
    let mut gates: HashMap<String, Arc<Gate>> = HashMap::new();
    let mut order = Vec::new();
    for (index, account) in accounts.into_iter().enumerate() {
        let host = account.plan.endpoint.host.to_ascii_lowercase();
        let gate = gates.entry(host.clone()).or_insert_with(|| {
            Arc::new(Gate {
                queue: Mutex::new(VecDeque::new()),
                slots: Semaphore::new(1),
                opened: AtomicBool::new(false),
                backoff: Mutex::new(None),
            })
        });
        if let Ok(mut q) = gate.queue.lock() {
            q.push_back((index, account));
        }
        order.push(host);
    }
    for host in order {
        let gate = gates[&host].clone();
        let jobs = jobs.clone();
        let args = args.clone();
        let anchors = anchors.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            if let Some(done) = run_one(host, gate, jobs, &args, anchors, limits).await {
                let _ = tx.send(done);
            }
        });
    }
}

/// Takes the host's next account once a host slot is free, and checks it
/// (or skips it when the host was backed off).
async fn run_one(
    host: String,
    gate: Arc<Gate>,
    jobs: Arc<Semaphore>,
    args: &CheckArgs,
    anchors: TrustAnchors,
    limits: Limits,
) -> Option<Done> {
    // Host slot first, then a global one: waiting for a busy host never
    // holds a global slot that another host could use.
    let Ok(_host_slot) = gate.slots.acquire().await else {
        unreachable!("host semaphores are never closed")
    };
    let (index, account) = gate.queue.lock().ok()?.pop_front()?;
    let line = account.line;
    let expect = account.expect;
    let verbose = args.verbose;
    let skip = |account: Account, why: &BackOff, host: String| Done {
        index,
        line,
        report: skipped_report(account, &host, why, verbose),
        elapsed: Duration::ZERO,
        expect,
        skipped: true,
        host,
    };
    if let Some(why) = gate.backed_off() {
        return Some(skip(account, &why, host));
    }
    let Ok(_job_slot) = jobs.acquire().await else {
        unreachable!("the jobs semaphore is never closed")
    };
    if let Some(why) = gate.backed_off() {
        return Some(skip(account, &why, host));
    }
    let options = probe_options(args, &account.plan, Some(account.credential), anchors);
    let address = account
        .plan
        .target
        .address
        .clone()
        .or_else(|| account.plan.target.user.clone())
        .unwrap_or_default();
    let (mut report, elapsed) = check_plan(account.plan, &options, verbose).await;
    drop(options);
    if backs_off(report.category) {
        if let Ok(mut b) = gate.backoff.lock() {
            b.get_or_insert_with(|| BackOff {
                category: report.category,
                address,
                evidence: report.diagnoses.first().and_then(|d| d.evidence.clone()),
            });
        }
    } else if !gate.opened.swap(true, Ordering::SeqCst) && limits.per_host > 1 {
        // The host answered normally: let the other accounts in.
        gate.slots.add_permits(limits.per_host - 1);
    }
    if !verbose {
        // Transcripts are only shown with --verbose; don't keep 1,000 of them.
        for ep in report.endpoints.iter_mut().flatten() {
            ep.transcript = Vec::new();
        }
    }
    Some(Done {
        index,
        line,
        report,
        elapsed,
        expect,
        skipped: false,
        host,
    })
}
