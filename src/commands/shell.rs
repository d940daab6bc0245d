//! `smtp-doctor completions SHELL` and `smtp-doctor man`: generated from the
//! clap definitions, so they cannot drift from the real flags.
//!
//! Manual pages follow the git layout: smtp-doctor(1) for the program (its
//! commands, exit status, every category, environment) and one
//! smtp-doctor-COMMAND(1) per subcommand, each with one NAME section and a
//! SEE ALSO naming only pages `man --dir` writes. clap_mangen renders the
//! name, synopsis and options; the help text after the options (examples,
//! notes, exit codes) is turned into roff here, because clap_mangen would
//! fill example command lines into prose.

use crate::cli::{Cli, ManArgs};
use crate::diagnose::Category;
use crate::error::Error;
use crate::exit::ExitStatus;
use clap::CommandFactory;
use std::fmt::Write as _;
use std::io::Write;

/// Writes the completion script for `shell` to stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<ExitStatus, Error> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "smtp-doctor", &mut buf);
    std::io::stdout().lock().write_all(&buf)?;
    Ok(ExitStatus::Healthy)
}

/// What a user should take from each category (docs/exit-codes.md says the
/// same at more length; a test keeps the two in step).
pub fn category_meaning(c: Category) -> &'static str {
    use Category::*;
    match c {
        Ok => "connected, TLS as asked, authenticated",
        WrongCredentials => "the user name or password (or app password) was refused",
        AppPasswordRequired => "the account has 2-step verification: an app password is needed",
        AccountActionRequired => "the account must be unlocked or verified in a browser (captcha, suspicious sign-in, disabled, unpaid)",
        UsernameFormat => "the user name has the wrong form (full address vs local part, a provider's fixed user name, missing user)",
        OauthTokenInvalid => "the OAuth token is expired, revoked, or for the wrong scope or user",
        AuthDisabledByPolicy => "a setting an administrator or the account owner controls blocks this login (SMTP AUTH off, basic authentication blocked)",
        OauthRequired => "no password can work here, only OAuth (XOAUTH2, OAUTHBEARER)",
        NoCommonAuthMechanism => "the server offers no mechanism smtp-doctor can use (e.g. only NTLM or GSSAPI)",
        AuthNotOffered => "the server offers no AUTH at all: wrong host or port (an MX, port 25, a relay)",
        AuthRequired => "the server wants authentication and the client sent mail without it",
        SenderNotPermitted => "authenticated, but not allowed to send as this From address",
        RelayDenied => "the server refuses to relay for this client or recipient",
        ClientBlocked => "the server refuses this client itself (blocklisted IP address, no reverse DNS, direct sending not allowed)",
        QuotaExceeded => "a sending limit or quota is exhausted",
        StarttlsRequired => "the server requires TLS before AUTH and the client did not use it",
        StarttlsUnavailable => "TLS was required but the server does not offer STARTTLS",
        TlsModeMismatch => "implicit TLS spoken to a STARTTLS port or the reverse (465 vs 587)",
        TlsCertificateInvalid => "expired, not yet valid, wrong name, untrusted or self-signed certificate",
        TlsHandshakeFailed => "the TLS handshake failed for a reason other than the certificate",
        DnsFailure => "the host name does not resolve, or name resolution itself is broken",
        ConnectionRefused => "nothing listens on that port, or a firewall rejects the connection",
        ConnectionTimeout => "no TCP connection, or no greeting, before the deadline",
        RateLimited => "too many attempts or connections; try again later",
        ServerTemporaryFailure => "the server reports a temporary problem (4xx)",
        ProtocolError => "the dialogue broke: syntax errors, unexpected replies, a broken server",
        Other => "recognised as an SMTP problem, but none of the above",
    }
}

/// The top-level command, built (bin names set) and without clap's `help`
/// subcommand, which has no page.
fn program() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// The page footer: program and version, the same on every page.
fn source() -> String {
    format!("smtp-doctor {}", env!("CARGO_PKG_VERSION"))
}

/// Page names: `smtp-doctor` and `smtp-doctor-COMMAND` for each subcommand.
pub fn page_names() -> Vec<String> {
    let cmd = program();
    std::iter::once("smtp-doctor".to_string())
        .chain(
            cmd.get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(|s| format!("smtp-doctor-{}", s.get_name())),
        )
        .collect()
}

/// The roff source of one page: `None` is smtp-doctor(1), `Some(name)` the
/// page of that subcommand.
pub fn man_page(command: Option<&str>) -> Result<Vec<u8>, Error> {
    let top = program();
    let mut buf = Vec::new();
    let names = page_names();
    match command {
        None => {
            let man = clap_mangen::Man::new(top.clone())
                .title("SMTP-DOCTOR")
                .source(source());
            man.render_title(&mut buf)?;
            man.render_name_section(&mut buf)?;
            man.render_synopsis_section(&mut buf)?;
            man.render_description_section(&mut buf)?;
            buf.extend_from_slice(
                roff_paragraph(
                    "smtp-doctor speaks EHLO, STARTTLS and AUTH itself, records every stage, \
                     and turns what it saw into a diagnosis with remediation text, a stable \
                     category and exit code, and JSON. check never sends a message: it stops \
                     after AUTH, tries exactly one AUTH, and never sends credentials before TLS \
                     unless --tls none is given. Secrets never appear in any output.",
                )
                .as_bytes(),
            );
            man.render_options_section(&mut buf)?;
            let mut commands = Vec::new();
            man.render_subcommands_section(&mut commands)?;
            // clap_mangen calls them SUBCOMMANDS; each names a real page.
            buf.extend_from_slice(
                String::from_utf8_lossy(&commands)
                    .replacen(".SH SUBCOMMANDS", ".SH COMMANDS", 1)
                    .as_bytes(),
            );
            let after = top
                .get_after_long_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            buf.extend_from_slice(after_help_roff(&after).as_bytes());
            buf.extend_from_slice(categories_roff().as_bytes());
            buf.extend_from_slice(environment_roff().as_bytes());
            buf.extend_from_slice(see_also(&names, "smtp-doctor").as_bytes());
        }
        Some(name) => {
            let sub = top
                .find_subcommand(name)
                .ok_or_else(|| Error::usage(format!("no such command: {name}")))?
                .clone();
            let page = format!("smtp-doctor-{name}");
            let after = sub
                .get_after_long_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            let sub = sub.display_name(page.clone());
            let man = clap_mangen::Man::new(sub)
                .title(page.to_ascii_uppercase())
                .source(source());
            man.render_title(&mut buf)?;
            man.render_name_section(&mut buf)?;
            man.render_synopsis_section(&mut buf)?;
            man.render_description_section(&mut buf)?;
            man.render_options_section(&mut buf)?;
            buf.extend_from_slice(after_help_roff(&after).as_bytes());
            if name == "check" {
                buf.extend_from_slice(environment_roff().as_bytes());
            }
            buf.extend_from_slice(see_also(&names, &page).as_bytes());
        }
    }
    Ok(buf)
}

/// `smtp-doctor man [COMMAND] [--dir DIR]`.
pub fn man(args: &ManArgs) -> Result<ExitStatus, Error> {
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::usage(format!("cannot create --dir {}: {e}", dir.display())))?;
        let mut out = std::io::stdout().lock();
        for name in page_names() {
            let command = name.strip_prefix("smtp-doctor-");
            let page = man_page(command)?;
            let path = dir.join(format!("{name}.1"));
            std::fs::write(&path, page)
                .map_err(|e| Error::usage(format!("cannot write {}: {e}", path.display())))?;
            writeln!(out, "{}", path.display())?;
        }
        return Ok(ExitStatus::Healthy);
    }
    let page = man_page(args.command.as_deref())?;
    std::io::stdout().lock().write_all(&page)?;
    Ok(ExitStatus::Healthy)
}

/// Escapes one line of text for roff: backslashes, hyphens (so that copied
/// flags are ASCII `-`), and a leading `.` or `'` that would be a request.
/// A `/` may be followed by a line break (`\:`), so that a long URL or path
/// does not leave a line troff "cannot adjust".
fn esc(line: &str) -> String {
    let mut s = line
        .replace('\\', "\\e")
        .replace('-', "\\-")
        .replace('/', "/\\:");
    if s.starts_with('.') || s.starts_with('\'') {
        s.insert_str(0, "\\&");
    }
    s
}

fn roff_paragraph(text: &str) -> String {
    let mut out = String::from(".PP\n");
    for line in text.lines() {
        let line = line.trim();
        if !line.is_empty() {
            out.push_str(&esc(line));
            out.push('\n');
        }
    }
    out
}

/// The help text after the options, as roff: an `Examples:` block becomes
/// EXAMPLES in no-fill mode (one command per line, as typed), `Exit codes:`
/// becomes EXIT STATUS as a tagged list, and prose paragraphs go under NOTES
/// (or stay in EXIT STATUS when they follow it).
fn after_help_roff(text: &str) -> String {
    let mut out = String::new();
    let mut section = "";
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let mut lines = block.lines();
        let first = lines.next().unwrap_or_default().trim_end();
        let rest: Vec<&str> = lines.collect();
        let listed = first.ends_with(':')
            && !first.contains(' ')
            && !rest.is_empty()
            && rest.iter().all(|l| l.starts_with("  "));
        let exit = first == "Exit codes:";
        if exit {
            out.push_str(".SH \"EXIT STATUS\"\n");
            section = "EXIT STATUS";
            for line in &rest {
                let trimmed = line.trim();
                match trimmed.split_once("  ") {
                    Some((code, meaning)) if code.parse::<u8>().is_ok() => {
                        let _ = writeln!(out, ".TP\n.B {code}\n{}", esc(meaning.trim()));
                    }
                    // A continuation line of the previous code.
                    _ => {
                        let _ = writeln!(out, "{}", esc(trimmed));
                    }
                }
            }
        } else if listed || first.starts_with("Examples:") || first.starts_with("Example:") {
            if section != "EXAMPLES" {
                out.push_str(".SH EXAMPLES\n");
                section = "EXAMPLES";
            }
            out.push_str(".PP\n.RS 4\n.nf\n");
            for line in &rest {
                out.push_str(&esc(line.strip_prefix("  ").unwrap_or(line)));
                out.push('\n');
            }
            out.push_str(".fi\n.RE\n");
        } else {
            if section != "NOTES" && section != "EXIT STATUS" {
                out.push_str(".SH NOTES\n");
                section = "NOTES";
            }
            out.push_str(&roff_paragraph(block));
        }
    }
    out
}

/// Every category with its exit code and meaning.
fn categories_roff() -> String {
    let mut out = String::from(
        ".SH CATEGORIES\n.PP\nEvery diagnosis belongs to one of these stable categories \
         (the JSON \\fBcategory\\fR field, the argument of \\fB\\-\\-expect\\fR); \
         the number is its exit code.\n",
    );
    for c in Category::ALL {
        let _ = writeln!(
            out,
            ".TP\n.BR {} \" ({})\"\n{}",
            esc(c.as_str()),
            c.exit_status().code(),
            esc(category_meaning(c))
        );
    }
    out
}

fn environment_roff() -> String {
    let vars = [
        ("SMTP_DOCTOR_PASSWORD", "The password for check, when neither --password-file nor --password-stdin is given. Set but empty is a usage error (exit 2)."),
        ("SMTP_DOCTOR_TOKEN", "An OAuth access token for check and token, when neither --token-file nor --token-stdin is given; wins over a password. Set but empty is a usage error."),
        ("NO_COLOR", "Any value turns colour off."),
        ("CLICOLOR_FORCE", "Forces colour even when standard output is not a terminal."),
    ];
    let mut out = String::from(".SH ENVIRONMENT\n");
    for (name, text) in vars {
        let _ = writeln!(out, ".TP\n.B {}\n{}", esc(name), esc(text));
    }
    out
}

/// SEE ALSO: the other pages of this set (all written by `man --dir`).
fn see_also(names: &[String], this: &str) -> String {
    let refs: Vec<String> = names
        .iter()
        .filter(|n| n.as_str() != this)
        .map(|n| format!(".BR {} (1)", esc(n)))
        .collect();
    let mut out = String::from(".SH \"SEE ALSO\"\n");
    for (i, r) in refs.iter().enumerate() {
        out.push_str(r);
        if i + 1 < refs.len() {
            out.push_str(" ,");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn man_command_choices_are_the_subcommands() {
        let cmd = Cli::command();
        let man = cmd.find_subcommand("man").unwrap();
        let arg = man
            .get_arguments()
            .find(|a| a.get_id() == "command")
            .unwrap();
        let mut choices: Vec<String> = arg
            .get_possible_values()
            .iter()
            .map(|v| format!("smtp-doctor-{}", v.get_name()))
            .collect();
        choices.sort();
        let mut pages = page_names()[1..].to_vec();
        pages.sort();
        assert_eq!(choices, pages);
    }

    #[test]
    fn examples_stay_lines_and_exit_codes_are_a_list() {
        let roff = after_help_roff(
            "Examples:\n  smtp-doctor check a@b.c\n  .x\n\nSome prose.\n\nExit codes:\n  0  fine\n  5  bad\n     more",
        );
        assert!(
            roff.contains(".SH EXAMPLES\n.PP\n.RS 4\n.nf\nsmtp\\-doctor check a@b.c\n\\&.x\n.fi\n"),
            "{roff}"
        );
        assert!(roff.contains(".SH NOTES\n.PP\nSome prose.\n"), "{roff}");
        assert!(
            roff.contains(".SH \"EXIT STATUS\"\n.TP\n.B 0\nfine\n.TP\n.B 5\nbad\nmore\n"),
            "{roff}"
        );
    }

    #[test]
    fn docs_exit_codes_lists_every_category_with_its_code() {
        let doc = include_str!("../../docs/exit-codes.md");
        for c in Category::ALL {
            let row = format!("| `{}` | {} |", c.as_str(), c.exit_status().code());
            assert!(doc.contains(&row), "docs/exit-codes.md lacks {row}");
        }
    }
}
