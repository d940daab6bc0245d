//! `check --all-addresses`: a host name with several A/AAAA records is only
//! as good as its worst address, since each client picks one. After the
//! check, every other address the best endpoint's host resolved to is probed
//! on its own connection (in parallel), with the host name still naming the
//! server for TLS, and **without the secret**: one login per check, as
//! always, so a wrong password cannot be tried N times. An address that
//! fails where the checked one worked becomes the verdict, named.

use crate::diagnose::{classify, primary_category, Category};
use crate::probe::{self, ProbeOptions};
use crate::report::{closeness, EndpointResult, Report};
use std::net::SocketAddr;
use tokio::task::JoinSet;

/// Probes the other addresses of the report's best endpoint and adds one
/// endpoint result per address to `Report::other_addresses` (in the order
/// they resolved). When the
/// check itself passed and an address fails, that address's diagnoses lead
/// the report and decide its category.
pub(crate) async fn check_others(report: &mut Report, options: &ProbeOptions) {
    let Some(best) = report.best_endpoint().cloned() else {
        return;
    };
    let used = best.probe.address.clone();
    let others: Vec<SocketAddr> = best
        .probe
        .addresses
        .iter()
        .filter(|a| Some(*a) != used.as_ref())
        .filter_map(|a| a.parse().ok())
        .collect();
    if others.is_empty() {
        return;
    }
    let total = best.probe.addresses.len();
    let mut opts = options.clone();
    opts.credential = None;
    let mut set = JoinSet::new();
    for (i, addr) in others.iter().enumerate() {
        let (endpoint, opts, addr) = (best.probe.endpoint.clone(), opts.clone(), *addr);
        set.spawn(async move { (i, probe::probe_at(&endpoint, Some(addr), &opts).await) });
    }
    let mut results: Vec<(usize, EndpointResult)> = Vec::new();
    while let Some(joined) = set.join_next().await {
        let Ok((i, probe)) = joined else { continue };
        let diagnoses = classify(&crate::diagnose::observe(&probe));
        let category = primary_category(&diagnoses);
        results.push((
            i,
            EndpointResult {
                candidate: best.candidate.clone(),
                probe,
                diagnoses,
                category,
            },
        ));
    }
    results.sort_by_key(|(i, _)| *i);
    let host = &best.probe.endpoint.host;
    let checked = used.as_deref().unwrap_or("-");
    // The worst failing address, the earlier on a tie.
    let worst = results
        .iter()
        .filter(|(_, r)| r.category != Category::Ok)
        .max_by_key(|(i, r)| (closeness(r.category), std::cmp::Reverse(*i)))
        .map(|(_, r)| r.clone());
    if let Some(w) = worst {
        let addr = w.probe.address.as_deref().unwrap_or("-");
        let mut failures: Vec<_> = w
            .diagnoses
            .iter()
            .filter(|d| d.category != Category::Ok)
            .cloned()
            .collect();
        for d in &mut failures {
            let at = format!(
                "at {addr}, one of the {total} addresses of {host} (the check at {checked} gave {}); clients that pick this address fail",
                report.category
            );
            d.detail = Some(match d.detail.take() {
                Some(old) => format!("{at}; {old}"),
                None => at,
            });
        }
        if report.category == Category::Ok {
            report.category = w.category;
            failures.append(&mut report.diagnoses);
            report.diagnoses = failures;
        } else {
            report.diagnoses.extend(failures);
        }
    }
    report
        .other_addresses
        .extend(results.into_iter().map(|(_, r)| r));
}
