//! `smtp-doctor demo`: start the built-in loopback servers and check each one
//! with the same code path as `check`.

use super::{write_report, write_stdout};
use crate::cli::{ColorArg, DemoArgs, FormatArg};
use crate::demo::{self, Server};
use crate::diagnose::{classify, primary_category};
use crate::discovery::{Candidate, Source};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::net::dns::HickoryDns;
use crate::net::tls::TrustAnchors;
use crate::probe::{self, ProbeOptions};
use crate::render::json;
use crate::report::{EndpointResult, Report, Target};
use crate::secret::{Credential, Secret};
use std::io::Write;
use std::time::Duration;

/// Runs every scenario; exit 0 when each gave its expected category.
pub(crate) fn run(args: &DemoArgs, color: ColorArg) -> Result<ExitStatus, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Output)?;
    let scenarios = demo::scenarios();
    let total = scenarios.len();
    let mut all_as_expected = true;
    for (i, scenario) in scenarios.into_iter().enumerate() {
        let report = runtime.block_on(async {
            let server = Server::start(scenario.script).await.map_err(Error::usage)?;
            let anchors = TrustAnchors::from_der(vec![server.ca.clone()]).map_err(Error::usage)?;
            let endpoint = Endpoint {
                host: "127.0.0.1".into(),
                port: server.addr.port(),
                tls: scenario.client_tls,
            };
            let options = ProbeOptions {
                user: Some(demo::DEMO_USER.into()),
                credential: Some(Credential::Password(Secret::new(
                    demo::DEMO_PASSWORD.into(),
                ))),
                mechanism: None,
                anchors,
                timeout: Duration::from_secs(5),
                auth_timeout: Duration::from_secs(5),
                ehlo_name: "localhost".into(),
                // Never asked: the demo servers are IP literals on loopback.
                dns: std::sync::Arc::new(HickoryDns::system(Duration::from_secs(5))),
            };
            let probe_report = probe::probe(&endpoint, &options).await;
            let diagnoses = classify(&crate::diagnose::observe(&probe_report));
            let category = primary_category(&diagnoses);
            let result = EndpointResult {
                candidate: Candidate {
                    endpoint,
                    source: Source::Given,
                    detail: "demo".into(),
                    hints: Default::default(),
                },
                probe: probe_report,
                diagnoses: diagnoses.clone(),
                category,
            };
            Ok::<Report, Error>(Report {
                target: Some(Target {
                    address: Some(demo::DEMO_USER.into()),
                    user: Some(demo::DEMO_USER.into()),
                }),
                endpoints: Some(vec![result]),
                discovery: None,
                diagnoses,
                category,
                verbose: args.verbose,
                suggested_settings: None,
                other_addresses: Vec::new(),
            })
        })?;
        let as_expected = report.category.as_str() == scenario.expect;
        all_as_expected &= as_expected;
        if args.format == FormatArg::Text {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "━━ demo {}/{total}: {} (expected: {}{})\n",
                i + 1,
                scenario.title,
                scenario.expect,
                if as_expected {
                    ""
                } else {
                    " — NOT what the demo expected"
                }
            )?;
            out.flush()?;
        }
        if args.format == FormatArg::Json {
            // JSON Lines: one v1 document per scenario, each on one line, so
            // `jq -c`, `while read` and JSON Lines parsers take the output.
            let mut buf = Vec::new();
            json::render_expecting(&report, None, false, &mut buf)?;
            write_stdout(&buf, color)?;
        } else {
            write_report(&report, args.format.into(), color)?;
        }
        if args.format == FormatArg::Text && i + 1 < total {
            writeln!(std::io::stdout().lock())?;
        }
    }
    Ok(if all_as_expected {
        ExitStatus::Healthy
    } else {
        ExitStatus::Problem
    })
}
