//! Which mail client's or webmail's dialog a pasted text comes from.
//!
//! Dialogs wrap the server's reply in their own words (Gmail's "Send mail
//! as": `Authentication failed. Please check your username/password. Server
//! returned error: "…", code: 0`; Outlook's `0x800CCC0E`; Thunderbird's
//! "Sending of the message failed"). The reply inside is classified like any
//! other; the dialog tells the user *where* to change what, so the
//! diagnosis's remediation names the place in that dialog
//! (`diagnose::for_client`).

use super::vocabulary::{self, set};
use crate::phrase::Found;

/// A mail client or webmail whose dialog was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// Gmail's "Send mail as" / "Add another email address" dialog.
    GmailSendMailAs,
    Outlook,
    Thunderbird,
    AppleMail,
}

/// The markers of each dialog: its own stable wording.
const MARKERS: &[(Client, &[&str])] = &[
    (
        Client::GmailSendMailAs,
        &[
            "server returned error:",
            "send mail as",
            "couldn't reach server. please double check the server and port number",
            "please check your username/password",
            "add another email address",
        ],
    ),
    (
        Client::Outlook,
        &[
            "0x800ccc*",
            "0x8004210*",
            "send test e-mail message",
            "log onto outgoing mail server",
            "outgoing (smtp) e-mail server has reported",
            "your outgoing (smtp) e-mail server",
        ],
    ),
    (
        Client::Thunderbird,
        &[
            "sending of the message failed",
            "outgoing server (smtp)",
            "an error occurred while sending mail",
            "thunderbird",
        ],
    ),
    (
        Client::AppleMail,
        &[
            "cannot send mail",
            "was rejected by the server",
            "mail was unable to",
            "the connection to the server failed",
            "outgoing mail server (smtp)",
        ],
    ),
];

/// The markers, each tagged with its client's set, for `vocabulary`.
pub(crate) fn phrase_sets() -> impl Iterator<Item = (&'static str, u32)> {
    const _: () = assert!(MARKERS.len() <= 8, "vocabulary has 8 client sets");
    MARKERS
        .iter()
        .enumerate()
        .flat_map(|(i, (_, m))| m.iter().map(move |p| (*p, set::client(i))))
}

/// The dialog `lower` (a lower-cased text) comes from, if it shows one.
#[cfg(test)]
pub fn detect(lower: &str) -> Option<Client> {
    detect_in(&vocabulary::table().scan(lower))
}

/// The dialog whose markers are among the phrases the vocabulary `found`
/// in a text (the first of `MARKERS` that shows).
pub fn detect_in(found: &Found) -> Option<Client> {
    let t = vocabulary::table();
    (0..MARKERS.len())
        .find(|i| t.any_in(found, set::client(*i)))
        .map(|i| MARKERS[i].0)
}

impl Client {
    /// Where in this client the SMTP settings are, in its own words.
    pub fn where_to_change(self) -> &'static str {
        match self {
            Client::GmailSendMailAs => "In Gmail: Settings (gear) → See all settings → Accounts and Import → \"Send mail as\" → edit info → Next Step: SMTP Server, Port, Username and Password, with \"Secured connection using TLS\" for port 587 or \"SSL\" for 465; the password is the OTHER account's (its app password where that provider wants one).",
            Client::Outlook => "In Outlook: File → Account Settings → Account Settings → select the account → Change → More Settings: \"Outgoing Server\" (My outgoing server requires authentication) and \"Advanced\" (Outgoing server (SMTP) port, encryption: STARTTLS/TLS for 587, SSL/TLS for 465).",
            Client::Thunderbird => "In Thunderbird: Settings → Account Settings → Outgoing Server (SMTP) → select the server → Edit: Server Name, Port, Connection security (STARTTLS for 587, SSL/TLS for 465), Authentication method and User Name.",
            Client::AppleMail => "On iPhone/iPad: Settings → Apps → Mail → Mail Accounts → the account → Account → Outgoing Mail Server (SMTP) → Primary Server; on a Mac: Mail → Settings → Accounts → Server Settings → Outgoing Mail Account → Edit SMTP Server List.",
        }
    }

    /// Its name, for the report.
    pub fn name(self) -> &'static str {
        match self {
            Client::GmailSendMailAs => "gmail-send-mail-as",
            Client::Outlook => "outlook",
            Client::Thunderbird => "thunderbird",
            Client::AppleMail => "apple-mail",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialogs_are_recognised_by_their_own_words() {
        assert_eq!(
            detect("authentication failed. please check your username/password. server returned error: \"tls negotiation failed\", code: 0"),
            Some(Client::GmailSendMailAs)
        );
        assert_eq!(detect("error number: 0x800ccc0e"), Some(Client::Outlook));
        assert_eq!(
            detect("sending of the message failed."),
            Some(Client::Thunderbird)
        );
        assert_eq!(detect("535 5.7.8 authentication failed"), None);
    }
}
