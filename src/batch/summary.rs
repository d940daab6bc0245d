//! The end-of-batch summary: categories, exit code, the slowest endpoints,
//! mean stage times, backed-off hosts; as a text table or as the final
//! `{"summary": {...}}` line of JSON Lines.

use super::schedule::{Done, EndpointKey, Limits};
use crate::diagnose::Category;
use crate::exit::{ExitStatus, BATCH_ORDER};
use crate::stage::Stage;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

/// How many endpoints the "slowest" list shows.
pub(crate) const SLOWEST: usize = 5;

#[derive(Debug, Default, Clone)]
struct EndpointStat {
    checks: usize,
    total_us: u64,
    max_us: u64,
}

/// Accumulates finished accounts.
pub(crate) struct Summary {
    accounts: usize,
    checked: usize,
    skipped: usize,
    expect_given: usize,
    expect_met: usize,
    categories: BTreeMap<Category, usize>,
    status: ExitStatus,
    endpoints: BTreeMap<String, EndpointStat>,
    /// Per stage: checks that had it, and the sum of its time in them.
    stages: BTreeMap<Stage, (usize, u64)>,
    /// Endpoint → (category, accounts skipped).
    backed_off: BTreeMap<EndpointKey, (Category, usize)>,
    check_us: u64,
    limits: Limits,
}

impl Summary {
    pub(crate) fn new(limits: Limits) -> Summary {
        Summary {
            accounts: 0,
            checked: 0,
            skipped: 0,
            expect_given: 0,
            expect_met: 0,
            categories: BTreeMap::new(),
            status: ExitStatus::Healthy,
            endpoints: BTreeMap::new(),
            stages: BTreeMap::new(),
            backed_off: BTreeMap::new(),
            check_us: 0,
            limits,
        }
    }

    /// The exit status of the batch so far (worst account by `BATCH_ORDER`).
    pub(crate) fn status(&self) -> ExitStatus {
        self.status
    }

    pub(crate) fn add(&mut self, d: &Done) {
        self.accounts += 1;
        self.status = self.status.worst(d.report.exit_status_expecting(d.expect));
        if let Some(e) = d.expect {
            self.expect_given += 1;
            if e == d.report.category {
                self.expect_met += 1;
            }
        }
        if d.skipped {
            self.skipped += 1;
            if let Some(key) = &d.endpoint {
                let entry = self
                    .backed_off
                    .entry(key.clone())
                    .or_insert((d.report.category, 0));
                entry.1 += 1;
            }
            return;
        }
        for ep in d.report.endpoints.iter().flatten() {
            if super::schedule::backs_off(ep.category) {
                self.backed_off
                    .entry(EndpointKey::of(&ep.probe.endpoint))
                    .or_insert((ep.category, 0));
            }
        }
        self.checked += 1;
        *self.categories.entry(d.report.category).or_default() += 1;
        let us = u64::try_from(d.elapsed.as_micros()).unwrap_or(u64::MAX);
        self.check_us += us;
        for ep in d.report.endpoints.iter().flatten().map(|r| &r.probe) {
            let name = if ep.endpoint.host.contains(':') {
                format!("[{}]:{}", ep.endpoint.host, ep.endpoint.port)
            } else {
                format!("{}:{}", ep.endpoint.host, ep.endpoint.port)
            };
            let stat = self.endpoints.entry(name).or_default();
            stat.checks += 1;
            stat.total_us += us;
            stat.max_us = stat.max_us.max(us);
            let mut per_stage: BTreeMap<Stage, u64> = BTreeMap::new();
            for s in &ep.stages {
                *per_stage.entry(s.stage).or_default() += s.us;
            }
            for (stage, us) in per_stage {
                let e = self.stages.entry(stage).or_default();
                e.0 += 1;
                e.1 += us;
            }
        }
    }

    fn slowest(&self) -> Vec<(&str, &EndpointStat)> {
        let mut v: Vec<(&str, &EndpointStat)> = self
            .endpoints
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .collect();
        v.sort_by(|a, b| b.1.max_us.cmp(&a.1.max_us).then(a.0.cmp(b.0)));
        v.truncate(SLOWEST);
        v
    }

    fn stage_means(&self) -> Vec<(Stage, f64)> {
        self.stages
            .iter()
            .map(|(s, (n, us))| (*s, ms(*us) / (*n).max(1) as f64))
            .collect()
    }

    /// The human table.
    pub(crate) fn render_text(&self, elapsed: Duration, out: &mut dyn Write) -> io::Result<()> {
        let secs = elapsed.as_secs_f64();
        writeln!(out)?;
        writeln!(
            out,
            "summary: {} in {secs:.2}s ({:.1} checks/s; --jobs {}, --per-host {})",
            accounts(self.accounts),
            self.accounts as f64 / secs.max(1e-9),
            self.limits.jobs,
            self.limits.per_host
        )?;
        writeln!(out, "  {:<28} {:>8}  exit", "category", "accounts")?;
        for (c, n) in &self.categories {
            writeln!(
                out,
                "  {:<28} {n:>8}  {}",
                c.as_str(),
                c.exit_status().code()
            )?;
        }
        if self.skipped > 0 {
            writeln!(
                out,
                "  {:<28} {:>8}  {}",
                "skipped (host backed off)",
                self.skipped,
                // A skipped account counts as temporary: try it again later.
                ExitStatus::Temporary.code()
            )?;
        }
        if self.expect_given > 0 {
            writeln!(
                out,
                "  expected category met: {} of {}",
                self.expect_met, self.expect_given
            )?;
        }
        let slowest = self.slowest();
        if !slowest.is_empty() {
            writeln!(out, "slowest endpoints:")?;
            writeln!(
                out,
                "  {:<28} {:>8} {:>10} {:>10}",
                "endpoint", "checks", "mean", "max"
            )?;
            for (name, s) in slowest {
                writeln!(
                    out,
                    "  {name:<28} {:>8} {:>7.1} ms {:>7.1} ms",
                    s.checks,
                    ms(s.total_us) / s.checks.max(1) as f64,
                    ms(s.max_us)
                )?;
            }
        }
        let means = self.stage_means();
        if !means.is_empty() {
            let parts: Vec<String> = means
                .iter()
                .map(|(s, m)| format!("{} {m:.2} ms", s.as_str()))
                .collect();
            writeln!(out, "mean stage times: {}", parts.join(", "))?;
        }
        for (endpoint, (c, n)) in &self.backed_off {
            writeln!(
                out,
                "backed off: {endpoint} ({c}); {} skipped, not tried",
                accounts(*n)
            )?;
        }
        writeln!(
            out,
            "result: exit {} (the worst account, in the order 2 > 1 > 3 > 4 > 5 > 6 > 7 > 0)",
            self.status.code()
        )
    }

    /// The final JSON Lines record, `{"summary": {...}}`, and a newline.
    pub(crate) fn render_json(&self, elapsed: Duration, out: &mut dyn Write) -> io::Result<()> {
        let secs = elapsed.as_secs_f64();
        let view = Line {
            summary: View {
                version: crate::report::JSON_VERSION,
                accounts: self.accounts,
                checked: self.checked,
                skipped: self.skipped,
                categories: self
                    .categories
                    .iter()
                    .map(|(c, n)| (c.as_str(), *n))
                    .collect(),
                expect: (self.expect_given > 0).then_some(ExpectCount {
                    given: self.expect_given,
                    met: self.expect_met,
                }),
                exit_code: self.status.code(),
                exit_order: BATCH_ORDER,
                elapsed_ms: round2(secs * 1e3),
                checks_per_second: round2(self.accounts as f64 / secs.max(1e-9)),
                check_mean_ms: round2(ms(self.check_us) / self.checked.max(1) as f64),
                jobs: self.limits.jobs,
                per_host: self.limits.per_host,
                stage_mean_ms: self
                    .stage_means()
                    .into_iter()
                    .map(|(s, m)| (s.as_str(), round2(m)))
                    .collect(),
                slowest_endpoints: self
                    .slowest()
                    .into_iter()
                    .map(|(name, s)| SlowView {
                        endpoint: name.to_string(),
                        checks: s.checks,
                        mean_ms: round2(ms(s.total_us) / s.checks.max(1) as f64),
                        max_ms: round2(ms(s.max_us)),
                    })
                    .collect(),
                backed_off: self
                    .backed_off
                    .iter()
                    .map(|(k, (c, n))| BackedOffView {
                        host: k.host.clone(),
                        port: k.port,
                        category: c.as_str(),
                        skipped: *n,
                    })
                    .collect(),
            },
        };
        serde_json::to_writer(&mut *out, &view).map_err(io::Error::other)?;
        writeln!(out)
    }
}

/// "1 account", "6 accounts".
pub(crate) fn accounts(n: usize) -> String {
    if n == 1 {
        "1 account".into()
    } else {
        format!("{n} accounts")
    }
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[derive(Serialize)]
struct Line {
    summary: View,
}

#[derive(Serialize)]
struct View {
    version: u32,
    accounts: usize,
    checked: usize,
    skipped: usize,
    categories: BTreeMap<&'static str, usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expect: Option<ExpectCount>,
    exit_code: u8,
    exit_order: [u8; 8],
    elapsed_ms: f64,
    checks_per_second: f64,
    check_mean_ms: f64,
    jobs: usize,
    per_host: usize,
    stage_mean_ms: BTreeMap<&'static str, f64>,
    slowest_endpoints: Vec<SlowView>,
    backed_off: Vec<BackedOffView>,
}

#[derive(Serialize)]
struct ExpectCount {
    given: usize,
    met: usize,
}

#[derive(Serialize)]
struct SlowView {
    endpoint: String,
    checks: usize,
    mean_ms: f64,
    max_ms: f64,
}

#[derive(Serialize)]
struct BackedOffView {
    host: String,
    port: u16,
    category: &'static str,
    skipped: usize,
}
