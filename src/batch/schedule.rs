//! Running a batch's accounts concurrently, politely.
//!
//! Limits and back-off apply to the **endpoint actually probed**: the host
//! name (or IP address) and port each probe connects to, known only after
//! discovery, not the first candidate an account's address suggests. Two
//! accounts whose domains discover the same server share its limits, and an
//! account whose discovery falls through to a second candidate waits for
//! that candidate's slot.
//!
//! - at most `jobs` checks at once (one semaphore; discovery and each probe
//!   take a slot, waiting for an endpoint does not);
//! - at most `per_host` connections to one endpoint at a time (one semaphore
//!   per endpoint), and the first probe of each endpoint runs alone: only
//!   when it did not come back rate-limited does the endpoint open up;
//! - an endpoint whose probe comes back `rate-limited` or
//!   `server-temporary-failure` (`421`, `454`, "too many…") is backed off for
//!   the rest of the run: an account that would probe it next is reported as
//!   skipped (or, when it already probed an earlier candidate, gets a
//!   `batch-host-backed-off` diagnosis), and it is never connected to again.
//!
//! Each account gets one AUTH attempt at most (`check`'s own rule: the
//! secret goes to one endpoint unless `--all`).

use super::input::Account;
use crate::check::{probe_options, Checking};
use crate::diagnose::{Category, Diagnosis, Severity};
use crate::endpoint::Endpoint;
use crate::net::tls::TrustAnchors;
use crate::report::{closeness, Report};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Notify, Semaphore};

/// Concurrency limits (`--jobs`, `--per-host`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) jobs: usize,
    pub(crate) per_host: usize,
}

/// Why an endpoint was backed off.
#[derive(Debug, Clone)]
pub(crate) struct BackOff {
    pub(crate) category: Category,
    /// The account whose check got the refusal.
    pub(crate) address: String,
    pub(crate) evidence: Option<String>,
}

/// What the limits and back-off apply to: a host name (lower case, no
/// trailing dot) or IP address, and a port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct EndpointKey {
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl EndpointKey {
    pub(crate) fn of(e: &Endpoint) -> EndpointKey {
        EndpointKey {
            host: e.host.trim_end_matches('.').to_ascii_lowercase(),
            port: e.port,
        }
    }
}

impl std::fmt::Display for EndpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// One finished (or skipped) account.
pub(crate) struct Done {
    /// Position in the batch file.
    pub(crate) index: usize,
    pub(crate) report: Report,
    pub(crate) elapsed: Duration,
    pub(crate) expect: Option<Category>,
    /// Not probed at all: the endpoint it would have probed was backed off.
    pub(crate) skipped: bool,
    /// The endpoint the limits applied to last: the one probed last, or the
    /// backed-off one that stopped the account (`None`: nothing to probe,
    /// e.g. `--dry-run`).
    pub(crate) endpoint: Option<EndpointKey>,
}

/// Per-endpoint state: connection slots handed out in file order.
///
/// A semaphore would serve waiters in arrival order, which depends on how
/// fast each account's discovery was; the gate instead gives a free slot to
/// the waiting account that comes first in the batch file, so that the first
/// account of an endpoint (the one probed alone, and the one a back-off
/// names) does not change from run to run. Accounts with `--host`/`host`
/// know their endpoint before any task runs and wait from the start.
struct Gate {
    state: Mutex<GateState>,
    wake: Notify,
}

struct GateState {
    /// Free connection slots: 1 until the first probe came back without a
    /// back-off, then `--per-host`.
    free: usize,
    /// Accounts (batch file index) waiting for a slot.
    waiting: BTreeSet<usize>,
    opened: bool,
    backoff: Option<BackOff>,
}

/// A connection slot of one endpoint; given back when dropped.
struct Slot<'a>(&'a Gate);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.lock().free += 1;
        self.0.wake.notify_waiters();
    }
}

impl Gate {
    fn new() -> Gate {
        Gate {
            state: Mutex::new(GateState {
                // The first probe of an endpoint runs alone.
                free: 1,
                waiting: BTreeSet::new(),
                opened: false,
                backoff: None,
            }),
            wake: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts account `index` in the queue (it will ask for a slot).
    fn wait_for(&self, index: usize) {
        self.lock().waiting.insert(index);
    }

    /// Takes account `index` out of the queue without a slot.
    fn withdraw(&self, index: usize) {
        if self.lock().waiting.remove(&index) {
            self.wake.notify_waiters();
        }
    }

    /// A slot for account `index`, once one is free and no account earlier
    /// in the file is waiting.
    async fn acquire(&self, index: usize) -> Slot<'_> {
        self.wait_for(index);
        loop {
            // Registered before the check, so a wake-up in between is kept.
            let woken = self.wake.notified();
            {
                let mut st = self.lock();
                if st.free > 0 && st.waiting.first() == Some(&index) {
                    st.free -= 1;
                    st.waiting.remove(&index);
                    drop(st);
                    // The next in line may find a slot too.
                    self.wake.notify_waiters();
                    return Slot(self);
                }
            }
            woken.await;
        }
    }

    fn backed_off(&self) -> Option<BackOff> {
        self.lock().backoff.clone()
    }

    /// Records a probe's category: a back-off closes the endpoint, the first
    /// normal answer opens it to `per_host` connections.
    fn record(&self, category: Category, why: impl FnOnce() -> BackOff, per_host: usize) {
        let mut st = self.lock();
        if backs_off(category) {
            if st.backoff.is_none() {
                st.backoff = Some(why());
            }
        } else if !st.opened {
            st.opened = true;
            st.free += per_host.saturating_sub(1);
            drop(st);
            self.wake.notify_waiters();
        }
    }
}

/// The gates, created when an endpoint is first needed.
#[derive(Default)]
struct Gates(Mutex<HashMap<EndpointKey, Arc<Gate>>>);

impl Gates {
    fn get(&self, key: &EndpointKey) -> Arc<Gate> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(key.clone())
            .or_insert_with(|| Arc::new(Gate::new()))
            .clone()
    }
}

/// An account queued at an endpoint before its task ran; withdrawn when the
/// task is done with it (a no-op once it got its slot).
struct Queued {
    gate: Arc<Gate>,
    index: usize,
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.gate.withdraw(self.index);
    }
}

/// True for the categories that make smtp-doctor leave a host alone.
pub(crate) fn backs_off(category: Category) -> bool {
    matches!(
        category,
        Category::RateLimited | Category::ServerTemporaryFailure
    )
}

/// The diagnosis of an account stopped at a backed-off endpoint.
fn backed_off_diagnosis(host: &EndpointKey, why: &BackOff) -> Diagnosis {
    Diagnosis {
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
        alternatives: Vec::new(),
        line: None,
    }
}

/// The verdict of an account whose next endpoint was backed off: skipped
/// when nothing was probed; otherwise the back-off comes first unless an
/// endpoint already probed got closer to a working login.
fn stopped_report(mut report: Report, key: &EndpointKey, why: &BackOff) -> (Report, bool) {
    let diagnosis = backed_off_diagnosis(key, why);
    let probed = report.endpoints.as_ref().is_some_and(|e| !e.is_empty());
    if !probed {
        report.diagnoses.retain(|d| d.severity != Severity::Error);
        report.diagnoses.insert(0, diagnosis);
        report.category = why.category;
        return (report, true);
    }
    if closeness(why.category) < closeness(report.category) {
        report.diagnoses.insert(0, diagnosis);
        report.category = why.category;
    } else {
        report.diagnoses.push(diagnosis);
    }
    (report, false)
}

/// Spawns one task per account on the current runtime, in file order; each
/// sends its `Done` on `tx` (in completion order). The channel closes when
/// all are done.
pub(crate) fn spawn_all(
    accounts: Vec<Account>,
    anchors: TrustAnchors,
    limits: Limits,
    tx: mpsc::UnboundedSender<Done>,
) {
    let jobs = Arc::new(Semaphore::new(limits.jobs.max(1)));
    let gates = Arc::new(Gates::default());
    for (index, account) in accounts.into_iter().enumerate() {
        // An account with a host (no discovery) queues at its endpoint now,
        // in file order, before any task runs.
        let queued = account.plan.domain.is_none().then(|| {
            let gate = gates.get(&EndpointKey::of(&account.plan.endpoint));
            gate.wait_for(index);
            Queued { gate, index }
        });
        let (jobs, gates, anchors, tx) = (jobs.clone(), gates.clone(), anchors.clone(), tx.clone());
        tokio::spawn(async move {
            let done = run_one(index, account, &gates, &jobs, anchors, limits).await;
            drop(queued);
            let _ = tx.send(done);
        });
    }
}

/// Checks one account: discovery under a `--jobs` slot, then each probe
/// under its endpoint's slot and a `--jobs` slot, stopping at an endpoint
/// that was backed off.
async fn run_one(
    index: usize,
    account: Account,
    gates: &Gates,
    jobs: &Semaphore,
    anchors: TrustAnchors,
    limits: Limits,
) -> Done {
    let Account {
        config,
        plan,
        credential,
    } = account;
    let verbose = config.verbose;
    let expect = config.expect;
    let options = probe_options(&config, &plan, Some(credential), anchors);
    let address = plan
        .target
        .address
        .clone()
        .or_else(|| plan.target.user.clone())
        .unwrap_or_default();
    let mut checking = {
        let Ok(_job_slot) = jobs.acquire().await else {
            unreachable!("the jobs semaphore is never closed")
        };
        Checking::discover(plan, options.dns.as_ref()).await
    };
    let mut last: Option<EndpointKey> = None;
    let mut stopped: Option<(EndpointKey, BackOff)> = None;
    while let Some(endpoint) = checking.next_endpoint() {
        let key = EndpointKey::of(endpoint);
        let gate = gates.get(&key);
        // Endpoint slot first, then a global one: waiting for a busy
        // endpoint never holds a global slot that another could use.
        let _endpoint_slot = gate.acquire(index).await;
        if let Some(why) = gate.backed_off() {
            stopped = Some((key, why));
            break;
        }
        let Ok(_job_slot) = jobs.acquire().await else {
            unreachable!("the jobs semaphore is never closed")
        };
        if let Some(why) = gate.backed_off() {
            stopped = Some((key, why));
            break;
        }
        let Some(category) = checking.probe_next(&options).await else {
            break;
        };
        gate.record(
            category,
            || BackOff {
                category,
                address: address.clone(),
                evidence: checking.last_evidence(),
            },
            limits.per_host,
        );
        last = Some(key);
    }
    drop(options);
    let (mut report, elapsed) = checking.finish(verbose);
    let skipped = match &stopped {
        Some((key, why)) => {
            let (r, skipped) = stopped_report(report, key, why);
            report = r;
            skipped
        }
        None => false,
    };
    if !verbose {
        // Transcripts are only shown with --verbose; don't keep 1,000 of them.
        for ep in report.endpoints.iter_mut().flatten() {
            ep.probe.transcript = Vec::new();
        }
    }
    Done {
        index,
        report,
        elapsed: if skipped { Duration::ZERO } else { elapsed },
        expect,
        skipped,
        endpoint: stopped.map(|(k, _)| k).or(last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    const SOON: Duration = Duration::from_millis(50);

    fn why(category: Category) -> BackOff {
        BackOff {
            category,
            address: "first@example.test".into(),
            evidence: Some("421 4.7.0 Try again later".into()),
        }
    }

    /// Whether `acquire(index)` gets a slot within `SOON`.
    async fn gets_slot(gate: &Gate, index: usize) -> bool {
        let deadline = tokio::time::Instant::now() + SOON;
        crate::net::timeout::before(deadline, gate.acquire(index))
            .await
            .is_some()
    }

    #[tokio::test]
    async fn the_first_probe_of_an_endpoint_runs_alone_until_it_answers() {
        let gate = Gate::new();
        let first = gate.acquire(0).await;
        assert!(
            !gets_slot(&gate, 1).await,
            "a second slot before the first answer"
        );
        gate.record(Category::WrongCredentials, || why(Category::Ok), 3);
        // Opened to --per-host 3: two more besides the first.
        let second = gate.acquire(1).await;
        let third = gate.acquire(2).await;
        assert!(!gets_slot(&gate, 3).await, "more than --per-host at once");
        drop((first, second, third));
        assert!(gets_slot(&gate, 3).await);
    }

    #[tokio::test]
    async fn a_back_off_keeps_the_endpoint_closed_and_says_why() {
        let gate = Gate::new();
        let slot = gate.acquire(0).await;
        assert!(gate.backed_off().is_none());
        gate.record(Category::RateLimited, || why(Category::RateLimited), 4);
        drop(slot);
        let back_off = gate.backed_off().expect("backed off");
        assert_eq!(back_off.category, Category::RateLimited);
        assert_eq!(back_off.address, "first@example.test");
        // The next account still gets the single slot (to see the back-off),
        // never a second one at the same time.
        let next = gate.acquire(1).await;
        assert!(!gets_slot(&gate, 2).await);
        drop(next);
        // A later ok answer does not reopen a backed-off endpoint.
        gate.record(Category::Ok, || why(Category::Ok), 4);
        assert!(gate.backed_off().is_some());
    }

    #[tokio::test]
    async fn a_free_slot_goes_to_the_waiting_account_first_in_the_file() {
        let gate = Arc::new(Gate::new());
        let held = gate.acquire(0).await;
        // Account 5 starts waiting before account 2 does.
        let order = Arc::new(Mutex::new(Vec::new()));
        let started = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for index in [5, 2] {
            gate.wait_for(index);
            let (gate, order, started) = (gate.clone(), order.clone(), started.clone());
            tasks.push(tokio::spawn(async move {
                started.fetch_add(1, Ordering::SeqCst);
                let _slot = gate.acquire(index).await;
                order.lock().unwrap().push(index);
            }));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        while started.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [2, 5]);
    }

    #[tokio::test]
    async fn a_withdrawn_account_does_not_block_the_queue() {
        let gate = Gate::new();
        gate.wait_for(1);
        assert!(!gets_slot(&gate, 2).await, "account 1 is ahead in the file");
        gate.withdraw(1);
        assert!(gets_slot(&gate, 2).await);
    }

    #[test]
    fn only_rate_limits_and_temporary_failures_back_off() {
        for c in Category::ALL {
            let expected = matches!(c, Category::RateLimited | Category::ServerTemporaryFailure);
            assert_eq!(backs_off(c), expected, "{c}");
        }
    }

    #[test]
    fn endpoint_keys_ignore_case_and_the_root_dot_and_bracket_ipv6() {
        let key = |host: &str, port| {
            EndpointKey::of(&Endpoint {
                host: host.into(),
                port,
                tls: crate::endpoint::TlsMode::StartTls,
            })
        };
        assert_eq!(
            key("SMTP.Example.TEST.", 587),
            key("smtp.example.test", 587)
        );
        assert_ne!(key("smtp.example.test", 587), key("smtp.example.test", 465));
        assert_eq!(key("2001:db8::1", 587).to_string(), "[2001:db8::1]:587");
    }
}
