//! `smtp-doctor completions SHELL` and `smtp-doctor man`: generated from the
//! clap definitions, so they cannot drift from the real flags.

use crate::cli::Cli;
use crate::error::Error;
use crate::exit::ExitStatus;
use clap::CommandFactory;
use std::io::Write;

/// Writes the completion script for `shell` to stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<ExitStatus, Error> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "smtp-doctor", &mut buf);
    std::io::stdout().lock().write_all(&buf)?;
    Ok(ExitStatus::Healthy)
}

/// The manual page: the top-level page followed by one section per subcommand.
pub fn man_page() -> Result<Vec<u8>, Error> {
    let cmd = Cli::command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
    for sub in cmd.get_subcommands() {
        let name = format!("smtp-doctor-{}", sub.get_name());
        let sub = sub.clone().name(name.clone()).display_name(name);
        // Subcommand pages are appended as extra sections of the one page.
        let mut part = Vec::new();
        clap_mangen::Man::new(sub).render(&mut part)?;
        let text = String::from_utf8_lossy(&part);
        // Drop the second `.TH` header: one manual page, many sections.
        for line in text
            .lines()
            .filter(|l| !l.starts_with(".TH") && !l.starts_with(".ie") && !l.starts_with(".el"))
        {
            buf.extend_from_slice(line.as_bytes());
            buf.push(b'\n');
        }
    }
    Ok(buf)
}

/// Writes the manual page to stdout.
pub fn man() -> Result<ExitStatus, Error> {
    let page = man_page()?;
    std::io::stdout().lock().write_all(&page)?;
    Ok(ExitStatus::Healthy)
}
