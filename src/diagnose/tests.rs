//! Catalogue meta-tests and classifier tests on built observations.

use super::rules::RULES;
use super::*;
use std::collections::HashSet;

#[test]
fn ids_are_unique_kebab_case() {
    let mut seen = HashSet::new();
    for r in RULES {
        assert!(seen.insert(r.id), "duplicate id {}", r.id);
        assert!(
            !r.id.is_empty()
                && r.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{} is not kebab-case",
            r.id
        );
    }
}

#[test]
fn only_errors_change_the_category() {
    for r in RULES {
        if r.severity != Severity::Error {
            assert_eq!(
                r.category,
                Category::Ok,
                "{}: warnings and notes must not change the verdict",
                r.id
            );
        }
    }
}

#[test]
fn phrases_are_lower_case() {
    for r in RULES {
        for p in r.when.branches().flat_map(|w| w.any.iter().chain(w.all)) {
            assert_eq!(
                *p,
                p.to_lowercase(),
                "{}: phrase {p:?} must be lower-case",
                r.id
            );
        }
    }
}

#[test]
fn remediation_is_whole_sentences() {
    for r in RULES {
        assert!(
            r.remediation.ends_with('.') || r.remediation.ends_with(')'),
            "{}: {}",
            r.id,
            r.remediation
        );
        assert!(
            !r.summary.ends_with('.'),
            "{}: summary is one line without a period",
            r.id
        );
    }
}

fn reply(code: u16, text: &str) -> Observation {
    let mut p = crate::smtp::ReplyParser::new();
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = None;
    for (i, l) in lines.iter().enumerate() {
        let sep = if i + 1 == lines.len() { ' ' } else { '-' };
        out = p.feed(&format!("{code}{sep}{l}")).unwrap();
    }
    Observation::reply(crate::stage::Stage::Auth, &out.unwrap())
}

#[track_caller]
fn assert_id(obs: Observation, id: &str) {
    let d = diagnose_one(&obs).unwrap_or_else(|| panic!("no rule for {obs:?}"));
    assert_eq!(d.id, id, "{obs:?}");
}

#[test]
fn harness_replies_map_to_their_rules() {
    assert_id(reply(534, "5.7.9 Application-specific password required. For more information, go to\n5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor x - gsmtp"), "gmail-app-password-required");
    assert_id(reply(535, "5.7.8 Username and Password not accepted. For more information, go to\n5.7.8  https://support.google.com/mail/?p=BadCredentials x - gsmtp"), "gmail-bad-credentials");
    assert_id(reply(535, "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information."), "microsoft-smtp-auth-disabled-tenant");
    assert_id(
        reply(
            535,
            "5.7.139 Authentication unsuccessful, basic authentication is disabled. [X]",
        ),
        "microsoft-basic-auth-disabled",
    );
    assert_id(
        reply(
            535,
            "5.7.139 Authentication unsuccessful, the user credentials were incorrect. [X]",
        ),
        "microsoft-credentials-incorrect",
    );
    assert_id(
        reply(535, "5.7.0 (#AUTH005) Too many bad auth attempts."),
        "yahoo-too-many-bad-auth",
    );
    assert_id(
        reply(
            454,
            "4.7.0 Too many login attempts, please try again later. x - gsmtp",
        ),
        "gmail-too-many-logins",
    );
    assert_id(
        reply(
            535,
            "5.7.8 Error: authentication failed: authentication failure",
        ),
        "authentication-failed",
    );
    assert_id(
        reply(535, "Incorrect authentication data"),
        "server-refused-credentials",
    );
    assert_id(
        reply(504, "5.7.4 Unrecognized authentication type"),
        "auth-mechanism-not-supported",
    );
    assert_id(
        reply(
            550,
            "5.7.30 Basic authentication is not supported for Client Submission.",
        ),
        "oauth-only-server",
    );
}

#[test]
fn unknown_codes_fall_back_by_class() {
    assert_id(reply(452, "something odd"), "temporary-failure");
    assert_id(reply(553, "something odd"), "permanent-failure");
    assert!(diagnose_one(&reply(250, "OK")).is_none());
}

#[test]
fn errors_sort_before_warnings() {
    let d = classify(&[
        Observation::new(Signal::CleartextAuth),
        reply(535, "5.7.8 Error: authentication failed"),
    ]);
    assert_eq!(d[0].category, Category::WrongCredentials);
    assert_eq!(primary_category(&d), Category::WrongCredentials);
    let d = classify(&[Observation::new(Signal::CleartextAuth)]);
    assert_eq!(primary_category(&d), Category::Ok);
}

fn found(source: Source, code: Option<u16>, text: &str) -> Observation {
    let mut o = Observation::new(Signal::Reply).from_source(source);
    o.code = code;
    o.text = text.to_lowercase();
    o
}

#[test]
fn bare_codes_come_after_every_phrase_rule() {
    assert_id(reply(530, "5.7.0 something odd"), "auth-required");
    assert_id(
        reply(534, "5.7.9 something odd"),
        "auth-mechanism-not-supported",
    );
    assert_id(reply(500, "something odd"), "command-syntax-error");
    assert_id(reply(503, "5.5.1 something odd"), "auth-not-enabled");
    // A phrase further down the table still beats an early rule's bare code.
    assert_id(
        reply(534, "5.7.14 Please log in via your web browser"),
        "gmail-web-login-required",
    );
    assert_id(
        reply(530, "5.7.0 Must issue a STARTTLS command first"),
        "starttls-required-before-auth",
    );
}

#[test]
fn a_named_tls_failure_beats_a_reply_code_fallback() {
    let d = classify(&[
        found(Source::Reply, Some(444), "444 wrong version number"),
        Observation::new(Signal::TlsNotTls).from_source(Source::Text),
    ]);
    assert_eq!(d[0].id, "implicit-tls-on-starttls-port");
}

#[test]
fn a_reply_phrase_beats_a_whole_text_phrase_and_a_dropped_connection() {
    let d = classify(&[
        Observation::new(Signal::ConnectionClosed).from_source(Source::Text),
        found(
            Source::Text,
            None,
            "if you intended to use starttls … 535 incorrect authentication data",
        ),
        found(
            Source::Reply,
            Some(535),
            "535 Incorrect authentication data",
        ),
    ]);
    assert_eq!(d[0].id, "server-refused-credentials");
    // The dropped connection is a consequence of the refusal: one cause,
    // one diagnosis.
    assert_eq!(d.len(), 1, "{d:?}");
}

#[test]
fn the_same_category_twice_is_one_diagnosis() {
    // Gmail's 535 5.7.8 matches both the 5.7.8 rule and the phrase rule.
    let d = classify(&[
        found(
            Source::Reply,
            Some(535),
            "535 5.7.8 Error: authentication failed",
        ),
        found(Source::Text, None, "535 5.7.8 error: authentication failed"),
    ]);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].category, Category::WrongCredentials);
}

#[test]
fn equally_strong_evidence_of_another_category_is_an_alternative() {
    let d = classify(&[
        found(
            Source::Reply,
            Some(535),
            "535 5.7.8 Error: authentication failed",
        ),
        found(Source::Reply, Some(550), "550 5.7.1 Relay access denied"),
    ]);
    // Equal strength: the rule earlier in the table is primary, the other
    // reading its alternative.
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].category, Category::RelayDenied);
    assert_eq!(d[0].alternatives.len(), 1, "{d:?}");
    assert_eq!(d[0].alternatives[0].category, Category::WrongCredentials);
}

#[test]
fn strength_orders_live_then_conditions_then_replies_then_wording_then_codes() {
    use super::Strength as S;
    let order = [
        S::Live,
        S::Condition,
        S::Reply,
        S::Capability,
        S::Wording,
        S::BareCode,
        S::Consequence,
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]));
    let live = Observation::new(Signal::ConnectionClosed);
    assert_eq!(super::strength(&live, false), S::Live);
    let bare = found(Source::Reply, Some(554), "554 nope");
    assert_eq!(super::strength(&bare, true), S::BareCode);
}

#[test]
fn a_failed_oauth_exchange_beats_generic_credential_wording() {
    let d = classify(&[
        found(
            Source::Reply,
            Some(535),
            "535 5.7.8 Username and Password not accepted. BadCredentials",
        ),
        Observation::new(Signal::OAuthTokenRejected).from_source(Source::Text),
    ]);
    assert_eq!(d[0].category, Category::OauthTokenInvalid);
}
