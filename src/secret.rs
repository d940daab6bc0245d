//! Secrets (passwords, OAuth tokens) and the redactor that keeps them out of output.
//!
//! A `Secret` never prints itself: `Debug` and `Display` show `<redacted>`.
//! `Redactor` knows every encoding of the secrets in use (plain, base64, the
//! AUTH PLAIN / XOAUTH2 / OAUTHBEARER blobs) and scrubs any text before it is
//! stored in a transcript, an evidence string or an error.

use crate::smtp::sasl;
use std::fmt;

/// The placeholder that replaces a secret in every output.
pub const REDACTED: &str = "<redacted>";

/// A password or token. Its value is reachable only through `expose`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The secret itself, for the wire and for the redactor only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// What the user gave to authenticate with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Password(Secret),
    Token(Secret),
}

impl Credential {
    pub fn secret(&self) -> &Secret {
        match self {
            Credential::Password(s) | Credential::Token(s) => s,
        }
    }

    pub fn is_token(&self) -> bool {
        matches!(self, Credential::Token(_))
    }
}

/// Replaces every known form of the secrets with `<redacted>`.
#[derive(Clone, Default)]
pub struct Redactor {
    needles: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} forms)", self.needles.len())
    }
}

impl Redactor {
    /// A redactor for `secret` used by `user` against `host:port`.
    pub fn new(user: &str, secret: &Secret, host: &str, port: u16) -> Redactor {
        let s = secret.expose();
        let mut needles = Vec::new();
        if s.is_empty() {
            return Redactor { needles };
        }
        needles.push(s.to_string());
        needles.push(sasl::b64(s.as_bytes()));
        // Unpadded base64 of the secret at each of the three alignments it can
        // have inside a longer blob (e.g. the server echoing a decoded payload).
        for prefix in ["", "\0", "\0\0"] {
            let enc = sasl::b64(format!("{prefix}{s}").as_bytes());
            let skip = prefix.len() * 4 / 3 + usize::from(!prefix.is_empty());
            let core: String = enc.trim_end_matches('=').chars().skip(skip).collect();
            // Drop the last two characters, which depend on what follows.
            let core: String = core.chars().take(core.len().saturating_sub(2)).collect();
            if core.len() >= 8 {
                needles.push(core);
            }
        }
        needles.push(sasl::plain(user, s));
        needles.push(sasl::xoauth2(user, s));
        needles.push(sasl::oauthbearer(user, host, port, s));
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        needles.dedup();
        Redactor { needles }
    }

    /// Adds another form to scrub (e.g. a CRAM-MD5 response once computed).
    pub fn add(&mut self, form: String) {
        if !form.is_empty() && !self.needles.contains(&form) {
            self.needles.push(form);
            self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        }
    }

    /// `text` with every known form of the secret replaced.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for n in &self.needles {
            if out.contains(n.as_str()) {
                out = out.replace(n.as_str(), REDACTED);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_secret() {
        let c = Credential::Password(Secret::new("hunter2".into()));
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{}", c.secret()).contains("hunter2"));
    }

    #[test]
    fn scrubs_plain_base64_and_blobs() {
        let s = Secret::new("S3cret-Marker-9x!".into());
        let r = Redactor::new("alice@example.test", &s, "127.0.0.1", 587);
        let plain = sasl::plain("alice@example.test", s.expose());
        let text = format!(
            "535 bad {plain} and {} and {} and S3cret-Marker-9x!",
            sasl::b64(s.expose().as_bytes()),
            sasl::xoauth2("alice@example.test", s.expose())
        );
        let out = r.scrub(&text);
        assert!(!out.contains("S3cret"), "{out}");
        assert!(!out.contains(&plain));
        assert!(!out.contains(&sasl::b64(s.expose().as_bytes())));
        assert!(out.contains(REDACTED));
    }
}
