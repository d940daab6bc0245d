//! Dated provider policy: which providers stopped (or will stop) accepting
//! passwords for SMTP, since when, and when this text was last checked.
//!
//! The catalogue's remediation texts (`diagnose/rules.rs`) quote these dates;
//! a test below keeps them in step, so a revised timeline is changed here and
//! there together. Dates are what the provider announced; `verified` is the
//! day the text was last compared with the provider's announcement.

/// One provider decision that makes OAuth necessary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderPolicy {
    /// Stable kebab-case name.
    pub id: &'static str,
    /// Who and which accounts.
    pub scope: &'static str,
    /// What changed, in one sentence fragment.
    pub change: &'static str,
    /// When, as announced (free text: timelines are revised).
    pub effective: &'static str,
    /// The provider's announcement or documentation.
    pub source: &'static str,
    /// Day the text was last compared with the source (YYYY-MM-DD).
    pub verified: &'static str,
}

/// Microsoft 365 / Exchange Online: basic authentication for SMTP AUTH.
pub const MICROSOFT_BASIC_AUTH: ProviderPolicy = ProviderPolicy {
    id: "microsoft-smtp-basic-auth-retirement",
    scope: "Exchange Online (Microsoft 365) tenants",
    change: "SMTP AUTH with basic authentication (user name and password) is disabled by default for existing tenants",
    effective: "after December 2026 (Message Center MC786329, timeline revised January 2026)",
    source: "https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/deprecation-of-basic-authentication-exchange-online",
    verified: "2026-11-25",
};

/// Outlook.com / Hotmail / Live.com personal accounts.
pub const OUTLOOK_PERSONAL: ProviderPolicy = ProviderPolicy {
    id: "outlook-personal-basic-auth-removed",
    scope: "Outlook.com, Hotmail and Live.com personal accounts",
    change: "passwords are no longer accepted by third-party mail apps; only OAuth (modern authentication) works",
    effective: "since September 16, 2024",
    source: "https://support.microsoft.com/en-us/office/modern-authentication-methods-now-needed-to-continue-syncing-outlook-email-in-non-microsoft-email-apps-c5d65390-9676-4763-b41f-d7986499a90d",
    verified: "2026-11-25",
};

/// Google accounts: password sign-in from third-party apps ("less secure apps").
pub const GOOGLE_LESS_SECURE_APPS: ProviderPolicy = ProviderPolicy {
    id: "google-less-secure-apps-removed",
    scope: "Google accounts (Gmail and Google Workspace)",
    change: "third-party apps can no longer sign in with the account password; they need OAuth, or an app password on accounts with 2-Step Verification",
    effective: "personal accounts since May 30, 2022; Google Workspace accounts since the turn-off that began September 30, 2024",
    source: "https://support.google.com/accounts/answer/6010255",
    verified: "2026-11-25",
};

/// Every policy, for documentation and tests.
pub const ALL: [ProviderPolicy; 3] = [
    MICROSOFT_BASIC_AUTH,
    OUTLOOK_PERSONAL,
    GOOGLE_LESS_SECURE_APPS,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::rules::RULES;

    fn remediation(id: &str) -> &'static str {
        RULES
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("rule {id} is gone from the catalogue"))
            .remediation
    }

    #[test]
    fn verified_dates_are_iso_days() {
        for p in ALL {
            let b = p.verified.as_bytes();
            assert!(
                b.len() == 10 && b[4] == b'-' && b[7] == b'-',
                "{}: {}",
                p.id,
                p.verified
            );
        }
    }

    #[test]
    fn basic_auth_diagnosis_quotes_the_dated_policy() {
        let text = remediation("microsoft-basic-auth-disabled");
        for needle in [
            "December 2026",
            "MC786329",
            "revised January 2026",
            MICROSOFT_BASIC_AUTH.verified,
            "OAuth",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in: {text}");
        }
    }

    #[test]
    fn outlook_and_google_diagnoses_are_dated() {
        assert!(remediation("oauth-only-server").contains("September 16, 2024"));
        assert!(remediation("gmail-bad-credentials").contains("May 30, 2022"));
    }
}
