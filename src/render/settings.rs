//! `smtp-doctor settings ADDRESS`: what to type where, in the words of the
//! dialogs (Gmail "Send mail as", Outlook, Thunderbird, Apple Mail).

use crate::discovery::settings::{security_words, Advice};
use crate::endpoint::TlsMode;
use std::io::{self, Write};

/// Writes the settings as text.
pub(crate) fn render(a: &Advice, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "Outgoing mail (SMTP) settings for {}", a.address)?;
    let Some(c) = &a.candidate else {
        writeln!(
            out,
            "  nothing found: no provider entry, settings file, SRV record or MX; ask the provider"
        )?;
        return Ok(());
    };
    let (host, port) = (&c.endpoint.host, c.endpoint.port);
    writeln!(out)?;
    writeln!(out, "  Server:     {host}")?;
    writeln!(out, "  Port:       {port}")?;
    writeln!(out, "  Security:   {}", a.security)?;
    writeln!(out, "  User name:  {}", a.user_name)?;
    writeln!(out, "  Password:   {}", a.password)?;
    let found = match &c.hints.url {
        Some(u) => format!("{} ({}) {u}", c.source.as_str(), c.trust().as_str()),
        None => format!(
            "{} ({}) {}",
            c.source.as_str(),
            c.trust().as_str(),
            c.detail
        ),
    };
    writeln!(out, "  Found by:   {found}")?;
    if let (Some(s), false) = (
        a.service,
        c.source == crate::discovery::Source::ProviderTable,
    ) {
        writeln!(out, "  Provider:   {} ({})", s.name, s.source())?;
    }
    if c.source == crate::discovery::Source::Guess {
        writeln!(
            out,
            "  Note:       a guess; nothing said so (check it: smtp-doctor check {})",
            a.address
        )?;
    }
    if c.trust() == crate::discovery::Trust::Http {
        writeln!(
            out,
            "  Note:       found over plain HTTP: anyone on the way could have changed it"
        )?;
    }
    // The literal user name, without the words around it.
    let user = a.user_name.split(" (").next().unwrap_or("");
    let auth_word = if a.oauth_only {
        "OAuth2"
    } else {
        "Normal password"
    };
    let implicit = c.endpoint.tls == TlsMode::Implicit;

    writeln!(out)?;
    writeln!(
        out,
        "Gmail \"Send mail as\" (Settings → Accounts → Add another email address):"
    )?;
    if a.oauth_only {
        writeln!(
            out,
            "  will not work: Gmail sends with a password, and this account takes only OAuth"
        )?;
    } else if !matches!(port, 25 | 465 | 587) {
        writeln!(
            out,
            "  Gmail offers only ports 25, 465 and 587; port {port} cannot be entered"
        )?;
    } else {
        writeln!(out, "  SMTP Server {host}, Port {port}, Username {user}")?;
        writeln!(
            out,
            "  Password: the other provider's {}; choose \"{}\"",
            if a.password.starts_with("an app password") {
                "app password"
            } else {
                "password"
            },
            if implicit {
                "Secured connection using SSL"
            } else {
                "Secured connection using TLS (recommended)"
            }
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Outlook (Add account → Advanced options → set up manually → IMAP/POP → Outgoing mail):"
    )?;
    writeln!(
        out,
        "  Server {host}, Port {port}, Encryption method {}; leave \"Require logon using Secure Password Authentication (SPA)\" off",
        security_words(c.endpoint.tls)
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Thunderbird (Account Settings → Outgoing Server (SMTP) → Edit):"
    )?;
    writeln!(
        out,
        "  Server Name {host}, Port {port}, Connection security {}, Authentication method {auth_word}, User Name {user}",
        a.security,
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Apple Mail (Settings → Accounts → Server Settings → Outgoing Mail Server):"
    )?;
    writeln!(
        out,
        "  Host Name {host}; untick \"Automatically manage connection settings\"; Port {port}, tick \"Use TLS/SSL\", Authentication {}",
        if a.oauth_only { "OAuth (only through Internet Accounts sign-in)" } else { "Password" }
    )?;
    if !a.others.is_empty() {
        writeln!(out)?;
        writeln!(out, "Other candidates, if this one does not work:")?;
        for o in &a.others {
            writeln!(
                out,
                "  {}:{} {} — {} ({})",
                o.endpoint.host,
                o.endpoint.port,
                security_words(o.endpoint.tls),
                o.source.as_str(),
                o.trust().as_str()
            )?;
        }
    }
    writeln!(out)?;
    writeln!(out, "Check them with: smtp-doctor check {}", a.address)?;
    Ok(())
}
