//! The layer rules of docs/architecture.md, checked on the source itself.
//!
//! Reads every `src/**/*.rs`, strips comments, and collects the top-level
//! modules each file names through `crate::…` (in `use` lines and inline
//! paths, `use crate::{a, b::c}` included). Then it fails on:
//!
//! - a cycle between top-level modules (e.g. `batch` ↔ `commands`);
//! - a forbidden edge: `probe` or `net` reaching up into `diagnose`, `check`,
//!   `render`…; anything but `commands` (and the crate root) importing `cli`
//!   or `commands`; `render` importing the engine;
//! - `clap` outside `cli.rs`, `main.rs` and `commands/`;
//! - `hickory_resolver` outside `net/dns.rs`;
//! - `tokio::time::timeout` outside `net/` (deadlines are I/O policy);
//! - `serve` imported by anything but `commands` (it is a driver, like
//!   `batch`, not a library for the engine); the HTTP stack (`hyper`,
//!   `hyper_util`, `http_body_util`) outside `serve/http.rs`; `toml` outside
//!   `serve/config.rs`;
//! - a hand-written ANSI escape outside `render/style.rs`.
//!
//! It is a test, not a build step, so that `cargo test` (and `.ci/run`) runs
//! it; the messages say which file broke which rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Only these may import `serve` (besides the crate root).
const SERVE_USERS: &[&str] = &["commands"];

/// Crate names that stay in one file: (crate, file, why).
const ONE_HOME: &[(&str, &str, &str)] = &[
    ("hyper::", "serve/http.rs", "the HTTP side is serve/http.rs"),
    (
        "hyper_util::",
        "serve/http.rs",
        "the HTTP side is serve/http.rs",
    ),
    (
        "http_body_util::",
        "serve/http.rs",
        "the HTTP side is serve/http.rs",
    ),
    (
        "toml::",
        "serve/config.rs",
        "config files are read in serve/config.rs",
    ),
];

/// Edges that must not exist: (from, to, why).
const FORBIDDEN: &[(&str, &str, &str)] = &[
    ("probe", "diagnose", "the probe records; diagnose judges"),
    ("probe", "check", "the probe is below the engine"),
    ("probe", "discovery", "endpoints come from crate::endpoint"),
    ("probe", "render", "the probe is below the output"),
    ("probe", "report", "the probe is below the report"),
    ("net", "probe", "net is below the probe"),
    (
        "net",
        "diagnose",
        "net says why it stopped, not what it means",
    ),
    ("smtp", "net", "the protocol core does no I/O"),
    ("smtp", "probe", "the protocol core does no I/O"),
    ("endpoint", "probe", "endpoint is a leaf"),
    ("endpoint", "discovery", "endpoint is a leaf"),
    ("diagnose", "check", "the classifier is below the engine"),
    ("diagnose", "render", "the classifier is below the output"),
    (
        "discovery",
        "probe",
        "discovery produces endpoints, it does not probe",
    ),
    ("render", "check", "renderers read a finished Report"),
    ("check", "render", "the engine knows no output format"),
    (
        "check",
        "batch",
        "batch drives the engine, not the other way",
    ),
];

/// Modules that only the face (`commands/`, `lib.rs`, `main.rs`) may import.
const FACE_ONLY: &[&str] = &["cli", "commands"];

/// Files where `clap` may appear.
fn may_use_clap(file: &str) -> bool {
    file == "cli.rs" || file == "main.rs" || file.starts_with("commands/")
}

/// The source without `//` comments (doc comments included) and without
/// the contents of string literals, so prose about `crate::x` or clap does
/// not count.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_str = false;
    while let Some(c) = chars.next() {
        if in_str {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    in_str = false;
                    out.push('"');
                }
                '\n' => out.push('\n'),
                _ => {}
            }
            continue;
        }
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                in_str = true;
                out.push('"');
            }
            // A char literal such as '"' must not open a string.
            '\'' => {
                out.push('\'');
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with("\"'") {
                    chars.next();
                    chars.next();
                    out.push('\'');
                } else if rest.starts_with("\\\"'") {
                    chars.next();
                    chars.next();
                    chars.next();
                    out.push('\'');
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The top-level module of a file path relative to `src/` (`None`: the root).
fn module_of(rel: &str) -> Option<String> {
    if rel == "lib.rs" || rel == "main.rs" {
        return None;
    }
    let first = rel.split('/').next().unwrap_or(rel);
    Some(first.trim_end_matches(".rs").to_string())
}

/// Every top-level module named after `crate::` in `code`.
fn crate_refs(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        // `smtp_doctor_crate::` or `$crate::` are not ours.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // use crate::{a, b::{c, d}, e};  top-level names only.
            let mut depth = 0;
            let mut name = String::new();
            let mut at_start = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        at_start = true;
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 && at_start {
                    if c.is_alphanumeric() || c == '_' {
                        name.push(c);
                        continue;
                    }
                    if !name.is_empty() {
                        out.insert(std::mem::take(&mut name));
                        at_start = false;
                    }
                }
            }
            if !name.is_empty() {
                out.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out.retain(|m| modules.contains(m));
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// (path relative to `src/`, text) of every source file.
fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// Every rule broken by `files`, one message each.
fn violations(files: &[(String, String)]) -> Vec<String> {
    let modules: BTreeSet<String> = files.iter().filter_map(|(f, _)| module_of(f)).collect();
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for (file, text) in files {
        let code = &code_only(text);
        let from = module_of(file);
        for to in crate_refs(code, &modules) {
            match &from {
                Some(from) if *from != to => {
                    edges
                        .entry(from.clone())
                        .or_default()
                        .entry(to.clone())
                        .or_insert_with(|| file.clone());
                    if to == "serve" && !SERVE_USERS.contains(&from.as_str()) {
                        problems.push(format!(
                            "src/{file}: {from} imports serve; only commands/ drives the server"
                        ));
                    }
                    if FACE_ONLY.contains(&to.as_str()) && from != "commands" {
                        problems.push(format!(
                            "src/{file}: {from} imports {to}; only commands/ and the crate root may"
                        ));
                    }
                }
                _ => {}
            }
        }
        let words = |needle: &str| {
            code.match_indices(needle).any(|(i, _)| {
                !code[..i]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        };
        if (words("clap::") || words("use clap")) && !may_use_clap(file) {
            problems.push(format!(
                "src/{file}: uses clap; clap stays in cli.rs, main.rs and commands/"
            ));
        }
        if words("hickory_resolver") && file != "net/dns.rs" {
            problems.push(format!(
                "src/{file}: uses hickory_resolver; only net/dns.rs may"
            ));
        }
        for (krate, home, why) in ONE_HOME {
            if words(krate) && file != home {
                problems.push(format!("src/{file}: uses {krate} ({why})"));
            }
        }
        // Colour is anstyle's, in one place; a hand-written escape elsewhere
        // is a second palette (and one NO_COLOR may not reach).
        if (text.contains("\\x1b[") || text.contains("\\u{1b}["))
            && file != "render/style.rs"
            && file != "layers.rs"
        {
            problems.push(format!(
                "src/{file}: writes an ANSI escape by hand; use render::style"
            ));
        }
        if code.contains("tokio::time::timeout") && !file.starts_with("net/") {
            problems.push(format!(
                "src/{file}: calls tokio::time::timeout; deadlines are net's (net::with_timeout)"
            ));
        }
    }
    for (from, to, why) in FORBIDDEN {
        if let Some(file) = edges.get(*from).and_then(|e| e.get(*to)) {
            problems.push(format!("src/{file}: {from} imports {to} ({why})"));
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        let shown: Vec<String> = cycle
            .windows(2)
            .map(|w| format!("{} → {} (src/{})", w[0], w[1], edges[&w[0]][&w[1]]))
            .collect();
        problems.push(format!("module cycle: {}", shown.join(", ")));
    }
    problems
}

/// A cycle in `edges` as a closed path (first = last), if any.
fn find_cycle(edges: &BTreeMap<String, BTreeMap<String, String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeMap<String, String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| n == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flat_map(|e| e.keys()) {
            if let Some(c) = visit(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for start in edges.keys() {
        if let Some(c) = visit(start, edges, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_source_keeps_the_layer_rules() {
    let problems = violations(&sources());
    assert!(
        problems.is_empty(),
        "layer rules broken (docs/architecture.md):\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_checker_sees_what_it_must_refuse() {
    // The rules above must be able to fail: each of these breaks one.
    let file = |path: &str, code: &str| (path.to_string(), code.to_string());
    let base = [
        file("probe/mod.rs", "use crate::net::ProbeError;\n"),
        file("net/mod.rs", "use crate::smtp::Reply;\n"),
        file("smtp/mod.rs", ""),
        file("diagnose/mod.rs", "use crate::probe::ProbeReport;\n"),
        file("batch/mod.rs", "use crate::check::Checking;\n"),
        file("check/mod.rs", "use crate::probe;\n"),
        file(
            "commands/mod.rs",
            "use clap::Parser; use crate::{batch, cli};\n",
        ),
        file("cli.rs", "use clap::Parser;\n"),
        file("serve/mod.rs", "use crate::check::CheckPlan;\n"),
        file(
            "render/mod.rs",
            "// crate::check and clap:: in a comment\nconst S: &str = \"crate::batch clap::\";\n",
        ),
    ];
    assert_eq!(violations(&base), Vec::<String>::new());
    let broken = |path: &str, code: &str| {
        let mut files = base.to_vec();
        files.retain(|(p, _)| p != path);
        files.push(file(path, code));
        violations(&files)
    };
    let probe = broken(
        "probe/mod.rs",
        "use crate::{net::ProbeError, diagnose::Signal};\n",
    );
    assert!(
        probe.iter().any(|p| p.contains("probe imports diagnose")),
        "{probe:?}"
    );
    let cycle = broken("check/mod.rs", "fn f() { crate::batch::run(); }\n");
    assert!(
        cycle.iter().any(|p| p.starts_with("module cycle: ")),
        "{cycle:?}"
    );
    let clap = broken(
        "batch/mod.rs",
        "use crate::check::Checking;\nuse clap::ValueEnum;\n",
    );
    assert!(clap.iter().any(|p| p.contains("uses clap")), "{clap:?}");
    let face = broken("render/mod.rs", "use crate::cli::ColorArg;\n");
    assert!(
        face.iter().any(|p| p.contains("render imports cli")),
        "{face:?}"
    );
    let serve = broken(
        "check/mod.rs",
        "use crate::probe;\nuse crate::serve::Options;\n",
    );
    assert!(
        serve.iter().any(|p| p.contains("check imports serve")),
        "{serve:?}"
    );
    let http = broken(
        "batch/mod.rs",
        "use crate::check::Checking;\nuse hyper::Request;\n",
    );
    assert!(http.iter().any(|p| p.contains("uses hyper::")), "{http:?}");
    let toml = broken("render/mod.rs", "fn f() { toml::from_str::<u8>(\"\"); }\n");
    assert!(toml.iter().any(|p| p.contains("uses toml::")), "{toml:?}");
    let ansi = broken(
        "batch/mod.rs",
        "use crate::check::Checking;\nconst RED: &str = \"\\x1b[31m\";\n",
    );
    assert!(ansi.iter().any(|p| p.contains("ANSI escape")), "{ansi:?}");
    let engine = broken("render/mod.rs", "use crate::check::CheckPlan;\n");
    assert!(
        engine.iter().any(|p| p.contains("render imports check")),
        "{engine:?}"
    );
}
