//! How right `explain` is, on the tuning part and on the held-out part of
//! the corpus (see tests/support/corpus.rs for the split), per category, and
//! on the negative corpus.
//!
//! `cargo run --release --example accuracy` prints the figures and the misses
//! of the tuning part. The held-out misses are printed only with
//! `--show-held-out`: whoever changes rules must not look at them while doing
//! so (docs/accuracy.md records each look, with its date and reason).
//! `--kind` adds a table by kind of text (dialog, log, transcript, …).

#[path = "../tests/support/corpus.rs"]
#[allow(dead_code)]
mod corpus;

use corpus::{Case, Part};
use std::collections::BTreeMap;

#[derive(Default, Clone, Copy)]
struct Tally {
    right: usize,
    all: usize,
}

impl Tally {
    fn add(&mut self, ok: bool) {
        self.all += 1;
        self.right += usize::from(ok);
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.all == 0 {
            return write!(f, "{:>9}", "-");
        }
        write!(
            f,
            "{:>4}/{:<4} {:5.1} %",
            self.right,
            self.all,
            100.0 * self.right as f64 / self.all as f64
        )
    }
}

struct Outcome {
    case: Case,
    got: String,
    id: String,
    ok: bool,
    errors: usize,
    same_category_twice: bool,
}

fn run(case: Case) -> Outcome {
    let bytes = std::fs::read(&case.file).unwrap_or_else(|e| panic!("{}: {e}", case.name()));
    let report = smtp_doctor::explain_bytes(&bytes);
    let got = report.category.as_str().to_string();
    let id = report.diagnoses.first().map_or("-", |d| d.id).to_string();
    let ok = got == case.category && case.id.as_deref().is_none_or(|want| want == id);
    let errors: Vec<&str> = report
        .diagnoses
        .iter()
        .filter(|d| d.severity == smtp_doctor::diagnose::Severity::Error)
        .map(|d| d.category.as_str())
        .collect();
    let mut seen = std::collections::HashSet::new();
    let same_category_twice = !errors.iter().all(|c| seen.insert(*c));
    Outcome {
        case,
        got,
        id,
        ok,
        errors: errors.len(),
        same_category_twice,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show_held_out = args.iter().any(|a| a == "--show-held-out");
    let by_kind = args.iter().any(|a| a == "--kind");

    let labelled: Vec<Outcome> = corpus::explain_cases().into_iter().map(run).collect();
    let negative: Vec<Outcome> = corpus::negative_cases().into_iter().map(run).collect();

    let mut parts: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut per_category: BTreeMap<String, (Tally, Tally)> = BTreeMap::new();
    let mut per_kind: BTreeMap<String, (Tally, Tally)> = BTreeMap::new();
    for o in &labelled {
        let held = o.case.part == Part::HeldOut;
        let key = match (held, o.case.fresh()) {
            (false, false) => "tuning, earlier rounds",
            (false, true) => "tuning, fresh (round7+)",
            (true, false) => "held-out, earlier rounds",
            (true, true) => "held-out, fresh (round7+)",
        };
        parts.entry(key).or_default().add(o.ok);
        parts
            .entry(if held { "held-out" } else { "tuning" })
            .or_default()
            .add(o.ok);
        let slot = per_category.entry(o.case.category.clone()).or_default();
        if held { &mut slot.1 } else { &mut slot.0 }.add(o.ok);
        let kind = o.case.kind.clone().unwrap_or_else(|| "(none)".into());
        let slot = per_kind.entry(kind).or_default();
        if held { &mut slot.1 } else { &mut slot.0 }.add(o.ok);
    }

    println!(
        "corpus: {} labelled texts from {} threads; held out: {} % of threads",
        labelled.len(),
        labelled
            .iter()
            .map(|o| corpus::thread_key(&o.case.source))
            .collect::<std::collections::HashSet<_>>()
            .len(),
        corpus::HELD_OUT_PERCENT
    );
    for (name, t) in &parts {
        println!("  {name:<28} {t}");
    }
    println!("\nper category                  tuning              held-out");
    for (cat, (t, h)) in &per_category {
        println!("  {cat:<26} {t}   {h}");
    }
    if by_kind {
        println!("\nper kind                      tuning              held-out");
        for (kind, (t, h)) in &per_kind {
            println!("  {kind:<26} {t}   {h}");
        }
    }

    let mut neg = (Tally::default(), Tally::default());
    for o in &negative {
        if o.case.category == "other" {
            neg.0.add(o.ok);
        } else {
            neg.1.add(o.ok);
        }
    }
    println!(
        "\nnegative corpus: {} answered other; success texts: {} answered ok",
        neg.0, neg.1
    );
    let multi = labelled.iter().filter(|o| o.errors >= 2).count();
    let twice = labelled.iter().filter(|o| o.same_category_twice).count();
    println!(
        "labelled texts with two or more error diagnoses: {multi}; with two of one category: {twice}"
    );

    let misses = |part: Part| {
        labelled
            .iter()
            .chain(negative.iter())
            .filter(move |o| o.case.part == part && (!o.ok || o.same_category_twice))
    };
    println!("\nmisses, tuning part:");
    for o in misses(Part::Tuning) {
        println!(
            "  {}: expected {}{}, got {} ({}){}",
            o.case.name(),
            o.case.category,
            o.case
                .id
                .as_deref()
                .map(|i| format!(" [{i}]"))
                .unwrap_or_default(),
            o.got,
            o.id,
            if o.same_category_twice {
                " — two diagnoses of one category"
            } else {
                ""
            }
        );
    }
    if show_held_out {
        println!("\nmisses, held-out part (do not tune rules on these):");
        for o in misses(Part::HeldOut) {
            println!(
                "  {}: expected {}, got {} ({})",
                o.case.name(),
                o.case.category,
                o.got,
                o.id
            );
        }
    } else {
        println!(
            "\nheld-out misses: {} (not shown; --show-held-out prints them)",
            misses(Part::HeldOut).count()
        );
    }
}
