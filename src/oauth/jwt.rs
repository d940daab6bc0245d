//! Reading an access token without verifying it: is it a JWT (RFC 7519),
//! and if so, what do its claims say?
//!
//! A JWS compact serialisation (RFC 7515 §7.1) is three base64url segments
//! joined by `.`: header, payload, signature. The payload is decoded and read
//! as JSON; the signature is NOT checked (that needs the issuer's keys, and
//! the SMTP server checks it anyway). Five segments are a JWE (RFC 7516
//! §7.1): encrypted, so unreadable here. Anything else is opaque.
//!
//! Nothing here returns or formats the token itself: only claim values,
//! which are not secret.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

/// What kind of token a string is.
#[derive(Debug, Clone)]
pub enum TokenShape {
    /// A readable JWT.
    Jwt(Claims),
    /// A JWE: encrypted, claims unreadable.
    Encrypted,
    /// Not a JWT (Google's `ya29.…`, Microsoft personal-account tokens…).
    Opaque { kind: &'static str },
    /// Not a usable access token; the reason names no part of the value.
    Malformed(String),
}

/// The decoded claims of a JWT payload.
#[derive(Debug, Clone)]
pub struct Claims(pub Map<String, Value>);

impl Claims {
    fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// RFC 7519 §4.1.3: a string or an array of strings.
    pub fn audiences(&self) -> Vec<&str> {
        match self.0.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// Delegated permissions: Microsoft's `scp`, space-separated (RFC 8693 §4.2 `scope` likewise).
    pub fn scopes(&self) -> Option<Vec<&str>> {
        self.str("scp")
            .or_else(|| self.str("scope"))
            .map(|s| s.split_whitespace().collect())
    }

    /// Application permissions (app-only tokens): Microsoft's `roles`.
    pub fn roles(&self) -> Option<Vec<&str>> {
        match self.0.get("roles") {
            Some(Value::Array(a)) => Some(a.iter().filter_map(Value::as_str).collect()),
            Some(Value::String(s)) => Some(s.split_whitespace().collect()),
            _ => None,
        }
    }

    /// The signed-in user: the first of `upn`, `unique_name`,
    /// `preferred_username`, `email`, with the claim's name.
    pub fn user(&self) -> Option<(&'static str, &str)> {
        ["upn", "unique_name", "preferred_username", "email"]
            .into_iter()
            .find_map(|n| self.str(n).filter(|v| !v.is_empty()).map(|v| (n, v)))
    }

    /// A NumericDate claim (RFC 7519 §2: seconds since the epoch, maybe fractional).
    pub fn time(&self, name: &str) -> Option<i64> {
        match self.0.get(name)? {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    pub fn tenant(&self) -> Option<&str> {
        self.str("tid")
    }

    pub fn issuer(&self) -> Option<&str> {
        self.str("iss")
    }

    /// The client application: `appid` (v1 tokens) or `azp` (v2).
    pub fn app(&self) -> Option<&str> {
        self.str("appid").or_else(|| self.str("azp"))
    }
}

/// RFC 6750 §2.1 `b64token`: the characters a bearer token may contain.
fn is_b64token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '=')
}

/// Base64url without padding (RFC 7515 §2); tolerates stray padding.
fn b64url(segment: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(segment.trim_end_matches('=')).ok()
}

fn json_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Classifies `token` (already trimmed) and decodes its claims when it is a JWT.
pub fn parse(token: &str) -> TokenShape {
    if token.is_empty() {
        return TokenShape::Malformed("the token is empty".into());
    }
    if token
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("bearer "))
    {
        return TokenShape::Malformed(
            "it starts with \"Bearer \": pass the token alone (XOAUTH2 adds the scheme)".into(),
        );
    }
    if token.starts_with("1//") {
        return TokenShape::Malformed(
            "it looks like a Google refresh token (1//…), not an access token".into(),
        );
    }
    if let Some(bad) = token.chars().find(|c| !is_b64token_char(*c)) {
        let what = match bad {
            '"' | '\'' => "a quote (copied from JSON?)".to_string(),
            c if c.is_whitespace() => "white space or a line break inside".to_string(),
            c if c.is_ascii_graphic() => format!("the character {c:?}"),
            _ => "a non-ASCII or control character".to_string(),
        };
        return TokenShape::Malformed(format!(
            "it contains {what}, which no bearer token has (RFC 6750 §2.1)"
        ));
    }
    let segments: Vec<&str> = token.split('.').collect();
    let header = segments
        .first()
        .and_then(|h| b64url(h))
        .and_then(|h| json_object(&h));
    let looks_like_jwt = token.starts_with("eyJ");
    match (segments.len(), header) {
        (5, Some(h)) if h.contains_key("enc") => TokenShape::Encrypted,
        (3, Some(h)) if h.contains_key("alg") || h.contains_key("typ") => {
            match b64url(segments[1]).and_then(|p| json_object(&p)) {
                Some(claims) => TokenShape::Jwt(Claims(claims)),
                None => TokenShape::Malformed(
                    "its header is a JWT header, but its payload is not base64url-encoded JSON"
                        .into(),
                ),
            }
        }
        _ if looks_like_jwt => TokenShape::Malformed(format!(
            "it starts like a JWT but has {} segment(s) or an undecodable header (a JWT has 3: header.payload.signature); was it cut off when copied?",
            segments.len()
        )),
        _ if token.starts_with("ya29.") => TokenShape::Opaque {
            kind: "a Google access token (ya29.…)",
        },
        _ => TokenShape::Opaque {
            kind: "not a JWT (an opaque token)",
        },
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Hand-made JWTs for the tests (unsigned: the signature is never checked).
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    pub(crate) fn jwt(claims: serde_json::Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"RS256","kid":"test"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{header}.{payload}.c2lnbmF0dXJl")
    }
}

#[cfg(test)]
mod tests {
    use super::testing::jwt;
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_claims_without_a_signature_check() {
        let t = jwt(
            json!({"aud": "https://outlook.office.com", "scp": "SMTP.Send offline_access",
                           "upn": "alice@example.test", "exp": 1_900_000_000, "tid": "t-1"}),
        );
        let TokenShape::Jwt(c) = parse(&t) else {
            panic!("not a JWT")
        };
        assert_eq!(c.audiences(), ["https://outlook.office.com"]);
        assert_eq!(c.scopes().unwrap(), ["SMTP.Send", "offline_access"]);
        assert_eq!(c.user(), Some(("upn", "alice@example.test")));
        assert_eq!(c.time("exp"), Some(1_900_000_000));
        assert_eq!(c.tenant(), Some("t-1"));
    }

    #[test]
    fn audience_may_be_an_array_and_times_fractional() {
        let t = jwt(json!({"aud": ["a", "b"], "exp": 1.5e9}));
        let TokenShape::Jwt(c) = parse(&t) else {
            panic!()
        };
        assert_eq!(c.audiences(), ["a", "b"]);
        assert_eq!(c.time("exp"), Some(1_500_000_000));
    }

    #[test]
    fn opaque_encrypted_and_malformed() {
        assert!(matches!(
            parse("ya29.a0AfH6SMBx-abc_def"),
            TokenShape::Opaque { .. }
        ));
        assert!(matches!(parse("EwBwA8l6BAAU"), TokenShape::Opaque { .. }));
        let jwe_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#);
        assert!(matches!(
            parse(&format!("{jwe_header}.a.b.c.d")),
            TokenShape::Encrypted
        ));
        let good = jwt(json!({"aud": "x"}));
        let cut = &good[..good.rfind('.').unwrap()];
        for bad in [
            "",
            "Bearer ya29.x",
            "\"ya29.x\"",
            "ya29 x",
            "1//0gabc",
            cut,
            "eyJhbGciOi.bm90IGpzb24.x",
        ] {
            assert!(matches!(parse(bad), TokenShape::Malformed(_)), "{bad:?}");
        }
        // The reason never quotes the token.
        let TokenShape::Malformed(why) = parse("Bearer ya29.SECRETPART") else {
            panic!()
        };
        assert!(!why.contains("SECRETPART"));
    }
}
