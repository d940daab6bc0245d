//! `smtp-doctor serve`: a Prometheus exporter for mail logins (`/probe`, in
//! blackbox_exporter's multi-target style) and a triage page for support
//! desks (`/` and `POST /explain`), one process on the tokio runtime.
//!
//! `config` reads the TOML file; `exporter` owns the accounts, their cache
//! and the exposition; `http` is the HTTP/1.1 side (hyper), with request
//! deadlines and body caps. Below the face: the command line
//! (`commands/serve.rs`) hands over a resolved [`Options`].

pub(crate) mod config;
pub(crate) mod exporter;
mod http;

use crate::error::Error;
use crate::exit::ExitStatus;
use crate::report::Report;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Classifies pasted text into a report: `explain`'s engine, handed in by
/// the command line (the exporter sits below `commands/`).
pub(crate) type ExplainFn = fn(&[u8]) -> Report;

/// The `[web]` section, resolved: TLS and basic auth of the HTTP side.
pub(crate) struct Web {
    pub(crate) tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    pub(crate) basic_auth: Option<(String, crate::secret::Secret)>,
}

/// What `serve` is asked to do.
pub(crate) struct Options {
    pub(crate) config: PathBuf,
    /// `--listen`, over the file's `listen`.
    pub(crate) listen: Option<SocketAddr>,
    /// `--check-config`: validate (secrets loaded, accounts planned) and exit.
    pub(crate) check_only: bool,
    pub(crate) explain: ExplainFn,
}

/// Runs the server until SIGTERM or Ctrl-C; exit 2 for a config error.
pub(crate) fn run(options: Options) -> Result<ExitStatus, Error> {
    let mut config = config::load(&options.config)?;
    if let Some(listen) = options.listen {
        config.listen = listen;
    }
    let listen = config.listen;
    let accounts = config.accounts.len();
    let web = Web {
        tls: config.tls.take(),
        basic_auth: config.basic_auth.take(),
    };
    let exporter = exporter::Exporter::new(config)?;
    if options.check_only {
        println!(
            "{}: ok ({accounts} account{}, listen {listen})",
            options.config.display(),
            if accounts == 1 { "" } else { "s" }
        );
        return Ok(ExitStatus::Healthy);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Output)?;
    runtime.block_on(http::serve(listen, exporter, options.explain, web))?;
    Ok(ExitStatus::Healthy)
}
