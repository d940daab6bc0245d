//! `smtp-doctor settings ADDRESS`: discovery as `check --dry-run` runs it
//! (no mail server contacted), then what to type where.

use crate::check::{self, CheckConfig};
use crate::cli::{ColorArg, SettingsArgs};
use crate::discovery::settings::advise;
use crate::error::Error;
use crate::exit::ExitStatus;
use std::time::Duration;

pub(crate) fn run(args: &SettingsArgs, color: ColorArg) -> Result<ExitStatus, Error> {
    if let Some(t) = args.timeout {
        if !(t.is_finite() && t > 0.0 && t <= 3600.0) {
            return Err(Error::usage(format!(
                "--timeout {t}: give seconds between 0 and 3600"
            )));
        }
    }
    let config = CheckConfig {
        address: Some(args.address.trim().to_string()),
        cafile: args.cafile.clone(),
        timeout: args.timeout.map(Duration::from_secs_f64),
        dns_server: args.dns_server,
        http: !args.no_http,
        ispdb: args.ispdb.clone(),
        dry_run: true,
        ..CheckConfig::default()
    };
    let plan = check::plan_check(&config)?;
    let anchors = check::trust_anchors(&config)?;
    let options = check::probe_options(&config, &plan, None, anchors);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Output)?;
    let (report, _) = runtime.block_on(check::check_plan(plan, &options, false));
    let discovery = report.discovery.unwrap_or_default();
    let advice = advise(config.address.as_deref().unwrap_or(""), &discovery);
    let mut buf = Vec::new();
    crate::render::settings::render(&advice, &mut buf)?;
    super::write_stdout(&buf, color)?;
    Ok(ExitStatus::Healthy)
}
