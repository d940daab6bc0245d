//! Declarative rules: what an observation must look like for a diagnosis to apply.
//!
//! A `Rule` is data (no closures), so the table in `rules.rs` can be reviewed
//! like a spreadsheet and checked by meta-tests.

use super::{Category, Observation, Signal, Source};
use crate::phrase::Found;
use crate::providers::Provider;
use crate::stage::Stage;

/// How sure and how bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Which reply codes a rule accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Any,
    /// Exactly this code.
    Is(u16),
    /// Any code of this first digit (4 = transient, 5 = permanent).
    Class(u8),
    /// Either of two codes.
    Either(u16, u16),
    /// Any code in this inclusive range.
    Range(u16, u16),
}

impl Code {
    fn accepts(self, code: Option<u16>) -> bool {
        match (self, code) {
            (Code::Any, _) => true,
            (Code::Is(c), Some(x)) => c == x,
            (Code::Class(k), Some(x)) => x / 100 == u16::from(k),
            (Code::Either(a, b), Some(x)) => x == a || x == b,
            (Code::Range(lo, hi), Some(x)) => (lo..=hi).contains(&x),
            _ => false,
        }
    }
}

/// The conditions of a rule; every one given must hold.
#[derive(Debug, Clone, Copy)]
pub struct When {
    pub signal: Signal,
    pub stage: Option<Stage>,
    pub code: Code,
    /// Enhanced status codes, any of: `"5.7.9"` exact, `"5.7."` prefix.
    pub enhanced: &'static [&'static str],
    /// Lower-case phrases, any of which must occur in the text.
    pub any: &'static [&'static str],
    /// Lower-case phrases that must all occur too.
    pub all: &'static [&'static str],
    pub provider: Option<Provider>,
    /// Another set of conditions under which the same diagnosis applies
    /// (e.g. a bare reply code as the fallback of a phrase rule, or a reply
    /// saying what a probe signal says).
    pub or: Option<&'static When>,
    /// Live only, pasted only, or both.
    pub context: Context,
    /// Only for a personal account of the provider (known from the address
    /// or user name, e.g. outlook.com, hotmail.*).
    pub personal_account: bool,
    /// Only for a provider whose SMTP user name is a fixed word (SendGrid's
    /// `apikey`, Resend's `resend`: `providers::fixed_user_name`).
    pub fixed_user_name: bool,
}

impl When {
    /// A rule on a server reply.
    pub const fn reply() -> When {
        When::signal(Signal::Reply)
    }

    /// A rule on a non-reply observation (a timeout, a TLS failure, …).
    pub const fn signal(signal: Signal) -> When {
        When {
            signal,
            stage: None,
            code: Code::Any,
            enhanced: &[],
            any: &[],
            all: &[],
            provider: None,
            or: None,
            context: Context::Any,
            personal_account: false,
            fixed_user_name: false,
        }
    }

    pub const fn code(mut self, code: u16) -> When {
        self.code = Code::Is(code);
        self
    }

    pub const fn codes(mut self, a: u16, b: u16) -> When {
        self.code = Code::Either(a, b);
        self
    }

    pub const fn range(mut self, lo: u16, hi: u16) -> When {
        self.code = Code::Range(lo, hi);
        self
    }

    pub const fn class(mut self, class: u8) -> When {
        self.code = Code::Class(class);
        self
    }

    pub const fn stage(mut self, stage: Stage) -> When {
        self.stage = Some(stage);
        self
    }

    pub const fn enhanced(mut self, codes: &'static [&'static str]) -> When {
        self.enhanced = codes;
        self
    }

    pub const fn any(mut self, phrases: &'static [&'static str]) -> When {
        self.any = phrases;
        self
    }

    pub const fn all(mut self, phrases: &'static [&'static str]) -> When {
        self.all = phrases;
        self
    }

    pub const fn provider(mut self, p: Provider) -> When {
        self.provider = Some(p);
        self
    }

    /// Only for observations of a live probe.
    pub const fn live(mut self) -> When {
        self.context = Context::Live;
        self
    }

    /// Only for observations in pasted text.
    pub const fn pasted(mut self) -> When {
        self.context = Context::Pasted;
        self
    }

    /// Only for a personal account of the provider.
    pub const fn fixed_user_name(mut self) -> When {
        self.fixed_user_name = true;
        self
    }

    pub const fn personal_account(mut self) -> When {
        self.personal_account = true;
        self
    }

    /// The same diagnosis also applies when `alt` holds.
    pub const fn or(mut self, alt: &'static When) -> When {
        self.or = Some(alt);
        self
    }

    /// This set of conditions and its alternatives.
    pub fn branches(&self) -> impl Iterator<Item = &When> {
        std::iter::successors(Some(self), |w| w.or)
    }

    /// True for a rule on a server reply that looks at nothing but the reply
    /// code (the RFC 5321 / RFC 4954 fallbacks at the end of the catalogue).
    pub const fn is_code_fallback(&self) -> bool {
        matches!(self.signal, Signal::Reply)
            && self.enhanced.is_empty()
            && self.any.is_empty()
            && self.all.is_empty()
            && self.provider.is_none()
    }

    /// True when `obs` satisfies every condition (alternatives aside).
    /// `found` holds the catalogue phrases present in `obs.text` (see
    /// `phrase`), so phrases match on word boundaries only.
    pub(crate) fn matches_own(&self, obs: &Observation, found: &Found, ids: &PhraseIds) -> bool {
        if self.signal != obs.signal {
            return false;
        }
        if let Some(stage) = self.stage {
            if obs.stage != Some(stage) {
                return false;
            }
        }
        match self.context {
            Context::Any => {}
            Context::Live if obs.source != Source::Probe => return false,
            Context::Pasted if obs.source == Source::Probe => return false,
            _ => {}
        }
        if self.fixed_user_name
            && obs
                .provider
                .and_then(crate::providers::fixed_user_name)
                .is_none()
        {
            return false;
        }
        if self.personal_account && !obs.personal_account {
            return false;
        }
        // A bare enhanced status (`4.3.111 Temporary server error`, pasted
        // without its reply code) still tells the class of the reply.
        let code = match self.code {
            Code::Class(_) => obs
                .code
                .or_else(|| obs.enhanced.map(|e| u16::from(e.class) * 100)),
            _ => obs.code,
        };
        if !self.code.accepts(code) {
            return false;
        }
        if !self.enhanced.is_empty() {
            let Some(e) = obs.enhanced else { return false };
            let e = e.to_string();
            let hit = self.enhanced.iter().any(|want| {
                if want.ends_with('.') {
                    e.starts_with(want)
                } else {
                    e == *want
                }
            });
            if !hit {
                return false;
            }
        }
        if !ids.any.is_empty() && !ids.any.iter().any(|id| found.has(*id)) {
            return false;
        }
        if !ids.all.iter().all(|id| found.has(*id)) {
            return false;
        }
        if let Some(p) = self.provider {
            if obs.provider != Some(p) {
                return false;
            }
        }
        true
    }
}

/// The catalogue automaton's ids of one branch's `any` and `all` phrases,
/// looked up once (see `diagnose::compiled`).
#[derive(Debug, Default)]
pub(crate) struct PhraseIds {
    pub any: Vec<u32>,
    pub all: Vec<u32>,
}

/// Where an observation must come from for a rule to apply: the contract
/// decides a few texts differently live and pasted (Yahoo `#AUTH005`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Any,
    /// Seen by a live probe.
    Live,
    /// Found in pasted text.
    Pasted,
}

/// Another reading of the same evidence, shown with the diagnosis
/// (JSON `alternatives`, text `also possible:`).
#[derive(Debug, Clone, Copy)]
pub struct Also {
    /// The id of the other diagnosis (a rule of the catalogue).
    pub id: &'static str,
    /// Why it is possible too, one sentence.
    pub why: &'static str,
}

/// One entry of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable kebab-case id (JSON `id`).
    pub id: &'static str,
    pub category: Category,
    pub severity: Severity,
    pub when: When,
    /// One line, shown after `error[id]:`.
    pub summary: &'static str,
    /// What to do, second person, whole sentences.
    pub remediation: &'static str,
    /// Provider documentation or RFC.
    pub reference: Option<&'static str>,
    /// The contract's second reading of this evidence, if any.
    pub also: Option<Also>,
}

impl Rule {
    /// The same rule, with the contract's second reading of its evidence.
    pub const fn also(mut self, id: &'static str, why: &'static str) -> Rule {
        self.also = Some(Also { id, why });
        self
    }
}
