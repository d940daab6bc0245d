//! The `smtp-doctor` binary: parse arguments, run, exit with the contract's code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    match smtp_doctor::cli::Cli::try_parse() {
        Ok(cli) => smtp_doctor::run(cli).into(),
        Err(e) => {
            // Under --format nagios / --monitoring a usage error is UNKNOWN (3)
            // with a status line on stdout (monitoring-plugins convention).
            if monitoring_requested() && e.use_stderr() {
                let text = e.render().to_string();
                let first = text.lines().next().unwrap_or("usage error");
                let mut buf = Vec::new();
                let _ = smtp_doctor::render::nagios::render_unknown(
                    first.trim_start_matches("error: "),
                    &mut buf,
                );
                let _ =
                    smtp_doctor::commands::write_stdout(&buf, smtp_doctor::cli::ColorArg::Never);
                return smtp_doctor::exit::PluginState::Unknown.code().into();
            }
            e.exit()
        }
    }
}

fn monitoring_requested() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .any(|a| a == "--monitoring" || a == "--format=nagios")
        || args
            .windows(2)
            .any(|w| w[0] == "--format" && w[1] == "nagios")
}
