//! Known mail providers: how to recognise them in host names and reply text.
//!
//! Kept short and curated (design pitfall 8): a provider is listed when its
//! replies need provider-specific advice. Recognition is by stable markers
//! (host names, `gsmtp`, help-page URLs), never by guesswork on wording alone.

use crate::phrase::PhraseTable;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Google,
    Microsoft,
    Yahoo,
    Icloud,
    Zoho,
    Proton,
    Yandex,
    Tencent,
    NetEase,
    AmazonSes,
    SendGrid,
    Mailgun,
    Brevo,
    Fastmail,
    Gmx,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Google => "google",
            Provider::Microsoft => "microsoft",
            Provider::Yahoo => "yahoo",
            Provider::Icloud => "icloud",
            Provider::Zoho => "zoho",
            Provider::Proton => "proton",
            Provider::Yandex => "yandex",
            Provider::Tencent => "qq",
            Provider::NetEase => "netease",
            Provider::AmazonSes => "amazon-ses",
            Provider::SendGrid => "sendgrid",
            Provider::Mailgun => "mailgun",
            Provider::Brevo => "brevo",
            Provider::Fastmail => "fastmail",
            Provider::Gmx => "gmx",
        }
    }

    /// Markers in lower-cased text (host names, URLs, session-id suffixes).
    /// Order matters: the first provider with a marker present wins.
    const MARKERS: &'static [(Provider, &'static [&'static str])] = &[
        (
            Provider::Google,
            &[
                "gsmtp",
                "smtp.gmail.com",
                "support.google.com",
                "googlemail.com",
                "gmail.com",
                "google.com",
            ],
        ),
        (
            Provider::Microsoft,
            &[
                "outlook.com",
                "office365.com",
                "aka.ms/",
                "protection.outlook",
                "hotmail.",
                "live.com",
                "microsoft*",
                "exchange online",
            ],
        ),
        (
            Provider::Yahoo,
            &["yahoo.", "#auth005", "aol.com", "senderhelp.yahooinc"],
        ),
        (
            Provider::Icloud,
            &["icloud.com", "me.com", "mac.com", "apple.com"],
        ),
        (Provider::Zoho, &["zoho."]),
        (Provider::Proton, &["proton*", "127.0.0.1:1025"]),
        (Provider::Yandex, &["yandex."]),
        (Provider::Tencent, &["qq.com", "exmail.qq", "mail.qq"]),
        (
            Provider::NetEase,
            &["163.com", "126.com", "netease", "yeah.net"],
        ),
        (
            Provider::AmazonSes,
            &["amazonaws.com", "amazonses", "amazon ses", "email-smtp."],
        ),
        (Provider::SendGrid, &["sendgrid"]),
        (Provider::Mailgun, &["mailgun"]),
        (Provider::Brevo, &["brevo", "sendinblue"]),
        (Provider::Fastmail, &["fastmail", "messagingengine.com"]),
        (Provider::Gmx, &["gmx.", "web.de", "mail.com"]),
    ];

    /// The provider whose markers occur in `lower` (already lower-cased),
    /// on word boundaries (`mail.com` is not inside `company-email.com`).
    pub fn detect(lower: &str) -> Option<Provider> {
        static T: std::sync::OnceLock<PhraseTable> = std::sync::OnceLock::new();
        let table = T.get_or_init(|| {
            PhraseTable::new(Self::MARKERS.iter().flat_map(|(_, m)| m.iter().copied()))
        });
        let found = table.scan(lower);
        Self::MARKERS
            .iter()
            .find(|(_, markers)| markers.iter().any(|m| table.found(&found, m)))
            .map(|(p, _)| *p)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_stable_markers() {
        assert_eq!(
            Provider::detect("535 5.7.8 ... - gsmtp"),
            Some(Provider::Google)
        );
        assert_eq!(
            Provider::detect("[mn2pr05ca0004.namprd05.prod.outlook.com]"),
            Some(Provider::Microsoft)
        );
        assert_eq!(
            Provider::detect("535 5.7.0 (#auth005) too many bad auth attempts."),
            Some(Provider::Yahoo)
        );
        assert_eq!(
            Provider::detect("535 5.7.8 error: authentication failed"),
            None
        );
    }
}
