//! Library and system error phrases, mapped to the probe's `Signal`s.
//!
//! These are the words OpenSSL, Node.js, Python, Java, .NET, Go, curl, swaks
//! and msmtp use for conditions the live probe detects itself (a refused
//! connection, a plaintext answer to a ClientHello, an expired certificate).
//! Phrases are lower-case; the first group with a phrase present adds its
//! signal once.

use super::vocabulary::{self, set};
use super::FoundReply;
use crate::diagnose::Signal;
use crate::phrase::{Found, PhraseTable};
use std::sync::OnceLock;

/// (signal, phrases). Order within the table does not matter for ranking —
/// the catalogue's rule order does — but each signal is reported once.
const TABLE: &[(Signal, &[&str])] = &[
    (
        Signal::TlsNotTls,
        &[
            "\\026\\003\\001",
            "\\x16\\x03\\x01",
            "\\026\\003\\003",
            "\\x16\\x03\\x03",
            "wrong version number",
            "wrong_version_number",
            "packet length too long",
            "packet_length_too_long",
            "unknown protocol",
            "unsupported record version",
            "unrecognized ssl message",
            "plaintext connection?",
            "first record does not look like a tls handshake",
            "ssl3_get_record",
            "record layer failure",
            "tls_get_more_records",
            "invalid tls record",
            "http_request",
            "received corrupt message",
            "bad record mac",
            "ssl_r_wrong_version",
            "tls record header",
            "not an ssl/tls record",
            "err_ssl_wrong_version_number",
            "invalidcontenttype",
            "cannot determine the frame size",
            "is typically reserved for plain-text connections",
            "an unexpected tls packet was received",
            "a tls packet with unexpected length",
            "error_packet_parsing",
            "invalid header type",
            // .NET SslStream / MailKit: TLS spoken to a plaintext (STARTTLS) port.
            "unexpected packet format",
            // Android Conscrypt: the first bytes were not a TLS record.
            "unable to parse tls packet header",
        ],
    ),
    (
        Signal::TlsCertExpired,
        &[
            "certificate has expired",
            "cert_has_expired",
            "certificate expired",
            "certificate_expired",
            "certificate is expired",
            "expired certificate",
            "validity check failed",
        ],
    ),
    (
        Signal::TlsCertNotYetValid,
        &[
            "certificate is not yet valid",
            "cert_not_yet_valid",
            "certificate is not yet activated",
            "certificate not yet valid",
        ],
    ),
    (
        Signal::TlsCertNameMismatch,
        &[
            "does not match certificate's altnames",
            "err_tls_cert_altname_invalid",
            "hostname mismatch",
            "certificate is valid for",
            "certificate is not valid for",
            "no alternative certificate subject name",
            "doesn't match any of the subject alternative names",
            "does not match target host name",
            "hostname verification failed",
            "ip address mismatch",
            "certificate name mismatch",
            "remotecertificatenamemismatch",
            "name mismatch",
            "not match the host name",
            "does not match the server name",
            // Ruby OpenSSL::SSL::SSLError.
            "does not match the server certificate",
            "x509: certificate is valid",
            "no subject alternative",
            "host name does not match",
            "certificate's altnames",
            "cert's altnames",
            "not in the cert's list",
            "did not match the name given in the server's ssl certificate",
            // PHP streams, GnuTLS (msmtp).
            "did not match expected cn",
            "owner does not match hostname",
            // Python ssl / Gmail's "Send mail as" dialog / curl.
            "hostname doesn't match",
            "hostname does not match",
            "certificate doesn't match the host",
            "certificate does not match the host",
            "doesn't match the host",
            "does not match the host",
            "doesn't match either of",
            "not valid for the host",
        ],
    ),
    (
        Signal::TlsCertSelfSigned,
        &[
            "self signed certificate",
            "self-signed certificate",
            "self_signed_cert_in_chain",
            "depth_zero_self_signed_cert",
            "selfsigned",
        ],
    ),
    (
        Signal::TlsCertUntrusted,
        &[
            "issuer certificate could not be found",
            "issuer certificate of a locally looked up certificate could not be found",
            "unable to get issuer certificate",
            "unable to get local issuer certificate",
            "unable_to_get_issuer_cert",
            "unable_to_verify_leaf_signature",
            "unable to verify the first certificate",
            "certificate verify failed",
            "pkix path building failed",
            "pkix path validation failed",
            "certificate signed by unknown authority",
            "remote certificate is invalid",
            "unknown ca",
            "unable to find valid certification path",
            "remotecertificatechainerrors",
            "certificate_verify_failed",
            "untrusted certificate",
            "not trusted",
            "ssl certificate problem",
            "x509: certificate",
            "invalid certificate",
            "untrusted root",
            "hasn't got a known issuer",
        ],
    ),
    (
        Signal::TlsCertOther,
        &[
            "alert bad certificate",
            "sslv3_alert_bad_certificate",
            "alert certificate unknown",
            "alert unsupported certificate",
            "bad_certificate",
            // GnuTLS/msmtp's generic verdict; a more specific phrase ranks first.
            "certificate verification failed",
            // MailKit's SslHandshakeException, before its list of reasons.
            "certificate could not be validated",
            "fingerprint does not match",
        ],
    ),
    (
        Signal::TlsProtocolVersion,
        &[
            "unsupported protocol",
            "no protocols available",
            "alert protocol version",
            "protocol_version",
            "tls 1.0 and 1.1 are not supported",
            "tlsv1 alert protocol",
            "wrong ssl version",
            "unsupported_protocol",
            "server does not support tls 1.2",
            "inappropriate fallback",
            // Java (TLS 1.0/1.1 disabled), .NET/SChannel, rustls.
            "no appropriate protocol",
            "is not accepted by client preferences",
            "do not possess a common algorithm",
            "fatal alert: protocolversion",
        ],
    ),
    (
        Signal::TlsAlert,
        &[
            "alert internal error",
            "alert handshake failure",
            "sslv3 alert",
            "tlsv1 alert",
            "alert number",
            "handshake_failure",
            "internal_error",
            "server alert",
            "handshake failure",
            "alertreceivedhandshakefailure",
            "alert_received_handshake_failure",
            "remote party sent a tls alert",
            "received fatal alert",
        ],
    ),
    (
        Signal::TlsHandshake,
        &[
            "tls negotiation failed",
            "starttls failed",
            "failed to start tls",
            "unable to start tls",
            "tls: wrapper",
            "handshake failed",
            "ssl handshake",
            "tls handshake",
            "sslhandshakeexception",
            "eproto",
            "ssl operation failed",
            "stream_socket_enable_crypto",
            "tls startup failed",
            "ssl routines",
            "could not establish",
            "sslerror",
            "ssl error",
            "tls error",
            "system.security.authentication.authenticationexception",
            "remote host terminated the handshake",
            "connection reset during handshake",
            // .NET SslStream: the server hung up during the handshake.
            "remote party has closed the transport stream",
            // Outlook 0x800CCC1A: no TLS version or mode in common (old
            // Windows without TLS 1.2, or SSL/TLS chosen on the wrong port).
            "does not support the connection encryption type",
            // PHP streams: STARTTLS answered 220, then the handshake failed.
            "failed to enable crypto",
            // OpenSSL 3 / Python ssl: the peer hung up inside the handshake.
            "unexpected_eof_while_reading",
            "unexpected eof while reading",
            "eof occurred in violation of protocol",
            // rustls (Debug form): the server's alert.
            "alertreceived(handshakefailure)",
            "alertreceived(protocolversion)",
            // No cipher suite or key exchange in common.
            "no shared cipher",
            "no cipher suites in common",
            "no ciphers available",
            "dh key too small",
            "unsafe legacy renegotiation",
        ],
    ),
    (
        // A client library's words for a reply it could not use (garbled,
        // out of place, not SMTP). Weak: a reply quoted in the same text
        // says what it was (see `diagnose::Strength`).
        Signal::UnexpectedReply,
        &[
            "unexpected response",
            "unexpected reply",
            "unexpected server response",
            "invalid server response",
            "invalid response from server",
            "bad response from",
            "malformed response",
            "malformed reply",
            "garbled",
            "weird server reply",
            "smtp protocol error",
            "unrecognized response",
            "unrecognised response",
        ],
    ),
    (
        Signal::StartTlsNotOffered,
        &[
            "starttls extension not supported",
            "does not support starttls",
            "server does not support tls",
            "smtp server does not support tls",
            "no starttls",
            "starttls is not supported",
            "starttls not supported",
            "server doesn't support starttls",
            "starttls required but not",
            "tls not available",
            "does not advertise starttls",
            "not offer starttls",
            "starttls command not advertised",
            "server does not support secure connections",
            "does not support the starttls extension",
            "but was not offered",
            // OpenSSL s_client -starttls smtp, old and new wording.
            "didn't found starttls",
            "didn't find starttls",
            "starttls was not advertised",
            // Thunderbird.
            "using starttls since it doesn't advertise",
            "starttls is required but host does not support",
        ],
    ),
    (
        Signal::AuthNotOffered,
        &[
            "did not advertise authentication",
            "not advertise auth",
            "does not advertise auth",
            "smtp auth extension not supported",
            "auth extension not supported",
            "server does not support authentication",
            "does not support authentication",
            "authentication not supported",
            "auth not supported",
            "smtp auth not supported",
            "server doesn't support auth",
            "server does not support smtp authentication",
            "no auth mechanisms",
            "authentication is not supported",
        ],
    ),
    (
        Signal::NoCommonMechanism,
        &[
            "0 possible authenticators",
            "unable to use this auth type",
            "invalid mechanism",
            "mechanism not available",
            "no authenticators",
            "no supported authentication methods",
            "no suitable authentication",
            "no compatible authentication",
            "no matching authentication",
            "none of the authentication mechanisms",
            "unsupported authentication mechanism",
            "no authentication mechanism",
            "no auth method",
            "authentication mechanisms are supported",
            "does not support authentication method",
            "no mechanism available",
            "no form of authorisation",
            "no form of authorization",
            "no authentication mechansims",
            "supported by both server and client",
            "does not support smtp auth type",
            "requested auth method not available",
        ],
    ),
    (
        Signal::MissingCredentials,
        &[
            "missing credentials",
            "credentials missing",
            "no username",
            "username is empty",
            "empty username",
            "username and password are required",
            "username not set",
            "missing username",
            "no credentials",
            "missing secret phrase",
        ],
    ),
    (
        Signal::ServerLogAuthFailed,
        &[
            "sasl login authentication failed",
            "sasl plain authentication failed",
            "sasl cram-md5 authentication failed",
            "sasl digest-md5 authentication failed",
            "sasl ntlm authentication failed",
            "sasl xoauth2 authentication failed",
            // Sendmail (sm-mta) and Cyrus SASL's own log words.
            "auth failure (login)",
            "auth failure (plain)",
            "auth failure (cram-md5)",
            "auth failure (digest-md5)",
            "sasl(-13): user not found",
            "sasl(-13): authentication failure",
        ],
    ),
    (
        Signal::DnsNotFound,
        &[
            "eai_fail",
            "eai_noname",
            "host lookup failed",
            "0x800ccc0d",
            "server could not be found",
            "wurde nicht gefunden",
            "could not resolve",
            "enotfound",
            "name or service not known",
            "no such host",
            "nodename nor servname",
            "unknownhostexception",
            "could not resolve host",
            "nxdomain",
            "name does not resolve",
            "no address associated",
            "getaddrinfo failed",
            "host not found",
            "unknown host",
            "errno -2",
            "errno 11001",
            "socket.gaierror",
            "name resolution failed",
            "couldn't resolve host",
            "no such host is known",
            "php_network_getaddresses",
            // Windows' WSAHOST_NOT_FOUND in other languages.
            "host ist unbekannt",
            "hôte inconnu",
            "no se conoce ningún host",
            "этот хост неизвестен",
            "不知道这样的主机",
        ],
    ),
    (
        Signal::DnsServFail,
        &[
            "servfail",
            // Go's resolver: an unexpected rcode (SERVFAIL, REFUSED).
            "server misbehaving",
            // Postfix/glibc TRY_AGAIN.
            "host not found, try again",
        ],
    ),
    (
        Signal::DnsTimeout,
        &[
            "querya etimeout",
            "queryaaaa etimeout",
            "querymx etimeout",
            "getaddrinfo etimeout",
            "no servers could be reached",
            "the dns operation timed out",
            "dns.exception.timeout",
        ],
    ),
    (
        Signal::DnsFailure,
        &[
            "eai_again",
            // .NET: the resolver's own frame in the stack (EAGAIN and
            // friends surface as "Resource temporarily unavailable").
            "system.net.dns.internalgethostbyname",
            "system.net.dns.gethostaddresses",
            "temporary failure in name resolution",
            "'edns'",
            "\"edns\"",
            "querya ",
            "queryaaaa ",
            "host lookup did not complete",
            "errno -3",
        ],
    ),
    (
        Signal::ConnectRefused,
        &[
            "forbidden by its access permissions",
            "rifiuto persistente",
            "в соединении отказано",
            "отказано в соединении",
            "connexion refusée",
            "verbindung abgelehnt",
            "conexión rechazada",
            "conexão recusada",
            "econnrefused",
            "connection refused",
            "actively refused",
            "errno 111",
            "errno 61",
            "errno 10061",
            "refused to connect",
            "connectexception: connection refused",
            "connection was refused",
            "\"errno\":-111",
            "errno: -111",
            // Windows' WSAECONNREFUSED in other languages (and as people
            // translate it back into English).
            "active rejection",
            "zielcomputer die verbindung verweigerte",
            "expressément refusée",
            "denegó expresamente",
            "recusou ativamente",
            "отверг запрос на подключение",
            "积极拒绝",
            "によって拒否されたため",
        ],
    ),
    (
        Signal::GreetingTimeout,
        &[
            "greeting never received",
            "greeting timeout",
            "timeout waiting for greeting",
            "no greeting",
        ],
    ),
    (
        Signal::ConnectTimeout,
        &[
            "not responding",
            "is not responding",
            "server not responding",
            "etimedout",
            "connection timed out",
            "connect timed out",
            "connection timeout",
            "i/o timeout",
            "operation timed out",
            "errno 110",
            "errno 60",
            "errno 10060",
            "net::opentimeout",
            // curl 28.
            "timeout was reached",
            "timed out",
            "sockettimeoutexception",
            "connection attempt failed because the connected party did not properly respond",
            // Windows' WSAETIMEDOUT in other languages.
            "nicht richtig reagiert",
            "pas répondu convenablement",
            "no respondió adecuadamente",
            "не получен нужный отклик",
            "没有正确答复",
        ],
    ),
    (
        Signal::ConnectFailed,
        &[
            "network is unreachable",
            "no route to host",
            "enetunreach",
            "ehostunreach",
            "errno 101",
            "errno 113",
            "couldn't connect to host",
            "could not connect to host",
            "couldn't connect to server",
            // Gmail's "Send mail as" dialog: no connection to the other server.
            "couldn't reach server",
            "could not reach server",
            "couldn't reach the server",
            // Outlook 0x80042109: no connection to the SMTP server at all.
            "cannot connect to your outgoing (smtp)",
            "unable to connect to your outgoing (smtp)",
            // The same Outlook dialog in German.
            "keine verbindung mit dem postausgangsserver",
        ],
    ),
    (
        Signal::ConnectionClosed,
        &[
            "empty response",
            "response is empty",
            "got empty code",
            "with message \"\"",
            "unable to read response",
            "response parsing error",
            "responseparsingerror",
            "unable to parse status code",
            "unexpectedly disconnected",
            "code -1",
            "code: -1",
            "code:-1",
            "response: ()",
            "eof",
            "invalid response code -1",
            "connection closed",
            "unexpectedly closed",
            "connection unexpectedly",
            "econnreset",
            "connection reset",
            "server disconnected",
            "smtpserverdisconnected",
            "unexpected socket close",
            "unexpected eof",
            "broken pipe",
            "epipe",
            "closed the connection",
            "connection lost",
            "connection dropped",
            "forcibly closed",
            "socket closed",
            "eof occurred",
            // .NET System.Net.Mail.
            "net_io_connectionclosed",
            "transport connection: the connection was closed",
            // Ruby net/smtp: the server hung up while a reply was awaited.
            "eoferror",
            // Dart mailer.
            "socket was closed even though a response was expected",
            // Outlook / Windows Mail 0x800CCC0F.
            "connection to the server was interrupted",
            // JavaMail, Ruby, msmtp, Thunderbird, Exim, smtplib, OpenSSL 3:
            // the peer went away (or was never connected) mid-dialogue.
            "can't send command to smtp host",
            "exception reading response",
            "end of file reached",
            "sent an empty reply",
            "was lost in the middle of the transaction",
            "unexpected disconnection while reading smtp command",
            "please run connect() first",
        ],
    ),
    (
        // The connection was up but a reply never came: Ruby net/smtp's
        // read timeout (the open timeout is `Net::OpenTimeout`).
        Signal::StageTimeout,
        &[
            "read timeout",
            "read timed out",
            // MailSo (RainLoop, SnappyMail).
            "socketreadtimeoutexception",
            "timeout after data",
            "timeout after end of data",
            // Horde_Smtp: no answer in time.
            "server read/timeout error",
            // Postfix: the client sent something that is not a command
            // (a ClientHello on a plaintext port), then nothing.
            "timeout after unknown",
            "net::readtimeout",
            // Outlook 0x8004210B: connected, but a reply never came.
            "timed out waiting for a response from the sending (smtp) server",
        ],
    ),
];

/// Wrapper messages that name a failed step but not its cause (JavaMail's
/// `Could not convert socket to TLS` wraps a certificate error, a timeout or
/// a handshake alert). They count only when no phrase of `TABLE` says more.
const WRAPPERS: &[(Signal, &[&str])] =
    &[(Signal::TlsHandshake, &["could not convert socket to tls"])];

/// Conditions told by two phrases on the same line, where either alone says
/// too little: Go's `lookup <name> …: i/o timeout` is a DNS timeout (a bare
/// `i/o timeout` is a connect timeout), and GnuTLS/msmtp's
/// `certificate verification failed: certificate 2 of 4 has expired` names
/// the expiry only in its own words.
const SAME_LINE: &[(Signal, &str, &str)] = &[
    (Signal::DnsNotFound, "host lookup ", " failed"),
    (Signal::DnsTimeout, "lookup ", "i/o timeout"),
    (Signal::DnsTimeout, "lookup ", "timed out"),
    (Signal::DnsTimeout, "communications error to", "timed out"),
    // JavaMail: the TCP connection opened but no SMTP greeting could be
    // read (`response: -1` is end of stream), so the server closed it or
    // spoke something else; a nested TLS or socket cause ranks first.
    (
        Signal::ConnectionClosed,
        "could not connect to smtp host",
        "response: -1",
    ),
    (
        Signal::TlsCertExpired,
        "certificate verification failed",
        "has expired",
    ),
];

/// DNS signals that say more than the generic ones: when the text shows a
/// SERVFAIL or a resolver timeout, "not found"/"lookup failed" wording
/// around it (Postfix's `Host not found, try again`, Node's `EDNS`) is the
/// same failure in vaguer words.
const DNS_SPECIFIC: &[Signal] = &[Signal::DnsServFail, Signal::DnsTimeout];

/// Every phrase of `TABLE` and `WRAPPERS`, for `vocabulary` (set `SIGNAL`).
pub(crate) fn phrase_sets() -> impl Iterator<Item = (&'static str, u32)> {
    TABLE
        .iter()
        .chain(WRAPPERS.iter())
        .flat_map(|(_, phrases)| phrases.iter().map(|p| (*p, set::SIGNAL)))
}

/// The vocabulary, where these phrases are compiled (word boundaries: see
/// `phrase`).
fn phrases() -> &'static PhraseTable {
    vocabulary::table()
}

/// The first phrase of `group` present in `found`.
fn first_of(found: &Found, group: &[&'static str]) -> Option<&'static str> {
    let t = phrases();
    group.iter().copied().find(|p| t.found(found, p))
}

/// Per pattern id of `phrases()`: the `TABLE` groups it belongs to (a phrase
/// may stand in more than one), so a text's hits name their groups without
/// a look-up per phrase.
fn groups_of_ids() -> &'static Vec<Vec<usize>> {
    static G: OnceLock<Vec<Vec<usize>>> = OnceLock::new();
    G.get_or_init(|| {
        let t = phrases();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (g, (_, phrases)) in TABLE.iter().enumerate() {
            for p in *phrases {
                let id = t.id(p).expect("every signal phrase is compiled") as usize;
                if groups.len() <= id {
                    groups.resize(id + 1, Vec::new());
                }
                groups[id].push(g);
            }
        }
        groups
    })
}

/// Signals whose phrases occur in `lower`, with the line that showed it;
/// `found` is the vocabulary's scan of `lower`.
pub fn find(found: &Found, lower: &str, original: &str) -> Vec<(Signal, String)> {
    let mut out: Vec<(Signal, String)> = Vec::new();
    let by_id = groups_of_ids();
    let mut hit_groups: Vec<usize> = found
        .ids()
        .filter_map(|id| by_id.get(id as usize))
        .flatten()
        .copied()
        .collect();
    hit_groups.sort_unstable();
    hit_groups.dedup();
    for g in hit_groups {
        let (signal, group) = &TABLE[g];
        if let Some(p) = first_of(found, group) {
            out.push((*signal, evidence_line(lower, original, p.trim_matches('*'))));
        }
    }
    for (signal, a, b) in SAME_LINE {
        if out.iter().any(|(s, _)| s == signal) || !(lower.contains(a) && lower.contains(b)) {
            continue;
        }
        if let Some(line) = lower
            .lines()
            .take(5_000)
            .find(|l| l.contains(a) && l.contains(b))
        {
            out.push((*signal, evidence_line(lower, original, line.trim())));
        }
    }
    // "Timed out waiting for a response" is a reply that never came on an
    // open connection (Outlook 0x8004210B), not a TCP connect timeout: the
    // generic `timed out` phrase on the same line says the same thing.
    let stalled: Vec<String> = out
        .iter()
        .filter(|(s, _)| *s == Signal::StageTimeout)
        .map(|(_, line)| line.clone())
        .collect();
    out.retain(|(s, line)| !(*s == Signal::ConnectTimeout && stalled.contains(line)));
    // Postfix names the SASL failure's reason after the colon; a lost
    // connection to the authentication server (Dovecot down) is the
    // server's temporary trouble, not a refused password.
    out.retain(|(s, line)| {
        !(*s == Signal::ServerLogAuthFailed
            && line
                .to_lowercase()
                .contains("connection lost to authentication server"))
    });
    if out.iter().any(|(s, _)| DNS_SPECIFIC.contains(s)) {
        out.retain(|(s, _)| !matches!(s, Signal::DnsFailure | Signal::DnsNotFound));
    }
    if out.is_empty() {
        for (signal, group) in WRAPPERS {
            if let Some(p) = first_of(found, group) {
                out.push((*signal, evidence_line(lower, original, p)));
            }
        }
    }
    out
}

/// Signals that need more than a phrase: what the dialogue shows.
///
/// - An XOAUTH2/OAUTHBEARER login the client attempted (not merely one the
///   server offered) that failed: the token was refused, whatever generic
///   words the server used (Gmail answers a bad token with a `334` error
///   challenge, then `535 … Username and Password not accepted`).
/// - An empty user name sent after the server asked for one
///   (`334 VXNlcm5hbWU6` is base64 `Username:`), or `AUTH PLAIN` with an
///   empty user and password (`AAA=`).
pub fn find_in_dialogue(
    lower: &str,
    original: &str,
    replies: &[FoundReply],
) -> Vec<(Signal, String)> {
    let mut out = Vec::new();
    if let Some(phrase) = oauth_attempt(lower) {
        let refused = replies.iter().any(|r| r.code.is_some_and(|c| c >= 400))
            || [
                "failed",
                "error",
                "invalid",
                "denied",
                "expired",
                "unsuccessful",
                "not accepted",
            ]
            .iter()
            .any(|p| lower.contains(p));
        let succeeded = replies.iter().any(|r| r.code == Some(235));
        if refused && !succeeded {
            out.push((
                Signal::OAuthTokenRejected,
                evidence_line(lower, original, phrase),
            ));
        }
    }
    if let Some(line) = empty_user_name(original) {
        out.push((Signal::MissingCredentials, line));
    }
    if !replies.iter().any(|r| r.code == Some(235)) {
        if let Some(line) = requested_mechanism_not_offered(lower, original) {
            out.push((Signal::NoCommonMechanism, line));
        }
        if let Some(signal) = auth_missing_from_ehlo(lower) {
            out.push((signal, evidence_line(lower, original, "250")));
        }
    }
    out
}

/// The keywords of the last EHLO reply in a transcript (`250-STARTTLS`,
/// `250 AUTH PLAIN`, with any log prefix before the code), lower-case;
/// `None` when the text holds no multi-line EHLO reply.
fn last_ehlo_keywords(lower: &str) -> Option<Vec<String>> {
    let mut blocks: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut open = false;
    for line in lower.lines().take(20_000) {
        // The code may follow a prefix: `S: `, `[time] Recv: `, `reply: b'`.
        let at = line.find("250-").or_else(|| line.find("250 "));
        let Some(at) = at.filter(|i| line[..*i].len() < 80) else {
            if open {
                blocks.push(std::mem::take(&mut current));
                open = false;
            }
            continue;
        };
        let last = line.as_bytes().get(at + 3) == Some(&b' ');
        let word: String = line[at + 4..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '=')
            .collect();
        open = true;
        current.push(word);
        if last {
            blocks.push(std::mem::take(&mut current));
            open = false;
        }
    }
    if open {
        blocks.push(current);
    }
    // A capability list has a greeting line and at least two keywords.
    blocks.into_iter().rev().find(|b| b.len() >= 3)
}

/// A transcript whose last EHLO reply offers no AUTH, in a session that
/// tried to log in (or says the login failed): the server offers AUTH only
/// after STARTTLS (when it lists STARTTLS) or not at all.
fn auth_missing_from_ehlo(lower: &str) -> Option<Signal> {
    // Cheap tests first: most texts (and a big log's chunks) show no login
    // attempt or no multi-line EHLO reply at all.
    let tried = [
        "auth login",
        "auth plain",
        "auth cram-md5",
        "auth xoauth2",
        "authenti",
        "authentisierung",
        "login failed",
    ]
    .iter()
    .any(|p| lower.contains(p));
    if !tried || !lower.contains("250-") {
        return None;
    }
    let keywords = last_ehlo_keywords(lower)?;
    if keywords
        .iter()
        .any(|k| k == "auth" || k.starts_with("auth="))
    {
        return None;
    }
    if keywords.iter().any(|k| k == "starttls") {
        Some(Signal::AuthOnlyAfterStartTls)
    } else {
        Some(Signal::AuthNotOffered)
    }
}

/// PHPMailer's debug pair `Auth method requested: XOAUTH2` /
/// `Auth methods available on the server: PLAIN,LOGIN`: the client insisted
/// on a mechanism the server does not offer.
fn requested_mechanism_not_offered(lower: &str, original: &str) -> Option<String> {
    let after = |phrase: &str| {
        // One search of the whole text first: most texts have neither
        // phrase, and a search per line costs a searcher per line.
        if !lower.contains(phrase) {
            return None;
        }
        lower.lines().take(5_000).find_map(|l| {
            l.find(phrase)
                .map(|i| l[i + phrase.len()..].trim().to_string())
        })
    };
    let requested = after("auth method requested:")?;
    let requested = requested.split_whitespace().next()?.to_string();
    if requested == "unspecified" {
        return None;
    }
    let offered = after("auth methods available on the server:")?;
    if offered.is_empty() || offered.split(',').any(|m| m.trim() == requested) {
        return None;
    }
    Some(evidence_line(
        lower,
        original,
        "auth methods available on the server:",
    ))
}

/// The phrase showing that the client logged in with OAuth, if any.
fn oauth_attempt(lower: &str) -> Option<&'static str> {
    // Commands (`AUTH XOAUTH2 …`) but not the EHLO capability line
    // (`250-AUTH LOGIN PLAIN XOAUTH2`, `250-AUTH XOAUTH2 PLAIN`).
    for cmd in ["auth xoauth2", "auth oauthbearer"] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(cmd) {
            let at = from + i;
            let mut start = at.saturating_sub(8);
            while !lower.is_char_boundary(start) {
                start += 1;
            }
            let prefix = lower[start..at].trim_end();
            if !(prefix.ends_with("250-") || prefix.ends_with("250")) {
                return Some(cmd);
            }
            from = at + cmd.len();
        }
    }
    // Client libraries' own OAuth code in a stack trace or log.
    if let Some(p) = [
        "sasl-xoauth2",
        "nodemailer/lib/xoauth2",
        "saslmechanismoauth2",
        "authenticateasync(saslmechanism ",
        "authenticate(saslmechanism ",
    ]
    .into_iter()
    .find(|p| lower.contains(p))
    {
        return Some(p);
    }
    // A client's own words naming the mechanism it used (SwiftMailer's
    // `XOAuth2Authenticator`, `authType: 'OAuth2'`, mailcore's
    // `MCOAuthTypeXOAuth2`), on a line that is not the server's list of
    // what it offers (`250-AUTH LOGIN XOAUTH2`, PHPMailer's `Auth methods
    // available on the server: …`).
    if !(lower.contains("xoauth2") || lower.contains("oauthbearer")) {
        return None;
    }
    lower
        .lines()
        .take(5_000)
        .find(|l| {
            (l.contains("xoauth2") || l.contains("oauthbearer"))
                && !l.contains("250-auth")
                && !l.contains("250 auth")
                && !l.contains("available on the server")
                && !l.contains("auth=")
                && !l.contains("supported")
                && !l.contains("offered")
                && !l.contains("requested")
        })
        .map(|_| "xoauth2")
}

/// The client line that sent an empty user name, if the dialogue shows one.
fn empty_user_name(original: &str) -> Option<String> {
    const CLIENT: &[&str] = &["CLIENT -> SERVER:", "C:", ">>>", "send:"];
    // Only a line with one of these can give an answer (searched once in
    // the whole text, not per line).
    if !(original.contains("AUTH PLAIN AAA=") || original.contains("334 VXNlcm5hbWU6")) {
        return None;
    }
    let mut lines = original.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_end();
        if let Some(i) = trimmed.find("AUTH PLAIN AAA=") {
            if trimmed[i..].trim_end() == "AUTH PLAIN AAA=" {
                return Some(trimmed.trim().to_string());
            }
        }
        if !trimmed.ends_with("334 VXNlcm5hbWU6") {
            continue;
        }
        let Some(next) = lines.next() else { break };
        for marker in CLIENT {
            if let Some(i) = next.find(marker) {
                let payload = next[i + marker.len()..].trim();
                if payload.is_empty() || payload == "''" || payload == "'\\r\\n'" {
                    return Some(next.trim().to_string());
                }
            }
        }
    }
    None
}

/// True when the text shows a successful login.
pub fn shows_success(lower: &str) -> bool {
    [
        "authentication successful",
        "authentication succeeded",
        "authenticated successfully",
        "login successful",
        "2.7.0 accepted",
    ]
    .iter()
    .any(|p| lower.contains(p))
}

/// The original line containing `phrase` (found in the lower-cased copy).
fn evidence_line(lower: &str, original: &str, phrase: &str) -> String {
    let Some(pos) = lower.find(phrase) else {
        return phrase.to_string();
    };
    // Lower-casing can change byte lengths for non-ASCII text; fall back to
    // the phrase when the positions no longer line up.
    if lower.len() != original.len() || !original.is_char_boundary(pos) {
        return phrase.to_string();
    }
    let start = original[..pos].rfind('\n').map_or(0, |i| i + 1);
    let end = original[pos..]
        .find('\n')
        .map_or(original.len(), |i| pos + i);
    let line = original[start..end].trim();
    if line.chars().count() > 300 {
        line.chars().take(300).collect::<String>() + "…"
    } else {
        line.to_string()
    }
}

/// A plain (or STARTTLS) client on implicit-TLS port 465, as pasted text
/// shows it: the session ended with a bare close or a timeout, before any
/// reply or TLS error, and the text names port 465. (The contract: a bare
/// disconnect is `protocol-error`, with `timed out` `connection-timeout`,
/// and only with 465 in the text `tls-mode-mismatch`.)
pub fn plain_client_on_port_465(
    lower: &str,
    original: &str,
    found: &[(Signal, String)],
    replies: &[FoundReply],
) -> Option<String> {
    // Connected, then nothing: a close or a read timeout. (A TCP connect
    // timeout is not this: a plain client on 465 does connect.)
    let ended = found.iter().any(|(s, _)| {
        matches!(
            s,
            Signal::ConnectionClosed | Signal::GreetingTimeout | Signal::StageTimeout
        )
    });
    let explained = found.iter().any(|(s, _)| {
        !matches!(
            s,
            Signal::ConnectionClosed
                | Signal::ConnectTimeout
                | Signal::GreetingTimeout
                | Signal::StageTimeout
                | Signal::NetworkError
        )
    }) || replies
        .iter()
        .any(|r| r.code.is_some_and(|c| c != 220 && c != 250));
    if !ended || explained {
        return None;
    }
    let re = port_465();
    let m = re.find(lower)?;
    Some(evidence_line(lower, original, m.as_str()))
}

/// The text names an implicit-TLS URL (`smtps://`, or PHP's `ssl://` and
/// `tls://` stream wrappers) on a port that speaks plaintext first (587,
/// 25), and the session ended with a close or a timeout and no TLS error
/// or reply to read: the client sent a ClientHello where the server waited
/// for EHLO (RFC 8314 §3.3). The client's own setting is the evidence, so
/// it outranks the close or timeout it caused.
pub fn implicit_tls_url_on_starttls_port(
    lower: &str,
    original: &str,
    found: &[(Signal, String)],
    replies: &[FoundReply],
) -> Option<String> {
    // Only a session that ended with a close, a timeout or a failed
    // connect and no TLS error to read: a TLS library names its own
    // failure (`wrong version number`, a handshake alert), and that decides.
    let ended = found.iter().any(|(s, _)| {
        matches!(
            s,
            Signal::ConnectionClosed
                | Signal::StageTimeout
                | Signal::GreetingTimeout
                | Signal::ConnectFailed
                | Signal::NetworkError
        )
    });
    let tls_error = found.iter().any(|(s, _)| {
        matches!(
            s,
            Signal::TlsNotTls
                | Signal::TlsHandshake
                | Signal::TlsAlert
                | Signal::TlsProtocolVersion
                | Signal::TlsCertExpired
                | Signal::TlsCertNotYetValid
                | Signal::TlsCertNameMismatch
                | Signal::TlsCertSelfSigned
                | Signal::TlsCertUntrusted
                | Signal::TlsCertOther
        )
    });
    if !ended || tls_error || replies.iter().any(|r| r.code.is_some_and(|c| c >= 400)) {
        return None;
    }
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"\b(?:smtps|ssl|tls)://[a-z0-9.\-\[\]]+:(?:587|25)\b")
            .expect("implicit TLS URL regex compiles")
    });
    let m = re.find(lower)?;
    Some(evidence_line(lower, original, m.as_str()))
}

fn port_465() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        // `port: 465`, `host:465`, or a quoted host followed by 465 as the
        // next argument (`client.Connect("smtp.gmail.com", 465, false)`).
        regex::Regex::new(r#"(?:\bport\b["']?\s*(?:[:=]|=>)?\s*["']?|[a-z0-9\]]:|["'],\s*)465\b"#)
            .expect("port 465 regex compiles")
    })
}

/// `QUIT` followed closely by the server's `221`, on one line: the end of a
/// session, so a close after it (`Connection closed by foreign host`) is
/// no fault.
pub fn quit_then_221(lower: &str) -> bool {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"\bquit\b[^\n]{0,80}?\b221\b").expect("QUIT/221 regex compiles")
    });
    lower.contains("221") && re.is_match(lower)
}

/// True when the text shows the address of a personal account of its
/// provider (outlook.com, hotmail.*, live.*, msn.com: the provider table's
/// `providers::personal_account`): Microsoft retired basic authentication
/// for those, so a refused password means OAuth only.
pub fn personal_account_in(lower: &str) -> bool {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
            .expect("address regex compiles")
    })
    .find_iter(lower)
    .take(1_000)
    .any(|m| crate::providers::personal_account(m.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> (String, Vec<(Signal, String)>) {
        let lower = text.to_lowercase();
        let found = crate::explain::vocabulary::table().scan(&lower);
        let signals = find(&found, &lower, text);
        (lower, signals)
    }

    fn signals_of(text: &str) -> Vec<Signal> {
        scan(text).1.into_iter().map(|(s, _)| s).collect()
    }

    #[test]
    fn libraries_words_for_a_broken_dialogue() {
        // JavaMail, Ruby, msmtp, Thunderbird: the peer went away.
        for t in [
            "javax.mail.MessagingException: Can't send command to SMTP host",
            "EOFError: end of file reached",
            "msmtp: the server sent an empty reply",
            "The connection to the outgoing server was lost in the middle of the transaction",
        ] {
            assert!(signals_of(t).contains(&Signal::ConnectionClosed), "{t}");
        }
        // A reply the library could not use.
        for t in [
            "curl: (8) Weird server reply",
            "SMTP protocol error: unexpected response",
        ] {
            assert!(signals_of(t).contains(&Signal::UnexpectedReply), "{t}");
        }
    }

    #[test]
    fn no_cipher_in_common_is_a_handshake_failure() {
        let s = signals_of("SSL routines:tls_post_process_client_hello:no shared cipher");
        assert!(s.contains(&Signal::TlsHandshake), "{s:?}");
    }

    #[test]
    fn an_ehlo_reply_without_auth_is_read() {
        let plain =
            "250-mail.example.com\n250-PIPELINING\n250-STARTTLS\n250 8BITMIME\nAUTH LOGIN\n";
        assert_eq!(
            auth_missing_from_ehlo(&plain.to_lowercase()),
            Some(Signal::AuthOnlyAfterStartTls)
        );
        let none = "S: 250-mail.example.com\nS: 250-PIPELINING\nS: 250 8BITMIME\nC: AUTH PLAIN x\n";
        assert_eq!(
            auth_missing_from_ehlo(&none.to_lowercase()),
            Some(Signal::AuthNotOffered)
        );
        let offered = "250-mail.example.com\n250-AUTH PLAIN LOGIN\n250 8BITMIME\nAUTH PLAIN x\n";
        assert_eq!(auth_missing_from_ehlo(&offered.to_lowercase()), None);
    }

    #[test]
    fn implicit_tls_urls_on_plaintext_ports() {
        let t = "Failed to connect to tls://smtp.example.com:587 [SMTP: Failed to connect socket: (code: -1, response: )]";
        let (lower, found) = scan(t);
        assert!(implicit_tls_url_on_starttls_port(&lower, t, &found, &[]).is_some());
        // On 465 the URL is right: nothing to say.
        let t = t.replace(":587", ":465");
        let (lower, found) = scan(&t);
        assert!(implicit_tls_url_on_starttls_port(&lower, &t, &found, &[]).is_none());
    }

    #[test]
    fn a_flattened_goodbye_is_seen() {
        assert!(quit_then_221(
            "... 250 ok 1103093638 qp 87827 quit 221 connection closed by foreign host."
        ));
        assert!(!quit_then_221("221 is a number; nobody said quit"));
    }
}
