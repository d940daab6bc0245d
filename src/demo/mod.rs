//! `smtp-doctor demo`: the real check against built-in loopback servers.
//!
//! Each scenario starts a small SMTP server on 127.0.0.1 that replays the wire
//! text of a real provider reply (sources cited in `scenarios()`), then runs
//! the same `probe` → `observe` → `classify` path as `check`. Nothing here is
//! canned output: if the client or the rules change, the demo shows it.

mod server;

pub(crate) use server::{Script, Server};

use crate::endpoint::TlsMode;

/// One demo case.
pub(crate) struct Scenario {
    pub(crate) title: &'static str,
    /// The category the check is expected to find.
    pub(crate) expect: &'static str,
    /// How the client connects.
    pub(crate) client_tls: TlsMode,
    pub(crate) script: Script,
}

/// The password every demo account uses; the healthy server accepts it.
pub(crate) const DEMO_PASSWORD: &str = "correct horse battery staple";
pub(crate) const DEMO_USER: &str = "alice@example.com";

/// The demo scenarios, in the order they are shown.
pub(crate) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            title: "Gmail account with 2-Step Verification, logging in with the normal password",
            expect: "app-password-required",
            client_tls: TlsMode::StartTls,
            // Wire text of smtp.gmail.com (greeting/EHLO: SuiteCRM issue 4146,
            // email-oauth2-proxy issue 287; 534-5.7.9: Pi.Alert issue 236).
            script: Script {
                greeting: "smtp.gmail.com ESMTP af79cd13be357-794f3061475sm18893085a.74 - gsmtp".into(),
                ehlo_plain: vec!["SIZE 35882577".into(), "8BITMIME".into(), "STARTTLS".into(), "ENHANCEDSTATUSCODES".into(), "PIPELINING".into()],
                ehlo_tls: vec!["SIZE 35882577".into(), "8BITMIME".into(), "AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH".into(), "ENHANCEDSTATUSCODES".into(), "PIPELINING".into()],
                accept_password: None,
                auth_failure: vec![
                    "534-5.7.9 Application-specific password required. For more information, go to".into(),
                    "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor af79cd13be357-794f3061475sm18893085a.74 - gsmtp".into(),
                ],
            },
        },
        Scenario {
            title: "Microsoft 365 tenant with SMTP AUTH switched off",
            expect: "auth-disabled-by-policy",
            client_tls: TlsMode::StartTls,
            // Wire text of smtp.office365.com (email-oauth2-proxy issues 95, 142, 193;
            // nodemailer issue 1484).
            script: Script {
                greeting: "MN2PR05CA0004.outlook.office365.com Microsoft ESMTP MAIL Service ready".into(),
                ehlo_plain: vec!["SIZE 157286400".into(), "PIPELINING".into(), "DSN".into(), "ENHANCEDSTATUSCODES".into(), "STARTTLS".into(), "8BITMIME".into()],
                ehlo_tls: vec!["SIZE 157286400".into(), "PIPELINING".into(), "DSN".into(), "ENHANCEDSTATUSCODES".into(), "AUTH LOGIN XOAUTH2".into(), "8BITMIME".into()],
                accept_password: None,
                auth_failure: vec![
                    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. [MN2PR05CA0004.namprd05.prod.outlook.com]".into(),
                ],
            },
        },
        Scenario {
            title: "Port 465 settings (implicit TLS) used on a STARTTLS port",
            expect: "tls-mode-mismatch",
            client_tls: TlsMode::Implicit,
            script: healthy("mail.example.com ESMTP Postfix"),
        },
        Scenario {
            title: "A healthy submission server",
            expect: "ok",
            client_tls: TlsMode::StartTls,
            script: healthy("mail.example.com ESMTP Postfix"),
        },
    ]
}

fn healthy(greeting: &str) -> Script {
    Script {
        greeting: greeting.into(),
        ehlo_plain: vec![
            "PIPELINING".into(),
            "SIZE 10240000".into(),
            "STARTTLS".into(),
            "ENHANCEDSTATUSCODES".into(),
            "8BITMIME".into(),
        ],
        ehlo_tls: vec![
            "PIPELINING".into(),
            "SIZE 10240000".into(),
            "AUTH PLAIN LOGIN".into(),
            "ENHANCEDSTATUSCODES".into(),
            "8BITMIME".into(),
        ],
        accept_password: Some(DEMO_PASSWORD.into()),
        auth_failure: vec!["535 5.7.8 Error: authentication failed: authentication failure".into()],
    }
}
