//! SASL mechanisms for SMTP AUTH (RFC 4954) and their encodings.
//!
//! PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login), CRAM-MD5 (RFC 2195),
//! XOAUTH2 (Google/Microsoft) and OAUTHBEARER (RFC 7628). Pure functions:
//! everything returned here is secret and must only go to the wire.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use md5::Md5;
use std::fmt;
use std::str::FromStr;

/// A mechanism smtp-doctor can speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mechanism {
    Plain,
    Login,
    CramMd5,
    XOAuth2,
    OAuthBearer,
}

impl Mechanism {
    /// The order `--mechanism auto` prefers for a password: PLAIN is the most
    /// widely supported and, inside TLS, as safe as the others; LOGIN is next
    /// (Microsoft 365 offers only LOGIN); CRAM-MD5 last, because it needs the
    /// server to store the password reversibly and is often broken.
    pub const PASSWORD_PREFERENCE: [Mechanism; 3] =
        [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5];
    /// The order for an OAuth access token: XOAUTH2 is what Gmail and Microsoft
    /// document; OAUTHBEARER is the standard one.
    pub const TOKEN_PREFERENCE: [Mechanism; 2] = [Mechanism::XOAuth2, Mechanism::OAuthBearer];

    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
        }
    }

    /// True for mechanisms that carry an OAuth token rather than a password.
    pub fn uses_token(self) -> bool {
        matches!(self, Mechanism::XOAuth2 | Mechanism::OAuthBearer)
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mechanism {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "PLAIN" => Ok(Mechanism::Plain),
            "LOGIN" => Ok(Mechanism::Login),
            "CRAM-MD5" => Ok(Mechanism::CramMd5),
            "XOAUTH2" => Ok(Mechanism::XOAuth2),
            "OAUTHBEARER" => Ok(Mechanism::OAuthBearer),
            other => Err(format!("unknown mechanism {other:?}")),
        }
    }
}

pub fn b64(data: &[u8]) -> String {
    B64.encode(data)
}

/// Decodes a server challenge; `None` when it is not base64.
pub fn decode_challenge(text: &str) -> Option<Vec<u8>> {
    B64.decode(text.trim()).ok()
}

/// RFC 4616: `base64("\0" user "\0" password)`, authzid empty.
pub fn plain(user: &str, password: &str) -> String {
    b64(format!("\0{user}\0{password}").as_bytes())
}

/// RFC 2195: `base64(user " " hex(HMAC-MD5(password, challenge)))`.
pub fn cram_md5(user: &str, password: &str, challenge: &[u8]) -> String {
    let mut mac = Hmac::<Md5>::new_from_slice(password.as_bytes()).expect("HMAC takes any key");
    mac.update(challenge);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    b64(format!("{user} {hex}").as_bytes())
}

/// The XOAUTH2 initial response: `base64("user=" U "\x01auth=Bearer " T "\x01\x01")`
/// (Google's and Microsoft's documentation of the XOAUTH2 SASL mechanism).
pub fn xoauth2(user: &str, token: &str) -> String {
    b64(format!("user={user}\x01auth=Bearer {token}\x01\x01").as_bytes())
}

/// RFC 7628 §3.1 initial client response with a GS2 header naming the user.
pub fn oauthbearer(user: &str, host: &str, port: u16, token: &str) -> String {
    b64(
        format!("n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01")
            .as_bytes(),
    )
}

/// RFC 7628 §3.2.3: after an error challenge the client answers a single ^A.
pub const OAUTHBEARER_ERROR_ACK: &str = "AQ==";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cram_md5_matches_rfc_2195_example() {
        // RFC 2195 §2: user "tim", secret "tanstaaftanstaaf".
        let challenge = b"<1896.697170952@postoffice.reston.mci.net>";
        let resp = cram_md5("tim", "tanstaaftanstaaf", challenge);
        let decoded = String::from_utf8(B64.decode(resp).unwrap()).unwrap();
        assert_eq!(decoded, "tim b913a602c7eda7a495b4e6e7334d3890");
    }

    #[test]
    fn plain_has_empty_authzid() {
        assert_eq!(
            plain("tim", "tanstaaftanstaaf"),
            "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
        );
    }

    #[test]
    fn xoauth2_framing() {
        let blob = B64
            .decode(xoauth2("someuser@example.com", "ya29.vF9dft4"))
            .unwrap();
        assert_eq!(
            blob,
            b"user=someuser@example.com\x01auth=Bearer ya29.vF9dft4\x01\x01"
        );
    }

    #[test]
    fn oauthbearer_framing_rfc_7628() {
        let blob = B64
            .decode(oauthbearer(
                "user@example.com",
                "server.example.com",
                587,
                "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
            ))
            .unwrap();
        assert_eq!(
            blob,
            b"n,a=user@example.com,\x01host=server.example.com\x01port=587\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
        );
    }

    #[test]
    fn mechanism_names_round_trip() {
        for m in [
            Mechanism::Plain,
            Mechanism::Login,
            Mechanism::CramMd5,
            Mechanism::XOAuth2,
            Mechanism::OAuthBearer,
        ] {
            assert_eq!(m.name().parse::<Mechanism>().unwrap(), m);
        }
        assert!("NTLM".parse::<Mechanism>().is_err());
    }
}
