//! Phrase matching that respects words, for the whole catalogue at once.
//!
//! Every phrase of a table is compiled into one Aho-Corasick automaton, so a
//! text is scanned once, however many rules there are. A match counts only
//! on word boundaries: `rbl` does not match inside "marble", `mail.com` does
//! not match inside "company-email.com", `5.7.14` does not match `5.7.140`.
//!
//! Phrase syntax (lower-case, as the rules are written):
//! - a phrase that starts (ends) with a letter or digit needs a non-word
//!   character, or the start (end) of the text, before (after) it;
//! - a trailing `*` marks a stem: `throttl*` matches "throttled" and
//!   "throttling" (no boundary needed after it); a leading `*` needs none
//!   before it (`*quotaexceeded*` inside `SubmissionQuotaExceededException`);
//! - phrases that start or end with punctuation or a space (`hotmail.`,
//!   `querya `) carry their own boundary on that side;
//! - a phrase whose last word has five letters or more also matches its
//!   inflections (`blacklist` in "blacklisted", `connection` in
//!   "connections"): only short words (`rbl`, `tls`, `pip`) must end where
//!   the phrase ends.
//!
//! A table may hold several sets of phrases (each phrase tagged with the
//! sets it belongs to, see [`PhraseTable::with_sets`]), so that one scan of a
//! text answers every set: `vocabulary` compiles all of smtp-doctor's phrase
//! tables into one.
//!
//! Word characters are letters and digits, except the scripts written
//! without spaces between words (Chinese, Japanese, Korean), where any
//! position is a boundary. `_` is not a word character, so the parts of
//! `SSL_R_WRONG_VERSION_NUMBER` or `ERR_TLS_CERT_ALTNAME_INVALID` match.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a: phrase look-ups hash short strings, where SipHash's setup cost
/// dominates (no attacker chooses the keys: they are the tables' own).
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Length from which a phrase's last (ASCII) word may carry an inflection
/// after it without a `*`.
const INFLECTED_WORD: usize = 5;

/// One compiled table of phrases.
pub struct PhraseTable {
    automaton: AhoCorasick,
    /// Per pattern: (needs a boundary before, needs a boundary after).
    bounds: Vec<(bool, bool)>,
    /// Per pattern: the sets (bits) it belongs to.
    sets: Vec<u32>,
    ids: FnvMap<&'static str, u32>,
}

/// The phrases of a table found in one text: pattern id → byte offset of
/// its first match (in the text that was scanned).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    hits: Vec<(u32, u32)>,
}

impl Found {
    /// True when the phrase with this id occurs.
    pub fn has(&self, id: u32) -> bool {
        self.hits.binary_search_by_key(&id, |(i, _)| *i).is_ok()
    }

    /// Where the phrase with this id first occurs.
    #[cfg(test)]
    pub fn position(&self, id: u32) -> Option<usize> {
        self.hits
            .binary_search_by_key(&id, |(i, _)| *i)
            .ok()
            .map(|k| self.hits[k].1 as usize)
    }

    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }

    /// Only the phrases whose id is below `n` (of a table compiled from
    /// the first `n` phrases of this one, whose ids they keep).
    pub fn below(&self, n: u32) -> Found {
        let k = self.hits.partition_point(|(id, _)| *id < n);
        Found {
            hits: self.hits[..k].to_vec(),
        }
    }

    /// The ids of the phrases found, in increasing order.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.hits.iter().map(|(id, _)| *id)
    }
}

/// True for a letter or digit of a script that separates words by spaces.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_unspaced_script(c)
}

/// Han, kana, Hangul and their punctuation blocks: no spaces between words.
fn is_unspaced_script(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x11FF | 0x2E80..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7FF
        | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

impl PhraseTable {
    /// Compiles `phrases` (duplicates are kept once), all in set `1`.
    pub fn new(phrases: impl IntoIterator<Item = &'static str>) -> PhraseTable {
        PhraseTable::with_sets(phrases.into_iter().map(|p| (p, 1)))
    }

    /// Compiles `phrases`, each with the sets (bits) it belongs to; a phrase
    /// given more than once is compiled once and belongs to all its sets.
    pub fn with_sets(phrases: impl IntoIterator<Item = (&'static str, u32)>) -> PhraseTable {
        let mut ids: FnvMap<&'static str, u32> = FnvMap::default();
        let mut patterns: Vec<&'static str> = Vec::new();
        let mut bounds = Vec::new();
        let mut sets: Vec<u32> = Vec::new();
        for (p, set) in phrases {
            if p.is_empty() {
                continue;
            }
            if let Some(id) = ids.get(p) {
                sets[*id as usize] |= set;
                continue;
            }
            let (text, stem) = match p.strip_suffix('*') {
                Some(t) => (t, true),
                None => (p, false),
            };
            let (text, suffix) = match text.strip_prefix('*') {
                Some(t) => (t, true),
                None => (text, false),
            };
            ids.insert(p, patterns.len() as u32);
            let first = text.chars().next().is_some_and(is_word_char);
            let last = text.chars().next_back().is_some_and(is_word_char);
            // A phrase whose last word is long enough to be inflected
            // ("blacklist" → "blacklisted", "connection" → "connections")
            // matches its inflections; a short one (`rbl`, `tls`, `pip`) is
            // a whole word.
            let last_word = text
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphabetic())
                .count();
            let inflects = last_word >= INFLECTED_WORD && text.is_ascii();
            bounds.push((first && !suffix, last && !stem && !inflects));
            sets.push(set);
            patterns.push(text);
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            // A contiguous NFA, not a DFA: for the ~1,100 phrases of the
            // vocabulary it takes ~300 KiB, which stays in cache, where the
            // DFA takes ~14 MiB and 20-30 ms to build; measured with
            // `cargo bench --bench explain`, the NFA scans both the corpus
            // and a 64 MiB log faster (docs/performance.md).
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&patterns)
            .expect("phrase automaton builds");
        PhraseTable {
            automaton,
            bounds,
            sets,
            ids,
        }
    }

    /// How many distinct phrases the table holds.
    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    /// The id of a phrase as written in the table (with its `*`, if any).
    pub fn id(&self, phrase: &str) -> Option<u32> {
        self.ids.get(phrase).copied()
    }

    /// Every phrase of the table that occurs in `lower` on word boundaries.
    pub fn scan(&self, lower: &str) -> Found {
        self.scan_each(lower, |_, _| {})
    }

    /// Like [`PhraseTable::scan`], and also the byte offset of every
    /// occurrence (not only the first) of a phrase of `set`, in increasing
    /// order.
    pub fn scan_with_offsets(&self, lower: &str, set: u32) -> (Found, Vec<usize>) {
        let mut offsets = Vec::new();
        let found = self.scan_each(lower, |id, start| {
            if self.sets[id as usize] & set != 0 {
                offsets.push(start);
            }
        });
        offsets.sort_unstable();
        (found, offsets)
    }

    /// The scan, calling `each` with every occurrence on word boundaries.
    fn scan_each(&self, lower: &str, mut each: impl FnMut(u32, usize)) -> Found {
        let mut hits: Vec<(u32, u32)> = Vec::new();
        for m in self.automaton.find_overlapping_iter(lower) {
            let id = m.pattern().as_u32();
            let (left, right) = self.bounds[id as usize];
            if left
                && lower[..m.start()]
                    .chars()
                    .next_back()
                    .is_some_and(is_word_char)
            {
                continue;
            }
            if right && lower[m.end()..].chars().next().is_some_and(is_word_char) {
                continue;
            }
            each(id, m.start());
            hits.push((id, m.start() as u32));
        }
        // First occurrence of each phrase, sorted by id for binary search.
        hits.sort_unstable();
        hits.dedup_by_key(|(id, _)| *id);
        Found { hits }
    }

    /// True when some phrase of `set` occurs in `found`.
    pub fn any_in(&self, found: &Found, set: u32) -> bool {
        found.ids().any(|id| self.sets[id as usize] & set != 0)
    }

    /// The ids of `phrases` (each must be in the table).
    pub fn ids_of(&self, phrases: &[&str]) -> Vec<u32> {
        phrases
            .iter()
            .map(|p| self.id(p).expect("every phrase is compiled"))
            .collect()
    }

    /// True when `phrase` (from this table) occurs in `found`.
    pub fn found(&self, found: &Found, phrase: &str) -> bool {
        self.id(phrase).is_some_and(|id| found.has(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> PhraseTable {
        PhraseTable::new([
            "rbl",
            "mail.com",
            "5.7.14",
            "throttl*",
            "hotmail.",
            "授权码",
            "wrong version number",
            "cert_has_expired",
        ])
    }

    fn has(t: &PhraseTable, text: &str, p: &str) -> bool {
        t.found(&t.scan(text), p)
    }

    #[test]
    fn phrases_match_on_word_boundaries_only() {
        let t = table();
        assert!(!has(&t, "a marble floor", "rbl"));
        assert!(!has(&t, "verbal", "rbl"));
        assert!(has(&t, "listed in rbl zen.spamhaus.org", "rbl"));
        assert!(has(&t, "(rbl)", "rbl"));
        assert!(!has(&t, "alice@company-email.com", "mail.com"));
        assert!(has(&t, "alice@mail.com", "mail.com"));
        assert!(!has(&t, "5.7.140 nope", "5.7.14"));
        assert!(has(&t, "534-5.7.14 <https://accounts", "5.7.14"));
    }

    #[test]
    fn stems_and_punctuated_phrases() {
        let t = table();
        assert!(has(&t, "you are being throttled", "throttl*"));
        assert!(!has(&t, "unthrottled", "throttl*"));
        let t2 = PhraseTable::new(["blacklist", "pip"]);
        assert!(t2.found(&t2.scan("ip blacklisted"), "blacklist"));
        assert!(!t2.found(&t2.scan("pipeline"), "pip"));
        assert!(has(&t, "smtp.hotmail.com", "hotmail."));
        assert!(!has(
            &t,
            "error: err_ssl_wrong_version_number",
            "wrong version number"
        ));
        assert!(has(
            &t,
            "ssl routines::wrong version number",
            "wrong version number"
        ));
        assert!(has(&t, "code: 'cert_has_expired'", "cert_has_expired"));
        assert!(has(&t, "err_cert_has_expired", "cert_has_expired"));
    }

    #[test]
    fn scripts_without_spaces_need_no_boundary() {
        let t = table();
        assert!(has(&t, "请使用授权码登录", "授权码"));
    }

    #[test]
    fn first_position_is_reported() {
        let t = table();
        let f = t.scan("rbl and rbl");
        assert_eq!(f.position(t.id("rbl").unwrap()), Some(0));
    }
}
