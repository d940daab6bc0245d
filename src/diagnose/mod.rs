//! The classifier: observations in, diagnoses out. Pure and synchronous.
//!
//! Both `check` (live probes) and `explain` (pasted text, via
//! `explain::observe`) reduce what they saw to `Observation`s and run them
//! through the one catalogue in `rules.rs`. For each observation the first
//! matching rule (table order: specific before generic) gives its diagnosis;
//! phrases match on word boundaries (`phrase`), through one automaton for the
//! whole catalogue.
//!
//! Precedence is one mechanism, [`Strength`]: how directly the evidence
//! shows the root cause. Diagnoses are ordered errors first, then by
//! strength, then by rule order. Then one cause gives one diagnosis
//! ([`classify`]): a later error of the same category is dropped, one of
//! another category backed by evidence as strong becomes an alternative of
//! the primary, weaker ones (consequences of the primary) are dropped. No
//! code outside this module edits a verdict.

mod category;
mod live;
mod rule;
pub mod rules;
#[cfg(test)]
mod tests;

pub use category::Category;
pub(crate) use live::observe;
pub use rule::{Also, Code, Context, Rule, Severity, When};

use crate::providers::Provider;
use crate::smtp::sasl::Mechanism;
use crate::smtp::{EnhancedStatus, Reply};
use crate::stage::Stage;

/// What kind of thing was observed. `Reply` is a server reply; the others are
/// conditions found by the probe (or recognised in pasted text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// A server reply (code, enhanced status and text are set).
    Reply,
    /// Authentication succeeded.
    Success,
    /// The name does not exist (NXDOMAIN).
    DnsNotFound,
    /// Resolution failed otherwise (no configuration, a socket error…).
    DnsFailure,
    /// The name exists but has no address (NODATA for A and AAAA).
    DnsNoRecords,
    /// The DNS server answered SERVFAIL (or REFUSED…).
    DnsServFail,
    /// The DNS server did not answer in time.
    DnsTimeout,
    /// Resolution itself is broken: a name that must exist (a provider-table
    /// host, or a control name asked after a failure) does not resolve either.
    DnsResolverBroken,
    /// Discovery: an SRV target outside the address's domain (RFC 6186 §6), warning.
    SrvTargetOutsideDomain,
    /// `--host` looks like an MX (inbound) host, not a submission server (warning).
    HostLooksLikeMx,
    /// `--host` belongs to a provider whose table entry says otherwise (warning).
    HostDiffersFromProviderTable,
    /// TCP connection refused.
    ConnectRefused,
    /// TCP connection did not complete in time.
    ConnectTimeout,
    /// Other connect error (network unreachable…).
    ConnectFailed,
    /// No greeting, and the port turned out to speak TLS at once (or is 465):
    /// a STARTTLS/plain client on an implicit-TLS port.
    ImplicitTlsPort,
    /// No byte of greeting before the deadline.
    GreetingTimeout,
    /// A stage's deadline passed while bytes were still trickling in.
    SlowServer,
    /// A stage other than the greeting timed out.
    StageTimeout,
    /// The server closed the connection mid-dialogue.
    ConnectionClosed,
    /// A socket error mid-dialogue.
    NetworkError,
    /// The answer to our TLS ClientHello was not TLS (plaintext on a STARTTLS port).
    TlsNotTls,
    TlsCertExpired,
    TlsCertNotYetValid,
    TlsCertNameMismatch,
    TlsCertSelfSigned,
    TlsCertUntrusted,
    TlsCertOther,
    /// No TLS version in common (server offers only TLS 1.0/1.1, or only 1.3…).
    TlsProtocolVersion,
    /// The server aborted the handshake with an alert.
    TlsAlert,
    /// Any other handshake failure.
    TlsHandshake,
    /// Bytes after the STARTTLS `220`, before the handshake (RFC 3207 §5).
    StartTlsInjection,
    /// A reply line broke RFC 5321 syntax (or was too long, or too many lines).
    MalformedReply,
    /// TLS was required but the server did not offer STARTTLS.
    StartTlsNotOffered,
    /// No AUTH before TLS, STARTTLS offered, and the client did not use TLS.
    AuthOnlyAfterStartTls,
    /// The EHLO reply has no AUTH keyword at all.
    AuthNotOffered,
    /// No AUTH in EHLO on a submission port (465, 587, or any port spoken to
    /// with implicit TLS): the server offers AUTH elsewhere (another port,
    /// only after STARTTLS) or not to this client, unlike an MX on port 25.
    AuthNotOfferedOnSubmissionPort,
    /// Only OAuth mechanisms are offered and the client has a password.
    OnlyOAuthOffered,
    /// No offered mechanism is one the client can use.
    NoCommonMechanism,
    /// The server's certificate expires soon (warning).
    CertExpiresSoon,
    /// The password crossed the network unencrypted (warning).
    CleartextAuth,
    /// No secret was given, so AUTH was not attempted (info).
    NoCredentials,
    /// The user name was refused by the client library before it reached the
    /// server (e.g. nodemailer "Missing credentials for PLAIN").
    MissingCredentials,
    /// The OAuth token was refused in a way that names the token itself, or
    /// an XOAUTH2/OAUTHBEARER exchange failed (pasted text).
    OAuthTokenRejected,
    /// A live login was refused by a provider whose SMTP user name is fixed
    /// (SendGrid's `apikey`), and the user name given is another.
    UserNameNotFixedForm,
    /// A live login was refused by a provider that wants the full e-mail
    /// address as user name, and the user name given has no `@`.
    UserNameNotAddress,
    /// A live session ended on a reply no rule explains (e.g. `221` to
    /// `STARTTLS`, a `2xx` that is not the expected one): the server broke
    /// the dialogue.
    UnexpectedReply,
    /// A server's own log records a failed login (Postfix smtpd:
    /// `SASL LOGIN authentication failed`); pasted text only.
    ServerLogAuthFailed,
}

/// Where an observation came from; `classify` uses it to rank diagnoses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Source {
    /// Seen by a live probe (the default).
    #[default]
    Probe,
    /// A server reply found in pasted text.
    Reply,
    /// The pasted text as a whole, or a library/system phrase in it.
    Text,
}

/// One thing that was seen, reduced to what rules can match on.
#[derive(Debug, Clone)]
pub struct Observation {
    pub signal: Signal,
    pub source: Source,
    pub stage: Option<Stage>,
    pub code: Option<u16>,
    pub enhanced: Option<EnhancedStatus>,
    /// Lower-cased text the rules' phrases are searched in.
    pub text: String,
    /// What to show as `evidence` (already scrubbed of secrets).
    pub evidence: Option<String>,
    /// Extra words for the summary (names on a certificate, mechanisms offered…).
    pub detail: Option<String>,
    pub provider: Option<Provider>,
    pub mechanism: Option<Mechanism>,
    /// The account is a personal one of its provider (outlook.com,
    /// hotmail.*, …), known from the address or user name.
    pub personal_account: bool,
    /// 1-based line of the pasted text where the evidence starts.
    pub line: Option<usize>,
    /// The catalogue phrases found in `text`, once computed (observations
    /// that share a text share the scan).
    pub(crate) phrases: std::sync::OnceLock<crate::phrase::Found>,
}

impl Observation {
    pub fn new(signal: Signal) -> Observation {
        Observation {
            signal,
            source: Source::Probe,
            stage: None,
            code: None,
            enhanced: None,
            text: String::new(),
            evidence: None,
            detail: None,
            provider: None,
            mechanism: None,
            personal_account: false,
            line: None,
            phrases: std::sync::OnceLock::new(),
        }
    }

    /// An observation of a server reply at `stage`.
    pub fn reply(stage: Stage, reply: &Reply) -> Observation {
        let evidence = reply.one_line();
        let text = evidence.to_lowercase();
        Observation {
            stage: Some(stage),
            code: Some(reply.code),
            enhanced: reply.enhanced,
            provider: Provider::detect(&text),
            text,
            evidence: Some(evidence),
            ..Observation::new(Signal::Reply)
        }
    }

    pub fn at(mut self, stage: Stage) -> Observation {
        self.stage = Some(stage);
        self
    }

    pub fn with_evidence(mut self, evidence: impl Into<String>) -> Observation {
        let e = evidence.into();
        if self.text.is_empty() {
            self.text = e.to_lowercase();
        }
        self.evidence = Some(e);
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Observation {
        self.detail = Some(detail.into());
        self
    }

    pub fn from_source(mut self, source: Source) -> Observation {
        self.source = source;
        self
    }
}

/// Another category the same evidence fits (contract: "alternatives").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    pub category: Category,
    pub id: &'static str,
    pub why: String,
}

/// A finding, ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    pub id: &'static str,
    pub category: Category,
    pub severity: Severity,
    pub stage: Option<Stage>,
    pub summary: String,
    pub detail: Option<String>,
    pub remediation: String,
    pub reference: Option<&'static str>,
    pub evidence: Option<String>,
    /// Position of the rule in the catalogue (lower = more specific).
    pub rank: usize,
    /// Other readings of the same evidence.
    pub alternatives: Vec<Alternative>,
    /// 1-based line of the pasted text where the evidence starts.
    pub line: Option<usize>,
}

impl Diagnosis {
    /// A diagnosis from a catalogue entry's texts, with no evidence yet
    /// (used by the findings that are not matched against observations:
    /// OAuth lint and sign-in, batch back-off, `explain`'s "nothing found").
    pub fn from_parts(
        id: &'static str,
        category: Category,
        severity: Severity,
        summary: impl Into<String>,
        remediation: impl Into<String>,
        reference: Option<&'static str>,
        rank: usize,
    ) -> Diagnosis {
        Diagnosis {
            id,
            category,
            severity,
            stage: None,
            summary: summary.into(),
            detail: None,
            remediation: remediation.into(),
            reference,
            evidence: None,
            rank,
            alternatives: Vec::new(),
            line: None,
        }
    }
}

/// Every phrase of the catalogue, compiled once.
pub(crate) fn catalogue_phrases() -> &'static crate::phrase::PhraseTable {
    static TABLE: std::sync::OnceLock<crate::phrase::PhraseTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| crate::phrase::PhraseTable::new(catalogue_phrase_list()))
}

/// The catalogue's phrases in rule order (with repeats), as
/// [`catalogue_phrases`] compiles them: a table compiled from this list
/// first, then other phrases, gives the catalogue's phrases the same ids
/// (`explain`'s vocabulary relies on it).
pub(crate) fn catalogue_phrase_list() -> impl Iterator<Item = &'static str> {
    rules::RULES.iter().flat_map(|r| {
        r.when
            .branches()
            .flat_map(|w| w.any.iter().chain(w.all.iter()).copied())
    })
}

/// The first rule matching `obs`, with its index and whether it matched by
/// its reply code alone.
///
/// Conditions that look at nothing but a reply code (RFC 5321 fallbacks,
/// whether a rule's own or an alternative, `When::or`) are tried only after
/// every other condition of the catalogue, so a phrase or status rule further
/// down still beats a bare code. Otherwise table order decides.
pub fn find_rule(obs: &Observation) -> Option<(usize, &'static Rule, bool)> {
    // Only the rules with a condition on this signal can match (in table
    // order, as `RULES` lists them).
    let candidates = rules_for(obs.signal);
    if candidates.is_empty() {
        return None;
    }
    let found = obs
        .phrases
        .get_or_init(|| catalogue_phrases().scan(&obs.text));
    let compiled = compiled();
    [false, true].into_iter().find_map(|fallback| {
        candidates
            .iter()
            .copied()
            .find(|i| {
                rules::RULES[*i]
                    .when
                    .branches()
                    .zip(&compiled[*i])
                    .any(|(w, ids)| {
                        w.is_code_fallback() == fallback && w.matches_own(obs, found, ids)
                    })
            })
            .map(|i| (i, &rules::RULES[i], fallback))
    })
}

/// The indices of the rules with a condition (own or alternative) on
/// `signal`, in table order: a condition on another signal never matches.
fn rules_for(signal: Signal) -> &'static [usize] {
    static BY_SIGNAL: std::sync::OnceLock<Vec<Vec<usize>>> = std::sync::OnceLock::new();
    let by_signal = BY_SIGNAL.get_or_init(|| {
        let mut by: Vec<Vec<usize>> = Vec::new();
        for (i, r) in rules::RULES.iter().enumerate() {
            for w in r.when.branches() {
                let s = w.signal as usize;
                if by.len() <= s {
                    by.resize(s + 1, Vec::new());
                }
                if by[s].last() != Some(&i) {
                    by[s].push(i);
                }
            }
        }
        by
    });
    by_signal.get(signal as usize).map_or(&[], Vec::as_slice)
}

/// Per rule, per branch: its phrases as ids of the catalogue automaton, so
/// matching a rule is a few binary searches, not a hash per phrase.
fn compiled() -> &'static [Vec<rule::PhraseIds>] {
    static C: std::sync::OnceLock<Vec<Vec<rule::PhraseIds>>> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let table = catalogue_phrases();
        let ids = |phrases: &[&str]| -> Vec<u32> {
            phrases
                .iter()
                .map(|p| {
                    table
                        .id(p)
                        .expect("every catalogue phrase is in the automaton")
                })
                .collect()
        };
        rules::RULES
            .iter()
            .map(|r| {
                r.when
                    .branches()
                    .map(|w| rule::PhraseIds {
                        any: ids(w.any),
                        all: ids(w.all),
                    })
                    .collect()
            })
            .collect()
    })
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<(usize, &'static Rule)> {
    rules::RULES.iter().enumerate().find(|(_, r)| r.id == id)
}

fn diagnosis(obs: &Observation, rank: usize, rule: &'static Rule) -> Diagnosis {
    Diagnosis {
        stage: obs.stage,
        detail: obs.detail.clone(),
        evidence: obs.evidence.clone(),
        line: obs.line,
        ..Diagnosis::from_parts(
            rule.id,
            rule.category,
            rule.severity,
            rule.summary,
            rule.remediation,
            rule.reference,
            rank,
        )
    }
}

/// The diagnosis for one observation (none when no rule matches, e.g. a `250`).
pub fn diagnose_one(obs: &Observation) -> Option<Diagnosis> {
    let (rank, rule, _) = find_rule(obs)?;
    Some(diagnosis(obs, rank, rule))
}

/// How directly a piece of evidence shows the root cause; lower is
/// stronger. This is the catalogue's one precedence.
///
/// Pasted text often shows a problem and its consequences (a TLS failure,
/// then "connection closed"; a refused login, then a refused `MAIL`), and
/// library messages quote advice that mentions other problems. So:
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    /// What `check` itself saw at a stage of its own session.
    Live,
    /// A condition a client library or system names precisely: DNS,
    /// connect and TLS failures, missing credentials, a failed login in the
    /// server's own log, a failed OAuth exchange. These happen before (or
    /// instead of) any reply the text may also quote.
    Condition,
    /// A server reply matched by what it says: its enhanced status code, a
    /// provider's phrase, a stable phrase of the reply.
    Reply,
    /// What a client library says about the server's capabilities (no AUTH,
    /// no usable mechanism), or that a TLS handshake failed without naming
    /// an alert or a reason: the server's own reply, when there is one,
    /// explains it better. (A missing STARTTLS is a `Condition`: the
    /// library's TLS errors that follow it are its consequences.)
    Capability,
    /// A phrase found in the text outside any reply: a client's wording.
    Wording,
    /// A server reply matched by its reply code alone (RFC 5321 fallbacks).
    BareCode,
    /// A dropped connection, socket error or stalled stage: almost always
    /// the consequence of something else.
    Consequence,
    /// A client's own summary that names the failed step and no cause
    /// (`Could not authenticate`, `Failed to authenticate on SMTP server
    /// … using 2 possible authenticators`): whatever else the text shows
    /// (a reply, a dropped connection) says more.
    Wrapper,
}

/// The strength of `obs` as evidence for `rule`, the rule it matched: a
/// wrapper rule (see `rules::wrapper_wording`) is the weakest reading of
/// free text.
fn strength_for(obs: &Observation, rule: &Rule, by_code_alone: bool) -> Strength {
    let s = strength(obs, by_code_alone);
    if s == Strength::Wording && rules::wrapper_wording(rule.id) {
        Strength::Wrapper
    } else {
        s
    }
}

/// The strength of `obs` as evidence for the rule it matched.
pub fn strength(obs: &Observation, by_code_alone: bool) -> Strength {
    if obs.source == Source::Probe {
        return Strength::Live;
    }
    match obs.signal {
        Signal::Reply if by_code_alone => Strength::BareCode,
        Signal::Reply if obs.source == Source::Reply => Strength::Reply,
        Signal::Reply => Strength::Wording,
        Signal::AuthOnlyAfterStartTls
        | Signal::AuthNotOffered
        | Signal::AuthNotOfferedOnSubmissionPort
        | Signal::OnlyOAuthOffered
        | Signal::NoCommonMechanism => Strength::Capability,
        // A wrapper's "could not connect" names the step, not its cause.
        Signal::ConnectFailed => Strength::Wording,
        // "Handshake failed" with no alert or reason named: a server reply
        // in the same text (a 421 before the handshake) says more; a
        // client's wording does not.
        Signal::TlsHandshake => Strength::Capability,
        // A library's "unexpected response": the reply it quotes, if any,
        // says more.
        Signal::UnexpectedReply | Signal::MalformedReply => Strength::Consequence,
        Signal::ConnectionClosed
        | Signal::NetworkError
        | Signal::SlowServer
        | Signal::StageTimeout => Strength::Consequence,
        _ => Strength::Condition,
    }
}

/// All diagnoses for a set of observations, primary first.
///
/// Order: errors before warnings before info; among errors, the strongest
/// evidence first ([`Strength`]), then the most specific rule (lowest
/// index), so a provider's own explanation beats a generic reading of the
/// same problem. Then one cause, one diagnosis:
/// - an error of a category already given is dropped (it restates it);
/// - an error of another category whose evidence is as strong as the
///   primary's, or is the same evidence, becomes an alternative of the
///   primary; a weaker one (a consequence) is dropped;
/// - a rule's own `also` (the contract's borderline readings) is added to
///   its alternatives.
///
/// Warnings and notes are kept, once per id.
pub fn classify(observations: &[Observation]) -> Vec<Diagnosis> {
    // (severity, strength, (stage, rule index)): the sort key.
    type Key = (Severity, Strength, (u8, usize));
    let mut found: Vec<(Key, Diagnosis)> = Vec::new();
    for obs in observations {
        let Some((rank, rule, by_code)) = find_rule(obs) else {
            continue;
        };
        let strength = strength_for(obs, rule, by_code);
        // Between two replies read equally well, the one at the earlier
        // stage of the dialogue is the cause: SMTP is sequential, and a
        // refused AUTH makes the later MAIL/RCPT refusal.
        let stage = match (strength, obs.stage) {
            (Strength::Reply, Some(stage)) => stage as u8,
            _ => u8::MAX,
        };
        let key = (rule.severity, strength, (stage, rank));
        let d = diagnosis(obs, rank, rule);
        match found.iter_mut().find(|(_, x)| x.id == d.id) {
            Some(slot) if key < slot.0 => *slot = (key, d),
            Some(_) => {}
            None => found.push((key, d)),
        }
    }
    found.sort_by_key(|(k, _)| *k);
    let mut out: Vec<Diagnosis> = Vec::new();
    let mut primary: Option<(Strength, usize)> = None;
    // Rules whose diagnoses merged into the primary (same category).
    let mut merged: Vec<&'static str> = Vec::new();
    for ((severity, strength, _), d) in found {
        if severity != Severity::Error {
            out.push(d);
            continue;
        }
        let Some((primary_strength, at)) = primary else {
            primary = Some((strength, out.len()));
            out.push(d);
            continue;
        };
        let p = &mut out[at];
        if d.category == p.category {
            merged.push(d.id);
            continue;
        }
        if p.alternatives.iter().any(|a| a.category == d.category) {
            continue;
        }
        if strength == primary_strength || (d.evidence.is_some() && d.evidence == p.evidence) {
            p.alternatives.push(Alternative {
                category: d.category,
                id: d.id,
                why: d.summary,
            });
        }
    }
    if let Some((_, at)) = primary {
        let own = out[at].id;
        for id in merged.into_iter().rev().chain(std::iter::once(own)) {
            add_declared_alternative(&mut out[at], id);
        }
    }
    out
}

/// The `also` of rule `id` (the primary's, or one merged into it), first
/// among the primary's alternatives.
fn add_declared_alternative(d: &mut Diagnosis, id: &str) {
    let Some((_, rule)) = rule(id) else { return };
    let Some(also) = rule.also else { return };
    let Some((_, other)) = self::rule(also.id) else {
        return;
    };
    d.alternatives.retain(|a| a.category != other.category);
    if other.category != d.category {
        d.alternatives.insert(
            0,
            Alternative {
                category: other.category,
                id: other.id,
                why: also.why.to_string(),
            },
        );
    }
}

/// Where to change what, for a text pasted from a mail client's dialog: the
/// dialog's own place for the SMTP settings is added to the remediation of
/// the errors (the verdict stays as `classify` gave it).
pub fn for_client(diagnoses: &mut [Diagnosis], where_to_change: &str) {
    for d in diagnoses
        .iter_mut()
        .filter(|d| d.severity == Severity::Error)
    {
        d.remediation.push(' ');
        d.remediation.push_str(where_to_change);
    }
}

/// The category a list of diagnoses adds up to (`diagnoses[0]`, or `ok`).
pub fn primary_category(diagnoses: &[Diagnosis]) -> Category {
    diagnoses
        .first()
        .filter(|d| d.severity == Severity::Error)
        .map_or(Category::Ok, |d| d.category)
}
