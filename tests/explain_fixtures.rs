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

/// Rules only a live probe can trigger: pasted text never produces their
/// signals (`explain` recognises no phrase for them), so no fixture can.
const LIVE_ONLY: &[(&str, &str)] = &[
    (
        "unexpected-reply",
        "the probe's own finding that a session ended on a reply no rule explains",
    ),
    (
        "username-not-full-address",
        "needs the user name the live check used; pasted text rarely shows it",
    ),
    ("cleartext-auth", "a warning about this session's own --tls none"),
    ("certificate-expires-soon", "needs the certificate's dates from a handshake"),
    ("auth-not-attempted", "this run had no secret"),
    ("starttls-client-on-implicit-tls-port", "needs the probe's silent-greeting-then-ClientHello test"),
    ("slow-server", "needs the probe's byte counts at a stage deadline"),
    ("malformed-reply", "needs the probe's reply parser"),
    ("starttls-response-injection", "needs the probe's view of bytes after the STARTTLS 220"),
    ("network-error", "a socket error in the probe's own session"),
    ("auth-only-after-starttls", "needs the probe's EHLO capabilities before and after STARTTLS"),
    (
        "auth-not-offered-on-submission-port",
        "needs the probe's port, TLS mode and EHLO capabilities",
    ),
    (
        "oauth-only-server",
        "needs the probe's EHLO capabilities; its Microsoft 5.7.30 branch has no public fixture yet",
    ),
    // Discovery (issue 4): told apart by the resolver's answer. Pasted SERVFAIL
    // and resolver timeouts have fixtures (round3); NODATA has no wording of
    // its own. Covered by tests/discovery.rs.
    ("dns-no-address-records", "needs the resolver's NODATA answer for A and AAAA"),
    ("srv-target-outside-domain", "needs discovery's SRV answer and the address's domain"),
    ("host-looks-like-mx", "needs the --host of a live check"),
    ("host-differs-from-provider-table", "needs the --host and port of a live check"),
];

#[test]
fn every_rule_is_the_primary_diagnosis_of_a_fixture() {
    use std::collections::HashSet;
    let mut primary: HashSet<&'static str> = HashSet::new();
    for case in cases() {
        let bytes = std::fs::read(&case.file).expect("fixture");
        if let Some(d) = smtp_doctor::explain_bytes(&bytes).diagnoses.first() {
            primary.insert(d.id);
        }
    }
    let mut missing = Vec::new();
    for rule in smtp_doctor::diagnose::rules::RULES {
        let live_only = LIVE_ONLY.iter().any(|(id, _)| *id == rule.id);
        match (primary.contains(rule.id), live_only) {
            (false, false) => missing.push(rule.id),
            (true, true) => panic!(
                "{} is listed as live-only but a fixture triggers it",
                rule.id
            ),
            _ => {}
        }
    }
    for (id, _) in LIVE_ONLY {
        assert!(
            smtp_doctor::diagnose::rules::RULES
                .iter()
                .any(|r| r.id == *id),
            "live-only {id} is not a rule"
        );
    }
    assert!(
        missing.is_empty(),
        "rules no fixture triggers as primary diagnosis: {missing:?}"
    );
}

/// `explain` must never panic and must stay fast on hostile input: the
/// regexes are linear-time, and every loop over lines or matches is bounded.
#[test]
fn explain_survives_hostile_input_quickly() {
    use std::time::{Duration, Instant};
    // A deterministic pseudo-random generator (xorshift), no dependency.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let random: Vec<u8> = (0..2 * 1024 * 1024).map(|_| next() as u8).collect();
    // Random-ish but text-like: SMTP-looking tokens, digits and line breaks.
    const TOKENS: &[&str] = &[
        "535",
        "5.7.8",
        "250-",
        "334 ",
        "\n",
        "\r\n",
        "said: ",
        "AUTH XOAUTH2 ",
        "(550, b'",
        "Expected response code ",
        "\\n",
        "授权码",
        "timed out",
        " ",
        "-",
        "421 4.7.0 ",
        "VXNlcm5hbWU6",
        "C: ",
        "ÿ",
        "0",
        "9",
    ];
    let mut texty = Vec::new();
    while texty.len() < 2 * 1024 * 1024 {
        texty.extend_from_slice(TOKENS[(next() % TOKENS.len() as u64) as usize].as_bytes());
    }
    let digits_and_dashes = "250-".repeat(256 * 1024).into_bytes();
    let enhanced_line = "550 5.7.1 ".repeat(100 * 1024).into_bytes();
    let continuation_lines = "534-5.7.9 x\n".repeat(100 * 1024).into_bytes();
    let capability_line = "250-AUTH XOAUTH2 said: 535 ".repeat(40 * 1024).into_bytes();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        (
            "invalid UTF-8",
            vec![
                0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, b'5', b'3', b'5',
            ],
        ),
        ("2 MiB random bytes", random),
        ("2 MiB random SMTP-like tokens", texty),
        ("1 MiB single line 250-250-…", digits_and_dashes),
        ("1 MiB single line of 550 5.7.1", enhanced_line),
        ("1.2 MiB of continuation lines", continuation_lines),
        (
            "1 MiB single line of AUTH XOAUTH2 and said:",
            capability_line,
        ),
    ];
    for (name, input) in cases {
        let started = Instant::now();
        let report = smtp_doctor::explain_bytes(&input);
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(10),
            "{name}: explain took {took:?}"
        );
        assert!(
            !report.diagnoses.is_empty() || report.category.as_str() == "ok",
            "{name}"
        );
        println!("{name}: {took:?} -> {}", report.category.as_str());
    }
}
