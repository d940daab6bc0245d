//! Candidate ordering with a fake resolver (no network).

use super::*;
use crate::net::dns::{Dns, DnsError, DnsFuture, Mx, Srv};
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Answers from a table; anything not listed is NXDOMAIN.
#[derive(Debug, Default)]
struct FakeDns {
    srv: HashMap<String, Vec<Srv>>,
    mx: HashMap<String, Vec<Mx>>,
    fail: HashMap<String, DnsFailure>,
}

impl FakeDns {
    fn srv(mut self, name: &str, records: &[(u16, u16, u16, &str)]) -> Self {
        let rs = records
            .iter()
            .map(|&(priority, weight, port, target)| Srv {
                priority,
                weight,
                port,
                target: target.into(),
            })
            .collect();
        self.srv.insert(name.into(), rs);
        self
    }

    fn mx(mut self, name: &str, records: &[(u16, &str)]) -> Self {
        let rs = records
            .iter()
            .map(|&(preference, exchange)| Mx {
                preference,
                exchange: exchange.into(),
            })
            .collect();
        self.mx.insert(name.into(), rs);
        self
    }

    fn fail(mut self, name: &str, failure: DnsFailure) -> Self {
        self.fail.insert(name.into(), failure);
        self
    }

    fn answer<T: Clone + Send + 'static>(
        &self,
        map: &HashMap<String, Vec<T>>,
        name: &str,
        rtype: &'static str,
    ) -> Result<Vec<T>, DnsError> {
        let err = |failure| DnsError {
            failure,
            name: name.into(),
            rtype,
            message: format!("{failure:?}"),
        };
        if let Some(f) = self.fail.get(name) {
            return Err(err(*f));
        }
        match map.get(name) {
            Some(v) => Ok(v.clone()),
            None => Err(err(DnsFailure::NxDomain)),
        }
    }
}

impl Dns for FakeDns {
    fn srv<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<Srv>> {
        let r = self.answer(&self.srv, name, "SRV");
        Box::pin(async move { r })
    }
    fn mx<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<Mx>> {
        let r = self.answer(&self.mx, name, "MX");
        Box::pin(async move { r })
    }
    fn ipv4<'a>(&'a self, _: &'a str) -> DnsFuture<'a, Vec<Ipv4Addr>> {
        Box::pin(async { Ok(vec![Ipv4Addr::LOCALHOST]) })
    }
    fn ipv6<'a>(&'a self, _: &'a str) -> DnsFuture<'a, Vec<Ipv6Addr>> {
        Box::pin(async { Ok(vec![Ipv6Addr::LOCALHOST]) })
    }
}

fn run(domain: &str, overrides: Overrides, dns: &FakeDns) -> Discovery {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(candidates(domain, overrides, dns))
}

/// `source host:port tls` per candidate.
fn list(d: &Discovery) -> Vec<String> {
    d.candidates
        .iter()
        .map(|c| {
            format!(
                "{} {}:{} {}",
                c.source.as_str(),
                c.endpoint.host,
                c.endpoint.port,
                c.endpoint.tls.as_str()
            )
        })
        .collect()
}

#[test]
fn table_then_srv_submissions_then_submission_then_mx() {
    let dns = FakeDns::default()
        .srv(
            "_submission._tcp.gmail.com",
            &[
                (5, 0, 587, "smtp.gmail.com"),
                (0, 0, 587, "backup.gmail.com"),
            ],
        )
        .srv(
            "_submissions._tcp.gmail.com",
            &[(0, 1, 465, "smtp.gmail.com")],
        )
        .mx("gmail.com", &[(5, "gmail-smtp-in.l.google.com")]);
    let d = run("GMail.com.", Overrides::default(), &dns);
    assert_eq!(
        list(&d),
        [
            "provider-table smtp.gmail.com:587 starttls",
            "srv smtp.gmail.com:465 implicit",
            "srv backup.gmail.com:587 starttls",
            // smtp.gmail.com:587 from SRV and from the MX are duplicates of the table entry.
        ]
    );
    assert!(d.observations.is_empty());
}

#[test]
fn srv_orders_by_priority_then_weight_and_skips_dot() {
    let dns = FakeDns::default()
        .srv(
            "_submissions._tcp.example.org",
            &[
                (10, 0, 465, "c.example.org"),
                (0, 1, 465, "b.example.org"),
                (0, 9, 465, "a.example.org"),
            ],
        )
        .srv("_submission._tcp.example.org", &[(0, 0, 0, ".")])
        .mx("example.org", &[(10, "mx.example.org")]);
    let d = run("example.org", Overrides::default(), &dns);
    assert_eq!(
        list(&d),
        [
            "srv a.example.org:465 implicit",
            "srv b.example.org:465 implicit",
            "srv c.example.org:465 implicit",
        ]
    );
}

#[test]
fn srv_target_outside_the_domain_is_kept_with_a_warning() {
    let dns = FakeDns::default()
        .srv(
            "_submission._tcp.shop.test",
            &[(0, 0, 587, "smtp.hoster.test")],
        )
        .mx("shop.test", &[(10, "mx.hoster.test")]);
    let d = run("shop.test", Overrides::default(), &dns);
    assert_eq!(list(&d), ["srv smtp.hoster.test:587 starttls"]);
    assert_eq!(d.observations.len(), 1);
    assert_eq!(d.observations[0].signal, Signal::SrvTargetOutsideDomain);
    // A subdomain is inside (RFC 6186 §6).
    let dns = FakeDns::default().srv(
        "_submission._tcp.shop.test",
        &[(0, 0, 587, "a.b.shop.test")],
    );
    assert!(run("shop.test", Overrides::default(), &dns)
        .observations
        .is_empty());
}

#[test]
fn mx_reveals_hosted_providers_but_is_never_a_candidate() {
    let dns = FakeDns::default().mx(
        "contoso.test",
        &[
            (0, "contoso-test.mail.protection.outlook.com"),
            (10, "aspmx.l.google.com"),
        ],
    );
    let d = run("contoso.test", Overrides::default(), &dns);
    assert_eq!(
        list(&d),
        [
            "mx-provider smtp.office365.com:587 starttls",
            "mx-provider smtp.gmail.com:587 starttls",
        ]
    );
    assert!(d.candidates[0]
        .detail
        .contains("mail.protection.outlook.com"));
}

#[test]
fn guesses_only_when_nothing_else() {
    let dns = FakeDns::default()
        .fail("_submission._tcp.plain.test", DnsFailure::NoRecords)
        .fail("_submissions._tcp.plain.test", DnsFailure::NoRecords)
        .mx("plain.test", &[(10, "mx1.plain.test")]);
    let d = run("plain.test", Overrides::default(), &dns);
    assert_eq!(
        list(&d),
        [
            "guess smtp.plain.test:587 starttls",
            "guess smtp.plain.test:465 implicit",
            "guess mail.plain.test:587 starttls",
            "guess mail.plain.test:465 implicit",
        ]
    );
    assert_eq!(d.lookups.len(), 3);
    assert!(!d.domain_missing);
}

#[test]
fn a_missing_domain_gets_one_guess() {
    let d = run("nowhere.test", Overrides::default(), &FakeDns::default());
    assert!(d.domain_missing);
    assert_eq!(list(&d), ["guess smtp.nowhere.test:587 starttls"]);
}

#[test]
fn port_and_tls_overrides_apply_to_every_candidate() {
    let dns = FakeDns::default().srv("_submissions._tcp.x.test", &[(0, 0, 465, "s.x.test")]);
    let over = Overrides {
        port: Some(2525),
        tls: None,
    };
    assert_eq!(
        list(&run("x.test", over, &dns)),
        ["srv s.x.test:2525 implicit"]
    );
    let over = Overrides {
        port: None,
        tls: Some(TlsMode::StartTls),
    };
    assert_eq!(
        list(&run("x.test", over, &dns)),
        ["srv s.x.test:587 starttls"]
    );
    assert_eq!(
        list(&run("yahoo.com", over, &FakeDns::default())),
        ["provider-table smtp.mail.yahoo.com:587 starttls"]
    );
    let over = Overrides {
        port: Some(465),
        tls: None,
    };
    assert_eq!(
        list(&run("none.test", over, &FakeDns::default())),
        ["guess smtp.none.test:465 implicit"]
    );
}

#[test]
fn srv_order_is_fixed_whatever_order_the_answer_lists_the_records_in() {
    // RFC 2782 would pick among equal priorities at random, by weight;
    // smtp-doctor keeps a fixed order so that runs are reproducible
    // (order_srv). Every permutation of the answer gives the same candidates.
    let records = [
        (0, 5, 465, "b.example.org"),
        (0, 5, 465, "a.example.org"),
        (0, 0, 465, "z.example.org"),
        (0, 60, 465, "w.example.org"),
        (1, 90, 465, "p.example.org"),
    ];
    let expected = [
        "srv w.example.org:465 implicit",
        "srv a.example.org:465 implicit",
        "srv b.example.org:465 implicit",
        "srv z.example.org:465 implicit",
        "srv p.example.org:465 implicit",
    ];
    let mut permutation: Vec<_> = records.to_vec();
    for round in 0..records.len() * 4 {
        permutation.rotate_left(1);
        if round % 3 == 0 {
            permutation.swap(0, 2);
        }
        let dns = FakeDns::default().srv("_submissions._tcp.example.org", &permutation);
        let d = run("example.org", Overrides::default(), &dns);
        assert_eq!(list(&d), expected, "answer order {permutation:?}");
    }
}
