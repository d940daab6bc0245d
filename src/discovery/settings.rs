//! What to type where: a discovered candidate and the provider knowledge
//! base turned into the settings a person enters in a mail client (server,
//! port, security in the dialogs' words, user name, which password).
//!
//! Pure: it reads a finished [`Discovery`]; `render::settings` writes it
//! with the sections for Gmail "Send mail as", Outlook, Thunderbird and
//! Apple Mail.

use super::{Candidate, Discovery};
use crate::endpoint::TlsMode;
use crate::providers::{self, AppPassword, OAuth, Service, UserName};

/// The settings for one address.
#[derive(Debug, Clone)]
pub(crate) struct Advice {
    pub(crate) address: String,
    /// The candidate the settings come from (`None`: nothing found).
    pub(crate) candidate: Option<Candidate>,
    /// The provider's entry, when the address or host is a known one.
    pub(crate) service: Option<&'static Service>,
    /// "SSL/TLS" or "STARTTLS" (the dialogs' words).
    pub(crate) security: &'static str,
    /// What to type as user name, in words and literally.
    pub(crate) user_name: String,
    /// Which password.
    pub(crate) password: String,
    /// Passwords are refused: only OAuth sign-in works.
    pub(crate) oauth_only: bool,
    /// The other candidates, for when the first does not work.
    pub(crate) others: Vec<Candidate>,
}

/// The words mail-client dialogs use for a TLS mode.
pub(crate) fn security_words(tls: TlsMode) -> &'static str {
    match tls {
        TlsMode::Implicit => "SSL/TLS",
        TlsMode::StartTls => "STARTTLS",
        TlsMode::None => "None",
    }
}

/// The settings for `address` from its discovery.
pub(crate) fn advise(address: &str, d: &Discovery) -> Advice {
    let candidate = d.candidates.first().cloned();
    let service = providers::lookup(&d.domain)
        .or_else(|| {
            candidate
                .as_ref()
                .and_then(|c| providers::by_host(&c.endpoint.host))
        })
        .map(|(_, s)| s);
    let security = candidate
        .as_ref()
        .map_or("STARTTLS", |c| security_words(c.endpoint.tls));
    let hinted = candidate.as_ref().and_then(|c| c.hints.username.clone());
    let user_name = match (service.map(|s| s.user), hinted) {
        (Some(UserName::Fixed(u)), _) => {
            format!("{u} (literally: {})", service.map_or("", |s| s.user_form))
        }
        (Some(UserName::FullAddress), _) => format!("{address} (the full address)"),
        (Some(UserName::AddressOrLocalPart), _) => {
            format!("{address} (the full address; the part before @ works too)")
        }
        (Some(UserName::Issued), _) => service.map_or(String::new(), |s| s.user_form.to_string()),
        (None, Some(u)) if u == address => {
            format!("{address} (the full address, as the settings file says)")
        }
        (None, Some(u)) => format!("{u} (as the settings file says)"),
        (None, None) => format!("{address} (the full address: what most servers want)"),
    };
    let auth = candidate
        .as_ref()
        .map(|c| c.hints.authentication.clone())
        .unwrap_or_default();
    let oauth_only = service.is_some_and(|s| s.oauth == OAuth::Only)
        || (!auth.is_empty() && auth.iter().all(|a| a.eq_ignore_ascii_case("OAuth2")));
    let password = match service {
        Some(s) if s.oauth == OAuth::Only => {
            let since = s
                .policies
                .first()
                .map(|p| format!(" since {}", p.since))
                .unwrap_or_default();
            format!(
                "none: {} accepts only OAuth sign-in{since} (choose OAuth2 / \"Sign in with Microsoft\"; a password is refused)",
                s.name
            )
        }
        Some(s) => match s.app_password {
            AppPassword::Required => {
                format!("an app password, not the account password: {}", s.auth_note)
            }
            AppPassword::With2StepVerification => format!(
                "the account password, or an app password when 2-step verification is on ({})",
                s.auth_note
            ),
            AppPassword::No => format!("the account password ({})", s.auth_note),
        },
        None if oauth_only => "none: the settings file offers only OAuth2 sign-in".into(),
        None if auth.iter().any(|a| a == "password-encrypted") => {
            "the account password (sent encrypted: \"Encrypted password\" / CRAM-MD5)".into()
        }
        None => "the account password (\"Normal password\"; it travels inside TLS)".into(),
    };
    Advice {
        address: address.to_string(),
        candidate,
        service,
        security,
        user_name,
        password,
        oauth_only,
        others: d.candidates.iter().skip(1).cloned().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::{Hints, Source};
    use crate::endpoint::Endpoint;

    fn discovery(domain: &str, host: &str, port: u16, tls: TlsMode, hints: Hints) -> Discovery {
        Discovery {
            domain: domain.into(),
            candidates: vec![Candidate {
                endpoint: Endpoint {
                    host: host.into(),
                    port,
                    tls,
                },
                source: Source::Autoconfig,
                detail: String::new(),
                hints,
            }],
            ..Discovery::default()
        }
    }

    #[test]
    fn outlook_personal_is_oauth_only_and_sendgrid_wants_apikey() {
        let d = discovery(
            "hotmail.com",
            "smtp-mail.outlook.com",
            587,
            TlsMode::StartTls,
            Hints::default(),
        );
        let a = advise("alice@hotmail.com", &d);
        assert!(
            a.oauth_only && a.password.contains("only OAuth") && a.password.contains("2024-09-16"),
            "{}",
            a.password
        );
        assert_eq!(a.security, "STARTTLS");
        let d = discovery(
            "example.com",
            "smtp.sendgrid.net",
            465,
            TlsMode::Implicit,
            Hints::default(),
        );
        let a = advise("alice@example.com", &d);
        assert!(a.user_name.starts_with("apikey"), "{}", a.user_name);
        assert_eq!(a.security, "SSL/TLS");
    }

    #[test]
    fn an_unknown_domain_reads_the_config_file() {
        let hints = Hints {
            username: Some("alice".into()),
            authentication: vec!["OAuth2".into()],
            ..Hints::default()
        };
        let d = discovery(
            "example.org",
            "smtp.example.org",
            465,
            TlsMode::Implicit,
            hints,
        );
        let a = advise("alice@example.org", &d);
        assert!(a.user_name.starts_with("alice (as the settings file says)"));
        assert!(a.oauth_only);
    }
}
