//! The curated provider table: submission endpoints of the big mailbox providers.
//!
//! Each entry: the domains it serves, the documented submission host, port and
//! TLS mode, and the source it was verified against (last verified 2026-11-25).

use crate::probe::TlsMode;

pub struct Entry {
    pub name: &'static str,
    pub domains: &'static [&'static str],
    pub host: &'static str,
    pub port: u16,
    pub tls: TlsMode,
    pub source: &'static str,
}

pub static PROVIDERS: &[Entry] = &[
    Entry {
        name: "Gmail / Google Workspace",
        domains: &["gmail.com", "googlemail.com"],
        host: "smtp.gmail.com",
        port: 587,
        tls: TlsMode::StartTls,
        source: "https://support.google.com/mail/answer/7126229",
    },
    Entry {
        name: "Outlook.com / Hotmail",
        domains: &["outlook.com", "hotmail.com", "live.com", "msn.com", "outlook.de", "hotmail.co.uk", "hotmail.fr"],
        host: "smtp-mail.outlook.com",
        port: 587,
        tls: TlsMode::StartTls,
        source: "https://support.microsoft.com/en-us/office/pop-imap-and-smtp-settings-for-outlook-com-d088b986-291d-42b8-9564-9c414e2aa040",
    },
    Entry {
        name: "Yahoo Mail",
        domains: &["yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de"],
        host: "smtp.mail.yahoo.com",
        port: 465,
        tls: TlsMode::Implicit,
        source: "https://help.yahoo.com/kb/SLN4724.html",
    },
    Entry {
        name: "AOL Mail",
        domains: &["aol.com"],
        host: "smtp.aol.com",
        port: 465,
        tls: TlsMode::Implicit,
        source: "https://help.aol.com/articles/how-do-i-use-other-email-applications-to-send-and-receive-my-aol-mail",
    },
    Entry {
        name: "iCloud Mail",
        domains: &["icloud.com", "me.com", "mac.com"],
        host: "smtp.mail.me.com",
        port: 587,
        tls: TlsMode::StartTls,
        source: "https://support.apple.com/en-us/102525",
    },
    Entry {
        name: "Zoho Mail",
        domains: &["zoho.com", "zohomail.com"],
        host: "smtp.zoho.com",
        port: 465,
        tls: TlsMode::Implicit,
        source: "https://www.zoho.com/mail/help/zoho-smtp.html",
    },
    Entry {
        name: "Fastmail",
        domains: &["fastmail.com", "fastmail.fm"],
        host: "smtp.fastmail.com",
        port: 465,
        tls: TlsMode::Implicit,
        source: "https://www.fastmail.help/hc/en-us/articles/1500000278342",
    },
    Entry {
        name: "GMX",
        domains: &["gmx.com", "gmx.net", "gmx.de"],
        host: "mail.gmx.net",
        port: 587,
        tls: TlsMode::StartTls,
        source: "https://support.gmx.com/pop-imap/imap/outlook.html",
    },
    Entry {
        name: "Web.de",
        domains: &["web.de"],
        host: "smtp.web.de",
        port: 587,
        tls: TlsMode::StartTls,
        source: "https://hilfe.web.de/pop-imap/imap/imap-serverdaten.html",
    },
    Entry {
        name: "Yandex Mail",
        domains: &["yandex.com", "yandex.ru", "ya.ru"],
        host: "smtp.yandex.com",
        port: 465,
        tls: TlsMode::Implicit,
        source: "https://yandex.com/support/mail/mail-clients/others.html",
    },
];

/// The entry serving `domain` (lower-case, no trailing dot).
pub fn lookup(domain: &str) -> Option<&'static Entry> {
    PROVIDERS.iter().find(|e| e.domains.contains(&domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_domain_is_listed_twice() {
        let mut seen = std::collections::HashSet::new();
        for e in PROVIDERS {
            assert!(!e.name.is_empty() && e.source.starts_with("https://"));
            for d in e.domains {
                assert!(seen.insert(*d), "{d} listed twice");
                assert_eq!(*d, d.to_ascii_lowercase());
            }
        }
    }
}
