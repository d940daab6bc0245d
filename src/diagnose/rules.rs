//! The diagnosis catalogue: one ordered table, shared by `check` and `explain`.
//!
//! How to read it: each rule says *when* it applies (signal, reply code,
//! RFC 3463 enhanced status, phrases in the reply text, provider) and what it
//! means (id, category, summary, remediation, reference). For each
//! observation the FIRST matching rule wins, so the table runs from specific
//! to generic:
//!   1. provider-specific reply rules (Google, Microsoft, Yahoo, …),
//!   2. rules keyed on stable phrases or enhanced status codes,
//!   3. reply-code fallbacks from RFC 5321 §4.2 / RFC 4954 §6 / RFC 3463,
//!   4. rules on non-reply signals (TLS failures before connect failures,
//!      before capabilities: a TLS error implies the connection worked).
//!
//! A rule whose only condition is a reply code (no phrase, enhanced code,
//! stage or provider) is a fallback: it is tried only when no other rule
//! matches the observation.
//!
//! Which diagnosis comes first when a text shows several is decided by
//! `classify` through one mechanism, `diagnose::Strength`, strongest first:
//! a live probe's observation; a library's precise condition (a refused
//! connection, `wrong version number`, an expired certificate); a server
//! reply read by a specific rule; a capability (AUTH not offered) or a
//! handshake failure that names no reason; phrases found in free text; a
//! reply code alone; a consequence (a dropped connection, a timeout after
//! the failure); a client's summary that names no cause
//! (`wrapper_wording`). Between two replies of one strength, the earlier
//! stage of the dialogue; then table order.
//!
//! How to add a diagnosis: add a rule above the first more generic rule that
//! would also match, with a fixture of the real text in `tests/fixtures/`
//! (source cited in its MANIFEST.tsv) and, for live behaviour, a scenario
//! test. Phrases are lower-case. The meta-tests in `tests.rs` check that ids
//! are unique kebab-case, that every rule is reachable and that every rule is
//! triggered by at least one fixture. See CONTRIBUTING.md.

use super::{Category as C, Rule, Severity, Signal as S, When};
use crate::providers::Provider as P;
use crate::stage::Stage;

const fn err(
    id: &'static str,
    category: C,
    when: When,
    summary: &'static str,
    remediation: &'static str,
    reference: Option<&'static str>,
) -> Rule {
    Rule {
        id,
        category,
        severity: Severity::Error,
        when,
        summary,
        remediation,
        reference,
        also: None,
    }
}

const fn warn(
    id: &'static str,
    when: When,
    summary: &'static str,
    remediation: &'static str,
) -> Rule {
    Rule {
        id,
        category: C::Ok,
        severity: Severity::Warning,
        when,
        summary,
        remediation,
        reference: None,
        also: None,
    }
}

const GOOGLE_APP_PASSWORDS: Option<&str> =
    Some("https://support.google.com/accounts/answer/185833");
const MS_SMTP_AUTH: Option<&str> =
    Some("https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission");
const MS_BASIC_AUTH_RETIREMENT: Option<&str> =
    Some("https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/deprecation-of-basic-authentication-exchange-online");
const RFC4954: Option<&str> = Some("https://www.rfc-editor.org/rfc/rfc4954#section-6");
const RFC3207: Option<&str> = Some("https://www.rfc-editor.org/rfc/rfc3207");
const RFC8314: Option<&str> = Some("https://www.rfc-editor.org/rfc/rfc8314#section-3.3");
const RFC5321_REPLIES: Option<&str> = Some("https://www.rfc-editor.org/rfc/rfc5321#section-4.2.2");
const MS_CONDITIONAL_ACCESS: Option<&str> =
    Some("https://learn.microsoft.com/en-us/entra/identity/conditional-access/concept-authentication-flows");
const MS_AADSTS_CODES: Option<&str> =
    Some("https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes");
const MS_AUTH_CODE_FLOW: Option<&str> =
    Some("https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow");
const GOOGLE_NATIVE_APP: Option<&str> =
    Some("https://developers.google.com/identity/protocols/oauth2/native-app");

/// A server's words for a command it does not know (RFC 5321's 500 and 502):
/// in answer to STARTTLS or AUTH they mean the extension is not there.
const UNKNOWN_COMMAND: &[&str] = &[
    "unrecognized command",
    "unrecognised command",
    "command unrecognized",
    "command not recognized",
    "command not understood",
    "unknown command",
    "command not implemented",
];

/// The catalogue, most specific first.
pub static RULES: &[Rule] = &[
    // ── 0. Live-only: the user name, before any reading of the refusal ─────
    err(
        "username-not-full-address",
        C::UsernameFormat,
        When::signal(S::UserNameNotAddress),
        "The provider refused the login, and the user name is not the full e-mail address it expects",
        "Use the full address (for example alice@example.com, not alice) as the user name: Google, Microsoft 365/Outlook.com, Yahoo, Zoho, Fastmail and GMX all expect it. Then try once more.",
        None,
    ),
    err(
        "sendgrid-user-not-apikey",
        C::UsernameFormat,
        When::signal(S::UserNameNotFixedForm),
        "SendGrid refused the login: its SMTP user name is the literal word apikey",
        "Use the user name apikey (exactly that word) and an API key with the Mail Send permission as the password; your account name, e-mail address or the API key's id do not work as the user name.",
        Some("https://www.twilio.com/docs/sendgrid/for-developers/sending-email/integrating-with-the-smtp-api"),
    ),
    err(
        "fixed-user-name-refused",
        C::UsernameFormat,
        When::reply().fixed_user_name().any(&["invalid username", "invalid user name", "unknown user name", "username is invalid"]),
        "The provider refused the user name: its SMTP user name is a fixed word, not your address or account name",
        "Use the user name the provider fixes (SendGrid: apikey, Resend: resend; exactly that word) and an API key as the password.",
        None,
    ),
    // ── 1. Google (Gmail, Workspace) ─────────────────────────────────────
    err(
        "gmail-app-password-required",
        C::AppPasswordRequired,
        When::reply().any(&["application-specific password required", "invalidsecondfactor", "application specific password"]),
        "Google refused the account password: this account has 2-Step Verification, so mail clients need an app password",
        "Create an app password at https://myaccount.google.com/apppasswords (sign in as this account) and use those 16 letters instead of your normal password. If the page says app passwords are unavailable, 2-Step Verification is off or your Workspace administrator has disabled them; then use OAuth (XOAUTH2).",
        GOOGLE_APP_PASSWORDS,
    ),
    err(
        "gmail-web-login-required",
        C::AccountActionRequired,
        When::reply().any(&["please log in via your web browser", "weblogin", "5.7.14", "continue/unlockcaptcha", "accounts.google.com/displayunlockcaptcha", "log in with your web browser", "web browser and then try again"]),
        "Google blocked this sign-in until you confirm it in a web browser",
        "Sign in to this Google account at https://mail.google.com from a browser (ideally from the same network), confirm the sign-in if asked, then retry within 10 minutes. If it keeps happening, use an app password or OAuth instead of the account password.",
        Some("https://support.google.com/mail/answer/7126229"),
    ),
    err(
        "gmail-unsolicited-ip-blocked",
        C::ClientBlocked,
        When::reply().any(&["unsolicitediperror", "unusual rate of unsolicited mail", "mail sent from your ip address has been blocked"]),
        "Gmail blocked mail from your server's IP address: it saw an unusual rate of unsolicited mail from it",
        "This is about the sending server's IP address, not your login. Stop what is sending bulk or unwanted mail, follow Google's bulk sender guidelines (SPF, DKIM, DMARC, one-click unsubscribe, low complaint rate), and send through a relay with a good reputation until the block lifts.",
        Some("https://support.google.com/mail/answer/81126"),
    ),
    err(
        "gmail-too-many-logins",
        C::RateLimited,
        When::reply().provider(P::Google).any(&["too many login attempts", "too many failed"]),
        "Google is throttling logins for this account or IP address",
        "Stop retrying for at least 10–15 minutes: every failed attempt extends the block. Fix the credentials first (app password for accounts with 2-Step Verification), then try once.",
        Some("https://support.google.com/mail/answer/7126229"),
    ),
    err(
        "gmail-sending-limit-exceeded",
        C::QuotaExceeded,
        When::reply().any(&["daily user sending limit exceeded", "daily user sending quota exceeded", "5.4.5", "sending limit exceeded"]).provider(P::Google),
        "Google's daily sending limit for this account is used up",
        "Wait up to 24 hours for the limit to reset, or send fewer messages/recipients. Gmail allows about 500 recipients a day, Workspace about 2,000; bulk mail belongs on a transactional service.",
        Some("https://support.google.com/a/answer/166852"),
    ),
    // ── 1b. Microsoft 365 / Outlook.com / Exchange Online ─────────────────
    // ── OAuth sign-in (identity platform errors) ────────────────────────
    // One contiguous block, before the Microsoft reply rules (whose
    // `microsoft-conditional-access` would take AADSTS53003's "conditional
    // access") and `oauth-token-rejected` (whose "aadsts", "invalid_grant"
    // and "invalid_client" would take the rest).
    // The live sign-in (oauth/authcode.rs, oauth/device.rs) picks these
    // entries by id; `explain` finds the same codes and texts when pasted.
    err(
        "oauth-conditional-access-blocked",
        C::AccountActionRequired,
        When::reply().any(&["aadsts53003", "blocked by conditional access"]),
        "A Conditional Access policy of the tenant blocked this sign-in (AADSTS53003)",
        "Many tenants block the device-code flow by policy: sign in with the browser flow instead (`--oauth-flow browser`, the default). If that is blocked too, ask the tenant administrator which policy applied (Entra admin center → Sign-in logs → Conditional Access) and to allow this sign-in.",
        MS_CONDITIONAL_ACCESS,
    ),
    err(
        "oauth-mfa-required",
        C::AccountActionRequired,
        When::reply().any(&["aadsts50076", "aadsts50079", "must use multi-factor authentication", "required to use multi-factor authentication", "must enroll in multi-factor authentication"]),
        "The tenant requires multi-factor authentication for this sign-in (AADSTS50076/AADSTS50079)",
        "Sign in interactively in the browser (`--oauth-flow browser`) and complete the second factor there (register one first if AADSTS50079 asks you to enroll); a password-only or unattended sign-in cannot satisfy it.",
        MS_AADSTS_CODES,
    ),
    err(
        "oauth-consent-required",
        C::OauthRequired,
        When::reply().any(&["aadsts65001", "has not consented to use the application"]),
        "Nobody has consented to this application's SMTP.Send permission (AADSTS65001)",
        "An administrator must grant consent: Entra admin center → App registrations → this app → API permissions → add Office 365 Exchange Online › SMTP.Send (delegated) → Grant admin consent; or allow users to consent to it.",
        Some("https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/grant-admin-consent"),
    ),
    err(
        "oauth-sign-in-declined",
        C::OauthTokenInvalid,
        When::reply().any(&["aadsts65004", "user declined to consent", "user canceled the authentication", "user cancelled the authentication"]),
        "The sign-in or the consent was declined in the browser (access_denied)",
        "Run the command again and approve the request, signing in as the account you want to test. If you did not start this sign-in, decline it: someone else may be trying to use your account.",
        MS_AUTH_CODE_FLOW,
    ),
    err(
        "oauth-client-not-found",
        C::OauthTokenInvalid,
        When::reply().any(&["aadsts700016"]),
        "The identity platform does not know this application (client) id in this tenant (AADSTS700016)",
        "Check --client-id against the app registration's \"Application (client) ID\" and --tenant against the tenant it is registered in; a single-tenant app cannot sign in users of another tenant.",
        MS_AADSTS_CODES,
    ),
    err(
        "oauth-public-client-disabled",
        C::OauthRequired,
        When::reply().any(&["aadsts7000218"]),
        "The identity platform wants a client secret: this app registration does not allow public client flows (AADSTS7000218)",
        "In the app registration, Authentication → add the platform \"Mobile and desktop applications\" with the redirect URI http://localhost, and set \"Allow public client flows\" to Yes (needed for the device-code flow); smtp-doctor signs in as a public client and never sends a client secret to Microsoft.",
        MS_AUTH_CODE_FLOW,
    ),
    err(
        "oauth-pkce-verifier-mismatch",
        C::OauthTokenInvalid,
        When::reply().any(&["aadsts501481", "aadsts50148", "code_verifier does not match", "invalid code verifier"]),
        "The identity platform refused the code: the PKCE verifier does not match the challenge of the authorization request",
        "Run the sign-in again from the start: the code must be exchanged by the same run that opened the browser. If it keeps failing, something between the browser and smtp-doctor (a second sign-in in another window, a proxy rewriting the redirect) replaced the code.",
        Some("https://www.rfc-editor.org/rfc/rfc7636#section-4.6"),
    ),
    err(
        "google-oauth-client-not-found",
        C::OauthTokenInvalid,
        When::reply().any(&["the oauth client was not found", "the oauth client was deleted", "error 401: invalid_client", "error 401: deleted_client"]),
        "Google does not know this OAuth client (invalid_client)",
        "Check --client-id (and --client-secret-file) against the Google Cloud console → APIs & Services → Credentials: the client must be of type \"Desktop app\" and still exist; a client id copied from another application may have been deleted.",
        GOOGLE_NATIVE_APP,
    ),
    err(
        "google-redirect-uri-mismatch",
        C::OauthTokenInvalid,
        When::reply().any(&["redirect_uri_mismatch"]),
        "Google refused the redirect address (redirect_uri_mismatch): the OAuth client is not a desktop app",
        "Create the OAuth client as Application type \"Desktop app\" (Google Cloud console → Credentials → Create credentials → OAuth client ID): desktop clients accept any loopback redirect (http://127.0.0.1:PORT); a \"Web application\" client only accepts the redirect URIs registered for it.",
        GOOGLE_NATIVE_APP,
    ),
    err(
        "google-app-not-verified",
        C::OauthTokenInvalid,
        When::reply().any(&["has not completed the google verification process", "hasn't given you access to this app", "error 403: access_denied"]),
        "Google denied the sign-in (access_denied): the app is in testing and this account is not one of its test users, the app is not verified, or the consent was declined",
        "In the Google Cloud console → Google Auth Platform → Audience, add the account as a test user (or publish the app); a test app's refresh tokens expire after 7 days. For a Workspace account the administrator can instead trust the app (Admin console → Security → API controls).",
        Some("https://support.google.com/cloud/answer/15549945"),
    ),
    err(
        "oauth-invalid-grant",
        C::OauthTokenInvalid,
        When::reply().any(&["invalid_grant"]),
        "The identity platform refused the grant (invalid_grant): the code or refresh token is expired, revoked or already used",
        "Sign in again to get a new refresh token (with --token-cache, delete the cache file first). Refresh tokens end when the password changes, when they are revoked, after 90 days unused at Microsoft, and after 7 days for a Google app in testing.",
        Some("https://www.rfc-editor.org/rfc/rfc6749#section-5.2"),
    ),
    err(
        "microsoft-smtp-auth-disabled-tenant",
        C::AuthDisabledByPolicy,
        When::reply().any(&["smtpclientauthentication is disabled", "smtp_auth_disabled", "smtp client authentication is disabled"]),
        "SMTP AUTH is turned off for this Microsoft 365 tenant or mailbox",
        "An Exchange administrator must enable Authenticated SMTP: for one mailbox, `Set-CASMailbox -Identity <user> -SmtpClientAuthenticationDisabled $false` (or Microsoft 365 admin center → Users → Mail → Manage email apps → Authenticated SMTP); for the tenant, `Set-TransportConfig -SmtpClientAuthenticationDisabled $false`. It applies to OAuth as well as passwords.",
        Some("https://aka.ms/smtp_auth_disabled"),
    ),
    err(
        "microsoft-security-defaults",
        C::AuthDisabledByPolicy,
        When::reply().any(&["security defaults", "locked by your organization's security"]),
        "Microsoft 365 security defaults block password (basic) logins for this account",
        "Security defaults block legacy authentication, SMTP AUTH included. Use OAuth (XOAUTH2), or have an administrator replace security defaults with Conditional Access policies that allow SMTP AUTH for this mailbox.",
        Some("https://learn.microsoft.com/en-us/entra/fundamentals/security-defaults"),
    ),
    err(
        "microsoft-conditional-access",
        C::AuthDisabledByPolicy,
        When::reply().any(&["did not meet the criteria to be authenticated", "conditional access", "critérios", "criterios", "critères", "kriterien"]),
        "A Microsoft Entra Conditional Access policy refused this login",
        "Ask an administrator to check the sign-in logs (Entra admin center → Sign-in logs, client app \"Authenticated SMTP\") to see which policy blocked it, and to exempt this account or use OAuth.",
        Some("https://learn.microsoft.com/en-us/entra/identity/conditional-access/block-legacy-authentication"),
    ),
    err(
        "microsoft-personal-account-oauth-only",
        C::OauthRequired,
        When::reply().personal_account().any(&["basic authentication is disabled", "basic auth is disabled", "basicauthblocked"]),
        "Microsoft refused the password: Outlook.com / Hotmail / Live personal accounts accept only OAuth",
        "No password (not even an app password) works for SMTP on a personal Microsoft account since September 16, 2024. Use a mail client or library that signs in with OAuth 2.0 (XOAUTH2, scope https://outlook.office.com/SMTP.Send), or send through another provider.",
        MS_BASIC_AUTH_RETIREMENT,
    ).also("microsoft-basic-auth-disabled", "The same reply comes from a Microsoft 365 tenant whose administrator turned basic authentication off"),
    err(
        "microsoft-basic-auth-disabled",
        C::AuthDisabledByPolicy,
        When::reply().any(&["basic authentication is disabled", "basic auth is disabled", "basicauthblocked"]),
        "Microsoft refused the password: basic authentication is disabled for this account",
        "What changed: Microsoft is retiring basic authentication (user name and password) for SMTP AUTH in Exchange Online, and it is already off for this tenant or mailbox. When: it is disabled by default for existing tenants after December 2026 (Message Center MC786329, timeline revised January 2026; text last verified 2026-11-25). For good: switch the client to OAuth 2.0 (XOAUTH2 with the SMTP.Send permission; try it with `smtp-doctor check ADDRESS --oauth microsoft --client-id ID`). While Microsoft still allows it: an Exchange administrator can allow basic authentication for SMTP in the authentication policy assigned to the user (`Set-AuthenticationPolicy <policy> -AllowBasicAuthSmtp`; security defaults must be off) and enable SMTP AUTH for the mailbox (`Set-CASMailbox <user> -SmtpClientAuthenticationDisabled $false`). Outlook.com/Hotmail personal accounts accept only OAuth (since September 16, 2024).",
        MS_BASIC_AUTH_RETIREMENT,
    ),
    err(
        "oauth-only-server",
        C::OauthRequired,
        When::signal(S::OnlyOAuthOffered).or(&When::reply().enhanced(&["5.7.30"])),
        "No password can work here: the server accepts only OAuth (XOAUTH2/OAUTHBEARER)",
        "Get an OAuth access token for this account and pass it with --token-file/--token-stdin/SMTP_DOCTOR_TOKEN, in a client that supports XOAUTH2. Microsoft's 5.7.30 (basic authentication is not supported) means the same: Outlook.com/Hotmail personal accounts (since September 16, 2024), and tenants where basic authentication has been retired, accept only OAuth 2.0; if the client cannot do OAuth, use a relay or Microsoft Graph instead.",
        Some("https://www.rfc-editor.org/rfc/rfc7628"),
    ),
    // A failed XOAUTH2/OAUTHBEARER exchange (pasted text) means the token was
    // refused, whatever generic words the server used: it ranks above the
    // credential refusals of Google and Microsoft, below their policy refusals.
    err(
        "oauth-token-refused",
        C::OauthTokenInvalid,
        When::signal(S::OAuthTokenRejected),
        "The OAuth access token was refused",
        "Get a fresh access token with the right scope for this user and retry.",
        Some("https://developers.google.com/gmail/imap/xoauth2-protocol"),
    ),
    err(
        "gmail-bad-credentials",
        C::WrongCredentials,
        When::reply().any(&["badcredentials", "username and password not accepted"]),
        "Google did not accept this user name and password",
        "Gmail refuses every normal account password for SMTP: personal accounts since May 30, 2022, Google Workspace accounts since the turn-off that began September 30, 2024. Use an app password (it needs 2-Step Verification: https://myaccount.google.com/apppasswords) or OAuth (XOAUTH2). If you already use an app password, retype it (16 letters, no spaces) and check the user name is the full address.",
        Some("https://support.google.com/mail/?p=BadCredentials"),
    ).also("gmail-app-password-required", "Gmail gives this answer to a normal account password too: only an app password (with 2-Step Verification) or OAuth logs in"),
    err(
        "microsoft-send-as-denied",
        C::SenderNotPermitted,
        When::reply().any(&["sendasdenied", "send as denied", "5.2.252", "not allowed to send as", "sendasdeniedexception"]),
        "You logged in, but this mailbox may not send as the From address",
        "Use the mailbox's own address as the From address, or have an Exchange administrator grant this user \"Send As\" permission on the other mailbox (Exchange admin center → Mailbox → Delegation → Send as). Changes can take up to an hour.",
        Some("https://learn.microsoft.com/en-us/exchange/recipients-in-exchange-online/manage-permissions-for-recipients"),
    ),
    err(
        "microsoft-credentials-incorrect",
        C::WrongCredentials,
        When::reply().any(&["user credentials were incorrect", "5.7.3 authentication unsuccessful", "535 5.7.3"]),
        "Microsoft did not accept this user name and password",
        "Use the full e-mail address (the UPN) as user name and retype the password. Accounts with MFA need an app password or OAuth. If the password is right, SMTP AUTH may be disabled for the mailbox: ask an administrator.",
        MS_SMTP_AUTH,
    ),
    // .NET SmtpClient's wrapper around Gmail's 5.5.1 / 5.7.0 (the words of
    // the wrapper read with the bare status: explain::extract).
    err(
        "dotnet-secure-connection-or-not-authenticated",
        C::AuthRequired,
        When::reply().enhanced(&["5.5.1", "5.7.0"]).any(&["requires a secure connection or the client was not authenticated"]),
        ".NET SmtpClient: the server wants a login (\"requires a secure connection or the client was not authenticated\")",
        "The server refused mail from a client that had not logged in: set EnableSsl = true (STARTTLS on port 587) and real Credentials (UseDefaultCredentials = false, user name = the full address). If both are set, the login itself was refused: check the password (or app password) and that SMTP AUTH is enabled for the mailbox.",
        Some("https://learn.microsoft.com/en-us/dotnet/api/system.net.mail.smtpclient"),
    ).also("authentication-failed-text", "With credentials configured, the same .NET message follows a refused password"),
    err(
        "microsoft-client-not-authenticated",
        C::AuthRequired,
        When::reply().any(&["5.7.57", "client not authenticated to send mail", "client was not authenticated"]),
        "The server accepted the connection but not the message: the client did not log in",
        "Turn on SMTP authentication in the client (user name = full address) and connect to smtp.office365.com on port 587 with STARTTLS. If the client already sends credentials, they were refused earlier: look for the AUTH error before this one.",
        MS_SMTP_AUTH,
    ),
    err(
        "microsoft-outbound-spam-hold",
        C::AccountActionRequired,
        When::reply().any(&["outboundspamexception", "wascl useraction verdict"]),
        "Microsoft held this message as suspected spam: the account must be verified or unblocked before it can send",
        "Sign in to Outlook on the web with this account and complete any verification it asks for (a phone number or a captcha; \"HipNotify\" and \"RefuseQuota\" mean exactly that), then send one message from the browser. New or unverified Outlook.com accounts have low sending limits; a Microsoft 365 administrator can release a restricted user in the Defender portal.",
        Some("https://learn.microsoft.com/en-us/defender-office-365/outbound-spam-restore-restricted-users"),
    ),
    err(
        "zoho-sender-address-blocked",
        C::AccountActionRequired,
        When::reply().any(&["sender address blocked", "email outgoing blocked"]),
        "Zoho has blocked outgoing mail for this account (\"Sender Address Blocked\")",
        "Zoho blocks sending from an account after suspected spam or unusual activity. Sign in to Zoho Mail on the web and follow its prompt to unblock the account (an organisation's administrator can do it in the Zoho Mail admin console), secure the account (change the password), then retry.",
        None,
    ),
    err(
        "microsoft-tenant-blocked",
        C::AccountActionRequired,
        When::reply().any(&["5.7.705", "tenant has exceeded threshold", "bad outbound sender", "account has been blocked", "restricted from sending", "5.7.501", "5.7.502", "5.7.503", "spam abuse detected"]),
        "Microsoft has blocked this account or tenant from sending (usually after suspected spam)",
        "An administrator must review the account in the Microsoft Defender portal (Restricted entities) and release it, after securing it (reset the password, check forwarding rules). For a blocked tenant, open a support request.",
        Some("https://learn.microsoft.com/en-us/defender-office-365/outbound-spam-restore-restricted-users"),
    ),
    err(
        "microsoft-server-busy",
        C::RateLimited,
        When::reply().any(&["4.7.500 server busy", "server busy. please try again later from", "(s77719)"]),
        "Exchange Online is throttling mail from this IP address (server busy)",
        "Retry later with backoff: Exchange Online throttles new or unusual sending IPs for a while (4.7.500–4.7.699). If it persists, send through your own provider's submission server or ask Microsoft support to review the IP.",
        Some("https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online"),
    ),
    // ── 1c. Yahoo / AOL ────────────────────────────────────────────────────
    err(
        "yahoo-auth005-refused",
        C::WrongCredentials,
        When::reply().pasted().any(&["#auth005", "too many bad auth attempts"]),
        "Yahoo refused the password (\"#AUTH005 Too many bad auth attempts\"): it wants an app password",
        "Yahoo sends this to a password it will not accept, often on the first attempt: a normal account password for a mail client. Create an app password (Yahoo Account Security → Generate app password) and use it; do not retry with the old password until it is fixed (waiting does not help, and every retry counts against the account).",
        Some("https://help.yahoo.com/kb/SLN15241.html"),
    ).also("yahoo-too-many-bad-auth", "Yahoo also uses this reply to throttle an account after many failed logins"),
    err(
        "yahoo-too-many-bad-auth",
        C::RateLimited,
        When::reply().live().any(&["#auth005", "too many bad auth attempts"]),
        "Yahoo is refusing logins for now (\"too many bad auth attempts\")",
        "Wait an hour before trying again. Yahoo also sends this when the account needs an app password: create one in Yahoo Account Security → Generate app password and use it instead of the account password.",
        Some("https://help.yahoo.com/kb/SLN15241.html"),
    ).also("yahoo-auth005-refused", "Yahoo sends the same reply to a password it will never accept (an account password instead of an app password)"),
    err(
        "yahoo-deferred-complaints",
        C::RateLimited,
        When::reply().any(&["[tss04]", "[tss05]", "[ipts04]", "temporarily deferred due to unexpected volume", "temporarily deferred due to user complaints"]),
        "Yahoo is deferring mail from this sending IP (unexpected volume or user complaints)",
        "Slow down: Yahoo accepts the mail later if the sending rate drops and complaints stay low. Retry with backoff, send only to recipients who asked for the mail, and register with Yahoo's Complaint Feedback Loop. If you send through a provider, tell them; the IP is theirs.",
        Some("https://senders.yahooinc.com/smtp-error-codes/"),
    ),
    err(
        "yahoo-permanently-deferred",
        C::ClientBlocked,
        When::reply().any(&["[tss06]", "will be permanently deferred"]),
        "Yahoo refuses all mail from this sending IP (permanently deferred)",
        "Retrying will not help. Send through another IP (your provider's submission server), and ask Yahoo to review the IP through its sender support form once the cause (spam, compromised account) is fixed.",
        Some("https://senders.yahooinc.com/smtp-error-codes/"),
    ),
    err(
        "yahoo-request-failed-mailbox-unavailable",
        C::SenderNotPermitted,
        When::reply().any(&["request failed; mailbox unavailable"]),
        "Yahoo refused the message (\"Request failed; Mailbox unavailable\"): usually the From address is not this account's own address",
        "Send with the Yahoo/AOL account's own address as the From (envelope MAIL FROM and header), the same address as the login user. If it already is, Yahoo may have flagged the message or account as spam: send one message from the web mail and retry later.",
        Some("https://senders.yahooinc.com/smtp-error-codes/"),
    ),
    // ── 1d. Other providers ────────────────────────────────────────────────
    err(
        "qq-authorization-code-required",
        C::AppPasswordRequired,
        When::reply().any(&["授权码", "authorization code", "authorized code", "\\xca\\xda\\xc8\\xa8\\xc2\\xeb", "êúè¨âë", "please enter your authorization", "no=1001256"]),
        "The provider requires an authorization code (app password) instead of the account password",
        "In the mailbox's web settings enable SMTP access and generate an authorization code (授权码), then use it as the password.",
        Some("https://service.mail.qq.com/detail/0/75"),
    ),
    err(
        "smtp-service-disabled-in-account",
        C::AuthDisabledByPolicy,
        When::reply().any(&["user has no permission", "service is not open", "smtp service is not enabled", "smtp access is disabled", "smtp access disabled", "does not have access rights to this service", "请开启", "开启smtp", "smtp服务未开启", "pop3/smtp service"]),
        "SMTP access is turned off in this account's settings",
        "Open the mailbox's web settings and enable SMTP (NetEase 163/126 and QQ: Settings → POP3/SMTP/IMAP → enable the SMTP service; Yandex: Settings → Mail clients; Zoho: Settings → Mail Accounts → IMAP/POP/SMTP access). Most of these providers then want an authorization code or app password instead of the account password.",
        None,
    ),
    err(
        "ses-address-not-verified",
        C::SenderNotPermitted,
        When::reply().any(&["email address is not verified", "email address not verified", "identity is not verified", "identities failed the check"]),
        "Amazon SES refused the sender: the address or domain is not verified",
        "Verify the From address or its domain in the SES console for this region. While the account is in the SES sandbox, every recipient must be verified too; request production access to lift that.",
        Some("https://docs.aws.amazon.com/ses/latest/dg/verify-addresses-and-domains.html"),
    ),
    err(
        "sendgrid-sender-identity",
        C::SenderNotPermitted,
        When::reply().any(&["verified sender identity", "sender identity"]),
        "SendGrid refused the From address: it is not a verified Sender Identity",
        "Verify the From address (Single Sender Verification) or authenticate its domain in SendGrid → Settings → Sender Authentication.",
        Some("https://www.twilio.com/docs/sendgrid/for-developers/sending-email/sender-identity"),
    ),
    err(
        "sending-too-fast",
        C::RateLimited,
        When::reply().any(&["per second", "too fast", "emails per minute", "messages per minute", "connection rate"]),
        "The server is limiting how fast this client sends",
        "Send more slowly: fewer messages per second and fewer parallel connections (one connection, messages one after another); the server lets mail through again at a lower rate.",
        None,
    ),
    err(
        "recipient-mailbox-full",
        C::QuotaExceeded,
        When::reply().enhanced(&["5.2.2", "4.2.2"]).or(&When::reply().any(&["mailbox full", "mailbox is full", "mailbox quota exceeded", "recipient's mailbox is full", "user is over quota", "boîte du destinataire pleine", "boite du destinataire pleine"])),
        "The recipient's mailbox is full (their quota, not yours)",
        "Nothing is wrong with your account or login: the recipient must free space or raise their quota. Tell them by another way, or retry later (a 4.2.2 reply is temporary).",
        Some("https://www.rfc-editor.org/rfc/rfc3463#section-3.3"),
    ),
    err(
        "transactional-credits-exceeded",
        C::QuotaExceeded,
        When::reply().any(&["maximum credits exceeded", "daily message quota exceeded", "sending quota exceeded", "quota exceeded", "quota exhausted", "exceeded the max emails", "sending limit", "message limit", "over quota", "*quotaexceeded*", "messages per hour", "per hour exceeded", "hour limit", "hourly limit", "daily limit", "messaging limits", "too many emails", "messages / hour", "messages/hour", "messages per day", "per 24 hours", "outgoing limit*", "per session limit", "too many recipients", "relay quota of", "over your quota"]).or(&When::reply().enhanced(&["5.4.5", "5.5.3", "4.5.3"])),
        "A sending quota or limit is used up",
        "Wait until the quota resets (often daily) or raise the limit in the provider's account or plan; reduce the number of messages or recipients per period.",
        None,
    ),
    err(
        "mailgun-sandbox-recipient-not-authorized",
        C::RelayDenied,
        When::reply().any(&["sandbox subdomains are for test purposes", "add the address to authorized recipients"]),
        "Mailgun's sandbox domain delivers only to authorized recipients, and this recipient is not one",
        "Add and verify your own sending domain in Mailgun (Sending → Domains) and send from it, or, for tests, add the recipient under the sandbox domain's Authorized Recipients and have them confirm the invitation.",
        Some("https://help.mailgun.com/hc/en-us/articles/217531258-Authorized-Recipients"),
    ),
    err(
        "unauthorized-ip-address",
        C::ClientBlocked,
        When::reply().any(&["unauthorized ip", "ip address is not authorized", "not in the list of authorized ip", "authorized ips", "ip address is not allowed", "ip is not allowed", "ip not allowed"]),
        "The provider does not accept connections from this IP address",
        "Add this machine's public IP address to the account's list of authorized IPs (e.g. Brevo → Security → Authorized IPs) or remove the IP restriction.",
        None,
    ),
    // ── 2. Stable phrases and enhanced status codes (any server) ───────────
    err(
        "starttls-required-before-auth",
        C::StarttlsRequired,
        When::reply().any(&["must issue a starttls", "starttls first", "must issue starttls", "encryption required", "tls required", "requires a secure connection", "tls is required", "starttls is required", "需要 starttls", "use starttls", "without ssl/tls encryption is not allowed", "without ssl/tls"]).or(&When::reply().code(538)),
        "The server requires TLS (STARTTLS) before it accepts a login",
        "Enable STARTTLS in the client (often labelled \"TLS\" or \"STARTTLS\", port 587), or use implicit TLS on port 465 (\"SSL/TLS\"); a 538 reply means this mechanism needs an encrypted connection. Never turn off TLS to make this go away.",
        RFC3207,
    ),
    err(
        "greylisted",
        C::ServerTemporaryFailure,
        When::reply().any(&["greylist*", "graylist*", "grey-list*", "gray-list*"]),
        "The receiving server greylisted the message: it refuses a first attempt from an unknown sender and accepts a retry",
        "Nothing is wrong with the login or the message: a real mail server retries after a few minutes and gets through. If a script sends directly, let it queue and retry (or send through a relay that does).",
        Some("https://www.rfc-editor.org/rfc/rfc6647"),
    ),
    err(
        "too-many-connections",
        C::RateLimited,
        When::reply().any(&["too many connections", "too many concurrent", "receiving mail at a rate", "too many requests", "per time unit", "too many login", "too many auth", "too many failed", "too many attempts", "rate limit", "ratelimit", "rate exceeded", "throttl*", "sending rate", "connection limit", "too many sessions", "slow down", "try again in", "unusual rate", "frequency limited", "connection frequency", "trop de connexions", "concurrent connections", "too fast", "per second", "connection rate", "too many recipient attempts", "possible smtp attack", "连接频率", "频率受限"]),
        "The server is rate-limiting this client",
        "Wait before trying again and reduce how often you connect or log in (one connection at a time; fix credentials before retrying). The block usually lifts by itself within minutes to an hour.",
        None,
    ),
    err(
        "client-ip-blocklisted",
        C::ClientBlocked,
        When::reply().any(&["spamhaus", "blocked using", "blacklist", "blocklist", "block list", "block listed", "black listed", "c=bl", "listed at", "listed in", "rbl", "dnsbl", "spamcop", "barracuda", "poor reputation", "bad reputation", "ip reputation", "5.7.708", "traffic not accepted from this ip", "5.7.606", "5.7.511", "banned sending ip", "host blocked", "blocked for spam", "bad ip", "from your ip address has been blocked", "ip source bloquee"]),
        "The server refuses this client's IP address (it is on a blocklist or has a poor reputation)",
        "Check the IP at the blocklist named in the reply and follow its delisting steps. Sending from a home or cloud IP straight to an MX rarely works: send through your provider's submission server (port 587 with AUTH) instead.",
        Some("https://check.spamhaus.org/"),
    ),
    err(
        "ehlo-name-not-fqdn",
        C::ProtocolError,
        When::reply().any(&["need fully-qualified hostname", "need fully qualified hostname", "helo command rejected: need fully", "syntactically invalid helo", "syntactically invalid ehlo", "rejected helo from", "rejected ehlo from"]),
        "The server refused the client's EHLO/HELO name: it is not a fully qualified domain name",
        "Configure the client's EHLO/HELO name (\"local domain\", \"hostname\", smtp-doctor's --ehlo-name) to this machine's real FQDN; localhost or a bare host name is refused.",
        Some("https://www.postfix.org/postconf.5.html#reject_non_fqdn_helo_hostname"),
    ),
    err(
        "client-host-rejected",
        C::ClientBlocked,
        When::reply().any(&["cannot find your hostname", "cannot find your reverse hostname", "reverse dns", "ptr record", "c=rdns", "dynamic ip", "dynamic address", "residential", "client host rejected", "not allowed to send directly", "direct-to-mx", "dialup", "dial-up", "end-user ip", "access denied - invalid helo", "invalid helo", "send email directly to our servers", "notauthorizederror", "not allowed to connect"]).or(&When::reply().stage(Stage::Greeting).class(5)),
        "The server refuses this client host (at its greeting, or for no reverse DNS, a dynamic IP or a bad HELO name)",
        "Send through your provider's authenticated submission server (port 587) rather than directly to the recipient's MX; a 554 greeting means no SMTP service for you here (RFC 5321 §3.1). If this is your own server, give its IP a matching PTR record and a HELO name that resolves.",
        None,
    ),
    err(
        "sender-rejected-not-logged-in",
        C::AuthRequired,
        When::reply().any(&["sender address rejected: not logged in"]),
        "The server refused the sender because the client never logged in",
        "This server lets only authenticated users send as its addresses (Postfix reject_sender_login_mismatch). Turn on SMTP authentication in the client with the mailbox's user name and password; if it is on, the login failed or was skipped (no AUTH in the transcript), so look for the error before this one.",
        Some("https://www.postfix.org/postconf.5.html#reject_sender_login_mismatch"),
    ),
    err(
        "sender-domain-authentication-failed",
        C::SenderNotPermitted,
        // RFC 7372 registers X.7.20-X.7.24 (DKIM/SPF) and X.7.26 (several
        // checks failed); X.7.25 (reverse DNS) is the client host's.
        When::reply().enhanced(&["5.7.20", "5.7.21", "5.7.22", "5.7.23", "5.7.24", "5.7.26"]).or(&When::reply().any(&["sender is unauthenticated", "check spf or dkim", "spf check failed", "dkim check failed", "failed spf", "spf validation failed", "dkim validation failed", "fails dmarc", "failed dmarc", "dmarc validation failed", "unauthenticated email"])),
        "The receiving server refused the message: the From domain's SPF, DKIM or DMARC checks failed",
        "Publish an SPF record that includes the server you send through and sign with DKIM for the From domain (your provider's setup guide names both); or send with a From address of the domain you log in to. A login problem it is not.",
        Some("https://www.rfc-editor.org/rfc/rfc7372#section-3.3"),
    ),
    err(
        "sender-address-not-owned",
        C::SenderNotPermitted,
        When::reply().any(&["not owned by user", "sender address rejected", "not allowed to send as", "not authorized to send as", "not permitted to send", "sender is not allowed", "not allowed to relay emails with this address", "sender not allowed", "sender mismatch", "5.7.60", "sender address is not allowed", "sender address not allowed", "sender name is not valid", "is not a sender signature", "sender domain not verified", "verify the sender domain", "relaying disallowed as", "from header does not match", "does not match the authenticated", "not match your authenticated", "from address not verified", "is not a verified", "local user only", "same as authorization user", "must be same as", "dmarc policy", "permissions to send as", "permission to send as", "not one of your addresses", "not allowed in header from", "not allowed to use the domain", "as a sender domain", "invalid sender", "emetteur invalide", "émetteur invalide", "must equal authorized user", "sender verify failed", "originator not accepted", "incorrect sender", "sender unauthenticated", "unconfigured sending domain", "not authorized to perform", "sender refused"]),
        "You logged in, but may not send with this From address",
        "Send with the address of the account you log in with, or add the other address as a verified alias/\"send as\" identity in the provider's settings.",
        None,
    ),
    err(
        "relay-needs-login",
        C::AuthRequired,
        When::reply().any(&["turn on smtp authentication", "please turn on smtp auth", "without authentication"]),
        "The server relays only for clients that log in, and this client did not",
        "Turn on SMTP authentication in the client (\"My outgoing server requires authentication\") with the mailbox's user name and password, on the submission port (587 STARTTLS or 465 TLS).",
        RFC4954,
    ).also("relay-denied", "The server words it as a refusal to relay"),
    err(
        "relay-denied",
        C::RelayDenied,
        When::reply().any(&["relay access denied", "relaying denied", "unable to relay", "relay not permitted", "relay denied", "not permitted to relay", "relaying not allowed", "relay not allowed", "we do not relay", "not allowed to relay", "relaying to", "relaying disallowed", "relaying prohibited", "relaying is not", "relaying mail to", "no relaying", "valid pop account", "pop before smtp", "pop-before-smtp", "recipient address rejected: access denied", "allow relaying", "spam relaying", "unauthorized relaying", "unauthorised relaying", "relaying not permitted", "5.7.64", "you are not allowed to send", "rcpthosts", "relais refus*", "not a gateway", "relay attempt", "use submission for outgoing", "reencaminhamento recusado", "reencaminhamento negado", "retransmissão negada"]),
        "The server refuses to relay this message for this client",
        "Authenticate before sending (SMTP AUTH on port 587), or, for an internal relay, ask its administrator to allow this client's IP address. An MX only accepts mail for its own domains.",
        Some("https://www.rfc-editor.org/rfc/rfc5321#section-3.6.2"),
    ),
    err(
        "auth-mechanism-not-supported",
        C::NoCommonAuthMechanism,
        When::reply().any(&["unrecognized authentication type", "unrecognised authentication type", "mechanism not supported", "unsupported authentication mechanism", "no supported authentication", "no compatible authentication", "none of the authentication methods", "any of the authentication methods", "keine der authentifizierungsmethoden", "unterstützten authentifizierungsmethoden", "mechanism is too weak", "authentication mechanism is not supported", "no suitable authentication", "no authentication mechanisms", "invalid authentication mechanism"]).or(&When::reply().codes(534, 504)),
        "The server does not support (or does not allow) the authentication mechanism the client used",
        "Let the client choose a mechanism the server lists in its EHLO reply (e.g. LOGIN when PLAIN is refused); a 534 means the mechanism is too weak for this server, so use TLS and PLAIN or LOGIN. Servers offering only NTLM or GSSAPI need a client that speaks them, or an administrator who enables basic auth on the connector.",
        RFC4954,
    ),
    err(
        "auth-not-enabled",
        C::AuthNotOffered,
        When::reply().any(&["authentication not enabled", "auth command used when not advertised", "auth not available", "authentication not available", "auth extension not supported", "smtp auth extension not supported", "authentication is not enabled", "not advertised", "\"auth\" not recognized", "'auth' not recognized", "unrecognized command 'auth'", "unrecognized command \"auth\""]).or(&When::reply().code(503).stage(Stage::Auth).or(&When::reply().stage(Stage::Auth).any(UNKNOWN_COMMAND))),
        "This server does not offer authentication: it is probably not a submission server",
        "Use your provider's submission host and port (usually smtp.<domain>, port 587 with STARTTLS or 465 with TLS). Port 25 and MX hosts accept mail for their own domains only and do not offer AUTH; a 503 answer to AUTH means this server does not take logins at this point.",
        Some("https://www.rfc-editor.org/rfc/rfc6409"),
    ),
    err(
        "oauth-token-rejected",
        C::OauthTokenInvalid,
        When::reply().any(&["invalid_token", "invalid token", "token expired", "token has expired", "expired token", "invalid_grant", "invalid_client", "aadsts", "insufficient_scope", "invalid oauth", "oauth token", "access token", "invalid xoauth2", "xoauth2 auth data", "bad protocol / cancel", "token will expire soon", "5.5.127"]),
        "The OAuth access token was refused",
        "Get a fresh access token for this user with the right scope (Google: https://mail.google.com/; Microsoft: https://outlook.office.com/SMTP.Send) and make sure the user name matches the token's account. Refresh the token before each session: tokens live about an hour, and Microsoft refuses ones about to expire.",
        Some("https://developers.google.com/gmail/imap/xoauth2-protocol"),
    ),
    err(
        "account-disabled",
        C::AccountActionRequired,
        When::reply().any(&["account is disabled", "account disabled", "account has been disabled", "unusual sending activity", "account is locked", "account locked", "account suspended", "account has been suspended", "user is locked", "mailbox disabled", "verify your account", "unusual activity", "suspicious", "captcha", "account is not active", "account inactive", "payment", "unpaid", "not a robot", "use web for sending", "please activate your", "account is not activated", "account not activated"]),
        "The account is locked, suspended or needs to be verified before it can send",
        "Sign in to the provider's web mail in a browser and follow its prompts (verification, unlock, payment); then try again.",
        None,
    ),
    err(
        "app-password-required",
        C::AppPasswordRequired,
        When::reply().any(&["app password", "app-specific password", "application password", "application-specific password"]),
        "The account needs an app password for mail clients",
        "Create an app password in the account's security settings (it requires 2-step verification) and use it instead of the account password.",
        None,
    ),
    err(
        "auth-temporary-failure",
        C::ServerTemporaryFailure,
        When::reply().class(4).any(&["authentication failed", "could not authenticate", "unable to authenticate", "temporary authentication failure"]),
        "The server could not check the login right now (a temporary authentication failure)",
        "Try again in a few minutes without changing the password: a 4xx answer to AUTH means the provider's authentication backend had a problem, not that the credentials are wrong (RFC 4954 454 4.7.0). If it persists, check the provider's status page.",
        RFC4954,
    ),
    err(
        "temporary-failure-text",
        C::ServerTemporaryFailure,
        When::reply().any(&["temporary failure", "temporary system problem", "temporary server error", "temporarily unavailable", "service temporarily", "temporary authentication failure", "temporary local problem", "temporarily rejected", "unable to authenticate at present", "connection lost to authentication server", "unable to verify address"]),
        "The server reported a temporary problem",
        "Try again later; the server says the problem is transient. If it persists for hours, check the provider's status page.",
        RFC5321_REPLIES,
    ),
    err(
        "sasl-exchange-broken",
        C::ProtocolError,
        When::reply().any(&["another step is needed in authentication", "cannot decode response", "invalid base64", "not a valid base64"]),
        "The login dialogue broke: the server could not read what the client sent during AUTH",
        "SMTP AUTH data must be base64-encoded (RFC 4954); typing a user name or password in clear text in a manual session, or a client bug, gives this. Use a real mail client or swaks, or encode each step with base64.",
        RFC4954,
    ),
    err(
        "authentication-failed",
        C::WrongCredentials,
        When::reply().enhanced(&["5.7.8"]),
        "The server rejected the user name or password (5.7.8 authentication credentials invalid)",
        "Retype the password and check the user name (most providers want the full address). Providers with 2-step verification want an app password; if a password manager filled it in, check for trailing spaces.",
        RFC4954,
    ),
    err(
        "server-refused-credentials",
        C::WrongCredentials,
        When::reply().any(&["incorrect authentication data", "authentication credentials invalid", "username and password not accepted", "authentication unsuccessful", "bad username / password", "bad username or password", "invalid username or password", "username or password incorrect", "authentication failure", "sasl authentication failed", "denied pop3 access", "server denied pop"]),
        "The server rejected the user name or password",
        "Retype the password and check the user name (most providers want the full address). Providers with 2-step verification want an app password; if a password manager filled it in, check for trailing spaces.",
        RFC4954,
    ),
    err(
        "client-reports-login-failed",
        C::WrongCredentials,
        When::reply().any(&["could not authenticate", "authorization failed", "authentication error", "failed to authenticate", "configuration could not be verified", "check your username and password", "check username and password", "username or password wrong", "user or password wrong", "username or password is wrong", "username or password is incorrect", "cannot login", "can't login", "unable to log in", "login failed", "login to server"]),
        "The mail client reports that the login was refused",
        "The server refused the user name or password the client sent: retype the password, use the full address as user name, and use an app password where the provider wants one (Gmail, Yahoo, iCloud, and accounts with 2-step verification). Run `smtp-doctor check ADDRESS` to see the server's own reply.",
        RFC4954,
    ),
    err(
        "authentication-failed-text",
        C::WrongCredentials,
        When::reply().any(&["authentication failed", "authentication failure", "incorrect authentication data", "authentication unsuccessful", "invalid credentials", "credentials invalid", "bad username", "bad password", "invalid login", "login failed", "invalid user", "invalid password", "password incorrect", "incorrect password", "wrong password", "login incorrect", "auth failed", "authentication credentials invalid", "username or password", "user name or password", "login denied", "authentication rejected"]),
        "The server rejected the user name or password",
        "Retype the password and check the user name (most providers want the full address). Providers with 2-step verification want an app password.",
        RFC4954,
    ),
    err(
        "auth-required",
        C::AuthRequired,
        When::reply().any(&["authentication required", "authentication is required", "auth required", "must authenticate", "please authenticate", "authenticate first", "not authenticated", "turn on smtp authentication", "smtp authentication is required", "unauthenticated sender", "auth first", "auth command first"]).or(&When::reply().code(530)),
        "The server requires authentication before it accepts mail",
        "Enable SMTP authentication in the client with your full address and password (or app password) and use the submission port (587 with STARTTLS or 465 with TLS). If the client already logs in, the login failed earlier: look for the AUTH error before this one.",
        RFC4954,
    ),
    err(
        "starttls-not-offered",
        C::StarttlsUnavailable,
        When::signal(S::StartTlsNotOffered).or(&When::reply().any(&["tls not available", "starttls not available", "tls is not available", "starttls extension not supported", "does not support starttls", "starttls not supported", "unrecognized command 'starttls'", "unrecognized command \"starttls\"", "command not recognized: starttls"]).or(&When::reply().stage(Stage::StartTls).any(UNKNOWN_COMMAND))),
        "TLS is required, but the server does not offer STARTTLS (or cannot start TLS)",
        "Credentials were not sent. The server has TLS switched off or broken (a 454 answer to STARTTLS), or a middlebox strips STARTTLS from its EHLO reply. Try port 465 (implicit TLS), and ask the administrator to fix TLS; use --tls none only on a network you trust completely.",
        RFC3207,
    ),
    // ── 3. Reply-code fallbacks (RFC 5321 §4.2, RFC 4954 §6, RFC 3463) ───
    err(
        "auth-credentials-rejected",
        C::WrongCredentials,
        When::reply().code(535),
        "The server rejected the credentials (535)",
        "Retype the password and check the user name (full address or local part, as the provider documents). Providers with 2-step verification want an app password.",
        RFC4954,
    ),
    err(
        "gmail-ehlo-name-refused",
        C::ProtocolError,
        When::reply().code(421).all(&["try again later", "(ehlo"]),
        "Gmail refused the EHLO name the client sent (421 … (EHLO)); retrying will not help",
        "Gmail answers 421 4.7.0 \"Try again later, closing connection. (EHLO)\" when the EHLO/HELO name is not a fully qualified domain name (localhost, a bare host name, an IP address without brackets). Configure the client's EHLO/HELO name (\"local domain\", \"hostname\", smtp-doctor's --ehlo-name) to this machine's real FQDN.",
        Some("https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.1"),
    ),
    err(
        "service-not-available",
        C::ServerTemporaryFailure,
        When::reply().code(421),
        "The server closed the session: service not available right now (421)",
        "Try again later. If it persists, check the provider's status page.",
        RFC5321_REPLIES,
    ),
    err(
        "temporary-failure",
        C::ServerTemporaryFailure,
        When::reply().class(4),
        "The server reported a temporary failure (4xx)",
        "Try again later; the server says the problem is transient.",
        RFC5321_REPLIES,
    ),
    err(
        "command-syntax-error",
        C::ProtocolError,
        When::reply().any(&["syntax error", "command unrecognized", "command not recognized", "unrecognized command", "bad sequence", "line too long", "command not implemented", "hello first", "ehlo first", "synchronization error", "improper command pipelining", "invalid syntax", "syntax should be", "unsupported option", "no valid recipients"]).or(&When::reply().range(500, 503)),
        "The server refused a command as malformed or out of sequence",
        "This points to a client bug, a manual session gone wrong (e.g. STARTTLS before EHLO) or a middlebox rewriting the dialogue. Capture a transcript with --verbose and compare it with the server's EHLO capabilities.",
        RFC5321_REPLIES,
    ),
    err(
        "permanent-failure",
        C::Other,
        When::reply().class(5),
        "The server refused with a permanent error",
        "Read the server's text in the evidence; it is the most specific explanation available.",
        RFC5321_REPLIES,
    ),
    // ── 4. Conditions found by the probe (or recognised in pasted text) ───
    err(
        "dns-name-not-found",
        C::DnsFailure,
        When::signal(S::DnsNotFound),
        "The host name does not exist in DNS",
        "Check the spelling of the server name (providers document it, e.g. smtp.gmail.com, smtp.office365.com); without --host, check the domain of the address.",
        None,
    ),
    err(
        "dns-lookup-failed",
        C::DnsFailure,
        When::signal(S::DnsFailure),
        "The host name could not be resolved",
        "Check the name and this machine's DNS settings and network; the resolver did not give an address.",
        None,
    ),
    // Discovery (issue 4): DNS failures told apart, and warnings about the
    // endpoint's choice. Kept in one block next to the other DNS rules.
    err(
        "dns-no-address-records",
        C::DnsFailure,
        When::signal(S::DnsNoRecords),
        "The host name exists in DNS but has no address (no A or AAAA record)",
        "The name is registered but points nowhere: check the spelling (a submission host, not the bare domain), or ask the domain's administrator to add its A/AAAA records.",
        Some("https://www.rfc-editor.org/rfc/rfc2308#section-2.2"),
    ),
    err(
        "dns-server-failure",
        C::DnsFailure,
        When::signal(S::DnsServFail),
        "The DNS server failed to answer (SERVFAIL): the name's DNS is broken or the resolver cannot reach it",
        "Retry later; if it persists, the domain's name servers are down or misconfigured (e.g. broken DNSSEC). Try another resolver with --dns-server to tell the two apart.",
        Some("https://www.rfc-editor.org/rfc/rfc1035#section-4.1.1"),
    ),
    err(
        "dns-resolution-broken",
        C::DnsFailure,
        When::signal(S::DnsResolverBroken),
        "Name resolution is not working here: names that exist do not resolve either",
        "This is not a typo in the server name. Check this machine's network (offline, a captive portal or Wi-Fi login page, a VPN) and the DNS resolver named in the evidence (/etc/resolv.conf, or --dns-server): a filtering or broken resolver answers NXDOMAIN or SERVFAIL for everything. Try another resolver, e.g. --dns-server 1.1.1.1, to tell the two apart.",
        None,
    ),
    err(
        "dns-timeout",
        C::DnsFailure,
        When::signal(S::DnsTimeout),
        "The DNS server did not answer before the timeout",
        "Check that the DNS server (--dns-server, or /etc/resolv.conf) is reachable and that UDP and TCP port 53 are not blocked; then retry.",
        None,
    ),
    warn(
        "srv-target-outside-domain",
        When::signal(S::SrvTargetOutsideDomain),
        "The SRV record points to a server outside the address's domain",
        "This is normal for hosted mail, but RFC 6186 section 6 asks clients to confirm such a target: check that the host really belongs to your mail provider before trusting it with your password.",
    ),
    warn(
        "host-looks-like-mx",
        When::signal(S::HostLooksLikeMx),
        "This host looks like an MX (an inbound mail server), not a submission server",
        "MX hosts accept mail for their own domains on port 25 and offer no AUTH; use the provider's submission host (smtp.<domain>, port 587 or 465), or drop --host to let smtp-doctor find it.",
    ),
    warn(
        "host-differs-from-provider-table",
        When::signal(S::HostDiffersFromProviderTable),
        "This host belongs to a provider whose documented submission endpoint is different",
        "Use the endpoint the provider documents (shown in the detail), or drop --host to let smtp-doctor use it.",
    ),
    err(
        "implicit-tls-on-starttls-port",
        C::TlsModeMismatch,
        When::signal(S::TlsNotTls),
        "The client spoke TLS at once, but this port expects plaintext first and STARTTLS (it answered with a plaintext greeting)",
        "Use STARTTLS (--tls starttls) on this port, which is usually 587; or use port 465 for implicit TLS.",
        RFC8314,
    ),
    err(
        "starttls-client-on-implicit-tls-port",
        C::TlsModeMismatch,
        When::signal(S::ImplicitTlsPort),
        "This port expects TLS from the first byte (implicit TLS), but the client waited for a plaintext greeting",
        "Use implicit TLS (\"SSL/TLS\", --tls implicit) on this port, which is usually 465; or use port 587 with STARTTLS.",
        RFC8314,
    ),
    err(
        "tls-certificate-expired",
        C::TlsCertificateInvalid,
        When::signal(S::TlsCertExpired).or(&When::signal(S::TlsCertNotYetValid)),
        "The server's TLS certificate has expired (or is not valid yet)",
        "The server's administrator must renew the certificate. If its start date is still in the future, check this machine's clock first. Do not disable verification: a certificate outside its validity period cannot protect your password.",
        None,
    ),
    err(
        "tls-certificate-name-mismatch",
        C::TlsCertificateInvalid,
        When::signal(S::TlsCertNameMismatch),
        "The server's TLS certificate is not valid for the host name you connected to",
        "Connect using one of the names the certificate lists (often the provider's documented host name, not your own domain or an IP address); otherwise the administrator must add this name to the certificate.",
        None,
    ),
    err(
        "tls-certificate-self-signed",
        C::TlsCertificateInvalid,
        When::signal(S::TlsCertSelfSigned),
        "The server's TLS certificate is self-signed, so nothing vouches for it",
        "Install a certificate from a public CA on the server (e.g. Let's Encrypt). For a private server you trust, pass its certificate with --cafile after checking its fingerprint out of band.",
        None,
    ),
    err(
        "tls-certificate-untrusted",
        C::TlsCertificateInvalid,
        When::signal(S::TlsCertUntrusted),
        "The server's TLS certificate is not issued by a trusted CA (or its chain is incomplete)",
        "The server must send its full chain (leaf plus intermediates). For a private CA, pass the CA certificate with --cafile.",
        None,
    ),
    err(
        "tls-certificate-rejected",
        C::TlsCertificateInvalid,
        When::signal(S::TlsCertOther),
        "The server's TLS certificate was rejected",
        "The certificate is unusable (revoked, bad signature or unsupported). The server's administrator must replace it.",
        None,
    ),
    err(
        "tls-protocol-version",
        C::TlsHandshakeFailed,
        When::signal(S::TlsProtocolVersion),
        "The server and client have no TLS version in common (the server likely offers only TLS 1.0/1.1)",
        "TLS 1.0 and 1.1 are obsolete (RFC 8996) and refused by current clients. The server's administrator must enable TLS 1.2 or 1.3.",
        Some("https://www.rfc-editor.org/rfc/rfc8996"),
    ),
    err(
        "tls-alert-from-server",
        C::TlsHandshakeFailed,
        When::signal(S::TlsAlert),
        "The server aborted the TLS handshake with an alert",
        "This is a server-side TLS problem (misconfigured key or certificate, no shared cipher). Its administrator must check the TLS logs; there is nothing to change in the client.",
        None,
    ),
    err(
        "tls-handshake-failed",
        C::TlsHandshakeFailed,
        When::signal(S::TlsHandshake),
        "The TLS handshake failed",
        "The server closed or broke the handshake. Try the other TLS mode/port (465 implicit, 587 STARTTLS); if both fail, the server's TLS is broken or a middlebox interferes.",
        None,
    ),
    err(
        "starttls-reply-out-of-sync",
        C::ProtocolError,
        When::reply().code(250).stage(Stage::StartTls),
        "The answer to STARTTLS was a 250 line, not 220: client and server are out of step",
        "The client read a leftover line of the multi-line EHLO reply as the STARTTLS answer (a client bug in reading multi-line replies), or a middlebox rewrote the dialogue. Update or fix the client so it reads every 250- line up to the final '250 ' line; with swaks or openssl s_client -starttls smtp the server should answer 220.",
        RFC3207,
    ),
    err(
        "unexpected-reply",
        C::ProtocolError,
        When::signal(S::UnexpectedReply),
        "The server answered with a reply that does not fit this point of the dialogue",
        "The server (or a middlebox) broke the SMTP dialogue: the reply code in the evidence is not one RFC 5321 allows here. Look at the transcript with --verbose and report it to the server's administrator.",
        RFC5321_REPLIES,
    ),
    err(
        "starttls-response-injection",
        C::ProtocolError,
        When::signal(S::StartTlsInjection),
        "The server sent data after its STARTTLS reply, before the TLS handshake: possible command injection by a middlebox",
        "Nothing from before the handshake can be trusted (RFC 3207 §5); smtp-doctor stopped the session. Check for a broken or malicious middlebox between you and the server, and report it to the server's administrator.",
        RFC3207,
    ),
    err(
        "missing-credentials",
        C::UsernameFormat,
        When::signal(S::MissingCredentials),
        "No user name (or no password) reached the server: the client's credentials are empty or malformed",
        "Set the SMTP user name (usually the full address) and password in the client configuration; check that environment variables or config keys are really loaded.",
        None,
    ),
    err(
        "server-log-auth-failed",
        C::WrongCredentials,
        When::signal(S::ServerLogAuthFailed),
        "The server's log shows that the login failed",
        "The server refused the user name or password; what it refused later (relaying, the sender) follows from that. Check the client's user name (often the full address) and password, and the server's authentication backend log for the reason.",
        RFC4954,
    ),
    err(
        "connection-refused",
        C::ConnectionRefused,
        When::signal(S::ConnectRefused),
        "Nothing accepts connections on that host and port",
        "Check the port: submission is 587 (STARTTLS) or 465 (TLS). If the port is right, a firewall rejects the connection or the server is down.",
        RFC8314,
    ),
    err(
        "greeting-timeout",
        C::ConnectionTimeout,
        When::signal(S::GreetingTimeout),
        "Connected, but the server sent no greeting before the timeout",
        "The server is overloaded, tarpitting, or expects TLS at once (try --tls implicit for port 465). A greeting can legitimately take a few seconds; retry with a longer --timeout.",
        None,
    ),
    err(
        "connect-timeout",
        C::ConnectionTimeout,
        When::signal(S::ConnectTimeout),
        "No TCP connection before the timeout",
        "A firewall is probably dropping the packets (many ISPs and cloud providers block outgoing SMTP ports), or the host is down. Try the other submission port (587 or 465) or another network.",
        None,
    ),
    err(
        "connect-failed",
        C::ConnectionRefused,
        When::signal(S::ConnectFailed),
        "The TCP connection failed",
        "The network path to the server is broken (no route, network unreachable). Check connectivity and firewalls; many networks block outgoing ports 25, 465 and 587.",
        None,
    ),
    err(
        "malformed-reply",
        C::ProtocolError,
        When::signal(S::MalformedReply),
        "The server's reply broke the SMTP syntax",
        "This is not an SMTP server as expected (wrong port, a proxy or another protocol), or a broken one. Check host and port; with --verbose, look at the transcript.",
        RFC5321_REPLIES,
    ),
    err(
        "slow-server",
        C::ConnectionTimeout,
        When::signal(S::SlowServer),
        "The server answered too slowly to finish this stage before its deadline",
        "The server (or a middlebox) is dripping its reply byte by byte. Retry with a longer --timeout; if it persists, the server is overloaded or deliberately tarpitting.",
        None,
    ),
    err(
        "stage-timeout",
        C::ConnectionTimeout,
        When::signal(S::StageTimeout),
        "The server stopped answering before the deadline",
        "Retry with a longer --timeout. If AUTH is slow every time, the server's authentication backend is slow (some servers delay failures on purpose).",
        None,
    ),
    err(
        "connection-closed",
        C::ProtocolError,
        When::signal(S::ConnectionClosed),
        "The server closed the connection unexpectedly",
        "The server dropped the session mid-dialogue. Retry; if it persists, the server may be rejecting this client or crashing, so look at its logs or try the other submission port.",
        None,
    ),
    err(
        "network-error",
        C::ProtocolError,
        When::signal(S::NetworkError),
        "A network error interrupted the session",
        "Retry; if it persists, check the network path and any proxy or firewall between you and the server.",
        None,
    ),
    err(
        "auth-only-after-starttls",
        C::StarttlsRequired,
        When::signal(S::AuthOnlyAfterStartTls),
        "The server offers AUTH only after STARTTLS, and this session did not use TLS",
        "Enable STARTTLS (--tls starttls, port 587) or use implicit TLS on port 465.",
        RFC3207,
    ),
    err(
        "no-common-auth-mechanism",
        C::NoCommonAuthMechanism,
        When::signal(S::NoCommonMechanism),
        "The server offers no authentication mechanism this client can use",
        "The server lists only mechanisms such as NTLM or GSSAPI (Kerberos). Use a client that supports them, or ask the administrator to enable PLAIN/LOGIN over TLS on this connector.",
        RFC4954,
    ),
    err(
        "auth-not-offered-on-submission-port",
        C::AuthNotOffered,
        When::signal(S::AuthNotOfferedOnSubmissionPort),
        "This submission port offers no AUTH: the server takes logins on another port or only after STARTTLS, or not from this client",
        "Use the port and TLS mode where the server offers AUTH (see \"try instead\": smtp-doctor checked them without sending the secret; some servers, such as aiosmtpd, offer AUTH only after STARTTLS, so not on implicit TLS). When no other port offers it, the server does not let this client log in (its address or network may not be allowed): ask its administrator.",
        Some("https://www.rfc-editor.org/rfc/rfc6409"),
    ),
    err(
        "auth-not-advertised",
        C::AuthNotOffered,
        When::signal(S::AuthNotOffered),
        "The server does not offer AUTH: this is not a submission server (an MX or a relay)",
        "Use the provider's submission host and port (usually smtp.<domain>, 587 with STARTTLS or 465 with TLS). MX hosts and port 25 accept mail for their own domains only.",
        Some("https://www.rfc-editor.org/rfc/rfc6409"),
    ),
    warn(
        "cleartext-auth",
        When::signal(S::CleartextAuth),
        "The credentials crossed the network without encryption (--tls none)",
        "Anyone on the path could read them. Use STARTTLS (587) or implicit TLS (465) and consider changing the password.",
    ),
    warn(
        "certificate-expires-soon",
        When::signal(S::CertExpiresSoon),
        "The server's TLS certificate expires soon",
        "Tell the server's administrator to renew it before it expires; clients will then refuse to connect.",
    ),
    Rule {
        id: "auth-not-attempted",
        category: C::Ok,
        severity: Severity::Info,
        when: When::signal(S::NoCredentials),
        summary: "No password or token was given, so AUTH was not attempted",
        remediation: "Pass a secret with --password-file, --password-stdin or SMTP_DOCTOR_PASSWORD (tokens: --token-file, --token-stdin, SMTP_DOCTOR_TOKEN) to test the login too.",
        reference: None,
        also: None,
    },
];

/// Rules that read a client's own summary of a failed step ("could not
/// authenticate", "failed to authenticate"), which names no cause: the
/// weakest evidence (`diagnose::Strength::Wrapper`), so a reply or a
/// dropped connection in the same text decides.
pub fn wrapper_wording(id: &str) -> bool {
    id == "client-reports-login-failed"
}

/// Rules whose phrases are everyday words that other software uses too
/// ("incorrect password", "too many attempts", "relay"): found in free text,
/// outside a server reply, they count only in a text about mail (see
/// `explain::relevance`). Every other rule's phrases are what mail servers
/// and providers emit, and count unless the text shows another subsystem.
pub fn everyday_wording(id: &str) -> bool {
    const IDS: &[&str] = &[
        "authentication-failed-text",
        "too-many-connections",
        "account-disabled",
        "temporary-failure-text",
        "auth-required",
        "command-syntax-error",
        "client-ip-blocklisted",
        "client-host-rejected",
        "relay-denied",
        "sender-address-not-owned",
        "app-password-required",
        "oauth-token-rejected",
        "auth-temporary-failure",
        "unauthorized-ip-address",
        "starttls-required-before-auth",
        "auth-mechanism-not-supported",
        "auth-not-enabled",
        "sasl-exchange-broken",
    ];
    IDS.contains(&id)
}
