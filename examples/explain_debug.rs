//! Debugging aid for rule authors: how `explain` reads a text.
//!
//! `cargo run --example explain_debug -- FILE...` prints every observation of
//! each file and the rule it matched, then the verdict. Without arguments it
//! prints one line per fixture: file, primary category and all diagnosis ids.

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/explain");
        let mut all = Vec::new();
        for group in std::fs::read_dir(root).expect("fixtures").flatten() {
            for f in std::fs::read_dir(group.path()).expect("group").flatten() {
                if f.path().extension().is_some_and(|e| e == "txt") {
                    all.push(f.path());
                }
            }
        }
        all.sort();
        for p in all {
            let r = smtp_doctor::explain_bytes(&std::fs::read(&p).expect("read"));
            let ids: Vec<&str> = r.diagnoses.iter().map(|d| d.id).collect();
            println!(
                "{}\t{}\t{}",
                p.display(),
                r.category.as_str(),
                ids.join(" ")
            );
        }
        return;
    }
    for p in files {
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
        let f = smtp_doctor::explain::observe(&bytes);
        println!("=== {p}");
        for o in &f.observations {
            let d = smtp_doctor::diagnose::diagnose_one(o);
            let evidence: String = o
                .evidence
                .as_deref()
                .unwrap_or("")
                .chars()
                .take(150)
                .collect();
            println!(
                "  {:?} code={:?} enh={:?} stage={:?} -> {:?}  | {evidence}",
                o.signal,
                o.code,
                o.enhanced.map(|e| e.to_string()),
                o.stage,
                d.map(|d| (d.id, d.rank)),
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
