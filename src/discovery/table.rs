//! The curated provider table: documented submission endpoints of the big
//! mailbox providers and transactional services.
//!
//! Each entry says which address domains it serves, which MX host suffixes
//! reveal it for a custom domain, the documented host, port and TLS mode (and
//! the other accepted ports), the SASL mechanisms, the user-name form, the
//! app-password/OAuth situation, the source page and when the entry was last
//! checked against it. `checked` is a review date: the build machine has no
//! internet, so an entry dated here was written from the cited page as the
//! reviewer knew it, not fetched on that day. Re-verify when a provider moves.

use crate::endpoint::TlsMode;

/// One provider's submission service.
pub struct Entry {
    pub name: &'static str,
    /// Address domains served (lower-case). Empty for services used only with `--host`.
    pub domains: &'static [&'static str],
    /// MX host suffixes that reveal this provider for a custom domain (label
    /// boundary: `google.com` matches `aspmx.l.google.com`).
    pub mx_suffixes: &'static [&'static str],
    /// Host-name patterns of this provider's submission hosts (`*` = one label),
    /// used to recognise `--host`.
    pub host_patterns: &'static [&'static str],
    /// The documented submission host.
    pub host: &'static str,
    pub port: u16,
    pub tls: TlsMode,
    /// Other documented (port, TLS) pairs.
    pub alt: &'static [(u16, TlsMode)],
    /// SASL mechanisms the service accepts.
    pub mechanisms: &'static [&'static str],
    /// What the AUTH user name is.
    pub user_form: &'static str,
    /// App password / OAuth situation.
    pub auth_note: &'static str,
    pub source: &'static str,
    pub checked: &'static str,
}

impl Entry {
    /// True when (port, tls) is one the provider documents.
    pub fn accepts(&self, port: u16, tls: TlsMode) -> bool {
        (self.port, self.tls) == (port, tls) || self.alt.contains(&(port, tls))
    }

    /// True when `host` (lower-case) matches one of the host patterns. Only
    /// patterns count, so Proton Mail Bridge's `127.0.0.1` claims no host.
    pub fn owns_host(&self, host: &str) -> bool {
        self.host_patterns.iter().any(|p| pattern_matches(p, host))
    }
}

/// `*` matches exactly one label; everything else literally.
fn pattern_matches(pattern: &str, host: &str) -> bool {
    let p: Vec<&str> = pattern.split('.').collect();
    let h: Vec<&str> = host.split('.').collect();
    p.len() == h.len() && p.iter().zip(&h).all(|(p, h)| *p == "*" || p == h)
}

/// `name` equals `suffix` or ends with `.suffix`.
pub fn under(name: &str, suffix: &str) -> bool {
    name == suffix
        || name
            .strip_suffix(suffix)
            .is_some_and(|rest| rest.ends_with('.'))
}

use TlsMode::{Implicit as I, StartTls as S};

const PASSWORD: &[&str] = &["PLAIN", "LOGIN"];

pub static PROVIDERS: &[Entry] = &[
    Entry {
        name: "Gmail / Google Workspace",
        domains: &["gmail.com", "googlemail.com"],
        mx_suffixes: &["google.com", "googlemail.com"],
        host_patterns: &["smtp.gmail.com", "smtp.googlemail.com"],
        host: "smtp.gmail.com",
        port: 587,
        tls: S,
        alt: &[(465, I)],
        mechanisms: &["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"],
        user_form: "the full address",
        auth_note: "with 2-Step Verification an app password is needed; Workspace admins may allow only OAuth (XOAUTH2)",
        source: "https://support.google.com/mail/answer/7126229",
        checked: "2026-11-25",
    },
    Entry {
        name: "Microsoft 365 (Exchange Online)",
        domains: &[],
        mx_suffixes: &["mail.protection.outlook.com"],
        host_patterns: &["smtp.office365.com"],
        host: "smtp.office365.com",
        port: 587,
        tls: S,
        alt: &[],
        mechanisms: &["LOGIN", "XOAUTH2"],
        user_form: "the full address (user principal name)",
        auth_note: "SMTP AUTH must be enabled for the tenant and mailbox; basic auth is being retired, OAuth (XOAUTH2) is the lasting way",
        source: "https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/how-to-set-up-a-multifunction-device-or-application-to-send-email-using-microsoft-365-or-office-365",
        checked: "2026-11-25",
    },
    Entry {
        name: "Outlook.com / Hotmail",
        domains: &["outlook.com", "hotmail.com", "live.com", "msn.com", "outlook.de", "hotmail.co.uk", "hotmail.fr"],
        mx_suffixes: &["olc.protection.outlook.com"],
        host_patterns: &["smtp-mail.outlook.com", "smtp.live.com"],
        host: "smtp-mail.outlook.com",
        port: 587,
        tls: S,
        alt: &[],
        mechanisms: &["LOGIN", "XOAUTH2"],
        user_form: "the full address",
        auth_note: "password logins are retired for personal accounts: OAuth (XOAUTH2) only",
        source: "https://support.microsoft.com/en-us/office/pop-imap-and-smtp-settings-for-outlook-com-d088b986-291d-42b8-9564-9c414e2aa040",
        checked: "2026-11-25",
    },
    Entry {
        name: "Yahoo Mail",
        domains: &["yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de"],
        mx_suffixes: &["yahoodns.net"],
        host_patterns: &["smtp.mail.yahoo.com", "smtp.mail.yahoo.*"],
        host: "smtp.mail.yahoo.com",
        port: 465,
        tls: I,
        alt: &[(587, S)],
        mechanisms: &["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"],
        user_form: "the full address",
        auth_note: "third-party clients need an app password (Account security → Generate app password)",
        source: "https://help.yahoo.com/kb/SLN4724.html",
        checked: "2026-11-25",
    },
    Entry {
        name: "AOL Mail",
        domains: &["aol.com"],
        mx_suffixes: &[],
        host_patterns: &["smtp.aol.com"],
        host: "smtp.aol.com",
        port: 465,
        tls: I,
        alt: &[(587, S)],
        mechanisms: &["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"],
        user_form: "the full address",
        auth_note: "third-party clients need an app password",
        source: "https://help.aol.com/articles/how-do-i-use-other-email-applications-to-send-and-receive-my-aol-mail",
        checked: "2026-11-25",
    },
    Entry {
        name: "iCloud Mail",
        domains: &["icloud.com", "me.com", "mac.com"],
        mx_suffixes: &["mail.icloud.com"],
        host_patterns: &["smtp.mail.me.com"],
        host: "smtp.mail.me.com",
        port: 587,
        tls: S,
        alt: &[],
        mechanisms: PASSWORD,
        user_form: "the full iCloud address (for custom domains: the Apple Account's iCloud address)",
        auth_note: "an app-specific password is required (appleid.apple.com)",
        source: "https://support.apple.com/en-us/102525",
        checked: "2026-11-25",
    },
    Entry {
        name: "Zoho Mail",
        domains: &["zoho.com", "zohomail.com"],
        mx_suffixes: &["zoho.com"],
        host_patterns: &["smtp.zoho.com", "smtppro.zoho.com"],
        host: "smtp.zoho.com",
        port: 465,
        tls: I,
        alt: &[(587, S)],
        mechanisms: PASSWORD,
        user_form: "the full address",
        auth_note: "with two-factor authentication an application-specific password is needed; custom domains use smtppro.zoho.com",
        source: "https://www.zoho.com/mail/help/zoho-smtp.html",
        checked: "2026-11-25",
    },
    Entry {
        name: "Zoho Mail (EU)",
        domains: &["zohomail.eu"],
        mx_suffixes: &["zoho.eu"],
        host_patterns: &["smtp.zoho.eu", "smtppro.zoho.eu"],
        host: "smtp.zoho.eu",
        port: 465,
        tls: I,
        alt: &[(587, S)],
        mechanisms: PASSWORD,
        user_form: "the full address",
        auth_note: "with two-factor authentication an application-specific password is needed",
        source: "https://www.zoho.com/mail/help/zoho-smtp.html",
        checked: "2026-11-25",
    },
    Entry {
        name: "Fastmail",
        domains: &["fastmail.com", "fastmail.fm"],
        mx_suffixes: &["messagingengine.com"],
        host_patterns: &["smtp.fastmail.com"],
        host: "smtp.fastmail.com",
        port: 465,
        tls: I,
        alt: &[(587, S)],
        mechanisms: PASSWORD,
        user_form: "the full Fastmail login address",
        auth_note: "an app password is required for SMTP",
        source: "https://www.fastmail.help/hc/en-us/articles/1500000278342",
        checked: "2026-11-25",
    },
    Entry {
        name: "GMX",
        domains: &["gmx.com", "gmx.net", "gmx.de"],
        mx_suffixes: &[],
        host_patterns: &["mail.gmx.net", "mail.gmx.com"],
        host: "mail.gmx.net",
        port: 587,
        tls: S,
        alt: &[(465, I)],
        mechanisms: PASSWORD,
        user_form: "the full address",
        auth_note: "POP3/IMAP/SMTP access must be switched on in the GMX settings",
        source: "https://support.gmx.com/pop-imap/imap/outlook.html",
        checked: "2026-11-25",
    },
    Entry {
        name: "Web.de",
        domains: &["web.de"],
        mx_suffixes: &[],
        host_patterns: &["smtp.web.de"],
        host: "smtp.web.de",
        port: 587,
        tls: S,
        alt: &[],
        mechanisms: PASSWORD,
        user_form: "the full address",
        auth_note: "POP3/IMAP/SMTP access must be switched on in the WEB.DE settings",
        source: "https://hilfe.web.de/pop-imap/imap/imap-serverdaten.html",
        checked: "2026-11-25",
    },
    Entry {
        name: "Yandex Mail",
        domains: &["yandex.com", "yandex.ru", "ya.ru"],
        mx_suffixes: &["yandex.net", "yandex.ru"],
        host_patterns: &["smtp.yandex.com", "smtp.yandex.ru"],
        host: "smtp.yandex.com",
        port: 465,
        tls: I,
        alt: &[(587, S)],
        mechanisms: &["PLAIN", "LOGIN", "XOAUTH2"],
        user_form: "the full address",
        auth_note: "an app password is required for mail clients",
        source: "https://yandex.com/support/mail/mail-clients/others.html",
        checked: "2026-11-25",
    },
    Entry {
        name: "Proton Mail Bridge",
        domains: &["proton.me", "protonmail.com", "protonmail.ch", "pm.me"],
        mx_suffixes: &["protonmail.ch"],
        host_patterns: &[],
        host: "127.0.0.1",
        port: 1025,
        tls: S,
        alt: &[],
        mechanisms: PASSWORD,
        user_form: "the address as shown in Bridge",
        auth_note: "Proton has no public SMTP server for personal plans: run Proton Mail Bridge and use the password Bridge shows (not the account password)",
        source: "https://proton.me/support/protonmail-bridge-clients",
        checked: "2026-11-25",
    },
    Entry {
        name: "Amazon SES",
        domains: &[],
        mx_suffixes: &[],
        host_patterns: &["email-smtp.*.amazonaws.com"],
        host: "email-smtp.us-east-1.amazonaws.com",
        port: 587,
        tls: S,
        alt: &[(25, S), (2587, S), (465, I), (2465, I)],
        mechanisms: PASSWORD,
        user_form: "the SMTP user name from the SES console (not an IAM access key id)",
        auth_note: "SMTP credentials are derived per region; the host names the region (email-smtp.<region>.amazonaws.com)",
        source: "https://docs.aws.amazon.com/ses/latest/dg/smtp-connect.html",
        checked: "2026-11-25",
    },
    Entry {
        name: "SendGrid",
        domains: &[],
        mx_suffixes: &[],
        host_patterns: &["smtp.sendgrid.net"],
        host: "smtp.sendgrid.net",
        port: 587,
        tls: S,
        alt: &[(25, S), (2525, S), (465, I)],
        mechanisms: PASSWORD,
        user_form: "the literal user name `apikey`",
        auth_note: "the password is an API key with Mail Send permission",
        source: "https://www.twilio.com/docs/sendgrid/for-developers/sending-email/integrating-with-the-smtp-api",
        checked: "2026-11-25",
    },
    Entry {
        name: "Mailgun",
        domains: &[],
        mx_suffixes: &[],
        host_patterns: &["smtp.mailgun.org", "smtp.eu.mailgun.org"],
        host: "smtp.mailgun.org",
        port: 587,
        tls: S,
        alt: &[(25, S), (2525, S), (465, I)],
        mechanisms: PASSWORD,
        user_form: "the domain's SMTP login (e.g. postmaster@mg.example.com)",
        auth_note: "EU domains use smtp.eu.mailgun.org; the password is the domain's SMTP password",
        source: "https://documentation.mailgun.com/docs/mailgun/user-manual/sending-messages/send-smtp",
        checked: "2026-11-25",
    },
    Entry {
        name: "Brevo",
        domains: &[],
        mx_suffixes: &[],
        host_patterns: &["smtp-relay.brevo.com", "smtp-relay.sendinblue.com"],
        host: "smtp-relay.brevo.com",
        port: 587,
        tls: S,
        alt: &[(2525, S), (465, I)],
        mechanisms: PASSWORD,
        user_form: "the SMTP login shown in Brevo's SMTP & API settings",
        auth_note: "the password is an SMTP key, not the account password",
        source: "https://help.brevo.com/hc/en-us/articles/7924908994450",
        checked: "2026-11-25",
    },
    Entry {
        name: "Postmark",
        domains: &[],
        mx_suffixes: &[],
        host_patterns: &["smtp.postmarkapp.com", "smtp-broadcasts.postmarkapp.com"],
        host: "smtp.postmarkapp.com",
        port: 587,
        tls: S,
        alt: &[(25, S), (2525, S)],
        mechanisms: &["PLAIN", "LOGIN", "CRAM-MD5"],
        user_form: "the server API token (also the password)",
        auth_note: "user name and password are both the server API token (or an SMTP token's access key and secret)",
        source: "https://postmarkapp.com/developer/user-guide/send-email-with-smtp",
        checked: "2026-11-25",
    },
];

/// The entry serving the address domain `domain` (lower-case, no trailing dot).
pub fn lookup(domain: &str) -> Option<&'static Entry> {
    PROVIDERS.iter().find(|e| e.domains.contains(&domain))
}

/// The entry a custom domain's MX host reveals.
pub fn by_mx(exchange: &str) -> Option<&'static Entry> {
    PROVIDERS
        .iter()
        .find(|e| e.mx_suffixes.iter().any(|s| under(exchange, s)))
}

/// The entry whose submission hosts include `host` (lower-case).
pub fn by_host(host: &str) -> Option<&'static Entry> {
    PROVIDERS.iter().find(|e| e.owns_host(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_complete_and_domains_unique() {
        let mut seen = std::collections::HashSet::new();
        for e in PROVIDERS {
            assert!(
                !e.name.is_empty() && e.source.starts_with("https://"),
                "{}",
                e.name
            );
            assert!(!e.mechanisms.is_empty() && !e.user_form.is_empty() && !e.auth_note.is_empty());
            assert_eq!(e.checked.len(), 10, "{}: checked is YYYY-MM-DD", e.name);
            let loopback = e.host.parse::<std::net::IpAddr>().is_ok();
            assert!(
                loopback || e.owns_host(e.host),
                "{}: host not in its patterns",
                e.name
            );
            for d in e.domains {
                assert!(seen.insert(*d), "{d} listed twice");
                assert_eq!(*d, d.to_ascii_lowercase());
            }
        }
    }

    #[test]
    fn mx_hosts_reveal_providers() {
        let name = |mx: &str| by_mx(mx).map(|e| e.name);
        assert_eq!(name("aspmx.l.google.com"), Some("Gmail / Google Workspace"));
        assert_eq!(name("smtp.google.com"), Some("Gmail / Google Workspace"));
        assert_eq!(
            name("contoso-com.mail.protection.outlook.com"),
            Some("Microsoft 365 (Exchange Online)")
        );
        assert_eq!(name("in1-smtp.messagingengine.com"), Some("Fastmail"));
        assert_eq!(name("mx.zoho.eu"), Some("Zoho Mail (EU)"));
        assert_eq!(name("notgoogle.com"), None);
        assert_eq!(name("mx.example.com"), None);
    }

    #[test]
    fn hosts_are_recognised_with_one_label_wildcards() {
        assert_eq!(
            by_host("email-smtp.eu-west-1.amazonaws.com").map(|e| e.name),
            Some("Amazon SES")
        );
        assert!(by_host("email-smtp.amazonaws.com").is_none());
        assert!(by_host("smtp.gmail.com")
            .unwrap()
            .accepts(465, TlsMode::Implicit));
        assert!(!by_host("smtp.gmail.com")
            .unwrap()
            .accepts(25, TlsMode::StartTls));
    }
}
