//! Offline lint of an OAuth access token for SMTP (`smtp-doctor token`).
//!
//! Checks, for a JWT (Microsoft): audience (RFC 7519 §4.1.3) is Exchange
//! Online; delegated `scp` has `SMTP.Send`, or app-only `roles` has
//! `SMTP.SendAsApp`; the user claim matches `--user`; `exp` (§4.1.4) is not
//! past and more than 5 minutes away (Exchange answers `501 5.5.127 Token
//! will expire soon` otherwise); `nbf` (§4.1.5) is not in the future. For an
//! XOAUTH2 blob it checks the framing first, then the token inside. Opaque
//! tokens (Google's `ya29.…`) get a note saying what cannot be checked.
//!
//! The findings carry claim values in `detail`, never the token.

use super::catalogue::{self as cat};
use super::jwt::{self, Claims, TokenShape};
use super::xoauth2;
use crate::diagnose::Diagnosis;
use crate::secret::Secret;
use crate::timefmt::rfc3339;
use std::time::{SystemTime, UNIX_EPOCH};

/// Audiences Exchange Online accepts for SMTP AUTH: the resource URIs with
/// or without a trailing slash, and the resource's application id (v2 tokens
/// may carry the id instead of the URI).
pub const EXCHANGE_AUDIENCES: [&str; 5] = [
    "https://outlook.office.com",
    "https://outlook.office.com/",
    "https://outlook.office365.com",
    "https://outlook.office365.com/",
    "00000002-0000-0ff1-ce00-000000000000",
];

/// Exchange refuses tokens with less than this left (seconds).
pub const EXPIRES_SOON_SECS: i64 = 5 * 60;
/// Clock skew tolerated on `nbf` (seconds).
const NBF_LEEWAY_SECS: i64 = 60;
/// The tenant of personal Microsoft accounts (Outlook.com, Hotmail).
const CONSUMER_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// "in 3 min" / "12 min ago", for a difference in seconds.
fn relative(delta: i64) -> String {
    let (n, unit) = match delta.abs() {
        s if s < 120 => (s, "s"),
        s if s < 2 * 3600 => (s / 60, "min"),
        s if s < 2 * 86_400 => (s / 3600, "h"),
        s => (s / 86_400, "days"),
    };
    if delta >= 0 {
        format!("in {n} {unit}")
    } else {
        format!("{n} {unit} ago")
    }
}

/// Lints `secret` (a token or a base64 XOAUTH2 blob) for logging in as
/// `user`, at time `now` (seconds since the epoch).
pub fn lint(secret: &Secret, user: Option<&str>, now: i64) -> Vec<Diagnosis> {
    let value = secret.expose().trim();
    let mut out = Vec::new();
    if let Some(decoded) = xoauth2::recognise(value) {
        let blob = xoauth2::parse(&decoded);
        if !blob.problems.is_empty() {
            out.push(cat::XOAUTH2_BLOB_MALFORMED.diagnose(Some(blob.problems.join("; ")), None));
        }
        let blob_user = blob.user.as_deref().filter(|u| !u.is_empty());
        if let (Some(b), Some(u)) = (blob_user, user) {
            if !b.eq_ignore_ascii_case(u) {
                out.push(cat::TOKEN_USER_MISMATCH.diagnose(
                    Some(format!("the XOAUTH2 string is for {b}, but --user is {u}")),
                    None,
                ));
            }
        }
        if let Some(token) = blob.token.as_ref().filter(|t| !t.is_empty()) {
            out.extend(lint_token(token.expose().trim(), blob_user.or(user), now));
        }
    } else {
        out.extend(lint_token(value, user, now));
    }
    let mut seen = Vec::new();
    out.retain(|d| {
        let new = !seen.contains(&d.id);
        seen.push(d.id);
        new
    });
    cat::sort(&mut out);
    out
}

/// Lints a bare access token.
fn lint_token(token: &str, user: Option<&str>, now: i64) -> Vec<Diagnosis> {
    match jwt::parse(token) {
        TokenShape::Malformed(why) => vec![cat::TOKEN_MALFORMED.diagnose(Some(why), None)],
        TokenShape::Opaque { kind } => vec![cat::TOKEN_OPAQUE.diagnose(
            Some(format!(
                "{kind}, {} characters; only the server can tell whether it is valid",
                token.len()
            )),
            None,
        )],
        TokenShape::Encrypted => vec![cat::TOKEN_OPAQUE.diagnose(
            Some("an encrypted JWT (JWE): only its issuer and audience can read the claims".into()),
            None,
        )],
        TokenShape::Jwt(claims) => lint_claims(&claims, user, now),
    }
}

fn lint_claims(c: &Claims, user: Option<&str>, now: i64) -> Vec<Diagnosis> {
    let mut out = Vec::new();
    let mut facts = Vec::new();

    // Audience: which API the token is for.
    let auds = c.audiences();
    facts.push(format!(
        "aud {}",
        if auds.is_empty() {
            "-".into()
        } else {
            auds.join(", ")
        }
    ));
    if !auds
        .iter()
        .any(|a| EXCHANGE_AUDIENCES.iter().any(|e| a.eq_ignore_ascii_case(e)))
    {
        let hint = if auds.iter().any(|a| a.contains("graph.microsoft.com")) {
            " (a Microsoft Graph token)"
        } else {
            ""
        };
        out.push(cat::TOKEN_WRONG_AUDIENCE.diagnose(
            Some(format!(
                "aud is {}{hint}; SMTP needs https://outlook.office.com or https://outlook.office365.com",
                if auds.is_empty() { "missing".into() } else { auds.join(", ") }
            )),
            None,
        ));
    }

    // Permissions: delegated `scp` or application `roles`.
    let has = |list: &[&str], want: &str| list.iter().any(|s| s.eq_ignore_ascii_case(want));
    let scopes = c.scopes();
    let roles = c.roles();
    match (&scopes, &roles) {
        (Some(scp), _) => {
            facts.push(format!("delegated scp {}", scp.join(" ")));
            if !has(scp, "SMTP.Send") {
                out.push(cat::TOKEN_MISSING_SMTP_SCOPE.diagnose(
                    Some(format!("scp is \"{}\", without SMTP.Send", scp.join(" "))),
                    None,
                ));
            }
        }
        (None, Some(roles)) => {
            facts.push(format!("app-only roles {}", roles.join(" ")));
            if has(roles, "SMTP.SendAsApp") {
                out.push(cat::TOKEN_APP_ONLY.diagnose(
                    c.app().map(|a| format!("application (client) id {a}")),
                    None,
                ));
            } else {
                out.push(cat::TOKEN_APP_ONLY_MISSING_ROLE.diagnose(
                    Some(format!(
                        "roles are [{}], without SMTP.SendAsApp",
                        roles.join(", ")
                    )),
                    None,
                ));
            }
        }
        (None, None) => out.push(cat::TOKEN_MISSING_SMTP_SCOPE.diagnose(
            Some("the token has neither a scp (delegated) nor a roles (app-only) claim".into()),
            None,
        )),
    }

    // User: the claim Exchange matches against the XOAUTH2 user name.
    let token_user = c.user();
    if let Some((claim, v)) = token_user {
        facts.push(format!("{claim} {v}"));
    }
    if let (Some((claim, v)), Some(u)) = (token_user, user) {
        if scopes.is_some() && !v.eq_ignore_ascii_case(u) {
            out.push(cat::TOKEN_USER_MISMATCH.diagnose(
                Some(format!("the token's {claim} is {v}, but the user is {u}")),
                None,
            ));
        }
    }

    // Time: exp and nbf.
    match c.time("exp") {
        Some(exp) => {
            facts.push(format!("exp {} ({})", rfc3339(exp), relative(exp - now)));
            if exp <= now {
                out.push(cat::TOKEN_EXPIRED.diagnose(
                    Some(format!("exp {}, {}", rfc3339(exp), relative(exp - now))),
                    None,
                ));
            } else if exp - now < EXPIRES_SOON_SECS {
                out.push(cat::TOKEN_EXPIRES_SOON.diagnose(
                    Some(format!(
                        "exp {}, {}: Exchange wants at least 5 minutes left",
                        rfc3339(exp),
                        relative(exp - now)
                    )),
                    None,
                ));
            }
        }
        None => out.push(cat::TOKEN_MALFORMED.diagnose(
            Some("the JWT has no exp claim, so it is not an access token".into()),
            None,
        )),
    }
    if let Some(nbf) = c.time("nbf") {
        if nbf > now + NBF_LEEWAY_SECS {
            out.push(cat::TOKEN_NOT_YET_VALID.diagnose(
                Some(format!(
                    "nbf {}, {} (this machine's clock says {})",
                    rfc3339(nbf),
                    relative(nbf - now),
                    rfc3339(now)
                )),
                None,
            ));
        }
    }
    if let Some(tid) = c.tenant() {
        if tid == CONSUMER_TENANT {
            facts.push(format!("tid {tid} (personal Microsoft account)"));
        } else {
            facts.push(format!("tid {tid}"));
        }
    }
    if let Some(app) = c.app() {
        facts.push(format!("client {app}"));
    }
    if let Some(iss) = c.issuer() {
        facts.push(format!("iss {iss}"));
    }
    out.push(cat::TOKEN_CLAIMS.diagnose(Some(format!("JWT; {}", facts.join("; "))), None));
    out
}

#[cfg(test)]
mod tests {
    use super::super::jwt::testing::jwt;
    use super::*;
    use crate::diagnose::{primary_category, Category};
    use serde_json::{json, Value};

    const NOW: i64 = 1_790_000_000;
    const USER: &str = "alice@example.test";

    fn delegated() -> Value {
        json!({"aud": "https://outlook.office.com", "scp": "SMTP.Send offline_access",
               "upn": USER, "exp": NOW + 3600, "nbf": NOW - 300, "iat": NOW - 300,
               "tid": "11111111-2222-3333-4444-555555555555", "appid": "app-1",
               "iss": "https://sts.windows.net/11111111-2222-3333-4444-555555555555/"})
    }

    fn with(mut v: Value, k: &str, x: Value) -> Value {
        if x.is_null() {
            v.as_object_mut().unwrap().remove(k);
        } else {
            v[k] = x;
        }
        v
    }

    fn ids(claims: Value, user: Option<&str>) -> Vec<&'static str> {
        lint(&Secret::new(jwt(claims)), user, NOW)
            .iter()
            .map(|d| d.id)
            .collect()
    }

    #[test]
    fn a_valid_delegated_token_is_ok() {
        let d = lint(&Secret::new(jwt(delegated())), Some(USER), NOW);
        assert_eq!(primary_category(&d), Category::Ok);
        assert_eq!(d.iter().map(|d| d.id).collect::<Vec<_>>(), ["token-claims"]);
        let facts = d[0].detail.as_deref().unwrap();
        assert!(facts.contains("upn alice@example.test"), "{facts}");
        assert!(facts.contains("2026-09-21T"), "{facts}");
    }

    #[test]
    fn audience_variants_are_accepted() {
        for aud in [
            json!("https://outlook.office365.com/"),
            json!("https://outlook.office.com/"),
            json!(["x", "https://outlook.office365.com"]),
        ] {
            assert_eq!(
                ids(with(delegated(), "aud", aud), Some(USER)),
                ["token-claims"]
            );
        }
    }

    #[test]
    fn wrong_audience() {
        let d = lint(
            &Secret::new(jwt(with(
                delegated(),
                "aud",
                json!("https://graph.microsoft.com"),
            ))),
            Some(USER),
            NOW,
        );
        assert_eq!(d[0].id, "token-wrong-audience");
        assert_eq!(d[0].category, Category::OauthTokenInvalid);
        assert!(d[0].detail.as_deref().unwrap().contains("Graph"));
    }

    #[test]
    fn missing_scope() {
        assert_eq!(
            ids(
                with(delegated(), "scp", json!("Mail.Read offline_access")),
                Some(USER)
            )[0],
            "token-missing-smtp-scope"
        );
    }

    #[test]
    fn app_only_with_and_without_the_role() {
        let app = with(with(delegated(), "scp", Value::Null), "upn", Value::Null);
        let with_role = with(app.clone(), "roles", json!(["SMTP.SendAsApp"]));
        let d = lint(&Secret::new(jwt(with_role)), Some(USER), NOW);
        assert_eq!(primary_category(&d), Category::Ok);
        assert_eq!(d[0].id, "token-app-only");
        let without = with(app, "roles", json!(["Mail.Send"]));
        assert_eq!(ids(without, Some(USER))[0], "token-app-only-missing-role");
    }

    #[test]
    fn expired_and_expiring_soon() {
        assert_eq!(
            ids(with(delegated(), "exp", json!(NOW - 10)), None)[0],
            "token-expired"
        );
        assert_eq!(
            ids(with(delegated(), "exp", json!(NOW + 120)), None)[0],
            "token-expires-soon"
        );
        assert_eq!(
            ids(with(delegated(), "exp", json!(NOW + 301)), None),
            ["token-claims"]
        );
    }

    #[test]
    fn not_yet_valid() {
        assert_eq!(
            ids(with(delegated(), "nbf", json!(NOW + 3000)), None)[0],
            "token-not-yet-valid"
        );
    }

    #[test]
    fn wrong_user_is_case_insensitive() {
        assert_eq!(
            ids(delegated(), Some("ALICE@example.test")),
            ["token-claims"]
        );
        assert_eq!(
            ids(delegated(), Some("bob@example.test"))[0],
            "token-user-mismatch"
        );
        let by_email = with(with(delegated(), "upn", Value::Null), "email", json!(USER));
        assert_eq!(
            ids(by_email, Some("bob@example.test"))[0],
            "token-user-mismatch"
        );
    }

    #[test]
    fn malformed_and_opaque() {
        let d = lint(&Secret::new("eyJhbGciOi.broken".into()), None, NOW);
        assert_eq!(d[0].id, "token-malformed");
        assert_eq!(primary_category(&d), Category::OauthTokenInvalid);
        let d = lint(&Secret::new("ya29.a0AfH6SMabc".into()), None, NOW);
        assert_eq!(d[0].id, "token-opaque");
        assert_eq!(primary_category(&d), Category::Ok);
    }

    #[test]
    fn xoauth2_blob_framing_then_the_token_inside() {
        use crate::smtp::sasl;
        let good = sasl::xoauth2(USER, &jwt(delegated()));
        assert_eq!(
            lint(&Secret::new(good), None, NOW)
                .iter()
                .map(|d| d.id)
                .collect::<Vec<_>>(),
            ["token-claims"]
        );
        // ^A written as two characters, and an expired token inside.
        let raw = format!(
            "user={USER}^Aauth=Bearer {}^A^A",
            jwt(with(delegated(), "exp", json!(NOW - 60)))
        );
        let bad = sasl::b64(raw.as_bytes());
        let got: Vec<_> = lint(&Secret::new(bad), None, NOW)
            .iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(got[..2], ["xoauth2-blob-malformed", "token-expired"]);
        // The blob's user must match --user.
        let other = sasl::xoauth2("bob@example.test", &jwt(delegated()));
        let got: Vec<_> = lint(&Secret::new(other), Some(USER), NOW)
            .iter()
            .map(|d| d.id)
            .collect();
        assert!(got.contains(&"token-user-mismatch"), "{got:?}");
    }

    #[test]
    fn no_finding_quotes_the_token() {
        let t = jwt(with(delegated(), "exp", json!(NOW - 60)));
        for d in lint(&Secret::new(t.clone()), Some("bob@x.test"), NOW) {
            let all = format!("{d:?}");
            assert!(!all.contains(&t));
            assert!(!all.contains(t.split('.').nth(1).unwrap()));
        }
    }
}
