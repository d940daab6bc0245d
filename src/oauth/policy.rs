//! Dated provider policy: which providers stopped (or will stop) accepting
//! passwords for SMTP, since when, and when this text was last checked.
//!
//! The catalogue's remediation texts (`diagnose/rules.rs`) quote these dates.
//! Each policy names its key `date` and the rules that quote it
//! (`quoted_by`); the test below checks every such rule against this table
//! (not against a copy of the words), so a revised timeline changed here
//! fails until the rules say the same. Dates are what the provider announced;
//! `verified` is the day the text was last compared with the announcement.

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
    /// The date every rule in `quoted_by` must quote, word for word.
    pub date: &'static str,
    /// Ids of the catalogue rules whose remediation quotes `date`.
    pub quoted_by: &'static [&'static str],
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
    date: "December 2026",
    quoted_by: &["microsoft-basic-auth-disabled"],
    source: "https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/deprecation-of-basic-authentication-exchange-online",
    verified: "2026-11-25",
};

/// Outlook.com / Hotmail / Live.com personal accounts.
pub const OUTLOOK_PERSONAL: ProviderPolicy = ProviderPolicy {
    id: "outlook-personal-basic-auth-removed",
    scope: "Outlook.com, Hotmail and Live.com personal accounts",
    change: "passwords are no longer accepted by third-party mail apps; only OAuth (modern authentication) works",
    effective: "since September 16, 2024",
    date: "September 16, 2024",
    quoted_by: &["oauth-only-server"],
    source: "https://support.microsoft.com/en-us/office/modern-authentication-methods-now-needed-to-continue-syncing-outlook-email-in-non-microsoft-email-apps-c5d65390-9676-4763-b41f-d7986499a90d",
    verified: "2026-11-25",
};

/// Google accounts: password sign-in from third-party apps ("less secure apps").
pub const GOOGLE_LESS_SECURE_APPS: ProviderPolicy = ProviderPolicy {
    id: "google-less-secure-apps-removed",
    scope: "Google accounts (Gmail and Google Workspace)",
    change: "third-party apps can no longer sign in with the account password; they need OAuth, or an app password on accounts with 2-Step Verification",
    effective: "personal accounts since May 30, 2022; Google Workspace accounts since the turn-off that began September 30, 2024",
    date: "May 30, 2022",
    quoted_by: &["gmail-bad-credentials"],
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

    #[test]
    fn verified_dates_are_real_days() {
        for p in ALL {
            let parts: Vec<u32> = p
                .verified
                .split('-')
                .map(|n| n.parse().unwrap_or(0))
                .collect();
            assert!(
                p.verified.len() == 10
                    && matches!(parts[..], [y, m, d] if y >= 2020 && (1..=12).contains(&m) && (1..=31).contains(&d)),
                "{}: verified {:?} is not a YYYY-MM-DD day",
                p.id,
                p.verified
            );
        }
    }

    #[test]
    fn every_quoting_rule_says_what_the_policy_says() {
        for p in ALL {
            assert!(!p.quoted_by.is_empty(), "{}: quoted by no rule", p.id);
            assert!(
                p.effective.contains(p.date),
                "{}: date {:?} is not in {:?}",
                p.id,
                p.date,
                p.effective
            );
            for id in p.quoted_by {
                let rule = RULES
                    .iter()
                    .find(|r| r.id == *id)
                    .unwrap_or_else(|| panic!("{}: rule {id} is gone from the catalogue", p.id));
                assert!(
                    rule.remediation.contains(p.date),
                    "{}: rule {id} does not quote {:?}: {}",
                    p.id,
                    p.date,
                    rule.remediation
                );
            }
        }
    }

    #[test]
    fn the_basic_auth_rule_names_the_announcement_and_the_day_it_was_checked() {
        // The Microsoft timeline moved twice; its rule says which notice it
        // follows and when that was checked, from this table.
        let rule = RULES
            .iter()
            .find(|r| r.id == MICROSOFT_BASIC_AUTH.quoted_by[0])
            .expect("rule");
        let notice = MICROSOFT_BASIC_AUTH
            .effective
            .split_whitespace()
            .find(|w| w.starts_with("MC"))
            .expect("a Message Center id");
        assert!(rule.remediation.contains(notice), "{}", rule.remediation);
        assert!(
            rule.remediation.contains(MICROSOFT_BASIC_AUTH.verified),
            "{}",
            rule.remediation
        );
    }
}
