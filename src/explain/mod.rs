//! `explain`: turn pasted text (replies, logs, stack traces) into observations.
//!
//! The input is read whole, as a stream of chunks cut at line breaks (so a
//! failure on the last line of a 50 MB log is found, in bounded memory).
//! Each chunk is normalised (escaped line breaks undone), then three kinds of
//! evidence are extracted: SMTP replies (code + optional RFC 3463 status),
//! bare enhanced status codes, and library/system error phrases (`wrong
//! version number`, `ECONNREFUSED`, …) mapped to the same `Signal`s a live
//! probe produces. `relevance` then decides which of them count: a text that
//! is not about mail gives nothing but SMTP-shaped replies. The catalogue in
//! `diagnose` does the rest.

mod client;
mod extract;
mod relevance;
mod signals;
mod vocabulary;

pub use client::Client;
pub use extract::{normalise, replies, FoundReply};
pub use relevance::{assess, Relevance};

use crate::diagnose::{find_rule, Observation, Signal, Source};
use crate::providers::Provider;
use std::io::Read;
use vocabulary::set;

/// The phrase tables of `explain` (relevance words, dialog markers, library
/// phrases), each phrase with its set, for `vocabulary`.
pub(crate) fn phrase_sets() -> impl Iterator<Item = (&'static str, u32)> {
    relevance::phrase_sets()
        .chain(client::phrase_sets())
        .chain(signals::phrase_sets())
}

/// Bytes read and classified at a time; a chunk ends at a line break.
pub const CHUNK: usize = 1024 * 1024;
/// Most observations kept from one input (the first ones of each kind are
/// kept; later ones repeat them).
const MAX_OBSERVATIONS: usize = 2_000;
/// Most bytes of free text kept for the catalogue's phrase rules per chunk:
/// only the lines where a catalogue phrase occurs.
const MAX_PHRASE_TEXT: usize = 64 * 1024;

/// What a pasted text shows.
#[derive(Debug, Clone)]
pub struct Findings {
    pub observations: Vec<Observation>,
    /// A success reply (235, or `250` after AUTH) was seen.
    pub success: bool,
    pub provider: Option<Provider>,
    /// What the text is about.
    pub relevance: Relevance,
    /// Bytes read.
    pub bytes: u64,
    /// The mail client's dialog the text comes from, if recognised.
    pub client: Option<Client>,
}

/// Why an observation counts: what it needs from the text's relevance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// SMTP-shaped evidence: counts in any text.
    Nothing,
    /// A library's precise condition: counts unless another subsystem shows.
    NoForeign,
    /// Counts only in a text about mail.
    Mail,
}

/// What kind of observation is kept (see `Gather::push`).
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A server reply found in the text.
    Reply { smtp_shaped: bool },
    /// The text's lines with catalogue phrases, outside any reply.
    Phrases,
    /// A library's or system's condition, with what it needs.
    Signal(Needs),
}

/// Observations of one input, gathered chunk by chunk.
struct Gather {
    observations: Vec<(Needs, Observation)>,
    success: bool,
    /// A message was accepted (a `250` that queued it, or a client's
    /// `message sent`), not only the login.
    delivered: bool,
    saw_221: bool,
    provider: Option<Provider>,
    /// The kinds of words seen in all chunks so far.
    words: relevance::Words,
    lines_before: usize,
    bytes: u64,
    client: Option<Client>,
    /// Observations kept per (rule, needs).
    per_rule: std::collections::HashMap<(usize, u8), u8>,
}

/// Bytes asked of the reader at a time (the chunks of a slice are cut as a
/// reader over it would cut them, so both give the same findings).
const BLOCK: usize = 64 * 1024;

/// Observations in `input` (arbitrary bytes; invalid UTF-8 is replaced).
///
/// The same chunks as [`observe_reader`] over `input`, without copying:
/// read `BLOCK` bytes at a time until `CHUNK` are there, cut at the last
/// line break (a short text is one chunk, with no buffer to fill).
pub fn observe(input: &[u8]) -> Findings {
    let mut g = Gather::new();
    let mut start = 0;
    let mut read = 0;
    let mut eof = false;
    while !eof {
        while read - start < CHUNK {
            let n = (input.len() - read).min(BLOCK);
            if n == 0 {
                eof = true;
                break;
            }
            read += n;
        }
        let buf = &input[start..read];
        let cut = if eof {
            buf.len()
        } else {
            memchr::memrchr(b'\n', buf).map_or(buf.len(), |i| i + 1)
        };
        if cut > 0 {
            g.chunk(&buf[..cut]);
        }
        start += cut;
    }
    g.bytes = read as u64;
    g.finish()
}

/// Observations in everything `reader` gives, read in chunks of [`CHUNK`]
/// bytes cut at line breaks. `explain` never reads less than the whole
/// input: a read error, even part-way, is returned (so the report never
/// needs an `input_truncated` mark).
pub fn observe_reader(mut reader: impl Read) -> std::io::Result<Findings> {
    let mut g = Gather::new();
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 4096);
    let mut block = vec![0u8; BLOCK];
    let mut eof = false;
    while !eof {
        // Fill up to CHUNK bytes.
        while buf.len() < CHUNK {
            match reader.read(&mut block) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => {
                    g.bytes += n as u64;
                    buf.extend_from_slice(&block[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // Never a verdict on part of the input: a read error
                // part-way is smtp-doctor's own failure (exit 2).
                Err(e) => return Err(e),
            }
        }
        // Cut at the last line break (the rest starts the next chunk).
        let cut = if eof {
            buf.len()
        } else {
            buf.iter()
                .rposition(|b| *b == b'\n')
                .map_or(buf.len(), |i| i + 1)
        };
        let rest = buf.split_off(cut);
        if !buf.is_empty() {
            g.chunk(&buf);
        }
        buf = rest;
    }
    Ok(g.finish())
}

impl Gather {
    fn new() -> Gather {
        Gather {
            observations: Vec::new(),
            success: false,
            delivered: false,
            saw_221: false,
            provider: None,
            words: relevance::Words::default(),
            lines_before: 0,
            bytes: 0,
            client: None,
            per_rule: std::collections::HashMap::new(),
        }
    }

    /// Keeps an observation that some rule reads, at most a few per rule
    /// (a long log repeats itself; its first occurrences are the evidence),
    /// and at most `MAX_OBSERVATIONS` in all, so memory stays bounded on any
    /// input while a failure on the last line of a huge log is still kept.
    ///
    /// What the observation needs from the text's relevance follows from
    /// its kind and the rule it matched, found here once.
    fn push(&mut self, kind: Kind, obs: Observation) {
        const PER_RULE: u8 = 3;
        let Some((rank, rule, by_code)) = find_rule(&obs) else {
            return;
        };
        let needs = match kind {
            // SMTP by its shape counts anywhere; a reply a specific rule
            // reads (not its code alone) counts unless another subsystem
            // shows; a bare code needs a text about mail.
            Kind::Reply { smtp_shaped: true } => Needs::Nothing,
            Kind::Reply { .. } if !by_code => Needs::NoForeign,
            Kind::Reply { .. } => Needs::Mail,
            // A server's own phrase counts unless another subsystem shows;
            // everyday words ("incorrect password", "too many attempts")
            // need a text about mail.
            Kind::Phrases if !crate::diagnose::rules::everyday_wording(rule.id) => Needs::NoForeign,
            Kind::Phrases => Needs::Mail,
            Kind::Signal(needs) => needs,
        };
        let seen = self.per_rule.entry((rank, needs as u8)).or_insert(0);
        if *seen >= PER_RULE || self.observations.len() >= MAX_OBSERVATIONS {
            return;
        }
        *seen += 1;
        self.observations.push((needs, obs));
    }

    fn chunk(&mut self, raw: &[u8]) {
        let raw = String::from_utf8_lossy(raw);
        let text = normalise(&raw);
        let lower = text.to_lowercase();
        // One scan of the chunk for every phrase table (`vocabulary`); a
        // chunk too long to be read whole by the phrase rules also gives
        // where each catalogue phrase occurs, for `phrase_lines`.
        let table = vocabulary::table();
        let (phrases, catalogue_at) = if lower.len() > MAX_PHRASE_TEXT {
            table.scan_with_offsets(&lower, set::CATALOGUE)
        } else {
            (table.scan(&lower), Vec::new())
        };
        self.words.merge(relevance::words_in(&phrases));
        if self.client.is_none() {
            self.client = client::detect_in(&phrases);
        }
        let provider = vocabulary::provider_in(&phrases);
        if self.provider.is_none() {
            self.provider = provider;
        }
        let provider = provider.or(self.provider);
        let lines_before = self.lines_before;
        let line_of = |evidence: &str| -> Option<usize> {
            let probe: String = evidence.chars().take(40).collect();
            let probe = probe.trim();
            if probe.is_empty() {
                return None;
            }
            memchr::memmem::find(raw.as_bytes(), probe.as_bytes())
                .map(|i| lines_before + 1 + line_breaks(&raw.as_bytes()[..i]))
        };
        let found_replies = replies(&text);
        // An error reply standing on its own line with words after its code
        // (`421 mwinf5c27 ME`, `550 that IP address is not allowed`) is a
        // weak sign of mail; a price list's `535 EUR` is too, so it only
        // counts where no other subsystem shows.
        // Only RFC 5321's error codes, never an HTTP status line.
        self.words.weak |= found_replies.iter().any(|r| {
            r.code.is_some_and(is_smtp_error_code)
                && !extract::is_http_status(r)
                && r.text.get(4..).is_some_and(|t| {
                    t.split_whitespace().count() >= 2
                        && t.chars().next().is_some_and(char::is_alphabetic)
                })
        });
        let personal = signals::personal_account_in(&lower);
        let mut success = false;
        for found in &found_replies {
            if is_success(found) {
                success = true;
                self.delivered |= found.code == Some(250) && is_delivery(found);
            }
            if found.code == Some(221) {
                self.saw_221 = true;
            }
            if extract::is_http_status(found) {
                continue;
            }
            let mut obs = Observation::new(Signal::Reply).from_source(Source::Reply);
            obs.code = found.code;
            obs.enhanced = found.enhanced;
            obs.stage = found.stage;
            obs.text = found
                .context
                .as_deref()
                .unwrap_or(&found.text)
                .to_lowercase();
            obs.evidence = Some(found.text.clone());
            obs.provider = provider;
            obs.personal_account = personal;
            obs.line = line_of(&found.text);
            self.push(
                Kind::Reply {
                    smtp_shaped: found.smtp_shaped,
                },
                obs,
            );
        }
        // A transcript flattened onto one line (`… QUIT 221 Connection
        // closed by foreign host.`) still shows the goodbye.
        self.saw_221 |= signals::quit_then_221(&lower);
        if !success && found_replies.iter().any(|r| r.code == Some(250)) {
            // A client's own success report around a `250` (nodemailer's
            // `Message sent:` / `accepted: [`, PHPMailer's `queued`).
            success = ["message sent", "accepted: [", "messageid", "queued as"]
                .iter()
                .any(|p| lower.contains(p));
            self.delivered |= success;
        }
        let mut found_signals = signals::find(&phrases, &lower, &text);
        found_signals.extend(signals::find_in_dialogue(&lower, &text, &found_replies));
        if let Some(line) =
            signals::plain_client_on_port_465(&lower, &text, &found_signals, &found_replies)
        {
            found_signals.push((Signal::ImplicitTlsPort, line));
        }
        if let Some(line) = signals::implicit_tls_url_on_starttls_port(
            &lower,
            &text,
            &found_signals,
            &found_replies,
        ) {
            found_signals.push((Signal::TlsNotTls, line));
        }
        // Phrase-only evidence: the lines of the text where a catalogue
        // phrase occurs, as one reply-like observation without a code, so
        // phrase rules apply even when no code was pasted.
        // What the catalogue's own scan of the chunk finds.
        let catalogue = phrases.below(vocabulary::catalogue_len());
        if !catalogue.is_empty() {
            let mut whole = Observation::new(Signal::Reply).from_source(Source::Text);
            whole.text = phrase_lines(&lower, &catalogue_at);
            if whole.text.len() == lower.len() {
                let _ = whole.phrases.set(catalogue.clone());
            }
            let first = first_meaningful_line(&text);
            whole.line = line_of(&first);
            whole.evidence = Some(first);
            whole.provider = provider;
            whole.personal_account = personal;
            self.push(Kind::Phrases, whole);
        }
        for (signal, evidence) in found_signals {
            let needs = match signal {
                Signal::OAuthTokenRejected
                | Signal::MissingCredentials
                | Signal::ServerLogAuthFailed
                | Signal::StartTlsNotOffered
                | Signal::AuthNotOffered
                | Signal::AuthOnlyAfterStartTls
                | Signal::UnexpectedReply
                | Signal::NoCommonMechanism
                | Signal::ConnectionClosed
                | Signal::StageTimeout
                | Signal::ImplicitTlsPort => Needs::Mail,
                _ => Needs::NoForeign,
            };
            let mut obs = Observation::new(signal)
                .from_source(Source::Text)
                .with_evidence(evidence.clone());
            if lower.len() <= MAX_PHRASE_TEXT {
                obs.text = lower.clone();
                let _ = obs.phrases.set(catalogue.clone());
            } else {
                obs.text = lower.chars().take(MAX_PHRASE_TEXT).collect();
            }
            obs.provider = provider;
            obs.line = line_of(&evidence);
            self.push(Kind::Signal(needs), obs);
        }
        if !success {
            success = signals::shows_success(&lower);
        }
        self.success |= success;
        self.lines_before += line_breaks(raw.as_bytes());
    }

    fn finish(self) -> Findings {
        let relevance = self.words.relevance();
        let success = self.success;
        // A 235 alone does not end a session: a close after it, before the
        // message was accepted, is still a fault.
        let closed_on_purpose = self.delivered || self.saw_221;
        let observations = self
            .observations
            .into_iter()
            .filter(|(needs, _)| match needs {
                Needs::Nothing => true,
                Needs::NoForeign => relevance.mail || !relevance.foreign,
                Needs::Mail => relevance.mail,
            })
            .map(|(_, o)| o)
            // A close after the server's `221` goodbye, or after a
            // success, is the end of the session, not a fault.
            .filter(|o| !(closed_on_purpose && o.signal == Signal::ConnectionClosed))
            .collect();
        Findings {
            observations,
            success,
            provider: self.provider,
            relevance,
            bytes: self.bytes,
            client: self.client,
        }
    }
}

/// The lines of `lower` where a catalogue phrase occurs (bounded), joined:
/// what the phrase rules of the catalogue read for a text as a whole.
/// `catalogue_at`: the offset of every catalogue phrase in `lower`, in
/// increasing order (no phrase spans a line break, so a phrase found in the
/// whole text is one found in its line, and the other way round).
fn phrase_lines(lower: &str, catalogue_at: &[usize]) -> String {
    if lower.len() <= MAX_PHRASE_TEXT {
        return lower.to_string();
    }
    let mut out = String::new();
    let mut at = catalogue_at.iter().copied().peekable();
    let mut start = 0;
    // The lines of `str::lines`: split at `\n`, a `\r` before it dropped.
    for piece in lower.split_inclusive('\n') {
        let end = start + piece.len();
        let line = piece.strip_suffix('\n').unwrap_or(piece);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line_start = start;
        start = end;
        if out.len() + line.len() > MAX_PHRASE_TEXT {
            break;
        }
        while at.next_if(|i| *i < line_start).is_some() {}
        if at.peek().is_some_and(|i| *i < line_start + line.len()) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// How many `\n` `bytes` holds.
fn line_breaks(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

/// A `250` that took the message itself (not a sender or a recipient):
/// `queued as`, `message accepted`, `accepted for delivery`.
fn is_delivery(found: &FoundReply) -> bool {
    let t = found.text.to_lowercase();
    [
        "queued",
        "message accepted",
        "accepted for delivery",
        "message sent",
    ]
    .iter()
    .any(|p| t.contains(p))
}

/// The negative replies RFC 5321 §4.2.3 and RFC 4954 §6 define.
fn is_smtp_error_code(code: u16) -> bool {
    matches!(code, 421 | 450..=455 | 500..=504 | 521 | 530 | 534 | 535 | 538 | 550..=556)
}

/// A reply that shows the login or the message went through: `235`, or a
/// `250` that queued or accepted a message.
fn is_success(found: &FoundReply) -> bool {
    match found.code {
        Some(235) => true,
        Some(250) => {
            let t = found.text.to_lowercase();
            ["queued", "accepted", "message sent"]
                .iter()
                .any(|p| t.contains(p))
        }
        _ => false,
    }
}

/// The first non-empty line, cut to 300 characters, for evidence.
fn first_meaningful_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if line.chars().count() > 300 {
        line.chars().take(300).collect::<String>() + "…"
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slice_is_cut_into_the_chunks_a_reader_over_it_gives() {
        // Texts around and across chunk sizes, with and without a line
        // break near each cut, and a failure on the last line. (Plain
        // lines: the chunk boundaries are what is tested, cheaply.)
        let line = "a line of a long log with nothing in it\n";
        let fail = "postfix/smtpd[5000]: warning: unknown[192.0.2.66]: SASL LOGIN authentication failed: UGFzc3dvcmQ6\n";
        let mut inputs: Vec<String> = vec![String::new(), fail.to_string()];
        for size in [CHUNK - 1, CHUNK + BLOCK + 1] {
            let mut t = line.repeat(size / line.len() + 1);
            t.truncate(size);
            inputs.push(t + fail);
        }
        inputs.push(
            "x".repeat(CHUNK + BLOCK + 17) + "\n" + fail + "535 5.7.8 no line break at the end",
        );
        for t in inputs {
            let a = observe(t.as_bytes());
            let b = observe_reader(t.as_bytes()).expect("a slice reads");
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{} bytes", t.len());
            assert_eq!(a.bytes, t.len() as u64);
        }
    }
}
