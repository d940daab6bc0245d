//! Output: a finished `Report` as human text or as the v1 JSON document.
//!
//! Renderers only read; they write to any `io::Write` so tests can capture them.

pub mod json;
pub mod nagios;
pub(crate) mod settings;
pub(crate) mod style;
pub mod text;

use crate::report::Report;
use std::io::{self, Write};

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// Writes `report` in `format`. `color` applies to text only.
pub fn render(report: &Report, format: Format, color: bool, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => text::render(report, color, out),
        Format::Json => json::render(report, out),
    }
}
