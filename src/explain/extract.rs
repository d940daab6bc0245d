//! Finding SMTP replies in free text.
//!
//! People paste replies in many wrappers: bare (`535 5.7.8 …`), multi-line
//! (`534-…` / `534 …`), inside Python tuples (`(535, b'5.7.8 …')`), JSON
//! (`"responseCode": 535, "response": "535-5.7.8 …"`), PHPMailer logs
//! (`SERVER -> CLIENT: 535 …`), Postfix logs (`said: 535 …`). A number only
//! counts as a reply code where such context makes it one, so ports, dates
//! and IP addresses are not mistaken for replies.

use crate::smtp::EnhancedStatus;
use crate::stage::Stage;
use regex::Regex;
use std::sync::OnceLock;

/// A reply found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundReply {
    pub code: Option<u16>,
    pub enhanced: Option<EnhancedStatus>,
    /// The reply text from the code to the end of its (logical) line.
    pub text: String,
    pub stage: Option<Stage>,
    /// Found where only an SMTP reply can stand: with an RFC 3463 enhanced
    /// code, on a transcript's server line (`S:`, `SERVER -> CLIENT:`, `<~`),
    /// in a Python reply tuple, or after Postfix's `said:`.
    pub smtp_shaped: bool,
    /// Byte offset in the normalised text where the reply starts.
    pub offset: usize,
    /// For a bare enhanced status (no reply code): its whole line, which the
    /// rules read instead of the status alone.
    pub context: Option<String>,
}

/// Undoes the escaping pastes often carry (`\r\n` written out, `\'`,
/// JSON `\u003c`, HTML `&lt;` and tags, e-mail `> ` quoting), and turns
/// Windows and Unicode line breaks into plain newlines.
pub fn normalise(text: &str) -> String {
    let mut s = unescape_json_unicode(text);
    // Each pass runs only where its pattern occurs: a 1 MiB chunk of a log
    // usually has none, and `str::replace` copies the whole text even when
    // it replaces nothing. The order of the passes is the same either way.
    if memchr::memchr(b'\\', s.as_bytes()).is_some() {
        for (from, to) in [
            ("\\r\\n", "\n"),
            ("\\n", "\n"),
            ("\\r", "\n"),
            ("\\t", " "),
            ("\\'", "'"),
            ("\\\"", "\""),
        ] {
            if s.contains(from) {
                s = s.replace(from, to);
            }
        }
    }
    if memchr::memchr(b'\r', s.as_bytes()).is_some() {
        s = s.replace("\r\n", "\n").replace('\r', "\n");
    }
    if !s.is_ascii() {
        s = s.replace(['\u{2028}', '\u{2029}'], "\n");
        // Typographic quotes (dialogs, word processors) read as plain ones, so
        // "doesn’t" matches the catalogue's "doesn't".
        s = s.replace(['\u{2019}', '\u{2018}', '\u{02bc}'], "'");
    }
    if looks_like_markup(&s) {
        s = strip_tags(&s);
    }
    if s.contains('&') {
        s = decode_entities(&s);
    }
    if has_quoted_line(&s) {
        s = unquote_lines(&s);
    }
    s
}

/// JSON's `\uXXXX` escapes (`\u003c` for `<`, `\u00e9` for `é`) decoded;
/// anything else, surrogates included, left as it is.
fn unescape_json_unicode(text: &str) -> String {
    if !text.contains("\\u") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("\\u") {
        out.push_str(&rest[..i]);
        let hex = rest
            .get(i + 2..i + 6)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        match hex
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32)
        {
            Some(c) => {
                out.push(c);
                rest = &rest[i + 6..];
            }
            None => {
                out.push_str("\\u");
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// True for text pasted as HTML or XML (closing tags or `<br>`, in any case).
fn looks_like_markup(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr_iter(b'<', b).any(|i| match b.get(i + 1) {
        Some(b'/') => true,
        Some(c) if c.eq_ignore_ascii_case(&b'b') => {
            b.get(i + 2).is_some_and(|c| c.eq_ignore_ascii_case(&b'r'))
        }
        _ => false,
    })
}

/// True when some line starts with `>` (after spaces or tabs): only then
/// can `unquote_lines` change anything.
fn has_quoted_line(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr_iter(b'>', b).any(|i| {
        b[..i]
            .iter()
            .rev()
            .find(|c| !matches!(c, b' ' | b'\t'))
            .is_none_or(|c| *c == b'\n')
    })
}

fn tag_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // A tag: a name, then attributes without `@` (so `<user@example.com>`
    // stays), at most 200 bytes.
    RE.get_or_init(|| {
        Regex::new(r"(?i)</?([a-z][a-z0-9:_-]{0,30})(?:\s[^<>@]{0,200})?/?>")
            .expect("tag regex compiles")
    })
}

/// HTML/XML tags removed: block-level ones become line breaks, the others
/// nothing. Mail-like `<user@example.com>` is not a tag and stays.
fn strip_tags(s: &str) -> String {
    const BLOCK: &[&str] = &[
        "br",
        "p",
        "div",
        "pre",
        "tr",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "blockquote",
        "hr",
    ];
    tag_regex()
        .replace_all(s, |c: &regex::Captures| {
            let name = c[1].to_ascii_lowercase();
            if BLOCK.contains(&name.as_str()) {
                "\n"
            } else {
                ""
            }
        })
        .into_owned()
}

/// The HTML entities error pages and escaped logs carry, decoded once.
fn decode_entities(s: &str) -> String {
    const ENTITIES: &[(&str, &str)] = &[
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&#039;", "'"),
        ("&#x27;", "'"),
        ("&apos;", "'"),
        ("&#34;", "\""),
        ("&#x22;", "\""),
        ("&#60;", "<"),
        ("&#62;", ">"),
        ("&#x3c;", "<"),
        ("&#x3e;", ">"),
        ("&nbsp;", " "),
        ("&#160;", " "),
        ("&#10;", "\n"),
        ("&#13;", "\n"),
        ("&amp;", "&"),
    ];
    let mut s = s.to_string();
    for (from, to) in ENTITIES {
        if s.contains(from) {
            s = s.replace(from, to);
        }
    }
    s
}

/// E-mail reply quoting (`> `, `>> `, `> > `) removed from the start of each
/// line, so a quoted reply reads like the reply itself. Transcript arrows
/// (`->`, `<-`, `>>>`) are not quoting and stay.
fn unquote_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let trimmed = line.trim_start_matches([' ', '\t']);
        let mut rest = trimmed;
        let mut quoted = false;
        while let Some(r) = rest.strip_prefix('>') {
            if rest.starts_with(">>>") {
                break;
            }
            if r.is_empty() || r.starts_with([' ', '\t', '>']) {
                rest = r.trim_start_matches([' ', '\t']);
                quoted = true;
            } else {
                break;
            }
        }
        out.push_str(if quoted { rest } else { line });
    }
    out
}

fn reply_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        // 1: a code followed by an enhanced status (strong evidence anywhere).
        // 2: a code at the start of a line, after a transcript/log prefix.
        // 3: a code after words that introduce a reply (Postfix: `said:`,
        //    Outlook's `Server Response: '550 …'` in English, French,
        //    Portuguese, Spanish, German, Russian, Japanese or Chinese,
        //    `refused to talk to me:`, a client library's `…Exception: 435 …`,
        //    PHPMailer's timestamped `… SERVER -> CLIENT: 250 …`; quotes, brackets
        //    and Markdown `**`/backticks may stand between, as in
        //    ``**Error message:** `` 451 …``).
        // 4: a code as the first element of a Python tuple: (535, b'…'),
        //    or of what is left of one at the start of a line: 421, b'…'.
        // 5: a common error code after a colon, followed by words
        //    (`Failed to send email: 535 Login Fail`, `…: 550-"Your IP…`).
        // 6: lettre's own wording of a refusal: `permanent error (535)`,
        //    `transient error (421)` (SMTP by its shape).
        Regex::new(concat!(
            r"(?mi-u)",
            r"(?:\b(?P<c1>[2-5][0-5][0-9])[ -](?P<e1>[245]\.[0-9]{1,3}\.[0-9]{1,3})\b)",
            r"|(?:^[ \t]*(?:(?:S|R|server|<~|<-|<<<|<|->|\[\d\d:\d\d:\d\d\])[:>]?[ \t]+|SERVER -> CLIENT:[ \t]*|SMTP -> (?:ERROR|FROM SERVER):[ \t]*)?(?P<c2>[2-5][0-5][0-9])(?:[ -]|$))",
            r"|(?:(?:said|response|responded|reply|replied|answered|returned|error|exception|message|code|got code|smtp error|error smtp|failed|raised|smtpserverbusy|smtpfatalerror|smtpauthenticationerror|smtpsyntaxerror|smtpunknownerror|to me|-> client|smtp inbound|du serveur|do servidor|del servidor|serverantwort|des servers|(?u:сервера|応答|响应|回應))[ \t]*(?:[:=]|(?u:：))?[ \t]*(?:[*`'\x22(\[][ \t]*){0,6}(?P<c3>[2-5][0-5][0-9])\b)",
            r"|(?:(?:\(|^[ \t]*)(?P<c4>[2-5][0-5][0-9]),[ \t]*b?['\x22])",
            r"|(?:(?::|[ \t]-)[ \t]+(?P<c5>4(?:21|5[0-5])|5(?:0[0-4]|2[01]|3[0458]|5[0-6]))[ -][\x22']?[A-Za-z]{2})",
            r"|(?:\b(?:permanent|transient) error \((?P<c6>[45][0-5][0-9])\))",
        ))
        .expect("reply regex compiles")
    })
}

fn enhanced_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?-u)(?:^|[\s'\x22(\[:])(?P<e>[245]\.[0-9]{1,3}\.[0-9]{1,3})[ \t]+[A-Za-z(<\[#*]",
        )
        .expect("enhanced regex compiles")
    })
}

/// Longest line looked at, in bytes: a reply is never longer (RFC 5321
/// allows 512), and the bound keeps pathological one-line inputs linear.
const MAX_LINE: usize = 4096;

/// The end of the line starting at `from` (exclusive), at most `MAX_LINE`
/// bytes on, at a character boundary.
fn line_end(text: &str, from: usize) -> usize {
    let mut limit = (from + MAX_LINE).min(text.len());
    while !text.is_char_boundary(limit) {
        limit -= 1;
    }
    text[from..limit].find('\n').map_or(limit, |i| from + i)
}

/// The few characters before `pos`, lower-cased (for context checks).
fn before(text: &str, pos: usize, n: usize) -> String {
    let mut start = pos.saturating_sub(n);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..pos].to_lowercase()
}

/// True when the number at `pos` is the code a client *expected*
/// (`Expected response code 250 but got code "535"`), not a reply.
/// Where a reply that starts at `start` ends on its line: at the line's end,
/// or where a one-line transcript dump moves on to the next command or
/// reply (Swift Mailer's log: `>> DATA  << 451 …  !! Expected …`).
fn reply_end(text: &str, start: usize, line_end: usize) -> usize {
    let line = &text[start..line_end];
    ["  << ", "  >> ", "  !! "]
        .iter()
        .filter_map(|m| line.find(m))
        .min()
        .map_or(line_end, |i| start + i)
}

fn is_expected_code(text: &str, pos: usize) -> bool {
    let ctx = before(text, pos, 40);
    let ctx = ctx.trim_end_matches(['"', '\'', ' ', ':', '=']);
    ctx.ends_with("expected response code")
        || ctx.ends_with("expected code")
        || ctx.ends_with("expected")
        || ctx.ends_with("port")
}

/// Every reply found in `text`, in order of appearance. Bounded: at most
/// 200 replies, from at most 20,000 candidate matches.
pub fn replies(text: &str) -> Vec<FoundReply> {
    const MAX: usize = 200;
    const MAX_CANDIDATES: usize = 20_000;
    let mut out: Vec<FoundReply> = Vec::new();
    let mut covered: Vec<(usize, usize)> = Vec::new();
    for caps in reply_regex().captures_iter(text).take(MAX_CANDIDATES) {
        if out.len() >= MAX {
            break;
        }
        let Some((group, m)) = ["c1", "c2", "c3", "c4", "c5", "c6"]
            .iter()
            .find_map(|n| caps.name(n).map(|m| (*n, m)))
        else {
            continue;
        };
        let whole = caps.get(0).map_or("", |w| w.as_str());
        let code: u16 = match m.as_str().parse() {
            Ok(c) => c,
            Err(_) => continue,
        };
        let start = m.start();
        if covered.iter().any(|(s, e)| start >= *s && start < *e) || is_expected_code(text, start) {
            continue;
        }
        let line_end = reply_end(text, start, line_end(text, start));
        let rest = &text[start..line_end];
        // The reply text: after the code; for a tuple, the quoted part.
        let after = text[m.end().min(line_end)..line_end].trim_start_matches([' ', '-', ',', '\t']);
        let after = after
            .trim_start_matches(['b'])
            .trim_start_matches(['\'', '"']);
        let enhanced = caps
            .name("e1")
            .and_then(|e| EnhancedStatus::parse(e.as_str()))
            .or_else(|| EnhancedStatus::parse_prefix(after))
            .or_else(|| repeated_with_status(rest, code))
            .filter(|e| u16::from(e.class) == code / 100);
        let (mut full, mut end) = gather_continuations(text, line_end, code, rest.trim_end());
        if before(text, start, 12).contains("said") {
            if let Some((wrapped, wrapped_end)) = gather_postfix_wrap(text, end) {
                full.push(' ');
                full.push_str(&wrapped);
                end = wrapped_end;
            }
        }
        if end == line_end {
            if let Some((wrapped, wrapped_end)) = gather_hard_wrap(text, end) {
                full.push_str(&wrapped);
                end = wrapped_end;
            }
        }
        let enhanced = enhanced.or_else(|| {
            let tail = full[rest.trim_end().len().min(full.len())..].trim_start();
            EnhancedStatus::parse_prefix(tail).filter(|e| u16::from(e.class) == code / 100)
        });
        covered.push((start, end));
        let stage = in_reply_to(&full).or_else(|| stage_for(code, &text[..start]));
        let smtp_shaped = enhanced.is_some()
            || group == "c4"
            || group == "c6"
            || (group == "c2" && !whole.trim_start().starts_with(m.as_str()))
            || (group == "c3" && before(text, start, 12).contains("said"));
        out.push(FoundReply {
            code: Some(code),
            enhanced,
            text: clean(&full),
            stage,
            smtp_shaped,
            offset: start,
            context: None,
        });
    }
    for caps in enhanced_regex().captures_iter(text).take(MAX_CANDIDATES) {
        if out.len() >= MAX {
            break;
        }
        let Some(m) = caps.name("e") else { continue };
        if covered
            .iter()
            .any(|(s, e)| m.start() >= *s && m.start() < *e)
        {
            continue;
        }
        let line_end = line_end(text, m.start());
        // A bare status has no code to say what it answered; the words of
        // its line before it do (.NET's "The SMTP server requires a secure
        // connection or the client was not authenticated. The server
        // response was: 5.5.1 …"), so they are read with it.
        let mut line_start = m.start();
        while line_start > 0
            && text.as_bytes()[line_start - 1] != b'\n'
            && m.start() - line_start < 400
        {
            line_start -= 1;
        }
        while !text.is_char_boundary(line_start) {
            line_start += 1;
        }
        out.push(FoundReply {
            code: None,
            enhanced: EnhancedStatus::parse(m.as_str()),
            text: clean(&text[m.start()..line_end]),
            stage: None,
            smtp_shaped: false,
            offset: m.start(),
            context: Some(clean(&text[line_start..line_end])),
        });
    }
    out
}

/// The enhanced status of a reply quoted again later on its line, as
/// wrappers do: `got code "530", with message "530 5.7.1 Authentication
/// required"`.
fn repeated_with_status(line: &str, code: u16) -> Option<EnhancedStatus> {
    let needle = format!("{code} ");
    let mut from = 3.min(line.len());
    while let Some(i) = line.get(from..)?.find(&needle) {
        let at = from + i + needle.len();
        if let Some(e) = EnhancedStatus::parse_prefix(&line[at..]) {
            return Some(e);
        }
        from = at;
    }
    None
}

/// HTTP reason phrases (RFC 9110 §15 and the common proxies'), which a
/// number at the start of a line or after `error` also carries: `503
/// Service Unavailable` is an HTTP page, not an SMTP reply.
const HTTP_REASONS: &[&str] = &[
    "bad gateway",
    "service unavailable",
    "service temporarily unavailable",
    "gateway timeout",
    "gateway time-out",
    "internal server error",
    "bad request",
    "unauthorized",
    "forbidden",
    "not found",
    "method not allowed",
    "misdirected request",
    "too many requests",
    "request timeout",
    "payload too large",
    "not implemented",
    "http version not supported",
    "ssl certificate error",
    "no required ssl certificate was sent",
    "the plain http request was sent to https port",
    "web server is down",
    "connection timed out",
    "ssl handshake failed",
    "invalid ssl certificate",
    "origin is unreachable",
];

/// True when a found "reply" is an HTTP status line or page title: no
/// enhanced code, and the text after the code is an HTTP reason phrase, or
/// `HTTP/1.x` / `status` stands right before it.
pub fn is_http_status(found: &FoundReply) -> bool {
    if found.enhanced.is_some() {
        return false;
    }
    let t = found.text.to_lowercase();
    let after = t
        .get(3..)
        .unwrap_or("")
        .trim_start_matches([' ', '-', ':', '.']);
    HTTP_REASONS.iter().any(|r| after.starts_with(r))
}

/// Postfix wraps a quoted reply over several lines, up to
/// `(in reply to … command)`. Returns the following lines of such a reply
/// (when the first line did not already end it) and where they end.
fn gather_postfix_wrap(text: &str, mut pos: usize) -> Option<(String, usize)> {
    let mut from = pos.saturating_sub(MAX_LINE);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let first_line_start = text[from..pos].rfind('\n').map_or(from, |i| from + i + 1);
    if text[first_line_start..pos].contains("(in reply to") {
        return None;
    }
    let mut joined = String::new();
    for _ in 0..10 {
        let next_start = pos + 1;
        if next_start >= text.len() {
            return None;
        }
        let next_end = line_end(text, next_start);
        let line = text[next_start..next_end]
            .trim_start_matches(|c: char| c == '>' || c.is_whitespace())
            .trim_end();
        if line.is_empty() {
            return None;
        }
        if !joined.is_empty() {
            joined.push(' ');
        }
        joined.push_str(line);
        pos = next_end;
        if line.contains("(in reply to") || line.ends_with("command)") {
            return Some((joined, pos));
        }
    }
    None
}

/// A paste hard-wrapped at a fixed column (a terminal, a log viewer, a
/// dialog box) splits the reply anywhere, even inside a word
/// (`SmtpClie` / `ntAuthentication`). When the reply's line and the next one
/// have the same width of at least 60 characters, the following lines are the
/// rest of the reply: same-width lines, then one shorter line that ends it.
/// Returns them, joined without separators, and where they end.
fn gather_hard_wrap(text: &str, mut pos: usize) -> Option<(String, usize)> {
    const MIN_WIDTH: usize = 60;
    let mut from = pos.saturating_sub(MAX_LINE);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let line_start = text[from..pos].rfind('\n').map_or(from, |i| from + i + 1);
    let width = text[line_start..pos].trim_end_matches('\r').chars().count();
    if width < MIN_WIDTH {
        return None;
    }
    let mut joined = String::new();
    for i in 0..10 {
        let next_start = pos + 1;
        if next_start >= text.len() {
            break;
        }
        let next_end = line_end(text, next_start);
        let line = text[next_start..next_end].trim_end_matches('\r');
        let n = line.chars().count();
        if line.trim().is_empty() || n > width || (i == 0 && n != width) {
            break;
        }
        joined.push_str(line);
        pos = next_end;
        if n < width {
            break;
        }
    }
    (!joined.is_empty()).then_some((joined, pos))
}

/// Appends following lines of the same multi-line reply (`534-…` then `534 …`).
/// Returns the joined text and the byte offset where the reply ends.
fn gather_continuations(text: &str, mut pos: usize, code: u16, first: &str) -> (String, usize) {
    let mut full = first.to_string();
    let prefix = code.to_string();
    let mut lines = 0;
    // A `550-` line promises more; a paste that doubled its line breaks
    // puts blank lines before the rest (`550-… not allowed in`, ``, `550 …`).
    let mut open = first.as_bytes().get(3) == Some(&b'-');
    let mut blanks = 0;
    let mut scan = pos;
    while scan < text.len() && lines < 20 {
        let next_start = scan + 1;
        if next_start >= text.len() {
            break;
        }
        let next_end = line_end(text, next_start);
        let line = text[next_start..next_end].trim_start();
        if open && line.trim_end().is_empty() && blanks < 2 {
            blanks += 1;
            scan = next_end;
            continue;
        }
        // Strip a transcript prefix such as "S: " or "<~ ".
        let stripped = line
            .trim_start_matches(|c: char| !c.is_ascii_digit() && c != '\n')
            .trim_start();
        let is_cont = stripped.starts_with(&prefix)
            && matches!(stripped.as_bytes().get(3), Some(b' ' | b'-') | None)
            && line.len() - stripped.len() <= 24;
        let rest = stripped.get(4..).unwrap_or("").trim();
        if !is_cont || full.contains(stripped) || (!rest.is_empty() && full.contains(rest)) {
            break;
        }
        // The text goes on without the repeated code, so a phrase split
        // over two lines (`… not allowed in` / `550 header From`) reads whole.
        full.push(' ');
        full.push_str(rest);
        open = stripped.as_bytes().get(3) == Some(&b'-');
        blanks = 0;
        pos = next_end;
        scan = next_end;
        lines += 1;
    }
    (full, pos)
}

fn clean(s: &str) -> String {
    let s = s.trim().trim_end_matches(['\'', '"', ')', ',', ']']);
    if s.chars().count() > 500 {
        s.chars().take(500).collect::<String>() + "…"
    } else {
        s.to_string()
    }
}

/// The stage Postfix names after a quoted reply: `(in reply to RCPT TO command)`.
fn in_reply_to(reply: &str) -> Option<Stage> {
    let lower = reply.to_lowercase();
    let i = lower.find("(in reply to ")?;
    let cmd = &lower[i + "(in reply to ".len()..];
    [
        ("mail from", Stage::Mail),
        ("rcpt to", Stage::Mail),
        ("end of data", Stage::Mail),
        ("data", Stage::Mail),
        ("auth", Stage::Auth),
        ("starttls", Stage::StartTls),
        ("ehlo", Stage::Ehlo),
        ("helo", Stage::Ehlo),
    ]
    .into_iter()
    .find(|(w, _)| cmd.starts_with(w))
    .map(|(_, stage)| stage)
}

/// The stage a reply most likely answered, from its code and what precedes it.
fn stage_for(code: u16, before: &str) -> Option<Stage> {
    // Codes that only AUTH uses (RFC 4954).
    if matches!(code, 334 | 235 | 535 | 534 | 538) {
        return Some(Stage::Auth);
    }
    let window_start = before.len().saturating_sub(160);
    let mut ws = window_start;
    while !before.is_char_boundary(ws) {
        ws += 1;
    }
    let ctx = before[ws..].to_lowercase();
    // The command named nearest before the reply is the one it answers.
    const WORDS: &[(&str, Stage)] = &[
        ("auth", Stage::Auth),
        ("password command", Stage::Auth),
        ("username command", Stage::Auth),
        ("mail from", Stage::Mail),
        ("rcpt to", Stage::Mail),
        ("rcpt from", Stage::Mail),
        ("data", Stage::Mail),
        ("starttls", Stage::StartTls),
        ("ehlo", Stage::Ehlo),
        ("helo", Stage::Ehlo),
        ("greeting", Stage::Greeting),
        ("refused to talk to me", Stage::Greeting),
    ];
    // STARTTLS advertised in the EHLO reply (`250-STARTTLS`) is not the
    // command: only a STARTTLS the client sent makes a 250 out of step.
    // (An advertised `250-AUTH` does announce the AUTH that follows when
    // the client's commands are not shown, so it still counts.)
    let sent = |w: &str| {
        ctx.rmatch_indices(w)
            .find(|(i, _)| {
                w != "starttls" || !(ctx[..*i].ends_with("250-") || ctx[..*i].ends_with("250 "))
            })
            .map(|(i, _)| i)
    };
    WORDS
        .iter()
        .filter_map(|(w, stage)| sent(w).map(|i| (i + w.len(), *stage)))
        .max_by_key(|(end, _)| *end)
        .map(|(_, stage)| stage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_multiline_gmail_reply_in_nodemailer_dump() {
        let t = "Error: Invalid login: 534-5.7.9 Application-specific password required. For more information, go to\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor x - gsmtp\n    at SMTPConnection._formatError";
        let r = replies(t);
        assert_eq!(r[0].code, Some(534));
        assert_eq!(r[0].enhanced.unwrap().to_string(), "5.7.9");
        assert!(r[0].text.contains("InvalidSecondFactor"), "{:?}", r[0].text);
    }

    #[test]
    fn finds_python_tuple_reply() {
        let t =
            "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted.')";
        let r = replies(t);
        assert_eq!(r[0].code, Some(535));
        assert_eq!(r[0].enhanced.unwrap().to_string(), "5.7.8");
    }

    #[test]
    fn ignores_ports_and_ips() {
        let t = "connect to smtp.example.com:587 (192.0.2.10) took 250ms on 2024-05-01";
        assert!(replies(t).is_empty(), "{:?}", replies(t));
    }

    #[test]
    fn escaped_newlines_are_undone() {
        let t = normalise("535-5.7.8 Username and Password not accepted.\\n535 5.7.8 https://support.google.com/mail/?p=BadCredentials");
        let r = replies(&t);
        assert_eq!(r.len(), 1);
        assert!(r[0].text.contains("BadCredentials"));
    }

    #[test]
    fn windows_line_breaks_keep_multiline_replies_together() {
        let t = normalise("534-5.7.9 Application-specific password required.\r\n534 5.7.9 https://support.google.com/mail/?p=InvalidSecondFactor\r\n");
        let r = replies(&t);
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0].text.contains("InvalidSecondFactor"));
    }

    #[test]
    fn html_and_json_escapes_are_undone() {
        assert_eq!(
            normalise("550 5.7.1 &lt;user@example.com&gt;: Relay access denied &#39;x&#39;"),
            "550 5.7.1 <user@example.com>: Relay access denied 'x'"
        );
        assert_eq!(
            normalise("\"550 5.7.1 \\u003cuser@example.com\\u003e: denied\""),
            "\"550 5.7.1 <user@example.com>: denied\""
        );
        assert_eq!(
            normalise("<p>Error:</p><pre>535 5.7.8 Bad</pre><br/>x"),
            "\nError:\n\n535 5.7.8 Bad\n\nx"
        );
    }

    #[test]
    fn mail_addresses_in_angle_brackets_are_not_tags() {
        let t = normalise("<div>553 5.7.1 <user@example.com>: Sender address rejected</div>");
        assert!(t.contains("<user@example.com>"), "{t}");
    }

    #[test]
    fn email_quoting_is_removed_but_transcript_arrows_stay() {
        let t = normalise("> > 535 5.7.8 Error\n>> 535 again\n>>> AUTH LOGIN\n-> MAIL FROM:<a@b>");
        assert_eq!(
            t,
            "535 5.7.8 Error\n535 again\n>>> AUTH LOGIN\n-> MAIL FROM:<a@b>"
        );
    }

    #[test]
    fn outlook_server_response_in_other_languages() {
        for t in [
            "Réponse du serveur : '550 <a@b>... Relais refusé', Port : 25",
            "Resposta do Servidor: '553 este domínio', Porta: 25",
            "サーバーの応答: '550 5.7.1 Unable to relay'",
        ] {
            let r = replies(t);
            assert!(r.iter().any(|r| r.code.is_some()), "{t}: {r:?}");
        }
    }

    #[test]
    fn reply_hard_wrapped_at_a_fixed_column_is_joined() {
        let a = format!(
            "Caused by: X: 535 5.7.139 Authentication unsuccessful, {}SmtpClie",
            "x".repeat(20)
        );
        let b = format!(
            "ntAuthentication is disabled for the Tenant. {}",
            "y".repeat(a.len() - 45)
        );
        assert_eq!(a.len(), b.len());
        let t = format!("{a}\n{b}\nion. [host]\n");
        let r = replies(&t);
        assert!(
            r[0].text.contains("SmtpClientAuthentication is disabled")
                && r[0].text.ends_with("[host"),
            "{:?}",
            r[0].text
        );
        // Lines of different widths are separate lines, not a wrapped reply.
        let r = replies("535 5.7.8 Error: authentication failed: authentication failure here\nnext line that is unrelated\n");
        assert!(!r[0].text.contains("unrelated"), "{:?}", r[0].text);
    }

    #[test]
    fn continuation_after_blank_lines_is_joined_without_its_code() {
        let t = "Failed to add recipient: 550-\"Your domain example.com is not allowed in\n\n550 header From\" @ x";
        let r = replies(t);
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(
            r[0].text.contains("not allowed in header From"),
            "{:?}",
            r[0].text
        );
    }

    #[test]
    fn bare_enhanced_status_without_code() {
        let r = replies("The server response was: 5.7.57 Client not authenticated to send mail.");
        assert_eq!(r[0].code, None);
        assert_eq!(r[0].enhanced.unwrap().to_string(), "5.7.57");
    }
}
