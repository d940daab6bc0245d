//! The colours of the text output, in one place (anstyle).
//!
//! Renderers paint when asked (`on`); the escape codes are then kept or
//! stripped once more by `anstream` on the way to stdout, which honours
//! `--color`, NO_COLOR, CLICOLOR_FORCE and whether stdout is a terminal.

use anstyle::{AnsiColor, Style};

/// An error label, a failed stage, a failing category.
pub(crate) const ERROR: Style = AnsiColor::Red.on_default().bold();
/// A failed account in a batch line (less loud than a label).
pub(crate) const FAILED: Style = AnsiColor::Red.on_default();
/// A working stage or login.
pub(crate) const OK: Style = AnsiColor::Green.on_default();
/// A warning label.
pub(crate) const WARNING: Style = AnsiColor::Yellow.on_default().bold();
/// A skipped account in a batch line.
pub(crate) const SKIPPED: Style = AnsiColor::Yellow.on_default();
/// Headings and summaries.
pub(crate) const BOLD: Style = Style::new().bold();
/// Details, timings, sources.
pub(crate) const DIM: Style = Style::new().dimmed();

/// `text` in `style` when `on`, else as it is.
pub(crate) fn paint(on: bool, style: Style, text: &str) -> String {
    if on {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_wraps_only_when_on_and_always_resets() {
        assert_eq!(paint(false, ERROR, "x"), "x");
        let red = paint(true, ERROR, "x");
        assert!(red.starts_with('\x1b') && red.contains('x'), "{red:?}");
        assert!(red.ends_with("\x1b[0m"), "{red:?}");
    }
}
