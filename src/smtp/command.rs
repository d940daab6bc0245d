//! SMTP commands smtp-doctor sends, and their exact wire form.
//!
//! `Display` writes the line without CRLF. Commands that carry secrets know it
//! (`Command::redacted`), so the transcript never holds them.

use std::fmt;

/// A command line sent to the server.
#[derive(Clone, PartialEq, Eq)]
pub enum Command {
    /// RFC 5321 §4.1.1.1.
    Ehlo(String),
    /// RFC 5321 §4.1.1.1, the fallback when EHLO is refused.
    Helo(String),
    /// RFC 3207.
    StartTls,
    /// RFC 4954 `AUTH mechanism [initial-response]`; the response is secret.
    Auth {
        mechanism: String,
        initial_response: Option<String>,
    },
    /// A SASL continuation line (base64); always secret.
    AuthResponse(String),
    /// RFC 5321 §4.1.1.10.
    Quit,
}

impl Command {
    /// The line as the transcript shows it: secrets replaced by `<redacted>`.
    pub fn redacted(&self) -> String {
        match self {
            Command::Auth {
                mechanism,
                initial_response: Some(_),
            } => format!("AUTH {mechanism} <redacted>"),
            Command::AuthResponse(r) if r.is_empty() => String::new(),
            Command::AuthResponse(_) => "<redacted>".to_string(),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Ehlo(name) => write!(f, "EHLO {name}"),
            Command::Helo(name) => write!(f, "HELO {name}"),
            Command::StartTls => f.write_str("STARTTLS"),
            Command::Auth {
                mechanism,
                initial_response: None,
            } => write!(f, "AUTH {mechanism}"),
            Command::Auth {
                mechanism,
                initial_response: Some(ir),
            } => {
                // RFC 4954 §4: a zero-length initial response is sent as "=".
                let ir = if ir.is_empty() { "=" } else { ir.as_str() };
                write!(f, "AUTH {mechanism} {ir}")
            }
            Command::AuthResponse(r) => f.write_str(r),
            Command::Quit => f.write_str("QUIT"),
        }
    }
}

// Debug must never print a secret: it shows the redacted form.
impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Command({:?})", self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_lines_are_redacted_in_debug_and_transcript() {
        let c = Command::Auth {
            mechanism: "PLAIN".into(),
            initial_response: Some("AGFsaWNlAHNlY3JldA==".into()),
        };
        assert_eq!(c.to_string(), "AUTH PLAIN AGFsaWNlAHNlY3JldA==");
        assert_eq!(c.redacted(), "AUTH PLAIN <redacted>");
        assert!(!format!("{c:?}").contains("AGFsaWNl"));
        let r = Command::AuthResponse("c2VjcmV0".into());
        assert!(!format!("{r:?}").contains("c2VjcmV0"));
    }

    #[test]
    fn empty_initial_response_is_an_equals_sign() {
        let c = Command::Auth {
            mechanism: "PLAIN".into(),
            initial_response: Some(String::new()),
        };
        assert_eq!(c.to_string(), "AUTH PLAIN =");
    }
}
