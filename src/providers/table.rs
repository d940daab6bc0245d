//! The provider knowledge base, as data: one entry per [`Provider`], with
//! the marker phrases that recognise its replies and host names, and its
//! submission services (domains, MX patterns, host, ports and TLS, user-name
//! form, app-password and OAuth policy with dates, help pages).
//!
//! To add a provider quirk, edit its entry here; discovery (the candidate
//! endpoints), `--host` checks, the probe's user-name judgement and the rules'
//! provider key all read this table, and `providers::tests` checks it is
//! consistent. `checked` is a review date: the build machine has no internet,
//! so an entry dated here was written from the cited page as the reviewer knew
//! it, not fetched on that day. Re-verify when a provider moves.

use super::{AppPassword, Known, OAuth, Policy, Provider, Service, UserName};
use crate::endpoint::TlsMode::{Implicit as I, StartTls as S};

const PASSWORD: &[&str] = &["PLAIN", "LOGIN"];

/// Placeholder fields of a service entry, so each entry lists only what it says.
const BLANK: Service = Service {
    name: "",
    domains: &[],
    mx_suffixes: &[],
    inbound: &[],
    host_patterns: &[],
    host: "",
    port: 587,
    tls: S,
    alt: &[],
    mechanisms: PASSWORD,
    user: UserName::FullAddress,
    user_form: "the full address",
    app_password: AppPassword::No,
    oauth: OAuth::No,
    policies: &[],
    auth_note: "",
    help: &[],
    checked: "2026-11-25",
};

pub(super) static PROVIDERS: &[Known] = &[
    Known {
        provider: Provider::Google,
        markers: &[
            "gsmtp",
            "smtp.gmail.com",
            "support.google.com",
            "googlemail.com",
            "gmail.com",
            "google.com",
        ],
        services: &[Service {
            name: "Gmail / Google Workspace",
            domains: &["gmail.com", "googlemail.com"],
            mx_suffixes: &["google.com", "googlemail.com"],
            inbound: &["aspmx.l.google.com", "aspmx.googlemail.com", "smtp.google.com"],
            host_patterns: &["smtp.gmail.com", "smtp.googlemail.com"],
            host: "smtp.gmail.com",
            port: 587,
            tls: S,
            alt: &[(465, I)],
            mechanisms: &["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"],
            app_password: AppPassword::With2StepVerification,
            oauth: OAuth::Offered,
            policies: &[
                Policy {
                    what: "personal accounts no longer sign in to third-party apps with the account password (\"less secure apps\"): an app password (with 2-Step Verification) or OAuth",
                    since: "2022-05-30",
                    source: "https://support.google.com/accounts/answer/6010255",
                },
                Policy {
                    what: "Google Workspace accounts: the password sign-in of third-party apps is turned off; an app password or OAuth",
                    since: "2024-09-30",
                    source: "https://support.google.com/accounts/answer/6010255",
                },
            ],
            auth_note: "with 2-Step Verification an app password is needed; Workspace admins may allow only OAuth (XOAUTH2)",
            help: &["https://support.google.com/mail/answer/7126229"],
            ..BLANK
        }],
    },
    Known {
        provider: Provider::Microsoft,
        markers: &[
            "outlook.com",
            "office365.com",
            "aka.ms/",
            "protection.outlook",
            "hotmail.",
            "live.com",
            "msn.com",
            "microsoft*",
            "exchange online",
        ],
        services: &[
            Service {
                name: "Microsoft 365 (Exchange Online)",
                mx_suffixes: &["mail.protection.outlook.com"],
                inbound: &["mail.protection.outlook.com"],
                host_patterns: &["smtp.office365.com"],
                host: "smtp.office365.com",
                port: 587,
                tls: S,
                mechanisms: &["LOGIN", "XOAUTH2"],
                user_form: "the full address (user principal name)",
                oauth: OAuth::Offered,
                policies: &[Policy {
                    what: "SMTP AUTH with basic authentication is being retired: off by default for existing tenants after December 2026 (Message Center MC786329)",
                    since: "2026-12-31",
                    source: "https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/deprecation-of-basic-authentication-exchange-online",
                }],
                auth_note: "SMTP AUTH must be enabled for the tenant and mailbox; basic auth is being retired, OAuth (XOAUTH2) is the lasting way",
                help: &["https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/how-to-set-up-a-multifunction-device-or-application-to-send-email-using-microsoft-365-or-office-365"],
                ..BLANK
            },
            Service {
                name: "Outlook.com / Hotmail",
                // `hotmail.*`: hotmail. and a country suffix (hotmail.co.uk, hotmail.fr).
                domains: &["outlook.com", "outlook.*", "hotmail.*", "live.*", "msn.com", "passport.com"],
                mx_suffixes: &["olc.protection.outlook.com"],
                inbound: &["olc.protection.outlook.com"],
                host_patterns: &["smtp-mail.outlook.com", "smtp.live.com"],
                host: "smtp-mail.outlook.com",
                port: 587,
                tls: S,
                mechanisms: &["LOGIN", "XOAUTH2"],
                oauth: OAuth::Only,
                policies: &[Policy {
                    what: "personal accounts: passwords are no longer accepted by third-party mail apps, only OAuth (modern authentication)",
                    since: "2024-09-16",
                    source: "https://support.microsoft.com/en-us/office/modern-authentication-methods-now-needed-to-continue-syncing-outlook-email-in-non-microsoft-email-apps-c5d65390-9676-4763-b41f-d7986499a90d",
                }],
                auth_note: "password logins are retired for personal accounts: OAuth (XOAUTH2) only",
                help: &["https://support.microsoft.com/en-us/office/pop-imap-and-smtp-settings-for-outlook-com-d088b986-291d-42b8-9564-9c414e2aa040"],
                ..BLANK
            },
        ],
    },
    Known {
        provider: Provider::Yahoo,
        markers: &["yahoo.", "#auth005", "aol.com", "senderhelp.yahooinc"],
        services: &[
            Service {
                name: "Yahoo Mail",
                domains: &["yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de"],
                mx_suffixes: &["yahoodns.net"],
                inbound: &["yahoodns.net"],
                host_patterns: &["smtp.mail.yahoo.com", "smtp.mail.yahoo.*"],
                host: "smtp.mail.yahoo.com",
                port: 465,
                tls: I,
                alt: &[(587, S)],
                mechanisms: &["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"],
                app_password: AppPassword::Required,
                oauth: OAuth::Offered,
                auth_note: "third-party clients need an app password (Account security → Generate app password)",
                help: &["https://help.yahoo.com/kb/SLN4724.html"],
                ..BLANK
            },
            Service {
                name: "AOL Mail",
                domains: &["aol.com"],
                host_patterns: &["smtp.aol.com"],
                host: "smtp.aol.com",
                port: 465,
                tls: I,
                alt: &[(587, S)],
                mechanisms: &["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"],
                app_password: AppPassword::Required,
                oauth: OAuth::Offered,
                auth_note: "third-party clients need an app password",
                help: &["https://help.aol.com/articles/how-do-i-use-other-email-applications-to-send-and-receive-my-aol-mail"],
                ..BLANK
            },
        ],
    },
    Known {
        provider: Provider::Icloud,
        markers: &["icloud.com", "me.com", "mac.com", "apple.com"],
        services: &[Service {
            name: "iCloud Mail",
            domains: &["icloud.com", "me.com", "mac.com"],
            mx_suffixes: &["mail.icloud.com"],
            inbound: &["mail.icloud.com"],
            host_patterns: &["smtp.mail.me.com"],
            host: "smtp.mail.me.com",
            port: 587,
            tls: S,
            user: UserName::AddressOrLocalPart,
            user_form: "the full iCloud address (for custom domains: the Apple Account's iCloud address)",
            app_password: AppPassword::Required,
            auth_note: "an app-specific password is required (appleid.apple.com)",
            help: &["https://support.apple.com/en-us/102525"],
            ..BLANK
        }],
    },
    Known {
        provider: Provider::Zoho,
        markers: &["zoho."],
        services: &[
            Service {
                name: "Zoho Mail",
                domains: &["zoho.com", "zohomail.com"],
                mx_suffixes: &["zoho.com"],
                host_patterns: &["smtp.zoho.com", "smtppro.zoho.com"],
                host: "smtp.zoho.com",
                port: 465,
                tls: I,
                alt: &[(587, S)],
                app_password: AppPassword::With2StepVerification,
                auth_note: "with two-factor authentication an application-specific password is needed; custom domains use smtppro.zoho.com",
                help: &["https://www.zoho.com/mail/help/zoho-smtp.html"],
                ..BLANK
            },
            Service {
                name: "Zoho Mail (EU)",
                domains: &["zohomail.eu"],
                mx_suffixes: &["zoho.eu"],
                host_patterns: &["smtp.zoho.eu", "smtppro.zoho.eu"],
                host: "smtp.zoho.eu",
                port: 465,
                tls: I,
                alt: &[(587, S)],
                app_password: AppPassword::With2StepVerification,
                auth_note: "with two-factor authentication an application-specific password is needed",
                help: &["https://www.zoho.com/mail/help/zoho-smtp.html"],
                ..BLANK
            },
        ],
    },
    Known {
        provider: Provider::Proton,
        markers: &["proton*", "127.0.0.1:1025"],
        services: &[Service {
            name: "Proton Mail Bridge",
            domains: &["proton.me", "protonmail.com", "protonmail.ch", "pm.me"],
            mx_suffixes: &["protonmail.ch"],
            inbound: &["protonmail.ch"],
            host_patterns: &[],
            host: "127.0.0.1",
            port: 1025,
            tls: S,
            user: UserName::Issued,
            user_form: "the address as shown in Bridge",
            app_password: AppPassword::Required,
            auth_note: "Proton has no public SMTP server for personal plans: run Proton Mail Bridge and use the password Bridge shows (not the account password)",
            help: &["https://proton.me/support/protonmail-bridge-clients"],
            ..BLANK
        }],
    },
    Known {
        provider: Provider::Yandex,
        markers: &["yandex."],
        services: &[Service {
            name: "Yandex Mail",
            domains: &["yandex.com", "yandex.ru", "ya.ru"],
            mx_suffixes: &["yandex.net", "yandex.ru"],
            host_patterns: &["smtp.yandex.com", "smtp.yandex.ru"],
            host: "smtp.yandex.com",
            port: 465,
            tls: I,
            alt: &[(587, S)],
            mechanisms: &["PLAIN", "LOGIN", "XOAUTH2"],
            user: UserName::AddressOrLocalPart,
            app_password: AppPassword::Required,
            oauth: OAuth::Offered,
            auth_note: "an app password is required for mail clients",
            help: &["https://yandex.com/support/mail/mail-clients/others.html"],
            ..BLANK
        }],
    },
    Known {
        provider: Provider::Tencent,
        markers: &["qq.com", "exmail.qq", "mail.qq"],
        services: &[Service {
            name: "QQ Mail",
            domains: &["qq.com", "foxmail.com"],
            mx_suffixes: &["qq.com"],
            host_patterns: &["smtp.qq.com"],
            host: "smtp.qq.com",
            port: 465,
            tls: I,
            alt: &[(587, S)],
            app_password: AppPassword::Required,
            auth_note: "SMTP must be switched on in the QQ Mail settings; the password is the authorization code (授权码) shown there",
            help: &["https://service.mail.qq.com/detail/0/75"],
            ..BLANK
        }],
    },
    Known {
        provider: Provider::NetEase,
        markers: &["163.com", "126.com", "netease", "yeah.net"],
        services: &[Service {
            name: "NetEase Mail (163/126)",
            domains: &["163.com", "126.com", "yeah.net"],
            mx_suffixes: &["netease.com", "163.com"],
            host_patterns: &["smtp.163.com", "smtp.126.com", "smtp.yeah.net"],
            host: "smtp.163.com",
            port: 465,
            tls: I,
            app_password: AppPassword::Required,
            auth_note: "SMTP must be switched on in the mailbox settings; the password is the client authorization code (授权码)",
            help: &["https://help.mail.163.com/faqDetail.do?code=d7a5dc8471cd0c0e8b4b8f4f8e49998b374173cfe9171305fa1ce630d7f67ac2"],
            ..BLANK
        }],
    },
    Known {
        provider: Provider::AmazonSes,
        markers: &["amazonaws.com", "amazonses", "amazon ses", "email-smtp."],
        services: &[Service {
            name: "Amazon SES",
            host_patterns: &["email-smtp.*.amazonaws.com"],
            host: "email-smtp.us-east-1.amazonaws.com",
            port: 587,
            tls: S,
            alt: &[(25, S), (2587, S), (465, I), (2465, I)],
            user: UserName::Issued,
            user_form: "the SMTP user name from the SES console (not an IAM access key id)",
            auth_note: "SMTP credentials are derived per region; the host names the region (email-smtp.<region>.amazonaws.com)",
            help: &["https://docs.aws.amazon.com/ses/latest/dg/smtp-connect.html"],
            ..BLANK
        }],
    },
    Known {
        provider: Provider::SendGrid,
        markers: &["sendgrid"],
        services: &[Service {
            name: "SendGrid",
            host_patterns: &["smtp.sendgrid.net"],
            host: "smtp.sendgrid.net",
            port: 587,
            tls: S,
            alt: &[(25, S), (2525, S), (465, I)],
            user: UserName::Fixed("apikey"),
            user_form: "the literal user name `apikey`",
            auth_note: "the password is an API key with Mail Send permission",
            help: &["https://www.twilio.com/docs/sendgrid/for-developers/sending-email/integrating-with-the-smtp-api"],
            ..BLANK
        }],
    },
    Known {
        provider: Provider::Mailgun,
        markers: &["mailgun"],
        services: &[Service {
            name: "Mailgun",
            host_patterns: &["smtp.mailgun.org", "smtp.eu.mailgun.org"],
            host: "smtp.mailgun.org",
            port: 587,
            tls: S,
            alt: &[(25, S), (2525, S), (465, I)],
            user: UserName::Issued,
            user_form: "the domain's SMTP login (e.g. postmaster@mg.example.com)",
            auth_note: "EU domains use smtp.eu.mailgun.org; the password is the domain's SMTP password",
            help: &["https://documentation.mailgun.com/docs/mailgun/user-manual/sending-messages/send-smtp"],
            ..BLANK
        }],
    },
    Known {
        provider: Provider::Brevo,
        markers: &["brevo", "sendinblue"],
        services: &[Service {
            name: "Brevo",
            host_patterns: &["smtp-relay.brevo.com", "smtp-relay.sendinblue.com"],
            host: "smtp-relay.brevo.com",
            port: 587,
            tls: S,
            alt: &[(2525, S), (465, I)],
            user: UserName::Issued,
            user_form: "the SMTP login shown in Brevo's SMTP & API settings",
            auth_note: "the password is an SMTP key, not the account password",
            help: &["https://help.brevo.com/hc/en-us/articles/7924908994450"],
            ..BLANK
        }],
    },
    Known {
        provider: Provider::Postmark,
        markers: &["postmarkapp"],
        services: &[Service {
            name: "Postmark",
            host_patterns: &["smtp.postmarkapp.com", "smtp-broadcasts.postmarkapp.com"],
            host: "smtp.postmarkapp.com",
            port: 587,
            tls: S,
            alt: &[(25, S), (2525, S)],
            mechanisms: &["PLAIN", "LOGIN", "CRAM-MD5"],
            user: UserName::Issued,
            user_form: "the server API token (also the password)",
            auth_note: "user name and password are both the server API token (or an SMTP token's access key and secret)",
            help: &["https://postmarkapp.com/developer/user-guide/send-email-with-smtp"],
            ..BLANK
        }],
    },
    Known {
        provider: Provider::Resend,
        // Not the bare word: "please resend your message" is Gmail's.
        markers: &["smtp.resend.com", "resend.com"],
        services: &[Service {
            name: "Resend",
            host_patterns: &["smtp.resend.com"],
            host: "smtp.resend.com",
            port: 465,
            tls: I,
            alt: &[(587, S), (2465, I), (2587, S), (25, S)],
            user: UserName::Fixed("resend"),
            user_form: "the literal user name `resend`",
            auth_note: "the password is an API key (re_…)",
            help: &["https://resend.com/docs/send-with-smtp"],
            ..BLANK
        }],
    },
    Known {
        provider: Provider::Fastmail,
        markers: &["fastmail", "messagingengine.com"],
        services: &[Service {
            name: "Fastmail",
            domains: &["fastmail.com", "fastmail.fm"],
            mx_suffixes: &["messagingengine.com"],
            inbound: &["messagingengine.com"],
            host_patterns: &["smtp.fastmail.com"],
            host: "smtp.fastmail.com",
            port: 465,
            tls: I,
            alt: &[(587, S)],
            user_form: "the full Fastmail login address",
            app_password: AppPassword::Required,
            auth_note: "an app password is required for SMTP",
            help: &["https://www.fastmail.help/hc/en-us/articles/1500000278342"],
            ..BLANK
        }],
    },
    Known {
        provider: Provider::Gmx,
        markers: &["gmx.", "web.de", "mail.com"],
        services: &[
            Service {
                name: "GMX",
                domains: &["gmx.com", "gmx.net", "gmx.de", "gmx.at", "gmx.ch"],
                mx_suffixes: &["gmx.net"],
                host_patterns: &["mail.gmx.net", "mail.gmx.com"],
                host: "mail.gmx.net",
                port: 587,
                tls: S,
                alt: &[(465, I)],
                auth_note: "POP3/IMAP/SMTP access must be switched on in the GMX settings",
                help: &["https://support.gmx.com/pop-imap/imap/outlook.html"],
                ..BLANK
            },
            Service {
                name: "Web.de",
                domains: &["web.de"],
                mx_suffixes: &["web.de"],
                host_patterns: &["smtp.web.de"],
                host: "smtp.web.de",
                port: 587,
                tls: S,
                auth_note: "POP3/IMAP/SMTP access must be switched on in the WEB.DE settings",
                help: &["https://hilfe.web.de/pop-imap/imap/imap-serverdaten.html"],
                ..BLANK
            },
            Service {
                name: "mail.com",
                domains: &["mail.com", "email.com", "usa.com"],
                host_patterns: &["smtp.mail.com"],
                host: "smtp.mail.com",
                port: 587,
                tls: S,
                alt: &[(465, I)],
                auth_note: "POP3/IMAP/SMTP access must be switched on in the mail.com settings (premium feature in some regions)",
                help: &["https://support.mail.com/pop-imap/imap/server-data.html"],
                ..BLANK
            },
        ],
    },
];
