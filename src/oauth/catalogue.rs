//! The OAuth part of the diagnosis catalogue that no pasted text can show:
//! token lint findings and the sign-in's own local findings (device code
//! expired, state mismatch, browser never came back, identity endpoint
//! unreachable). The identity platform's error answers (AADSTS codes,
//! `invalid_grant`, Google's errors) are ordinary rules of
//! `diagnose/rules.rs`, so `explain` recognises them too.
//!
//! These are not matched against observations (there is no server reply to
//! match): the lint and the device flow know which finding applies and pick
//! it by name. Each entry has what every rule of `diagnose/rules.rs` has
//! (stable id, contract category, severity, summary, remediation,
//! reference), so the findings render like every other diagnosis. Their
//! rank comes after the whole reply catalogue; a meta-test keeps ids unique
//! across both tables.

use crate::diagnose::{rules::RULES, Category as C, Diagnosis, Severity};
use crate::stage::Stage;

/// One OAuth finding.
#[derive(Debug)]
pub struct OAuthRule {
    pub id: &'static str,
    pub category: C,
    pub severity: Severity,
    pub summary: &'static str,
    pub remediation: &'static str,
    pub reference: Option<&'static str>,
}

impl OAuthRule {
    /// A finding of the sign-in itself (stage `oauth`).
    pub fn sign_in(&'static self, detail: Option<String>, evidence: Option<String>) -> Diagnosis {
        Diagnosis {
            stage: Some(Stage::OAuth),
            ..self.diagnose(detail, evidence)
        }
    }

    /// A diagnosis from this rule; `detail` carries the run's facts (never a secret).
    pub fn diagnose(&'static self, detail: Option<String>, evidence: Option<String>) -> Diagnosis {
        let pos = ALL
            .iter()
            .position(|r| std::ptr::eq(*r, self))
            .unwrap_or(ALL.len());
        Diagnosis {
            id: self.id,
            category: self.category,
            severity: self.severity,
            stage: None,
            summary: self.summary.to_string(),
            detail,
            remediation: self.remediation.to_string(),
            reference: self.reference,
            evidence,
            rank: RULES.len() + pos,
            alternatives: Vec::new(),
            line: None,
        }
    }
}

const fn token_error(
    id: &'static str,
    summary: &'static str,
    remediation: &'static str,
    reference: Option<&'static str>,
) -> OAuthRule {
    OAuthRule {
        id,
        category: C::OauthTokenInvalid,
        severity: Severity::Error,
        summary,
        remediation,
        reference,
    }
}

const MS_SMTP_OAUTH: Option<&str> = Some("https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth");
const GOOGLE_XOAUTH2: Option<&str> =
    Some("https://developers.google.com/workspace/gmail/imap/xoauth2-protocol");
const RFC7519_EXP: Option<&str> = Some("https://www.rfc-editor.org/rfc/rfc7519#section-4.1.4");
const RFC8628: Option<&str> = Some("https://www.rfc-editor.org/rfc/rfc8628#section-3.5");
const MS_DEVICE_CODE: Option<&str> =
    Some("https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-device-code");

// ── Token lint (`smtp-doctor token`) ─────────────────────────────────────

pub static TOKEN_MALFORMED: OAuthRule = token_error(
    "token-malformed",
    "This is not a usable OAuth access token",
    "Pass the access token alone, exactly as the identity platform returned it (the `access_token` field): no quotes, no `Bearer ` prefix, no line breaks. A refresh token or an ID token cannot log in to SMTP; exchange the refresh token for an access token first.",
    Some("https://www.rfc-editor.org/rfc/rfc6750#section-2.1"),
);
pub static XOAUTH2_BLOB_MALFORMED: OAuthRule = token_error(
    "xoauth2-blob-malformed",
    "The XOAUTH2 string is not framed as the servers expect",
    "Build it as base64(\"user=\" + address + \"\\x01auth=Bearer \" + token + \"\\x01\\x01\"): the separators are the byte 0x01 (Ctrl-A), not the two characters ^A or a line break, and it ends with two of them.",
    GOOGLE_XOAUTH2,
);
pub static TOKEN_EXPIRED: OAuthRule = token_error(
    "token-expired",
    "The access token has expired",
    "Get a new access token (with the refresh token, or by signing in again) right before connecting; Microsoft and Google access tokens live about an hour.",
    RFC7519_EXP,
);
pub static TOKEN_EXPIRES_SOON: OAuthRule = token_error(
    "token-expires-soon",
    "The access token expires within 5 minutes, and Exchange refuses such tokens (501 5.5.127 Token will expire soon)",
    "Refresh the token before each session instead of reusing one until it expires; request a new one when less than 5 minutes are left.",
    MS_SMTP_OAUTH,
);
pub static TOKEN_NOT_YET_VALID: OAuthRule = token_error(
    "token-not-yet-valid",
    "The access token is not valid yet (its nbf time is in the future)",
    "Check this machine's clock (and time zone) first; a token whose validity starts later than now is refused until then.",
    Some("https://www.rfc-editor.org/rfc/rfc7519#section-4.1.5"),
);
pub static TOKEN_WRONG_AUDIENCE: OAuthRule = token_error(
    "token-wrong-audience",
    "The access token was issued for another API, not for Exchange Online SMTP",
    "Request the token for Exchange Online: delegated scope `https://outlook.office.com/SMTP.Send` (audience https://outlook.office.com), or for app-only `https://outlook.office365.com/.default`. A Microsoft Graph token (audience https://graph.microsoft.com, Mail.Send) cannot log in to SMTP.",
    MS_SMTP_OAUTH,
);
pub static TOKEN_MISSING_SMTP_SCOPE: OAuthRule = token_error(
    "token-missing-smtp-scope",
    "The access token does not carry the SMTP.Send permission",
    "Add the delegated permission SMTP.Send (Office 365 Exchange Online) to the app registration, have it consented, and request the scope `https://outlook.office.com/SMTP.Send` when getting the token.",
    MS_SMTP_OAUTH,
);
pub static TOKEN_APP_ONLY_MISSING_ROLE: OAuthRule = token_error(
    "token-app-only-missing-role",
    "The app-only (client credentials) token lacks the SMTP.SendAsApp role",
    "In the app registration add the application permission SMTP.SendAsApp (Office 365 Exchange Online) and grant admin consent; then register the app's service principal in Exchange (`New-ServicePrincipal`) and give it FullAccess on the mailbox (`Add-MailboxPermission`). Request the token with scope `https://outlook.office365.com/.default`.",
    MS_SMTP_OAUTH,
);
pub static TOKEN_USER_MISMATCH: OAuthRule = token_error(
    "token-user-mismatch",
    "The token belongs to another user than the one logging in",
    "Use the address the token was issued to as the SMTP user name, or sign in as the intended user to get a new token. For app-only tokens, the user name is the mailbox the app has permission on.",
    MS_SMTP_OAUTH,
);
pub static TOKEN_CLAIMS: OAuthRule = OAuthRule {
    id: "token-claims",
    category: C::Ok,
    severity: Severity::Info,
    summary: "What the token says (decoded without verifying its signature)",
    remediation: "Nothing to do if the checks above pass; the server still decides (a revoked token or SMTP AUTH turned off for the mailbox only shows live, with `smtp-doctor check`).",
    reference: Some("https://www.rfc-editor.org/rfc/rfc7519#section-4.1"),
};
pub static TOKEN_OPAQUE: OAuthRule = OAuthRule {
    id: "token-opaque",
    category: C::Ok,
    severity: Severity::Info,
    summary: "This token is opaque: its audience, scope, user and expiry cannot be checked offline",
    remediation: "Test it live with `smtp-doctor check ADDRESS --mechanism XOAUTH2 --token-file PATH`. For Google, the token needs the scope https://mail.google.com/ and lives about an hour; Google's tokeninfo endpoint shows scope and expiry (that sends the token to Google).",
    reference: GOOGLE_XOAUTH2,
};
pub static TOKEN_APP_ONLY: OAuthRule = OAuthRule {
    id: "token-app-only",
    category: C::Ok,
    severity: Severity::Info,
    summary: "This is an app-only (client credentials) token with SMTP.SendAsApp",
    remediation: "The role alone is not enough: the app's service principal must be registered in Exchange Online (`New-ServicePrincipal`) and have FullAccess on the mailbox named as the XOAUTH2 user (`Add-MailboxPermission`); otherwise Exchange answers 535 5.7.3.",
    reference: MS_SMTP_OAUTH,
};

// ── Device-code sign-in (`check --oauth microsoft`) ──────────────────────

pub static DEVICE_CODE_EXPIRED: OAuthRule = token_error(
    "device-code-expired",
    "The sign-in code expired before the sign-in was completed",
    "Run the command again and complete the sign-in in the browser within the time shown (usually 15 minutes).",
    RFC8628,
);
pub static DEVICE_SIGN_IN_DECLINED: OAuthRule = token_error(
    "device-sign-in-declined",
    "The sign-in was declined in the browser",
    "Run the command again and approve the request, signing in as the account you want to test. If you did not start this sign-in, decline it: someone else may be trying to use your account.",
    RFC8628,
);
pub static OAUTH_STATE_MISMATCH: OAuthRule = token_error(
    "oauth-state-mismatch",
    "The browser came back with another sign-in's answer (the state parameter does not match), so smtp-doctor did not use it",
    "Run the command again and finish the sign-in in the browser tab it opens, not in an older tab. If it happens again, something else is sending requests to the loopback address (RFC 6749 §10.12: the state check is what stops a forged redirect).",
    Some("https://www.rfc-editor.org/rfc/rfc6749#section-10.12"),
);
pub static OAUTH_REDIRECT_TIMEOUT: OAuthRule = token_error(
    "oauth-redirect-timeout",
    "The browser did not come back: no sign-in reached smtp-doctor before it stopped waiting",
    "Run the command again and complete the sign-in in the browser window it opens (closing the window or tab ends the sign-in). Without a browser on this machine, open the printed URL on this machine's desktop, or use `--oauth-flow device` (Microsoft).",
    Some("https://www.rfc-editor.org/rfc/rfc8252#section-7.3"),
);
pub static IDENTITY_PLATFORM_ERROR: OAuthRule = token_error(
    "identity-platform-error",
    "The identity platform refused the sign-in request",
    "Read the error in the evidence (an AADSTS code names the cause; look it up at https://login.microsoftonline.com/error). Check --client-id, --tenant and that the app has the delegated SMTP.Send permission.",
    MS_DEVICE_CODE,
);
pub static IDENTITY_ENDPOINT_DNS: OAuthRule = OAuthRule {
    id: "identity-endpoint-dns",
    category: C::DnsFailure,
    severity: Severity::Error,
    summary: "The identity platform's host name could not be resolved",
    remediation: "Check --authority and this machine's DNS and network.",
    reference: None,
};
pub static IDENTITY_ENDPOINT_UNREACHABLE: OAuthRule = OAuthRule {
    id: "identity-endpoint-unreachable",
    category: C::ConnectionRefused,
    severity: Severity::Error,
    summary: "The identity platform could not be reached",
    remediation: "Check --authority and the network path (proxy, firewall); an HTTPS proxy is taken from HTTPS_PROXY/ALL_PROXY.",
    reference: None,
};
pub static IDENTITY_ENDPOINT_TIMEOUT: OAuthRule = OAuthRule {
    id: "identity-endpoint-timeout",
    category: C::ConnectionTimeout,
    severity: Severity::Error,
    summary: "The identity platform did not answer in time",
    remediation: "Retry; if it persists, check the network path to the identity platform.",
    reference: None,
};
pub static IDENTITY_ENDPOINT_TLS: OAuthRule = OAuthRule {
    id: "identity-endpoint-tls",
    category: C::TlsHandshakeFailed,
    severity: Severity::Error,
    summary: "TLS with the identity platform failed",
    remediation:
        "A proxy or middlebox may be intercepting HTTPS; check --authority and the network path.",
    reference: None,
};
pub static IDENTITY_ENDPOINT_BAD_RESPONSE: OAuthRule = OAuthRule {
    id: "identity-endpoint-bad-response",
    category: C::ProtocolError,
    severity: Severity::Error,
    summary: "The identity platform's answer was not an OAuth response",
    remediation: "Check --authority: it must be the identity platform's base URL (default https://login.microsoftonline.com), without the tenant or /oauth2 path.",
    reference: RFC8628,
};

/// The whole OAuth table, in rank order.
pub static ALL: &[&OAuthRule] = &[
    &XOAUTH2_BLOB_MALFORMED,
    &TOKEN_MALFORMED,
    &TOKEN_WRONG_AUDIENCE,
    &TOKEN_MISSING_SMTP_SCOPE,
    &TOKEN_APP_ONLY_MISSING_ROLE,
    &TOKEN_USER_MISMATCH,
    &TOKEN_EXPIRED,
    &TOKEN_NOT_YET_VALID,
    &TOKEN_EXPIRES_SOON,
    &OAUTH_STATE_MISMATCH,
    &OAUTH_REDIRECT_TIMEOUT,
    &DEVICE_CODE_EXPIRED,
    &DEVICE_SIGN_IN_DECLINED,
    &IDENTITY_PLATFORM_ERROR,
    &IDENTITY_ENDPOINT_DNS,
    &IDENTITY_ENDPOINT_UNREACHABLE,
    &IDENTITY_ENDPOINT_TIMEOUT,
    &IDENTITY_ENDPOINT_TLS,
    &IDENTITY_ENDPOINT_BAD_RESPONSE,
    &TOKEN_APP_ONLY,
    &TOKEN_OPAQUE,
    &TOKEN_CLAIMS,
];

/// Sorts findings as `classify` does: errors first, then by rank.
pub fn sort(diagnoses: &mut [Diagnosis]) {
    diagnoses.sort_by_key(|d| (d.severity, d.rank));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_kebab_case_and_distinct_from_the_reply_catalogue() {
        let mut seen: HashSet<&str> = RULES.iter().map(|r| r.id).collect();
        for r in ALL {
            assert!(seen.insert(r.id), "duplicate id {}", r.id);
            assert!(
                r.id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                r.id
            );
        }
    }

    #[test]
    fn texts_follow_the_catalogue_rules() {
        for r in ALL {
            assert!(
                r.remediation.ends_with('.') || r.remediation.ends_with(')'),
                "{}",
                r.id
            );
            assert!(!r.summary.ends_with('.'), "{}", r.id);
            if r.severity != Severity::Error {
                assert_eq!(
                    r.category,
                    C::Ok,
                    "{}: notes must not change the verdict",
                    r.id
                );
            }
        }
    }

    #[test]
    fn diagnoses_rank_after_the_reply_catalogue_in_table_order() {
        let a = TOKEN_WRONG_AUDIENCE.diagnose(None, None);
        let b = TOKEN_EXPIRED.diagnose(None, None);
        assert!(a.rank >= RULES.len() && a.rank < b.rank);
        assert_eq!(a.category, C::OauthTokenInvalid);
    }
}
