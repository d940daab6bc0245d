//! Guesses are probed before the secret goes anywhere: when discovery found
//! nothing but guesses (`smtp.<domain>`, `mail.<domain>` on 465 and 587),
//! each is probed in parallel, about 100 ms apart, **without the secret**
//! (greeting, TLS, EHLO, QUIT), within one bound; the ones that answered
//! cleanly up to AUTH move to the front, so the password goes only to a
//! guess that is really a submission server. A bad certificate fails a guess.

use crate::discovery::Candidate;
use crate::probe::{self, Outcome, ProbeOptions, ProbeReport};
use std::time::Duration;
use tokio::task::JoinSet;

/// Between two guess probes' starts.
const STAGGER: Duration = Duration::from_millis(100);
/// Each stage of a guess probe at most.
const STAGE: Duration = Duration::from_secs(3);
/// All guess probes together.
const BUDGET: Duration = Duration::from_secs(6);

/// Healthy up to AUTH without a secret: a submission server.
fn answered(r: &ProbeReport) -> bool {
    matches!(
        r.outcome,
        Outcome::NoCredentials | Outcome::Authenticated { .. }
    )
}

/// Reorders `candidates` (all guesses) so that those that answered come
/// first; returns a note per guess for the report.
pub(crate) async fn rank(candidates: &mut Vec<Candidate>, options: &ProbeOptions) -> Vec<String> {
    let mut opts = options.clone();
    opts.credential = None;
    opts.user = None;
    opts.mechanism = None;
    opts.timeout = opts.timeout.min(STAGE);
    opts.auth_timeout = opts.timeout;
    let mut set = JoinSet::new();
    for (i, c) in candidates.iter().enumerate() {
        let endpoint = c.endpoint.clone();
        let opts = opts.clone();
        set.spawn(async move {
            tokio::time::sleep(STAGGER * i as u32).await;
            (i, probe::probe(&endpoint, &opts).await)
        });
    }
    let mut ok = vec![false; candidates.len()];
    let mut why: Vec<Option<String>> = vec![None; candidates.len()];
    let deadline = tokio::time::Instant::now() + BUDGET;
    loop {
        tokio::select! {
            joined = set.join_next() => match joined {
                Some(Ok((i, r))) => {
                    ok[i] = answered(&r);
                    why[i] = Some(match &r.outcome {
                        Outcome::Failed(e) => e.to_string(),
                        Outcome::Stopped(s) => format!("{s:?}"),
                        _ if ok[i] => "answered up to AUTH".into(),
                        _ => "refused".into(),
                    });
                }
                Some(Err(_)) => {}
                None => break,
            },
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    set.abort_all();
    let notes = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "guess {}:{} probed without the secret: {}",
                c.endpoint.host,
                c.endpoint.port,
                why[i]
                    .clone()
                    .unwrap_or_else(|| format!("no answer within {}s", BUDGET.as_secs()))
            )
        })
        .collect();
    if ok.iter().any(|b| *b) {
        let mut ranked: Vec<(bool, usize, Candidate)> = candidates
            .drain(..)
            .enumerate()
            .map(|(i, c)| (!ok[i], i, c))
            .collect();
        ranked.sort_by_key(|(failed, i, _)| (*failed, *i));
        *candidates = ranked.into_iter().map(|(_, _, c)| c).collect();
    }
    notes
}
