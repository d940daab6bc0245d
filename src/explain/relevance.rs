//! Is this text about mail at all?
//!
//! A pasted text is classified only as far as it shows a mail problem: a
//! database's "password authentication failed", curl's "SSL certificate
//! problem" for an HTTPS URL or an HTTP `503` page are not SMTP failures,
//! and a word that merely contains a phrase is no evidence. So before the
//! catalogue runs, `explain` asks what the text shows:
//!
//! - **mail context**: words only mail software uses (`smtp…`, `starttls`,
//!   `ehlo`, `postfix`, `nodemailer`, `javamail`, the submission ports …), or
//!   weaker mail words (`e-mail`, `mailbox`, `gmail` …) in a text that shows
//!   no other subsystem;
//! - **foreign context**: the words of another subsystem (HTTP status lines,
//!   databases, LDAP, Kerberos, SSH, package managers, containers, message
//!   brokers, HTML pages).
//!
//! With mail context every observation counts. Without it, only evidence that
//! is SMTP by its own shape counts: a reply with an RFC 3463 enhanced status
//! code or in a transcript's server line, and (when no other subsystem shows)
//! the precise conditions a library names (a refused connection, an expired
//! certificate). Phrases found in free text need mail context.

use super::vocabulary::{self, set};
use crate::phrase::Found;

/// What a text shows about its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relevance {
    /// The text is about mail.
    pub mail: bool,
    /// The text shows another subsystem (and no strong mail word).
    pub foreign: bool,
}

/// Words only mail software and mail people use.
const STRONG: &[&str] = &[
    "*smtp*",
    // Not inside another protocol's setting (`$ldap_starttls`).
    "starttls*",
    // (`smtp_starttls` is a mail word already, by `*smtp*`.)
    "mail_starttls",
    "ehlo",
    "mail from:",
    "mail from:<",
    "rcpt to:",
    "rcpt to:<",
    "rcpt",
    // System.Net.Mail's SmtpException wording.
    "the server response was",
    "postfix*",
    "dovecot",
    "exim",
    "exim4",
    "sendmail*",
    "qmail",
    "rcpthosts",
    "haraka",
    "*mailer*",
    "javamail",
    "jakarta.mail",
    "javax.mail",
    "mailkit",
    "mimekit",
    "system.net.mail",
    "swaks",
    "msmtp",
    "lettre",
    "xoauth2",
    "oauthbearer",
    "imap*",
    "pop3*",
    "outgoing server",
    "outgoing mail",
    "mail server",
    "mail-server",
    "sm-mta",
    "ses.amazonaws.com",
    "email-smtp",
    "messagerejected",
    "mailserver",
    "mail client",
    "mail relay",
    "mx record*",
    "thunderbird",
    "roundcube",
    "rainloop",
    "snappymail",
    "squirrelmail",
    "mailcow",
    "mail-in-a-box",
    "iredmail",
    "hmailserver",
    "mdaemon",
    "zimbra",
    "0x800ccc*",
    "0x8004210*",
    "port 25",
    "port 465",
    "port 587",
    "port 2525",
    ":465",
    ":587",
    ":2525",
    "send mail as",
    "sending of the message failed",
    "mail delivery",
    "undeliverable",
    "gsmtp",
    "sasl login",
    "sasl plain",
    "auth login",
    "auth plain",
    "auth cram-md5",
    "app password*",
    "application-specific password",
    "courrier",
    "correo",
    "messagerie",
    "posta elettronica",
    "邮件",
    "邮箱",
    "メール",
    "почт*",
    "e-mail server",
    // An application's own report that sending mail failed.
    "could not send email",
    "could not send e-mail",
    "failed to send email",
    "failed to send e-mail",
    "unable to send email",
    "unable to send e-mail",
    "error sending email",
    "error sending e-mail",
    "send_email",
    "email server",
    "expected response code",
    "responseparsingerror",
];

/// Mail words that also occur where mail is not the subject (a login form's
/// e-mail field, a product name).
const WEAK: &[&str] = &[
    "mail",
    "email*",
    "e-mail*",
    "mailbox*",
    "gmail",
    "outlook",
    "hotmail",
    "yahoo",
    "icloud",
    "office365",
    "exchange",
    "sender",
    "recipient*",
    "helo",
    "relay*",
    "spam*",
    "dkim",
    "spf",
    "dmarc",
    "sasl",
];

/// Words of other subsystems.
const FOREIGN: &[&str] = &[
    "http/1.0",
    "http/1.1",
    "http/2",
    "http error",
    "http status",
    "status code",
    "<!doctype",
    "<html",
    "get /",
    "post /",
    "postgres*",
    "postgresql",
    "psql",
    "pg_hba",
    "mysql*",
    "mariadb",
    "redis*",
    "predis",
    "mongo*",
    "ldap*",
    "kerberos",
    "kinit",
    "krb5*",
    "ssh",
    "sshd",
    "openssh",
    "npm",
    "yarn",
    "pip",
    "cargo",
    "rustc",
    "docker*",
    "kubernetes",
    "kubectl",
    "kubelet",
    "jdbc",
    "sqlstate",
    "sqlexception",
    "sql server",
    "database",
    "kafka",
    "rdkafka",
    "elasticsearch",
    "registry.npmjs.org",
    "api.github.com",
    "nginx",
    "apache",
    "cloudflare",
    "iis",
    "grpc",
    "axios",
    "urllib3",
    "requests.exceptions",
    "okhttp",
    "retrofit",
    "web server",
    "webserver",
    "ora-*",
    "sequelize",
    "mongoose",
    "router",
    "firmware",
    ":5432",
    ":3306",
    ":6379",
    ":27017",
    ":9092",
    ":443",
    "port 5432",
    "port 3306",
    "port 443",
    "request to http*",
    "get http*",
    "curl: (*",
    "curl error",
    "https request",
    "git clone",
    "unable to access",
    "ticket",
    "node-fetch",
    "openvpn",
    "vpn",
    "https server",
    "https connection",
    "httpsconnection*",
    "https_context",
    "requests library",
    "http request",
    "git-receive-pack",
    "git-upload-pack",
    "jsonapi",
    "download*",
    "firewall",
    "vlan",
    "8443",
];

/// The word lists, each tagged with its set, for `vocabulary`.
pub(crate) fn phrase_sets() -> impl Iterator<Item = (&'static str, u32)> {
    let tag = |words: &'static [&'static str], s: u32| words.iter().map(move |w| (*w, s));
    tag(STRONG, set::STRONG)
        .chain(tag(WEAK, set::WEAK))
        .chain(tag(FOREIGN, set::FOREIGN))
}

/// Which kinds of words a text holds.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Words {
    pub strong: bool,
    pub weak: bool,
    pub foreign: bool,
}

/// The kinds of words in `lower` (a lower-cased text or chunk of one).
pub(crate) fn scan(lower: &str) -> Words {
    words_in(&vocabulary::table().scan(lower))
}

/// The kinds of words among the phrases the vocabulary `found` in a text.
pub(crate) fn words_in(found: &Found) -> Words {
    let t = vocabulary::table();
    Words {
        strong: t.any_in(found, set::STRONG),
        weak: t.any_in(found, set::WEAK),
        foreign: t.any_in(found, set::FOREIGN),
    }
}

impl Words {
    /// The words of another part of the same text (a later chunk).
    pub(crate) fn merge(&mut self, other: Words) {
        self.strong |= other.strong;
        self.weak |= other.weak;
        self.foreign |= other.foreign;
    }

    /// What a text with these words is about: mail with a strong word, or
    /// with a weak one where no other subsystem shows.
    pub(crate) fn relevance(self) -> Relevance {
        Relevance {
            mail: self.strong || (self.weak && !self.foreign),
            foreign: self.foreign && !self.strong,
        }
    }
}

/// What `lower` (a lower-cased text) shows.
pub fn assess(lower: &str) -> Relevance {
    scan(lower).relevance()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_words_make_mail_context() {
        assert!(assess("smtplib.smtpauthenticationerror: (535, b'...')").mail);
        assert!(assess("nodemailer error: invalid login").mail);
        assert!(assess("connect to smtp.example.com:587").mail);
        assert!(assess("the e-mail could not be sent: connection refused").mail);
    }

    #[test]
    fn other_subsystems_are_foreign() {
        let r = assess("psql: fatal: password authentication failed for user \"app\"");
        assert!(!r.mail && r.foreign);
        let r = assess("curl: (60) ssl certificate problem: unable to get local issuer certificate\nGET / HTTP/1.1");
        assert!(!r.mail && r.foreign);
        // A weak mail word does not outweigh another subsystem.
        let r = assess("ldap bind failed for email user@example.com: invalid credentials (49)");
        assert!(!r.mail && r.foreign);
    }

    #[test]
    fn words_inside_words_are_not_context() {
        let r = assess("a marble floor, verbal notes");
        assert!(!r.mail && !r.foreign);
    }
}
