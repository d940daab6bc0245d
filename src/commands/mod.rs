//! One module per subcommand: argument checks, running, writing the report.

pub(crate) mod batch;
pub(crate) mod check;
pub(crate) mod demo;
pub(crate) mod explain;
pub(crate) mod serve;
pub(crate) mod settings;
pub mod shell;
pub(crate) mod token;

use crate::cli::ColorArg;
use crate::error::Error;
use crate::render;
use crate::report::Report;
use std::io::Write;

/// How `--color` maps to anstream's choice (which honours NO_COLOR,
/// CLICOLOR_FORCE and whether stdout is a terminal in `Auto`).
fn color_choice(color: ColorArg) -> anstream::ColorChoice {
    match color {
        ColorArg::Auto => anstream::ColorChoice::Auto,
        ColorArg::Always => anstream::ColorChoice::Always,
        ColorArg::Never => anstream::ColorChoice::Never,
    }
}

/// Renders `report` and writes it to stdout in one write, so an interrupted
/// run never leaves half a report behind.
pub fn write_report(report: &Report, format: render::Format, color: ColorArg) -> Result<(), Error> {
    let mut buf = Vec::new();
    render::render(report, format, format == render::Format::Text, &mut buf)?;
    write_stdout(&buf, color)
}

/// Writes `buf` to stdout in one write and flushes; ANSI colour is kept or
/// stripped as `--color` (and NO_COLOR, a terminal) say.
pub fn write_stdout(buf: &[u8], color: ColorArg) -> Result<(), Error> {
    let stdout = std::io::stdout();
    let mut out = anstream::AutoStream::new(stdout.lock(), color_choice(color));
    out.write_all(buf)?;
    out.flush()?;
    Ok(())
}
