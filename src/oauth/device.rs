//! OAuth 2.0 Device Authorization Grant (RFC 8628) against the Microsoft
//! identity platform, to get an access token for `check --oauth microsoft`.
//!
//! 1. POST `{authority}/{tenant}/oauth2/v2.0/devicecode` with the client id
//!    and scope (RFC 8628 §3.1); the answer has a `device_code`, a
//!    `user_code` and a `verification_uri` (§3.2).
//! 2. The user opens the URI and types the code; the caller prints both.
//! 3. Poll `{authority}/{tenant}/oauth2/v2.0/token` with grant type
//!    `urn:ietf:params:oauth:grant-type:device_code` (§3.4) every `interval`
//!    seconds (default 5), adding 5 s on `slow_down`, until the token comes,
//!    an error ends it, or `expires_in` has passed (§3.5).
//!
//! The access token is returned as a `Secret` and never stored; the device
//! code and refresh token are dropped (their values never reach any output).
//! Errors become diagnoses (`platform::platform_error`), stage `oauth`.

use super::catalogue as cat;
use super::platform::{agent, platform_error, post_form, Flow};
use crate::diagnose::Diagnosis;
use crate::secret::{Redactor, Secret};
use serde_json::Value;
use std::net::IpAddr;
use std::time::{Duration, Instant};

pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
pub const DEFAULT_TENANT: &str = "organizations";
/// Delegated SMTP permission of Exchange Online, plus a refresh token
/// (which smtp-doctor drops).
pub const SMTP_SCOPE: &str = "https://outlook.office.com/SMTP.Send offline_access";
/// RFC 8628 §3.4 grant type.
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628 §3.2: default polling interval when the server names none.
const DEFAULT_INTERVAL: u64 = 5;
/// RFC 8628 §3.5: what `slow_down` adds to the interval.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// The identity platform's base URL, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    base: String,
    loopback: bool,
}

impl Authority {
    /// `https://host[:port][/path]`, or `http://` for loopback hosts only.
    pub fn parse(s: &str) -> Result<Authority, String> {
        let base = s.trim().trim_end_matches('/');
        let (scheme, rest) = base
            .split_once("://")
            .ok_or_else(|| format!("--authority {base:?} is not a URL (https://host)"))?;
        let scheme = scheme.to_ascii_lowercase();
        let host_port = rest.split('/').next().unwrap_or("");
        if host_port.is_empty()
            || rest.contains(['?', '#', '@'])
            || rest.contains(char::is_whitespace)
        {
            return Err(format!(
                "--authority {base:?} must be a plain base URL: scheme, host, optional port and path"
            ));
        }
        let host = if let Some(h) = host_port.strip_prefix('[') {
            h.split(']').next().unwrap_or("")
        } else {
            host_port.split(':').next().unwrap_or("")
        };
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        match scheme.as_str() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(format!(
                    "--authority {base:?}: plain http:// is allowed only for loopback hosts (127.0.0.1, ::1, localhost); use https://"
                ))
            }
            _ => return Err(format!("--authority {base:?}: the scheme must be https")),
        }
        Ok(Authority {
            base: format!("{scheme}://{rest}"),
            loopback,
        })
    }

    /// The same rules for a whole endpoint URL (`--auth-url`, `--token-url`).
    pub fn parse_endpoint(s: &str, flag: &str) -> Result<Authority, String> {
        Authority::parse(s).map_err(|e| e.replacen("--authority", flag, 1))
    }

    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    pub fn as_str(&self) -> &str {
        &self.base
    }
}

/// What to sign in to.
#[derive(Debug, Clone)]
pub struct FlowConfig {
    pub authority: Authority,
    pub tenant: String,
    pub client_id: String,
    pub scope: String,
}

impl FlowConfig {
    /// Validates the command-line values (no I/O).
    pub fn new(
        authority: Option<&str>,
        tenant: Option<&str>,
        client_id: &str,
    ) -> Result<FlowConfig, String> {
        let authority = Authority::parse(authority.unwrap_or(DEFAULT_AUTHORITY))?;
        let tenant = tenant.unwrap_or(DEFAULT_TENANT).trim().to_string();
        if tenant.is_empty()
            || !tenant
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            return Err(format!(
                "--tenant {tenant:?} must be a tenant id, a domain, or organizations/common/consumers"
            ));
        }
        let client_id = client_id.trim().to_string();
        if client_id.is_empty()
            || !client_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(format!(
                "--client-id {client_id:?} must be the app registration's Application (client) ID"
            ));
        }
        Ok(FlowConfig {
            authority,
            tenant,
            client_id,
            scope: SMTP_SCOPE.to_string(),
        })
    }

    fn url(&self, endpoint: &str) -> String {
        format!(
            "{}/{}/oauth2/v2.0/{endpoint}",
            self.authority.base, self.tenant
        )
    }
}

/// What the user must do (RFC 8628 §3.3).
#[derive(Debug, Clone)]
pub struct Prompt {
    pub verification_uri: String,
    pub user_code: String,
    pub expires_in: u64,
}

/// Time, so tests can run the polling schedule without waiting.
pub trait Pacer {
    fn now(&self) -> Instant;
    fn sleep(&mut self, d: Duration);
}

/// The real clock.
pub struct RealPacer;

impl Pacer for RealPacer {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&mut self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// Runs the flow; the access token, or the diagnosis of why there is none.
pub fn sign_in(
    cfg: &FlowConfig,
    pacer: &mut dyn Pacer,
    on_prompt: &mut dyn FnMut(&Prompt),
) -> Result<Secret, Box<Diagnosis>> {
    let agent = agent(cfg.authority.loopback);
    let mut redactor = Redactor::default();

    // §3.1 Device Authorization Request.
    let (status, body) = post_form(
        &agent,
        &cfg.url("devicecode"),
        &[("client_id", &cfg.client_id), ("scope", &cfg.scope)],
        &redactor,
    )?;
    if status != 200 || body.contains_key("error") {
        return Err(platform_error(&body, status, &redactor, Flow::Device));
    }
    let field = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_string);
    let number = |name: &str| {
        body.get(name)
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
    };
    let (Some(device_code), Some(user_code), Some(uri), Some(expires_in)) = (
        field("device_code").map(Secret::new),
        field("user_code"),
        // v1 endpoints spell it verification_url.
        field("verification_uri").or_else(|| field("verification_url")),
        number("expires_in"),
    ) else {
        return Err(Box::new(cat::IDENTITY_ENDPOINT_BAD_RESPONSE.sign_in(
            Some("the device authorization response lacks device_code, user_code, verification_uri or expires_in (RFC 8628 §3.2)".into()),
            None,
        )));
    };
    redactor.add(device_code.expose().to_string());
    let mut interval = Duration::from_secs(number("interval").unwrap_or(DEFAULT_INTERVAL));
    if !cfg.authority.loopback {
        // Polite even if a server asks for 0.
        interval = interval.max(Duration::from_secs(1));
    }
    on_prompt(&Prompt {
        verification_uri: uri,
        user_code,
        expires_in,
    });

    // §3.4/§3.5 Device Access Token Request, polled.
    let deadline = pacer.now() + Duration::from_secs(expires_in);
    let mut polls = 0u32;
    loop {
        if pacer.now() + interval >= deadline {
            return Err(Box::new(cat::DEVICE_CODE_EXPIRED.sign_in(
                Some(format!(
                    "no sign-in within {expires_in} s ({polls} polls); smtp-doctor stopped waiting"
                )),
                None,
            )));
        }
        pacer.sleep(interval);
        polls += 1;
        let (status, body) = post_form(
            &agent,
            &cfg.url("token"),
            &[
                ("grant_type", GRANT_TYPE),
                ("client_id", &cfg.client_id),
                ("device_code", device_code.expose()),
            ],
            &redactor,
        )?;
        if status == 200 {
            if let Some(token) = body.get("access_token").and_then(Value::as_str) {
                // The refresh token, if any, is dropped with `body`.
                return Ok(Secret::new(token.to_string()));
            }
        }
        match body.get("error").and_then(Value::as_str) {
            Some("authorization_pending") => {}
            Some("slow_down") => interval += SLOW_DOWN_STEP,
            _ => return Err(platform_error(&body, status, &redactor, Flow::Device)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_rules() {
        assert!(Authority::parse("https://login.microsoftonline.com/").is_ok());
        let a = Authority::parse("http://127.0.0.1:8080").unwrap();
        assert!(a.is_loopback());
        assert!(Authority::parse("http://[::1]:8080/x")
            .unwrap()
            .is_loopback());
        assert!(Authority::parse("http://localhost:1").is_ok());
        for bad in [
            "http://login.microsoftonline.com",
            "http://127.0.0.1.example.com",
            "ftp://127.0.0.1",
            "login.microsoftonline.com",
            "https://user@host",
            "https://host/?x=1",
        ] {
            assert!(Authority::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn config_validates_tenant_and_client_id() {
        let c = FlowConfig::new(None, None, "11111111-2222-3333-4444-555555555555").unwrap();
        assert_eq!(
            c.url("token"),
            "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"
        );
        assert!(FlowConfig::new(None, Some("contoso.onmicrosoft.com"), "abc").is_ok());
        assert!(FlowConfig::new(None, Some("a/b"), "abc").is_err());
        assert!(FlowConfig::new(None, None, "abc&scope=x").is_err());
    }

    #[test]
    fn platform_errors_map_to_their_findings() {
        let r = Redactor::default();
        let case = |v: Value| {
            let Value::Object(m) = v else { panic!() };
            platform_error(&m, 400, &r, Flow::Device).id
        };
        use serde_json::json;
        assert_eq!(
            case(
                json!({"error": "invalid_grant", "error_description": "AADSTS65001: The user or administrator has not consented", "error_codes": [65001]})
            ),
            "oauth-consent-required"
        );
        assert_eq!(
            case(
                json!({"error": "unauthorized_client", "error_description": "AADSTS700016: Application with identifier 'x' was not found"})
            ),
            "oauth-client-not-found"
        );
        assert_eq!(
            case(json!({"error": "invalid_client", "error_codes": [7000218]})),
            "oauth-public-client-disabled"
        );
        assert_eq!(
            case(json!({"error": "expired_token"})),
            "device-code-expired"
        );
        assert_eq!(
            case(json!({"error": "access_denied"})),
            "device-sign-in-declined"
        );
        assert_eq!(
            case(json!({"error": "authorization_declined"})),
            "device-sign-in-declined"
        );
        assert_eq!(
            case(json!({"error": "invalid_scope"})),
            "identity-platform-error"
        );
        assert_eq!(
            case(json!({"nothing": 1})),
            "identity-endpoint-bad-response"
        );
    }
}
