//! The one provider knowledge base: for each provider, the marker phrases
//! that recognise it in host names and reply text, and its submission
//! services (domains, MX patterns, submission host/ports/TLS, user-name form,
//! app-password and OAuth policy with dates, help pages). The data is in
//! `table.rs`; this module answers questions about it.
//!
//! Kept short and curated (design pitfall 8): a provider is listed when its
//! replies need provider-specific advice or its settings are worth knowing.
//! Recognition is by stable markers (host names, `gsmtp`, help-page URLs) on
//! word boundaries (`crate::phrase`), never by guesswork on wording alone.
//! Discovery (`discovery`), the `--host` checks, the probe's user-name
//! judgement (`diagnose::live`) and the rules (keyed on [`Provider`]) all read
//! it, so a quirk is added in one place.

mod table;

use crate::endpoint::TlsMode;
use crate::phrase::PhraseTable;
use std::fmt;

/// A provider, as rules key on it.
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
    Postmark,
    Resend,
    Fastmail,
    Gmx,
}

/// What the AUTH user name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserName {
    /// The whole address, `alice@example.com`.
    FullAddress,
    /// The whole address, or just its local part.
    AddressOrLocalPart,
    /// Always this literal (SendGrid: `apikey`).
    Fixed(&'static str),
    /// A login the service issues (a console, an app, a token).
    Issued,
}

/// Whether a mail client needs an app password instead of the account password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppPassword {
    /// No: the account (or service) password.
    No,
    /// Only on accounts with 2-step verification.
    With2StepVerification,
    /// Always (app password, authorization code, the Bridge's password).
    Required,
}

/// Whether the service accepts OAuth (XOAUTH2 / OAUTHBEARER) for SMTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuth {
    No,
    Offered,
    /// Passwords are refused: OAuth only.
    Only,
}

/// A dated provider decision about passwords or OAuth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub what: &'static str,
    /// When it took (or takes) effect, YYYY-MM-DD.
    pub since: &'static str,
    pub source: &'static str,
}

/// One submission service of a provider.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    pub name: &'static str,
    /// Address domains served (lower-case). `hotmail.*` stands for `hotmail.`
    /// and a country suffix of at most two short labels (`hotmail.co.uk`).
    /// Empty for services used only with `--host`.
    pub domains: &'static [&'static str],
    /// MX host suffixes that reveal this provider for a custom domain (label
    /// boundary: `google.com` matches `aspmx.l.google.com`).
    pub mx_suffixes: &'static [&'static str],
    /// Host-name suffixes of its inbound (MX) servers, which take no
    /// submission: `--host` pointing there is warned about.
    pub inbound: &'static [&'static str],
    /// Host-name patterns of the submission hosts (`*` = one label).
    pub host_patterns: &'static [&'static str],
    /// The documented submission host.
    pub host: &'static str,
    pub port: u16,
    pub tls: TlsMode,
    /// Other documented (port, TLS) pairs.
    pub alt: &'static [(u16, TlsMode)],
    /// SASL mechanisms the service accepts.
    pub mechanisms: &'static [&'static str],
    pub user: UserName,
    /// The user name in words.
    pub user_form: &'static str,
    pub app_password: AppPassword,
    pub oauth: OAuth,
    pub policies: &'static [Policy],
    /// App password / OAuth situation in words.
    pub auth_note: &'static str,
    /// Help pages, the settings page first.
    pub help: &'static [&'static str],
    /// When the entry was last reviewed against `help[0]` (YYYY-MM-DD).
    pub checked: &'static str,
}

/// One provider: its markers and services.
#[derive(Debug, Clone, Copy)]
pub struct Known {
    pub provider: Provider,
    /// Lower-case marker phrases (`crate::phrase` syntax). Order of the
    /// table matters: the first provider with a marker present wins.
    pub markers: &'static [&'static str],
    pub services: &'static [Service],
}

/// Every known provider, in detection order.
pub fn all() -> &'static [Known] {
    table::PROVIDERS
}

/// Every service of every provider, with its provider.
pub fn services() -> impl Iterator<Item = (Provider, &'static Service)> {
    all()
        .iter()
        .flat_map(|k| k.services.iter().map(move |s| (k.provider, s)))
}

impl Service {
    /// The documented help page.
    pub fn source(&self) -> &'static str {
        self.help.first().copied().unwrap_or("")
    }

    /// True when (port, tls) is one the provider documents.
    pub fn accepts(&self, port: u16, tls: TlsMode) -> bool {
        (self.port, self.tls) == (port, tls) || self.alt.contains(&(port, tls))
    }

    /// True when `host` (lower-case) matches one of the host patterns. Only
    /// patterns count, so Proton Mail Bridge's `127.0.0.1` claims no host.
    pub fn owns_host(&self, host: &str) -> bool {
        self.host_patterns.iter().any(|p| pattern_matches(p, host))
    }

    /// True when the address domain `domain` (lower-case) is one of its own.
    pub fn serves(&self, domain: &str) -> bool {
        self.domains.iter().any(|d| domain_matches(d, domain))
    }
}

/// `*` matches exactly one label; everything else literally.
fn pattern_matches(pattern: &str, host: &str) -> bool {
    let p: Vec<&str> = pattern.split('.').collect();
    let h: Vec<&str> = host.split('.').collect();
    p.len() == h.len() && p.iter().zip(&h).all(|(p, h)| *p == "*" || p == h)
}

/// `hotmail.*` matches `hotmail.` and one or two labels of at most three
/// characters (`com`, `fr`, `co.uk`): a country suffix, not `hotmail.evil.example`.
fn domain_matches(pattern: &str, domain: &str) -> bool {
    match pattern.strip_suffix('*') {
        None => pattern == domain,
        Some(prefix) => domain.strip_prefix(prefix).is_some_and(|rest| {
            let labels: Vec<&str> = rest.split('.').collect();
            labels.len() <= 2
                && labels.iter().all(|l| {
                    (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase())
                })
        }),
    }
}

/// `name` equals `suffix` or ends with `.suffix`.
pub fn under(name: &str, suffix: &str) -> bool {
    name == suffix
        || name
            .strip_suffix(suffix)
            .is_some_and(|rest| rest.ends_with('.'))
}

fn normalise(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The service of the address domain `domain`.
pub fn lookup(domain: &str) -> Option<(Provider, &'static Service)> {
    let domain = normalise(domain);
    services().find(|(_, s)| s.serves(&domain))
}

/// The service a custom domain's MX host reveals.
pub fn by_mx(exchange: &str) -> Option<(Provider, &'static Service)> {
    let exchange = normalise(exchange);
    services().find(|(_, s)| s.mx_suffixes.iter().any(|x| under(&exchange, x)))
}

/// The service whose submission hosts include `host`.
pub fn by_host(host: &str) -> Option<(Provider, &'static Service)> {
    let host = normalise(host);
    services().find(|(_, s)| s.owns_host(&host))
}

/// True when `host` is a known provider's inbound (MX) server.
pub fn is_inbound_host(host: &str) -> bool {
    let host = normalise(host);
    services().any(|(_, s)| s.inbound.iter().any(|x| under(&host, x)))
}

/// The domain of an address or user name (`None` without `@`).
fn domain_of(address_or_user: &str) -> Option<String> {
    address_or_user
        .rsplit_once('@')
        .map(|(_, d)| normalise(d.trim().trim_end_matches('>')))
        .filter(|d| !d.is_empty())
}

/// True for a personal Microsoft account (outlook.com, hotmail.*, live.*,
/// msn.com…): the domain of the address or user name is one the
/// Outlook.com service serves (not Microsoft 365, whose tenants use their
/// own domains).
pub fn personal_account(address_or_user: &str) -> bool {
    domain_of(address_or_user).is_some_and(|d| {
        lookup(&d).is_some_and(|(p, s)| p == Provider::Microsoft && s.oauth == OAuth::Only)
    })
}

/// The literal user name a provider always wants (SendGrid: `apikey`).
pub fn fixed_user_name(provider: Provider) -> Option<&'static str> {
    provider
        .known()?
        .services
        .iter()
        .find_map(|s| match s.user {
            UserName::Fixed(u) => Some(u),
            _ => None,
        })
}

/// True when every service of the provider wants the full address as user
/// name (so a user name without `@` is the likelier cause of a refusal).
pub fn wants_full_address(provider: Provider) -> bool {
    provider
        .known()
        .is_some_and(|k| k.services.iter().all(|s| s.user == UserName::FullAddress))
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
            Provider::Postmark => "postmark",
            Provider::Resend => "resend",
            Provider::Fastmail => "fastmail",
            Provider::Gmx => "gmx",
        }
    }

    /// This provider's entry of the knowledge base.
    pub fn known(self) -> Option<&'static Known> {
        all().iter().find(|k| k.provider == self)
    }

    /// The provider whose markers occur in `lower` (already lower-cased),
    /// on word boundaries (`mail.com` is not inside `company-email.com`).
    pub fn detect(lower: &str) -> Option<Provider> {
        static T: std::sync::OnceLock<PhraseTable> = std::sync::OnceLock::new();
        let table = T
            .get_or_init(|| PhraseTable::new(all().iter().flat_map(|k| k.markers.iter().copied())));
        let found = table.scan(lower);
        all()
            .iter()
            .find(|k| k.markers.iter().any(|m| table.found(&found, m)))
            .map(|k| k.provider)
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

    /// A real calendar day written YYYY-MM-DD.
    fn is_day(s: &str) -> bool {
        let parts: Vec<u32> = s.split('-').map(|n| n.parse().unwrap_or(0)).collect();
        let leap = |y: u32| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        s.len() == 10
            && matches!(parts[..], [y, m, d] if (2000..=2100).contains(&y)
                && (1..=12).contains(&m)
                && d >= 1
                && d <= [31, if leap(y) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m as usize - 1])
    }

    #[test]
    fn the_knowledge_base_is_consistent() {
        let mut providers = std::collections::HashSet::new();
        for k in all() {
            assert!(providers.insert(k.provider), "{} listed twice", k.provider);
            assert!(!k.markers.is_empty(), "{}: no markers", k.provider);
            assert!(!k.services.is_empty(), "{}: no service", k.provider);
            for s in k.services {
                let who = format!("{} / {}", k.provider, s.name);
                // Every service has a host and a user form.
                assert!(!s.name.is_empty() && !s.host.is_empty(), "{who}: no host");
                assert!(!s.user_form.is_empty() && !s.auth_note.is_empty(), "{who}");
                assert!(!s.mechanisms.is_empty(), "{who}: no mechanism");
                assert!(
                    !s.help.is_empty() && s.help.iter().all(|u| u.starts_with("https://")),
                    "{who}: help pages must be https URLs"
                );
                let loopback = s.host.parse::<std::net::IpAddr>().is_ok();
                assert!(
                    loopback || s.owns_host(s.host),
                    "{who}: host not in its patterns"
                );
                // The host is recognised as this provider, by markers and by table.
                if !loopback {
                    assert_eq!(
                        Provider::detect(s.host),
                        Some(k.provider),
                        "{who}: {}",
                        s.host
                    );
                    assert_eq!(by_host(s.host).map(|(p, _)| p), Some(k.provider), "{who}");
                }
                // Dates parse.
                assert!(is_day(s.checked), "{who}: checked {:?}", s.checked);
                for p in s.policies {
                    assert!(is_day(p.since), "{who}: policy date {:?}", p.since);
                    assert!(
                        p.source.starts_with("https://") && !p.what.is_empty(),
                        "{who}"
                    );
                }
                // The user form and the OAuth policy agree with the words.
                if let UserName::Fixed(u) = s.user {
                    assert!(
                        s.user_form.contains(u),
                        "{who}: user form does not name {u}"
                    );
                }
                if s.oauth == OAuth::Only {
                    assert!(s.mechanisms.iter().any(|m| m.contains("OAUTH")), "{who}");
                    assert!(!s.policies.is_empty(), "{who}: OAuth only since when?");
                }
                for d in s.domains {
                    assert_eq!(*d, d.to_ascii_lowercase(), "{who}");
                }
            }
        }
        // The rules' key covers every provider with an entry.
        assert_eq!(providers.len(), 17);
    }

    #[test]
    fn every_domain_maps_to_one_provider() {
        for (p, s) in services() {
            for d in s.domains {
                let d = d.replace('*', "com");
                let owners: Vec<&str> = services()
                    .filter(|(_, o)| o.serves(&d))
                    .map(|(_, o)| o.name)
                    .collect();
                assert_eq!(owners, [s.name], "{d} is served by {owners:?}");
                // Markers never name another provider for a domain.
                let seen = Provider::detect(&d);
                assert!(
                    seen.is_none() || seen == Some(p),
                    "{d}: detected as {seen:?}"
                );
            }
            for mx in s.mx_suffixes {
                assert_eq!(
                    by_mx(&format!("mx1.{mx}")).map(|(_, o)| o.name),
                    Some(s.name),
                    "{mx}"
                );
            }
        }
    }

    #[test]
    fn markers_do_not_overlap() {
        let mut seen = std::collections::HashMap::new();
        for k in all() {
            for m in k.markers {
                assert_eq!(*m, m.to_lowercase(), "{m}");
                if let Some(other) = seen.insert(*m, k.provider) {
                    panic!("marker {m:?} belongs to {other} and {}", k.provider);
                }
                // A marker, read alone, names its own provider: no earlier
                // provider's marker hides inside it.
                let text = m.trim_matches('*');
                assert_eq!(Provider::detect(text), Some(k.provider), "marker {m:?}");
            }
        }
    }

    #[test]
    fn lookups_by_domain_mx_and_host() {
        let name = |r: Option<(Provider, &Service)>| r.map(|(_, s)| s.name);
        assert_eq!(name(lookup("GMAIL.com.")), Some("Gmail / Google Workspace"));
        assert_eq!(name(lookup("hotmail.co.uk")), Some("Outlook.com / Hotmail"));
        assert_eq!(name(lookup("hotmail.example.org")), None);
        assert_eq!(
            name(by_mx("aspmx.l.google.com")),
            Some("Gmail / Google Workspace")
        );
        assert_eq!(
            name(by_mx("smtp.google.com")),
            Some("Gmail / Google Workspace")
        );
        assert_eq!(
            name(by_mx("contoso-com.mail.protection.outlook.com")),
            Some("Microsoft 365 (Exchange Online)")
        );
        assert_eq!(
            name(by_mx("in1-smtp.messagingengine.com")),
            Some("Fastmail")
        );
        assert_eq!(name(by_mx("mx.zoho.eu")), Some("Zoho Mail (EU)"));
        assert_eq!(name(by_mx("notgoogle.com")), None);
        assert_eq!(name(by_mx("mx.example.com")), None);
        assert_eq!(
            name(by_host("email-smtp.eu-west-1.amazonaws.com")),
            Some("Amazon SES")
        );
        assert!(by_host("email-smtp.amazonaws.com").is_none());
        let gmail = by_host("smtp.gmail.com").unwrap().1;
        assert!(gmail.accepts(465, TlsMode::Implicit));
        assert!(!gmail.accepts(25, TlsMode::StartTls));
        assert!(is_inbound_host("alt1.aspmx.l.google.com"));
        assert!(!is_inbound_host("smtp.gmail.com"));
    }

    #[test]
    fn personal_microsoft_accounts() {
        for a in [
            "alice@outlook.com",
            "alice@hotmail.com",
            "Alice@Hotmail.co.uk",
            "alice@live.fr",
            "alice@msn.com",
            "<alice@outlook.de>",
        ] {
            assert!(personal_account(a), "{a}");
        }
        for a in [
            "alice@contoso.com",
            "alice@gmail.com",
            "alice",
            "outlook.com",
            "alice@live.example.org",
            "alice@hotmail.evil.example",
            "",
        ] {
            assert!(!personal_account(a), "{a}");
        }
    }

    #[test]
    fn fixed_user_names_and_full_address_providers() {
        assert_eq!(fixed_user_name(Provider::SendGrid), Some("apikey"));
        assert_eq!(fixed_user_name(Provider::Resend), Some("resend"));
        assert_eq!(fixed_user_name(Provider::Google), None);
        assert_eq!(fixed_user_name(Provider::Mailgun), None);
        for p in [
            Provider::Google,
            Provider::Microsoft,
            Provider::Yahoo,
            Provider::Zoho,
            Provider::Fastmail,
            Provider::Gmx,
        ] {
            assert!(wants_full_address(p), "{p}");
        }
        for p in [
            Provider::Icloud,
            Provider::SendGrid,
            Provider::Proton,
            Provider::AmazonSes,
        ] {
            assert!(!wants_full_address(p), "{p}");
        }
    }
}
