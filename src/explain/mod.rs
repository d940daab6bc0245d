//! `explain`: turn pasted text (replies, logs, stack traces) into observations.
//!
//! The text is normalised (escaped line breaks undone, size bounded), then
//! three kinds of evidence are extracted: SMTP replies (code + optional
//! RFC 3463 status), bare enhanced status codes, and library/system error
//! phrases (`wrong version number`, `ECONNREFUSED`, …) mapped to the same
//! `Signal`s a live probe produces. The catalogue in `diagnose` does the rest.

mod extract;
mod signals;

pub use extract::{normalise, replies, FoundReply};

use crate::diagnose::{Observation, Signal, Source};
use crate::providers::Provider;

/// Longest input read, in bytes; the rest is ignored (bounded time and memory).
pub const MAX_INPUT: usize = 4 * 1024 * 1024;

/// What a pasted text shows.
#[derive(Debug, Clone)]
pub struct Findings {
    pub observations: Vec<Observation>,
    /// A success reply (235, or `250` after AUTH) was seen.
    pub success: bool,
    pub provider: Option<Provider>,
}

/// How much of a long text is read: its head and its tail. Error texts are
/// short; in a long log the error is near one end, and the bound keeps every
/// scan (regexes, hundreds of phrases) fast on any input.
const HEAD: usize = 192 * 1024;
const TAIL: usize = 64 * 1024;

/// `text`, or for a long text its first `HEAD` and last `TAIL` bytes (cut
/// at line breaks, joined by a line `…`).
fn window(text: String) -> String {
    if text.len() <= HEAD + TAIL {
        return text;
    }
    let mut head_end = HEAD;
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let head_end = text[..head_end].rfind('\n').unwrap_or(head_end);
    let mut tail_start = text.len() - TAIL;
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    let tail_start = text[tail_start..]
        .find('\n')
        .map_or(tail_start, |i| tail_start + i + 1);
    format!("{}\n…\n{}", &text[..head_end], &text[tail_start..])
}

/// Observations in `input` (arbitrary bytes; invalid UTF-8 is replaced).
pub fn observe(input: &[u8]) -> Findings {
    let input = &input[..input.len().min(MAX_INPUT)];
    let text = normalise(&window(String::from_utf8_lossy(input).into_owned()));
    let lower = text.to_lowercase();
    let provider = Provider::detect(&lower);
    let mut observations = Vec::new();
    let mut success = false;
    let found_replies = replies(&text);
    for found in &found_replies {
        if is_success(found) {
            success = true;
        }
        let mut obs = Observation::new(Signal::Reply).from_source(Source::Reply);
        obs.code = found.code;
        obs.enhanced = found.enhanced;
        obs.stage = found.stage;
        obs.text = found.text.to_lowercase();
        obs.evidence = Some(found.text.clone());
        obs.provider = provider;
        observations.push(obs);
    }
    if !success && found_replies.iter().any(|r| r.code == Some(250)) {
        // A client's own success report around a `250` (nodemailer's
        // `Message sent:` / `accepted: [`, PHPMailer's `queued`).
        success = ["message sent", "accepted: [", "messageid", "queued as"]
            .iter()
            .any(|p| lower.contains(p));
    }
    let mut found_signals = signals::find(&lower, &text);
    found_signals.extend(signals::find_in_dialogue(&lower, &text, &found_replies));
    // A close after the server's `221` goodbye, or after a success, is the
    // end of the session, not a fault.
    if success || found_replies.iter().any(|r| r.code == Some(221)) {
        found_signals.retain(|(s, _)| !matches!(s, Signal::ConnectionClosed));
    }
    // Phrase-only evidence: the whole text as one reply-like observation
    // without a code, so phrase rules apply even when no code was pasted.
    let mut whole = Observation::new(Signal::Reply).from_source(Source::Text);
    whole.text = lower.clone();
    whole.evidence = Some(first_meaningful_line(&text));
    whole.provider = provider;
    observations.push(whole);
    for (signal, evidence) in found_signals {
        let mut obs = Observation::new(signal)
            .from_source(Source::Text)
            .with_evidence(evidence);
        obs.text = lower.clone();
        obs.provider = provider;
        observations.push(obs);
    }
    if !success {
        success = signals::shows_success(&lower);
    }
    Findings {
        observations,
        success,
        provider,
    }
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
