//! Throughput of `explain`: classify the whole fixture corpus many times and
//! print texts per second. Run with `cargo bench --bench explain`.
//!
//! Not a timed test: it prints figures for docs/performance.md and fails only
//! if a text cannot be read.

use std::time::Instant;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/explain");
    let mut texts = Vec::new();
    for group in std::fs::read_dir(&root).expect("fixtures").flatten() {
        for f in std::fs::read_dir(group.path()).expect("group").flatten() {
            if f.path().extension().is_some_and(|e| e == "txt") {
                texts.push(std::fs::read(f.path()).expect("fixture"));
            }
        }
    }
    let bytes: usize = texts.iter().map(Vec::len).sum();
    // Warm up (compiles the regexes once).
    for t in &texts {
        std::hint::black_box(smtp_doctor::explain_bytes(t));
    }
    let rounds = (5000 / texts.len().max(1)).max(1);
    let started = Instant::now();
    let mut n = 0usize;
    for _ in 0..rounds {
        for t in &texts {
            std::hint::black_box(smtp_doctor::explain_bytes(t));
            n += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "explain: {n} texts ({} distinct fixtures, {:.1} KiB average) in {secs:.3} s = {:.0} texts/s, {:.1} MiB/s",
        texts.len(),
        bytes as f64 / texts.len() as f64 / 1024.0,
        n as f64 / secs,
        (bytes * rounds) as f64 / secs / (1024.0 * 1024.0)
    );
}
