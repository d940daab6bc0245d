//! SMTP replies (RFC 5321 §4.2) and RFC 3463 enhanced status codes.
//!
//! `ReplyParser` takes one line at a time (without its line ending) and yields a
//! `Reply` when the last line of a (possibly multi-line) reply arrives. A reply
//! is data, never an error: only a line that breaks the syntax is a
//! `ReplyError`.

use std::fmt;

/// Most lines one reply may have before the server counts as broken.
///
/// Real EHLO replies have 10–20 lines; 1024 leaves room for odd servers while
/// bounding memory against a `250-` stream that never ends.
pub const MAX_REPLY_LINES: usize = 1024;

/// An RFC 3463 enhanced status code such as `5.7.8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedStatus {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl EnhancedStatus {
    /// Parses the code at the start of `text` (`"5.7.8 Error"` → 5.7.8).
    ///
    /// RFC 3463 §2: class is 2, 4 or 5; subject and detail are 1–3 digits.
    pub fn parse_prefix(text: &str) -> Option<EnhancedStatus> {
        let token = text.split(|c: char| c.is_whitespace()).next()?;
        Self::parse(token)
    }

    /// Parses exactly `class.subject.detail`.
    pub fn parse(token: &str) -> Option<EnhancedStatus> {
        let mut parts = token.split('.');
        let class = parts.next()?;
        let subject = parts.next()?;
        let detail = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        let digits = |s: &str, max: usize| {
            !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
        };
        if !(class.len() == 1 && matches!(class, "2" | "4" | "5")) {
            return None;
        }
        if !digits(subject, 3) || !digits(detail, 3) {
            return None;
        }
        Some(EnhancedStatus {
            class: class.parse().ok()?,
            subject: subject.parse().ok()?,
            detail: detail.parse().ok()?,
        })
    }
}

impl fmt::Display for EnhancedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// A complete server reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit reply code.
    pub code: u16,
    /// The text of each line, without the code and separator.
    pub lines: Vec<String>,
    /// The enhanced status code of the first line, when the server sent one.
    pub enhanced: Option<EnhancedStatus>,
}

impl Reply {
    /// The reply's first digit: 2 success, 3 intermediate, 4 transient, 5 permanent.
    pub fn class(&self) -> u8 {
        (self.code / 100) as u8
    }

    pub fn is_positive(&self) -> bool {
        self.class() == 2
    }

    pub fn is_intermediate(&self) -> bool {
        self.class() == 3
    }

    /// All lines joined with a space: the text rules look into.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }

    /// The reply as it was on the wire (`534-…` / `534 …`), one string per line.
    pub fn wire_lines(&self) -> Vec<String> {
        let last = self.lines.len().saturating_sub(1);
        self.lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let sep = if i == last { ' ' } else { '-' };
                if line.is_empty() && i == last {
                    self.code.to_string()
                } else {
                    format!("{}{}{}", self.code, sep, line)
                }
            })
            .collect()
    }

    /// The reply on one line, as used for `evidence`.
    pub fn one_line(&self) -> String {
        self.wire_lines().join(" ")
    }
}

/// Why a reply line could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// The line does not start with a three-digit code followed by ` `, `-` or its end.
    #[error("malformed reply line {line:?}")]
    Malformed { line: String },
    /// A multi-line reply changed its code between lines (RFC 5321 §4.2.1 forbids it).
    #[error("reply code changed from {first} to {now} within one reply")]
    InconsistentCode { first: u16, now: u16 },
    /// More than `MAX_REPLY_LINES` lines in one reply.
    #[error("reply has more than {MAX_REPLY_LINES} lines")]
    TooManyLines,
}

/// Assembles reply lines into replies.
#[derive(Debug, Default)]
pub struct ReplyParser {
    code: Option<u16>,
    lines: Vec<String>,
}

impl ReplyParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// True while a multi-line reply has started but not ended.
    pub fn in_progress(&self) -> bool {
        self.code.is_some()
    }

    /// Feeds one line (its `\r\n`, `\n` and trailing spaces are ignored).
    ///
    /// Returns `Ok(Some(reply))` on the last line of a reply.
    pub fn feed(&mut self, raw: &str) -> Result<Option<Reply>, ReplyError> {
        let line = raw.trim_end_matches(['\r', '\n']);
        let (code, last, text) = split_line(line).ok_or_else(|| ReplyError::Malformed {
            line: truncate_for_error(line),
        })?;
        if let Some(first) = self.code {
            if first != code {
                return Err(ReplyError::InconsistentCode { first, now: code });
            }
        }
        if self.lines.len() >= MAX_REPLY_LINES {
            return Err(ReplyError::TooManyLines);
        }
        self.code = Some(code);
        self.lines.push(text.trim_end().to_string());
        if !last {
            return Ok(None);
        }
        let lines = std::mem::take(&mut self.lines);
        self.code = None;
        let enhanced = lines
            .first()
            .and_then(|l| EnhancedStatus::parse_prefix(l))
            // RFC 3463 §2: the class must agree with the reply code's first digit.
            .filter(|e| u16::from(e.class) == code / 100);
        Ok(Some(Reply {
            code,
            lines,
            enhanced,
        }))
    }
}

/// Splits `250-text` / `250 text` / `250` into (code, is_last, text).
fn split_line(line: &str) -> Option<(u16, bool, &str)> {
    let bytes = line.as_bytes();
    if bytes.len() < 3 || !bytes[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    // RFC 5321 §4.2: first digit 2–5, second digit 0–5.
    if !(b'2'..=b'5').contains(&bytes[0]) || !(b'0'..=b'5').contains(&bytes[1]) {
        return None;
    }
    let code: u16 = line[..3].parse().ok()?;
    match bytes.get(3) {
        None => Some((code, true, "")),
        Some(b' ') => Some((code, true, &line[4..])),
        Some(b'-') => Some((code, false, &line[4..])),
        _ => None,
    }
}

fn truncate_for_error(line: &str) -> String {
    const MAX: usize = 120;
    if line.len() <= MAX {
        return line.to_string();
    }
    let mut end = MAX;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &line[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &str) -> Result<Vec<Reply>, ReplyError> {
        let mut p = ReplyParser::new();
        let mut out = Vec::new();
        for line in input.split_inclusive('\n') {
            if let Some(r) = p.feed(line)? {
                out.push(r);
            }
        }
        Ok(out)
    }

    #[test]
    fn parses_gmail_multiline_reply_with_enhanced_status() {
        // Wire text of Gmail's app-password refusal (see tests/fixtures/README.md).
        let wire = "534-5.7.9 Application-specific password required. For more information, go to\r\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor x - gsmtp\r\n";
        for ending in ["\r\n", "\n", " \r\n"] {
            let input = wire.replace("\r\n", ending);
            let replies = parse_all(&input).unwrap();
            assert_eq!(replies.len(), 1, "ending {ending:?}");
            let r = &replies[0];
            assert_eq!(r.code, 534);
            assert_eq!(r.lines.len(), 2);
            assert_eq!(r.enhanced, EnhancedStatus::parse("5.7.9"));
            assert!(r.text().contains("InvalidSecondFactor"));
        }
    }

    #[test]
    fn incomplete_multiline_reply_yields_nothing() {
        let mut p = ReplyParser::new();
        assert_eq!(p.feed("250-smtp.example.test\r\n").unwrap(), None);
        assert!(p.in_progress());
        assert_eq!(p.feed("250-PIPELINING\r\n").unwrap(), None);
        let r = p.feed("250 STARTTLS\r\n").unwrap().unwrap();
        assert_eq!(r.lines, ["smtp.example.test", "PIPELINING", "STARTTLS"]);
        assert!(!p.in_progress());
    }

    #[test]
    fn bare_code_is_a_complete_reply() {
        let r = parse_all("250\r\n").unwrap();
        assert_eq!(r[0].code, 250);
        assert_eq!(r[0].lines, [""]);
    }

    #[test]
    fn rejects_codes_out_of_range_and_garbage() {
        for bad in [
            "600 nope",
            "190 nope",
            "2x0 ok",
            "hello",
            "",
            "\u{fffd}\u{fffd}",
            "250_ok",
            "26",
        ] {
            assert!(
                matches!(
                    ReplyParser::new().feed(bad),
                    Err(ReplyError::Malformed { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn rejects_code_change_inside_a_reply() {
        assert_eq!(
            parse_all("250-a\r\n550 b\r\n"),
            Err(ReplyError::InconsistentCode {
                first: 250,
                now: 550
            })
        );
    }

    #[test]
    fn rejects_endless_multiline_reply() {
        let mut p = ReplyParser::new();
        let mut result = Ok(None);
        for _ in 0..=MAX_REPLY_LINES {
            result = p.feed("250-X");
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(ReplyError::TooManyLines));
    }

    #[test]
    fn enhanced_status_must_match_reply_class() {
        let r = parse_all("535 2.7.0 odd\r\n").unwrap();
        assert_eq!(r[0].enhanced, None);
        let r = parse_all("535 5.7.139 Authentication unsuccessful\r\n").unwrap();
        assert_eq!(r[0].enhanced.unwrap().to_string(), "5.7.139");
    }

    #[test]
    fn enhanced_status_parse_edge_cases() {
        assert!(EnhancedStatus::parse("5.7.1234").is_none());
        assert!(EnhancedStatus::parse("3.1.1").is_none());
        assert!(EnhancedStatus::parse("5.7").is_none());
        assert!(EnhancedStatus::parse("5..1").is_none());
        assert_eq!(
            EnhancedStatus::parse_prefix("4.7.0 Try later")
                .unwrap()
                .detail,
            0
        );
    }

    #[test]
    fn wire_lines_round_trip() {
        let input = "534-5.7.9 first\r\n534 5.7.9 second\r\n";
        let r = &parse_all(input).unwrap()[0];
        assert_eq!(r.wire_lines(), ["534-5.7.9 first", "534 5.7.9 second"]);
    }
}
