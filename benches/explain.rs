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
    large_input();
}

/// One large input: a 64 MiB mail log (the same few lines of a busy
/// Postfix server, over and over) whose only failure is on its last line.
fn large_input() {
    const LINES: &str = "Dec  1 10:00:01 mx postfix/smtpd[4242]: connect from unknown[192.0.2.10]\nDec  1 10:00:01 mx postfix/smtpd[4242]: 3F2A1C0: client=unknown[192.0.2.10], sasl_method=PLAIN, sasl_username=user@example.com\nDec  1 10:00:02 mx postfix/qmgr[99]: 3F2A1C0: from=<user@example.com>, size=1234, nrcpt=1 (queue active)\nDec  1 10:00:02 mx postfix/smtp[4243]: 3F2A1C0: to=<user@example.org>, relay=mx.example.org[198.51.100.7]:25, delay=0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9A8B7C6)\n";
    let mut log = String::with_capacity(64 * 1024 * 1024 + 256);
    while log.len() < 64 * 1024 * 1024 {
        log.push_str(LINES);
    }
    log.push_str("Dec  1 10:05:00 mx postfix/smtpd[5000]: warning: unknown[192.0.2.66]: SASL LOGIN authentication failed: UGFzc3dvcmQ6\n");
    let started = Instant::now();
    let report = smtp_doctor::explain_bytes(log.as_bytes());
    let secs = started.elapsed().as_secs_f64();
    println!(
        "explain: one {:.0} MiB log in {secs:.2} s = {:.1} MiB/s -> {} (line {})",
        log.len() as f64 / (1024.0 * 1024.0),
        log.len() as f64 / secs / (1024.0 * 1024.0),
        report.category.as_str(),
        report
            .diagnoses
            .first()
            .and_then(|d| d.line)
            .map_or("-".to_string(), |l| l.to_string())
    );
}
