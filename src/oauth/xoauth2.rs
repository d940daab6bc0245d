//! Recognising and checking a whole XOAUTH2 initial response.
//!
//! The format (Google's and Microsoft's XOAUTH2 documentation):
//! `base64("user=" user ^A "auth=Bearer " token ^A ^A)`, where `^A` is the
//! byte 0x01. People paste such blobs when their library logs them; this
//! module checks the framing and hands back the user and the token inside
//! (as a `Secret`), so the token can be linted too.

use crate::secret::Secret;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine as _;

/// What was found inside a blob.
#[derive(Debug)]
pub struct Blob {
    pub user: Option<String>,
    pub token: Option<Secret>,
    /// Framing problems, in words that never quote the token.
    pub problems: Vec<String>,
}

/// `Some` when `value` is base64 whose decoded text starts like an XOAUTH2
/// response (`user=`, or `auth=` for a blob that lost its user part).
pub fn recognise(value: &str) -> Option<Vec<u8>> {
    let bytes = STANDARD
        .decode(value)
        .or_else(|_| STANDARD_NO_PAD.decode(value.trim_end_matches('=')))
        .ok()?;
    let lower: Vec<u8> = bytes.iter().take(5).map(u8::to_ascii_lowercase).collect();
    (lower.starts_with(b"user=") || lower.starts_with(b"auth=")).then_some(bytes)
}

/// Checks the framing of a decoded XOAUTH2 response.
pub fn parse(decoded: &[u8]) -> Blob {
    let mut problems = Vec::new();
    let text = String::from_utf8_lossy(decoded);
    let sep = '\x01';
    // Common stand-ins for the ^A byte: the caret notation, a C escape, line breaks.
    let stand_in = ["^A", "\\x01", "\\u0001", "\\001", "\r\n", "\n"]
        .into_iter()
        .find(|s| text.contains(s));
    let parts: Vec<&str> = if text.contains(sep) {
        text.split(sep).collect()
    } else if let Some(s) = stand_in {
        problems.push(format!(
            "the fields are separated by {s:?} instead of the byte 0x01 (Ctrl-A)"
        ));
        text.split(s).collect()
    } else {
        problems.push("there is no 0x01 (Ctrl-A) separator between the fields".into());
        vec![&text[..]]
    };
    let mut user = None;
    let mut token = None;
    for part in &parts {
        if let Some(u) = part.strip_prefix("user=") {
            user = Some(u.to_string());
        } else if let Some(a) = part.strip_prefix("auth=") {
            match a.split_once(' ') {
                Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => {
                    if scheme != "Bearer" {
                        problems.push(format!(
                            "the scheme is written {scheme:?}; servers expect \"Bearer\""
                        ));
                    }
                    token = Some(Secret::new(t.trim().to_string()));
                }
                _ => problems.push("the auth field does not read \"auth=Bearer <token>\"".into()),
            }
        }
    }
    if parts.first().is_none_or(|p| !p.starts_with("user=")) {
        problems.push("it does not start with \"user=\"".into());
    }
    match &user {
        Some(u) if u.is_empty() => problems.push("the user field is empty".into()),
        Some(u) if u.contains(char::is_whitespace) => {
            problems.push("the user field contains white space".into())
        }
        _ => {}
    }
    if token.as_ref().is_some_and(Secret::is_empty) {
        problems.push("the token after \"Bearer \" is empty".into());
    }
    if token.is_none() && !problems.iter().any(|p| p.contains("auth field")) {
        problems.push("there is no \"auth=Bearer <token>\" field".into());
    }
    if text.contains(sep) && !text.ends_with("\x01\x01") {
        problems.push("it must end with two 0x01 bytes (^A^A)".into());
    }
    if text.contains(sep) && parts.len() > 4 {
        problems.push("it has more fields than user and auth".into());
    }
    Blob {
        user,
        token,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::sasl;

    #[test]
    fn a_correct_blob_has_no_problems() {
        let blob = sasl::xoauth2("alice@example.test", "ya29.tok");
        let b = parse(&recognise(&blob).expect("recognised"));
        assert!(b.problems.is_empty(), "{:?}", b.problems);
        assert_eq!(b.user.as_deref(), Some("alice@example.test"));
        assert_eq!(b.token.unwrap().expose(), "ya29.tok");
    }

    #[test]
    fn framing_mistakes_are_named_without_the_token() {
        for (raw, want) in [
            ("user=a@b.c^Aauth=Bearer SECRETTOK^A^A", "\"^A\""),
            ("user=a@b.c\nauth=Bearer SECRETTOK\n\n", "\"\\n\""),
            ("user=a@b.c\x01auth=Bearer SECRETTOK", "two 0x01"),
            ("user=a@b.c\x01auth=SECRETTOK\x01\x01", "auth=Bearer"),
            (
                "user=\x01auth=Bearer SECRETTOK\x01\x01",
                "user field is empty",
            ),
            ("auth=Bearer SECRETTOK\x01\x01", "start with \"user=\""),
        ] {
            let blob = STANDARD.encode(raw);
            let decoded = recognise(&blob).unwrap_or_else(|| panic!("{raw:?} not recognised"));
            let b = parse(&decoded);
            let all = b.problems.join("; ");
            assert!(all.contains(want), "{raw:?}: {all}");
            assert!(!all.contains("SECRETTOK"), "{all}");
        }
    }

    #[test]
    fn tokens_and_jwts_are_not_blobs() {
        assert!(recognise("ya29.a0AfH6SM").is_none());
        assert!(recognise("eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJ4In0.c2ln").is_none());
        assert!(recognise("SGVsbG8gd29ybGQ=").is_none());
    }
}
