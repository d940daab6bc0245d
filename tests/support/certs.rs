//! Test PKI generated at run time with rcgen: one test CA and server leaves.
//!
//! Generated once per test binary (`OnceLock`) into a temporary directory under
//! cargo's `CARGO_TARGET_TMPDIR`. The CA is written to a PEM file that the tests
//! pass to smtp-doctor with `--cafile`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rcgen::{
    date_time_ymd, BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Which server certificate a fake server presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cert {
    /// Signed by the test CA, valid now, for `localhost`, IP `127.0.0.1` and
    /// the discovery tests' host names.
    Valid,
    /// Signed by the test CA, right names, but `not_after` in the past.
    Expired,
    /// Signed by the test CA, valid now, but only for `wrong.example.test`.
    WrongName,
    /// Right names and dates, but self-signed (not issued by the test CA).
    SelfSigned,
    /// Signed by the test CA, right names, valid now but only for about 5
    /// more days (smtp-doctor warns below 14).
    ExpiresSoon,
}

impl Cert {
    pub const ALL: [Cert; 5] = [
        Cert::Valid,
        Cert::Expired,
        Cert::WrongName,
        Cert::SelfSigned,
        Cert::ExpiresSoon,
    ];

    fn file_stem(self) -> &'static str {
        match self {
            Cert::Valid => "valid",
            Cert::Expired => "expired",
            Cert::WrongName => "wrong-name",
            Cert::SelfSigned => "self-signed",
            Cert::ExpiresSoon => "expires-soon",
        }
    }
}

/// A server certificate chain and its PKCS#8 private key.
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key_pkcs8: Vec<u8>,
}

pub struct Pki {
    // Kept so the directory lives as long as the test binary.
    _dir: tempfile::TempDir,
    ca_file: PathBuf,
    leaves: Vec<(Cert, Leaf)>,
    /// The web discovery tests' HTTPS server.
    pub web: Leaf,
}

impl Pki {
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    pub fn leaf(&self, cert: Cert) -> &Leaf {
        self.leaves
            .iter()
            .find(|(c, _)| *c == cert)
            .map(|(_, leaf)| leaf)
            .expect("every Cert variant is generated")
    }
}

/// The test PKI, generated on first use.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(generate)
}

/// Path of the test CA's PEM file (for `--cafile`).
pub fn ca_file() -> &'static Path {
    pki().ca_file()
}

/// A rustls server configuration (ring provider) presenting `cert`.
pub fn server_config(cert: Cert) -> Arc<rustls::ServerConfig> {
    leaf_config(pki().leaf(cert))
}

/// The web discovery tests' HTTPS server configuration.
pub fn web_server_config() -> Arc<rustls::ServerConfig> {
    leaf_config(&pki().web)
}

fn leaf_config(leaf: &Leaf) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key_pkcs8.clone()));
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_no_client_auth()
        .with_single_cert(leaf.chain.clone(), key)
        .expect("test certificate and key match");
    Arc::new(config)
}

fn dn(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "smtp-doctor e2e tests");
    dn.push(DnType::CommonName, common_name);
    dn
}

/// The UTC calendar date `days` from now (Howard Hinnant's civil_from_days).
fn civil_date_in_days(days: i64) -> (i32, u8, u8) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    let z = now / 86_400 + days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m as u8, d as u8)
}

fn leaf_params(names: &[&str], valid: (i32, i32)) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names.clone()).expect("valid SAN list");
    params.distinguished_name = dn(&names[0]);
    params.is_ca = IsCa::NoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = date_time_ymd(valid.0, 1, 1);
    params.not_after = date_time_ymd(valid.1, 1, 1);
    params
}

fn generate() -> Pki {
    let dir = tempfile::Builder::new()
        .prefix("smtp-doctor-e2e-pki-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("create PKI tempdir");

    // The CA.
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.distinguished_name = dn("smtp-doctor e2e test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = date_time_ymd(2019, 1, 1);
    ca_params.not_after = date_time_ymd(2099, 1, 1);
    let ca: Certificate = ca_params.self_signed(&ca_key).expect("self-sign CA");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).expect("write CA PEM");

    // The extra names are the discovery tests' SMTP hosts (tests/integration/discovery.rs),
    // which the loopback DNS server resolves to 127.0.0.1 and ::1.
    let good_names = [
        "localhost",
        "127.0.0.1",
        "mail.srv-ok.test",
        "smtp.srv-ok.test",
        "smtp.hoster.test",
        "mx1.mx-warn.test",
    ];
    // The web discovery tests' server (tests/support/web.rs) has a leaf of its
    // own: 127.0.0.1 and each test domain with its autoconfig. and
    // autodiscover. hosts.
    let mut web_names = vec!["127.0.0.1".to_string()];
    for d in crate::support::web::DOMAINS {
        for prefix in ["", "autoconfig.", "autodiscover."] {
            web_names.push(format!("{prefix}{d}"));
        }
    }
    let web_names: Vec<&str> = web_names.iter().map(String::as_str).collect();
    let web_key = KeyPair::generate().expect("web leaf key");
    let web_cert = leaf_params(&web_names, (2020, 2099))
        .signed_by(&web_key, &ca, &ca_key)
        .expect("issue web leaf");
    let web = Leaf {
        chain: vec![web_cert.der().clone()],
        key_pkcs8: web_key.serialize_der(),
    };
    let mut leaves = Vec::new();
    for cert in Cert::ALL {
        let key = KeyPair::generate().expect("leaf key");
        let issued = match cert {
            Cert::Valid => leaf_params(&good_names, (2020, 2099)).signed_by(&key, &ca, &ca_key),
            Cert::Expired => leaf_params(&good_names, (2020, 2021)).signed_by(&key, &ca, &ca_key),
            Cert::WrongName => {
                leaf_params(&["wrong.example.test"], (2020, 2099)).signed_by(&key, &ca, &ca_key)
            }
            Cert::SelfSigned => leaf_params(&good_names, (2020, 2099)).self_signed(&key),
            Cert::ExpiresSoon => {
                let mut params = leaf_params(&good_names, (2020, 2099));
                let (y, m, d) = civil_date_in_days(6);
                params.not_after = date_time_ymd(y, m, d);
                params.signed_by(&key, &ca, &ca_key)
            }
        }
        .expect("issue leaf certificate");
        let cert_file = dir.path().join(format!("{}.pem", cert.file_stem()));
        std::fs::write(&cert_file, issued.pem()).expect("write leaf PEM");
        std::fs::write(
            dir.path().join(format!("{}-key.pem", cert.file_stem())),
            key.serialize_pem(),
        )
        .expect("write leaf key PEM");
        leaves.push((
            cert,
            Leaf {
                chain: vec![issued.der().clone()],
                key_pkcs8: key.serialize_der(),
            },
        ));
    }

    Pki {
        _dir: dir,
        ca_file,
        leaves,
        web,
    }
}
