//! `explain` against the fixture corpus: every real error text in
//! `tests/fixtures/explain/*/` must give the category its MANIFEST.tsv names.
//!
//! Sources of every fixture are cited in those manifests (see
//! tests/fixtures/README.md). The test reports every miss at once.

use std::path::{Path, PathBuf};

struct Case {
    file: PathBuf,
    category: String,
    id: Option<String>,
}

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/explain");
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("fixtures dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let manifest = dir.join("MANIFEST.tsv");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
        let col = |n: &str| header.iter().position(|h| *h == n);
        let (f, c) = (
            col("file").expect("file column"),
            col("category").expect("category column"),
        );
        let id_col = col("id");
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            out.push(Case {
                file: dir.join(cols[f]),
                category: cols[c].trim().to_string(),
                id: id_col
                    .and_then(|i| cols.get(i))
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty() && s != "-"),
            });
        }
    }
    out
}

#[test]
fn every_fixture_gives_its_manifest_category() {
    let all = cases();
    assert!(all.len() >= 100, "only {} fixtures found", all.len());
    let mut misses = Vec::new();
    for case in &all {
        let bytes =
            std::fs::read(&case.file).unwrap_or_else(|e| panic!("{}: {e}", case.file.display()));
        let report = smtp_doctor::explain_bytes(&bytes);
        let got = report.category.as_str();
        let id = report.diagnoses.first().map_or("-", |d| d.id);
        let id_ok = case.id.as_deref().is_none_or(|want| want == id);
        if got != case.category || !id_ok {
            misses.push(format!(
                "{}: expected {}{}, got {got} ({id})",
                case.file
                    .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                    .unwrap_or(&case.file)
                    .display(),
                case.category,
                case.id
                    .as_deref()
                    .map(|i| format!(" [{i}]"))
                    .unwrap_or_default()
            ));
        }
    }
    println!(
        "{} passed, {} failed",
        all.len() - misses.len(),
        misses.len()
    );
    assert!(
        misses.is_empty(),
        "{} of {} fixtures misclassified:\n{}",
        misses.len(),
        all.len(),
        misses.join("\n")
    );
}

#[test]
fn every_category_in_manifests_is_a_contract_category() {
    for case in cases() {
        assert!(
            smtp_doctor::diagnose::Category::parse(&case.category).is_some(),
            "{}: unknown category {:?}",
            case.file.display(),
            case.category
        );
    }
}

/// Debugging aid: `EXPLAIN_DEBUG=path cargo test --test explain_fixtures debug_one -- --ignored --nocapture`
/// prints every observation of a text and the rule it matched.
#[test]
#[ignore]
fn debug_one() {
    let Ok(path) = std::env::var("EXPLAIN_DEBUG") else {
        return;
    };
    for p in path.split(',') {
        let bytes = std::fs::read(p).expect("read");
        let f = smtp_doctor::explain::observe(&bytes);
        println!("=== {p}");
        for o in &f.observations {
            let d = smtp_doctor::diagnose::diagnose_one(o);
            println!(
                "  {:?} code={:?} enh={:?} stage={:?} -> {:?}  | {}",
                o.signal,
                o.code,
                o.enhanced.map(|e| e.to_string()),
                o.stage,
                d.map(|d| (d.id, d.rank)),
                o.evidence
                    .as_deref()
                    .unwrap_or("")
                    .chars()
                    .take(150)
                    .collect::<String>()
            );
        }
        let r = smtp_doctor::explain_bytes(&bytes);
        println!(
            "  => {} ({})",
            r.category.as_str(),
            r.diagnoses.first().map_or("-", |d| d.id)
        );
    }
}
