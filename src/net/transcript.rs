//! The transcript of a session: `C:` and `S:` lines, secrets already removed.
//!
//! Lines are scrubbed by the `Redactor` as they are recorded, so no later
//! code can leak a secret from here. Its size is bounded.

use crate::secret::Redactor;

/// Most lines kept; a hostile server cannot grow the transcript without bound.
const MAX_LINES: usize = 600;
/// Longest line kept (longer ones are cut and marked).
const MAX_LINE_CHARS: usize = 1000;

#[derive(Debug, Clone, Default)]
pub(crate) struct Transcript {
    lines: Vec<String>,
    redactor: Redactor,
    dropped: usize,
}

impl Transcript {
    pub(crate) fn new(redactor: Redactor) -> Transcript {
        Transcript {
            lines: Vec::new(),
            redactor,
            dropped: 0,
        }
    }

    pub(crate) fn redactor_mut(&mut self) -> &mut Redactor {
        &mut self.redactor
    }

    /// Records a client line (already in redacted form for AUTH data).
    pub(crate) fn client(&mut self, line: &str) {
        self.push(format!("C: {line}"));
    }

    /// Records a server line.
    pub(crate) fn server(&mut self, line: &str) {
        self.push(format!("S: {line}"));
    }

    /// Records an event such as the TLS handshake.
    pub(crate) fn note(&mut self, line: &str) {
        self.push(format!("-- {line}"));
    }

    fn push(&mut self, line: String) {
        if self.lines.len() >= MAX_LINES {
            self.dropped += 1;
            return;
        }
        let mut line = self.redactor.scrub(&line);
        if line.chars().count() > MAX_LINE_CHARS {
            line = line.chars().take(MAX_LINE_CHARS).collect::<String>() + "…[cut]";
        }
        self.lines.push(line);
    }

    pub(crate) fn scrub(&self, text: &str) -> String {
        self.redactor.scrub(text)
    }

    /// The recorded lines, plus a marker when some were dropped.
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut out = self.lines.clone();
        if self.dropped > 0 {
            out.push(format!("-- {} more lines not kept", self.dropped));
        }
        out
    }
}
