//! The `smtp-doctor` binary: parse arguments, run, exit with the contract's code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = smtp_doctor::cli::Cli::parse();
    smtp_doctor::run(cli).into()
}
