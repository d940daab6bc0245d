//! EHLO capabilities (RFC 5321 §4.1.1.1, RFC 1869) as data.
//!
//! Built from the `250` reply to EHLO. Keywords are case-insensitive; AUTH
//! mechanisms are upper-cased. Unknown keywords are kept for the report.

use super::Reply;

/// What the server said it supports in one EHLO reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// The lines after the greeting line, as sent (for the report).
    pub lines: Vec<String>,
    /// `STARTTLS` was listed (RFC 3207).
    pub starttls: bool,
    /// Mechanisms of every `AUTH` line (RFC 4954), upper-cased, in order, no
    /// duplicates. `None` when no AUTH line was present.
    pub auth: Option<Vec<String>>,
}

impl Capabilities {
    /// Reads the capability lines of a positive EHLO reply.
    pub fn from_ehlo(reply: &Reply) -> Capabilities {
        let mut caps = Capabilities::default();
        for line in reply.lines.iter().skip(1) {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            caps.lines.push(line.to_string());
            let mut words = line.split_whitespace();
            let keyword = words.next().unwrap_or("").to_ascii_uppercase();
            match keyword.as_str() {
                "STARTTLS" => caps.starttls = true,
                // "AUTH=LOGIN PLAIN" is the pre-RFC 4954 form some old servers
                // still send next to "AUTH LOGIN PLAIN".
                k if k == "AUTH" || k.starts_with("AUTH=") => {
                    let mechs = caps.auth.get_or_insert_with(Vec::new);
                    let first = k.strip_prefix("AUTH=").filter(|m| !m.is_empty());
                    for m in first
                        .map(str::to_string)
                        .into_iter()
                        .chain(words.map(str::to_ascii_uppercase))
                    {
                        if !mechs.contains(&m) {
                            mechs.push(m);
                        }
                    }
                }
                _ => {}
            }
        }
        caps
    }

    /// Capabilities of a server that only answered HELO: nothing is known.
    pub fn from_helo() -> Capabilities {
        Capabilities::default()
    }

    /// True when `mechanism` is advertised.
    pub fn offers(&self, mechanism: &str) -> bool {
        self.auth
            .as_ref()
            .is_some_and(|m| m.iter().any(|x| x.eq_ignore_ascii_case(mechanism)))
    }

    /// The advertised mechanisms, empty when there is no AUTH line.
    pub fn mechanisms(&self) -> &[String] {
        self.auth.as_deref().unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::ReplyParser;

    fn ehlo(lines: &[&str]) -> Capabilities {
        let mut p = ReplyParser::new();
        let last = lines.len() - 1;
        let mut reply = None;
        for (i, l) in lines.iter().enumerate() {
            let sep = if i == last { ' ' } else { '-' };
            reply = p.feed(&format!("250{sep}{l}")).unwrap();
        }
        Capabilities::from_ehlo(&reply.unwrap())
    }

    #[test]
    fn reads_starttls_and_auth_from_gmail_ehlo() {
        let before = ehlo(&[
            "smtp.gmail.com at your service, [192.0.2.1]",
            "SIZE 35882577",
            "8BITMIME",
            "STARTTLS",
            "ENHANCEDSTATUSCODES",
        ]);
        assert!(before.starttls);
        assert_eq!(before.auth, None);
        let after = ehlo(&[
            "smtp.gmail.com at your service",
            "AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH",
        ]);
        assert!(!after.starttls);
        assert_eq!(
            after.mechanisms(),
            [
                "LOGIN",
                "PLAIN",
                "XOAUTH2",
                "PLAIN-CLIENTTOKEN",
                "OAUTHBEARER",
                "XOAUTH"
            ]
        );
        assert!(after.offers("plain"));
    }

    #[test]
    fn merges_old_style_auth_equals_line() {
        let c = ehlo(&["mx", "AUTH LOGIN PLAIN", "AUTH=LOGIN PLAIN", "starttls"]);
        assert_eq!(c.mechanisms(), ["LOGIN", "PLAIN"]);
        assert!(c.starttls, "keywords are case-insensitive");
    }

    #[test]
    fn empty_auth_line_means_auth_with_no_mechanism() {
        let c = ehlo(&["mx", "AUTH"]);
        assert_eq!(c.auth, Some(vec![]));
    }
}
