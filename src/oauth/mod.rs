//! OAuth readiness: offline token lint (`smtp-doctor token`), the sign-in
//! behind `check --oauth` (authorization code + PKCE, or the RFC 8628 device
//! code), and the dated
//! provider policies that make OAuth necessary.
//!
//! - `jwt`: classify a token and decode JWT claims (RFC 7519), no signature check;
//! - `xoauth2`: recognise and check a whole base64 XOAUTH2 initial response;
//! - `lint`: the checks (audience, SMTP permission, user, exp/nbf) → diagnoses;
//! - `authcode`: authorization code + PKCE with a loopback redirect (the default);
//! - `cache`: `--token-cache`, the refresh token in a 0600 file;
//! - `device`: the device authorization grant over HTTPS (ureq, rustls/ring);
//! - `platform`: the HTTP client and OAuth error answers → diagnoses;
//! - `catalogue`: the OAuth findings no pasted text shows (id, category, summary, remediation);
//! - `policy`: provider retirement dates the catalogue quotes.
//!
//! Tokens, device codes and refresh tokens are `Secret`s or dropped at once:
//! no function here formats one into text.

pub mod authcode;
pub mod cache;
pub mod catalogue;
pub mod device;
pub mod jwt;
pub mod lint;
pub mod platform;
pub mod policy;
pub mod xoauth2;
