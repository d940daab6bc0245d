//! Command-line definitions (clap derive). Doc comments are the help text.
//!
//! Guidelines: every flag has a one-line `///` summary; secrets never come
//! from a flag value (only files, stdin, the environment or the prompt);
//! defaults are stated in help. The help texts here are also the man pages'
//! EXAMPLES, NOTES and EXIT STATUS sections (src/commands/shell.rs).

use crate::diagnose::Category;
use crate::render::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The exit-code table (docs/exit-codes.md), shown in `--help`. A macro so
/// that clap's `after_long_help` can `concat!` it with the examples.
macro_rules! exit_codes {
    () => {
        "Exit codes:
  0  healthy (warnings allowed)
  1  a problem: protocol-error or other
  2  usage error (no secret given, an empty secret source), or smtp-doctor could not do its job
  3  unreachable: DNS, connect, greeting
  4  TLS: mode mismatch, certificate, handshake, STARTTLS missing or required
  5  credentials or account: the secret or user name must change, or the account must be
     unlocked or verified in a browser (wrong-credentials, app-password-required,
     account-action-required, username-format, oauth-token-invalid)
  6  account or server policy: an administrator must change a setting
  7  temporary: try again later

Every category, its exit code and what it means: `man smtp-doctor` (CATEGORIES) or
docs/exit-codes.md in the source (https://github.com/smtp-doctor/smtp-doctor/blob/main/docs/exit-codes.md)."
    };
}

/// Where `check` takes the secret from; shown in `check --help`.
macro_rules! secrets_help {
    () => {
        "Secrets: the password comes from --password-file PATH (first line), --password-stdin,
the environment variable SMTP_DOCTOR_PASSWORD, or, when none is given and standard input
and standard error are a terminal, a no-echo prompt (\"Password for USER:\"). An OAuth
access token comes from --token-file PATH, --token-stdin or SMTP_DOCTOR_TOKEN (a token
wins over a password). No flag takes a secret on the command line. A source that is
present but empty (an empty variable, an empty file, empty standard input, an empty
answer to the prompt) is a usage error (exit 2), and so is a secret piped on standard
input without --password-stdin or --token-stdin. With no secret at all, check is a usage
error that lists the places it looked, unless --no-auth asks for a connection-and-TLS-only
check (a healthy server is then ok with the note auth-not-attempted)."
    };
}

macro_rules! check_examples {
    () => {
        "Examples:
  SMTP_DOCTOR_PASSWORD='app password' smtp-doctor check alice@gmail.com
  smtp-doctor check alice@example.com --host mail.example.com --port 465 --password-file ~/.smtp-pass
  printf %s \"$TOKEN\" | smtp-doctor check bob@outlook.com --mechanism XOAUTH2 --token-stdin --format json
  smtp-doctor check alice@contoso.com --oauth microsoft --client-id 11111111-2222-3333-4444-555555555555
  smtp-doctor check alice@gmail.com --oauth google --client-id ID.apps.googleusercontent.com --client-secret-file google-secret.txt
  smtp-doctor check --batch accounts.csv --jobs 8 --per-host 2 --format json
  smtp-doctor check canary@example.com --password-file wrong.txt --expect wrong-credentials
  smtp-doctor check alice@example.com --password-file pw.txt --format nagios --cert-warn 21 --cert-crit 7
  smtp-doctor check alice@example.com --no-auth --format nagios
  smtp-doctor check alice@example.com --dry-run"
    };
}

/// How `check --batch`, `--expect` and `--format nagios` exit; shown in `--help`.
macro_rules! batch_help {
    () => {
        "Batch files (--batch FILE): CSV with a header line, or JSON Lines (one object per line);
.jsonl/.ndjson/.json or a first byte `{` mean JSON Lines. Columns: address (required),
host, port, tls, user, mechanism, expect, and exactly one secret per account:
password_env / token_env (the NAME of an environment variable), password_file /
token_file (a path, relative to the batch file), or an inline password / token column,
which is refused unless the batch file is mode 0600. Command-line flags (--host, --port,
--tls, --cafile, --timeout, ...) are defaults for columns left empty. An account (user at
host) listed twice is refused. Each account gets one AUTH attempt; an endpoint that
answers rate-limited or server-temporary-failure is backed off: accounts that would
probe it next are reported as skipped, not tried. --per-host and the back-off count per
endpoint actually probed (host name or address, and port, after discovery).

Batch exit code: the worst account's code in the order 2 > 1 > 3 > 4 > 5 > 6 > 7 > 0.
--expect CATEGORY (or an `expect` column): an account whose category is the expected one
counts as 0; one that is `ok` although something else was expected counts as 1.

--format nagios (--monitoring): one status line with perfdata (every label every time:
time connect greeting ehlo starttls tls auth cert_days candidates_tried; U when unknown);
exit 0 OK (logged in, or the --expect category), 1 WARNING (certificate expires within
--cert-warn days, a warning diagnosis, a temporary refusal: rate-limited,
server-temporary-failure, or the total time is over -w SECS), 2 CRITICAL (any other
category, the certificate expires within --cert-crit days, or the time is over -c SECS),
3 UNKNOWN (usage error: smtp-doctor could not check; no secret given; --dry-run).
With --no-auth a healthy server is OK and the status text says \"login not tested\"."
    };
}

#[derive(Debug, Parser)]
#[command(
    name = "smtp-doctor",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("SMTP_DOCTOR_COMMIT"), ")"),
    about = "Tells you why your SMTP login fails and what to do about it",
    after_long_help = exit_codes!()
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// When to use colour: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always, never.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: ColorArg,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

// Parsed once per run: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect, start TLS and log in (never sends a message), then diagnose.
    #[command(after_long_help = concat!(check_examples!(), "\n\n", secrets_help!(), "\n\n", batch_help!(), "\n\n", exit_codes!()))]
    Check(Box<CheckArgs>),
    /// Diagnose a pasted error message, log or transcript, offline.
    #[command(
        after_long_help = concat!(
            "Examples:\n  smtp-doctor explain ticket.txt\n  pbpaste | smtp-doctor explain --format json\n\n",
            "The exit code is that of the category found (0 when the text shows success).\n\n",
            exit_codes!()
        )
    )]
    Explain(ExplainArgs),
    /// Lint an OAuth access token (or a whole XOAUTH2 string) offline, without using it.
    #[command(after_long_help = concat!(
        "Examples:\n  smtp-doctor token --token-file token.txt --user alice@contoso.com\n  printf %s \"$TOKEN\" | smtp-doctor token --token-stdin --format json\n  smtp-doctor token --refresh --token-cache ~/.cache/smtp-doctor/alice.json --user alice@contoso.com\n\n",
        "The JWT payload is decoded without verifying its signature; the server still decides.\n\n",
        exit_codes!()
    ))]
    Token(TokenArgs),
    /// Run the live check against built-in loopback servers that replay real provider replies.
    #[command(
        after_long_help = "Starts four SMTP servers on 127.0.0.1 (a Gmail account that needs an app password, a Microsoft 365 tenant with SMTP AUTH disabled, a STARTTLS port spoken to with implicit TLS, and a healthy server) and checks each with the same code as `check`. No account and no network needed.\n\nWith --format json the output is JSON Lines: four v1 documents, one per line, in the order above."
    )]
    Demo(DemoArgs),
    /// Serve a Prometheus exporter for the logins of a config file's accounts, and a triage page.
    #[command(after_long_help = concat!(
        "Examples:\n  smtp-doctor serve --config /etc/smtp-doctor/smtp-doctor.toml\n  smtp-doctor serve --config smtp-doctor.toml --check-config\n\n",
        "Endpoints: GET /probe?target=ACCOUNT (Prometheus text; &debug=true: the text report), ",
        "GET /metrics (the exporter's own), POST /explain (pasted text → the JSON of `explain --format json`), ",
        "GET / (a paste box). Each account is logged into at most once per min_interval (default 5m); ",
        "scrapes in between get the cached result. See docs/monitoring.md.\n\n",
        "Exit codes: 0 after SIGTERM or Ctrl-C (or a valid --check-config), 2 for a config error."
    ))]
    Serve(ServeArgs),
    /// Print what to type in a mail client for an address: server, port, security, user name, password.
    #[command(after_long_help = concat!(
        "Examples:\n  smtp-doctor settings alice@example.com\n  smtp-doctor settings bob@company.example --no-http\n\n",
        "Discovers the server as `check` does (provider table, MX, autoconfig, ISPDB, Autodiscover, SRV) ",
        "and connects to no mail server. Sections for Gmail \"Send mail as\", Outlook, Thunderbird and Apple Mail.\n\n",
        "Exit codes: 0 when printed, 2 for a usage error."
    ))]
    Settings(SettingsArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(
        after_long_help = "Examples:\n  smtp-doctor completions bash > /etc/bash_completion.d/smtp-doctor\n  smtp-doctor completions zsh > \"${fpath[1]}/_smtp-doctor\"\n  smtp-doctor completions fish > ~/.config/fish/completions/smtp-doctor.fish"
    )]
    Completions(CompletionsArgs),
    /// Print a manual page (roff): smtp-doctor(1), or smtp-doctor-COMMAND(1); --dir writes them all.
    #[command(
        after_long_help = "Examples:\n  smtp-doctor man --dir /usr/local/share/man/man1 && man smtp-doctor\n  smtp-doctor man check | man -l -"
    )]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (smtp-doctor-COMMAND(1)) [default: the smtp-doctor(1) page].
    #[arg(value_name = "COMMAND", value_parser = ["check", "explain", "token", "demo", "serve", "settings", "completions", "man"])]
    pub command: Option<String>,
    /// Write every page (smtp-doctor.1 and smtp-doctor-COMMAND.1) into this directory instead.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub dir: Option<PathBuf>,
}

/// `--oauth`: whose identity platform signs in for `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OAuthProvider {
    /// Microsoft identity platform (Entra ID; Exchange Online and Outlook.com): scope SMTP.Send + offline_access.
    Microsoft,
    /// Google (Gmail, Workspace): scope https://mail.google.com/.
    Google,
    /// Another identity platform: give --auth-url, --token-url and --scope.
    Custom,
}

/// `--oauth-flow`: how to sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OAuthFlowArg {
    /// The browser flow; when no browser can be opened here, Microsoft falls
    /// back to the device-code flow (and says so), others print the URL.
    Auto,
    /// Authorization code + PKCE: a browser on this machine, redirected to 127.0.0.1.
    Browser,
    /// Device code (Microsoft only): open a URL on any device and type a code.
    Device,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output format (json: JSON Lines, one v1 document per scenario on its own line).
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,
    /// Include the SMTP transcripts.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `--tls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlsArg {
    /// Plaintext greeting, then STARTTLS; credentials only after TLS (default on 587/25).
    Starttls,
    /// TLS from the first byte (default on 465).
    Implicit,
    /// No TLS at all: credentials cross the network readable (a warning is reported).
    None,
}

/// `--mechanism`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MechanismArg {
    /// Choose from the server's list: PLAIN, LOGIN, CRAM-MD5 for passwords; XOAUTH2, OAUTHBEARER for tokens.
    Auto,
    #[value(name = "PLAIN", alias = "plain")]
    Plain,
    #[value(name = "LOGIN", alias = "login")]
    Login,
    #[value(name = "CRAM-MD5", alias = "cram-md5")]
    CramMd5,
    #[value(name = "XOAUTH2", alias = "xoauth2")]
    Xoauth2,
    #[value(name = "OAUTHBEARER", alias = "oauthbearer")]
    Oauthbearer,
}

/// `--format` of `explain`, `token` and `demo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
        }
    }
}

/// `check --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Stage lines, diagnoses and a result line (batch: one line per account and a summary).
    Text,
    /// The v1 JSON document (batch: JSON Lines, one document per account, then a summary line).
    Json,
    /// One monitoring-plugins status line with perfdata (Nagios, Icinga, Zabbix, Uptime Kuma).
    Nagios,
}

impl From<CheckFormat> for Format {
    fn from(f: CheckFormat) -> Format {
        match f {
            CheckFormat::Json => Format::Json,
            CheckFormat::Text | CheckFormat::Nagios => Format::Text,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    /// The address, user@domain.
    #[arg(value_name = "ADDRESS")]
    pub address: String,
    /// Ask only this DNS server, ADDR[:PORT] (port 53 by default) [default: the system's resolver].
    #[arg(long, value_name = "ADDR[:PORT]", value_parser = crate::net::dns::parse_server)]
    pub dns_server: Option<std::net::SocketAddr>,
    /// Trust only the CA certificates in this PEM file (for HTTPS discovery).
    #[arg(long, value_name = "FILE")]
    pub cafile: Option<PathBuf>,
    /// ISPDB base URL [default: https://autoconfig.thunderbird.net/v1.1/].
    #[arg(long, value_name = "URL")]
    pub ispdb: Option<String>,
    /// Ask no HTTP source (autoconfig, ISPDB, Autodiscover).
    #[arg(long)]
    pub no_http: bool,
    /// Deadline of each DNS lookup, in seconds [default: 10].
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The account, user@domain: default user name, and where discovery starts without --host.
    #[arg(value_name = "ADDRESS")]
    pub address: Option<String>,
    /// Submission server host name or IP address (skips discovery).
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Port [default: 587, or 465 with --tls implicit].
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// TLS mode [default: implicit on port 465, else starttls].
    #[arg(long, value_enum, value_name = "MODE")]
    pub tls: Option<TlsArg>,
    /// User name for AUTH [default: ADDRESS].
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// SASL mechanism.
    #[arg(long, value_enum, default_value = "auto", value_name = "MECH")]
    pub mechanism: MechanismArg,
    /// Trust only the CA certificates in this PEM file (instead of the built-in roots).
    #[arg(long, value_name = "PEM")]
    pub cafile: Option<PathBuf>,
    /// Deadline for each stage, in seconds [default: 10, and 16 for AUTH, whose
    /// failures servers delay on purpose].
    #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
    pub timeout: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckFormat,
    /// Same as --format nagios.
    #[arg(long)]
    pub monitoring: bool,
    /// Include the SMTP transcript (secrets are replaced by <redacted>).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Check every account listed in FILE (CSV with a header, or JSON Lines); see below.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["address", "password_file", "password_stdin", "token_file", "token_stdin"])]
    pub batch: Option<PathBuf>,
    /// Batch: how many checks run at the same time.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=512))]
    pub jobs: u16,
    /// Batch: at most N connections to one endpoint (host and port, after discovery) at a time (the first check of an endpoint runs alone).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=512))]
    pub per_host: u16,
    /// Exit 0 when the result is this category (e.g. a canary whose wrong password must keep failing).
    #[arg(long, value_name = "CATEGORY", value_parser = parse_category)]
    pub expect: Option<Category>,
    /// A warning (nagios: WARNING) when the certificate expires in fewer than DAYS days.
    #[arg(long, value_name = "DAYS", default_value_t = 14)]
    pub cert_warn: i64,
    /// Nagios: CRITICAL when the certificate expires in fewer than DAYS days (other formats: the warning).
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub cert_crit: i64,
    /// Nagios: WARNING when the whole check takes longer than SECS seconds (as check_smtp -w).
    #[arg(short = 'w', long, value_name = "SECS", value_parser = parse_seconds)]
    pub warning: Option<f64>,
    /// Nagios: CRITICAL when the whole check takes longer than SECS seconds (as check_smtp -c).
    #[arg(short = 'c', long, value_name = "SECS", value_parser = parse_seconds)]
    pub critical: Option<f64>,
    /// Read the password from this file (first line).
    #[arg(long, value_name = "PATH", conflicts_with = "password_stdin")]
    pub password_file: Option<PathBuf>,
    /// Read the password from standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Read an OAuth access token from this file.
    #[arg(long, value_name = "PATH", conflicts_with = "token_stdin")]
    pub token_file: Option<PathBuf>,
    /// Read an OAuth access token from standard input.
    #[arg(long, conflicts_with = "password_stdin")]
    pub token_stdin: bool,
    /// Sign in with OAuth first (in the browser: authorization code + PKCE, redirected to
    /// 127.0.0.1) and log in with XOAUTH2; the token is never shown. Without --host,
    /// Microsoft 365 addresses are checked at smtp.office365.com.
    #[arg(
        long,
        value_enum,
        value_name = "PROVIDER",
        requires = "client_id",
        conflicts_with_all = ["password_file", "password_stdin", "token_file", "token_stdin"]
    )]
    pub oauth: Option<OAuthProvider>,
    /// Application (client) ID of the app registration to sign in with (--oauth).
    #[arg(long, value_name = "ID", requires = "oauth")]
    pub client_id: Option<String>,
    /// Tenant to sign in to (--oauth): a tenant id or domain, `organizations`, `common` or `consumers` [default: organizations].
    #[arg(long, value_name = "TENANT", requires = "oauth")]
    pub tenant: Option<String>,
    /// Identity platform base URL (--oauth) [default: https://login.microsoftonline.com]; http:// only for loopback.
    #[arg(long, value_name = "URL", requires = "oauth")]
    pub authority: Option<String>,
    /// How to sign in (--oauth): auto opens a browser, or, when none can be opened here
    /// (no DISPLAY, WAYLAND_DISPLAY or BROWSER), uses Microsoft's device-code flow and says so.
    #[arg(
        long,
        value_enum,
        value_name = "FLOW",
        default_value = "auto",
        requires = "oauth"
    )]
    pub oauth_flow: OAuthFlowArg,
    /// Print the sign-in URL instead of opening a browser (--oauth; the browser flow).
    #[arg(long, requires = "oauth")]
    pub no_browser: bool,
    /// Authorization endpoint (--oauth custom, or to override google's); http:// only for loopback.
    #[arg(long, value_name = "URL", requires = "oauth")]
    pub auth_url: Option<String>,
    /// Token endpoint (--oauth custom, or to override google's); http:// only for loopback.
    #[arg(long, value_name = "URL", requires = "oauth")]
    pub token_url: Option<String>,
    /// Scope to request (--oauth custom) [default: the provider's SMTP scope].
    #[arg(long, value_name = "SCOPE", requires = "oauth")]
    pub scope: Option<String>,
    /// File holding the OAuth client's secret, for Google "Desktop app" clients (--oauth).
    #[arg(long, value_name = "PATH", requires = "oauth")]
    pub client_secret_file: Option<PathBuf>,
    /// Keep the sign-in's refresh token in this file (created 0600, refused if others can
    /// read it) and use it next time instead of the browser (--oauth, the browser flow). Off by default.
    #[arg(long, value_name = "PATH", requires = "oauth")]
    pub token_cache: Option<PathBuf>,
    /// How long to wait for the browser to come back (--oauth) [default: 300].
    #[arg(long, value_name = "SECONDS", requires = "oauth", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub sign_in_timeout: Option<u64>,
    /// Name to send with EHLO [default: localhost].
    #[arg(long, value_name = "NAME", default_value = "localhost")]
    pub ehlo_name: String,
    /// Ask only this DNS server, ADDR[:PORT] (port 53 by default) [default: the system's resolver].
    #[arg(long, value_name = "ADDR[:PORT]", value_parser = crate::net::dns::parse_server)]
    pub dns_server: Option<std::net::SocketAddr>,
    /// Probe every discovered candidate, not only up to the first that answers AUTH.
    #[arg(long)]
    pub all: bool,
    /// ISPDB base URL for discovery [default: https://autoconfig.thunderbird.net/v1.1/].
    #[arg(long, value_name = "URL")]
    pub ispdb: Option<String>,
    /// Discovery asks no HTTP source (autoconfig, ISPDB, Autodiscover): only the
    /// provider table and DNS.
    #[arg(long)]
    pub no_http: bool,
    /// Only discover: list the candidate endpoints and connect to none (not a verdict:
    /// JSON "dry_run": true with "category": null; refused with --format nagios).
    #[arg(long, conflicts_with = "batch")]
    pub dry_run: bool,
    /// Check the connection and TLS only, without logging in (no secret needed or read):
    /// a healthy server is ok with the note auth-not-attempted ("login not tested").
    #[arg(
        long,
        conflicts_with_all = ["password_file", "password_stdin", "token_file", "token_stdin", "oauth", "batch"]
    )]
    pub no_auth: bool,
    /// After a failure another port or TLS mode may avoid, do not probe the
    /// others on the same host (465, 587, 25; they never get the secret).
    /// Batch and --format nagios never probe them.
    #[arg(long)]
    pub no_suggest: bool,
    /// Check every address the host name resolves to (A and AAAA), each on its
    /// own connection, not only the one that answered first; the others up to
    /// AUTH, without the secret. A broken address becomes the verdict.
    #[arg(long, conflicts_with = "batch")]
    pub all_addresses: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The TOML config file: listen, min_interval, [accounts.NAME] (docs/monitoring.md).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Listen on this address:port instead of the config's `listen` [default: 127.0.0.1:9725].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    /// Validate the config (secrets readable, accounts well-formed) and exit: 0 valid, 2 not.
    #[arg(long)]
    pub check_config: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// File with the pasted text; `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The SMTP user name the token must belong to.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Read the token (or base64 XOAUTH2 string) from this file (first line).
    #[arg(long, value_name = "PATH", conflicts_with = "token_stdin")]
    pub token_file: Option<PathBuf>,
    /// Read the token from standard input.
    #[arg(long)]
    pub token_stdin: bool,
    /// Exchange the refresh token of --token-cache for a new access token and lint that
    /// (the cache is updated when the identity platform rotates the refresh token).
    #[arg(long, requires = "token_cache", conflicts_with_all = ["token_file", "token_stdin"])]
    pub refresh: bool,
    /// The token cache `check --oauth --token-cache` wrote (with --refresh).
    #[arg(long, value_name = "PATH", requires = "refresh")]
    pub token_cache: Option<PathBuf>,
    /// File holding the OAuth client's secret (Google "Desktop app" clients; with --refresh).
    #[arg(long, value_name = "PATH", requires = "refresh")]
    pub client_secret_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,
}

impl CheckArgs {
    /// `--format`, with `--monitoring` meaning `nagios`.
    pub fn output_format(&self) -> CheckFormat {
        if self.monitoring {
            CheckFormat::Nagios
        } else {
            self.format
        }
    }
}

fn parse_category(s: &str) -> Result<Category, String> {
    Category::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        format!("unknown category; one of: {}", names.join(", "))
    })
}

/// `-w` / `-c`: a positive number of seconds (fractions allowed, as check_smtp).
fn parse_seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(v > 0.0 && v <= 86_400.0) {
        return Err("must be more than 0 and at most 86400 seconds".into());
    }
    Ok(v)
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(0.1..=3600.0).contains(&v) {
        return Err("must be between 0.1 and 3600 seconds".into());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_flag_takes_a_secret_value() {
        let cmd = Cli::command();
        for sub in cmd.get_subcommands() {
            for arg in sub.get_arguments() {
                let id = arg.get_id().as_str();
                assert!(
                    !(id.contains("password") || id.contains("token"))
                        || id.ends_with("_file")
                        || id.ends_with("_stdin")
                        // --token-url names the OAuth token endpoint.
                        || id.ends_with("_url")
                        // --token-cache is the path of a 0600 file.
                        || id == "token_cache",
                    "{id} would take a secret on the command line"
                );
            }
        }
    }

    /// Every `after_long_help` text: the top level's and each subcommand's.
    fn help_texts() -> Vec<(String, String)> {
        let cmd = Cli::command();
        let mut out = vec![(
            "smtp-doctor".to_string(),
            cmd.get_after_long_help()
                .map(|h| h.to_string())
                .unwrap_or_default(),
        )];
        for sub in cmd.get_subcommands() {
            if let Some(h) = sub.get_after_long_help() {
                out.push((sub.get_name().to_string(), h.to_string()));
            }
        }
        out
    }

    #[test]
    fn every_example_in_help_is_a_command_line_that_parses() {
        let mut seen = 0;
        for (name, help) in help_texts() {
            for line in help.lines().map(str::trim) {
                // `VAR=value smtp-doctor …`, `printf … | smtp-doctor …`,
                // `smtp-doctor … > file && man …`: only the smtp-doctor part.
                let Some(at) = line.find("smtp-doctor ") else {
                    continue;
                };
                let before = &line[..at];
                if !(before.is_empty() || before.ends_with("| ") || before.ends_with("' ")) {
                    continue;
                }
                let command = line[at..].split(['|', '>', '&']).next().unwrap_or_default();
                let args: Vec<&str> = command.split_whitespace().collect();
                if let Err(e) = Cli::try_parse_from(&args) {
                    panic!("{name} --help example {line:?} does not parse: {e}");
                }
                seen += 1;
            }
        }
        assert!(seen >= 10, "only {seen} examples found");
    }

    #[test]
    fn the_exit_code_table_in_help_matches_each_category() {
        // Every category the table names sits on the line of its own code.
        let help = Cli::command()
            .get_after_long_help()
            .expect("top-level help")
            .to_string();
        let table = help
            .split("Exit codes:")
            .nth(1)
            .expect("an exit-code table");
        let mut code = None;
        let mut named = 0;
        // The rest of the `Exit codes:` line, then the rows up to a blank line.
        for line in table.lines().skip(1) {
            let trimmed = line.trim_start();
            if trimmed.is_empty() {
                break;
            }
            let indent = line.len() - trimmed.len();
            if indent == 2 {
                code = trimmed
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u8>().ok());
            }
            let code = code.unwrap_or_else(|| panic!("no code for {line:?}"));
            for c in Category::ALL {
                let named_here = trimmed
                    .split(|ch: char| !(ch.is_ascii_lowercase() || ch == '-'))
                    .any(|w| w == c.as_str());
                if named_here {
                    named += 1;
                    assert_eq!(
                        c.exit_status().code(),
                        code,
                        "--help puts {c} under exit {code}"
                    );
                }
            }
        }
        assert!(code == Some(7), "the table ends at 7: {table}");
        assert!(named > 0, "the table names no category: {table}");
    }
}
