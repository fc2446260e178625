//! The lab's test CA, made at start: root → intermediate → leaf, and leaf variants
//! (expired, not yet valid, expiring, self-signed, served without the intermediate).

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;

/// How a host's certificate is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertKind {
    /// Issued by the lab intermediate, served with it.
    #[default]
    Valid,
    /// Expired (2020).
    Expired,
    /// Valid from 2099.
    NotYetValid,
    /// Expires in 5 days.
    Expiring,
    /// Self-signed.
    SelfSigned,
    /// Issued by the intermediate but served without it.
    NoIntermediate,
    /// Issued by a CA nobody trusts.
    UntrustedCa,
}

/// A certificate chain and key for a TLS server.
pub struct Issued {
    /// Leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's key.
    pub key: PrivateKeyDer<'static>,
}

/// The lab CA.
pub struct Pki {
    root_pem: String,
    root_der: CertificateDer<'static>,
    intermediate: Issuer<'static, KeyPair>,
    intermediate_der: CertificateDer<'static>,
    untrusted: Issuer<'static, KeyPair>,
    untrusted_der: CertificateDer<'static>,
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("empty SAN list");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "delegcheck lab");
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p
}

macro_rules! days_from_now {
    ($n:expr) => {{
        let (y, m, d) = crate::time::civil_from_days(crate::time::now().div_euclid(86400) + $n);
        rcgen::date_time_ymd(y as i32, m as u8, d as u8)
    }};
}

impl Pki {
    /// Makes a fresh root, intermediate and an untrusted CA.
    pub fn new() -> Result<Pki, rcgen::Error> {
        let root_key = KeyPair::generate()?;
        let root_params = ca_params("delegcheck lab root CA");
        let root_cert = root_params.self_signed(&root_key)?;
        let root = Issuer::new(root_params, root_key);
        let int_key = KeyPair::generate()?;
        let int_params = ca_params("delegcheck lab intermediate CA");
        let int_cert = int_params.signed_by(&int_key, &root)?;
        let untrusted_key = KeyPair::generate()?;
        let untrusted_params = ca_params("Some Other CA");
        let untrusted_cert = untrusted_params.self_signed(&untrusted_key)?;
        Ok(Pki {
            root_pem: root_cert.pem(),
            root_der: root_cert.der().clone(),
            intermediate: Issuer::new(int_params, int_key),
            intermediate_der: int_cert.der().clone(),
            untrusted: Issuer::new(untrusted_params, untrusted_key),
            untrusted_der: untrusted_cert.der().clone(),
        })
    }

    /// The root, PEM (what `--ca-file` takes).
    pub fn root_pem(&self) -> &str {
        &self.root_pem
    }

    /// The root, DER.
    pub fn root_der(&self) -> CertificateDer<'static> {
        self.root_der.clone()
    }

    /// A leaf for these names (IP strings become IP SANs).
    pub fn issue(&self, names: &[String], kind: CertKind) -> Result<Issued, rcgen::Error> {
        let mut p = CertificateParams::new(names.to_vec())?;
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_else(|| "lab".into()),
        );
        p.distinguished_name = dn;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        p.not_before = days_from_now!(-30);
        p.not_after = days_from_now!(365);
        match kind {
            CertKind::Expired => {
                p.not_before = rcgen::date_time_ymd(2019, 1, 1);
                p.not_after = rcgen::date_time_ymd(2020, 1, 1);
            }
            CertKind::NotYetValid => {
                p.not_before = rcgen::date_time_ymd(2099, 1, 1);
                p.not_after = rcgen::date_time_ymd(2100, 1, 1);
            }
            CertKind::Expiring => p.not_after = days_from_now!(5),
            _ => {}
        }
        let key = KeyPair::generate()?;
        let key_der = PrivateKeyDer::try_from(key.serialize_der())
            .map_err(|_| rcgen::Error::CouldNotParseKeyPair)?;
        let chain = match kind {
            CertKind::SelfSigned => vec![p.self_signed(&key)?.der().clone()],
            CertKind::NoIntermediate => vec![p.signed_by(&key, &self.intermediate)?.der().clone()],
            // A private CA, served with its full chain (as step-ca or an internal PKI does).
            CertKind::UntrustedCa => vec![
                p.signed_by(&key, &self.untrusted)?.der().clone(),
                self.untrusted_der.clone(),
            ],
            _ => vec![
                p.signed_by(&key, &self.intermediate)?.der().clone(),
                self.intermediate_der.clone(),
            ],
        };
        Ok(Issued {
            chain,
            key: key_der,
        })
    }
}
