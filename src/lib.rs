//! smtp-doctor: tells you why your SMTP login fails and what to do about it.
//!
//! Layers, bottom up (docs/architecture.md; `layers.rs` tests the rules):
//! `smtp` (pure protocol) → `net` (sockets, TLS, DNS, deadlines) → `probe`
//! (one session, recorded, judged by nothing) → `diagnose` (observations →
//! the one rule catalogue) → `check` (the engine: `CheckConfig` → plan →
//! `discovery` → probes → `report::Report`) → `batch` (many accounts) →
//! `render` (text, JSON, nagios) → `commands` (the face: one module per
//! subcommand, the only users of `cli`). `explain` feeds pasted text into
//! the same catalogue.
//!
//! The library's public surface is what `main.rs`, the tests, benches and
//! fuzz targets use; everything else is `pub(crate)` (and `unreachable_pub`
//! is denied, so it stays that way).

#![deny(unreachable_pub)]

pub(crate) mod batch;
pub(crate) mod check;
pub mod cli;
pub mod commands;
pub(crate) mod credentials;
pub(crate) mod demo;
pub mod diagnose;
pub(crate) mod discovery;
pub mod endpoint;
pub mod error;
pub mod exit;
// explain/ is the catalogue engineer's to narrow (items of private
// submodules still say `pub`); everything else obeys the deny above.
#[allow(unreachable_pub)]
pub mod explain;
#[cfg(test)]
mod layers;
pub(crate) mod net;
pub mod oauth;
// phrase.rs is the catalogue engineer's to narrow, like explain/.
#[allow(unreachable_pub)]
pub(crate) mod phrase;
pub(crate) mod probe;
pub mod providers;
pub mod render;
pub mod report;
pub mod secret;
pub(crate) mod serve;
pub mod smtp;
pub mod stage;
pub(crate) mod timefmt;

pub use commands::explain::explain_bytes;
pub use commands::token::token_report;

use cli::{CheckFormat, Cli, Command};
use error::Error;
use exit::{ExitStatus, PluginState};

/// Runs the parsed command line; returns the process exit status.
pub fn run(cli: Cli) -> ExitStatus {
    let nagios =
        matches!(&cli.command, Command::Check(a) if a.output_format() == CheckFormat::Nagios);
    let color = cli.color;
    let result = match cli.command {
        Command::Check(args) => commands::check::run(&args, cli.color),
        Command::Explain(args) => commands::explain::run(&args, cli.color),
        Command::Demo(args) => commands::demo::run(&args, cli.color),
        Command::Completions(args) => commands::shell::completions(args.shell),
        Command::Man(args) => commands::shell::man(&args),
        Command::Token(args) => commands::token::run(&args, cli.color),
        Command::Serve(args) => commands::serve::run(&args),
        Command::Settings(args) => commands::settings::run(&args, cli.color),
    };
    match result {
        Ok(status) => status,
        // The reader went away (`smtp-doctor explain big.txt | head -1`):
        // it got what it wanted, so exit 0 quietly, as ripgrep and bat do.
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitStatus::Healthy,
        Err(e) if nagios => {
            // Monitoring-plugins convention: a check that could not run is UNKNOWN (3).
            let message = match e.hint() {
                Some(hint) => format!("{e} ({hint})"),
                None => e.to_string(),
            };
            let mut buf = Vec::new();
            let _ = render::nagios::render_unknown(&message, &mut buf);
            let _ = commands::write_stdout(&buf, color);
            ExitStatus::Plugin(PluginState::Unknown)
        }
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = e.hint() {
                eprintln!("  hint: {hint}");
            }
            ExitStatus::Usage
        }
    }
}
