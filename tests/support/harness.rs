//! Where the interop harness lives: `SMTP_DOCTOR_HARNESS`, or
//! `../shared/harness` next to the repository.

use std::path::PathBuf;

/// The harness directory (not checked: each suite asserts what it needs).
pub fn dir() -> PathBuf {
    std::env::var_os("SMTP_DOCTOR_HARNESS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/harness")))
}

/// The harness's CA certificate; panics when it is missing.
#[track_caller]
pub fn ca() -> PathBuf {
    let ca = dir().join("run/certs/ca.pem");
    assert!(ca.exists(), "{} missing: is the harness up?", ca.display());
    ca
}
