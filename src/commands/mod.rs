//! One module per subcommand: argument checks, running, writing the report.

pub mod check;
pub mod explain;

use crate::error::Error;
use crate::render;
use crate::report::Report;
use std::io::{IsTerminal, Write};

/// True when text output should be coloured (a TTY, and NO_COLOR unset).
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub fn write_report(report: &Report, format: render::Format) -> Result<(), Error> {
    let mut buf = Vec::new();
    render::render(report, format, use_color(), &mut buf)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&buf)?;
    out.flush()?;
    Ok(())
}
