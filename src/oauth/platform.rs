//! What the two sign-in flows share: the HTTP client for the identity
//! platform (ureq on rustls/ring, no proxy for loopback, bounded answers),
//! and the reading of an OAuth error answer (RFC 6749 §5.2, §4.1.2.1) as a
//! diagnosis. The identity platform's errors are entries of
//! `diagnose/rules.rs`, picked here by id, so `explain` recognises the same
//! texts when pasted; the flows' local findings are `catalogue`'s.

use super::catalogue::{self as cat, OAuthRule};
use crate::diagnose::{self, Diagnosis};
use crate::secret::Redactor;
use crate::stage::Stage;
use serde_json::{Map, Value};
use std::time::Duration;

/// Deadline of one HTTP request.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest answer read from the identity platform.
const MAX_BODY: u64 = 256 * 1024;

/// Which flow met the error (the same error name means different things).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Device,
    AuthCode { google: bool },
}

/// The catalogue entry `id` of `diagnose/rules.rs` as a sign-in finding.
pub fn rule_finding(id: &str, evidence: Option<String>) -> Diagnosis {
    match diagnose::rule(id) {
        Some((rank, r)) => Diagnosis {
            stage: Some(Stage::OAuth),
            evidence,
            ..Diagnosis::from_parts(
                r.id,
                r.category,
                r.severity,
                r.summary,
                r.remediation,
                r.reference,
                rank,
            )
        },
        // Only if a rule were renamed; a unit test names every id used here.
        None => cat::IDENTITY_PLATFORM_ERROR.sign_in(None, evidence),
    }
}

/// Every rule id this module can pick (checked by a test).
pub const RULE_IDS: &[&str] = &[
    "oauth-conditional-access-blocked",
    "oauth-mfa-required",
    "oauth-consent-required",
    "oauth-sign-in-declined",
    "oauth-client-not-found",
    "oauth-public-client-disabled",
    "oauth-pkce-verifier-mismatch",
    "google-oauth-client-not-found",
    "google-redirect-uri-mismatch",
    "google-app-not-verified",
    "oauth-invalid-grant",
];

pub fn agent(loopback: bool) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .https_only(!loopback)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(HTTP_TIMEOUT))
        .user_agent(concat!("smtp-doctor/", env!("CARGO_PKG_VERSION")))
        // A proxy from the environment, except for loopback (tests, local mocks).
        .proxy(if loopback {
            None
        } else {
            ureq::Proxy::try_from_env()
        })
        .build();
    ureq::Agent::new_with_config(config)
}

/// POSTs a form; the status and the JSON object answered.
pub fn post_form(
    agent: &ureq::Agent,
    url: &str,
    form: &[(&str, &str)],
    redactor: &Redactor,
) -> Result<(u16, Map<String, Value>), Box<Diagnosis>> {
    let mut response = agent
        .post(url)
        .header("Accept", "application/json")
        .send_form(form.iter().copied())
        .map_err(|e| transport_error(url, &e, redactor))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_string()
        .map_err(|e| transport_error(url, &e, redactor))?;
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok((status, map)),
        _ => Err(Box::new(cat::IDENTITY_ENDPOINT_BAD_RESPONSE.sign_in(
            Some(format!(
                "HTTP {status} from {url}, and the body is not a JSON object"
            )),
            None,
        ))),
    }
}

fn transport_error(url: &str, e: &ureq::Error, redactor: &Redactor) -> Box<Diagnosis> {
    use std::io::ErrorKind;
    let rule: &'static OAuthRule = match e {
        ureq::Error::HostNotFound => &cat::IDENTITY_ENDPOINT_DNS,
        ureq::Error::Timeout(_) => &cat::IDENTITY_ENDPOINT_TIMEOUT,
        ureq::Error::Io(io) if io.kind() == ErrorKind::TimedOut => &cat::IDENTITY_ENDPOINT_TIMEOUT,
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => {
            &cat::IDENTITY_ENDPOINT_TLS
        }
        ureq::Error::Protocol(_) | ureq::Error::BodyExceedsLimit(_) => {
            &cat::IDENTITY_ENDPOINT_BAD_RESPONSE
        }
        _ => &cat::IDENTITY_ENDPOINT_UNREACHABLE,
    };
    Box::new(rule.sign_in(None, Some(redactor.scrub(&format!("{url}: {e}")))))
}

/// Numeric AADSTS codes in `error_codes` and in the description.
fn aadsts_codes(body: &Map<String, Value>) -> Vec<u64> {
    let mut codes: Vec<u64> = body
        .get("error_codes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    if let Some(desc) = body.get("error_description").and_then(Value::as_str) {
        for part in desc.split("AADSTS").skip(1) {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(n) = digits.parse() {
                codes.push(n);
            }
        }
    }
    codes
}

/// An OAuth error response (RFC 6749 §5.2, RFC 8628 §3.5) as a diagnosis.
pub fn platform_error(
    body: &Map<String, Value>,
    status: u16,
    redactor: &Redactor,
    flow: Flow,
) -> Box<Diagnosis> {
    let error = body.get("error").and_then(Value::as_str).unwrap_or("");
    let description = body
        .get("error_description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let codes = aadsts_codes(body);
    let has = |c: u64| codes.contains(&c);
    let google = matches!(flow, Flow::AuthCode { google: true });
    // Specific AADSTS codes first (Microsoft puts them in every answer),
    // then the RFC 6749 error names.
    let rule_id: Option<&str> = if has(53003) {
        Some("oauth-conditional-access-blocked")
    } else if has(50076) || has(50079) {
        Some("oauth-mfa-required")
    } else if has(65001) {
        Some("oauth-consent-required")
    } else if has(700016) {
        Some("oauth-client-not-found")
    } else if has(7000218) {
        Some("oauth-public-client-disabled")
    } else if has(501481)
        || has(50148)
        || description.contains("code verifier")
        || description.contains("code_verifier")
    {
        Some("oauth-pkce-verifier-mismatch")
    } else if has(65004) {
        Some("oauth-sign-in-declined")
    } else {
        None
    };
    let local: Option<&'static OAuthRule> = match (rule_id, error) {
        (Some(_), _) => None,
        (None, "expired_token") => Some(&cat::DEVICE_CODE_EXPIRED),
        (None, _) if has(70019) => Some(&cat::DEVICE_CODE_EXPIRED),
        (None, "access_denied" | "authorization_declined") if flow == Flow::Device => {
            Some(&cat::DEVICE_SIGN_IN_DECLINED)
        }
        (None, "") => Some(&cat::IDENTITY_ENDPOINT_BAD_RESPONSE),
        _ => None,
    };
    let rule_id = rule_id.or(match error {
        _ if local.is_some() => None,
        "access_denied" if google => Some("google-app-not-verified"),
        "access_denied" | "authorization_declined" | "consent_required" => {
            Some("oauth-sign-in-declined")
        }
        "invalid_client" | "unauthorized_client" | "deleted_client" if google => {
            Some("google-oauth-client-not-found")
        }
        "redirect_uri_mismatch" => Some("google-redirect-uri-mismatch"),
        "invalid_grant" => Some("oauth-invalid-grant"),
        _ => None,
    });
    let desc = body
        .get("error_description")
        .and_then(Value::as_str)
        .and_then(|d| d.lines().next())
        .unwrap_or("");
    let mut evidence = if error.is_empty() {
        format!("HTTP {status}")
    } else if desc.is_empty() {
        error.to_string()
    } else {
        format!("{error}: {desc}")
    };
    if evidence.len() > 400 {
        let cut = (0..=400)
            .rev()
            .find(|i| evidence.is_char_boundary(*i))
            .unwrap_or(0);
        evidence.truncate(cut);
        evidence.push('…');
    }
    let evidence = Some(redactor.scrub(&evidence));
    Box::new(match (rule_id, local) {
        (Some(id), _) => rule_finding(id, evidence),
        (None, Some(rule)) => rule.sign_in(None, evidence),
        (None, None) => cat::IDENTITY_PLATFORM_ERROR.sign_in(None, evidence),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_id_picked_here_is_in_the_catalogue() {
        for id in RULE_IDS {
            assert!(
                diagnose::rule(id).is_some(),
                "{id} is not a rule of diagnose/rules.rs"
            );
            assert_eq!(rule_finding(id, None).stage, Some(Stage::OAuth));
        }
    }
}
