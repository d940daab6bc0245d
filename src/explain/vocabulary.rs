//! Every phrase `explain` looks for in a text, compiled into one automaton.
//!
//! A chunk of pasted text is read for the catalogue's phrases
//! (`diagnose::rules`), the relevance words (`relevance`), the mail
//! clients' dialog markers (`client`), the providers' markers (`providers`)
//! and the library and system phrases (`signals`). Each table is written
//! where it belongs; here they are compiled together, each phrase tagged
//! with the sets it belongs to ([`set`]), so a chunk is scanned once for
//! all of them instead of once per table. The matching is the same as each
//! table's alone (`phrase`: word boundaries, stems).
//!
//! The catalogue's phrases come first, so they keep the ids they have in
//! `diagnose::catalogue_phrases()`: the hits of a chunk below
//! [`catalogue_len`] are what the catalogue's own scan would find.

use crate::phrase::{Found, PhraseTable};
use crate::providers::{self, Provider};
use std::sync::OnceLock;

/// The sets of the vocabulary, as bits of [`PhraseTable::with_sets`].
pub(crate) mod set {
    /// A phrase of a catalogue rule.
    pub(crate) const CATALOGUE: u32 = 1 << 0;
    /// Relevance: a word only mail software uses.
    pub(crate) const STRONG: u32 = 1 << 1;
    /// Relevance: a mail word that also occurs elsewhere.
    pub(crate) const WEAK: u32 = 1 << 2;
    /// Relevance: a word of another subsystem.
    pub(crate) const FOREIGN: u32 = 1 << 3;
    /// A provider's marker.
    pub(crate) const PROVIDER: u32 = 1 << 4;
    /// A library's or system's phrase for a condition (a `Signal`).
    pub(crate) const SIGNAL: u32 = 1 << 5;
    /// The markers of the dialog of mail client number `i` (of at most 8).
    pub(crate) const fn client(i: usize) -> u32 {
        1 << (8 + i)
    }
}

/// The one automaton (built on first use).
pub(crate) fn table() -> &'static PhraseTable {
    static T: OnceLock<PhraseTable> = OnceLock::new();
    T.get_or_init(|| {
        PhraseTable::with_sets(
            crate::diagnose::catalogue_phrase_list()
                .map(|p| (p, set::CATALOGUE))
                .chain(super::phrase_sets())
                .chain(
                    providers::all()
                        .iter()
                        .flat_map(|k| k.markers.iter().map(|m| (*m, set::PROVIDER))),
                ),
        )
    })
}

/// How many phrases the catalogue has: the ids `0..catalogue_len()` are
/// its phrases, with the ids of `diagnose::catalogue_phrases()`.
pub(crate) fn catalogue_len() -> u32 {
    crate::diagnose::catalogue_phrases().len() as u32
}

/// The provider whose markers are among the phrases `found` in a text: the
/// first of the provider table with one, as `Provider::detect` reads it.
pub(crate) fn provider_in(found: &Found) -> Option<Provider> {
    // Per provider (table order), its markers' ids in the vocabulary.
    static IDS: OnceLock<Vec<Vec<u32>>> = OnceLock::new();
    let ids = IDS.get_or_init(|| {
        let t = table();
        providers::all()
            .iter()
            .map(|k| t.ids_of(k.markers))
            .collect()
    });
    providers::all()
        .iter()
        .zip(ids)
        .find(|(_, ids)| ids.iter().any(|id| found.has(*id)))
        .map(|(k, _)| k.provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_keeps_its_ids() {
        let t = table();
        let c = crate::diagnose::catalogue_phrases();
        for p in crate::diagnose::catalogue_phrase_list() {
            assert_eq!(t.id(p), c.id(p), "{p:?}");
        }
        let text = "535 5.7.8 username and password not accepted. gsmtp smtp.gmail.com:587 connection refused";
        assert_eq!(t.scan(text).below(catalogue_len()), c.scan(text));
    }

    #[test]
    fn no_catalogue_phrase_spans_a_line_break() {
        // `explain` finds the lines with a catalogue phrase from one scan of
        // a whole chunk: that is the same as scanning line by line only
        // while no phrase holds a line break.
        for p in crate::diagnose::catalogue_phrase_list() {
            assert!(!p.contains(['\n', '\r']), "{p:?}");
        }
    }

    #[test]
    fn one_scan_answers_each_set() {
        let t = table();
        let text = "postfix/smtpd: sasl login authentication failed at smtp.gmail.com";
        let f = t.scan(text);
        assert!(t.any_in(&f, set::STRONG));
        assert!(t.any_in(&f, set::SIGNAL));
        assert!(!t.any_in(&f, set::FOREIGN));
        assert_eq!(provider_in(&f), Provider::detect(text));
        assert!(provider_in(&f).is_some());
        assert!(t.scan("a marble floor").ids().next().is_none());
    }
}
