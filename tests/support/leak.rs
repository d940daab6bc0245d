//! Secret-leak checks shared by the end-to-end and interop suites.
//!
//! Every form a secret can take on the wire (no secret may appear in any
//! output, in any encoding): the secret, its base64, the AUTH PLAIN blob, the
//! LOGIN user line, the XOAUTH2 and OAUTHBEARER blobs. Unpadded base64 is a prefix of the padded form, so
//! it matches both.

use base64::engine::general_purpose::STANDARD_NO_PAD as B64_NO_PAD;
use base64::Engine as _;

fn b64(bytes: impl AsRef<[u8]>) -> String {
    B64_NO_PAD.encode(bytes)
}

/// (description, text) pairs that must never appear in any output.
pub fn forbidden_forms(user: &str, secret: &str) -> Vec<(String, String)> {
    vec![
        ("the secret".into(), secret.to_string()),
        ("base64(secret)".into(), b64(secret)),
        (
            "AUTH PLAIN blob base64(\\0user\\0secret)".into(),
            b64(format!("\0{user}\0{secret}")),
        ),
        (
            "AUTH PLAIN blob with authzid".into(),
            b64(format!("{user}\0{user}\0{secret}")),
        ),
        (
            "XOAUTH2 blob".into(),
            b64(format!("user={user}\x01auth=Bearer {secret}\x01\x01")),
        ),
        ("OAUTHBEARER blob".into(), b64(format!("n,a={user},\x01"))),
        (
            "OAUTHBEARER blob with the token".into(),
            b64(format!("n,a={user},\x01auth=Bearer {secret}\x01\x01")),
        ),
    ]
}

/// The first form of `secret` found in `outputs` (name, text), described.
pub fn find_leak(user: &str, secret: &str, outputs: &[(&str, &str)]) -> Option<String> {
    for (what, form) in forbidden_forms(user, secret) {
        for (stream, text) in outputs {
            if text.contains(&form) {
                return Some(format!("SECRET LEAK: {what} appears in {stream}"));
            }
        }
    }
    None
}

/// Panics when any form of `secret` appears in any of `outputs` (name, text).
#[track_caller]
pub fn assert_no_leak(user: &str, secret: &str, outputs: &[(&str, &str)]) {
    if let Some(leak) = find_leak(user, secret, outputs) {
        panic!("{leak}");
    }
}
