//! `smtp-doctor check --batch FILE`: the driver of `crate::batch`.
//!
//! One tokio runtime; results printed in file order as they become
//! available (JSON Lines, text lines, or one monitoring status at the end);
//! a progress bar on stderr when it is a terminal.

use super::check::{config, thresholds};
use super::write_stdout;
use crate::batch::input;
use crate::batch::schedule::{self, Done, Limits};
use crate::batch::summary::Summary;
use crate::check::trust_anchors;
use crate::cli::{CheckArgs, CheckFormat, ColorArg};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::render::{json, nagios, text};
use std::io::IsTerminal;
use std::time::Instant;

/// Runs `check --batch`; returns the worst account's status (or, with
/// `--format nagios`, the worst plugin state).
pub(crate) fn run(args: &CheckArgs, color: ColorArg) -> Result<ExitStatus, Error> {
    let Some(path) = args.batch.as_deref() else {
        return Err(Error::usage("--batch FILE is missing"));
    };
    let th = thresholds(args)?;
    let defaults = config(args);
    let anchors = trust_anchors(&defaults)?;
    let batch = input::load(path, &defaults)?;
    for w in &batch.warnings {
        eprintln!("warning: {w}");
    }
    let format = args.output_format();
    let total = batch.accounts.len();
    let limits = Limits {
        jobs: usize::from(args.jobs),
        per_host: usize::from(args.per_host),
    };
    let workers = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .clamp(1, 4)
        .min(limits.jobs);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .map_err(Error::Output)?;
    let progress = progress_bar(total as u64, format);
    let mut summary = Summary::new(limits);
    let mut monitoring = Vec::new();
    let started = Instant::now();

    let result: Result<(), Error> = runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Done>();
        schedule::spawn_all(batch.accounts, anchors, limits, tx);
        // Results arrive in completion order; print them in file order.
        let mut pending: Vec<Option<Done>> = (0..total).map(|_| None).collect();
        let mut next = 0;
        let mut received = 0;
        loop {
            let done = rx.recv().await;
            let finished = done.is_none();
            if let Some(done) = done {
                received += 1;
                if let Some(p) = &progress {
                    p.inc(1);
                }
                let index = done.index;
                pending[index] = Some(done);
            }
            // In file order; at the end, whatever is left (there are no gaps
            // unless a task died).
            while next < total {
                let Some(d) = pending[next].take() else {
                    if finished {
                        next += 1;
                        continue;
                    }
                    break;
                };
                next += 1;
                summary.add(&d);
                let mut buf = Vec::new();
                match format {
                    CheckFormat::Json => {
                        json::render_expecting(&d.report, d.expect, false, &mut buf)?
                    }
                    CheckFormat::Text => text::batch_line(&d, &mut buf)?,
                    CheckFormat::Nagios => monitoring.push(crate::report::monitor::assess(
                        &d.report, d.expect, d.elapsed, th,
                    )),
                }
                if !buf.is_empty() {
                    match &progress {
                        Some(p) => p.suspend(|| write_stdout(&buf, color))?,
                        None => write_stdout(&buf, color)?,
                    }
                }
            }
            if finished {
                break;
            }
        }
        if received < total {
            return Err(Error::usage(format!(
                "internal error: {} of {total} checks did not finish",
                total - received
            )));
        }
        Ok(())
    });
    if let Some(p) = &progress {
        p.finish_and_clear();
    }
    result?;
    // Dropping the runtime waits for nothing: every task has reported.
    drop(runtime);
    let elapsed = started.elapsed();
    let mut buf = Vec::new();
    let status = match format {
        CheckFormat::Json => {
            summary.render_json(elapsed, &mut buf)?;
            summary.status()
        }
        CheckFormat::Text => {
            summary.render_text(elapsed, &mut buf)?;
            summary.status()
        }
        CheckFormat::Nagios => {
            ExitStatus::Plugin(nagios::render_batch(&monitoring, elapsed, &mut buf)?)
        }
    };
    write_stdout(&buf, color)?;
    Ok(status)
}

/// A progress bar on stderr, only when stderr is a terminal (never for
/// monitoring output, which is read by a program).
fn progress_bar(total: u64, format: CheckFormat) -> Option<indicatif::ProgressBar> {
    if format == CheckFormat::Nagios || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} accounts ({per_sec}, eta {eta})",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}
