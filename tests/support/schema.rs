//! Validates JSON output against the checked-in schema
//! (docs/smtp-doctor.schema.json), so the schema cannot drift from the code.

use serde_json::Value;
use std::sync::OnceLock;

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/smtp-doctor.schema.json");
        let schema: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("read schema"))
                .expect("schema is JSON");
        jsonschema::validator_for(&schema).expect("schema compiles")
    })
}

/// Every schema violation of `doc` (empty when it is valid).
pub fn errors(doc: &Value) -> Vec<String> {
    validator()
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Panics with every schema violation of `doc`.
#[track_caller]
pub fn assert_valid(doc: &Value) {
    let errors = errors(doc);
    assert!(
        errors.is_empty(),
        "JSON does not match docs/smtp-doctor.schema.json:\n{}\n{doc:#}",
        errors.join("\n")
    );
}
