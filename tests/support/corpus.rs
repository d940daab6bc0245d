//! The `explain` corpus: real pasted texts with their expected category
//! (tests/fixtures/explain/*/MANIFEST.tsv) and texts with no mail error in
//! them (tests/fixtures/negative/), split into a tuning part and a held-out
//! part.
//!
//! The split is by source thread, so every text of one public thread lands on
//! the same side: a source URL (without its `#fragment` and trailing `/`) is
//! hashed with FNV-1a and `HELD_OUT_PERCENT` of the hash space is held out.
//! Rules are written and changed while looking at tuning texts only; the
//! held-out part measures how well they generalise (see docs/accuracy.md).
//! The split is fixed: changing `SPLIT_SALT` or the percentage rotates it and
//! must be recorded with its reason in docs/accuracy.md. Folders named
//! `tuning-*` hold texts found while a rule was being written (seen, so
//! never held out).
//!
//! Shared by `tests/explain_fixtures.rs` and `examples/accuracy.rs`
//! (included with `#[path]`), so both measure the same thing.

use std::path::{Path, PathBuf};

/// Share of source threads held out, in percent.
pub const HELD_OUT_PERCENT: u64 = 35;
/// Salt of the split hash; part of the split's identity (see module docs).
pub const SPLIT_SALT: &str = "smtp-doctor-split-2026-12";

/// Which side of the split a text is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Tuning,
    HeldOut,
}

/// One labelled text.
#[derive(Debug, Clone)]
pub struct Case {
    pub file: PathBuf,
    /// The folder under tests/fixtures/explain (or `negative`).
    pub group: String,
    pub category: String,
    pub id: Option<String>,
    pub source: String,
    pub kind: Option<String>,
    pub part: Part,
}

impl Case {
    /// The path relative to the crate, for messages.
    pub fn name(&self) -> String {
        self.file
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&self.file)
            .display()
            .to_string()
    }

    /// True for the texts gathered from threads no rule had been written
    /// against when they were added (round7 onwards, tuning-round9
    /// to tuning-round12: gathered for the thin categories,
    /// always tuning).
    pub fn fresh(&self) -> bool {
        self.group.starts_with("round7")
            || self.group == "tuning-round9"
            || self.group == "tuning-round10"
            || self.group == "tuning-round11"
            || self.group == "tuning-round12"
    }
}

/// The thread a source URL names: fragment and trailing slash dropped, so
/// two comments of one GitHub issue are one thread.
pub fn thread_key(source: &str) -> String {
    let s = source.trim();
    let s = s.split('#').next().unwrap_or(s);
    s.trim_end_matches('/').to_ascii_lowercase()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The side of the split a source thread is on. Generated texts (no URL) are
/// split by file name instead.
pub fn part_of(source: &str, file_name: &str) -> Part {
    let key = if source.contains("://") {
        thread_key(source)
    } else {
        file_name.to_string()
    };
    let h = fnv1a(format!("{SPLIT_SALT}\n{key}").as_bytes());
    if h % 100 < HELD_OUT_PERCENT {
        Part::HeldOut
    } else {
        Part::Tuning
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Rows of one MANIFEST.tsv as (column → value) lookups.
fn manifest_rows(dir: &Path) -> Vec<Vec<(String, String)>> {
    let Ok(text) = std::fs::read_to_string(dir.join("MANIFEST.tsv")) else {
        return Vec::new();
    };
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split('\t')
        .map(|h| h.trim().to_string())
        .collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split('\t').map(|c| c.trim().to_string()))
                .collect()
        })
        .collect()
}

fn get<'a>(row: &'a [(String, String)], col: &str) -> Option<&'a str> {
    row.iter()
        .find(|(k, _)| k == col)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty() && *v != "-")
}

/// Every labelled real text of tests/fixtures/explain, in a stable order.
pub fn explain_cases() -> Vec<Case> {
    let base = root().join("explain");
    let mut dirs: Vec<_> = std::fs::read_dir(&base)
        .expect("tests/fixtures/explain")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let group = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for row in manifest_rows(&dir) {
            let (Some(file), Some(category)) = (get(&row, "file"), get(&row, "category")) else {
                continue;
            };
            let source = get(&row, "source").unwrap_or("").to_string();
            // Texts found while writing a rule were seen: never held out.
            let part = if group.starts_with("tuning-") {
                Part::Tuning
            } else {
                part_of(&source, file)
            };
            out.push(Case {
                file: dir.join(file),
                group: group.clone(),
                category: category.to_string(),
                id: get(&row, "id").map(str::to_string),
                part,
                source,
                kind: get(&row, "kind").map(str::to_string),
            });
        }
    }
    out
}

/// The negative corpus: texts with no mail error, which must all be `other`
/// (tests/fixtures/negative/), and successful sessions, which must be `ok`
/// (tests/fixtures/negative/success/).
pub fn negative_cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (sub, category) in [("negative", "other"), ("negative/success", "ok")] {
        let dir = root().join(sub);
        for row in manifest_rows(&dir) {
            let Some(file) = get(&row, "file") else {
                continue;
            };
            let source = get(&row, "source").unwrap_or("").to_string();
            out.push(Case {
                file: dir.join(file),
                group: sub.to_string(),
                category: category.to_string(),
                id: None,
                part: part_of(&source, file),
                source,
                kind: get(&row, "kind").map(str::to_string),
            });
        }
    }
    out
}
